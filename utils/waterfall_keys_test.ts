import assert from "node:assert/strict";
import { buildSpanTree, compactTrace, visibleRows } from "./waterfall.ts";
import { waterfallKeyAction, type WaterfallKeyContext } from "./waterfall_keys.ts";

/** root ─ a ─ a1, a2; b (positions 0 root, 1 a, 2 a1, 3 a2, 4 b). */
function context(overrides: Partial<WaterfallKeyContext> = {}): WaterfallKeyContext {
  const at = (ms: number) => (1_795_687_200_000_000_000n + BigInt(ms) * 1_000_000n).toString();
  const span = (id: string, parent: string, start: number) => ({
    span_id: id,
    parent_span_id: parent,
    service_name: "svc",
    name: id,
    kind: "internal",
    status_code: "unset",
    start_time_unix_nano: at(start),
    end_time_unix_nano: at(start + 1),
  });
  const tree = buildSpanTree(
    compactTrace("t", [
      span("root", "", 0),
      span("a", "root", 1),
      span("a1", "a", 2),
      span("a2", "a", 3),
      span("b", "root", 4),
    ]),
  );
  const collapsed = overrides.collapsed ?? new Set<number>();
  return {
    tree,
    rows: visibleRows(tree, collapsed),
    collapsed,
    position: 0,
    selected: -1,
    pageRows: 2,
    ...overrides,
  };
}

Deno.test("waterfallKeyAction(): arrows, pages, Home and End move by visible row, clamped", () => {
  const focus = (key: string, position: number, collapsed = new Set<number>()) =>
    waterfallKeyAction(key, context({ position, collapsed }));
  assert.deepEqual(focus("ArrowDown", 0), { kind: "focus", position: 1 });
  assert.deepEqual(focus("ArrowDown", 4), { kind: "focus", position: 4 });
  assert.deepEqual(focus("ArrowUp", 0), { kind: "focus", position: 0 });
  assert.deepEqual(focus("ArrowUp", 4), { kind: "focus", position: 3 });
  assert.deepEqual(focus("PageDown", 1), { kind: "focus", position: 3 });
  assert.deepEqual(focus("PageUp", 1), { kind: "focus", position: 0 });
  assert.deepEqual(focus("Home", 3), { kind: "focus", position: 0 });
  assert.deepEqual(focus("End", 0), { kind: "focus", position: 4 });
  // With `a` collapsed, its children are skipped.
  assert.deepEqual(focus("ArrowDown", 1, new Set([1])), { kind: "focus", position: 4 });
  assert.deepEqual(focus("ArrowUp", 4, new Set([1])), { kind: "focus", position: 1 });
});

Deno.test("waterfallKeyAction(): Right expands or enters, Left collapses or climbs", () => {
  const key = (k: string, position: number, collapsed = new Set<number>()) =>
    waterfallKeyAction(k, context({ position, collapsed }));
  assert.deepEqual(key("ArrowRight", 1, new Set([1])), { kind: "toggle", position: 1 });
  assert.deepEqual(key("ArrowRight", 1), { kind: "focus", position: 2 });
  assert.deepEqual(key("ArrowRight", 2), { kind: "none" });
  assert.deepEqual(key("ArrowLeft", 1), { kind: "toggle", position: 1 });
  assert.deepEqual(key("ArrowLeft", 1, new Set([1])), { kind: "focus", position: 0 });
  assert.deepEqual(key("ArrowLeft", 3), { kind: "focus", position: 1 });
  assert.deepEqual(key("ArrowLeft", 0, new Set([0])), { kind: "none" });
});

Deno.test("waterfallKeyAction(): Enter opens, Space toggles the details, Escape closes", () => {
  const key = (k: string, position: number, selected: number) =>
    waterfallKeyAction(k, context({ position, selected }));
  assert.deepEqual(key("Enter", 2, -1), { kind: "select", position: 2 });
  assert.deepEqual(key("Enter", 2, 2), { kind: "select", position: 2 });
  assert.deepEqual(key(" ", 2, -1), { kind: "select", position: 2 });
  assert.deepEqual(key(" ", 2, 2), { kind: "select", position: -1 });
  assert.deepEqual(key("Escape", 2, 2), { kind: "select", position: -1 });
  assert.equal(key("a", 2, 2), null);
  assert.equal(key("Tab", 2, 2), null);
});
