import assert from "node:assert/strict";
import { type ComparedSpan, compareTraces } from "./trace_compare.ts";

let next = 0;
/** A span under `parent` (a span id, "" for a root). */
function span(
  parent: string,
  service: string,
  name: string,
  durationMs: number,
  error = false,
): ComparedSpan {
  return {
    span_id: `s${next++}`,
    parent_span_id: parent,
    service_name: service,
    name,
    duration_ms: durationMs,
    status_code: error ? "error" : "unset",
  };
}

/** A checkout trace: order → payment (→ two db queries) → inventory; `extra` adds spans. */
function checkout(paymentMs: number, queries: number, withInventory: boolean) {
  const root = span("", "order", "POST /orders", 100);
  const payment = span(root.span_id, "payment", "charge", paymentMs, paymentMs > 50);
  const spans = [root, payment];
  for (let i = 0; i < queries; i++) spans.push(span(payment.span_id, "db", "SELECT", 5 + i));
  if (withInventory) spans.push(span(root.span_id, "inventory", "reserve", 10));
  return spans;
}

const shape = (rows: ReturnType<typeof compareTraces>["rows"]) =>
  rows.map((r) =>
    `${"  ".repeat(r.depth)}${r.service}:${r.operation} ${r.match}${
      r.deltaMs === undefined ? "" : ` ${r.deltaMs > 0 ? "+" : ""}${r.deltaMs}`
    }`
  );

Deno.test("compareTraces() matches spans by their path of service and operation, counting repeats", () => {
  const a = checkout(20, 2, true);
  const b = checkout(80, 3, false);
  const result = compareTraces(a, b);
  assert.deepEqual(shape(result.rows), [
    "order:POST /orders both 0",
    "  payment:charge both +60",
    "    db:SELECT both 0",
    "    db:SELECT both 0",
    "    db:SELECT only_b",
    "  inventory:reserve only_a",
  ]);
  assert.deepEqual([result.both, result.onlyA, result.onlyB], [4, 1, 1]);
  const payment = result.rows[1]!;
  assert.equal(payment.a?.error, false);
  assert.equal(payment.b?.error, true);
  assert.equal(payment.a?.spanId, a[1]!.span_id);
  assert.equal(payment.b?.spanId, b[1]!.span_id);
  // The third SELECT is B's third, not matched to any of A's two.
  assert.equal(result.rows[4]!.b?.spanId, b[4]!.span_id);
  assert.equal(result.rows[4]!.a, undefined);
});

Deno.test("compareTraces() tells the same operation in another place apart", () => {
  // A: the query under payment; B: the same query directly under the root.
  const rootA = span("", "order", "POST /orders", 100);
  const payA = span(rootA.span_id, "payment", "charge", 20);
  const a = [rootA, payA, span(payA.span_id, "db", "SELECT", 5)];
  const rootB = span("", "order", "POST /orders", 90);
  const b = [
    rootB,
    span(rootB.span_id, "payment", "charge", 20),
    span(rootB.span_id, "db", "SELECT", 5),
  ];
  assert.deepEqual(shape(compareTraces(a, b).rows), [
    "order:POST /orders both -10",
    "  payment:charge both 0",
    "    db:SELECT only_a",
    "  db:SELECT only_b",
  ]);
});

Deno.test("compareTraces() takes spans whose parent is missing as tops, and a trace with itself matches all", () => {
  const orphan = { ...span("", "payment", "charge", 3), parent_span_id: "not-stored" };
  const spans = [...checkout(20, 2, true), orphan];
  const result = compareTraces(spans, spans);
  assert.equal(result.rows.length, spans.length);
  assert.deepEqual([result.both, result.onlyA, result.onlyB], [spans.length, 0, 0]);
  assert.ok(result.rows.every((r) => r.deltaMs === 0));
  assert.equal(result.rows.at(-1)!.depth, 0);
  // Different services with the same operation name are different places.
  const other = compareTraces([span("", "a", "GET /", 1)], [span("", "b", "GET /", 1)]);
  assert.deepEqual(shape(other.rows), ["a:GET / only_a", "b:GET / only_b"]);
});

Deno.test("compareTraces() walks a 20,000-deep chain without overflowing", () => {
  const chain: ComparedSpan[] = [];
  let parent = "";
  for (let i = 0; i < 20_000; i++) {
    const s = span(parent, "svc", "step", 1);
    chain.push(s);
    parent = s.span_id;
  }
  const result = compareTraces(chain, chain.slice(0, 19_999));
  assert.equal(result.both, 19_999);
  assert.equal(result.onlyA, 1);
  assert.equal(result.rows.at(-1)!.depth, 19_999);
});
