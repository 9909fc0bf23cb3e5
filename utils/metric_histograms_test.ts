import assert from "node:assert/strict";
import {
  histogramStats,
  type HistogramStep,
  histogramSteps,
  mergeHistogramSteps,
} from "./metric_histograms.ts";
import { FLAG_NO_RECORDED_VALUE, type HistogramPoint } from "./metric_points.ts";
import { assertClose, at, window } from "./metric_test_fixtures.ts";

function point(
  start: number,
  time: number,
  explicitBounds: number[],
  bucketCounts: number[],
  fields: Partial<HistogramPoint> = {},
): HistogramPoint {
  return {
    startTimeUnixNano: at(start),
    timeUnixNano: at(time),
    count: bucketCounts.reduce((sum, count) => sum + count, 0),
    explicitBounds,
    bucketCounts,
    ...fields,
  };
}

// [0 s, 60 s) in 20 s steps.
const W = window(0, 60, 20);
const BOUNDS = [10, 50, 100];

Deno.test("two series with the same bounds merge, and their percentiles come from the sum", () => {
  // Delta points in step 0. A: 2, 5, 2, 1 values in (-Inf,10] (10,50] (50,100] (100,+Inf).
  const a = histogramSteps(
    [point(0, 10, BOUNDS, [2, 5, 2, 1], { sum: 500, min: 2, max: 180 })],
    W,
    "delta",
  );
  const b = histogramSteps(
    [point(0, 15, BOUNDS, [3, 5, 2, 0], { sum: 300, min: 4, max: 90 })],
    W,
    "delta",
  );
  const merged = mergeHistogramSteps([a, b]);
  // Bucket by bucket: 2+3, 5+5, 2+2, 1+0 = 5, 10, 4, 1; count 20; sum 800; min 2; max 180.
  assert.deepEqual(merged, [
    { count: 20, sum: 800, min: 2, max: 180, buckets: { bounds: BOUNDS, counts: [5, 10, 4, 1] } },
    null,
    null,
  ]);
  const stats = histogramStats(merged[0]!);
  assert.ok(stats?.percentiles);
  assert.equal(stats.avg, 40); // 800 / 20
  // p50: rank 10; 5 below (10, 50] holding 10: 10 + 40 × 5/10 = 30
  assertClose(stats.percentiles.p50, 30);
  // p90: rank 18; 15 below (50, 100] holding 4: 50 + 50 × 3/4 = 87.5
  assertClose(stats.percentiles.p90, 87.5);
  // p99: rank 19.8; 19 below (100, +Inf) holding 1, closed at max 180: 100 + 80 × 0.8 = 164
  assertClose(stats.percentiles.p99, 164);
  assert.equal(stats.unavailable, null);
});

Deno.test("series with different bounds merge to 'bounds differ': no percentiles, count and sum kept", () => {
  const a = histogramSteps([point(0, 10, BOUNDS, [2, 5, 2, 1], { sum: 500 })], W, "delta");
  const b = histogramSteps([point(0, 15, [10, 50, 200], [3, 5, 2, 0], { sum: 300 })], W, "delta");
  const merged = mergeHistogramSteps([a, b]);
  assert.equal(merged[0]?.buckets, "bounds differ");
  assert.deepEqual(histogramStats(merged[0]!), {
    count: 20,
    sum: 800,
    avg: 40,
    percentiles: null,
    unavailable: "bounds differ",
  });
  // The same within one series: two delta points of one step with different bounds.
  const one = histogramSteps(
    [point(0, 5, BOUNDS, [1, 0, 0, 0]), point(5, 10, [10, 50], [1, 0, 0])],
    W,
    "delta",
  );
  assert.equal(one[0]?.buckets, "bounds differ");
});

Deno.test("histogramSteps() gives a cumulative histogram's increases per step, across resets", () => {
  const bounds = [1, 5]; // buckets (-Inf,1] (1,5] (5,+Inf)
  const steps = histogramSteps(
    [
      point(-100, -10, bounds, [1, 2, 0], { sum: 6 }), //   the baseline, before the window
      point(-100, 5, bounds, [2, 4, 1], { sum: 20 }), //    [2-1, 4-2, 1-0] = [1, 2, 1], sum 14
      point(-100, 25, bounds, [2, 6, 1], { sum: 28 }), //   [0, 2, 0], sum 8
      point(-100, 35, bounds, [1, 0, 0], { sum: 0.5 }), //  count 9 → 1: reset, [1, 0, 0], sum 0.5
      point(40, 45, bounds, [0, 1, 0], { sum: 3 }), //      new start: [0, 1, 0] from 0, sum 3
    ],
    W,
    "cumulative",
  );
  assert.deepEqual(steps, [
    { count: 4, sum: 14, min: null, max: null, buckets: { bounds, counts: [1, 2, 1] } },
    // [0, 2, 0] + [1, 0, 0] = [1, 2, 0]; count 2 + 1 = 3; sum 8 + 0.5 = 8.5
    { count: 3, sum: 8.5, min: null, max: null, buckets: { bounds, counts: [1, 2, 0] } },
    { count: 1, sum: 3, min: null, max: null, buckets: { bounds, counts: [0, 1, 0] } },
  ]);
  // Step 1's p50: rank 1.5; 1 below (1, 5] holding 2: 1 + 4 × 0.5/2 = 2
  assertClose(histogramStats(steps[1]!)?.percentiles?.p50, 2);
});

Deno.test("histogramSteps() takes no difference across a change of bounds, and skips unrecorded points", () => {
  const steps = histogramSteps(
    [
      point(-100, -10, [1, 5], [1, 2, 0]),
      point(-100, 5, [1, 5, 10], [1, 3, 1, 0]), // new bounds: a baseline, count 0
      point(-100, 15, [1, 5, 10], [2, 3, 1, 0]), // [1, 0, 0, 0] against the point at 5 s
      point(-100, 25, [1, 5, 10], [0, 0, 0, 0], { flags: FLAG_NO_RECORDED_VALUE }),
    ],
    W,
    "cumulative",
  );
  assert.deepEqual(steps, [
    {
      count: 1,
      sum: null,
      min: null,
      max: null,
      buckets: { bounds: [1, 5, 10], counts: [1, 0, 0, 0] },
    },
    null,
    null,
  ]);
});

Deno.test("histogramStats() of a step without observations, and of a histogram without buckets", () => {
  const empty: HistogramStep = {
    count: 0,
    sum: 0,
    min: null,
    max: null,
    buckets: { bounds: BOUNDS, counts: [0, 0, 0, 0] },
  };
  assert.deepEqual(histogramStats(empty), {
    count: 0,
    sum: 0,
    avg: null,
    percentiles: null,
    unavailable: null,
  });
  assert.equal(histogramStats(null), null);
  // No buckets: one bucket (-Inf, +Inf) holding the count; no edge, no percentile...
  const bare = histogramSteps([point(0, 5, [], [], { count: 4, sum: 20 })], W, "delta");
  assert.deepEqual(histogramStats(bare[0]!), {
    count: 4,
    sum: 20,
    avg: 5,
    percentiles: null,
    unavailable: "no bounded bucket",
  });
  // ...unless min and max close it: p50 = 1 + (9 - 1) × 0.5 = 5
  const bounded = histogramSteps(
    [point(0, 5, [], [], { count: 4, sum: 20, min: 1, max: 9 })],
    W,
    "delta",
  );
  assertClose(histogramStats(bounded[0]!)?.percentiles?.p50, 5);
});

Deno.test("histogramSteps() refuses bucket counts that do not fit the bounds", () => {
  assert.throws(() => histogramSteps([point(0, 5, [1, 5], [1, 2])], W, "delta"), {
    name: "RangeError",
    message:
      `Cannot read a histogram point as it must have one bucket count more than bounds (2 bounds): current value is 2 bucket counts at ${
        at(5)
      } ns`,
  });
  assert.throws(() => histogramSteps([point(0, 5, [5, 1], [1, 2, 0])], W, "delta"), {
    name: "RangeError",
    message:
      `Cannot read a histogram point as its bounds must increase strictly: current value is [5, 1] at ${
        at(5)
      } ns`,
  });
});
