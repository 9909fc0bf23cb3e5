/**
 * Sums and gauges per step:
 * - a cumulative monotonic Sum (a counter) gives its increase per step and the rate
 *   `increase / step seconds`, resets read as `metric_cumulative.ts` describes;
 * - a delta Sum (monotonic or not) gives the sum of its points per step and the same rate;
 * - a Gauge, and a cumulative non-monotonic Sum (an up-down counter: its value is the level,
 *   not a count of events), give the last, mean, least and greatest value per step.
 *
 * A step without a recorded point is `null` (no data, drawn as a gap), not 0. Points flagged
 * `FLAG_NO_RECORDED_VALUE` and values that are NaN or ±Infinity are ignored: a value that is not
 * a number cannot be added, and one bad value must not blank a chart (ingest decides whether to
 * refuse them). Each increase goes whole to the step of the point that closes it, so the rate is
 * only smooth when the step is no shorter than the export interval: with a 10 s exporter and a
 * 5 s step every other step is empty and the others show twice the rate. The read path chooses
 * the step.
 *
 * @module
 */
import { cumulativeContributions, type CumulativeRules } from "./metric_cumulative.ts";
import {
  assertTimeOrder,
  type GaugeAggregate,
  hasRecordedValue,
  type NumberPoint,
  type Temporality,
} from "./metric_points.ts";
import {
  DEFAULT_MAX_STEPS,
  emptySteps,
  stepCount,
  stepIndexOf,
  stepSeconds,
  type StepWindow,
} from "./metric_steps.ts";

/** A counter's step: what was counted in it, and that per second. */
export interface CounterStep {
  increase: number;
  /** `increase` / the step's seconds. */
  rate: number;
}

/** A gauge's step, over the points whose time falls in it. */
export interface GaugeStep {
  /** The value of the step's latest point. */
  last: number;
  /** The mean of the points' values (each point weighs the same, not time-weighted). */
  avg: number;
  min: number;
  max: number;
  /** How many points the step holds. */
  points: number;
}

/** A Sum's steps, read as its temporality and monotonicity say. */
export type SumSteps =
  | { shape: "counter"; steps: (CounterStep | null)[] }
  | { shape: "gauge"; steps: (GaugeStep | null)[] };

/**
 * A Sum's steps: a cumulative monotonic Sum as a counter (increase, rate), a delta Sum as a
 * counter (summed), a cumulative non-monotonic Sum as a gauge (its value).
 */
export function sumSteps(
  points: readonly NumberPoint[],
  window: StepWindow,
  kind: { temporality: Temporality; monotonic: boolean },
  maxSteps = DEFAULT_MAX_STEPS,
): SumSteps {
  if (kind.temporality === "delta") {
    return { shape: "counter", steps: deltaSumSteps(points, window, maxSteps) };
  }
  return kind.monotonic
    ? { shape: "counter", steps: counterSteps(points, window, maxSteps) }
    : { shape: "gauge", steps: gaugeSteps(points, window, maxSteps) };
}

/** Whether a number point can be used: recorded, and a finite value. */
function usableNumber(point: NumberPoint): boolean {
  return hasRecordedValue(point) && Number.isFinite(point.value);
}

/**
 * How `counterSteps` walks a counter's points (metric_cumulative.ts): a finite value is usable,
 * a drop is a reset. Exported for the rollups (store/metric_rollup_points.ts), which must read
 * points exactly as the chart does.
 */
export const COUNTER_RULES: CumulativeRules<NumberPoint, number> = {
  usable: (point) => Number.isFinite(point.value),
  difference: (previous, point) =>
    point.value >= previous.value ? point.value - previous.value : null,
};

/**
 * A cumulative monotonic Sum's increase and rate per step. Pass the last point before `from`
 * too, or the first step's first point can only serve as the baseline of the next.
 */
export function counterSteps(
  points: readonly NumberPoint[],
  window: StepWindow,
  maxSteps = DEFAULT_MAX_STEPS,
): (CounterStep | null)[] {
  const steps = emptySteps<CounterStep>(stepCount(window, maxSteps));
  assertTimeOrder(points);
  const contributions = cumulativeContributions(points, window, COUNTER_RULES);
  for (const contribution of contributions) {
    const { step, point } = contribution;
    const increase = contribution.kind === "difference"
      ? contribution.difference
      : contribution.kind === "from_zero"
      ? point.value
      : 0;
    const total = (steps[step]?.increase ?? 0) + increase;
    steps[step] = { increase: total, rate: total / stepSeconds(window, step) };
  }
  return steps;
}

/** A delta Sum's points added up per step, and that per second. */
export function deltaSumSteps(
  points: readonly NumberPoint[],
  window: StepWindow,
  maxSteps = DEFAULT_MAX_STEPS,
): (CounterStep | null)[] {
  const steps = emptySteps<CounterStep>(stepCount(window, maxSteps));
  assertTimeOrder(points);
  for (const point of points) {
    const step = stepIndexOf(window, point.timeUnixNano);
    if (step < 0 || !usableNumber(point)) continue;
    const total = (steps[step]?.increase ?? 0) + point.value;
    steps[step] = { increase: total, rate: total / stepSeconds(window, step) };
  }
  return steps;
}

/**
 * A gauge's (or an up-down counter's) last, mean, least and greatest value per step. A point with
 * an `aggregate` (a rollup) weighs as the `count` points it stands for, with their sum, least and
 * greatest value; its `value` is the last of them.
 */
export function gaugeSteps(
  points: readonly NumberPoint[],
  window: StepWindow,
  maxSteps = DEFAULT_MAX_STEPS,
): (GaugeStep | null)[] {
  const steps = emptySteps<GaugeStep>(stepCount(window, maxSteps));
  assertTimeOrder(points);
  // Sums beside the steps, so the mean is one division at the end, not a running average.
  const totals = new Array<number>(steps.length).fill(0);
  for (const point of points) {
    const step = stepIndexOf(window, point.timeUnixNano);
    if (step < 0 || !usableNumber(point)) continue;
    const value = point.value;
    const { count, sum, min, max } = point.aggregate === undefined
      ? { count: 1, sum: value, min: value, max: value }
      : checkedAggregate(point.aggregate, point.timeUnixNano);
    const current = steps[step] ?? null;
    totals[step]! += sum;
    steps[step] = current === null ? { last: value, avg: 0, min, max, points: count } : {
      last: value,
      avg: 0,
      min: Math.min(current.min, min),
      max: Math.max(current.max, max),
      points: current.points + count,
    };
  }
  steps.forEach((step, index) => {
    if (step !== null) step.avg = totals[index]! / step.points;
  });
  return steps;
}

/** The aggregate, unless its count is not a positive integer (a `RangeError` naming it). */
function checkedAggregate(aggregate: GaugeAggregate, timeUnixNano: bigint): GaugeAggregate {
  if (!Number.isSafeInteger(aggregate.count) || aggregate.count < 1) {
    throw new RangeError(
      `Cannot compute gauge steps as a rolled-up point's aggregate count must be a positive integer: current value is ${aggregate.count} at ${timeUnixNano} ns`,
    );
  }
  return aggregate;
}
