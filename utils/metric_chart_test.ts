import assert from "node:assert/strict";
import type { WireExemplar, WireInstrument, WireInstrumentChart } from "./wire.ts";
import {
  boundsDiffer,
  EXEMPLAR_SERIES,
  exemplarPoints,
  groupLabel,
  metricChartOption,
  metricLines,
  quantileName,
} from "./metric_chart.ts";

const INSTRUMENT: WireInstrument = {
  key: "0".repeat(32),
  service_name: "checkout",
  scope_name: "s",
  scope_version: "",
  scope: { name: "s", version: "", attributes: {}, dropped_attributes_count: 0, schema_url: "" },
  name: "payment.amount",
  description: "",
  unit: "USD",
  type: "histogram",
  temporality: "delta",
  monotonic: false,
  first_seen: "2026-12-06T10:00:00Z",
  last_seen: "2026-12-06T10:01:00Z",
  series_count: 2,
};

const TIMES = ["2026-12-06T10:00:00Z", "2026-12-06T10:01:00.000000000Z"];

function chart(agg: string, groups: WireInstrumentChart["groups"]): WireInstrumentChart {
  return {
    instrument: INSTRUMENT,
    shape: "histogram",
    agg,
    aggs: ["p50", "p90", "p99", "avg", "count", "sum", "rate"],
    step_seconds: 60,
    interval_seconds: 10,
    times: TIMES,
    series: 2,
    groups,
  };
}

const stats = (base: number) => ({
  p50: [base, null],
  p90: [base + 1, null],
  p99: [base + 2, null],
  count: [10, 0],
});

Deno.test("metricLines() draws p50, p90 and p99 of a histogram on a percentile", () => {
  const lines = metricLines(
    chart("p90", [{ attributes: {}, series: 2, values: [6, null], stats: stats(5) }]),
  );
  const t0 = Date.parse(TIMES[0]!);
  const t1 = Date.parse(TIMES[1]!);
  assert.deepEqual(lines, [
    { name: "p50", points: [[t0, 5], [t1, null]] },
    { name: "p90", points: [[t0, 6], [t1, null]] },
    { name: "p99", points: [[t0, 7], [t1, null]] },
  ]);
});

Deno.test("metricLines() draws one line per group of another aggregation, named by its value", () => {
  const lines = metricLines(chart("count", [
    { attributes: { outcome: "ok" }, series: 1, values: [10, 0], stats: stats(1) },
    { attributes: { outcome: null }, series: 1, values: [3, 4], stats: stats(2) },
  ]));
  assert.deepEqual(lines.map((l) => l.name), ["outcome=ok", "outcome=(none)"]);
  assert.deepEqual(lines[1]!.points.map((p) => p[1]), [3, 4]);
  assert.equal(groupLabel({ attributes: {}, series: 1, values: [], stats: {} }, "x"), "x");
});

Deno.test("metricLines() names grouped percentiles by percentile and group", () => {
  const lines = metricLines(chart("p50", [
    { attributes: { route: "/pay" }, series: 1, values: [1, null], stats: stats(1) },
  ]));
  assert.deepEqual(lines.map((l) => l.name), [
    "p50 · route=/pay",
    "p90 · route=/pay",
    "p99 · route=/pay",
  ]);
});

Deno.test("metricLines() draws a summary's avg with the producer's quantiles of a one-series group", () => {
  const summary = (agg: string, groups: WireInstrumentChart["groups"]): WireInstrumentChart => ({
    ...chart(agg, groups),
    instrument: { ...INSTRUMENT, type: "summary", temporality: "none" },
    shape: "summary",
    aggs: ["avg", "count", "sum", "rate"],
  });
  const quantiles = [
    { quantile: 0.5, values: [0.3, null] },
    { quantile: 0.999, values: [0.9, 1.1] },
  ];
  const group = { attributes: {}, series: 1, values: [0.4, null], stats: {}, quantiles };
  const lines = metricLines(summary("avg", [group]));
  assert.deepEqual(lines.map((l) => l.name), ["avg", "p50", "p99.9"]);
  assert.deepEqual(lines.map((l) => l.points.map((p) => p[1])), [
    [0.4, null],
    [0.3, null],
    [0.9, 1.1],
  ]);
  // Grouped: named by group too; a merged group (quantiles null) draws its avg alone.
  assert.deepEqual(
    metricLines(summary("avg", [
      { ...group, attributes: { route: "/pay" } },
      { ...group, attributes: { route: "/ship" }, series: 2, quantiles: null },
    ])).map((l) => l.name),
    ["avg · route=/pay", "p50 · route=/pay", "p99.9 · route=/pay", "avg · route=/ship"],
  );
  // Another aggregation (a count, not an observation's value): no quantiles.
  assert.deepEqual(
    metricLines(summary("count", [{ ...group, values: [10, 0] }])).map((l) => l.name),
    ["payment.amount"],
  );
  assert.equal(quantileName(0.9), "p90");
  assert.equal(quantileName(1), "p100");
});

Deno.test("boundsDiffer() says when a step has no percentiles because bounds differ", () => {
  const group = { attributes: {}, series: 2, values: [null, null], stats: stats(1) };
  assert.equal(boundsDiffer(chart("p50", [{ ...group, unavailable: [null, null] }])), false);
  assert.equal(
    boundsDiffer(chart("p50", [{ ...group, unavailable: [null, "bounds differ"] }])),
    true,
  );
});

Deno.test("exemplarPoints() keeps exemplars with a trace and a value, int64 text as a number", () => {
  const exemplar = (value: WireExemplar["value"], trace: string | null): WireExemplar => ({
    time: "2026-12-06T10:00:30.000000001Z",
    point_time: "2026-12-06T10:00:30Z",
    value,
    trace_id: trace,
    span_id: trace === null ? null : "b".repeat(16),
    attributes: {},
    series_attributes: {},
  });
  const t = Date.parse("2026-12-06T10:00:30Z");
  assert.deepEqual(
    exemplarPoints([
      exemplar(42.5, "a".repeat(32)),
      exemplar("9007199254740993", "c".repeat(32)),
      exemplar(null, "d".repeat(32)),
      exemplar(1, null),
    ]),
    [[t, 42.5, "a".repeat(32)], [t, 9007199254740992, "c".repeat(32)]],
  );
  const option = metricChartOption(
    chart("p50", [{ attributes: {}, series: 1, values: [1, null], stats: stats(1) }]),
    [exemplar(42.5, "a".repeat(32))],
  );
  const series = option.series as { id: string; type: string }[];
  assert.deepEqual(series.map((s) => s.type), ["line", "line", "line", "scatter"]);
  assert.equal(series.at(-1)!.id, EXEMPLAR_SERIES);
});
