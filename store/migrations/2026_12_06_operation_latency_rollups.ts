/**
 * `operation_latency_rollups` and its hourly twin: minute × service × operation (span name) ×
 * latency bucket → spans, every span counted (entry or not), for the percentiles of a service's
 * operations table (issue 14). `latency_rollups` has no operation, and reading the spans instead
 * grows with the window (see ARCHITECTURE.md, "Rollups").
 *
 * Filled from the spans already stored, so operations of existing data have their percentiles;
 * a span whose name is longer than the rollups' 256 characters is counted under its first 256, as
 * at ingest. Frozen in time like every migration: the bucket bounds (0.25 ms × √2^i, i = 0…36,
 * bucket 37 above them), the types and the minute arithmetic are repeated here.
 */
import { type Kysely, type Migration, type RawBuilder, sql } from "kysely";

type Driver = "sqlite" | "postgres" | "mysql" | "sqlserver";

const TYPES: Record<Driver, { text(width: number): string; int64: string; int32: string }> = {
  sqlite: { text: () => "text", int64: "integer", int32: "integer" },
  postgres: { text: (n) => `varchar(${n})`, int64: "bigint", int32: "integer" },
  mysql: { text: (n) => `varchar(${n})`, int64: "bigint", int32: "int" },
  sqlserver: { text: (n) => `nvarchar(${n})`, int64: "bigint", int32: "int" },
};

const KEY: [name: string, type: "int64" | "int32" | number][] = [
  ["minute", "int64"],
  ["service_name", 256],
  ["operation", 256],
  ["bucket", "int32"],
];

/** Upper bounds of the buckets in whole nanoseconds (a duration is an integer: `<=` floor). */
const BOUNDS_NS = Array.from({ length: 37 }, (_, i) => Math.floor(0.25e6 * 2 ** (i / 2)));

/** The span's bucket, as store/rollups.ts's `latencyBucket` gives it. */
function bucketOf(duration: RawBuilder<unknown>) {
  return sql`case ${
    sql.join(
      BOUNDS_NS.map((b, i) => sql`when ${duration} <= ${sql.lit(b)} then ${sql.lit(i)}`),
      sql` `,
    )
  } else ${sql.lit(BOUNDS_NS.length)} end`;
}

export function operationLatencyRollupsSchema(driver: Driver): Migration {
  const t = TYPES[driver];
  return {
    async up(db: Kysely<unknown>) {
      for (
        const [name, minutes] of [["operation_latency_rollups", 1], [
          "operation_latency_rollups_hourly",
          60,
        ]] as const
      ) {
        let create = db.schema.createTable(name);
        if (driver !== "sqlserver") create = create.ifNotExists();
        for (const [column, type] of KEY) {
          const sqlType = typeof type === "number" ? t.text(type) : t[type];
          create = create.addColumn(column, sql.raw(sqlType), (c) => c.notNull());
        }
        create = create.addColumn("spans", sql.raw(t.int64), (c) => c.notNull());
        const keyNames = KEY.map(([column]) => column);
        // Two 256-character names exceed SQL Server's 900-byte clustered key (see 2026_11_26_rollups).
        if (driver !== "sqlserver") {
          create = create.addPrimaryKeyConstraint(`${name}_pk`, keyNames as never[]);
        }
        if (driver === "mysql") {
          create = create.modifyEnd(sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`);
        }
        await create.execute();
        if (driver === "sqlserver") {
          await sql`alter table ${sql.table(name)} add constraint ${
            sql.ref(`${name}_pk`)
          } primary key nonclustered (${sql.join(keyNames.map((k) => sql.ref(k)))})`.execute(db);
        }
        // The stored spans, by their start's minute (or hour's first minute) as at ingest.
        const start = sql.ref("start_time_unix_nano");
        const perPeriod = sql.lit(60_000_000_000 * minutes);
        const period = driver === "mysql"
          ? sql`(${start} div ${perPeriod}) * ${sql.lit(minutes)}`
          : sql`(${start} / ${perPeriod}) * ${sql.lit(minutes)}`;
        const operation = driver === "sqlserver"
          ? sql`substring(${sql.ref("name")}, 1, 256)`
          : sql`substr(${sql.ref("name")}, 1, 256)`;
        const bucket = bucketOf(sql.ref("duration_ns"));
        await sql`insert into ${sql.table(name)} (${
          sql.join([...keyNames, "spans"].map((c) => sql.ref(c)))
        })
          select ${period}, ${sql.ref("service_name")}, ${operation}, ${bucket}, count(*)
          from ${sql.table("spans")}
          group by ${period}, ${sql.ref("service_name")}, ${operation}, ${bucket}`.execute(db);
      }
    },
    async down(db: Kysely<unknown>) {
      for (const name of ["operation_latency_rollups_hourly", "operation_latency_rollups"]) {
        await db.schema.dropTable(name).ifExists().execute();
      }
    },
  };
}
