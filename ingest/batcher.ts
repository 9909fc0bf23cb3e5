/**
 * The batcher: one bounded queue between the receivers and the store, and its writes.
 *
 * Receivers `submit()` a request's valid rows and wait. A write takes whole requests from the
 * queue, up to `BATCH_SIZE` rows, commits them in one transaction, and answers every request of
 * the batch. Up to `writesInFlight` writes run at once (the store's own limit: 1 on SQLite, whose
 * writer is single; `DB_WRITES_IN_FLIGHT` on a server database). When a write may start, a request
 * waits for others to join it until `BATCH_SIZE` rows are queued or `FLUSH_INTERVAL` has passed;
 * while every write is busy, requests accumulate and are written as soon as one is free (group
 * commit), so batches grow with the load. When
 * the store cannot take a batch (the database is unreachable or refuses writes, the write misses
 * `DB_WRITE_TIMEOUT`, the schema is not migrated yet, or any other error of the store) the batch
 * goes to the dead-letter queue, fsync'd, and the requests are answered as accepted; when the DLQ
 * cannot take it either, they get a retryable error. Nothing is acknowledged before it is durable,
 * and nothing is rejected unless the store proved it to be the item's fault.
 *
 * The queue is bounded by rows and by bytes: a submit that would pass either bound is refused at
 * once with `QueueFullError` (the receivers turn it into 429/503 with a retry hint), so memory
 * stays under a ceiling whatever the load.
 *
 * @module
 */
import type { Logger } from "../lib/logger.ts";
import type { Batch, LogRow, Rejection, ResourceRow, Store, WriteResult } from "../store/mod.ts";
import { StoreUnavailableError } from "../store/mod.ts";

/** What the batcher needs of the dead-letter queue. */
export interface DeadLetterSink {
  write(batch: Batch): Promise<string>;
}

export interface BatcherOptions {
  /** Writes screened batches (`prescreened`). */
  store: Pick<Store, "write">;
  dlq: DeadLetterSink;
  logger: Logger;
  /** Rows that make a batch flush at once (`BATCH_SIZE`). */
  batchRows: number;
  /** Longest wait of a request before its batch flushes, in ms (`FLUSH_INTERVAL`). */
  flushIntervalMs: number;
  /** Bounds of the queue (`QUEUE_MAX_ROWS`, `QUEUE_MAX_BYTES`). */
  maxQueueRows: number;
  maxQueueBytes: number;
  /** Most batches written at once (the store's `writesInFlight`); 1 when undefined. */
  writesInFlight?: number;
  /**
   * Longest wait for `store.write` of one batch, in ms (`DB_WRITE_TIMEOUT`), after which the batch
   * goes to the DLQ; none when undefined.
   */
  writeTimeoutMs?: number;
  /** False while the database is not usable yet (not migrated): batches go to the DLQ. */
  databaseReady?: () => boolean;
  /**
   * Called with the log records of each batch once it is durable (the live feed), the batch's
   * resources, which the records reference by `resourceId`, and whether it was committed to the
   * database (else it was dead-lettered, to be stored when the DLQ replays it).
   */
  onLogsAccepted?: (
    logs: readonly LogRow[],
    resources: readonly ResourceRow[],
    committed: boolean,
  ) => void;
  /** Called after each flush, for self-metrics. */
  onFlush?: (flush: FlushReport) => void;
  /** Self-monitoring hooks (e.g. the Prometheus metrics); none by default. */
  observer?: BatcherObserver;
  now?: () => number;
}

/** How a `store.write` ended: `unavailable` is `StoreUnavailableError`. */
export type StoreWriteOutcome = "ok" | "unavailable" | "error";

/**
 * Optional self-monitoring hooks; every method may be left out. They keep ingest free of any
 * metrics library. A hook that throws is logged and otherwise ignored.
 */
export interface BatcherObserver {
  /** One `store.write` of a batch took `seconds` (elapsed, monotonic clock) and ended so. */
  storeWrite?(seconds: number, outcome: StoreWriteOutcome): void;
  /** A flush ended; the report `onFlush` gets. */
  batchFlushed?(flush: FlushReport): void;
}

export interface FlushReport {
  requests: number;
  spans: number;
  logs: number;
  /** Metric data points. */
  metrics: number;
  /** "stored" when committed, "dead-lettered" when written to the DLQ, "failed" when neither. */
  outcome: "stored" | "dead-lettered" | "failed";
  durationMs: number;
  result?: WriteResult;
  error?: unknown;
}

/** How one request's rows fared. */
export interface SubmitResult {
  /** Rows the database refused (reasons by the request's own indexes). */
  rejected: Rejections;
  /** True when the rows went to the DLQ (stored later by the replay worker). */
  deadLettered: boolean;
}

/** Refused rows by signal; `metrics` indexes a batch's metric data points. */
export interface Rejections {
  spans: Rejection[];
  logs: Rejection[];
  /** Left out by callers with no metric points. */
  metrics?: Rejection[];
}

function noRejections(): Rejections {
  return { spans: [], logs: [], metrics: [] };
}

/** Rows of a batch, as the queue counts them: spans, log records and metric data points. */
export function batchRows(batch: Batch): number {
  return batch.spans.length + batch.logs.length + (batch.metrics?.length ?? 0);
}

/** The queue is at its bound: retry later. */
export class QueueFullError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QueueFullError";
  }
}

/** Neither the database nor the DLQ took the rows: nothing was acknowledged; retry later. */
export class IngestUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "IngestUnavailableError";
  }
}

/** The batcher is draining for shutdown and takes nothing new. */
export class ShuttingDownError extends Error {
  constructor() {
    super("Argus is shutting down and accepts no new data: retry against another instance");
    this.name = "ShuttingDownError";
  }
}

interface Pending {
  batch: Batch;
  rows: number;
  bytes: number;
  enqueuedAt: number;
  done: PromiseWithResolvers<SubmitResult>;
}

/** A rough size of a batch in memory (UTF-16 strings plus per-row overhead), for the byte bound. */
export function batchBytes(batch: Batch): number {
  let bytes = 0;
  const rowOverhead = 400;
  for (const rows of [batch.resources, batch.spans, batch.logs, batch.metrics ?? []] as const) {
    for (const row of rows as readonly object[]) {
      bytes += rowOverhead;
      for (const value of Object.values(row)) {
        if (typeof value === "string") bytes += value.length * 2;
      }
    }
  }
  return bytes;
}

/** After the database was found unavailable, batches go straight to the DLQ for this long. */
const DATABASE_RETRY_AFTER_MS = 2_000;

export class Batcher {
  readonly #options: BatcherOptions;
  readonly #now: () => number;
  #queue: Pending[] = [];
  /** Rows of the requests in `#queue`, not yet taken by a write. */
  #waitingRows = 0;
  #queuedRows = 0;
  #queuedBytes = 0;
  /** Writes whose batch is not yet committed or dead-lettered (each counts until handed over). */
  #active = 0;
  /** Every write not yet ended (answers included), for `drain`. */
  readonly #writes = new Set<Promise<void>>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #databaseDownUntil = 0;
  /** Settles when a write that missed its deadline ends; set while it has not. */
  #stuckWrite: Promise<void> | undefined;
  /** The last error of `store.write`, cleared by the next successful write. */
  #storeError: unknown;
  /** Since when batches fail both the store and the DLQ; cleared by the next durable batch. */
  #failingSince: number | undefined;
  #lastFailure: unknown;

  constructor(options: BatcherOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Rows and bytes waiting in the queue (including the batch being written). */
  depth(): { rows: number; bytes: number; requests: number } {
    return { rows: this.#queuedRows, bytes: this.#queuedBytes, requests: this.#queue.length };
  }

  /**
   * The `QueueFullError` a request of about `bytes` (and at least one row) would get now, or
   * undefined: the receivers ask before reading a body, so that a full queue costs no reading or
   * decoding. The same rule as `submit()`, which still decides.
   */
  refusal(bytes: number): QueueFullError | undefined {
    return this.#refusal(1, bytes);
  }

  #refusal(rows: number, bytes: number): QueueFullError | undefined {
    const { maxQueueRows, maxQueueBytes } = this.#options;
    // An empty queue takes any request, so one larger than the bounds is not refused forever.
    if (
      this.#queue.length === 0 ||
      (this.#queuedRows + rows <= maxQueueRows && this.#queuedBytes + bytes <= maxQueueBytes)
    ) {
      return undefined;
    }
    return new QueueFullError(
      `The ingest queue is full (${this.#queuedRows} of QUEUE_MAX_ROWS=${maxQueueRows} rows, ` +
        `${this.#queuedBytes} of QUEUE_MAX_BYTES=${maxQueueBytes} bytes): retry later`,
    );
  }

  /**
   * Queues a request's rows and resolves once they are committed or dead-lettered. Rejects at
   * once with `QueueFullError` or `ShuttingDownError`, later with `IngestUnavailableError`.
   * The rows must be screened (`screenBatch`). `approximateBytes` is their size in memory when
   * the caller knows it more cheaply than `batchBytes()` works it out.
   */
  submit(batch: Batch, approximateBytes?: number): Promise<SubmitResult> {
    if (this.#closed) return Promise.reject(new ShuttingDownError());
    const rows = batchRows(batch);
    if (rows === 0) return Promise.resolve({ rejected: noRejections(), deadLettered: false });
    const bytes = approximateBytes ?? batchBytes(batch);
    const full = this.#refusal(rows, bytes);
    if (full !== undefined) return Promise.reject(full);
    const done = Promise.withResolvers<SubmitResult>();
    this.#queue.push({ batch, rows, bytes, enqueuedAt: this.#now(), done });
    this.#waitingRows += rows;
    this.#queuedRows += rows;
    this.#queuedBytes += bytes;
    this.#schedule();
    return done.promise;
  }

  /** Stops taking requests and resolves when everything queued is committed or dead-lettered. */
  async drain(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    while (this.#queue.length > 0 || this.#writes.size > 0) {
      while (this.#queue.length > 0 && this.#active < this.#maxWrites) this.#startWrite();
      await Promise.race(this.#writes);
    }
  }

  get #maxWrites(): number {
    return this.#options.writesInFlight ?? 1;
  }

  #schedule(): void {
    // Every write busy: a write looks at the queue again when it hands over.
    if (this.#active >= this.#maxWrites) return;
    // Without a flush interval (the default) a write starts at once: an idle Argus answers one
    // exporter in milliseconds, and what arrives during a write forms the next batch.
    if (this.#waitingRows >= this.#options.batchRows || this.#options.flushIntervalMs <= 0) {
      this.#startWrite();
      return;
    }
    if (this.#timer === undefined && this.#queue.length > 0) {
      const waited = this.#now() - this.#queue[0]!.enqueuedAt;
      const delay = Math.max(0, this.#options.flushIntervalMs - waited);
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        if (this.#active < this.#maxWrites && this.#queue.length > 0) this.#startWrite();
      }, delay);
    }
  }

  #startWrite(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#active++;
    let handedOver = false;
    const writing: Promise<void> = this.#writeNext(() => {
      // The batch is committed or dead-lettered, its requests not answered yet. Group commit: what
      // arrived during the write is written at once, without waiting for the interval, so a busy
      // writer never idles and a batch grows with the load. The next write starts before the
      // answers go out, so that the store (the SQLite writer thread) commits it while this thread
      // answers and decodes the requests that follow.
      handedOver = true;
      this.#active--;
      if (!this.#closed && this.#queue.length > 0) this.#startWrite();
    }).finally(() => {
      if (!handedOver) this.#active--;
      this.#writes.delete(writing);
    });
    this.#writes.add(writing);
  }

  /**
   * Takes whole requests up to `batchRows` rows (at least one request) and writes them; calls
   * `written` once the batch is committed, dead-lettered or failed, before answering its requests.
   */
  async #writeNext(written: () => void): Promise<void> {
    const taken: Pending[] = [];
    let rows = 0;
    while (this.#queue.length > 0) {
      const next = this.#queue[0]!;
      if (taken.length > 0 && rows + next.rows > this.#options.batchRows) break;
      taken.push(this.#queue.shift()!);
      rows += next.rows;
    }
    this.#waitingRows -= rows;
    if (taken.length === 0) return;
    const merged = mergeBatches(taken.map((p) => p.batch));
    const started = this.#now();
    let released = false;
    const release = () => {
      released = true;
      for (const pending of taken) {
        this.#queuedRows -= pending.rows;
        this.#queuedBytes -= pending.bytes;
      }
      written();
    };
    try {
      const outcome = await this.#persist(merged.batch);
      release();
      const report: FlushReport = {
        requests: taken.length,
        spans: merged.batch.spans.length,
        logs: merged.batch.logs.length,
        metrics: merged.batch.metrics?.length ?? 0,
        outcome: outcome.result ? "stored" : "dead-lettered",
        durationMs: this.#now() - started,
        result: outcome.result,
      };
      this.#options.onFlush?.(report);
      this.#observe((observer) => observer.batchFlushed?.(report));
      const rejected = outcome.result ? splitRejections(outcome.result, merged) : undefined;
      taken.forEach((pending, i) => {
        pending.done.resolve({
          rejected: rejected?.[i] ?? noRejections(),
          deadLettered: !outcome.result,
        });
      });
      this.#feedLogs(merged.batch.logs, merged.batch.resources, outcome.result);
    } catch (error) {
      if (!released) release();
      const report: FlushReport = {
        requests: taken.length,
        spans: merged.batch.spans.length,
        logs: merged.batch.logs.length,
        metrics: merged.batch.metrics?.length ?? 0,
        outcome: "failed",
        durationMs: this.#now() - started,
        error,
      };
      this.#options.onFlush?.(report);
      this.#observe((observer) => observer.batchFlushed?.(report));
      for (const pending of taken) pending.done.reject(error);
    }
  }

  /**
   * Commits, or dead-letters when the store cannot take the batch (any error of `store.write`, a
   * write that misses `writeTimeoutMs`, or a database not ready or recently failed); throws
   * `IngestUnavailableError` when the DLQ cannot take it either.
   */
  async #persist(batch: Batch): Promise<{ result?: WriteResult }> {
    const { dlq, logger } = this.#options;
    let cause: unknown = this.#skipReason();
    if (cause === undefined) {
      try {
        const result = await this.#writeWithDeadline(batch);
        this.#storeError = undefined;
        return { result };
      } catch (error) {
        cause = error;
        this.#storeError = error;
        this.#databaseDownUntil = this.#now() + DATABASE_RETRY_AFTER_MS;
        logger.warn("the database cannot take batches now: writing them to the dead-letter queue", {
          error,
        });
      }
    }
    try {
      const file = await dlq.write(batch);
      this.#failingSince = undefined;
      logger.debug("batch dead-lettered", {
        file,
        spans: batch.spans.length,
        logs: batch.logs.length,
        metrics: batch.metrics?.length ?? 0,
      });
      return {};
    } catch (error) {
      this.#failingSince ??= this.#now();
      this.#lastFailure = error;
      logger.error("the database and the dead-letter queue both failed: nothing acknowledged", {
        error,
        database: cause,
      });
      throw new IngestUnavailableError(
        "Argus cannot store data now (database and dead-letter queue unavailable): retry later",
        { cause: error },
      );
    }
  }

  /** Why the store is not tried for this batch, or undefined when it is. */
  #skipReason(): string | undefined {
    if (this.#options.databaseReady?.() === false) return "the database is not ready yet";
    if (this.#stuckWrite !== undefined) {
      return `a write to the database has not answered within DB_WRITE_TIMEOUT ` +
        `(${this.#options.writeTimeoutMs} ms)`;
    }
    if (this.#now() < this.#databaseDownUntil) return "skipped after a recent failure";
    return undefined;
  }

  /**
   * `store.write`, given up after `writeTimeoutMs`: the batch then goes to the DLQ while the write
   * may still commit (its rows are then skipped as duplicates when the DLQ is replayed). Until it
   * settles, later batches skip the store: the database is not keeping up.
   */
  async #writeWithDeadline(batch: Batch): Promise<WriteResult> {
    const { store, writeTimeoutMs } = this.#options;
    const started = performance.now();
    const write = store.write(batch, { prescreened: true });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = writeTimeoutMs === undefined ? undefined : new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const settled = write.then(() => {}, () => {}).finally(() => {
          if (this.#stuckWrite === settled) this.#stuckWrite = undefined;
        });
        this.#stuckWrite = settled;
        reject(
          new StoreUnavailableError(
            `The database did not finish a write within DB_WRITE_TIMEOUT (${writeTimeoutMs} ms)`,
            { kind: "unreachable" },
          ),
        );
      }, writeTimeoutMs);
    });
    try {
      const result = await (deadline ? Promise.race([write, deadline]) : write);
      this.#observeWrite(started, "ok");
      return result;
    } catch (error) {
      this.#observeWrite(started, error instanceof StoreUnavailableError ? "unavailable" : "error");
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * How ingest fares now, for `/api/health`: `failingSince` is set (ms since the epoch) while
   * batches can be written neither to the database nor to the DLQ (requests get 503), with the
   * last such error; `storeError` is the last error of the database while it keeps failing.
   */
  health(): { failingSince?: number; lastFailure?: unknown; storeError?: unknown } {
    return {
      failingSince: this.#failingSince,
      lastFailure: this.#failingSince === undefined ? undefined : this.#lastFailure,
      storeError: this.#storeError,
    };
  }

  #observeWrite(started: number, outcome: StoreWriteOutcome): void {
    const seconds = (performance.now() - started) / 1000;
    this.#observe((observer) => observer.storeWrite?.(seconds, outcome));
  }

  /** Calls a hook of the observer, if any; a failing hook must not fail the ingest. */
  #observe(call: (observer: BatcherObserver) => void): void {
    const observer = this.#options.observer;
    if (observer === undefined) return;
    try {
      call(observer);
    } catch (error) {
      this.#options.logger.warn("a self-monitoring hook failed", { error });
    }
  }

  #feedLogs(
    logs: readonly LogRow[],
    resources: readonly ResourceRow[],
    result: WriteResult | undefined,
  ): void {
    const hook = this.#options.onLogsAccepted;
    if (!hook || logs.length === 0) return;
    const refused = new Set(result?.logs.rejected.map((r) => r.index));
    const accepted = refused.size === 0 ? logs : logs.filter((_, i) => !refused.has(i));
    try {
      hook(accepted, resources, result !== undefined);
    } catch (error) {
      this.#options.logger.warn("the live feed hook failed", { error });
    }
  }
}

interface Merged {
  batch: Batch;
  /** Where each request's spans, logs and metric points start in the merged arrays. */
  spanOffsets: number[];
  logOffsets: number[];
  metricOffsets: number[];
}

/**
 * Concatenates requests into one batch, keeping one copy of each resource. The batch has
 * `metrics` only when a request had some (batches of traces and logs stay as they were).
 */
export function mergeBatches(batches: readonly Batch[]): Merged {
  if (batches.length === 1) {
    return { batch: batches[0]!, spanOffsets: [0], logOffsets: [0], metricOffsets: [0] };
  }
  const resources = new Map<string, ResourceRow>();
  const metrics: NonNullable<Batch["metrics"]> = [];
  const merged: Merged = {
    batch: { resources: [], spans: [], logs: [] },
    spanOffsets: [],
    logOffsets: [],
    metricOffsets: [],
  };
  for (const batch of batches) {
    for (const resource of batch.resources) resources.set(resource.id, resource);
    merged.spanOffsets.push(merged.batch.spans.length);
    merged.logOffsets.push(merged.batch.logs.length);
    merged.metricOffsets.push(metrics.length);
    for (const span of batch.spans) merged.batch.spans.push(span);
    for (const log of batch.logs) merged.batch.logs.push(log);
    for (const point of batch.metrics ?? []) metrics.push(point);
  }
  merged.batch.resources = [...resources.values()];
  if (metrics.length > 0) merged.batch.metrics = metrics;
  return merged;
}

/** Gives each request the rejections of its own rows, with indexes relative to its batch. */
export function splitRejections(result: WriteResult, merged: Merged): Rejections[] {
  const split = merged.spanOffsets.map(noRejections);
  const place = (offsets: number[], rejection: Rejection, into: keyof Rejections) => {
    let request = offsets.length - 1;
    while (request > 0 && offsets[request]! > rejection.index) request--;
    split[request]![into]!.push({ ...rejection, index: rejection.index - offsets[request]! });
  };
  for (const r of result.spans.rejected) place(merged.spanOffsets, r, "spans");
  for (const r of result.logs.rejected) place(merged.logOffsets, r, "logs");
  for (const r of result.metrics?.rejected ?? []) place(merged.metricOffsets, r, "metrics");
  return split;
}
