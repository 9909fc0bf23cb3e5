/**
 * Reads: `Queries`, the one class the store and tests read through, over the reads of each
 * signal (trace_queries.ts, log_queries.ts) and the look-ups of spans and records by id. Every
 * query that scans is bounded by a time window on an indexed column (`spans.start_time_unix_nano`,
 * `trace_summaries.start_time_unix_nano`, `logs.time_unix_nano`); trace-by-id uses the primary key.
 *
 * @module
 */
import type { Kysely, SelectQueryBuilder } from "kysely";
import { type Database, spanFromDb } from "./columns.ts";
import type { DialectCapabilities } from "./dialects/mod.ts";
import type { AttributeIndexKeys } from "./attribute_index.ts";
import type { ErrorOrigins } from "./error_origins.ts";
import { type TracePage, TraceQueries } from "./trace_queries.ts";
import { LogQueries, type LogTotal, type PlannedLogFilter } from "./log_queries.ts";
import { RESOURCE_COLUMNS } from "./resource_columns.ts";
import { spansOfTrace, spansOfTraces } from "./trace_keys.ts";
import type {
  LogFilter,
  LogPageQuery,
  Page,
  SpanFilter,
  StoredLog,
  StoredSpan,
  TimeWindow,
  TraceFilter,
  TraceSortField,
  TraceSummary,
} from "./types.ts";

export { RESOURCE_COLUMNS } from "./resource_columns.ts";
export type { TracePage } from "./trace_queries.ts";
export { type LogTotal, PlannedLogFilter } from "./log_queries.ts";

type Db = Kysely<Database>;

/** Keys per look-up statement: under SQL Server's 2100 parameters. */
const LOOKUP_CHUNK = 1000;

/** What a query may need beyond its database. Each bound unset: exact (tests' reference). */
export interface QueryOptions {
  /** TRACE_COUNT_LIMIT (trace_queries.ts, `TraceQueryOptions`). */
  traceCountLimit?: number;
  /** TRACE_COUNT_SCAN: summaries a span-name search's count reads (`TraceQueryOptions`). */
  traceCountScan?: number;
  /** TRACE_COUNT_CHECKS: traces whose spans a count checks (`TraceQueryOptions`). */
  traceCountChecks?: number;
  /**
   * The keys the attribute index holds (ATTRIBUTE_INDEX_KEYS; attribute_index.ts): an `attr`
   * match on one of them reads the index. Unset: every key; NO_KEYS: every match scans (the
   * reference in tests and benchmarks).
   */
  attributeIndexKeys?: AttributeIndexKeys;
  /**
   * Most ids an `attr` match reads from the attribute index before it scans instead
   * (ATTRIBUTE_INDEX_CANDIDATES). Unset: DEFAULT_ATTRIBUTE_CANDIDATES (attribute_conditions.ts).
   */
  attributeIndexCandidates?: number;
  /** LOG_SEARCH_LIMIT (log_queries.ts, `LogQueryOptions`). */
  logSearchLimit?: number;
  /** LOG_COUNT_SCAN: records a search's count reads (`LogQueryOptions`). */
  logCountScan?: number;
}

export class Queries {
  readonly #traces: TraceQueries;
  readonly #logs: LogQueries;

  constructor(
    private readonly db: Db,
    private readonly caps: DialectCapabilities,
    options: QueryOptions = {},
  ) {
    const attributeIndex = {
      keys: options.attributeIndexKeys,
      candidates: options.attributeIndexCandidates,
    };
    this.#traces = new TraceQueries(db, caps, {
      traceCountLimit: options.traceCountLimit,
      traceCountScan: options.traceCountScan,
      traceCountChecks: options.traceCountChecks,
      attributeIndex,
    });
    this.#logs = new LogQueries(db, caps, {
      logSearchLimit: options.logSearchLimit,
      logCountScan: options.logCountScan,
      attributeIndex,
    });
  }

  /** Every span of one trace, in start order; empty when the trace is unknown. */
  async traceSpans(traceId: string, limit?: number): Promise<StoredSpan[]> {
    const query = this.db.selectFrom("spans")
      .innerJoin("resources", "resources.id", "spans.resource_id")
      .selectAll("spans")
      .select(RESOURCE_COLUMNS)
      .where(spansOfTrace(this.caps.driver, traceId))
      .orderBy("spans.start_time_unix_nano")
      .orderBy("spans.span_id");
    const rows =
      await (limit === undefined ? query : this.caps.paginate(query, { limit, offset: 0 }))
        .execute();
    return rows.map(spanFromDb);
  }

  /** Spans in a window, newest first. */
  async spans(filter: SpanFilter, page: Page): Promise<StoredSpan[]> {
    const query = this.#spanWhere(
      this.db.selectFrom("spans")
        .innerJoin("resources", "resources.id", "spans.resource_id")
        .selectAll("spans")
        .select(RESOURCE_COLUMNS),
      filter,
    ).orderBy("spans.start_time_unix_nano", page.order ?? "desc").orderBy("spans.span_id");
    return (await this.caps.paginate(query, page).execute()).map(spanFromDb);
  }

  async countSpans(filter: SpanFilter): Promise<number> {
    const row = await this.#spanWhere(
      this.db.selectFrom("spans").select((eb) => eb.fn.countAll().as("n")),
      filter,
    ).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The trace list (trace_queries.ts `TraceQueries.traces`). */
  traces(
    filter: TraceFilter,
    sort: { field: TraceSortField; order: "asc" | "desc" },
    page: Page,
  ): Promise<TracePage> {
    return this.#traces.traces(filter, sort, page);
  }

  /** The trace list as the span scan read it (`TraceQueries.scanTraces`): the reference. */
  scanTraces(
    filter: TraceFilter,
    sort: { field: TraceSortField; order: "asc" | "desc" },
    page: Page,
  ): Promise<TracePage> {
    return this.#traces.scanTraces(filter, sort, page);
  }

  /** The default trace list (`TraceQueries.rootTraces`). */
  rootTraces(window: TimeWindow, order: "asc" | "desc", page: Page): Promise<TraceSummary[]> {
    return this.#traces.rootTraces(window, order, page);
  }

  /** Root spans that started in the window: traces, as the rollups count them. */
  countRoots(window: TimeWindow): Promise<number> {
    return this.#traces.countRoots(window);
  }

  /** Where the errors of the window's failed traces start (error_origins.ts), bounded. */
  errorOrigins(window: TimeWindow, limit: number): Promise<ErrorOrigins> {
    return this.#traces.errorOrigins(window, limit);
  }

  /** A log filter planned once for its page and its count (log_queries.ts). */
  planLogs(filter: LogFilter | PlannedLogFilter): Promise<PlannedLogFilter> {
    return this.#logs.planLogs(filter);
  }

  /** Log records of a window (`LogQueries.logs`). */
  logs(filter: LogFilter | PlannedLogFilter, page: LogPageQuery): Promise<StoredLog[]> {
    return this.#logs.logs(filter, page);
  }

  /** One log record by id, or undefined. */
  logById(id: string): Promise<StoredLog | undefined> {
    return this.#logs.logById(id);
  }

  /** Log records by id, at most 1000 (`LogQueries.logsByIds`). */
  logsByIds(
    ids: readonly string[],
    window?: { fromNs: bigint; toNs: bigint },
  ): Promise<StoredLog[]> {
    return this.#logs.logsByIds(ids, window);
  }

  /** How many records match, exactly. */
  countLogs(filter: LogFilter | PlannedLogFilter): Promise<number> {
    return this.#logs.countLogs(filter);
  }

  /** How many records match, up to LOG_SEARCH_LIMIT and LOG_COUNT_SCAN (`LogQueries`). */
  countLogsUpTo(filter: LogFilter | PlannedLogFilter): Promise<LogTotal> {
    return this.#logs.countLogsUpTo(filter);
  }

  /** Of the given spans, those stored: `traceId + spanId` → service name. */
  async spanServices(
    keys: readonly { traceId: string; spanId: string }[],
  ): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const wanted = new Set(keys.map((k) => k.traceId + k.spanId));
    // By trace alone (a prefix of the key: `spans_key` on SQLite), then the exact pairs here:
    // portable, and `trace_id in (…) and span_id in (…)` made SQLite probe every pair of the two
    // lists.
    const traceIds = [...new Set(keys.map((k) => k.traceId))];
    for (let i = 0; i < traceIds.length; i += LOOKUP_CHUNK) {
      const rows = await this.db.selectFrom("spans")
        .select(["trace_id", "span_id", "service_name"])
        .where(spansOfTraces(this.caps.driver, traceIds.slice(i, i + LOOKUP_CHUNK)))
        .execute();
      for (const row of rows) {
        const key = row.trace_id + row.span_id;
        if (wanted.has(key)) found.set(key, row.service_name);
      }
    }
    return found;
  }

  /** Of the given log ids, those stored. */
  async storedLogIds(ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += LOOKUP_CHUNK) {
      const rows = await this.db.selectFrom("logs").select("id")
        .where("id", "in", ids.slice(i, i + LOOKUP_CHUNK)).execute();
      for (const row of rows) found.add(row.id);
    }
    return found;
  }

  #window(window: TimeWindow): { startNs: bigint | string; endNs: bigint | string } {
    return { startNs: this.caps.int64(window.startNs), endNs: this.caps.int64(window.endNs) };
  }

  // deno-lint-ignore no-explicit-any -- shared by selects with different output shapes
  #spanWhere<Q extends SelectQueryBuilder<Database, any, any>>(query: Q, filter: SpanFilter): Q {
    const { startNs, endNs } = this.#window(filter);
    let q = query
      .where("spans.start_time_unix_nano", ">=", startNs)
      .where("spans.start_time_unix_nano", "<", endNs);
    if (filter.serviceName !== undefined) {
      q = q.where("spans.service_name", "=", filter.serviceName);
    }
    if (filter.traceId !== undefined) q = q.where(spansOfTrace(this.caps.driver, filter.traceId));
    return q as Q;
  }
}
