import assert from "node:assert/strict";
import {
  durationScatterOption,
  FAILED_COLOR,
  scatterPoint,
  scatterTooltip,
} from "./duration_scatter.ts";
import { serviceColor } from "./chart_style.ts";
import type { WireTraceSummary } from "./wire.ts";

function trace(fields: Partial<WireTraceSummary> = {}): WireTraceSummary {
  return {
    trace_id: "0af7651916cd43dd8448eb211c80319c",
    root_service: "order-service",
    root_name: "POST /orders",
    start_time: "2026-12-01T10:01:02.500Z",
    start_time_unix_nano: "1796119262500000000",
    duration_ms: 312.5,
    span_count: 5,
    error_count: 0,
    services: ["order-service", "payment-service"],
    error_services: [],
    ...fields,
  };
}

Deno.test("scatterPoint() places a trace by start and duration, coloured by its root service", () => {
  const point = scatterPoint(trace());
  assert.deepEqual(point, {
    traceId: "0af7651916cd43dd8448eb211c80319c",
    startMs: Date.parse("2026-12-01T10:01:02.500Z"),
    durationMs: 312.5,
    failed: false,
    color: serviceColor("order-service"),
    size: 11,
  });
});

Deno.test("scatterPoint() draws failed traces red, zero durations on the log axis, sizes bounded", () => {
  const failed = scatterPoint(trace({ error_count: 2, duration_ms: 0, span_count: 1 }));
  assert.equal(failed.failed, true);
  assert.equal(failed.color, FAILED_COLOR);
  assert.equal(failed.durationMs, 0.001);
  assert.equal(failed.size, 6);
  assert.equal(scatterPoint(trace({ span_count: 80_000 })).size, 16);
});

Deno.test("durationScatterOption() draws one point per trace, the failed ones apart and on top", () => {
  const items = [
    trace({ trace_id: "a".repeat(32) }),
    trace({ trace_id: "b".repeat(32), error_count: 1 }),
    trace({ trace_id: "c".repeat(32), root_service: "payment-service" }),
  ];
  const option = durationScatterOption(items);
  const [ok, failed] = option.series;
  assert.deepEqual(ok!.data.map((d) => d.name), ["a".repeat(32), "c".repeat(32)]);
  assert.deepEqual(failed!.data.map((d) => d.name), ["b".repeat(32)]);
  assert.equal(failed!.symbol, "diamond");
  assert.ok(failed!.z > ok!.z);
  assert.deepEqual(ok!.data.map((d) => d.itemStyle.color), [
    serviceColor("order-service"),
    serviceColor("payment-service"),
  ]);
  assert.equal(option.yAxis.type, "log");
  assert.match(option.tooltip.formatter({ name: "b".repeat(32) }), /1 error<\/b>/);
  assert.equal(option.tooltip.formatter({ name: "unknown" }), "");
});

Deno.test("scatterTooltip() says what the trace is and what a click does, telemetry escaped", () => {
  const html = scatterTooltip(trace({ root_name: "<script>", span_count: 1 }));
  assert.match(html, /order-service/);
  assert.match(html, /&#60;script&#62;/);
  assert.match(html, /2026-12-01 10:01:02/);
  assert.match(html, /313 ms/);
  assert.match(html, /1 span</);
  assert.match(html, /Click to open the trace/);
});
