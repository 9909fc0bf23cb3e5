/**
 * The metric math of issue 16, in one place to import from: OTLP metric points of one series (in
 * time order) to values per step of a chart's window `[from, to)`, and series merged.
 *
 * - a cumulative monotonic Sum (a counter): increase and rate, reset-aware (`counterSteps`);
 * - a delta Sum: the points' sum and rate (`deltaSumSteps`);
 * - a Gauge, or a cumulative non-monotonic Sum: last, avg, min, max (`gaugeSteps`); `sumSteps`
 *   picks among the three by the Sum's temporality and monotonicity;
 * - an explicit-bounds Histogram: buckets, count, sum, reset-aware for cumulative points
 *   (`histogramSteps`); several series added where their bounds agree, else "bounds differ"
 *   (`mergeHistogramSteps`); count, sum, avg and p50/p90/p99 as charted (`histogramStats`);
 * - an ExponentialHistogram: the same at the lowest scale of the points merged
 *   (`exponentialHistogramSteps`, `mergeExponentialHistogramSteps`,
 *   `exponentialHistogramStats`);
 * - a Summary: count and sum increases, avg, the latest quantiles (`summarySteps`).
 *
 * Each module says its choices; in short: a step without a recorded point is `null`; a point
 * belongs to the step its `timeUnixNano` falls in; an increase goes whole to the step of the
 * point that closes it (no extrapolation); resets are a new start time or a drop; points flagged
 * no-recorded-value break a run and count nothing; NaN and ±Infinity values are ignored;
 * malformed input (times out of order, bucket counts that do not fit the bounds, a bad window)
 * throws a `RangeError` naming the problem. Pure, with no Deno or DOM API: the read path and the
 * browser share it. `routes/instruments.ts` charts stored points with it.
 *
 * @module
 */
export * from "./metric_points.ts";
export * from "./metric_steps.ts";
export * from "./metric_cumulative.ts";
export * from "./metric_sums.ts";
export * from "./metric_percentiles.ts";
export * from "./metric_histograms.ts";
export * from "./metric_exponential_histograms.ts";
export * from "./metric_summaries.ts";
