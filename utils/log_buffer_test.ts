import assert from "node:assert/strict";
import { compareNewestFirst, FrameQueue, type FrameScheduler, LogBuffer } from "./log_buffer.ts";

interface Log {
  id: string;
  listed_time_unix_nano: string;
}

/** A record at `ms` Unix milliseconds (nanosecond strings as the API sends them). */
function log(id: string, ms: number): Log {
  return { id, listed_time_unix_nano: (BigInt(ms) * 1_000_000n).toString() };
}

const ids = (items: readonly Log[]) => items.map((item) => item.id);

Deno.test("compareNewestFirst() orders by nanoseconds, then id, without losing precision", () => {
  const a = { id: "a", listed_time_unix_nano: "1795687200000000001" };
  const b = { id: "b", listed_time_unix_nano: "1795687200000000002" };
  // Past 2^53: as numbers both would be 1795687200000000000.
  assert.ok(compareNewestFirst(b, a) < 0);
  assert.ok(compareNewestFirst(a, b) > 0);
  // Fewer digits is older.
  assert.ok(compareNewestFirst({ id: "c", listed_time_unix_nano: "999" }, a) > 0);
  assert.ok(
    compareNewestFirst({ id: "x", listed_time_unix_nano: "5" }, {
      id: "y",
      listed_time_unix_nano: "5",
    }) > 0,
  );
  assert.equal(compareNewestFirst(a, { ...a }), 0);
});

Deno.test("LogBuffer.add() keeps records newest first, merging a batch from any time", () => {
  const buffer = new LogBuffer<Log>(10);
  buffer.add([log("b", 2), log("a", 1), log("d", 4)]);
  assert.deepEqual(ids(buffer.items), ["d", "b", "a"]);
  // A batch in arrival order, some older than what is held (another service, a late exporter).
  buffer.add([log("c", 3), log("f", 6), log("e", 5)]);
  assert.deepEqual(ids(buffer.items), ["f", "e", "d", "c", "b", "a"]);
});

Deno.test("LogBuffer.add() takes each id once, within a batch and across batches", () => {
  const buffer = new LogBuffer<Log>(10);
  assert.deepEqual(buffer.add([log("a", 1), log("b", 2), log("a", 1)]), {
    added: 2,
    duplicates: 1,
    dropped: 0,
  });
  // A retried request streamed again.
  assert.deepEqual(buffer.add([log("b", 2), log("a", 1), log("c", 3)]), {
    added: 1,
    duplicates: 2,
    dropped: 0,
  });
  assert.deepEqual(ids(buffer.items), ["c", "b", "a"]);
});

Deno.test("LogBuffer.add() paging older records in drops the newest past its capacity", () => {
  const buffer = new LogBuffer<Log>(4);
  buffer.add([log("e", 5), log("f", 6), log("g", 7)]);
  assert.deepEqual(buffer.add([log("c", 3), log("d", 4), log("b", 2)], "newest"), {
    added: 3,
    duplicates: 0,
    dropped: 2,
  });
  assert.deepEqual(ids(buffer.items), ["e", "d", "c", "b"]);
  assert.equal(buffer.dropped, 2);
  // The dropped ids are forgotten: paging back to them takes them in again.
  assert.equal(buffer.has("g"), false);
  assert.deepEqual(buffer.add([log("g", 7), log("f", 6)]).added, 2);
  assert.deepEqual(ids(buffer.items), ["g", "f", "e", "d"]);
});

Deno.test("LogBuffer drops the oldest records past its capacity and counts them", () => {
  const buffer = new LogBuffer<Log>(3);
  buffer.add([log("a", 1), log("b", 2)]);
  assert.deepEqual(buffer.add([log("c", 3), log("d", 4)]), { added: 2, duplicates: 0, dropped: 1 });
  assert.deepEqual(ids(buffer.items), ["d", "c", "b"]);
  assert.equal(buffer.dropped, 1);
  assert.equal(buffer.has("a"), false);
  // A dropped record may come back (a retry), and is the oldest again: dropped at once.
  assert.deepEqual(buffer.add([log("a", 1)]), { added: 1, duplicates: 0, dropped: 1 });
  assert.deepEqual(ids(buffer.items), ["d", "c", "b"]);
  assert.equal(buffer.dropped, 2);
  assert.equal(buffer.size, 3);
});

Deno.test("LogBuffer.items is a new array after each change and never changes afterwards", () => {
  const buffer = new LogBuffer<Log>(2);
  buffer.add([log("a", 1)]);
  const before = buffer.items;
  buffer.add([log("b", 2), log("c", 3)]);
  assert.deepEqual(ids(before), ["a"]);
  assert.notEqual(buffer.items, before);
  // Nothing new: the same array, so a render can skip.
  const same = buffer.items;
  buffer.add([log("b", 2)]);
  assert.equal(buffer.items, same);
});

Deno.test("LogBuffer.replace() holds exactly the records given and restarts the dropped count", () => {
  const buffer = new LogBuffer<Log>(2);
  buffer.add([log("a", 1), log("b", 2), log("c", 3)]);
  assert.equal(buffer.dropped, 1);
  buffer.replace([log("x", 10), log("y", 11)]);
  assert.deepEqual(ids(buffer.items), ["y", "x"]);
  assert.equal(buffer.dropped, 0);
  assert.equal(buffer.has("c"), false);
  assert.equal(buffer.has("x"), true);
});

Deno.test("LogBuffer holds 2,000 of 50,000 streamed records in 100-record batches", () => {
  const buffer = new LogBuffer<Log>(2_000);
  let next = 0;
  for (let batch = 0; batch < 500; batch++) {
    const items = Array.from({ length: 100 }, () => log(`r${next}`, 1_000 + next++));
    buffer.add(items);
  }
  assert.equal(buffer.size, 2_000);
  assert.equal(buffer.dropped, 48_000);
  assert.equal(buffer.items[0]!.id, "r49999");
  assert.equal(buffer.items[1_999]!.id, "r48000");
});

Deno.test("new LogBuffer() rejects a capacity that is not a positive integer", () => {
  assert.throws(() => new LogBuffer(0), RangeError);
  assert.throws(() => new LogBuffer(1.5), /Cannot use 'capacity' as it must be a positive integer/);
});

/** Frames that run only when the test says so. */
function manualFrames(): FrameScheduler & { run(): void; waiting(): number } {
  const callbacks = new Map<number, () => void>();
  let next = 1;
  return {
    request(callback) {
      callbacks.set(next, callback);
      return next++;
    },
    cancel(handle) {
      callbacks.delete(handle);
    },
    run() {
      const due = [...callbacks.values()];
      callbacks.clear();
      for (const callback of due) callback();
    },
    waiting: () => callbacks.size,
  };
}

Deno.test("FrameQueue hands over everything pushed between two frames at once, in order", () => {
  const frames = manualFrames();
  const flushed: number[][] = [];
  const queue = new FrameQueue<number>((items) => flushed.push(items), { frames });
  queue.push([1, 2]);
  queue.push([3]);
  queue.push([]);
  assert.equal(frames.waiting(), 1, "one frame asked for, whatever the pushes");
  assert.deepEqual(flushed, []);
  frames.run();
  assert.deepEqual(flushed, [[1, 2, 3]]);
  frames.run();
  assert.deepEqual(flushed, [[1, 2, 3]], "nothing pushed, nothing handed over");
  queue.push([4]);
  frames.run();
  assert.deepEqual(flushed, [[1, 2, 3], [4]]);
});

Deno.test("FrameQueue hands over at once past maxPending (no frames run in a hidden tab)", () => {
  const frames = manualFrames();
  const flushed: number[][] = [];
  const queue = new FrameQueue<number>((items) => flushed.push(items), { frames, maxPending: 3 });
  queue.push([1, 2]);
  queue.push([3, 4]);
  assert.deepEqual(flushed, [[1, 2, 3, 4]]);
  assert.equal(queue.pending, 0);
  assert.equal(frames.waiting(), 0, "the frame asked for is cancelled");
});

Deno.test("FrameQueue.clear() drops what waits and the frame", () => {
  const frames = manualFrames();
  const flushed: number[][] = [];
  const queue = new FrameQueue<number>((items) => flushed.push(items), { frames });
  queue.push([1]);
  queue.clear();
  frames.run();
  assert.deepEqual(flushed, []);
  assert.equal(queue.pending, 0);
});
