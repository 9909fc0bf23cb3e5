import assert from "node:assert/strict";
import {
  callDepths,
  COLUMN_GAP,
  EDGE_ERROR_LEVELS,
  edgeErrorLevel,
  edgeLabel,
  edgeTooltip,
  edgeWidth,
  errorRateColor,
  graphHeight,
  type MapEdge,
  mapLayout,
  type MapNode,
  NODE_SIZE,
  nodeSize,
  nodeTooltip,
  ROW_GAP,
  type ServiceMapBody,
  serviceMapOption,
} from "./service_map_graph.ts";

const node = (id: string, requests = 10, errors = 0): MapNode => ({
  id,
  name: id,
  requests,
  errors,
  error_rate: requests > 0 ? errors / requests : 0,
  avg_latency_ms: 120,
  p99_latency_ms: 850,
});
const edge = (source: string, target: string, calls = 10, errors = 0): MapEdge => ({
  source,
  target,
  calls,
  errors,
  error_rate: calls > 0 ? errors / calls : 0,
  avg_latency_ms: 300,
});

const CHAIN: ServiceMapBody = {
  nodes: [node("inventory", 12, 3), node("order", 12, 3), node("payment", 12, 3)],
  edges: [edge("order", "payment", 12, 3), edge("payment", "inventory", 12, 3)],
};

Deno.test("errorRateColor() goes green → amber (5%) → red (20% and more)", () => {
  assert.equal(errorRateColor(0), "#2f9e44");
  assert.equal(errorRateColor(0.05), "#f59f00");
  assert.equal(errorRateColor(0.2), "#e03131");
  assert.equal(errorRateColor(1), "#e03131");
  assert.equal(errorRateColor(NaN), "#2f9e44");
  // Halfway between green (2f9e44) and amber (f59f00).
  assert.equal(errorRateColor(0.025), "#929f22");
});

Deno.test("nodeSize() grows with the square root of requests, within bounds", () => {
  assert.equal(nodeSize(0, 100), NODE_SIZE.min);
  assert.equal(nodeSize(100, 100), NODE_SIZE.max);
  assert.equal(nodeSize(25, 100), NODE_SIZE.min + (NODE_SIZE.max - NODE_SIZE.min) / 2);
  assert.equal(nodeSize(5, 0), NODE_SIZE.min);
});

Deno.test("edgeWidth() is thicker with more calls and again with 1% of them failing", () => {
  assert.ok(edgeWidth(edge("a", "b", 100), 100) > edgeWidth(edge("a", "b", 2), 100));
  assert.equal(edgeWidth(edge("a", "b", 100, 1), 100), edgeWidth(edge("a", "b", 100), 100) + 1.5);
  assert.equal(edgeWidth(edge("a", "b", 1000, 1), 1000), edgeWidth(edge("a", "b", 1000), 1000));
});

Deno.test("edgeErrorLevel() is grey under 1% failed, amber from 1%, red from 10%", () => {
  const level = (calls: number, errors: number) => edgeErrorLevel({ calls, errors }).level;
  assert.equal(level(1000, 0), "ok");
  // One error in 1,000 calls is no alarm.
  assert.equal(level(1000, 1), "ok");
  assert.equal(level(1000, 10), "some");
  assert.equal(level(1000, 99), "some");
  assert.equal(level(1000, 100), "high");
  assert.equal(level(3, 3), "high");
  assert.equal(level(0, 0), "ok");
  assert.deepEqual(EDGE_ERROR_LEVELS.map((l) => l.color), ["#adb5bd", "#f59f00", "#e03131"]);
});

Deno.test("callDepths() puts callers before callees, along the longest path", () => {
  const depths = callDepths(
    [{ id: "a" }, { id: "b" }, { id: "c" }, { id: "lone" }],
    [edge("a", "b"), edge("b", "c"), edge("a", "c")],
  );
  assert.deepEqual(Object.fromEntries(depths), { a: 0, b: 1, c: 2, lone: 0 });
});

Deno.test("callDepths() ends on a cycle", () => {
  const depths = callDepths([{ id: "a" }, { id: "b" }], [edge("a", "b"), edge("b", "a")]);
  assert.ok([...depths.values()].every((d) => d >= 0 && d < 2));
});

Deno.test("mapLayout() lays a call chain out left to right on one row", () => {
  const layout = mapLayout(CHAIN.nodes, CHAIN.edges);
  assert.deepEqual(Object.fromEntries(layout.positions), {
    order: { x: 0, y: 0 },
    payment: { x: COLUMN_GAP, y: 0 },
    inventory: { x: 2 * COLUMN_GAP, y: 0 },
  });
  assert.equal(layout.columns, 3);
  assert.equal(layout.rows, 1);
});

Deno.test("mapLayout() keeps services of a column apart and near their callers", () => {
  // gateway calls a and b; a calls x; b calls y: x and y follow a and b's order.
  const nodes = ["gateway", "a", "b", "x", "y"].map((id) => node(id));
  const edges = [edge("gateway", "a"), edge("gateway", "b"), edge("a", "x"), edge("b", "y")];
  const { positions, rows } = mapLayout(nodes, edges);
  const p = (id: string) => positions.get(id)!;
  assert.equal(rows, 2);
  assert.ok(Math.abs(p("a").y - p("b").y) >= ROW_GAP);
  assert.ok(Math.abs(p("x").y - p("y").y) >= ROW_GAP);
  assert.equal(Math.sign(p("x").y - p("y").y), Math.sign(p("a").y - p("b").y));
  assert.ok(Math.abs(p("gateway").y - (p("a").y + p("b").y) / 2) < 1);
  assert.equal(p("x").x, 2 * COLUMN_GAP);
  // The same input, the same picture.
  assert.deepEqual(mapLayout(nodes, edges).positions, positions);
});

Deno.test("graphHeight() makes room for the fullest column, within bounds", () => {
  assert.equal(graphHeight(mapLayout(CHAIN.nodes, CHAIN.edges)), 320);
  const many = Array.from({ length: 20 }, (_, i) => node(`s${i}`));
  assert.equal(graphHeight(mapLayout(many, [])), 900);
});

Deno.test("nodeTooltip() and edgeTooltip() show the figures, names escaped", () => {
  const html = nodeTooltip({ ...node("<img src=x onerror=alert(1)>", 12, 3), p99_latency_ms: 850 });
  assert.doesNotMatch(html, /<img/);
  assert.match(html, /&#60;img/);
  for (const text of ["Requests", "12", "Errors", "3", "25%", "120 ms", "850 ms"]) {
    assert.ok(html.includes(text), `${text} in ${html}`);
  }
  const edgeHtml = edgeTooltip(edge("order", "pay&ment", 12, 3));
  assert.match(edgeHtml, /order → pay&#38;ment/);
  assert.ok(edgeHtml.includes("300 ms"));
  assert.ok(edgeHtml.includes("25%"));
});

Deno.test("edgeLabel() says the calls, and the failed ones when there are some", () => {
  assert.equal(edgeLabel(edge("a", "b", 12, 3)), "12 calls · 3 failed");
  assert.equal(edgeLabel(edge("a", "b", 1, 0)), "1 call");
});

Deno.test("serviceMapOption() draws every service and call, erroring calls red with arrows", () => {
  const option = serviceMapOption({
    nodes: [...CHAIN.nodes, node("healthy")],
    edges: [...CHAIN.edges, edge("order", "healthy", 5, 0), edge("order", "rare", 1000, 1)],
  });
  const series = option.series[0]!;
  assert.equal(series.layout, "none");
  assert.deepEqual(series.edgeSymbol, ["none", "arrow"]);
  assert.deepEqual(series.data.map((d) => d.id), ["inventory", "order", "payment", "healthy"]);
  assert.equal(series.data[3]!.itemStyle.color, "#2f9e44");
  assert.equal(series.data[0]!.itemStyle.color, "#e03131");
  assert.deepEqual(series.links.map((l) => [l.source, l.target, l.lineStyle.color]), [
    ["order", "payment", "#e03131"],
    ["payment", "inventory", "#e03131"],
    ["order", "healthy", "#adb5bd"],
    ["order", "rare", "#adb5bd"],
  ]);
  assert.ok(series.links[0]!.lineStyle.width > series.links[2]!.lineStyle.width);
  assert.ok(series.data.every((d) => typeof d.x === "number" && typeof d.y === "number"));
});

Deno.test("serviceMapOption() curves calls both ways so neither hides the other", () => {
  const option = serviceMapOption({
    nodes: [node("a"), node("b")],
    edges: [edge("a", "b"), edge("b", "a")],
  });
  assert.ok(option.series[0]!.links.every((l) => l.lineStyle.curveness > 0));
});
