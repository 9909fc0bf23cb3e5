/**
 * A huge trace in headless Chromium (tests/browser/scenarios/trace_huge.mjs): 20,000 spans of
 * three services sent through OTLP/HTTP, more than TRACE_PAGE_INLINE_SPANS (5,000). The page's HTML
 * shows the waterfall's first rows as the server rendered them, without the structure in the
 * island's props, and preloads it; the browser fetches the structure once and draws the waterfall
 * from it without downloading the full trace, opening a span fetches that span's details alone,
 * and the in-trace search finds a span by an attribute value deep in the trace and scrolls to it.
 */
import assert from "node:assert/strict";
import { startArgus } from "./argus_process.ts";
import { runScenario } from "./browser.ts";
import { hex, random } from "./builders.ts";
import { type JsonSpan, postJson, stringAttribute, traceRequest } from "./otlp_payloads.ts";

const SPANS = 20_000;
const SERVICES = ["checkout", "payments", "inventory"];
/** Spans per export request: well under OTLP/HTTP's body limit. */
const PER_REQUEST = 2_500;
/** The span the search must find: late in tree order, far below the first screen. */
const TARGET = 17_321;
/** Spans named "charge card": the search's next and previous. */
const CHARGES = [4_001, 9_002, 15_003];

/** A 4-ary tree of `SPANS` spans (span i's parent is (i - 1) / 4), a millisecond apart. */
function hugeTrace(traceId: string, t0: bigint): JsonSpan[] {
  const rand = random(20_000);
  const ids = Array.from({ length: SPANS }, () => hex(rand, 16));
  return ids.map((spanId, i) => {
    const start = t0 + BigInt(i) * 1_000_000n;
    return {
      traceId,
      spanId,
      parentSpanId: i === 0 ? undefined : ids[Math.floor((i - 1) / 4)],
      name: CHARGES.includes(i) ? "charge card" : `step ${i % 40}`,
      kind: i === 0 ? 2 : 1,
      startTimeUnixNano: start.toString(),
      endTimeUnixNano: (start + BigInt(SPANS - i) * 1_000_000n).toString(),
      attributes: i === TARGET
        ? [stringAttribute("order.id", "ord-000298")]
        : [stringAttribute("order.seq", `seq-${i}`)],
    };
  });
}

Deno.test("a 20,000-span trace paints from its structure, fetches details per span and finds spans", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-ui-trace-huge-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms" }, cwd);
  try {
    const traceId = hex(random(4), 32);
    const spans = hugeTrace(traceId, BigInt(Date.now() - 120_000) * 1_000_000n);
    for (let i = 0; i < spans.length; i += PER_REQUEST) {
      const part = spans.slice(i, i + PER_REQUEST);
      const service = SERVICES[(i / PER_REQUEST) % SERVICES.length]!;
      const sent = await postJson(argus.otlpHttpUrl, "traces", traceRequest(part, service));
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
    }
    let stored = 0;
    for (let i = 0; i < 400 && stored < SPANS; i++) {
      const response = await fetch(`${argus.baseUrl}/api/traces/${traceId}/structure`);
      stored = response.status === 200 ? (await response.json()).span_id.length : 0;
      if (response.status !== 200) await response.body?.cancel();
      if (stored < SPANS) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(stored, SPANS, "every span is stored");

    // The HTML is the first screen of rows and the preload, not 20,000 spans.
    const html = await (await fetch(`${argus.baseUrl}/traces/${traceId}`)).text();
    assert.match(html, new RegExp(`data-trace-preview="${SPANS}"`));
    assert.match(html, /role="treeitem"/);
    assert.match(html, /"trace":null/);
    // It names the page's own read of the structure, which the preload takes.
    assert.match(
      html,
      new RegExp(
        `<link rel="preload" href="/api/traces/${traceId}/structure\\?snapshot=[0-9a-f]{32}"`,
      ),
    );
    assert.ok(html.length < 200_000, `${html.length} characters of HTML`);

    const { problems } = await runScenario("trace_huge", argus.baseUrl, {
      traceId,
      count: SPANS,
      target: spans[TARGET]!.spanId,
      charges: CHARGES.map((i) => spans[i]!.spanId),
    });
    assert.deepEqual(problems, []);
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
