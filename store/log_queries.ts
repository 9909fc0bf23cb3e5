/**
 * The log list's reads (`GET /api/logs`): records of a window by time then id, paged by offset or
 * by a record's cursor, filtered by service, severity, trace, span, body text (log_search.ts) and
 * attributes (attribute_conditions.ts); and how many match.
 *
 * A filter is planned once (`planLogs`: the text search's plan, the attribute index's
 * candidates), and the plan is passed to the page and the count alike, so that they read the
 * same candidates and the planning's look-ups are not repeated.
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
import { type Database, logFromDb } from "./columns.ts";
import type { DialectCapabilities } from "./dialects/mod.ts";
import {
  type AttributeConditions,
  attributeConditions,
  type AttributeIndexUse,
} from "./attribute_conditions.ts";
import {
  bodyMatches,
  indexCandidates,
  type LogSearchPlan,
  type LogTextIndex,
  logTextIndex,
  planColumn,
  planLogSearch,
  SCAN,
} from "./log_search.ts";
import { boundedCount, cappedAt, type Count, countRows } from "./bounded_count.ts";
import { RESOURCE_COLUMNS } from "./resource_columns.ts";
import type { LogFilter, LogKey, LogPageQuery, StoredLog, TimeWindow } from "./types.ts";

type Db = Kysely<Database>;

/** Most ids of one `logsByIds` (SQL Server takes at most 2100 parameters per statement). */
export const MAX_LOGS_BY_IDS = 1000;

/** What the log list's reads may need beyond their database (QueryOptions). */
export interface LogQueryOptions {
  /**
   * A log text search (log_search.ts) reads through the text index when its terms have at most
   * this many candidates, and counts its matches up to this many (LOG_SEARCH_LIMIT). Unset: the
   * search scans and counts every match (the reference in tests and benchmarks).
   */
  logSearchLimit?: number;
  /**
   * Most records a search's count reads, newest first, when no index narrows them (LOG_COUNT_SCAN:
   * a common term past the text index's candidates, a database without one, an `attr` match the
   * attribute index cannot serve): past it the count answers "at least" the matches among them.
   * Unset: the whole window (up to `logSearchLimit` matches).
   */
  logCountScan?: number;
  /** What the attribute index may serve (attribute_index.ts). */
  attributeIndex?: AttributeIndexUse;
}

/** How many records match: `total`, or at least it when `totalCapped` (LOG_SEARCH_LIMIT). */
export type LogTotal = Count;

/**
 * A log filter with its plan (`LogQueries.planLogs`): read the same way by the page and the
 * count. Made only by `planLogs`.
 */
export class PlannedLogFilter {
  /** @internal */
  constructor(
    readonly filter: LogFilter,
    /** How the text search reads (log_search.ts); SCAN without one. */
    readonly search: LogSearchPlan,
    /** The `attr` matches' conditions: the index's candidates and the exact checks. */
    readonly attributes: AttributeConditions,
  ) {}
}

export class LogQueries {
  /** The text index of this database, looked up once (PostgreSQL: whether pg_trgm is there). */
  #textIndex?: Promise<LogTextIndex | undefined>;

  constructor(
    private readonly db: Db,
    private readonly caps: DialectCapabilities,
    private readonly options: LogQueryOptions = {},
  ) {}

  /**
   * A filter's plan: its text search's (the index's candidates, or the scan) and its `attr`
   * matches' (the attribute index's candidates, when it can serve them). A planned filter is
   * answered as it is.
   */
  async planLogs(filter: LogFilter | PlannedLogFilter): Promise<PlannedLogFilter> {
    if (filter instanceof PlannedLogFilter) return filter;
    const window = this.#window(filter);
    const [search, attributes] = await Promise.all([
      filter.search === undefined ? SCAN : planLogSearch(
        this.db,
        this.caps,
        window,
        filter.search,
        this.options.logSearchLimit,
      ),
      (filter.attributes ?? []).length === 0 ? { candidates: [], checks: [] } : attributeConditions(
        this.db,
        this.caps,
        this.options.attributeIndex ?? {},
        filter.attributes ?? [],
        "logs.attributes",
        {
          signal: "logs",
          idColumn: "logs.id",
          time: sql.ref("logs.time_unix_nano"),
          from: filter.startNs,
          to: filter.endNs,
        },
      ),
    ]);
    return new PlannedLogFilter(filter, search, attributes);
  }

  /**
   * Log records in a window, newest first unless `page.order` is "asc", by time then id (so that
   * records of one nanosecond keep one order, which the keyset pages rely on). With a cursor, the
   * `limit` records nearest it on its side, read going away from it, then listed in `page.order`.
   */
  async logs(filter: LogFilter | PlannedLogFilter, page: LogPageQuery): Promise<StoredLog[]> {
    const planned = await this.planLogs(filter);
    const order = page.order ?? "desc";
    const direction = page.after ? "asc" : page.before ? "desc" : order;
    let query = this.#logWhere(
      this.db.selectFrom("logs")
        .innerJoin("resources", "resources.id", "logs.resource_id")
        .selectAll("logs")
        .select(RESOURCE_COLUMNS),
      planned,
    );
    if (page.after) query = this.#pastLogKey(query, ">", page.after, planned);
    if (page.before) query = this.#pastLogKey(query, "<", page.before, planned);
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

  /**
   * The records of `ids` (at most `MAX_LOGS_BY_IDS`), in no particular order; ids not stored are
   * left out. `window` (Unix ns, inclusive), when given, bounds their times, so that a database
   * partitioned by time reads only the partitions it covers (the live feed of other replicas).
   */
  async logsByIds(
    ids: readonly string[],
    window?: { fromNs: bigint; toNs: bigint },
  ): Promise<StoredLog[]> {
    if (ids.length > MAX_LOGS_BY_IDS) {
      throw new RangeError(
        `Cannot read logs by id as at most ${MAX_LOGS_BY_IDS} ids may be read at once: current ` +
          `value is ${ids.length}`,
      );
    }
    if (ids.length === 0) return [];
    let query = this.db.selectFrom("logs")
      .innerJoin("resources", "resources.id", "logs.resource_id")
      .selectAll("logs")
      .select(RESOURCE_COLUMNS)
      .where("logs.id", "in", [...new Set(ids)]);
    if (window !== undefined) {
      query = query
        .where("logs.time_unix_nano", ">=", this.caps.int64(window.fromNs))
        .where("logs.time_unix_nano", "<=", this.caps.int64(window.toNs));
    }
    return (await query.execute()).map(logFromDb);
  }

  /** How many records match, exactly. */
  async countLogs(filter: LogFilter | PlannedLogFilter): Promise<number> {
    const row = await this.#logWhere(
      this.db.selectFrom("logs").select((eb) => eb.fn.countAll().as("n")),
      await this.planLogs(filter),
    ).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * How many records match, counting at most `logSearchLimit` + 1 when there is one: a common
   * term's count then stops there rather than reading every record of the window. When no index
   * narrows the records (`#countScan`), it reads at most `logCountScan` of them, newest first
   * (bounded_count.ts): a term in a few per cent of the records would otherwise read most of the
   * window to find the limit's matches.
   */
  async countLogsUpTo(filter: LogFilter | PlannedLogFilter): Promise<LogTotal> {
    const limit = this.options.logSearchLimit;
    const planned = await this.planLogs(filter);
    if (limit === undefined) return { total: await this.countLogs(planned), totalCapped: false };
    const scan = await this.#countScan(planned);
    const { total, totalCapped } = scan === undefined
      ? cappedAt(
        await countRows(
          this.db,
          this.caps,
          this.#logWhere(this.db.selectFrom("logs"), planned),
          limit,
        ),
        limit,
      )
      : await boundedCount(this.db, this.caps, {
        // Newest first: from the edge's time on.
        rows: (edge) => this.#indexedWhere(this.db.selectFrom("logs"), planned, edge),
        time: sql.ref("logs.time_unix_nano"),
        order: "desc",
        match: this.#checks(planned),
        scan,
        limit,
      });
    return { total, totalCapped };
  }

  /**
   * How many records a count reads (`logCountScan`) when nothing but the time and the other
   * indexed columns narrows them; undefined when an index does: the text index's candidates
   * (SQLite), pg_trgm, which PostgreSQL's planner may take for the ILIKE, or the attribute
   * index's candidates (and when there is no check to make).
   */
  async #countScan(planned: PlannedLogFilter): Promise<number | undefined> {
    const scan = this.options.logCountScan;
    if (scan === undefined || planned.search.index) return undefined;
    if (planned.attributes.candidates.length > 0 || this.#checks(planned).length === 0) {
      return undefined;
    }
    if (planned.filter.search !== undefined && this.caps.driver === "postgres") {
      this.#textIndex ??= logTextIndex(this.db, this.caps);
      if (await this.#textIndex === "pg_trgm") return undefined;
    }
    return scan;
  }

  #window(window: TimeWindow): { startNs: bigint | string; endNs: bigint | string } {
    return { startNs: this.caps.int64(window.startNs), endNs: this.caps.int64(window.endNs) };
  }

  /**
   * How the conditions name a column: as the text search's plan says (log_search.ts), and as
   * `+column` (which no index serves) on SQLite when `attr` candidates drive the read, so that it
   * looks the candidates up by id rather than walking the time index past them.
   */
  #column(planned: PlannedLogFilter): (name: string) => RawBuilder<unknown> {
    const driven = this.caps.driver === "sqlite" && planned.attributes.candidates.length > 0;
    return (name) => driven ? sql`+${sql.ref(name)}` : planColumn(planned.search, name);
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
    planned: PlannedLogFilter,
  ): Q {
    const time = this.caps.int64(key.timeUnixNano);
    const column = this.#column(planned);
    return query
      .where(column("logs.time_unix_nano"), side === ">" ? ">=" : "<=", time)
      .where((eb) =>
        eb.or([
          eb(column("logs.time_unix_nano"), side, time),
          eb(column("logs.id"), side, key.id),
        ])
      ) as Q;
  }

  /** The filter's conditions, read as its plan says. */
  // deno-lint-ignore no-explicit-any -- shared by selects with different output shapes
  #logWhere<Q extends SelectQueryBuilder<Database, any, any>>(
    query: Q,
    planned: PlannedLogFilter,
  ): Q {
    let q = this.#indexedWhere(query, planned);
    for (const check of this.#checks(planned)) q = q.where(check) as Q;
    return q;
  }

  /**
   * The conditions that indexes serve: the window (from `from` on, ns, for a bounded count),
   * service, severity, trace and span, and the candidates of the text and attribute indexes.
   */
  // deno-lint-ignore no-explicit-any -- shared by selects with different output shapes
  #indexedWhere<Q extends SelectQueryBuilder<Database, any, any>>(
    query: Q,
    planned: PlannedLogFilter,
    from?: bigint,
  ): Q {
    const { filter, search, attributes } = planned;
    const { startNs, endNs } = this.#window({
      startNs: from !== undefined && from > filter.startNs ? from : filter.startNs,
      endNs: filter.endNs,
    });
    const column = this.#column(planned);
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
    if (search.index) q = q.where(indexCandidates(search.rowids));
    for (const candidates of attributes.candidates) q = q.where(candidates);
    return q as Q;
  }

  /** The conditions checked record by record: the body's text, the attributes' JSON. */
  #checks({ filter, attributes }: PlannedLogFilter): Expression<SqlBool>[] {
    return [
      ...(filter.search === undefined ? [] : [bodyMatches(this.caps, filter.search)]),
      ...attributes.checks,
    ];
  }
}
