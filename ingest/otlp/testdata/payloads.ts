/**
 * OTLP export requests for tests and the decode benchmark, made by the real OpenTelemetry JS SDK
 * (sdk-trace-base 2.2, sdk-logs 0.208) and serialized by its own exporters' serializers
 * (`@opentelemetry/otlp-transformer`), plus hand-made requests of edge cases encoded by the
 * generated reference encoder. Deterministic for a given seed.
 *
 * @module
 */
import { context, type Link, trace, TraceFlags } from "@opentelemetry/api";
import {
  JsonLogsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufTraceSerializer,
} from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  type ReadableLogRecord,
  SimpleLogRecordProcessor,
} from "@opentelemetry/sdk-logs";
import {
  BasicTracerProvider,
  type IdGenerator,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";

export const SERVICES = ["order-service", "payment-service", "inventory-service"] as const;

/** 2026-11-26T10:00:00Z in seconds: fixed so that requests do not depend on the clock. */
const BASE_SECONDS = 1_795_687_200;

import { random } from "../../../tests/builders.ts";
export { random };

function hexOf(rand: () => number, chars: number): string {
  let out = "";
  while (out.length < chars) out += Math.floor(rand() * 0x100000000).toString(16).padStart(8, "0");
  return out.slice(0, chars);
}

function seededIds(rand: () => number): IdGenerator {
  return {
    generateTraceId: () => hexOf(rand, 32),
    generateSpanId: () => hexOf(rand, 16),
  };
}

function resourceOf(service: string) {
  return resourceFromAttributes({
    "service.name": service,
    "service.version": "1.4.2",
    "service.instance.id": `${service}-7f9c`,
    "deployment.environment.name": "test",
    "host.name": "argus-test-host",
    "process.pid": 4242,
    "telemetry.sdk.language": "nodejs",
    "telemetry.sdk.name": "opentelemetry",
    "telemetry.sdk.version": "2.2.0",
  });
}

function hr(offsetMs: number): [number, number] {
  const ms = Math.floor(offsetMs);
  return [BASE_SECONDS + Math.floor(ms / 1000), (ms % 1000) * 1_000_000 + 123];
}

export interface SpanOptions {
  count: number;
  seed?: number;
  /** Attributes per span; 12 by default. */
  attributes?: number;
}

/** Finished spans from the real SDK: 3 services, a dozen attributes each, events, links. */
export function sdkSpans(options: SpanOptions): ReadableSpan[] {
  const rand = random(options.seed ?? 1);
  const attributeCount = options.attributes ?? 12;
  const exporter = new InMemorySpanExporter();
  const tracers = SERVICES.map((service) =>
    new BasicTracerProvider({
      resource: resourceOf(service),
      idGenerator: seededIds(rand),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    }).getTracer(`@argus/${service}`, "0.9.1")
  );
  const previous: ReturnType<typeof trace.getSpan>[] = [];
  for (let i = 0; i < options.count; i++) {
    const tracer = tracers[i % tracers.length]!;
    const startMs = rand() * 60_000;
    const parent = i % 4 !== 0 ? previous[i - 1] : undefined;
    const ctx = parent ? trace.setSpan(context.active(), parent) : context.active();
    const links: Link[] = i % 5 === 0 && previous.length > 0
      ? [{
        context: previous[Math.floor(rand() * previous.length)]!.spanContext(),
        attributes: { "link.reason": "retry-of", "link.attempt": 2 },
      }]
      : [];
    const attributes: Record<string, string | number | boolean | string[] | number[]> = {};
    const kinds = [
      ["http.request.method", "GET"],
      ["url.full", `https://shop.example.com/api/orders/${i}?expand=items`],
      ["http.response.status_code", 200 + (i % 3) * 100],
      ["server.address", "shop.example.com"],
      ["server.port", 8443],
      ["db.system.name", "postgresql"],
      ["db.query.text", "SELECT id, total FROM orders WHERE customer_id = $1"],
      ["retry", i % 2 === 0],
      ["ratio", rand()],
      ["tags", ["alpha", "beta", `γ-${i}`]],
      ["sizes", [1, 2, 3]],
      ["user.note", 'He said "hi" \\ then left\n'],
    ] as const;
    for (let a = 0; a < attributeCount; a++) {
      const [key, value] = kinds[a % kinds.length]!;
      attributes[a < kinds.length ? key : `${key}.${a}`] = value as string;
    }
    const span = tracer.startSpan(
      i % 7 === 0 ? `GET /api/orders/{id} → ünïcode ${i}` : `op-${i % 10}`,
      { kind: i % 5, startTime: hr(startMs), attributes, links },
      ctx,
    );
    if (i % 3 === 0) {
      span.addEvent(
        "cache.miss",
        { "cache.key": `order:${i}`, "cache.size": 1024 },
        hr(startMs + 1),
      );
    }
    if (i % 10 === 0) {
      span.recordException(new Error(`boom ${i}`), hr(startMs + 2));
      span.setStatus({ code: 2, message: `failed: boom ${i}` });
    } else if (i % 10 === 1) span.setStatus({ code: 1 });
    span.end(hr(startMs + 5 + rand() * 100));
    previous.push(span);
  }
  return exporter.getFinishedSpans();
}

export interface LogOptions {
  count: number;
  seed?: number;
  attributes?: number;
}

/** Log records from the real SDK: 3 services, bodies of every kind, some inside a span. */
export function sdkLogs(options: LogOptions): ReadableLogRecord[] {
  const rand = random(options.seed ?? 2);
  const attributeCount = options.attributes ?? 12;
  const exporter = new InMemoryLogRecordExporter();
  const loggers = SERVICES.map((service) =>
    new LoggerProvider({
      resource: resourceOf(service),
      processors: [new SimpleLogRecordProcessor(exporter)],
    }).getLogger(`@argus/${service}`, "0.9.1")
  );
  const bodies = [
    (i: number) => `order ${i} placed by customer 42`,
    (i: number) => i,
    (i: number) => i + 0.5,
    () => true,
    (i: number) => new Uint8Array([i & 0xff, 0, 255]),
    (i: number) => ["a", i, { nested: [true, null] }],
    (i: number) => ({ orderId: i, "$double": "x", items: [{ sku: "A-1", qty: 2 }] }),
    () => undefined,
    () => 'quotes " and \\ and \u2028 and emoji 😀',
  ];
  for (let i = 0; i < options.count; i++) {
    const logger = loggers[i % loggers.length]!;
    const attributes: Record<string, string | number | boolean> = {};
    for (let a = 0; a < attributeCount; a++) {
      attributes[`attr.${a}`] = a % 3 === 0 ? `value-${i}-${a}` : a % 3 === 1 ? a * i : a % 2 === 0;
    }
    const inSpan = i % 2 === 0;
    const ctx = inSpan
      ? trace.setSpanContext(context.active(), {
        traceId: hexOf(rand, 32),
        spanId: hexOf(rand, 16),
        traceFlags: TraceFlags.SAMPLED,
      })
      : context.active();
    const ms = rand() * 60_000;
    logger.emit({
      body: bodies[i % bodies.length]!(i) as string,
      severityNumber: (i % 24) + 1,
      severityText: ["INFO", "WARN", "ERROR", "DEBUG"][i % 4],
      attributes,
      timestamp: i % 11 === 5 ? undefined : hr(ms),
      observedTimestamp: hr(ms + 3),
      eventName: i % 5 === 0 ? "order.placed" : undefined,
      context: ctx,
    });
  }
  return exporter.getFinishedLogRecords();
}

export function tracesProtobuf(spans: ReadableSpan[]): Uint8Array {
  return ProtobufTraceSerializer.serializeRequest(spans)!;
}
export function tracesJson(spans: ReadableSpan[]): Uint8Array {
  return JsonTraceSerializer.serializeRequest(spans)!;
}
export function logsProtobuf(logs: ReadableLogRecord[]): Uint8Array {
  return ProtobufLogsSerializer.serializeRequest(logs)!;
}
export function logsJson(logs: ReadableLogRecord[]): Uint8Array {
  return JsonLogsSerializer.serializeRequest(logs)!;
}

// ---------------------------------------------------------------------------------------------
// Hand-made requests (plain objects for the generated encoder) covering what SDKs rarely send.

const bytes = (...values: number[]) => new Uint8Array(values);
const id16 = bytes(0x5b, 0x8e, 0xff, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0xab);
const id8 = bytes(0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3);

const str = (value: string) => ({ stringValue: value });
const kv = (key: string, value: unknown) => ({ key, value });

/** Every kind of AnyValue, with the values that are hard to keep exact. */
export const EDGE_VALUES = [
  kv("s", str('quote " backslash \\ newline \n tab \t nul-free \u0001 U+2028 \u2028 😀')),
  kv("empty-string", str("")),
  kv("t", { boolValue: true }),
  kv("f", { boolValue: false }),
  kv("int-max", { intValue: "9223372036854775807" }),
  kv("int-min", { intValue: "-9223372036854775808" }),
  kv("int-2^53+1", { intValue: "9007199254740993" }),
  kv("int-neg", { intValue: -5 }),
  kv("int-neg-big", { intValue: "-9007199254740993" }),
  kv("int-zero", { intValue: 0 }),
  kv("d-int", { doubleValue: 5 }),
  kv("d-neg-zero", { doubleValue: -0 }),
  kv("d-big", { doubleValue: 1.5e300 }),
  kv("d-small", { doubleValue: 5e-324 }),
  kv("d-1e21", { doubleValue: 1e21 }),
  kv("d-nan", { doubleValue: NaN }),
  kv("d-inf", { doubleValue: Infinity }),
  kv("d-ninf", { doubleValue: -Infinity }),
  kv("bytes", { bytesValue: bytes(0, 1, 254, 255) }),
  kv("bytes-empty", { bytesValue: bytes() }),
  kv("array", { arrayValue: { values: [str("a"), { intValue: 1 }, {}, { arrayValue: {} }] } }),
  kv("kvlist", {
    kvlistValue: {
      values: [kv("x", { doubleValue: 1.25 }), kv("y", {}), kv("", str("empty key"))],
    },
  }),
  kv("kvlist-dollar", { kvlistValue: { values: [kv("$double", str("NaN"))] } }),
  kv("kvlist-dollars", { kvlistValue: { values: [kv("$a", str("1")), kv("$b", str("2"))] } }),
  kv("kvlist-empty", { kvlistValue: {} }),
  kv("no-value", undefined),
  kv("empty-value", {}),
  kv("dup", str("first")),
  kv("dup", str("second wins")),
];

/** A traces request with every field set and the edge values above. */
export function edgeTracesRequest(): Record<string, unknown> {
  const span = (overrides: Record<string, unknown>) => ({
    traceId: id16,
    spanId: id8,
    traceState: "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
    parentSpanId: bytes(1, 1, 1, 1, 1, 1, 1, 1),
    flags: 0x301,
    name: "edge span",
    kind: 3,
    startTimeUnixNano: "18446744073709551615",
    endTimeUnixNano: "1795687200000000001",
    attributes: EDGE_VALUES,
    droppedAttributesCount: 7,
    events: [
      {
        timeUnixNano: "1795687200000000500",
        name: 'ev "one"',
        attributes: EDGE_VALUES.slice(0, 5),
        droppedAttributesCount: 1,
      },
      { timeUnixNano: "0", name: "" },
    ],
    droppedEventsCount: 2,
    links: [
      {
        traceId: id16,
        spanId: id8,
        traceState: "k=v",
        attributes: [kv("link", str("yes"))],
        droppedAttributesCount: 3,
        flags: 0x100,
      },
      { traceId: bytes(1, 2, 3), spanId: bytes() },
    ],
    droppedLinksCount: 4,
    status: { code: 2, message: 'it "failed"' },
    ...overrides,
  });
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [kv("service.name", str("edge-service")), ...EDGE_VALUES.slice(0, 3)],
          droppedAttributesCount: 2,
        },
        schemaUrl: "https://opentelemetry.io/schemas/1.26.0",
        scopeSpans: [
          {
            scope: {
              name: "edge-scope",
              version: "1.0.0",
              attributes: [kv("scope.attr", { intValue: 1 })],
            },
            schemaUrl: "https://opentelemetry.io/schemas/1.25.0",
            spans: [
              span({}),
              span({
                spanId: bytes(9, 9, 9, 9, 9, 9, 9, 9),
                parentSpanId: bytes(0, 0, 0, 0, 0, 0, 0, 0),
              }),
              span({ traceId: bytes(1, 2, 3) }),
              span({ spanId: bytes(0, 0, 0, 0, 0, 0, 0, 0) }),
              span({ traceId: new Uint8Array(16) }),
              span({ parentSpanId: bytes(1, 2) }),
              span({
                spanId: bytes(7, 7, 7, 7, 7, 7, 7, 7),
                kind: 0,
                status: undefined,
                events: [],
                links: [],
              }),
            ],
          },
          { spans: [span({ spanId: bytes(8, 8, 8, 8, 8, 8, 8, 8) })] },
        ],
      },
      {
        // No service.name: "unknown_service".
        resource: { attributes: [kv("host.name", str("h"))] },
        scopeSpans: [{
          scope: { name: "s" },
          spans: [span({ spanId: bytes(6, 6, 6, 6, 6, 6, 6, 6) })],
        }],
      },
      {
        // service.name that is not a string: "unknown_service".
        resource: { attributes: [kv("service.name", { intValue: 3 })] },
        scopeSpans: [{ spans: [span({ spanId: bytes(5, 5, 5, 5, 5, 5, 5, 5) })] }],
      },
      { scopeSpans: [{ spans: [span({ spanId: bytes(4, 4, 4, 4, 4, 4, 4, 4) })] }] },
      { resource: { attributes: [kv("service.name", str("no-spans"))] } },
    ],
  };
}

/** A logs request with every field set and bodies of every kind. */
export function edgeLogsRequest(): Record<string, unknown> {
  const log = (overrides: Record<string, unknown>) => ({
    timeUnixNano: "1795687200000000001",
    observedTimeUnixNano: "1795687200000000002",
    severityNumber: 17,
    severityText: "ERROR",
    body: str('plain body "quoted"'),
    attributes: EDGE_VALUES,
    droppedAttributesCount: 1,
    flags: 1,
    traceId: id16,
    spanId: id8,
    eventName: "edge.event",
    ...overrides,
  });
  const values = EDGE_VALUES.map((entry) => entry.value);
  return {
    resourceLogs: [
      {
        resource: { attributes: [kv("service.name", str("edge-logs"))] },
        schemaUrl: "https://opentelemetry.io/schemas/1.26.0",
        scopeLogs: [
          {
            scope: { name: "logger", version: "2" },
            logRecords: [
              log({}),
              ...values.map((body) => log({ body })),
              log({ body: undefined }),
              log({ timeUnixNano: "0" }),
              log({ timeUnixNano: "0", observedTimeUnixNano: "0" }),
              log({ traceId: bytes(), spanId: bytes() }),
              log({ traceId: new Uint8Array(16), spanId: new Uint8Array(8) }),
              log({ traceId: bytes(1, 2, 3) }),
              log({ spanId: bytes(1) }),
              log({ severityNumber: 0, severityText: "", eventName: "", flags: 0 }),
            ],
          },
        ],
      },
    ],
  };
}
