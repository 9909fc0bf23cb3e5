/**
 * The Logs page's data structures, free of any framework so that they are tested alone:
 *
 * - `LogBuffer`: the records on screen, newest first by timestamp, at most `capacity` of them
 *   (the oldest dropped first, or the newest when older records are paged in), each `id` once
 *   (the live stream may deliver a retried request's records twice).
 * - `FrameQueue`: live batches collected between animation frames and handed over once per frame,
 *   so that a burst of WebSocket messages costs one merge and one render.
 *
 * @module
 */

/** What the buffer reads of a record; the rest is kept as it is. */
export interface BufferedLog {
  /** 32 hex characters, derived from the record's content (so a duplicate has the same). */
  id: string;
  /**
   * The time it is listed at (utils/wire.ts), Unix nanoseconds as a decimal string without leading
   * zeros (e.g. `"1795687200000000000"`).
   */
  listed_time_unix_nano: string;
}

/**
 * Newest first: by `listed_time_unix_nano` (decimal strings, compared by length then digits, so no
 * BigInt is made), then by `id` so that equal times keep one order everywhere.
 */
export function compareNewestFirst(a: BufferedLog, b: BufferedLog): number {
  const at = a.listed_time_unix_nano;
  const bt = b.listed_time_unix_nano;
  if (at.length !== bt.length) return bt.length - at.length;
  if (at !== bt) return at < bt ? 1 : -1;
  return a.id === b.id ? 0 : a.id < b.id ? 1 : -1;
}

/** Which end of the buffer gives way past its capacity. */
export type DropEnd = "oldest" | "newest";

/** What one `add` did. */
export interface AddResult {
  /** Records taken in (including any dropped again at once for being the oldest). */
  added: number;
  /** Records skipped because their `id` was in the buffer or earlier in the same batch. */
  duplicates: number;
  /** Records dropped from the `drop` end to keep within the capacity. */
  dropped: number;
}

export class LogBuffer<T extends BufferedLog> {
  readonly capacity: number;
  #items: readonly T[] = [];
  #ids = new Set<string>();
  #dropped = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(
        `Cannot use 'capacity' as it must be a positive integer: current value is ${capacity}`,
      );
    }
    this.capacity = capacity;
  }

  /**
   * The records, newest first. A new array after every change (never mutated afterwards), so a
   * render can hold it and compare it by identity.
   */
  get items(): readonly T[] {
    return this.#items;
  }

  get size(): number {
    return this.#items.length;
  }

  /** Records dropped for the capacity (at either end) since the buffer was made or last replaced. */
  get dropped(): number {
    return this.#dropped;
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  /**
   * Merges records in, in O(size + batch): the batch is sorted (it is small), then merged with
   * the buffer, which is sorted already. The common case, a batch newer than everything held,
   * is a concatenation. Past the capacity, the `drop` end gives way: the oldest records (the
   * default, as new ones stream in), or the newest (as older ones are paged in).
   */
  add(batch: readonly T[], drop: DropEnd = "oldest"): AddResult {
    const fresh: T[] = [];
    let duplicates = 0;
    for (const item of batch) {
      if (this.#ids.has(item.id)) {
        duplicates++;
        continue;
      }
      this.#ids.add(item.id);
      fresh.push(item);
    }
    if (fresh.length === 0) return { added: 0, duplicates, dropped: 0 };
    fresh.sort(compareNewestFirst);
    const old = this.#items;
    let merged: T[];
    if (old.length === 0 || compareNewestFirst(fresh[fresh.length - 1]!, old[0]!) < 0) {
      merged = fresh.concat(old);
    } else {
      merged = new Array(fresh.length + old.length);
      let i = 0;
      let j = 0;
      let k = 0;
      while (i < fresh.length && j < old.length) {
        merged[k++] = compareNewestFirst(fresh[i]!, old[j]!) <= 0 ? fresh[i++]! : old[j++]!;
      }
      while (i < fresh.length) merged[k++] = fresh[i++]!;
      while (j < old.length) merged[k++] = old[j++]!;
    }
    const dropped = this.#trim(merged, drop);
    this.#items = merged;
    return { added: fresh.length, duplicates, dropped };
  }

  /** Holds exactly these records (sorted, deduplicated, capped); the dropped count restarts. */
  replace(items: readonly T[]): void {
    this.#items = [];
    this.#ids = new Set();
    this.#dropped = 0;
    this.add(items);
  }

  /** Drops records past the capacity from the `drop` end, in place; returns how many. */
  #trim(items: T[], drop: DropEnd): number {
    const over = items.length - this.capacity;
    if (over <= 0) return 0;
    if (drop === "oldest") {
      for (let i = this.capacity; i < items.length; i++) this.#ids.delete(items[i]!.id);
      items.length = this.capacity;
    } else {
      for (let i = 0; i < over; i++) this.#ids.delete(items[i]!.id);
      items.splice(0, over);
    }
    this.#dropped += over;
    return over;
  }
}

/** How a FrameQueue waits for the next frame (`requestAnimationFrame` in the browser). */
export interface FrameScheduler {
  request(callback: () => void): number;
  cancel(handle: number): void;
}

function browserFrames(): FrameScheduler {
  return {
    request: (callback) => requestAnimationFrame(callback),
    cancel: (handle) => cancelAnimationFrame(handle),
  };
}

/**
 * Collects items and hands them to `onFlush` once per animation frame, in arrival order.
 *
 * Bounded: browsers run no frames in a hidden tab, so once `maxPending` items wait they are
 * handed over at once rather than held until the tab is shown again.
 */
export class FrameQueue<T> {
  readonly #onFlush: (items: T[]) => void;
  readonly #maxPending: number;
  readonly #frames: FrameScheduler;
  #pending: T[] = [];
  #handle: number | undefined;

  constructor(
    onFlush: (items: T[]) => void,
    options: { maxPending?: number; frames?: FrameScheduler } = {},
  ) {
    this.#onFlush = onFlush;
    this.#maxPending = options.maxPending ?? 2_000;
    this.#frames = options.frames ?? browserFrames();
  }

  /** Items waiting for the next frame. */
  get pending(): number {
    return this.#pending.length;
  }

  push(items: readonly T[]): void {
    if (items.length === 0) return;
    for (const item of items) this.#pending.push(item);
    if (this.#pending.length >= this.#maxPending) {
      this.flush();
      return;
    }
    this.#handle ??= this.#frames.request(() => {
      this.#handle = undefined;
      this.flush();
    });
  }

  /** Hands over what is waiting now. */
  flush(): void {
    if (this.#handle !== undefined) {
      this.#frames.cancel(this.#handle);
      this.#handle = undefined;
    }
    if (this.#pending.length === 0) return;
    const items = this.#pending;
    this.#pending = [];
    this.#onFlush(items);
  }

  /** Drops what is waiting, and the frame asked for. */
  clear(): void {
    if (this.#handle !== undefined) this.#frames.cancel(this.#handle);
    this.#handle = undefined;
    this.#pending = [];
  }
}
