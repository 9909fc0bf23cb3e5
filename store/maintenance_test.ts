/**
 * Purge and vacuum (store/maintenance.ts) on every selected database, with data written through
 * the store; the admin route handlers (routes/admin.ts) over them; and SQL Server's statements as
 * generated SQL.
 */
import assert from "node:assert/strict";
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  MssqlAdapter,
  MssqlIntrospector,
  MssqlQueryCompiler,
  type QueryResult,
} from "kysely";
import { createStore, type Store } from "../store/mod.ts";
import type { LogRow, ResourceRow, SpanRow } from "../store/mod.ts";
import type { Database } from "../store/columns.ts";
import { DatabaseSync } from "node:sqlite";
import { openDatabase, sqlitePath, SQLSERVER } from "../store/dialects.ts";
import {
  ARGUS_TABLES,
  Maintenance,
  SQLITE_VACUUM_REFUSED,
  type StoreMaintenance,
} from "../store/maintenance.ts";
import { purge as purgeRoute, vacuum as vacuumRoute } from "../routes/admin.ts";
import { BadRequestError } from "../routes/http_error.ts";
import {
  BASE_TIME_NS,
  buildBatch,
  buildCallChain,
  buildLog,
  buildResource,
  random,
  SERVICES,
} from "./builders.ts";
import { freshDatabase, selectedDrivers, type TestableDriver } from "./databases.ts";

const NS_PER_MS = 1_000_000n;
const MINUTE_NS = 60_000n * NS_PER_MS;
const DAY_NS = 1440n * MINUTE_NS;
/** Old data is in the 12 minutes from BASE_TIME_NS, new data a day later; the cutoff between. */
const CUTOFF_NS = BASE_TIME_NS + 720n * MINUTE_NS;
const CUTOFF_MINUTE = Number(CUTOFF_NS / MINUTE_NS);
const ALL_TIME = { startNs: 0n, endNs: (1n << 63n) - 1n };
const OLD = { startNs: BASE_TIME_NS - 60n * MINUTE_NS, endNs: CUTOFF_NS };
const NEW = { startNs: CUTOFF_NS, endNs: BASE_TIME_NS + 2n * DAY_NS };
const ROLLUP_TABLES = [
  "span_rollups",
  "latency_rollups",
  "edge_rollups",
  "log_rollups",
  "span_rollups_hourly",
  "latency_rollups_hourly",
  "edge_rollups_hourly",
  "log_rollups_hourly",
] as const;

const resources = Object.fromEntries(SERVICES.map((s) => [s, buildResource(s)])) as Record<
  typeof SERVICES[number],
  ResourceRow
>;

/** 12 old call chains a minute apart (60 spans, 24 calls between services), 4 new ones (20). */
function spans(): { old: SpanRow[]; recent: SpanRow[] } {
  const rand = random(11);
  const old = Array.from({ length: 12 }, (_, i) => buildCallChain(resources, i * 60_000, rand));
  const recent = Array.from(
    { length: 4 },
    (_, i) => buildCallChain(resources, 86_400_000 + i * 1000, rand, i === 0),
  );
  return { old: old.flat(), recent: recent.flat() };
}

/** 20 old logs 30 s apart (10 minutes), 9 new ones. */
function logs(): { old: LogRow[]; recent: LogRow[] } {
  const rand = random(12);
  const log = (time: bigint, i: number) =>
    buildLog(resources[SERVICES[i % 3]!], {
      timeUnixNano: time,
      observedTimeUnixNano: time,
      severityNumber: i % 2 === 0 ? 9 : 17,
    }, rand);
  return {
    old: Array.from(
      { length: 20 },
      (_, i) => log(BASE_TIME_NS + BigInt(i) * 30_000n * NS_PER_MS, i),
    ),
    recent: Array.from(
      { length: 9 },
      (_, i) => log(BASE_TIME_NS + DAY_NS + BigInt(i) * NS_PER_MS, i),
    ),
  };
}

interface Context {
  driver: TestableDriver;
  store: Store;
  maintenance: Maintenance;
  db: Kysely<Database>;
}

/**
 * A migrated store on a fresh database holding the old and new spans and logs, and Maintenance
 * over a Kysely connection of its own to the same database.
 */
async function withData(
  driver: TestableDriver,
  fn: (context: Context) => Promise<void>,
  options: { chunkRows?: number; sqliteAutoVacuum?: "incremental" } = {},
) {
  const database = await freshDatabase(driver);
  if (driver === "sqlite" && options.sqliteAutoVacuum) {
    // Set before anything creates the file: SQLite fixes the mode when it writes the header.
    const raw = new DatabaseSync(sqlitePath(database.config.dsn, database.dataDir));
    raw.exec(`pragma auto_vacuum = ${options.sqliteAutoVacuum}; pragma journal_mode = wal`);
    raw.close();
  }
  const store = await createStore(database.config, { dataDir: database.dataDir });
  let db: Kysely<Database> | undefined;
  try {
    await store.migrate();
    const open = openDatabase(database.config, database.dataDir, () => {});
    db = open.db;
    const s = spans(), l = logs();
    const written = await store.write({
      resources: Object.values(resources),
      spans: [...s.old, ...s.recent],
      logs: [...l.old, ...l.recent],
    });
    assert.equal(written.spans.inserted, 80);
    assert.equal(written.logs.inserted, 29);
    const maintenance = new Maintenance(db, open.capabilities, open.sqlite, {
      chunkRows: options.chunkRows ?? 7,
    });
    await fn({ driver, store, maintenance, db });
  } finally {
    await db?.destroy();
    await store.close();
    await database.drop();
  }
}

/** Rows of a rollup table in minutes before the cutoff. */
async function oldRollupRows(db: Kysely<Database>, table: typeof ROLLUP_TABLES[number]) {
  const row = await db.selectFrom(table).where("minute", "<", CUTOFF_MINUTE)
    .select((eb) => eb.fn.countAll<number | string | bigint>().as("n")).executeTakeFirstOrThrow();
  return Number(row.n);
}

const edges = async (store: Store, window: typeof OLD) =>
  (await store.rollups.edges(window)).map((e) => `${e.caller}->${e.callee}:${e.calls}`);

for (const driver of selectedDrivers()) {
  Deno.test(`[${driver}] purge of logs deletes old logs and their log rollups, and no spans`, async () => {
    await withData(driver, async ({ store, maintenance, db }) => {
      assert.ok(await oldRollupRows(db, "log_rollups") > 7, "several chunks of log rollups");
      const result = await maintenance.purge({ olderThanNs: CUTOFF_NS, signal: "logs" });
      assert.deepEqual(result, { deletedLogs: 20, deletedSpans: 0 });

      assert.equal(await store.countLogs(ALL_TIME), 9);
      assert.equal(await store.countLogs(NEW), 9);
      assert.equal(await store.countSpans(ALL_TIME), 80);
      assert.equal(await oldRollupRows(db, "log_rollups"), 0);
      assert.deepEqual(await store.rollups.totals(OLD), {
        spans: 60,
        errorSpans: 0,
        traces: 12,
        logs: 0,
      });
      assert.deepEqual(await store.rollups.totals(NEW), {
        spans: 20,
        errorSpans: 5,
        traces: 4,
        logs: 9,
      });
      assert.equal((await edges(store, OLD)).length, 2);
    });
  });

  Deno.test(`[${driver}] purge of traces deletes old spans and their span, latency and edge rollups`, async () => {
    await withData(driver, async ({ store, maintenance, db }) => {
      for (const table of ["span_rollups", "latency_rollups", "edge_rollups"] as const) {
        assert.ok(await oldRollupRows(db, table) > 7, `several chunks of ${table}`);
      }
      const result = await maintenance.purge({ olderThanNs: CUTOFF_NS, signal: "traces" });
      assert.deepEqual(result, { deletedLogs: 0, deletedSpans: 60 });

      assert.equal(await store.countSpans(ALL_TIME), 20);
      assert.equal(await store.countSpans(NEW), 20);
      assert.equal(await store.countLogs(ALL_TIME), 29);
      for (const table of ["span_rollups", "latency_rollups", "edge_rollups"] as const) {
        assert.equal(await oldRollupRows(db, table), 0, table);
      }
      assert.equal(await oldRollupRows(db, "log_rollups") > 0, true);
      assert.deepEqual(await store.rollups.totals(OLD), {
        spans: 0,
        errorSpans: 0,
        traces: 0,
        logs: 20,
      });
      assert.deepEqual(await store.rollups.latencyBuckets(OLD), []);
      assert.deepEqual(await edges(store, OLD), []);
      assert.deepEqual(await store.rollups.totals(NEW), {
        spans: 20,
        errorSpans: 5,
        traces: 4,
        logs: 9,
      });
      assert.deepEqual(await edges(store, NEW), [
        "order-service->payment-service:4",
        "payment-service->inventory-service:4",
      ]);
      // The new traces read back whole (their resources are kept).
      const [recent] = await store.spans(NEW, { limit: 1, offset: 0 });
      assert.equal((await store.traceSpans(recent!.traceId)).length, 5);
    });
  });

  Deno.test(`[${driver}] purge of all deletes exactly the old rows, and nothing when run again`, async () => {
    await withData(driver, async ({ store, maintenance, db }) => {
      assert.deepEqual(await maintenance.purge({ olderThanNs: CUTOFF_NS, signal: "all" }), {
        deletedLogs: 20,
        deletedSpans: 60,
      });
      for (const table of ROLLUP_TABLES) assert.equal(await oldRollupRows(db, table), 0, table);
      assert.equal(await store.countSpans(ALL_TIME), 20);
      assert.equal(await store.countLogs(ALL_TIME), 9);
      assert.deepEqual(await maintenance.purge({ olderThanNs: CUTOFF_NS, signal: "all" }), {
        deletedLogs: 0,
        deletedSpans: 0,
      });
      assert.deepEqual(await store.rollups.totals(NEW), {
        spans: 20,
        errorSpans: 5,
        traces: 4,
        logs: 9,
      });
    }, { chunkRows: 10_000 });
  });

  Deno.test(`[${driver}] purge stops between chunks when aborted`, async () => {
    await withData(driver, async ({ store, maintenance }) => {
      const abort = new AbortController();
      abort.abort(new Error("stopping"));
      await assert.rejects(
        maintenance.purge({ olderThanNs: CUTOFF_NS, signal: "all", abort: abort.signal }),
        /stopping/,
      );
      assert.equal(await store.countSpans(ALL_TIME), 80);
    });
  });

  Deno.test(`[${driver}] vacuum compacts the tables and reports their sizes`, async () => {
    // SQLite: a database created with incremental auto-vacuum, which Deno lets Argus compact.
    await withData(driver, async ({ store, maintenance }) => {
      await store.write(buildBatch(2000, 2000, 5));
      await maintenance.purge({ olderThanNs: BASE_TIME_NS + DAY_NS, signal: "all" });
      const result = await maintenance.vacuum();
      assert.equal(result.ok, true);
      assert.equal(result.warning, undefined);
      assert.ok(result.durationMs >= 0);
      assert.ok(result.sizeBeforeBytes! > 0, `size before: ${result.sizeBeforeBytes}`);
      assert.ok(result.sizeAfterBytes! > 0, `size after: ${result.sizeAfterBytes}`);
      if (driver === "sqlite") {
        // The pages of 4,000 deleted rows are returned to the file system.
        assert.ok(
          result.sizeAfterBytes! < result.sizeBeforeBytes! / 2,
          `${result.sizeAfterBytes} < ${result.sizeBeforeBytes} / 2`,
        );
      }
      // The data is intact and writable.
      assert.equal(await store.countSpans(ALL_TIME), 20);
      assert.equal((await store.write(buildBatch(10, 10, 6))).spans.inserted, 10);
    }, { sqliteAutoVacuum: "incremental" });
  });

  Deno.test(`[${driver}] the admin handlers purge with a cutoff a whole minute before now minus older_than`, async () => {
    await withData(driver, async ({ store, maintenance }) => {
      // "Now" is 12 h 30 s after the old data: older_than=12h cuts at BASE + 30 s, rounded to BASE
      // + 0, so nothing is old enough; 30m cuts at BASE + 12 h.
      const now = () => Number((BASE_TIME_NS + 720n * MINUTE_NS) / NS_PER_MS) + 30_000 + 1_800_000;
      const deps = { store: { maintenance }, now };
      assert.deepEqual(
        await purgeRoute(new URLSearchParams("older_than=12h30m&signal=all"), deps),
        {
          deleted_logs: 0,
          deleted_spans: 0,
          older_than: "12h30m",
          cutoff_time: "2026-11-26T10:00:00.000000000Z",
        },
      );
      assert.deepEqual(await purgeRoute(new URLSearchParams("older_than=30m"), deps), {
        deleted_logs: 20,
        deleted_spans: 0,
        older_than: "30m",
        cutoff_time: "2026-11-26T22:00:00.000000000Z",
      });
      assert.equal(await store.countSpans(ALL_TIME), 80);
      const traces = await purgeRoute(new URLSearchParams("older_than=30m&signal=traces"), deps);
      assert.equal(traces.deleted_spans, 60);
      const vacuumed = await vacuumRoute(deps);
      assert.equal(vacuumed.ok, true);
      assert.equal(typeof vacuumed.duration_ms, "number");
      assert.ok(vacuumed.size_after_bytes! > 0);
    });
  });
}

if (selectedDrivers().includes("sqlite")) {
  Deno.test("[sqlite] vacuum of a database without incremental auto-vacuum runs VACUUM or says why it cannot", async () => {
    await withData("sqlite", async ({ store, maintenance }) => {
      await store.write(buildBatch(2000, 2000, 5));
      await maintenance.purge({ olderThanNs: BASE_TIME_NS + DAY_NS, signal: "all" });
      const result = await maintenance.vacuum();
      assert.equal(result.ok, true);
      if (result.warning === undefined) {
        // Deno allowed VACUUM: the process holds every permission.
        assert.ok(result.sizeAfterBytes! < result.sizeBeforeBytes! / 2);
      } else {
        assert.equal(result.warning, SQLITE_VACUUM_REFUSED);
        assert.ok(result.sizeAfterBytes! <= result.sizeBeforeBytes!);
      }
      assert.equal((await store.write(buildBatch(10, 10, 6))).spans.inserted, 10);
    });
  });

  Deno.test("[sqlite] vacuum works while the writer thread commits right after it starts", async () => {
    await withData("sqlite", async ({ store, maintenance }) => {
      await store.write(buildBatch(3000, 3000, 7));
      await maintenance.purge({ olderThanNs: BASE_TIME_NS + DAY_NS, signal: "all" });
      // The writes are sent to the writer thread while the vacuum runs on the main connection.
      const [vacuumed, ...written] = await Promise.all([
        maintenance.vacuum(),
        store.write(buildBatch(500, 500, 8)),
        store.write(buildBatch(500, 500, 9)),
      ]);
      assert.equal(vacuumed.ok, true);
      assert.equal(vacuumed.warning, undefined);
      assert.ok(vacuumed.sizeAfterBytes! < vacuumed.sizeBeforeBytes!);
      for (const result of written) {
        assert.equal(result.spans.inserted, 500);
        assert.equal(result.logs.inserted, 500);
      }
      assert.equal(await store.countSpans(ALL_TIME), 20 + 1000);
      assert.equal(await store.countLogs(ALL_TIME), 9 + 1000);
    }, { sqliteAutoVacuum: "incremental" });
  });
}

Deno.test("admin purge refuses older_than and signal values with the parameter, the range and the value", async () => {
  const requests: unknown[] = [];
  const maintenance: StoreMaintenance = {
    purge: (request) => {
      requests.push(request);
      return Promise.resolve({ deletedLogs: 1, deletedSpans: 2 });
    },
    vacuum: () => Promise.resolve({ ok: true, durationMs: 1.5 }),
  };
  const nowMs = Date.UTC(2026, 10, 26, 10, 0, 45);
  const deps = { store: { maintenance }, now: () => nowMs };
  const refused = async (query: string, message: string) => {
    await assert.rejects(purgeRoute(new URLSearchParams(query), deps), (error) => {
      assert.ok(error instanceof BadRequestError);
      assert.equal(error.message, message);
      return true;
    });
  };
  const durations = "a duration such as 500ms, 30s, 5m, 1h30m or 7d, from 1m to 3650d";
  await refused(
    "older_than=abc",
    `Cannot use 'older_than' as it must be ${durations}: current value is "abc"`,
  );
  await refused(
    "older_than=30s",
    `Cannot use 'older_than' as it must be ${durations}: current value is "30s"`,
  );
  await refused(
    "older_than=3651d",
    `Cannot use 'older_than' as it must be ${durations}: current value is "3651d"`,
  );
  await refused(
    "older_than=",
    `Cannot use 'older_than' as it must be ${durations}: current value is ""`,
  );
  await refused(
    "signal=metrics",
    `Cannot use 'signal' as it must be one of logs, traces, all: current value is "metrics"`,
  );
  assert.deepEqual(requests, []);

  // Defaults: 24h of logs; the cutoff is rounded down to a whole minute.
  assert.deepEqual(await purgeRoute(new URLSearchParams(), deps), {
    deleted_logs: 1,
    deleted_spans: 2,
    older_than: "24h",
    cutoff_time: "2026-11-25T10:00:00.000000000Z",
  });
  assert.deepEqual(requests, [{
    olderThanNs: BigInt(Date.UTC(2026, 10, 25, 10, 0, 0)) * NS_PER_MS,
    signal: "logs",
  }]);
  await purgeRoute(new URLSearchParams("older_than=1m&signal=traces"), deps);
  await purgeRoute(new URLSearchParams("older_than=3650d&signal=all"), deps);
  assert.deepEqual(requests.slice(1).map((r) => (r as { signal: string }).signal), [
    "traces",
    "all",
  ]);
  // Sizes are left out when the database does not report them.
  assert.deepEqual(await vacuumRoute(deps), { ok: true, duration_ms: 1.5 });
  maintenance.vacuum = () =>
    Promise.resolve({
      ok: true,
      durationMs: 2,
      sizeBeforeBytes: 10,
      sizeAfterBytes: 8,
      warning: "no",
    });
  assert.deepEqual(await vacuumRoute(deps), {
    ok: true,
    duration_ms: 2,
    size_before_bytes: 10,
    size_after_bytes: 8,
    warning: "no",
  });
});

/** Kysely's real SQL Server adapter and compiler over a driver that records the statements. */
function recordingSqlServer(affected: number[] = []) {
  const queries: CompiledQuery[] = [];
  const connection: DatabaseConnection = {
    executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
      queries.push(query);
      const n = query.sql.startsWith("delete") ? affected.shift() ?? 0 : undefined;
      return Promise.resolve({
        rows: [],
        ...(n === undefined ? {} : { numAffectedRows: BigInt(n) }),
      });
    },
    // deno-lint-ignore require-yield
    async *streamQuery() {
      throw new Error("not recorded");
    },
  };
  const driver: Driver = {
    init: () => Promise.resolve(),
    acquireConnection: () => Promise.resolve(connection),
    beginTransaction: () => Promise.reject(new Error("maintenance uses no transaction")),
    commitTransaction: () => Promise.resolve(),
    rollbackTransaction: () => Promise.resolve(),
    releaseConnection: () => Promise.resolve(),
    destroy: () => Promise.resolve(),
  };
  const db = new Kysely<Database>({
    dialect: {
      createAdapter: () => new MssqlAdapter(),
      createDriver: () => driver,
      createIntrospector: (db) => new MssqlIntrospector(db),
      createQueryCompiler: () => new MssqlQueryCompiler(),
    },
  });
  return { db, queries };
}

Deno.test("SQL Server purges with DELETE TOP (n) chunks until one deletes nothing", async () => {
  // spans: two full chunks and a partial one, then an empty one; logs: one partial chunk.
  // Each rollup table (three per tier for spans, one per tier for logs) deletes nothing.
  const { db, queries } = recordingSqlServer([1000, 1000, 3, 0, 0, 0, 0, 0, 0, 0, 12, 0, 0, 0]);
  const maintenance = new Maintenance(db, SQLSERVER, undefined, { chunkRows: 1000 });
  const result = await maintenance.purge({ olderThanNs: CUTOFF_NS, signal: "all" });
  assert.deepEqual(result, { deletedLogs: 12, deletedSpans: 2003 });
  assert.deepEqual(queries.map((q) => q.sql), [
    ...Array(4).fill('delete top (1000) from "spans" where "start_time_unix_nano" < @1'),
    'delete top (1000) from "span_rollups" where "minute" < @1',
    'delete top (1000) from "latency_rollups" where "minute" < @1',
    'delete top (1000) from "edge_rollups" where "minute" < @1',
    'delete top (1000) from "span_rollups_hourly" where "minute" < @1',
    'delete top (1000) from "latency_rollups_hourly" where "minute" < @1',
    'delete top (1000) from "edge_rollups_hourly" where "minute" < @1',
    ...Array(2).fill('delete top (1000) from "logs" where "time_unix_nano" < @1'),
    'delete top (1000) from "log_rollups" where "minute" < @1',
    'delete top (1000) from "log_rollups_hourly" where "minute" < @1',
  ]);
  // int64 cutoffs are bound as decimal strings (tedious would round a number past 2^53).
  assert.deepEqual(queries[0]!.parameters, [CUTOFF_NS.toString()]);
  assert.deepEqual(queries[4]!.parameters, [CUTOFF_MINUTE]);
});

Deno.test("SQL Server vacuums by rebuilding every index and updating statistics", async () => {
  const { db, queries } = recordingSqlServer();
  const result = await new Maintenance(db, SQLSERVER).vacuum();
  assert.equal(result.ok, true);
  assert.equal(result.sizeBeforeBytes, undefined);
  const statements = queries.map((q) => q.sql.replace(/\s+/g, " "));
  assert.match(
    statements[0]!,
    /^select sum\(used_page_count\) \* 8192 as bytes from sys\.dm_db_partition_stats where object_id in \(object_id\(@1\), object_id\(@2\)/,
  );
  assert.deepEqual(queries[0]!.parameters, [...ARGUS_TABLES]);
  assert.deepEqual(
    statements.slice(1, -1),
    ARGUS_TABLES.flatMap((t) => [`alter index all on "${t}" rebuild`, `update statistics "${t}"`]),
  );
  assert.equal(statements.at(-1), statements[0]);
});

Deno.test("Maintenance refuses a chunk size that is not a positive integer", () => {
  const { db } = recordingSqlServer();
  assert.throws(
    () => new Maintenance(db, SQLSERVER, undefined, { chunkRows: 0 }),
    /Cannot use 'chunkRows' as it must be a positive integer: current value is 0/,
  );
});
