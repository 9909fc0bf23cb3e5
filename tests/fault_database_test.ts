/**
 * Faults of the database under load, on a PostgreSQL of each test's own (never the machine's
 * shared server): read-only, a revoked permission, a held lock, a full disk, restarts with killed
 * sessions, a database away at start, a frozen server. In each, every item Argus acknowledged is
 * stored exactly once in the end (rollups equal to the rows), nothing is rejected for a fault of
 * the database, Argus stays up and answers its health probe within a bound, and its memory stays
 * under a ceiling.
 */
import assert from "node:assert/strict";
import { createStore, type Store } from "../store/mod.ts";
import { type ArgusProcess, startArgus } from "./argus_process.ts";
import { databaseConfig } from "./databases.ts";
import {
  AckLedger,
  assertStoredExactlyOnce,
  fillDisk,
  type LivenessReport,
  type MemoryReport,
  OwnMariaDb,
  OwnPostgres,
  probeLiveness,
  run,
  sampleMemory,
  sleep,
  Traffic,
  type TrafficReport,
  waitUntil,
  withArgusLog,
} from "./fault_harness.ts";

/** Ceilings this suite holds Argus to (core and gRPC gateway together). */
const MEMORY_CEILING_MIB = 600;
/** The health probe's bound: every probe answered (any status) within this. */
const HEALTH_BOUND_MS = 3_000;

const ARGUS_ENV = {
  FLUSH_INTERVAL: "20ms",
  DLQ_REPLAY_INTERVAL: "300ms",
  DB_CONNECT_TIMEOUT: "1s",
  DB_STATEMENT_TIMEOUT: "1s",
  DB_WRITE_TIMEOUT: "2s",
  DB_PING_TIMEOUT: "1s",
  DB_RETRY_INTERVAL: "300ms",
  SHUTDOWN_TIMEOUT: "10s",
};

/** Everything one test needs around Argus on its own PostgreSQL. */
interface Rig {
  server: OwnPostgres;
  argus: ArgusProcess;
  cwd: string;
  dsn: string;
  ledger: AckLedger;
  dlqFiles(): number;
}

function dlqFiles(cwd: string): number {
  try {
    return [...Deno.readDirSync(`${cwd}/data/dlq`)].filter((e) =>
      e.isFile && /^batch_.*\.json$/.test(e.name)
    ).length;
  } catch {
    return 0;
  }
}

interface RigOptions {
  /** Argus's DSN; the superuser's on database `argus` unless set. */
  dsn?: string;
  env?: Record<string, string>;
  /** An earlier Argus's folder (its DLQ), to start on. */
  cwd?: string;
  ledger?: AckLedger;
}

async function startRig(server: OwnPostgres, options: RigOptions = {}): Promise<Rig> {
  const cwd = options.cwd ?? await Deno.makeTempDir({ prefix: "argus-dbfault-" });
  const dsn = options.dsn ?? server.dsn("argus");
  const argus = await startArgus(
    { ...ARGUS_ENV, DB_DRIVER: "postgres", DB_DSN: dsn, ...options.env },
    cwd,
  );
  return {
    server,
    argus,
    cwd,
    dsn,
    ledger: options.ledger ?? new AckLedger(),
    dlqFiles: () => dlqFiles(cwd),
  };
}

/**
 * Runs `body` with a PostgreSQL of the test's own holding an empty database `argus`. Each Argus
 * `body` starts through `start` is stopped at the end (the last one must exit with 0), its folder
 * removed, and the server destroyed, however `body` ends.
 */
async function withOwnPostgres(
  body: (server: OwnPostgres, start: (options?: RigOptions) => Promise<Rig>) => Promise<void>,
  hooks: {
    prepare?(server: OwnPostgres): Promise<void>;
    teardown?(server: OwnPostgres): Promise<void>;
  } = {},
): Promise<void> {
  const server = await OwnPostgres.start();
  const rigs: Rig[] = [];
  try {
    await server.sql("create database argus");
    await hooks.prepare?.(server);
    await body(server, async (options) => {
      const rig = await startRig(server, options);
      rigs.push(rig);
      return rig;
    });
  } finally {
    try {
      const codes = [];
      for (const rig of rigs) codes.push(await rig.argus.stop());
      for (const cwd of new Set(rigs.map((rig) => rig.cwd))) {
        await Deno.remove(cwd, { recursive: true }).catch(() => {});
      }
      const last = rigs.at(-1);
      if (last) {
        assert.equal(
          codes.at(-1),
          0,
          `Argus stopped with ${codes.at(-1)}:\n${last.argus.log().slice(-3000)}`,
        );
      }
    } finally {
      server.thaw();
      await hooks.teardown?.(server).catch(() => {});
      await server.destroy();
    }
  }
}

/** Watches memory and liveness while `body` runs, and checks both against the suite's bounds. */
async function watched<T>(argus: ArgusProcess, body: () => Promise<T>): Promise<T> {
  const memory = sampleMemory(() => [argus.child.pid, argus.grpcPid()].filter((p) => p > 0));
  const liveness = probeLiveness(`${argus.baseUrl}/api/health`, 250, HEALTH_BOUND_MS);
  let result: T;
  let report: { memory: MemoryReport; liveness: LivenessReport };
  try {
    result = await body();
  } finally {
    report = { memory: memory.stop(), liveness: await liveness.stop() };
  }
  assert.equal(
    report.liveness.unanswered,
    0,
    `health probes unanswered within ${HEALTH_BOUND_MS} ms: ${JSON.stringify(report.liveness)}`,
  );
  assert.ok(
    report.memory.peakMiB < MEMORY_CEILING_MIB,
    `peak RSS ${report.memory.peakMiB.toFixed(0)} MiB, over ${MEMORY_CEILING_MIB} MiB`,
  );
  return result;
}

function assertOnlyRetryable(report: TrafficReport): void {
  assert.deepEqual(report.other, [], "every answer is a success or a retryable refusal");
}

/** No item was refused, at any stage (`argus_rejected_items_total` has no sample above 0). */
async function assertNothingRejected(argus: ArgusProcess): Promise<void> {
  const text = await (await fetch(`${argus.baseUrl}/metrics`)).text();
  const rejected = text.split("\n").filter((line) =>
    line.startsWith("argus_rejected_items_total") && !/ 0$/.test(line)
  );
  assert.deepEqual(rejected, [], "no item was rejected");
}

async function readerOf(dsn: string, cwd: string): Promise<Store> {
  const store = await createStore(databaseConfig("postgres", dsn), { dataDir: cwd });
  return store;
}

async function finish(rig: Rig, service: string): Promise<void> {
  await waitUntil("the dead-letter queue to be replayed", () => rig.dlqFiles() === 0, 30_000);
  const reader = await readerOf(rig.dsn, rig.cwd);
  try {
    await assertStoredExactlyOnce(reader, rig.ledger, [service]);
  } finally {
    await reader.close();
  }
}

/**
 * Runs a fault's locking statements again when the database chose them as a deadlock's victim
 * (PostgreSQL's 40P01, MariaDB's ER_LOCK_DEADLOCK; rolled back whole): they take their locks table
 * by table while Argus writes, and a CI run once saw `alter table all in tablespace` lose that way.
 * Argus's own writes run again too (store/batch_writer.ts).
 */
async function notDeadlockVictim<T>(statements: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await statements();
    } catch (error) {
      const code = (error as { code?: string }).code ?? "";
      if (!["40P01", "ER_LOCK_DEADLOCK"].includes(code) || attempt === attempts) throw error;
    }
  }
}

/** A database fault: made while traffic flows, then healed. */
interface Fault {
  name: string;
  /** SQL run as the superuser on the `argus` database before Argus starts. */
  prepare?(server: OwnPostgres): Promise<void>;
  /** DSN user; the superuser unless set. */
  user?: string;
  inject(server: OwnPostgres): Promise<() => Promise<void>>;
  /** Undoes what `prepare` did outside the server (run before the server is destroyed). */
  teardown?(server: OwnPostgres): Promise<void>;
}

const FAULTS: Fault[] = [
  {
    // The case: the server restarts read-only while batches wait in the DLQ.
    name: "an outage after which the server comes back read-only",
    async inject(server) {
      await server.sql("alter system set default_transaction_read_only = on");
      await server.stopServer("fast");
      await sleep(1_500);
      await server.startServer();
      return async () => {
        await server.sql("alter system set default_transaction_read_only = off");
        await server.sql("select pg_reload_conf()");
      };
    },
  },
  {
    name: "a revoked INSERT permission",
    user: "argus",
    async prepare(server) {
      await server.sql("create role argus login");
      await server.sql("alter database argus owner to argus");
      await server.sql("grant all on schema public to argus", "argus");
    },
    async inject(server) {
      await server.sql("revoke insert on spans, logs from argus", "argus");
      return async () => {
        await server.sql("grant insert on spans, logs to argus", "argus");
      };
    },
  },
  {
    name: "a lock held on the tables longer than the statement timeout",
    async inject(server) {
      const { default: pg } = await import("pg");
      const holder = new pg.Client({ connectionString: server.dsn("argus") });
      holder.on("error", () => {});
      await holder.connect();
      await notDeadlockVictim(async () => {
        await holder.query("begin");
        try {
          await holder.query("lock table spans, logs in access exclusive mode");
        } catch (error) {
          await holder.query("rollback");
          throw error;
        }
      });
      return async () => {
        await holder.query("commit");
        await holder.end();
      };
    },
  },
  {
    name: "a full disk under the tables",
    async prepare(server) {
      const dir = `${server.dir}/small`;
      await Deno.mkdir(dir);
      await run("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", dir]);
      await run("chown", ["postgres:postgres", dir]);
      await server.sql(`create tablespace small location '${dir}'`);
    },
    async inject(server) {
      // Moved once the schema exists (Argus migrated it at start), then the disk is filled: every
      // table and index, so also each time partition of spans and logs (store/partitions.ts).
      // Moving locks table after table while Argus writes (see notDeadlockVictim).
      await notDeadlockVictim(() =>
        server.sql(
          "alter table all in tablespace pg_default set tablespace small; " +
            "alter index all in tablespace pg_default set tablespace small",
          "argus",
        )
      );
      return await fillDisk(`${server.dir}/small`);
    },
    async teardown(server) {
      await run("umount", [`${server.dir}/small`]);
    },
  },
];

for (const fault of FAULTS) {
  Deno.test(`PostgreSQL, ${fault.name}: acknowledged data waits in the DLQ and is stored once when healed`, async () => {
    const service = "fault-service";
    await withOwnPostgres(async (server, start) => {
      const r = await start({
        dsn: `postgres://${fault.user ?? "postgres"}@127.0.0.1:${server.port}/argus`,
      });
      await watched(r.argus, async () => {
        const traffic = new Traffic(r.argus.otlpHttpUrl, r.ledger, service);
        await waitUntil("some data stored", () => r.ledger.spans.size >= 100);
        const heal = await fault.inject(server);
        const before = r.ledger.spans.size + r.ledger.logs.size;
        // Several replay passes run during the fault: none may delete what it could not store.
        await sleep(4_000);
        const during = r.ledger.spans.size + r.ledger.logs.size - before;
        assert.ok(during > 0, "data was acknowledged during the fault (through the DLQ)");
        assert.ok(
          r.dlqFiles() > 0,
          `the DLQ holds batches during the fault:\n${r.argus.log().slice(-1500)}`,
        );
        await heal();
        await sleep(1_000);
        assertOnlyRetryable(await traffic.stop());
        await finish(r, service);
      });
      await assertNothingRejected(r.argus);
    }, fault);
  });
}

Deno.test("PostgreSQL restarted five times with its sessions terminated: Argus stays up and loses nothing", async () => {
  const service = "restart-service";
  await withOwnPostgres(async (server, start) => {
    const r = await start();
    let exited = false;
    void r.argus.child.status.then(() => exited = true);
    await watched(r.argus, async () => {
      const traffic = new Traffic(r.argus.otlpHttpUrl, r.ledger, service);
      for (let round = 0; round < 5; round++) {
        await sleep(700);
        await server.stopServer(round % 2 === 0 ? "fast" : "immediate");
        await sleep(500);
        await server.startServer();
        await sleep(500);
        await server.terminateSessions();
        assert.equal(
          exited,
          false,
          `Argus died in round ${round + 1}:\n${r.argus.log().slice(-2000)}`,
        );
      }
      await sleep(1_000);
      assertOnlyRetryable(await traffic.stop());
      await finish(r, service);
    });
    assert.equal(exited, false);
    assert.doesNotMatch(r.argus.log(), /Uncaught/);
  });
});

Deno.test("Argus starts while PostgreSQL is down, acknowledges through the DLQ, says so, and catches up", async () => {
  const service = "late-db-service";
  await withOwnPostgres(async (server, start) => {
    await server.stopServer("fast");
    const r = await start();
    await watched(r.argus, async () => {
      const health = await fetch(`${r.argus.baseUrl}/api/health`);
      assert.equal(health.status, 503);
      const body = await health.json();
      assert.equal(body.status, "degraded");
      assert.match(body.db_error, /^the database is not ready: /);
      // The API names the reason; the UI shows it in its shell.
      const api = await fetch(`${r.argus.baseUrl}/api/traces`);
      assert.equal(api.status, 503);
      assert.equal(api.headers.get("retry-after"), "5");
      assert.match((await api.json()).error, /dead-letter queue/);
      const page = await fetch(`${r.argus.baseUrl}/traces`);
      assert.equal(page.status, 503);
      assert.match(page.headers.get("content-type") ?? "", /text\/html/);
      assert.match(await page.text(), /Database unavailable/);

      const traffic = new Traffic(r.argus.otlpHttpUrl, r.ledger, service);
      await waitUntil("data acknowledged without a database", () => r.ledger.spans.size >= 100);
      assert.ok(r.dlqFiles() > 0);
      await server.startServer();
      await waitUntil("the database to be ready", async () => {
        const answer = await fetch(`${r.argus.baseUrl}/api/health`);
        await answer.body?.cancel();
        return answer.status === 200;
      }, 20_000);
      await sleep(500);
      assertOnlyRetryable(await traffic.stop());
      await finish(r, service);
      assert.equal(
        (await fetch(`${r.argus.baseUrl}/traces`).then((p) => p.text(), () => "")).includes(
          "Database unavailable",
        ),
        false,
      );
    });
    assert.match(r.argus.log(), /the database is not available: Argus starts anyway/);
  });
});

Deno.test("a frozen PostgreSQL: acks continue through the DLQ, health answers, SIGTERM ends in time", async () => {
  const service = "frozen-service";
  await withOwnPostgres(async (server, start) => {
    const r = await start();
    await watched(r.argus, async () => {
      const traffic = new Traffic(r.argus.otlpHttpUrl, r.ledger, service, { timeoutMs: 8_000 });
      await waitUntil("some data stored", () => r.ledger.spans.size >= 100);
      server.freeze();
      const before = r.ledger.spans.size;
      await sleep(6_000);
      const report = await traffic.stop();
      assert.ok(r.ledger.spans.size > before, "acknowledgements continued while frozen");
      assert.ok(r.dlqFiles() > 0, "through the DLQ");
      assert.ok(report.slowestMs < 8_000, `slowest answer ${report.slowestMs} ms`);
      assertOnlyRetryable(report);
    });
    // SIGTERM while the database is still frozen: the stop must not wait for it.
    const started = performance.now();
    const code = await r.argus.stop("SIGTERM");
    const stopMs = performance.now() - started;
    assert.ok(stopMs < 15_000, `SIGTERM took ${stopMs} ms (SHUTDOWN_TIMEOUT is 10 s)`);
    assert.ok(code === 0 || code === 1, `exit code ${code}`);
    server.thaw();
    // A new Argus on the same folder replays what the frozen one acknowledged.
    await finish(await start({ cwd: r.cwd, ledger: r.ledger }), service);
  });
});

/** A fault of a MariaDB of the test's own. */
interface MysqlFault {
  name: string;
  inject(server: OwnMariaDb): Promise<() => Promise<void>>;
}

const MYSQL_FAULTS: MysqlFault[] = [
  {
    name: "read_only",
    async inject(server) {
      await server.sql("set global read_only = 1");
      return async () => {
        await server.sql("set global read_only = 0");
      };
    },
  },
  {
    name: "a revoked INSERT permission",
    async inject(server) {
      await server.sql("revoke insert on argus.* from 'argus'@'%'");
      // A connection keeps the database-level rights it had when it selected the database: an
      // operator revoking a right ends the sessions that hold it.
      const sessions = await server.sql(
        "select id from information_schema.processlist where user = 'argus'",
      ) as { id: number }[];
      for (const { id } of sessions) await server.sql(`kill ${id}`).catch(() => {});
      return async () => {
        await server.sql("grant insert on argus.* to 'argus'@'%'");
      };
    },
  },
  {
    name: "a lock held on the tables longer than the statement timeout",
    async inject(server) {
      const mysql = await import("mysql2/promise");
      const holder = await mysql.createConnection({
        host: "127.0.0.1",
        port: server.port,
        user: "root",
        database: "argus",
      });
      await notDeadlockVictim(() => holder.query("lock tables spans write, logs write"));
      return async () => {
        await holder.query("unlock tables");
        await holder.end();
      };
    },
  },
];

for (const fault of MYSQL_FAULTS) {
  Deno.test(`MariaDB, ${fault.name}: acknowledged data waits in the DLQ and is stored once when healed`, async () => {
    const service = "mysql-fault-service";
    let server: OwnMariaDb | undefined;
    let argus: ArgusProcess | undefined;
    const cwd = await Deno.makeTempDir({ prefix: "argus-mysqlfault-" });
    const ledger = new AckLedger();
    try {
      server = await OwnMariaDb.start();
      argus = await startArgus({ ...ARGUS_ENV, DB_DRIVER: "mysql", DB_DSN: server.dsn() }, cwd);
      const a = argus;
      await watched(a, async () => {
        const traffic = new Traffic(a.otlpHttpUrl, ledger, service);
        await waitUntil("some data stored", () => ledger.spans.size >= 100);
        const heal = await fault.inject(server!);
        const before = ledger.spans.size + ledger.logs.size;
        await sleep(4_000);
        assert.ok(ledger.spans.size + ledger.logs.size > before, "acknowledged during the fault");
        assert.ok(dlqFiles(cwd) > 0, `the DLQ holds batches:\n${a.log().slice(-1500)}`);
        await heal();
        await sleep(1_000);
        assertOnlyRetryable(await traffic.stop());
        await waitUntil("the dead-letter queue to be replayed", () => dlqFiles(cwd) === 0, 30_000);
        const reader = await createStore(databaseConfig("mysql", server!.dsn()), { dataDir: cwd });
        try {
          await assertStoredExactlyOnce(reader, ledger, [service]);
        } finally {
          await reader.close();
        }
      });
      await assertNothingRejected(a);
    } catch (error) {
      throw withArgusLog(error, argus);
    } finally {
      try {
        if (argus) assert.equal(await argus.stop(), 0, argus.log().slice(-2000));
      } finally {
        await server?.destroy();
        await Deno.remove(cwd, { recursive: true }).catch(() => {});
      }
    }
  });
}
