/**
 * Metric rollups (issue 16, item 4): `metric_rollup_points`, a series' points rolled up per time
 * bucket of 60, 600 or 3600 seconds (`level_seconds`; buckets aligned to epoch multiples of the
 * level), in the form of `metric_points` plus an aggregate (`agg_count`, `agg_sum`, `agg_min`,
 * `agg_max`, null when the rolled point has none); `metric_rollup_marks`, the 60 s buckets of a
 * series that got a point after their rollups may have been built; `metric_rollup_state`, per
 * level, the time before which every bucket is built. Written by store/metric_rollups.ts (and
 * the marks by the point writers), read by store/metric_reads.ts `chartPoints`.
 *
 * - Rollup points are keyed (series_key, level_seconds, time_unix_nano, start_time_unix_nano):
 *   one series' rollups of one level over a window are one key range (SQLite: WITHOUT ROWID;
 *   MySQL and SQL Server cluster by it), with an index on time for the job's level scans and the
 *   retention purge. Marks are keyed (series_key, bucket_unix_nano), indexed by bucket.
 *
 * Frozen in time: the types are repeated here.
 */
import { type Kysely, type Migration, sql } from "kysely";

type Driver = "sqlite" | "postgres" | "mysql" | "sqlserver";

const TYPES: Record<
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
  ["metric_rollup_points_time", "metric_rollup_points", ["time_unix_nano"]],
  ["metric_rollup_marks_bucket", "metric_rollup_marks", ["bucket_unix_nano"]],
];

export function metricRollupsSchema(driver: Driver): Migration {
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
      await table("metric_rollup_points")
        .addColumn("series_key", type(t.text(32)), (c) => c.notNull())
        .addColumn("level_seconds", type(t.int32), (c) => c.notNull())
        .addColumn("time_unix_nano", type(t.int64), (c) => c.notNull())
        .addColumn("start_time_unix_nano", type(t.int64), (c) => c.notNull())
        .addColumn("flags", type(t.int32), (c) => c.notNull())
        .addColumn("kind", type(t.int32), (c) => c.notNull())
        .addColumn("int_value", type(t.int64))
        .addColumn("double_value", type(t.double))
        .addColumn("count_value", type(t.int64))
        .addColumn("sum_value", type(t.double))
        .addColumn("data", type(t.longText), (c) => c.notNull())
        .addColumn("agg_count", type(t.int64))
        .addColumn("agg_sum", type(t.double))
        .addColumn("agg_min", type(t.double))
        .addColumn("agg_max", type(t.double))
        .addPrimaryKeyConstraint(
          "metric_rollup_points_pk",
          ["series_key", "level_seconds", "time_unix_nano", "start_time_unix_nano"] as never[],
        )
        .modifyEnd(keyed)
        .execute();
      await table("metric_rollup_marks")
        .addColumn("series_key", type(t.text(32)), (c) => c.notNull())
        .addColumn("bucket_unix_nano", type(t.int64), (c) => c.notNull())
        .addPrimaryKeyConstraint(
          "metric_rollup_marks_pk",
          ["series_key", "bucket_unix_nano"] as never[],
        )
        .modifyEnd(keyed)
        .execute();
      await table("metric_rollup_state")
        .addColumn("level_seconds", type(t.int32), (c) => c.notNull().primaryKey())
        .addColumn("done_until_unix_nano", type(t.int64), (c) => c.notNull())
        .modifyEnd(options)
        .execute();
      for (const [name, on, columns] of INDEXES) {
        let create = db.schema.createIndex(name).on(on).columns(columns);
        // MySQL 8 and SQL Server have no CREATE INDEX IF NOT EXISTS (see the initial schema).
        if (driver === "sqlite" || driver === "postgres") create = create.ifNotExists();
        await create.execute();
      }
    },
    async down(db: Kysely<unknown>) {
      for (const name of ["metric_rollup_state", "metric_rollup_marks", "metric_rollup_points"]) {
        await db.schema.dropTable(name).ifExists().execute();
      }
    },
  };
}
