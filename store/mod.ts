/**
 * The storage layer: `createStore(config)` opens SQLite, PostgreSQL, MySQL/MariaDB or SQL Server
 * through Kysely and returns a `Store`, the narrow interface the rest of Argus uses (narrow enough
 * that a ClickHouse store could stand beside this one).
 *
 * @module
 */
import { MetricRollupJob, type MetricRollupOptions } from "./metric_rollups.ts";
import { Kysely, sql } from "kysely";
import { dirname } from "node:path";
import type { DatabaseConfig, DbDriver } from "../lib/config.ts";
import { BatchWriter, KyselyCommitter, type RowCommitter } from "./batch_writer.ts";
import {
  compileInsertStatements,
  InThreadSqliteCommitter,
  WorkerSqliteCommitter,
} from "./sqlite_writer.ts";
import type { Database } from "./columns.ts";
import {
  type DialectCapabilities,
  type OpenDatabase,
  openDatabase,
  sqlitePath,
} from "./dialects/mod.ts";
import { argusMigrator } from "./migrations/mod.ts";
import { type LogTotal, PlannedLogFilter, Queries, type TracePage } from "./queries.ts";
import { type LogTextIndex, logTextIndex } from "./log_search.ts";
import { AttributeIndexer, reconcileIndexKeys } from "./attribute_index.ts";
import { AttributeIndexWriter } from "./attribute_postings.ts";
import type { ErrorOrigins } from "./error_origins.ts";
export type { ErrorOriginCount, ErrorOrigins } from "./error_origins.ts";
import { RollupQueries, type RollupReads } from "./rollup_queries.ts";
import { type InstrumentReads, MetricReads } from "./metric_reads.ts";
export type {
  AttributeValues,
  InstrumentReads,
  MetricWindow,
  SeriesPoints,
} from "./metric_reads.ts";
export {
  exponentialHistogramPoints,
  histogramPoints,
  numberPoints,
  seriesAttributeValues,
  summaryPoints,
} from "./metric_reads.ts";
export type {
  StoredMetricExemplar,
  StoredMetricInstrument,
  StoredMetricInstrumentWithResource,
  StoredMetricSeries,
} from "./metric_columns.ts";
import { readerDatabase, SqliteReadPool } from "./sqlite_read_pool.ts";
export { QueryDeadlineError, withQueryDeadline } from "./query_deadline.ts";
import type { EdgeResolverLimits } from "./edge_resolver.ts";
import { Maintenance, type StoreMaintenance } from "./maintenance.ts";
import { Partitions } from "./partitions.ts";
import { type SpanSearchCandidate, type TraceOutline, TraceReads } from "./trace_reads.ts";
export type { SpanSearchCandidate, TraceOutline } from "./trace_reads.ts";
export type { LogTotal, PlannedLogFilter, TracePage } from "./queries.ts";
export { withThePage } from "./bounded_count.ts";
export type { LogTextIndex } from "./log_search.ts";
export { purgeCutoffNs } from "./maintenance.ts";
import type {
  Batch,
  LogFilter,
  LogPageQuery,
  Page,
  SpanFilter,
  StoredLog,
  StoredSpan,
  TimeWindow,
  TraceFilter,
  TraceSortField,
  WriteResult,
} from "./types.ts";

export * from "./types.ts";
export { StoreUnavailableError } from "./db_errors.ts";
export { classifyDbError, type DbErrorClass } from "./db_errors.ts";
export { logId, resourceId } from "./ids.ts";
export { COLUMN_WIDTHS } from "./columns.ts";
export {
  fitInstrument,
  metricPointProblem,
  screenBatch,
  type ScreenedBatch,
  screenResource,
  type ValidationLimits,
} from "./row_validation.ts";
export type {
  EdgeTotals,
  OperationFigures,
  RollupFilter,
  RollupReads,
  RollupTotals,
  ServiceRequests,
} from "./rollup_queries.ts";
export { windowMinutes } from "./rollup_queries.ts";
export { TooManyPointsError } from "./metric_reads.ts";
export {
  ROLLUP_LEVELS as METRIC_ROLLUP_LEVELS,
  type RollupLevel as MetricRollupLevel,
} from "./metric_rollups.ts";
export { LATENCY_BUCKET_BOUNDS_MS, LATENCY_BUCKET_COUNT, quantileMs } from "./rollups.ts";
export type { EdgeResolverLimits } from "./edge_resolver.ts";
export type {
  PurgeRequest,
  PurgeResult,
  PurgeSignal,
  StoreMaintenance,
  VacuumResult,
} from "./maintenance.ts";
import { errorMessage } from "../utils/errors.ts";

export interface MigrationReport {
  /** Names of the migrations applied by this call (empty when the schema was current). */
  applied: string[];
  /**
   * The log text search's index (store/log_search.ts); none: it scans the window (MySQL, SQL
   * Server, or PostgreSQL where pg_trgm could not be created).
   */
  logTextIndex: LogTextIndex | "none";
}

export interface Store {
  readonly driver: DbDriver;
  /** Brings the schema up to date; safe to call on every start and concurrently from replicas. */
  migrate(): Promise<MigrationReport>;
  /**
   * Stores a batch in one transaction. Invalid items are rejected with reasons, items already
   * stored are counted as duplicates, the rest are inserted. Throws `StoreUnavailableError` when
   * the database cannot be reached, in which case nothing of the batch was committed.
   * `prescreened`: the caller ran `screenBatch` on it with this store's limits and kept only the
   * valid items, so validation is not repeated (ingest's hot path).
   */
  write(batch: Batch, options?: { prescreened?: boolean }): Promise<WriteResult>;
  /**
   * Most writes committing at once (1 on SQLite, `DB_WRITES_IN_FLIGHT` otherwise): more calls
   * of `write` wait their turn, and writes of one trace commit in call order.
   */
  readonly writesInFlight: number;
  traceSpans(traceId: string, limit?: number): Promise<StoredSpan[]>;
  /** A trace's spans in start order with only what the waterfall draws (trace_reads.ts). */
  traceStructure(traceId: string): Promise<TraceOutline>;
  /** One span of a trace with all its fields, or undefined when it is not stored. */
  traceSpan(traceId: string, spanId: string): Promise<StoredSpan | undefined>;
  /**
   * Up to `limit` spans of a trace that may contain `text` (trace_reads.ts), in start order;
   * null when the trace is unknown.
   */
  traceSearchCandidates(
    traceId: string,
    text: string,
    storedText: string,
    limit: number,
  ): Promise<SpanSearchCandidate[] | null>;
  spans(filter: SpanFilter, page: Page): Promise<StoredSpan[]>;
  countSpans(filter: SpanFilter): Promise<number>;
  /**
   * Traces matching the filter as summaries, sorted and paginated, and how many match (of the
   * filtered lists, counted up to `traceCountLimit`, and over at most `traceCountScan` or
   * `traceCountChecks` summaries where each is a text or its spans to check: `totalCapped` says
   * at least `total` match, never fewer than the page shows). Without filters and sorted by start
   * time, the traces whose root span started in the window (fast at any size); otherwise the
   * traces that started in the window and match, from the trace summaries kept at ingest
   * (trace_summaries.ts).
   */
  traces(
    filter: TraceFilter,
    sort: { field: TraceSortField; order: "asc" | "desc" },
    page: Page,
  ): Promise<TracePage>;
  /**
   * A log filter planned once (its text search's and its `attr` matches' use of the indexes), to
   * be passed to `logs` and `logTotal` of one request alike.
   */
  planLogs(filter: LogFilter): Promise<PlannedLogFilter>;
  logs(filter: LogFilter | PlannedLogFilter, page: LogPageQuery): Promise<StoredLog[]>;
  countLogs(filter: LogFilter | PlannedLogFilter): Promise<number>;
  /**
   * How many records `GET /api/logs` says match: exact, but that a text search counts up to
   * `logSearchLimit` (LOG_SEARCH_LIMIT), over at most `logCountScan` records (LOG_COUNT_SCAN)
   * where no index narrows them (`totalCapped`: at least `total` match).
   */
  logTotal(filter: LogFilter | PlannedLogFilter): Promise<LogTotal>;
  /** One log record by its id, or undefined when it is not stored. */
  logById(id: string): Promise<StoredLog | undefined>;
  /**
   * The log records of `ids` (at most 1000), with their resources, in no particular order; ids
   * not stored are left out. `window` (Unix ns, inclusive) bounds their times when known.
   */
  logsByIds(
    ids: readonly string[],
    window?: { fromNs: bigint; toNs: bigint },
  ): Promise<StoredLog[]>;
  /** Dashboard figures from the rollups written at ingest (rollups.ts). */
  readonly rollups: RollupReads;
  /** Stored metrics: instruments, series, points and exemplars (metric_reads.ts). */
  readonly instruments: InstrumentReads;
  /**
   * Where the errors of the window's failed traces start, per service, from its newest `limit`
   * failing spans (error_origins.ts: raw rows, bounded, since it is no rollup).
   */
  errorOrigins(window: TimeWindow, limit: number): Promise<ErrorOrigins>;
  /** Purging old data and compacting the database (maintenance.ts). */
  readonly maintenance: StoreMaintenance;
  /** The metric rollup job (metric_rollups.ts): started by the caller, stopped by `close()`. */
  readonly metricRollups: MetricRollupJob;
  /** Child spans waiting in memory for their parent, to count a call between services. */
  waitingChildSpans(): number;
  /** Round trip to the database; throws when it cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Folder against which a relative SQLite path is resolved (`DATA_DIR`). */
  dataDir: string;
  /**
   * SQLite only: write through Kysely statements instead of prepared ones. For benchmarks, which
   * compare the two; production always uses the faster prepared path.
   */
  sqliteWritesThroughKysely?: boolean;
  /** Errors outside any query (an idle connection dropped by a server restart); ignored if unset. */
  onBackgroundError?: (error: unknown) => void;
  /** Bounds of the pairing of parent and child spans into service-map edges. */
  edges?: Partial<EdgeResolverLimits>;
  /**
   * False writes rows without their rollups (and dashboards then read nothing). For benchmarks,
   * which measure what rollups cost; Argus always writes them.
   */
  rollups?: boolean;
  /**
   * Longest a read's statement may run, in milliseconds (QUERY_TIMEOUT), when its caller set no
   * earlier deadline (`withQueryDeadline`); unbounded when unset. SQLite's reader threads stop the
   * statement at the deadline and answer `QueryDeadlineError`.
   */
  queryTimeoutMs?: number;
  /** The metric rollup job's settings (METRIC_ROLLUP_*) and logger. */
  metricRollups?: MetricRollupOptions;
  /**
   * SQLite files: reader threads instead of `config.readWorkers` (DB_READ_WORKERS); 0 reads on the
   * main thread's connection, as before there were readers (for benchmarks that compare).
   */
  readWorkers?: number;
}

/** How often child spans whose wait for their parent is over are resolved against the database. */
const EDGE_SWEEP_MS = 5_000;

/** SQLite: prepared inserts on a writer thread (in-thread for `:memory:`); else Kysely. */
function chooseCommitter(
  open: OpenDatabase,
  config: DatabaseConfig,
  options: StoreOptions,
): RowCommitter & { close?(): Promise<void> } {
  const index = new AttributeIndexWriter(new AttributeIndexer(config.attributeIndexKeys), {
    postings: config.attributeIndexPostings,
    tracked: config.attributeIndexTracked,
  });
  if (!open.sqlite || options.sqliteWritesThroughKysely) {
    return new KyselyCommitter(open.db, open.capabilities, index);
  }
  const statements = compileInsertStatements(open.db);
  const path = sqlitePath(config.dsn, options.dataDir);
  return path === ":memory:" || path.includes("mode=memory")
    ? new InThreadSqliteCommitter(open.db, open.sqlite, statements, index)
    : new WorkerSqliteCommitter(path, statements, config.pool.statementTimeoutMs, index);
}

/**
 * Where API reads run. A SQLite file: on reader threads (sqlite_read_pool.ts), so a slow read
 * blocks neither ingest nor other requests, and stops at its deadline. `:memory:` (another
 * thread's connection would see another, empty database) and server databases (whose drivers do
 * not block): on the store's own Kysely.
 */
function chooseReads(
  open: OpenDatabase,
  config: DatabaseConfig,
  options: StoreOptions,
): { db: Kysely<Database>; readers?: Kysely<Database> } {
  const workers = options.readWorkers ?? config.readWorkers;
  const path = open.sqlite === undefined ? undefined : sqlitePath(config.dsn, options.dataDir);
  if (path === undefined || workers < 1 || path === ":memory:" || path.includes("mode=memory")) {
    return { db: open.db };
  }
  const pool = new SqliteReadPool(path, {
    workers,
    statementTimeoutMs: options.queryTimeoutMs,
    onAbandoned: options.onBackgroundError,
  });
  const readers = readerDatabase(pool);
  return { db: readers, readers };
}

class KyselyStore implements Store {
  readonly driver: DbDriver;
  readonly #db: Kysely<Database>;
  /** SQLite files: the reader threads' Kysely (closed with the store). */
  readonly #readers?: Kysely<Database>;
  readonly #committer: RowCommitter & { close?(): Promise<void> };
  readonly #writer: BatchWriter;
  readonly #queries: Queries;
  readonly #traceReads: TraceReads;
  readonly rollups: RollupReads;
  readonly instruments: InstrumentReads;
  readonly maintenance: StoreMaintenance;
  readonly metricRollups: MetricRollupJob;
  readonly #sweep: ReturnType<typeof setInterval>;
  readonly #onBackgroundError: (error: unknown) => void;
  readonly #capabilities: DialectCapabilities;
  readonly #attributeIndexKeys: DatabaseConfig["attributeIndexKeys"];
  /** PostgreSQL: the time partitions, kept made ahead (partitions.ts). */
  readonly #partitions?: Partitions;
  /** PostgreSQL: the connection of migrations and partition upkeep (DB_MAINTENANCE_TIMEOUT). */
  readonly #maintenanceDb?: Kysely<Database>;
  #partitionTimer?: ReturnType<typeof setInterval>;

  constructor(open: OpenDatabase, config: DatabaseConfig, options: StoreOptions) {
    this.driver = open.capabilities.driver;
    this.#capabilities = open.capabilities;
    this.#attributeIndexKeys = config.attributeIndexKeys;
    this.#db = open.db;
    const reads = chooseReads(open, config, options);
    this.#readers = reads.readers;
    this.#queries = new Queries(reads.db, open.capabilities, {
      traceCountLimit: config.traceCountLimit,
      traceCountScan: config.traceCountScan,
      traceCountChecks: config.traceCountChecks,
      logSearchLimit: config.logSearchLimit,
      logCountScan: config.logCountScan,
      attributeIndexKeys: config.attributeIndexKeys,
      attributeIndexCandidates: config.attributeIndexCandidates,
    });
    this.#traceReads = new TraceReads(reads.db, open.capabilities);
    this.rollups = new RollupQueries(reads.db);
    this.instruments = new MetricReads(reads.db, open.capabilities);
    if (open.capabilities.driver === "postgres") {
      // Migrations and the partitions' upkeep scan or build whole tables: on a connection whose
      // statements may run DB_MAINTENANCE_TIMEOUT rather than DB_STATEMENT_TIMEOUT.
      this.#maintenanceDb = openDatabase(
        {
          ...config,
          pool: {
            ...config.pool,
            maxOpen: 2,
            maxIdle: 0,
            statementTimeoutMs: config.maintenanceTimeoutMs,
          },
        },
        options.dataDir,
        options.onBackgroundError ?? (() => {}),
      ).db;
      this.#partitions = new Partitions(this.#maintenanceDb, config.partitions);
    }
    // SQLite deletes on the main thread: smaller chunks keep each pause short (~30 ms).
    this.maintenance = new Maintenance(open.db, open.capabilities, open.sqlite, {
      chunkRows: open.sqlite ? 2_000 : 10_000,
      partitions: this.#partitions,
    });
    // On the store's own connection: its transactions write (SQLite: beside the writer thread).
    this.metricRollups = new MetricRollupJob(open.db, open.capabilities, options.metricRollups);
    const committer = this.#committer = chooseCommitter(open, config, options);
    this.#writer = new BatchWriter(
      committer,
      // The writer's own look-ups (rows already stored, parents of waiting spans) stay on the
      // store's connection: primary-key reads of one batch, which must neither queue behind a
      // slow API read nor be stopped by QUERY_TIMEOUT (the batch would go to the DLQ for it).
      reads.readers === undefined ? this.#queries : new Queries(open.db, open.capabilities),
      open.capabilities,
      {
        maxFieldBytes: config.maxFieldBytes,
      },
      options.edges,
      options.rollups ?? true,
      // SQLite has one writer; a server database commits batches of distinct traces at once.
      open.sqlite ? 1 : config.writesInFlight,
    );
    this.#onBackgroundError = options.onBackgroundError ?? (() => {});
    this.#sweep = setInterval(() => {
      if (this.#writer.waitingChildren === 0) return;
      this.#writer.resolveWaitingEdges().catch(this.#onBackgroundError);
    }, EDGE_SWEEP_MS);
    Deno.unrefTimer(this.#sweep as unknown as number);
  }

  /** Most batches `write` commits at once (1 on SQLite): the batcher keeps that many in flight. */
  get writesInFlight(): number {
    return this.#writer.writesInFlight;
  }

  waitingChildSpans(): number {
    return this.#writer.waitingChildren;
  }

  async migrate(): Promise<MigrationReport> {
    const migrator = argusMigrator(this.#maintenanceDb ?? this.#db, this.driver);
    const { error, results } = await migrator.migrateToLatest();
    const failed = results?.find((r) => r.status === "Error");
    if (error !== undefined) {
      throw new Error(
        `Cannot migrate the ${this.driver} schema${
          failed ? ` (migration ${failed.migrationName})` : ""
        }: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    // The attribute index's keys setting may have changed since the last start.
    await reconcileIndexKeys(this.#db, this.#capabilities, this.#attributeIndexKeys);
    await this.#keepPartitionsAhead();
    return {
      applied: (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName),
      logTextIndex: await logTextIndex(this.#db, this.#capabilities) ?? "none",
    };
  }

  /**
   * PostgreSQL: makes the partitions of now and ahead, then again every quarter of an interval
   * (at most hourly), in every replica (partitions.ts serialises them). A failure (a lock not had
   * within PARTITION_LOCK_TIMEOUT, say) is reported, not thrown: the start goes on, rows meanwhile
   * go to the default partition, and the next run makes the partitions and moves them there.
   */
  async #keepPartitionsAhead(): Promise<void> {
    const partitions = this.#partitions;
    if (partitions === undefined) return;
    const ensure = () =>
      partitions.ensureAhead(BigInt(Date.now()) * 1_000_000n).catch(this.#onBackgroundError);
    if (this.#partitionTimer === undefined) {
      const everyMs = Math.min(Number(partitions.intervalNs / 4_000_000n), 3_600_000);
      this.#partitionTimer = setInterval(ensure, everyMs);
      Deno.unrefTimer(this.#partitionTimer as unknown as number);
    }
    await ensure();
  }

  write(batch: Batch, options?: { prescreened?: boolean }): Promise<WriteResult> {
    return this.#writer.write(batch, options?.prescreened ?? false);
  }

  traceSpans(traceId: string, limit?: number) {
    return this.#queries.traceSpans(traceId, limit);
  }
  traceStructure(traceId: string) {
    return this.#traceReads.traceStructure(traceId);
  }
  traceSpan(traceId: string, spanId: string) {
    return this.#traceReads.traceSpan(traceId, spanId);
  }
  traceSearchCandidates(traceId: string, text: string, storedText: string, limit: number) {
    return this.#traceReads.traceSearchCandidates(traceId, text, storedText, limit);
  }
  spans(filter: SpanFilter, page: Page) {
    return this.#queries.spans(filter, page);
  }
  countSpans(filter: SpanFilter) {
    return this.#queries.countSpans(filter);
  }
  async traces(
    filter: TraceFilter,
    sort: { field: TraceSortField; order: "asc" | "desc" },
    page: Page,
  ) {
    const unfiltered = filter.serviceName === undefined && filter.status === undefined &&
      filter.search === undefined && filter.minDurationNs === undefined &&
      filter.maxDurationNs === undefined && (filter.attributes ?? []).length === 0;
    if (unfiltered && sort.field === "start_time") {
      // The default list: traces by their root's start, from the index; the total counts roots.
      const [items, total] = await Promise.all([
        this.#queries.rootTraces(filter, sort.order, page),
        exactCount(
          filter,
          (edge) => this.#queries.countRoots(edge),
          async (inner) => (await this.rollups.totals(inner)).traces,
        ),
      ]);
      return { items, total, totalCapped: false };
    }
    return await this.#queries.traces(filter, sort, page);
  }
  planLogs(filter: LogFilter) {
    return this.#queries.planLogs(filter);
  }
  logs(filter: LogFilter | PlannedLogFilter, page: LogPageQuery) {
    return this.#queries.logs(filter, page);
  }
  countLogs(query: LogFilter | PlannedLogFilter) {
    const filter = query instanceof PlannedLogFilter ? query.filter : query;
    if (
      filter.traceId !== undefined || filter.spanId !== undefined || filter.search !== undefined ||
      (filter.attributes ?? []).length > 0
    ) {
      return this.#queries.countLogs(query);
    }
    // What the rollups count (service, severity) is counted from them for the window's whole
    // minutes, and from the rows for the partial minutes at its ends: exact, at any size.
    return exactCount(
      filter,
      (edge) => this.#queries.countLogs({ ...filter, ...edge }),
      (inner) => this.rollups.logCount({ ...filter, ...inner }),
    );
  }
  async logTotal(query: LogFilter | PlannedLogFilter): Promise<LogTotal> {
    const filter = query instanceof PlannedLogFilter ? query.filter : query;
    return filter.search === undefined
      ? { total: await this.countLogs(query), totalCapped: false }
      : await this.#queries.countLogsUpTo(query);
  }
  logById(id: string) {
    return this.#queries.logById(id);
  }
  logsByIds(ids: readonly string[], window?: { fromNs: bigint; toNs: bigint }) {
    return this.#queries.logsByIds(ids, window);
  }
  errorOrigins(window: TimeWindow, limit: number) {
    return this.#queries.errorOrigins(window, limit);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.#db);
  }

  async close(): Promise<void> {
    clearInterval(this.#sweep);
    clearInterval(this.#partitionTimer);
    await this.metricRollups.stop();
    // Children still waiting for their parent are resolved now, while the database is open.
    await this.#writer.resolveWaitingEdges(true).catch(this.#onBackgroundError);
    await this.#committer.close?.();
    await this.#readers?.destroy();
    await this.#maintenanceDb?.destroy();
    await this.#db.destroy();
  }
}

const NS_PER_MINUTE = 60_000_000_000n;

/**
 * A count over a window, exact and cheap at any size: the rollups' figure for the whole minutes
 * inside the window, plus the rows of the partial minutes at its ends. Windows shorter than a
 * few minutes are counted from the rows alone.
 */
async function exactCount(
  window: TimeWindow,
  rows: (window: TimeWindow) => Promise<number>,
  rollups: (window: TimeWindow) => Promise<number>,
): Promise<number> {
  const innerStart = ((window.startNs + NS_PER_MINUTE - 1n) / NS_PER_MINUTE) * NS_PER_MINUTE;
  const innerEnd = (window.endNs / NS_PER_MINUTE) * NS_PER_MINUTE;
  if (innerEnd - innerStart < 10n * NS_PER_MINUTE) return await rows(window);
  const counts = await Promise.all([
    innerStart > window.startNs
      ? rows({ startNs: window.startNs, endNs: innerStart })
      : Promise.resolve(0),
    rollups({ startNs: innerStart, endNs: innerEnd }),
    window.endNs > innerEnd ? rows({ startNs: innerEnd, endNs: window.endNs }) : Promise.resolve(0),
  ]);
  return counts[0] + counts[1] + counts[2];
}

/**
 * Opens the configured database. SQLite's file (and its folder) is created if missing; server
 * databases connect lazily, so call `migrate()` or `ping()` to find out whether they answer.
 */
export async function createStore(config: DatabaseConfig, options: StoreOptions): Promise<Store> {
  if (config.driver === "sqlite") {
    const path = sqlitePath(config.dsn, options.dataDir);
    if (path !== ":memory:" && !path.startsWith("file:")) {
      await Deno.mkdir(dirname(path), { recursive: true });
    }
  }
  return new KyselyStore(
    openDatabase(config, options.dataDir, options.onBackgroundError ?? (() => {})),
    config,
    options,
  );
}

/** For tests of generated SQL: a store over any Kysely instance and capabilities. */
export function storeOver(
  db: Kysely<Database>,
  capabilities: DialectCapabilities,
  config: DatabaseConfig,
): Store {
  return new KyselyStore({ db, capabilities }, config, { dataDir: "." });
}
