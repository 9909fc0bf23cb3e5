/**
 * Trace keys (SQLite only): every trace summary gets a `trace_key`, an integer given in the order
 * summaries are first written, and every span its trace's key; the outline index of issue 15
 * (2026-12-09 `spans_trace_outline`, led by the random trace id) is rebuilt led by the key.
 *
 * Why: a B-tree led by a random trace id gets a new leaf page written for each new trace of a
 * commit, a 4 KiB frame in SQLite's WAL each, while one led by a key given in arrival order grows
 * at its end. The outline index was the largest of the four trees keyed by the trace id (86 of
 * ~290 pages a commit of 50 new traces; docs/benchmarks.md, "Re-measured on 2026-12-07"). The
 * spans' primary key, the summaries' and `trace_services` stay keyed by the trace id.
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
 *
 * The update rewrites every span row once and the new index is built once: at the first start
 * after upgrading, in proportion to the spans stored (measured in docs/benchmarks.md).
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
    },
    async down(db: Kysely<unknown>) {
      if (driver !== "sqlite") return;
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
