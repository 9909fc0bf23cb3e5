/**
 * Two byte-identical log records in one OTLP/HTTP request, end to end through a running Argus and
 * read back through the API (issue 19): both are stored (distinct items are never merged, however
 * alike), a retry of the request (the same bytes again, as exporters resend) adds none (retries
 * never duplicate), and the same record in another request is another record. In OTLP/JSON and in
 * protobuf (made by the OpenTelemetry SDK's own serializer), as each has its own reader.
 */
import assert from "node:assert/strict";
import { ProtobufLogsSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
} from "@opentelemetry/sdk-logs";
import { startArgus } from "./argus_process.ts";
import { stringAttribute } from "./otlp_payloads.ts";

/** When the records happened: a minute ago, within the API's default window. */
const TIME_MS = Date.now() - 60_000;

/** An OTLP/JSON request of `records` copies of one record, byte-identical in the body. */
function jsonRequest(service: string, body: string, records: number): Uint8Array<ArrayBuffer> {
  const record = {
    timeUnixNano: `${TIME_MS}000000`,
    observedTimeUnixNano: `${TIME_MS}000000`,
    severityNumber: 13,
    severityText: "WARN",
    body: { stringValue: body },
    attributes: [stringAttribute("cache", "sessions")],
  };
  return new TextEncoder().encode(JSON.stringify({
    resourceLogs: [{
      resource: { attributes: [stringAttribute("service.name", service)] },
      scopeLogs: [{
        scope: { name: "twins" },
        logRecords: Array.from({ length: records }, () => record),
      }],
    }],
  }));
}

/** An OTLP protobuf request of `records` copies of one SDK log record, as its exporter makes it. */
function protobufRequest(service: string, body: string, records: number): Uint8Array<ArrayBuffer> {
  const exporter = new InMemoryLogRecordExporter();
  new LoggerProvider({
    resource: resourceFromAttributes({ "service.name": service }),
    processors: [new SimpleLogRecordProcessor(exporter)],
  }).getLogger("twins").emit({
    body,
    severityNumber: 13,
    severityText: "WARN",
    attributes: { cache: "sessions" },
    // Dates: the SDK takes a number before its process started for a performance.now() offset.
    timestamp: new Date(TIME_MS),
    observedTimestamp: new Date(TIME_MS),
  });
  const [record] = exporter.getFinishedLogRecords();
  // A copy: the serializer's array may sit on a shared buffer, which fetch does not take.
  return new Uint8Array(
    ProtobufLogsSerializer.serializeRequest(Array.from({ length: records }, () => record!))!,
  );
}

/** The protobuf reader hashes an all-ASCII request's bytes, any other its decoded text. */
const FORMATS = [
  { name: "OTLP/JSON", service: "twins-json", body: "cache miss", request: jsonRequest },
  {
    name: "OTLP/protobuf",
    service: "twins-protobuf",
    body: "cache miss",
    request: protobufRequest,
  },
  {
    name: "OTLP/protobuf, not ASCII",
    service: "twins-protobuf-utf8",
    body: "cache miss – sessions ✓",
    request: protobufRequest,
  },
] as const;

Deno.test("two identical log records in one request are two records, a retry adds none", async (t) => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-log-twins-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms" }, cwd);
  try {
    for (const format of FORMATS) {
      await t.step(format.name, async () => {
        const { service, body } = format;
        const type = format.request === jsonRequest ? "application/json" : "application/x-protobuf";
        const send = async (request: Uint8Array<ArrayBuffer>) => {
          const response = await fetch(`${argus.otlpHttpUrl}/v1/logs`, {
            method: "POST",
            headers: { "content-type": type },
            body: request,
          });
          const answer = new Uint8Array(await response.arrayBuffer());
          // Acknowledged whole: 200 and no partial success ({} in JSON, nothing in protobuf).
          assert.equal(response.status, 200);
          assert.equal(new TextDecoder().decode(answer).replace(/^\{\}$/, ""), "");
        };
        const listed = async () => {
          const query = new URLSearchParams({
            service,
            start: String(TIME_MS - 60_000),
            end: String(TIME_MS + 60_000),
            limit: "100",
          });
          const response = await fetch(`${argus.baseUrl}/api/logs?${query}`);
          assert.equal(response.status, 200);
          const page = await response.json() as {
            total: number;
            items: { id: string; body: unknown; attributes: Record<string, unknown> }[];
          };
          assert.equal(page.total, page.items.length);
          return page.items;
        };

        const twins = format.request(service, body, 2);
        await send(twins);
        const stored = await listed();
        assert.equal(stored.length, 2, "both records of the request are stored");
        assert.notEqual(stored[0]!.id, stored[1]!.id);
        for (const item of stored) {
          assert.equal(item.body, body);
          assert.deepEqual(item.attributes, { cache: "sessions" });
        }

        // The exporter's retry of the same request: the same bytes, the same two records.
        await send(twins);
        await send(twins);
        assert.deepEqual(
          (await listed()).map((item) => item.id).sort(),
          stored.map((item) => item.id).sort(),
          "a retry of the request adds no record",
        );

        // The same record alone, in another request: another record.
        await send(format.request(service, body, 1));
        assert.equal((await listed()).length, 3, "the same record in another request is another");
      });
    }
  } finally {
    await argus.stop();
    await Deno.remove(cwd, { recursive: true });
  }
});
