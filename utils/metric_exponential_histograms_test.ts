import assert from "node:assert/strict";
import {
  bucketLowerBoundary,
  downscale,
  exponentialBase,
  exponentialCountedBuckets,
  exponentialHistogramStats,
  exponentialHistogramSteps,
  mergeExponentialBuckets,
  mergeExponentialHistogramSteps,
  pointBuckets,
} from "./metric_exponential_histograms.ts";
import { bucketQuantile } from "./metric_percentiles.ts";
import type { ExponentialHistogramPoint } from "./metric_points.ts";
import { assertClose, at, window } from "./metric_test_fixtures.ts";

function point(
  start: number,
  time: number,
  scale: number,
  positive: { offset: number; bucketCounts: number[] },
  fields: Partial<ExponentialHistogramPoint> = {},
): ExponentialHistogramPoint {
  const negative = fields.negative ?? { offset: 0, bucketCounts: [] };
  const zeroCount = fields.zeroCount ?? 0;
  const total = (counts: number[]) => counts.reduce((sum, count) => sum + count, 0);
  return {
    startTimeUnixNano: at(start),
    timeUnixNano: at(time),
    count: total(positive.bucketCounts) + total(negative.bucketCounts) + zeroCount,
    scale,
    zeroCount,
    positive,
    negative,
    ...fields,
  };
}

/** A sparse range as [index, count] pairs in index order, for comparing. */
const pairs = (range: Map<number, number>) => [...range].sort(([a], [b]) => a - b);

// [0 s, 60 s) in 20 s steps.
const W = window(0, 60, 20);

Deno.test("exponentialBase() and bucketLowerBoundary() follow base = 2^(2^-scale)", () => {
  assertClose(exponentialBase(3), 1.0905077326652577); // 2^(1/8), the data model's table
  assert.equal(exponentialBase(0), 2);
  assert.equal(exponentialBase(-1), 4);
  // Scale 3 bucket 4's lower edge is scale 2 bucket 2's and scale 1 bucket 1's: 2^(1/2).
  assertClose(bucketLowerBoundary(4, 3), Math.SQRT2);
  assertClose(bucketLowerBoundary(2, 2), Math.SQRT2);
  assertClose(bucketLowerBoundary(1, 1), Math.SQRT2);
});

Deno.test("downscale() maps index to index >> (scale difference), negative indexes too", () => {
  // Scale 3 → 1 (a difference of 2: four buckets into one).
  const buckets = pointBuckets(
    point(0, 5, 3, { offset: -5, bucketCounts: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1] }),
  );
  const coarse = downscale(buckets, 1);
  // -5 >> 2 = -2; -4..-1 >> 2 = -1; 0..3 >> 2 = 0; 4 >> 2 = 1.
  // Check one on paper: scale 3 bucket -5 is (2^(-5/8), 2^(-4/8)] = (0.648, 0.707], inside
  // scale 1 bucket -2, (2^(-2/2), 2^(-1/2)] = (0.5, 0.707].
  assert.deepEqual(pairs(coarse.positive), [[-2, 1], [-1, 4], [0, 4], [1, 1]]);
  assert.equal(coarse.scale, 1);
  assert.throws(() => downscale(coarse, 2), {
    name: "RangeError",
    message:
      "Cannot downscale exponential buckets as the scale must not be above theirs (1): current value is 2",
  });
});

Deno.test("a scale-3 histogram merged with a scale-1 one: percentiles from the merged buckets", () => {
  // A at scale 3: buckets 6..15 hold 1, 1, 2, 0, 3, 1, 0, 0, 2, 4 (14 values).
  const a = point(0, 5, 3, { offset: 6, bucketCounts: [1, 1, 2, 0, 3, 1, 0, 0, 2, 4] });
  // B at scale 1: buckets 1..3 hold 2, 4, 0 (6 values).
  const b = point(0, 15, 1, { offset: 1, bucketCounts: [2, 4, 0] });
  const merged = mergeExponentialBuckets(pointBuckets(a), pointBuckets(b));
  // A downscaled by 2: 6,7 → 1 (1+1 = 2); 8..11 → 2 (2+0+3+1 = 6); 12..15 → 3 (0+0+2+4 = 6).
  // Plus B: bucket 1: 2+2 = 4; bucket 2: 6+4 = 10; bucket 3: 6+0 = 6. 20 values.
  assert.equal(merged.scale, 1);
  assert.deepEqual(pairs(merged.positive), [[1, 4], [2, 10], [3, 6]]);
  // At scale 1 (base √2) bucket 1 is (√2, 2], bucket 2 (2, 2√2], bucket 3 (2√2, 4].
  const buckets = exponentialCountedBuckets(merged);
  // p50: rank 10; 4 below bucket 2 holding 10: f = 6/10, answer √2^(2 + 0.6) = 2^1.3 ≈ 2.462
  const p50 = bucketQuantile(buckets, 0.5)!;
  assertClose(p50, Math.pow(2, 1.3));
  assert.ok(p50 > 2 && p50 <= 2 * Math.SQRT2);
  // p90: rank 18; 14 below bucket 3 holding 6: f = 4/6, answer 2^((3 + 2/3) / 2) ≈ 3.564
  const p90 = bucketQuantile(buckets, 0.9)!;
  assertClose(p90, Math.pow(2, (3 + 2 / 3) / 2));
  assert.ok(p90 > 2 * Math.SQRT2 && p90 <= 4);
  // p99: rank 19.8; f = 5.8/6, answer 2^((3 + 5.8/6) / 2) ≈ 3.954
  assertClose(bucketQuantile(buckets, 0.99)!, Math.pow(2, (3 + 5.8 / 6) / 2));
});

Deno.test("mergeExponentialHistogramSteps() merges two series at the coarser scale, per step", () => {
  const a = exponentialHistogramSteps(
    [point(0, 5, 3, { offset: 6, bucketCounts: [1, 1, 2, 0, 3, 1, 0, 0, 2, 4] }, { max: 3.9 })],
    W,
    "delta",
  );
  const b = exponentialHistogramSteps(
    [point(0, 15, 1, { offset: 1, bucketCounts: [2, 4, 0] }, { max: 2.7 })],
    W,
    "delta",
  );
  const merged = mergeExponentialHistogramSteps([a, b]);
  assert.equal(merged[1], null);
  const stats = exponentialHistogramStats(merged[0]!);
  assert.equal(stats?.count, 20);
  assertClose(stats?.percentiles?.p50, Math.pow(2, 1.3)); // as above
  // p99 in bucket 3 (2√2, 4], closed at max 3.9 (B's 2.7 does not bound A's values):
  // 2√2 × (3.9 / 2√2)^(5.8/6)
  const top = 2 * Math.SQRT2;
  assertClose(stats?.percentiles?.p99, top * Math.pow(3.9 / top, 5.8 / 6));
});

Deno.test("percentiles walk the negative range, the zero bucket, then the positive range", () => {
  // Scale 0 (base 2). Negative bucket 1 holds 2 values in [-4, -2); the zero bucket 2 values in
  // [-0.5, 0.5]; positive bucket 0 holds 4 in (1, 2], bucket 1 holds 2 in (2, 4]. 10 values.
  const buckets = exponentialCountedBuckets(pointBuckets(point(0, 5, 0, {
    offset: 0,
    bucketCounts: [4, 2],
  }, { negative: { offset: 1, bucketCounts: [2] }, zeroCount: 2, zeroThreshold: 0.5 })));
  // q 0.1: rank 1 of the 2 in [-4, -2): halfway in log: -(4 × (2/4)^(1/2)) = -2^1.5 ≈ -2.828
  assertClose(bucketQuantile(buckets, 0.1), -Math.pow(2, 1.5));
  // q 0.3: rank 3; 2 below the zero bucket holding 2: -0.5 + 1 × 1/2 = 0
  assertClose(bucketQuantile(buckets, 0.3), 0);
  // p50: rank 5; 4 below (1, 2] holding 4: f = 1/4, 2^0.25 ≈ 1.189
  assertClose(bucketQuantile(buckets, 0.5), Math.pow(2, 0.25));
  // p90: rank 9; 8 below (2, 4] holding 2: f = 1/2, 2^1.5 ≈ 2.828
  assertClose(bucketQuantile(buckets, 0.9), Math.pow(2, 1.5));
});

Deno.test("mergeExponentialBuckets() widens the zero bucket to the larger threshold", () => {
  // A: exact zeros only; bucket -2 (0.25, 0.5] holds 3, bucket 0 (1, 2] holds 1 (scale 0).
  const a = pointBuckets(point(0, 5, 0, { offset: -2, bucketCounts: [3, 0, 1] }));
  // B: values within ±0.5 are zero: 2 of them.
  const b = pointBuckets(
    point(0, 5, 0, { offset: 0, bucketCounts: [] }, { zeroCount: 2, zeroThreshold: 0.5 }),
  );
  const merged = mergeExponentialBuckets(a, b);
  // A's bucket -2 ends at 0.5 ≤ 0.5: it joins the zero bucket: 3 + 2 = 5.
  assert.equal(merged.zeroThreshold, 0.5);
  assert.equal(merged.zeroCount, 5);
  assert.deepEqual(pairs(merged.positive), [[0, 1]]);
});

Deno.test("exponentialHistogramSteps() differences cumulative points across a scale change and a reset", () => {
  const steps = exponentialHistogramSteps(
    [
      // Baseline at scale 3: buckets 8 and 9 hold 1 each.
      point(-100, -10, 3, { offset: 8, bucketCounts: [1, 1] }),
      // The SDK downscaled to 2: buckets 4..6 hold 3, 0, 1. The baseline at scale 2 is
      // 8 >> 1 = 4, 9 >> 1 = 4: {4: 2}; the difference {4: 3 - 2, 6: 1} = {4: 1, 6: 1}.
      point(-100, 5, 2, { offset: 4, bucketCounts: [3, 0, 1] }, { sum: 10 }),
      // Count 4 → 1: a reset; all of it counts: {4: 1}.
      point(-100, 25, 2, { offset: 4, bucketCounts: [1] }, { sum: 2.5 }),
    ],
    W,
    "cumulative",
  );
  assert.equal(steps[0]?.count, 2);
  assert.equal(steps[0]?.buckets.scale, 2);
  assert.deepEqual(pairs(steps[0]!.buckets.positive), [[4, 1], [6, 1]]);
  assert.equal(steps[0]?.sum, null); // the baseline had no sum
  assert.equal(steps[1]?.count, 1);
  assert.equal(steps[1]?.sum, 2.5);
  assert.deepEqual(pairs(steps[1]!.buckets.positive), [[4, 1]]);
  assert.equal(steps[2], null);
});

Deno.test("exponentialHistogramSteps() refuses a scale outside -10 to 20", () => {
  assert.throws(
    () =>
      exponentialHistogramSteps([point(0, 5, 21, { offset: 0, bucketCounts: [1] })], W, "delta"),
    {
      name: "RangeError",
      message:
        `Cannot read an exponential histogram point as its scale must be an integer from -10 to 20: current value is 21 at ${
          at(5)
        } ns`,
    },
  );
});
