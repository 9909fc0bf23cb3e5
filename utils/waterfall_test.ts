import assert from "node:assert/strict";
import { serviceColors } from "./chart_style.ts";
import {
  ancestors,
  barGeometry,
  brushedView,
  buildSpanTree,
  compactColumns,
  type CompactTrace,
  compactTrace,
  criticalByPosition,
  criticalPath,
  FLAG_CYCLE,
  FLAG_DUPLICATE_ID,
  FLAG_ERROR,
  FLAG_ORPHAN,
  FLAG_OUTSIDE_PARENT,
  formatOffset,
  fractionAcross,
  MIN_BRUSH_FRACTION,
  parentsOf,
  showsService,
  type SpanTree,
  spanWarning,
  tickStep,
  timeTicks,
  traceSummary,
  traceTimes,
  visibleRows,
  waterfallModel,
  type WaterfallSpanInput,
  zoomView,
} from "./waterfall.ts";

const BASE = 1_795_687_200_000_000_000n;
const MS = 1_000_000;

/** `[id, parent, startMs, durationMs, service?, status?]` → API-shaped spans. */
type Row = [string, string, number, number, string?, string?];
function spans(rows: Row[]): WaterfallSpanInput[] {
  return rows.map(([id, parent, start, duration, service = "svc", status = "unset"]) => ({
    span_id: id,
    parent_span_id: parent,
    service_name: service,
    name: `op ${id}`,
    kind: "server",
    status_code: status,
    start_time_unix_nano: (BASE + BigInt(Math.round(start * MS))).toString(),
    end_time_unix_nano: (BASE + BigInt(Math.round((start + duration) * MS))).toString(),
  }));
}

function treeOf(rows: Row[]): { trace: CompactTrace; tree: SpanTree } {
  const trace = compactTrace("t", spans(rows));
  return { trace, tree: buildSpanTree(trace) };
}

/** Span ids in tree order, each prefixed by dots for its depth. */
function outline(trace: CompactTrace, tree: SpanTree): string[] {
  return Array.from(tree.span, (i, p) => `${".".repeat(tree.depth[p]!)}${trace.span_id[i]}`);
}

/** Checks the invariants the island relies on, over a whole tree. */
function assertInvariants(tree: SpanTree) {
  for (let p = 0; p < tree.size; p++) {
    assert.equal(tree.position[tree.span[p]!], p);
    const parent = tree.parent[p]!;
    if (parent >= 0) {
      assert.ok(parent < p, `parent ${parent} before child ${p}`);
      assert.ok(tree.subtreeEnd[parent]! >= tree.subtreeEnd[p]!);
      assert.equal(tree.depth[p], tree.depth[parent]! + 1);
    } else assert.equal(tree.depth[p], 0);
    let children = 0;
    for (let c = p + 1; c < tree.subtreeEnd[p]!; c++) {
      assert.ok(ancestors(tree, c).includes(p), `${c} is inside ${p}'s subtree`);
      if (tree.parent[c] === p) children++;
    }
    assert.equal(tree.childCount[p], children);
  }
}

Deno.test("compactTrace() stores times from the trace's start and interns names", () => {
  const trace = compactTrace(
    "t",
    spans([["a", "", 5, 10, "front", "error"], ["b", "a", 6, 2, "back", "ok"], ["c", "a", 4, 1]]),
  );
  assert.equal(trace.start_unix_nano, (BASE + 4_000_000n).toString());
  assert.equal(trace.duration_ns, 11 * MS);
  assert.deepEqual(trace.start_ns, [1 * MS, 2 * MS, 0]);
  assert.deepEqual(trace.duration_ns_of, [10 * MS, 2 * MS, 1 * MS]);
  assert.deepEqual(trace.services, ["front", "back", "svc"]);
  assert.deepEqual(trace.service, [0, 1, 2]);
  assert.deepEqual(trace.status, [2, 1, 0]);
  assert.deepEqual(trace.kind, [2, 2, 2]);
  assert.deepEqual(trace.names, ["op a", "op b", "op c"]);
});

Deno.test("compactTrace() keeps nanoseconds past 2^53 exact and clamps negative durations", () => {
  const [span] = spans([["a", "", 0, 1]]);
  const trace = compactTrace("t", [
    {
      ...span!,
      start_time_unix_nano: "1795687200000000001",
      end_time_unix_nano: "1795687200000000000",
    },
    {
      ...span!,
      span_id: "b",
      start_time_unix_nano: "1795687200000000003",
      end_time_unix_nano: "1795687200000000010",
    },
  ]);
  assert.equal(trace.start_unix_nano, "1795687200000000001");
  assert.deepEqual(trace.start_ns, [0, 2]);
  assert.deepEqual(trace.duration_ns_of, [0, 7]);
  assert.equal(trace.duration_ns, 9);
});

Deno.test("compactTrace() gives parents as indexes: -1 a root, -2 a parent not in the trace", () => {
  const trace = compactTrace(
    "t",
    spans([
      ["root", "", 0, 100],
      ["a", "root", 10, 5],
      ["a", "root", 20, 5],
      ["kid", "a", 11, 1],
      ["lost", "0000000000000000", 30, 1],
      ["self", "self", 40, 1],
    ]),
  );
  // The first span with an id is the one its children name; the later one is listed.
  assert.deepEqual(trace.parent, [-1, 0, 0, 1, -2, 5]);
  assert.deepEqual(trace.duplicate, [2]);
  assert.deepEqual(trace.span_id, ["root", "a", "a", "kid", "lost", "self"]);
});

Deno.test("compactColumns() counts times from the earliest start, whatever base they come from", () => {
  const columns = {
    spanId: ["a", "b"],
    parentSpanId: ["", "a"],
    serviceName: ["s", "s"],
    name: ["x", "y"],
    kind: [2, 9],
    statusCode: [0, 7],
    // A span stored between the store's two reads, earlier than the base it read first.
    baseUnixNano: 1_795_687_200_000_000_010n,
    startNs: [0, -7],
    endNs: [5, -8],
  };
  const trace = compactColumns("t", columns);
  assert.equal(trace.start_unix_nano, "1795687200000000003");
  assert.deepEqual(trace.start_ns, [7, 0]);
  assert.deepEqual(trace.duration_ns_of, [5, 0]);
  assert.equal(trace.duration_ns, 12);
  assert.deepEqual(trace.kind, [2, 0], "a kind OTLP does not define is unspecified");
  assert.deepEqual(trace.status, [0, 0], "a status OTLP does not define is unset");
});

Deno.test("compactTrace() refuses a trace without spans", () => {
  assert.throws(() => compactTrace("t", []), RangeError);
});

Deno.test("buildSpanTree() orders a span's children by start time, depth first", () => {
  const { trace, tree } = treeOf([
    ["root", "", 0, 100],
    ["late", "root", 50, 10],
    ["early", "root", 10, 30],
    ["early.child", "early", 12, 5],
    ["late.child", "late", 51, 2],
  ]);
  assert.deepEqual(outline(trace, tree), [
    "root",
    ".early",
    "..early.child",
    ".late",
    "..late.child",
  ]);
  assert.deepEqual(Array.from(tree.subtreeEnd), [5, 3, 3, 5, 5]);
  assert.deepEqual(Array.from(tree.childCount), [2, 1, 0, 1, 0]);
  assert.equal(tree.maxDepth, 2);
  assertInvariants(tree);
});

Deno.test("buildSpanTree() shows several roots in start order", () => {
  const { trace, tree } = treeOf([
    ["b", "", 20, 5],
    ["a", "", 0, 5],
    ["a1", "a", 1, 1],
    ["b1", "b", 21, 1],
  ]);
  assert.deepEqual(outline(trace, tree), ["a", ".a1", "b", ".b1"]);
  assert.deepEqual(Array.from(tree.parent), [-1, 0, -1, 2]);
  assertInvariants(tree);
});

Deno.test("buildSpanTree() shows an orphan (its parent not in the trace) as a flagged root", () => {
  const { trace, tree } = treeOf([
    ["root", "", 0, 100],
    ["orphan", "0000000000000000", 30, 10],
    ["orphan.child", "orphan", 31, 5],
    ["child", "root", 10, 10],
  ]);
  assert.deepEqual(outline(trace, tree), ["root", ".child", "orphan", ".orphan.child"]);
  const orphan = tree.position[1]!;
  assert.equal(tree.flags[orphan]! & FLAG_ORPHAN, FLAG_ORPHAN);
  assert.equal(tree.flags[tree.position[0]!]! & FLAG_ORPHAN, 0);
  assert.equal(tree.flags[tree.position[2]!]! & FLAG_ORPHAN, 0);
  assertInvariants(tree);
});

Deno.test("buildSpanTree() keeps a child that starts before or ends after its parent (clock skew)", () => {
  const { trace, tree } = treeOf([
    ["root", "", 10, 50],
    ["before", "root", 5, 10],
    ["after", "root", 40, 30],
    ["inside", "root", 20, 5],
  ]);
  assert.deepEqual(outline(trace, tree), ["root", ".before", ".inside", ".after"]);
  const flag = (id: number) => tree.flags[tree.position[id]!]! & FLAG_OUTSIDE_PARENT;
  assert.equal(flag(1), FLAG_OUTSIDE_PARENT);
  assert.equal(flag(2), FLAG_OUTSIDE_PARENT);
  assert.equal(flag(3), 0);
  assert.equal(flag(0), 0);
  // The trace's start is the earliest span, the child, so every offset is non-negative.
  assert.equal(trace.start_ns[1], 0);
  assert.equal(trace.duration_ns, 65 * MS);
});

Deno.test("buildSpanTree() flags errors and counts them", () => {
  const { tree } = treeOf([
    ["root", "", 0, 10, "a", "error"],
    ["child", "root", 1, 1, "b", "error"],
    ["ok", "root", 2, 1, "b", "ok"],
  ]);
  assert.equal(tree.errorCount, 2);
  assert.deepEqual(Array.from(tree.flags, (f) => f & FLAG_ERROR), [1, 1, 0]);
});

Deno.test("buildSpanTree() survives duplicate span ids, self-parents and parent cycles", () => {
  const { trace, tree } = treeOf([
    ["root", "", 0, 100],
    ["dup", "root", 10, 5],
    ["dup", "root", 20, 5],
    ["kid", "dup", 11, 1],
    ["self", "self", 30, 1],
    ["x", "y", 40, 1],
    ["y", "x", 41, 1],
  ]);
  assert.equal(tree.size, 7);
  assert.deepEqual(outline(trace, tree), ["root", ".dup", "..kid", ".dup", "self", "x", ".y"]);
  assert.equal(tree.flags[tree.position[2]!]! & FLAG_DUPLICATE_ID, FLAG_DUPLICATE_ID);
  assert.equal(tree.flags[tree.position[4]!]! & FLAG_ORPHAN, FLAG_ORPHAN);
  assert.equal(tree.flags[tree.position[5]!]! & FLAG_CYCLE, FLAG_CYCLE);
  assertInvariants(tree);
});

Deno.test("buildSpanTree() makes a span whose parent index is out of range an orphan", () => {
  const { trace } = treeOf([["root", "", 0, 10], ["a", "root", 1, 1], ["b", "root", 2, 1]]);
  const tree = buildSpanTree({ ...trace, parent: [-1, 7, -5], duplicate: [9] });
  assert.deepEqual(outline(trace, tree), ["root", "a", "b"]);
  assert.deepEqual(Array.from(tree.flags, (f) => f & FLAG_ORPHAN), [0, FLAG_ORPHAN, FLAG_ORPHAN]);
  assertInvariants(tree);
});

Deno.test("visibleRows() hides the descendants of collapsed spans and maps rows both ways", () => {
  const { tree } = treeOf([
    ["r", "", 0, 100], // 0
    ["a", "r", 1, 50], // 1
    ["a1", "a", 2, 10], // 2
    ["a1x", "a1", 3, 1], // 3
    ["a2", "a", 20, 10], // 4
    ["b", "r", 60, 30], // 5
    ["b1", "b", 61, 10], // 6
  ]);
  const all = visibleRows(tree, []);
  assert.equal(all.count, 7);
  assert.equal(all.positionAt(6), 6);
  assert.equal(all.rowOf(4), 4);

  const rows = visibleRows(tree, new Set([2, 5]));
  assert.equal(rows.count, 5);
  assert.deepEqual(Array.from({ length: rows.count }, (_, r) => rows.positionAt(r)), [
    0,
    1,
    2,
    4,
    5,
  ]);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((p) => rows.rowOf(p)), [0, 1, 2, -1, 3, 4, -1]);

  // A collapsed span under a collapsed ancestor adds nothing; a leaf cannot be collapsed.
  const nested = visibleRows(tree, [1, 2, 3, 5]);
  assert.equal(nested.count, 3);
  assert.deepEqual([0, 1, 2].map((r) => nested.positionAt(r)), [0, 1, 5]);
  assert.equal(visibleRows(tree, [0]).count, 1);
});

Deno.test("visibleRows() agrees with a plain walk on random trees", () => {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let round = 0; round < 50; round++) {
    const n = 1 + Math.floor(rand() * 60);
    const rows: Row[] = [];
    for (let i = 0; i < n; i++) {
      const parent = i === 0 || rand() < 0.1 ? "" : `s${Math.floor(rand() * i)}`;
      rows.push([`s${i}`, parent, rand() * 100, rand() * 20]);
    }
    const { tree } = treeOf(rows);
    assertInvariants(tree);
    const collapsed = new Set<number>();
    for (let p = 0; p < n; p++) if (rand() < 0.2) collapsed.add(p);
    const expected: number[] = [];
    for (let p = 0; p < n; p++) {
      if (!ancestors(tree, p).some((a) => collapsed.has(a))) expected.push(p);
    }
    const visible = visibleRows(tree, collapsed);
    assert.equal(visible.count, expected.length);
    expected.forEach((p, r) => {
      assert.equal(visible.positionAt(r), p);
      assert.equal(visible.rowOf(p), r);
    });
  }
});

Deno.test("ancestors() lists parents nearest first; parentsOf() the spans with children", () => {
  const { tree } = treeOf([["r", "", 0, 9], ["a", "r", 1, 5], ["b", "a", 2, 1], ["c", "r", 7, 1]]);
  assert.deepEqual(ancestors(tree, 2), [1, 0]);
  assert.deepEqual(ancestors(tree, 0), []);
  assert.deepEqual(parentsOf(tree), [0, 1]);
  assert.deepEqual(parentsOf(tree, 0), [0]);
});

Deno.test("tickStep() and timeTicks() put round ticks over the view", () => {
  assert.equal(tickStep(400 * MS, 5), 100 * MS);
  assert.equal(tickStep(1000 * MS, 6), 200 * MS);
  assert.equal(tickStep(3, 6), 1);
  assert.equal(tickStep(0, 6), 1);
  assert.deepEqual(timeTicks({ fromNs: 0, toNs: 400 * MS }, 5).map((t) => t.label), [
    "0",
    "100ms",
    "200ms",
    "300ms",
    "400ms",
  ]);
  const ticks = timeTicks({ fromNs: 0.15 * MS, toNs: 1.25 * MS }, 6);
  assert.deepEqual(ticks.map((t) => t.label), ["200µs", "400µs", "600µs", "800µs", "1ms", "1.2ms"]);
  assert.ok(ticks.every((t) => t.fraction >= 0 && t.fraction <= 1));
  assert.equal(timeTicks({ fromNs: 0, toNs: 0 }).length, 1);
});

Deno.test("formatOffset() reads in the value's unit with the step's decimals", () => {
  assert.equal(formatOffset(0), "0");
  assert.equal(formatOffset(750), "750ns");
  assert.equal(formatOffset(1_200_000, 200_000), "1.2ms");
  assert.equal(formatOffset(2_500_000_000, 500_000_000), "2.5s");
  assert.equal(formatOffset(90_000_000_000, 30_000_000_000), "1m 30s");
  assert.equal(formatOffset(12_345_678), "12.346ms");
});

Deno.test("barGeometry() places bars in the view and clips them", () => {
  const view = { fromNs: 0, toNs: 100 };
  assert.deepEqual(barGeometry(25, 50, view), { left: 0.25, width: 0.5, visible: true });
  assert.deepEqual(barGeometry(90, 50, view), {
    left: 0.9,
    width: 0.09999999999999998,
    visible: true,
  });
  assert.equal(barGeometry(150, 10, view).visible, false);
  const zoomed = zoomView(view, 0.5, 0.25);
  assert.deepEqual(zoomed, { fromNs: 25, toNs: 50 });
  assert.deepEqual(barGeometry(0, 30, zoomed), { left: 0, width: 0.2, visible: true });
  assert.deepEqual(barGeometry(10, 0, { fromNs: 5, toNs: 5 }).width, 1);
});

Deno.test("criticalPath() follows the last child to finish, back to the root's start", () => {
  const { trace, tree } = treeOf([
    ["root", "", 0, 100],
    ["a", "root", 10, 30], // ends at 40
    ["b", "root", 30, 60], // ends at 90: last to finish
    ["b1", "b", 35, 20],
    ["c", "root", 20, 5], // ends before b starts, while a still runs: as jaeger-ui, c is taken
  ]);
  const path = criticalPath(trace, tree).map((s) => [
    trace.span_id[tree.span[s.position]!],
    s.fromNs / MS,
    s.toNs / MS,
  ]);
  assert.deepEqual(path, [
    ["root", 90, 100],
    ["b", 55, 90],
    ["b1", 35, 55],
    ["b", 30, 35],
    ["root", 25, 30],
    ["c", 20, 25],
    ["root", 0, 20],
  ]);
});

Deno.test("criticalPath() covers each root's time exactly once, clock skew included", () => {
  const { trace, tree } = treeOf([
    ["root", "", 10, 50],
    ["skewed", "root", 0, 30], // starts before its parent
    ["late", "root", 40, 40], // ends after it
    ["other", "", 100, 5],
  ]);
  const path = criticalPath(trace, tree);
  const total = path.reduce((sum, s) => sum + (s.toNs - s.fromNs), 0);
  assert.equal(total, 55 * MS);
  for (const s of path) assert.ok(s.toNs > s.fromNs);
});

/** A random tree of n spans, about `fanout` children each, in start order like the API's. */
function largeTrace(n: number, fanout: number): CompactTrace {
  const rows: WaterfallSpanInput[] = [];
  for (let i = 0; i < n; i++) {
    const parent = i === 0 ? "" : Math.floor((i - 1) / fanout);
    const start = BigInt(i) * 1000n;
    rows.push({
      span_id: i.toString(16).padStart(16, "0"),
      parent_span_id: parent === "" ? "" : parent.toString(16).padStart(16, "0"),
      service_name: `service-${i % 7}`,
      name: `operation ${i % 50}`,
      kind: "internal",
      status_code: i % 97 === 0 ? "error" : "unset",
      start_time_unix_nano: (BASE + start).toString(),
      end_time_unix_nano: (BASE + start + BigInt(n - i) * 1000n).toString(),
    });
  }
  return compactTrace("large", rows);
}

Deno.test("an 80,000-span trace is laid out once in well under a second; interactions are sub-linear", () => {
  for (const fanout of [1, 4, 40]) { // a chain 80,000 deep, a bushy tree, a flat one
    const trace = largeTrace(80_000, fanout);
    let t = performance.now();
    const tree = buildSpanTree(trace);
    const build = performance.now() - t;
    assert.equal(tree.size, 80_000);
    assert.ok(build < 1000, `built in ${build.toFixed(0)} ms (fanout ${fanout})`);

    // Collapsing a thousand spans and scrolling through a screenful are O(k log k) and O(log k).
    const collapsed = new Set<number>();
    for (let p = 1; collapsed.size < 1000 && p < tree.size; p += 37) collapsed.add(p);
    t = performance.now();
    const rows = visibleRows(tree, collapsed);
    let sum = 0;
    for (let r = Math.max(0, rows.count - 40); r < rows.count; r++) sum += rows.positionAt(r);
    const interact = performance.now() - t;
    assert.ok(sum > 0 && rows.count > 0 && rows.count <= 80_000);
    assert.ok(interact < 20, `collapsed 1000 spans in ${interact.toFixed(1)} ms`);
    assert.equal(rows.rowOf(rows.positionAt(rows.count - 1)), rows.count - 1);

    t = performance.now();
    const path = criticalPath(trace, tree);
    const critical = performance.now() - t;
    assert.ok(path.length > 0);
    assert.ok(critical < 1000, `critical path in ${critical.toFixed(0)} ms`);
  }
});

Deno.test("traceTimes() gives the start to the nanosecond and the end in milliseconds", () => {
  const trace = compactTrace("t", spans([["a", "", 0.000001, 2.5]]));
  const times = traceTimes(trace);
  assert.equal(times.iso, "2026-11-26T10:00:00.000000001Z");
  assert.equal(times.startMs, Number(BASE / 1_000_000n));
  assert.equal(times.endMs, times.startMs + 2.5);
});

Deno.test("traceSummary() gives the header's root and figures, as the waterfall counts them", () => {
  const { trace, tree } = treeOf([
    ["root", "", 0, 100, "web", "error"],
    ["a", "root", 10, 30, "api"],
    ["a1", "a", 12, 5, "db", "error"],
    ["b", "root", 50, 10, "api"],
  ]);
  const summary = traceSummary(trace);
  assert.deepEqual(summary, traceSummary(trace, tree));
  assert.deepEqual({ ...summary, times: undefined }, {
    traceId: "t",
    rootService: "web",
    rootName: "op root",
    rootColor: serviceColors(["web", "api", "db"]).get("web"),
    rootMissing: false,
    times: undefined,
    durationNs: 100 * MS,
    spans: 4,
    errors: 2,
    depth: 3,
    services: 3,
  });
  assert.deepEqual(summary.times, traceTimes(trace));
  // Without its root, the earliest span comes first, and the header says so.
  const orphans = traceSummary(
    compactTrace("t", spans([["b", "gone", 5, 1], ["a", "gone", 1, 1]])),
  );
  assert.equal(orphans.rootName, "op a");
  assert.equal(orphans.rootMissing, true);
  assert.equal(orphans.depth, 1);
});

Deno.test("spanWarning() and showsService() describe a row", () => {
  assert.equal(spanWarning(0), null);
  assert.equal(spanWarning(FLAG_ERROR | FLAG_DUPLICATE_ID), null);
  assert.match(spanWarning(FLAG_ORPHAN | FLAG_OUTSIDE_PARENT)!, /parent span is not in this trace/);
  assert.match(spanWarning(FLAG_CYCLE)!, /loop/);
  assert.match(spanWarning(FLAG_OUTSIDE_PARENT)!, /clock skew/);
  const { trace, tree } = treeOf([
    ["root", "", 0, 100, "web"],
    ["same", "root", 10, 30, "web"],
    ["other", "same", 12, 5, "db"],
  ]);
  assert.deepEqual([0, 1, 2].map((p) => showsService(trace, tree, p)), [true, false, true]);
});

Deno.test("fractionAcross() and brushedView(): a drag on the ruler zooms, a click does not", () => {
  assert.equal(fractionAcross(150, 100, 200), 0.25);
  assert.equal(fractionAcross(50, 100, 200), 0);
  assert.equal(fractionAcross(400, 100, 200), 1);
  assert.equal(fractionAcross(150, 100, 0), 0);
  const view = { fromNs: 0, toNs: 1000 };
  assert.deepEqual(brushedView(view, 0.5, 0.3), { fromNs: 300, toNs: 500 });
  assert.equal(brushedView(view, 0.5, 0.5 + MIN_BRUSH_FRACTION / 2), null);
  assert.notEqual(brushedView(view, 0.5, 0.5 + MIN_BRUSH_FRACTION * 2), null);
  assert.equal(brushedView(view, 0.5, 0.5), null);
});

Deno.test("waterfallModel() derives the colours, counts, id lookup and critical path once", () => {
  const { trace, tree } = treeOf([
    ["root", "", 0, 100, "web"],
    ["a", "root", 10, 30, "api"],
    ["dup", "root", 50, 10, "api"],
    ["dup", "root", 60, 10, "api"],
  ]);
  const model = waterfallModel(trace);
  assert.deepEqual(outline(model.trace, model.tree), outline(trace, tree));
  assert.deepEqual(model.perService, [1, 3]);
  assert.equal(model.colorOf(1), model.colors.get("api"));
  assert.equal(model.colorOf(0), model.colors.get("web"));
  assert.equal(model.indexOf("dup"), 2);
  assert.equal(model.indexOf("nope"), undefined);
  assert.equal(model.positionOf("a"), tree.position[1]);
  assert.equal(model.positionOf("nope"), -1);
  assert.equal(model.positionOf(null), -1);
  assert.deepEqual(model.times, traceTimes(trace));
  const segments = criticalPath(trace, tree);
  assert.deepEqual(model.criticalByPosition, criticalByPosition(segments));
  const grouped = [...model.criticalByPosition.values()].flat();
  assert.equal(grouped.length, segments.length);
  for (const [position, list] of model.criticalByPosition) {
    assert.ok(list.every((s) => s.position === position));
  }
});
