import assert from "node:assert/strict";
import { cumulativeContributions } from "./metric_cumulative.ts";
import { FLAG_NO_RECORDED_VALUE, type NumberPoint } from "./metric_points.ts";
import { at, window } from "./metric_test_fixtures.ts";

function point(start: number | null, time: number, value: number, flags?: number): NumberPoint {
  return {
    startTimeUnixNano: start === null ? 0n : at(start),
    timeUnixNano: at(time),
    value,
    flags,
  };
}

const rules = {
  usable: (p: NumberPoint) => Number.isFinite(p.value),
  difference: (previous: NumberPoint, p: NumberPoint) =>
    p.value >= previous.value ? p.value - previous.value : null,
};

/** Each contribution as "time: kind". */
function kinds(points: NumberPoint[]): string[] {
  return cumulativeContributions(points, window(0, 100, 10), rules).map((c) =>
    `${Number((c.point.timeUnixNano - at(0)) / 1_000_000_000n)}: ${c.kind}`
  );
}

Deno.test("cumulativeContributions() reads each point of a run, its resets and its gaps", () => {
  assert.deepEqual(
    kinds([
      point(-50, -5, 10), // before the window: a predecessor only, no contribution
      point(-50, 5, 12), // same run, went up
      point(-50, 15, 3), // same run, went down: a reset by drop
      point(17, 25, 4), // a new start before its time: a true reset
      point(35, 35, 9), // a new start equal to its time: unknown start, zero contribution
      point(35, 45, 0, FLAG_NO_RECORDED_VALUE), // a gap: no contribution, the run is broken
      point(35, 55, 11), // after the gap with the old start: a baseline
      point(35, 65, NaN), // unusable: skipped as if absent
      point(35, 75, 12), // compared with 55 s
      point(0, 85, 1), // another start (0 s, before its time): a true reset
      point(null, 95, 2), // start unset (0n): taken as the same run, went up
      point(null, 97, 1), // start unset, went down: a reset by drop
      point(95, 100, 50), // at 'to': outside, not read
    ]),
    [
      "5: difference",
      "15: from_zero",
      "25: from_zero",
      "35: baseline",
      "55: baseline",
      "75: difference",
      "85: from_zero",
      "95: difference",
      "97: from_zero",
    ],
  );
});

Deno.test("cumulativeContributions() counts a first point from zero only when its run began in the window", () => {
  assert.deepEqual(kinds([point(-50, 5, 12)]), ["5: baseline"]); // began before 'from'
  assert.deepEqual(kinds([point(0, 5, 12)]), ["5: from_zero"]); // began at 'from'
  assert.deepEqual(kinds([point(null, 5, 12)]), ["5: baseline"]); // start unknown
});
