/**
 * The trace waterfall's layout, pure and without a DOM (jaeger-ui's TraceTimelineViewer model):
 * a trace's spans in a compact, serializable form; the span tree in depth-first order; the rows
 * left visible by collapsed subtrees; the time scale (ruler ticks, bar geometry); the critical
 * path; service colours. Tested in utils/waterfall_test.ts, including 80,000-span traces.
 *
 * Units: every time here is **nanoseconds relative to the trace's start** (a JS number: exact up
 * to 2^53 ns, 104 days), except `CompactTrace.start_unix_nano`, Unix nanoseconds as a decimal
 * string. Durations shown to people are converted to milliseconds at the edge.
 *
 * Cost: `compactColumns` (O(n), on the server: it resolves parent ids to indexes) and
 * `buildSpanTree` (O(n log n), in the browser too) run once per trace; the browser builds no map of
 * the trace's span ids unless a span is looked up by id (`?span=`, a search's answer, a link).
 * Everything a user does afterwards is sub-linear in the trace: `visibleRows` is O(k log k) for k
 * collapsed spans and its lookups O(log k); `ancestors` O(depth); the time scale O(ticks).
 *
 * @module
 */
import { SPAN_KINDS, STATUS_CODES, type WireTraceStructure } from "./wire.ts";
import { serviceColors } from "./chart_style.ts";

/** The fields of an API span (`GET /api/traces/{trace_id}`) the waterfall needs. */
export interface WaterfallSpanInput {
  span_id: string;
  parent_span_id: string;
  service_name: string;
  name: string;
  kind: string;
  status_code: string;
  start_time_unix_nano: string;
  end_time_unix_nano: string;
}

/**
 * A trace as the waterfall needs it: the structure the API serves (`WireTraceStructure`), column
 * by column with string tables, so that an 80,000-span trace stays a few megabytes of island props.
 */
export type CompactTrace = WireTraceStructure;

export const STATUS_ERROR = 2;

/** Builds the compact form of a trace's API spans. Throws a RangeError for no spans. */
export function compactTrace(traceId: string, spans: readonly WaterfallSpanInput[]): CompactTrace {
  const starts = spans.map((span) => BigInt(span.start_time_unix_nano));
  const base = starts.reduce((a, b) => (b < a ? b : a), starts[0] ?? 0n);
  return compactColumns(traceId, {
    spanId: spans.map((span) => span.span_id),
    parentSpanId: spans.map((span) => span.parent_span_id),
    serviceName: spans.map((span) => span.service_name),
    name: spans.map((span) => span.name),
    kind: spans.map((span) => Math.max(0, SPAN_KINDS.indexOf(span.kind))),
    statusCode: spans.map((span) => Math.max(0, STATUS_CODES.indexOf(span.status_code))),
    baseUnixNano: base,
    startNs: starts.map((start) => Number(start - base)),
    endNs: spans.map((span) => Number(BigInt(span.end_time_unix_nano) - base)),
  });
}

/**
 * A trace's spans column by column (element `i` of each is span `i`), as the store reads a trace's
 * structure: OTLP's kind and status numbers; times in nanoseconds from `baseUnixNano` as JS
 * numbers (exact within 2^53 ns, 104 days, of it), so that no time is a bigint per span.
 */
export interface SpanColumns {
  spanId: readonly string[];
  /** `""` for a root. */
  parentSpanId: readonly string[];
  serviceName: readonly string[];
  name: readonly string[];
  kind: readonly number[];
  statusCode: readonly number[];
  /** Unix nanoseconds from which `startNs` and `endNs` count: any instant near the trace. */
  baseUnixNano: bigint;
  /** Integers; negative before `baseUnixNano`. */
  startNs: readonly number[];
  endNs: readonly number[];
}

/**
 * Builds the compact form of a trace's spans given column by column, without an object per span:
 * times from the earliest start, names and services as string tables, and parent ids as indexes
 * (the first span with an id is the one its children name). A kind or status OTLP does not define
 * becomes 0 (unspecified, unset). Throws a RangeError for no spans.
 */
export function compactColumns(traceId: string, spans: SpanColumns): CompactTrace {
  const n = spans.spanId.length;
  if (n === 0) throw new RangeError(`Cannot lay out trace ${traceId}: it has no spans`);
  const starts = spans.startNs;
  const ends = spans.endNs;
  let min = starts[0]!;
  let max = min;
  for (let i = 0; i < n; i++) {
    const start = starts[i]!;
    const end = ends[i]!;
    if (start < min) min = start;
    if (start > max) max = start;
    if (end > max) max = end;
  }
  const byId = new Map<string, number>();
  const duplicate: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = spans.spanId[i]!;
    if (byId.has(id)) duplicate.push(i);
    else byId.set(id, i);
  }
  const services = new Map<string, number>();
  const names = new Map<string, number>();
  const intern = (table: Map<string, number>, value: string) => {
    let at = table.get(value);
    if (at === undefined) table.set(value, at = table.size);
    return at;
  };
  const trace: CompactTrace = {
    trace_id: traceId,
    start_unix_nano: (spans.baseUnixNano + BigInt(min)).toString(),
    duration_ns: max - min,
    services: [],
    names: [],
    span_id: spans.spanId.slice(),
    parent: new Array(n),
    duplicate,
    service: new Array(n),
    name: new Array(n),
    start_ns: new Array(n),
    duration_ns_of: new Array(n),
    status: new Array(n),
    kind: new Array(n),
  };
  for (let i = 0; i < n; i++) {
    const start = starts[i]!;
    const end = ends[i]!;
    const kind = spans.kind[i]!;
    const status = spans.statusCode[i]!;
    const parentId = spans.parentSpanId[i]!;
    trace.parent[i] = parentId === "" ? -1 : byId.get(parentId) ?? -2;
    trace.service[i] = intern(services, spans.serviceName[i]!);
    trace.name[i] = intern(names, spans.name[i]!);
    trace.start_ns[i] = start - min;
    trace.duration_ns_of[i] = end > start ? end - start : 0;
    trace.status[i] = STATUS_CODES[status] === undefined ? 0 : status;
    trace.kind[i] = SPAN_KINDS[kind] === undefined ? 0 : kind;
  }
  trace.services = [...services.keys()];
  trace.names = [...names.keys()];
  return trace;
}

/** Bits of `SpanTree.flags`. */
export const FLAG_ERROR = 1;
/** The span names a parent that is not in the trace (not received, or dropped): shown as a root. */
export const FLAG_ORPHAN = 2;
/** The span starts before its parent or ends after it (clock skew between hosts, or async work). */
export const FLAG_OUTSIDE_PARENT = 4;
/** An earlier span of the trace has the same id (`CompactTrace.duplicate`); children attach to it. */
export const FLAG_DUPLICATE_ID = 8;
/** The span's ancestry loops back to itself (malformed parent ids): shown as a root. */
export const FLAG_CYCLE = 16;

/**
 * The span tree in depth-first order ("positions"): a span, then its children's subtrees in
 * start order (ties by input order). Roots — spans without a parent, orphans, spans in a parent
 * cycle — come in start order.
 *
 * Invariant relied on by `visibleRows` and the island: the descendants of the span at position
 * `p` are exactly positions `p + 1` to `subtreeEnd[p] - 1`, and a parent's position is below its
 * children's.
 */
export interface SpanTree {
  size: number;
  /** Input index (column of `CompactTrace`) of the span at each position. */
  span: Int32Array;
  /** Position of each input index. */
  position: Int32Array;
  /** By position: 0 for roots. */
  depth: Int32Array;
  /** By position: one past the subtree's last position. */
  subtreeEnd: Int32Array;
  /** By position: the parent's position, -1 for a root. */
  parent: Int32Array;
  /** By position: how many children (not descendants) the span has. */
  childCount: Int32Array;
  /** By position: `FLAG_*` bits. */
  flags: Uint8Array;
  maxDepth: number;
  /** Spans with status ERROR. */
  errorCount: number;
}

/**
 * Builds the span tree of a compact trace: O(n log n), from the parents' indexes (no map of ids).
 * A parent index out of range, like -2, makes the span an orphan; so does its own index.
 */
export function buildSpanTree(trace: CompactTrace): SpanTree {
  const n = trace.span_id.length;
  const { start_ns: start, duration_ns_of: duration } = trace;
  const inputFlags = new Uint8Array(n);
  for (const i of trace.duplicate) if (i >= 0 && i < n) inputFlags[i]! |= FLAG_DUPLICATE_ID;
  // Parent of each input index (-1: a root), then children lists in CSR form.
  const parentOf = new Int32Array(n);
  const childCount = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const parent = trace.parent[i]!;
    if (!(parent >= 0 && parent < n) || parent === i) {
      parentOf[i] = -1;
      if (parent !== -1) inputFlags[i]! |= FLAG_ORPHAN;
    } else {
      parentOf[i] = parent;
      childCount[parent]!++;
    }
  }
  const childStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) childStart[i + 1] = childStart[i]! + childCount[i]!;
  const children = new Int32Array(childStart[n]!);
  const fill = childStart.slice(0, n);
  const roots: number[] = [];
  for (let i = 0; i < n; i++) {
    const parent = parentOf[i]!;
    if (parent < 0) roots.push(i);
    else children[fill[parent]!++] = i;
  }
  const byStart = (a: number, b: number) => start[a]! - start[b]! || a - b;
  for (let i = 0; i < n; i++) {
    if (childCount[i]! > 1) children.subarray(childStart[i]!, childStart[i + 1]!).sort(byStart);
  }
  roots.sort(byStart);

  const tree: SpanTree = {
    size: n,
    span: new Int32Array(n),
    position: new Int32Array(n).fill(-1),
    depth: new Int32Array(n),
    subtreeEnd: new Int32Array(n),
    parent: new Int32Array(n),
    childCount: new Int32Array(n),
    flags: new Uint8Array(n),
    maxDepth: 0,
    errorCount: 0,
  };
  let next = 0;
  // Iterative depth-first walk: a chain of 80,000 spans would overflow a recursive one.
  const stack: number[] = [];
  const walk = (root: number, flags: number) => {
    stack.push(root);
    tree.position[root] = -2; // queued
    let first = true;
    while (stack.length > 0) {
      const i = stack.pop()!;
      const p = next++;
      tree.span[p] = i;
      tree.position[i] = p;
      const parent = first ? -1 : tree.position[parentOf[i]!]!;
      first = false;
      tree.parent[p] = parent;
      const depth = parent < 0 ? 0 : tree.depth[parent]! + 1;
      tree.depth[p] = depth;
      if (depth > tree.maxDepth) tree.maxDepth = depth;
      let bits = inputFlags[i]! | (parent < 0 ? flags : 0);
      if (trace.status[i] === STATUS_ERROR) {
        bits |= FLAG_ERROR;
        tree.errorCount++;
      }
      if (parent >= 0) {
        const ps = tree.span[parent]!;
        if (start[i]! < start[ps]! || start[i]! + duration[i]! > start[ps]! + duration[ps]!) {
          bits |= FLAG_OUTSIDE_PARENT;
        }
      }
      tree.flags[p] = bits;
      // Children pushed last-first so that they pop in start order.
      let count = 0;
      for (let c = childStart[i + 1]! - 1; c >= childStart[i]!; c--) {
        const child = children[c]!;
        if (tree.position[child] === -1) {
          tree.position[child] = -2;
          stack.push(child);
          count++;
        }
      }
      tree.childCount[p] = count;
    }
  };
  for (const root of roots) walk(root, 0);
  // Spans whose ancestry is a loop were reached from no root: each loop is cut at its earliest
  // span, which becomes a root.
  if (next < n) {
    const left: number[] = [];
    for (let i = 0; i < n; i++) if (tree.position[i] === -1) left.push(i);
    left.sort(byStart);
    for (const i of left) if (tree.position[i] === -1) walk(i, FLAG_CYCLE);
  }
  // Subtree sizes, children before parents (their positions are higher).
  const size = new Int32Array(n).fill(1);
  for (let p = n - 1; p > 0; p--) {
    const parent = tree.parent[p]!;
    if (parent >= 0) size[parent]! += size[p]!;
  }
  for (let p = 0; p < n; p++) tree.subtreeEnd[p] = p + size[p]!;
  return tree;
}

/** Whether the span at a position has children. */
export function hasChildren(tree: SpanTree, position: number): boolean {
  return tree.subtreeEnd[position]! > position + 1;
}

/** Positions of a span's ancestors, nearest first: O(depth). */
export function ancestors(tree: SpanTree, position: number): number[] {
  const out: number[] = [];
  for (let p = tree.parent[position]!; p >= 0; p = tree.parent[p]!) out.push(p);
  return out;
}

/**
 * The rows left visible when the subtrees of some spans are collapsed, as a mapping between row
 * indices (what the virtualizer counts) and tree positions, without listing the rows.
 */
export interface VisibleRows {
  count: number;
  /** The tree position shown in row `row` (0 ≤ row < count): O(log k). */
  positionAt(row: number): number;
  /** The row showing a position, or -1 when a collapsed ancestor hides it: O(log k). */
  rowOf(position: number): number;
}

/**
 * The visible rows for a set of collapsed positions: O(k log k) for k collapsed positions,
 * independent of the trace's size. A collapsed span stays visible; its descendants are hidden.
 */
export function visibleRows(tree: SpanTree, collapsed: Iterable<number>): VisibleRows {
  const sorted = [...collapsed].filter((p) => p >= 0 && p < tree.size && hasChildren(tree, p))
    .sort((a, b) => a - b);
  // Hidden ranges [from, to) of positions, disjoint and ascending; a collapsed span inside an
  // already hidden range adds nothing.
  const from: number[] = [];
  const to: number[] = [];
  /** Hidden positions before range j. */
  const hiddenBefore: number[] = [];
  let hidden = 0;
  for (const p of sorted) {
    const end = tree.subtreeEnd[p]!;
    if (to.length > 0 && p < to[to.length - 1]!) continue;
    from.push(p + 1);
    to.push(end);
    hiddenBefore.push(hidden);
    hidden += end - p - 1;
  }
  // The row at which range j has been skipped: the first row after it.
  const rowAfter = from.map((f, j) => f - hiddenBefore[j]!);
  /** The last j with keys[j] ≤ value, or -1. */
  const lastAtMost = (keys: number[], value: number) => {
    let lo = 0;
    let hi = keys.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (keys[mid]! <= value) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
  return {
    count: tree.size - hidden,
    positionAt(row) {
      const j = lastAtMost(rowAfter, row);
      return j < 0 ? row : row + hiddenBefore[j]! + (to[j]! - from[j]!);
    },
    rowOf(position) {
      const j = lastAtMost(from, position);
      if (j < 0) return position;
      if (position < to[j]!) return -1;
      return position - hiddenBefore[j]! - (to[j]! - from[j]!);
    },
  };
}

/** Every position with children: "collapse all". O(n), on request. */
export function parentsOf(tree: SpanTree, maxDepth = Infinity): number[] {
  const out: number[] = [];
  for (let p = 0; p < tree.size; p++) {
    if (hasChildren(tree, p) && tree.depth[p]! <= maxDepth) out.push(p);
  }
  return out;
}

// --- Time scale -------------------------------------------------------------------------------

/** A window of the trace's time, ns from its start: the whole trace or a zoomed part. */
export interface TimeView {
  fromNs: number;
  toNs: number;
}

export interface Tick {
  ns: number;
  /** Position in the view, 0 to 1. */
  fraction: number;
  label: string;
}

/** The step of about `maxTicks` ticks over `rangeNs`: 1, 2 or 5 × 10^k ns, at least 1 ns. */
export function tickStep(rangeNs: number, maxTicks: number): number {
  if (!(rangeNs > 0) || maxTicks < 1) return 1;
  const raw = rangeNs / maxTicks;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return Math.max(1, m * power);
  return Math.max(1, 10 * power);
}

/**
 * An offset in the unit its size reads best in, with the decimals its step needs, so that ruler
 * ticks read `0`, `200µs`, `400µs`, …, `1ms`, `1.2ms`: `formatOffset(1_200_000, 200_000)` is
 * `1.2ms`. Past a minute, with a step of whole seconds: `1m 30s`.
 */
export function formatOffset(ns: number, stepNs = ns): string {
  if (ns === 0) return "0";
  const size = Math.abs(ns);
  const step = Math.abs(stepNs) || size;
  if (size >= 60_000_000_000 && step >= 1_000_000_000) {
    const seconds = Math.round(size / 1_000_000_000);
    const text = `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, "0")}s`;
    return ns < 0 ? `-${text}` : text;
  }
  const [unit, suffix] = size >= 1e9
    ? [1e9, "s"]
    : size >= 1e6
    ? [1e6, "ms"]
    : size >= 1e3
    ? [1e3, "µs"]
    : [1, "ns"];
  // The fewest decimals (up to 3) that show the step exactly in this unit.
  let digits = 0;
  const inUnit = step / unit;
  while (digits < 3 && Math.abs(Math.round(inUnit * 10 ** digits) - inUnit * 10 ** digits) > 1e-6) {
    digits++;
  }
  return `${Number((ns / unit).toFixed(digits))}${suffix}`;
}

/** The ruler's ticks over a view: O(maxTicks). The first is at the view's start or after it. */
export function timeTicks(view: TimeView, maxTicks = 6): Tick[] {
  const range = view.toNs - view.fromNs;
  if (!(range > 0)) return [{ ns: view.fromNs, fraction: 0, label: formatOffset(view.fromNs) }];
  const step = tickStep(range, maxTicks);
  const first = Math.ceil(view.fromNs / step);
  const ticks: Tick[] = [];
  // Multiples of the step, not a running sum: sums drift (0.1 + 0.2).
  for (let i = first; i * step <= view.toNs + step * 1e-9; i++) {
    const ns = i * step;
    ticks.push({ ns, fraction: (ns - view.fromNs) / range, label: formatOffset(ns, step) });
  }
  return ticks;
}

/**
 * Where a span's bar goes in a view, as fractions of the timeline's width: `left` and `width`
 * clipped to [0, 1]; `visible` false when the span is wholly outside the view. A zero-length span
 * keeps width 0 (the renderer gives bars a minimum width).
 */
export function barGeometry(
  startNs: number,
  durationNs: number,
  view: TimeView,
): { left: number; width: number; visible: boolean } {
  const range = view.toNs - view.fromNs;
  if (!(range > 0)) return { left: 0, width: 1, visible: true };
  const endNs = startNs + durationNs;
  const visible = endNs >= view.fromNs && startNs <= view.toNs;
  const left = Math.min(1, Math.max(0, (startNs - view.fromNs) / range));
  const right = Math.min(1, Math.max(0, (endNs - view.fromNs) / range));
  return { left, width: right - left, visible };
}

/** A view zoomed to the fractions [from, to] of `view` (each clamped to 0..1, at least 1 ns wide). */
export function zoomView(view: TimeView, from: number, to: number): TimeView {
  const [a, b] = from <= to ? [from, to] : [to, from];
  const clamp = (x: number) => Math.min(1, Math.max(0, x));
  const range = view.toNs - view.fromNs;
  const fromNs = view.fromNs + clamp(a) * range;
  return { fromNs, toNs: Math.max(fromNs + 1, view.fromNs + clamp(b) * range) };
}

// --- Critical path ----------------------------------------------------------------------------

/** A stretch of time during which a span, and none of its children, holds the trace up. */
export interface CriticalSegment {
  /** Tree position. */
  position: number;
  fromNs: number;
  toNs: number;
}

/**
 * The critical path (as jaeger-ui computes it): from the end of each root, walk back through the
 * child that finished last before the current instant; the time no child covers belongs to the
 * parent. Children are clipped to their parent's time (clock skew). O(n log n) once per trace.
 * Segments are sorted latest first; together they cover each root's time once.
 */
export function criticalPath(trace: CompactTrace, tree: SpanTree): CriticalSegment[] {
  const segments: CriticalSegment[] = [];
  const startOf = (p: number) => trace.start_ns[tree.span[p]!]!;
  const endOf = (p: number) => startOf(p) + trace.duration_ns_of[tree.span[p]!]!;
  /** Children of a position, latest ending first (clipped to the parent's end). */
  const childrenByEnd = (p: number): number[] => {
    const out: number[] = [];
    for (let c = p + 1; c < tree.subtreeEnd[p]!; c = tree.subtreeEnd[c]!) out.push(c);
    const end = endOf(p);
    return out.sort((a, b) => Math.min(endOf(b), end) - Math.min(endOf(a), end));
  };
  // Explicit stack of (position, instant up to which it is critical, lower bound): recursion
  // would overflow on deep traces.
  const roots: number[] = [];
  for (let p = 0; p < tree.size; p = tree.subtreeEnd[p]!) roots.push(p);
  for (const root of roots) {
    const stack: Array<{ position: number; until: number; floor: number }> = [
      { position: root, until: endOf(root), floor: startOf(root) },
    ];
    while (stack.length > 0) {
      const { position, until, floor } = stack.pop()!;
      const lower = Math.max(floor, startOf(position));
      let cursor = Math.min(until, endOf(position));
      const pending: Array<{ position: number; until: number; floor: number }> = [];
      for (const child of childrenByEnd(position)) {
        const childEnd = Math.min(endOf(child), endOf(position));
        const childStart = Math.max(startOf(child), lower);
        if (childEnd > cursor || childEnd <= lower || childStart >= cursor) continue;
        if (cursor > childEnd) segments.push({ position, fromNs: childEnd, toNs: cursor });
        pending.push({ position: child, until: childEnd, floor: childStart });
        cursor = childStart;
        if (cursor <= lower) break;
      }
      if (cursor > lower) segments.push({ position, fromNs: lower, toNs: cursor });
      // Children were found latest first; push so that the latest is walked first.
      for (let i = pending.length - 1; i >= 0; i--) stack.push(pending[i]!);
    }
  }
  return segments.sort((a, b) => b.fromNs - a.fromNs || b.toNs - a.toNs);
}

// --- The trace view ---------------------------------------------------------------------------

/** A trace's start in Unix milliseconds and as ISO 8601 with nanoseconds, and its end in ms. */
export interface TraceTimes {
  startMs: number;
  endMs: number;
  /** The start to the nanosecond, e.g. `2026-11-28T09:20:00.000000001Z`. */
  iso: string;
}

export function traceTimes(trace: CompactTrace): TraceTimes {
  const startNs = BigInt(trace.start_unix_nano);
  const startMs = Number(startNs / 1_000_000n);
  const fraction = (startNs % 1_000_000_000n).toString().padStart(9, "0");
  const iso = `${new Date(startMs).toISOString().slice(0, 19)}.${fraction}Z`;
  return { startMs, endMs: startMs + trace.duration_ns / 1e6, iso };
}

/**
 * What the trace view's header shows: the span the waterfall shows first (its root) and the
 * trace's figures. Serializable: the server computes it and renders the header outside the island.
 */
export interface TraceSummary {
  traceId: string;
  rootService: string;
  rootName: string;
  /** The root's service colour (`serviceColors`), as in the waterfall. */
  rootColor: string;
  /** The first root names a parent the trace lacks: the root span was not received. */
  rootMissing: boolean;
  times: TraceTimes;
  durationNs: number;
  spans: number;
  errors: number;
  /** Levels of the span tree: 1 for a lone span. */
  depth: number;
  services: number;
}

/** The header's figures of a trace: O(n log n) for the tree, unless it is given. */
export function traceSummary(
  trace: CompactTrace,
  tree: SpanTree = buildSpanTree(trace),
): TraceSummary {
  const root = tree.span[0]!;
  const rootService = trace.services[trace.service[root]!]!;
  return {
    traceId: trace.trace_id,
    rootService,
    rootName: trace.names[trace.name[root]!]!,
    rootColor: serviceColors(trace.services).get(rootService)!,
    rootMissing: (tree.flags[0]! & FLAG_ORPHAN) !== 0,
    times: traceTimes(trace),
    durationNs: trace.duration_ns,
    spans: tree.size,
    errors: tree.errorCount,
    depth: tree.maxDepth + 1,
    services: trace.services.length,
  };
}

/** Why a span's place in the tree is doubtful, from its `FLAG_*` bits, or null. */
export function spanWarning(flags: number): string | null {
  return (flags & FLAG_ORPHAN) !== 0
    ? "Its parent span is not in this trace"
    : (flags & FLAG_CYCLE) !== 0
    ? "Its parent ids form a loop"
    : (flags & FLAG_OUTSIDE_PARENT) !== 0
    ? "Starts before or ends after its parent (clock skew?)"
    : null;
}

/**
 * Whether a row names its service: roots and spans whose service differs from their parent's
 * (where a call crosses into another service). Other rows show the colour only, leaving the
 * column to the operation.
 */
export function showsService(trace: CompactTrace, tree: SpanTree, position: number): boolean {
  const parent = tree.parent[position]!;
  return parent < 0 || trace.service[tree.span[parent]!] !== trace.service[tree.span[position]!];
}

/** Where `x` falls across `[left, left + width]`, as a fraction clamped to 0..1. */
export function fractionAcross(x: number, left: number, width: number): number {
  if (!(width > 0)) return 0;
  return Math.min(1, Math.max(0, (x - left) / width));
}

/** A drag on the ruler narrower than this (a fraction of its width) is a click: no zoom. */
export const MIN_BRUSH_FRACTION = 0.005;

/** The view a drag across the fractions [from, to] of the ruler zooms to, or null for a click. */
export function brushedView(view: TimeView, from: number, to: number): TimeView | null {
  return Math.abs(to - from) > MIN_BRUSH_FRACTION ? zoomView(view, from, to) : null;
}

/** The critical path's segments by tree position (each row draws its own): O(segments). */
export function criticalByPosition(
  segments: readonly CriticalSegment[],
): Map<number, CriticalSegment[]> {
  const byPosition = new Map<number, CriticalSegment[]>();
  for (const segment of segments) {
    const list = byPosition.get(segment.position);
    if (list) list.push(segment);
    else byPosition.set(segment.position, [segment]);
  }
  return byPosition;
}

/**
 * Everything the trace view derives from a trace once, before anyone interacts: the tree, the
 * colours, the legend's counts, the critical path by row. O(n log n). The lookup by span id is
 * built on its first use.
 */
export interface WaterfallModel {
  trace: CompactTrace;
  tree: SpanTree;
  times: TraceTimes;
  /** Service name → colour. */
  colors: Map<string, string>;
  /** Spans per service, by index in `trace.services`. */
  perService: number[];
  criticalByPosition: Map<number, CriticalSegment[]>;
  /** The colour of the span at an input index. */
  colorOf(index: number): string;
  /** The input index of the (first) span with an id, or undefined. */
  indexOf(spanId: string): number | undefined;
  /** The tree position of the span with an id, or -1 (also for null). */
  positionOf(spanId: string | null): number;
}

export function waterfallModel(trace: CompactTrace): WaterfallModel {
  const tree = buildSpanTree(trace);
  const colors = serviceColors(trace.services);
  const byService = trace.services.map((service) => colors.get(service)!);
  const perService = new Array<number>(trace.services.length).fill(0);
  for (const s of trace.service) perService[s]!++;
  // Built on the first look-up by id, which most page views never make: O(n) once.
  let ids: Map<string, number> | undefined;
  const byId = () => (ids ??= firstIndexOfIds(trace.span_id));
  return {
    trace,
    tree,
    times: traceTimes(trace),
    colors,
    perService,
    criticalByPosition: criticalByPosition(criticalPath(trace, tree)),
    colorOf: (index) => byService[trace.service[index]!]!,
    indexOf: (spanId) => byId().get(spanId),
    positionOf(spanId) {
      const index = spanId === null ? undefined : byId().get(spanId);
      return index === undefined ? -1 : tree.position[index]!;
    },
  };
}

/** Input index of the first span with each id. */
function firstIndexOfIds(spanIds: readonly string[]): Map<string, number> {
  const byId = new Map<string, number>();
  for (let i = 0; i < spanIds.length; i++) if (!byId.has(spanIds[i]!)) byId.set(spanIds[i]!, i);
  return byId;
}
