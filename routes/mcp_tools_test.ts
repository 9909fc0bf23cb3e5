import assert from "node:assert/strict";
import { fit, traceAnswer } from "./mcp_tools.ts";
import type { WireTraceStructure } from "../utils/wire.ts";

const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).length;

Deno.test("fit() keeps an answer within its bound, with as many items as fit", () => {
  let seed = 7;
  const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  for (let round = 0; round < 200; round++) {
    const items = Array.from({ length: Math.floor(rand() * 400) }, (_, i) => ({
      i,
      text: "é✓x".repeat(Math.floor(rand() * 30)),
    }));
    const value = { head: "h".repeat(Math.floor(rand() * 200)), items };
    const maxBytes = 300 + Math.floor(rand() * 6000);
    const answer = fit(value, "items", maxBytes, "narrow it");
    if (bytes(value) <= maxBytes) {
      assert.equal(answer, value);
      continue;
    }
    assert.ok(bytes(answer) <= maxBytes, `${bytes(answer)} > ${maxBytes}`);
    assert.equal(answer.truncated, true);
    assert.deepEqual(answer.items, items.slice(0, answer.shown as number));
    // The most that fit, give or take the width of `shown` reserved for its largest value.
    let best = 0;
    while (
      best < items.length &&
      bytes({ ...answer, items: items.slice(0, best + 1), shown: best + 1 }) <= maxBytes
    ) best++;
    assert.ok((answer.shown as number) >= best - 1, `${answer.shown} of ${best}`);
  }
});

Deno.test("traceAnswer() stays within a tiny bound even when the trace's outline alone is larger", () => {
  const n = 400;
  const structure: WireTraceStructure = {
    trace_id: "a".repeat(32),
    start_unix_nano: "1795687200000000000",
    duration_ns: 1_000_000,
    services: Array.from({ length: n }, (_, i) => `service-with-a-long-name-${i}`),
    names: ["op"],
    span_id: Array.from({ length: n }, (_, i) => i.toString(16).padStart(16, "0")),
    parent: Array.from({ length: n }, (_, i) => (i === 0 ? -1 : 0)),
    duplicate: [],
    service: Array.from({ length: n }, (_, i) => i),
    name: new Array(n).fill(0),
    start_ns: Array.from({ length: n }, (_, i) => i * 1000),
    duration_ns_of: Array.from({ length: n }, (_, i) => (i === 0 ? 1_000_000 : 500)),
    status: Array.from({ length: n }, (_, i) => (i % 2 ? 2 : 0)),
    kind: new Array(n).fill(2),
  };
  for (const maxBytes of [1024, 4096, 65_536]) {
    const answer = traceAnswer(structure, maxBytes);
    assert.ok(bytes(answer) <= maxBytes, `${bytes(answer)} > ${maxBytes}`);
    assert.equal(answer.span_count, n);
    assert.equal(answer.truncated, true);
  }
  assert.match(String(traceAnswer(structure, 1024).hint), /even the trace's outline does not fit/);
});
