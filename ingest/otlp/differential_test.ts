/**
 * Differential tests: rows decoded by Argus's readers against rows mapped from the generated
 * reference decoder (testdata/reference.ts), over requests made by the real SDK and by hand.
 */
import assert from "node:assert/strict";
import { type Decoded, decodeRequest, DEFAULT_DECODE_LIMITS, type Signal } from "./mod.ts";
import {
  edgeLogsRequest,
  edgeTracesRequest,
  logsJson,
  logsProtobuf,
  sdkLogs,
  sdkSpans,
  tracesJson,
  tracesProtobuf,
} from "./testdata/payloads.ts";
import { encodeReference, referenceDecode } from "./testdata/reference.ts";

const NOW = 1_795_700_000_000_000_000n;

/** Rejected reasons reduced to their index and path, which is all the reference knows. */
export function paths(decoded: Decoded): Decoded {
  return {
    ...decoded,
    rejected: decoded.rejected.map((r) => ({ index: r.index, reason: r.reason.split(": ")[0]! })),
  };
}

function assertMatchesReference(signal: Signal, body: Uint8Array, limits = DEFAULT_DECODE_LIMITS) {
  const ours = decodeRequest(signal, "protobuf", body, limits, NOW);
  const reference = referenceDecode(signal, body, limits, NOW);
  assert.deepEqual(paths(ours), reference);
  return ours;
}

Deno.test("protobuf spans from the real SDK decode to the reference's rows", () => {
  const spans = sdkSpans({ count: 200 });
  const decoded = assertMatchesReference("traces", tracesProtobuf(spans));
  assert.equal(decoded.items, 200);
  assert.equal(decoded.batch.spans.length, 200);
  assert.equal(decoded.batch.resources.length, 3);
  assert.deepEqual(decoded.rejected, []);
});

Deno.test("OTLP/JSON spans from the real SDK decode to the same rows as protobuf", () => {
  const spans = sdkSpans({ count: 200 });
  const fromJson = decodeRequest("traces", "json", tracesJson(spans), DEFAULT_DECODE_LIMITS, NOW);
  const fromProtobuf = decodeRequest(
    "traces",
    "protobuf",
    tracesProtobuf(spans),
    DEFAULT_DECODE_LIMITS,
    NOW,
  );
  assert.deepEqual(fromJson, fromProtobuf);
});

Deno.test("protobuf logs from the real SDK decode to the reference's rows", () => {
  const logs = sdkLogs({ count: 200 });
  const decoded = assertMatchesReference("logs", logsProtobuf(logs));
  assert.equal(decoded.batch.logs.length, 200);
  assert.deepEqual(
    new Set(decoded.batch.logs.map((log) => log.bodyType)),
    new Set(["string", "int", "double", "bool", "bytes", "array", "kvlist", "empty"]),
  );
});

Deno.test("OTLP/JSON logs from the real SDK decode to the same rows as protobuf", () => {
  const logs = sdkLogs({ count: 200 });
  const fromJson = decodeRequest("logs", "json", logsJson(logs), DEFAULT_DECODE_LIMITS, NOW);
  const fromProtobuf = decodeRequest(
    "logs",
    "protobuf",
    logsProtobuf(logs),
    DEFAULT_DECODE_LIMITS,
    NOW,
  );
  assert.deepEqual(fromJson, fromProtobuf);
});

Deno.test("hand-made traces with every edge value decode to the reference's rows", () => {
  const decoded = assertMatchesReference("traces", encodeReference("traces", edgeTracesRequest()));
  assert.equal(decoded.items, 11);
  assert.equal(decoded.rejected.length, 4);
});

Deno.test("hand-made logs with every kind of body decode to the reference's rows", () => {
  const decoded = assertMatchesReference("logs", encodeReference("logs", edgeLogsRequest()));
  assert.equal(decoded.rejected.length, 2);
});

Deno.test("limits apply as the reference applies them", () => {
  const limits = { maxAttributes: 3, maxEvents: 1, maxLinks: 1, maxValueDepth: 1 };
  assertMatchesReference("traces", encodeReference("traces", edgeTracesRequest()), limits);
  assertMatchesReference("logs", encodeReference("logs", edgeLogsRequest()), limits);
  assertMatchesReference("traces", tracesProtobuf(sdkSpans({ count: 50 })), limits);
  assertMatchesReference("logs", logsProtobuf(sdkLogs({ count: 50 })), limits);
});
