/**
 * The official OpenTelemetry JS SDK as a real client of Argus, over each of its OTLP exporters
 * (gRPC, HTTP/protobuf, HTTP/JSON): every field the SDK exported is read back from the database
 * and compared with the SDK's own record of what it sent (an in-memory exporter beside the OTLP
 * one).
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
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  type LogRecordExporter,
  type ReadableLogRecord,
  SimpleLogRecordProcessor,
} from "@opentelemetry/sdk-logs";
import { parseAnyValueJson, parseAttributesJson } from "../lib/any_value_json.ts";
import {
  expectedAnyValue,
  expectedAttributes,
  ns,
  SDK_TRANSPORTS,
  spanFlags,
} from "./otlp_expected.ts";
import { createStore, type Store } from "../store/mod.ts";
import { startArgus } from "./argus_process.ts";
import { databaseConfig } from "./databases.ts";

const ALL = { startNs: 0n, endNs: (1n << 63n) - 1n };
const PAGE = { limit: 1000, offset: 0 };

const TRANSPORTS = SDK_TRANSPORTS;

/** Records spans and logs of every kind the SDK can produce. */
function produceTelemetry(traceExporter: SpanExporter, logExporter: LogRecordExporter) {
  const resource = resourceFromAttributes({
    "service.name": "checkout-service",
    "service.version": "2.3.1",
    "deployment.environment": "test",
    "host.name": "hôte-01",
  });
  const spansSent = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    resource,
    spanProcessors: [new SimpleSpanProcessor(traceExporter), new SimpleSpanProcessor(spansSent)],
  });
  const logsSent = new InMemoryLogRecordExporter();
  const loggerProvider = new LoggerProvider({
    resource,
    processors: [new SimpleLogRecordProcessor(logExporter), new SimpleLogRecordProcessor(logsSent)],
  });

  const tracer = tracerProvider.getTracer("argus-e2e", "1.2.3");
  const logger = loggerProvider.getLogger("argus-e2e-logger", "4.5.6");
  // A remote parent with trace state, as after W3C propagation.
  const remoteParent = trace.setSpanContext(context.active(), {
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    spanId: "00f067aa0ba902b7",
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: undefined,
  });
  const root = tracer.startSpan("POST /orders", {
    kind: SpanKind.SERVER,
    attributes: {
      "http.request.method": "POST",
      "http.response.status_code": 201,
      "order.total": 129.95,
      "order.express": true,
      "order.tags": ["gift", "fragile", "ünïcödé ✓"],
      "order.item_ids": [17, 42, 9007199254740991],
      "order.weights": [0.5, 1.25],
      "order.flags": [true, false],
      "note": "multi\nline 'quoted' \"double\" 😀",
    },
  }, remoteParent);
  const rootContext = trace.setSpan(context.active(), root);
  const child = tracer.startSpan("charge card", {
    kind: SpanKind.CLIENT,
    attributes: { "payment.provider": "acme", "retry.count": 0 },
    links: [{
      context: {
        traceId: "0af7651916cd43dd8448eb211c80319c",
        spanId: "b7ad6b7169203331",
        traceFlags: TraceFlags.NONE,
        isRemote: true,
      },
      attributes: { "link.reason": "batch", "link.weight": 3 },
    }],
  }, rootContext);
  child.addEvent("exception", {
    "exception.type": "GatewayTimeout",
    "exception.message": "upstream took 5 s",
    "exception.escaped": false,
  });
  child.addEvent("retry", { attempt: 2 });
  child.setStatus({ code: SpanStatusCode.ERROR, message: "Gateway Timeout" });
  child.end();
  const internal = tracer.startSpan("compute tax", { kind: SpanKind.INTERNAL }, rootContext);
  internal.setStatus({ code: SpanStatusCode.OK });
  internal.end();
  for (const kind of [SpanKind.PRODUCER, SpanKind.CONSUMER]) {
    tracer.startSpan(`queue ${kind}`, { kind }, rootContext).end();
  }
  root.end();

  logger.emit({
    severityNumber: SeverityNumber.ERROR,
    severityText: "ERROR",
    body: "payment failed: Gateway Timeout 🚨",
    attributes: { "order.id": "A-1001", "retry.count": 2, "amount": 12.5 },
    context: trace.setSpan(context.active(), child),
  });
  logger.emit({
    severityNumber: SeverityNumber.INFO2,
    severityText: "INFO2",
    body: {
      event: "order.accepted",
      items: 3,
      total: 129.95,
      express: true,
      tags: ["gift"],
      nested: { depth: { level: 2 } },
      raw: new Uint8Array([0, 1, 2, 253, 254, 255]),
    },
    attributes: { "order.id": "A-1002" },
  });
  logger.emit({ severityNumber: SeverityNumber.DEBUG, body: 42 });
  logger.emit({ severityNumber: SeverityNumber.WARN, body: 2.5, eventName: "price.changed" });
  logger.emit({ severityNumber: SeverityNumber.TRACE, body: ["a", 1, false] });
  logger.emit({ severityNumber: SeverityNumber.FATAL4, body: true, timestamp: 1_795_687_200_123 });

  return {
    /** Exports everything and returns what was sent (the in-memory exporters forget at shutdown). */
    async flush() {
      await tracerProvider.forceFlush();
      await loggerProvider.forceFlush();
      const sent = { spans: spansSent.getFinishedSpans(), logs: logsSent.getFinishedLogRecords() };
      await tracerProvider.shutdown();
      await loggerProvider.shutdown();
      return sent;
    },
  };
}

function assertSpanStored(
  sent: ReadableSpan,
  stored: Awaited<ReturnType<Store["traceSpans"]>>[number],
) {
  const ctx = sent.spanContext();
  const where = `span ${sent.name}`;
  assert.equal(stored.spanId, ctx.spanId, where);
  assert.equal(stored.traceId, ctx.traceId, where);
  assert.equal(stored.parentSpanId, sent.parentSpanContext?.spanId ?? "", where);
  assert.equal(stored.traceState, ctx.traceState?.serialize() ?? "", where);
  assert.equal(stored.name, sent.name, where);
  assert.equal(stored.kind, sent.kind + 1, where); // SDK enum starts at INTERNAL = 0
  assert.equal(stored.startTimeUnixNano, ns(sent.startTime), where);
  assert.equal(stored.endTimeUnixNano, ns(sent.endTime), where);
  assert.equal(stored.statusCode, sent.status.code, where);
  assert.equal(stored.statusMessage, sent.status.message ?? "", where);
  assert.deepEqual(
    parseAttributesJson(stored.attributes),
    expectedAttributes(sent.attributes),
    where,
  );
  assert.equal(stored.droppedAttributesCount, sent.droppedAttributesCount, where);
  assert.equal(stored.droppedEventsCount, sent.droppedEventsCount, where);
  assert.equal(stored.droppedLinksCount, sent.droppedLinksCount, where);
  assert.equal(stored.flags, spanFlags(ctx.traceFlags, sent.parentSpanContext?.isRemote), where);
  assert.equal(stored.scopeName, sent.instrumentationScope.name, where);
  assert.equal(stored.scopeVersion, sent.instrumentationScope.version ?? "", where);

  const events = JSON.parse(stored.events) as {
    timeUnixNano: string;
    name: string;
    attributes: unknown;
    droppedAttributesCount: number;
  }[];
  assert.equal(events.length, sent.events.length, where);
  sent.events.forEach((event, i) => {
    assert.equal(events[i]!.name, event.name);
    assert.equal(BigInt(events[i]!.timeUnixNano), ns(event.time));
    assert.deepEqual(
      parseAttributesJson(JSON.stringify(events[i]!.attributes)),
      expectedAttributes(event.attributes ?? {}),
    );
    assert.equal(events[i]!.droppedAttributesCount, event.droppedAttributesCount ?? 0);
  });
  const links = JSON.parse(stored.links) as {
    traceId: string;
    spanId: string;
    traceState: string;
    attributes: unknown;
    flags: number;
  }[];
  assert.equal(links.length, sent.links.length, where);
  sent.links.forEach((link, i) => {
    assert.equal(links[i]!.traceId, link.context.traceId);
    assert.equal(links[i]!.spanId, link.context.spanId);
    assert.equal(links[i]!.traceState ?? "", link.context.traceState?.serialize() ?? "");
    assert.deepEqual(
      parseAttributesJson(JSON.stringify(links[i]!.attributes)),
      expectedAttributes(link.attributes ?? {}),
    );
    assert.equal(links[i]!.flags, spanFlags(link.context.traceFlags, link.context.isRemote));
  });
  assert.equal(stored.resource.serviceName, "checkout-service");
  assert.deepEqual(
    parseAttributesJson(stored.resource.attributes),
    expectedAttributes(sent.resource.attributes),
  );
}

function assertLogStored(
  sent: ReadableLogRecord,
  stored: Awaited<ReturnType<Store["logs"]>>[number],
) {
  const where = `log ${JSON.stringify(String(sent.body)).slice(0, 40)}`;
  assert.equal(stored.timeUnixNano, ns(sent.hrTime), where);
  assert.equal(stored.observedTimeUnixNano, ns(sent.hrTimeObserved), where);
  assert.equal(stored.severityNumber, sent.severityNumber ?? 0, where);
  assert.equal(stored.severityText, sent.severityText ?? "", where);
  assert.equal(stored.eventName, sent.eventName ?? "", where);
  const body = expectedAnyValue(sent.body);
  assert.equal(stored.bodyType, body.type, where);
  if (body.type === "string") assert.equal(stored.body, body.value, where);
  else assert.deepEqual(parseAnyValueJson(stored.body), body, where);
  assert.equal(stored.traceId, sent.spanContext?.traceId ?? "", where);
  assert.equal(stored.spanId, sent.spanContext?.spanId ?? "", where);
  assert.equal(stored.flags, sent.spanContext?.traceFlags ?? 0, where);
  assert.deepEqual(
    parseAttributesJson(stored.attributes),
    expectedAttributes(sent.attributes),
    where,
  );
  assert.equal(stored.droppedAttributesCount, sent.droppedAttributesCount, where);
  assert.equal(stored.scopeName, sent.instrumentationScope.name, where);
  assert.equal(stored.scopeVersion, sent.instrumentationScope.version ?? "", where);
  assert.equal(stored.serviceName, "checkout-service", where);
}

for (const transport of TRANSPORTS) {
  Deno.test(`${transport.name}: the OpenTelemetry JS SDK's spans and logs are stored field for field`, async () => {
    const cwd = await Deno.makeTempDir({ prefix: "argus-sdk-" });
    const argus = await startArgus({ FLUSH_INTERVAL: "20ms" }, cwd);
    let store: Store | undefined;
    try {
      const telemetry = produceTelemetry(
        transport.traceExporter(argus),
        transport.logExporter(argus),
      );
      const { spans: sentSpans, logs: sentLogs } = await telemetry.flush();
      assert.equal(sentSpans.length, 5);
      assert.equal(sentLogs.length, 6);

      store = await createStore(databaseConfig("sqlite", `${cwd}/data/argus.db`), { dataDir: cwd });
      const traceId = sentSpans[0]!.spanContext().traceId;
      const storedSpans = await store.traceSpans(traceId);
      assert.equal(storedSpans.length, sentSpans.length);
      for (const sent of sentSpans) {
        const stored = storedSpans.find((s) => s.spanId === sent.spanContext().spanId);
        assert.ok(stored, `span ${sent.name} is stored`);
        assertSpanStored(sent, stored);
      }
      const storedLogs = await store.logs(ALL, PAGE);
      assert.equal(storedLogs.length, sentLogs.length);
      for (const sent of sentLogs) {
        const stored = storedLogs.find((l) =>
          l.timeUnixNano === ns(sent.hrTime) && l.severityNumber === sent.severityNumber
        );
        assert.ok(stored, `log with severity ${sent.severityNumber} is stored`);
        assertLogStored(sent, stored);
      }
    } finally {
      await store?.close();
      assert.equal(await argus.stop(), 0);
      await Deno.remove(cwd, { recursive: true });
    }
  });
}
