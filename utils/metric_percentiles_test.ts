import assert from "node:assert/strict";
import { bucketPercentiles, bucketQuantile, type CountedBucket } from "./metric_percentiles.ts";
import { assertClose } from "./metric_test_fixtures.ts";

/** Explicit bounds [10, 50, 100] holding 5, 10, 4 and 1 values: 20 in all. */
const BUCKETS: CountedBucket[] = [
  { lower: -Infinity, upper: 10, count: 5, interpolation: "linear" },
  { lower: 10, upper: 50, count: 10, interpolation: "linear" },
  { lower: 50, upper: 100, count: 4, interpolation: "linear" },
  { lower: 100, upper: Infinity, count: 1, interpolation: "linear" },
];

Deno.test("bucketQuantile() interpolates linearly inside the bucket holding the rank", () => {
  // p50: rank 0.5 × 20 = 10; 5 below (10, 50]: 10 + 40 × (10 - 5) / 10 = 30
  assert.equal(bucketQuantile(BUCKETS, 0.5), 30);
  // p90: rank 18; 15 below (50, 100]: 50 + 50 × (18 - 15) / 4 = 87.5
  assertClose(bucketQuantile(BUCKETS, 0.9), 87.5);
});

Deno.test("bucketQuantile() in the first bucket starts from 0, or from min when known", () => {
  // q 0.2: rank 4 in (-Inf, 10] holding 5: from 0 (Prometheus's natural lower bound): 10 × 4/5 = 8
  assertClose(bucketQuantile(BUCKETS, 0.2), 8);
  // With min 2: 2 + (10 - 2) × 4/5 = 8.4
  assertClose(bucketQuantile(BUCKETS, 0.2, { min: 2, max: null }), 8.4);
  // A first bucket with an upper bound ≤ 0 answers that bound (nothing says how far below).
  const negative: CountedBucket[] = [
    { lower: -Infinity, upper: -1, count: 3, interpolation: "linear" },
    { lower: -1, upper: Infinity, count: 1, interpolation: "linear" },
  ];
  assert.equal(bucketQuantile(negative, 0.5), -1);
  // With min -7: -7 + (-1 - -7) × (2 / 3) = -3
  assertClose(bucketQuantile(negative, 0.5, { min: -7, max: null }), -3);
});

Deno.test("bucketQuantile() in the +Inf bucket answers the highest bound, or reaches to max", () => {
  // p99: rank 19.8; 19 below (100, +Inf): without max, 100 (Prometheus's answer)
  assert.equal(bucketQuantile(BUCKETS, 0.99), 100);
  // With max 180: 100 + 80 × (19.8 - 19) / 1 = 164
  assertClose(bucketQuantile(BUCKETS, 0.99, { min: null, max: 180 }), 164);
  // max inside a bucket tightens it: max 60 puts p90 at 50 + 10 × 3/4 = 57.5
  assertClose(bucketQuantile(BUCKETS, 0.9, { min: null, max: 60 }), 57.5);
});

Deno.test("bucketQuantile() has no answer without counts or for one bucket open at both ends", () => {
  assert.equal(bucketQuantile([], 0.5), null);
  assert.equal(bucketQuantile(BUCKETS.map((b) => ({ ...b, count: 0 })), 0.5), null);
  const whole: CountedBucket[] = [
    { lower: -Infinity, upper: Infinity, count: 4, interpolation: "linear" },
  ];
  assert.equal(bucketQuantile(whole, 0.5), null);
  // min and max close it: 1 + (9 - 1) × 0.5 = 5
  assert.equal(bucketQuantile(whole, 0.5, { min: 1, max: 9 }), 5);
});

Deno.test("bucketQuantile() interpolates geometrically in a geometric bucket", () => {
  // (2, 8] holding 4; rank 2 of 4: 2 × (8 / 2)^(1/2) = 4 (the linear midpoint would be 5)
  const buckets: CountedBucket[] = [{ lower: 2, upper: 8, count: 4, interpolation: "geometric" }];
  assertClose(bucketQuantile(buckets, 0.5), 4);
  // q 0 skips to the first counting bucket's lower edge.
  assertClose(bucketQuantile(buckets, 0), 2);
});

Deno.test("bucketQuantile() refuses q outside [0, 1]", () => {
  for (const q of [-0.1, 1.5, NaN]) {
    assert.throws(() => bucketQuantile(BUCKETS, q), {
      name: "RangeError",
      message:
        `Cannot compute a quantile as 'q' must be a number from 0 to 1: current value is ${q}`,
    });
  }
});

Deno.test("bucketPercentiles() gives p50, p90 and p99, or null when one has no answer", () => {
  const percentiles = bucketPercentiles(BUCKETS, { min: null, max: 180 });
  assert.ok(percentiles);
  assertClose(percentiles.p50, 30);
  assertClose(percentiles.p90, 87.5);
  assertClose(percentiles.p99, 164);
  assert.equal(
    bucketPercentiles([{ lower: -Infinity, upper: Infinity, count: 1, interpolation: "linear" }]),
    null,
  );
});
