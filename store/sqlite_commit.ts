/**
 * The writer thread's side of SQLite writes: the messages it takes and the synchronous commit it
 * runs. Kept free of Kysely and the database drivers, so the thread starts fast.
 *
 * @module
 */
import type { NodeSqliteDatabase } from "./node_sqlite.ts";
import {
  type DbRollups,
  type Int64Param,
  type LogsTable,
  pushLogValues,
  pushSpanValues,
  type ResourcesTable,
  SPAN_COLUMNS,
  type SpansTable,
  type SqlValue,
  type TraceServicesTable,
  type TraceSummariesTable,
} from "./columns.ts";
import { ROLLUP_TABLES, type RollupTable } from "./rollups.ts";
import type { IndexPlan, Posting } from "./attribute_postings.ts";
import { joinSpanNames } from "./span_names.ts";
import type { LogRow, SpanRow } from "./types.ts";
import type { MetricPointRow } from "./metric_types.ts";
import { lateMarks, metricTableRows } from "./metric_table_rows.ts";

/** What one commit writes (`DbRows` of batch_writer.ts, which imports this module's types). */
interface DbRows {
  resources: ResourcesTable[];
  spans: readonly SpanRow[];
  logs: readonly LogRow[];
  metrics?: readonly MetricPointRow[];
}

/** The tables the writer inserts into, with their row types. */
interface InsertTables {
  resources: ResourcesTable;
  spans: SpansTable;
  logs: LogsTable;
}

/** The SQL of one table's insert and the column order of its parameters. */
export interface InsertStatement {
  /** One row. */
  sql: string;
  /** Several rows at once: how many is the placeholder count over the column count. */
  sqlMany: string;
  columns: string[];
}

/** The upsert of one rollup table (one row, and several) and its parameters' column order. */
export type UpsertStatement = InsertStatement;

export type InsertStatements = Record<keyof InsertTables, InsertStatement> & {
  rollups: Record<RollupTable, UpsertStatement>;
  summaries: SummaryStatements;
  /** The log text index's statements (log_search.ts SQLITE_LOG_TEXT): its one `?` a rowid. */
  logText: { lastRowid: string; index: string };
  /** The traces' keys (trace_keys.ts SQLITE_TRACE_KEYS): each one `?`, a JSON array of ids. */
  traceKeys: { claim: string; keys: string };
  /** Attribute index rows (attribute_index.ts), skipped when stored: `h`, time, ids. */
  spanAttributes: InsertStatement;
  logAttributes: InsertStatement;
  metrics: MetricStatements;
};

/**
 * The metric tables' statements: points and exemplars skipped when stored (as metric_writes.ts
 * writes them); instruments and series upserted, inserted if absent or else their seen times
 * moved, a row changing only when one of its times moves (see metric_writes.ts).
 */
export interface MetricStatements {
  instruments: InsertStatement;
  series: InsertStatement;
  points: InsertStatement;
  exemplars: InsertStatement;
}

/** The statements that keep the trace summaries (trace_summaries.ts) on the writer thread. */
export interface SummaryStatements {
  /** Of the traces whose ids are given as a JSON array (its one `?`), those with a summary row. */
  known: string;
  /**
   * The recompute of the summaries of the traces whose ids are given as a JSON array, bound to
   * every `?` of each statement.
   */
  refresh: string[];
  /** Plain inserts (a conflict is an error) of new traces' summaries, computed in memory. */
  insertSummaries: InsertStatement;
  insertServices: InsertStatement;
}

const ROLLUP_TABLE_NAMES = Object.keys(ROLLUP_TABLES) as RollupTable[];

/** A rollup table's columns in parameter order: its key, then its sums. */
export function rollupColumns(table: RollupTable): string[] {
  return [...ROLLUP_TABLES[table].key, ...ROLLUP_TABLES[table].sums];
}

/**
 * Each table's rows as one flat array of values in its statement's column order: what crosses to
 * the writer thread. A structured clone of plain values is about twice as cheap as one of row
 * objects, which repeats every column name in every row.
 */
export type FlatRows = Record<keyof InsertTables, SqlValue[]> & {
  rollups: Record<RollupTable, SqlValue[]>;
  /** The distinct trace ids of the spans, as a JSON array. */
  traceIds: string;
  /** Attribute index rows (attribute_postings.ts): bucket, hash, id, flat. */
  spanAttributes: SqlValue[];
  logAttributes: SqlValue[];
  metrics: FlatMetricRows;
};

/**
 * Metric rows as flat values (null for a point's empty value columns). The instruments' and
 * series' seen times are the batch's earliest and latest minute of each.
 */
export interface FlatMetricRows {
  instruments: MetricValue[];
  series: MetricValue[];
  points: MetricValue[];
  exemplars: MetricValue[];
}

type MetricValue = SqlValue | null;

function flattenMetrics(
  statements: MetricStatements,
  points: readonly MetricPointRow[] | undefined,
  int64: Int64Param,
): FlatMetricRows {
  if (points === undefined || points.length === 0) {
    return { instruments: [], series: [], points: [], exemplars: [] };
  }
  const rows = metricTableRows(points, int64);
  return {
    instruments: flatten(rows.instruments, statements.instruments.columns),
    series: flatten(rows.series, statements.series.columns),
    points: flatten(rows.points, statements.points.columns),
    exemplars: flatten(rows.exemplars, statements.exemplars.columns),
  };
}

function flatten(rows: readonly object[], columns: readonly string[]): SqlValue[] {
  const out: SqlValue[] = [];
  for (const row of rows) {
    const record = row as Record<string, SqlValue>;
    for (const column of columns) out.push(record[column]!);
  }
  return out;
}

/**
 * The rows of one commit as flat values. Spans and logs are written straight from their domain
 * rows (`pushSpanValues`, `pushLogValues`: the statements' columns are SPAN_COLUMNS and
 * LOG_COLUMNS); resources and rollups, a few rows each, through their table rows.
 */
export function flattenRows(
  statements: InsertStatements,
  rows: DbRows,
  rollups: DbRollups,
  int64: Int64Param,
  index: IndexPlan,
): FlatRows {
  const spans: SqlValue[] = [];
  for (const span of rows.spans) pushSpanValues(spans, span, int64);
  const logs: SqlValue[] = [];
  for (const log of rows.logs) pushLogValues(logs, log, int64);
  return {
    // Planned on the thread that decodes (`index`), rather than on the writer thread, SQLite's
    // ceiling.
    spanAttributes: indexValues(index.spans),
    logAttributes: indexValues(index.logs),
    resources: flatten(rows.resources, statements.resources.columns),
    spans,
    logs,
    traceIds: JSON.stringify([...new Set(rows.spans.map((s) => s.traceId))]),
    metrics: flattenMetrics(statements.metrics, rows.metrics, int64),
    rollups: Object.fromEntries(
      ROLLUP_TABLE_NAMES.map((t) => [t, flatten(rollups[t], statements.rollups[t].columns)]),
    ) as Record<RollupTable, SqlValue[]>,
  };
}

const placeholderCounts = new Map<string, number>();

function countPlaceholders(sql: string): number {
  let count = placeholderCounts.get(sql);
  if (count === undefined) {
    count = sql.split("?").length - 1;
    placeholderCounts.set(sql, count);
  }
  return count;
}

/** What a commit did (see `RowCommitter.commit` in batch_writer.ts). */
export interface CommitCounts {
  spans: number;
  logs: number;
  /** Metric data points inserted (none stored before); 0 when the commit had none. */
  metrics?: number;
  /** False when some rows were stored already and the transaction was rolled back. */
  complete: boolean;
}

/**
 * Commits rows, the summaries of their traces and their rollups in one `begin immediate`
 * transaction; returns the spans and logs
 * newly inserted. Unless `force`, a commit where some rows were stored already is rolled back
 * (complete: false), since its rollups would count them twice. Synchronous: it runs on the
 * writer thread.
 */
export function commitPrepared(
  sqlite: NodeSqliteDatabase,
  statements: InsertStatements,
  rows: FlatRows,
  force: boolean,
): CommitCounts {
  /** Runs a table's statement over flat values, several rows at a time; answers the changes. */
  const runAll = (
    values: readonly (SqlValue | null)[],
    { sql: one, sqlMany, columns }: InsertStatement,
  ): number => {
    if (values.length === 0) return 0;
    const width = columns.length;
    const many = sqlite.statement(sqlMany);
    const manyWidth = countPlaceholders(sqlMany);
    let inserted = 0;
    let i = 0;
    for (; i + manyWidth <= values.length; i += manyWidth) {
      inserted += Number(many.run(...values.slice(i, i + manyWidth)).changes);
    }
    const single = sqlite.statement(one);
    for (; i < values.length; i += width) {
      inserted += Number(single.run(...values.slice(i, i + width)).changes);
    }
    return inserted;
  };
  const run = (table: keyof InsertTables) => runAll(rows[table], statements[table]);
  const raw = sqlite.raw;
  raw.exec("begin immediate");
  try {
    run("resources");
    // Every trace of the commit's spans has its summary row, and so its key, before they go in
    // (trace_keys.ts): a normal commit writes its new traces' summaries, computed from its spans
    // (they are exact only if every span goes in, or the commit is rolled back below); a forced
    // one claims an empty row for each trace that has none, which the recompute fills.
    const spanCount = rows.spans.length / SPAN_WIDTH;
    const summaries = statements.summaries;
    let recompute = "";
    if (spanCount > 0) {
      if (force) {
        sqlite.statement(statements.traceKeys.claim).run(rows.traceIds);
        recompute = rows.traceIds;
      } else {
        const known = new Set<string>();
        for (const row of sqlite.statement(summaries.known).all(rows.traceIds)) {
          known.add(row.trace_id as string);
        }
        const fresh = summarizeNewTraces(rows.spans, known);
        const { insertSummaries, insertServices } = summaries;
        runAll(flatten(fresh.summaries, insertSummaries.columns), insertSummaries);
        runAll(flatten(fresh.services, insertServices.columns), insertServices);
        if (known.size > 0) recompute = JSON.stringify([...known]);
      }
    }
    const spans = spanCount === 0 ? 0 : runAll(
      withTraceKeys(
        rows.spans,
        keysByTrace(sqlite.statement(statements.traceKeys.keys).all(rows.traceIds)),
      ),
      statements.spans,
    );
    // The logs past the largest rowid before them are this commit's (log_search.ts).
    const lastLog = rows.logs.length === 0
      ? 0
      : sqlite.statement(statements.logText.lastRowid).get()?.n as number;
    const logs = run("logs");
    if (logs > 0) sqlite.statement(statements.logText.index).run(lastLog);
    // Metric points are stored once by their key and counted by nothing else: a point stored
    // before does not make the commit incomplete.
    const metrics = commitMetrics(sqlite, statements.metrics, rows.metrics, runAll);
    const all = spans === spanCount &&
      logs * statements.logs.columns.length === rows.logs.length;
    if (!all && !force) {
      raw.exec("rollback");
      return { spans, logs, metrics, complete: false };
    }
    // Every row's, also those stored already (a forced commit): stored index rows are skipped.
    runAll(rows.spanAttributes, statements.spanAttributes);
    runAll(rows.logAttributes, statements.logAttributes);
    // The traces that had a summary before (every trace, in a forced commit) are recomputed from
    // their stored spans.
    if (spans > 0 && recompute !== "") {
      for (const sql of summaries.refresh) {
        sqlite.statement(sql).run(...Array(countPlaceholders(sql)).fill(recompute));
      }
    }
    for (const table of ROLLUP_TABLE_NAMES) runAll(rows.rollups[table], statements.rollups[table]);
    raw.exec("commit");
    return { spans, logs, metrics, complete: true };
  } catch (error) {
    if (raw.isTransaction) raw.exec("rollback");
    throw error;
  }
}

/**
 * Writes a commit's metric rows (in its transaction): instruments and series upserted (inserted
 * if absent, else their seen times moved), points and exemplars if absent. Answers the points
 * inserted.
 */
function commitMetrics(
  sqlite: NodeSqliteDatabase,
  statements: MetricStatements,
  rows: FlatMetricRows,
  runAll: (values: readonly (SqlValue | null)[], statement: InsertStatement) => number,
): number {
  if (rows.points.length === 0) return 0;
  runAll(rows.instruments, statements.instruments);
  runAll(rows.series, statements.series);
  const inserted = runAll(rows.points, statements.points);
  if (inserted > 0) insertLateMarks(sqlite, statements.points.columns, rows.points);
  runAll(rows.exemplars, statements.exemplars);
  return inserted;
}

/** The writer thread's insert of a late-point mark (metric_table_rows.ts `lateMarks`). */
const INSERT_MARK = `insert into "metric_rollup_marks" ("series_key", "bucket_unix_nano") ` +
  `values (?, ?) on conflict do nothing`;

/**
 * Marks the 60 s buckets of the commit's late points, with now taken here, inside the
 * `begin immediate` transaction after its points were inserted (as metric_writes.ts does). Only
 * when the commit inserted a point: a replay of stored points marks nothing.
 */
function insertLateMarks(
  sqlite: NodeSqliteDatabase,
  columns: readonly string[],
  points: readonly MetricValue[],
): void {
  const width = columns.length;
  const seriesAt = columns.indexOf("series_key");
  const timeAt = columns.indexOf("time_unix_nano");
  const marks = lateMarks(
    points.length / width,
    (i) => points[i * width + seriesAt] as string,
    (i) => BigInt(points[i * width + timeAt] as bigint),
    BigInt(Date.now()) * 1_000_000n,
  );
  if (marks.length === 0) return;
  const insert = sqlite.statement(INSERT_MARK);
  for (const mark of marks) insert.run(mark.seriesKey, mark.bucketNs);
}

/**
 * The traces' keys read with trace_keys.ts `SQLITE_TRACE_KEYS.keys`, by trace id (here, not there:
 * this module stays free of Kysely for the writer thread).
 */
export function keysByTrace(
  rows: readonly Record<string, unknown>[],
): Map<string, number | bigint> {
  const keys = new Map<string, number | bigint>();
  for (const row of rows) keys.set(row.trace_id as string, row.trace_key as number | bigint);
  return keys;
}

/** The key of `traceId` in `keys`; an error (never a silent skip) when it has none. */
export function keyOf(
  keys: ReadonlyMap<string, number | bigint>,
  traceId: string,
): number | bigint {
  const key = keys.get(traceId);
  if (key === undefined || key === null) {
    throw new Error(
      `Trace ${traceId} has no summary row, so its spans have no key to be stored by`,
    );
  }
  return key;
}

/**
 * The spans' flat values (SPAN_COLUMNS order) with each row's trace key appended: the values of
 * SQLite's span insert, whose columns are SPAN_COLUMNS and then `trace_key` (sqlite_writer.ts).
 */
function withTraceKeys(
  spans: readonly SqlValue[],
  keys: ReadonlyMap<string, number | bigint>,
): SqlValue[] {
  const out: SqlValue[] = [];
  for (let i = 0; i < spans.length; i += SPAN_WIDTH) {
    for (let j = i; j < i + SPAN_WIDTH; j++) out.push(spans[j]!);
    out.push(keyOf(keys, spans[i + AT.trace_id] as string) as SqlValue);
  }
  return out;
}

const SPAN_WIDTH = SPAN_COLUMNS.length;
const AT = Object.fromEntries(SPAN_COLUMNS.map((c, i) => [c, i])) as Record<
  keyof SpansTable,
  number
>;
/** The flat values of index postings: bucket, hash, id per row. */
function indexValues(postings: readonly Posting[]): SqlValue[] {
  const out: SqlValue[] = [];
  for (const { bucket, h, ids } of postings) {
    // Integers, bound as SQLite INTEGER (a JS number would bind as REAL).
    const bucketValue = BigInt(bucket);
    const hash = BigInt(h);
    for (const id of ids) out.push(bucketValue, hash, id);
  }
  return out;
}

/** A trace's figures so far, while its summary is computed from spans. */
interface TraceFigures {
  start: bigint;
  end: bigint;
  spans: number;
  errors: number;
  /** The root so far: whether it has no parent, its start and span id, service and name. */
  rootParentless: boolean;
  rootStart: bigint;
  rootSpanId: string;
  rootService: string;
  rootName: string;
  services: Set<string>;
  names: Set<string>;
}

/**
 * The summary and service rows of the traces of `spans` (flat values in SPAN_COLUMNS order, with
 * distinct keys) that are not in `known`, as trace_summaries.ts's recompute computes them from
 * these spans alone: start the earliest start, end the latest end, duration their difference,
 * errors the spans with status ERROR (2); the root the earliest span without a parent (ties by
 * span id; span ids are lower-case hex, so JavaScript's order is SQLite's), else the earliest
 * span; the span names joined as span_names.ts says. Exact only for traces with no other span stored (see commitPrepared). Times are in
 * nanoseconds, as bigints (SQLite's binding of int64).
 */
export function summarizeNewTraces(
  spans: readonly SqlValue[],
  known: ReadonlySet<string>,
): { summaries: TraceSummariesTable[]; services: TraceServicesTable[] } {
  const traces = new Map<string, TraceFigures>();
  for (let i = 0; i < spans.length; i += SPAN_WIDTH) {
    const traceId = spans[i + AT.trace_id] as string;
    if (known.has(traceId)) continue;
    const start = spans[i + AT.start_time_unix_nano] as bigint;
    const end = spans[i + AT.end_time_unix_nano] as bigint;
    const error = spans[i + AT.status_code] === 2 ? 1 : 0;
    const spanId = spans[i + AT.span_id] as string;
    const parentless = spans[i + AT.parent_span_id] === "";
    const service = spans[i + AT.service_name] as string;
    const name = spans[i + AT.name] as string;
    const trace = traces.get(traceId);
    if (trace === undefined) {
      traces.set(traceId, {
        start,
        end,
        spans: 1,
        errors: error,
        rootParentless: parentless,
        rootStart: start,
        rootSpanId: spanId,
        rootService: service,
        rootName: name,
        services: new Set([service]),
        names: new Set([name]),
      });
      continue;
    }
    if (start < trace.start) trace.start = start;
    if (end > trace.end) trace.end = end;
    trace.spans++;
    trace.errors += error;
    trace.services.add(service);
    trace.names.add(name);
    const beforeRoot = parentless !== trace.rootParentless
      ? parentless
      : start < trace.rootStart || (start === trace.rootStart && spanId < trace.rootSpanId);
    if (beforeRoot) {
      trace.rootParentless = parentless;
      trace.rootStart = start;
      trace.rootSpanId = spanId;
      trace.rootService = service;
      trace.rootName = name;
    }
  }
  const summaries: TraceSummariesTable[] = [];
  const services: TraceServicesTable[] = [];
  for (const [traceId, trace] of traces) {
    const failed = trace.errors > 0 ? 1 : 0;
    summaries.push({
      trace_id: traceId,
      start_time_unix_nano: trace.start,
      end_time_unix_nano: trace.end,
      duration_ns: trace.end - trace.start,
      span_count: trace.spans,
      error_count: trace.errors,
      failed,
      root_service: trace.rootService,
      root_name: trace.rootName,
      span_names: joinSpanNames(trace.names),
    });
    for (const service of trace.services) {
      services.push({
        trace_id: traceId,
        service_name: service,
        start_time_unix_nano: trace.start,
        failed,
      });
    }
  }
  return { summaries, services };
}

/** Messages between the store and its writer thread. */
export type WriterRequest =
  | { kind: "open"; id: number; path: string; statements: InsertStatements }
  | { kind: "commit"; id: number; rows: FlatRows; force: boolean }
  | { kind: "close"; id: number };

export type WriterReply =
  | { id: number; ok: true; inserted?: CommitCounts }
  | { id: number; ok: false; error: { name: string; message: string; code?: string } };
