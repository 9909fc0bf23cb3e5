import assert from "node:assert/strict";
import type { StoredMetricPoint } from "./metric_columns.ts";
import type { MetricPointValue } from "./metric_types.ts";
import { rollUpBucket, type RollupStream } from "./metric_rollup_points.ts";
import {
  exponentialHistogramPoints,
  histogramPoints,
  numberPoints,
  summaryPoints,
} from "./metric_reads.ts";
import {
  counterSteps,
  deltaSumSteps,
  exponentialHistogramStats,
  exponentialHistogramSteps,
  FLAG_NO_RECORDED_VALUE,
  gaugeSteps,
  histogramStats,
  histogramSteps,
  type StepWindow,
  summarySteps,
} from "../utils/metric_math.ts";

// --- Builders -----------------------------------------------------------------------------------

const SERIES = "5e7ie5".padEnd(32, "0");
const NS = 1_000_000_000n;
/** An origin on a whole hour, so that buckets of 60, 600 and 3600 s start on it. */
const T0 = 1_800_000_000n * NS;

/** `seconds` after the origin, Unix ns. */
function at(seconds: number): bigint {
  return T0 + BigInt(Math.round(seconds * 1000)) * 1_000_000n;
}

function point(
  start: number | bigint,
  time: number | bigint,
  value: MetricPointValue,
  flags = 0,
): StoredMetricPoint {
  return {
    seriesKey: SERIES,
    startTimeUnixNano: typeof start === "bigint" ? start : at(start),
    timeUnixNano: typeof time === "bigint" ? time : at(time),
    flags,
    value,
  };
}

const int = (value: number): MetricPointValue => ({ kind: "int", value: BigInt(value) });
const double = (value: number): MetricPointValue => ({ kind: "double", value });
const NONE: MetricPointValue = { kind: "none" };

function histogram(
  bounds: number[],
  counts: number[],
  extra: { sum?: number | null; min?: number | null; max?: number | null } = {},
): MetricPointValue {
  return {
    kind: "histogram",
    count: counts.reduce((a, b) => a + b, 0),
    sum: extra.sum === undefined ? null : extra.sum,
    min: extra.min ?? null,
    max: extra.max ?? null,
    explicitBounds: bounds,
    bucketCounts: counts,
  };
}

function exponential(
  scale: number,
  positive: [number, number[]],
  extra: {
    zeroCount?: number;
    zeroThreshold?: number;
    negative?: [number, number[]];
    sum?: number;
  } = {},
): MetricPointValue {
  const negative = extra.negative ?? [0, []];
  const zeroCount = extra.zeroCount ?? 0;
  const total = (counts: number[]) => counts.reduce((a, b) => a + b, 0);
  return {
    kind: "exponential_histogram",
    count: zeroCount + total(positive[1]) + total(negative[1]),
    sum: extra.sum ?? null,
    min: null,
    max: null,
    scale,
    zeroCount,
    zeroThreshold: extra.zeroThreshold ?? 0,
    positiveOffset: positive[0],
    positiveBucketCounts: positive[1],
    negativeOffset: negative[0],
    negativeBucketCounts: negative[1],
  };
}

const GAUGE: RollupStream = { type: "gauge", temporality: "none", monotonic: false };
const COUNTER: RollupStream = { type: "sum", temporality: "cumulative", monotonic: true };
const UP_DOWN: RollupStream = { type: "sum", temporality: "cumulative", monotonic: false };
const DELTA_SUM: RollupStream = { type: "sum", temporality: "delta", monotonic: true };
const HISTOGRAM: RollupStream = { type: "histogram", temporality: "cumulative", monotonic: false };
const DELTA_HISTOGRAM: RollupStream = { type: "histogram", temporality: "delta", monotonic: false };
const EXPONENTIAL: RollupStream = {
  type: "exponential_histogram",
  temporality: "cumulative",
  monotonic: false,
};
const DELTA_EXPONENTIAL: RollupStream = { ...EXPONENTIAL, temporality: "delta" };
const SUMMARY: RollupStream = { type: "summary", temporality: "none", monotonic: false };

/** The times of points, in seconds after the origin. */
function times(points: readonly StoredMetricPoint[]): number[] {
  return points.map((p) => Number(p.timeUnixNano - T0) / 1e9);
}

// --- Hand-computed examples ---------------------------------------------------------------------

Deno.test("rollUpBucket() keeps a counter's first and last points when every increase telescopes", () => {
  const points = [5, 15, 25, 35, 45, 55].map((t, i) => point(-100, t, int(10 + 3 * i)));
  const rolled = rollUpBucket(COUNTER, points);
  assert.deepEqual(times(rolled), [5, 55]);
  assert.deepEqual(rolled, [points[0], points[5]]);
});

Deno.test("rollUpBucket() keeps a counter's reset and the point before it", () => {
  // 35 s drops from 16 to 3: counted from zero, so 25 s (its predecessor) and 35 s stay.
  const values = [10, 12, 16, 3, 8, 9];
  const points = [5, 15, 25, 35, 45, 55].map((t, i) => point(-100, t, int(values[i]!)));
  assert.deepEqual(times(rollUpBucket(COUNTER, points)), [5, 25, 35, 55]);
  // A new start at 35 s (the value went up, only the start tells) is kept the same way.
  const restarted = points.map((p, i) => i >= 3 ? { ...p, startTimeUnixNano: at(30) } : p);
  restarted[3] = { ...restarted[3]!, value: int(20) };
  restarted[4] = { ...restarted[4]!, value: int(25) };
  restarted[5] = { ...restarted[5]!, value: int(26) };
  assert.deepEqual(times(rollUpBucket(COUNTER, restarted)), [5, 25, 35, 55]);
});

Deno.test("rollUpBucket() keeps a counter's gap, the point before it and the one after", () => {
  const points = [
    point(-100, 5, int(10)),
    point(-100, 15, int(12)),
    point(-100, 25, NONE, FLAG_NO_RECORDED_VALUE),
    point(-100, 35, int(13)), // after a gap, with the old start: a baseline
    point(-100, 45, int(15)),
    point(-100, 55, int(18)),
  ];
  assert.deepEqual(times(rollUpBucket(COUNTER, points)), [5, 15, 25, 35, 55]);
});

Deno.test("rollUpBucket() keeps the last start a counter's walk remembers across a gap", () => {
  // Points without a start join any run, so 5 s to 35 s are all plain differences, but 25 s's
  // start (-100 s) is what the walk remembers when the gap comes: it reads 55 s (start -100 s) as
  // the same run after the gap, a baseline. Without 25 s the rollup's walk would remember -200 s
  // and count 55 s from zero.
  const points = [
    point(-200, 5, int(1)),
    point(0n, 15, int(2)),
    point(-100, 25, int(3)),
    point(0n, 35, int(4)),
    point(-100, 45, NONE, FLAG_NO_RECORDED_VALUE),
    point(-100, 55, int(9)),
  ];
  const rolled = rollUpBucket(COUNTER, points);
  assert.deepEqual(times(rolled), [5, 15, 25, 35, 45, 55]);
  const window = { fromUnixNano: at(0), toUnixNano: at(60), stepNano: 60n * NS };
  const baseline = point(-200, -5, int(0));
  assert.deepEqual(
    counterSteps(numberPoints([baseline, ...rolled]), window),
    [{ increase: 4, rate: 4 / 60 }],
  );
});

Deno.test("rollUpBucket() does not telescope a histogram across a point without a sum", () => {
  // 15 s has no sum, so the step's sum is 25 s to 35 s's alone (1); telescoped from 5 s it
  // would be 5. Every point stays.
  const points = [
    point(-100, 5, histogram([5], [3, 0], { sum: 5 })),
    point(-100, 15, histogram([5], [3, 0])),
    point(-100, 25, histogram([5], [3, 0], { sum: 9 })),
    point(-100, 35, histogram([5], [4, 0], { sum: 10 })),
  ];
  const rolled = rollUpBucket(HISTOGRAM, points);
  assert.deepEqual(times(rolled), [5, 15, 25, 35]);
  const window = { fromUnixNano: at(0), toUnixNano: at(60), stepNano: 60n * NS };
  assert.equal(histogramSteps(histogramPoints(rolled), window, "cumulative")[0]?.sum, 1);
});

Deno.test("rollUpBucket() keeps a histogram's bounds change and lets the chain before it go", () => {
  const a = [0, 10];
  const b = [0, 5, 10];
  const points = [
    point(-100, 5, histogram(a, [1, 1, 0], { sum: 5 })),
    point(-100, 15, histogram(a, [1, 2, 0], { sum: 9 })),
    point(-100, 25, histogram(a, [2, 2, 1], { sum: 30 })),
    point(-100, 35, histogram(b, [2, 2, 1, 1], { sum: 50 })), // bounds differ: a baseline
    point(-100, 45, histogram(b, [2, 3, 1, 1], { sum: 53 })),
    point(-100, 55, histogram(b, [2, 3, 2, 1], { sum: 60 })),
  ];
  assert.deepEqual(times(rollUpBucket(HISTOGRAM, points)), [5, 25, 35, 55]);
});

Deno.test("rollUpBucket() keeps a histogram point whose min is not the chain's", () => {
  // A cumulative min only falls; here 25 s says 2 and 35 s says 3, so the step's min (2, the least
  // of the points that counted something) is not the telescoped one (3): 25 s stays.
  const bounds = [5];
  const points = [
    point(-100, 5, histogram(bounds, [1, 0], { sum: 4, min: 4, max: 4 })),
    point(-100, 15, histogram(bounds, [2, 0], { sum: 7, min: 3, max: 4 })),
    point(-100, 25, histogram(bounds, [3, 0], { sum: 9, min: 2, max: 4 })),
    point(-100, 35, histogram(bounds, [4, 0], { sum: 13, min: 3, max: 4 })),
    point(-100, 45, histogram(bounds, [5, 0], { sum: 16, min: 3, max: 4 })),
  ];
  assert.deepEqual(times(rollUpBucket(HISTOGRAM, points)), [5, 25, 45]);
});

Deno.test("rollUpBucket() keeps an exponential histogram's points on both sides of a scale change", () => {
  const points = [
    point(-100, 5, exponential(3, [8, [1]])),
    point(-100, 15, exponential(3, [8, [1, 1]])),
    point(-100, 25, exponential(2, [4, [2, 1]])), // downscaled: 8, 9 -> 4; 10 -> 5
    point(-100, 35, exponential(2, [4, [2, 2]])),
    point(-100, 45, exponential(2, [4, [3, 2]])),
  ];
  assert.deepEqual(times(rollUpBucket(EXPONENTIAL, points)), [5, 15, 25, 45]);
});

Deno.test("rollUpBucket() keeps a summary's last point, whose quantiles the step shows", () => {
  const summary = (count: number, sum: number, p50: number): MetricPointValue => ({
    kind: "summary",
    count,
    sum,
    quantiles: [{ quantile: 0.5, value: p50 }],
  });
  const points = [
    point(-100, 5, summary(1, 2, 2)),
    point(-100, 15, summary(3, 7, 2.5)),
    point(-100, 25, summary(4, 9, 2.25)),
    point(-100, 35, summary(4, NaN, 2)), // sum not finite: unusable, passed over
  ];
  const rolled = rollUpBucket(SUMMARY, points);
  assert.deepEqual(times(rolled), [5, 25, 35]);
  const window = { fromUnixNano: at(0), toUnixNano: at(60), stepNano: 60n * NS };
  assert.deepEqual(
    summarySteps(summaryPoints(rolled), window),
    summarySteps(summaryPoints(points), window),
  );
});

Deno.test("rollUpBucket() rolls a gauge into its last point with the bucket's count, sum, min and max", () => {
  const points = [
    point(0n, 5, int(3)),
    point(0n, 15, double(7.5)),
    point(0n, 25, NONE, FLAG_NO_RECORDED_VALUE),
    point(0n, 35, double(NaN)), // not a number: ignored, as gaugeSteps ignores it
    point(0n, 45, int(1)),
    point(0n, 55, double(4.5)),
  ];
  const rolled = rollUpBucket(GAUGE, points);
  assert.deepEqual(rolled, [{ ...points[5]!, aggregate: { count: 4, sum: 16, min: 1, max: 7.5 } }]);
  // Rolling up rollups adds their aggregates: a 600 s bucket from two 60 s ones.
  const later = rollUpBucket(GAUGE, [point(0n, 65, int(10)), point(0n, 75, int(-2))]);
  assert.deepEqual(rollUpBucket(UP_DOWN, [...rolled, ...later]), [
    { ...later[0]!, aggregate: { count: 6, sum: 24, min: -2, max: 10 } },
  ]);
  const window = { fromUnixNano: at(0), toUnixNano: at(120), stepNano: 120n * NS };
  assert.deepEqual(gaugeSteps(numberPoints([...rolled, ...later]), window), [
    { last: -2, avg: 4, min: -2, max: 10, points: 6 },
  ]);
});

Deno.test("rollUpBucket() sums a delta sum's bucket into one point, exactly for ints", () => {
  const big = 2 ** 53; // past a double's integers: the sum stays an exact int64
  const points = [
    point(0, 10, int(big)),
    point(10, 20, int(1)),
    point(20, 30, NONE, FLAG_NO_RECORDED_VALUE),
    point(30, 40, int(1)),
  ];
  assert.deepEqual(rollUpBucket(DELTA_SUM, points), [
    point(0, 40, { kind: "int", value: BigInt(big) + 2n }),
  ]);
  const doubles = [point(0, 10, double(0.5)), point(10, 20, int(2)), point(20, 30, double(NaN))];
  assert.deepEqual(rollUpBucket(DELTA_SUM, doubles), [point(0, 30, double(2.5))]);
});

Deno.test("rollUpBucket() merges a delta histogram's points, unless their bounds differ", () => {
  const points = [
    point(0, 10, histogram([0, 10], [1, 2, 0], { sum: 8, min: -1, max: 6 })),
    point(10, 20, histogram([0, 10], [0, 0, 0], { sum: 0 })), // counted nothing: passed over
    point(20, 30, histogram([0, 10], [0, 1, 3], { sum: 50, min: 2, max: 20 })),
  ];
  assert.deepEqual(rollUpBucket(DELTA_HISTOGRAM, points), [
    point(0, 30, histogram([0, 10], [1, 3, 3], { sum: 58, min: -1, max: 20 })),
  ]);
  const differ = [points[0]!, point(20, 30, histogram([0, 5, 10], [0, 1, 0, 3], { sum: 50 }))];
  assert.deepEqual(rollUpBucket(DELTA_HISTOGRAM, differ), differ);
});

Deno.test("rollUpBucket() merges a delta exponential histogram's points per scale", () => {
  const points = [
    point(0, 10, exponential(3, [8, [1, 0, 2]], { zeroCount: 1, negative: [-2, [1]], sum: 9 })),
    point(10, 20, exponential(3, [9, [1, 1, 1]], { sum: 11 })),
    point(20, 30, exponential(2, [4, [5]], { sum: 12 })),
  ];
  const rolled = rollUpBucket(DELTA_EXPONENTIAL, points);
  assert.deepEqual(rolled, [
    point(
      0,
      20,
      exponential(3, [8, [1, 1, 3, 1]], { zeroCount: 1, negative: [-2, [1]], sum: 20 }),
    ),
    points[2],
  ]);
  const window = { fromUnixNano: at(0), toUnixNano: at(60), stepNano: 60n * NS };
  const chart = (p: readonly StoredMetricPoint[]) =>
    exponentialHistogramSteps(exponentialHistogramPoints(p), window, "delta");
  assert.deepEqual(chart(rolled), chart(points));
});

Deno.test("rollUpBucket() does not merge delta exponential histograms across scales", () => {
  // Merged at scale -1, (0.25, 0.5] would become (0.25, 1], which the step (widening its zero
  // bucket to 0.7 when it meets the first point) no longer moves into the zero bucket: the math
  // merges scales and thresholds in time order, and a rollup must not change that order.
  const points = [
    point(0, 10, exponential(0, [1, [1]], { zeroThreshold: 0.7 })), // (2, 4]
    point(10, 20, exponential(0, [-2, [1]])), // (0.25, 0.5]
    point(20, 30, exponential(-1, [0, [1]])), // (1, 4]
  ];
  const rolled = rollUpBucket(DELTA_EXPONENTIAL, points);
  assert.deepEqual(rolled, points);
  const window = { fromUnixNano: at(0), toUnixNano: at(60), stepNano: 60n * NS };
  const [step] = exponentialHistogramSteps(exponentialHistogramPoints(rolled), window, "delta");
  assert.equal(step?.buckets.zeroCount, 1);
});

Deno.test("rollUpBucket() refuses points of two series or out of time order", () => {
  const a = point(-100, 5, int(1));
  assert.throws(
    () => rollUpBucket(COUNTER, [a, { ...a, seriesKey: "f".repeat(32), timeUnixNano: at(6) }]),
    /must be of one series/,
  );
  assert.throws(() => rollUpBucket(COUNTER, [a, { ...a, timeUnixNano: at(4) }]), /time order/);
  assert.deepEqual(rollUpBucket(COUNTER, []), []);
});

// --- Random series ------------------------------------------------------------------------------

/** mulberry32: a small seeded generator, so that a failure replays. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOURS = 3;

/**
 * The times of a 10 s exporter over a few hours: jittered by up to a second, with a pause of a
 * few minutes now and then.
 */
function clock(rng: () => number): bigint[] {
  const out: bigint[] = [];
  let t = at(37 + rng() * 600);
  const end = at(HOURS * 3600);
  while (t < end) {
    out.push(t);
    const pause = rng() < 0.004 ? BigInt(Math.floor(60 + rng() * 400)) * NS : 0n;
    t += 10n * NS + BigInt(Math.floor((rng() - 0.5) * 2e9)) + pause;
  }
  return out;
}

/** Sorted by time, then start; one point per (time, start), as the store keeps them. */
function stored(points: StoredMetricPoint[]): StoredMetricPoint[] {
  const seen = new Set<string>();
  return points
    .sort((a, b) =>
      a.timeUnixNano !== b.timeUnixNano
        ? (a.timeUnixNano < b.timeUnixNano ? -1 : 1)
        : a.startTimeUnixNano < b.startTimeUnixNano
        ? -1
        : a.startTimeUnixNano > b.startTimeUnixNano
        ? 1
        : 0
    )
    .filter((p) => {
      const key = `${p.timeUnixNano}:${p.startTimeUnixNano}`;
      return !seen.has(key) && seen.add(key) !== undefined;
    });
}

const gapPoint = (start: bigint, time: bigint) => point(start, time, NONE, FLAG_NO_RECORDED_VALUE);

/** A level (gauge) or an up-down counter's value: a walk, int or double, with gaps and NaNs. */
function gaugeSeries(rng: () => number, ints: boolean, withStart: boolean): StoredMetricPoint[] {
  const out: StoredMetricPoint[] = [];
  let level = 500;
  let start = withStart ? at(-50) : 0n;
  for (const t of clock(rng)) {
    level += Math.round((rng() - 0.5) * 4000) / 100;
    if (withStart && rng() < 0.01) start = t - NS;
    const value = ints ? int(Math.round(level)) : double(level);
    const r = rng();
    if (r < 0.03) out.push(gapPoint(start, t));
    else if (!ints && r < 0.05) out.push(point(start, t, double(NaN)));
    else out.push(point(start, t, value));
    if (rng() < 0.01) out.push(point(start + 1n, t, ints ? int(7) : double(-3.25)));
  }
  return stored(out);
}

/**
 * A counter: increases, resets by a new start and by a drop, gaps, points without a start or with
 * start = time, two points at one time with different starts, NaNs among doubles.
 */
function counterSeries(rng: () => number, ints: boolean): StoredMetricPoint[] {
  const out: StoredMetricPoint[] = [];
  let start = at(-500);
  let value = 1000;
  for (const t of clock(rng)) {
    const r = rng();
    if (r < 0.015) {
      start = t - BigInt(Math.floor(1 + rng() * 5)) * NS;
      value = Math.floor(rng() * 20);
    } else if (r < 0.025) {
      value = Math.floor(value * rng());
    } else if (r < 0.03) {
      start = t; // the data model's reset of unknown start: start = time
      value = Math.floor(rng() * 20);
    } else if (r < 0.05) {
      out.push(gapPoint(start, t));
      continue;
    } else {
      value += ints ? Math.floor(rng() * 20) : Math.round(rng() * 5000) / 1000;
    }
    const noStart = rng() < 0.08;
    const v = ints ? int(value) : !ints && rng() < 0.01 ? double(NaN) : double(value);
    out.push(point(noStart ? 0n : start, t, v));
    if (rng() < 0.01) {
      // A second process reporting at the same time: a new start, then it goes on.
      start += 1n;
      value = Math.floor(rng() * 50);
      out.push(point(start, t, ints ? int(value) : double(value)));
    }
  }
  return stored(out);
}

/** A delta sum: each point its interval's sum (some negative), gaps, NaNs. */
function deltaSumSeries(rng: () => number, ints: boolean): StoredMetricPoint[] {
  const out: StoredMetricPoint[] = [];
  let previous = at(0);
  for (const t of clock(rng)) {
    const r = rng();
    const v = Math.round((rng() - 0.2) * 1000) / (ints ? 1 : 8);
    if (r < 0.03) out.push(gapPoint(previous, t));
    else if (!ints && r < 0.05) out.push(point(previous, t, double(Infinity)));
    else out.push(point(previous, t, ints ? int(v) : double(v)));
    previous = t;
  }
  return stored(out);
}

const BOUNDS = [[0, 5, 10, 25, 50, 100], [0, 10, 100, 1000]];

/** Observations of one interval: dyadic values, so that sums add up exactly in any order. */
function observations(rng: () => number, most: number): number[] {
  const n = Math.floor(rng() * (most + 1));
  return Array.from({ length: n }, () => Math.round((rng() ** 3) * 400 * 8 - 40) / 8);
}

/** Explicit-bounds histograms, cumulative (resets, bounds changes) or delta, and some chaos. */
function histogramSeries(rng: () => number, delta: boolean): StoredMetricPoint[] {
  const out: StoredMetricPoint[] = [];
  let bounds = BOUNDS[0]!;
  let start = at(-500);
  let counts = new Array<number>(bounds.length + 1).fill(0);
  let sum = 0;
  let min: number | null = null;
  let max: number | null = null;
  const reset = () => {
    counts = new Array<number>(bounds.length + 1).fill(0);
    sum = 0;
    min = max = null;
  };
  let previous = at(0);
  for (const t of clock(rng)) {
    const r = rng();
    if (delta) {
      reset();
      bounds = rng() < 0.03 ? BOUNDS[1]! : BOUNDS[0]!;
      reset();
      start = previous;
    } else if (r < 0.01) {
      start = t - NS;
      reset();
    } else if (r < 0.015) {
      bounds = bounds === BOUNDS[0] ? BOUNDS[1]! : BOUNDS[0]!;
      if (rng() < 0.5) start = t - NS;
      reset();
    } else if (r < 0.02) {
      reset(); // a drop with the same start
    }
    previous = t;
    if (rng() < 0.02) {
      out.push(gapPoint(start, t));
      continue;
    }
    for (const v of observations(rng, 5)) {
      const i = bounds.findIndex((b) => v <= b);
      counts[i < 0 ? bounds.length : i]! += 1;
      sum += v;
      min = min === null ? v : Math.min(min, v);
      max = max === null ? v : Math.max(max, v);
    }
    // Chaos the math must survive: a min that is not the run's, a missing sum, a sum moved
    // without a count.
    const c = rng();
    const chaosMin = c < 0.03 && min !== null ? min + 1 : min;
    if (c > 0.97) sum += 1;
    out.push(point(
      rng() < 0.01 ? 0n : start,
      t,
      histogram(bounds, [...counts], {
        sum: c > 0.02 && c < 0.04 ? null : sum,
        min: chaosMin,
        max,
      }),
    ));
  }
  return stored(out);
}

/** Bucket index of |v| at `scale`: bucket i holds (base^i, base^(i+1)]. */
function expIndex(v: number, scale: number): number {
  return Math.ceil(Math.log2(v) * 2 ** scale) - 1;
}

function denseCounts(range: Map<number, number>): [number, number[]] {
  if (range.size === 0) return [0, []];
  const keys = [...range.keys()];
  const offset = Math.min(...keys);
  const counts = new Array<number>(Math.max(...keys) - offset + 1).fill(0);
  for (const [i, c] of range) counts[i - offset] = c;
  return [offset, counts];
}

/**
 * Exponential histograms as an SDK builds them: the scale falls whenever the buckets would span
 * more than 24, positive and negative values, zeros, and now and then a zero threshold.
 */
function exponentialSeries(rng: () => number, delta: boolean): StoredMetricPoint[] {
  const out: StoredMetricPoint[] = [];
  let start = at(-500);
  let scale = 4;
  let threshold = 0;
  let positive = new Map<number, number>();
  let negative = new Map<number, number>();
  let zeroCount = 0;
  let count = 0;
  let sum = 0;
  const reset = () => {
    scale = delta ? 6 : 4;
    positive = new Map();
    negative = new Map();
    zeroCount = count = sum = 0;
  };
  const downscale = () => {
    const shift = (range: Map<number, number>) => {
      const next = new Map<number, number>();
      for (const [i, c] of range) {
        next.set(Math.floor(i / 2), (next.get(Math.floor(i / 2)) ?? 0) + c);
      }
      return next;
    };
    positive = shift(positive);
    negative = shift(negative);
    scale -= 1;
  };
  const span = (range: Map<number, number>) =>
    range.size === 0 ? 0 : Math.max(...range.keys()) - Math.min(...range.keys()) + 1;
  let previous = at(0);
  for (const t of clock(rng)) {
    const r = rng();
    if (delta) {
      reset();
      threshold = rng() < 0.05 ? 0.7 : 0;
      start = previous;
    } else if (r < 0.01) {
      start = t - NS;
      reset();
      threshold = rng() < 0.3 ? 0.7 : 0;
    } else if (r < 0.015) {
      threshold = threshold === 0 ? 0.7 : 0; // within the run: a baseline
    }
    previous = t;
    if (rng() < 0.02) {
      out.push(gapPoint(start, t));
      continue;
    }
    for (const raw of observations(rng, 5)) {
      const v = rng() < 0.1 ? 0 : rng() < 0.05 ? raw / 64 : raw;
      count += 1;
      sum += v;
      if (Math.abs(v) <= threshold) {
        zeroCount += 1;
        continue;
      }
      const range = v > 0 ? positive : negative;
      const i = expIndex(Math.abs(v), scale);
      range.set(i, (range.get(i) ?? 0) + 1);
      while (span(positive) > 24 || span(negative) > 24) downscale();
    }
    const [positiveOffset, positiveBucketCounts] = denseCounts(positive);
    const [negativeOffset, negativeBucketCounts] = denseCounts(negative);
    out.push(point(start, t, {
      kind: "exponential_histogram",
      count,
      sum,
      min: null,
      max: null,
      scale,
      zeroCount,
      zeroThreshold: threshold,
      positiveOffset,
      positiveBucketCounts,
      negativeOffset,
      negativeBucketCounts,
    }));
  }
  return stored(out);
}

/** Summaries: cumulative count and sum with resets, fresh quantiles on every point. */
function summarySeries(rng: () => number): StoredMetricPoint[] {
  const out: StoredMetricPoint[] = [];
  let start = at(-500);
  let count = 0;
  let sum = 0;
  for (const t of clock(rng)) {
    const r = rng();
    if (r < 0.015) {
      start = t - NS;
      count = sum = 0;
    } else if (r < 0.02) {
      count = sum = 0;
    }
    if (rng() < 0.02) {
      out.push(gapPoint(start, t));
      continue;
    }
    for (const v of observations(rng, 5)) {
      count += 1;
      sum += v;
    }
    const q = [rng(), rng(), rng()].map((x) => Math.round(x * 800) / 8).sort((a, b) => a - b);
    out.push(point(start, t, {
      kind: "summary",
      count,
      sum: rng() < 0.01 ? NaN : sum,
      quantiles: [
        { quantile: 0.5, value: q[0]! },
        { quantile: 0.9, value: rng() < 0.02 ? NaN : q[1]! },
        { quantile: 0.99, value: q[2]! },
      ],
    }));
  }
  return stored(out);
}

// --- Charts, raw against rolled -----------------------------------------------------------------

/** What the chart route computes from one series' points (routes/instruments.ts). */
function chart(
  stream: RollupStream,
  points: readonly StoredMetricPoint[],
  window: StepWindow,
): unknown[] {
  const temporality = stream.temporality === "delta" ? "delta" : "cumulative";
  switch (stream.type) {
    case "gauge":
      return gaugeSteps(numberPoints(points), window);
    case "sum":
      if (temporality === "delta") return deltaSumSteps(numberPoints(points), window);
      return stream.monotonic
        ? counterSteps(numberPoints(points), window)
        : gaugeSteps(numberPoints(points), window);
    case "histogram":
      return histogramSteps(histogramPoints(points), window, temporality).map((step) =>
        step === null ? null : { step, stats: histogramStats(step) }
      );
    case "exponential_histogram":
      return exponentialHistogramSteps(exponentialHistogramPoints(points), window, temporality)
        .map((step) => step === null ? null : { step, stats: exponentialHistogramStats(step) });
    case "summary":
      return summarySteps(summaryPoints(points), window);
  }
}

/** `actual` equal to `expected`, numbers within 1e-9 relative; Maps compared by entries. */
function assertSame(actual: unknown, expected: unknown, path: string): void {
  if (typeof expected === "number" && typeof actual === "number") {
    if (Number.isNaN(expected) && Number.isNaN(actual)) return;
    const scale = Math.max(Math.abs(actual), Math.abs(expected));
    if (actual === expected || Math.abs(actual - expected) <= 1e-9 * scale) return;
    throw new assert.AssertionError({ message: `${path}: rolled ${actual}, raw ${expected}` });
  }
  if (expected instanceof Map && actual instanceof Map) {
    const sorted = (m: Map<number, number>) => [...m].sort(([a], [b]) => a - b);
    return assertSame(sorted(actual), sorted(expected), path);
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (actual.length !== expected.length) {
      throw new assert.AssertionError({
        message: `${path}: rolled has ${actual.length} entries, raw ${expected.length}`,
      });
    }
    expected.forEach((e, i) => assertSame(actual[i], e, `${path}[${i}]`));
    return;
  }
  if (
    expected !== null && actual !== null && typeof expected === "object" &&
    typeof actual === "object"
  ) {
    const keys = Object.keys(expected);
    assert.deepEqual(Object.keys(actual).sort(), [...keys].sort(), `${path}: keys`);
    for (const key of keys) {
      assertSame(
        (actual as Record<string, unknown>)[key],
        (expected as Record<string, unknown>)[key],
        `${path}.${key}`,
      );
    }
    return;
  }
  assert.equal(actual, expected, path);
}

/** The points of `[from, to)`, with the baseline the read path adds: the last raw point before. */
function windowPoints(
  raw: readonly StoredMetricPoint[],
  points: readonly StoredMetricPoint[],
  window: StepWindow,
): StoredMetricPoint[] {
  const baseline = raw.findLast((p) => p.timeUnixNano < window.fromUnixNano);
  const inside = points.filter((p) =>
    p.timeUnixNano >= window.fromUnixNano && p.timeUnixNano < window.toUnixNano
  );
  return baseline === undefined ? inside : [baseline, ...inside];
}

/** Each bucket of `seconds` rolled up, concatenated. */
function rollUpEach(
  stream: RollupStream,
  points: readonly StoredMetricPoint[],
  seconds: number,
): StoredMetricPoint[] {
  const out: StoredMetricPoint[] = [];
  let bucket: StoredMetricPoint[] = [];
  const bucketOf = (p: StoredMetricPoint) => p.timeUnixNano / (BigInt(seconds) * NS);
  for (const p of points) {
    if (bucket.length > 0 && bucketOf(bucket[0]!) !== bucketOf(p)) {
      out.push(...rollUpBucket(stream, bucket));
      bucket = [];
    }
    bucket.push(p);
  }
  if (bucket.length > 0) out.push(...rollUpBucket(stream, bucket));
  return out;
}

/** A mix, bucket by bucket: raw, 60 s rollups, or the 600 s rollup, as a reader may find them. */
function mixed(
  rng: () => number,
  raw: readonly StoredMetricPoint[],
  by60: readonly StoredMetricPoint[],
  by600: readonly StoredMetricPoint[],
): StoredMetricPoint[] {
  const source = new Map<bigint, readonly StoredMetricPoint[]>();
  const pick = (bucket600: bigint) => {
    let chosen = source.get(bucket600);
    if (chosen === undefined) {
      const r = rng();
      source.set(bucket600, chosen = r < 0.33 ? raw : r < 0.66 ? by60 : by600);
    }
    return chosen;
  };
  const bucketOf = (p: StoredMetricPoint) => p.timeUnixNano / (600n * NS);
  return [...new Set([...raw, ...by60, ...by600].map(bucketOf))].sort((a, b) => a < b ? -1 : 1)
    .flatMap((bucket) => pick(bucket).filter((p) => bucketOf(p) === bucket));
}

/** Windows whose `from` and step are multiples of `level` seconds, over and around the data. */
function windows(rng: () => number, level: number): StepWindow[] {
  const out: StepWindow[] = [{
    fromUnixNano: at(0),
    toUnixNano: at(HOURS * 3600 + 3600),
    stepNano: BigInt(level) * NS,
  }];
  const buckets = (HOURS * 3600) / level;
  for (let i = 0; i < 12; i++) {
    const from = Math.floor(rng() * (buckets + 2)) - 1;
    const multiple = [1, 2, 3, 5, 6][Math.floor(rng() * 5)]!;
    const steps = 1 + Math.floor(rng() * 20);
    const fromNs = at(from * level);
    const stepNano = BigInt(level * multiple) * NS;
    out.push({ fromUnixNano: fromNs, toUnixNano: fromNs + BigInt(steps) * stepNano, stepNano });
  }
  return out;
}

interface Kind {
  name: string;
  stream: RollupStream;
  series: (rng: () => number) => StoredMetricPoint[];
}

const KINDS: Kind[] = [
  { name: "gauge (int)", stream: GAUGE, series: (rng) => gaugeSeries(rng, true, false) },
  { name: "gauge (double)", stream: GAUGE, series: (rng) => gaugeSeries(rng, false, false) },
  {
    name: "cumulative non-monotonic sum",
    stream: UP_DOWN,
    series: (rng) => gaugeSeries(rng, false, true),
  },
  { name: "counter (int)", stream: COUNTER, series: (rng) => counterSeries(rng, true) },
  { name: "counter (double)", stream: COUNTER, series: (rng) => counterSeries(rng, false) },
  { name: "delta sum (int)", stream: DELTA_SUM, series: (rng) => deltaSumSeries(rng, true) },
  { name: "delta sum (double)", stream: DELTA_SUM, series: (rng) => deltaSumSeries(rng, false) },
  { name: "cumulative histogram", stream: HISTOGRAM, series: (rng) => histogramSeries(rng, false) },
  { name: "delta histogram", stream: DELTA_HISTOGRAM, series: (rng) => histogramSeries(rng, true) },
  {
    name: "cumulative exponential histogram",
    stream: EXPONENTIAL,
    series: (rng) => exponentialSeries(rng, false),
  },
  {
    name: "delta exponential histogram",
    stream: DELTA_EXPONENTIAL,
    series: (rng) => exponentialSeries(rng, true),
  },
  { name: "summary", stream: SUMMARY, series: (rng) => summarySeries(rng) },
];

const SEEDS = 6;

/** Per kind: the points of every seed's series, raw, at 60 s and at 600 s (from the 60 s ones). */
function rolledKinds() {
  return KINDS.map((kind) => {
    const seeds = Array.from({ length: SEEDS }, (_, seed) => {
      const raw = kind.series(random(1000 * seed + 17));
      const by60 = rollUpEach(kind.stream, raw, 60);
      const by600 = rollUpEach(kind.stream, by60, 600);
      return { seed, raw, by60, by600 };
    });
    const count = (key: "raw" | "by60" | "by600") =>
      seeds.reduce((total, s) => total + s[key].length, 0);
    return { kind, seeds, raw: count("raw"), by60: count("by60"), by600: count("by600") };
  });
}

Deno.test("rollUpBucket() charts every kind of random series as its raw points do", async (t) => {
  for (const { kind, seeds, raw, by60, by600 } of rolledKinds()) {
    const name = `${kind.name}: ${raw} raw points, ${by60} at 60 s, ${by600} at 600 s`;
    await t.step(name, () => {
      assert.ok(by60 < raw && by600 < by60, name);
      for (const { seed, raw, by60, by600 } of seeds) {
        const rng = random(seed + 99);
        const cases = [
          ...windows(rng, 60).map((w) => ({ w, points: by60, level: "60 s" })),
          ...windows(rng, 600).map((w) => ({ w, points: by600, level: "600 s" })),
          ...windows(rng, 600).map((w) => ({
            w,
            points: mixed(rng, raw, by60, by600),
            level: "mixed",
          })),
        ];
        for (const { w, points, level } of cases) {
          const where = `seed ${seed}, ${level}, window [${(w.fromUnixNano - T0) / NS} s, ${
            (w.toUnixNano - T0) / NS
          } s) step ${w.stepNano / NS} s`;
          assertSame(
            chart(kind.stream, windowPoints(raw, points, w), w),
            chart(kind.stream, windowPoints(raw, raw, w), w),
            where,
          );
        }
      }
    });
  }
});

Deno.test("rollUpBucket() keeps 2 points a minute of a 10 s counter, and 2 per 10 minutes", () => {
  // 3 hours at :05, :15, … :55 of each minute, no reset: 1,080 points.
  const raw = Array.from({ length: 1080 }, (_, i) => point(-1, 5 + 10 * i, int(3 * i)));
  const by60 = rollUpEach(COUNTER, raw, 60);
  const by600 = rollUpEach(COUNTER, by60, 600);
  assert.equal(by60.length, 2 * 180);
  assert.equal(by600.length, 2 * 18);
  const w = { fromUnixNano: at(600), toUnixNano: at(9600), stepNano: 600n * NS };
  assert.deepEqual(
    counterSteps(numberPoints(windowPoints(raw, by600, w)), w),
    counterSteps(numberPoints(windowPoints(raw, raw, w)), w),
  );
});
