/**
 * TRACE_MAX_SPANS: `GET /api/traces/{trace_id}` answers a trace whole up to the limit, and refuses
 * a larger one with the way to read it (its structure, then span by span), which still answer; a
 * trace of 80,000 spans read whole once took Argus past its heap ceiling.
 */
import assert from "node:assert/strict";
import { startArgus } from "./argus_process.ts";
import { jsonSpans, postJson, traceRequest } from "./otlp_payloads.ts";

Deno.test("a trace over TRACE_MAX_SPANS is refused whole, naming its structure, which answers", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-trace-max-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms", TRACE_MAX_SPANS: "100" }, cwd);
  try {
    const startNs = BigInt(Date.now() - 60_000) * 1_000_000n;
    const spansOf = (traceId: string, count: number, seed: number) =>
      jsonSpans(count, seed, startNs).map((span) => ({ ...span, traceId }));
    const small = "a".repeat(32);
    const large = "b".repeat(32);
    for (const spans of [spansOf(small, 100, 1), spansOf(large, 101, 2)]) {
      const sent = await postJson(argus.otlpHttpUrl, "traces", traceRequest(spans));
      assert.equal(sent.status, 200);
    }
    const whole = await fetch(`${argus.baseUrl}/api/traces/${small}`);
    assert.equal(whole.status, 200);
    assert.equal((await whole.json()).spans.length, 100);

    const refused = await fetch(`${argus.baseUrl}/api/traces/${large}`);
    assert.equal(refused.status, 400);
    assert.deepEqual(await refused.json(), {
      error:
        `Cannot answer trace ${large} whole as it has more than 100 spans (TRACE_MAX_SPANS): ` +
        `read GET /api/traces/${large}/structure, then GET /api/traces/${large}/spans/{span_id} ` +
        "for the spans you need",
    });
    const structure = await fetch(`${argus.baseUrl}/api/traces/${large}/structure`);
    assert.equal(structure.status, 200);
    const body = await structure.json();
    assert.equal(body.trace_id, large);
    assert.equal(body.span_id.length, 101);
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
