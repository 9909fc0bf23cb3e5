/**
 * OTLP metrics requests for tests: made by the real OpenTelemetry JS SDK (sdk-metrics 2.2, every
 * instrument kind, delta or cumulative) and serialized by its exporters' serializers, or built
 * by hand as plain objects for the generated encoder (what the SDK never sends: exemplars,
 * summaries, bad points), with `toOtlpJson` giving the same request in OTLP/JSON.
 *
 * @module
 */
import { type Attributes, ValueType } from "@opentelemetry/api";
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer";
import generated from "@opentelemetry/otlp-transformer/build/src/generated/root.js";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AggregationTemporality,
  AggregationType,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";

/** A reader collected by hand (`collect()`), with the temporality chosen for every instrument. */
class ManualReader extends MetricReader {
  constructor(temporality: AggregationTemporality) {
    super({ aggregationTemporalitySelector: () => temporality });
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export const METRICS_SERVICE = "checkout-service";

/** What `sdkMetrics` records, per instrument name, so tests can compare field by field. */
export const RECORDED = {
  "orders.placed": { type: "sum", monotonic: true, int: true, unit: "{order}" },
  "queue.depth.change": { type: "sum", monotonic: false, int: false, unit: "{item}" },
  "payment.amount": { type: "histogram", unit: "USD" },
  "request.duration": { type: "exponential_histogram", unit: "ms" },
  "stock.level": { type: "gauge", int: true, unit: "{item}" },
  "cpu.temperature": { type: "gauge", int: false, unit: "Cel" },
  "process.uptime": { type: "sum", monotonic: true, int: false, unit: "s" },
  "connections.open": { type: "sum", monotonic: false, int: true, unit: "{connection}" },
} as const;

/** Bounds of "payment.amount" (advice), in the order the SDK writes them. */
export const PAYMENT_BOUNDS = [1, 5, 10, 50, 100, 500, 1000];

/**
 * Collects metrics recorded through the real SDK: a Counter (int), an UpDownCounter (double), a
 * Histogram with advised bounds, an exponential histogram (a view), a Gauge (int), an
 * ObservableGauge (double), an ObservableCounter and an ObservableUpDownCounter, each over a few
 * attribute sets (one recorded in two key orders, which the SDK treats as one set). With `rounds`
 * 2, a second round of recordings is collected after the first (deltas then hold only it).
 */
export async function sdkMetrics(
  temporality: "delta" | "cumulative",
  rounds = 1,
): Promise<ResourceMetrics> {
  const reader = new ManualReader(
    temporality === "delta" ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE,
  );
  const provider = new MeterProvider({
    resource: resourceFromAttributes({
      "service.name": METRICS_SERVICE,
      "service.version": "2.0.1",
      "service.instance.id": "checkout-1",
      "telemetry.sdk.language": "nodejs",
    }),
    readers: [reader],
    views: [{
      instrumentName: "request.duration",
      aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 40 } },
    }],
  });
  const meter = provider.getMeter("@argus/checkout", "1.2.3");
  const orders = meter.createCounter("orders.placed", {
    description: "Orders placed, by outcome",
    unit: "{order}",
    valueType: ValueType.INT,
  });
  const queue = meter.createUpDownCounter("queue.depth.change", { unit: "{item}" });
  const payment = meter.createHistogram("payment.amount", {
    description: "Payment amounts",
    unit: "USD",
    advice: { explicitBucketBoundaries: PAYMENT_BOUNDS },
  });
  const duration = meter.createHistogram("request.duration", { unit: "ms" });
  const stock = meter.createGauge("stock.level", { unit: "{item}", valueType: ValueType.INT });
  let temperature = 61.5;
  meter.createObservableGauge("cpu.temperature", { unit: "Cel" }).addCallback((result) => {
    result.observe(temperature, { "cpu.id": 0 });
    result.observe(temperature + 2.25, { "cpu.id": 1 });
  });
  let uptime = 12.5;
  meter.createObservableCounter("process.uptime", { unit: "s" }).addCallback((result) => {
    result.observe(uptime);
  });
  let connections = 7;
  meter.createObservableUpDownCounter("connections.open", {
    unit: "{connection}",
    valueType: ValueType.INT,
  }).addCallback((result) => {
    result.observe(connections, { "net.protocol": "http/1.1" });
  });

  let collected: ResourceMetrics | undefined;
  for (let round = 0; round < rounds; round++) {
    const ok: Attributes = { outcome: "ok", "payment.method": "card" };
    const okReordered: Attributes = { "payment.method": "card", outcome: "ok" };
    orders.add(3 + round, ok);
    orders.add(2, okReordered);
    orders.add(1, { outcome: "declined", "payment.method": "card", "retry.count": 2 });
    orders.add(5, { outcome: "ok", region: "ünïcode-€" });
    queue.add(4.5, { queue: "emails" });
    queue.add(-1.25 - round, { queue: "emails" });
    queue.add(-3, { queue: "sms", tags: ["a", "b"] });
    for (const amount of [0.5, 1, 3, 7.5, 12, 49.99, 99, 250, 999, 5000 + round]) {
      payment.record(amount, { currency: "USD" });
    }
    payment.record(20, { currency: "EUR" });
    for (const ms of [0.25, 1, 1.5, 2, 3, 10, 10, 100, 1234.5, 0, -2 - round]) {
      duration.record(ms, { route: "/api/orders" });
    }
    stock.record(100 - round, { sku: "A-1" });
    stock.record(-4, { sku: "B-2" });
    temperature += round;
    uptime += 10 * round;
    connections += round;
    const result = await reader.collect();
    if (result.errors.length > 0) throw result.errors[0];
    collected = result.resourceMetrics;
  }
  await provider.shutdown();
  return collected!;
}

export function metricsProtobuf(resourceMetrics: ResourceMetrics): Uint8Array {
  return ProtobufMetricsSerializer.serializeRequest(resourceMetrics)!;
}
export function metricsJson(resourceMetrics: ResourceMetrics): Uint8Array {
  return JsonMetricsSerializer.serializeRequest(resourceMetrics)!;
}

// ---------------------------------------------------------------------------------------------
// Hand-made requests.

// deno-lint-ignore no-explicit-any
const proto = (generated as any).opentelemetry.proto;
const MetricsRequest = proto.collector.metrics.v1.ExportMetricsServiceRequest;

/**
 * A plain request object (camelCase, ids as Uint8Array, 64-bit integers as numbers or decimal
 * strings, doubles as numbers) encoded by the generated protobuf encoder.
 */
export function encodeMetrics(request: unknown): Uint8Array {
  return MetricsRequest.encode(request).finish();
}

/**
 * The same plain request in OTLP/JSON: ids (traceId, spanId) as hex, other bytes as base64,
 * bigints as decimal strings, NaN and ±Infinity as strings.
 */
export function toOtlpJson(request: unknown): Uint8Array {
  const convert = (value: unknown, key: string): unknown => {
    if (value instanceof Uint8Array) {
      return key === "traceId" || key === "spanId"
        ? Array.from(value, (b) => b.toString(16).padStart(2, "0")).join("")
        : value.toBase64();
    }
    if (typeof value === "bigint") return value.toString();
    if (typeof value === "number" && !Number.isFinite(value)) return String(value);
    if (Array.isArray(value)) return value.map((item) => convert(item, key));
    if (typeof value === "object" && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v, k)]));
    }
    return value;
  };
  return new TextEncoder().encode(JSON.stringify(convert(request, "")));
}

export function bytes(hex: string): Uint8Array {
  return Uint8Array.fromHex(hex);
}

/** Unix nanoseconds, as decimal strings (past 2^53). */
export const T0 = "1795687200000000000";
export const T1 = "1795687210000000000";
export const T2 = "1795687220000000000";

export function stringAttr(key: string, value: string) {
  return { key, value: { stringValue: value } };
}

/** A request of one resource and one scope holding `metrics`. */
export function oneScope(metrics: unknown[], service = "hand-service") {
  return {
    resourceMetrics: [{
      resource: { attributes: [stringAttr("service.name", service)] },
      schemaUrl: "https://opentelemetry.io/schemas/1.26.0",
      scopeMetrics: [{ scope: { name: "hand.scope", version: "0.1.0" }, metrics }],
    }],
  };
}
