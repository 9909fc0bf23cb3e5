/**
 * Summaries (OTLP's legacy Summary points) per step. Their quantiles were computed by the
 * producer over a recent window of its choosing and cannot be merged or differenced, so a step
 * shows those of its latest point as they are. Count and sum are cumulative since the point's
 * start: a step shows their increase, with resets read as `metric_cumulative.ts` describes (a
 * new start time, or a drop of the count), and the mean of the values observed in the step.
 *
 * Points flagged `FLAG_NO_RECORDED_VALUE`, and points whose count or sum is not finite, are
 * ignored; quantiles whose value is not finite are left out.
 *
 * @module
 */
import { cumulativeContributions, type CumulativeRules } from "./metric_cumulative.ts";
import { assertTimeOrder, type SummaryPoint, type SummaryQuantile } from "./metric_points.ts";
import { DEFAULT_MAX_STEPS, emptySteps, stepCount, type StepWindow } from "./metric_steps.ts";

/** A summary's step. */
export interface SummaryStep {
  /** Values observed in the step (the increase of the cumulative count). */
  count: number;
  /** Their sum (the increase of the cumulative sum). */
  sum: number;
  /** `sum / count`; `null` when nothing was observed. */
  avg: number | null;
  /** The step's latest point's quantiles, passed through. */
  quantiles: SummaryQuantile[];
}

/**
 * How `summarySteps` walks a summary's points (metric_cumulative.ts): usable when count and sum
 * are finite, a reset when the count drops; a difference is `[count, sum]`. Exported for the
 * rollups (store/metric_rollup_points.ts), which must read points exactly as the chart does.
 */
export const SUMMARY_RULES: CumulativeRules<SummaryPoint, readonly [number, number]> = {
  usable: (point) => Number.isFinite(point.count) && Number.isFinite(point.sum),
  difference: (previous, point) =>
    point.count >= previous.count
      ? [point.count - previous.count, point.sum - previous.sum] as const
      : null,
};

/**
 * One summary series per step (`null`: no recorded point). Pass the last point before `from`
 * too, or the first one in the window is only a baseline for count and sum.
 */
export function summarySteps(
  points: readonly SummaryPoint[],
  window: StepWindow,
  maxSteps = DEFAULT_MAX_STEPS,
): (SummaryStep | null)[] {
  const steps = emptySteps<SummaryStep>(stepCount(window, maxSteps));
  assertTimeOrder(points);
  const contributions = cumulativeContributions(points, window, SUMMARY_RULES);
  for (const contribution of contributions) {
    const { step, point } = contribution;
    const [count, sum] = contribution.kind === "difference"
      ? contribution.difference
      : contribution.kind === "from_zero"
      ? [point.count, point.sum]
      : [0, 0];
    const current = steps[step];
    const total = { count: (current?.count ?? 0) + count, sum: (current?.sum ?? 0) + sum };
    steps[step] = {
      ...total,
      avg: total.count > 0 ? total.sum / total.count : null,
      quantiles: point.quantileValues.filter((quantile) => Number.isFinite(quantile.value)),
    };
  }
  return steps;
}
