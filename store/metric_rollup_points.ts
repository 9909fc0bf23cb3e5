/**
 * A rollup of one series' points for one time bucket `[b, b + L)` (issue 16, item 4; built by
 * metric_rollups.ts): a short list of points in the stored form, chosen so that the unchanged
 * metric math (utils/metric_math.ts) charts the concatenated rollups of consecutive buckets as it
 * charts the raw points, for every window whose `from`, step and `to` are whole multiples of L
 * (so a bucket lies in one step; a window ending inside a bucket must read that bucket raw), the
 * baseline before `from` being the raw point as today. A bucket's rollup depends only on its own
 * points; rollups of rollups compose (a 600 s bucket from its ten 60 s rollups charts as its raw
 * points), and a window may mix rolled and raw buckets. The output is in (time, start) order
 * with no key twice, as the rollups are stored and read back.
 *
 * Why it is exact, by stream (`chartShape` in routes/instruments.ts):
 * - Cumulative (counter, cumulative histograms, summaries): a subsequence of the points. Inside a
 *   run, increases telescope: (q - p) + (r - q) = r - p, so a chain of points each measured as a
 *   plain difference from its predecessor (utils/metric_cumulative.ts) adds to its step what its
 *   last point measured from its first adds, and the points between can go. A point measured
 *   otherwise (from zero, a baseline), a gap (no recorded value) and the point before each stay,
 *   as do the first and last points (the next bucket measures from the last), the last point
 *   with a start time before each gap (the walk remembers it) and, for histograms, every point
 *   where a telescoped difference would not add up to the same step: sum present on some points
 *   only, min or max not those of the chain's end, an exponential scale change. Each chain is
 *   checked, not assumed: `cumulativeContributions` with the step functions' own rules measures
 *   both the raw differences and the telescoped one.
 * - Delta (sums, histograms): one point holding the bucket's sum, added up with the math's own
 *   `addHistogramSteps`, at the last recorded point's time. Explicit histograms whose bounds
 *   differ keep every point (the chart says "bounds differ" from them). Exponential ones merge
 *   runs of points of one scale and zero threshold, so usually one point a bucket: the math's
 *   merge widens a zero bucket at the scale it meets it at, so merging across scales before the
 *   step does would not give the same buckets when the zero threshold changes within a step.
 * - Gauge-shaped (gauges, non-monotonic cumulative sums): one point, the last usable one, with an
 *   `aggregate` { count, sum, min, max } of the bucket's usable values, which `gaugeSteps` weighs
 *   as that many points.
 *
 * Sums of doubles come out within rounding of the raw figures (the additions happen in another
 * order); counts, bounds, min, max, last values and quantiles exactly.
 *
 * Pure: no database, no Deno API.
 *
 * @module
 */
import type { StoredMetricPoint } from "./metric_columns.ts";
import type { MetricPointValue, MetricType, Temporality } from "./metric_types.ts";
import {
  exponentialHistogramPoints,
  histogramPoints,
  numberPoints,
  summaryPoints,
} from "./metric_math_points.ts";
import {
  addExponentialHistogramSteps,
  addHistogramSteps,
  assertTimeOrder,
  type Contribution,
  COUNTER_RULES,
  cumulativeContributions,
  type CumulativeRules,
  EXPONENTIAL_HISTOGRAM_RULES,
  type ExponentialHistogramPoint,
  exponentialHistogramPointStep,
  type ExponentialHistogramStep,
  finiteOrNull,
  hasRecordedValue,
  HISTOGRAM_RULES,
  type HistogramPoint,
  histogramPointStep,
  type HistogramStep,
  MAX_SCALE,
  MIN_SCALE,
  type PointTimes,
  SUMMARY_RULES,
} from "../utils/metric_math.ts";

/** What kind of stream a series is (its instrument's type, temporality and monotonicity). */
export interface RollupStream {
  type: MetricType;
  temporality: Temporality;
  monotonic: boolean;
}

/**
 * One series' points of one bucket (time then start order; raw or already rolled) -> its rollup,
 * time order. Throws a `RangeError` for points of several series, out of time order, or whose
 * value is not of the stream's kind.
 */
export function rollUpBucket(
  stream: RollupStream,
  points: readonly StoredMetricPoint[],
): StoredMetricPoint[] {
  if (points.length === 0) return [];
  assertOneSeries(points);
  assertTimeOrder(points);
  const rolled = rollUp(stream, points);
  // Rollups are keyed by series, time and start, and read back in that order: synthetic points
  // must neither share a key nor come back in another order (the math adds in time order).
  return inKeyOrder(rolled) ? rolled : [...points];
}

function rollUp(stream: RollupStream, points: readonly StoredMetricPoint[]): StoredMetricPoint[] {
  const delta = stream.temporality === "delta";
  switch (stream.type) {
    case "gauge":
      return rollUpGauge(points);
    case "sum":
      if (delta) return rollUpDeltaSum(points);
      return stream.monotonic
        ? rollUpCumulative(points, numberPoints(points), COUNTER_RULES, NUMBER_CHAINS)
        : rollUpGauge(points);
    case "histogram": {
      const converted = histogramPoints(points);
      if (!converted.every(wellFormedHistogram)) return [...points];
      return delta
        ? rollUpDeltaHistogram(points, converted)
        : rollUpCumulative(points, converted, HISTOGRAM_RULES, HISTOGRAM_CHAINS);
    }
    case "exponential_histogram": {
      const converted = exponentialHistogramPoints(points);
      if (!converted.every(wellFormedExponential)) return [...points];
      return delta
        ? rollUpDeltaExponential(points, converted)
        : rollUpCumulative(points, converted, EXPONENTIAL_HISTOGRAM_RULES, EXPONENTIAL_CHAINS);
    }
    case "summary":
      return rollUpCumulative(points, summaryPoints(points), SUMMARY_RULES, SUMMARY_CHAINS);
  }
}

// --- Cumulative streams -------------------------------------------------------------------------

/** How the differences of a chain add up, and when one telescoped difference does the same. */
interface ChainRules<P, D> {
  /** `total` plus `difference` as a step adds them (`total` null: the chain's first). */
  add(total: D | null, difference: D): D;
  /**
   * Whether `point`, measured from its predecessor as `difference`, may be in a chain from
   * `anchor` at all (checked for every point of a chain).
   */
  joins(anchor: P, point: P, difference: D): boolean;
  /**
   * Whether the chain's raw differences, added up to `combined`, do to any step what
   * `telescoped`, the difference of its last point from its anchor, does.
   */
  telescopes(combined: D, telescoped: D): boolean;
}

/** Counters: numbers add, and every chain of plain differences telescopes. */
const NUMBER_CHAINS: ChainRules<unknown, number> = {
  add: (total, difference) => (total ?? 0) + difference,
  joins: () => true,
  telescopes: () => true,
};

/**
 * Summaries: count and sum add. A step's quantiles are its last usable point's, which is kept
 * (every bucket keeps its last usable point).
 */
const SUMMARY_CHAINS: ChainRules<unknown, readonly [number, number]> = {
  add: (total, [count, sum]) => [(total?.[0] ?? 0) + count, (total?.[1] ?? 0) + sum],
  joins: () => true,
  telescopes: () => true,
};

/**
 * Explicit histograms. A step adds differences with `addHistogramSteps`, which passes over one
 * that counted nothing: so such a difference must move no sum, and the sum must be present on
 * every point of a chain or on none; then the sums telescope, and the combined count, min, max
 * and buckets must be the telescoped ones.
 */
const HISTOGRAM_CHAINS: ChainRules<HistogramPoint, HistogramStep> = {
  add: (total, difference) => addHistogramSteps(total, difference)!,
  joins: (anchor, point, difference) =>
    sameSumPresence(anchor, point) && movesNoSumUncounted(difference),
  telescopes: sameHistogramEffect,
};

/**
 * Exponential histograms: as explicit ones, and one scale along a chain (its zero threshold is
 * one already: a change makes a baseline), so that every difference and the telescoped one are
 * buckets of one scale and threshold, which any step downscales and widens bucket by bucket
 * alike.
 */
const EXPONENTIAL_CHAINS: ChainRules<ExponentialHistogramPoint, ExponentialHistogramStep> = {
  add: (total, difference) => addExponentialHistogramSteps(total, difference)!,
  joins: (anchor, point, difference) =>
    anchor.scale === point.scale && sameSumPresence(anchor, point) &&
    movesNoSumUncounted(difference),
  telescopes: sameExponentialEffect,
};

/**
 * The points a cumulative walk needs (see the module doc), as a subsequence of `stored`. A chain
 * runs from an anchor (a kept point) through points each measured as a plain difference from the
 * one before; it grows while its telescoped difference does what its differences do, and its
 * last point is kept when it can grow no further.
 */
function rollUpCumulative<P extends PointTimes, D>(
  stored: readonly StoredMetricPoint[],
  points: readonly P[],
  rules: CumulativeRules<P, D>,
  chains: ChainRules<P, D>,
): StoredMetricPoint[] {
  const n = points.length;
  const keep = new Array<boolean>(n).fill(false);
  keep[0] = keep[n - 1] = true;
  const measured = measuredInBucket(points, rules);
  const remembered = rememberedStarts(points, rules);
  let anchor = -1; // the last kept usable point since the last gap (-1: none)
  let pending = -1; // the chain's last point, not kept yet (-1: the chain is the anchor alone)
  let combined: D | null = null;
  const endChain = () => {
    if (pending >= 0) keep[pending] = true;
    anchor = pending >= 0 ? pending : anchor;
    pending = -1;
    combined = null;
  };
  const keepAsAnchor = (i: number) => {
    endChain();
    keep[i] = true;
    anchor = i;
  };
  for (let i = 0; i < n; i++) {
    const point = points[i]!;
    if (!hasRecordedValue(point)) {
      keepAsAnchor(i);
      anchor = -1;
      continue;
    }
    const contribution = measured.get(point);
    if (contribution === undefined) continue; // unusable: the walk passes over it
    if (anchor < 0 || contribution.kind !== "difference") {
      // Measured from outside the bucket, after a gap, or not as a plain difference: kept, with
      // the point it is measured from.
      keepAsAnchor(i);
      continue;
    }
    const { difference } = contribution;
    const total = chains.add(combined, difference);
    if (
      chains.joins(points[anchor]!, point, difference) &&
      (pending < 0 || telescopes(points[anchor]!, point, total, rules, chains))
    ) {
      combined = total;
      pending = i;
    } else {
      endChain(); // the anchor is now the point's predecessor
      if (chains.joins(points[anchor]!, point, difference)) {
        combined = chains.add(null, difference);
        pending = i;
      } else {
        keepAsAnchor(i);
      }
    }
    if (remembered[i]) keepAsAnchor(i);
  }
  endChain();
  return stored.filter((_, i) => keep[i]);
}

/**
 * What each usable recorded point of the bucket adds, measured from its predecessor in the
 * bucket (the first one's, and those after a gap, are read from nothing: they are kept anyway).
 */
function measuredInBucket<P extends PointTimes, D>(
  points: readonly P[],
  rules: CumulativeRules<P, D>,
): Map<P, Contribution<P, D>> {
  const from = points[0]!.timeUnixNano;
  const to = points[points.length - 1]!.timeUnixNano + 1n;
  const window = { fromUnixNano: from, toUnixNano: to, stepNano: to - from };
  return new Map(cumulativeContributions(points, window, rules).map((c) => [c.point, c]));
}

/** Whether the chain from `anchor` to `point` may go as the one difference of the two. */
function telescopes<P extends PointTimes, D>(
  anchor: P,
  point: P,
  combined: D,
  rules: CumulativeRules<P, D>,
  chains: ChainRules<P, D>,
): boolean {
  // The walk itself measures `point` from `anchor` (a one-nanosecond window holding `point`).
  const window = {
    fromUnixNano: point.timeUnixNano,
    toUnixNano: point.timeUnixNano + 1n,
    stepNano: 1n,
  };
  const telescoped = cumulativeContributions([anchor, point], window, rules).at(-1);
  return telescoped !== undefined && telescoped.point === point &&
    telescoped.kind === "difference" && chains.telescopes(combined, telescoped.difference);
}

/**
 * The points whose start time the walk remembers when a gap comes (metric_cumulative.ts reads a
 * point after a gap as a new run when its start differs from the last one known): the last usable
 * point with a start before each gap and before the bucket's end. Kept, so the rollup's walk
 * remembers the same start.
 */
function rememberedStarts<P extends PointTimes, D>(
  points: readonly P[],
  rules: CumulativeRules<P, D>,
): boolean[] {
  const remembered = new Array<boolean>(points.length).fill(false);
  let last = -1;
  points.forEach((point, i) => {
    if (!hasRecordedValue(point)) {
      if (last >= 0) remembered[last] = true;
    } else if (rules.usable(point) && point.startTimeUnixNano > 0n) {
      last = i;
    }
  });
  if (last >= 0) remembered[last] = true;
  return remembered;
}

/** Both points carry a usable sum, or neither does. */
function sameSumPresence(a: { sum?: number }, b: { sum?: number }): boolean {
  return (finiteOrNull(a.sum) === null) === (finiteOrNull(b.sum) === null);
}

/** A difference that counted nothing (which a step passes over) moved no sum. */
function movesNoSumUncounted(difference: { count: number; sum: number | null }): boolean {
  return difference.count !== 0 || difference.sum === null || difference.sum === 0;
}

function sameHistogramEffect(a: HistogramStep, b: HistogramStep): boolean {
  if (a.count === 0 && b.count === 0) return true; // both passed over
  if (a.count !== b.count || a.min !== b.min || a.max !== b.max) return false;
  if ((a.sum === null) !== (b.sum === null)) return false;
  if (a.buckets === "bounds differ" || b.buckets === "bounds differ") return false;
  return sameNumbers(a.buckets.bounds, b.buckets.bounds) &&
    sameNumbers(a.buckets.counts, b.buckets.counts);
}

function sameExponentialEffect(a: ExponentialHistogramStep, b: ExponentialHistogramStep): boolean {
  if (a.count === 0 && b.count === 0) return true; // both passed over
  const x = a.buckets;
  const y = b.buckets;
  return a.count === b.count && a.min === b.min && a.max === b.max &&
    (a.sum === null) === (b.sum === null) && x.scale === y.scale &&
    x.zeroThreshold === y.zeroThreshold && x.zeroCount === y.zeroCount &&
    sameCounts(x.positive, y.positive) && sameCounts(x.negative, y.negative);
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function sameCounts(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [index, count] of a) if (b.get(index) !== count) return false;
  return true;
}

// --- Delta streams ------------------------------------------------------------------------------

/** The bucket's sum as one point (int when every value is, and the sum fits an int64). */
function rollUpDeltaSum(points: readonly StoredMetricPoint[]): StoredMetricPoint[] {
  const numbers = numberPoints(points);
  const usable = points.filter((_, i) =>
    hasRecordedValue(numbers[i]!) && Number.isFinite(numbers[i]!.value)
  );
  if (usable.length === 0) return [points[points.length - 1]!];
  let value: MetricPointValue;
  const ints = usable.map((point) => point.value.kind === "int" ? point.value.value : null);
  const intSum = ints.every((v) => v !== null) ? ints.reduce((a, b) => a + b, 0n) : null;
  if (intSum !== null && intSum >= INT64_MIN && intSum <= INT64_MAX) {
    value = { kind: "int", value: intSum };
  } else {
    let sum = 0;
    for (const point of numberPoints(usable)) sum += point.value;
    value = { kind: "double", value: sum };
  }
  return [synthetic(points, lastRecorded(points), value)];
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/** The bucket's observations added as the step adds them, as one point; every point when the bounds differ. */
function rollUpDeltaHistogram(
  stored: readonly StoredMetricPoint[],
  points: readonly HistogramPoint[],
): StoredMetricPoint[] {
  let total: HistogramStep | null = null;
  for (const point of points) {
    if (!hasRecordedValue(point) || !HISTOGRAM_RULES.usable(point)) continue;
    total = addHistogramSteps(total, histogramPointStep(point));
  }
  if (total === null) return [stored[stored.length - 1]!];
  if (total.buckets === "bounds differ") return [...stored];
  return [synthetic(stored, lastRecorded(stored), {
    kind: "histogram",
    count: total.count,
    sum: total.sum,
    min: total.min,
    max: total.max,
    explicitBounds: total.buckets.bounds,
    bucketCounts: total.buckets.counts,
  })];
}

/**
 * The bucket's observations as one point per run of points of one scale and zero threshold
 * (usually one run). A point that counted nothing is passed over by the step's addition, so it
 * goes, unless nothing was counted: then the first usable point stays (a step of only such
 * points shows the first).
 */
function rollUpDeltaExponential(
  stored: readonly StoredMetricPoint[],
  points: readonly ExponentialHistogramPoint[],
): StoredMetricPoint[] {
  const usable = points.flatMap((point, i) =>
    hasRecordedValue(point) && EXPONENTIAL_HISTOGRAM_RULES.usable(point) ? [i] : []
  );
  if (usable.length === 0) return [stored[stored.length - 1]!];
  const counted = usable.filter((i) => points[i]!.count !== 0);
  if (counted.length === 0) return [stored[usable[0]!]!];
  const runs: number[][] = [];
  for (const i of counted) {
    const run = runs[runs.length - 1];
    const first = run === undefined ? undefined : points[run[0]!]!;
    const point = points[i]!;
    if (
      first !== undefined && first.scale === point.scale &&
      (first.zeroThreshold ?? 0) === (point.zeroThreshold ?? 0)
    ) run!.push(i);
    else runs.push([i]);
  }
  return runs.flatMap((run) =>
    mergedExponentialRun(run.map((i) => stored[i]!), run.map((i) => points[i]!))
  );
}

/**
 * A run of one scale and zero threshold as one point, or as it is when that point's dense buckets
 * would be longer than the run's together (points far apart on a fine scale).
 */
function mergedExponentialRun(
  stored: readonly StoredMetricPoint[],
  points: readonly ExponentialHistogramPoint[],
): StoredMetricPoint[] {
  if (points.length === 1) return [...stored];
  let total: ExponentialHistogramStep | null = null;
  for (const point of points) {
    total = addExponentialHistogramSteps(total, exponentialHistogramPointStep(point));
  }
  const { buckets, count, sum, min, max } = total!;
  const positive = dense(buckets.positive);
  const negative = dense(buckets.negative);
  const inputLength = points.reduce(
    (length, p) => length + p.positive.bucketCounts.length + p.negative.bucketCounts.length,
    0,
  );
  if (positive.counts.length + negative.counts.length > inputLength) return [...stored];
  return [synthetic(stored, stored[stored.length - 1]!, {
    kind: "exponential_histogram",
    count,
    sum,
    min,
    max,
    scale: buckets.scale,
    zeroCount: buckets.zeroCount,
    zeroThreshold: buckets.zeroThreshold,
    positiveOffset: positive.offset,
    positiveBucketCounts: positive.counts,
    negativeOffset: negative.offset,
    negativeBucketCounts: negative.counts,
  })];
}

/** Sparse counts as an offset and dense counts (zeros between). */
function dense(range: ReadonlyMap<number, number>): { offset: number; counts: number[] } {
  if (range.size === 0) return { offset: 0, counts: [] };
  const indexes = [...range.keys()];
  const offset = Math.min(...indexes);
  const counts = new Array<number>(Math.max(...indexes) - offset + 1).fill(0);
  for (const [index, count] of range) counts[index - offset] = count;
  return { offset, counts };
}

// --- Gauge-shaped streams -----------------------------------------------------------------------

/**
 * The last usable point with the aggregate of the bucket's usable values (a rolled point's
 * aggregate counting as the values it stands for).
 */
function rollUpGauge(points: readonly StoredMetricPoint[]): StoredMetricPoint[] {
  const numbers = numberPoints(points);
  let last = -1;
  const aggregate = { count: 0, sum: 0, min: Infinity, max: -Infinity };
  numbers.forEach((point, i) => {
    if (!hasRecordedValue(point) || !Number.isFinite(point.value)) return;
    const { value } = point;
    const part = point.aggregate ?? { count: 1, sum: value, min: value, max: value };
    aggregate.count += part.count;
    aggregate.sum += part.sum;
    aggregate.min = Math.min(aggregate.min, part.min);
    aggregate.max = Math.max(aggregate.max, part.max);
    last = i;
  });
  if (last < 0) return [points[points.length - 1]!];
  const point = points[last]!;
  return [{ ...point, aggregate }];
}

// --- Helpers ------------------------------------------------------------------------------------

/** A point standing for the bucket's `points`: the first one's start, `at`'s time and flags. */
function synthetic(
  points: readonly StoredMetricPoint[],
  at: StoredMetricPoint,
  value: MetricPointValue,
): StoredMetricPoint {
  return {
    seriesKey: at.seriesKey,
    startTimeUnixNano: points[0]!.startTimeUnixNano,
    timeUnixNano: at.timeUnixNano,
    flags: at.flags,
    value,
  };
}

/** The last point with a recorded value (there is one when this is called). */
function lastRecorded(points: readonly StoredMetricPoint[]): StoredMetricPoint {
  return points.findLast((point) => hasRecordedValue(point)) ?? points[points.length - 1]!;
}

/** Buckets the math can read (else it throws, and the rollup keeps the points as they are). */
function wellFormedHistogram(point: HistogramPoint): boolean {
  const { explicitBounds: bounds, bucketCounts: counts } = point;
  return (counts.length === 0 || counts.length === bounds.length + 1) &&
    bounds.every((bound, i) => i === 0 || bound > bounds[i - 1]!);
}

function wellFormedExponential(point: ExponentialHistogramPoint): boolean {
  return !hasRecordedValue(point) ||
    (Number.isInteger(point.scale) && point.scale >= MIN_SCALE && point.scale <= MAX_SCALE);
}

function assertOneSeries(points: readonly StoredMetricPoint[]): void {
  const key = points[0]!.seriesKey;
  const other = points.find((point) => point.seriesKey !== key);
  if (other !== undefined) {
    throw new RangeError(
      `Cannot roll up a bucket as its points must be of one series (${key}): current value has a point of ${other.seriesKey}`,
    );
  }
}

/** Whether the points' (time, start) strictly increase. */
function inKeyOrder(points: readonly StoredMetricPoint[]): boolean {
  return points.every((point, i) => {
    const before = points[i - 1];
    return before === undefined || before.timeUnixNano < point.timeUnixNano ||
      (before.timeUnixNano === point.timeUnixNano &&
        before.startTimeUnixNano < point.startTimeUnixNano);
  });
}
