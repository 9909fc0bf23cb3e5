import assert from "node:assert/strict";
import * as metricMath from "./metric_math.ts";
import {
  counterSteps,
  deltaSumSteps,
  exponentialHistogramStats,
  exponentialHistogramSteps,
  type HistogramPoint,
  histogramStats,
  histogramSteps,
  type NumberPoint,
} from "./metric_math.ts";
import { at, window } from "./metric_test_fixtures.ts";

const W = window(0, 60, 20);

Deno.test("metric_math.ts exports every function of the semantics table", () => {
  for (
    const name of [
      "counterSteps",
      "deltaSumSteps",
      "gaugeSteps",
      "sumSteps",
      "histogramSteps",
      "mergeHistogramSteps",
      "histogramStats",
      "exponentialHistogramSteps",
      "mergeExponentialHistogramSteps",
      "exponentialHistogramStats",
      "summarySteps",
      "bucketQuantile",
    ]
  ) {
    assert.equal(typeof (metricMath as Record<string, unknown>)[name], "function", name);
  }
});

Deno.test("one counter exported as cumulative and as delta charts the same", () => {
  // Counted per 10 s: 3, 4, 0, 10, 2, 6. The cumulative run starts at 0 s (inside the window, so
  // its first point counts from zero): 3, 7, 7, 17, 19, 25.
  const deltas = [3, 4, 0, 10, 2, 6];
  const times = [5, 15, 25, 35, 45, 55];
  let running = 0;
  const cumulative: NumberPoint[] = deltas.map((delta, i) => ({
    startTimeUnixNano: at(0),
    timeUnixNano: at(times[i]!),
    value: running += delta,
  }));
  const delta: NumberPoint[] = deltas.map((value, i) => ({
    startTimeUnixNano: at(times[i]! - 10),
    timeUnixNano: at(times[i]!),
    value,
  }));
  // 3 + 4 = 7, 0 + 10 = 10, 2 + 6 = 8 per 20 s.
  const expected = [
    { increase: 7, rate: 0.35 },
    { increase: 10, rate: 0.5 },
    { increase: 8, rate: 0.4 },
  ];
  assert.deepEqual(counterSteps(cumulative, W), expected);
  assert.deepEqual(deltaSumSteps(delta, W), expected);
});

Deno.test("one histogram exported as cumulative and as delta gives the same steps and percentiles", () => {
  const bounds = [1, 5, 10];
  const observed = [[1, 2, 0, 0], [0, 3, 1, 0], [2, 0, 0, 1]];
  const times = [10, 30, 50];
  const running = [0, 0, 0, 0];
  const cumulative: HistogramPoint[] = observed.map((counts, i) => {
    counts.forEach((count, j) => (running[j]! += count));
    return {
      startTimeUnixNano: at(0),
      timeUnixNano: at(times[i]!),
      count: running.reduce((sum, count) => sum + count, 0),
      explicitBounds: bounds,
      bucketCounts: [...running],
    };
  });
  const delta: HistogramPoint[] = observed.map((counts, i) => ({
    startTimeUnixNano: at(times[i]! - 20),
    timeUnixNano: at(times[i]!),
    count: counts.reduce((sum, count) => sum + count, 0),
    explicitBounds: bounds,
    bucketCounts: counts,
  }));
  const fromCumulative = histogramSteps(cumulative, W, "cumulative").map(histogramStats);
  const fromDelta = histogramSteps(delta, W, "delta").map(histogramStats);
  assert.deepEqual(fromCumulative, fromDelta);
  // Step 1 observed [0, 3, 1, 0]: p50 at rank 2 of 4, in (1, 5] holding 3: 1 + 4 × 2/3 ≈ 3.667
  assert.ok(Math.abs(fromDelta[1]!.percentiles!.p50 - (1 + 4 * 2 / 3)) < 1e-9);

  const exponential = exponentialHistogramSteps(
    [{
      startTimeUnixNano: at(0),
      timeUnixNano: at(10),
      count: 3,
      scale: 0,
      zeroCount: 0,
      positive: { offset: 0, bucketCounts: [3] },
      negative: { offset: 0, bucketCounts: [] },
    }],
    W,
    "cumulative",
  ).map(exponentialHistogramStats);
  // A run started at 'from': all three values, in (1, 2]; p50 = 2^(0 + 1.5/3) = √2.
  assert.ok(Math.abs(exponential[0]!.percentiles!.p50 - Math.SQRT2) < 1e-9);
});
