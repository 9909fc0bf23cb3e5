/**
 * SQLite's trace keys (migrations 2026-12-20 and 2026-12-21): every trace summary has a
 * `trace_key`, an integer given in the order summaries are first written (the trigger
 * `trace_summaries_key`), and every span its trace's key: the spans are unique by (trace_key,
 * span_id) (`spans_key`), which grows at its end as new traces come, and the outline index is led
 * by the key too. No index of the spans is led by the random trace id.
 *
 * Writes: a commit gives every trace of its spans a summary row (its new traces' summaries, or an
 * empty one that the recompute fills: `claim`) before the spans go in, reads their keys (`keys`)
 * and inserts each span with its trace's key. A span is stored once by (trace_key, span_id),
 * which is (trace_id, span_id) since a trace id has exactly one key. Every SQLite write path does
 * this (sqlite_commit.ts, and batch_writer.ts's Kysely committer).
 *
 * Reads: no index of `spans` is led by the trace id on SQLite, so every read of a trace's spans
 * finds them by its key, through these conditions (`spansOfTrace`, `spansOfTraces`, `spanOf`,
 * `spansOfSummary`); elsewhere they are the plain conditions on the trace id.
 *
 * @module
 */
import { type RawBuilder, sql, type SqlBool } from "kysely";
import type { DbDriver } from "../lib/config.ts";
import type { TraceIdsCondition } from "./trace_summaries.ts";

export const SQLITE_TRACE_KEYS = {
  /**
   * A summary row (empty, and so its key) for each trace of the JSON array that is its one `?` and
   * has none, before its spans go in; the recompute fills it (trace_summaries.ts
   * `refreshStatements`). The writer thread's commit of new traces writes their summaries itself.
   */
  claim: "insert into trace_summaries (trace_id, start_time_unix_nano, end_time_unix_nano, " +
    "duration_ns, span_count, error_count, failed, root_service, root_name) " +
    "select value, 0, 0, 0, 0, 0, 0, '', '' from json_each(?) where true " +
    "on conflict (trace_id) do nothing",
  /** The keys (`trace_id`, `trace_key`) of the traces of the JSON array that is its one `?`. */
  keys: "select trace_id, trace_key from trace_summaries " +
    "where trace_id in (select value from json_each(?))",
} as const;

/** What keys a span on SQLite, its conflict target (the unique index `spans_key`, 2026-12-21). */
export const SQLITE_SPAN_KEY = ["trace_key", "span_id"] as const;

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
 * The condition on `spans` that selects one trace's spans: on SQLite by its key, which leads
 * `spans_key` and the outline index, so that reads in start order (the outline, a trace's first
 * spans) take them in that order without a sort; elsewhere by the trace id.
 */
export function spansOfTrace(driver: DbDriver, traceId: string): RawBuilder<SqlBool> {
  return driver === "sqlite"
    ? sql<SqlBool>`${sql.ref("spans.trace_key")} =
        (select trace_key from ${sql.table("trace_summaries")} where trace_id = ${traceId})`
    : sql<SqlBool>`${sql.ref("spans.trace_id")} = ${traceId}`;
}

/**
 * The condition on the spans aliased `spans` that selects the spans of the trace of the summary
 * aliased `summary` (a correlated probe): on SQLite by the summary's key.
 */
export function spansOfSummary(
  driver: DbDriver,
  summary: string,
  spans: string,
): RawBuilder<SqlBool> {
  return driver === "sqlite"
    ? sql<SqlBool>`${sql.ref(`${spans}.trace_key`)} = ${sql.ref(`${summary}.trace_key`)}`
    : sql<SqlBool>`${sql.ref(`${spans}.trace_id`)} = ${sql.ref(`${summary}.trace_id`)}`;
}

/**
 * The condition on `spans` that selects the spans of the traces `traceIds`: on SQLite by their
 * keys, found through their summaries.
 */
export function spansOfTraces(driver: DbDriver, traceIds: readonly string[]): RawBuilder<SqlBool> {
  const ids = sql.join(traceIds);
  return driver === "sqlite"
    ? sql<SqlBool>`${sql.ref("spans.trace_key")} in
        (select trace_key from ${sql.table("trace_summaries")} where trace_id in (${ids}))`
    : sql<SqlBool>`${sql.ref("spans.trace_id")} in (${ids})`;
}

/** The condition on `spans` that selects one span by its trace id and span id (its key). */
export function spanOf(driver: DbDriver, traceId: string, spanId: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`${spansOfTrace(driver, traceId)} and ${sql.ref("spans.span_id")} = ${spanId}`;
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
