/**
 * decodeMetricsRequest over real SDK payloads (every instrument kind, delta and cumulative, both
 * wire formats, compared field by field with what the SDK recorded), hand-made requests for what
 * the SDK never sends (exemplars, summaries, NaN, int64 extremes, gaps), one bad point of each
 * kind beside kept neighbours, and the keys' determinism.
 */
import assert from "node:assert/strict";
import type { AnyValue, KeyValue } from "../../lib/any_value_json.ts";
import { parseAttributesJson } from "../../lib/any_value_json.ts";
import { ValueType } from "@opentelemetry/api";
import { AggregationTemporality, DataPointType, type MetricData } from "@opentelemetry/sdk-metrics";
import { decodeRequest } from "./decode.ts";
import { decodeMetricsRequest } from "./metrics_decode.ts";
import type { MetricPointRow, MetricsDecoded } from "./metrics_types.ts";
import {
  bytes,
  encodeMetrics,
  METRICS_SERVICE,
  metricsJson,
  metricsProtobuf,
  oneScope,
  PAYMENT_BOUNDS,
  RECORDED,
  sdkMetrics,
  stringAttr,
  T0,
  T1,
  T2,
  toOtlpJson,
} from "./testdata/metrics_payloads.ts";
import { encodeReference } from "./testdata/reference.ts";
import { double, fixed64, len, message, varint } from "./testdata/wire.ts";
import { type DecodeLimits, DEFAULT_DECODE_LIMITS, OtlpDecodeError } from "./types.ts";

const NOW = 1_795_700_000_000_000_000n;

function decode(format: "protobuf" | "json", body: Uint8Array, limits = DEFAULT_DECODE_LIMITS) {
  return decodeMetricsRequest(format, body, limits, NOW);
}

/**
 * Rejections with the one message that depends on the format reduced to its field: an id is
 * "16 bytes" in protobuf, "32 hex characters" in JSON.
 */
function sameInBothFormats(decoded: MetricsDecoded): MetricsDecoded {
  return {
    ...decoded,
    rejected: decoded.rejected.map(({ index, reason }) => ({
      index,
      reason: reason.replace(/(trace_id|span_id) must be [^;]*/g, "$1 must be …"),
    })),
  };
}

/**
 * Decodes a hand-made request in both formats, asserts identical rows and reasons, returns the
 * protobuf one.
 */
function decodeBoth(request: unknown, limits = DEFAULT_DECODE_LIMITS): MetricsDecoded {
  const fromProtobuf = decode("protobuf", encodeMetrics(request), limits);
  const fromJson = decode("json", toOtlpJson(request), limits);
  assert.deepEqual(sameInBothFormats(fromJson), sameInBothFormats(fromProtobuf));
  return fromProtobuf;
}

function nanos([seconds, nanos]: [number, number]): bigint {
  return BigInt(seconds) * 1_000_000_000n + BigInt(nanos);
}

/** An SDK attribute value as the AnyValue the decoder stores. */
function anyValueOf(value: unknown): AnyValue {
  if (typeof value === "string") return { type: "string", value };
  if (typeof value === "boolean") return { type: "bool", value };
  if (typeof value === "number") {
    return Number.isInteger(value)
      ? { type: "int", value: BigInt(value) }
      : { type: "double", value };
  }
  if (Array.isArray(value)) return { type: "array", value: value.map(anyValueOf) };
  throw new TypeError(`unexpected attribute value ${String(value)}`);
}

function sortedAttributes(attributes: Record<string, unknown>): KeyValue[] {
  return Object.keys(attributes).sort().map((key) => ({
    key,
    value: anyValueOf(attributes[key]),
  }));
}

const TYPE_OF: Record<DataPointType, string> = {
  [DataPointType.SUM]: "sum",
  [DataPointType.GAUGE]: "gauge",
  [DataPointType.HISTOGRAM]: "histogram",
  [DataPointType.EXPONENTIAL_HISTOGRAM]: "exponential_histogram",
};

/** Asserts that every point the SDK collected is a row with every field as recorded. */
function assertMatchesSdk(decoded: MetricsDecoded, metrics: MetricData[], temporality: string) {
  let expectedPoints = 0;
  for (const metric of metrics) {
    const name = metric.descriptor.name;
    const recorded = RECORDED[name as keyof typeof RECORDED];
    assert.ok(recorded, `the SDK collected an unexpected metric ${name}`);
    const rows = decoded.points.filter((p) => p.instrument.name === name);
    assert.equal(rows.length, metric.dataPoints.length, `points of ${name}`);
    expectedPoints += rows.length;
    for (const point of metric.dataPoints) {
      const attributes = sortedAttributes(point.attributes);
      const row = rows.find((r) =>
        JSON.stringify(parseAttributesJson(r.attributes), bigints) ===
          JSON.stringify(attributes, bigints)
      );
      assert.ok(row, `${name} has a row for ${JSON.stringify(point.attributes)}`);
      const instrument = row.instrument;
      assert.equal(instrument.type, TYPE_OF[metric.dataPointType]);
      assert.equal(instrument.type, recorded.type);
      assert.equal(instrument.unit, metric.descriptor.unit);
      assert.equal(instrument.description, metric.descriptor.description);
      assert.equal(instrument.serviceName, METRICS_SERVICE);
      assert.equal(instrument.scopeName, "@argus/checkout");
      assert.equal(instrument.scopeVersion, "1.2.3");
      assert.equal(instrument.temporality, instrument.type === "gauge" ? "none" : temporality);
      assert.equal(
        instrument.monotonic,
        metric.dataPointType === DataPointType.SUM && metric.isMonotonic,
      );
      assert.equal(row.startTimeUnixNano, nanos(point.startTime));
      assert.equal(row.timeUnixNano, nanos(point.endTime));
      assert.equal(row.flags, 0);
      assert.equal(row.droppedAttributesCount, 0);
      assert.deepEqual(row.exemplars, []);
      switch (metric.dataPointType) {
        case DataPointType.SUM:
        case DataPointType.GAUGE: {
          const value = point.value as number;
          assert.deepEqual(
            row.value,
            metric.descriptor.valueType === ValueType.INT
              ? { kind: "int", value: BigInt(value) }
              : { kind: "double", value },
            `${name} ${JSON.stringify(point.attributes)}`,
          );
          break;
        }
        case DataPointType.HISTOGRAM: {
          const h = metric.dataPoints.find((p) => p === point)!.value as {
            buckets: { boundaries: number[]; counts: number[] };
            count: number;
            sum?: number;
            min?: number;
            max?: number;
          };
          assert.deepEqual(row.value, {
            kind: "histogram",
            count: h.count,
            sum: h.sum ?? null,
            min: h.min ?? null,
            max: h.max ?? null,
            explicitBounds: h.buckets.boundaries,
            bucketCounts: h.buckets.counts,
          });
          assert.deepEqual(h.buckets.boundaries, PAYMENT_BOUNDS);
          break;
        }
        case DataPointType.EXPONENTIAL_HISTOGRAM: {
          const h = point.value as {
            count: number;
            sum?: number;
            min?: number;
            max?: number;
            scale: number;
            zeroCount: number;
            positive: { offset: number; bucketCounts: number[] };
            negative: { offset: number; bucketCounts: number[] };
          };
          assert.deepEqual(row.value, {
            kind: "exponential_histogram",
            count: h.count,
            sum: h.sum ?? null,
            min: h.min ?? null,
            max: h.max ?? null,
            scale: h.scale,
            zeroCount: h.zeroCount,
            zeroThreshold: 0,
            positiveOffset: h.positive.offset,
            positiveBucketCounts: h.positive.bucketCounts,
            negativeOffset: h.negative.offset,
            negativeBucketCounts: h.negative.bucketCounts,
          });
          break;
        }
      }
    }
  }
  assert.equal(decoded.points.length, expectedPoints);
  assert.equal(decoded.items, expectedPoints);
}

function bigints(_key: string, value: unknown) {
  return typeof value === "bigint" ? `${value}n` : value;
}

for (const temporality of ["cumulative", "delta"] as const) {
  Deno.test(`decodeMetricsRequest() keeps every field of every SDK point (${temporality}, two collections)`, async () => {
    const resourceMetrics = await sdkMetrics(temporality, 2);
    const metrics = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    // Every instrument kind reached the request.
    assert.deepEqual(
      metrics.map((m) => m.descriptor.name).sort(),
      Object.keys(RECORDED).sort(),
    );
    assert.ok(
      metrics.every((m) =>
        m.aggregationTemporality ===
          (temporality === "delta"
            ? AggregationTemporality.DELTA
            : AggregationTemporality.CUMULATIVE) || m.dataPointType === DataPointType.GAUGE
      ),
    );
    const fromProtobuf = decode("protobuf", metricsProtobuf(resourceMetrics));
    assert.deepEqual(fromProtobuf.rejected, []);
    assertMatchesSdk(fromProtobuf, metrics, temporality);
    assert.equal(fromProtobuf.resources.length, 1);
    assert.equal(fromProtobuf.instruments.length, Object.keys(RECORDED).length);
    // The same request in OTLP/JSON gives identical rows.
    assert.deepEqual(decode("json", metricsJson(resourceMetrics)), fromProtobuf);
  });
}

Deno.test("decodeMetricsRequest() gives a resource the id and row traces and logs give it, entity refs and a NUL included", () => {
  const resource = {
    // A NUL: stored escaped, the id computed from the text as sent.
    attributes: [stringAttr("service.name", "sha\u0000red"), stringAttr("host.name", "h1")],
    entityRefs: [
      { type: "service", idKeys: ["service.name"], descriptionKeys: ["host.name"] },
      { type: "host", idKeys: ["host.name"], schemaUrl: "https://opentelemetry.io/schemas/1.37.0" },
    ],
  };
  const metrics = decodeBoth({
    resourceMetrics: [{
      resource,
      scopeMetrics: [{
        metrics: [{ name: "g", gauge: { dataPoints: [{ timeUnixNano: T1, asInt: 1 }] } }],
      }],
    }],
  });
  const traces = decodeRequest(
    "traces",
    "protobuf",
    encodeReference("traces", {
      resourceSpans: [{
        resource,
        scopeSpans: [{
          spans: [{
            traceId: bytes("0102030405060708090a0b0c0d0e0f10"),
            spanId: bytes("0102030405060708"),
            name: "s",
            startTimeUnixNano: T0,
            endTimeUnixNano: T1,
          }],
        }],
      }],
    }),
    DEFAULT_DECODE_LIMITS,
    NOW,
  );
  assert.deepEqual(metrics.resources, traces.batch.resources);
  const [row] = metrics.resources;
  assert.equal(row!.serviceName, "sha\uE0000red");
  assert.equal(metrics.instruments[0]!.serviceName, "sha\uE0000red");
  assert.deepEqual(JSON.parse(row!.entityRefs), [
    { type: "service", id_keys: ["service.name"], description_keys: ["host.name"], schema_url: "" },
    {
      type: "host",
      id_keys: ["host.name"],
      description_keys: [],
      schema_url: "https://opentelemetry.io/schemas/1.37.0",
    },
  ]);
});

/** A request of one gauge point whose scope and metric carry `scope` and `metric` over the defaults. */
function scopedGauge(scope: Record<string, unknown>, metric: Record<string, unknown> = {}) {
  const request = oneScope([{
    name: "g",
    unit: "1",
    gauge: { dataPoints: [{ timeUnixNano: T1, asInt: 1 }] },
    ...metric,
  }]);
  Object.assign(request.resourceMetrics[0]!.scopeMetrics[0]!, scope);
  return request;
}

Deno.test("decodeMetricsRequest() keeps the scope's schema URL and dropped count, which do not change the instrument's key", () => {
  const scope = {
    name: "meter",
    version: "1.0",
    attributes: [stringAttr("a", "1"), stringAttr("b", "2"), stringAttr("c", "3")],
    droppedAttributesCount: 2,
  };
  const limits = { ...DEFAULT_DECODE_LIMITS, maxAttributes: 2 };
  const [instrument] = decodeBoth(
    scopedGauge({ scope, schemaUrl: "https://opentelemetry.io/schemas/1.37.0" }),
    limits,
  ).instruments;
  assert.equal(instrument!.scopeSchemaUrl, "https://opentelemetry.io/schemas/1.37.0");
  // As sent plus the attribute over the limit.
  assert.equal(instrument!.scopeDroppedAttributesCount, 3);
  assert.deepEqual(parseAttributesJson(instrument!.scopeAttributes).map((kv) => kv.key), [
    "a",
    "b",
  ]);
  const [plain] =
    decodeBoth(scopedGauge({ scope: { ...scope, droppedAttributesCount: 0 } }), limits)
      .instruments;
  assert.deepEqual([plain!.scopeSchemaUrl, plain!.scopeDroppedAttributesCount], ["", 1]);
  assert.equal(plain!.key, instrument!.key);
});

Deno.test("decodeMetricsRequest() keeps a NUL in a metric's and its scope's texts, escaped, its keys computed from the text as sent", () => {
  const nul = (text: string) => `${text} \u0000 nul \uE000 escape`;
  const escaped = (text: string) => `${text} \uE0000 nul \uE000\uE000 escape`;
  const texts = { name: nul("g"), description: nul("d"), unit: nul("u") };
  const scope = { scope: { name: nul("meter"), version: nul("1.0") }, schemaUrl: nul("s") };
  const decoded = decodeBoth(scopedGauge(scope, texts));
  assert.deepEqual(decoded.rejected, []);
  const [instrument] = decoded.instruments;
  assert.deepEqual(
    [
      instrument!.name,
      instrument!.description,
      instrument!.unit,
      instrument!.scopeName,
      instrument!.scopeVersion,
      instrument!.scopeSchemaUrl,
    ],
    [escaped("g"), escaped("d"), escaped("u"), escaped("meter"), escaped("1.0"), escaped("s")],
  );
  // The text as stored, sent as such, is another instrument and another series.
  const asStored = decodeBoth(scopedGauge(
    { scope: { name: escaped("meter"), version: escaped("1.0") }, schemaUrl: escaped("s") },
    { name: escaped("g"), description: escaped("d"), unit: escaped("u") },
  ));
  assert.notEqual(asStored.instruments[0]!.key, instrument!.key);
  assert.notEqual(asStored.points[0]!.seriesKey, decoded.points[0]!.seriesKey);
  // The key is the one of the text as sent: the same request decodes to the same key.
  assert.equal(decodeBoth(scopedGauge(scope, texts)).instruments[0]!.key, instrument!.key);
});

// ---------------------------------------------------------------------------------------------
// What the SDK never sends.

const TRACE = "5b8efff798038103d269b633813fc60c";
const SPAN = "eee19b7ec3c1b174";

function exemplarOf(value: Record<string, unknown>) {
  return {
    filteredAttributes: [stringAttr("user.id", "u-1")],
    timeUnixNano: T1,
    traceId: bytes(TRACE),
    spanId: bytes(SPAN),
    ...value,
  };
}

Deno.test("decodeMetricsRequest() reads exemplars, summaries, exponential buckets, gaps and extremes the same from both formats", () => {
  const decoded = decodeBoth(oneScope([
    {
      name: "temperature",
      unit: "Cel",
      gauge: {
        dataPoints: [
          { timeUnixNano: T1, asDouble: NaN, attributes: [stringAttr("probe", "nan")] },
          { timeUnixNano: T1, asDouble: -Infinity, attributes: [stringAttr("probe", "cold")] },
          {
            timeUnixNano: T1,
            asInt: "-9223372036854775808",
            attributes: [stringAttr("probe", "min")],
            exemplars: [exemplarOf({ asInt: "9223372036854775807" })],
          },
          { timeUnixNano: T2, flags: 1, attributes: [stringAttr("probe", "min")] },
        ],
      },
    },
    {
      name: "latency",
      histogram: {
        aggregationTemporality: 1,
        dataPoints: [{
          startTimeUnixNano: T0,
          timeUnixNano: T1,
          count: 6,
          sum: 12.5,
          min: 0.5,
          max: 7,
          explicitBounds: [1, 5],
          bucketCounts: [2, 3, 1],
          exemplars: [exemplarOf({ asDouble: 7 }), {
            timeUnixNano: T1,
            asDouble: 0.5,
            traceId: new Uint8Array(16),
            spanId: new Uint8Array(8),
          }],
        }, {
          // No buckets at all is allowed (only count and sum).
          startTimeUnixNano: T0,
          timeUnixNano: T1,
          count: 4,
          sum: 2,
          attributes: [stringAttr("bucketless", "yes")],
        }],
      },
    },
    {
      name: "sizes",
      exponentialHistogram: {
        aggregationTemporality: 2,
        dataPoints: [{
          startTimeUnixNano: T0,
          timeUnixNano: T1,
          count: 9,
          sum: -3.5,
          scale: -3,
          zeroCount: 2,
          zeroThreshold: 0.001,
          positive: { offset: -2, bucketCounts: [1, 0, 3] },
          negative: { offset: 1, bucketCounts: [2, 1] },
          min: -40,
          max: 12,
        }],
      },
    },
    {
      name: "rpc.duration",
      summary: {
        dataPoints: [{
          startTimeUnixNano: T0,
          timeUnixNano: T1,
          count: 3,
          sum: 0.75,
          quantileValues: [{ quantile: 0, value: 0.1 }, { quantile: 0.5, value: 0.25 }, {
            quantile: 1,
            value: NaN,
          }],
        }],
      },
    },
  ]));
  assert.deepEqual(decoded.rejected, []);
  assert.equal(decoded.items, 8);
  const byProbe = (probe: string, time = BigInt(T1)) =>
    decoded.points.find((p) => p.attributes === `{"probe":"${probe}"}` && p.timeUnixNano === time)!;
  assert.ok(Number.isNaN((byProbe("nan").value as { value: number }).value));
  assert.deepEqual(byProbe("cold").value, { kind: "double", value: -Infinity });
  const min = byProbe("min");
  assert.deepEqual(min.value, { kind: "int", value: -(2n ** 63n) });
  assert.deepEqual(min.exemplars, [{
    timeUnixNano: BigInt(T1),
    value: 2n ** 63n - 1n,
    traceId: TRACE,
    spanId: SPAN,
    filteredAttributes: '{"user.id":"u-1"}',
    droppedAttributesCount: 0,
  }]);
  const gap = byProbe("min", BigInt(T2));
  assert.deepEqual(gap.value, { kind: "none" });
  assert.equal(gap.flags, 1);
  assert.equal(gap.seriesKey, min.seriesKey);
  assert.notEqual(gap.pointKey, min.pointKey);

  const [latency, bucketless] = decoded.points.filter((p) => p.instrument.name === "latency");
  assert.equal(latency!.instrument.temporality, "delta");
  assert.deepEqual(latency!.value, {
    kind: "histogram",
    count: 6,
    sum: 12.5,
    min: 0.5,
    max: 7,
    explicitBounds: [1, 5],
    bucketCounts: [2, 3, 1],
  });
  // All-zero ids are the invalid id: none.
  assert.deepEqual(
    latency!.exemplars.map((e) => [e.value, e.traceId, e.spanId]),
    [[7, TRACE, SPAN], [0.5, "", ""]],
  );
  assert.deepEqual(bucketless!.value, {
    kind: "histogram",
    count: 4,
    sum: 2,
    min: null,
    max: null,
    explicitBounds: [],
    bucketCounts: [],
  });
  const sizes = decoded.points.find((p) => p.instrument.name === "sizes")!;
  assert.equal(sizes.instrument.type, "exponential_histogram");
  assert.equal(sizes.instrument.temporality, "cumulative");
  assert.deepEqual(sizes.value, {
    kind: "exponential_histogram",
    count: 9,
    sum: -3.5,
    min: -40,
    max: 12,
    scale: -3,
    zeroCount: 2,
    zeroThreshold: 0.001,
    positiveOffset: -2,
    positiveBucketCounts: [1, 0, 3],
    negativeOffset: 1,
    negativeBucketCounts: [2, 1],
  });
  const summary = decoded.points.find((p) => p.instrument.name === "rpc.duration")!;
  assert.equal(summary.instrument.temporality, "none");
  assert.equal(summary.value.kind, "summary");
  if (summary.value.kind === "summary") {
    assert.equal(summary.value.count, 3);
    assert.equal(summary.value.sum, 0.75);
    assert.deepEqual(summary.value.quantiles.slice(0, 2), [
      { quantile: 0, value: 0.1 },
      { quantile: 0.5, value: 0.25 },
    ]);
    assert.ok(Number.isNaN(summary.value.quantiles[2]!.value));
  }
});

// ---------------------------------------------------------------------------------------------
// Bad points, one by one, beside good neighbours.

const GOOD = { startTimeUnixNano: T0, timeUnixNano: T1 };

/** A gauge point that is fine, told apart by its attribute. */
function good(n: number) {
  return { ...GOOD, asDouble: n, attributes: [stringAttr("n", String(n))] };
}

Deno.test("decodeMetricsRequest() refuses each bad point with a reason naming the field and keeps its neighbours", () => {
  const histogram = (point: Record<string, unknown>, n: number) => ({
    ...GOOD,
    count: 3,
    explicitBounds: [1, 2],
    bucketCounts: [1, 1, 1],
    attributes: [stringAttr("n", String(n))],
    ...point,
  });
  const exponential = (point: Record<string, unknown>, n: number) => ({
    ...GOOD,
    count: 1,
    scale: 0,
    positive: { offset: 0, bucketCounts: [1] },
    attributes: [stringAttr("n", String(n))],
    ...point,
  });
  const request = oneScope([
    {
      name: "g",
      gauge: {
        dataPoints: [
          good(0),
          { ...good(1), timeUnixNano: 0 },
          good(2),
          { ...good(3), startTimeUnixNano: T2 },
          { ...good(4), asDouble: undefined },
          { ...good(5), exemplars: [exemplarOf({ asDouble: 1, traceId: bytes("0102") })] },
          { ...good(6), exemplars: [exemplarOf({ asDouble: 1, spanId: bytes("01020304") })] },
          { ...good(7), exemplars: [exemplarOf({ asDouble: undefined })] },
          good(8),
        ],
      },
    },
    {
      name: "c",
      sum: {
        aggregationTemporality: 2,
        isMonotonic: true,
        dataPoints: [{ ...good(0), asDouble: NaN }, good(1), { ...good(2), asDouble: Infinity }],
      },
    },
    {
      name: "h",
      histogram: {
        aggregationTemporality: 2,
        dataPoints: [
          histogram({}, 0),
          histogram({ bucketCounts: [1, 2] }, 1),
          histogram({ explicitBounds: [2, 1] }, 2),
          histogram({ explicitBounds: [1, 1] }, 3),
          histogram({ count: 4 }, 4),
          histogram({ min: 5, max: 1 }, 5),
          histogram({ explicitBounds: [1, NaN] }, 6),
          histogram({}, 7),
        ],
      },
    },
    {
      name: "e",
      exponentialHistogram: {
        aggregationTemporality: 1,
        dataPoints: [
          exponential({ scale: 21 }, 0),
          exponential({ scale: -11 }, 1),
          exponential({ scale: 20 }, 2),
          exponential({ count: 2 }, 3),
          exponential({ zeroThreshold: -1 }, 4),
          exponential({ scale: -10 }, 5),
        ],
      },
    },
    {
      name: "s",
      summary: {
        dataPoints: [
          { ...GOOD, count: 1, sum: 1, quantileValues: [{ quantile: 1.5, value: 1 }] },
          { ...GOOD, count: 1, sum: 1, quantileValues: [{ quantile: 0.5, value: -1 }] },
          { ...GOOD, count: 1, sum: 1, attributes: [stringAttr("ok", "yes")] },
        ],
      },
    },
    { name: "", gauge: { dataPoints: [good(0), good(1)] } },
    { name: "nodata", unit: "1" },
    { name: "unspecified", sum: { dataPoints: [good(0)] } },
  ]);
  const decoded = decodeBoth(request);
  const at = (metric: number, member: string, point: number) =>
    `resourceMetrics[0].scopeMetrics[0].metrics[${metric}].${member}.dataPoints[${point}]: `;
  const expected: [string, RegExp][] = [
    [at(0, "gauge", 1), /^time_unix_nano must be a Unix time in nanoseconds above 0: got 0$/],
    [
      at(0, "gauge", 3),
      /^start_time_unix_nano must be 0 or at most time_unix_nano \(1795687210000000000\): got 1795687220000000000$/,
    ],
    [
      at(0, "gauge", 4),
      /^value must be set as as_int or as_double, or flags must have NO_RECORDED_VALUE \(1\): got neither$/,
    ],
    [at(0, "gauge", 5), /^exemplars\[0\]: trace_id must be (16 bytes|32 hex characters) or empty/],
    [at(0, "gauge", 6), /^exemplars\[0\]: span_id must be (8 bytes|16 hex characters) or empty/],
    [at(0, "gauge", 7), /^exemplars\[0\]: value must be set as as_int or as_double$/],
    [at(1, "sum", 0), /^as_double of a sum must be finite .*accepted in gauges only\): got NaN$/],
    [at(1, "sum", 2), /^as_double of a sum must be finite .*: got Infinity$/],
    [
      at(2, "histogram", 1),
      /^bucket_counts must have one entry more than explicit_bounds \(3\), or both must be empty: got 2$/,
    ],
    [
      at(2, "histogram", 2),
      /^explicit_bounds must be finite and strictly increasing: got \[2, 1\]$/,
    ],
    [
      at(2, "histogram", 3),
      /^explicit_bounds must be finite and strictly increasing: got \[1, 1\]$/,
    ],
    [at(2, "histogram", 4), /^count must equal the sum of bucket_counts \(3\): got 4$/],
    [at(2, "histogram", 5), /^min must be at most max \(1\): got 5$/],
    [
      at(2, "histogram", 6),
      /^explicit_bounds must be finite and strictly increasing: got \[1, NaN\]$/,
    ],
    [at(3, "exponentialHistogram", 0), /^scale must be an integer from -10 to 20: got 21$/],
    [at(3, "exponentialHistogram", 1), /^scale must be an integer from -10 to 20: got -11$/],
    [
      at(3, "exponentialHistogram", 3),
      /^count must equal zero_count plus the positive and negative bucket_counts \(1\): got 2$/,
    ],
    [
      at(3, "exponentialHistogram", 4),
      /^zero_threshold must be a finite number of at least 0: got -1$/,
    ],
    [at(4, "summary", 0), /^quantile_values\[0\]\.quantile must be from 0 to 1: got 1\.5$/],
    [
      at(4, "summary", 1),
      /^quantile_values\[0\]\.value must be a finite number of at least 0, or NaN: got -1$/,
    ],
    [
      "resourceMetrics[0].scopeMetrics[0].metrics[5]: ",
      /^name must not be empty$/,
    ],
    [
      "resourceMetrics[0].scopeMetrics[0].metrics[5]: ",
      /^name must not be empty$/,
    ],
    [
      "resourceMetrics[0].scopeMetrics[0].metrics[6]: ",
      /^data must be one of gauge, sum, histogram, exponentialHistogram or summary: none was sent$/,
    ],
    [
      "resourceMetrics[0].scopeMetrics[0].metrics[7]: ",
      /^aggregation_temporality must be 1 \(DELTA\) or 2 \(CUMULATIVE\): got 0$/,
    ],
  ];
  assert.equal(decoded.rejected.length, expected.length, JSON.stringify(decoded.rejected, null, 1));
  decoded.rejected.forEach(({ reason }, i) => {
    const [prefix, pattern] = expected[i]!;
    assert.ok(reason.startsWith(prefix), `${reason} starts with ${prefix}`);
    assert.match(reason.slice(prefix.length), pattern);
  });
  // The neighbours are kept.
  const kept = (name: string) =>
    decoded.points.filter((p) => p.instrument.name === name).map((p) => p.attributes);
  assert.deepEqual(kept("g"), ['{"n":"0"}', '{"n":"2"}', '{"n":"8"}']);
  assert.deepEqual(kept("c"), ['{"n":"1"}']);
  assert.deepEqual(kept("h"), ['{"n":"0"}', '{"n":"7"}']);
  assert.deepEqual(kept("e"), ['{"n":"2"}', '{"n":"5"}']);
  assert.deepEqual(kept("s"), ['{"ok":"yes"}']);
  // One item per point sent, plus one for the metric without data.
  assert.equal(decoded.items, 9 + 3 + 8 + 6 + 3 + 2 + 1 + 1);
  assert.equal(decoded.items, decoded.points.length + decoded.rejected.length);
  // Each point has its index in the request: the refused and the kept are every one once.
  assert.deepEqual(
    [...decoded.rejected.map((r) => r.index), ...decoded.pointIndexes].sort((a, b) => a - b),
    [...Array(decoded.items).keys()],
  );
  assert.deepEqual(decoded.rejected.slice(0, 2).map((r) => r.index), [1, 3]);
});

Deno.test("decodeMetricsRequest() refuses the points under a bad resource, scope or metric text, and only those", () => {
  // Invalid UTF-8 exists only in protobuf: written by hand.
  const point = (n: number) =>
    len(1, [
      fixed64(3, BigInt(T1)),
      double(4, n),
      len(7, [len(1, "n"), len(2, [len(1, String(n))])]),
    ]);
  const metric = (name: Uint8Array | string, ...points: Uint8Array[]) =>
    len(2, [len(1, name), len(5, points)]);
  const body = message(
    len(1, [
      len(2, [
        metric(new Uint8Array([0x61, 0xff, 0x62]), point(1), point(2)),
        metric("fine", point(3)),
      ]),
    ]),
    len(1, [
      len(1, [len(1, [len(1, "service.name"), len(2, [len(1, new Uint8Array([0xc0, 0x80]))])])]),
      len(2, [metric("under-bad-resource", point(4))]),
    ]),
  );
  const decoded = decode("protobuf", body);
  assert.deepEqual(decoded.rejected, [
    { index: 0, reason: "resourceMetrics[0].scopeMetrics[0].metrics[0]: name must be valid UTF-8" },
    { index: 1, reason: "resourceMetrics[0].scopeMetrics[0].metrics[0]: name must be valid UTF-8" },
    { index: 3, reason: "resourceMetrics[1].resource: resource attributes must be valid UTF-8" },
  ]);
  assert.deepEqual(decoded.pointIndexes, [2]);
  assert.deepEqual(decoded.points.map((p) => p.instrument.name), ["fine"]);
  assert.equal(decoded.points[0]!.attributes, '{"n":"3"}');

  const lone = decode(
    "json",
    new TextEncoder().encode(JSON.stringify({
      resourceMetrics: [{
        scopeMetrics: [{
          scope: { name: "\ud800" },
          metrics: [{ name: "x", gauge: { dataPoints: [{ timeUnixNano: T1, asInt: 1 }] } }],
        }, {
          metrics: [{ name: "y", gauge: { dataPoints: [{ timeUnixNano: T1, asInt: 1 }] } }],
        }],
      }],
    })),
  );
  assert.equal(lone.rejected.length, 1);
  assert.match(
    lone.rejected[0]!.reason,
    /^resourceMetrics\[0\]\.scopeMetrics\[0\]\.scope: scope name must be valid Unicode/,
  );
  assert.deepEqual(lone.points.map((p) => p.instrument.name), ["y"]);
});

Deno.test("decodeMetricsRequest() reads the same attribute bytes alike in every point of a request: shared, split, bad", () => {
  // The protobuf reader reads a run of attribute bytes once per request (metrics_protobuf.ts
  // attributeRun): each point must still get what it sent.
  const kv = (key: string, value: string | Uint8Array) =>
    len(7, [len(1, key), len(2, [len(1, value)])]);
  const [a, b, bad] = [kv("a", "1"), kv("b", "2"), kv("c", new Uint8Array([0x61, 0xff]))];
  const gauge = (name: string, ...fields: Uint8Array[]) =>
    len(2, [len(1, name), len(5, [len(1, [fixed64(3, BigInt(T1)), ...fields])])]);
  const metrics = [
    gauge("x", a, double(4, 1)),
    gauge("y", a, double(4, 2), b), // a's run, then b apart
    gauge("z", a, b, double(4, 3)),
    gauge("w", b, double(4, 4), a),
    gauge("v", bad, a, double(4, 5)),
    gauge("u", bad, a, double(4, 6)),
    gauge("t", a, double(4, 7)),
  ];
  const request = (...ms: Uint8Array[]) => message(len(1, [len(2, ms)]));
  const decoded = decode("protobuf", request(...metrics));
  assert.deepEqual(
    decoded.rejected,
    [4, 5].map((m) => ({
      index: m,
      reason: `resourceMetrics[0].scopeMetrics[0].metrics[${m}].gauge.dataPoints[0]: ` +
        "attributes must be valid UTF-8",
    })),
  );
  assert.deepEqual(decoded.points.map((p) => [p.instrument.name, p.attributes]), [
    ["x", '{"a":"1"}'],
    ["y", '{"a":"1","b":"2"}'],
    ["z", '{"a":"1","b":"2"}'],
    ["w", '{"a":"1","b":"2"}'],
    ["t", '{"a":"1"}'],
  ]);
  // Each point alone in a request: the same rows.
  const alone = [0, 1, 2, 3, 6].flatMap((m) => decode("protobuf", request(metrics[m]!)).points);
  assert.deepEqual(decoded.points, alone);
});

// ---------------------------------------------------------------------------------------------
// Keys.

function gaugeRequest(points: unknown[], service = "hand-service") {
  return oneScope([{ name: "g", unit: "1", gauge: { dataPoints: points } }], service);
}

function keys(decoded: MetricsDecoded): string[][] {
  return decoded.points.map((p) => [p.instrumentKey, p.seriesKey, p.pointKey]);
}

Deno.test("decodeMetricsRequest() gives a retried or replayed point the same keys, and distinct points distinct ones", async () => {
  const resourceMetrics = await sdkMetrics("cumulative");
  const body = metricsProtobuf(resourceMetrics);
  const first = decode("protobuf", body);
  assert.deepEqual(keys(decode("protobuf", body)), keys(first));
  assert.deepEqual(keys(decode("json", metricsJson(resourceMetrics))), keys(first));
  const all = keys(first).map(([, , point]) => point);
  assert.equal(new Set(all).size, all.length);

  // The same point alone in another request (a replay of part of a batch): the same keys.
  const a = { ...GOOD, asInt: 1, attributes: [stringAttr("x", "1"), stringAttr("y", "2")] };
  const b = { ...GOOD, asInt: 2, attributes: [stringAttr("x", "1"), stringAttr("y", "3")] };
  const both = decodeBoth(gaugeRequest([a, b]));
  const alone = decodeBoth(gaugeRequest([b]));
  assert.deepEqual(keys(alone)[0], keys(both)[1]);
  // Attribute order does not make another series; its stored form is canonical.
  const reordered = decodeBoth(gaugeRequest([{ ...a, attributes: [...a.attributes].reverse() }]));
  assert.deepEqual(keys(reordered)[0], keys(both)[0]);
  assert.equal(reordered.points[0]!.attributes, '{"x":"1","y":"2"}');
  // Another time, start, service, unit or type: other keys.
  const variants = [
    gaugeRequest([{ ...a, timeUnixNano: T2 }]),
    gaugeRequest([{ ...a, startTimeUnixNano: "1795687200000000001" }]),
    gaugeRequest([a], "other-service"),
    oneScope([{ name: "g", unit: "ms", gauge: { dataPoints: [a] } }]),
    oneScope([{
      name: "g",
      unit: "1",
      sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [a] },
    }]),
  ].map((request) => keys(decodeBoth(request))[0]![2]);
  assert.equal(new Set([...variants, keys(both)[0]![2]]).size, 6);
  // The description is not part of the instrument.
  const described = decodeBoth(
    oneScope([{ name: "g", unit: "1", description: "now documented", gauge: { dataPoints: [a] } }]),
  );
  assert.deepEqual(keys(described)[0], keys(both)[0]);
});

Deno.test("decodeMetricsRequest() identifies a series by all of its attributes, past the attribute limit too", () => {
  const limits: DecodeLimits = { ...DEFAULT_DECODE_LIMITS, maxAttributes: 2 };
  const attrs = (last: string) => [
    stringAttr("c", "3"),
    stringAttr("a", "1"),
    stringAttr("b", "2"),
    stringAttr("z", last),
  ];
  const decoded = decodeBoth(
    gaugeRequest([{ ...GOOD, asInt: 1, attributes: attrs("x") }, {
      ...GOOD,
      asInt: 2,
      attributes: attrs("y"),
    }]),
    limits,
  );
  assert.deepEqual(decoded.rejected, []);
  const [x, y] = decoded.points as [MetricPointRow, MetricPointRow];
  // Stored: the first two keys in canonical order; identified: by all four.
  assert.equal(x.attributes, '{"a":"1","b":"2"}');
  assert.equal(x.droppedAttributesCount, 2);
  assert.equal(y.attributes, x.attributes);
  assert.notEqual(x.seriesKey, y.seriesKey);
  assert.notEqual(x.pointKey, y.pointKey);
});

Deno.test("decodeMetricsRequest() folds an exact duplicate point into one and refuses a conflicting one", () => {
  const point = { ...GOOD, asDouble: 1.5, attributes: [stringAttr("k", "v")] };
  const decoded = decodeBoth(gaugeRequest([point, { ...point }, { ...point, asDouble: 2.5 }, {
    ...point,
    timeUnixNano: T2,
  }]));
  assert.equal(decoded.items, 4);
  assert.deepEqual(decoded.points.map((p) => p.value), [
    { kind: "double", value: 1.5 },
    { kind: "double", value: 1.5 },
  ]);
  assert.deepEqual(decoded.points.map((p) => p.timeUnixNano), [BigInt(T1), BigInt(T2)]);
  assert.equal(decoded.rejected.length, 1);
  assert.equal(
    decoded.rejected[0]!.reason,
    "resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[2]: a series holds one " +
      "point per start_time_unix_nano and time_unix_nano: " +
      "resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0] has this series' " +
      "times (1795687200000000000, 1795687210000000000) with another value",
  );
});

// ---------------------------------------------------------------------------------------------
// Undecodable bodies.

Deno.test("decodeMetricsRequest() throws OtlpDecodeError for a body that is not a metrics request", () => {
  const body = encodeMetrics(gaugeRequest([good(1)]));
  assert.throws(() => decode("protobuf", body.subarray(0, body.length - 3)), OtlpDecodeError);
  // Field 1 of the request as a varint: the wrong wire type.
  assert.throws(
    () => decode("protobuf", new Uint8Array([0x08, 0x01])),
    (error: Error) =>
      error instanceof OtlpDecodeError &&
      /field 1 of ExportMetricsServiceRequest has wire type 0, expected 2/.test(error.message),
  );
  const text = new TextEncoder();
  assert.throws(() => decode("json", text.encode("{")), OtlpDecodeError);
  assert.throws(
    () =>
      decode(
        "json",
        text.encode(JSON.stringify({
          resourceMetrics: [{
            scopeMetrics: [{
              metrics: [{ name: "x", gauge: { dataPoints: [{ timeUnixNano: "soon" }] } }],
            }],
          }],
        })),
      ),
    (error: Error) =>
      error instanceof OtlpDecodeError &&
      error.message.startsWith(
        "resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].timeUnixNano must be an integer",
      ),
  );
  assert.throws(
    () => decode("protobuf", body, { ...DEFAULT_DECODE_LIMITS, maxAttributes: -1 }),
    RangeError,
  );
  // An empty body is an empty request.
  assert.deepEqual(decode("protobuf", new Uint8Array()), {
    resources: [],
    instruments: [],
    points: [],
    pointIndexes: [],
    items: 0,
    rejected: [],
  });
});

Deno.test("decodeMetricsRequest() reads repeated numbers packed or not, and fields in any order", () => {
  const attribute = len(9, [len(1, "k"), len(2, [len(1, "v")])]);
  const packed = (bounds: number[], counts: number[]) => [
    len(7, bounds.map((b) => double(0, b).subarray(1))),
    len(6, counts.map((c) => fixed64(0, BigInt(c)).subarray(1))),
  ];
  const unpacked = (bounds: number[], counts: number[]) => [
    ...bounds.map((b) => double(7, b)),
    ...counts.map((c) => fixed64(6, BigInt(c))),
  ];
  const request = (fields: Uint8Array[]) =>
    message(len(1, [len(2, [len(2, [len(1, "h"), len(9, [len(1, fields), varint(2, 2)])])])]));
  const times = [fixed64(2, BigInt(T0)), fixed64(3, BigInt(T1)), fixed64(4, 6n)];
  const a = decode("protobuf", request([...times, attribute, ...packed([1, 2], [1, 2, 3])]));
  const b = decode(
    "protobuf",
    request([
      ...unpacked([1], [1, 2]),
      attribute,
      double(7, 2),
      fixed64(6, 3n),
      ...times,
    ]),
  );
  assert.deepEqual(a.rejected, []);
  assert.deepEqual(b, a);
  assert.deepEqual(a.points[0]!.value, {
    kind: "histogram",
    count: 6,
    sum: null,
    min: null,
    max: null,
    explicitBounds: [1, 2],
    bucketCounts: [1, 2, 3],
  });
  // A packed fixed64 field whose length is not a multiple of 8 cannot be read.
  assert.throws(
    () => decode("protobuf", request([...times, len(6, new Uint8Array(7))])),
    OtlpDecodeError,
  );
});

Deno.test("decodeMetricsRequest() keeps a metric whose name or unit is wider than its column, for the store to fit", () => {
  const decoded = decodeBoth(oneScope([
    { name: "n".repeat(257), unit: "1", gauge: { dataPoints: [good(1)] } },
    { name: "fine", unit: "u".repeat(257), gauge: { dataPoints: [good(2)] } },
    { name: `${"n".repeat(255)}\u0000`, unit: "1", gauge: { dataPoints: [good(3)] } },
  ]));
  assert.deepEqual(decoded.rejected, []);
  // Whole, a NUL escaped (two characters): store/long_text.ts cuts them at screening.
  assert.deepEqual(
    decoded.points.map((p) => [p.instrument.name.length, p.instrument.unit.length]),
    [[257, 1], [4, 257], [257, 1]],
  );
});
