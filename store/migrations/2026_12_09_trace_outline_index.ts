/**
 * `spans_trace_outline` (SQLite only): an index of the spans by trace and start time that holds
 * every column of a trace's structure (store/trace_reads.ts `traceStructure`: ids, parent, service,
 * name, kind, status, start and end), so the trace page reads an 80,000-span trace from the index
 * alone, already in start order: 50–140 ms in node:sqlite rather than 370 ms of 80,000 look-ups of
 * table rows (about a kilobyte each, with attributes and events) and a sort (issue 15; measured in
 * docs/benchmarks.md, with its cost at ingest).
 *
 * The other databases are left as they are: an index entry there has a size limit (MySQL 3,072
 * bytes of key, PostgreSQL about 2,700 bytes of row, SQL Server 1,700 bytes of key) that a span
 * name of 1,024 characters can pass, which would refuse the span's whole batch at ingest.
 *
 * Frozen in time like every migration: the column names are repeated here.
 */
import type { Kysely, Migration } from "kysely";

type Driver = "sqlite" | "postgres" | "mysql" | "sqlserver";

const NAME = "spans_trace_outline";
/** The key: a trace's spans in start order (ties by span id, as the read sorts), then the rest. */
const COLUMNS = [
  "trace_id",
  "start_time_unix_nano",
  "span_id",
  "parent_span_id",
  "service_name",
  "name",
  "kind",
  "status_code",
  "end_time_unix_nano",
];

export function traceOutlineIndexSchema(driver: Driver): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (driver !== "sqlite") return;
      await db.schema.createIndex(NAME).ifNotExists().on("spans").columns(COLUMNS).execute();
    },
    async down(db: Kysely<unknown>) {
      if (driver !== "sqlite") return;
      await db.schema.dropIndex(NAME).ifExists().execute();
    },
  };
}
