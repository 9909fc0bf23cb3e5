/**
 * OTLP fidelity through the API (issue 19), on each test database: the official OpenTelemetry JS
 * SDK over its three exporters (gRPC, HTTP/protobuf, HTTP/JSON), and raw requests (OTLP/JSON, and
 * the same request as protobuf) carrying what no SDK sets (entity refs, scope and resource dropped
 * counts, doubles that look like ints, -0.0, NaN, ±Infinity, int64 extremes, bytes, an empty
 * value, a record without a time, NUL characters and the escape character U+E000 in plain text
 * fields, text wider than its column in each such field). Each field is read back through
 * `GET /api/traces/{trace_id}`
 * and `GET /api/logs` in both value forms, plain and typed, and compared with what was sent, as
 * docs/api.md ("Every OTLP field", "Value encodings") says it is answered (tests/otlp_expected.ts).
 */
import assert from "node:assert/strict";
import { context, SpanKind, SpanStatusCode, trace, TraceFlags } from "@opentelemetry/api";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  type ReadableLogRecord,
  SimpleLogRecordProcessor,
} from "@opentelemetry/sdk-logs";
import type { AnyValue } from "../lib/any_value_json.ts";
import { LogsRequest, TraceRequest } from "../ingest/otlp/testdata/reference.ts";
import { type ArgusProcess, getJson } from "./argus_process.ts";
import { selectedDrivers } from "./databases.ts";
import { withArgusOn } from "./argus_on_database.ts";
import {
  attributesIn,
  expectedAnyValue,
  expectedAttributes,
  LONG,
  ns,
  NUL,
  plainOf,
  RAW_RESOURCE,
  rawResource,
  RESOURCE_SCHEMA,
  SCOPE_SCHEMA,
  SDK_TRANSPORTS,
  spanFlags,
  type Transport,
  typedOf,
} from "./otlp_expected.ts";

type Form = "plain" | "typed";
const FORMS: Form[] = ["plain", "typed"];
const KINDS = ["unspecified", "internal", "server", "client", "producer", "consumer"];
const STATUS = ["unset", "ok", "error"];

const TRANSPORTS = SDK_TRANSPORTS;

/** The service's records through `GET /api/logs`, once `count` are stored. */
async function logsOf(argus: ArgusProcess, service: string, count: number, form: Form) {
  const path =
    `/api/logs?service=${encodeURIComponent(service)}&start=${Date.now() - 86_400_000}&end=${
      Date.now() + 3_600_000
    }` +
    `&limit=100&values=${form}`;
  for (let attempt = 0;; attempt++) {
    const page = await getJson<WireItem>(argus, path);
    if (page.items.length >= count || attempt === 100) return page.items as WireItem[];
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The trace's spans through `GET /api/traces/{trace_id}`, once `count` are stored. */
async function spansOf(argus: ArgusProcess, traceId: string, count: number, form: Form) {
  for (let attempt = 0;; attempt++) {
    const response = await fetch(`${argus.baseUrl}/api/traces/${traceId}?values=${form}`);
    const body = await response.json();
    if (response.status === 200 && body.spans.length >= count) return body.spans as WireItem[];
    if (attempt === 100) assert.fail(`trace ${traceId}: ${JSON.stringify(body).slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// deno-lint-ignore no-explicit-any
type WireItem = any;

/** The JS SDK's telemetry for `service`, sent through `transport`; what it sent. */
async function sendWithSdk(argus: ArgusProcess, transport: Transport, service: string) {
  const resource = resourceFromAttributes({
    "service.name": service,
    "service.version": "2.3.1",
    "host.name": "hôte-01",
  }, { schemaUrl: RESOURCE_SCHEMA });
  const spansSent = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    resource,
    spanProcessors: [
      new SimpleSpanProcessor(transport.traceExporter(argus)),
      new SimpleSpanProcessor(spansSent),
    ],
  });
  const logsSent = new InMemoryLogRecordExporter();
  const loggerProvider = new LoggerProvider({
    resource,
    processors: [
      new SimpleLogRecordProcessor(transport.logExporter(argus)),
      new SimpleLogRecordProcessor(logsSent),
    ],
  });
  const tracer = tracerProvider.getTracer("fidelity", "1.2.3", { schemaUrl: SCOPE_SCHEMA });
  const logger = loggerProvider.getLogger("fidelity-logger", "4.5.6", { schemaUrl: SCOPE_SCHEMA });
  const remoteParent = trace.setSpanContext(context.active(), {
    traceId: crypto.randomUUID().replaceAll("-", ""),
    spanId: "00f067aa0ba902b7",
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
  const root = tracer.startSpan("POST /orders", {
    kind: SpanKind.SERVER,
    attributes: {
      "http.response.status_code": 201,
      "order.total": 129.95,
      "order.express": true,
      "order.tags": ["gift", "ünïcödé ✓"],
      "order.ids": [17, 9007199254740991],
      "order.weights": [0.5, 1.25],
      "note": "multi\nline 'quoted' \"double\" 😀",
    },
  }, remoteParent);
  const child = tracer.startSpan(LONG("charge card", 1024), {
    kind: SpanKind.CLIENT,
    links: [{
      context: {
        traceId: "0af7651916cd43dd8448eb211c80319c",
        spanId: "b7ad6b7169203331",
        traceFlags: TraceFlags.NONE,
        isRemote: true,
      },
      attributes: { "link.weight": 3 },
    }],
  }, trace.setSpan(context.active(), root));
  child.addEvent("exception", { "exception.type": "GatewayTimeout", "exception.escaped": false });
  child.setStatus({ code: SpanStatusCode.ERROR, message: "Gateway Timeout" });
  child.end();
  root.setStatus({ code: SpanStatusCode.OK });
  root.end();
  logger.emit({
    severityNumber: SeverityNumber.ERROR,
    severityText: LONG("ERROR", 128),
    body: "payment failed 🚨",
    attributes: { "retry.count": 2, "amount": 12.5 },
    context: trace.setSpan(context.active(), child),
  });
  logger.emit({
    severityNumber: SeverityNumber.INFO2,
    body: { items: 3, total: 2.5, raw: new Uint8Array([0, 1, 254, 255]), tags: ["gift"] },
    eventName: LONG("order.accepted", 1024),
  });
  logger.emit({ severityNumber: SeverityNumber.WARN, body: ["a", 1, false] });
  await tracerProvider.forceFlush();
  await loggerProvider.forceFlush();
  const sent = { spans: spansSent.getFinishedSpans(), logs: logsSent.getFinishedLogRecords() };
  await tracerProvider.shutdown();
  await loggerProvider.shutdown();
  return sent;
}

function checkSdkSpan(sent: ReadableSpan, got: WireItem, form: Form) {
  const ctx = sent.spanContext();
  const where = `${form} span ${sent.name}`;
  assert.deepEqual({
    span_id: got.span_id,
    parent_span_id: got.parent_span_id,
    trace_state: got.trace_state,
    name: got.name,
    kind: got.kind,
    start_time_unix_nano: got.start_time_unix_nano,
    end_time_unix_nano: got.end_time_unix_nano,
    status_code: got.status_code,
    status_message: got.status_message,
    flags: got.flags,
    attributes: got.attributes,
    dropped_attributes_count: got.dropped_attributes_count,
    dropped_events_count: got.dropped_events_count,
    dropped_links_count: got.dropped_links_count,
    events: got.events.map((e: WireItem) => ({ ...e, time: undefined })),
    links: got.links,
    resource_attributes: got.resource_attributes,
    resource: got.resource,
    scope: got.scope,
  }, {
    span_id: ctx.spanId,
    parent_span_id: sent.parentSpanContext?.spanId ?? "",
    trace_state: "",
    name: sent.name,
    kind: KINDS[sent.kind + 1],
    start_time_unix_nano: ns(sent.startTime).toString(),
    end_time_unix_nano: ns(sent.endTime).toString(),
    status_code: STATUS[sent.status.code],
    status_message: sent.status.message ?? "",
    flags: spanFlags(ctx.traceFlags, sent.parentSpanContext?.isRemote),
    attributes: attributesIn(form, expectedAttributes(sent.attributes)),
    dropped_attributes_count: 0,
    dropped_events_count: 0,
    dropped_links_count: 0,
    events: sent.events.map((event) => ({
      name: event.name,
      time: undefined,
      time_unix_nano: ns(event.time).toString(),
      attributes: attributesIn(form, expectedAttributes(event.attributes ?? {})),
      dropped_attributes_count: 0,
    })),
    links: sent.links.map((link) => ({
      trace_id: link.context.traceId,
      span_id: link.context.spanId,
      trace_state: "",
      attributes: attributesIn(form, expectedAttributes(link.attributes ?? {})),
      dropped_attributes_count: 0,
      flags: spanFlags(link.context.traceFlags, link.context.isRemote),
    })),
    resource_attributes: attributesIn(form, expectedAttributes(sent.resource.attributes)),
    resource: { schema_url: RESOURCE_SCHEMA, dropped_attributes_count: 0, entity_refs: [] },
    scope: {
      name: "fidelity",
      version: "1.2.3",
      attributes: attributesIn(form, []),
      dropped_attributes_count: 0,
      schema_url: SCOPE_SCHEMA,
    },
  }, where);
}

function checkSdkLog(sent: ReadableLogRecord, got: WireItem, form: Form) {
  const body = expectedAnyValue(sent.body);
  const plainBody = body.type === "string" ? body.value : plainOf(body);
  assert.deepEqual({ ...got, id: undefined, timestamp: undefined, observed_timestamp: undefined }, {
    id: undefined,
    timestamp: undefined,
    observed_timestamp: undefined,
    time_unix_nano: ns(sent.hrTime).toString(),
    observed_time_unix_nano: ns(sent.hrTimeObserved).toString(),
    listed_time_unix_nano: ns(sent.hrTime).toString(),
    time_unset: false,
    severity_text: sent.severityText ?? "",
    severity_number: sent.severityNumber,
    body: form === "plain" ? plainBody : typedOf(body),
    event_name: sent.eventName ?? "",
    service_name: got.service_name,
    trace_id: sent.spanContext?.traceId ?? "",
    span_id: sent.spanContext?.spanId ?? "",
    flags: sent.spanContext?.traceFlags ?? 0,
    attributes: attributesIn(form, expectedAttributes(sent.attributes)),
    dropped_attributes_count: 0,
    resource_attributes: attributesIn(form, expectedAttributes(sent.resource.attributes)),
    resource: { schema_url: RESOURCE_SCHEMA, dropped_attributes_count: 0, entity_refs: [] },
    scope: {
      name: "fidelity-logger",
      version: "4.5.6",
      attributes: attributesIn(form, []),
      dropped_attributes_count: 0,
      schema_url: SCOPE_SCHEMA,
    },
  }, `${form} log ${JSON.stringify(plainBody).slice(0, 40)}`);
}

// ------------------------------------------------------------------------------------------------
// Raw requests: what no SDK sets.

/** Every AnyValue kind, with the values a plain JSON form cannot tell apart. */
const VALUES: [string, unknown, AnyValue][] = [
  ["double.two", { doubleValue: 2.0 }, { type: "double", value: 2 }],
  // As a string: JSON.stringify would write -0 as 0. proto3 JSON takes a double as a string too.
  ["double.negative_zero", { doubleValue: "-0.0" }, { type: "double", value: -0 }],
  ["double.nan", { doubleValue: "NaN" }, { type: "double", value: NaN }],
  ["double.inf", { doubleValue: "Infinity" }, { type: "double", value: Infinity }],
  ["double.neg_inf", { doubleValue: "-Infinity" }, { type: "double", value: -Infinity }],
  ["int.max", { intValue: "9223372036854775807" }, {
    type: "int",
    value: 9223372036854775807n,
  }],
  ["int.min", { intValue: "-9223372036854775808" }, {
    type: "int",
    value: -9223372036854775808n,
  }],
  ["bytes", { bytesValue: "AAH+/w==" }, { type: "bytes", value: new Uint8Array([0, 1, 254, 255]) }],
  ["text.like_bytes", { stringValue: "AAH+/w==" }, { type: "string", value: "AAH+/w==" }],
  ["empty", {}, { type: "empty" }],
  ["nested", {
    kvlistValue: {
      values: [{
        key: "list",
        value: { arrayValue: { values: [{ intValue: "1" }, { doubleValue: 1.0 }, {}] } },
      }],
    },
  }, {
    type: "kvlist",
    value: [{
      key: "list",
      value: {
        type: "array",
        value: [{ type: "int", value: 1n }, { type: "double", value: 1 }, { type: "empty" }],
      },
    }],
  }],
];

const RAW_SCOPE_NAME = LONG(NUL("raw-scope"), 1024);
const RAW_SCOPE_VERSION = LONG("0.1", 256);
const RAW_SPAN_NAME = LONG(NUL("raw span"), 1024);
const RAW_SEVERITY_TEXT = LONG(NUL("INFO"), 128);
const RAW_EVENT_NAME = LONG(NUL("event"), 1024);
/** A service with a NUL named longer than its column: listed by its first 256 characters. */
const rawService = (encoding: string) => LONG(NUL(`raw-${encoding}`), 256);

const RAW_SCOPE = {
  scope: {
    name: RAW_SCOPE_NAME,
    version: RAW_SCOPE_VERSION,
    attributes: [{ key: "scope.kind", value: { stringValue: "raw" } }],
    droppedAttributesCount: 5,
  },
  schemaUrl: SCOPE_SCHEMA,
};

const RAW_ATTRIBUTES = VALUES.map(([key, value]) => ({ key, value }));
const BASE_NS = BigInt(Date.now() - 60_000) * 1_000_000n;

function rawTraces(service: string, traceId: string) {
  return {
    resourceSpans: [{
      ...rawResource(service),
      scopeSpans: [{
        ...RAW_SCOPE,
        spans: [{
          traceId,
          spanId: "1111111111111111",
          name: RAW_SPAN_NAME,
          kind: 2,
          startTimeUnixNano: String(BASE_NS),
          endTimeUnixNano: String(BASE_NS + 1_000_000n),
          attributes: RAW_ATTRIBUTES,
          droppedAttributesCount: 1,
          events: [{ timeUnixNano: String(BASE_NS + 10n), name: "ev", attributes: RAW_ATTRIBUTES }],
          droppedEventsCount: 2,
          droppedLinksCount: 4,
          status: { code: 2, message: NUL("failed") },
        }],
      }],
    }],
  };
}

function rawLogs(service: string) {
  return {
    resourceLogs: [{
      ...rawResource(service),
      scopeLogs: [{
        ...RAW_SCOPE,
        logRecords: [
          // No time: kept as unset, listed at its observed time.
          {
            observedTimeUnixNano: String(BASE_NS + 5n),
            severityNumber: 9,
            severityText: RAW_SEVERITY_TEXT,
            eventName: RAW_EVENT_NAME,
            body: { stringValue: NUL("no time") },
          },
          ...VALUES.map(([key, value], i) => ({
            timeUnixNano: String(BASE_NS + BigInt(i + 10)),
            observedTimeUnixNano: String(BASE_NS + BigInt(i + 10)),
            severityNumber: 13,
            body: value,
            attributes: [{ key: "which", value: { stringValue: key } }, ...RAW_ATTRIBUTES],
            droppedAttributesCount: 7,
          })),
        ],
      }],
    }],
  };
}

const hexBytes = (hex: string) => new Uint8Array(hex.match(/../g)!.map((b) => parseInt(b, 16)));

/** The OTLP/JSON request as protobuf: the same message, hex ids as bytes. */
function asProtobuf(signal: "traces" | "logs", request: unknown): Uint8Array {
  const copy = JSON.parse(JSON.stringify(request));
  for (const rs of copy.resourceSpans ?? []) {
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) {
        span.traceId = hexBytes(span.traceId);
        span.spanId = hexBytes(span.spanId);
      }
    }
  }
  const type = signal === "traces" ? TraceRequest : LogsRequest;
  return type.encode(type.fromObject(copy)).finish();
}

async function post(
  argus: ArgusProcess,
  signal: "traces" | "logs",
  body: Uint8Array,
  json: boolean,
) {
  const response = await fetch(`${argus.otlpHttpUrl}/v1/${signal}`, {
    method: "POST",
    headers: { "content-type": json ? "application/json" : "application/x-protobuf" },
    body: body as Uint8Array<ArrayBuffer>,
  });
  const text = await response.text();
  assert.equal(response.status, 200, text);
  assert.doesNotMatch(text, /rejected/i);
}

function expectedRawResource(form: Form, service: string) {
  return {
    resource_attributes: attributesIn(form, [
      { key: "service.name", value: { type: "string", value: service } },
      { key: "host.id", value: { type: "string", value: "h-1" } },
    ]),
    resource: RAW_RESOURCE,
    scope: {
      name: RAW_SCOPE_NAME,
      version: RAW_SCOPE_VERSION,
      attributes: attributesIn(form, [{
        key: "scope.kind",
        value: { type: "string", value: "raw" },
      }]),
      dropped_attributes_count: 5,
      schema_url: SCOPE_SCHEMA,
    },
  };
}

const RAW_LIST = VALUES.map(([key, , value]) => ({ key, value }));

async function checkRaw(argus: ArgusProcess, encoding: "json" | "protobuf") {
  const service = rawService(encoding);
  const traceId = crypto.randomUUID().replaceAll("-", "");
  const encode = (signal: "traces" | "logs", request: unknown) =>
    encoding === "json"
      ? new TextEncoder().encode(JSON.stringify(request))
      : asProtobuf(signal, request);
  await post(argus, "traces", encode("traces", rawTraces(service, traceId)), encoding === "json");
  await post(argus, "logs", encode("logs", rawLogs(service)), encoding === "json");
  for (const form of FORMS) {
    const [span] = await spansOf(argus, traceId, 1, form);
    const expected = expectedRawResource(form, service);
    assert.deepEqual({
      attributes: span.attributes,
      dropped_attributes_count: span.dropped_attributes_count,
      dropped_events_count: span.dropped_events_count,
      dropped_links_count: span.dropped_links_count,
      event_attributes: span.events[0].attributes,
      resource_attributes: span.resource_attributes,
      resource: span.resource,
      scope: span.scope,
      name: span.name,
      service_name: span.service_name,
      status: [span.status_code, span.status_message],
    }, {
      attributes: attributesIn(form, RAW_LIST),
      dropped_attributes_count: 1,
      dropped_events_count: 2,
      dropped_links_count: 4,
      event_attributes: attributesIn(form, RAW_LIST),
      ...expected,
      name: RAW_SPAN_NAME,
      service_name: service,
      status: ["error", NUL("failed")],
    }, `${encoding} ${form} span`);

    // Asked for whole: the filter compares the part the column holds.
    const logs = await logsOf(argus, service, VALUES.length + 1, form);
    assert.equal(logs.length, VALUES.length + 1);
    const unset = logs.find((l) => l.time_unset);
    assert.ok(unset, `${encoding} ${form}: the record without a time`);
    // Answered as sent, 0, and listed at its observed time.
    assert.deepEqual(
      [unset.time_unix_nano, unset.observed_time_unix_nano, unset.listed_time_unix_nano],
      ["0", String(BASE_NS + 5n), String(BASE_NS + 5n)],
    );
    assert.deepEqual(
      [unset.body, unset.severity_text, unset.event_name],
      [
        form === "plain" ? NUL("no time") : { stringValue: NUL("no time") },
        RAW_SEVERITY_TEXT,
        RAW_EVENT_NAME,
      ],
    );
    for (const [key, , value] of VALUES) {
      const which = form === "plain"
        ? (l: WireItem) => l.attributes.which === key
        : (l: WireItem) => l.attributes[0]?.value.stringValue === key;
      const log = logs.find(which);
      assert.ok(log, `${encoding} ${form}: record ${key}`);
      assert.deepEqual({
        body: log.body,
        attributes: log.attributes,
        dropped_attributes_count: log.dropped_attributes_count,
        time_unset: log.time_unset,
        service_name: log.service_name,
        resource_attributes: log.resource_attributes,
        resource: log.resource,
        scope: log.scope,
      }, {
        body: form === "plain" ? plainOf(value) : typedOf(value),
        attributes: attributesIn(form, [
          { key: "which", value: { type: "string", value: key } },
          ...RAW_LIST,
        ]),
        dropped_attributes_count: 7,
        time_unset: false,
        service_name: service,
        ...expected,
      }, `${encoding} ${form} record ${key}`);
    }
  }
  // Lists and aggregates: the part of the name its column holds, as sent (its NUL included), and
  // found by the whole name.
  const window = `start=${Date.now() - 86_400_000}&end=${Date.now() + 3_600_000}`;
  const whole = `service=${encodeURIComponent(service)}&${window}`;
  const { services } = await getJson<WireItem>(argus, `/api/metadata/services?${window}`);
  const listed = services.filter((s: string) => service.startsWith(s));
  assert.equal(listed.length, 1, `${encoding}: ${JSON.stringify(services).slice(0, 300)}`);
  assert.ok(listed[0].length >= 200 && listed[0].includes("\u0000"), `${encoding}: ${listed[0]}`);
  const operations = await getJson<WireItem>(argus, `/api/metrics/operations?${whole}`);
  assert.equal(operations.service_name, listed[0]);
  const [operation] = operations.operations.map((o: WireItem) => o.operation);
  assert.ok(RAW_SPAN_NAME.startsWith(operation) && operation.includes("\u0000"), operation);
  const map = await getJson<WireItem>(argus, `/api/metrics/service-map?${whole}`);
  assert.deepEqual(map.nodes.map((n: WireItem) => n.name), [listed[0]]);
}

for (const driver of selectedDrivers()) {
  Deno.test(`[${driver}] every OTLP field comes back through the API, plain and typed: the JS SDK over gRPC, HTTP/protobuf and HTTP/JSON, and raw OTLP/JSON and protobuf`, async () => {
    await withArgusOn(driver, { FLUSH_INTERVAL: "20ms" }, async (argus) => {
      for (const transport of TRANSPORTS) {
        const service = `sdk-${transport.key}`;
        const sent = await sendWithSdk(argus, transport, service);
        assert.equal(sent.spans.length, 2);
        assert.equal(sent.logs.length, 3);
        for (const form of FORMS) {
          const traceId = sent.spans[0]!.spanContext().traceId;
          const spans = await spansOf(argus, traceId, sent.spans.length, form);
          for (const span of sent.spans) {
            const got = spans.find((s) => s.span_id === span.spanContext().spanId);
            assert.ok(got, `${transport.key}: span ${span.name}`);
            checkSdkSpan(span, got, form);
          }
          const logs = await logsOf(argus, service, sent.logs.length, form);
          assert.equal(logs.length, sent.logs.length);
          for (const log of sent.logs) {
            // Each of the SDK's records has a severity of its own (their times may be equal).
            const got = logs.find((l) => l.severity_number === log.severityNumber);
            assert.ok(got, `${transport.key}: log ${log.severityNumber}`);
            checkSdkLog(log, got, form);
          }
        }
      }
      await checkRaw(argus, "json");
      await checkRaw(argus, "protobuf");
    });
  });
}
