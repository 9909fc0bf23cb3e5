/**
 * The first schema: resources (stored once), spans and logs.
 *
 * Frozen in time: a migration never imports application code and is never edited after it has
 * shipped; a later change is a new migration. Its column widths are therefore written here as
 * literals, and `store/columns.ts` repeats them for validation (a test keeps the two in step).
 *
 * Times are int64 nanoseconds (`bigint`). Text that is indexed has a width (MySQL and SQL Server
 * index only bounded columns); everything else is unbounded text.
 */
import { type Kysely, type Migration, sql } from "kysely";

type Driver = "sqlite" | "postgres" | "mysql" | "sqlserver";

interface ColumnTypes {
  /** Bounded text: `width` characters. */
  text(width: number): string;
  /** Unbounded text (JSON, bodies, messages). */
  longText: string;
  int64: string;
  int32: string;
}

const TYPES: Record<Driver, ColumnTypes> = {
  sqlite: { text: () => "text", longText: "text", int64: "integer", int32: "integer" },
  postgres: { text: (n) => `varchar(${n})`, longText: "text", int64: "bigint", int32: "integer" },
  // MEDIUMTEXT (16 MiB) rather than TEXT (64 KiB): attribute maps and bodies can be large.
  mysql: { text: (n) => `varchar(${n})`, longText: "mediumtext", int64: "bigint", int32: "int" },
  sqlserver: {
    text: (n) => `nvarchar(${n})`,
    longText: "nvarchar(max)",
    int64: "bigint",
    int32: "int",
  },
};

/**
 * Re-running a half-applied migration (MySQL cannot roll DDL back) must not fail on what exists,
 * but the syntax is not universal: SQL Server has no CREATE … IF NOT EXISTS at all, and MySQL 8
 * (unlike MariaDB) has no CREATE INDEX IF NOT EXISTS. Where missing, the Migrator's bookkeeping
 * alone keeps the migration from running twice.
 */
const IF_NOT_EXISTS: Record<Driver, { table: boolean; index: boolean }> = {
  sqlite: { table: true, index: true },
  postgres: { table: true, index: true },
  mysql: { table: true, index: false },
  sqlserver: { table: false, index: false },
};

function tableOptions(driver: Driver) {
  // Binary collation: ids, service names and attribute text compare exactly, as on the others.
  return driver === "mysql"
    ? sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`
    : sql``;
}

export function initialSchema(driver: Driver): Migration {
  const t = TYPES[driver];
  const type = (name: string) => sql.raw(name);
  const guard = IF_NOT_EXISTS[driver];
  const table = (db: Kysely<unknown>, name: string) => {
    const create = db.schema.createTable(name);
    return guard.table ? create.ifNotExists() : create;
  };
  const index = (db: Kysely<unknown>, name: string) => {
    const create = db.schema.createIndex(name);
    return guard.index ? create.ifNotExists() : create;
  };
  return {
    async up(db: Kysely<unknown>) {
      await table(db, "resources")
        .addColumn("id", type(t.text(32)), (c) => c.primaryKey())
        .addColumn("service_name", type(t.text(256)), (c) => c.notNull())
        .addColumn("attributes", type(t.longText), (c) => c.notNull())
        .addColumn("dropped_attributes_count", type(t.int32), (c) => c.notNull())
        .addColumn("schema_url", type(t.longText), (c) => c.notNull())
        .modifyEnd(tableOptions(driver))
        .execute();

      await table(db, "spans")
        .addColumn("trace_id", type(t.text(32)), (c) => c.notNull())
        .addColumn("span_id", type(t.text(16)), (c) => c.notNull())
        .addColumn("parent_span_id", type(t.text(16)), (c) => c.notNull())
        .addColumn("trace_state", type(t.longText), (c) => c.notNull())
        .addColumn("name", type(t.text(1024)), (c) => c.notNull())
        .addColumn("kind", type(t.int32), (c) => c.notNull())
        .addColumn("start_time_unix_nano", type(t.int64), (c) => c.notNull())
        .addColumn("end_time_unix_nano", type(t.int64), (c) => c.notNull())
        .addColumn("duration_ns", type(t.int64), (c) => c.notNull())
        .addColumn("status_code", type(t.int32), (c) => c.notNull())
        .addColumn("status_message", type(t.longText), (c) => c.notNull())
        .addColumn("service_name", type(t.text(256)), (c) => c.notNull())
        .addColumn("resource_id", type(t.text(32)), (c) => c.notNull())
        .addColumn("scope_name", type(t.text(1024)), (c) => c.notNull())
        .addColumn("scope_version", type(t.text(256)), (c) => c.notNull())
        .addColumn("scope_attributes", type(t.longText), (c) => c.notNull())
        .addColumn("attributes", type(t.longText), (c) => c.notNull())
        .addColumn("events", type(t.longText), (c) => c.notNull())
        .addColumn("links", type(t.longText), (c) => c.notNull())
        .addColumn("dropped_attributes_count", type(t.int32), (c) => c.notNull())
        .addColumn("dropped_events_count", type(t.int32), (c) => c.notNull())
        .addColumn("dropped_links_count", type(t.int32), (c) => c.notNull())
        .addColumn("flags", type(t.int64), (c) => c.notNull())
        .addPrimaryKeyConstraint("spans_pk", ["trace_id", "span_id"])
        .modifyEnd(tableOptions(driver))
        .execute();
      // Trace-by-id reads use the primary key; these two serve every time-window query.
      await index(db, "spans_start_time")
        .on("spans").column("start_time_unix_nano").execute();
      await index(db, "spans_service_start_time")
        .on("spans").columns(["service_name", "start_time_unix_nano"]).execute();

      await table(db, "logs")
        .addColumn("id", type(t.text(32)), (c) => c.primaryKey())
        .addColumn("time_unix_nano", type(t.int64), (c) => c.notNull())
        .addColumn("observed_time_unix_nano", type(t.int64), (c) => c.notNull())
        .addColumn("severity_number", type(t.int32), (c) => c.notNull())
        .addColumn("severity_text", type(t.text(128)), (c) => c.notNull())
        .addColumn("body", type(t.longText), (c) => c.notNull())
        .addColumn("body_type", type(t.text(16)), (c) => c.notNull())
        .addColumn("event_name", type(t.text(1024)), (c) => c.notNull())
        .addColumn("trace_id", type(t.text(32)), (c) => c.notNull())
        .addColumn("span_id", type(t.text(16)), (c) => c.notNull())
        .addColumn("flags", type(t.int64), (c) => c.notNull())
        .addColumn("service_name", type(t.text(256)), (c) => c.notNull())
        .addColumn("resource_id", type(t.text(32)), (c) => c.notNull())
        .addColumn("scope_name", type(t.text(1024)), (c) => c.notNull())
        .addColumn("scope_version", type(t.text(256)), (c) => c.notNull())
        .addColumn("scope_attributes", type(t.longText), (c) => c.notNull())
        .addColumn("attributes", type(t.longText), (c) => c.notNull())
        .addColumn("dropped_attributes_count", type(t.int32), (c) => c.notNull())
        .modifyEnd(tableOptions(driver))
        .execute();
      await index(db, "logs_time")
        .on("logs").column("time_unix_nano").execute();
      await index(db, "logs_service_time")
        .on("logs").columns(["service_name", "time_unix_nano"]).execute();
      await index(db, "logs_trace_id")
        .on("logs").column("trace_id").execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("logs").ifExists().execute();
      await db.schema.dropTable("spans").ifExists().execute();
      await db.schema.dropTable("resources").ifExists().execute();
    },
  };
}
