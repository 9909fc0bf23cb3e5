/**
 * Reads. Every query that scans is bounded by a time window on an indexed column
 * (`spans.start_time_unix_nano`, `logs.time_unix_nano`); trace-by-id uses the primary key.
 *
 * @module
 */
import {
  type Expression,
  type Kysely,
  type RawBuilder,
  type SelectQueryBuilder,
  sql,
  type SqlBool,
} from "kysely";
import { type Database, logFromDb, spanFromDb } from "./columns.ts";
import type { DialectCapabilities } from "./dialects/mod.ts";
import {
  ALL_KEYS,
  attributeCandidates,
  type AttributeIndexKeys,
  type CandidateTarget,
} from "./attribute_index.ts";
import {
  bodyMatches,
  indexCandidates,
  type LogSearchPlan,
  planColumn,
  planLogSearch,
  SCAN,
} from "./log_search.ts";
import {
  type ErrorOrigins,
  errorOrigins,
  failingSpansOf,
  originServicesByTrace,
} from "./error_origins.ts";
import { spanNamesContain } from "./trace_summaries.ts";
import type {
  AttributeMatch,
  LogFilter,
  LogKey,
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

type Db = Kysely<Database>;

/** Keys per look-up statement: under SQL Server's 2100 parameters. */
const LOOKUP_CHUNK = 1000;

/** A span's or record's resource, joined: the columns `spanFromDb` and `logFromDb` read. */
export const RESOURCE_COLUMNS = [
  "resources.service_name as r_service_name",
  "resources.attributes as r_attributes",
  "resources.dropped_attributes_count as r_dropped_attributes_count",
  "resources.schema_url as r_schema_url",
] as const;

/** A trace's figures over its spans, as grouped by trace id. */
const TRACE_FIGURES = {
  start: sql<bigint>`min(${sql.ref("start_time_unix_nano")})`,
  end: sql<bigint>`max(${sql.ref("end_time_unix_nano")})`,
  spanCount: sql<number>`count(*)`,
  errorCount: sql<number>`sum(case when ${sql.ref("status_code")} = 2 then 1 else 0 end)`,
};

function traceFigureColumns() {
  return [
    TRACE_FIGURES.start.as("start_ns"),
    TRACE_FIGURES.end.as("end_ns"),
    TRACE_FIGURES.spanCount.as("span_count"),
    TRACE_FIGURES.errorCount.as("error_count"),
  ] as const;
}

/** A row of `traceFigureColumns()` (the drivers return counts as number, bigint or string). */
interface TraceFigureRow {
  trace_id: string;
  start_ns: bigint | string | number;
  end_ns: bigint | string | number;
  span_count: number | string | bigint;
  error_count: number | string | bigint | null;
}

/** The columns of a trace list's page, read from `trace_summaries as ts`. */
const SUMMARY_PAGE_COLUMNS = [
  "ts.trace_id",
  "ts.start_time_unix_nano as start_ns",
  "ts.end_time_unix_nano as end_ns",
  "ts.span_count",
  "ts.error_count",
  "ts.root_service",
  "ts.root_name",
] as const;
const summariesFrom = (db: Db) => db.selectFrom("trace_summaries as ts");
/** A select from `trace_summaries as ts`, before its columns are chosen. */
type SummaryQuery = ReturnType<typeof summariesFrom>;

/** What a query may need beyond its database. */
export interface QueryOptions {
  /**
   * Most matches a filtered trace list counts (TRACE_COUNT_LIMIT): beyond it the list answers
   * this many and that there are more, so that its cost does not grow with the window. Unset:
   * every match is counted (the reference in tests and benchmarks).
   */
  traceCountLimit?: number;
  /**
   * The keys the attribute index holds (ATTRIBUTE_INDEX_KEYS; attribute_index.ts): an `attr`
   * match on one of them reads the index. Unset: every key; NO_KEYS: every match scans (the
   * reference in tests and benchmarks).
   */
  attributeIndexKeys?: AttributeIndexKeys;
  /**
   * Most ids an `attr` match reads from the attribute index before it scans instead
   * (ATTRIBUTE_INDEX_CANDIDATES). Unset: DEFAULT_ATTRIBUTE_CANDIDATES.
   */
  attributeIndexCandidates?: number;
  /**
   * A log text search (log_search.ts) reads through the text index when its terms have at most
   * this many candidates, and counts its matches up to this many (LOG_SEARCH_LIMIT). Unset: the
   * search scans and counts every match (the reference in tests and benchmarks).
   */
  logSearchLimit?: number;
}

/** How many records match: `total`, or at least it when `totalCapped` (LOG_SEARCH_LIMIT). */
export interface LogTotal {
  total: number;
  totalCapped: boolean;
}

/** A page of the trace list and how many traces match: `total`, or at least it when capped. */
export interface TracePage {
  items: TraceSummary[];
  total: number;
  /** More than `total` traces match: counting stopped at the limit (TRACE_COUNT_LIMIT). */
  totalCapped: boolean;
}

/** Reads at most this many ids of an `attr` match from the index, unless set otherwise. */
export const DEFAULT_ATTRIBUTE_CANDIDATES = 10_000;

/** `attr` matches as conditions: the index's candidates (some matches), the exact checks (all). */
interface AttributeConditions {
  candidates: Expression<SqlBool>[];
  checks: Expression<SqlBool>[];
}

export class Queries {
  /** Each log filter's search plan, shared by its list and its count (`#searchPlan`). */
  readonly #plans = new WeakMap<LogFilter, Promise<LogSearchPlan>>();
  /** Each log filter's `attr` conditions, planned once for its list and its count. */
  readonly #logAttributes = new WeakMap<LogFilter, Promise<AttributeConditions>>();
  readonly #plannedAttributes = new WeakMap<LogFilter, AttributeConditions>();

  constructor(
    private readonly db: Db,
    private readonly caps: DialectCapabilities,
    private readonly options: QueryOptions = {},
  ) {}

  /**
   * The conditions of `attr` matches (attribute_index.ts): for each, the index's candidates when
   * it can serve the match, and the exact check (`attributeFragments` over `column`, a JSON
   * text), which alone scans.
   */
  async #attributeConditions(
    matches: readonly AttributeMatch[],
    column: string,
    target: Omit<CandidateTarget, "candidates">,
  ): Promise<AttributeConditions> {
    const conditions: AttributeConditions = { candidates: [], checks: [] };
    for (const match of matches) {
      const candidates = await attributeCandidates(
        this.db,
        this.caps,
        this.options.attributeIndexKeys ?? ALL_KEYS,
        match,
        {
          ...target,
          candidates: this.options.attributeIndexCandidates ?? DEFAULT_ATTRIBUTE_CANDIDATES,
        },
      );
      if (candidates !== undefined) conditions.candidates.push(candidates);
      const fragments = attributeFragments(match).map((f) => this.caps.contains(column, f));
      conditions.checks.push(sql<SqlBool>`(${sql.join(fragments, sql` or `)})`);
    }
    return conditions;
  }

  /**
   * A log filter's `attr` conditions, planned once per filter object, shared by its list and its
   * count; `#logWhere` reads them once this resolves.
   */
  async #planLogAttributes(filter: LogFilter): Promise<void> {
    if ((filter.attributes ?? []).length === 0 || this.#plannedAttributes.has(filter)) return;
    let planning = this.#logAttributes.get(filter);
    if (planning === undefined) {
      planning = this.#attributeConditions(filter.attributes ?? [], "logs.attributes", {
        signal: "logs",
        idColumn: "logs.id",
        time: sql.ref("logs.time_unix_nano"),
        from: filter.startNs,
        to: filter.endNs,
      });
      this.#logAttributes.set(filter, planning);
    }
    this.#plannedAttributes.set(filter, await planning);
  }

  /** The exact checks of a log filter's `attr` matches, without the index. */
  #exactChecks(filter: LogFilter): Expression<SqlBool>[] {
    return (filter.attributes ?? []).map((match) => {
      const fragments = attributeFragments(match).map((f) =>
        this.caps.contains("logs.attributes", f)
      );
      return sql<SqlBool>`(${sql.join(fragments, sql` or `)})`;
    });
  }

  /**
   * How the log conditions name a column: as the text search's plan says (log_search.ts), and as
   * `+column` (which no index serves) on SQLite when `attr` candidates drive the read, so that it
   * looks the candidates up by id rather than walking the time index past them.
   */
  #logColumn(
    plan: LogSearchPlan,
    attributes: AttributeConditions | undefined,
  ): (name: string) => RawBuilder<unknown> {
    const driven = this.caps.driver === "sqlite" && (attributes?.candidates.length ?? 0) > 0;
    return (name) => driven ? sql`+${sql.ref(name)}` : planColumn(plan, name);
  }

  /** Every span of one trace, in start order; empty when the trace is unknown. */
  async traceSpans(traceId: string, limit?: number): Promise<StoredSpan[]> {
    const query = this.db.selectFrom("spans")
      .innerJoin("resources", "resources.id", "spans.resource_id")
      .selectAll("spans")
      .select(RESOURCE_COLUMNS)
      .where("spans.trace_id", "=", traceId)
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

  /**
   * Traces that started in the window, matching the filter, as summaries, sorted and paginated;
   * and how many match, counted up to `traceCountLimit`. Read from the trace summaries kept at
   * ingest (trace_summaries.ts) and their indexes; only a span-name text or an attribute filter
   * looks at the spans, of the candidate traces alone, by the primary key's trace_id prefix. A
   * trace's figures are those of all its spans, as on the default list (`rootTraces`).
   *
   * With a count limit, the reads are bounded by it rather than by the window, whose traces
   * may number millions. The window is read through the start index, except (the window's terms,
   * and a sort by start, then written as `start + 0`, which no index serves, so that the planner
   * takes another; docs/benchmarks.md has the plans):
   * - a duration filter that at most `limit` traces of all time pass: the duration index reads
   *   just those, then checks their start (SQLite, with no statistics, took the start index
   *   and read every summary of the window to find the few slow ones);
   * - a sort by duration or span count when more than `limit` traces match: that column's index,
   *   read in the sort's order, stops at the page's last match, where the start index would
   *   sort every trace of the window. (With fewer matches, sorting them costs at most `limit`.)
   */
  async traces(
    filter: TraceFilter,
    sort: { field: TraceSortField; order: "asc" | "desc" },
    page: Page,
  ): Promise<TracePage> {
    const { startNs, endNs } = this.#window(filter);
    const caps = this.caps;
    const limit = this.options.traceCountLimit;
    const failed = filter.status === undefined ? undefined : filter.status === "error" ? 1 : 0;
    // A trace's spans start at or after it, so at or after the window's start: its index rows
    // are in the buckets from the window's start on (attribute_index.ts).
    const attributes = await this.#attributeConditions(filter.attributes ?? [], "s.attributes", {
      signal: "spans",
      idColumn: "ts.trace_id",
      time: sql.ref("ts.start_time_unix_nano"),
      from: filter.startNs,
    });
    const durationBounds = (query: SummaryQuery): SummaryQuery => {
      let q = query;
      if (filter.minDurationNs !== undefined) {
        q = q.where("ts.duration_ns", ">=", caps.int64(filter.minDurationNs));
      }
      if (filter.maxDurationNs !== undefined) {
        q = q.where("ts.duration_ns", "<=", caps.int64(filter.maxDurationNs));
      }
      return q;
    };
    /** How many rows `query` selects, counting at most `limit` + 1 (none: all). */
    const countUpTo = async (query: SummaryQuery) => {
      const one = query.select(sql<number>`1`.as("one"));
      // SQL Server has no LIMIT, and its OFFSET … FETCH needs an ORDER BY, which would sort.
      const first = limit === undefined
        ? one
        : caps.driver === "sqlserver"
        ? one.top(limit + 1)
        : one.limit(limit + 1);
      const row = await this.db.selectFrom(first.as("matching"))
        .select((eb) => eb.fn.countAll().as("n")).executeTakeFirst();
      const n = Number(row?.n ?? 0);
      return limit === undefined || n <= limit
        ? { total: n, totalCapped: false }
        : { total: limit, totalCapped: true };
    };
    const durationFiltered = filter.minDurationNs !== undefined ||
      filter.maxDurationNs !== undefined;
    const fewSlowOrFast = limit !== undefined && durationFiltered &&
      !(await countUpTo(durationBounds(summariesFrom(this.db)))).totalCapped;

    // The order too: SQLite would otherwise walk the start index for a sort by start. Under
    // `attr` candidates, never the start index: the few candidates are looked up by id.
    const startOf = (startIndexed: boolean) =>
      startIndexed && attributes.candidates.length === 0
        ? sql.ref("ts.start_time_unix_nano")
        : sql`${sql.ref("ts.start_time_unix_nano")} + 0`;
    const matching = (startIndexed: boolean) => {
      const start = startOf(startIndexed);
      let query = durationBounds(
        summariesFrom(this.db)
          .where(start, ">=", startNs)
          .where(start, "<", endNs),
      );
      if (filter.serviceName !== undefined) {
        // Driven by trace_services' (service, failed, start) index, its one index beside the key:
        // without a status filter, `failed in (0, 1)` (all there is) lets it serve the window as
        // two ranges, so that no (service, start) index costs every ingest.
        const services = this.db.selectFrom("trace_services as sv").select("sv.trace_id")
          .where("sv.service_name", "=", filter.serviceName)
          .where((eb) =>
            failed === undefined ? eb("sv.failed", "in", [0, 1]) : eb("sv.failed", "=", failed)
          )
          .where("sv.start_time_unix_nano", ">=", startNs)
          .where("sv.start_time_unix_nano", "<", endNs);
        query = query.where("ts.trace_id", "in", services);
      }
      if (failed !== undefined) query = query.where("ts.failed", "=", failed);
      const spanOfTrace = (condition: Expression<SqlBool>) =>
        sql<SqlBool>`exists (select 1 from ${sql.table("spans")} s where s.trace_id = ${
          sql.ref("ts.trace_id")
        } and ${condition})`;
      if (filter.search !== undefined) {
        query = query.where(spanNamesContain(caps, "ts", filter.search));
      }
      for (const candidates of attributes.candidates) query = query.where(candidates);
      for (const check of attributes.checks) query = query.where(spanOfTrace(check));
      return query;
    };
    const pageOf = (startIndexed: boolean) =>
      caps.paginate(
        matching(startIndexed).select(SUMMARY_PAGE_COLUMNS).orderBy(
          sort.field === "start_time"
            ? startOf(startIndexed)
            : sort.field === "duration"
            ? sql.ref("ts.duration_ns")
            : sql.ref("ts.span_count"),
          sort.order,
        ).orderBy("ts.trace_id"),
        page,
      ).execute();
    const sortIndexed = limit !== undefined && sort.field !== "start_time" && !fewSlowOrFast;
    const serviceOnly = filter.serviceName !== undefined && sort.field === "start_time" &&
      !durationFiltered && filter.search === undefined && (filter.attributes ?? []).length === 0;
    // The plan of a sort by another column waits for the count; a sort by start does not.
    const [rows, counted] = serviceOnly
      ? await this.#serviceTraces(filter.serviceName!, failed, { startNs, endNs }, sort.order, page)
      : sortIndexed
      ? await countUpTo(matching(true)).then(async (c) =>
        [await pageOf(!c.totalCapped), c] as const
      )
      : await Promise.all([pageOf(!fewSlowOrFast), countUpTo(matching(!fewSlowOrFast))]);
    const ids = rows.map((r) => r.trace_id);
    const services = new Map<string, string[]>();
    if (ids.length > 0) {
      const found = await this.db.selectFrom("trace_services").select(["trace_id", "service_name"])
        .where("trace_id", "in", ids).execute();
      for (const row of found) {
        const list = services.get(row.trace_id) ?? [];
        list.push(row.service_name);
        services.set(row.trace_id, list);
      }
    }
    const failedIds = rows.filter((r) => Number(r.error_count) > 0).map((r) => r.trace_id);
    const origins = originServicesByTrace(await failingSpansOf(this.db, failedIds));
    const items = rows.map((r) => ({
      traceId: r.trace_id,
      rootService: r.root_service,
      rootName: r.root_name,
      startTimeUnixNano: BigInt(r.start_ns),
      endTimeUnixNano: BigInt(r.end_ns),
      spanCount: Number(r.span_count),
      errorCount: Number(r.error_count),
      services: (services.get(r.trace_id) ?? []).sort(),
      errorServices: origins.get(r.trace_id) ?? [],
    }));
    return { ...counted, items };
  }

  /**
   * The trace list of one service (and status), by start time, with no other filter: read in the
   * order of trace_services' (service, failed, start) index, which holds exactly the matches, so
   * the page costs its offset + limit entries of each `failed` range (two without a status,
   * merged) and the count at most `traceCountLimit` + 1 entries, however many traces the service
   * has in the window. (Through the summaries, the first page sorted every trace of the service in
   * the window: 0.84 s at 24 h on 1 million spans.) A trace's row in trace_services carries its
   * summary's start and `failed` (trace_summaries.ts), so these are the summaries' matches.
   */
  async #serviceTraces(
    serviceName: string,
    failed: 0 | 1 | undefined,
    window: { startNs: unknown; endNs: unknown },
    order: "asc" | "desc",
    page: Page,
  ) {
    const caps = this.caps;
    const limit = this.options.traceCountLimit;
    const range = (failedValue: 0 | 1) =>
      this.db.selectFrom("trace_services as sv")
        .where("sv.service_name", "=", serviceName)
        .where("sv.failed", "=", failedValue)
        .where("sv.start_time_unix_nano", ">=", window.startNs as bigint)
        .where("sv.start_time_unix_nano", "<", window.endNs as bigint);
    const firsts = page.offset + page.limit;
    const head = (failedValue: 0 | 1) => {
      const q = range(failedValue).select(["sv.trace_id", "sv.start_time_unix_nano as start_ns"])
        .orderBy("sv.start_time_unix_nano", order).orderBy("sv.trace_id");
      return caps.driver === "sqlserver" ? q.top(firsts) : q.limit(firsts);
    };
    const ranges = failed === undefined ? [0, 1] as const : [failed];
    const [first, ...rest] = ranges.map((f, i) =>
      this.db.selectFrom(head(f).as(`r${i}`)).select(["trace_id", "start_ns"])
    );
    const heads = rest.reduce((union, q) => union.unionAll(q), first!);
    const rows = await caps.paginate(
      this.db.selectFrom(heads.as("m"))
        .innerJoin("trace_summaries as ts", "ts.trace_id", "m.trace_id")
        .select(SUMMARY_PAGE_COLUMNS)
        .orderBy("m.start_ns", order).orderBy("ts.trace_id"),
      page,
    ).execute();
    let total = 0;
    for (const f of ranges) {
      const one = range(f).select(sql<number>`1`.as("one"));
      const capped = limit === undefined
        ? one
        : caps.driver === "sqlserver"
        ? one.top(limit + 1)
        : one.limit(limit + 1);
      const row = await this.db.selectFrom(capped.as("matching"))
        .select((eb) => eb.fn.countAll().as("n")).executeTakeFirst();
      total += Number(row?.n ?? 0);
    }
    const counted = limit === undefined || total <= limit
      ? { total, totalCapped: false }
      : { total: limit, totalCapped: true };
    return [rows, counted] as const;
  }

  /**
   * The trace list as it was read before trace summaries (and the reference they are held to in
   * tests/trace_summaries_test.ts, and beside them in bench/queries.ts): the window's spans
   * grouped by trace, with the filters as conditions on the group (a trace matches when some span
   * of the window does); figures are those of the trace's spans in the window.
   */
  async scanTraces(
    filter: TraceFilter,
    sort: { field: TraceSortField; order: "asc" | "desc" },
    page: Page,
  ): Promise<TracePage> {
    const { startNs, endNs } = this.#window(filter);
    const caps = this.caps;
    const { start, end, spanCount, errorCount } = TRACE_FIGURES;
    const any = (condition: Expression<SqlBool>) =>
      sql<SqlBool>`sum(case when ${condition} then 1 else 0 end) > 0`;
    let grouped = this.db.selectFrom("spans")
      .where("start_time_unix_nano", ">=", startNs)
      .where("start_time_unix_nano", "<", endNs)
      .groupBy("trace_id");
    if (filter.serviceName !== undefined) {
      grouped = grouped.having(any(sql`${sql.ref("service_name")} = ${filter.serviceName}`));
    }
    if (filter.status === "error") grouped = grouped.having(sql<SqlBool>`${errorCount} > 0`);
    if (filter.status === "ok") grouped = grouped.having(sql<SqlBool>`${errorCount} = 0`);
    if (filter.search !== undefined) {
      grouped = grouped.having(any(caps.containsIgnoringCase("name", filter.search)));
    }
    if (filter.minDurationNs !== undefined) {
      grouped = grouped.having(
        sql<SqlBool>`${end} - ${start} >= ${caps.int64(filter.minDurationNs)}`,
      );
    }
    if (filter.maxDurationNs !== undefined) {
      grouped = grouped.having(
        sql<SqlBool>`${end} - ${start} <= ${caps.int64(filter.maxDurationNs)}`,
      );
    }
    for (const match of filter.attributes ?? []) {
      const fragments = attributeFragments(match).map((f) => caps.contains("attributes", f));
      grouped = grouped.having(any(sql<SqlBool>`(${sql.join(fragments, sql` or `)})`));
    }
    const orderBy = {
      start_time: start,
      duration: sql`${end} - ${start}`,
      span_count: spanCount,
    }[sort.field];
    const pageQuery = grouped.select(["trace_id", ...traceFigureColumns()])
      .orderBy(orderBy, sort.order).orderBy("trace_id");
    const [rows, counted] = await Promise.all([
      caps.paginate(pageQuery, page).execute(),
      this.db.selectFrom(grouped.select("trace_id").as("matching"))
        .select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow(),
    ]);
    return { total: Number(counted.n), totalCapped: false, items: await this.#summaries(rows) };
  }

  /**
   * The newest (or oldest) traces whose root span started in the window: the default trace list,
   * read from the start-time index (a page costs about what it holds, at any data size) rather
   * than by grouping every span of the window. Figures are those of all the trace's spans.
   */
  async rootTraces(window: TimeWindow, order: "asc" | "desc", page: Page): Promise<TraceSummary[]> {
    const { startNs, endNs } = this.#window(window);
    const roots = await this.caps.paginate(
      this.db.selectFrom("spans").select("trace_id")
        .where("start_time_unix_nano", ">=", startNs)
        .where("start_time_unix_nano", "<", endNs)
        .where("parent_span_id", "=", "")
        .orderBy("start_time_unix_nano", order).orderBy("trace_id"),
      page,
    ).execute();
    const ids = [...new Set(roots.map((r) => r.trace_id))];
    if (ids.length === 0) return [];
    const figures = await this.db.selectFrom("spans")
      .select(["trace_id", ...traceFigureColumns()])
      .where("trace_id", "in", ids)
      .groupBy("trace_id")
      .execute();
    const byId = new Map(figures.map((f) => [f.trace_id, f]));
    return await this.#summaries(ids.flatMap((id) => byId.get(id) ?? []));
  }

  /** Summaries of grouped trace figures, in their order, with each trace's root and services. */
  async #summaries(rows: TraceFigureRow[]): Promise<TraceSummary[]> {
    const details = await this.#traceDetails(rows.map((r) => r.trace_id));
    const failed = rows.filter((r) => Number(r.error_count ?? 0) > 0).map((r) => r.trace_id);
    const origins = originServicesByTrace(await failingSpansOf(this.db, failed));
    return rows.map((r) => {
      const detail = details.get(r.trace_id);
      return {
        traceId: r.trace_id,
        rootService: detail?.rootService ?? "",
        rootName: detail?.rootName ?? "",
        startTimeUnixNano: BigInt(r.start_ns),
        endTimeUnixNano: BigInt(r.end_ns),
        spanCount: Number(r.span_count),
        errorCount: Number(r.error_count ?? 0),
        services: [...(detail?.services ?? [])].sort(),
        errorServices: origins.get(r.trace_id) ?? [],
      };
    });
  }

  /** Where the errors of the window's failed traces start (error_origins.ts), bounded. */
  errorOrigins(window: TimeWindow, limit: number): Promise<ErrorOrigins> {
    return errorOrigins(this.db, this.caps, window, limit);
  }

  /** Root spans that started in the window: traces, as the rollups count them. */
  async countRoots(window: TimeWindow): Promise<number> {
    const { startNs, endNs } = this.#window(window);
    const row = await this.db.selectFrom("spans").select((eb) => eb.fn.countAll().as("n"))
      .where("start_time_unix_nano", ">=", startNs)
      .where("start_time_unix_nano", "<", endNs)
      .where("parent_span_id", "=", "")
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Root span (else the earliest) and services of each trace. */
  async #traceDetails(ids: string[]) {
    const details = new Map<
      string,
      { rootService: string; rootName: string; services: string[] }
    >();
    if (ids.length === 0) return details;
    const services = await this.db.selectFrom("spans").select(["trace_id", "service_name"])
      .distinct().where("trace_id", "in", ids).execute();
    const first = (rows: { trace_id: string; service_name: string; name: string }[]) => {
      for (const row of rows) {
        if (details.has(row.trace_id)) continue;
        details.set(row.trace_id, {
          rootService: row.service_name,
          rootName: row.name,
          services: services.filter((s) => s.trace_id === row.trace_id).map((s) => s.service_name),
        });
      }
    };
    const roots = this.db.selectFrom("spans").select(["trace_id", "service_name", "name"])
      .where("trace_id", "in", ids);
    // Ties by span id, as the trace summaries break them (trace_summaries.ts).
    first(
      await roots.where("parent_span_id", "=", "").orderBy("start_time_unix_nano")
        .orderBy("span_id").execute(),
    );
    // Traces whose root is not stored (yet): their earliest span stands in.
    const rootless = ids.filter((id) => !details.has(id));
    if (rootless.length > 0) {
      first(
        await this.db.selectFrom("spans").select(["trace_id", "service_name", "name"])
          .where("trace_id", "in", rootless).orderBy("start_time_unix_nano").orderBy("span_id")
          .execute(),
      );
    }
    return details;
  }

  /**
   * Log records in a window, newest first unless `page.order` is "asc", by time then id (so that
   * records of one nanosecond keep one order, which the keyset pages rely on). With a cursor, the
   * `limit` records nearest it on its side, read going away from it, then listed in `page.order`.
   */
  async logs(filter: LogFilter, page: LogPageQuery): Promise<StoredLog[]> {
    const order = page.order ?? "desc";
    const direction = page.after ? "asc" : page.before ? "desc" : order;
    await this.#planLogAttributes(filter);
    const plan = await this.#searchPlan(filter);
    let query = this.#logWhere(
      this.db.selectFrom("logs")
        .innerJoin("resources", "resources.id", "logs.resource_id")
        .selectAll("logs")
        .select(RESOURCE_COLUMNS),
      filter,
      plan,
    );
    if (page.after) query = this.#pastLogKey(query, ">", page.after, plan, filter);
    if (page.before) query = this.#pastLogKey(query, "<", page.before, plan, filter);
    query = query.orderBy("logs.time_unix_nano", direction).orderBy("logs.id", direction);
    const rows = (await this.caps.paginate(query, page).execute()).map(logFromDb);
    return direction === order ? rows : rows.reverse();
  }

  /** One log record by id, or undefined. */
  async logById(id: string): Promise<StoredLog | undefined> {
    const row = await this.db.selectFrom("logs")
      .innerJoin("resources", "resources.id", "logs.resource_id")
      .selectAll("logs")
      .select(RESOURCE_COLUMNS)
      .where("logs.id", "=", id)
      .executeTakeFirst();
    return row === undefined ? undefined : logFromDb(row);
  }

  async countLogs(filter: LogFilter): Promise<number> {
    await this.#planLogAttributes(filter);
    const row = await this.#logWhere(
      this.db.selectFrom("logs").select((eb) => eb.fn.countAll().as("n")),
      filter,
      await this.#searchPlan(filter),
    ).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * How many records match, counting at most `logSearchLimit` + 1 when there is one: a common
   * term's count then stops there rather than reading every record of the window.
   */
  async countLogsUpTo(filter: LogFilter): Promise<LogTotal> {
    const limit = this.options.logSearchLimit;
    if (limit === undefined) return { total: await this.countLogs(filter), totalCapped: false };
    await this.#planLogAttributes(filter);
    const one = this.#logWhere(
      this.db.selectFrom("logs").select(sql<number>`1`.as("one")),
      filter,
      await this.#searchPlan(filter),
    );
    // SQL Server has no LIMIT, and its OFFSET … FETCH needs an ORDER BY, which would sort.
    const first = this.caps.driver === "sqlserver" ? one.top(limit + 1) : one.limit(limit + 1);
    const row = await this.db.selectFrom(first.as("matching"))
      .select((eb) => eb.fn.countAll().as("n")).executeTakeFirst();
    const n = Number(row?.n ?? 0);
    return n <= limit ? { total: n, totalCapped: false } : { total: limit, totalCapped: true };
  }

  /** The plan of a filter's search; one per filter object, shared by its list and its count. */
  #searchPlan(filter: LogFilter): Promise<LogSearchPlan> {
    if (filter.search === undefined) return Promise.resolve(SCAN);
    let plan = this.#plans.get(filter);
    if (plan === undefined) {
      plan = planLogSearch(
        this.db,
        this.caps,
        this.#window(filter),
        filter.search,
        this.options.logSearchLimit,
      );
      this.#plans.set(filter, plan);
    }
    return plan;
  }

  /** Of the given spans, those stored: `traceId + spanId` → service name. */
  async spanServices(
    keys: readonly { traceId: string; spanId: string }[],
  ): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const wanted = new Set(keys.map((k) => k.traceId + k.spanId));
    // By trace id alone (a prefix of the primary key), then the exact pairs here: portable, and
    // `trace_id in (…) and span_id in (…)` made SQLite probe every pair of the two lists.
    const traceIds = [...new Set(keys.map((k) => k.traceId))];
    for (let i = 0; i < traceIds.length; i += LOOKUP_CHUNK) {
      const rows = await this.db.selectFrom("spans")
        .select(["trace_id", "span_id", "service_name"])
        .where("trace_id", "in", traceIds.slice(i, i + LOOKUP_CHUNK))
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
    if (filter.traceId !== undefined) q = q.where("spans.trace_id", "=", filter.traceId);
    return q as Q;
  }

  /**
   * Records after (`>`) or before (`<`) `key` in (time, id) order: written as a bound on the
   * indexed time plus an `or`, since SQL Server has no row-value comparison.
   */
  // deno-lint-ignore no-explicit-any -- shared by selects with different output shapes
  #pastLogKey<Q extends SelectQueryBuilder<Database, any, any>>(
    query: Q,
    side: ">" | "<",
    key: LogKey,
    plan: LogSearchPlan,
    filter: LogFilter,
  ): Q {
    const time = this.caps.int64(key.timeUnixNano);
    const column = this.#logColumn(plan, this.#plannedAttributes.get(filter));
    return query
      .where(column("logs.time_unix_nano"), side === ">" ? ">=" : "<=", time)
      .where((eb) =>
        eb.or([
          eb(column("logs.time_unix_nano"), side, time),
          eb(column("logs.id"), side, key.id),
        ])
      ) as Q;
  }

  /** The filter's conditions, read as `plan` says (log_search.ts `planColumn`). */
  // deno-lint-ignore no-explicit-any -- shared by selects with different output shapes
  #logWhere<Q extends SelectQueryBuilder<Database, any, any>>(
    query: Q,
    filter: LogFilter,
    plan: LogSearchPlan,
  ): Q {
    const { startNs, endNs } = this.#window(filter);
    const attributes = this.#plannedAttributes.get(filter);
    const column = this.#logColumn(plan, attributes);
    let q = query
      .where(column("logs.time_unix_nano"), ">=", startNs)
      .where(column("logs.time_unix_nano"), "<", endNs);
    if (filter.serviceName !== undefined) {
      q = q.where(column("logs.service_name"), "=", filter.serviceName);
    }
    if (filter.minSeverity !== undefined) {
      q = q.where(column("logs.severity_number"), ">=", filter.minSeverity);
    }
    if (filter.traceId !== undefined) q = q.where(column("logs.trace_id"), "=", filter.traceId);
    if (filter.spanId !== undefined) q = q.where(column("logs.span_id"), "=", filter.spanId);
    if (plan.index) q = q.where(indexCandidates(plan.rowids));
    if (filter.search !== undefined) q = q.where(bodyMatches(this.caps, filter.search));
    // Planned by the caller (`#planLogAttributes`); else the exact checks alone, which scan.
    for (const candidates of attributes?.candidates ?? []) q = q.where(candidates);
    for (const check of attributes?.checks ?? this.#exactChecks(filter)) q = q.where(check);
    return q as Q;
  }
}

/**
 * The texts an attribute's stored JSON contains when it has the value (lib/any_value_json.ts):
 * a string (`"key":"value"`), or a number or boolean written as such (`"key":200` followed by
 * `,` or `}`, so 200 does not match 2000; an integer also as a double, `200.0`).
 */
export function attributeFragments(match: AttributeMatch): string[] {
  const key = JSON.stringify(match.key);
  const fragments = [`${key}:${JSON.stringify(match.value)}`];
  const literals: string[] = [];
  if (/^(true|false)$/.test(match.value)) literals.push(match.value);
  if (/^-?\d+$/.test(match.value)) literals.push(match.value, `${match.value}.0`);
  else if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(match.value)) literals.push(match.value);
  for (const literal of literals) fragments.push(`${key}:${literal},`, `${key}:${literal}}`);
  return fragments;
}
