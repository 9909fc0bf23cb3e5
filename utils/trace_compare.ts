/**
 * Two traces side by side, as Jaeger's trace comparison shows them: spans are matched by their
 * place in the tree, the path of (service, operation) from the root, with repeats among siblings
 * counted (the second `SELECT` under the same parent matches the other trace's second `SELECT`
 * there). Each place is in A only, in B only, or in both, with the difference of their durations.
 * Pure, O(spans); tested in utils/trace_compare_test.ts.
 *
 * @module
 */

/** What matching needs of a span (a `WireSpan` has it). */
export interface ComparedSpan {
  span_id: string;
  parent_span_id: string;
  service_name: string;
  name: string;
  duration_ms: number;
  /** As the API writes it (`STATUS_CODES`): `error` marks a failed span. */
  status_code: string;
}

/** One side of a place: the span of that trace there (repeats are numbered, so one at most). */
export interface CompareSide {
  spanId: string;
  durationMs: number;
  error: boolean;
}

export type CompareMatch = "both" | "only_a" | "only_b";

/** A place in the merged tree, in depth-first order (parents before children). */
export interface CompareRow {
  /** The place's path from the root, as a number unique in the comparison. */
  key: number;
  depth: number;
  service: string;
  operation: string;
  match: CompareMatch;
  a?: CompareSide;
  b?: CompareSide;
  /** B's duration minus A's, milliseconds, when in both. */
  deltaMs?: number;
}

export interface TraceComparison {
  rows: CompareRow[];
  both: number;
  onlyA: number;
  onlyB: number;
}

interface Node {
  key: number;
  service: string;
  operation: string;
  depth: number;
  span: ComparedSpan;
  children: Node[];
}

/**
 * A trace's spans as a tree of places. Spans whose parent is not in the trace (the root, and
 * orphans whose parent was not stored) are tops. Siblings keep the given order, which numbers
 * their repeats: give the spans in start order (as the API does).
 */
function places(spans: readonly ComparedSpan[], placeOf: (path: string) => number): Node[] {
  const ids = new Set(spans.map((s) => s.span_id));
  const childrenOf = new Map<string, ComparedSpan[]>();
  const tops: ComparedSpan[] = [];
  for (const span of spans) {
    if (span.parent_span_id === "" || !ids.has(span.parent_span_id)) {
      tops.push(span);
      continue;
    }
    const siblings = childrenOf.get(span.parent_span_id);
    if (siblings === undefined) childrenOf.set(span.parent_span_id, [span]);
    else siblings.push(span);
  }
  const build = (level: ComparedSpan[], parentKey: number, depth: number): Node[] => {
    const seen = new Map<string, number>();
    return level.map((span) => {
      const id = `${span.service_name}\u0000${span.name}`;
      const n = seen.get(id) ?? 0;
      seen.set(id, n + 1);
      return {
        key: placeOf(`${parentKey}\u0000${id}\u0000${n}`),
        service: span.service_name,
        operation: span.name,
        depth,
        span,
        children: [],
      };
    });
  };
  const roots = build(tops, -1, 0);
  // Iterative, so that a deep trace cannot overflow the stack.
  const stack = [...roots];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const children = childrenOf.get(node.span.span_id) ?? [];
    node.children = build(children, node.key, node.depth + 1);
    stack.push(...node.children);
  }
  return roots;
}

function sideOf(span: ComparedSpan): CompareSide {
  return {
    spanId: span.span_id,
    durationMs: span.duration_ms,
    error: span.status_code === "error",
  };
}

/** Rounds away floating-point noise of a difference (durations are exact to the nanosecond). */
const roundNs = (ms: number) => Math.round(ms * 1e6) / 1e6;

/**
 * Matches the spans of traces A and B by place. Rows follow A's tree, with the places only B has
 * after A's among the same parent's children.
 */
export function compareTraces(
  a: readonly ComparedSpan[],
  b: readonly ComparedSpan[],
): TraceComparison {
  const rows: CompareRow[] = [];
  const counts = { both: 0, onlyA: 0, onlyB: 0 };
  // Depth-first over both trees at once: each entry is one place with its node on either side.
  type Pair = { a?: Node; b?: Node };
  const merge = (left: Node[], right: Node[]): Pair[] => {
    const byKey = new Map(right.map((node) => [node.key, node]));
    const pairs: Pair[] = left.map((node) => {
      const other = byKey.get(node.key);
      byKey.delete(node.key);
      return { a: node, b: other };
    });
    for (const node of byKey.values()) pairs.push({ b: node });
    return pairs;
  };
  // A place is its parent's place, its (service, operation) and its repeat among its siblings:
  // numbered as met, so that keys stay short however deep a trace goes.
  const placeIds = new Map<string, number>();
  const placeOf = (path: string) => {
    let id = placeIds.get(path);
    if (id === undefined) placeIds.set(path, id = placeIds.size);
    return id;
  };
  const stack = merge(places(a, placeOf), places(b, placeOf)).reverse();
  while (stack.length > 0) {
    const pair = stack.pop()!;
    const node = (pair.a ?? pair.b)!;
    const match: CompareMatch = pair.a && pair.b ? "both" : pair.a ? "only_a" : "only_b";
    const row: CompareRow = {
      key: node.key,
      depth: node.depth,
      service: node.service,
      operation: node.operation,
      match,
    };
    if (pair.a) row.a = sideOf(pair.a.span);
    if (pair.b) row.b = sideOf(pair.b.span);
    if (row.a && row.b) row.deltaMs = roundNs(row.b.durationMs - row.a.durationMs);
    rows.push(row);
    if (match === "both") counts.both++;
    else if (match === "only_a") counts.onlyA++;
    else counts.onlyB++;
    stack.push(...merge(pair.a?.children ?? [], pair.b?.children ?? []).reverse());
  }
  return { rows, ...counts };
}
