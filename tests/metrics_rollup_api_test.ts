/**
 * Charts read from rollups answer exactly what the raw points answer (item 4 of issue 16), through
 * the API on every selected database: three hours of a 10 s exporter of every kind (a counter with
 * a reset by new start and one by drop, a gauge, an up-down counter, a delta sum, a cumulative
 * histogram, a delta exponential histogram, a summary; two series each) are charted at steps of
 * 1 minute, 10 minutes and 1 hour (each rollup level), grouped and filtered, before the rollup job
 * has run (no rollup: read raw) and after it (read from `metric_rollup_points`): the answers are
 * the same. Then a late point (a drop inside an hour already rolled up) is marked at commit: the
 * charts count it at once (its bucket read raw), and the same after the job rebuilds the bucket.
 */
import assert from "node:assert/strict";
import { createStore, type Store } from "../store/mod.ts";
import { freshDatabase, selectedDrivers } from "./databases.ts";
import { getJson, testApp } from "./app.ts";
import {
  afterT0 as at,
  decodeMetrics,
  doublePoint,
  exponentialHistogramMetric,
  exponentialPoint,
  gaugeMetric,
  histogramMetric,
  histogramPoint,
  intPoint,
  oneScope,
  storeBatch,
  stringAttrs,
  summaryMetric,
  summaryPoint,
  sumMetric,
  T0,
} from "./metric_requests.ts";
import type { WireInstrumentChart, WireInstrumentList } from "../utils/wire.ts";

const HOURS = 3;
const T0_MS = Number(BigInt(T0) / 1_000_000n);
const WINDOW = `start=${T0_MS}&end=${T0_MS + HOURS * 3_600_000}`;
/** Seconds after T0 of every point: 10, 20, … 3 h − 10 s. */
const TIMES = Array.from({ length: HOURS * 360 - 1 }, (_, i) => (i + 1) * 10);

function request() {
  const route = (r: string) => stringAttrs({ route: r });
  const series = <T>(make: (r: string, n: number) => T[]) => [...make("a", 1), ...make("b", 2)];
  return oneScope([
    // Route a restarts at 1 h 30 (a new start); route b drops at 2 h with its old start.
    sumMetric(
      "requests",
      series((r, n) =>
        TIMES.map((t) => {
          const restarted = r === "a" && t >= 5400;
          const dropped = r === "b" && t >= 7200;
          const value = restarted ? (t - 5400) * n : dropped ? (t - 7200) * n : t * n + 7;
          return intPoint(at(t), value, {
            start: restarted ? at(5395) : at(0),
            attributes: route(r),
          });
        })
      ),
      { temporality: "cumulative", monotonic: true },
    ),
    gaugeMetric(
      "queue.depth",
      series((r, n) =>
        TIMES.map((t) => doublePoint(at(t), ((t * 7 * n) % 113) + 0.25, { attributes: route(r) }))
      ),
    ),
    sumMetric(
      "active",
      series((r, n) =>
        TIMES.map((t) =>
          intPoint(at(t), ((t * n) % 37) - 10, { start: at(0), attributes: route(r) })
        )
      ),
      { temporality: "cumulative", monotonic: false },
    ),
    sumMetric(
      "jobs",
      series((r, n) =>
        TIMES.map((t) => intPoint(at(t), (t % 7) * n, { start: at(t - 10), attributes: route(r) }))
      ),
      { temporality: "delta", monotonic: true },
    ),
    histogramMetric(
      "latency",
      series((r, n) =>
        TIMES.map((t) => {
          const k = t / 10;
          const counts = [k * n, 2 * k, Math.floor(k / 3), Math.floor(k / 7)];
          return histogramPoint(at(t), {
            start: at(0),
            count: counts.reduce((a, b) => a + b, 0),
            sum: k * 8.5 * n,
            explicitBounds: [1, 5, 10],
            bucketCounts: counts,
            attributes: route(r),
          });
        })
      ),
      { temporality: "cumulative" },
    ),
    exponentialHistogramMetric(
      "payload",
      series((r, n) =>
        TIMES.map((t) => {
          const counts = [t % 3, (t / 10) % 4, n];
          return exponentialPoint(at(t), {
            start: at(t - 10),
            count: counts.reduce((a, b) => a + b, 0) + 1,
            sum: t % 50 + 0.5,
            scale: 1,
            zeroCount: 1,
            positive: { offset: 2, bucketCounts: counts },
            negative: { offset: 0, bucketCounts: [] },
            attributes: route(r),
          });
        })
      ),
      { temporality: "delta" },
    ),
    summaryMetric(
      "rpc.duration",
      series((r, n) =>
        TIMES.map((t) =>
          summaryPoint(at(t), {
            start: at(0),
            count: t * n,
            sum: t * n * 0.125,
            quantileValues: [{ quantile: 0.5, value: (t % 9) / 8 }, { quantile: 1, value: 2 }],
            attributes: route(r),
          })
        )
      ),
    ),
  ], "rollup-service");
}

async function write(store: Store, body: unknown): Promise<void> {
  const decoded = decodeMetrics(body);
  assert.deepEqual(decoded.rejected, []);
  const result = await store.write(storeBatch([decoded]));
  assert.equal(result.metrics?.inserted, decoded.points.length);
}

/** Every chart the test compares, by path. */
function chartPaths(keys: Map<string, string>): string[] {
  const paths: string[] = [];
  for (const [name, key] of keys) {
    for (const step of ["1m", "10m", "1h"]) {
      paths.push(`/api/instruments/${key}/chart?${WINDOW}&step=${step}`);
      if (name === "requests" || name === "latency") {
        paths.push(`/api/instruments/${key}/chart?${WINDOW}&step=${step}&group_by=route`);
        paths.push(`/api/instruments/${key}/chart?${WINDOW}&step=${step}&attr=route%3Db`);
      }
    }
  }
  return paths;
}

async function charts(
  app: (request: Request) => Promise<Response>,
  paths: string[],
): Promise<Map<string, WireInstrumentChart>> {
  const out = new Map<string, WireInstrumentChart>();
  for (const path of paths) out.set(path, await getJson<WireInstrumentChart>(app, path));
  return out;
}

/** Numbers equal to 12 significant digits (rollups add in another order); the rest exactly. */
function assertSameCharts(
  actual: Map<string, WireInstrumentChart>,
  expected: Map<string, WireInstrumentChart>,
  what: string,
) {
  const round = (value: unknown): unknown =>
    typeof value === "number"
      ? Number(value.toPrecision(12))
      : Array.isArray(value)
      ? value.map(round)
      : value !== null && typeof value === "object"
      ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, round(v)]))
      : value;
  for (const [path, chart] of expected) {
    assert.deepEqual(round(actual.get(path)), round(chart), `${what}: ${path}`);
  }
}

for (const driver of selectedDrivers()) {
  Deno.test(`charts read from rollups equal charts read raw, late points included (${driver})`, async () => {
    const database = await freshDatabase(driver);
    const store = await createStore(database.config, { dataDir: database.dataDir });
    try {
      await store.migrate();
      await write(store, request());
      const app = testApp(store);
      const list = await getJson<WireInstrumentList>(app, `/api/instruments?${WINDOW}`);
      const keys = new Map(list.instruments.map((i) => [i.name, i.key]));
      assert.equal(keys.size, 7);
      const paths = chartPaths(keys);

      const raw = await charts(app, paths);
      // The steps asked for, on windows aligned to them: 180, 18 and 3 steps.
      const first = raw.get(paths[0]!)!;
      assert.equal(first.times.length, 180);
      assert.equal(first.times[0], new Date(T0_MS).toISOString().replace(".000Z", ".000000000Z"));

      // METRIC_MAX_POINTS bounds what is read raw: all of it before the job's first run.
      const bounded = testApp(store, { metricMaxPoints: 2_000 });
      const requests = `/api/instruments/${keys.get("requests")}/chart?${WINDOW}&step=10m`;
      const refused = await bounded(new Request(`http://argus.test${requests}`));
      assert.equal(refused.status, 400);
      assert.match(
        (await refused.json()).error,
        /Cannot read 2158 points of requests as at most 2000 are read per chart \(METRIC_MAX_POINTS\): .*rollups/,
      );

      const caught = await store.metricRollups.catchUp();
      assert.ok(caught.caughtUp, "the job caught up");
      for (const level of [60, 600, 3600] as const) {
        assert.ok(
          caught.doneUntilNs[level] >= BigInt(T0) + BigInt(HOURS * 3600) * 1_000_000_000n,
          `level ${level} s is built past the window`,
        );
        // 14 series (7 instruments, 2 each), every bucket of the 3 hours holding points.
        assert.equal(caught.built[level], 14 * (HOURS * 3600 / level), `level ${level} s buckets`);
      }
      // The 60 s level read every raw point once; the coarser ones the finer rollups.
      assert.ok(caught.pointsRead > 14 * TIMES.length, `points read: ${caught.pointsRead}`);
      assertSameCharts(await charts(app, paths), raw, "from rollups");
      // Rolled up, the same chart reads no raw point: within the bound.
      assert.equal((await bounded(new Request(`http://argus.test${requests}`))).status, 200);

      // A late point: route a's counter drops to 1 at 40 min 5 s, inside a rolled-up hour.
      await write(
        store,
        oneScope([
          sumMetric("requests", [
            intPoint(at(2405), 1, { start: at(0), attributes: stringAttrs({ route: "a" }) }),
          ], { temporality: "cumulative", monotonic: true }),
        ], "rollup-service"),
      );
      const late = await charts(app, paths);
      const counter = (charts: Map<string, WireInstrumentChart>) =>
        charts.get(`/api/instruments/${keys.get("requests")}/chart?${WINDOW}&step=1h`)!
          .groups[0]!.stats.increase!;
      // Between 2,407 (at 40 min) and 2,417 (at 40 min 10 s), once an increase of 10: now the drop
      // to 1 counts 1 from zero and the next point 2,416 over it, 2,407 more in the first hour.
      assert.equal(counter(late)[0]! - counter(raw)[0]!, 2407, "the late point is counted at once");
      assert.deepEqual(counter(late).slice(1), counter(raw).slice(1));

      await store.metricRollups.catchUp();
      assertSameCharts(await charts(app, paths), late, "after the late point's bucket is rebuilt");
    } finally {
      await store.close();
      await database.drop();
    }
  });
}
