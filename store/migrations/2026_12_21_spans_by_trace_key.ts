/**
 * Spans keyed by their trace's key (SQLite only): the span table is rebuilt without its primary
 * key (trace_id, span_id); a unique index `spans_key` on (trace_key, span_id) takes its place.
 *
 * Why: the primary key led by the random trace id was the largest B-tree a commit of new traces
 * writes a leaf page into for each trace: 83–94 of the ~205 pages in SQLite's WAL for a commit of
 * one exporter's 100 spans, against 51–58 for the summaries' trace id and ~60 for everything else
 * (docs/benchmarks.md, "Where a commit's pages go"). Led by the trace key, given in arrival order
 * (migration 2026-12-20), the unique index grows at its end. Deduplication is unchanged in meaning:
 * a trace id has exactly one key (the summaries' unique indexes on each), so (trace_key, span_id)
 * is unique exactly when (trace_id, span_id) is.
 *
 * Not `WITHOUT ROWID` keyed (trace_key, span_id), the layout `bench/span_layouts.ts` modelled: a
 * span with a dozen attributes is 1–2 KB, more than an index B-tree keeps on its 4 KiB page (about
 * 1 KB; the rest goes to overflow pages), and that layout measured 9 % slower for such spans while
 * 9 % faster for telemetrygen's small ones. The rowid table keeps a row on its page.
 *
 * Every write finds or gives a trace's key before its spans go in (trace_keys.ts); every read of
 * a trace's spans goes through its key (trace_keys.ts `spansOfTrace`, `spansOfTraces`, `spanOf`,
 * `spansOfSummary`): no index of `spans` is led by the trace id any more.
 *
 * Spans whose trace has no summary (none should exist: every write path writes the summary in
 * the spans' transaction) are given one here, computed from them, so that no span is left
 * without a key.
 *
 * The table is copied once, in key order, and its four indexes built once: at the first start
 * after upgrading, in proportion to the spans stored (measured in docs/benchmarks.md).
 *
 * Frozen in time like every migration: the column definitions are repeated here.
 */
import { type Kysely, type Migration, sql } from "kysely";

type Driver = "sqlite" | "postgres" | "mysql" | "sqlserver";

/** The span table's columns after 2026-12-20 in their order, but the key (last in NAMES). */
const COLUMNS = `"trace_id" text not null, "span_id" text not null,
  "parent_span_id" text not null, "trace_state" text not null, "name" text not null,
  "kind" integer not null, "start_time_unix_nano" integer not null,
  "end_time_unix_nano" integer not null, "duration_ns" integer not null,
  "status_code" integer not null, "status_message" text not null, "service_name" text not null,
  "resource_id" text not null, "scope_name" text not null, "scope_version" text not null,
  "scope_attributes" text not null, "attributes" text not null, "events" text not null,
  "links" text not null, "dropped_attributes_count" integer not null,
  "dropped_events_count" integer not null, "dropped_links_count" integer not null,
  "flags" integer not null, "scope_schema_url" text not null default '',
  "scope_dropped_attributes_count" integer not null default 0,
  "long_text" text not null default ''`;

const NAMES = [
  "trace_id",
  "span_id",
  "parent_span_id",
  "trace_state",
  "name",
  "kind",
  "start_time_unix_nano",
  "end_time_unix_nano",
  "duration_ns",
  "status_code",
  "status_message",
  "service_name",
  "resource_id",
  "scope_name",
  "scope_version",
  "scope_attributes",
  "attributes",
  "events",
  "links",
  "dropped_attributes_count",
  "dropped_events_count",
  "dropped_links_count",
  "flags",
  "scope_schema_url",
  "scope_dropped_attributes_count",
  "long_text",
  "trace_key",
].join(", ");

/** The outline's columns after the key (as 2026-12-20). */
const OUTLINE = "start_time_unix_nano, span_id, parent_span_id, service_name, name, kind, " +
  "status_code, end_time_unix_nano";

async function createIndexes(db: Kysely<unknown>, outline: string): Promise<void> {
  await sql`create index "spans_start_time" on "spans" ("start_time_unix_nano")`.execute(db);
  await sql`create index "spans_service_start_time"
    on "spans" ("service_name", "start_time_unix_nano")`.execute(db);
  await sql.raw(outline).execute(db);
}

export function spansByTraceKeySchema(driver: Driver): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (driver !== "sqlite") return;
      // A summary for the traces of spans without a key (see above), its root the earliest span
      // without a parent, else the earliest; the trigger of 2026-12-20 gives it its key.
      await sql`insert into trace_summaries (trace_id, start_time_unix_nano, end_time_unix_nano,
          duration_ns, span_count, error_count, failed, root_service, root_name)
        select s.trace_id, min(s.start_time_unix_nano), max(s.end_time_unix_nano),
          max(s.end_time_unix_nano) - min(s.start_time_unix_nano), count(*),
          sum(case when s.status_code = 2 then 1 else 0 end),
          max(case when s.status_code = 2 then 1 else 0 end),
          (select r.service_name from spans r where r.trace_id = s.trace_id
            order by r.parent_span_id <> '', r.start_time_unix_nano, r.span_id limit 1),
          (select r.name from spans r where r.trace_id = s.trace_id
            order by r.parent_span_id <> '', r.start_time_unix_nano, r.span_id limit 1)
        from spans s where s.trace_key is null group by s.trace_id
        on conflict (trace_id) do nothing`.execute(db);
      await sql`insert into trace_services
          (trace_key, trace_id, service_name, start_time_unix_nano, failed)
        select distinct t.trace_key, t.trace_id, s.service_name, t.start_time_unix_nano, t.failed
        from spans s inner join trace_summaries t on t.trace_id = s.trace_id
        where s.trace_key is null
        on conflict do nothing`.execute(db);
      await sql`update spans set trace_key =
          (select t.trace_key from trace_summaries t where t.trace_id = spans.trace_id)
        where trace_key is null`.execute(db);
      await sql.raw(`create table spans_keyed (${COLUMNS}, "trace_key" integer not null)`)
        .execute(db);
      await sql.raw(
        `insert into spans_keyed (${NAMES}) select ${NAMES} from spans ` +
          `order by trace_key, span_id`,
      ).execute(db);
      await sql`drop table spans`.execute(db);
      await sql`alter table spans_keyed rename to spans`.execute(db);
      await sql`create unique index spans_key on spans (trace_key, span_id)`.execute(db);
      await createIndexes(
        db,
        `create index spans_trace_key_outline on spans (trace_key, ${OUTLINE})`,
      );
    },
    async down(db: Kysely<unknown>) {
      if (driver !== "sqlite") return;
      await sql.raw(
        `create table spans_by_id (${COLUMNS}, trace_key integer, ` +
          `constraint "spans_pk" primary key ("trace_id", "span_id"))`,
      ).execute(db);
      await sql.raw(`insert into spans_by_id (${NAMES}) select ${NAMES} from spans`).execute(db);
      await sql`drop table spans`.execute(db);
      await sql`alter table spans_by_id rename to spans`.execute(db);
      await createIndexes(
        db,
        `create index spans_trace_key_outline on spans (trace_key, ${OUTLINE}) ` +
          `where trace_key is not null`,
      );
    },
  };
}
