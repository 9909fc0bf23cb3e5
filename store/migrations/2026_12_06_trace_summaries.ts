/**
 * `trace_summaries` (one row per trace: start, end, duration, span and error counts, whether a
 * span failed, root service and name) and `trace_services` (one row per trace and service, with
 * the trace's start and failure), which the trace list reads instead of grouping the window's
 * spans by trace (issue 15; kept at ingest by store/trace_summaries.ts).
 *
 * Filled from the spans already stored. Frozen in time like every migration: the widths, the
 * root rule (the earliest span without a parent, ties by span id, else the earliest span) and the
 * summary's SQL are repeated here.
 */
import { type Kysely, type Migration, sql } from "kysely";

type Driver = "sqlite" | "postgres" | "mysql" | "sqlserver";

const TYPES: Record<Driver, { text(width: number): string; int64: string; int32: string }> = {
  sqlite: { text: () => "text", int64: "integer", int32: "integer" },
  postgres: { text: (n) => `varchar(${n})`, int64: "bigint", int32: "integer" },
  mysql: { text: (n) => `varchar(${n})`, int64: "bigint", int32: "int" },
  sqlserver: { text: (n) => `nvarchar(${n})`, int64: "bigint", int32: "int" },
};

/**
 * Indexes: the trace list's window, its status filter and its sorts; the service filter, with or
 * without status (`failed in (0, 1)` when none: store/queries.ts). Each costs every ingest.
 */
const INDEXES: [name: string, table: string, columns: string[]][] = [
  ["trace_summaries_start", "trace_summaries", ["start_time_unix_nano"]],
  ["trace_summaries_failed_start", "trace_summaries", ["failed", "start_time_unix_nano"]],
  ["trace_summaries_duration", "trace_summaries", ["duration_ns"]],
  ["trace_summaries_span_count", "trace_summaries", ["span_count"]],
  [
    "trace_services_service_failed_start",
    "trace_services",
    ["service_name", "failed", "start_time_unix_nano"],
  ],
];

export function traceSummariesSchema(driver: Driver): Migration {
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
      await table("trace_summaries")
        .addColumn("trace_id", type(t.text(32)), (c) => c.notNull().primaryKey())
        .addColumn("start_time_unix_nano", type(t.int64), (c) => c.notNull())
        .addColumn("end_time_unix_nano", type(t.int64), (c) => c.notNull())
        .addColumn("duration_ns", type(t.int64), (c) => c.notNull())
        .addColumn("span_count", type(t.int64), (c) => c.notNull())
        .addColumn("error_count", type(t.int64), (c) => c.notNull())
        .addColumn("failed", type(t.int32), (c) => c.notNull())
        .addColumn("root_service", type(t.text(256)), (c) => c.notNull())
        .addColumn("root_name", type(t.text(1024)), (c) => c.notNull())
        .modifyEnd(options)
        .execute();
      await table("trace_services")
        .addColumn("trace_id", type(t.text(32)), (c) => c.notNull())
        .addColumn("service_name", type(t.text(256)), (c) => c.notNull())
        .addColumn("start_time_unix_nano", type(t.int64), (c) => c.notNull())
        .addColumn("failed", type(t.int32), (c) => c.notNull())
        .addPrimaryKeyConstraint("trace_services_pk", ["trace_id", "service_name"] as never[])
        .modifyEnd(options)
        .execute();
      for (const [name, on, columns] of INDEXES) {
        let create = db.schema.createIndex(name).on(on).columns(columns);
        // MySQL 8 and SQL Server have no CREATE INDEX IF NOT EXISTS (see the initial schema).
        if (driver === "sqlite" || driver === "postgres") create = create.ifNotExists();
        await create.execute();
      }
      const start = sql.ref("start_time_unix_nano");
      await sql`insert into trace_summaries (trace_id, start_time_unix_nano, end_time_unix_nano,
          duration_ns, span_count, error_count, failed, root_service, root_name)
        select g.trace_id, g.start_ns, g.end_ns, g.end_ns - g.start_ns, g.span_count,
          g.error_count, case when g.error_count > 0 then 1 else 0 end, f.service_name, f.name
        from (
          select trace_id, min(${start}) as start_ns, max(end_time_unix_nano) as end_ns,
            count(*) as span_count,
            sum(case when status_code = 2 then 1 else 0 end) as error_count
          from spans group by trace_id
        ) g
        inner join (
          select trace_id, service_name, name, row_number() over (partition by trace_id
            order by case when parent_span_id = '' then 0 else 1 end, ${start}, span_id) as n
          from spans
        ) f on f.trace_id = g.trace_id
        where f.n = 1`.execute(db);
      await sql`insert into trace_services (trace_id, service_name, start_time_unix_nano, failed)
        select distinct sp.trace_id, sp.service_name, ts.start_time_unix_nano, ts.failed
        from spans sp inner join trace_summaries ts on ts.trace_id = sp.trace_id`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("trace_services").ifExists().execute();
      await db.schema.dropTable("trace_summaries").ifExists().execute();
    },
  };
}
