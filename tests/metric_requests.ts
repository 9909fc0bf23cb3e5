/**
 * Hand-built OTLP metrics requests for tests, in one place: a metric of each data kind around its
 * points, builders of points and exemplars, the points that several tests' hand-made requests
 * share, the request's two encodings (protobuf through the generated encoder, OTLP/JSON), its
 * decoding into store rows as the receivers decode it, and its POST to Argus's OTLP/HTTP receiver.
 *
 * Built on ingest/otlp/testdata/metrics_payloads.ts (the requests the real SDK makes, and the
 * encoders), whose pieces it re-exports so that a test takes all of its metrics from one module.
 * Times are Unix nanoseconds as OTLP's decimal strings (they pass 2^53); a bigint given for one is
 * written as its decimal string. Objects are plain requests for `encodeMetrics` and `toOtlpJson`:
 * camelCase fields, ids as bytes, 64-bit integers as numbers or decimal strings.
 *
 * @module
 */
import type { Batch } from "../store/mod.ts";
import { decodeMetricsRequest } from "../ingest/otlp/metrics_decode.ts";
import { type MetricsDecoded, NO_RECORDED_VALUE } from "../ingest/otlp/metrics_types.ts";
import { DEFAULT_DECODE_LIMITS } from "../ingest/otlp/types.ts";
import {
  bytes,
  encodeMetrics,
  metricsProtobuf,
  sdkMetrics,
  stringAttr,
  T0,
  T1,
  toOtlpJson,
} from "../ingest/otlp/testdata/metrics_payloads.ts";

export {
  encodeMetrics,
  METRICS_SERVICE,
  metricsProtobuf,
  oneScope,
  sdkMetrics,
  T0,
  T1,
  T2,
  toOtlpJson,
} from "../ingest/otlp/testdata/metrics_payloads.ts";

/** Unix nanoseconds: OTLP's decimal string, or a bigint (written as one). */
export type Nanos = string | bigint;

/** A field of a plain request object, as the encoders take it. */
type Fields = Record<string, unknown>;

/** The exemplars' trace and span (hex), which the API answers as they were sent. */
export const TRACE_ID = "5b8efff798038103d269b633813fc60c";
export const SPAN_ID = "eee19b7ec3c1b174";

/** The int64 extremes, as decimal strings (past what a double holds exactly). */
export const INT64_MIN = "-9223372036854775808";
export const INT64_MAX = "9223372036854775807";

/** Unix nanoseconds `seconds` after T0 (negative: before), as OTLP's decimal string. */
export function afterT0(seconds: number): string {
  return (BigInt(T0) + BigInt(seconds) * 1_000_000_000n).toString();
}

/** String attributes, in the order of `values`' keys. */
export function stringAttrs(values: Record<string, string>) {
  return Object.entries(values).map(([key, value]) => stringAttr(key, value));
}

// ---------------------------------------------------------------------------------------------
// Data points: the time first, then the point's fields; `start` is its startTimeUnixNano.

/** What every kind of data point may carry besides its value. */
export interface PointFields {
  start?: Nanos;
  attributes?: unknown[];
  exemplars?: unknown[];
  flags?: number;
}

/** A data point's fields: its times, then `fields` (the start renamed), then `value`'s. */
function point(time: Nanos, fields: PointFields, value: Fields = {}): Fields {
  const { start, ...rest } = fields;
  return {
    ...(start === undefined ? {} : { startTimeUnixNano: String(start) }),
    timeUnixNano: String(time),
    ...rest,
    ...value,
  };
}

/** A number point of an integer value (a decimal string for one past 2^53). */
export function intPoint(time: Nanos, value: number | string, fields: PointFields = {}): Fields {
  return point(time, fields, { asInt: value });
}

/** A number point of a double value (NaN and ±Infinity included). */
export function doublePoint(time: Nanos, value: number, fields: PointFields = {}): Fields {
  return point(time, fields, { asDouble: value });
}

/** A point that marks a gap: no value, the flag FLAG_NO_RECORDED_VALUE. */
export function noValuePoint(time: Nanos, fields: Omit<PointFields, "flags"> = {}): Fields {
  return point(time, { ...fields, flags: NO_RECORDED_VALUE });
}

export interface HistogramFields extends PointFields {
  count: number;
  sum?: number;
  min?: number;
  max?: number;
  explicitBounds?: number[];
  bucketCounts?: number[];
}

/** An explicit-bucket histogram point (`bucketCounts` one longer than `explicitBounds`). */
export function histogramPoint(time: Nanos, fields: HistogramFields): Fields {
  return point(time, fields);
}

export interface ExponentialFields extends PointFields {
  count: number;
  sum?: number;
  scale: number;
  zeroCount?: number;
  zeroThreshold?: number;
  positive?: { offset: number; bucketCounts: number[] };
  negative?: { offset: number; bucketCounts: number[] };
  min?: number;
  max?: number;
}

/** An exponential histogram point: bucket `offset + i` is (base^(offset+i), base^(offset+i+1)]. */
export function exponentialPoint(time: Nanos, fields: ExponentialFields): Fields {
  return point(time, fields);
}

export interface SummaryFields extends PointFields {
  count: number;
  sum: number;
  quantileValues: { quantile: number; value: number }[];
}

export function summaryPoint(time: Nanos, fields: SummaryFields): Fields {
  return point(time, fields);
}

/**
 * The exemplar of the hand-made requests: user u-1's at T1, in trace TRACE_ID and span SPAN_ID;
 * `fields` give its value (`asInt` or `asDouble`) and may replace any of the rest.
 */
export function exemplar(fields: Fields): Fields {
  return {
    filteredAttributes: stringAttrs({ "user.id": "u-1" }),
    timeUnixNano: T1,
    traceId: bytes(TRACE_ID),
    spanId: bytes(SPAN_ID),
    ...fields,
  };
}

/** `exemplar(fields)` outside any trace: its trace and span ids all zero bytes. */
export function untracedExemplar(fields: Fields): Fields {
  return exemplar({ traceId: new Uint8Array(16), spanId: new Uint8Array(8), ...fields });
}

// ---------------------------------------------------------------------------------------------
// Metrics: a name, its points, and the fields of its kind.

/** What a metric of any kind may carry besides its points. */
export interface MetricFields {
  unit?: string;
  description?: string;
}

/** AggregationTemporality (metrics.proto): 1 delta, 2 cumulative. */
export type Temporality = "delta" | "cumulative";
const TEMPORALITY = { delta: 1, cumulative: 2 } as const;

/** What a metric of a kind with a temporality (not a gauge or a summary) carries. */
export type TemporalFields = MetricFields & { temporality: Temporality };

/** A metric whose data field (`gauge`, `sum`, …) is `kind`, holding `data`. */
function metric(name: string, kind: string, data: Fields, fields: MetricFields) {
  return { name, ...fields, [kind]: data };
}

export function gaugeMetric(name: string, dataPoints: Fields[], fields: MetricFields = {}) {
  return metric(name, "gauge", { dataPoints }, fields);
}

export function sumMetric(
  name: string,
  dataPoints: Fields[],
  { temporality, monotonic, ...fields }: TemporalFields & { monotonic: boolean },
) {
  const data = { aggregationTemporality: TEMPORALITY[temporality], isMonotonic: monotonic };
  return metric(name, "sum", { ...data, dataPoints }, fields);
}

/** A builder of the metrics whose data field `kind` has a temporality and points alone. */
function temporalMetric(kind: "histogram" | "exponentialHistogram") {
  return (name: string, dataPoints: Fields[], { temporality, ...fields }: TemporalFields) =>
    metric(name, kind, { aggregationTemporality: TEMPORALITY[temporality], dataPoints }, fields);
}

export const histogramMetric = temporalMetric("histogram");
export const exponentialHistogramMetric = temporalMetric("exponentialHistogram");

export function summaryMetric(name: string, dataPoints: Fields[], fields: MetricFields = {}) {
  return metric(name, "summary", { dataPoints }, fields);
}

// ---------------------------------------------------------------------------------------------
// The points several tests' hand-made requests share, each from T0 to T1; `fields` over them.

/** 6 values (2 up to 1, 3 in (1, 5], 1 above 5), sum 12.5, with an exemplar of 7. */
export function handHistogramPoint(fields: Partial<HistogramFields> = {}): Fields {
  return histogramPoint(T1, {
    start: T0,
    count: 6,
    sum: 12.5,
    explicitBounds: [1, 5],
    bucketCounts: [2, 3, 1],
    exemplars: [exemplar({ asDouble: 7 })],
    ...fields,
  });
}

/** 9 values at scale -3 (a bucket spans a factor of 256): 4 positive, 3 negative, 2 zero. */
export function handExponentialPoint(fields: Partial<ExponentialFields> = {}): Fields {
  return exponentialPoint(T1, {
    start: T0,
    count: 9,
    sum: -3.5,
    scale: -3,
    zeroCount: 2,
    zeroThreshold: 0.001,
    positive: { offset: -2, bucketCounts: [1, 0, 3] },
    negative: { offset: 1, bucketCounts: [2, 1] },
    ...fields,
  });
}

/** 3 values summing to 0.75: the median 0.25, the maximum NaN. */
export function handSummaryPoint(fields: Partial<SummaryFields> = {}): Fields {
  return summaryPoint(T1, {
    start: T0,
    count: 3,
    sum: 0.75,
    quantileValues: [{ quantile: 0.5, value: 0.25 }, { quantile: 1, value: NaN }],
    ...fields,
  });
}

// ---------------------------------------------------------------------------------------------
// Encodings, decoding, sending.

export type MetricsFormat = "protobuf" | "json";

/** A plain request in `format`: protobuf (`encodeMetrics`) or OTLP/JSON (`toOtlpJson`). */
export function encodeAs(request: unknown, format: MetricsFormat): Uint8Array {
  return format === "json" ? toOtlpJson(request) : encodeMetrics(request);
}

/**
 * A request (a plain object, or its protobuf encoding) decoded into store rows as the OTLP
 * receivers decode it, with the default limits; bad points are in `rejected`, not thrown.
 */
export function decodeMetrics(request: unknown): MetricsDecoded {
  const body = request instanceof Uint8Array ? request : encodeMetrics(request);
  return decodeMetricsRequest("protobuf", body, DEFAULT_DECODE_LIMITS, 0n);
}

/** The real SDK's recordings (`sdkMetrics`), exported as protobuf and decoded. */
export async function decodedSdkMetrics(
  temporality: Temporality,
  rounds = 1,
): Promise<MetricsDecoded> {
  return decodeMetrics(metricsProtobuf(await sdkMetrics(temporality, rounds)));
}

/** A store batch of decoded metrics (their resources and points) beside `traces`' spans and logs. */
export function storeBatch(
  decoded: MetricsDecoded[],
  traces: Batch = { resources: [], spans: [], logs: [] },
): Batch {
  return {
    resources: [...traces.resources, ...decoded.flatMap((d) => d.resources)],
    spans: traces.spans,
    logs: traces.logs,
    metrics: decoded.flatMap((d) => d.points),
  };
}

/** POSTs an encoded request to Argus's OTLP/HTTP receiver (`otlpHttpUrl`, without /v1/metrics). */
export function postMetrics(
  otlpHttpUrl: string,
  body: Uint8Array,
  format: MetricsFormat,
): Promise<Response> {
  return fetch(`${otlpHttpUrl}/v1/metrics`, {
    method: "POST",
    headers: { "content-type": format === "json" ? "application/json" : "application/x-protobuf" },
    body: body as Uint8Array<ArrayBuffer>,
  });
}
