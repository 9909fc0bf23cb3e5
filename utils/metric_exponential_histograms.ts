/**
 * Exponential histograms per step, merged across points and series at a common scale.
 *
 * At scale s the positive bucket `index` counts values in `(base^index, base^(index+1)]`,
 * `base = 2^(2^-s)`; the negative range the same for absolute values; the zero bucket the values
 * within `[-zeroThreshold, zeroThreshold]`. Lowering the scale by d merges 2^d neighbouring
 * buckets exactly ("perfect subsetting"): bucket `index` becomes `index >> d`, i.e.
 * `floor(index / 2^d)`, for negative indexes too. So two histograms merge at the lower (coarser)
 * of their scales, the finer one downscaled, never the other way (that would invent detail).
 * Their zero buckets merge at the larger threshold; a bucket lying wholly within it joins the
 * zero bucket.
 *
 * Steps follow the explicit histograms (`metric_histograms.ts`): cumulative points give their
 * difference from their predecessor (both at the lower scale), resets by a new start time or a
 * drop of the count, the zero count or any bucket; a change of zero threshold within a run makes
 * the point a baseline. Delta points add up.
 *
 * Percentiles interpolate geometrically inside a bucket, the answer at fraction f of bucket
 * `index`'s counts being `base^(index + f)` (clamped into the step's `min` and `max` when known):
 * the buckets are evenly spaced in log(value), so this spreads the counts as evenly as the
 * buckets themselves do. Inside the zero bucket, linearly, between `-zeroThreshold` (or 0 when
 * no negative value was counted) and `zeroThreshold` (or 0 when no positive one was).
 *
 * Points flagged `FLAG_NO_RECORDED_VALUE`, and points whose counts are not finite, are ignored.
 *
 * @module
 */
import { cumulativeContributions, type CumulativeRules } from "./metric_cumulative.ts";
import {
  assertTimeOrder,
  type ExponentialBuckets,
  type ExponentialHistogramPoint,
  finiteOrNull,
  hasRecordedValue,
  type Temporality,
} from "./metric_points.ts";
import { bucketPercentiles, type CountedBucket, type Percentiles } from "./metric_percentiles.ts";
import {
  DEFAULT_MAX_STEPS,
  emptySteps,
  stepCount,
  stepIndexOf,
  type StepWindow,
} from "./metric_steps.ts";

/**
 * The scales the OpenTelemetry SDKs produce. Others are refused, as the data model advises for
 * out-of-range data (at scale -10 already, bucket 1's edge 2^1024 is past a double: Infinity).
 */
export const MIN_SCALE = -10;
export const MAX_SCALE = 20;

/** The buckets of an exponential histogram, sparse: bucket index → count (no zero counts). */
export interface ExponentialStepBuckets {
  scale: number;
  zeroThreshold: number;
  zeroCount: number;
  positive: Map<number, number>;
  negative: Map<number, number>;
}

/** What a step of one series, or of several merged, observed. */
export interface ExponentialHistogramStep {
  count: number;
  sum: number | null;
  /** Every value counted is ≥ `min` (`null`: unknown). */
  min: number | null;
  /** Every value counted is ≤ `max` (`null`: unknown). */
  max: number | null;
  buckets: ExponentialStepBuckets;
}

/** A step as the charts show it. */
export interface ExponentialHistogramStats {
  count: number;
  sum: number | null;
  avg: number | null;
  /** `null` without observations. */
  percentiles: Percentiles | null;
}

/** `2^(2^-scale)`: the ratio of a bucket's upper edge to its lower edge. */
export function exponentialBase(scale: number): number {
  return Math.pow(2, Math.pow(2, -scale));
}

/** `base^index`: bucket `index`'s lower edge (exclusive), bucket `index - 1`'s upper edge. */
export function bucketLowerBoundary(index: number, scale: number): number {
  // 2^(index / 2^scale) rather than base^index: one rounding instead of one per multiplication.
  return Math.pow(2, index * Math.pow(2, -scale));
}

/** A point's dense buckets as sparse ones, at its own scale. */
export function pointBuckets(point: ExponentialHistogramPoint): ExponentialStepBuckets {
  return {
    scale: point.scale,
    zeroThreshold: point.zeroThreshold ?? 0,
    zeroCount: point.zeroCount,
    positive: sparse(point.positive),
    negative: sparse(point.negative),
  };
}

/**
 * The buckets at the lower scale `scale` (each index shifted right by the difference); throws a
 * `RangeError` when asked for a finer scale, which would need counts split between buckets.
 */
export function downscale(buckets: ExponentialStepBuckets, scale: number): ExponentialStepBuckets {
  if (scale > buckets.scale) {
    throw new RangeError(
      `Cannot downscale exponential buckets as the scale must not be above theirs (${buckets.scale}): current value is ${scale}`,
    );
  }
  if (scale === buckets.scale) return buckets;
  const factor = Math.pow(2, buckets.scale - scale);
  const shift = (range: Map<number, number>) => {
    const shifted = new Map<number, number>();
    for (const [index, count] of range) {
      // index >> (difference), written as a floor division so that it holds past 32 bits.
      const target = Math.floor(index / factor);
      shifted.set(target, (shifted.get(target) ?? 0) + count);
    }
    return shifted;
  };
  return {
    ...buckets,
    scale,
    positive: shift(buckets.positive),
    negative: shift(buckets.negative),
  };
}

/**
 * Two histograms' buckets added: at the lower of the two scales, the zero bucket at the larger
 * threshold, taking in the buckets that lie wholly within it.
 */
export function mergeExponentialBuckets(
  a: ExponentialStepBuckets,
  b: ExponentialStepBuckets,
): ExponentialStepBuckets {
  const scale = Math.min(a.scale, b.scale);
  const zeroThreshold = Math.max(a.zeroThreshold, b.zeroThreshold);
  const left = widenZeroBucket(downscale(a, scale), zeroThreshold);
  const right = widenZeroBucket(downscale(b, scale), zeroThreshold);
  return {
    scale,
    zeroThreshold,
    zeroCount: left.zeroCount + right.zeroCount,
    positive: addRanges(left.positive, right.positive, 1),
    negative: addRanges(left.negative, right.negative, 1),
  };
}

/**
 * How `exponentialHistogramSteps` walks cumulative points (metric_cumulative.ts): usable when the
 * counts are finite, comparable when the zero threshold is the same, a reset when the count, the
 * zero count or a bucket drops. Exported for the rollups (store/metric_rollup_points.ts), which
 * must read points exactly as the chart does; delta points are usable by the same test.
 */
export const EXPONENTIAL_HISTOGRAM_RULES: CumulativeRules<
  ExponentialHistogramPoint,
  ExponentialHistogramStep
> = {
  usable: usableExponential,
  comparable: (previous, point) => (previous.zeroThreshold ?? 0) === (point.zeroThreshold ?? 0),
  difference: exponentialDifference,
};

/**
 * One series' exponential histogram per step (`null`: no recorded point). For cumulative points
 * pass the last point before `from` too, or the first one in the window is only a baseline.
 */
export function exponentialHistogramSteps(
  points: readonly ExponentialHistogramPoint[],
  window: StepWindow,
  temporality: Temporality,
  maxSteps = DEFAULT_MAX_STEPS,
): (ExponentialHistogramStep | null)[] {
  const steps = emptySteps<ExponentialHistogramStep>(stepCount(window, maxSteps));
  assertTimeOrder(points);
  for (const point of points) assertScale(point);
  if (temporality === "delta") {
    for (const point of points) {
      const step = stepIndexOf(window, point.timeUnixNano);
      if (step < 0 || !hasRecordedValue(point) || !usableExponential(point)) continue;
      steps[step] = accumulate(steps[step] ?? null, exponentialHistogramPointStep(point));
    }
    return steps;
  }
  const contributions = cumulativeContributions(points, window, EXPONENTIAL_HISTOGRAM_RULES);
  for (const contribution of contributions) {
    const { step, point } = contribution;
    const observed = contribution.kind === "difference"
      ? contribution.difference
      : contribution.kind === "from_zero"
      ? exponentialHistogramPointStep(point)
      : {
        ...exponentialHistogramPointStep(point),
        count: 0,
        sum: 0,
        buckets: emptyBuckets(point.scale),
      };
    steps[step] = accumulate(steps[step] ?? null, observed);
  }
  return steps;
}

/** Several series' steps added up step by step (the series must share the window). */
export function mergeExponentialHistogramSteps(
  series: readonly (readonly (ExponentialHistogramStep | null)[])[],
): (ExponentialHistogramStep | null)[] {
  const length = Math.max(0, ...series.map((steps) => steps.length));
  return Array.from(
    { length },
    (_, index) =>
      series.reduce<ExponentialHistogramStep | null>(
        (merged, steps) => addExponentialHistogramSteps(merged, steps[index] ?? null),
        null,
      ),
  );
}

/** Two steps added; a side that observed nothing adds nothing (not even a coarser scale). */
export function addExponentialHistogramSteps(
  a: ExponentialHistogramStep | null,
  b: ExponentialHistogramStep | null,
): ExponentialHistogramStep | null {
  if (a === null || b === null) return a ?? b;
  if (b.count === 0) return a;
  if (a.count === 0) return b;
  return {
    count: a.count + b.count,
    sum: a.sum !== null && b.sum !== null ? a.sum + b.sum : null,
    min: a.min !== null && b.min !== null ? Math.min(a.min, b.min) : null,
    max: a.max !== null && b.max !== null ? Math.max(a.max, b.max) : null,
    buckets: mergeExponentialBuckets(a.buckets, b.buckets),
  };
}

/** Count, sum, mean and p50/p90/p99 of a step (`null` in, `null` out: no data). */
export function exponentialHistogramStats(
  step: ExponentialHistogramStep | null,
): ExponentialHistogramStats | null {
  if (step === null) return null;
  const avg = step.sum !== null && step.count > 0 ? step.sum / step.count : null;
  const percentiles = step.count === 0
    ? null
    : bucketPercentiles(exponentialCountedBuckets(step.buckets), step);
  return { count: step.count, sum: step.sum, avg, percentiles };
}

/** The buckets in value order (most negative first), with their edges. */
export function exponentialCountedBuckets(buckets: ExponentialStepBuckets): CountedBucket[] {
  const { scale, zeroThreshold } = buckets;
  const counted = (range: Map<number, number>) =>
    [...range].filter(([, count]) => count > 0).sort(([a], [b]) => a - b);
  const negative = counted(buckets.negative).reverse().map(([index, count]): CountedBucket => ({
    lower: -bucketLowerBoundary(index + 1, scale),
    upper: -bucketLowerBoundary(index, scale),
    count,
    interpolation: "geometric",
  }));
  const positive = counted(buckets.positive).map(([index, count]): CountedBucket => ({
    lower: bucketLowerBoundary(index, scale),
    upper: bucketLowerBoundary(index + 1, scale),
    count,
    interpolation: "geometric",
  }));
  const zero: CountedBucket[] = buckets.zeroCount > 0
    ? [{
      lower: negative.length > 0 ? -zeroThreshold : 0,
      upper: positive.length > 0 ? zeroThreshold : 0,
      count: buckets.zeroCount,
      interpolation: "linear",
    }]
    : [];
  return [...negative, ...zero, ...positive];
}

/** Throws a `RangeError` for a scale outside [MIN_SCALE, MAX_SCALE] or not an integer. */
function assertScale(point: ExponentialHistogramPoint): void {
  if (!Number.isInteger(point.scale) || point.scale < MIN_SCALE || point.scale > MAX_SCALE) {
    throw new RangeError(
      `Cannot read an exponential histogram point as its scale must be an integer from ${MIN_SCALE} to ${MAX_SCALE}: current value is ${point.scale} at ${point.timeUnixNano} ns`,
    );
  }
}

/**
 * `addExponentialHistogramSteps`, but adding into `total` in place when it is at the part's scale
 * and zero threshold (the usual case: one series keeps its scale for long stretches). Only for
 * steps this module built from points, whose maps no caller holds.
 */
function accumulate(
  total: ExponentialHistogramStep | null,
  part: ExponentialHistogramStep,
): ExponentialHistogramStep | null {
  if (
    total === null || total.count === 0 || part.count === 0 ||
    total.buckets.scale !== part.buckets.scale ||
    total.buckets.zeroThreshold !== part.buckets.zeroThreshold
  ) {
    return addExponentialHistogramSteps(total, part);
  }
  const add = (into: Map<number, number>, from: Map<number, number>) => {
    for (const [index, count] of from) into.set(index, (into.get(index) ?? 0) + count);
  };
  add(total.buckets.positive, part.buckets.positive);
  add(total.buckets.negative, part.buckets.negative);
  total.buckets.zeroCount += part.buckets.zeroCount;
  total.count += part.count;
  total.sum = total.sum !== null && part.sum !== null ? total.sum + part.sum : null;
  total.min = total.min !== null && part.min !== null ? Math.min(total.min, part.min) : null;
  total.max = total.max !== null && part.max !== null ? Math.max(total.max, part.max) : null;
  return total;
}

function usableExponential(point: ExponentialHistogramPoint): boolean {
  return Number.isFinite(point.count) && Number.isFinite(point.zeroCount) &&
    point.positive.bucketCounts.every(Number.isFinite) &&
    point.negative.bucketCounts.every(Number.isFinite);
}

function sparse(range: ExponentialBuckets): Map<number, number> {
  const counts = new Map<number, number>();
  range.bucketCounts.forEach((count, i) => {
    if (count !== 0) counts.set(range.offset + i, count);
  });
  return counts;
}

function emptyBuckets(scale: number): ExponentialStepBuckets {
  return { scale, zeroThreshold: 0, zeroCount: 0, positive: new Map(), negative: new Map() };
}

/** What a delta point observed, or all a cumulative point counted since its run's start. */
export function exponentialHistogramPointStep(
  point: ExponentialHistogramPoint,
): ExponentialHistogramStep {
  return {
    count: point.count,
    sum: finiteOrNull(point.sum),
    min: finiteOrNull(point.min),
    max: finiteOrNull(point.max),
    buckets: pointBuckets(point),
  };
}

/**
 * A cumulative point minus its predecessor in the run, at the lower of their scales, or `null`
 * when the count, the zero count or any bucket went down (a reset).
 */
function exponentialDifference(
  previous: ExponentialHistogramPoint,
  point: ExponentialHistogramPoint,
): ExponentialHistogramStep | null {
  const count = point.count - previous.count;
  const buckets = previous.scale === point.scale
    ? sameScaleDifference(previous, point)
    : bucketDifference(pointBuckets(previous), pointBuckets(point));
  if (count < 0 || buckets === null) return null;
  const sum = finiteOrNull(point.sum);
  const previousSum = finiteOrNull(previous.sum);
  return {
    count,
    sum: sum !== null && previousSum !== null ? sum - previousSum : null,
    // The run's min and max (the point's) bound every value counted since the predecessor too.
    min: finiteOrNull(point.min),
    max: finiteOrNull(point.max),
    buckets,
  };
}

/**
 * `point - previous` when both have the same scale (the usual case), straight from their dense
 * counts: the same answer as `bucketDifference`, without building and shifting maps per point.
 */
function sameScaleDifference(
  previous: ExponentialHistogramPoint,
  point: ExponentialHistogramPoint,
): ExponentialStepBuckets | null {
  const zeroCount = point.zeroCount - previous.zeroCount;
  const positive = denseDifference(previous.positive, point.positive);
  const negative = denseDifference(previous.negative, point.negative);
  if (zeroCount < 0 || positive === null || negative === null) return null;
  const zeroThreshold = point.zeroThreshold ?? 0;
  return { scale: point.scale, zeroThreshold, zeroCount, positive, negative };
}

/** `after - before` per index (zeros left out), or `null` when any count went down. */
function denseDifference(
  before: ExponentialBuckets,
  after: ExponentialBuckets,
): Map<number, number> | null {
  const end = after.offset + after.bucketCounts.length;
  // A bucket `before` counted and `after` no longer covers went down to 0.
  for (let i = 0; i < before.bucketCounts.length; i++) {
    const index = before.offset + i;
    if ((index < after.offset || index >= end) && before.bucketCounts[i]! > 0) return null;
  }
  const difference = new Map<number, number>();
  for (let i = 0; i < after.bucketCounts.length; i++) {
    const index = after.offset + i;
    const change = after.bucketCounts[i]! - (before.bucketCounts[index - before.offset] ?? 0);
    if (change < 0) return null;
    if (change > 0) difference.set(index, change);
  }
  return difference;
}

/** `after - before` at the lower scale, or `null` when any count went down (a reset). */
function bucketDifference(
  before: ExponentialStepBuckets,
  after: ExponentialStepBuckets,
): ExponentialStepBuckets | null {
  const scale = Math.min(before.scale, after.scale);
  const older = downscale(before, scale);
  const newer = downscale(after, scale);
  const positive = addRanges(newer.positive, older.positive, -1);
  const negative = addRanges(newer.negative, older.negative, -1);
  const zeroCount = newer.zeroCount - older.zeroCount;
  const wentDown = (range: Map<number, number>) => [...range.values()].some((count) => count < 0);
  if (zeroCount < 0 || wentDown(positive) || wentDown(negative)) return null;
  return { scale, zeroThreshold: newer.zeroThreshold, zeroCount, positive, negative };
}

/** `a + sign·b` per index, dropping the zeros. */
function addRanges(
  a: Map<number, number>,
  b: Map<number, number>,
  sign: 1 | -1,
): Map<number, number> {
  const sum = new Map(a);
  for (const [index, count] of b) sum.set(index, (sum.get(index) ?? 0) + sign * count);
  for (const [index, count] of sum) if (count === 0) sum.delete(index);
  return sum;
}

/**
 * The zero bucket widened to `threshold`: buckets whose upper edge `base^(index+1)` is within it
 * move into the zero count; a bucket straddling the threshold stays where it is.
 */
function widenZeroBucket(
  buckets: ExponentialStepBuckets,
  threshold: number,
): ExponentialStepBuckets {
  if (threshold <= buckets.zeroThreshold) return buckets;
  let zeroCount = buckets.zeroCount;
  const keep = (range: Map<number, number>) => {
    const kept = new Map<number, number>();
    for (const [index, count] of range) {
      if (bucketLowerBoundary(index + 1, buckets.scale) <= threshold) zeroCount += count;
      else kept.set(index, count);
    }
    return kept;
  };
  const positive = keep(buckets.positive);
  const negative = keep(buckets.negative);
  return { scale: buckets.scale, zeroThreshold: threshold, zeroCount, positive, negative };
}
