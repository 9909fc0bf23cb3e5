/**
 * SQLite's trace keys (migration 2026-12-20): how a commit gives its new spans their trace's key,
 * which leads the outline index (`spans_trace_key_outline`) that the trace page reads.
 *
 * After the commit's spans and their traces' summary rows are written (every summary has its key:
 * the trigger `trace_summaries_key` gives one to each new row), and before the recompute of the
 * traces that had one (which reads the spans by their key), one `update … where rowid > ?` sets
 * the key of the spans past the largest rowid before them, as the log text index takes the
 * commit's records (log_search.ts `SQLITE_LOG_TEXT`): new rows get rowids above it and the commit
 * holds the write lock. The rows it rewrites are the commit's own, at the table's end and already
 * in the page cache, so the WAL gets no page it did not already get. Every SQLite write path runs
 * these (sqlite_commit.ts, and batch_writer.ts's Kysely committer).
 *
 * @module
 */
import { type RawBuilder, sql, type SqlBool } from "kysely";
import type { DbDriver } from "../lib/config.ts";
import type { TraceIdsCondition } from "./trace_summaries.ts";

export const SQLITE_TRACE_KEYS = {
  lastRowid: "select coalesce(max(rowid), 0) as n from spans",
  /**
   * A summary row (empty, and so its key) for each trace of the JSON array that is its one `?` and
   * has none, before `assign`; the recompute fills it (trace_summaries.ts `refreshStatements`).
   * The writer thread's commit of new spans writes their summaries itself and needs none.
   */
  claim: "insert into trace_summaries (trace_id, start_time_unix_nano, end_time_unix_nano, " +
    "duration_ns, span_count, error_count, failed, root_service, root_name) " +
    "select value, 0, 0, 0, 0, 0, 0, '', '' from json_each(?) where true " +
    "on conflict (trace_id) do nothing",
  assign: "update spans set trace_key = " +
    "(select t.trace_key from trace_summaries t where t.trace_id = spans.trace_id) " +
    "where rowid > ?",
} as const;

/**
 * The writer thread's insert of new traces' services (SERVICE_COLUMNS order: trace id, service,
 * start, failed; `rows` rows of them), each row given its trace's key from the summary written
 * just before it. `or fail`: a conflict would mean the trace was not new.
 */
export function sqliteServicesInsert(rows: number): string {
  return "insert or fail into trace_services " +
    "(trace_key, trace_id, service_name, start_time_unix_nano, failed) " +
    "select t.trace_key, v.column1, v.column2, v.column3, v.column4 " +
    `from (values ${Array(rows).fill("(?, ?, ?, ?)").join(", ")}) v ` +
    "inner join trace_summaries t on t.trace_id = v.column1";
}

/**
 * The condition on `spans` that selects one trace's spans: on SQLite by its key, which leads the
 * outline index, so that reads in start order (the outline, a trace's first spans) take them in
 * that order without a sort; elsewhere by the trace id.
 */
export function spansOfTrace(driver: DbDriver, traceId: string): RawBuilder<SqlBool> {
  return driver === "sqlite"
    ? sql<SqlBool>`${sql.ref("spans.trace_key")} =
        (select trace_key from trace_summaries where trace_id = ${traceId})`
    : sql<SqlBool>`${sql.ref("spans.trace_id")} = ${traceId}`;
}

/**
 * The condition on `trace_services` that selects the rows of the traces `ids` selects (and, when
 * given, whose summary `t` meets `only`): on SQLite by their keys (the table is keyed (trace_key,
 * service_name), with no index of the trace id), found through their summaries; elsewhere by the
 * trace id. The one place that says how a trace's services are found.
 */
export function servicesOfTraces(
  driver: DbDriver,
  ids: TraceIdsCondition,
  only?: RawBuilder<SqlBool>,
): RawBuilder<SqlBool> {
  if (driver !== "sqlite") {
    const own = ids(sql.ref("trace_id")); // the statement's own table: trace_services
    return only === undefined ? own : sql<SqlBool>`${own} and ${only}`;
  }
  return sql<SqlBool>`${sql.ref("trace_services.trace_key")} in (select t.trace_key from ${
    sql.table("trace_summaries")
  } t where ${ids(sql.ref("t.trace_id"))}${only === undefined ? sql`` : sql` and ${only}`})`;
}
