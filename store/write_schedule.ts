/**
 * Which of the store's writes may run at once (several batches in flight on a server database).
 *
 * Batches committing at once on their own connections are exact for the same reasons as two
 * replicas writing one database: rows are inserted if absent (the database's keys decide between
 * two commits of one row), a batch's trace summaries are claimed under a row lock before its spans
 * (trace_summaries.ts), and rollups and every other shared row are written in key order, so no two
 * commits deadlock on them. What they would lose is the edge resolver's memory (edge_resolver.ts):
 * a parent and its child committed at once do not see each other, and the child's edge waits for
 * the database look-up at the end of its wait (`EDGE_PENDING_WINDOW`) instead of being counted at
 * once. Every pair is of one trace, so batches that share no trace may commit at once, and a batch
 * sharing a trace with an earlier one waits until that one ends: each trace's batches commit in
 * call order, the resolver sees them as one writer would, and two commits never wait for each
 * other's row locks on a trace's summary. (The attribute index counts its posting lists in memory,
 * per plan: batches in flight may pass a list's cap by what the others add; the list is then
 * longer, never less complete; attribute_postings.ts.)
 *
 * An `exclusive` operation (the edge sweep, which takes the resolver's waiting children and looks
 * their parents up among the rows committed so far) waits for every earlier operation and runs
 * alone.
 *
 * With a limit of 1 (SQLite's single writer) operations run one at a time in call order.
 *
 * @module
 */

/** The traces an operation touches, or `exclusive` for one that must run alone. */
export type Footprint = ReadonlySet<string> | "exclusive";

interface Entry {
  footprint: Footprint;
  start: () => void;
}

export class WriteSchedule {
  readonly #limit: number;
  readonly #waiting: Entry[] = [];
  readonly #running = new Set<Entry>();

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`A write schedule needs a limit of at least 1, not ${limit}`);
    }
    this.#limit = limit;
  }

  /** Most operations at once. */
  get limit(): number {
    return this.#limit;
  }

  /** Operations running now. */
  get running(): number {
    return this.#running.size;
  }

  /** Runs `operation` once the footprint allows it; answers its result. */
  run<T>(footprint: Footprint, operation: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Entry = {
        footprint,
        start: () => {
          this.#running.add(entry);
          let result: Promise<T>;
          try {
            result = operation();
          } catch (error) {
            result = Promise.reject(error);
          }
          result.then(resolve, reject).finally(() => {
            this.#running.delete(entry);
            this.#startReady();
          });
        },
      };
      this.#waiting.push(entry);
      this.#startReady();
    });
  }

  /** Starts, in call order, each waiting operation that conflicts with nothing before it. */
  #startReady(): void {
    const busy = new Set<string>();
    for (const entry of this.#running) {
      if (entry.footprint === "exclusive") return;
      for (const trace of entry.footprint) busy.add(trace);
    }
    for (let i = 0; i < this.#waiting.length;) {
      if (this.#running.size >= this.#limit) return;
      const entry = this.#waiting[i]!;
      const { footprint } = entry;
      if (footprint === "exclusive") {
        if (this.#running.size === 0 && i === 0) {
          this.#waiting.shift();
          entry.start();
        }
        // Nothing after it may overtake it.
        return;
      }
      let free = true;
      for (const trace of footprint) {
        if (busy.has(trace)) {
          free = false;
          break;
        }
      }
      // Started or not, its traces are taken for those behind it (they keep their order).
      for (const trace of footprint) busy.add(trace);
      if (free) {
        this.#waiting.splice(i, 1);
        entry.start();
      } else i++;
    }
  }
}
