import assert from "node:assert/strict";
import { FLAG_NO_RECORDED_VALUE, type NumberPoint } from "./metric_points.ts";
import { counterSteps, deltaSumSteps, gaugeSteps, sumSteps } from "./metric_sums.ts";
import { at, window } from "./metric_test_fixtures.ts";

/** A point at `time` seconds, its run started at `start` seconds. */
function point(start: number, time: number, value: number, flags?: number): NumberPoint {
  return { startTimeUnixNano: at(start), timeUnixNano: at(time), value, flags };
}

/** A point flagged "no recorded value" (its value means nothing). */
function gap(start: number, time: number): NumberPoint {
  return point(start, time, 0, FLAG_NO_RECORDED_VALUE);
}

// Every test below reads the window [0 s, 60 s) in 20 s steps: [0,20) [20,40) [40,60).
const W = window(0, 60, 20);

Deno.test("counterSteps() measures increases across a reset by drop", () => {
  // The counter started at -100 s; the point at -10 s (before the window) is the baseline.
  const points = [
    point(-100, -10, 100),
    point(-100, 5, 110), //  110 - 100 = 10
    point(-100, 15, 130), // 130 - 110 = 20     step 0: 10 + 20 = 30, 30 / 20 s = 1.5/s
    point(-100, 25, 135), // 135 - 130 = 5
    point(-100, 35, 5), //   5 < 135: reset, counts from 0: 5     step 1: 5 + 5 = 10, 0.5/s
    point(-100, 45, 20), //  20 - 5 = 15
    point(-100, 55, 30), //  30 - 20 = 10     step 2: 15 + 10 = 25, 1.25/s
  ];
  assert.deepEqual(counterSteps(points, W), [
    { increase: 30, rate: 1.5 },
    { increase: 10, rate: 0.5 },
    { increase: 25, rate: 1.25 },
  ]);
});

Deno.test("counterSteps() reads a new start time as a reset, even when the value went up", () => {
  const points = [
    point(-100, -10, 100),
    point(-100, 5, 110), // 110 - 100 = 10
    // The process restarted at 12 s and counted 150 by 15 s: more than before, so only the start
    // time tells; the new run counts from 0: 150 (a difference would say 40).
    point(12, 15, 150), //                         step 0: 10 + 150 = 160, 8/s
    point(12, 25, 160), // 160 - 150 = 10          step 1: 10, 0.5/s
    // Restarted with an unknown start (start = time): the data model's zero-rate reset point.
    point(45, 45, 1000), // baseline: 0
    point(45, 55, 1010), // 1010 - 1000 = 10       step 2: 0 + 10 = 10, 0.5/s
  ];
  assert.deepEqual(counterSteps(points, W), [
    { increase: 160, rate: 8 },
    { increase: 10, rate: 0.5 },
    { increase: 10, rate: 0.5 },
  ]);
});

Deno.test("counterSteps() lets a no-recorded-value point break the run and count nothing", () => {
  const points = [
    point(-100, -10, 100),
    point(-100, 5, 110), // 110 - 100 = 10
    gap(-100, 15), //       run broken                 step 0: 10
    // Same start after the gap: the counter went on, but when the 30 since 110 was counted is
    // unknown, so this point is only a baseline.
    point(-100, 25, 140), // baseline: 0
    point(-100, 35, 150), // 150 - 140 = 10              step 1: 0 + 10 = 10
    gap(-100, 42),
    // A new start after the gap: the counter restarted at 43 s, its zero is known: 3 from 0.
    point(43, 45, 3),
    point(43, 55, 8), //    8 - 3 = 5                   step 2: 3 + 5 = 8
  ];
  assert.deepEqual(counterSteps(points, W), [
    { increase: 10, rate: 0.5 },
    { increase: 10, rate: 0.5 },
    { increase: 8, rate: 0.4 },
  ]);
});

Deno.test("counterSteps() without a point before the window: a run started before is a baseline", () => {
  // No baseline passed: the first point's 500 includes counts from before the window.
  assert.deepEqual(counterSteps([point(-100, 5, 500), point(-100, 15, 520)], W), [
    { increase: 20, rate: 1 }, // 0 + (520 - 500)
    null,
    null,
  ]);
  // A run that started inside the window counts from its known zero.
  assert.deepEqual(counterSteps([point(2, 5, 7)], W), [{ increase: 7, rate: 0.35 }, null, null]);
  // One point, run started before: the step has data, but nothing measured.
  assert.deepEqual(counterSteps([point(-100, 25, 500)], W), [null, { increase: 0, rate: 0 }, null]);
});

Deno.test("counterSteps() ignores NaN and Infinity values without breaking the run", () => {
  const points = [
    point(-100, -10, 100),
    point(-100, 5, NaN),
    point(-100, 15, 120), // 120 - 100 = 20 (the NaN point is skipped)
    point(-100, 25, Infinity), // skipped: step 1 has no usable point
  ];
  assert.deepEqual(counterSteps(points, W), [{ increase: 20, rate: 1 }, null, null]);
});

Deno.test("deltaSumSteps() adds the points of each step up", () => {
  const points = [
    point(0, 5, 3),
    point(5, 15, 4), //  step 0: 3 + 4 = 7, 7 / 20 s = 0.35/s
    point(15, 25, 10), // step 1: 10, 0.5/s
    point(25, 45, -2), // an up-down counter's delta may be negative
    gap(45, 50),
    point(50, 55, 6), //  step 2: -2 + 6 = 4, 0.2/s
  ];
  assert.deepEqual(deltaSumSteps(points, W), [
    { increase: 7, rate: 0.35 },
    { increase: 10, rate: 0.5 },
    { increase: 4, rate: 0.2 },
  ]);
});

Deno.test("gaugeSteps() gives last, avg, min and max per step, a step without points null", () => {
  const points = [
    point(0, 5, 10),
    point(0, 10, 30),
    point(0, 15, 20), // step 0: last 20, avg (10 + 30 + 20) / 3 = 20, min 10, max 30
    point(0, 45, -5), // step 2: one point
    point(0, 50, NaN), // ignored
    gap(0, 55), //       ignored
  ];
  assert.deepEqual(gaugeSteps(points, W), [
    { last: 20, avg: 20, min: 10, max: 30, points: 3 },
    null,
    { last: -5, avg: -5, min: -5, max: -5, points: 1 },
  ]);
});

Deno.test("gaugeSteps() weighs a rolled-up point as the points its aggregate stands for", () => {
  const points: NumberPoint[] = [
    // A rollup of 4 values (10, 30, 20, 12) whose last was 12.
    { ...point(0, 5, 12), aggregate: { count: 4, sum: 72, min: 10, max: 30 } },
    point(0, 15, 8), // step 0: last 8, avg (72 + 8) / 5 = 16, min 8, max 30, 5 points
    { ...point(0, 45, -5), aggregate: { count: 1, sum: -5, min: -5, max: -5 } },
    // A rolled point is skipped like any other whose value is not a number, aggregate and all.
    { ...point(0, 50, NaN), aggregate: { count: 3, sum: 3, min: 1, max: 1 } },
  ];
  assert.deepEqual(gaugeSteps(points, W), [
    { last: 8, avg: 16, min: 8, max: 30, points: 5 },
    null,
    { last: -5, avg: -5, min: -5, max: -5, points: 1 },
  ]);
  // The up-down counter's gauge reads it too (sumSteps of a cumulative non-monotonic Sum).
  assert.deepEqual(
    sumSteps(points.slice(0, 2), W, { temporality: "cumulative", monotonic: false }).steps[0],
    { last: 8, avg: 16, min: 8, max: 30, points: 5 },
  );
  assert.throws(
    () => gaugeSteps([{ ...point(0, 5, 1), aggregate: { count: 0, sum: 0, min: 1, max: 1 } }], W),
    {
      name: "RangeError",
      message:
        `Cannot compute gauge steps as a rolled-up point's aggregate count must be a positive integer: current value is 0 at ${
          at(5)
        } ns`,
    },
  );
});

Deno.test("points exactly on step edges belong to the later step; 'to' is outside", () => {
  const points = [point(0, 0, 1), point(0, 20, 2), point(0, 40, 3), point(0, 60, 4)];
  assert.deepEqual(gaugeSteps(points, W).map((step) => step?.last), [1, 2, 3]);
  assert.deepEqual(deltaSumSteps(points, W).map((step) => step?.increase), [1, 2, 3]);
});

Deno.test("an empty window has no steps; a window without points has only nulls", () => {
  const points = [point(0, 5, 1)];
  assert.deepEqual(counterSteps(points, window(0, 0, 20)), []);
  assert.deepEqual(gaugeSteps([], W), [null, null, null]);
  assert.deepEqual(counterSteps([], W), [null, null, null]);
  assert.deepEqual(deltaSumSteps([point(0, 75, 1)], W), [null, null, null]);
});

Deno.test("a last step cut short at 'to' divides by its own length", () => {
  // [0,20) [20,40) [40,50): the last step is 10 s long.
  const steps = deltaSumSteps([point(40, 45, 5)], window(0, 50, 20));
  assert.deepEqual(steps[2], { increase: 5, rate: 0.5 }); // 5 / 10 s
});

Deno.test("points out of time order are refused with the offending points named", () => {
  assert.throws(() => gaugeSteps([point(0, 15, 1), point(0, 5, 2)], W), {
    name: "RangeError",
    message:
      `Cannot compute metric steps as points must be in time order: current value is point 1 at ${
        at(5)
      } ns after point 0 at ${at(15)} ns`,
  });
});

Deno.test("sumSteps() reads a Sum by its temporality and monotonicity", () => {
  const points = [point(-100, -10, 100), point(-100, 5, 90), point(-100, 15, 95)];
  // Cumulative monotonic: a counter; 90 < 100 is a reset (90 from 0), then 95 - 90 = 5.
  assert.deepEqual(sumSteps(points, W, { temporality: "cumulative", monotonic: true }), {
    shape: "counter",
    steps: [{ increase: 95, rate: 4.75 }, null, null],
  });
  // Cumulative up-down counter: its value is a level, shown as a gauge (no resets read).
  assert.deepEqual(sumSteps(points, W, { temporality: "cumulative", monotonic: false }), {
    shape: "gauge",
    steps: [{ last: 95, avg: 92.5, min: 90, max: 95, points: 2 }, null, null],
  });
  // Delta: the points are the changes, added up.
  assert.deepEqual(sumSteps(points, W, { temporality: "delta", monotonic: false }), {
    shape: "counter",
    steps: [{ increase: 185, rate: 9.25 }, null, null],
  });
});
