/**
 * The step grid of a metric chart: a window `[from, to)` cut into steps of `step` nanoseconds,
 * step k covering `[from + k·step, from + (k+1)·step)`, the last one cut short at `to` when the
 * window is not a whole number of steps. A point belongs to the step its `timeUnixNano` falls in
 * (the end of the interval it covers), so a point exactly on an edge opens the later step and a
 * point at `to` is outside the window.
 *
 * @module
 */

/** A chart's window and step, all in Unix nanoseconds. */
export interface StepWindow {
  /** Inclusive. */
  fromUnixNano: bigint;
  /** Exclusive. */
  toUnixNano: bigint;
  /** Positive. */
  stepNano: bigint;
}

/**
 * The most steps one window may have by default: as Prometheus's 11,000 points per series, far
 * more than a chart has pixels, and a bound on the arrays a mistyped step would allocate.
 */
export const DEFAULT_MAX_STEPS = 11_000;

/**
 * How many steps the window has (0 when `from` equals `to`); throws a `RangeError` naming the
 * problem for a non-positive step, a window that ends before it starts, or more than `maxSteps`.
 */
export function stepCount(window: StepWindow, maxSteps = DEFAULT_MAX_STEPS): number {
  const { fromUnixNano: from, toUnixNano: to, stepNano: step } = window;
  if (step <= 0n) {
    throw new RangeError(
      `Cannot compute metric steps as 'step' must be a positive number of nanoseconds: current value is ${step}`,
    );
  }
  if (to < from) {
    throw new RangeError(
      `Cannot compute metric steps as 'to' must not be before 'from' (${from} ns): current value is ${to}`,
    );
  }
  const count = (to - from + step - 1n) / step;
  if (count > BigInt(maxSteps)) {
    throw new RangeError(
      `Cannot compute metric steps as the window must have at most ${maxSteps} steps: current value is ${count} (window ${
        to - from
      } ns, step ${step} ns)`,
    );
  }
  return Number(count);
}

/** The step `timeUnixNano` falls in, or -1 when it is outside `[from, to)`. */
export function stepIndexOf(window: StepWindow, timeUnixNano: bigint): number {
  if (timeUnixNano < window.fromUnixNano || timeUnixNano >= window.toUnixNano) return -1;
  return Number((timeUnixNano - window.fromUnixNano) / window.stepNano);
}

/** Step k's start, Unix nanoseconds. */
export function stepStartUnixNano(window: StepWindow, index: number): bigint {
  return window.fromUnixNano + BigInt(index) * window.stepNano;
}

/** Step k's length in seconds: the step, or less for a last step cut short at `to`. */
export function stepSeconds(window: StepWindow, index: number): number {
  const start = stepStartUnixNano(window, index);
  const end = start + window.stepNano < window.toUnixNano
    ? start + window.stepNano
    : window.toUnixNano;
  return Number(end - start) / 1e9;
}

/** One array slot per step, each `null` (no data yet). */
export function emptySteps<T>(count: number): (T | null)[] {
  return new Array<T | null>(count).fill(null);
}
