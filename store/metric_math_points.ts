/**
 * Stored metric points as the metric math's input types (utils/metric_points.ts), for the chart
 * (routes/instruments.ts, through metric_reads.ts) and the rollups (metric_rollup_points.ts).
 * Free of the database layer, so the pure rollups can import it. Times stay bigint ns; int64
 * values become numbers (exact up to 2^53); a point with no recorded value keeps its flags and
 * zero values, which the math skips; a gauge-shaped rollup point keeps its aggregate.
 *
 * @module
 */
import type { StoredMetricPoint } from "./metric_columns.ts";
import type {
  ExponentialHistogramPoint,
  HistogramPoint,
  NumberPoint,
  SummaryPoint,
} from "../utils/metric_points.ts";

function mismatch(expected: string, point: StoredMetricPoint): RangeError {
  return new RangeError(
    `Cannot use a metric point as a ${expected} point as its value must be of that kind: ` +
      `current value is a ${point.value.kind} point at ${point.timeUnixNano} ns`,
  );
}

/** Gauge and Sum points as `NumberPoint`s (a gap's value is NaN). */
export function numberPoints(points: readonly StoredMetricPoint[]): NumberPoint[] {
  return points.map((point) => {
    const { value } = point;
    // A rolled-up gauge point's aggregate (metric_rollup_points.ts) goes with it to gaugeSteps.
    const base = point.aggregate === undefined
      ? times(point)
      : { ...times(point), aggregate: point.aggregate };
    if (value.kind === "none") return { ...base, value: NaN };
    if (value.kind === "int") return { ...base, value: Number(value.value) };
    if (value.kind === "double") return { ...base, value: value.value };
    throw mismatch("number", point);
  });
}

/** Histogram points as `HistogramPoint`s. */
export function histogramPoints(points: readonly StoredMetricPoint[]): HistogramPoint[] {
  return points.map((point) => {
    const { value } = point;
    const base = times(point);
    if (value.kind === "none") return { ...base, count: 0, explicitBounds: [], bucketCounts: [] };
    if (value.kind !== "histogram") throw mismatch("histogram", point);
    return {
      ...base,
      count: value.count,
      ...optional(value),
      explicitBounds: value.explicitBounds,
      bucketCounts: value.bucketCounts,
    };
  });
}

/** ExponentialHistogram points as `ExponentialHistogramPoint`s. */
export function exponentialHistogramPoints(
  points: readonly StoredMetricPoint[],
): ExponentialHistogramPoint[] {
  return points.map((point) => {
    const { value } = point;
    const base = times(point);
    if (value.kind === "none") {
      const empty = { offset: 0, bucketCounts: [] };
      return { ...base, count: 0, scale: 0, zeroCount: 0, positive: empty, negative: empty };
    }
    if (value.kind !== "exponential_histogram") throw mismatch("exponential histogram", point);
    return {
      ...base,
      count: value.count,
      ...optional(value),
      scale: value.scale,
      zeroCount: value.zeroCount,
      zeroThreshold: value.zeroThreshold,
      positive: { offset: value.positiveOffset, bucketCounts: value.positiveBucketCounts },
      negative: { offset: value.negativeOffset, bucketCounts: value.negativeBucketCounts },
    };
  });
}

/** Summary points as `SummaryPoint`s. */
export function summaryPoints(points: readonly StoredMetricPoint[]): SummaryPoint[] {
  return points.map((point) => {
    const { value } = point;
    const base = times(point);
    if (value.kind === "none") return { ...base, count: 0, sum: 0, quantileValues: [] };
    if (value.kind !== "summary") throw mismatch("summary", point);
    return { ...base, count: value.count, sum: value.sum, quantileValues: value.quantiles };
  });
}

function times(point: StoredMetricPoint) {
  return {
    startTimeUnixNano: point.startTimeUnixNano,
    timeUnixNano: point.timeUnixNano,
    flags: point.flags,
  };
}

/** sum, min and max where present (the math's optional fields). */
function optional(value: { sum: number | null; min: number | null; max: number | null }) {
  return {
    ...(value.sum === null ? {} : { sum: value.sum }),
    ...(value.min === null ? {} : { min: value.min }),
    ...(value.max === null ? {} : { max: value.max }),
  };
}
