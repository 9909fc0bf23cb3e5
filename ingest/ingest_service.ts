/**
 * The transport-free ingest service: bytes of an OTLP export request in, an OTLP answer out.
 * Both receivers (OTLP/HTTP in this process, OTLP/gRPC through its gateway) call it.
 *
 * Order of work for one request: decode (an undecodable body is refused whole), screen every item
 * (refused items are counted towards partial success, with reasons), queue the rest and wait until
 * they are durable. Then the answer: success, or partial success naming what was refused.
 *
 * @module
 */
import type { Logger } from "../lib/logger.ts";
import { screenBatch, type ValidationLimits } from "../store/mod.ts";
import type { Batcher } from "./batcher.ts";
import { type DecodeLimits, decodeRequest, type Signal, type WireFormat } from "./otlp/mod.ts";

/** What one export request came to. */
export interface ExportOutcome {
  /** Items stored (or dead-lettered for later storage). */
  accepted: number;
  /** Items refused; the client must not retry them. */
  rejected: number;
  /** Why items were refused (the first few reasons), "" when none were. */
  message: string;
}

/** Counts kept for self-monitoring: by signal, and refused items by stage. */
export interface IngestCounters {
  accepted: Record<Signal, number>;
  rejected: Record<Signal, number>;
  requests: Record<Signal | "metrics", number>;
  undecodable: number;
}

export function newIngestCounters(): IngestCounters {
  return {
    accepted: { traces: 0, logs: 0 },
    rejected: { traces: 0, logs: 0 },
    requests: { traces: 0, logs: 0, metrics: 0 },
    undecodable: 0,
  };
}

/** Where items were refused: in decoding, in screening before the queue, by the database. */
export type RejectionStage = "decode" | "validation" | "database";

/**
 * Optional self-monitoring hooks (e.g. the Prometheus metrics); every method may be left out. A
 * hook that throws is logged and otherwise ignored.
 */
export interface IngestObserver {
  /** Items of one request refused at `stage`, with their reasons (free text for people). */
  itemsRejected?(signal: Signal, stage: RejectionStage, reasons: readonly string[]): void;
}

export interface IngestServiceOptions {
  batcher: Pick<Batcher, "submit">;
  decodeLimits: DecodeLimits;
  validation: ValidationLimits;
  logger: Logger;
  counters?: IngestCounters;
  observer?: IngestObserver;
  /** Nanosecond clock for log records with neither time nor observed time. */
  nowNs?: () => bigint;
}

/** How many refusal reasons an answer quotes; the count is always exact. */
const REASONS_QUOTED = 5;

function describeRejections(signal: Signal, reasons: readonly string[]): string {
  if (reasons.length === 0) return "";
  const noun = signal === "traces" ? "span" : "log record";
  const quoted = reasons.slice(0, REASONS_QUOTED).join("; ");
  const more = reasons.length > REASONS_QUOTED
    ? `; and ${reasons.length - REASONS_QUOTED} more`
    : "";
  return `${reasons.length} ${noun}${reasons.length === 1 ? "" : "s"} rejected: ${quoted}${more}`;
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
  async export(signal: Signal, format: WireFormat, body: Uint8Array): Promise<ExportOutcome> {
    const { decodeLimits, validation, batcher } = this.#options;
    this.counters.requests[signal]++;
    const nowNs = this.#options.nowNs?.() ?? BigInt(Date.now()) * 1_000_000n;
    let decoded;
    try {
      decoded = decodeRequest(signal, format, body, decodeLimits, nowNs);
    } catch (error) {
      this.counters.undecodable++;
      throw error;
    }
    const screened = screenBatch(decoded.batch, validation);
    const reasons = decoded.rejected.map((r) => r.reason);
    const refused = signal === "traces" ? screened.rejected.spans : screened.rejected.logs;
    for (const r of refused) reasons.push(r.reason);

    // Decoded rows take roughly twice the request's bytes in memory (UTF-16 strings, objects).
    const submitted = await batcher.submit(screened.batch, body.byteLength * 2);
    const refusedByDatabase = signal === "traces"
      ? submitted.rejected.spans
      : submitted.rejected.logs;
    for (const r of refusedByDatabase) reasons.push(r.reason);
    if (this.#options.observer?.itemsRejected && reasons.length > 0) {
      const decodeEnd = decoded.rejected.length;
      const screenEnd = decodeEnd + refused.length;
      this.#observeRejected(signal, "decode", reasons.slice(0, decodeEnd));
      this.#observeRejected(signal, "validation", reasons.slice(decodeEnd, screenEnd));
      this.#observeRejected(signal, "database", reasons.slice(screenEnd));
    }

    const rejected = reasons.length;
    const accepted = decoded.items - rejected;
    this.counters.accepted[signal] += accepted;
    this.counters.rejected[signal] += rejected;
    if (rejected > 0) {
      this.#options.logger.debug("items rejected", { signal, rejected, first: reasons[0] });
    }
    return { accepted, rejected, message: describeRejections(signal, reasons) };
  }

  #observeRejected(signal: Signal, stage: RejectionStage, reasons: string[]): void {
    if (reasons.length === 0) return;
    try {
      this.#options.observer?.itemsRejected?.(signal, stage, reasons);
    } catch (error) {
      this.#options.logger.warn("a self-monitoring hook failed", { error });
    }
  }

  /** Metrics are not stored (Argus keeps traces and logs); they are counted and acknowledged. */
  exportMetrics(): void {
    this.counters.requests.metrics++;
  }
}
