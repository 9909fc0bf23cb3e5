/**
 * Replicas on one database (replicas.ts), on every selected database: two leases on one database,
 * exactly one held, also when both try at once on a new database; a holder that stops renewing
 * (its death) loses the lease after the TTL and the other takes it; a clean stop hands the lease
 * over at the other's next try; two heartbeats list both replicas with their figures, a silent
 * one drops out after 3 heartbeats, a row silent for an hour is deleted, a clean stop deletes its
 * row. Without a database: retention and the metric rollup job do not run while their gate is
 * closed. SQL Server (no server here): the SQL generated, under Kysely's real compiler.
 */
import assert from "node:assert/strict";
import type { Kysely } from "kysely";
import { createStore } from "./mod.ts";
import { openDatabase, SQLSERVER } from "./dialects/mod.ts";
import { Heartbeat, Lease, MAINTENANCE_LEASE, type ReplicaIdentity } from "./replicas.ts";
import { replicasSchema } from "./migrations/2026_12_14_replicas.ts";
import { MetricRollupJob } from "./metric_rollups.ts";
import { RetentionWorker } from "../lib/retention.ts";
import { createLogger } from "../lib/logger.ts";
import { freshDatabase, selectedDrivers, type TestableDriver } from "../tests/databases.ts";
import { recordingSqlServer } from "../tests/sqlserver_recording.ts";

const silent = createLogger("error", () => {});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function identity(id: string, startedAtMs = Date.now()): ReplicaIdentity {
  return { id, name: `argus-${id}`, pid: 1000 + id.length, version: "0.1.0", startedAtMs };
}

/**
 * A migrated database of `driver` and two connections to it, one per simulated replica (each
 * Argus process has its own).
 */
async function twoReplicas(
  driver: TestableDriver,
  run: (a: Kysely<never>, b: Kysely<never>) => Promise<void>,
): Promise<void> {
  const database = await freshDatabase(driver);
  const store = await createStore(database.config, { dataDir: database.dataDir });
  const a = openDatabase(database.config, database.dataDir, () => {});
  const b = openDatabase(database.config, database.dataDir, () => {});
  try {
    await store.migrate();
    await run(a.db as Kysely<never>, b.db as Kysely<never>);
  } finally {
    await a.db.destroy();
    await b.db.destroy();
    await store.close();
    await database.drop();
  }
}

for (const driver of selectedDrivers()) {
  Deno.test(`${driver}: exactly one of two replicas holds the lease, also when both try at once`, async () => {
    await twoReplicas(driver, async (dbA, dbB) => {
      const options = { name: MAINTENANCE_LEASE, ttlMs: 5_000, logger: silent };
      const a = new Lease(dbA, driver, { ...options, holder: "a" });
      const b = new Lease(dbB, driver, { ...options, holder: "b" });
      // A new database: no row yet, both insert it at once; one insert fails on the key.
      const first = await Promise.all([a.tryAcquire(), b.tryAcquire()]);
      assert.deepEqual(first.filter((held) => held).length, 1, JSON.stringify(first));
      const [holder, other] = first[0] ? [a, b] : [b, a];
      assert.equal(holder.held(), true);
      assert.equal(other.held(), false);
      // Renewals keep it where it is, also two in one millisecond (MySQL then changes no row).
      for (let i = 0; i < 20; i++) {
        assert.equal(await holder.tryAcquire(), true);
        assert.equal(await other.tryAcquire(), false);
      }
      await a.stop({ release: false });
      await b.stop({ release: false });
    });
  });

  Deno.test(`${driver}: a holder that stops renewing loses the lease after the TTL, and the other takes it`, async () => {
    await twoReplicas(driver, async (dbA, dbB) => {
      const options = { name: MAINTENANCE_LEASE, ttlMs: 1_000, logger: silent };
      const a = new Lease(dbA, driver, { ...options, holder: "a" });
      const b = new Lease(dbB, driver, { ...options, holder: "b" });
      assert.equal(await a.tryAcquire(), true);
      const granted = performance.now();
      assert.equal(await b.tryAcquire(), false);
      // A is frozen (no renewal): it counts itself the holder until its grant ends, then not.
      await sleep(500);
      assert.equal(a.held(), true);
      assert.equal(await b.tryAcquire(), false, "B cannot take it before the TTL");
      await sleep(1_000 - (performance.now() - granted) + 100);
      assert.equal(a.held(), false, "A stops its work when its grant ends");
      assert.equal(await b.tryAcquire(), true, "B takes it after the TTL");
      assert.equal(await a.tryAcquire(), false, "A, back, finds it taken");
      assert.equal(a.held(), false);

      // A death (the timer stopped, nothing released): B's own timer takes it over.
      assert.equal(b.held(), true);
      await b.stop({ release: false });
      const died = performance.now();
      const c = new Lease(dbA, driver, { ...options, holder: "c" });
      c.start();
      while (!c.held() && performance.now() - died < 5_000) await sleep(20);
      const waited = performance.now() - died;
      assert.equal(c.held(), true);
      assert.ok(waited >= 900, `taken after ${waited} ms, before the TTL`);
      await c.stop();
      await a.stop();
    });
  });

  Deno.test(`${driver}: a clean stop releases the lease, and another replica takes it at its next try`, async () => {
    await twoReplicas(driver, async (dbA, dbB) => {
      // A long TTL: only the release can hand the lease over within the test.
      const options = { name: MAINTENANCE_LEASE, ttlMs: 60_000, logger: silent };
      const a = new Lease(dbA, driver, { ...options, holder: "a" });
      assert.equal(await a.tryAcquire(), true);
      // B tries every 20 s (a third of the TTL): its first try now, the next one by hand below.
      const b = new Lease(dbB, driver, { ...options, holder: "b" });
      b.start();
      await sleep(200);
      assert.equal(b.held(), false);
      await a.stop();
      assert.equal(a.held(), false);
      assert.equal(await b.tryAcquire(), true, "taken at B's next try, long before the TTL");
      await b.stop();
    });
  });

  Deno.test(`${driver}: heartbeats list both replicas with their figures; a silent one drops out`, async () => {
    await twoReplicas(driver, async (dbA, dbB) => {
      const everyMs = 200;
      const lease = new Lease(dbA, driver, {
        name: MAINTENANCE_LEASE,
        holder: "a",
        logger: silent,
      });
      assert.equal(await lease.tryAcquire(), true);
      const a = new Heartbeat(dbA, driver, {
        self: identity("a", 1_000_000),
        everyMs,
        figures: () => ({ queueRows: 12, dlqFiles: 0 }),
        holdsMaintenance: () => lease.held(),
        logger: silent,
      });
      const b = new Heartbeat(dbB, driver, {
        self: identity("b", 2_000_000),
        everyMs,
        figures: () => ({ queueRows: 0, dlqFiles: 3 }),
        holdsMaintenance: () => false,
        logger: silent,
      });
      await a.beat();
      await b.beat();
      await a.beat();
      const before = Date.now();
      const listed = a.list();
      assert.deepEqual(listed.map((r) => ({ ...r, heartbeatAtMs: 0 })), [
        {
          ...identity("a", 1_000_000),
          heartbeatAtMs: 0,
          queueRows: 12,
          dlqFiles: 0,
          holdsMaintenance: true,
        },
        {
          ...identity("b", 2_000_000),
          heartbeatAtMs: 0,
          queueRows: 0,
          dlqFiles: 3,
          holdsMaintenance: false,
        },
      ]);
      // The database's clock, which here is this machine's.
      for (const r of listed) assert.ok(Math.abs(r.heartbeatAtMs - before) < 2_000, r.id);
      assert.deepEqual((await b.alive()).map((r) => r.id), ["b", "a"], "each lists itself first");

      // B dies: its row stays, silent; after 3 heartbeats it is no longer alive.
      await b.stop({ remove: false });
      await sleep(3 * everyMs + 150);
      await a.beat();
      assert.deepEqual(a.list().map((r) => r.id), ["a"]);

      // A row silent for more than an hour is deleted at the next beat; B's recent one is kept.
      await (dbA as Kysely<never>).insertInto("argus_replicas" as never).values({
        replica_id: "old",
        name: "gone",
        pid: 1,
        version: "0.0.1",
        started_at_ms: 0,
        heartbeat_at_ms: 0,
        queue_rows: 0,
        dlq_files: 0,
        holds_maintenance: 0,
      } as never).execute();
      await a.beat();
      const ids = async () =>
        (await (dbA as Kysely<never>).selectFrom("argus_replicas" as never)
          .select("replica_id" as never).execute()).map((r) =>
            (r as { replica_id: string }).replica_id
          ).sort();
      assert.deepEqual(await ids(), ["a", "b"]);

      // A clean stop deletes the replica's own row.
      await a.stop();
      assert.deepEqual(await ids(), ["b"]);
      await lease.stop();
    });
  });
}

Deno.test("the retention worker runs no pass while its gate is closed, and runs once it opens", async () => {
  let passes = 0;
  let open = false;
  const worker = new RetentionWorker({
    retentionMs: 86_400_000,
    purge: () => {
      passes++;
      return Promise.resolve({ deletedLogs: 0, deletedSpans: 0 });
    },
    logger: silent,
    firstPassDelayMs: 0,
    intervalMs: 60_000,
    shouldRun: () => open,
  });
  worker.start();
  await sleep(350);
  assert.equal(passes, 0);
  open = true;
  // Checked again every 100 ms at least while closed.
  await sleep(250);
  assert.equal(passes, 1);
  await worker.stop();
});

Deno.test("the metric rollup job runs no run while its gate is closed, and runs once it opens", async () => {
  const { db, queries } = recordingSqlServer();
  let open = false;
  const job = new MetricRollupJob(db, SQLSERVER, { everyMs: 30, logger: silent });
  job.start({ shouldRun: () => open });
  await sleep(200);
  assert.equal(queries.length, 0, "no statement while the gate is closed");
  open = true;
  await sleep(200);
  assert.ok(queries.length > 0, "a run once the gate opened");
  await job.stop();
});

const flat = (sql: string) => sql.replace(/\s+/g, " ").trim();

Deno.test("SQL Server replica tables: nvarchar keys, bigint milliseconds", async () => {
  const { db, queries } = recordingSqlServer();
  await replicasSchema("sqlserver").up(db as Kysely<unknown>);
  assert.deepEqual(queries.map((q) => flat(q.sql)), [
    'create table "argus_replicas" ("replica_id" nvarchar(36) not null primary key, ' +
    '"name" nvarchar(256) not null, "pid" int not null, "version" nvarchar(64) not null, ' +
    '"started_at_ms" bigint not null, "heartbeat_at_ms" bigint not null, ' +
    '"queue_rows" bigint not null, "dlq_files" bigint not null, "holds_maintenance" int not null)',
    'create table "argus_leases" ("name" nvarchar(64) not null primary key, ' +
    '"holder" nvarchar(36) not null, "expires_at_ms" bigint not null)',
  ]);
});

const SQLSERVER_NOW = "datediff_big(millisecond, '1970-01-01', sysutcdatetime())";

Deno.test("SQL Server takes the lease in one conditional UPDATE by the database's clock", async () => {
  // The first UPDATE finds no row, the select none either: the row is inserted, then taken.
  let updates = 0;
  const { db, queries } = recordingSqlServer(
    (sql) => sql.startsWith("update") ? (updates++ === 0 ? 0 : 1) : undefined,
  );
  const lease = new Lease(db, "sqlserver", { name: MAINTENANCE_LEASE, holder: "a", ttlMs: 30_000 });
  assert.equal(await lease.tryAcquire(), true);
  const statements = queries.map((q) => ({ sql: flat(q.sql), parameters: q.parameters }));
  const update = {
    sql: `update "argus_leases" set "holder" = @1, "expires_at_ms" = ${SQLSERVER_NOW} + @2 ` +
      `where "name" = @3 and ("holder" = @4 or "expires_at_ms" < ${SQLSERVER_NOW})`,
    parameters: ["a", 30_000, "maintenance", "a"],
  };
  assert.deepEqual(statements, [
    update,
    { sql: 'select "name" from "argus_leases" where "name" = @1', parameters: ["maintenance"] },
    {
      sql: 'insert into "argus_leases" ("name", "holder", "expires_at_ms") values (@1, @2, @3)',
      parameters: ["maintenance", "a", 0],
    },
    update,
  ]);
  queries.length = 0;
  await lease.stop();
  assert.deepEqual(queries.map((q) => ({ sql: flat(q.sql), parameters: q.parameters })), [
    {
      sql: 'delete from "argus_leases" where "name" = @1 and "holder" = @2',
      parameters: ["maintenance", "a"],
    },
  ]);
});

Deno.test("SQL Server heartbeat: an UPDATE of its row, else an INSERT; old rows deleted; alive ones read", async () => {
  const { db, queries } = recordingSqlServer(() => undefined);
  const heartbeat = new Heartbeat(db, "sqlserver", {
    self: identity("a", 1_765_000_000_000),
    everyMs: 10_000,
    figures: () => ({ queueRows: 7, dlqFiles: 2 }),
    holdsMaintenance: () => true,
  });
  await heartbeat.beat();
  assert.deepEqual(queries.map((q) => ({ sql: flat(q.sql), parameters: q.parameters })), [
    {
      sql: `update "argus_replicas" set "heartbeat_at_ms" = ${SQLSERVER_NOW}, "queue_rows" = @1, ` +
        `"dlq_files" = @2, "holds_maintenance" = @3 where "replica_id" = @4`,
      parameters: [7, 2, 1, "a"],
    },
    {
      sql: 'insert into "argus_replicas" ("replica_id", "name", "pid", "version", ' +
        '"started_at_ms", "heartbeat_at_ms", "queue_rows", "dlq_files", "holds_maintenance") ' +
        `values (@1, @2, @3, @4, @5, ${SQLSERVER_NOW}, @6, @7, @8)`,
      parameters: ["a", "argus-a", 1001, "0.1.0", 1_765_000_000_000, 7, 2, 1],
    },
    {
      sql: `delete from "argus_replicas" where "heartbeat_at_ms" < ${SQLSERVER_NOW} - @1`,
      parameters: [3_600_000],
    },
    {
      sql: `select * from "argus_replicas" where "heartbeat_at_ms" >= ${SQLSERVER_NOW} - @1`,
      parameters: [30_000],
    },
  ]);
  await heartbeat.stop({ remove: false });
});
