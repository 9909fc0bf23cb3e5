/**
 * The attribute index's rows of a commit (attribute_index.ts has the design): for each span, the
 * hashes of its attributes under its start's bucket and its trace id; for each log record, under
 * its time's bucket and its id. Each (bucket, h, id) once per commit (a trace's spans share most
 * attributes), and, per (bucket, h), at most `postings` ids from this writer, then the overflow
 * row and no more.
 *
 * The counts behind the cap live in memory (`Postings`), per writer: a restart or a second replica
 * starts from nothing and writes up to `postings` ids again before its own overflow row, which only
 * costs rows. They count what committed transactions wrote (`IndexPlan.committed`), so that ids
 * are skipped only once the overflow row is stored; a rolled-back commit counts nothing, and its
 * retry plans again. A count may exceed the ids stored (a trace's spans of one bucket arriving in
 * two commits count twice), which brings the overflow row sooner: never a missing id.
 *
 * @module
 */
import type { AttributeIndexer } from "./attribute_index.ts";
import { bucketOf, OVERFLOW_ID } from "./attribute_index.ts";

/** The limits of the counts (lib/config.ts). */
export interface PostingLimits {
  /** Ids written per (bucket, h) before the overflow row (ATTRIBUTE_INDEX_POSTINGS). */
  postings: number;
  /** Most (bucket, h) pairs counted at once (ATTRIBUTE_INDEX_TRACKED); past it, not counted. */
  tracked: number;
}

export const DEFAULT_POSTING_LIMITS: PostingLimits = { postings: 32, tracked: 100_000 };

/**
 * Buckets counted behind the newest one seen: spans come minutes late at most, and older
 * buckets' counts are dropped (then their ids are written again, up to the cap).
 */
const RECENT_BUCKETS = 2;

/** A count that means: the overflow row is stored, write no more ids. */
const OVERFLOWED = -1;

/** What one writer has committed to the index, per (bucket, h), for recent buckets. */
export class Postings {
  readonly #buckets = new Map<number, Map<number, number>>();
  #size = 0;
  #newest = -Infinity;

  constructor(readonly limits: PostingLimits) {}

  /** Ids committed for (bucket, h), or OVERFLOWED; 0 when not counted. */
  count(bucket: number, h: number): number {
    return this.#buckets.get(bucket)?.get(h) ?? 0;
  }

  /** Records a committed write: `ids` more ids, or the overflow row (OVERFLOWED). */
  add(bucket: number, h: number, ids: number): void {
    if (bucket > this.#newest) {
      this.#newest = bucket;
      for (const [b, counts] of this.#buckets) {
        if (b < bucket - RECENT_BUCKETS) this.#drop(b, counts);
      }
    } else if (bucket < this.#newest - RECENT_BUCKETS) return;
    let counts = this.#buckets.get(bucket);
    const before = counts?.get(h);
    if (before === undefined) {
      // Room for a new pair: the oldest bucket's counts go first, never the newer ones'.
      while (this.#size >= this.limits.tracked) {
        const oldest = Math.min(...this.#buckets.keys());
        if (!(oldest < bucket)) return;
        this.#drop(oldest, this.#buckets.get(oldest)!);
      }
      if (counts === undefined) this.#buckets.set(bucket, counts = new Map());
      this.#size++;
    }
    counts!.set(h, ids === OVERFLOWED || before === OVERFLOWED ? OVERFLOWED : (before ?? 0) + ids);
  }

  #drop(bucket: number, counts: Map<number, number>): void {
    this.#size -= counts.size;
    this.#buckets.delete(bucket);
  }

  /** How many (bucket, h) pairs are counted (for tests). */
  get size(): number {
    return this.#size;
  }
}

/** The rows of one (bucket, h) a commit writes: ids, or the overflow id alone. */
export interface Posting {
  bucket: number;
  h: number;
  ids: string[];
}

/** A commit's index rows; `committed()` once its transaction has committed. */
export interface IndexPlan {
  spans: Posting[];
  logs: Posting[];
  committed(): void;
}

/** Plans the index rows of commits, for one writer. */
export class AttributeIndexWriter {
  readonly #spans: Postings;
  readonly #logs: Postings;

  constructor(readonly indexer: AttributeIndexer, readonly limits = DEFAULT_POSTING_LIMITS) {
    this.#spans = new Postings(limits);
    this.#logs = new Postings(limits);
  }

  /** The index rows of a commit's spans and logs, distinct and capped. */
  plan(
    spans: readonly { startTimeUnixNano: bigint; traceId: string; attributes: string }[],
    logs: readonly { timeUnixNano: bigint; id: string; attributes: string }[],
  ): IndexPlan {
    if (!this.indexer.enabled) return { spans: [], logs: [], committed() {} };
    const pending: (() => void)[] = [];
    const plan = (
      postings: Postings,
      rows: Iterable<{ time: bigint; id: string; attributes: string }>,
    ): Posting[] => {
      const groups = new Map<number, Map<number, Set<string>>>();
      const hashes: number[] = [];
      for (const row of rows) {
        hashes.length = 0;
        if (this.indexer.pushHashes(hashes, row.attributes) === 0) continue;
        const bucket = bucketOf(row.time);
        let byHash = groups.get(bucket);
        if (byHash === undefined) groups.set(bucket, byHash = new Map());
        for (const h of hashes) {
          const ids = byHash.get(h);
          if (ids === undefined) byHash.set(h, new Set([row.id]));
          else ids.add(row.id);
        }
      }
      const out: Posting[] = [];
      const cap = this.limits.postings;
      for (const [bucket, byHash] of groups) {
        for (const [h, ids] of byHash) {
          const count = postings.count(bucket, h);
          if (count === OVERFLOWED) continue;
          if (count + ids.size <= cap) {
            out.push({ bucket, h, ids: [...ids].sort() });
            pending.push(() => postings.add(bucket, h, ids.size));
          } else {
            out.push({ bucket, h, ids: [OVERFLOW_ID] });
            pending.push(() => postings.add(bucket, h, OVERFLOWED));
          }
        }
      }
      // In key order: the inserts then walk the B-tree's last pages once, in order.
      return out.sort((x, y) => x.bucket - y.bucket || x.h - y.h);
    };
    return {
      spans: plan(
        this.#spans,
        spans.map((s) => ({ time: s.startTimeUnixNano, id: s.traceId, attributes: s.attributes })),
      ),
      logs: plan(
        this.#logs,
        logs.map((l) => ({ time: l.timeUnixNano, id: l.id, attributes: l.attributes })),
      ),
      committed() {
        for (const apply of pending) apply();
      },
    };
  }
}
