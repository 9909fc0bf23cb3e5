/**
 * Explicit-bounds histograms per step: what each step observed (bucket counts, count, sum), the
 * steps of several series merged, and count, sum, mean and p50/p90/p99 of a step.
 *
 * - Cumulative points give their increase since their predecessor, bucket by bucket, with resets
 *   read as `metric_cumulative.ts` describes (a new start time, or a drop of the count or of any
 *   bucket); a point whose bounds differ from its predecessor's is a baseline (no difference can
 *   be taken across different buckets).
 * - Delta points are added up per step.
 * - Buckets add up only where the bounds are the same. Where they are not, in one series or
 *   across merged series, the step's buckets are `"bounds differ"` and its percentiles are not
 *   available: never a number read from buckets that do not line up. Count and sum do not depend
 *   on the bounds and stay.
 * - Percentiles interpolate linearly inside the bucket (`metric_percentiles.ts`), inside the
 *   step's `min` and `max` when every contributing point carries them. A cumulative point's min
 *   and max cover its whole run, so they still bound the step's values, more loosely.
 *
 * Points flagged `FLAG_NO_RECORDED_VALUE`, and points whose count or bucket counts are not
 * finite, are ignored; a sum, min or max that is not finite is read as absent.
 *
 * @module
 */
import { cumulativeContributions, type CumulativeRules } from "./metric_cumulative.ts";
import {
  assertTimeOrder,
  finiteOrNull,
  hasRecordedValue,
  type HistogramPoint,
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

/** Bucket counts with their bounds: `counts.length === bounds.length + 1`. */
export interface ExplicitBuckets {
  bounds: number[];
  counts: number[];
}

/** What a step of one series, or of several merged, observed. */
export interface HistogramStep {
  count: number;
  /** `null` when a contributing point had no sum. */
  sum: number | null;
  /** Every value counted is ≥ `min` (`null`: unknown). */
  min: number | null;
  /** Every value counted is ≤ `max` (`null`: unknown). */
  max: number | null;
  buckets: ExplicitBuckets | "bounds differ";
}

/** A step as the charts show it. */
export interface HistogramStats {
  count: number;
  sum: number | null;
  /** `sum / count`; `null` without a sum or observations. */
  avg: number | null;
  /** `null` without observations, or when `unavailable` says why. */
  percentiles: Percentiles | null;
  /**
   * Why the step has observations but no percentiles: its buckets' bounds differ, or no bucket
   * holding a percentile has a finite edge (a histogram without buckets, with no min or max).
   */
  unavailable: "bounds differ" | "no bounded bucket" | null;
}

/**
 * How `histogramSteps` walks cumulative points (metric_cumulative.ts): usable when the counts are
 * finite, comparable when the bounds are the same, a reset when the count or a bucket drops.
 * Exported for the rollups (store/metric_rollup_points.ts), which must read points exactly as the
 * chart does; delta points are usable by the same test.
 */
export const HISTOGRAM_RULES: CumulativeRules<HistogramPoint, HistogramStep> = {
  usable: usableHistogram,
  comparable: (previous, point) => sameBounds(previous.explicitBounds, point.explicitBounds),
  difference: histogramDifference,
};

/**
 * One series' histogram per step (`null`: no recorded point). For cumulative points pass the
 * last point before `from` too, or the first one in the window is only a baseline.
 */
export function histogramSteps(
  points: readonly HistogramPoint[],
  window: StepWindow,
  temporality: Temporality,
  maxSteps = DEFAULT_MAX_STEPS,
): (HistogramStep | null)[] {
  const steps = emptySteps<HistogramStep>(stepCount(window, maxSteps));
  assertTimeOrder(points);
  for (const point of points) assertBucketShape(point);
  if (temporality === "delta") {
    for (const point of points) {
      const step = stepIndexOf(window, point.timeUnixNano);
      if (step < 0 || !hasRecordedValue(point) || !usableHistogram(point)) continue;
      steps[step] = addHistogramSteps(steps[step] ?? null, histogramPointStep(point));
    }
    return steps;
  }
  const contributions = cumulativeContributions(points, window, HISTOGRAM_RULES);
  for (const contribution of contributions) {
    const { step, point } = contribution;
    const observed = contribution.kind === "difference"
      ? contribution.difference
      : contribution.kind === "from_zero"
      ? histogramPointStep(point)
      : { ...histogramPointStep(point), count: 0, sum: 0, buckets: zeroBuckets(point) };
    steps[step] = addHistogramSteps(steps[step] ?? null, observed);
  }
  return steps;
}

/** Several series' steps added up step by step (the series must share the window). */
export function mergeHistogramSteps(
  series: readonly (readonly (HistogramStep | null)[])[],
): (HistogramStep | null)[] {
  const length = Math.max(0, ...series.map((steps) => steps.length));
  return Array.from(
    { length },
    (_, index) =>
      series.reduce<HistogramStep | null>(
        (merged, steps) => addHistogramSteps(merged, steps[index] ?? null),
        null,
      ),
  );
}

/**
 * Two steps added: counts and sums add; buckets add where the bounds agree, else `"bounds
 * differ"`. A side that observed nothing adds nothing, whatever its bounds.
 */
export function addHistogramSteps(
  a: HistogramStep | null,
  b: HistogramStep | null,
): HistogramStep | null {
  if (a === null || b === null) return a ?? b;
  if (b.count === 0) return a;
  if (a.count === 0) return b;
  return {
    count: a.count + b.count,
    sum: a.sum !== null && b.sum !== null ? a.sum + b.sum : null,
    min: a.min !== null && b.min !== null ? Math.min(a.min, b.min) : null,
    max: a.max !== null && b.max !== null ? Math.max(a.max, b.max) : null,
    buckets: addBuckets(a.buckets, b.buckets),
  };
}

/** Count, sum, mean and p50/p90/p99 of a step (`null` in, `null` out: no data). */
export function histogramStats(step: HistogramStep | null): HistogramStats | null {
  if (step === null) return null;
  const avg = step.sum !== null && step.count > 0 ? step.sum / step.count : null;
  const base = { count: step.count, sum: step.sum, avg };
  if (step.count === 0) return { ...base, percentiles: null, unavailable: null };
  if (step.buckets === "bounds differ") {
    return { ...base, percentiles: null, unavailable: "bounds differ" };
  }
  const percentiles = bucketPercentiles(countedBuckets(step.buckets), step);
  return { ...base, percentiles, unavailable: percentiles === null ? "no bounded bucket" : null };
}

/** The buckets in value order, with their edges, for `metric_percentiles.ts`. */
export function countedBuckets(buckets: ExplicitBuckets): CountedBucket[] {
  return buckets.counts.map((count, i) => ({
    lower: i === 0 ? -Infinity : buckets.bounds[i - 1]!,
    upper: i === buckets.bounds.length ? Infinity : buckets.bounds[i]!,
    count,
    interpolation: "linear",
  }));
}

/**
 * Throws a `RangeError` for a point whose buckets cannot be read: bounds not strictly
 * increasing, or not one bucket count more than bounds. A histogram without buckets (no bounds,
 * no counts) is one bucket `(-Inf, +Inf)`, as the data model reads it.
 */
function assertBucketShape(point: HistogramPoint): void {
  const { explicitBounds: bounds, bucketCounts: counts } = point;
  if (counts.length !== 0 && counts.length !== bounds.length + 1) {
    throw new RangeError(
      `Cannot read a histogram point as it must have one bucket count more than bounds (${bounds.length} bounds): current value is ${counts.length} bucket counts at ${point.timeUnixNano} ns`,
    );
  }
  for (let i = 1; i < bounds.length; i++) {
    if (!(bounds[i]! > bounds[i - 1]!)) {
      throw new RangeError(
        `Cannot read a histogram point as its bounds must increase strictly: current value is [${
          bounds.join(", ")
        }] at ${point.timeUnixNano} ns`,
      );
    }
  }
}

function usableHistogram(point: HistogramPoint): boolean {
  return Number.isFinite(point.count) && point.bucketCounts.every(Number.isFinite);
}

/** The point's own buckets (a point without buckets: one bucket holding its count). */
function pointBuckets(point: HistogramPoint): ExplicitBuckets {
  return point.bucketCounts.length === 0
    ? { bounds: [], counts: [point.count] }
    : { bounds: [...point.explicitBounds], counts: [...point.bucketCounts] };
}

function zeroBuckets(point: HistogramPoint): ExplicitBuckets {
  const buckets = pointBuckets(point);
  return { bounds: buckets.bounds, counts: buckets.counts.map(() => 0) };
}

/** What a delta point observed, or all a cumulative point counted since its run's start. */
export function histogramPointStep(point: HistogramPoint): HistogramStep {
  return {
    count: point.count,
    sum: finiteOrNull(point.sum),
    min: finiteOrNull(point.min),
    max: finiteOrNull(point.max),
    buckets: pointBuckets(point),
  };
}

/**
 * A cumulative point minus its predecessor in the run (same bounds), or `null` when the count or
 * any bucket went down (a reset).
 */
function histogramDifference(
  previous: HistogramPoint,
  point: HistogramPoint,
): HistogramStep | null {
  const before = pointBuckets(previous).counts;
  const after = pointBuckets(point);
  const counts = after.counts.map((count, i) => count - before[i]!);
  const count = point.count - previous.count;
  if (count < 0 || counts.some((difference) => difference < 0)) return null;
  const sum = finiteOrNull(point.sum);
  const previousSum = finiteOrNull(previous.sum);
  return {
    count,
    sum: sum !== null && previousSum !== null ? sum - previousSum : null,
    // The run's min and max (the point's) bound every value counted since the predecessor too.
    min: finiteOrNull(point.min),
    max: finiteOrNull(point.max),
    buckets: { bounds: after.bounds, counts },
  };
}

function addBuckets(
  a: ExplicitBuckets | "bounds differ",
  b: ExplicitBuckets | "bounds differ",
): ExplicitBuckets | "bounds differ" {
  if (a === "bounds differ" || b === "bounds differ" || !sameBounds(a.bounds, b.bounds)) {
    return "bounds differ";
  }
  return { bounds: a.bounds, counts: a.counts.map((count, i) => count + b.counts[i]!) };
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((bound, i) => bound === b[i]);
}
