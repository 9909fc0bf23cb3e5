// The ingest benchmark's load generator, run with Node (as a separate process, like real SDKs):
// several concurrent OTLP/gRPC clients sending pre-encoded, realistic export requests (500 spans
// of ~12 attributes over 3 services, or 500 log records), each request made unique by writing
// fresh trace and span ids into its bytes before it is sent, so every item is a new row.
//
// Usage: node bench/ingest_load_client.mjs HOST:PORT SIGNAL(traces|logs|metrics) SECONDS CLIENTS
//        IN_FLIGHT [ITEMS]
// For metrics the request is built by Deno (bench/_metrics_request.ts) and read from the file in
// ARGUS_BENCH_METRICS_FILE, with ARGUS_BENCH_METRICS_TIME_NS (the points' time, rewritten in each
// request to a later, distinct one) and ARGUS_BENCH_METRICS_POINTS (its data points, the ITEMS).
// A server without MetricsService (UNIMPLEMENTED) ends the run at once with "unsupported": true.
// ITEMS is the number of spans or log records per request (default 500; spans come in traces of 5,
// so a multiple of 5): `… 1 1 100` sends as one SDK exporter with telemetrygen's batch does.
// Prints one JSON line: {"signal","items","items_per_request","requests","failed","seconds",
// "latencies_ms":{p50,p99,max}}
// Or:    node bench/ingest_load_client.mjs --dump FILE SIGNAL [ITEMS]  (writes one request's bytes
//        to FILE, so the benchmark can insert the very same rows raw, as its baseline)
import * as grpc from "@grpc/grpc-js";
import { randomFillSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { context, trace, TraceFlags } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
} from "@opentelemetry/sdk-logs";
import { ProtobufLogsSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";

const dumping = process.argv[2] === "--dump";
const [address, signal, secondsText, clientsText, inFlightText, itemsText] = dumping
  ? [undefined, process.argv[4], "0", "0", "0", process.argv[5]]
  : process.argv.slice(2);
const seconds = Number(secondsText), clients = Number(clientsText), inFlight = Number(inFlightText);
const ITEMS = signal === "metrics"
  ? Number(process.env.ARGUS_BENCH_METRICS_POINTS)
  : Number(itemsText ?? 500);
if (!Number.isInteger(ITEMS) || ITEMS < 5 || ITEMS % 5 !== 0) {
  throw new RangeError(
    `Cannot use ITEMS as it must be a multiple of 5 from 5 up: current value is "${itemsText}"`,
  );
}
const SERVICES = ["order-service", "payment-service", "inventory-service"];

/** Serialized requests (one per service) and, for each, every offset of each id it contains. */
function templates() {
  if (signal === "metrics") {
    const bytes = readFileSync(process.env.ARGUS_BENCH_METRICS_FILE);
    return [{
      bytes,
      offsets: [],
      timeOffsets: timeOffsets(bytes, [BigInt(process.env.ARGUS_BENCH_METRICS_TIME_NS)]),
      // Its points' time, so that the first request's are now (points are stamped as exported).
      madeAtNs: BigInt(process.env.ARGUS_BENCH_METRICS_TIME_NS),
    }];
  }
  return SERVICES.map((service) => {
    const resource = resourceFromAttributes({
      "service.name": service,
      "service.version": "1.4.2",
      "host.name": "bench-host",
      "deployment.environment": "bench",
    });
    const ids = [];
    const times = [];
    let bytes;
    if (signal === "traces") {
      const memory = new InMemorySpanExporter();
      const provider = new BasicTracerProvider({
        resource,
        spanProcessors: [new SimpleSpanProcessor(memory)],
      });
      const tracer = provider.getTracer("bench", "1.0.0");
      for (let t = 0; t < ITEMS / 5; t++) {
        const root = tracer.startSpan("POST /orders", { kind: 1, attributes: attributes(t) });
        const ctx = trace.setSpan(context.active(), root);
        for (let c = 0; c < 4; c++) {
          tracer.startSpan(`db query ${c}`, { kind: 2, attributes: attributes(c) }, ctx).end();
        }
        root.end();
      }
      const spans = memory.getFinishedSpans();
      for (const span of spans) {
        ids.push(span.spanContext().traceId, span.spanContext().spanId);
        times.push(nanos(span.startTime), nanos(span.endTime));
      }
      bytes = ProtobufTraceSerializer.serializeRequest(spans);
    } else {
      const memory = new InMemoryLogRecordExporter();
      const provider = new LoggerProvider({
        resource,
        processors: [new SimpleLogRecordProcessor(memory)],
      });
      const logger = provider.getLogger("bench", "1.0.0");
      for (let i = 0; i < ITEMS; i++) {
        const spanContext = {
          traceId: random(16),
          spanId: random(8),
          traceFlags: TraceFlags.SAMPLED,
        };
        logger.emit({
          severityNumber: 9,
          severityText: "INFO",
          body: `order ${i} accepted for customer ${i % 97} with ${i % 7} items`,
          attributes: attributes(i),
          context: trace.setSpanContext(context.active(), spanContext),
        });
        ids.push(spanContext.traceId, spanContext.spanId);
      }
      const records = memory.getFinishedLogRecords();
      for (const record of records) times.push(nanos(record.hrTime), nanos(record.hrTimeObserved));
      bytes = ProtobufLogsSerializer.serializeRequest(records);
    }
    const buffer = Buffer.from(bytes);
    return {
      bytes: buffer,
      offsets: idOffsets(buffer, [...new Set(ids)]),
      timeOffsets: timeOffsets(buffer, [...new Set(times)]),
      madeAtNs: process.hrtime.bigint() + EPOCH_OFFSET_NS,
    };
  });
}

function attributes(i) {
  return {
    "http.request.method": "POST",
    "http.response.status_code": 200,
    "url.path": "/orders",
    "server.address": "127.0.0.1",
    "server.port": 9001,
    "network.protocol.version": "1.1",
    "user_agent.original": "bench/1.0",
    "http.route": "/orders",
    "order.id": `A-${i}`,
    "order.items": i % 10,
    "order.total": (i % 1000) / 7,
    "cache.hit": i % 2 === 0,
  };
}

function random(bytes) {
  return randomFillSync(Buffer.alloc(bytes)).toString("hex");
}

function idOffsets(buffer, ids) {
  return ids.map((id) => {
    const needle = Buffer.from(id, "hex");
    const at = [];
    for (let i = buffer.indexOf(needle); i >= 0; i = buffer.indexOf(needle, i + 1)) at.push(i);
    return { length: needle.length, at };
  });
}

/** Unix nanoseconds minus process.hrtime.bigint(), so that the latter tells the time cheaply. */
const EPOCH_OFFSET_NS = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

/** An OpenTelemetry HrTime ([seconds, nanoseconds]) as Unix nanoseconds. */
function nanos([seconds, ns]) {
  return BigInt(seconds) * 1_000_000_000n + BigInt(ns);
}

/** Every offset where one of `times` stands as a fixed64 (little-endian), as OTLP encodes times. */
function timeOffsets(buffer, times) {
  const at = [];
  for (const time of times) {
    const needle = Buffer.alloc(8);
    needle.writeBigUInt64LE(time);
    for (let i = buffer.indexOf(needle); i >= 0; i = buffer.indexOf(needle, i + 1)) at.push(i);
  }
  return at;
}

/**
 * A copy of a template with fresh random ids, written at every place each id stands, and its
 * times moved forward by the time since the template was made: as an SDK sends them, records
 * carry the time they were made (log ids and time indexes depend on it).
 */
let lastShift = -1n;

function fresh(template) {
  const bytes = Buffer.from(template.bytes);
  for (const { length, at } of template.offsets) {
    const id = randomFillSync(Buffer.alloc(length));
    for (const offset of at) id.copy(bytes, offset);
  }
  let shift = process.hrtime.bigint() + EPOCH_OFFSET_NS - template.madeAtNs;
  // Distinct shifts, so that two requests never carry the same point (metrics: series and time).
  if (shift <= lastShift) shift = lastShift + 1n;
  lastShift = shift;
  for (const offset of template.timeOffsets) {
    bytes.writeBigUInt64LE(bytes.readBigUInt64LE(offset) + shift, offset);
  }
  return bytes;
}

if (process.argv[2] === "--dump") {
  const { writeFileSync } = await import("node:fs");
  writeFileSync(process.argv[3], templates()[0].bytes);
  process.exit(0);
}

const passthrough = (b) => b;
const path = {
  traces: "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
  logs: "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
  metrics: "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
}[signal];
const Client = grpc.makeGenericClientConstructor({
  Export: {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: passthrough,
    requestDeserialize: passthrough,
    responseSerialize: passthrough,
    responseDeserialize: passthrough,
  },
}, "Export");

const all = templates();
const latencies = [];
let items = 0, requests = 0, failed = 0, unsupported = false;
const started = performance.now();
const deadline = started + seconds * 1000;

async function worker(client, n) {
  while (performance.now() < deadline && !unsupported) {
    const bytes = fresh(all[(requests + n) % all.length]);
    const sent = performance.now();
    const error = await new Promise((resolve) =>
      client.Export(
        bytes,
        new grpc.Metadata(),
        { deadline: Date.now() + 30_000 },
        (e) => resolve(e ?? null),
      )
    );
    if (error === null) {
      latencies.push(performance.now() - sent);
      items += ITEMS;
      requests++;
    } else if (error.code === grpc.status.UNIMPLEMENTED) {
      unsupported = true;
    } else {
      failed++;
      await new Promise((r) => setTimeout(r, 100)); // the retry hint of UNAVAILABLE
    }
  }
}

const channels = Array.from(
  { length: clients },
  () => new Client(address, grpc.credentials.createInsecure()),
);
await Promise.all(
  channels.flatMap((client, c) =>
    Array.from({ length: inFlight }, (_, i) => worker(client, c * inFlight + i))
  ),
);
const elapsed = (performance.now() - started) / 1000;
for (const client of channels) client.close();
latencies.sort((a, b) => a - b);
const q = (p) =>
  latencies.length === 0
    ? null
    : Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] * 10) /
      10;
process.stdout.write(
  JSON.stringify({
    signal,
    items,
    items_per_request: ITEMS,
    requests,
    failed,
    ...(unsupported ? { unsupported } : {}),
    seconds: Math.round(elapsed * 10) / 10,
    latencies_ms: { p50: q(0.5), p99: q(0.99), max: q(1) },
  }) + "\n",
);
