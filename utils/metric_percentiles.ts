/**
 * A quantile from counted buckets, as Prometheus's `histogram_quantile()` estimates it: find the
 * bucket holding the rank `q × total`, then interpolate inside it by the rank's place among the
 * bucket's counts. Shared by the explicit-bounds and the exponential histograms, which differ
 * only in their buckets' edges and in how they interpolate (linear, or geometric for exponential
 * buckets, whose edges grow by a constant factor).
 *
 * The ends, where a bucket is open:
 * - a lowest bucket open below (`(-Inf, b]`): Prometheus's rule, the lower edge is 0 when
 *   `b > 0`, and the answer is `b` itself when `b <= 0`;
 * - a highest bucket open above (`(b, +Inf)`): the answer is `b`, the highest finite bound
 *   (Prometheus again: nothing says how far above `b` the values go);
 * - when the points carry `min` and `max`, every edge is clamped into `[min, max]` first, which
 *   closes both open buckets (the +Inf bucket then interpolates up to `max`) and tightens any
 *   bucket that holds the least or greatest value;
 * - a single bucket open at both ends, without `min` and `max`, has no answer (`null`).
 *
 * @module
 */

/** The percentiles the charts draw. */
export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
}

/** One bucket in ascending order of values. Edges may be ±Infinity. */
export interface CountedBucket {
  lower: number;
  upper: number;
  count: number;
  /** `geometric`: values grow by a constant factor across the bucket (both edges one sign). */
  interpolation: "linear" | "geometric";
}

/** What every value counted is known to lie within (the points' `min` and `max`), when known. */
export interface ValueRange {
  min: number | null;
  max: number | null;
}

/**
 * The `q`-quantile (0 ≤ q ≤ 1) of the buckets, or `null` when they count nothing or the bucket
 * holding it is open at both ends. Throws a `RangeError` for `q` outside [0, 1].
 */
export function bucketQuantile(
  buckets: readonly CountedBucket[],
  q: number,
  range: ValueRange = { min: null, max: null },
): number | null {
  if (!(q >= 0 && q <= 1)) {
    throw new RangeError(
      `Cannot compute a quantile as 'q' must be a number from 0 to 1: current value is ${q}`,
    );
  }
  const total = buckets.reduce((sum, bucket) => sum + bucket.count, 0);
  if (total <= 0) return null;
  const rank = q * total;
  let below = 0;
  for (const bucket of buckets) {
    // The first bucket reaching the rank that counts anything (q = 0 skips empty leading buckets).
    if (bucket.count > 0 && below + bucket.count >= rank) {
      return interpolate(bucket, (rank - below) / bucket.count, range);
    }
    below += bucket.count;
  }
  // Rounding left the rank a hair above the total: the answer is in the last counting bucket.
  const last = buckets.findLast((bucket) => bucket.count > 0)!;
  return interpolate(last, 1, range);
}

/** p50, p90 and p99 of the buckets, or `null` when any of them has no answer. */
export function bucketPercentiles(
  buckets: readonly CountedBucket[],
  range?: ValueRange,
): Percentiles | null {
  const p50 = bucketQuantile(buckets, 0.5, range);
  const p90 = bucketQuantile(buckets, 0.9, range);
  const p99 = bucketQuantile(buckets, 0.99, range);
  return p50 === null || p90 === null || p99 === null ? null : { p50, p90, p99 };
}

/** The value at `fraction` (0–1) of the bucket's counts, its edges closed as the module says. */
function interpolate(bucket: CountedBucket, fraction: number, range: ValueRange): number | null {
  let lower = range.min === null ? bucket.lower : Math.max(bucket.lower, range.min);
  const upper = range.max === null ? bucket.upper : Math.min(bucket.upper, range.max);
  if (lower === -Infinity) {
    if (upper === Infinity) return null;
    if (upper <= 0) return upper;
    lower = 0;
  }
  if (upper === Infinity) return lower;
  // min and max that contradict the buckets (bad data): the edge they agree on.
  if (upper <= lower) return lower;
  const sameSign = (lower > 0 && upper > 0) || (lower < 0 && upper < 0);
  if (bucket.interpolation === "geometric" && sameSign) {
    // lower·(upper/lower)^f: for an exponential bucket (base^i, base^(i+1)] that is base^(i+f).
    return lower * Math.pow(upper / lower, fraction);
  }
  return lower + (upper - lower) * fraction;
}
