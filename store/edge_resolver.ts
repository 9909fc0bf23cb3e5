/**
 * Pairs child spans with their parents to find caller → callee calls between services, at ingest.
 *
 * A parent and its child arrive at different times and often from different processes: the
 * child usually first (it ends first, and each SDK exports on its own schedule). Each child with
 * a parent is resolved exactly once, in the commit that completes the pair:
 * - its parent is in the same batch or among the recently stored spans this resolver remembers →
 *   resolved at once;
 * - otherwise it waits, for at most `pendingWindowMs`: the parent's arrival resolves it;
 * - when its wait ends, the store looks the parent up in the database (it may have arrived before
 *   the resolver's memory of it was evicted, or before a restart); a parent still unknown means
 *   the caller is outside what Argus sees, and there is no edge.
 *
 * The call counts in the callee's start minute, with the callee span's status and duration. A
 * pair within one service is not an edge.
 *
 * Memory is bounded: `maxRecentSpans` remembered spans (oldest forgotten first) and
 * `maxPendingChildren` waiting children (beyond it the oldest wait ends early). What a crash loses
 * is the waiting children (edges only; rows are never lost); a graceful close resolves them.
 *
 * Not safe for concurrent use on one trace: the store plans and applies the batches of a trace one
 * after another (write_schedule.ts; batches of other traces may commit meanwhile, and touch other
 * keys), and a plan is applied only after the commit it was made for succeeded.
 *
 * @module
 */
import { type EdgeEvent, minuteOf } from "./rollups.ts";
import type { SpanRow } from "./types.ts";

export interface EdgeResolverLimits {
  /** How long a child waits in memory for its parent before a database look-up. */
  pendingWindowMs: number;
  maxRecentSpans: number;
  maxPendingChildren: number;
}

export const DEFAULT_EDGE_LIMITS: EdgeResolverLimits = {
  pendingWindowMs: 30_000,
  maxRecentSpans: 200_000,
  maxPendingChildren: 100_000,
};

/** A child span waiting for its parent. */
export interface PendingChild {
  traceId: string;
  parentSpanId: string;
  service: string;
  minute: number;
  error: boolean;
  durationNs: bigint;
  /** When its wait ends (ms, the resolver's clock). */
  expiresAt: number;
}

/** What one commit changes: edges to count, and the resolver state to update after it. */
export interface EdgePlan {
  edges: EdgeEvent[];
  /** New spans to remember: key → service. */
  remember: Map<string, string>;
  /** Children of this batch whose parent is not known yet. */
  wait: PendingChild[];
  /** Keys (of parents) whose waiting children this batch resolved. */
  resolvedParents: string[];
}

function spanKey(traceId: string, spanId: string): string {
  return traceId + spanId;
}

/**
 * A copy of `text` that shares no memory with it. The decoder's strings are slices of the whole
 * request's text (V8 keeps a slice of 13 characters or more as a view of its parent), so one
 * service name remembered for minutes would keep a request's text (up to megabytes) alive: under
 * load, the resolver's memory then grew with every request until the remembered spans were
 * forgotten (measured: ~0.85 KB of heap per span).
 */
function detached(text: string): string {
  return text.length < 13 ? text : JSON.parse(JSON.stringify(text));
}

/** Most distinct service names kept as detached copies; beyond it the table starts again. */
const MAX_INTERNED_SERVICES = 10_000;

function edge(callerService: string, child: PendingChild): EdgeEvent {
  return {
    minute: child.minute,
    caller: callerService,
    callee: child.service,
    error: child.error,
    durationNs: child.durationNs,
  };
}

export class EdgeResolver {
  readonly #limits: EdgeResolverLimits;
  readonly #now: () => number;
  /** Recently stored spans: key → service, in insertion order (a Map keeps it). */
  readonly #recent = new Map<string, string>();
  /** Waiting children by their parent's key. */
  readonly #waiting = new Map<string, PendingChild[]>();
  #waitingCount = 0;
  /** Service names as detached copies (see `detached`): a few, shared by every remembered span. */
  readonly #services = new Map<string, string>();

  constructor(limits: Partial<EdgeResolverLimits> = {}, now: () => number = Date.now) {
    this.#limits = { ...DEFAULT_EDGE_LIMITS, ...limits };
    this.#now = now;
  }

  /** `name` as the one detached copy the resolver keeps of it. */
  #service(name: string): string {
    let own = this.#services.get(name);
    if (own === undefined) {
      if (this.#services.size >= MAX_INTERNED_SERVICES) this.#services.clear();
      own = detached(name);
      this.#services.set(own, own);
    }
    return own;
  }

  /** Children waiting for their parent. */
  get waitingCount(): number {
    return this.#waitingCount;
  }

  /** Plans the edges of newly stored spans; changes nothing until `apply`. */
  plan(spans: readonly SpanRow[]): EdgePlan {
    const remember = new Map<string, string>();
    // Each key is made once: a concatenation, flattened and hashed by its first Map operation.
    const keys: string[] = [];
    for (const span of spans) {
      const key = spanKey(span.traceId, span.spanId);
      keys.push(key);
      remember.set(key, span.serviceName);
    }
    const plan: EdgePlan = { edges: [], remember, wait: [], resolvedParents: [] };
    const expiresAt = this.#now() + this.#limits.pendingWindowMs;
    const anyWaiting = this.#waitingCount > 0;
    for (let i = 0; i < spans.length; i++) {
      const span = spans[i]!;
      const key = keys[i]!;
      const waiting = anyWaiting ? this.#waiting.get(key) : undefined;
      if (waiting !== undefined) {
        plan.resolvedParents.push(key);
        for (const child of waiting) {
          if (child.service !== span.serviceName) plan.edges.push(edge(span.serviceName, child));
        }
      }
      if (span.parentSpanId === "") continue;
      const child: PendingChild = {
        traceId: span.traceId,
        parentSpanId: span.parentSpanId,
        service: span.serviceName,
        minute: minuteOf(span.startTimeUnixNano),
        error: span.statusCode === 2,
        durationNs: span.endTimeUnixNano > span.startTimeUnixNano
          ? span.endTimeUnixNano - span.startTimeUnixNano
          : 0n,
        expiresAt,
      };
      const parentKey = spanKey(span.traceId, span.parentSpanId);
      const parentService = remember.get(parentKey) ?? this.#recent.get(parentKey);
      if (parentService === undefined) plan.wait.push(child);
      else if (parentService !== span.serviceName) plan.edges.push(edge(parentService, child));
    }
    return plan;
  }

  /** Records a committed plan. */
  apply(plan: EdgePlan): void {
    for (const key of plan.resolvedParents) {
      this.#waitingCount -= this.#waiting.get(key)?.length ?? 0;
      this.#waiting.delete(key);
    }
    // Newly stored spans are new keys, so `set` appends them (a key already remembered keeps its
    // place in the eviction order: harmless, and it saves a delete per span).
    for (const [key, service] of plan.remember) this.#recent.set(key, this.#service(service));
    let excess = this.#recent.size - this.#limits.maxRecentSpans;
    if (excess > 0) {
      for (const key of this.#recent.keys()) {
        this.#recent.delete(key);
        if (--excess === 0) break;
      }
    }
    for (const child of plan.wait) {
      child.traceId = detached(child.traceId);
      child.parentSpanId = detached(child.parentSpanId);
      child.service = this.#service(child.service);
      const key = spanKey(child.traceId, child.parentSpanId);
      const list = this.#waiting.get(key);
      if (list === undefined) this.#waiting.set(key, [child]);
      else list.push(child);
      this.#waitingCount++;
    }
  }

  /**
   * Removes and returns the children whose wait is over (all of them with `all`), plus the
   * oldest beyond `maxPendingChildren`. The caller looks their parents up in the database and
   * commits the edges; if that fails, it hands them back with `requeue`.
   */
  takeExpired(all = false): PendingChild[] {
    const now = this.#now();
    let excess = this.#waitingCount - this.#limits.maxPendingChildren;
    const taken: PendingChild[] = [];
    // The Map is in order of first wait per parent, which is close to expiry order.
    for (const [key, list] of this.#waiting) {
      const first = list[0]!;
      if (!all && excess <= 0 && first.expiresAt > now) break;
      this.#waiting.delete(key);
      this.#waitingCount -= list.length;
      excess -= list.length;
      taken.push(...list);
    }
    return taken;
  }

  /** Puts back children whose database look-up could not run; they wait one more window. */
  requeue(children: readonly PendingChild[]): void {
    const expiresAt = this.#now() + this.#limits.pendingWindowMs;
    this.apply({
      edges: [],
      remember: new Map(),
      wait: children.map((c) => ({ ...c, expiresAt })),
      resolvedParents: [],
    });
  }

  /** Remembers parents found in the database and answers the edges of the given children. */
  static edgesFromParents(
    children: readonly PendingChild[],
    parentServices: ReadonlyMap<string, string>,
  ): EdgeEvent[] {
    const edges: EdgeEvent[] = [];
    for (const child of children) {
      const parent = parentServices.get(spanKey(child.traceId, child.parentSpanId));
      if (parent !== undefined && parent !== child.service) edges.push(edge(parent, child));
    }
    return edges;
  }
}

export { spanKey };
