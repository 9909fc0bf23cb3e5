/**
 * Migration 2026-12-13 (metric_points keyed by instrument, time, series and start) over points
 * stored in the old layout, on every selected database: every point of a known series arrives
 * with its series' instrument and its values unchanged, the new key refuses a duplicate and the
 * time index is there; down restores the old layout and up runs again; MySQL resumes a run that
 * stopped part way. SQL Server's statements are compiled without a server.
 */
import assert from "node:assert/strict";
import { type Kysely, Migrator, sql } from "kysely";
import { openDatabase } from "./dialects/mod.ts";
import {
  MIGRATION_LOCK_TABLE,
  MIGRATION_TABLE,
  StaticMigrationProvider,
} from "./migrations/mod.ts";
import { metricPointsByInstrumentSchema } from "./migrations/2026_12_13_metric_points_by_instrument.ts";
import { freshDatabase, selectedDrivers, type TestableDriver } from "../tests/databases.ts";
import { recordingSqlServer } from "../tests/sqlserver_recording.ts";

const THIS_MIGRATION = "2026-12-13_metric_points_by_instrument";
const BEFORE = "2026-12-12_metric_rollups";

const INSTRUMENT_1 = "1".repeat(32);
const INSTRUMENT_2 = "2".repeat(32);
const SERIES_A = "a".repeat(32); // of instrument 1
const SERIES_B = "b".repeat(32); // of instrument 1
const SERIES_C = "c".repeat(32); // of instrument 2
const SERIES_GONE = "d".repeat(32); // no metric_series row

/** Nanoseconds past 2^53, so that a time rounded through a double would show. */
const T0 = 1_765_000_000_123_456_789n;
const T1 = T0 + 60_000_000_001n;
const T2 = T1 + 15_000_000_007n;

interface Point {
  series_key: string;
  time_unix_nano: bigint;
  start_time_unix_nano: bigint;
  flags: number;
  kind: number;
  int_value: bigint | null;
  double_value: number | null;
  count_value: bigint | null;
  sum_value: number | null;
  data: string;
}

const point = (p: Partial<Point> & Pick<Point, "series_key" | "time_unix_nano">): Point => ({
  start_time_unix_nano: 0n,
  flags: 0,
  kind: 0,
  int_value: null,
  double_value: null,
  count_value: null,
  sum_value: null,
  data: "",
  ...p,
});

const POINTS: Point[] = [
  point({ series_key: SERIES_A, time_unix_nano: T1, kind: 1, int_value: 9223372036854775807n }),
  point({ series_key: SERIES_A, time_unix_nano: T2, kind: 1, int_value: -9223372036854775808n }),
  point({ series_key: SERIES_B, time_unix_nano: T1, kind: 2, double_value: 0.1 + 0.2 }),
  // A histogram, and the same series' point at the same time after a reset (another start).
  point({
    series_key: SERIES_C,
    time_unix_nano: T1,
    start_time_unix_nano: T0,
    kind: 3,
    count_value: 7n,
    sum_value: 12.25,
    data: JSON.stringify({ bounds: [1, 5], counts: ["2", "3", "2"], min: 0.5, max: 9 }),
  }),
  point({
    series_key: SERIES_C,
    time_unix_nano: T1,
    start_time_unix_nano: T1 - 1n,
    kind: 3,
    count_value: 0n,
    sum_value: 0,
    data: JSON.stringify({ bounds: [1, 5], counts: ["0", "0", "0"] }),
  }),
  // No recorded value (flags bit 0): every value null.
  point({ series_key: SERIES_C, time_unix_nano: T2, flags: 1 }),
];

const INSTRUMENT_OF: Record<string, string> = {
  [SERIES_A]: INSTRUMENT_1,
  [SERIES_B]: INSTRUMENT_1,
  [SERIES_C]: INSTRUMENT_2,
};

const OLD_COLUMNS = [
  "series_key",
  "time_unix_nano",
  "start_time_unix_nano",
  "flags",
  "kind",
  "int_value",
  "double_value",
  "count_value",
  "sum_value",
  "data",
];
const NEW_COLUMNS = ["instrument_key", ...OLD_COLUMNS];
const NEW_KEY = ["instrument_key", "time_unix_nano", "series_key", "start_time_unix_nano"];
const OLD_KEY = ["series_key", "time_unix_nano", "start_time_unix_nano"];

// deno-lint-ignore no-explicit-any
type AnyDb = Kysely<any>;

function migratorOf(db: AnyDb, driver: TestableDriver): Migrator {
  return new Migrator({
    db,
    provider: new StaticMigrationProvider(driver),
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
}

async function withOldLayout(
  driver: TestableDriver,
  fn: (db: AnyDb, migrator: Migrator, int64: (v: bigint) => bigint | string) => Promise<void>,
): Promise<void> {
  const database = await freshDatabase(driver);
  const open = openDatabase(database.config, database.dataDir, () => {});
  // Rows of the old layout, which the store's Database type no longer describes.
  const db = open.db as AnyDb;
  const capabilities = open.capabilities;
  try {
    const migrator = migratorOf(db, driver);
    assert.equal((await migrator.migrateTo(BEFORE)).error, undefined);
    const int64 = capabilities.int64;
    const instrument = (key: string, name: string) => ({
      key,
      resource_id: "r".repeat(32),
      service_name: "checkout",
      scope_name: "scope",
      scope_version: "",
      scope_attributes: "[]",
      name,
      description: "",
      unit: "ms",
      type: "histogram",
      temporality: "cumulative",
      monotonic: 0,
      first_seen_unix_nano: int64(T0),
      last_seen_unix_nano: int64(T2),
    });
    await db.insertInto("metric_instruments")
      .values([instrument(INSTRUMENT_1, "queue.size"), instrument(INSTRUMENT_2, "latency")])
      .execute();
    await db.insertInto("metric_series").values(
      Object.entries(INSTRUMENT_OF).map(([series, instrument]) => ({
        series_key: series,
        instrument_key: instrument,
        attributes: JSON.stringify([{ key: "queue", value: series.slice(0, 1) }]),
        dropped_attributes_count: 0,
        first_seen_unix_nano: int64(T0),
        last_seen_unix_nano: int64(T2),
      })),
    ).execute();
    const gone = point({ series_key: SERIES_GONE, time_unix_nano: T1, kind: 1, int_value: 5n });
    await db.insertInto("metric_points").values([...POINTS, gone].map((p) => bound(p, int64)))
      .execute();
    await fn(db, migrator, int64);
  } finally {
    await db.destroy();
    await database.drop();
  }
}

function bound(p: Point, int64: (v: bigint) => bigint | string): Record<string, unknown> {
  const n = (v: bigint | null) => v === null ? null : int64(v);
  return {
    ...p,
    time_unix_nano: int64(p.time_unix_nano),
    start_time_unix_nano: int64(p.start_time_unix_nano),
    int_value: n(p.int_value),
    count_value: n(p.count_value),
  };
}

/** A stored row as plain values: int64s as decimal strings (drivers differ), doubles as numbers. */
function plain(row: Record<string, unknown>): Record<string, unknown> {
  const int64 = (v: unknown) => v === null ? null : String(v);
  const double = (v: unknown) => v === null ? null : Number(v);
  return {
    ...row,
    time_unix_nano: int64(row.time_unix_nano),
    start_time_unix_nano: int64(row.start_time_unix_nano),
    flags: Number(row.flags),
    kind: Number(row.kind),
    int_value: int64(row.int_value),
    double_value: double(row.double_value),
    count_value: int64(row.count_value),
    sum_value: double(row.sum_value),
  };
}

function expected(withInstrument: boolean): Record<string, unknown>[] {
  return POINTS.map((p) => ({
    ...(withInstrument ? { instrument_key: INSTRUMENT_OF[p.series_key] } : {}),
    ...plain(p as unknown as Record<string, unknown>),
  }));
}

async function storedPoints(db: AnyDb, columns: string[]): Promise<Record<string, unknown>[]> {
  const rows = await db.selectFrom("metric_points").select(columns)
    .orderBy("series_key").orderBy("time_unix_nano").orderBy("start_time_unix_nano").execute();
  return rows.map(plain);
}

/** The columns of metric_points in table order, each with whether it admits null. */
async function columnsOf(db: AnyDb): Promise<[string, boolean][]> {
  const tables = await db.introspection.getTables();
  const table = tables.find((t) => t.name === "metric_points");
  assert.ok(table, "metric_points exists");
  return table.columns.map((c) => [c.name, c.isNullable]);
}

/** The key columns of metric_points' primary key and of its other indexes, in key order. */
async function indexesOf(
  db: AnyDb,
  driver: TestableDriver,
): Promise<{ primaryKey: string[]; pkName?: string; indexes: Record<string, string[]> }> {
  const indexes: Record<string, string[]> = {};
  switch (driver) {
    case "sqlite": {
      const list = await sql<{ name: string; origin: string }>`
        select name, origin from pragma_index_list('metric_points')`.execute(db);
      let primaryKey: string[] = [];
      for (const { name, origin } of list.rows) {
        const info = await sql<{ name: string }>`
          select name from pragma_index_info(${name}) order by seqno`.execute(db);
        const columns = info.rows.map((r) => r.name);
        if (origin === "pk") primaryKey = columns;
        else indexes[name] = columns;
      }
      return { primaryKey, indexes };
    }
    case "postgres": {
      const list = await sql<{ name: string; primary: boolean; columns: string[] }>`
        select i.relname as name, x.indisprimary as primary,
          array(select a.attname::text from unnest(x.indkey::int2[]) with ordinality as k(attnum, n)
            join pg_attribute a on a.attrelid = x.indrelid and a.attnum = k.attnum
            order by k.n) as columns
        from pg_index x join pg_class i on i.oid = x.indexrelid
        where x.indrelid = 'metric_points'::regclass`.execute(db);
      const pk = list.rows.find((r) => r.primary);
      for (const r of list.rows) if (!r.primary) indexes[r.name] = r.columns;
      return { primaryKey: pk?.columns ?? [], pkName: pk?.name, indexes };
    }
    case "mysql": {
      const list = await sql<{ name: string; column_name: string }>`
        select index_name as name, column_name as column_name from information_schema.statistics
        where table_schema = database() and table_name = 'metric_points'
        order by index_name, seq_in_index`.execute(db);
      for (const r of list.rows) (indexes[r.name] ??= []).push(r.column_name);
      const { PRIMARY: primaryKey = [], ...others } = indexes;
      return { primaryKey, indexes: others };
    }
  }
}

async function assertNewLayout(db: AnyDb, driver: TestableDriver): Promise<void> {
  assert.deepEqual(
    await columnsOf(db),
    NEW_COLUMNS.map((
      c,
    ) => [c, ["int_value", "double_value", "count_value", "sum_value"].includes(c)]),
  );
  assert.deepEqual(await storedPoints(db, NEW_COLUMNS), expected(true));
  const { primaryKey, pkName, indexes } = await indexesOf(db, driver);
  assert.deepEqual(primaryKey, NEW_KEY);
  if (driver === "postgres") assert.equal(pkName, "metric_points_by_instrument_pk");
  assert.deepEqual(indexes, { metric_points_time: ["time_unix_nano"] });
}

async function assertOldLayout(db: AnyDb, driver: TestableDriver): Promise<void> {
  assert.deepEqual(
    (await columnsOf(db)).map(([name]) => name),
    OLD_COLUMNS,
  );
  assert.deepEqual(await storedPoints(db, OLD_COLUMNS), expected(false));
  const { primaryKey, pkName, indexes } = await indexesOf(db, driver);
  assert.deepEqual(primaryKey, OLD_KEY);
  if (driver === "postgres") assert.equal(pkName, "metric_points_pk");
  assert.deepEqual(indexes, { metric_points_time: ["time_unix_nano"] });
}

for (const driver of selectedDrivers()) {
  Deno.test(`[${driver}] 2026-12-13 re-keys every point of a known series by its instrument`, async () => {
    await withOldLayout(driver, async (db, migrator, int64) => {
      const { error, results } = await migrator.migrateTo(THIS_MIGRATION);
      assert.equal(error, undefined);
      assert.ok(results?.some((r) => r.migrationName === THIS_MIGRATION));
      // The point of SERIES_GONE is not copied: no read could find it.
      await assertNewLayout(db, driver);

      // The new key: (instrument, time, series, start) once; another start is another point.
      const again = {
        instrument_key: INSTRUMENT_1,
        ...bound(POINTS[0]!, int64),
        int_value: int64(1n),
      };
      await assert.rejects(db.insertInto("metric_points").values(again).execute());
      await db.insertInto("metric_points")
        .values({ ...again, start_time_unix_nano: int64(T0) }).execute();
      const starts = await db.selectFrom("metric_points").select("start_time_unix_nano")
        .where("series_key", "=", SERIES_A).where("time_unix_nano", "=", int64(T1))
        .orderBy("start_time_unix_nano").execute();
      assert.deepEqual(starts.map((r) => String(r.start_time_unix_nano)), ["0", String(T0)]);
      await db.deleteFrom("metric_points").where("start_time_unix_nano", "=", int64(T0))
        .where("series_key", "=", SERIES_A).execute();

      // Down: the old layout and key, every point kept; then up again (constraint names free).
      assert.equal((await migrator.migrateDown()).error, undefined);
      await assertOldLayout(db, driver);
      assert.equal((await migrator.migrateTo(THIS_MIGRATION)).error, undefined);
      await assertNewLayout(db, driver);
    });
  });
}

if (selectedDrivers().includes("mysql")) {
  Deno.test("[mysql] 2026-12-13 resumes a run stopped during the copy (DDL is not transactional)", async () => {
    await withOldLayout("mysql", async (db, migrator) => {
      // A half-copied table beside the intact old one: dropped and copied again.
      await sql`create table metric_points_by_instrument (instrument_key varchar(32) not null)`
        .execute(db);
      await sql`insert into metric_points_by_instrument values (${INSTRUMENT_1})`.execute(db);
      assert.equal((await migrator.migrateTo(THIS_MIGRATION)).error, undefined);
      await assertNewLayout(db, "mysql");
    });
  });

  Deno.test("[mysql] 2026-12-13 resumes a run stopped after dropping the old table", async () => {
    await withOldLayout("mysql", async (db, migrator) => {
      assert.equal((await migrator.migrateTo(THIS_MIGRATION)).error, undefined);
      // As the run left it before the rename: the copy complete, metric_points gone, unrecorded.
      await sql`drop index metric_points_time on metric_points`.execute(db);
      await sql`rename table metric_points to metric_points_by_instrument`.execute(db);
      await db.deleteFrom(MIGRATION_TABLE).where("name", "=", THIS_MIGRATION).execute();
      assert.equal((await migrator.migrateTo(THIS_MIGRATION)).error, undefined);
      await assertNewLayout(db, "mysql");
    });
  });
}

const flat = (text: string) => text.replace(/\s+/g, " ").trim();

Deno.test("SQL Server re-keys metric_points: nvarchar instrument first, copy by join, sp_rename", async () => {
  const points = OLD_COLUMNS.map((c) => `"p"."${c}"`).join(", ");
  const quoted = (columns: string[]) => columns.map((c) => `"${c}"`).join(", ");
  // Two instruments: one copy statement each.
  const { db, queries } = recordingSqlServer(
    undefined,
    (sql) =>
      sql.startsWith("select distinct") ? [{ instrument_key: "i1" }, { instrument_key: "i2" }] : [],
  );
  await metricPointsByInstrumentSchema("sqlserver").up(db as Kysely<unknown>);
  const copy = `insert into "metric_points_by_instrument" (${quoted(NEW_COLUMNS)}) ` +
    `select "s"."instrument_key", ${points} from "metric_series" as "s" ` +
    'join "metric_points" as "p" on "p"."series_key" = "s"."series_key" ' +
    'where "s"."instrument_key" = @1 ' +
    'order by "s"."instrument_key", "p"."time_unix_nano", "p"."series_key", ' +
    '"p"."start_time_unix_nano"';
  assert.deepEqual(queries.map((q) => flat(q.sql)), [
    'create table "metric_points_by_instrument" (' +
    '"instrument_key" nvarchar(32) not null, "series_key" nvarchar(32) not null, ' +
    '"time_unix_nano" bigint not null, "start_time_unix_nano" bigint not null, ' +
    '"flags" int not null, "kind" int not null, "int_value" bigint, "double_value" float, ' +
    '"count_value" bigint, "sum_value" float, "data" nvarchar(max) not null, ' +
    `constraint "metric_points_by_instrument_pk" primary key (${quoted(NEW_KEY)}))`,
    'select distinct "instrument_key" from "metric_series" order by "instrument_key"',
    copy,
    copy,
    'drop table "metric_points"',
    "exec sp_rename 'metric_points_by_instrument', 'metric_points'",
    'create index "metric_points_time" on "metric_points" ("time_unix_nano")',
  ]);
});

Deno.test("SQL Server's down restores the (series, time, start) key named metric_points_pk", async () => {
  const { db, queries } = recordingSqlServer();
  await metricPointsByInstrumentSchema("sqlserver").down!(db as Kysely<unknown>);
  const ddl = queries.map((q) => flat(q.sql));
  assert.equal(ddl.length, 5);
  assert.match(
    ddl[0]!,
    /^create table "metric_points_by_series" \("series_key" nvarchar\(32\) not null, .*"data" nvarchar\(max\) not null, constraint "metric_points_pk" primary key \("series_key", "time_unix_nano", "start_time_unix_nano"\)\)$/,
  );
  assert.doesNotMatch(ddl[0]!, /instrument_key/);
  assert.equal(
    ddl[1],
    `insert into "metric_points_by_series" (${OLD_COLUMNS.map((c) => `"${c}"`).join(", ")}) ` +
      `select ${OLD_COLUMNS.map((c) => `"p"."${c}"`).join(", ")} from "metric_points" as "p" ` +
      'order by "p"."series_key", "p"."time_unix_nano", "p"."start_time_unix_nano"',
  );
  assert.deepEqual(ddl.slice(2), [
    'drop table "metric_points"',
    "exec sp_rename 'metric_points_by_series', 'metric_points'",
    'create index "metric_points_time" on "metric_points" ("time_unix_nano")',
  ]);
});
