/**
 * A huge trace's structure as its page read it, handed to the page's own request for it, so that
 * opening an 80,000-span trace reads its spans once rather than twice.
 *
 * The page of a trace of more than TRACE_PAGE_INLINE_SPANS spans (routes/pages/trace.tsx) reads
 * the structure to render its header and first rows, then has the browser fetch the same structure
 * (a `<link rel="preload">`, taken by the island's fetch). That second read cost as much as the
 * first (the spans' read, ~0.25 s, then laying them out in columns) and came while the browser
 * asked for the page's JavaScript, which waited behind it. So the page keeps its read here under
 * a random key, and names the key in the URL it preloads
 * (`GET /api/traces/{trace_id}/structure?snapshot=<key>`), which takes it once. The island then
 * draws exactly what the server rendered; a span stored in between shows on a reload, as before.
 *
 * A key unknown here (taken already, expired, evicted, or made by another Argus behind the same
 * address) is no error: the structure is read again.
 *
 * @module
 */
import type { WireTraceStructure } from "../utils/wire.ts";

/**
 * How long a page's read waits to be taken, ms, unless set otherwise (TRACE_SNAPSHOT_LIFETIME):
 * the browser's preload asks within a few tenths of a second of the page's first byte, a browser
 * without preloads after its JavaScript loads (~1 s).
 */
export const SNAPSHOT_LIFETIME_MS = 10_000;
/**
 * Reads kept at once, the oldest dropped first, unless set otherwise (TRACE_SNAPSHOTS; 0 keeps
 * none): each is about 10 MB of Argus's 192 MB heap for an 80,000-span trace. A page whose read
 * was dropped reads the structure again.
 */
export const MAX_SNAPSHOTS = 2;

interface Held {
  trace: WireTraceStructure;
  expiresMs: number;
}

/** The reads kept; expiry is checked when one is kept or taken, so no timer runs. */
export class TraceSnapshots {
  readonly #held = new Map<string, Held>();

  constructor(
    private readonly lifetimeMs = SNAPSHOT_LIFETIME_MS,
    private readonly max = MAX_SNAPSHOTS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Keeps a trace's structure for one request; its key (32 hex characters). */
  keep(trace: WireTraceStructure): string {
    this.#expire();
    for (const key of this.#held.keys()) {
      if (this.#held.size < this.max) break;
      this.#held.delete(key);
    }
    const key = Array.from(
      crypto.getRandomValues(new Uint8Array(16)),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    if (this.max > 0) this.#held.set(key, { trace, expiresMs: this.now() + this.lifetimeMs });
    return key;
  }

  /** The structure kept under `key` if it is `traceId`'s, once; else undefined. */
  take(key: string, traceId: string): WireTraceStructure | undefined {
    this.#expire();
    const held = this.#held.get(key);
    if (held === undefined || held.trace.trace_id !== traceId) return undefined;
    this.#held.delete(key);
    return held.trace;
  }

  /** Reads kept now (tests). */
  get size(): number {
    this.#expire();
    return this.#held.size;
  }

  #expire() {
    const now = this.now();
    for (const [key, held] of this.#held) if (held.expiresMs <= now) this.#held.delete(key);
  }
}
