import assert from "node:assert/strict";
import { encodeResponse } from "./mod.ts";
import { LogsResponse, TraceResponse } from "./testdata/reference.ts";
import generated from "@opentelemetry/otlp-transformer/build/src/generated/root.js";

const MetricsResponse =
  // deno-lint-ignore no-explicit-any -- the generated module is untyped
  (generated as any).opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("encodeResponse() is empty on full success", () => {
  assert.deepEqual(encodeResponse("traces", "protobuf", 0, ""), new Uint8Array());
  assert.equal(text(encodeResponse("logs", "json", 0, "")), "{}");
});

Deno.test("encodeResponse() writes partial_success that the generated decoder reads", () => {
  const traces = TraceResponse.decode(encodeResponse("traces", "protobuf", 3, "spans[0]: bad id"));
  assert.equal(traces.partialSuccess.rejectedSpans.toString(), "3");
  assert.equal(traces.partialSuccess.errorMessage, "spans[0]: bad id");
  const logs = LogsResponse.decode(encodeResponse("logs", "protobuf", 2 ** 40, "ünïcode"));
  assert.equal(logs.partialSuccess.rejectedLogRecords.toString(), String(2 ** 40));
  assert.equal(logs.partialSuccess.errorMessage, "ünïcode");
  const warning = TraceResponse.decode(encodeResponse("traces", "protobuf", 0, "slow down"));
  assert.equal(String(warning.partialSuccess.rejectedSpans ?? 0), "0");
  assert.equal(warning.partialSuccess.errorMessage, "slow down");
});

Deno.test("encodeResponse() writes OTLP/JSON with int64 as a decimal string", () => {
  assert.deepEqual(JSON.parse(text(encodeResponse("traces", "json", 3, "why"))), {
    partialSuccess: { rejectedSpans: "3", errorMessage: "why" },
  });
  assert.deepEqual(JSON.parse(text(encodeResponse("logs", "json", 1, ""))), {
    partialSuccess: { rejectedLogRecords: "1" },
  });
});

Deno.test("encodeResponse() writes ExportMetricsServiceResponse with rejected_data_points", () => {
  assert.deepEqual(encodeResponse("metrics", "protobuf", 0, ""), new Uint8Array());
  assert.equal(text(encodeResponse("metrics", "json", 0, "")), "{}");
  const metrics = MetricsResponse.decode(encodeResponse("metrics", "protobuf", 2, "2 data points"));
  assert.equal(metrics.partialSuccess.rejectedDataPoints.toString(), "2");
  assert.equal(metrics.partialSuccess.errorMessage, "2 data points");
  assert.deepEqual(JSON.parse(text(encodeResponse("metrics", "json", 2, "why"))), {
    partialSuccess: { rejectedDataPoints: "2", errorMessage: "why" },
  });
});

Deno.test("encodeResponse() refuses a negative or fractional count", () => {
  assert.throws(() => encodeResponse("traces", "json", -1, ""), RangeError);
  assert.throws(() => encodeResponse("traces", "protobuf", 1.5, ""), RangeError);
});
