/**
 * `/api/instruments` (routes/instruments.ts) on every selected database: hand-made OTLP metrics
 * with known values, decoded by the ingest's decoder and written through `store.write`, then read
 * back through the API and checked against values computed by hand: a counter's rate across a
 * reset, a gauge's last/avg/min/max, a histogram's p50 from two series and "bounds differ",
 * a delta sum, an exponential histogram's median, a summary's quantiles, group_by and attr filters, exemplars; every refusal names its parameter
 * (or setting), and an unknown instrument is a 404.
 */
import assert from "node:assert/strict";
import { createStore, type Store } from "../store/mod.ts";
import { freshDatabase, selectedDrivers } from "./databases.ts";
import { getJson, testApp } from "./app.ts";
import {
  afterT0 as at,
  decodeMetrics,
  doublePoint,
  exemplar,
  exponentialHistogramMetric,
  exponentialPoint,
  gaugeMetric,
  histogramMetric,
  histogramPoint,
  intPoint,
  oneScope,
  SPAN_ID,
  storeBatch,
  stringAttrs,
  summaryMetric,
  summaryPoint,
  sumMetric,
  T0,
  TRACE_ID,
} from "./metric_requests.ts";
import type {
  WireExemplars,
  WireInstrumentChart,
  WireInstrumentDetail,
  WireInstrumentList,
} from "../utils/wire.ts";

const T0_MS = Number(BigInt(T0) / 1_000_000n);
/** The test window: two minutes from T0. */
const WINDOW = `start=${T0_MS}&end=${T0_MS + 120_000}`;
const EVERY_10S = Array.from({ length: 13 }, (_, i) => i * 10 - 10); // -10, 0, …, 110

function request() {
  const method = (value: string) => stringAttrs({ "http.request.method": value });
  const get = EVERY_10S.map((t) =>
    // A restart at 45 s: a new start time and a drop (40 s: 150, 50 s: 5).
    intPoint(at(t), t < 45 ? 110 + t : 5 + (t - 50), {
      start: t < 45 ? at(-20) : at(45),
      attributes: method("GET"),
    })
  );
  const post = EVERY_10S.map((t) =>
    doublePoint(at(t), 2 + (t / 10) * 2, { start: at(-20), attributes: method("POST") })
  );
  const histogram = (route: string, bounds: number[], counts: number[], exemplars = false) =>
    histogramPoint(at(5), {
      start: at(0),
      count: counts.reduce((a, b) => a + b, 0),
      sum: 100,
      explicitBounds: bounds,
      bucketCounts: counts,
      attributes: stringAttrs({ route }),
      exemplars: exemplars ? [exemplar({ timeUnixNano: at(4), asDouble: 3 })] : [],
    });
  return oneScope([
    sumMetric("http.requests", [...get, ...post], {
      unit: "{request}",
      temporality: "cumulative",
      monotonic: true,
    }),
    gaugeMetric(
      "temperature",
      [[0, 10], [10, 20], [20, 60], [30, 5]].map(([t, v]) => doublePoint(at(t!), v!)),
      { unit: "Cel", description: "probe temperature" },
    ),
    histogramMetric("latency", [
      histogram("a", [1, 5, 10], [0, 10, 0, 0], true),
      histogram("b", [1, 5, 10], [0, 0, 30, 0]),
    ], { unit: "s", temporality: "delta" }),
    histogramMetric("sizes", [
      histogram("a", [1, 5, 10], [0, 10, 0, 0]),
      histogram("b", [2, 4], [0, 3, 0]),
    ], { temporality: "delta" }),
    sumMetric(
      "jobs",
      [[0, 5, 3], [10, 15, 4], [30, 35, 10]].map(([start, t, v]) =>
        intPoint(at(t!), v!, { start: at(start!) })
      ),
      { temporality: "delta", monotonic: true },
    ),
    exponentialHistogramMetric("payload", [
      exponentialPoint(at(5), {
        start: at(0),
        count: 4,
        sum: 12,
        scale: 0,
        zeroCount: 0,
        positive: { offset: 0, bucketCounts: [0, 4] },
        negative: { offset: 0, bucketCounts: [] },
      }),
    ], { temporality: "delta" }),
    summaryMetric(
      "rpc.duration",
      [[-10, 10, 5], [10, 20, 15]].map(([t, count, sum]) =>
        summaryPoint(at(t!), {
          start: at(-20),
          count: count!,
          sum: sum!,
          quantileValues: [{ quantile: 0.5, value: 0.3 }, { quantile: 0.99, value: 0.9 }],
        })
      ),
    ),
  ], "metrics-api-service");
}

async function stored(store: Store): Promise<void> {
  const decoded = decodeMetrics(request());
  assert.deepEqual(decoded.rejected, []);
  const result = await store.write(storeBatch([decoded]));
  assert.equal(result.metrics?.inserted, decoded.points.length);
}

function close(actual: (number | null)[], expected: (number | null)[], message?: string) {
  assert.equal(actual.length, expected.length, message);
  actual.forEach((value, i) => {
    const want = expected[i]!;
    if (want === null) assert.equal(value, null, `${message} [${i}]`);
    else assert.ok(value !== null && Math.abs(value - want) < 1e-9, `${message} [${i}]: ${value}`);
  });
}

async function errorOf(app: (r: Request) => Promise<Response>, path: string) {
  const response = await app(new Request(`http://argus.test${path}`));
  return { status: response.status, message: (await response.json()).error as string };
}

for (const driver of selectedDrivers()) {
  Deno.test(`/api/instruments answers charts computed by hand (${driver})`, async (t) => {
    const database = await freshDatabase(driver);
    const store = await createStore(database.config, { dataDir: database.dataDir });
    try {
      await store.migrate();
      await stored(store);
      const app = testApp(store, { metricMaxSteps: 100, metricMaxSeries: 10 });
      const list = await getJson<WireInstrumentList>(app, `/api/instruments?${WINDOW}`);
      const key = (name: string) => list.instruments.find((i) => i.name === name)!.key;

      await t.step("lists instruments by service and name, with series counts", async () => {
        assert.deepEqual(
          list.instruments.map((i) => [i.name, i.type, i.series_count]),
          [
            ["http.requests", "sum", 2],
            ["jobs", "sum", 1],
            ["latency", "histogram", 2],
            ["payload", "exponential_histogram", 1],
            ["rpc.duration", "summary", 1],
            ["sizes", "histogram", 2],
            ["temperature", "gauge", 1],
          ],
        );
        const temperature = list.instruments.find((i) => i.name === "temperature")!;
        assert.equal(temperature.service_name, "metrics-api-service");
        assert.equal(temperature.unit, "Cel");
        assert.equal(temperature.description, "probe temperature");
        assert.equal(temperature.temporality, "none");
        const requests = list.instruments.find((i) => i.name === "http.requests")!;
        assert.equal(requests.temporality, "cumulative");
        assert.equal(requests.monotonic, true);
        const found = await getJson<WireInstrumentList>(
          app,
          `/api/instruments?${WINDOW}&q=TEMP&service=metrics-api-service`,
        );
        assert.deepEqual(found.instruments.map((i) => i.name), ["temperature"]);
        const none = await getJson<WireInstrumentList>(
          app,
          `/api/instruments?${WINDOW}&service=other`,
        );
        assert.deepEqual(none.instruments, []);
        const one = await getJson<WireInstrumentList>(app, `/api/instruments?${WINDOW}&limit=1`);
        assert.equal(one.instruments.length, 1);
        assert.equal(one.limited, true);
      });

      await t.step("one instrument with its attribute keys and values", async () => {
        const detail = await getJson<WireInstrumentDetail>(
          app,
          `/api/instruments/${key("http.requests")}?${WINDOW}`,
        );
        assert.equal(detail.instrument.name, "http.requests");
        assert.deepEqual(detail.attributes, [
          { key: "http.request.method", values: ["GET", "POST"] },
        ]);
      });

      await t.step("a counter's rate across a reset, grouped and filtered", async () => {
        const path = `/api/instruments/${key("http.requests")}/chart?${WINDOW}`;
        const chart = await getJson<WireInstrumentChart>(app, `${path}&step=30s`);
        assert.equal(chart.shape, "counter");
        assert.equal(chart.agg, "rate");
        assert.equal(chart.step_seconds, 30);
        assert.equal(chart.interval_seconds, 10);
        assert.equal(chart.times.length, 4);
        assert.equal(chart.times[0], new Date(T0_MS).toISOString().replace(".000Z", ".000000000Z"));
        assert.equal(chart.groups.length, 1);
        // GET: 30, then 10 + 10 + 5 (restarted from 0 at 45 s), 30, 30; POST: 6 a step.
        close(chart.groups[0]!.values, [36 / 30, 31 / 30, 36 / 30, 36 / 30], "rate");
        close(chart.groups[0]!.stats.increase!, [36, 31, 36, 36], "increase");

        const grouped = await getJson<WireInstrumentChart>(
          app,
          `${path}&step=30&group_by=http.request.method&agg=increase`,
        );
        assert.deepEqual(grouped.groups.map((g) => g.attributes), [
          { "http.request.method": "GET" },
          { "http.request.method": "POST" },
        ]);
        close(grouped.groups[0]!.values, [30, 25, 30, 30], "GET");
        close(grouped.groups[1]!.values, [6, 6, 6, 6], "POST");

        const filtered = await getJson<WireInstrumentChart>(
          app,
          `${path}&step=30s&attr=http.request.method=POST`,
        );
        assert.equal(filtered.series, 1);
        close(filtered.groups[0]!.values, [0.2, 0.2, 0.2, 0.2], "POST rate");

        // No step: a whole number of the 10 s export interval.
        const auto = await getJson<WireInstrumentChart>(app, path);
        assert.equal(auto.step_seconds, 10);
        assert.equal(auto.times.length, 12);
      });

      await t.step("a gauge's last, avg, min and max", async () => {
        const path = `/api/instruments/${key("temperature")}/chart?${WINDOW}&step=30s`;
        const chart = await getJson<WireInstrumentChart>(app, path);
        assert.equal(chart.shape, "gauge");
        assert.equal(chart.agg, "last");
        close(chart.groups[0]!.values, [60, 5, null, null], "last");
        close(chart.groups[0]!.stats.avg!, [30, 5, null, null], "avg");
        close(chart.groups[0]!.stats.min!, [10, 5, null, null], "min");
        close(chart.groups[0]!.stats.max!, [60, 5, null, null], "max");
        const avg = await getJson<WireInstrumentChart>(app, `${path}&agg=avg`);
        close(avg.groups[0]!.values, [30, 5, null, null], "agg=avg");
      });

      await t.step(
        "a histogram's percentiles from two series, and bounds that differ",
        async () => {
          const path = `/api/instruments/${key("latency")}/chart?${WINDOW}&step=60s`;
          const chart = await getJson<WireInstrumentChart>(app, path);
          assert.equal(chart.shape, "histogram");
          const group = chart.groups[0]!;
          // 10 values in (1, 5] and 30 in (5, 10]: rank 20 is a third into (5, 10].
          close(group.values, [5 + 5 / 3, null], "p50");
          close(group.stats.p90!, [5 + 5 * 26 / 30, null], "p90");
          close(group.stats.count!, [40, null], "count");
          close(group.stats.avg!, [200 / 40, null], "avg");
          assert.deepEqual(group.unavailable, [null, null]);
          const a = await getJson<WireInstrumentChart>(app, `${path}&attr=route=a`);
          close(a.groups[0]!.values, [3, null], "p50 of a");

          const sizes = await getJson<WireInstrumentChart>(
            app,
            `/api/instruments/${key("sizes")}/chart?${WINDOW}&step=60s`,
          );
          assert.deepEqual(sizes.groups[0]!.values, [null, null]);
          assert.deepEqual(sizes.groups[0]!.unavailable, ["bounds differ", null]);
          close(sizes.groups[0]!.stats.count!, [13, null], "count");
        },
      );

      await t.step("a delta sum's increase and rate", async () => {
        const chart = await getJson<WireInstrumentChart>(
          app,
          `/api/instruments/${key("jobs")}/chart?${WINDOW}&step=30s&agg=increase`,
        );
        assert.equal(chart.shape, "counter");
        close(chart.groups[0]!.values, [7, 10, null, null], "increase");
        close(chart.groups[0]!.stats.rate!, [7 / 30, 10 / 30, null, null], "rate");
      });

      await t.step("an exponential histogram's percentiles", async () => {
        const chart = await getJson<WireInstrumentChart>(
          app,
          `/api/instruments/${key("payload")}/chart?${WINDOW}&step=60s`,
        );
        assert.equal(chart.shape, "exponential_histogram");
        // 4 values in (2, 4] at scale 0: the median halfway up that bucket, geometrically.
        close(chart.groups[0]!.values, [2 * Math.SQRT2, null], "p50");
        close(chart.groups[0]!.stats.avg!, [3, null], "avg");
        assert.deepEqual(chart.groups[0]!.unavailable, [null, null]);
      });

      await t.step("a summary's count, avg and quantiles", async () => {
        const chart = await getJson<WireInstrumentChart>(
          app,
          `/api/instruments/${key("rpc.duration")}/chart?${WINDOW}&step=60s`,
        );
        assert.equal(chart.shape, "summary");
        close(chart.groups[0]!.stats.count!, [10, null], "count");
        close(chart.groups[0]!.values, [1, null], "avg");
        assert.deepEqual(chart.groups[0]!.quantiles, [
          { quantile: 0.5, values: [0.3, null] },
          { quantile: 0.99, values: [0.9, null] },
        ]);
      });

      await t.step("exemplars with their trace", async () => {
        const body = await getJson<WireExemplars>(
          app,
          `/api/instruments/${key("latency")}/exemplars?${WINDOW}`,
        );
        assert.equal(body.limited, false);
        assert.equal(body.exemplars.length, 1);
        const [exemplar] = body.exemplars;
        assert.equal(exemplar!.value, 3);
        assert.equal(exemplar!.trace_id, TRACE_ID);
        assert.equal(exemplar!.span_id, SPAN_ID);
        assert.deepEqual(exemplar!.attributes, { "user.id": "u-1" });
        assert.deepEqual(exemplar!.series_attributes, { route: "a" });
        assert.equal(exemplar!.time, new Date(T0_MS + 4000).toISOString().replace("Z", "000000Z"));
        const none = await getJson<WireExemplars>(
          app,
          `/api/instruments/${key("latency")}/exemplars?${WINDOW}&attr=route=b`,
        );
        assert.deepEqual(none.exemplars, []);
      });

      await t.step("refusals name the parameter or setting; unknown keys are 404", async () => {
        const chart = `/api/instruments/${key("http.requests")}/chart?${WINDOW}`;
        const cases: [string, number, RegExp][] = [
          [`${chart}&step=abc`, 400, /'step'.*30s.*"abc"/],
          [`${chart}&step=0.5`, 400, /'step'.*from 1s/],
          [`${chart}&step=1s`, 400, /'step'.*at most 100 steps \(METRIC_MAX_STEPS\).*120 steps/],
          [`${chart}&agg=bogus`, 400, /'agg'.*one of last, avg/],
          [`${chart}&agg=last`, 400, /'agg' for http.requests \(a counter\).*rate, increase/],
          [`${chart}&attr=nokey`, 400, /'attr'.*key=value/],
          [`${chart}&range=1y`, 400, /'range'/],
          [`/api/instruments/${"0".repeat(32)}/chart?${WINDOW}`, 404, /No instrument/],
          [`/api/instruments/${"0".repeat(32)}?${WINDOW}`, 404, /No instrument/],
          [`/api/instruments/nothex/exemplars?${WINDOW}`, 400, /'key'.*32 hex/],
          [`/api/instruments?${WINDOW}&limit=0`, 400, /'limit'.*1 to 1000/],
        ];
        for (const [path, status, pattern] of cases) {
          const { status: got, message } = await errorOf(app, path);
          assert.equal(got, status, `${path}: ${message}`);
          assert.match(message, pattern, path);
        }
        const narrow = testApp(store, { metricMaxSeries: 1 });
        const { status, message } = await errorOf(narrow, chart);
        assert.equal(status, 400);
        assert.match(message, /2 series.*METRIC_MAX_SERIES.*'attr'.*http.request.method/);
        const few = testApp(store, { metricMaxPoints: 20 });
        const points = await errorOf(few, `${chart}&step=30s`);
        assert.equal(points.status, 400);
        assert.match(points.message, /24 points of http.requests.*at most 20.*METRIC_MAX_POINTS/);
        const one = await getJson<WireInstrumentChart>(
          narrow,
          `${chart}&attr=http.request.method=GET`,
        );
        assert.equal(one.series, 1);
      });
    } finally {
      await store.close();
      await database.drop();
    }
  });
}
