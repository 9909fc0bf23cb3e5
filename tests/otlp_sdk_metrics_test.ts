/**
 * Metrics end to end: the official OpenTelemetry JS metric exporters (gRPC, HTTP/protobuf,
 * HTTP/JSON) send what the real SDK recorded (every instrument kind, delta and cumulative) to a
 * real Argus; every point is read back from the database (store/metric_reads.ts) and compared,
 * field by field, with the ingest decoder's rows of the same request, and with the SDK's own
 * figures for a few. A second export of the same data stores nothing twice. Hand-made requests
 * over OTLP/HTTP carry what the SDK does not send (exemplars, summaries, NaN, int64 extremes) and
 * bad points, which are refused one by one as partial success while their neighbours are stored.
 */
import assert from "node:assert/strict";
import type { Kysely } from "kysely";
import { ExportResultCode } from "@opentelemetry/core";
import type { PushMetricExporter, ResourceMetrics } from "@opentelemetry/sdk-metrics";
import type { Database } from "../store/columns.ts";
import { type DialectCapabilities, openDatabase } from "../store/dialects/mod.ts";
import {
  listMetricSeries,
  metricExemplars,
  metricInstrument,
  metricPoints,
} from "../store/metric_reads.ts";
import type { MetricPointRow } from "../store/metric_types.ts";
import {
  decodeMetrics,
  doublePoint,
  encodeAs,
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
  postMetrics,
  sdkMetrics,
  stringAttrs,
  summaryMetric,
  sumMetric,
  T0,
  T1,
  T2,
} from "./metric_requests.ts";
import { type ArgusProcess, startArgus } from "./argus_process.ts";
import { SDK_TRANSPORTS } from "./otlp_expected.ts";
import { databaseConfig } from "./databases.ts";
import { parsePrometheusText, sampleValue } from "../lib/prometheus_text_test_helper.ts";

const ALL = { fromNs: 1n, toNs: 1n << 62n };

function exportOnce(exporter: PushMetricExporter, metrics: ResourceMetrics): Promise<void> {
  return new Promise((resolve, reject) => {
    exporter.export(metrics, (result) => {
      if (result.code === ExportResultCode.SUCCESS) resolve();
      else reject(result.error ?? new Error("the export failed"));
    });
  });
}

interface Opened {
  db: Kysely<Database>;
  caps: DialectCapabilities;
}

async function withArgus(fn: (argus: ArgusProcess, open: () => Opened) => Promise<void>) {
  const cwd = await Deno.makeTempDir({ prefix: "argus-sdk-metrics-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "20ms" }, cwd);
  let opened: Opened | undefined;
  try {
    await fn(argus, () => {
      // Argus's own SQLite file, read beside it (WAL) through the store's metric reads.
      const open = openDatabase(
        databaseConfig("sqlite", `${cwd}/data/argus.db`),
        cwd,
        () => {},
      );
      opened = { db: open.db, caps: open.capabilities };
      return opened;
    });
  } finally {
    await opened?.db.destroy();
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
}

/**
 * Asserts that the database holds exactly `expected` (the decoder's rows): each instrument, each
 * series and each point field by field, and no other point of their series.
 */
async function assertStored({ db, caps }: Opened, expected: readonly MetricPointRow[]) {
  const instruments = new Map(expected.map((p) => [p.instrumentKey, p.instrument]));
  const seriesKeys = new Set<string>();
  for (const [key, instrument] of instruments) {
    const stored = await metricInstrument(db, key);
    assert.ok(stored, `instrument ${instrument.name} is stored`);
    const { firstSeenUnixNano: _f, lastSeenUnixNano: _l, resource, ...fields } = stored;
    assert.deepEqual(fields, instrument, `instrument ${instrument.name}`);
    assert.equal(resource?.id, instrument.resourceId, `the resource of ${instrument.name}`);
    const series = await listMetricSeries(db, caps, key, { limit: 1000 });
    for (const s of series) seriesKeys.add(s.seriesKey);
    const wanted = expected.filter((p) => p.instrumentKey === key);
    for (const point of wanted) {
      const s = series.find((s) => s.seriesKey === point.seriesKey);
      assert.ok(s, `a series of ${instrument.name} is stored`);
      assert.equal(s.attributes, point.attributes);
      assert.equal(s.droppedAttributesCount, point.droppedAttributesCount);
    }
  }
  const stored = (await metricPoints(db, caps, [...seriesKeys], ALL)).flatMap((s) => s.points);
  assert.equal(stored.length, expected.length, "each point stored once");
  for (const point of expected) {
    const found = stored.find((s) =>
      s.seriesKey === point.seriesKey && s.timeUnixNano === point.timeUnixNano &&
      s.startTimeUnixNano === point.startTimeUnixNano
    );
    assert.ok(found, `a point of ${point.instrument.name} is stored`);
    assert.equal(found.flags, point.flags);
    assert.deepEqual(found.value, point.value, `the value of a ${point.instrument.name} point`);
  }
  const exemplars = await metricExemplars(db, caps, [...seriesKeys], ALL, 10_000);
  assert.equal(exemplars.length, expected.reduce((n, p) => n + p.exemplars.length, 0));
  for (const point of expected) {
    const mine = exemplars.filter((e) =>
      e.seriesKey === point.seriesKey && e.pointTimeUnixNano === point.timeUnixNano &&
      e.pointStartUnixNano === point.startTimeUnixNano
    ).map(({ seriesKey: _s, pointTimeUnixNano: _t, pointStartUnixNano: _p, ...e }) => e);
    assert.deepEqual(mine, point.exemplars, `the exemplars of a ${point.instrument.name} point`);
  }
}

/** Points in the database (all committed before their request was answered). */
async function storedCount({ db }: Opened): Promise<number> {
  const row = await db.selectFrom("metric_points").select((eb) => eb.fn.countAll().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

for (const transport of SDK_TRANSPORTS) {
  Deno.test(`${transport.name}: the OpenTelemetry JS SDK's metrics are stored point for point, once`, async () => {
    await withArgus(async (argus, open) => {
      const cumulative = await sdkMetrics("cumulative", 2);
      const delta = await sdkMetrics("delta", 2);
      const exporter = transport.metricExporter(argus);
      try {
        await exportOnce(exporter, cumulative);
        await exportOnce(exporter, delta);
        // A retry of both: acknowledged again, stored nothing twice.
        await exportOnce(exporter, cumulative);
        await exportOnce(exporter, delta);
      } finally {
        await exporter.shutdown();
      }
      // A point's key is its series, start and time: the two providers' gauges are one series
      // (a gauge has no temporality), and two collections in one millisecond give their points
      // one key, stored once, as the first export wrote it.
      const expected = [
        ...new Map(
          [cumulative, delta].flatMap((rm) => decodeMetrics(metricsProtobuf(rm)).points).reverse()
            .map((p) => [p.pointKey, p]),
        ).values(),
      ].reverse();
      const types = new Set(
        expected.map((p) => `${p.instrument.type}/${p.instrument.temporality}`),
      );
      assert.deepEqual([...types].sort(), [
        "exponential_histogram/cumulative",
        "exponential_histogram/delta",
        "gauge/none",
        "histogram/cumulative",
        "histogram/delta",
        "sum/cumulative",
        "sum/delta",
      ]);
      const opened = open();
      assert.equal(await storedCount(opened), expected.length);
      await assertStored(opened, expected);

      // The SDK's own figures, independent of the decoder: the card/ok orders of two rounds.
      const orders = expected.find((p) =>
        p.instrument.name === "orders.placed" && p.instrument.temporality === "cumulative" &&
        p.attributes.includes('"payment.method"') && p.attributes.includes('"ok"')
      );
      assert.ok(orders);
      assert.equal(orders.instrument.serviceName, METRICS_SERVICE);
      assert.deepEqual(orders.value, { kind: "int", value: (3n + 2n) + (4n + 2n) });
    });
  });
}

/** What the SDK never sends, plus two bad points among good ones. */
function handRequest(): unknown {
  const probe = (name: string) => stringAttrs({ probe: name });
  return oneScope([
    gaugeMetric("temperature", [
      doublePoint(T1, NaN, { attributes: probe("nan") }),
      doublePoint(T1, -Infinity, { attributes: probe("cold") }),
      intPoint(T1, INT64_MIN, {
        attributes: probe("min"),
        exemplars: [exemplar({ asInt: INT64_MAX }), exemplar({ asDouble: 2.5 })],
      }),
      noValuePoint(T2, { attributes: probe("min") }),
    ], { unit: "Cel" }),
    sumMetric("requests", [
      doublePoint(T1, 3, { start: T0 }),
      // Bad: a sum must be finite.
      doublePoint(T2, NaN, { start: T0 }),
    ], { temporality: "cumulative", monotonic: true }),
    histogramMetric("latency", [
      handHistogramPoint(),
      // Bad: bounds must increase.
      histogramPoint(T2, {
        start: T0,
        count: 2,
        explicitBounds: [5, 1],
        bucketCounts: [1, 1, 0],
      }),
    ], { temporality: "delta" }),
    exponentialHistogramMetric("sizes", [handExponentialPoint()], { temporality: "cumulative" }),
    summaryMetric("rpc.duration", [handSummaryPoint()]),
  ]);
}

for (const format of ["protobuf", "json"] as const) {
  Deno.test(`OTLP/HTTP ${format}: bad metric points are refused one by one with reasons, their neighbours stored once`, async () => {
    await withArgus(async (argus, open) => {
      const request = handRequest();
      const body = encodeAs(request, format);
      const decoded = decodeMetrics(request);
      assert.equal(decoded.rejected.length, 2);
      for (let attempt = 0; attempt < 2; attempt++) {
        const response = await postMetrics(argus.otlpHttpUrl, body, format);
        assert.equal(response.status, 200);
        if (format === "json") {
          const answer = await response.json();
          assert.equal(answer.partialSuccess.rejectedDataPoints, "2");
          assert.match(answer.partialSuccess.errorMessage, /^2 data points rejected: /);
          assert.match(answer.partialSuccess.errorMessage, /must be finite/);
          assert.match(
            answer.partialSuccess.errorMessage,
            /explicit_bounds must be finite and strictly increasing/,
          );
        } else {
          const answer = new Uint8Array(await response.arrayBuffer());
          // ExportMetricsServiceResponse.partial_success { rejected_data_points: 2, error_message }
          assert.deepEqual([...answer.subarray(0, 1)], [0x0a]);
          assert.ok(new TextDecoder().decode(answer).includes("2 data points rejected: "));
          assert.ok(answer.includes(0x08) && answer[answer.indexOf(0x08) + 1] === 2);
        }
      }
      const opened = open();
      assert.equal(await storedCount(opened), decoded.points.length);
      await assertStored(opened, decoded.points);

      // Self-monitoring counts the signal: points accepted (both sends), and those refused.
      const families = parsePrometheusText(await (await fetch(`${argus.baseUrl}/metrics`)).text());
      const signal = { signal: "metric_points" };
      assert.equal(
        sampleValue(families, "argus_ingestion_rate", signal),
        2 * decoded.points.length,
      );
      const refused = families.get("argus_rejected_items_total")?.samples
        .filter((s) => s.labels.signal === "metric_points")
        .reduce((n, s) => n + s.value, 0);
      assert.equal(refused, 4);
      assert.equal(
        sampleValue(families, "argus_otlp_requests_total", {
          transport: "http",
          signal: "metrics",
          outcome: "partial_success",
        }),
        2,
      );
    });
  });
}
