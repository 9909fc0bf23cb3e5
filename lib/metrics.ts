/**
 * Argus's own metrics, in the Prometheus text format for `GET /metrics`, and the recent database
 * latency behind `/api/health`'s `db_latency_p99_ms`.
 *
 * `ArgusMetrics` owns a registry of its own (never prom-client's global one), so tests can create
 * several. It implements, by shape, the optional observer interfaces of `ingest/` (the batcher, the
 * dead-letter queue, the ingest service, the OTLP/HTTP receiver): `main.ts` passes it as
 * `observer`, and ingest never imports the metrics library. Figures that exist as state elsewhere
 * (WebSocket clients, queue depth, DLQ size) are read by callbacks at scrape time (`collectFrom`).
 *
 * Label values come from small fixed sets only (signal, op, outcome, reason category), never from
 * request content, so the number of series stays bounded whatever clients send.
 *
 * @module
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
// prom-client's default collectors one by one, rather than `collectDefaultMetrics()`, which also
// runs those that read /proc (see `registerProcessMetrics`). The version is pinned in
// package.json; the test of process metrics fails if these paths move.
import eventLoopLag from "prom-client/lib/metrics/eventLoopLag.js";
import heapSizeAndUsed from "prom-client/lib/metrics/heapSizeAndUsed.js";
import heapSpacesSizeAndUsed from "prom-client/lib/metrics/heapSpacesSizeAndUsed.js";
import processCpuTotal from "prom-client/lib/metrics/processCpuTotal.js";
import processResources from "prom-client/lib/metrics/processResources.js";
import processStartTime from "prom-client/lib/metrics/processStartTime.js";
import nodeVersion from "prom-client/lib/metrics/version.js";
import { VERSION } from "./version.ts";

/** Database operations timed in `argus_db_latency`. */
export const DB_OPS = ["write", "replay", "query", "ping"] as const;
/**
 * `write`: a batch committed by the batcher; `replay`: a dead-letter batch stored by the replay
 * worker; `query`: a read of the API; `ping`: `/api/health`'s liveness check.
 */
export type DbOp = typeof DB_OPS[number];

/** How a timed database operation ended; only `ok` ones are latency samples. */
export type DbOutcome = "ok" | "unavailable" | "error";

/** Why items were refused, as a bounded label (`argus_rejected_items_total{reason}`). */
export const REJECTION_REASONS = [
  "invalid_id",
  "invalid_text",
  "too_large",
  "too_deep",
  "out_of_range",
  "series_limit",
  "database",
  "other",
] as const;
export type RejectionReason = typeof REJECTION_REASONS[number];

/** Where in the pipeline items were refused. */
export type RejectionStage = "decode" | "validation" | "series_limit" | "database";

export type OtlpTransport = "http" | "grpc";
export type OtlpRequestSignal = "traces" | "logs" | "metrics" | "unknown";
/**
 * `invalid`: 400, 404, 405, 415; `unauthorized`: 401, 403 (INGEST_TOKEN, Host); `too_large`: 413;
 * `throttled`: 429 (queue full); `unavailable`: 503 (database and DLQ down, or shutting down);
 * `error`: 500.
 */
export type OtlpRequestOutcome =
  | "success"
  | "partial_success"
  | "invalid"
  | "unauthorized"
  | "too_large"
  | "throttled"
  | "unavailable"
  | "error";

/** Figures read at scrape time. A missing one reads 0; one that throws reads NaN. */
export interface MetricSources {
  /** WebSocket clients of the live hub (`argus_active_connections`). */
  liveClients: () => number;
  /** Rows and bytes waiting in the batcher's queue (`Batcher.depth()`). */
  queueDepth: () => { rows: number; bytes: number };
  /** Batch files waiting in the dead-letter queue (`DeadLetterQueue.size()`). */
  dlqSize: () => number;
  /** Bytes of those files (`DeadLetterQueue.bytes()`). */
  dlqBytes: () => number;
  /** The live stream across replicas (`ClusterFeed.stats()`, PostgreSQL), when it runs. */
  liveCluster: () => LiveClusterFigures | undefined;
}

/** What the metrics read of live/cluster_feed.ts's `ClusterFeedStats` (counts since start). */
export interface LiveClusterFigures {
  connected: boolean;
  sentIds: number;
  unsentIds: number;
  sentNotifications: number;
  receivedNotifications: number;
  skippedNotifications: number;
  droppedIds: number;
  publishedRecords: number;
}

/** The part of the batcher's `FlushReport` the metrics read. */
export interface FlushSummary {
  outcome: "stored" | "dead-lettered" | "failed";
  spans: number;
  logs: number;
  /** Metric data points; none when left out. */
  metrics?: number;
  result?: {
    spans: { rejected: readonly unknown[] };
    logs: { rejected: readonly unknown[] };
    metrics?: { rejected: readonly unknown[] };
  };
}

/** What one replayed dead-letter file came to. */
export interface ReplayedFileSummary {
  storedSpans: number;
  storedLogs: number;
  /** Metric data points; none when left out. */
  storedMetrics?: number;
  duplicateItems: number;
  rejectedItems: number;
}

export interface ArgusMetricsOptions {
  sources?: Partial<MetricSources>;
  /**
   * prom-client's process and runtime metrics (`process_*`, `nodejs_*`); default true. Tests that
   * create many instances may turn them off: each instance starts an event-loop delay monitor.
   */
  processMetrics?: boolean;
  /** Window of `dbLatencyP99Ms()` in ms; default one minute. */
  latencyWindowMs?: number;
  /** Latency samples kept for it (the most recent ones); default 4096. */
  latencyCapacity?: number;
  /** Clock in ms for the latency window; for tests. */
  now?: () => number;
}

/** 0.5 ms to 10 s: SQLite commits take about a millisecond, a remote database under load seconds. */
export const DB_LATENCY_BUCKETS_S = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/** Items per committed batch: around the usual `BATCH_SIZE` values. */
const BATCH_ITEMS_BUCKETS = [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/**
 * The category of one refusal reason. Reasons are free text written for people (they name fields
 * and values); the category is read from their wording. A reason holding several problems
 * ("a; b") gets the first category in this order; wording no rule knows is `other`.
 */
export function rejectionReason(stage: RejectionStage, reason: string): RejectionReason {
  if (stage === "database") return "database";
  if (stage === "series_limit") return "series_limit";
  if (/\b(?:trace_id|span_id|parent_span_id|log id) must\b/.test(reason)) return "invalid_id";
  if (/must be valid (?:UTF-8|Unicode)|NUL character|must be base64|must be text/.test(reason)) {
    return "invalid_text";
  }
  if (/levels deep/.test(reason)) return "too_deep";
  if (/must be at most \d+ (?:bytes|characters)/.test(reason)) return "too_large";
  if (/must be an integer from|must be a bigint from|must be one of/.test(reason)) {
    return "out_of_range";
  }
  return "other";
}

/** The most recent latency samples, for a percentile over a sliding window. */
class RecentLatencies {
  readonly #at: Float64Array;
  readonly #ms: Float64Array;
  readonly #op: Uint8Array;
  #next = 0;
  #size = 0;

  constructor(
    capacity: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {
    this.#at = new Float64Array(capacity);
    this.#ms = new Float64Array(capacity);
    this.#op = new Uint8Array(capacity);
  }

  add(op: DbOp, ms: number): void {
    const i = this.#next;
    this.#at[i] = this.now();
    this.#ms[i] = ms;
    this.#op[i] = DB_OPS.indexOf(op);
    this.#next = (i + 1) % this.#at.length;
    this.#size = Math.min(this.#size + 1, this.#at.length);
  }

  /** Nearest-rank percentile `q` (0 to 1) of the samples in the window, or null without any. */
  quantile(q: number, ops: readonly DbOp[] | undefined): number | null {
    const since = this.now() - this.windowMs;
    const wanted = ops?.map((op) => DB_OPS.indexOf(op));
    const values: number[] = [];
    for (let i = 0; i < this.#size; i++) {
      if (this.#at[i]! < since) continue;
      if (wanted && !wanted.includes(this.#op[i]!)) continue;
      values.push(this.#ms[i]!);
    }
    if (values.length === 0) return null;
    values.sort((a, b) => a - b);
    return values[Math.max(0, Math.ceil(q * values.length) - 1)]!;
  }
}

type DefaultCollector = (register: Registry, config: Record<string, unknown>) => void;

/** prom-client's collectors that work under Deno with the permissions `deno task start` grants. */
const PORTABLE_COLLECTORS = [
  processCpuTotal,
  processStartTime,
  eventLoopLag,
  processResources,
  heapSizeAndUsed,
  heapSpacesSizeAndUsed,
  nodeVersion,
] as DefaultCollector[];

/**
 * prom-client's default metrics, as far as they work under Deno:
 * - Left out: those that read /proc/self (`process_virtual_memory_bytes`, `process_heap_bytes`,
 *   `process_open_fds`, `process_max_fds`). Deno lets a process read /proc/self only with
 *   `--allow-all`; otherwise the read fails (they would report zeros) or, on a terminal where read
 *   access is not granted, Deno prompts for it and blocks the whole process, at start-up for
 *   `process_max_fds` and at each scrape for the others. `process_resident_memory_bytes` comes
 *   from `Deno.memoryUsage()` instead.
 * - Left out: `nodejs_gc_duration_seconds` (Deno emits no `gc` performance entries, so it would
 *   stay empty) and `nodejs_active_handles` / `nodejs_active_requests` (always empty under Deno).
 */
function registerProcessMetrics(register: Registry): void {
  const config = { eventLoopMonitoringPrecision: 10 };
  for (const collector of PORTABLE_COLLECTORS) collector(register, config);
  new Gauge({
    name: "process_resident_memory_bytes",
    help: "Resident memory size in bytes.",
    registers: [register],
    collect() {
      this.set(Deno.memoryUsage().rss);
    },
  });
}

function read(source: (() => number) | undefined): number {
  if (source === undefined) return 0;
  try {
    return source();
  } catch {
    return NaN; // a scrape must not fail for one figure; NaN says "unknown"
  }
}

/** The item label of an OTLP signal: what its requests carry. */
function itemSignal(signal: "traces" | "logs" | "metrics"): "spans" | "logs" | "metric_points" {
  return signal === "traces" ? "spans" : signal === "logs" ? "logs" : "metric_points";
}

export class ArgusMetrics {
  readonly registry: Registry = new Registry();
  /** `text/plain; version=0.0.4; charset=utf-8`. */
  readonly contentType: string = this.registry.contentType;

  #sources: Partial<MetricSources>;
  readonly #recent: RecentLatencies;

  readonly #ingested: Counter<"signal">;
  readonly #dbLatency: Histogram<"op">;
  readonly #dbErrors: Counter<"op" | "kind">;
  readonly #batches: Counter<"outcome">;
  readonly #batchItems: Histogram;
  readonly #rejected: Counter<"signal" | "reason">;
  readonly #requests: Counter<"transport" | "signal" | "outcome">;
  readonly #dlqWrites: Counter<"outcome">;
  readonly #dlqReplayedFiles: Counter;
  readonly #dlqReplayedItems: Counter<"result">;
  readonly #dlqQuarantined: Counter;
  readonly #liveMessages: Counter;
  readonly #liveItems: Counter;
  readonly #liveDropped: Counter;

  constructor(options: ArgusMetricsOptions = {}) {
    this.#sources = { ...options.sources };
    this.#recent = new RecentLatencies(
      options.latencyCapacity ?? 4096,
      options.latencyWindowMs ?? 60_000,
      options.now ?? Date.now,
    );
    const registers = [this.registry];
    const sources = () => this.#sources;

    // --- the four metrics of the API contract ---
    this.#ingested = new Counter({
      name: "argus_ingestion_rate",
      help:
        "Items (spans, logs, metric_points) accepted and made durable: committed to the database or written " +
        "to the dead-letter queue, refused items excluded. A counter despite its name (the name " +
        "is the API contract): take rate() of it in Prometheus.",
      labelNames: ["signal"],
      registers,
    });
    new Gauge({
      name: "argus_active_connections",
      help: "WebSocket clients connected to the live log stream (/ws).",
      registers,
      collect() {
        this.set(read(sources().liveClients));
      },
    });
    this.#dbLatency = new Histogram({
      name: "argus_db_latency",
      help: "Duration of successful database operations in seconds, by operation: write " +
        "(a batch commit), replay (a dead-letter batch), query (an API read), ping (health).",
      labelNames: ["op"],
      buckets: DB_LATENCY_BUCKETS_S,
      registers,
    });
    new Gauge({
      name: "argus_dlq_size",
      help: "Batch files waiting in the dead-letter queue for the database to take them.",
      registers,
      collect() {
        this.set(read(sources().dlqSize));
      },
    });

    // --- what else an operator needs ---
    new Gauge({
      name: "argus_dlq_bytes",
      help: "Bytes of the batch files waiting in the dead-letter queue (bounded by DLQ_MAX_BYTES).",
      registers,
      collect() {
        this.set(read(sources().dlqBytes));
      },
    });
    new Gauge({
      name: "argus_queue_rows",
      help: "Rows waiting in the ingest queue, including the batch being written " +
        "(bounded by QUEUE_MAX_ROWS; at the bound OTLP requests are throttled).",
      registers,
      collect() {
        const depth = sources().queueDepth;
        this.set(read(depth && (() => depth().rows)));
      },
    });
    new Gauge({
      name: "argus_queue_bytes",
      help: "Approximate bytes in memory of the rows waiting in the ingest queue " +
        "(bounded by QUEUE_MAX_BYTES).",
      registers,
      collect() {
        const depth = sources().queueDepth;
        this.set(read(depth && (() => depth().bytes)));
      },
    });
    this.#dbErrors = new Counter({
      name: "argus_db_errors_total",
      help: "Database operations that failed, by operation and kind: unavailable (the database " +
        "could not be reached) or error. Failed operations are not latency samples.",
      labelNames: ["op", "kind"],
      registers,
    });
    this.#batches = new Counter({
      name: "argus_batches_total",
      help: "Batches the ingest writer flushed, by outcome: stored (committed), dead_lettered " +
        "(database unavailable, written to the dead-letter queue), failed (neither: the " +
        "clients were told to retry).",
      labelNames: ["outcome"],
      registers,
    });
    this.#batchItems = new Histogram({
      name: "argus_batch_items",
      help: "Items (spans, logs and metric points) per flushed batch; compare with BATCH_SIZE.",
      buckets: BATCH_ITEMS_BUCKETS,
      registers,
    });
    this.#rejected = new Counter({
      name: "argus_rejected_items_total",
      help: "Items refused (partial success), by signal and reason category: invalid_id, " +
        "invalid_text, too_large, too_deep, out_of_range, series_limit (metric points of new " +
        "series past MAX_SERIES_PER_INSTRUMENT), database (refused by the database), other. " +
        "The reasons themselves are in the OTLP answers and the debug log.",
      labelNames: ["signal", "reason"],
      registers,
    });
    this.#requests = new Counter({
      name: "argus_otlp_requests_total",
      help: "OTLP export requests, by transport (http, grpc), signal (traces, logs, metrics, " +
        "unknown) and outcome (success, partial_success, invalid, unauthorized, too_large, " +
        "throttled, unavailable, error).",
      labelNames: ["transport", "signal", "outcome"],
      registers,
    });
    this.#dlqWrites = new Counter({
      name: "argus_dlq_writes_total",
      help: "Batches written to the dead-letter queue, by outcome: ok, full (DLQ_MAX_BYTES " +
        "reached), error (file system).",
      labelNames: ["outcome"],
      registers,
    });
    this.#dlqReplayedFiles = new Counter({
      name: "argus_dlq_replayed_files_total",
      help: "Dead-letter batch files the replay worker stored and deleted.",
      registers,
    });
    this.#dlqReplayedItems = new Counter({
      name: "argus_dlq_replayed_items_total",
      help: "Items of replayed dead-letter files, by result: stored, duplicate (already " +
        "stored), rejected (refused for their own content and written to quarantine/ with " +
        "their reasons).",
      labelNames: ["result"],
      registers,
    });
    this.#dlqQuarantined = new Counter({
      name: "argus_dlq_quarantined_files_total",
      help: "Dead-letter files moved to quarantine/ (unreadable, foreign, over " +
        "DLQ_MAX_FILE_BYTES, or failing to be read); each has a .reason.txt beside it.",
      registers,
    });
    this.#liveMessages = new Counter({
      name: "argus_live_messages_total",
      help: "Messages sent to live log stream clients, counted per client.",
      registers,
    });
    this.#liveItems = new Counter({
      name: "argus_live_items_total",
      help: "Log entries sent to live log stream clients, counted per client.",
      registers,
    });
    this.#liveDropped = new Counter({
      name: "argus_live_dropped_clients_total",
      help: "Live log stream clients disconnected by Argus (too slow to keep up, or failing).",
      registers,
    });
    // The live stream across replicas: its own counts, read at scrape time.
    const cluster = () => {
      const figures = sources().liveCluster;
      return figures === undefined ? undefined : figures();
    };
    new Gauge({
      name: "argus_live_cluster_connected",
      help: "1 while the live stream across replicas (PostgreSQL LISTEN/NOTIFY) is connected, " +
        "0 while it reconnects or does not run (LIVE_CLUSTER_MAX_IDS=0, another database).",
      registers,
      collect() {
        this.set(cluster()?.connected ? 1 : 0);
      },
    });
    new Counter({
      name: "argus_live_cluster_ids_total",
      help: "Log ids of the live stream across replicas, by outcome: sent (this replica's " +
        "commits announced), unsent (dropped before being announced), published (other " +
        "replicas' records read and streamed here), dropped (other replicas' ids past " +
        "LIVE_CLUSTER_MAX_IDS or whose read failed).",
      labelNames: ["outcome"],
      registers,
      collect() {
        const figures = cluster();
        this.reset();
        this.inc({ outcome: "sent" }, figures?.sentIds ?? 0);
        this.inc({ outcome: "unsent" }, figures?.unsentIds ?? 0);
        this.inc({ outcome: "published" }, figures?.publishedRecords ?? 0);
        this.inc({ outcome: "dropped" }, figures?.droppedIds ?? 0);
      },
    });
    new Counter({
      name: "argus_live_cluster_notifications_total",
      help: "Notifications of the live stream across replicas, by direction: sent, received " +
        "(from other replicas, read), skipped (received while this replica had no /ws client).",
      labelNames: ["direction"],
      registers,
      collect() {
        const figures = cluster();
        this.reset();
        this.inc({ direction: "sent" }, figures?.sentNotifications ?? 0);
        this.inc({ direction: "received" }, figures?.receivedNotifications ?? 0);
        this.inc({ direction: "skipped" }, figures?.skippedNotifications ?? 0);
      },
    });
    new Gauge({
      name: "argus_build_info",
      help: "Always 1; the labels name the Argus and Deno versions.",
      labelNames: ["version", "deno"],
      registers,
    }).set({ version: VERSION, deno: Deno.version.deno }, 1);

    // Series of the small label sets exist from the start, so rate() sees their first increase.
    for (const signal of ["spans", "logs", "metric_points"]) this.#ingested.inc({ signal }, 0);
    for (const op of DB_OPS) this.#dbLatency.zero({ op });
    for (const outcome of ["stored", "dead_lettered", "failed"]) {
      this.#batches.inc({ outcome }, 0);
    }
    for (const outcome of ["ok", "full", "error"]) this.#dlqWrites.inc({ outcome }, 0);
    for (const result of ["stored", "duplicate", "rejected"]) {
      this.#dlqReplayedItems.inc({ result }, 0);
    }

    if (options.processMetrics ?? true) registerProcessMetrics(this.registry);
  }

  /** Sets (or replaces) the figures read at scrape time; `main.ts` calls it once all exist. */
  collectFrom(sources: Partial<MetricSources>): void {
    this.#sources = { ...this.#sources, ...sources };
  }

  /** The exposition text of every metric (Prometheus text format 0.0.4). */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  // --- database latency ---

  /** One successful database operation of `seconds`. */
  observeDbLatency(op: DbOp, seconds: number): void {
    this.#dbLatency.observe({ op }, seconds);
    this.#recent.add(op, seconds * 1000);
  }

  /** One failed database operation (not a latency sample). */
  dbError(op: DbOp, kind: Exclude<DbOutcome, "ok">): void {
    this.#dbErrors.inc({ op, kind });
  }

  /**
   * Runs `fn`, a database operation, and records it: its duration when it succeeds, an error when
   * it throws (`unavailable` for the store's `StoreUnavailableError`, recognised by name). The
   * result or error of `fn` passes through.
   */
  async timeDb<T>(op: DbOp, fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await fn();
      this.observeDbLatency(op, (performance.now() - started) / 1000);
      return result;
    } catch (error) {
      const unavailable = error instanceof Error && error.name === "StoreUnavailableError";
      this.dbError(op, unavailable ? "unavailable" : "error");
      throw error;
    }
  }

  /**
   * The 99th percentile in ms of the successful database operations of the last minute (all
   * operations, or those of `ops`), or null when there were none. Computed exactly over the most
   * recent samples (up to `latencyCapacity`), not from the histogram's buckets.
   */
  dbLatencyP99Ms(ops?: readonly DbOp[]): number | null {
    const p99 = this.#recent.quantile(0.99, ops);
    return p99 === null ? null : Math.round(p99 * 1000) / 1000;
  }

  // --- observer methods: ingest/batcher.ts (BatcherObserver) ---

  /** A batch commit by the batcher. */
  storeWrite(seconds: number, outcome: DbOutcome): void {
    if (outcome === "ok") this.observeDbLatency("write", seconds);
    else this.dbError("write", outcome);
  }

  batchFlushed(flush: FlushSummary): void {
    const outcome = flush.outcome === "dead-lettered" ? "dead_lettered" : flush.outcome;
    this.#batches.inc({ outcome });
    if (flush.outcome === "failed") return;
    this.#batchItems.observe(flush.spans + flush.logs + (flush.metrics ?? 0));
    const spans = flush.spans - (flush.result?.spans.rejected.length ?? 0);
    const logs = flush.logs - (flush.result?.logs.rejected.length ?? 0);
    const points = (flush.metrics ?? 0) - (flush.result?.metrics?.rejected.length ?? 0);
    if (spans > 0) this.#ingested.inc({ signal: "spans" }, spans);
    if (logs > 0) this.#ingested.inc({ signal: "logs" }, logs);
    if (points > 0) this.#ingested.inc({ signal: "metric_points" }, points);
  }

  // --- ingest/ingest_service.ts (IngestObserver) ---

  itemsRejected(
    signal: "traces" | "logs" | "metrics",
    stage: RejectionStage,
    reasons: readonly string[],
  ): void {
    const counts = new Map<RejectionReason, number>();
    for (const reason of reasons) {
      const category = rejectionReason(stage, reason);
      counts.set(category, (counts.get(category) ?? 0) + 1);
    }
    for (const [reason, count] of counts) {
      this.#rejected.inc({ signal: itemSignal(signal), reason }, count);
    }
  }

  // --- ingest/otlp_http.ts (OtlpHttpObserver) ---

  otlpRequest(
    transport: OtlpTransport,
    signal: OtlpRequestSignal,
    outcome: OtlpRequestOutcome,
  ): void {
    this.#requests.inc({ transport, signal, outcome });
  }

  // --- ingest/dead_letter_queue.ts (DeadLetterObserver) ---

  dlqWrite(outcome: "ok" | "full" | "error"): void {
    this.#dlqWrites.inc({ outcome });
  }

  /** A store write of the replay worker (one chunk of a file). */
  dlqStoreWrite(seconds: number, outcome: DbOutcome): void {
    if (outcome === "ok") this.observeDbLatency("replay", seconds);
    else this.dbError("replay", outcome);
  }

  dlqReplayedFile(file: ReplayedFileSummary): void {
    this.#dlqReplayedFiles.inc();
    const stored = file.storedSpans + file.storedLogs + (file.storedMetrics ?? 0);
    this.#dlqReplayedItems.inc({ result: "stored" }, stored);
    this.#dlqReplayedItems.inc({ result: "duplicate" }, file.duplicateItems);
    this.#dlqReplayedItems.inc({ result: "rejected" }, file.rejectedItems);
  }

  dlqQuarantined(): void {
    this.#dlqQuarantined.inc();
  }

  // --- the live hub (live/) ---

  /** One message of `items` log entries sent to one client. */
  liveMessageSent(items: number): void {
    this.#liveMessages.inc();
    this.#liveItems.inc(items);
  }

  /** One client disconnected by Argus. */
  liveClientDropped(): void {
    this.#liveDropped.inc();
  }
}

/** The answer to `GET /metrics`. */
export async function metricsResponse(
  metrics: Pick<ArgusMetrics, "text" | "contentType">,
): Promise<Response> {
  return new Response(await metrics.text(), {
    headers: { "content-type": metrics.contentType, "cache-control": "no-store" },
  });
}
