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
 * live), `receive` (a socket message), `opened` (a socket opened) and `refresh`; a read's answer
 * replaces or joins the list and clears the error, its failure sets the error and keeps the list.
 * A newer read aborts an older one, so a slow answer never overwrites a newer one.
 *
 * @module
 */
import { batch, computed, type ReadonlySignal, signal } from "@preact/signals-core";
import { errorMessage } from "./errors.ts";
import { FrameQueue, type FrameScheduler, LogBuffer } from "./log_buffer.ts";
import { filterKey, type LogFilters, type LogItem, matchesFilters } from "./log_query.ts";

/** A page of `/api/logs`. */
export interface LogPage {
  items: LogItem[];
  total: number;
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
  /** Reads the newest `limit` records of `filters` (the page: `/api/logs`). */
  read(filters: LogFilters, limit: number, signal: AbortSignal): Promise<LogPage>;
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
  /** The records listed, newest first (a new array on each change). */
  readonly items: ReadonlySignal<readonly LogItem[]>;
  /** Records of the window by the last read (the API's count, not only those listed). */
  readonly total: ReadonlySignal<number>;
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
  /** Why the list is not everything there is (paused, capped), or null. */
  readonly note: ReadonlySignal<string | null>;

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
  /** Reads the list again, in place. */
  refresh(): Promise<void>;
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

  const filters = signal(options.filters);
  const items = signal(listed.items);
  const dropped = signal(listed.dropped);
  const total = signal(options.initial?.total ?? 0);
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
    const count = items.value.length;
    return total.value > count
      ? `Showing the newest ${shown(count)} of ${
        shown(total.value)
      } records: narrow the filters or the range to see older ones.`
      : null;
  });

  /** Publishes the list after a change of `listed`. */
  const show = () => {
    items.value = listed.items;
    dropped.value = listed.dropped;
  };

  /** Merges records in, counted as appended. */
  const append = (records: readonly LogItem[]) => {
    const { added } = listed.add(records);
    batch(() => {
      appended.value += added;
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
  /** Reads the newest page: in place of the list, or merged into it. */
  const read = async (how: "replace" | "merge", showLoading: boolean): Promise<void> => {
    request?.abort();
    const abort = new AbortController();
    request = abort;
    if (showLoading) loading.value = true;
    try {
      const page = await options.read(filters.peek(), limit, abort.signal);
      if (abort.signal.aborted) return;
      if (how === "replace") listed.replace(page.items);
      else listed.add(page.items);
      batch(() => {
        show();
        total.value = page.total;
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
      }
    }
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
        if (visible()) void read("replace", false);
      }, refreshMs);
    }
  };

  return {
    filters,
    items,
    total,
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

    has: (id) => listed.has(id),

    setLive(on) {
      if (on === live.peek()) return;
      request?.abort();
      queue.clear();
      batch(() => {
        live.value = on;
        held.value = false;
        if (!on) {
          rate.value = 0;
          release(false);
        }
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
      // Whatever no longer matches goes at once; the read's answer follows.
      const matching = (item: LogItem) => matchesFilters(item, next);
      listed.replace(listed.items.filter(matching));
      waiting.replace(waiting.items.filter(matching));
      queue.clear();
      batch(() => {
        filters.value = next;
        show();
        pending.value = waiting.size;
      });
      // Live, the stream's own reopening fills the list too; a filter it does not apply needs a
      // read here. Off, the periodic read starts over.
      if (!live.peek()) restartTimer();
      void read(live.peek() ? "merge" : "replace", true);
    },

    receive(records) {
      if (!live.peek()) return;
      const current = filters.peek();
      const matching = records.filter((item) => matchesFilters(item, current));
      received.value += matching.length;
      queue.push(matching);
    },

    opened() {
      return live.peek() ? read("merge", false) : Promise.resolve();
    },

    refresh() {
      return read("replace", false);
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
