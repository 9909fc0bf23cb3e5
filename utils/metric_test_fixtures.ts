/**
 * Times and windows for the metric math's tests, in seconds from an origin far from 1970 (so that
 * a mix-up of nanoseconds and milliseconds shows), and a closeness check for computed doubles.
 * Not a `_test.ts` file, so it keeps to utils/'s rule of no Deno or Node API (no `node:assert`).
 *
 * @module
 */
import type { StepWindow } from "./metric_steps.ts";

export const SECOND = 1_000_000_000n;
export const T0 = 1_800_000_000n * SECOND;

/** `seconds` after the origin (negative: before), Unix nanoseconds. */
export function at(seconds: number): bigint {
  return T0 + BigInt(seconds) * SECOND;
}

/** The window `[at(from), at(to))` with a step of `step` seconds. */
export function window(from: number, to: number, step: number): StepWindow {
  return { fromUnixNano: at(from), toUnixNano: at(to), stepNano: BigInt(step) * SECOND };
}

/** `actual` within `epsilon` of `expected` (results of floating-point arithmetic). */
export function assertClose(
  actual: number | null | undefined,
  expected: number,
  epsilon = 1e-9,
): void {
  if (typeof actual !== "number" || !(Math.abs(actual - expected) <= epsilon)) {
    throw new Error(`Expected ${expected} within ${epsilon}: current value is ${actual}`);
  }
}
