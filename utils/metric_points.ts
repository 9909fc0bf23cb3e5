/**
 * The metric points the metric math reads: one series' points, as the OTLP metrics data model
 * defines them (opentelemetry-proto `metrics.proto`, the spec's `metrics/data-model.md`). Times
 * are Unix nanoseconds as bigints (a JS number loses nanoseconds past 2^53 ns, i.e. in 1970);
 * values, counts and bounds are JS numbers.
 *
 * Pure and free of Deno and DOM APIs: the server's read path and the browser's charts share it.
 *
 * @module
 */

/**
 * OTLP's `DataPointFlags.FLAG_NO_RECORDED_VALUE`: the point says "nothing was recorded here" (a
 * Prometheus staleness marker, a series that stopped). Its value fields mean nothing.
 */
export const FLAG_NO_RECORDED_VALUE = 1;

/** Aggregation temporality of a Sum, Histogram or ExponentialHistogram stream. */
export type Temporality = "delta" | "cumulative";

/** The fields every point kind shares. */
export interface PointTimes {
  /**
   * Unix nanoseconds; `0n` when the producer did not set it. On cumulative points it is the start
   * of the run (the same on every point until a reset); on delta points the start of the interval.
   */
  startTimeUnixNano: bigint;
  /** Unix nanoseconds: the end of the interval the point covers, `(start, time]`. */
  timeUnixNano: bigint;
  /** OTLP `DataPointFlags` bits; `FLAG_NO_RECORDED_VALUE` is the only one defined. */
  flags?: number;
}

/** A Gauge or Sum point (`NumberDataPoint`): `as_int` and `as_double` both arrive as a number. */
export interface NumberPoint extends PointTimes {
  value: number;
  /**
   * Rolled-up gauge points only (store/metric_rollup_points.ts): the point stands for `count`
   * recorded points of its bucket, `value` being the last of them. `gaugeSteps` weighs it as those
   * points; the other functions read `value` alone.
   */
  aggregate?: GaugeAggregate;
}

/** The values a rolled-up gauge point stands for: how many, their sum, least and greatest. */
export interface GaugeAggregate {
  /** A positive integer. */
  count: number;
  sum: number;
  min: number;
  max: number;
}

/**
 * An explicit-bounds Histogram point (`HistogramDataPoint`). `bucketCounts` has one more entry
 * than `explicitBounds`: bucket i counts values in `(bounds[i-1], bounds[i]]`, the first from
 * -Infinity, the last to +Infinity (upper bounds inclusive, per the data model).
 */
export interface HistogramPoint extends PointTimes {
  count: number;
  sum?: number;
  min?: number;
  max?: number;
  explicitBounds: number[];
  bucketCounts: number[];
}

/** One range (positive or negative) of an exponential histogram: dense counts from `offset`. */
export interface ExponentialBuckets {
  /** The bucket index of `bucketCounts[0]`. */
  offset: number;
  bucketCounts: number[];
}

/**
 * An `ExponentialHistogramDataPoint`. Bucket `index` of the positive range counts values in
 * `(base^index, base^(index+1)]` with `base = 2^(2^-scale)`; the negative range counts the
 * values whose absolute value falls there; `zeroCount` counts values in
 * `[-zeroThreshold, zeroThreshold]`.
 */
export interface ExponentialHistogramPoint extends PointTimes {
  count: number;
  sum?: number;
  min?: number;
  max?: number;
  scale: number;
  zeroCount: number;
  /** 0 (exact zeros only) when absent. */
  zeroThreshold?: number;
  positive: ExponentialBuckets;
  negative: ExponentialBuckets;
}

/** A quantile of a Summary point: `quantile` in [0, 1], its value. */
export interface SummaryQuantile {
  quantile: number;
  value: number;
}

/**
 * A Summary point (OTLP's legacy `SummaryDataPoint`): `count` and `sum` are cumulative since
 * `startTimeUnixNano`; the quantiles describe a recent window chosen by the producer.
 */
export interface SummaryPoint extends PointTimes {
  count: number;
  sum: number;
  quantileValues: SummaryQuantile[];
}

/** Whether the point carries a value (is not flagged `FLAG_NO_RECORDED_VALUE`). */
export function hasRecordedValue(point: PointTimes): boolean {
  return ((point.flags ?? 0) & FLAG_NO_RECORDED_VALUE) === 0;
}

/**
 * Throws unless the points are in time order (equal times allowed): every function of the metric
 * math walks one series once, relying on it. The store reads points ordered by time.
 */
export function assertTimeOrder(points: readonly PointTimes[]): void {
  for (let i = 1; i < points.length; i++) {
    const previous = points[i - 1]!.timeUnixNano;
    const current = points[i]!.timeUnixNano;
    if (current < previous) {
      throw new RangeError(
        `Cannot compute metric steps as points must be in time order: current value is point ${i} at ${current} ns after point ${
          i - 1
        } at ${previous} ns`,
      );
    }
  }
}

/** `value` if it is a finite number, otherwise `null` (absent, NaN or ±Infinity). */
export function finiteOrNull(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) ? value : null;
}
