/**
 * The simulation's load: `POST /orders` to the order service on a fixed schedule (request i starts
 * at i × interval, drift-free), with at most `concurrency` requests in flight (when the limit is
 * reached the schedule waits). The simulation itself is not instrumented: each order's trace starts
 * in the order service, as the seed asks.
 *
 * @module
 */
import { between } from "./_random.ts";

/** One `POST /orders` as the client saw it. */
export interface OrderResult {
  /** 0-based position in the run. */
  index: number;
  /** HTTP status, or 0 when no answer came. */
  status: number;
  /** Client-side latency in milliseconds. */
  latencyMs: number;
  orderId: string;
  traceId: string;
  /** Latency the order service added on purpose (0 when none). */
  injectedLatencyMs: number;
  /** For a failed order: where the failure started and what it was. */
  failedService: string;
  error: string;
}

export interface LoadOptions {
  /** The order service, e.g. http://127.0.0.1:9001 */
  orderUrl: string;
  requests: number;
  intervalMs: number;
  concurrency: number;
  seed: number;
  /** Milliseconds after which one order counts as failed without an answer. */
  timeoutMs: number;
  /** Stops sending; requests in flight are abandoned (and not reported). */
  signal: AbortSignal;
  onResult(result: OrderResult): void;
}

function sleepUntil(time: number, signal: AbortSignal): Promise<void> {
  const ms = time - performance.now();
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

async function sendOrder(index: number, options: LoadOptions): Promise<OrderResult | undefined> {
  const key = String(index);
  const sku = `SKU-${
    String(Math.floor(between(options.seed, "simulation", "sku", key, 1, 50)))
      .padStart(4, "0")
  }`;
  const quantity = Math.floor(between(options.seed, "simulation", "quantity", key, 1, 4));
  const started = performance.now();
  const result: OrderResult = {
    index,
    status: 0,
    latencyMs: 0,
    orderId: "",
    traceId: "",
    injectedLatencyMs: 0,
    failedService: "",
    error: "",
  };
  try {
    const response = await fetch(`${options.orderUrl}/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sku, quantity }),
      signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]),
    });
    const text = await response.text();
    result.status = response.status;
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text);
    } catch {
      result.error = text.slice(0, 200);
    }
    result.orderId = typeof body.order_id === "string" ? body.order_id : "";
    result.traceId = typeof body.trace_id === "string" ? body.trace_id : "";
    result.injectedLatencyMs = typeof body.injected_latency_ms === "number"
      ? body.injected_latency_ms
      : 0;
    if (!response.ok) {
      result.failedService = typeof body.failed_service === "string"
        ? body.failed_service
        : "order-service";
      result.error = typeof body.error === "string" ? body.error : result.error ||
        `HTTP ${response.status}`;
    }
  } catch (error) {
    if (options.signal.aborted) return undefined;
    result.failedService = "order-service";
    result.error = error instanceof DOMException && error.name === "TimeoutError"
      ? `no answer within ${options.timeoutMs / 1000} s`
      : `cannot reach the order service: ${error instanceof Error ? error.message : error}`;
  }
  result.latencyMs = performance.now() - started;
  return result;
}

/** Sends the orders; resolves with the results in order of completion. */
export async function sendOrders(options: LoadOptions): Promise<OrderResult[]> {
  const results: OrderResult[] = [];
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();
  for (let i = 0; i < options.requests && !options.signal.aborted; i++) {
    while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
    if (options.signal.aborted) break;
    const request: Promise<void> = sendOrder(i, options).then((result) => {
      inFlight.delete(request);
      if (result === undefined) return;
      results.push(result);
      options.onResult(result);
    });
    inFlight.add(request);
    if (options.intervalMs > 0 && i + 1 < options.requests) {
      await sleepUntil(start + (i + 1) * options.intervalMs, options.signal);
    }
  }
  await Promise.all(inFlight);
  return results;
}
