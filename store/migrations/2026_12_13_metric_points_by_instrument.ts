/**
 * Metric points keyed by instrument (issue 16): `metric_points` was keyed (series_key,
 * time_unix_nano, start_time_unix_nano), so a commit of 1,000 points of 500 series dirtied about
 * 500 B-tree pages; keyed (instrument_key, time_unix_nano, series_key, start_time_unix_nano) the
 * same commit lands in one page range per instrument (each instrument's newest), and a raw insert
 * measured 2.2 times faster. The row gains `instrument_key`, its series' instrument, as its first
 * column; the index on time (the retention purge) stays.
 *
 * - Up builds `metric_points_by_instrument` beside the old table (SQLite: WITHOUT ROWID; MySQL and
 *   SQL Server cluster by the key), copies every point joined to its series for the instrument,
 *   drops the old table (and with it its index), renames the new one to `metric_points` and
 *   indexes time again. A point whose `metric_series` row is gone is not copied: the reads find
 *   points through their series' instrument (store/metric_points_of.ts), so no query could read it
 *   after the change.
 * - Down is the reverse: `metric_points_by_series` in the old shape and key, every point copied
 *   (dropping `instrument_key`), renamed to `metric_points`, time indexed again.
 * - Constraint names: the new key is `metric_points_by_instrument_pk` and keeps that name after
 *   the rename, since PostgreSQL and SQL Server name constraints per schema and the old table's
 *   `metric_points_pk` still exists while both tables do; down builds `metric_points_pk` again
 *   once the by-instrument key is the only one. (MySQL calls every primary key PRIMARY; SQLite
 *   does not require the names to be unique.)
 * - SQL Server has no ALTER TABLE … RENAME TO, which Kysely's `renameTo` compiles to there too:
 *   it renames with `sp_rename`.
 * - SQLite, PostgreSQL and SQL Server run the migration in one transaction. MySQL commits each DDL
 *   statement, so a run stopped part way (a restart during a long copy) is resumed by the next:
 *   a half-copied new table beside the old one is dropped and copied again; a fully copied one
 *   whose old table is already dropped is only renamed and indexed.
 * - Every statement runs under the connection's statement timeout (DB_STATEMENT_TIMEOUT) on the
 *   server databases: up copies one instrument's points per statement.
 *
 * Frozen in time: the columns are repeated here (the types come from 2026_12_11_metrics.ts).
 */
import { type Kysely, type Migration, sql } from "kysely";
import { TYPES } from "./2026_12_11_metrics.ts";

type Driver = "sqlite" | "postgres" | "mysql" | "sqlserver";

/** One layout of `metric_points`: the table it is built in before it takes the name, its key. */
interface Layout {
  building: string;
  primaryKey: string;
  key: string[];
  /** Whether the rows start with their series' instrument (copied from metric_series). */
  withInstrument: boolean;
}

const BY_INSTRUMENT: Layout = {
  building: "metric_points_by_instrument",
  primaryKey: "metric_points_by_instrument_pk",
  key: ["instrument_key", "time_unix_nano", "series_key", "start_time_unix_nano"],
  withInstrument: true,
};

const BY_SERIES: Layout = {
  building: "metric_points_by_series",
  primaryKey: "metric_points_pk",
  key: ["series_key", "time_unix_nano", "start_time_unix_nano"],
  withInstrument: false,
};

/** The columns of `metric_points` as 2026_12_11 made them, in their order. */
const POINT_COLUMNS = [
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

export function metricPointsByInstrumentSchema(driver: Driver): Migration {
  return {
    up: (db: Kysely<unknown>) => relayout(db, driver, BY_INSTRUMENT),
    down: (db: Kysely<unknown>) => relayout(db, driver, BY_SERIES),
  };
}

async function relayout(db: Kysely<unknown>, driver: Driver, layout: Layout): Promise<void> {
  if (!await copiedByAnEarlierRun(db, driver, layout)) {
    await createTable(db, driver, layout);
    await copyPoints(db, layout);
    await db.schema.dropTable("metric_points").execute();
  }
  if (driver === "sqlserver") {
    await sql`exec sp_rename ${sql.lit(layout.building)}, ${sql.lit("metric_points")}`
      .execute(db);
  } else {
    await db.schema.alterTable(layout.building).renameTo("metric_points").execute();
  }
  let index = db.schema.createIndex("metric_points_time").on("metric_points")
    .column("time_unix_nano");
  // MySQL 8 and SQL Server have no CREATE INDEX IF NOT EXISTS (see the initial schema).
  if (driver === "sqlite" || driver === "postgres") index = index.ifNotExists();
  await index.execute();
}

/**
 * MySQL only (the other databases roll a stopped run back): true when an earlier run copied the
 * points and dropped the old table, so only the rename and the index remain; a half-copied table
 * of an earlier run, beside the intact old one, is dropped.
 */
async function copiedByAnEarlierRun(
  db: Kysely<unknown>,
  driver: Driver,
  layout: Layout,
): Promise<boolean> {
  if (driver !== "mysql") return false;
  const tables = new Set((await db.introspection.getTables()).map((t) => t.name));
  if (!tables.has(layout.building)) return false;
  if (!tables.has("metric_points")) return true;
  await db.schema.dropTable(layout.building).execute();
  return false;
}

async function createTable(db: Kysely<unknown>, driver: Driver, layout: Layout): Promise<void> {
  const t = TYPES[driver];
  const type = (name: string) => sql.raw(name);
  const options = driver === "mysql"
    ? sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`
    : sql``;
  const keyed = driver === "sqlite" ? sql`without rowid` : options;
  let create = db.schema.createTable(layout.building);
  if (layout.withInstrument) {
    create = create.addColumn("instrument_key", type(t.text(32)), (c) => c.notNull());
  }
  await create
    .addColumn("series_key", type(t.text(32)), (c) => c.notNull())
    .addColumn("time_unix_nano", type(t.int64), (c) => c.notNull())
    .addColumn("start_time_unix_nano", type(t.int64), (c) => c.notNull())
    .addColumn("flags", type(t.int32), (c) => c.notNull())
    .addColumn("kind", type(t.int32), (c) => c.notNull())
    .addColumn("int_value", type(t.int64))
    .addColumn("double_value", type(t.double))
    .addColumn("count_value", type(t.int64))
    .addColumn("sum_value", type(t.double))
    .addColumn("data", type(t.longText), (c) => c.notNull())
    .addPrimaryKeyConstraint(layout.primaryKey, layout.key as never[])
    .modifyEnd(keyed)
    .execute();
}

/**
 * Copies `metric_points` into the layout's table, in the order of its key, so that the clustered
 * tables (SQLite, MySQL, SQL Server) are appended to rather than filled at random. Up copies one
 * instrument per statement (its series by the instrument index, each series a key range of the
 * old table), so that no statement of a large table runs into DB_STATEMENT_TIMEOUT (one statement
 * copied a million points in about 10 s on PostgreSQL and on MariaDB here).
 */
async function copyPoints(db: Kysely<unknown>, layout: Layout): Promise<void> {
  const source = (column: string) =>
    column === "instrument_key" ? sql.ref(`s.${column}`) : sql.ref(`p.${column}`);
  const columns = layout.withInstrument ? ["instrument_key", ...POINT_COLUMNS] : POINT_COLUMNS;
  const target = sql.join(columns.map((c) => sql.ref(c)));
  const order = sql.join(layout.key.map(source));
  if (!layout.withInstrument) {
    await sql`insert into ${sql.table(layout.building)} (${target})
      select ${sql.join(columns.map(source))}
      from ${sql.table("metric_points")} as ${sql.id("p")}
      order by ${order}`.execute(db);
    return;
  }
  const { rows } = await sql<{ instrument_key: string }>`select distinct ${
    sql.ref("instrument_key")
  } from ${sql.table("metric_series")} order by ${sql.ref("instrument_key")}`.execute(db);
  for (const { instrument_key: instrument } of rows) {
    await sql`insert into ${sql.table(layout.building)} (${target})
      select ${sql.join(columns.map(source))}
      from ${sql.table("metric_series")} as ${sql.id("s")}
      join ${sql.table("metric_points")} as ${sql.id("p")}
        on ${sql.ref("p.series_key")} = ${sql.ref("s.series_key")}
      where ${sql.ref("s.instrument_key")} = ${instrument}
      order by ${order}`.execute(db);
  }
}
