/**
 * Trace compare (issue 14), in headless Chromium: two known traces of the same request sent
 * through OTLP/HTTP, A with two database queries and a call to inventory, B slower, failing in
 * payment, with three queries and no inventory call. Ticked in the trace list, they open side by
 * side with every span matched or marked as in one only; the trace page's "Compare with" box
 * opens the same comparison (tests/browser/scenarios/compare.mjs).
 */
import assert from "node:assert/strict";
import { startArgus } from "./argus_process.ts";
import { runScenario } from "./browser.ts";
import { hex, random } from "./builders.ts";
import { type JsonSpan, postJson, traceRequest } from "./otlp_payloads.ts";

const MS = 1_000_000n;

interface Step {
  service: string;
  name: string;
  ms: number;
  error?: boolean;
  children?: Step[];
}

/** A trace's spans by service, each child starting 1 ms after its parent. */
function traceOf(root: Step, startNs: bigint, rand: () => number) {
  const traceId = hex(rand, 32);
  const byService = new Map<string, JsonSpan[]>();
  const add = (step: Step, parent: string, start: bigint) => {
    const spanId = hex(rand, 16);
    const list = byService.get(step.service) ?? [];
    list.push({
      traceId,
      spanId,
      ...(parent === "" ? {} : { parentSpanId: parent }),
      name: step.name,
      kind: 2,
      startTimeUnixNano: start.toString(),
      endTimeUnixNano: (start + BigInt(step.ms) * MS).toString(),
      status: { code: step.error ? 2 : 0 },
    });
    byService.set(step.service, list);
    (step.children ?? []).forEach((child, i) => add(child, spanId, start + BigInt(i + 1) * MS));
  };
  add(root, "", startNs);
  return { traceId, byService };
}

const query = (ms: number): Step => ({ service: "db", name: "SELECT", ms });

const A: Step = {
  service: "order",
  name: "POST /orders",
  ms: 100,
  children: [
    { service: "payment", name: "charge", ms: 20, children: [query(5), query(6)] },
    { service: "inventory", name: "reserve", ms: 10 },
  ],
};
const B: Step = {
  service: "order",
  name: "POST /orders",
  ms: 150,
  children: [
    {
      service: "payment",
      name: "charge",
      ms: 80,
      error: true,
      children: [query(5), query(6), query(7)],
    },
  ],
};

Deno.test("two traces compare side by side, spans matched by place and differences marked", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-ui-compare-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms" }, cwd);
  try {
    const rand = random(23);
    const now = BigInt(Date.now()) * MS;
    const a = traceOf(A, now - 90_000n * MS, rand);
    const b = traceOf(B, now - 60_000n * MS, rand);
    for (const trace of [a, b]) {
      for (const [service, spans] of trace.byService) {
        assert.equal(
          (await postJson(argus.otlpHttpUrl, "traces", traceRequest(spans, service))).status,
          200,
        );
      }
    }
    const { answer, problems } = await runScenario<{ fromList: string[]; fromTracePage: string }>(
      "compare",
      argus.baseUrl,
      { a: a.traceId, b: b.traceId },
    );
    assert.deepEqual(problems, []);
    // Depth, service, operation, match and B − A, row by row.
    assert.deepEqual(answer.fromList, [
      "0 order POST /orders both 50",
      "1 payment charge both 60",
      "2 db SELECT both 0",
      "2 db SELECT both 0",
      "2 db SELECT only_b -",
      "1 inventory reserve only_a -",
    ]);
    assert.equal(answer.fromTracePage, `/traces/compare?a=${a.traceId}&b=${b.traceId}`);
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
