/**
 * Purge and vacuum (maintenance.ts) on every selected database, with data written through the
 * store, and SQL Server's statements as generated SQL. The admin route handlers over them are
 * tested in routes/admin_test.ts.
 */
import assert from "node:assert/strict";
import { Kysely } from "kysely";
import { createStore, type Store } from "./mod.ts";
import type { Database } from "./columns.ts";
import { DatabaseSync } from "node:sqlite";
import { openDatabase, SQLITE_VACUUM_REFUSED, sqlitePath, SQLSERVER } from "./dialects/mod.ts";
import { ARGUS_TABLES, Maintenance } from "./maintenance.ts";
import { BASE_TIME_NS, buildBatch, oldAndRecent } from "../tests/builders.ts";
import { freshDatabase, selectedDrivers, type TestableDriver } from "../tests/databases.ts";
import { type AffectedRows, recordingSqlServer } from "../tests/sqlserver_recording.ts";

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
    const { resources, spans: s, logs: l } = oldAndRecent();
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
        failedTraces: 0,
        logs: 0,
      });
      assert.deepEqual(await store.rollups.totals(NEW), {
        spans: 20,
        errorSpans: 5,
        traces: 4,
        failedTraces: 1,
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
        failedTraces: 0,
        logs: 20,
      });
      assert.deepEqual(await store.rollups.latencyBuckets(OLD), []);
      assert.deepEqual(await edges(store, OLD), []);
      assert.deepEqual(await store.rollups.totals(NEW), {
        spans: 20,
        errorSpans: 5,
        traces: 4,
        failedTraces: 1,
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
        deletedMetricPoints: 0,
      });
      for (const table of ROLLUP_TABLES) assert.equal(await oldRollupRows(db, table), 0, table);
      assert.equal(await store.countSpans(ALL_TIME), 20);
      assert.equal(await store.countLogs(ALL_TIME), 9);
      assert.deepEqual(await maintenance.purge({ olderThanNs: CUTOFF_NS, signal: "all" }), {
        deletedLogs: 0,
        deletedSpans: 0,
        deletedMetricPoints: 0,
      });
      assert.deepEqual(await store.rollups.totals(NEW), {
        spans: 20,
        errorSpans: 5,
        traces: 4,
        failedTraces: 1,
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

/** Each DELETE answers the next count (0 once they run out); nothing else counts rows. */
function deletes(affected: number[]): AffectedRows {
  return (sql) => sql.startsWith("delete") ? affected.shift() ?? 0 : undefined;
}

Deno.test("SQL Server purges with DELETE TOP (n) chunks until one deletes nothing", async () => {
  // spans: two full chunks and a partial one, then an empty one; logs: one partial chunk.
  // Each rollup table (four per tier for spans, one per tier for logs) deletes nothing.
  const { db, queries } = recordingSqlServer(
    deletes([1000, 1000, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 0, 0, 0, 0]),
  );
  const maintenance = new Maintenance(db, SQLSERVER, undefined, { chunkRows: 1000 });
  const result = await maintenance.purge({ olderThanNs: CUTOFF_NS, signal: "all" });
  assert.deepEqual(result, { deletedLogs: 12, deletedSpans: 2003, deletedMetricPoints: 0 });
  assert.deepEqual(queries.map((q) => q.sql), [
    ...Array(4).fill('delete top (1000) from "spans" where "start_time_unix_nano" < @1'),
    // The attribute index's buckets before the cutoff's after their rows, once searches scan
    // what is before the first bucket kept (attribute_index.ts).
    'update "attribute_index_state" set "indexed_from_ns" = @1 where "signal_name" = @2 and ' +
    '"indexed_from_ns" < @3',
    'delete top (1000) from "span_attributes" where "bucket" < @1',
    // The summaries of traces that started before the cutoff (none here) are looked for.
    'select "trace_id" from "trace_summaries" where "start_time_unix_nano" < @1 order by ' +
    '"start_time_unix_nano", "trace_id" offset @2 rows fetch next @3 rows only',
    'delete top (1000) from "span_rollups" where "minute" < @1',
    'delete top (1000) from "latency_rollups" where "minute" < @1',
    'delete top (1000) from "edge_rollups" where "minute" < @1',
    'delete top (1000) from "span_rollups_hourly" where "minute" < @1',
    'delete top (1000) from "latency_rollups_hourly" where "minute" < @1',
    'delete top (1000) from "edge_rollups_hourly" where "minute" < @1',
    'delete top (1000) from "operation_latency_rollups" where "minute" < @1',
    'delete top (1000) from "operation_latency_rollups_hourly" where "minute" < @1',
    ...Array(2).fill('delete top (1000) from "logs" where "time_unix_nano" < @1'),
    'update "attribute_index_state" set "indexed_from_ns" = @1 where "signal_name" = @2 and ' +
    '"indexed_from_ns" < @3',
    'delete top (1000) from "log_attributes" where "bucket" < @1',
    'delete top (1000) from "log_rollups" where "minute" < @1',
    'delete top (1000) from "log_rollups_hourly" where "minute" < @1',
    // Metrics (metric_retention.ts): points and exemplars by time, then the series and
    // instruments last seen a whole minute before the cutoff.
    'delete top (1000) from "metric_points" where "time_unix_nano" < @1',
    'delete top (1000) from "metric_exemplars" where "point_time_unix_nano" < @1',
    'delete top (1000) from "metric_rollup_points" where "time_unix_nano" < @1',
    'delete top (1000) from "metric_rollup_marks" where "bucket_unix_nano" < @1',
    'delete top (1000) from "metric_series" where "last_seen_unix_nano" < @1',
    'delete top (1000) from "metric_instruments" where "last_seen_unix_nano" < @1',
  ]);
  assert.deepEqual(queries.at(-1)!.parameters, [(CUTOFF_NS - 60_000_000_000n + 1n).toString()]);
  // int64 cutoffs are bound as decimal strings (tedious would round a number past 2^53).
  assert.deepEqual(queries[0]!.parameters, [CUTOFF_NS.toString()]);
  assert.deepEqual(queries[7]!.parameters, [CUTOFF_MINUTE]);
  // The index is cut on 10-minute buckets, numbers.
  assert.deepEqual(queries[5]!.parameters, [Number(CUTOFF_NS / 600_000_000_000n)]);
});

Deno.test("SQL Server vacuums by rebuilding every index and updating statistics", async () => {
  const { db, queries } = recordingSqlServer(deletes([]));
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
  const { db } = recordingSqlServer(deletes([]));
  assert.throws(
    () => new Maintenance(db, SQLSERVER, undefined, { chunkRows: 0 }),
    /Cannot use 'chunkRows' as it must be a positive integer: current value is 0/,
  );
});
