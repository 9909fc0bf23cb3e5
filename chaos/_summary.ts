/**
 * The simulation's figures (what `--json` prints, and what the text summary shows) and the
 * progress line.
 *
 * @module
 */
import type { OrderResult } from "./_load.ts";

export interface SimulationSummary {
  protocol: "http" | "grpc";
  /** The instrumentation and transport in words. */
  instrumentation: string;
  seed: number;
  /** Orders asked for (`--requests`). */
  requested: number;
  /** Orders answered (fewer than requested after an interruption). */
  total: number;
  success: number;
  failed: number;
  /** failed / total, a fraction. */
  error_rate: number;
  /** Failed orders by cause, `service: error`, most frequent first. */
  failures: Record<string, number>;
  /** Orders the order service slowed on purpose. */
  slowed: number;
  /** Client-side latencies in milliseconds (nearest-rank percentiles). */
  latency_ms: { p50: number; p99: number; max: number };
  duration_s: number;
  interrupted: boolean;
  /** The Argus UI the telemetry went to. */
  argus_url: string;
  /** Whether this run started that Argus (and so stops it when it ends). */
  argus_started: boolean;
  /** One entry per answered order, in the order they were sent. */
  orders: {
    order_id: string;
    trace_id: string;
    status: number;
    latency_ms: number;
    injected_latency_ms: number;
    failed_service: string;
    error: string;
  }[];
}

/** Nearest-rank percentile (`q` from 0 to 1) of ascending `sorted`; 0 for none. */
export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export function summarize(
  results: OrderResult[],
  run: {
    protocol: "http" | "grpc";
    instrumentation: string;
    seed: number;
    requested: number;
    durationMs: number;
    interrupted: boolean;
    argusUrl: string;
    argusStarted: boolean;
  },
): SimulationSummary {
  const ordered = [...results].sort((a, b) => a.index - b.index);
  const failedResults = ordered.filter((r) => r.status < 200 || r.status >= 300);
  const failures = new Map<string, number>();
  for (const r of failedResults) {
    const cause = `${r.failedService}: ${r.error}`;
    failures.set(cause, (failures.get(cause) ?? 0) + 1);
  }
  const latencies = ordered.map((r) => r.latencyMs).sort((a, b) => a - b);
  return {
    protocol: run.protocol,
    instrumentation: run.instrumentation,
    seed: run.seed,
    requested: run.requested,
    total: ordered.length,
    success: ordered.length - failedResults.length,
    failed: failedResults.length,
    error_rate: ordered.length === 0
      ? 0
      : round2(failedResults.length / ordered.length * 100) / 100,
    failures: Object.fromEntries([...failures].sort((a, b) => b[1] - a[1])),
    slowed: ordered.filter((r) => r.injectedLatencyMs > 0).length,
    latency_ms: {
      p50: round2(percentile(latencies, 0.5)),
      p99: round2(percentile(latencies, 0.99)),
      max: round2(latencies.at(-1) ?? 0),
    },
    duration_s: round2(run.durationMs / 1000),
    interrupted: run.interrupted,
    argus_url: run.argusUrl,
    argus_started: run.argusStarted,
    orders: ordered.map((r) => ({
      order_id: r.orderId,
      trace_id: r.traceId,
      status: r.status,
      latency_ms: round2(r.latencyMs),
      injected_latency_ms: r.injectedLatencyMs,
      failed_service: r.failedService,
      error: r.error,
    })),
  };
}

/** 850 → "850 ms", 4120 → "4.12 s". */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms * 10) / 10} ms` : `${Math.round(ms / 10) / 100} s`;
}

/** The summary as people read it. */
export function formatSummary(s: SimulationSummary): string {
  const n = (value: number) => String(value).padStart(5);
  const lines = [
    s.interrupted
      ? `Simulation interrupted: ${s.total} of ${s.requested} orders answered`
      : "Simulation done",
    `  total      ${
      n(s.total)
    }  orders in ${s.duration_s} s (seed ${s.seed}, ${s.instrumentation})`,
    `  success    ${n(s.success)}`,
    `  failed     ${n(s.failed)}  error rate ${Math.round(s.error_rate * 1000) / 10}%`,
    ...Object.entries(s.failures).map(([cause, count]) => `             ${n(count)}    ${cause}`),
    `  slowed     ${n(s.slowed)}  by the order service's injected latency`,
    `  latency    p50 ${formatMs(s.latency_ms.p50)}, p99 ${formatMs(s.latency_ms.p99)}, ` +
    `max ${formatMs(s.latency_ms.max)}`,
    "",
    `Argus UI: ${s.argus_url}/` +
    (s.argus_started ? " (started by this run, which stops it when it ends)" : ""),
    `  service map  ${s.argus_url}/service-map`,
    `  traces       ${s.argus_url}/traces`,
    `  logs         ${s.argus_url}/logs`,
  ];
  return lines.join("\n");
}

/** `[████████░░░░] 150/300  ok 128  failed 22`, for a terminal. */
export function progressBar(done: number, total: number, ok: number, failed: number): string {
  const width = 30;
  const filled = total === 0 ? width : Math.round(done / total * width);
  return `[${"█".repeat(filled)}${"░".repeat(width - filled)}] ${done}/${total}  ok ${ok}  ` +
    `failed ${failed}`;
}
