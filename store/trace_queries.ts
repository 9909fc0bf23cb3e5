/**
 * The trace list's reads (`GET /api/traces`): the filtered and re-sorted lists from the trace
 * summaries kept at ingest (trace_summaries.ts), the default list from the roots' start index,
 * and the span scan the summaries replaced (the reference of tests and benchmarks).
 *
 * @module
 */
import { type Expression, type Kysely, sql, type SqlBool } from "kysely";
import type { Database } from "./columns.ts";
import type { DialectCapabilities } from "./dialects/mod.ts";
import {
  attributeConditions,
  type AttributeIndexUse,
  exactChecks,
} from "./attribute_conditions.ts";
import {
  type BoundedCount,
  boundedCount,
  cappedAt,
  type Count,
  countRows,
  firstRows,
  withThePage,
} from "./bounded_count.ts";
import {
  type ErrorOrigins,
  errorOrigins,
  failingSpansOf,
  originServicesByTrace,
} from "./error_origins.ts";
import { SPAN_NAME_SEPARATOR } from "./span_names.ts";
import { spanNamesContain, traceIdsIn } from "./trace_summaries.ts";
import { servicesOfTraces, spansOfSummary, spansOfTraces } from "./trace_keys.ts";
import type { Page, TimeWindow, TraceFilter, TraceSortField, TraceSummary } from "./types.ts";

type Db = Kysely<Database>;

/** What the trace list's reads may need beyond their database (QueryOptions). */
export interface TraceQueryOptions {
  /**
   * Most matches a filtered trace list counts (TRACE_COUNT_LIMIT): beyond it the list answers
   * this many and that there are more, so that its cost does not grow with the window. Unset:
   * every match is counted (the reference in tests and benchmarks).
   */
  traceCountLimit?: number;
  /**
   * Most summaries the count of a span-name search reads, newest first (TRACE_COUNT_SCAN): each
   * is checked for the text in its `span_names`. Past it the list answers "at least" the matches
   * among them. Unset: the whole window (up to `traceCountLimit` matches).
   */
  traceCountScan?: number;
  /**
   * Most traces whose spans the count checks (TRACE_COUNT_CHECKS), when a match is decided by
   * the spans (an `attr` match the attribute index cannot serve; a span-name text holding the
   * names' separator): each check reads the trace's spans, 25 to 50 times a summary's cost.
   * Unset: the whole window (up to `traceCountLimit` matches).
   */
  traceCountChecks?: number;
  /** What the attribute index may serve (attribute_index.ts). */
  attributeIndex?: AttributeIndexUse;
}

/** A page of the trace list and how many traces match: `total`, or at least it when capped. */
export interface TracePage extends Count {
  items: TraceSummary[];
}

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

export class TraceQueries {
  constructor(
    private readonly db: Db,
    private readonly caps: DialectCapabilities,
    private readonly options: TraceQueryOptions = {},
  ) {}

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
   *
   * A match decided by more than the summary's indexed columns (a span-name text, an `attr`
   * match without the index's candidates) is counted over at most `traceCountScan` (text) or
   * `traceCountChecks` (spans read) summaries of the window, newest first (bounded_count.ts): a
   * middling number of matches would otherwise read the whole window. Past the bound, and past
   * the limit, the total is "at least" (`totalCapped`), and never below what the page proves.
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
    const attributes = await attributeConditions(
      this.db,
      caps,
      this.options.attributeIndex ?? {},
      filter.attributes ?? [],
      "s.attributes",
      {
        signal: "spans",
        idColumn: "ts.trace_id",
        time: sql.ref("ts.start_time_unix_nano"),
        from: filter.startNs,
      },
    );
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
    const countUpTo = async (query: SummaryQuery): Promise<BoundedCount> =>
      cappedAt(await countRows(this.db, caps, query, limit), limit);
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
    /**
     * The window's summaries under the conditions that indexes serve (or the candidates); the
     * window narrowed to `from` (ns) on, or to `to` (ns) back, for a bounded count.
     */
    const indexed = (startIndexed: boolean, narrowed: { from?: bigint; to?: bigint } = {}) => {
      const start = startOf(startIndexed);
      const { startNs, endNs } = this.#window({
        startNs: narrowed.from !== undefined && narrowed.from > filter.startNs
          ? narrowed.from
          : filter.startNs,
        endNs: narrowed.to !== undefined && narrowed.to < filter.endNs ? narrowed.to : filter.endNs,
      });
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
      for (const candidates of attributes.candidates) query = query.where(candidates);
      return query;
    };
    /** The conditions read row by row: the summary's span names, or the trace's spans. */
    const spanOfTrace = (condition: Expression<SqlBool>) =>
      sql<SqlBool>`exists (select 1 from ${sql.table("spans")} s where ${
        spansOfSummary(caps.driver, "ts", "s")
      } and ${condition})`;
    const costly: Expression<SqlBool>[] = [
      ...(filter.search === undefined ? [] : [spanNamesContain(caps, "ts", filter.search)]),
      ...attributes.checks.map(spanOfTrace),
    ];
    const matching = (startIndexed: boolean) =>
      costly.reduce((query, condition) => query.where(condition), indexed(startIndexed));
    // How many summaries the count reads, by what each check costs: none under the index's
    // candidates (they bound the rows) or without a costly condition (indexes count).
    // (A span-name text reads the spans where `span_names` cannot answer it: on SQL Server,
    // always, as `spanNamesContain` says why.)
    const readsSpans = attributes.checks.length > 0 || (filter.search !== undefined &&
      (caps.driver === "sqlserver" || filter.search.includes(SPAN_NAME_SEPARATOR)));
    const scan = attributes.candidates.length > 0 || costly.length === 0
      ? undefined
      : readsSpans
      ? this.options.traceCountChecks
      : this.options.traceCountScan;
    // Newest first, or in the page's order by start: the traces a user pages through.
    const order = sort.field === "start_time" ? sort.order : "desc";
    const count = (startIndexed: boolean): Promise<BoundedCount> =>
      scan === undefined ? countUpTo(matching(startIndexed)) : boundedCount(this.db, caps, {
        rows: (edge) =>
          indexed(
            startIndexed,
            edge === undefined ? {} : order === "desc" ? { from: edge } : { to: edge + 1n },
          ),
        time: startOf(startIndexed),
        order,
        match: costly,
        scan,
        limit,
      });
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
    // The plan of a sort by another column waits for the count (the sort's index when more than
    // the limit match; a stop at the scan bound says nothing of that); a sort by start does not.
    const [rows, counted] = serviceOnly
      ? await this.#serviceTraces(filter.serviceName!, failed, { startNs, endNs }, sort.order, page)
      : sortIndexed
      ? await count(true).then(async (c) => [await pageOf(!c.overLimit), c] as const)
      : await Promise.all([pageOf(!fewSlowOrFast), count(!fewSlowOrFast)]);
    const ids = rows.map((r) => r.trace_id);
    const services = new Map<string, string[]>();
    if (ids.length > 0) {
      const found = await this.db.selectFrom("trace_services").select(["trace_id", "service_name"])
        .where(servicesOfTraces(this.caps.driver, traceIdsIn(ids))).execute();
      for (const row of found) {
        const list = services.get(row.trace_id) ?? [];
        list.push(row.service_name);
        services.set(row.trace_id, list);
      }
    }
    const failedIds = rows.filter((r) => Number(r.error_count) > 0).map((r) => r.trace_id);
    const origins = originServicesByTrace(
      await failingSpansOf(this.db, this.caps.driver, failedIds),
    );
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
    // A full page may have more after it; a short one ends the matches.
    const { total, totalCapped } = withThePage(counted, {
      offset: page.offset,
      shown: items.length,
      more: items.length >= page.limit,
    });
    return { total, totalCapped, items };
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
    const head = (failedValue: 0 | 1) =>
      firstRows(
        caps,
        range(failedValue).select(["sv.trace_id", "sv.start_time_unix_nano as start_ns"])
          .orderBy("sv.start_time_unix_nano", order).orderBy("sv.trace_id"),
        page.offset + page.limit,
      );
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
    for (const f of ranges) total += await countRows(this.db, caps, range(f), limit);
    return [rows, cappedAt(total, limit)] as const;
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
    for (const check of exactChecks(caps, filter.attributes ?? [], "attributes")) {
      grouped = grouped.having(any(check));
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
      .where(spansOfTraces(this.caps.driver, ids))
      .groupBy("trace_id")
      .execute();
    const byId = new Map(figures.map((f) => [f.trace_id, f]));
    return await this.#summaries(ids.flatMap((id) => byId.get(id) ?? []));
  }

  /** Summaries of grouped trace figures, in their order, with each trace's root and services. */
  async #summaries(rows: TraceFigureRow[]): Promise<TraceSummary[]> {
    const details = await this.#traceDetails(rows.map((r) => r.trace_id));
    const failed = rows.filter((r) => Number(r.error_count ?? 0) > 0).map((r) => r.trace_id);
    const origins = originServicesByTrace(await failingSpansOf(this.db, this.caps.driver, failed));
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
    const ofTraces = (ids: readonly string[]) => spansOfTraces(this.caps.driver, ids);
    const services = await this.db.selectFrom("spans").select(["trace_id", "service_name"])
      .distinct().where(ofTraces(ids)).execute();
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
      .where(ofTraces(ids));
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
          .where(ofTraces(rootless)).orderBy("start_time_unix_nano").orderBy("span_id")
          .execute(),
      );
    }
    return details;
  }

  #window(window: TimeWindow): { startNs: bigint | string; endNs: bigint | string } {
    return { startNs: this.caps.int64(window.startNs), endNs: this.caps.int64(window.endNs) };
  }
}
