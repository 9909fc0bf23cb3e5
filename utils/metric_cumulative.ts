/**
 * Runs and resets of a cumulative stream (monotonic Sums, cumulative Histograms and
 * ExponentialHistograms, Summaries' count and sum): what each point inside the window adds to its
 * step. One walk for every cumulative kind, so counters and histograms agree on resets.
 *
 * A run is an unbroken sequence of points counting from one start. Each recorded point in the
 * window contributes one of:
 * - `"difference"`: its value minus its predecessor's in the same run (the predecessor may lie
 *   before the window: the read path passes the last point before `from` so that the first step
 *   is measured too);
 * - `"from_zero"`: all of its value, because a new run began since the predecessor: a reset by a
 *   new start time (`start < time`, the data model's "true reset" whose zero is implicit), or by
 *   a drop below the predecessor (as Prometheus reads counters: the new value counts from 0);
 * - `"baseline"`: nothing, only a reference for the next point, when nothing says when its value
 *   was counted: the first point seen with no start time, with `start == time` (the data model's
 *   "unknown start" reset, whose rate contribution is zero), or with a run start before the
 *   window (its value includes counts from before `from`); the first point after a
 *   `FLAG_NO_RECORDED_VALUE` gap when it still carries the old start (the increase over the gap
 *   cannot be placed in time); a point whose buckets cannot be compared with its predecessor's.
 *
 * No extrapolation: an increase is attributed whole to the step of the point that closes it,
 * never spread across steps or stretched to the step's edges.
 *
 * @module
 */
import { hasRecordedValue, type PointTimes } from "./metric_points.ts";
import { stepIndexOf, type StepWindow } from "./metric_steps.ts";

/** The kind-specific parts of the walk; `D` is what a point adds over its predecessor. */
export interface CumulativeRules<P extends PointTimes, D> {
  /** Whether the point's numbers can be used; unusable points are skipped as if absent. */
  usable(point: P): boolean;
  /** Whether the point can be compared with its predecessor at all (e.g. same bucket bounds). */
  comparable?(previous: P, point: P): boolean;
  /** The point minus its predecessor, or `null` when any counter went down: a reset by drop. */
  difference(previous: P, point: P): D | null;
}

/** What one point inside the window adds to its step. */
export type Contribution<P extends PointTimes, D> =
  | { step: number; kind: "difference"; point: P; difference: D }
  | { step: number; kind: "from_zero" | "baseline"; point: P };

/**
 * The contribution of every recorded, usable point inside `[from, to)`, in time order. Points
 * before `from` are read as predecessors only; points from `to` on are not read. A point flagged
 * `FLAG_NO_RECORDED_VALUE` ends the run and contributes nothing.
 */
export function cumulativeContributions<P extends PointTimes, D>(
  points: readonly P[],
  window: StepWindow,
  rules: CumulativeRules<P, D>,
): Contribution<P, D>[] {
  const contributions: Contribution<P, D>[] = [];
  let previous: P | null = null;
  // The last start time known before a gap: a point after it with another start began a new run.
  let lastKnownStart: bigint | null = null;
  for (const point of points) {
    if (point.timeUnixNano >= window.toUnixNano) break;
    if (!hasRecordedValue(point)) {
      previous = null;
      continue;
    }
    if (!rules.usable(point)) continue;
    const step = stepIndexOf(window, point.timeUnixNano);
    const contribution = contributionOf(
      previous,
      lastKnownStart,
      point,
      window.fromUnixNano,
      rules,
    );
    if (step >= 0) contributions.push({ step, point, ...contribution });
    previous = point;
    if (point.startTimeUnixNano > 0n) lastKnownStart = point.startTimeUnixNano;
  }
  return contributions;
}

/** Whether the start time is set and before the point's time: a run begun at a known time. */
function knownStart(point: PointTimes): boolean {
  return point.startTimeUnixNano > 0n && point.startTimeUnixNano < point.timeUnixNano;
}

/** Same run unless both starts are known and differ (an unset start tells nothing). */
function sameRun(previous: PointTimes, point: PointTimes): boolean {
  return previous.startTimeUnixNano === point.startTimeUnixNano ||
    previous.startTimeUnixNano === 0n || point.startTimeUnixNano === 0n;
}

function contributionOf<P extends PointTimes, D>(
  previous: P | null,
  lastKnownStart: bigint | null,
  point: P,
  fromUnixNano: bigint,
  rules: CumulativeRules<P, D>,
): { kind: "difference"; difference: D } | { kind: "from_zero" | "baseline" } {
  if (previous !== null) {
    if (!sameRun(previous, point)) return { kind: knownStart(point) ? "from_zero" : "baseline" };
    if (rules.comparable && !rules.comparable(previous, point)) return { kind: "baseline" };
    const difference = rules.difference(previous, point);
    return difference === null ? { kind: "from_zero" } : { kind: "difference", difference };
  }
  if (!knownStart(point)) return { kind: "baseline" };
  const newRun = lastKnownStart !== null
    ? point.startTimeUnixNano !== lastKnownStart
    : point.startTimeUnixNano >= fromUnixNano;
  return { kind: newRun ? "from_zero" : "baseline" };
}
