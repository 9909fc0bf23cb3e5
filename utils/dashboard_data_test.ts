import assert from "node:assert/strict";
import {
  bucketLabel,
  bucketRange,
  type DashboardData,
  type DashboardFigures,
  formatBound,
  type HeatmapBody,
  heatmapOption,
  isEmptyWindow,
  statCards,
  stepLabel,
  type TrafficBody,
  trafficOption,
  trafficSeries,
  trafficTooltip,
  trimHeatmap,
} from "./dashboard_data.ts";
import { setDisplayZone } from "./time_zone.ts";
import { serviceColor } from "./chart_style.ts";

/** The API's 38 bounds: 0.25 ms × √2ⁱ, then null. */
const BOUNDS = [
  ...Array.from({ length: 37 }, (_, i) => Math.round(0.25 * 2 ** (i / 2) * 1000) / 1000),
  null,
];

const FIGURES: DashboardFigures = {
  total_traces: 301,
  total_logs: 42,
  total_errors: 15,
  avg_latency_ms: 245.3,
  error_rate: 4.98,
  active_services: 3,
  p99_latency: 850_000,
  top_failing_services: [
    { service_name: "payment-service", error_count: 10, total_count: 100, error_rate: 0.1 },
  ],
  failed_requests: 12,
  error_spans: 31,
  error_origins: {
    services: [{ service_name: "payment-service", traces: 10 }],
    failed_traces: 12,
    examined_spans: 31,
    limited: false,
  },
};

function heatmap(cells: number[][]): HeatmapBody {
  return {
    step_seconds: 60,
    times: ["2026-11-26T10:00:00.000000000Z", "2026-11-26T10:01:00.000000000Z"],
    latency_buckets_ms: BOUNDS,
    cells,
  };
}

Deno.test("statCards() shows the figures with their units: p99 from microseconds", () => {
  const cards = Object.fromEntries(statCards(FIGURES).map((c) => [c.key, c]));
  assert.equal(cards["traces"]!.value, "301");
  assert.equal(cards["logs"]!.value, "42");
  assert.equal(cards["avg-latency"]!.value, "245 ms");
  // 850000 µs is 850 ms, not 850 s.
  assert.equal(cards["p99-latency"]!.value, "850 ms");
  assert.equal(cards["p99-latency"]!.raw, 850_000);
  assert.match(cards["p99-latency"]!.hint, /±19%.*buckets/);
  assert.deepEqual(Object.keys(cards), [
    "traces",
    "failed-requests",
    "error-spans",
    "logs",
    "avg-latency",
    "p99-latency",
  ]);
});

Deno.test("statCards() counts failed requests (failed roots) apart from error spans", () => {
  const cards = Object.fromEntries(statCards(FIGURES).map((c) => [c.key, c]));
  assert.equal(cards["failed-requests"]!.value, "12");
  assert.equal(cards["failed-requests"]!.raw, 12);
  // 12 of 301 traces.
  assert.equal(cards["failed-requests"]!.hint, "3.99% of traces: the root span failed");
  assert.equal(cards["failed-requests"]!.tone, "orange");
  assert.equal(cards["error-spans"]!.value, "31");
  assert.equal(cards["error-spans"]!.tone, "red");
  const many = statCards({ ...FIGURES, failed_requests: 30 });
  assert.equal(many.find((c) => c.key === "failed-requests")!.tone, "red");
});

Deno.test("statCards() shows no latency rather than 0 ms for a window without requests", () => {
  const cards = statCards({
    ...FIGURES,
    total_errors: 0,
    error_rate: 0,
    avg_latency_ms: 0,
    p99_latency: 0,
    failed_requests: 0,
    error_spans: 0,
  });
  assert.equal(cards.find((c) => c.key === "avg-latency")!.value, "–");
  assert.equal(cards.find((c) => c.key === "p99-latency")!.value, "–");
  assert.equal(
    cards.find((c) => c.key === "failed-requests")!.hint,
    "0% of traces: the root span failed",
  );
  assert.equal(cards.find((c) => c.key === "failed-requests")!.tone, undefined);
  assert.equal(cards.find((c) => c.key === "error-spans")!.tone, undefined);
});

Deno.test("isEmptyWindow() is true only when nothing at all arrived", () => {
  const empty: DashboardData = {
    figures: {
      ...FIGURES,
      total_traces: 0,
      total_logs: 0,
      total_errors: 0,
      active_services: 0,
      top_failing_services: [],
    },
    traffic: { step_seconds: 60, points: [], partial_time: null },
    heatmap: heatmap([]),
    services: [],
  };
  assert.equal(isEmptyWindow(empty), true);
  assert.equal(isEmptyWindow({ ...empty, figures: { ...empty.figures, total_logs: 1 } }), false);
  assert.equal(isEmptyWindow({ ...empty, figures: FIGURES }), false);
});

const TRAFFIC: TrafficBody = {
  step_seconds: 60,
  points: [
    { time: "2026-11-26T10:00:00.000000000Z", service_name: "b", requests: 3, errors: 1 },
    { time: "2026-11-26T10:00:00.000000000Z", service_name: "a", requests: 5, errors: 0 },
    { time: "2026-11-26T10:01:00.000000000Z", service_name: "a", requests: 7, errors: 2 },
    { time: "2026-11-26T10:01:00.000000000Z", service_name: "b", requests: 0, errors: 0 },
  ],
  partial_time: null,
};

Deno.test("trafficSeries() regroups the points per service, one value per step", () => {
  const s = trafficSeries(TRAFFIC);
  assert.deepEqual(s.times, [Date.UTC(2026, 10, 26, 10, 0), Date.UTC(2026, 10, 26, 10, 1)]);
  assert.deepEqual(s.services, ["a", "b"]);
  assert.deepEqual(s.requests, { a: [5, 7], b: [3, 0] });
  assert.deepEqual(s.errors, { a: [0, 2], b: [1, 0] });
});

Deno.test("trafficSeries() leaves out the step still in progress", () => {
  const s = trafficSeries({ ...TRAFFIC, partial_time: "2026-11-26T10:01:00.000000000Z" });
  assert.deepEqual(s.times, [Date.UTC(2026, 10, 26, 10, 0)]);
  assert.deepEqual(s.requests, { a: [5], b: [3] });
  assert.deepEqual(s.errors, { a: [0], b: [1] });
});

Deno.test("trafficOption() draws straight lines between steps, not smoothed ones", () => {
  for (const series of trafficOption(TRAFFIC).series) {
    assert.equal((series as { smooth?: unknown }).smooth, undefined, series.id);
  }
});

Deno.test("trafficOption() gives each service a requests line and an errors bar of one name", () => {
  const option = trafficOption(TRAFFIC);
  assert.deepEqual(
    option.series.map((s) => [s.id, s.name, s.type, s.xAxisIndex, s.data.length]),
    [
      ["requests:a", "a", "line", 0, 2],
      ["errors:a", "a", "bar", 1, 2],
      ["requests:b", "b", "line", 0, 2],
      ["errors:b", "b", "bar", 1, 2],
    ],
  );
  assert.deepEqual(option.series[1]!.data[1], [Date.UTC(2026, 10, 26, 10, 1), 2]);
  assert.equal(option.yAxis[0]!.name, "requests / 1 min");
  assert.deepEqual(option.color, [serviceColor("a"), serviceColor("b")]);
});

Deno.test("trafficTooltip() lists each service's requests and errors, names escaped", () => {
  const html = trafficTooltip([
    { seriesId: "requests:<b>x</b>", seriesName: "<b>x</b>", value: [0, 4], color: "#000" },
    { seriesId: "errors:<b>x</b>", seriesName: "<b>x</b>", value: [0, 1], color: "#000" },
  ], "1 min");
  assert.match(html, /&#60;b&#62;x&#60;\/b&#62;/);
  assert.doesNotMatch(html, /<b>x<\/b>/);
  assert.match(html, /4 req · <b style="color:#e03131">1 err<\/b>/);
});

Deno.test("stepLabel() names steps", () => {
  assert.equal(stepLabel(60), "1 min");
  assert.equal(stepLabel(1800), "30 min");
  assert.equal(stepLabel(3600), "1 h");
});

Deno.test("formatBound() labels the √2 buckets in ms below a second and s above", () => {
  assert.deepEqual(
    [0.25, 0.354, 1, 1.414, 5.657, 22.627, 90.51, 362.039, 1024, 1448.155, 65536].map(
      formatBound,
    ),
    [
      "0.25 ms",
      "0.35 ms",
      "1 ms",
      "1.41 ms",
      "5.66 ms",
      "22.6 ms",
      "90.5 ms",
      "362 ms",
      "1.02 s",
      "1.45 s",
      "65.5 s",
    ],
  );
});

Deno.test("bucketLabel() and bucketRange() name a bucket by its bounds, the last without one", () => {
  assert.equal(bucketLabel(BOUNDS, 0), "≤ 0.25 ms");
  assert.equal(bucketLabel(BOUNDS, 20), "≤ 256 ms");
  assert.equal(bucketLabel(BOUNDS, 37), "> 65.5 s");
  assert.equal(bucketRange(BOUNDS, 0), "≤ 0.25 ms");
  assert.equal(bucketRange(BOUNDS, 21), "256 ms – 362 ms");
  assert.equal(bucketRange(BOUNDS, 37), "> 65.5 s");
});

Deno.test("trimHeatmap() keeps the rows from the fastest to the slowest request, padded", () => {
  const trimmed = trimHeatmap(heatmap([[0, 18, 2], [1, 20, 5], [1, 24, 1]]), 4, 1);
  assert.deepEqual(trimmed.buckets, [17, 18, 19, 20, 21, 22, 23, 24, 25]);
  assert.deepEqual(trimmed.cells, [[0, 1, 2], [1, 3, 5], [1, 7, 1]]);
  assert.equal(trimmed.max, 5);
});

Deno.test("trimHeatmap() widens a narrow spread to the minimum rows, slow side first", () => {
  assert.deepEqual(trimHeatmap(heatmap([[0, 20, 1]]), 8, 1).buckets, [
    17,
    18,
    19,
    20,
    21,
    22,
    23,
    24,
  ]);
  // At the slow end, it can only widen downwards.
  assert.deepEqual(trimHeatmap(heatmap([[0, 37, 1]]), 4, 1).buckets, [34, 35, 36, 37]);
  // At the fast end, upwards.
  assert.deepEqual(trimHeatmap(heatmap([[0, 0, 1]]), 3, 1).buckets, [0, 1, 2]);
});

Deno.test("trimHeatmap() keeps no rows when there are no requests", () => {
  assert.deepEqual(trimHeatmap(heatmap([])), { buckets: [], cells: [], max: 0 });
});

Deno.test("heatmapOption() labels kept rows and scales colour to the largest count", () => {
  const option = heatmapOption(heatmap([[0, 20, 3], [1, 21, 9]]));
  assert.equal(option.yAxis.data[0], "≤ 90.5 ms");
  assert.ok(option.yAxis.data.includes("≤ 256 ms"));
  assert.equal(option.visualMap.max, 9);
  assert.equal(option.xAxis.data.length, 2);
  assert.equal(option.series[0]!.data.length, 2);
});

Deno.test("heatmapOption() labels steps in the page's zone, dated when hourly", () => {
  try {
    setDisplayZone("Asia/Tokyo");
    assert.deepEqual(heatmapOption(heatmap([[0, 20, 3]])).xAxis.data, ["19:00", "19:01"]);
    const hourly = heatmapOption({ ...heatmap([[0, 20, 3]]), step_seconds: 3600 });
    assert.deepEqual(hourly.xAxis.data, ["11-26 19:00", "11-26 19:01"]);
  } finally {
    setDisplayZone("UTC");
  }
});
