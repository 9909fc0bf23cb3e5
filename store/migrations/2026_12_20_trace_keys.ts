/**
 * Trace keys (SQLite only): every trace summary gets a `trace_key`, an integer given in the order
 * summaries are first written, and every span its trace's key; the outline index of issue 15
 * (2026-12-09 `spans_trace_outline`, led by the random trace id) is rebuilt led by the key, and
 * `trace_services` is rebuilt keyed by (trace_key, service_name).
 *
 * Why: a B-tree led by a random trace id gets a new leaf page written for each new trace of a
 * commit, a 4 KiB frame in SQLite's WAL each, while one led by a key given in arrival order grows
 * at its end. The outline index and the services' key were two of the four trees keyed by the
 * trace id (86 and 47 of ~290 pages a commit of 50 new traces; docs/benchmarks.md, "Re-measured on
 * 2026-12-07"). The spans' primary key and the summaries' stay keyed by the trace id.
 *
 * - `trace_summaries.trace_key`: the rowid of each stored summary; a new summary, however it is
 *   inserted (the writer's insert, the claim, the recompute's upsert), is given the largest key
 *   plus one by the trigger `trace_summaries_key` (a unique index makes that a look-up). The key
 *   is a column, not the rowid, because VACUUM may renumber the rowids of a table without an
 *   INTEGER PRIMARY KEY.
 * - `spans.trace_key`: filled by every SQLite write path after the commit's summaries are written
 *   (trace_keys.ts `SQLITE_TRACE_KEYS`); here from the summaries for the spans stored before.
 * - `spans_trace_key_outline`: the outline index's columns led by the key, partial (`trace_key is
 *   not null`), so that a span's first insert, before its key is set in the same transaction,
 *   adds nothing to it.
 * - `trace_services`: `WITHOUT ROWID`, keyed (trace_key, service_name), the trace id kept as a
 *   column (the trace list reads it), the (service, failed, start) index as before. Every write
 *   and delete of a trace's services finds them by its key (trace_summaries.ts, trace_keys.ts).
 *
 * The update rewrites every span row once, the new index is built once and the services copied
 * once: at the first start after upgrading, in proportion to the spans stored (measured in
 * docs/benchmarks.md).
 *
 * Frozen in time like every migration: the column names are repeated here.
 */
import { type Kysely, type Migration, sql } from "kysely";

type Driver = "sqlite" | "postgres" | "mysql" | "sqlserver";

/** The outline's columns after the key: a trace's spans in start order (ties by span id). */
const OUTLINE = [
  "start_time_unix_nano",
  "span_id",
  "parent_span_id",
  "service_name",
  "name",
  "kind",
  "status_code",
  "end_time_unix_nano",
];

export function traceKeysSchema(driver: Driver): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (driver !== "sqlite") return;
      await sql`alter table trace_summaries add column trace_key integer`.execute(db);
      await sql`update trace_summaries set trace_key = rowid`.execute(db);
      await sql`create unique index trace_summaries_key on trace_summaries (trace_key)`
        .execute(db);
      await sql`create trigger trace_summaries_key after insert on trace_summaries
        when new.trace_key is null
        begin
          update trace_summaries
          set trace_key = (select coalesce(max(trace_key), 0) + 1 from trace_summaries)
          where rowid = new.rowid;
        end`.execute(db);
      await sql`alter table spans add column trace_key integer`.execute(db);
      await sql`update spans set trace_key =
        (select t.trace_key from trace_summaries t where t.trace_id = spans.trace_id)`.execute(db);
      await sql`drop index if exists spans_trace_outline`.execute(db);
      await sql.raw(
        `create index spans_trace_key_outline on spans (trace_key, ${OUTLINE.join(", ")}) ` +
          `where trace_key is not null`,
      ).execute(db);
      await sql`create table trace_services_keyed (
          trace_key integer not null,
          trace_id text not null,
          service_name text not null,
          start_time_unix_nano integer not null,
          failed integer not null,
          constraint trace_services_pk primary key (trace_key, service_name)
        ) without rowid`.execute(db);
      await sql`insert into trace_services_keyed
        select t.trace_key, s.trace_id, s.service_name, s.start_time_unix_nano, s.failed
        from trace_services s inner join trace_summaries t on t.trace_id = s.trace_id`.execute(db);
      await sql`drop table trace_services`.execute(db);
      await sql`alter table trace_services_keyed rename to trace_services`.execute(db);
      await sql`create index trace_services_service_failed_start
        on trace_services (service_name, failed, start_time_unix_nano)`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      if (driver !== "sqlite") return;
      await sql`create table trace_services_by_id (
          trace_id text not null,
          service_name text not null,
          start_time_unix_nano integer not null,
          failed integer not null,
          constraint trace_services_pk primary key (trace_id, service_name)
        )`.execute(db);
      await sql`insert into trace_services_by_id
        select trace_id, service_name, start_time_unix_nano, failed from trace_services`
        .execute(db);
      await sql`drop table trace_services`.execute(db);
      await sql`alter table trace_services_by_id rename to trace_services`.execute(db);
      await sql`create index trace_services_service_failed_start
        on trace_services (service_name, failed, start_time_unix_nano)`.execute(db);
      await sql`drop index if exists spans_trace_key_outline`.execute(db);
      await sql.raw(
        `create index if not exists spans_trace_outline on spans (trace_id, ${OUTLINE.join(", ")})`,
      ).execute(db);
      await sql`alter table spans drop column trace_key`.execute(db);
      await sql`drop trigger if exists trace_summaries_key`.execute(db);
      await sql`drop index if exists trace_summaries_key`.execute(db);
      await sql`alter table trace_summaries drop column trace_key`.execute(db);
    },
  };
}
