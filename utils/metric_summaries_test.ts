import assert from "node:assert/strict";
import { FLAG_NO_RECORDED_VALUE, type SummaryPoint } from "./metric_points.ts";
import { summarySteps } from "./metric_summaries.ts";
import { at, window } from "./metric_test_fixtures.ts";

function point(
  start: number,
  time: number,
  count: number,
  sum: number,
  p50: number,
  p99: number,
  flags?: number,
): SummaryPoint {
  return {
    startTimeUnixNano: at(start),
    timeUnixNano: at(time),
    count,
    sum,
    quantileValues: [{ quantile: 0.5, value: p50 }, { quantile: 0.99, value: p99 }],
    flags,
  };
}

Deno.test("summarySteps() passes the latest quantiles through and measures count and sum", () => {
  const steps = summarySteps(
    [
      point(-100, -10, 10, 50, 4, 9), //  the baseline, before the window
      point(-100, 5, 14, 70, 4.5, 10), // count 14 - 10 = 4, sum 70 - 50 = 20
      point(-100, 15, 20, 106, 5, 12), // count 20 - 14 = 6, sum 106 - 70 = 36
      // step 0: count 4 + 6 = 10, sum 20 + 36 = 56, avg 5.6; quantiles of the point at 15 s
      point(-100, 25, 2, 7, 3, 4), //     count 20 → 2: reset, from 0: count 2, sum 7, avg 3.5
      point(-100, 45, 0, 0, 0, 0, FLAG_NO_RECORDED_VALUE), // nothing recorded: step 2 empty
    ],
    window(0, 60, 20),
  );
  assert.deepEqual(steps, [
    {
      count: 10,
      sum: 56,
      avg: 5.6,
      quantiles: [{ quantile: 0.5, value: 5 }, { quantile: 0.99, value: 12 }],
    },
    {
      count: 2,
      sum: 7,
      avg: 3.5,
      quantiles: [{ quantile: 0.5, value: 3 }, { quantile: 0.99, value: 4 }],
    },
    null,
  ]);
});

Deno.test("summarySteps() shows a baseline-only step's quantiles with nothing counted", () => {
  const steps = summarySteps([point(-100, 5, 14, 70, 4.5, NaN)], window(0, 60, 20));
  // The run began before the window and no earlier point was given: count and sum unmeasured;
  // the NaN quantile is left out.
  assert.deepEqual(steps[0], {
    count: 0,
    sum: 0,
    avg: null,
    quantiles: [{ quantile: 0.5, value: 4.5 }],
  });
});
