/**
 * Writing a batch: validate every item, drop repeated keys, commit the rest in one transaction,
 * and, when the database refuses the batch for a reason other than being unavailable, find the
 * poison rows one by one so that their neighbours are still stored.
 *
 * Two ways to commit, chosen by the dialect: Kysely statements (PostgreSQL, MySQL, SQL Server,
 * and SQLite in benchmarks), or, for SQLite, prepared statements on a writer thread
 * (sqlite_writer.ts), since SQLite's single writer is Argus's ceiling.
 *
 * @module
 */
import { CompiledQuery, type Kysely, sql } from "kysely";
import type { Database, DbRollups, ResourcesTable } from "./columns.ts";
import { logToDb, resourceToDb, rollupsToDb, spanToDb, TABLE_KEYS } from "./columns.ts";
import type { DialectCapabilities } from "./dialects/mod.ts";
import { firstNumber } from "./dialects/common.ts";
import { SQLITE_LOG_TEXT } from "./log_search.ts";
import { SQLITE_SPAN_KEY, SQLITE_TRACE_KEYS } from "./trace_keys.ts";
import { classifyDbError, type DbErrorClass, StoreUnavailableError } from "./db_errors.ts";
import { EdgeResolver, type EdgeResolverLimits, spanKey } from "./edge_resolver.ts";
import { rollUp, ROLLUP_TABLES, type RollupTable } from "./rollups.ts";
import { claimSummaries, refreshSummaries, traceIdsOf } from "./trace_summaries.ts";
import { ALL_KEYS, AttributeIndexer } from "./attribute_index.ts";
import { AttributeIndexWriter, type Posting } from "./attribute_postings.ts";
import { screenBatch, type ScreenedBatch, type ValidationLimits } from "./row_validation.ts";
import { type CommitCounts, keyOf, keysByTrace } from "./sqlite_commit.ts";
import type { Batch, LogRow, Rejection, SignalWriteResult, SpanRow, WriteResult } from "./types.ts";
import type { MetricPointRow } from "./metric_types.ts";
import { writeMetricRows } from "./metric_writes.ts";
import { WriteSchedule } from "./write_schedule.ts";
import { errorMessage } from "../utils/errors.ts";

const ROLLUP_TABLE_NAMES = Object.keys(ROLLUP_TABLES) as RollupTable[];

/**
 * Commits of one batch before its rollups are written even if some of its rows turn out to be
 * stored already (another writer stored them between the look-up and the commit).
 */
const EXACT_ATTEMPTS = 3;

/**
 * Runs of one commit after the database rolled it back to settle a conflict with another writer's
 * (a deadlock between two batches in flight, or two replicas): it is run again at once, after a
 * short random pause that keeps the two from meeting again.
 */
const CONFLICT_ATTEMPTS = 5;

export { StoreUnavailableError } from "./db_errors.ts";

/**
 * What one commit writes, all valid and with distinct keys: resources as table rows, spans and
 * logs as domain rows, which each committer turns into its own rows (columns.ts), so that the
 * SQLite writer makes its flat values straight from them.
 */
export interface DbRows {
  resources: ResourcesTable[];
  spans: readonly SpanRow[];
  logs: readonly LogRow[];
  /** Metric points with their instruments; written if absent, and counted by no rollup. */
  metrics?: readonly MetricPointRow[];
}

const NO_ROWS: DbRows = { resources: [], spans: [], logs: [] };

/** Commits rows, and the rollups that count them, in one transaction. */
export interface RowCommitter {
  /**
   * Inserts the rows that are not stored yet and answers how many spans and logs it inserted.
   * When every row was new, or with `force`, it also recomputes the summaries of the spans'
   * traces (trace_summaries.ts), adds the rollups and commits; otherwise it
   * rolls back and answers `complete: false`, since the rollups would count the stored rows twice.
   */
  commit(rows: DbRows, rollups: DbRollups, force: boolean): Promise<CommitCounts>;
}

/** The reads the writer needs. */
export interface StoredKeys {
  /** Of the given spans, those stored: `traceId + spanId` → service name. */
  spanServices(keys: readonly { traceId: string; spanId: string }[]): Promise<Map<string, string>>;
  /** Of the given log ids, those stored. */
  storedLogIds(ids: readonly string[]): Promise<Set<string>>;
}

/** Thrown inside a transaction to roll it back when some rows were stored already. */
class Incomplete extends Error {
  constructor(readonly counts: CommitCounts) {
    super("Some rows were stored already");
  }
}

/** Commits through Kysely, chunking statements to the dialect's parameter and size limits. */
export class KyselyCommitter implements RowCommitter {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
    private readonly index = new AttributeIndexWriter(new AttributeIndexer(ALL_KEYS)),
  ) {}

  async commit(rows: DbRows, rollups: DbRollups, force: boolean): Promise<CommitCounts> {
    const caps = this.capabilities;
    const plan = this.index.plan(rows.spans, rows.logs);
    const index = {
      spans: indexRows(plan.spans, caps.int64, (bucket, h, trace_id) => ({ bucket, h, trace_id })),
      logs: indexRows(plan.logs, caps.int64, (bucket, h, log_id) => ({ bucket, h, log_id })),
    };
    try {
      // Committed before the batch when a skipped key stays locked (`skipLocksKey`): a resource
      // row with no span or log yet is harmless, and the batch's rows always find theirs.
      if (caps.skipLocksKey === true) await this.#insertResources(this.db, rows.resources);
      const transaction = caps.writeIsolation === undefined
        ? this.db.transaction()
        : this.db.transaction().setIsolationLevel(caps.writeIsolation);
      const counts = await transaction.execute(async (trx) => {
        // Before the spans: a replica writing spans of the same traces waits here (see
        // trace_summaries.ts), so that the recompute below sees what it committed.
        const traceIds = traceIdsOf(rows.spans);
        const recompute = await claimSummaries(trx, caps, traceIds, rows.spans);
        if (caps.skipLocksKey !== true) await this.#insertResources(trx, rows.resources);
        let spans = 0;
        const spanRows = rows.spans.map((span) => spanToDb(span, caps.int64));
        if (caps.driver === "sqlite" && spanRows.length > 0) {
          // SQLite keys the spans by their trace's key (trace_keys.ts): a summary row (and so a
          // key) for every trace first, which the recompute below fills.
          const ids = JSON.stringify(traceIds);
          await trx.executeQuery(CompiledQuery.raw(SQLITE_TRACE_KEYS.claim, [ids]));
          const found = await trx.executeQuery<Record<string, unknown>>(
            CompiledQuery.raw(SQLITE_TRACE_KEYS.keys, [ids]),
          );
          const keys = keysByTrace(found.rows);
          for (const row of spanRows) {
            (row as { trace_key?: unknown }).trace_key = keyOf(keys, row.trace_id);
          }
        }
        // `trace_key` is a column of SQLite's span table only, not of the shared table types.
        const spanKey = (caps.driver === "sqlite"
          ? SQLITE_SPAN_KEY
          : TABLE_KEYS.spans) as typeof TABLE_KEYS.spans;
        for (const chunk of chunks(spanRows, caps)) {
          spans += await caps.insertIfAbsent(trx, "spans", spanKey, chunk);
        }
        let logs = 0;
        const logRows = rows.logs.map((log) =>
          logToDb(log, caps.int64)
        );
        // SQLite's log text index is filled per commit (log_search.ts SQLITE_LOG_TEXT).
        const lastLog = caps.driver === "sqlite" && logRows.length > 0
          ? await firstNumber(trx, sql.raw(SQLITE_LOG_TEXT.lastRowid))
          : undefined;
        for (const chunk of chunks(logRows, caps)) {
          logs += await caps.insertIfAbsent(trx, "logs", TABLE_KEYS.logs, chunk);
        }
        if (lastLog !== undefined && logs > 0) {
          // The statement the writer thread prepares, its `?` bound here too.
          await trx.executeQuery(CompiledQuery.raw(SQLITE_LOG_TEXT.index, [lastLog]));
        }
        // Points stored before are skipped by their key and counted by nothing: they never make
        // the commit incomplete.
        const metrics = rows.metrics === undefined || rows.metrics.length === 0
          ? 0
          : (await writeMetricRows(trx, caps, { points: rows.metrics })).points.inserted;
        if (!force && (spans !== rows.spans.length || logs !== rows.logs.length)) {
          throw new Incomplete({ spans, logs, metrics, complete: false });
        }
        // Every row's, also those stored already (a forced commit): their index rows, if any,
        // are skipped as stored.
        for (const chunk of chunks(index.spans, caps)) {
          await caps.insertIfAbsent(trx, "span_attributes", TABLE_KEYS.span_attributes, chunk);
        }
        for (const chunk of chunks(index.logs, caps)) {
          await caps.insertIfAbsent(trx, "log_attributes", TABLE_KEYS.log_attributes, chunk);
        }
        await refreshSummaries(trx, caps, recompute);
        for (const table of ROLLUP_TABLE_NAMES) {
          const rows = rollups[table] as DbRollups["span_rollups"];
          for (const chunk of chunks(rows, caps)) {
            // The union of row types does not narrow with `table`; the rows are that table's.
            await caps.upsertAdd(trx, table as "span_rollups", chunk);
          }
        }
        return { spans, logs, metrics, complete: true };
      });
      plan.committed();
      return counts;
    } catch (error) {
      if (error instanceof Incomplete) return error.counts;
      throw error;
    }
  }

  async #insertResources(db: Kysely<Database>, resources: readonly ResourcesTable[]) {
    // In id order: two writers of the same new resources take their keys in the same order.
    const sorted = [...resources].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const chunk of chunks(sorted, this.capabilities)) {
      await this.capabilities.insertIfAbsent(db, "resources", TABLE_KEYS.resources, chunk);
    }
  }
}

/** The rows of a commit's attribute index postings (attribute_postings.ts), as `row` shapes them. */
function indexRows<T>(
  postings: readonly Posting[],
  int64: DialectCapabilities["int64"],
  row: (bucket: number, h: ReturnType<DialectCapabilities["int64"]>, id: string) => T,
): T[] {
  const out: T[] = [];
  for (const { bucket, h, ids } of postings) {
    const hash = int64(BigInt(h));
    for (const id of ids) out.push(row(bucket, hash, id));
  }
  return out;
}

/** Splits rows so that each statement stays under the dialect's parameter and byte limits. */
export function* chunks<T extends object>(
  rows: readonly T[],
  caps: Pick<DialectCapabilities, "maxParameters" | "maxStatementBytes" | "columnarWrites">,
): Generator<T[]> {
  if (rows.length === 0) return;
  const perRow = Object.keys(rows[0]!).length;
  // Columnar writes bind one parameter per column, whatever the number of rows.
  const maxRows = caps.columnarWrites === true
    ? Infinity
    : Math.max(1, Math.floor(caps.maxParameters / perRow));
  let chunk: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = approximateBytes(row);
    if (chunk.length > 0 && (chunk.length >= maxRows || bytes + size > caps.maxStatementBytes)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(row);
    bytes += size;
  }
  yield chunk;
}

function approximateBytes(row: object): number {
  let bytes = 0;
  for (const value of Object.values(row)) {
    // Strings may be sent as UTF-8 (3 bytes per UTF-16 unit at most) and escaped.
    bytes += typeof value === "string" ? value.length * 3 + 8 : 16;
  }
  return bytes;
}

/** Rows inserted by one commit, by signal (metric data points for `metrics`). */
interface Counts {
  spans: number;
  logs: number;
  metrics: number;
}

/** Prepared items of one signal: what goes to the database and what was refused. */
interface Prepared<Item> {
  items: Item[];
  /** Index in the batch of each entry of `items`. */
  indexes: number[];
  rejected: Rejection[];
  /** Items skipped because an earlier item of the same batch has the same key. */
  repeated: number;
}

/**
 * Drops items whose key an earlier item of the batch has: rollups must count each stored row
 * once, and SQL Server's MERGE cannot take a key twice.
 */
function prepare<Item>(
  items: readonly Item[],
  indexes: readonly number[],
  rejected: Rejection[],
  key: (item: Item) => string,
): Prepared<Item> {
  const prepared: Prepared<Item> = { items: [], indexes: [], rejected, repeated: 0 };
  const seen = new Set<string>();
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const k = key(item);
    if (seen.has(k)) {
      prepared.repeated++;
      continue;
    }
    seen.add(k);
    prepared.items.push(item);
    prepared.indexes.push(indexes[i]!);
  }
  return prepared;
}

function result(prepared: Prepared<unknown>, inserted: number): SignalWriteResult {
  return {
    inserted,
    duplicates: prepared.repeated + (prepared.items.length - inserted),
    rejected: prepared.rejected.sort((a, b) => a.index - b.index),
  };
}

/** A batch the caller screened already, in the shape screenBatch gives. */
function trusted(batch: Batch): ScreenedBatch {
  const seen = new Set<string>();
  return {
    batch: {
      resources: batch.resources.filter((r) => !seen.has(r.id) && seen.add(r.id)),
      spans: batch.spans,
      logs: batch.logs,
      metrics: batch.metrics,
    },
    spanIndexes: batch.spans.map((_, i) => i),
    logIndexes: batch.logs.map((_, i) => i),
    rejected: { spans: [], logs: [] },
  };
}

type PreparedSpans = Prepared<SpanRow>;
type PreparedLogs = Prepared<LogRow>;
type PreparedMetrics = Prepared<MetricPointRow>;

/**
 * The metric points of `batch` whose resource `screened` kept (screenBatch checks resources and
 * leaves metric points to their decoder's checks), the others refused.
 */
function screenMetrics(batch: Batch, screened: ScreenedBatch): {
  points: MetricPointRow[];
  indexes: number[];
  rejected: Rejection[];
} {
  const out = {
    points: [] as MetricPointRow[],
    indexes: [] as number[],
    rejected: [] as Rejection[],
  };
  const points = batch.metrics ?? [];
  if (points.length === 0) return out;
  const resources = new Set(screened.batch.resources.map((r) => r.id));
  points.forEach((point, index) => {
    const id = point.instrument.resourceId;
    if (resources.has(id)) out.points.push(point), out.indexes.push(index);
    else {
      out.rejected.push({
        index,
        reason: `its resource ${id} is not in the batch or cannot be stored`,
      });
    }
  });
  return out;
}

/**
 * Validates, deduplicates and commits batches with their rollups; isolates rows the database
 * refuses. Up to `writesInFlight` batches commit at once when they share no trace, and batches of
 * one trace in call order (write_schedule.ts says why that is enough for the edge resolver and the
 * trace summaries); with 1, one at a time in call order.
 */
export class BatchWriter {
  readonly #edges: EdgeResolver;
  readonly #schedule: WriteSchedule;

  constructor(
    private readonly committer: RowCommitter,
    private readonly stored: StoredKeys,
    private readonly capabilities: DialectCapabilities,
    private readonly limits: ValidationLimits,
    edgeLimits: Partial<EdgeResolverLimits> = {},
    /** False only in benchmarks (see `StoreOptions.rollups`). */
    private readonly rollups = true,
    writesInFlight = 1,
  ) {
    this.#edges = new EdgeResolver(edgeLimits);
    this.#schedule = new WriteSchedule(writesInFlight);
  }

  /** Most batches committing at once. */
  get writesInFlight(): number {
    return this.#schedule.limit;
  }

  /** Child spans waiting for their parent (see edge_resolver.ts). */
  get waitingChildren(): number {
    return this.#edges.waitingCount;
  }

  /** See `Store.write`; `prescreened` skips validation the caller already did (ingest). */
  write(batch: Batch, prescreened = false): Promise<WriteResult> {
    const traces = new Set<string>();
    for (const span of batch.spans) traces.add(span.traceId);
    return this.#schedule.run(traces, () => this.#write(batch, prescreened));
  }

  /**
   * Resolves the child spans whose wait for their parent is over (all of them with `all`, on
   * close) against the database, and commits the edges found; answers how many.
   */
  resolveWaitingEdges(all = false): Promise<number> {
    // Alone: it reads what every commit before it stored, and no plan may be made meanwhile.
    return this.#schedule.run("exclusive", async () => {
      const children = this.#edges.takeExpired(all);
      if (children.length === 0) return 0;
      try {
        const parents = await this.stored.spanServices(
          children.map((c) => ({ traceId: c.traceId, spanId: c.parentSpanId })),
        );
        const edges = EdgeResolver.edgesFromParents(children, parents);
        if (edges.length > 0) {
          const rollups = rollupsToDb(rollUp([], [], edges), this.capabilities.int64);
          await this.#commitSettlingConflicts(NO_ROWS, rollups, true);
        }
        return edges.length;
      } catch (error) {
        this.#edges.requeue(children);
        throw error;
      }
    });
  }

  /** `committer.commit`, run again when the database rolled it back as a conflict's loser. */
  async #commitSettlingConflicts(
    rows: DbRows,
    rollups: DbRollups,
    force: boolean,
  ): Promise<CommitCounts> {
    for (let attempt = 1;; attempt++) {
      try {
        return await this.committer.commit(rows, rollups, force);
      } catch (error) {
        if (attempt >= CONFLICT_ATTEMPTS || !this.capabilities.lostConflict(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
      }
    }
  }

  async #write(batch: Batch, prescreened: boolean): Promise<WriteResult> {
    const screened = prescreened ? trusted(batch) : screenBatch(batch, this.limits);
    const spans = prepare(
      screened.batch.spans,
      screened.spanIndexes,
      screened.rejected.spans,
      (s) => spanKey(s.traceId, s.spanId),
    );
    const logs = prepare(
      screened.batch.logs,
      screened.logIndexes,
      screened.rejected.logs,
      (l) => l.id,
    );
    const screenedMetrics = screenMetrics(batch, screened);
    const metrics = prepare(
      screenedMetrics.points,
      screenedMetrics.indexes,
      screenedMetrics.rejected,
      (p) => p.pointKey,
    );
    const resources = screened.batch.resources.map(resourceToDb);
    const counts = await this.#commitOrIsolate(resources, spans, logs, metrics);
    const written: WriteResult = {
      spans: result(spans, counts.spans),
      logs: result(logs, counts.logs),
    };
    if (batch.metrics !== undefined) written.metrics = result(metrics, counts.metrics);
    return written;
  }

  async #commitOrIsolate(
    resources: ResourcesTable[],
    spans: PreparedSpans,
    logs: PreparedLogs,
    metrics: PreparedMetrics,
  ): Promise<Counts> {
    if (spans.items.length === 0 && logs.items.length === 0 && metrics.items.length === 0) {
      return { spans: 0, logs: 0, metrics: 0 };
    }
    try {
      return await this.#commitOnce(resources, spans.items, logs.items, metrics.items);
    } catch (error) {
      this.#throwUnlessMaybeContent(error);
    }
    // The database refused the batch with an error that may be about its content: commit row by
    // row so that only the rows it refuses are rejected. Slow, but only ever reached with data
    // validation did not foresee.
    const trial = new Isolation();
    const none: never[] = [];
    const counts = {
      spans: await this.#isolate(
        spans,
        (one) => this.#commitOnce(resources, one, none, none),
        trial,
        trial.spans,
      ),
      logs: await this.#isolate(
        logs,
        (one) => this.#commitOnce(resources, none, one, none),
        trial,
        trial.logs,
      ),
      metrics: await this.#isolate(
        metrics,
        (one) => this.#commitOnce(resources, none, none, one),
        trial,
        trial.metrics,
      ),
    };
    const unproved = trial.unproved();
    if (unproved !== undefined) {
      // Nothing shows that the database was taking writes after it refused these rows: the refusal
      // may be about the database, not the rows. Keep the whole batch (the rows stored meanwhile
      // are skipped as duplicates when it is written again).
      throw new StoreUnavailableError(
        `The ${this.capabilities.driver} database refused rows without naming their content, ` +
          `and stored none after them (kept to retry): ${errorMessage(unproved)}`,
        { cause: unproved, kind: "refused" },
      );
    }
    for (
      const [prepared, rejected] of [
        [spans, trial.spans],
        [logs, trial.logs],
        [metrics, trial.metrics],
      ] as const
    ) {
      for (const r of rejected) prepared.rejected.push(r);
    }
    return counts;
  }

  /**
   * Commits rows with rollups that count each newly stored row exactly once: when some rows
   * turn out to be stored already (a retried request, a replayed dead letter), the commit is
   * rolled back, those rows are looked up and left out, and the rest is committed again.
   * Answers the spans, logs and metric points inserted (metric points are written if absent,
   * and counted by no rollup, so they never need this look-up).
   */
  async #commitOnce(
    resources: ResourcesTable[],
    spans: readonly SpanRow[],
    logs: readonly LogRow[],
    metrics: readonly MetricPointRow[],
  ): Promise<Counts> {
    for (let attempt = 1;; attempt++) {
      if (spans.length === 0 && logs.length === 0 && metrics.length === 0) {
        return { spans: 0, logs: 0, metrics: 0 };
      }
      const plan = this.#edges.plan(this.rollups ? spans : []);
      const rollups = rollupsToDb(
        this.rollups ? rollUp(spans, logs, plan.edges) : rollUp([], [], []),
        this.capabilities.int64,
      );
      const counts = await this.#commitSettlingConflicts(
        metrics.length === 0 ? { resources, spans, logs } : { resources, spans, logs, metrics },
        rollups,
        attempt >= EXACT_ATTEMPTS,
      );
      if (counts.complete) {
        this.#edges.apply(plan);
        return { spans: counts.spans, logs: counts.logs, metrics: counts.metrics ?? 0 };
      }
      const storedSpans = counts.spans < spans.length
        ? await this.stored.spanServices(spans)
        : new Map<string, string>();
      const storedLogs = counts.logs < logs.length
        ? await this.stored.storedLogIds(logs.map((l) => l.id))
        : new Set<string>();
      spans = spans.filter((s) => !storedSpans.has(spanKey(s.traceId, s.spanId)));
      logs = logs.filter((l) => !storedLogs.has(l.id));
    }
  }

  /**
   * Commits each item alone; items the database refuses are noted in `trial` (which decides at the
   * end whether each refusal is proved to be the item's fault) and left out of `prepared`.
   * An error that is about the database, not the item, ends the isolation by throwing.
   */
  async #isolate<Item>(
    prepared: Prepared<Item>,
    commitAlone: (one: Item[]) => Promise<Counts>,
    trial: Isolation,
    refused: Rejection[],
  ): Promise<number> {
    let inserted = 0;
    const kept: Prepared<Item> = { ...prepared, items: [], indexes: [] };
    for (const [i, item] of prepared.items.entries()) {
      try {
        const counts = await commitAlone([item]);
        inserted += counts.spans + counts.logs + counts.metrics;
        trial.stored();
        kept.items.push(item);
        kept.indexes.push(prepared.indexes[i]!);
      } catch (error) {
        const kind = this.#throwUnlessMaybeContent(error);
        trial.refused(refused, prepared.indexes[i]!, error, kind);
      }
    }
    prepared.items = kept.items;
    prepared.indexes = kept.indexes;
    return inserted;
  }

  /**
   * Throws `StoreUnavailableError` unless `error` may be about the content written (its class is
   * `content` or `unknown`), which it then answers.
   */
  #throwUnlessMaybeContent(error: unknown): "content" | "unknown" {
    const kind: DbErrorClass = classifyDbError(this.capabilities.driver, error);
    if (kind === "content" || kind === "unknown") return kind;
    throw new StoreUnavailableError(
      kind === "unreachable"
        ? `The ${this.capabilities.driver} database is unavailable: ${errorMessage(error)}`
        : `The ${this.capabilities.driver} database refuses writes now: ${errorMessage(error)}`,
      { cause: error, kind },
    );
  }
}

/**
 * The verdicts of one row-by-row retry. A refusal whose error names the content (`content`) is the
 * row's fault. A refusal with an `unknown` error is the row's fault only if the database stored
 * another row of the batch after it: it was taking writes, so the refusal was about that row.
 */
class Isolation {
  readonly spans: Rejection[] = [];
  readonly logs: Rejection[] = [];
  readonly metrics: Rejection[] = [];
  #step = 0;
  #lastStored = -1;
  readonly #unknown: { step: number; error: unknown }[] = [];

  stored(): void {
    this.#lastStored = this.#step++;
  }

  refused(into: Rejection[], index: number, error: unknown, kind: "content" | "unknown"): void {
    if (kind === "unknown") this.#unknown.push({ step: this.#step, error });
    into.push({ index, reason: `the database refused it: ${errorMessage(error)}` });
    this.#step++;
  }

  /** The error of a refusal not proved to be its row's fault, if any. */
  unproved(): unknown {
    return this.#unknown.find((u) => u.step > this.#lastStored)?.error;
  }
}
