/**
 * Metrics (issue 16): `metric_instruments` (what a metric is: resource, scope, name, type, unit,
 * temporality), `metric_series` (an instrument plus one set of point attributes) and
 * `metric_points` (one row per data point, values compact), with `metric_exemplars` beside the
 * points. Written by store/metric_writes.ts, read by store/metric_reads.ts.
 *
 * - Keys are the ingest's hashes (32 hex characters): an instrument's, a series'; a point is
 *   identified by its series, time and start (what its point key hashes), so a retried or replayed
 *   point meets its stored row. Points are keyed (series_key, time_unix_nano,
 *   start_time_unix_nano) so that a chart's read of one series over a window is one key range
 *   (SQLite: WITHOUT ROWID, the key is the table; MySQL and SQL Server cluster by it), with an
 *   index on time for the retention purge. Exemplars are keyed by their point and their position
 *   in it.
 * - Values: `kind` (0 no recorded value, 1 int, 2 double, 3 histogram, 4 exponential histogram, 5
 *   summary); int64 values exact in `int_value`; finite doubles in `double_value`; a
 *   distribution's count and sum in `count_value` and `sum_value`; the rest (bounds, bucket
 *   counts, quantiles, a non-finite gauge value) as JSON text in `data`.
 * - Index key widths: service (256) + metric name (256) stays under MySQL's 3,072-byte and SQL
 *   Server's 1,700-byte index key limits.
 *
 * Frozen in time: the widths are repeated here.
 */
import { type Kysely, type Migration, sql } from "kysely";

type Driver = "sqlite" | "postgres" | "mysql" | "sqlserver";

export const TYPES: Record<
  Driver,
  { text(width: number): string; int32: string; int64: string; double: string; longText: string }
> = {
  sqlite: {
    text: () => "text",
    int32: "integer",
    int64: "integer",
    double: "real",
    longText: "text",
  },
  postgres: {
    text: (n) => `varchar(${n})`,
    int32: "integer",
    int64: "bigint",
    double: "double precision",
    longText: "text",
  },
  mysql: {
    text: (n) => `varchar(${n})`,
    int32: "int",
    int64: "bigint",
    double: "double",
    longText: "mediumtext",
  },
  sqlserver: {
    text: (n) => `nvarchar(${n})`,
    int32: "int",
    int64: "bigint",
    double: "float",
    longText: "nvarchar(max)",
  },
};

const INDEXES: [name: string, table: string, columns: string[]][] = [
  ["metric_instruments_service_name", "metric_instruments", ["service_name", "name"]],
  ["metric_series_instrument", "metric_series", ["instrument_key"]],
  ["metric_series_last_seen", "metric_series", ["last_seen_unix_nano"]],
  ["metric_points_time", "metric_points", ["time_unix_nano"]],
  ["metric_exemplars_point_time", "metric_exemplars", ["point_time_unix_nano"]],
];

export function metricsSchema(driver: Driver): Migration {
  const t = TYPES[driver];
  const type = (name: string) => sql.raw(name);
  return {
    async up(db: Kysely<unknown>) {
      const table = (name: string) => {
        const create = db.schema.createTable(name);
        return driver === "sqlserver" ? create : create.ifNotExists();
      };
      const options = driver === "mysql"
        ? sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`
        : sql``;
      const keyed = driver === "sqlite" ? sql`without rowid` : options;
      await table("metric_instruments")
        .addColumn("key", type(t.text(32)), (c) => c.notNull().primaryKey())
        .addColumn("resource_id", type(t.text(32)), (c) => c.notNull())
        .addColumn("service_name", type(t.text(256)), (c) => c.notNull())
        .addColumn("scope_name", type(t.text(1024)), (c) => c.notNull())
        .addColumn("scope_version", type(t.text(256)), (c) => c.notNull())
        .addColumn("scope_attributes", type(t.longText), (c) => c.notNull())
        .addColumn("name", type(t.text(256)), (c) => c.notNull())
        .addColumn("description", type(t.longText), (c) => c.notNull())
        .addColumn("unit", type(t.text(256)), (c) => c.notNull())
        .addColumn("type", type(t.text(32)), (c) => c.notNull())
        .addColumn("temporality", type(t.text(16)), (c) => c.notNull())
        .addColumn("monotonic", type(t.int32), (c) => c.notNull())
        .addColumn("first_seen_unix_nano", type(t.int64), (c) => c.notNull())
        .addColumn("last_seen_unix_nano", type(t.int64), (c) => c.notNull())
        .modifyEnd(options)
        .execute();
      await table("metric_series")
        .addColumn("series_key", type(t.text(32)), (c) => c.notNull().primaryKey())
        .addColumn("instrument_key", type(t.text(32)), (c) => c.notNull())
        .addColumn("attributes", type(t.longText), (c) => c.notNull())
        .addColumn("dropped_attributes_count", type(t.int32), (c) => c.notNull())
        .addColumn("first_seen_unix_nano", type(t.int64), (c) => c.notNull())
        .addColumn("last_seen_unix_nano", type(t.int64), (c) => c.notNull())
        .modifyEnd(options)
        .execute();
      await table("metric_points")
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
        .addPrimaryKeyConstraint(
          "metric_points_pk",
          ["series_key", "time_unix_nano", "start_time_unix_nano"] as never[],
        )
        .modifyEnd(keyed)
        .execute();
      await table("metric_exemplars")
        .addColumn("series_key", type(t.text(32)), (c) => c.notNull())
        .addColumn("point_time_unix_nano", type(t.int64), (c) => c.notNull())
        .addColumn("point_start_unix_nano", type(t.int64), (c) => c.notNull())
        .addColumn("ordinal", type(t.int32), (c) => c.notNull())
        .addColumn("time_unix_nano", type(t.int64), (c) => c.notNull())
        .addColumn("value_kind", type(t.int32), (c) => c.notNull())
        .addColumn("value", type(t.text(64)), (c) => c.notNull())
        .addColumn("trace_id", type(t.text(32)), (c) => c.notNull())
        .addColumn("span_id", type(t.text(16)), (c) => c.notNull())
        .addColumn("filtered_attributes", type(t.longText), (c) => c.notNull())
        .addColumn("dropped_attributes_count", type(t.int32), (c) => c.notNull())
        .addPrimaryKeyConstraint(
          "metric_exemplars_pk",
          ["series_key", "point_time_unix_nano", "point_start_unix_nano", "ordinal"] as never[],
        )
        .modifyEnd(keyed)
        .execute();
      for (const [name, on, columns] of INDEXES) {
        let create = db.schema.createIndex(name).on(on).columns(columns);
        // MySQL 8 and SQL Server have no CREATE INDEX IF NOT EXISTS (see the initial schema).
        if (driver === "sqlite" || driver === "postgres") create = create.ifNotExists();
        await create.execute();
      }
    },
    async down(db: Kysely<unknown>) {
      for (const name of ["metric_exemplars", "metric_points", "metric_series"]) {
        await db.schema.dropTable(name).ifExists().execute();
      }
      await db.schema.dropTable("metric_instruments").ifExists().execute();
    },
  };
}
