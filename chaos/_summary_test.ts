import assert from "node:assert/strict";
import type { OrderResult } from "./_load.ts";
import { formatMs, percentile, summarize } from "./_summary.ts";

Deno.test("percentile() takes the nearest rank", () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(sorted, 0.5), 50);
  assert.equal(percentile(sorted, 0.99), 99);
  assert.equal(percentile(sorted, 1), 100);
  assert.equal(percentile([7], 0.99), 7);
  assert.equal(percentile([], 0.5), 0);
});

Deno.test("formatMs() switches to seconds at one second", () => {
  assert.equal(formatMs(12.345), "12.3 ms");
  assert.equal(formatMs(4123), "4.12 s");
});

Deno.test("summarize() counts failures by cause and slowed orders", () => {
  const result = (index: number, status: number, extra: Partial<OrderResult> = {}) => ({
    index,
    status,
    latencyMs: 10 * (index + 1),
    orderId: `ord-${index}`,
    traceId: `t${index}`,
    injectedLatencyMs: 0,
    failedService: "",
    error: "",
    ...extra,
  });
  const summary = summarize([
    result(2, 502, { failedService: "inventory-service", error: "Database Lock" }),
    result(0, 201, { injectedLatencyMs: 300 }),
    result(1, 502, { failedService: "payment-service", error: "Gateway Timeout" }),
    result(3, 502, { failedService: "payment-service", error: "Gateway Timeout" }),
  ], {
    protocol: "http",
    instrumentation: "x",
    seed: 1,
    requested: 4,
    durationMs: 1234,
    interrupted: false,
    argusUrl: "http://127.0.0.1:8080",
    argusStarted: false,
  });
  assert.equal(summary.total, 4);
  assert.equal(summary.success, 1);
  assert.equal(summary.failed, 3);
  assert.equal(summary.error_rate, 0.75);
  assert.deepEqual(summary.failures, {
    "payment-service: Gateway Timeout": 2,
    "inventory-service: Database Lock": 1,
  });
  assert.equal(summary.slowed, 1);
  assert.deepEqual(summary.latency_ms, { p50: 20, p99: 40, max: 40 });
  assert.equal(summary.duration_s, 1.23);
  assert.deepEqual(summary.orders.map((o) => o.order_id), ["ord-0", "ord-1", "ord-2", "ord-3"]);
});
