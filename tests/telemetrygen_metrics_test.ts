/**
 * Metrics from a second real client, with exemplars: telemetrygen (the OpenTelemetry Collector's
 * load generator, built on the Go SDK's metric data model and OTLP exporters) sends gauges, sums
 * (cumulative and delta), explicit-bounds histograms and exponential histograms over OTLP/gRPC
 * (through the gateway) and OTLP/HTTP to a real Argus, every point carrying an exemplar of a
 * trace (`--trace-id`, `--span-id`): the JS SDK sends no exemplars (its 2.x aggregators keep
 * none), so this is the real exporter that does. Each point is read back from the database and
 * compared with what telemetrygen's source says it sends (pkg/metrics/worker.go: the i-th point's
 * value is i; histograms cycle through ten fixed samples), and each exemplar through
 * `/api/instruments/{key}/exemplars`; the charts' sums and gauges through `/chart`.
 *
 * telemetrygen comes from bench/_peers_tools.ts (built once with `go install` into bench/.cache,
 * about a minute; Go is installed on this kind of machine for the peer tools).
 */
import assert from "node:assert/strict";
import { openDatabase } from "../store/dialects/mod.ts";
import { listMetricSeries, metricPoints } from "../store/metric_reads.ts";
import type { WireExemplars, WireInstrumentChart, WireInstrumentList } from "../utils/wire.ts";
import { telemetrygen } from "../bench/_peers_tools.ts";
import { startArgus } from "./argus_process.ts";
import { databaseConfig } from "./databases.ts";

const POINTS = 4;
const TRACE_ID = "5b8efff798038103d269b633813fc60c";
const SPAN_ID = "eee19b7ec3c1b174";
/** telemetrygen's histogram samples (pkg/metrics/worker.go `histogramBucketSamples`), in order. */
const HISTOGRAM_SAMPLES: { counts: number[]; sum: number }[] = [
  { counts: [0, 0, 1, 0, 0, 0, 3, 4, 1, 1, 0, 0, 0, 0, 0, 0], sum: 3940 },
  { counts: [0, 0, 0, 0, 0, 0, 2, 4, 4, 0, 0, 0, 0, 0, 0, 0], sum: 4455 },
  { counts: [0, 0, 0, 0, 0, 0, 1, 4, 3, 2, 0, 0, 0, 0, 0, 0], sum: 5337 },
  { counts: [0, 0, 1, 0, 1, 0, 2, 2, 1, 3, 0, 0, 0, 0, 0, 0], sum: 4477 },
];
const BOUNDS = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

interface Case {
  name: string;
  metricType: "Gauge" | "Sum" | "Histogram" | "ExponentialHistogram";
  temporality: "cumulative" | "delta";
}

const CASES: Case[] = [
  { name: "gauge", metricType: "Gauge", temporality: "cumulative" },
  { name: "sum_cumulative", metricType: "Sum", temporality: "cumulative" },
  { name: "sum_delta", metricType: "Sum", temporality: "delta" },
  { name: "histogram", metricType: "Histogram", temporality: "cumulative" },
  { name: "exponential", metricType: "ExponentialHistogram", temporality: "delta" },
];

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  const text = await response.text();
  assert.equal(response.status, 200, `${url}: ${text}`);
  return JSON.parse(text) as T;
}

Deno.test("telemetrygen's metrics over OTLP/gRPC and OTLP/HTTP: every kind stored point by point, exemplars with their trace", async () => {
  // deno-lint-ignore no-console -- says that telemetrygen is being built (about a minute, once)
  const tool = await telemetrygen(false, (line) => console.log(line));
  assert.ok(tool.path, `telemetrygen is needed for this test: ${tool.how}`);
  const cwd = await Deno.makeTempDir({ prefix: "argus-telemetrygen-metrics-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "20ms" }, cwd);
  const open = openDatabase(databaseConfig("sqlite", `${cwd}/data/argus.db`), cwd, () => {});
  try {
    const otlpHttp = new URL(argus.otlpHttpUrl).host;
    for (const transport of ["grpc", "http"] as const) {
      for (const c of CASES) {
        const output = await new Deno.Command(tool.path!, {
          args: [
            "metrics",
            "--otlp-insecure",
            `--otlp-endpoint=${transport === "grpc" ? argus.grpcAddress : otlpHttp}`,
            ...(transport === "http" ? ["--otlp-http"] : []),
            "--service=telemetrygen-metrics",
            `--otlp-metric-name=tg.${transport}.${c.name}`,
            `--metric-type=${c.metricType}`,
            `--aggregation-temporality=${c.temporality}`,
            `--metrics=${POINTS}`,
            "--rate=0",
            `--trace-id=${TRACE_ID}`,
            `--span-id=${SPAN_ID}`,
          ],
          stdout: "piped",
          stderr: "piped",
        }).output();
        const log = new TextDecoder().decode(output.stderr);
        assert.equal(output.code, 0, `telemetrygen ${transport} ${c.name}: ${log}`);
      }
    }

    const list = await getJson<WireInstrumentList>(
      `${argus.baseUrl}/api/instruments?range=1h&service=telemetrygen-metrics`,
    );
    assert.equal(
      list.instruments.length,
      CASES.length * 2,
      "one instrument per case and transport",
    );

    for (const transport of ["grpc", "http"] as const) {
      for (const c of CASES) {
        const name = `tg.${transport}.${c.name}`;
        const instrument = list.instruments.find((i) => i.name === name);
        assert.ok(instrument, `${name} is listed`);
        const type = {
          Gauge: "gauge",
          Sum: "sum",
          Histogram: "histogram",
          ExponentialHistogram: "exponential_histogram",
        }[c.metricType];
        assert.equal(instrument.type, type, name);
        assert.equal(instrument.temporality, c.metricType === "Gauge" ? "none" : c.temporality);
        assert.equal(instrument.monotonic, c.metricType === "Sum", name);
        assert.equal(instrument.series_count, 1, name);

        // Every point, field by field, from the database.
        const [series] = await listMetricSeries(open.db, open.capabilities, instrument.key, {
          limit: 10,
        });
        assert.ok(series, `${name} has a series`);
        const [read] = await metricPoints(open.db, open.capabilities, [series.seriesKey], {
          fromNs: 0n,
          toNs: 1n << 62n,
        });
        const points = read!.points;
        assert.equal(points.length, POINTS, `${name}: each point stored once`);
        points.forEach((point, i) => {
          const what = `${name} point ${i}`;
          assert.equal(point.flags, 0, what);
          if (c.metricType === "Gauge") {
            assert.deepEqual(point.value, { kind: "int", value: BigInt(i) }, what);
            assert.equal(point.startTimeUnixNano, 0n, what);
          } else if (c.metricType === "Sum") {
            assert.deepEqual(point.value, { kind: "int", value: BigInt(i) }, what);
            if (c.temporality === "delta") {
              // telemetrygen's delta points start a second before their time.
              assert.equal(point.timeUnixNano - point.startTimeUnixNano, 1_000_000_000n, what);
            } else {
              assert.equal(point.startTimeUnixNano, points[0]!.startTimeUnixNano, what);
            }
          } else if (c.metricType === "Histogram") {
            const sample = HISTOGRAM_SAMPLES[i]!;
            assert.equal(point.value.kind, "histogram", what);
            if (point.value.kind !== "histogram") return;
            assert.deepEqual(point.value.explicitBounds, BOUNDS, what);
            assert.deepEqual(point.value.bucketCounts, sample.counts, what);
            assert.equal(point.value.count, sample.counts.reduce((a, b) => a + b, 0), what);
            assert.equal(point.value.sum, sample.sum, what);
          } else {
            assert.equal(point.value.kind, "exponential_histogram", what);
            if (point.value.kind !== "exponential_histogram") return;
            const counted = point.value.zeroCount +
              point.value.positiveBucketCounts.reduce((a, b) => a + b, 0) +
              point.value.negativeBucketCounts.reduce((a, b) => a + b, 0);
            // telemetrygen records 10 to 29 values from 0 to 999 per point.
            assert.ok(point.value.count >= 10 && point.value.count < 30, what);
            assert.equal(counted, point.value.count, `${what}: its buckets hold its count`);
            // It sets the sum (truncated to an integer), not min and max.
            assert.ok(Number.isInteger(point.value.sum) && point.value.sum! >= 0, what);
            assert.equal(point.value.min, null, what);
            assert.equal(point.value.max, null, what);
            assert.equal(point.value.negativeBucketCounts.length, 0, `${what}: no negative value`);
          }
          if (i > 0) assert.ok(point.timeUnixNano > points[i - 1]!.timeUnixNano, what);
        });

        // Every point's exemplar, through the API.
        const exemplars = await getJson<WireExemplars>(
          `${argus.baseUrl}/api/instruments/${instrument.key}/exemplars?range=1h`,
        );
        assert.equal(exemplars.exemplars.length, POINTS, `${name}: one exemplar per point`);
        for (const exemplar of exemplars.exemplars) {
          assert.equal(exemplar.trace_id, TRACE_ID, name);
          assert.equal(exemplar.span_id, SPAN_ID, name);
          assert.equal(exemplar.value, 1, name);
        }

        // The chart's totals over the hour.
        const chart = await getJson<WireInstrumentChart>(
          `${argus.baseUrl}/api/instruments/${instrument.key}/chart?range=1h&step=1h`,
        );
        const total = (values: (number | null)[] | undefined) =>
          (values ?? []).reduce<number>((a, b) => a + (b ?? 0), 0);
        const group = chart.groups[0]!;
        if (c.metricType === "Gauge") {
          assert.equal(total(group.stats.max), POINTS - 1, `${name}: the gauge's greatest value`);
          assert.equal(total(group.stats.min), 0, `${name}: the gauge's least value`);
        } else if (c.metricType === "Sum") {
          // Cumulative 0, 1, 2, 3 from one start: increases 1 + 1 + 1 (the first point counts
          // from zero, its value 0); delta points add up to 0 + 1 + 2 + 3.
          const expected = c.temporality === "delta" ? 6 : POINTS - 1;
          assert.equal(total(group.stats.increase), expected, `${name}: the increase`);
        }
      }
    }
  } finally {
    await open.db.destroy();
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
