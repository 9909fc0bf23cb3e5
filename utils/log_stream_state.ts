/**
 * The Logs page's state, free of the DOM so that it is tested alone (utils/log_stream_state_test.ts):
 * the records listed, how they are read, and the Live stream's states, kept in signals
 * (`@preact/signals-core`) that the page's components read, each only what it shows.
 *
 * The stream is in one of three states (`mode`). Off: the list is read from `/api/logs` every
 * `refreshMs` while the page is shown, in place of what was listed. Live: the periodic read stops,
 * the socket's records (after the filters the stream does not apply) join the list once per
 * animation frame, so that a burst costs one render, and each (re)connection merges the newest
 * page in to fill the gap. Paused: live, but scrolled away from the newest records or held by the
 * Pause button; the list holds still (a reader at 5,000 records/s would otherwise see the row being read pushed out
 * within a second), and what streams in waits in a pending buffer of at most `capacity` records,
 * counted on the page, until the return to the top (or Resume) merges it in.
 *
 * The transitions are the actions: `setLive`, `setAway` (scrolled away or back), `setHeld` (the
 * Pause and Resume button), `setFilters`
 * (what no longer matches goes at once, then the list is read: in place when off, merged when
 * live), `receive` (a socket message), `opened` (a socket opened), `refresh`, and the pages:
 * `loadOlder` and `loadNewer`; a read's answer replaces or joins the list and clears the error,
 * its failure sets the error and keeps the list. A newer read aborts an older one, so a slow
 * answer never overwrites a newer one.
 *
 * Pages (while not live). The first read lists the window's newest `limit` records (the oldest
 * with `order=asc`, which lists them oldest first; Live lists the newest first, so choosing oldest
 * first ends it). `loadOlder` and `loadNewer` read the `limit` records just past the oldest or
 * newest listed, by the API's keyset cursor, so no record is skipped or listed twice; past
 * `capacity`, the far end gives way (loading older drops the newest), and `olderMore` and
 * `newerMore` say where the window holds records not listed. Once paged, the periodic read stops
 * (it would replace what the reader paged to) until `refresh` reads the first page again.
 *
 * @module
 */
import { batch, computed, type ReadonlySignal, signal } from "@preact/signals-core";
import { errorMessage } from "./errors.ts";
import { FrameQueue, type FrameScheduler, LogBuffer } from "./log_buffer.ts";
import {
  filterKey,
  type LogFilters,
  type LogItem,
  matchesFilters,
  oldestFirst,
  type PageCursor,
} from "./log_query.ts";

/** A page of `/api/logs`. */
export interface LogPage {
  items: LogItem[];
  total: number;
  /** Whether the server stopped counting at `total` (LOG_SEARCH_LIMIT): more match. */
  total_capped?: boolean;
  /** Whether the window holds records past the page (see WireLogPage). Default: `total` says. */
  more?: boolean;
}

/** Off; live; or live and paused: scrolled away from the newest records, or held. */
export type LiveMode = "off" | "live" | "paused";

/** Interval timers (the browser's, or fakes in tests). */
export interface IntervalTimers {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface LogStreamOptions {
  /** The server's first page for `filters`, or null when it could not be read. */
  initial: LogPage | null;
  /** Why `initial` is null. */
  error: string | null;
  /** When the server read `initial` (Unix ms). */
  fetchedAt: number;
  filters: LogFilters;
  /** Records asked for per read. */
  limit: number;
  /** Records listed at most (the oldest dropped first), and records waiting at most. */
  capacity: number;
  /** Milliseconds between reads while not live. */
  refreshMs: number;
  /**
   * Reads the first `limit` records of `filters` in their order, or those just past a listed
   * record (`cursor`): `/api/logs`.
   */
  read(
    filters: LogFilters,
    limit: number,
    signal: AbortSignal,
    cursor?: PageCursor,
  ): Promise<LogPage>;
  /** A failed read's error as a sentence. Default: `errorMessage`. */
  describe?(error: unknown): string;
  /** Whether the page is shown: a hidden page skips its periodic reads. Default: always. */
  visible?(): boolean;
  /** For tests: the clock, the animation frames and the timers. */
  now?(): number;
  frames?: FrameScheduler;
  timers?: IntervalTimers;
}

export interface LogStreamState {
  readonly filters: ReadonlySignal<LogFilters>;
  /** The records listed, newest first, or oldest first for `order=asc` (a new array on each change). */
  readonly items: ReadonlySignal<readonly LogItem[]>;
  /** Records of the window by the last read (the API's count, not only those listed). */
  readonly total: ReadonlySignal<number>;
  /** Whether `total` is where the server stopped counting (shown as "10,000+"). */
  readonly totalCapped: ReadonlySignal<boolean>;
  /** When the list was last read (Unix ms); null before any read succeeded. */
  readonly fetchedAt: ReadonlySignal<number | null>;
  /** A read that shows it is under way (a change of filters). */
  readonly loading: ReadonlySignal<boolean>;
  /** The last read's error sentence, until a read succeeds. */
  readonly error: ReadonlySignal<string | null>;
  readonly live: ReadonlySignal<boolean>;
  /** Scrolled away from the newest records. */
  readonly away: ReadonlySignal<boolean>;
  /** Paused by the reader (the Pause button), wherever the list is scrolled. */
  readonly held: ReadonlySignal<boolean>;
  readonly mode: ReadonlySignal<LiveMode>;
  /** Records that arrived while paused (those past `capacity` included: they were dropped). */
  readonly pending: ReadonlySignal<number>;
  /** `pending` while paused, else 0: the page's "N new". */
  readonly newer: ReadonlySignal<number>;
  /** Records received in the last second while live. */
  readonly rate: ReadonlySignal<number>;
  /** Records streamed in (after the filters) since the page loaded. */
  readonly received: ReadonlySignal<number>;
  /** Records the stream added to the list since the page loaded (read by benchmarks). */
  readonly appended: ReadonlySignal<number>;
  /** Records dropped from the list for `capacity` since it was last read in place. */
  readonly dropped: ReadonlySignal<number>;
  /** Why the list is not everything there is (paused, capped, paged), or null. */
  readonly note: ReadonlySignal<string | null>;
  /** The window holds records older than the oldest listed (by the last read). */
  readonly olderMore: ReadonlySignal<boolean>;
  /** The window holds records newer than the newest listed (by the last read). */
  readonly newerMore: ReadonlySignal<boolean>;
  /** The page being read: older or newer records; null when none is. */
  readonly paging: ReadonlySignal<"older" | "newer" | null>;
  /** A page was loaded since the first page was read: the periodic read is stopped meanwhile. */
  readonly paged: ReadonlySignal<boolean>;

  /** Whether a record is listed. */
  has(id: string): boolean;
  setLive(on: boolean): void;
  setAway(away: boolean): void;
  /** Pause (true) or Resume (false) while live; off, nothing to pause. */
  setHeld(held: boolean): void;
  setFilters(filters: LogFilters): void;
  /** A socket message's records. */
  receive(records: readonly LogItem[]): void;
  /** A socket (re)opened: the newest page is merged in. */
  opened(): Promise<void>;
  /** Reads the first page again, in place (back to the newest, or the oldest first). */
  refresh(): Promise<void>;
  /** Lists the `limit` records just older than the oldest listed (not while live). */
  loadOlder(): Promise<void>;
  /** Lists the `limit` records just newer than the newest listed (not while live). */
  loadNewer(): Promise<void>;
  /** Hands the records waiting for the next animation frame over now. */
  flush(): void;
  /** Starts the timers (and the first read, when the server had no page); returns the stop. */
  start(): () => void;
}

const browserTimers: IntervalTimers = {
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
};

const shown = (n: number) => n.toLocaleString("en-US");

export function createLogStreamState(options: LogStreamOptions): LogStreamState {
  const { capacity, limit, refreshMs } = options;
  const describe = options.describe ?? errorMessage;
  const visible = options.visible ?? (() => true);
  const now = options.now ?? Date.now;
  const timers = options.timers ?? browserTimers;

  const listed = new LogBuffer<LogItem>(capacity);
  if (options.initial) listed.replace(options.initial.items);
  const waiting = new LogBuffer<LogItem>(capacity);
  /** The buffer's records in the order listed. */
  const inOrder = (shownFilters: LogFilters): readonly LogItem[] =>
    oldestFirst(shownFilters) ? [...listed.items].reverse() : listed.items;
  /** Whether a first page leaves records out, after it (`more`) or by its count. */
  const beyond = (page: LogPage) => page.more ?? page.total > page.items.length;

  const filters = signal(options.filters);
  const items = signal(inOrder(options.filters));
  const initialBeyond = options.initial !== null && beyond(options.initial);
  const olderMore = signal(initialBeyond && !oldestFirst(options.filters));
  const newerMore = signal(initialBeyond && oldestFirst(options.filters));
  const paging = signal<"older" | "newer" | null>(null);
  const paged = signal(false);
  const dropped = signal(listed.dropped);
  const total = signal(options.initial?.total ?? 0);
  const totalCapped = signal(options.initial?.total_capped ?? false);
  /** The count as shown: "10,000+" when capped. */
  const totalText = () => `${shown(total.value)}${totalCapped.value ? "+" : ""}`;
  const fetchedAt = signal(options.initial ? options.fetchedAt : null);
  const loading = signal(false);
  const error = signal(options.error);
  const live = signal(false);
  const away = signal(false);
  const held = signal(false);
  const pending = signal(0);
  const rate = signal(0);
  const received = signal(0);
  const appended = signal(0);
  const mode = computed<LiveMode>(() =>
    !live.value ? "off" : away.value || held.value ? "paused" : "live"
  );
  const newer = computed(() => mode.value === "paused" ? pending.value : 0);
  const note = computed(() => {
    if (mode.value === "paused") {
      return `${held.value ? "Paused" : "Paused while you scroll"}: ${
        shown(pending.value)
      } new records waiting${
        pending.value > capacity ? ` (the newest ${shown(capacity)} will be shown)` : ""
      }.`;
    }
    if (live.value) {
      return dropped.value > 0
        ? `Showing the newest ${
          shown(capacity)
        } records: older ones are dropped as new ones arrive.`
        : null;
    }
    if (paged.value) {
      return "Not refreshed while you page: back to the first page to follow new records.";
    }
    const count = items.value.length;
    if (total.value <= count || !(olderMore.value || newerMore.value)) return null;
    return oldestFirst(filters.value)
      ? `Showing the oldest ${
        shown(count)
      } of ${totalText()} records: “Load newer” at the end of the list reads more.`
      : `Showing the newest ${
        shown(count)
      } of ${totalText()} records: “Load older” at the end of the list reads more.`;
  });

  /** Publishes the list after a change of `listed`. */
  const show = () => {
    items.value = inOrder(filters.peek());
    dropped.value = listed.dropped;
  };

  /** Merges records in, counted as appended. */
  const append = (records: readonly LogItem[]) => {
    const { added, dropped: gone } = listed.add(records);
    batch(() => {
      appended.value += added;
      if (gone > 0) olderMore.value = true;
      show();
    });
  };

  const queue = new FrameQueue<LogItem>((records) => {
    if (mode.peek() !== "paused") {
      append(records);
      return;
    }
    // Records listed already (a retried request streamed again, or a record a read brought in
    // before its stream message arrived) are not new: counted, they made "N new" promise more
    // than it shows.
    const fresh = records.filter((item) => !listed.has(item.id));
    if (fresh.length === 0) return;
    waiting.add(fresh);
    pending.value = waiting.size + waiting.dropped;
  }, { maxPending: capacity, frames: options.frames });

  /** Merges what waited into the list (live), or drops it (off). */
  const release = (merge: boolean) => {
    if (waiting.size === 0) return;
    const records = waiting.items;
    waiting.replace([]);
    batch(() => {
      pending.value = 0;
      if (merge) append(records);
    });
  };

  let request: AbortController | null = null;
  /**
   * Reads the first page: in place of the list, or merged into it; or the page past the oldest
   * (`older`) or newest (`newer`) record listed, joining the list.
   */
  const read = async (
    how: "replace" | "merge" | "older" | "newer",
    showLoading: boolean,
  ): Promise<void> => {
    request?.abort();
    const abort = new AbortController();
    request = abort;
    const current = filters.peek();
    const held = listed.items;
    const cursor: PageCursor | undefined = how === "older"
      ? { side: "before", item: held[held.length - 1]! }
      : how === "newer"
      ? { side: "after", item: held[0]! }
      : undefined;
    if (showLoading) loading.value = true;
    paging.value = how === "older" || how === "newer" ? how : null;
    try {
      const page = await options.read(current, limit, abort.signal, cursor);
      if (abort.signal.aborted) return;
      // Loading older records drops the newest past the capacity, and the other way round.
      const { dropped: gone } = how === "replace"
        ? (listed.replace(page.items), { dropped: listed.dropped })
        : listed.add(page.items, how === "older" ? "newest" : "oldest");
      batch(() => {
        if (how === "replace") {
          const more = beyond(page);
          olderMore.value = more && !oldestFirst(current);
          newerMore.value = more && oldestFirst(current);
          paged.value = false;
        } else if (how === "older") {
          olderMore.value = page.more ?? page.items.length >= limit;
          if (gone > 0) newerMore.value = true;
          paged.value = true;
        } else if (how === "newer") {
          newerMore.value = page.more ?? page.items.length >= limit;
          if (gone > 0) olderMore.value = true;
          paged.value = true;
        } else if (gone > 0) {
          olderMore.value = true;
        }
        show();
        total.value = page.total;
        totalCapped.value = page.total_capped ?? false;
        fetchedAt.value = now();
        error.value = null;
      });
    } catch (e) {
      if (abort.signal.aborted) return;
      error.value = describe(e);
    } finally {
      if (request === abort) {
        request = null;
        loading.value = false;
        paging.value = null;
      }
    }
  };

  /** Ends Live (its records waiting are dropped); the caller reads the list. */
  const endLive = () => {
    live.value = false;
    held.value = false;
    rate.value = 0;
    release(false);
  };

  // The timers run between start() and its stop: the periodic read while off, the rate while live.
  let started = false;
  let timer: unknown;
  const restartTimer = () => {
    if (timer !== undefined) timers.clearInterval(timer);
    timer = undefined;
    if (!started) return;
    if (live.peek()) {
      let last = received.peek();
      timer = timers.setInterval(() => {
        rate.value = received.peek() - last;
        last = received.peek();
      }, 1000);
    } else {
      timer = timers.setInterval(() => {
        if (visible() && !paged.peek() && paging.peek() === null) void read("replace", false);
      }, refreshMs);
    }
  };

  return {
    filters,
    items,
    total,
    totalCapped,
    fetchedAt,
    loading,
    error,
    live,
    away,
    held,
    mode,
    pending,
    newer,
    rate,
    received,
    appended,
    dropped,
    note,
    olderMore,
    newerMore,
    paging,
    paged,

    has: (id) => listed.has(id),

    setLive(on) {
      if (on === live.peek()) return;
      request?.abort();
      queue.clear();
      batch(() => {
        if (on) {
          live.value = true;
          held.value = false;
        } else endLive();
      });
      restartTimer();
      // On: the socket's opening fills the list. Off: the list is read in place.
      if (!on) void read("replace", false);
    },

    setAway(next) {
      if (next === away.peek()) return;
      batch(() => {
        away.value = next;
        if (mode.peek() === "live") release(true);
      });
    },

    setHeld(next) {
      if (next === held.peek() || (next && !live.peek())) return;
      batch(() => {
        held.value = next;
        if (mode.peek() === "live") release(true);
      });
    },

    setFilters(next) {
      if (filterKey(next) === filterKey(filters.peek())) return;
      const reordered = oldestFirst(next) !== oldestFirst(filters.peek());
      // Whatever no longer matches goes at once; the read's answer follows.
      const matching = (item: LogItem) => matchesFilters(item, next);
      listed.replace(listed.items.filter(matching));
      waiting.replace(waiting.items.filter(matching));
      queue.clear();
      batch(() => {
        filters.value = next;
        // Live lists the newest first: oldest first ends it.
        if (oldestFirst(next) && live.peek()) endLive();
        show();
        pending.value = waiting.size;
      });
      // Live, the stream's own reopening fills the list too; a filter it does not apply needs a
      // read here. Off, the periodic read starts over.
      if (!live.peek()) restartTimer();
      void read(live.peek() && !reordered ? "merge" : "replace", true);
    },

    receive(records) {
      if (!live.peek()) return;
      const current = filters.peek();
      const matching = records.filter((item) => matchesFilters(item, current));
      received.value += matching.length;
      queue.push(matching);
    },

    opened() {
      // Paged away from the newest records, the stream's would join them with a gap: read anew.
      if (!live.peek()) return Promise.resolve();
      return read(newerMore.peek() ? "replace" : "merge", false);
    },

    refresh() {
      return read("replace", false);
    },

    loadOlder() {
      if (live.peek() || listed.size === 0) return Promise.resolve();
      return read("older", false);
    },

    loadNewer() {
      if (live.peek() || listed.size === 0) return Promise.resolve();
      return read("newer", false);
    },

    flush() {
      queue.flush();
    },

    start() {
      started = true;
      restartTimer();
      if (options.initial === null) void read("replace", false);
      return () => {
        started = false;
        restartTimer();
        request?.abort();
        queue.clear();
      };
    },
  };
}
