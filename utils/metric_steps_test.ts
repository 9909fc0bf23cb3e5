import assert from "node:assert/strict";
import {
  DEFAULT_MAX_STEPS,
  stepCount,
  stepIndexOf,
  stepSeconds,
  stepStartUnixNano,
} from "./metric_steps.ts";
import { at, window } from "./metric_test_fixtures.ts";

Deno.test("stepCount() cuts [from, to) into whole steps, the last one cut short at 'to'", () => {
  assert.equal(stepCount(window(0, 60, 20)), 3); // 60 / 20
  assert.equal(stepCount(window(0, 50, 20)), 3); // [0,20) [20,40) [40,50)
  assert.equal(stepCount(window(0, 0, 20)), 0); // an empty window has no steps
});

Deno.test("stepCount() refuses a bad step, a window ending before it starts, or too many steps", () => {
  assert.throws(() => stepCount(window(0, 60, 0)), {
    name: "RangeError",
    message:
      "Cannot compute metric steps as 'step' must be a positive number of nanoseconds: current value is 0",
  });
  assert.throws(() => stepCount(window(60, 0, 20)), {
    name: "RangeError",
    message: `Cannot compute metric steps as 'to' must not be before 'from' (${
      at(60)
    } ns): current value is ${at(0)}`,
  });
  // A day at a 1 s step is 86,400 steps.
  assert.throws(() => stepCount(window(0, 86_400, 1)), {
    name: "RangeError",
    message:
      `Cannot compute metric steps as the window must have at most ${DEFAULT_MAX_STEPS} steps: current value is 86400 (window 86400000000000 ns, step 1000000000 ns)`,
  });
  assert.equal(stepCount(window(0, 86_400, 1), 100_000), 86_400);
});

Deno.test("stepIndexOf() puts a point on an edge in the later step, and 'to' outside", () => {
  const w = window(0, 60, 20);
  assert.equal(stepIndexOf(w, at(0)), 0); // 'from' is inside
  assert.equal(stepIndexOf(w, at(20) - 1n), 0); // 1 ns before the edge
  assert.equal(stepIndexOf(w, at(20)), 1); // on the edge: the later step
  assert.equal(stepIndexOf(w, at(59)), 2);
  assert.equal(stepIndexOf(w, at(60)), -1); // 'to' is outside
  assert.equal(stepIndexOf(w, at(0) - 1n), -1);
});

Deno.test("stepSeconds() is the step, or less for a last step cut short", () => {
  const w = window(0, 50, 20);
  assert.deepEqual([0, 1, 2].map((k) => stepSeconds(w, k)), [20, 20, 10]);
  assert.equal(stepStartUnixNano(w, 2), at(40));
});
