/**
 * The HTTP API as clients use it, with data ingested through the real OTLP path.
 */
import assert from "node:assert/strict";
import { startArgus } from "./argus_process.ts";
import { jsonSpans, postJson, stringAttribute, traceRequest } from "./otlp_payloads.ts";

Deno.test("GET /api/traces/{trace_id} returns every span with the API's fields; 404 and 400 otherwise", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-api-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms" }, cwd);
  try {
    const [root, child] = jsonSpans(2, 77);
    child!.traceId = root!.traceId;
    child!.parentSpanId = root!.spanId;
    child!.status = { code: 2, message: "Gateway Timeout" };
    child!.attributes = [stringAttribute("http.request.method", "POST"), {
      key: "retries",
      value: { intValue: "9007199254740993" },
    }];
    const sent = await postJson(
      argus.otlpHttpUrl,
      "traces",
      traceRequest([root!, child!], "checkout"),
    );
    assert.equal(sent.status, 200);

    const response = await fetch(`${argus.baseUrl}/api/traces/${root!.traceId.toUpperCase()}`);
    assert.equal(response.status, 200);
    const trace = await response.json();
    assert.equal(trace.trace_id, root!.traceId);
    assert.deepEqual(trace.spans.map((s: { span_id: string }) => s.span_id), [
      root!.spanId,
      child!.spanId,
    ]);
    const [first, second] = trace.spans;
    assert.equal(first.parent_span_id, "");
    assert.equal(second.parent_span_id, root!.spanId);
    assert.equal(second.service_name, "checkout");
    assert.equal(second.kind, "server");
    assert.equal(second.status_code, "error");
    assert.equal(second.status_message, "Gateway Timeout");
    assert.equal(second.duration_ms, 5);
    assert.equal(second.start_time_unix_nano, child!.startTimeUnixNano);
    assert.match(second.start_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    assert.deepEqual(second.attributes, {
      "http.request.method": "POST",
      retries: "9007199254740993",
    });
    assert.equal(second.resource_attributes["service.name"], "checkout");
    assert.deepEqual(second.scope, { name: "argus-tests", version: "1", attributes: {} });

    const missing = await fetch(`${argus.baseUrl}/api/traces/${"f".repeat(32)}`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { error: `No trace ${"f".repeat(32)} is stored` });
    const bad = await fetch(`${argus.baseUrl}/api/traces/abc'%20or%201=1`);
    assert.equal(bad.status, 400);
    assert.match(
      (await bad.json()).error,
      /^Cannot use the trace id as it must be 32 hex characters/,
    );
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
