/**
 * The transport-free ingest service: bytes of an OTLP export request in, an OTLP answer out.
 * Both receivers (OTLP/HTTP in this process, OTLP/gRPC through its gateway) call it.
 *
 * Order of work for one request: decode (an undecodable body is refused whole), screen every item
 * (refused items are counted towards partial success, with reasons), for metrics refuse the points
 * of new series past the cardinality limit (metric_series_limit.ts), queue the rest and wait until
 * they are durable. Then the answer: success, or partial success naming what was refused. The
 * same for the three signals; an item is a span, a log record or a metric data point.
 *
 * @module
 */
import type { Logger } from "../lib/logger.ts";
import {
  type Batch,
  fitInstrument,
  metricPointProblem,
  type Rejection,
  screenBatch,
  screenResource,
  type ValidationLimits,
} from "../store/mod.ts";
import type { Batcher } from "./batcher.ts";
import type { MetricSeriesLimit } from "./metric_series_limit.ts";
import {
  type DecodeLimits,
  decodeMetricsRequest,
  decodeRequest,
  type ExportSignal,
  type WireFormat,
} from "./otlp/mod.ts";

/** What one export request came to. */
export interface ExportOutcome {
  /** Items stored (or dead-lettered for later storage). */
  accepted: number;
  /** Items refused; the client must not retry them. */
  rejected: number;
  /**
   * Why items were refused, "" when none were: the first few reasons, in the request's order,
   * each naming its span, log record or data point by its index in the request (see
   * `describeRejections`).
   */
  message: string;
}

/** Counts kept for self-monitoring: by signal, and refused items by stage. */
export interface IngestCounters {
  accepted: Record<ExportSignal, number>;
  rejected: Record<ExportSignal, number>;
  requests: Record<ExportSignal, number>;
  undecodable: number;
}

export function newIngestCounters(): IngestCounters {
  return {
    accepted: { traces: 0, logs: 0, metrics: 0 },
    rejected: { traces: 0, logs: 0, metrics: 0 },
    requests: { traces: 0, logs: 0, metrics: 0 },
    undecodable: 0,
  };
}

/**
 * Where items were refused: in decoding, in screening before the queue, by the cardinality limit
 * of metrics (metric_series_limit.ts), by the database.
 */
export type RejectionStage = "decode" | "validation" | "series_limit" | "database";

/**
 * Optional self-monitoring hooks (e.g. the Prometheus metrics); every method may be left out. A
 * hook that throws is logged and otherwise ignored.
 */
export interface IngestObserver {
  /** Items of one request refused at `stage`, with their reasons (free text for people). */
  itemsRejected?(signal: ExportSignal, stage: RejectionStage, reasons: readonly string[]): void;
}

export interface IngestServiceOptions {
  batcher: Pick<Batcher, "submit">;
  decodeLimits: DecodeLimits;
  validation: ValidationLimits;
  logger: Logger;
  counters?: IngestCounters;
  observer?: IngestObserver;
  /** The cardinality limit of metrics (METRIC_MAX_SERIES_PER_INSTRUMENT); none when unset. */
  seriesLimit?: Pick<MetricSeriesLimit, "admit">;
  /** Nanosecond clock for log records with neither time nor observed time. */
  nowNs?: () => bigint;
}

/** How many refusal reasons an answer quotes; the count is always exact. */
const REASONS_QUOTED = 5;

type ItemKind = "spans" | "logs" | "metrics";

/** Where a signal's items are in a batch. */
const ITEMS: Record<ExportSignal, ItemKind> = { traces: "spans", logs: "logs", metrics: "metrics" };

const NOUNS: Record<ExportSignal, string> = {
  traces: "span",
  logs: "log record",
  metrics: "data point",
};

/** An item refused, and why. */
interface Refusal {
  /**
   * The span's, log record's or data point's index in the request: its place among all the
   * request's items of its signal, from 0, in the request's order.
   */
  index: number;
  reason: string;
}

/**
 * The partial-success message: the count, then the first REASONS_QUOTED reasons, each after the
 * item it refuses ("span 3: span name must …"), then how many more there are.
 */
function describeRejections(signal: ExportSignal, refusals: readonly Refusal[]): string {
  if (refusals.length === 0) return "";
  const noun = NOUNS[signal];
  const quoted = refusals.slice(0, REASONS_QUOTED)
    .map((r) => `${noun} ${r.index}: ${r.reason}`)
    .join("; ");
  const more = refusals.length > REASONS_QUOTED
    ? `; and ${refusals.length - REASONS_QUOTED} more`
    : "";
  return `${refusals.length} ${noun}${refusals.length === 1 ? "" : "s"} rejected: ${quoted}${more}`;
}

/**
 * The refusals of a request of spans or log records, each with its index in the request, in the
 * request's order. Decoding's carry their index (ascending); screening's index the decoded batch,
 * whose rows are the request's other items in order; the database's index the screened batch,
 * whose rows are the decoded batch's rows `kept`.
 */
function inRequestOrder(
  decoded: readonly Refusal[],
  screened: readonly Rejection[],
  database: readonly Rejection[],
  kept: readonly number[],
): Refusal[] {
  const later = [
    ...screened.map((r) => ({ index: r.index, reason: r.reason })),
    ...database.map((r) => ({ index: kept[r.index]!, reason: r.reason })),
  ].sort((a, b) => a.index - b.index);
  // Row j of the decoded batch is item j + s of the request, s the items decoding refused before.
  let skipped = 0;
  for (const r of later) {
    while (skipped < decoded.length && decoded[skipped]!.index <= r.index + skipped) skipped++;
    r.index += skipped;
  }
  if (decoded.length === 0) return later;
  return [...decoded, ...later].sort((a, b) => a.index - b.index);
}

/**
 * The refusals of a request of metrics, each with its data point's index in the request, in the
 * request's order. `pointIndexes` are the request indexes of the decoded batch's points (decoding
 * folds exact duplicates, so they cannot be counted as for spans); each later stage (screening,
 * the series limit, the database) indexes the points the stage before it kept, in their order.
 */
function metricsInRequestOrder(
  decoded: readonly Refusal[],
  pointIndexes: readonly number[],
  stages: readonly (readonly Rejection[])[],
): Refusal[] {
  const refusals = [...decoded];
  let rows = pointIndexes;
  for (const stage of stages) {
    for (const r of stage) refusals.push({ index: rows[r.index]!, reason: r.reason });
    const refused = new Set(stage.map((r) => r.index));
    rows = rows.filter((_, i) => !refused.has(i));
  }
  return refusals.sort((a, b) => a.index - b.index);
}

export class IngestService {
  readonly counters: IngestCounters;
  readonly #options: IngestServiceOptions;

  constructor(options: IngestServiceOptions) {
    this.#options = options;
    this.counters = options.counters ?? newIngestCounters();
  }

  /**
   * Ingests one request. Throws `OtlpDecodeError` for an undecodable body, and the batcher's
   * `QueueFullError`, `IngestUnavailableError` or `ShuttingDownError` when nothing was accepted.
   */
  async export(
    signal: ExportSignal,
    format: WireFormat,
    body: Uint8Array,
  ): Promise<ExportOutcome> {
    const { decodeLimits, validation, batcher } = this.#options;
    this.counters.requests[signal]++;
    const nowNs = this.#options.nowNs?.() ?? BigInt(Date.now()) * 1_000_000n;
    let decoded: { batch: Batch; items: number; rejected: Refusal[]; pointIndexes?: number[] };
    try {
      if (signal === "metrics") {
        const metrics = decodeMetricsRequest(format, body, decodeLimits, nowNs);
        decoded = {
          batch: { resources: metrics.resources, spans: [], logs: [], metrics: metrics.points },
          items: metrics.items,
          rejected: metrics.rejected,
          pointIndexes: metrics.pointIndexes,
        };
      } else decoded = decodeRequest(signal, format, body, decodeLimits, nowNs);
    } catch (error) {
      this.counters.undecodable++;
      throw error;
    }
    const screened: {
      batch: Batch;
      rejected: Partial<Record<ItemKind, Rejection[]>>;
      spanIndexes?: number[];
      logIndexes?: number[];
    } = signal === "metrics"
      ? screenMetricPoints(decoded.batch, validation)
      : screenBatch(decoded.batch, validation);
    const reasons = decoded.rejected.map((r) => r.reason);
    const refused = screened.rejected[ITEMS[signal]] ?? [];
    for (const r of refused) reasons.push(r.reason);
    // Last before the queue, so that a point refused for its content takes no series slot.
    const admission = signal === "metrics" && this.#options.seriesLimit !== undefined
      ? await this.#options.seriesLimit.admit(screened.batch.metrics ?? [])
      : undefined;
    if (admission !== undefined) {
      screened.batch = { ...screened.batch, metrics: admission.admitted };
      for (const r of admission.refused) reasons.push(r.reason);
    }

    let submitted: Awaited<ReturnType<typeof batcher.submit>>;
    try {
      // Decoded rows take roughly twice the request's bytes in memory (UTF-16 strings, objects).
      submitted = await batcher.submit(screened.batch, body.byteLength * 2);
    } finally {
      admission?.release();
    }
    const refusedByDatabase = submitted.rejected[ITEMS[signal]] ?? [];
    for (const r of refusedByDatabase) reasons.push(r.reason);
    if (this.#options.observer?.itemsRejected && reasons.length > 0) {
      const decodeEnd = decoded.rejected.length;
      const screenEnd = decodeEnd + refused.length;
      const limitEnd = screenEnd + (admission?.refused.length ?? 0);
      this.#observeRejected(signal, "decode", reasons.slice(0, decodeEnd));
      this.#observeRejected(signal, "validation", reasons.slice(decodeEnd, screenEnd));
      this.#observeRejected(signal, "series_limit", reasons.slice(screenEnd, limitEnd));
      this.#observeRejected(signal, "database", reasons.slice(limitEnd));
    }

    const rejected = reasons.length;
    const accepted = decoded.items - rejected;
    this.counters.accepted[signal] += accepted;
    this.counters.rejected[signal] += rejected;
    if (rejected === 0) return { accepted, rejected, message: "" };
    const refusals = signal === "metrics"
      ? metricsInRequestOrder(decoded.rejected, decoded.pointIndexes ?? [], [
        refused,
        admission?.refused ?? [],
        refusedByDatabase,
      ])
      : inRequestOrder(
        decoded.rejected,
        refused,
        refusedByDatabase,
        (signal === "traces" ? screened.spanIndexes : screened.logIndexes) ?? [],
      );
    this.#options.logger.debug("items rejected", { signal, rejected, first: refusals[0] });
    return { accepted, rejected, message: describeRejections(signal, refusals) };
  }

  #observeRejected(signal: ExportSignal, stage: RejectionStage, reasons: string[]): void {
    if (reasons.length === 0) return;
    try {
      this.#options.observer?.itemsRejected?.(signal, stage, reasons);
    } catch (error) {
      this.#options.logger.warn("a self-monitoring hook failed", { error });
    }
  }
}

/**
 * The screening of a metrics batch: its points' values were checked by their decoder
 * (metrics_rows.ts); here their resources and texts meet the store's limits, as screenBatch
 * screens spans and logs. A point whose resource cannot be stored is refused.
 */
function screenMetricPoints(
  batch: Batch,
  limits: ValidationLimits,
): { batch: Batch; rejected: { spans: Rejection[]; logs: Rejection[]; metrics: Rejection[] } } {
  const points = batch.metrics ?? [];
  const problems = new Map<string, string>();
  const resources = batch.resources.filter((resource) => {
    const problem = screenResource(resource, limits);
    if (problem !== undefined) problems.set(resource.id, problem);
    return problem === undefined;
  });
  const rejected: Rejection[] = [];
  const metrics = points.filter((point, index) => {
    const resource = problems.get(point.instrument.resourceId);
    const problem = resource === undefined
      ? metricPointProblem(point, limits) ?? fitInstrument(point, limits)
      : `its resource cannot be stored: ${resource}`;
    if (problem === undefined) return true;
    rejected.push({ index, reason: problem });
    return false;
  });
  return {
    batch: { resources, spans: [], logs: [], metrics },
    rejected: { spans: [], logs: [], metrics: rejected },
  };
}
