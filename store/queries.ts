/**
 * Reads. Every query that scans is bounded by a time window on an indexed column
 * (`spans.start_time_unix_nano`, `logs.time_unix_nano`); trace-by-id uses the primary key.
 *
 * @module
 */
import { type Expression, type Kysely, type SelectQueryBuilder, sql, type SqlBool } from "kysely";
import { type Database, logFromDb, spanFromDb } from "./columns.ts";
import type { DialectCapabilities } from "./dialects/mod.ts";
import {
  type ErrorOrigins,
  errorOrigins,
  failingSpansOf,
  originServicesByTrace,
} from "./error_origins.ts";
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
}

/** A page of the trace list and how many traces match: `total`, or at least it when capped. */
export interface TracePage {
  items: TraceSummary[];
  total: number;
  /** More than `total` traces match: counting stopped at the limit (TRACE_COUNT_LIMIT). */
  totalCapped: boolean;
}

export class Queries {
  constructor(
    private readonly db: Db,
    private readonly caps: DialectCapabilities,
    private readonly options: QueryOptions = {},
  ) {}

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

    // The order too: SQLite would otherwise walk the start index for a sort by start.
    const startOf = (startIndexed: boolean) =>
      startIndexed
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
        query = query.where(spanOfTrace(caps.containsIgnoringCase("s.name", filter.search)));
      }
      for (const match of filter.attributes ?? []) {
        const fragments = attributeFragments(match).map((f) => caps.contains("s.attributes", f));
        query = query.where(spanOfTrace(sql<SqlBool>`(${sql.join(fragments, sql` or `)})`));
      }
      return query;
    };
    const pageOf = (startIndexed: boolean) =>
      caps.paginate(
        matching(startIndexed).select([
          "ts.trace_id",
          "ts.start_time_unix_nano as start_ns",
          "ts.end_time_unix_nano as end_ns",
          "ts.span_count",
          "ts.error_count",
          "ts.root_service",
          "ts.root_name",
        ]).orderBy(
          sort.field === "start_time"
            ? startOf(startIndexed)
            : sort.field === "duration"
            ? sql.ref("ts.duration_ns")
            : sql.ref("ts.span_count"),
          sort.order,
        ).orderBy("ts.trace_id"),
        page,
      ).execute();
    const counting = countUpTo(matching(!fewSlowOrFast));
    const sortIndexed = limit !== undefined && sort.field !== "start_time" && !fewSlowOrFast;
    // The plan of a sort by another column waits for the count; a sort by start does not.
    const [rows, counted] = sortIndexed
      ? await counting.then(async (c) => [await pageOf(!c.totalCapped), c] as const)
      : await Promise.all([pageOf(!fewSlowOrFast), counting]);
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
    let query = this.#logWhere(
      this.db.selectFrom("logs")
        .innerJoin("resources", "resources.id", "logs.resource_id")
        .selectAll("logs")
        .select(RESOURCE_COLUMNS),
      filter,
    );
    if (page.after) query = this.#pastLogKey(query, ">", page.after);
    if (page.before) query = this.#pastLogKey(query, "<", page.before);
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
    const row = await this.#logWhere(
      this.db.selectFrom("logs").select((eb) => eb.fn.countAll().as("n")),
      filter,
    ).executeTakeFirstOrThrow();
    return Number(row.n);
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
  ): Q {
    const time = this.caps.int64(key.timeUnixNano);
    return query
      .where("logs.time_unix_nano", side === ">" ? ">=" : "<=", time)
      .where((eb) =>
        eb.or([eb("logs.time_unix_nano", side, time), eb("logs.id", side, key.id)])
      ) as Q;
  }

  // deno-lint-ignore no-explicit-any -- shared by selects with different output shapes
  #logWhere<Q extends SelectQueryBuilder<Database, any, any>>(query: Q, filter: LogFilter): Q {
    const { startNs, endNs } = this.#window(filter);
    let q = query
      .where("logs.time_unix_nano", ">=", startNs)
      .where("logs.time_unix_nano", "<", endNs);
    if (filter.serviceName !== undefined) q = q.where("logs.service_name", "=", filter.serviceName);
    if (filter.minSeverity !== undefined) {
      q = q.where("logs.severity_number", ">=", filter.minSeverity);
    }
    if (filter.traceId !== undefined) q = q.where("logs.trace_id", "=", filter.traceId);
    if (filter.spanId !== undefined) q = q.where("logs.span_id", "=", filter.spanId);
    if (filter.search !== undefined) {
      q = q.where(this.caps.containsIgnoringCase("logs.body", filter.search));
    }
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
