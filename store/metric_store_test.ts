/**
 * Metric storage (metric_writes.ts, metric_reads.ts, metric_retention.ts) on every selected
 * database: real SDK payloads and hand-made ones (exemplars, summaries, int64 extremes, NaN,
 * gaps) decoded by the ingest's `decodeMetricsRequest`, written in a transaction and read back
 * field by field; retries store each point once; the baseline before a window; retention.
 */
import assert from "node:assert/strict";
import type { Kysely } from "kysely";
import { createStore, type Store } from "./mod.ts";
import type { Database } from "./columns.ts";
import { type DialectCapabilities, openDatabase } from "./dialects/mod.ts";
import { Maintenance } from "./maintenance.ts";
import { type MetricRows, writeMetricRows } from "./metric_writes.ts";
import {
  histogramPoints,
  listMetricInstruments,
  listMetricSeries,
  metricExemplars,
  metricInstrument,
  metricPoints,
  numberPoints,
  seriesAttributeValues,
  summaryPoints,
} from "./metric_reads.ts";
import type { MetricPointRow } from "./metric_types.ts";
import { freshDatabase, selectedDrivers, type TestableDriver } from "../tests/databases.ts";
import type { MetricsDecoded } from "../ingest/otlp/metrics_types.ts";
import {
  decodeMetrics,
  doublePoint,
  encodeMetrics,
  exemplar,
  exponentialHistogramMetric,
  gaugeMetric,
  handExponentialPoint,
  handHistogramPoint,
  handSummaryPoint,
  histogramMetric,
  histogramPoint,
  INT64_MAX,
  INT64_MIN,
  intPoint,
  METRICS_SERVICE,
  metricsProtobuf,
  noValuePoint,
  oneScope,
  sdkMetrics,
  storeBatch,
  stringAttrs,
  summaryMetric,
  T0,
  T1,
  T2,
  untracedExemplar,
} from "../tests/metric_requests.ts";
import { counterSteps, histogramSteps } from "../utils/metric_math.ts";

const ALL = { fromNs: 1n, toNs: 1n << 62n };
const HOUR_NS = 3_600_000_000_000n;

interface Context {
  db: Kysely<Database>;
  caps: DialectCapabilities;
  store: Store;
}

async function withDatabase(driver: TestableDriver, fn: (context: Context) => Promise<void>) {
  const database = await freshDatabase(driver);
  const store = await createStore(database.config, { dataDir: database.dataDir });
  let db: Kysely<Database> | undefined;
  try {
    await store.migrate();
    const open = openDatabase(database.config, database.dataDir, () => {});
    db = open.db;
    await fn({ db, caps: open.capabilities, store });
  } finally {
    await db?.destroy();
    await store.close();
    await database.drop();
  }
}

function decode(request: Uint8Array): MetricsDecoded {
  const decoded = decodeMetrics(request);
  assert.deepEqual(decoded.rejected, []);
  return decoded;
}

function write({ db, caps }: Context, rows: MetricRows) {
  return db.transaction().execute((trx) => writeMetricRows(trx, caps, rows));
}

/** What the SDK never sends: exemplars, summaries, NaN, int64 extremes, gaps, odd histograms. */
function handRequest(): Uint8Array {
  const probe = (name: string) => stringAttrs({ probe: name });
  return encodeMetrics(oneScope([
    gaugeMetric("temperature", [
      doublePoint(T1, NaN, { attributes: probe("nan") }),
      doublePoint(T1, -Infinity, { attributes: probe("cold") }),
      doublePoint(T1, 0.1 + 0.2, { attributes: probe("fine") }),
      intPoint(T1, INT64_MIN, {
        attributes: probe("min"),
        exemplars: [exemplar({ asInt: INT64_MAX }), untracedExemplar({ asDouble: NaN })],
      }),
      intPoint(T1, INT64_MAX, { attributes: probe("max") }),
      noValuePoint(T2, { attributes: probe("min") }),
    ], { unit: "Cel" }),
    histogramMetric("latency", [
      handHistogramPoint({ min: 0.5, max: 7 }),
      histogramPoint(T1, { start: T0, count: 4, attributes: stringAttrs({ bucketless: "yes" }) }),
    ], { temporality: "delta" }),
    exponentialHistogramMetric("sizes", [handExponentialPoint({ min: -40, max: 12 })], {
      temporality: "cumulative",
    }),
    summaryMetric("rpc.duration", [
      handSummaryPoint({
        quantileValues: [
          { quantile: 0, value: 0.1 },
          { quantile: 0.5, value: 0.25 },
          { quantile: 1, value: NaN },
        ],
      }),
    ]),
  ]));
}

/** Every stored point of every instrument, by point key, read through the public reads. */
async function readAll({ db, caps }: Context) {
  const out = new Map<string, Omit<MetricPointRow, "pointKey" | "instrument">>();
  const instruments = await listMetricInstruments(db, caps, { limit: 1000 });
  for (const instrument of instruments) {
    const series = await listMetricSeries(db, caps, instrument.key, { limit: 1000 });
    const points = await metricPoints(db, caps, series.map((s) => s.seriesKey), ALL);
    const exemplars = await metricExemplars(db, caps, series.map((s) => s.seriesKey), ALL, 1000);
    for (const { seriesKey, points: list, baseline } of points) {
      assert.equal(baseline, undefined);
      const s = series.find((s) => s.seriesKey === seriesKey)!;
      for (const p of list) {
        out.set(`${seriesKey}/${p.timeUnixNano}/${p.startTimeUnixNano}`, {
          seriesKey,
          instrumentKey: instrument.key,
          attributes: s.attributes,
          droppedAttributesCount: s.droppedAttributesCount,
          startTimeUnixNano: p.startTimeUnixNano,
          timeUnixNano: p.timeUnixNano,
          flags: p.flags,
          value: p.value,
          exemplars: exemplars
            .filter((e) =>
              e.seriesKey === seriesKey && e.pointTimeUnixNano === p.timeUnixNano &&
              e.pointStartUnixNano === p.startTimeUnixNano
            )
            .map(({ seriesKey: _, pointTimeUnixNano: _t, pointStartUnixNano: _s, ...e }) => e),
        });
      }
    }
  }
  return { instruments, points: out };
}

function expected(decoded: MetricsDecoded) {
  return new Map(
    decoded.points.map(({ pointKey: _, instrument: _i, ...p }) => [
      `${p.seriesKey}/${p.timeUnixNano}/${p.startTimeUnixNano}`,
      p,
    ]),
  );
}

/** A gauge point of series `probe` at `timeNs`, as a protobuf request. */
function gauge(points: { probe: string; timeNs: bigint; value: number }[]): Uint8Array {
  return encodeMetrics(oneScope([
    gaugeMetric(
      "queue.size",
      points.map((p) =>
        intPoint(p.timeNs, p.value, { attributes: stringAttrs({ probe: p.probe }) })
      ),
    ),
  ]));
}

for (const driver of selectedDrivers()) {
  Deno.test(`[${driver}] metric points of every kind read back field by field`, async () => {
    await withDatabase(driver, async (context) => {
      const sdk = decode(metricsProtobuf(await sdkMetrics("cumulative", 2)));
      const hand = decode(handRequest());
      for (const decoded of [sdk, hand]) {
        const counts = await write(context, decoded);
        assert.equal(counts.points.inserted, decoded.points.length);
        assert.equal(counts.points.duplicates, 0);
      }
      const { instruments, points } = await readAll(context);
      assert.deepEqual(points, new Map([...expected(sdk), ...expected(hand)]));
      // Instruments as decoded, seen times rounded down to the minute.
      assert.equal(instruments.length, sdk.instruments.length + hand.instruments.length);
      for (const decodedInstrument of [...sdk.instruments, ...hand.instruments]) {
        const stored = await metricInstrument(context.db, decodedInstrument.key);
        const { firstSeenUnixNano, lastSeenUnixNano, resource, ...rest } = stored!;
        assert.deepEqual(rest, decodedInstrument);
        // Only the metric rows are written here: its resource row is not stored.
        assert.equal(resource, undefined);
        assert.equal(firstSeenUnixNano % 60_000_000_000n, 0n);
        assert.ok(firstSeenUnixNano <= lastSeenUnixNano);
      }
      // Filters: service, name text (case ignored), window.
      const { db, caps } = context;
      const checkout = await listMetricInstruments(db, caps, {
        serviceName: METRICS_SERVICE,
        limit: 100,
      });
      assert.deepEqual(
        checkout.map((i) => i.name),
        sdk.instruments.map((i) => i.name).sort(),
      );
      const named = await listMetricInstruments(db, caps, { nameContains: "TEMP", limit: 100 });
      assert.deepEqual(named.map((i) => i.name), ["cpu.temperature", "temperature"]);
      const t1 = BigInt(T1);
      const early = { fromNs: t1 - 10n * HOUR_NS, toNs: t1 - 9n * HOUR_NS };
      assert.deepEqual(await listMetricInstruments(db, caps, { window: early, limit: 100 }), []);
      const around = { fromNs: t1, toNs: t1 + 1n };
      assert.equal(
        (await listMetricInstruments(db, caps, { window: around, limit: 100 })).length,
        hand.instruments.length,
      );
      // One instrument's series, and their attribute keys and values.
      const temperature = named.find((i) => i.name === "temperature")!;
      const series = await listMetricSeries(db, caps, temperature.key, { limit: 100 });
      assert.deepEqual(seriesAttributeValues(series), [
        { key: "probe", values: ["cold", "fine", "max", "min", "nan"] },
      ]);
    });
  });

  Deno.test(`[${driver}] an instrument keeps its scope's schema URL and dropped count and NUL characters, and is read with its resource`, async () => {
    await withDatabase(driver, async ({ db, store }) => {
      const nul = (text: string) => `${text} \u0000 nul \uE000 escape`;
      const request = oneScope([
        gaugeMetric(nul("queue.depth"), [intPoint(T1, 3)], {
          description: nul("items"),
          unit: nul("{item}"),
        }),
      ], nul("svc"));
      const [resourceMetrics] = request.resourceMetrics;
      Object.assign(resourceMetrics!.resource, {
        entityRefs: [{ type: "service", idKeys: ["service.name"], descriptionKeys: [] }],
      });
      Object.assign(resourceMetrics!.scopeMetrics[0]!, { schemaUrl: nul("https://schema") });
      Object.assign(resourceMetrics!.scopeMetrics[0]!.scope, {
        name: nul("meter"),
        droppedAttributesCount: 4,
      });
      const decoded = decode(encodeMetrics(request));
      await store.write(storeBatch([decoded]));
      const [instrument] = decoded.instruments;
      const stored = await metricInstrument(db, instrument!.key);
      const { firstSeenUnixNano: _f, lastSeenUnixNano: _l, resource, ...rest } = stored!;
      assert.deepEqual(rest, instrument);
      assert.deepEqual(resource, decoded.resources[0]);
      assert.equal(rest.scopeDroppedAttributesCount, 4);
      assert.equal(rest.scopeSchemaUrl, "https://schema \uE0000 nul \uE000\uE000 escape");
      assert.match(resource!.entityRefs, /"type":"service"/);
    });
  });

  Deno.test(`[${driver}] a batch written twice stores each point once`, async () => {
    await withDatabase(driver, async (context) => {
      const decoded = decode(handRequest());
      const first = await write(context, decoded);
      const again = await write(context, decode(handRequest()));
      assert.deepEqual(again, {
        instruments: 0,
        series: 0,
        points: { inserted: 0, duplicates: decoded.points.length },
        exemplars: 0,
      });
      assert.equal(first.exemplars, 3);
      const { points } = await readAll(context);
      assert.deepEqual(points, expected(decoded));
    });
  });

  Deno.test(`[${driver}] points at the same time in different series are all kept`, async () => {
    await withDatabase(driver, async (context) => {
      const t = BigInt(T1);
      await write(context, decode(gauge([{ probe: "a", timeNs: t, value: 1 }])));
      const second = await write(context, decode(gauge([{ probe: "b", timeNs: t, value: 2 }])));
      assert.deepEqual(second.points, { inserted: 1, duplicates: 0 });
      assert.equal(second.series, 1);
      assert.equal(second.instruments, 0);
      const { points } = await readAll(context);
      assert.deepEqual([...points.values()].map((p) => p.value).sort(), [
        { kind: "int", value: 1n },
        { kind: "int", value: 2n },
      ]);
    });
  });

  Deno.test(`[${driver}] a window's points come with the last point before it`, async () => {
    await withDatabase(driver, async ({ db, caps, ...rest }) => {
      const t = BigInt(T1);
      const s = 10_000_000_000n;
      const decoded = decode(gauge([
        { probe: "a", timeNs: t - 2n * s, value: 1 },
        { probe: "a", timeNs: t - s, value: 2 },
        { probe: "a", timeNs: t, value: 3 },
        { probe: "a", timeNs: t + s, value: 4 },
        { probe: "a", timeNs: t + 2n * s, value: 5 },
        { probe: "b", timeNs: t + s, value: 6 },
      ]));
      await write({ db, caps, ...rest }, decoded);
      const keys = [...new Set(decoded.points.map((p) => p.seriesKey))];
      const [a, b] = await metricPoints(db, caps, keys, { fromNs: t, toNs: t + 2n * s });
      assert.deepEqual(a!.baseline?.value, { kind: "int", value: 2n });
      assert.equal(a!.baseline?.timeUnixNano, t - s);
      assert.deepEqual(a!.points.map((p) => p.value), [
        { kind: "int", value: 3n },
        { kind: "int", value: 4n },
      ]);
      assert.equal(b!.baseline, undefined);
      assert.deepEqual(b!.points.map((p) => p.timeUnixNano), [t + s]);
      // The math takes them as read (times in order, the baseline first).
      const numbers = numberPoints([a!.baseline!, ...a!.points]);
      assert.deepEqual(numbers.map((p) => p.value), [2, 3, 4]);
    });
  });

  Deno.test(`[${driver}] a baseline is found past the instrument's other series, and after a late point`, async () => {
    await withDatabase(driver, async (context) => {
      const { db, caps } = context;
      const t = BigInt(T1);
      const s = 10_000_000_000n;
      // Points are keyed by instrument, time, series: between the window's start and a's last
      // point before it lie 30 points of 3 other series of its instrument.
      await write(context, decode(gauge([{ probe: "a", timeNs: t - 100n * s, value: 7 }])));
      for (let i = 1n; i <= 10n; i++) {
        await write(
          context,
          decode(gauge(["b", "c", "d"].map((probe) => ({ probe, timeNs: t - i * s, value: 1 })))),
        );
      }
      // Series e is first seen inside the window: no baseline (and none is read).
      const late = decode(gauge([{ probe: "e", timeNs: t + s, value: 8 }]));
      await write(context, late);
      const a = decode(gauge([{ probe: "a", timeNs: t + s, value: 9 }])).points[0]!.seriesKey;
      const e = late.points[0]!.seriesKey;
      const window = { fromNs: t, toNs: t + 2n * s };
      const [before, eBefore] = await metricPoints(db, caps, [a, e], window);
      assert.equal(before!.baseline?.timeUnixNano, t - 100n * s);
      assert.deepEqual(before!.baseline?.value, { kind: "int", value: 7n });
      assert.equal(eBefore!.baseline, undefined);
      // A late point of e, older than its first seen minute, moves that back: now its baseline.
      await write(context, decode(gauge([{ probe: "e", timeNs: t - 50n * s, value: 5 }])));
      const [, eAfter] = await metricPoints(db, caps, [a, e], window);
      assert.equal(eAfter!.baseline?.timeUnixNano, t - 50n * s);
      assert.deepEqual(eAfter!.points.map((p) => p.value), [{ kind: "int", value: 8n }]);
    });
  });

  Deno.test(`[${driver}] stored points feed the metric math`, async () => {
    await withDatabase(driver, async (context) => {
      const decoded = decode(metricsProtobuf(await sdkMetrics("cumulative")));
      await write(context, decoded);
      const { db, caps } = context;
      const [orders] = await listMetricInstruments(db, caps, {
        nameContains: "orders.placed",
        limit: 1,
      });
      const series = await listMetricSeries(db, caps, orders!.key, { limit: 10 });
      const window = { fromNs: 1n, toNs: 1n << 62n };
      const read = await metricPoints(db, caps, series.map((s) => s.seriesKey), window);
      const steps = counterSteps(numberPoints(read[0]!.points), {
        fromUnixNano: window.fromNs,
        toUnixNano: window.toNs,
        stepNano: window.toNs - window.fromNs,
      });
      assert.equal(steps.length, 1);
      const [payment] = await listMetricInstruments(db, caps, {
        nameContains: "payment.amount",
        limit: 1,
      });
      const paymentSeries = await listMetricSeries(db, caps, payment!.key, { limit: 10 });
      const histograms = await metricPoints(db, caps, [paymentSeries[0]!.seriesKey], window);
      const hsteps = histogramSteps(histogramPoints(histograms[0]!.points), {
        fromUnixNano: window.fromNs,
        toUnixNano: window.toNs,
        stepNano: window.toNs - window.fromNs,
      }, "cumulative");
      assert.equal(hsteps.length, 1);
      assert.throws(() => summaryPoints(histograms[0]!.points), /must be of that kind/);
    });
  });

  Deno.test(`[${driver}] a purge of all removes old metric points, exemplars and series, keeps new`, async () => {
    await withDatabase(driver, async (context) => {
      const { db, caps } = context;
      const now = BigInt(T1);
      const old = now - 48n * HOUR_NS;
      await write(
        context,
        decode(gauge([
          { probe: "old", timeNs: old, value: 1 },
          { probe: "both", timeNs: old, value: 2 },
          { probe: "both", timeNs: now, value: 3 },
        ])),
      );
      await write(context, decode(handRequest()));
      const maintenance = new Maintenance(db, caps, undefined, { chunkRows: 2 });
      const result = await maintenance.purge({ olderThanNs: now - 24n * HOUR_NS, signal: "all" });
      assert.equal(result.deletedMetricPoints, 2);
      const [queue] = await listMetricInstruments(db, caps, { nameContains: "queue", limit: 1 });
      const series = await listMetricSeries(db, caps, queue!.key, { limit: 10 });
      assert.deepEqual(seriesAttributeValues(series), [{ key: "probe", values: ["both"] }]);
      const [both] = await metricPoints(db, caps, [series[0]!.seriesKey], ALL);
      assert.deepEqual(both!.points.map((p) => p.timeUnixNano), [now]);
      const { points } = await readAll(context);
      assert.equal(points.size, 1 + decode(handRequest()).points.length);
      // Everything goes when the cutoff passes it; instruments too.
      await maintenance.purge({ olderThanNs: now + 48n * HOUR_NS, signal: "all" });
      assert.deepEqual(await listMetricInstruments(db, caps, { limit: 10 }), []);
      const left = await db.selectFrom("metric_exemplars").selectAll().execute();
      assert.deepEqual(left, []);
    });
  });
}
