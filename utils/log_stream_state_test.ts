import assert from "node:assert/strict";
import type { FrameScheduler } from "./log_buffer.ts";
import { LOG_FILTER_DEFAULTS, type LogFilters, type LogItem } from "./log_query.ts";
import {
  createLogStreamState,
  type LogPage,
  type LogStreamOptions,
  type LogStreamState,
} from "./log_stream_state.ts";
import { wireLog } from "../tests/wire_builders.ts";

const BASE_MS = Date.UTC(2026, 10, 26, 10, 0, 0);

/** A record `n` seconds after BASE_MS (a larger `n` is newer). */
function record(n: number, fields: Partial<LogItem> = {}): LogItem {
  const time = new Date(BASE_MS + n * 1000).toISOString();
  const nanos = `${BASE_MS + n * 1000}000000`;
  return wireLog({
    id: `id-${n}`,
    timestamp: time,
    observed_timestamp: time,
    time_unix_nano: nanos,
    observed_time_unix_nano: nanos,
    body: `record ${n}`,
    ...fields,
  });
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => record(from + i));
const ids = (items: readonly LogItem[]) => items.map((item) => item.id);

/** A read the test answers (or fails) when it chooses. */
interface Read {
  filters: LogFilters;
  signal: AbortSignal;
  /** The page's side and record, as `/api/logs`'s cursor would name it. */
  cursor: string | undefined;
  answer(page: LogPage): Promise<void>;
  fail(error: unknown): Promise<void>;
}

/** Lets awaited promises settle. */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** The state with fake reads, frames, timers and clock. */
function harness(options: Partial<LogStreamOptions> = {}) {
  const reads: Read[] = [];
  let frame: (() => void) | undefined;
  const frames: FrameScheduler = {
    request(callback) {
      frame = callback;
      return 1;
    },
    cancel() {
      frame = undefined;
    },
  };
  const intervals = new Map<number, { callback: () => void; ms: number }>();
  let nextTimer = 1;
  let shown = true;
  const state = createLogStreamState({
    initial: { items: range(1, 5), total: 5 },
    error: null,
    fetchedAt: 1_000,
    filters: LOG_FILTER_DEFAULTS,
    limit: 1000,
    capacity: 10,
    refreshMs: 10_000,
    read: (filters, _limit, signal, cursor) =>
      new Promise<LogPage>((resolve, reject) => {
        reads.push({
          filters,
          signal,
          cursor: cursor && `${cursor.side} ${cursor.item.id}`,
          answer: (page) => (resolve(page), settle()),
          fail: (error) => (reject(error), settle()),
        });
      }),
    now: () => 2_000,
    frames,
    visible: () => shown,
    timers: {
      setInterval(callback, ms) {
        intervals.set(nextTimer, { callback, ms });
        return nextTimer++;
      },
      clearInterval: (handle) => intervals.delete(handle as number),
    },
    ...options,
  });
  return {
    state,
    reads,
    /** Runs the animation frame asked for, if any. */
    frame() {
      const callback = frame;
      frame = undefined;
      callback?.();
    },
    /** Fires every interval of `ms`. */
    tick(ms: number) {
      for (const timer of [...intervals.values()]) if (timer.ms === ms) timer.callback();
    },
    intervals: () => [...intervals.values()].map((timer) => timer.ms),
    hide: () => (shown = false),
  };
}

/** Streams records in and lets the frame hand them over. */
function stream(h: ReturnType<typeof harness>, records: LogItem[]) {
  h.state.receive(records);
  h.frame();
}

function snapshot(state: LogStreamState) {
  return {
    mode: state.mode.value,
    listed: ids(state.items.value),
    pending: state.pending.value,
    newer: state.newer.value,
  };
}

Deno.test("the state starts from the server's page and reads nothing until asked", () => {
  const h = harness();
  assert.deepEqual(ids(h.state.items.value), ["id-5", "id-4", "id-3", "id-2", "id-1"]);
  assert.equal(h.state.total.value, 5);
  assert.equal(h.state.fetchedAt.value, 1_000);
  assert.equal(h.state.mode.value, "off");
  assert.equal(h.state.error.value, null);
  assert.equal(h.state.note.value, null);
  const stop = h.state.start();
  assert.equal(h.reads.length, 0);
  assert.deepEqual(h.intervals(), [10_000]);
  stop();
  assert.deepEqual(h.intervals(), []);
});

Deno.test("without the server's page, the state reads at start and shows the server's error until then", async () => {
  const h = harness({ initial: null, error: "Cannot use 'severity'", fetchedAt: 1_000 });
  assert.equal(h.state.error.value, "Cannot use 'severity'");
  assert.equal(h.state.fetchedAt.value, null);
  h.state.start();
  assert.equal(h.reads.length, 1);
  assert.equal(h.state.loading.value, false, "a first read shows no loader");
  await h.reads[0]!.answer({ items: range(1, 2), total: 2 });
  assert.equal(h.state.error.value, null);
  assert.deepEqual(ids(h.state.items.value), ["id-2", "id-1"]);
  assert.equal(h.state.fetchedAt.value, 2_000);
});

Deno.test("off, the list is read again every refreshMs while the page is shown, in place", async () => {
  const h = harness();
  h.state.start();
  h.tick(10_000);
  assert.equal(h.reads.length, 1);
  await h.reads[0]!.answer({ items: range(4, 12), total: 40 });
  assert.deepEqual(ids(h.state.items.value), ids(range(4, 12).reverse()));
  assert.equal(h.state.total.value, 40);
  assert.equal(
    h.state.note.value,
    "Showing the newest 9 of 40 records: “Load older” at the end of the list reads more.",
  );
  h.hide();
  h.tick(10_000);
  assert.equal(h.reads.length, 1, "a hidden page is not read");
});

Deno.test("a count the server stopped at reads as at least that many", async () => {
  const h = harness();
  h.state.start();
  h.tick(10_000);
  await h.reads[0]!.answer({ items: range(4, 12), total: 10_000, total_capped: true });
  assert.equal(h.state.totalCapped.value, true);
  assert.equal(
    h.state.note.value,
    "Showing the newest 9 of 10,000+ records: “Load older” at the end of the list reads more.",
  );
});

Deno.test("live, streamed records join the list once per frame, filtered, each id once; the rate counts them", () => {
  const h = harness({ filters: { ...LOG_FILTER_DEFAULTS, search: "record" } });
  h.state.start();
  h.state.setLive(true);
  assert.equal(h.state.mode.value, "live");
  assert.deepEqual(h.intervals(), [1000], "the periodic read stops; the rate's timer runs");
  h.state.receive([record(6), record(7, { body: "other" })]);
  h.state.receive([record(8), record(6)]);
  assert.equal(ids(h.state.items.value)[0], "id-5", "nothing joins before the frame");
  h.frame();
  assert.deepEqual(ids(h.state.items.value).slice(0, 3), ["id-8", "id-6", "id-5"]);
  assert.equal(h.state.appended.value, 2);
  assert.equal(h.state.received.value, 3, "the record the search drops is not counted");
  h.tick(1000);
  assert.equal(h.state.rate.value, 3);
  h.tick(1000);
  assert.equal(h.state.rate.value, 0);
  // The list keeps `capacity` records, the newest.
  stream(h, range(9, 20));
  assert.equal(h.state.items.value.length, 10);
  assert.equal(ids(h.state.items.value)[0], "id-20");
  assert.equal(
    h.state.note.value,
    "Showing the newest 10 records: older ones are dropped as new ones arrive.",
  );
});

Deno.test("each (re)connection merges the newest page into the live list", async () => {
  const h = harness();
  h.state.setLive(true);
  assert.equal(h.reads.length, 0, "switching on reads nothing: the socket's opening does");
  void h.state.opened();
  assert.equal(h.state.loading.value, false);
  await h.reads[0]!.answer({ items: [record(3), record(6)], total: 6 });
  assert.deepEqual(ids(h.state.items.value), ["id-6", "id-5", "id-4", "id-3", "id-2", "id-1"]);
});

Deno.test("scrolled away while live, the list holds still: records wait, counted and bounded, then join it at the top", () => {
  const h = harness();
  h.state.setLive(true);
  stream(h, [record(6)]);
  h.state.setAway(true);
  assert.equal(h.state.mode.value, "paused");
  const listed = ids(h.state.items.value);
  // Records listed already (a retried request streamed again) are not new.
  stream(h, [record(6), record(7), record(8)]);
  assert.deepEqual(snapshot(h.state), { mode: "paused", listed, pending: 2, newer: 2 });
  assert.equal(h.state.note.value, "Paused while you scroll: 2 new records waiting.");
  stream(h, [record(6)]);
  assert.equal(h.state.pending.value, 2);
  // More than `capacity` arrive: the count says so, and the newest `capacity` wait.
  stream(h, range(9, 20));
  assert.equal(h.state.pending.value, 14);
  assert.equal(
    h.state.note.value,
    "Paused while you scroll: 14 new records waiting (the newest 10 will be shown).",
  );
  assert.deepEqual(ids(h.state.items.value), listed);
  const appended = h.state.appended.value;
  h.state.setAway(false);
  assert.deepEqual(snapshot(h.state), {
    mode: "live",
    listed: ids(range(11, 20).reverse()),
    pending: 0,
    newer: 0,
  });
  assert.equal(h.state.appended.value, appended + 10);
  assert.equal(
    h.state.note.value,
    "Showing the newest 10 records: older ones are dropped as new ones arrive.",
  );
});

Deno.test("Pause holds the live list wherever it is scrolled; Resume merges what waited", () => {
  const h = harness();
  h.state.setHeld(true);
  assert.equal(h.state.held.value, false, "off, there is nothing to pause");
  h.state.setLive(true);
  stream(h, [record(6)]);
  const listed = ids(h.state.items.value);
  h.state.setHeld(true);
  stream(h, [record(7), record(8)]);
  assert.deepEqual(snapshot(h.state), { mode: "paused", listed, pending: 2, newer: 2 });
  assert.equal(h.state.note.value, "Paused: 2 new records waiting.");
  // Back at the top, still held: scrolling does not resume.
  h.state.setAway(true);
  h.state.setAway(false);
  assert.equal(h.state.mode.value, "paused");
  h.state.setHeld(false);
  assert.deepEqual(snapshot(h.state), {
    mode: "live",
    listed: ids([record(8), record(7), ...h.state.items.value.slice(2)]),
    pending: 0,
    newer: 0,
  });
  // Switching live off and on again starts unpaused.
  h.state.setHeld(true);
  h.state.setLive(false);
  h.state.setLive(true);
  assert.equal(h.state.mode.value, "live");
});

Deno.test("scrolled away while off, nothing is paused; switching live on there pauses at once", () => {
  const h = harness();
  h.state.setAway(true);
  assert.equal(h.state.mode.value, "off");
  assert.equal(h.state.newer.value, 0);
  h.state.setLive(true);
  assert.equal(h.state.mode.value, "paused");
  stream(h, [record(6)]);
  assert.equal(h.state.pending.value, 1);
});

Deno.test("a filter change drops what no longer matches at once, then reads: in place when off", async () => {
  const h = harness({
    initial: { items: [record(1), record(2, { service_name: "payment" })], total: 2 },
  });
  h.state.start();
  h.state.setFilters({ ...LOG_FILTER_DEFAULTS, service: "payment" });
  assert.deepEqual(ids(h.state.items.value), ["id-2"]);
  assert.equal(h.state.loading.value, true, "a change of filters shows its read");
  assert.equal(h.reads[0]!.filters.service, "payment");
  await h.reads[0]!.answer({ items: [record(3, { service_name: "payment" })], total: 1 });
  assert.deepEqual(ids(h.state.items.value), ["id-3"]);
  assert.equal(h.state.loading.value, false);
  // The same filters again change nothing.
  h.state.setFilters({ ...LOG_FILTER_DEFAULTS, service: "payment" });
  assert.equal(h.reads.length, 1);
});

Deno.test("a filter change while live filters what is listed and what waits, and merges the read in", async () => {
  const h = harness();
  h.state.setLive(true);
  h.state.setAway(true);
  stream(h, [record(6, { severity_number: 17 }), record(7)]);
  assert.equal(h.state.pending.value, 2);
  h.state.setFilters({ ...LOG_FILTER_DEFAULTS, severity: "error" });
  assert.deepEqual(ids(h.state.items.value), []);
  assert.equal(h.state.pending.value, 1);
  await h.reads[0]!.answer({ items: [record(4, { severity_number: 17 })], total: 1 });
  assert.deepEqual(ids(h.state.items.value), ["id-4"]);
  // The stream's records meet the new filters.
  stream(h, [record(8), record(9, { severity_number: 21 })]);
  assert.equal(h.state.pending.value, 2);
  h.state.setAway(false);
  assert.deepEqual(ids(h.state.items.value), ["id-9", "id-6", "id-4"]);
});

Deno.test("switching live off drops what waits, stops the rate and reads the list in place", async () => {
  const h = harness();
  h.state.start();
  h.state.setLive(true);
  h.state.setAway(true);
  stream(h, [record(6)]);
  h.tick(1000);
  assert.equal(h.state.rate.value, 1);
  h.state.receive([record(7)]);
  h.state.setLive(false);
  assert.deepEqual(snapshot(h.state), {
    mode: "off",
    listed: ids(range(1, 5).reverse()),
    pending: 0,
    newer: 0,
  });
  assert.equal(h.state.rate.value, 0);
  assert.deepEqual(h.intervals(), [10_000]);
  h.frame();
  assert.equal(h.state.items.value.length, 5, "the frame's records were dropped with it");
  // Off, the socket's late messages are ignored.
  stream(h, [record(8)]);
  assert.equal(h.state.items.value.length, 5);
  assert.equal(h.reads.length, 1);
  await h.reads[0]!.answer({ items: range(1, 7), total: 7 });
  assert.equal(ids(h.state.items.value)[0], "id-7");
  // On again, what waited before is gone.
  h.state.setLive(true);
  h.state.setAway(false);
  assert.equal(ids(h.state.items.value)[0], "id-7");
});

Deno.test("a failed read shows its error sentence and keeps the list; the next read clears it", async () => {
  const h = harness({ describe: (error) => `described: ${(error as Error).message}` });
  void h.state.refresh();
  await h.reads[0]!.fail(new TypeError("Failed to fetch"));
  assert.equal(h.state.error.value, "described: Failed to fetch");
  assert.equal(h.state.items.value.length, 5);
  void h.state.refresh();
  await h.reads[1]!.answer({ items: range(1, 6), total: 6 });
  assert.equal(h.state.error.value, null);
  assert.equal(h.state.items.value.length, 6);
});

Deno.test("a newer read aborts an older one: a slow answer or failure never overwrites a newer one", async () => {
  const h = harness();
  h.state.start();
  h.state.setFilters({ ...LOG_FILTER_DEFAULTS, search: "record 1" });
  h.state.setFilters({ ...LOG_FILTER_DEFAULTS, search: "record 2" });
  assert.equal(h.reads[0]!.signal.aborted, true);
  await h.reads[1]!.answer({ items: [record(2)], total: 1 });
  await h.reads[0]!.answer({ items: [record(1)], total: 1 });
  assert.deepEqual(ids(h.state.items.value), ["id-2"]);
  void h.state.refresh();
  h.state.setLive(true);
  assert.equal(h.reads[2]!.signal.aborted, true, "switching live on aborts the periodic read");
  await h.reads[2]!.fail(new Error("late"));
  assert.equal(h.state.error.value, null);
  assert.equal(h.state.loading.value, false);
});

Deno.test("loadOlder() lists the records just older than the oldest listed; past capacity the newest give way", async () => {
  const h = harness({ initial: { items: range(11, 15), total: 15, more: true } });
  h.state.start();
  assert.deepEqual([h.state.olderMore.value, h.state.newerMore.value], [true, false]);
  void h.state.loadOlder();
  assert.equal(h.reads[0]!.cursor, "before id-11");
  assert.equal(h.state.paging.value, "older");
  await h.reads[0]!.answer({ items: range(6, 10), total: 15, more: true });
  assert.deepEqual(ids(h.state.items.value), ids(range(6, 15).reverse()));
  assert.equal(h.state.paging.value, null);
  assert.deepEqual([h.state.olderMore.value, h.state.newerMore.value], [true, false]);
  assert.equal(h.state.paged.value, true);
  // The capacity is 10: the five newest give way, and the window's newest are now not listed.
  void h.state.loadOlder();
  assert.equal(h.reads[1]!.cursor, "before id-6");
  await h.reads[1]!.answer({ items: range(1, 5), total: 15, more: false });
  assert.deepEqual(ids(h.state.items.value), ids(range(1, 10).reverse()));
  assert.deepEqual([h.state.olderMore.value, h.state.newerMore.value], [false, true]);
  // Back up: the records just newer than the newest listed, and the oldest give way.
  void h.state.loadNewer();
  assert.equal(h.reads[2]!.cursor, "after id-10");
  await h.reads[2]!.answer({ items: range(11, 15), total: 15, more: false });
  assert.deepEqual(ids(h.state.items.value), ids(range(6, 15).reverse()));
  assert.deepEqual([h.state.olderMore.value, h.state.newerMore.value], [true, false]);
});

Deno.test("paged, the periodic read stops (it would replace the pages) until refresh() reads the first page", async () => {
  const h = harness({ initial: { items: range(11, 15), total: 15, more: true } });
  h.state.start();
  void h.state.loadOlder();
  h.tick(10_000);
  assert.equal(h.reads.length, 1, "no periodic read while a page is read");
  await h.reads[0]!.answer({ items: range(6, 10), total: 15, more: true });
  h.tick(10_000);
  assert.equal(h.reads.length, 1, "no periodic read once paged");
  assert.match(h.state.note.value ?? "", /^Not refreshed while you page/);
  void h.state.refresh();
  assert.equal(h.reads[1]!.cursor, undefined);
  await h.reads[1]!.answer({ items: range(12, 16), total: 16, more: true });
  assert.equal(h.state.paged.value, false);
  assert.deepEqual(ids(h.state.items.value), ids(range(12, 16).reverse()));
  h.tick(10_000);
  assert.equal(h.reads.length, 3, "the periodic read is back");
});

Deno.test("oldest first, the first page is the window's oldest, listed oldest first, and loadNewer() goes on", async () => {
  const asc = { ...LOG_FILTER_DEFAULTS, order: "asc" };
  const h = harness({ filters: asc, initial: { items: range(1, 5), total: 12, more: true } });
  assert.deepEqual(ids(h.state.items.value), ids(range(1, 5)));
  assert.deepEqual([h.state.olderMore.value, h.state.newerMore.value], [false, true]);
  assert.equal(
    h.state.note.value,
    "Showing the oldest 5 of 12 records: “Load newer” at the end of the list reads more.",
  );
  void h.state.loadNewer();
  assert.equal(h.reads[0]!.cursor, "after id-5");
  await h.reads[0]!.answer({ items: range(6, 12), total: 12, more: false });
  assert.deepEqual(ids(h.state.items.value), ids(range(3, 12)), "the oldest gave way");
  assert.deepEqual([h.state.olderMore.value, h.state.newerMore.value], [true, false]);
  // Back to newest first: the list is read again, newest first.
  h.state.setFilters(LOG_FILTER_DEFAULTS);
  assert.deepEqual(ids(h.state.items.value), ids(range(3, 12).reverse()));
  await h.reads[1]!.answer({ items: range(8, 12), total: 12, more: true });
  assert.deepEqual(ids(h.state.items.value), ids(range(8, 12).reverse()));
  assert.deepEqual([h.state.olderMore.value, h.state.newerMore.value], [true, false]);
});

Deno.test("live lists the newest first: choosing oldest first ends it; pages are not read while live", async () => {
  const h = harness({ initial: { items: range(11, 15), total: 15, more: true } });
  h.state.start();
  h.state.setLive(true);
  void h.state.loadOlder();
  assert.equal(h.reads.length, 0);
  h.state.setFilters({ ...LOG_FILTER_DEFAULTS, order: "asc" });
  assert.equal(h.state.live.value, false);
  assert.deepEqual(h.intervals(), [10_000]);
  assert.equal(h.reads.length, 1);
  await h.reads[0]!.answer({ items: range(1, 5), total: 15, more: true });
  assert.deepEqual(ids(h.state.items.value), ids(range(1, 5)));
});

Deno.test("a stream opened on a list paged away from the newest reads the newest page in place", async () => {
  const h = harness({ initial: { items: range(11, 15), total: 20, more: true } });
  void h.state.loadOlder();
  await h.reads[0]!.answer({ items: range(1, 10), total: 20, more: false });
  assert.equal(h.state.newerMore.value, true);
  h.state.setLive(true);
  void h.state.opened();
  await h.reads[1]!.answer({ items: range(16, 20), total: 20, more: true });
  assert.deepEqual(ids(h.state.items.value), ids(range(16, 20).reverse()), "no gap");
  assert.deepEqual([h.state.olderMore.value, h.state.newerMore.value], [true, false]);
});
