import assert from "node:assert/strict";
import {
  backoffDelay,
  closeReason,
  LiveSocket,
  type LiveStatus,
  liveUrl,
  type SocketLike,
} from "./live_socket.ts";

/** A WebSocket the test opens, feeds and closes by hand. */
class FakeSocket implements SocketLike {
  readyState = 0;
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  closedWith: { code?: number; reason?: string } | undefined;
  constructor(readonly url: string) {}
  open() {
    this.readyState = 1;
    this.onopen?.(new Event("open"));
  }
  message(data: unknown) {
    this.onmessage?.({ data } as MessageEvent);
  }
  /** The server (or the network) closes it. */
  drop(code: number, reason = "") {
    this.readyState = 3;
    this.onclose?.({ code, reason } as CloseEvent);
  }
  close(code?: number, reason?: string) {
    this.closedWith = { code, reason };
    this.readyState = 3;
  }
}

function harness(options: { stableMs?: number } = {}) {
  const sockets: FakeSocket[] = [];
  const timers = new Map<number, { callback: () => void; ms: number }>();
  let nextTimer = 1;
  let now = 0;
  const items: unknown[][] = [];
  const statuses: LiveStatus[] = [];
  let opens = 0;
  const live = new LiveSocket<unknown>({
    url: "ws://argus.test/ws?severity=warn",
    onItems: (batch) => items.push(batch),
    onOpen: () => opens++,
    onStatus: (status) => statuses.push(status),
    createSocket: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    now: () => now,
    setTimer: (callback, ms) => {
      timers.set(nextTimer, { callback, ms });
      return nextTimer++;
    },
    clearTimer: (handle) => timers.delete(handle),
    random: () => 0.5,
    stableMs: options.stableMs,
  });
  return {
    live,
    sockets,
    items,
    statuses,
    opens: () => opens,
    timers,
    advance(ms: number) {
      now += ms;
    },
    /** Runs the one pending timer, returning its delay. */
    fire(): number {
      assert.equal(timers.size, 1, `expected one timer, found ${timers.size}`);
      const [handle, timer] = [...timers][0]!;
      timers.delete(handle);
      timer.callback();
      return timer.ms;
    },
  };
}

Deno.test("backoffDelay() doubles from 500 ms up to 30 s, jittered in the upper half", () => {
  const mid = () => 0.5;
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 7, 10].map((attempt) => backoffDelay(attempt, {}, mid)),
    [375, 750, 1500, 3000, 6000, 12000, 22500, 22500, 22500],
  );
  assert.equal(backoffDelay(3, {}, () => 0), 2000);
  assert.equal(backoffDelay(3, {}, () => 0.999999), 4000);
  assert.equal(backoffDelay(2, { initialMs: 100, factor: 3, maxMs: 10_000 }, () => 1), 900);
});

Deno.test("liveUrl() is the page's /ws with the filters set, over wss: for an https: page", () => {
  assert.equal(
    liveUrl({ protocol: "http:", host: "localhost:8080" }, { service: "checkout", severity: "" }),
    "ws://localhost:8080/ws?service=checkout",
  );
  assert.equal(
    liveUrl({ protocol: "https:", host: "argus.example" }, {}),
    "wss://argus.example/ws",
  );
});

Deno.test("closeReason() says why Argus closed the stream", () => {
  assert.match(
    closeReason(1013, "client too slow: 12 items dropped"),
    /too slow.*12 items dropped/,
  );
  assert.equal(closeReason(1001, ""), "Argus is restarting");
  assert.equal(closeReason(1006, ""), "the connection was lost");
});

Deno.test("LiveSocket opens one socket, however often start() is called", () => {
  const h = harness();
  h.live.start();
  h.live.start();
  assert.equal(h.sockets.length, 1);
  assert.equal(h.sockets[0]!.url, "ws://argus.test/ws?severity=warn");
  assert.deepEqual(h.live.status, { state: "connecting", attempt: 0 });
  h.sockets[0]!.open();
  h.live.start();
  assert.equal(h.sockets.length, 1);
  assert.deepEqual(h.live.status, { state: "open" });
  assert.equal(h.opens(), 1);
});

Deno.test("LiveSocket hands over each message's array and skips anything else", () => {
  const h = harness();
  h.live.start();
  h.sockets[0]!.open();
  h.sockets[0]!.message('[{"id":"a"},{"id":"b"}]');
  h.sockets[0]!.message("not json");
  h.sockets[0]!.message('{"id":"c"}');
  h.sockets[0]!.message("[]");
  h.sockets[0]!.message(new ArrayBuffer(4));
  assert.deepEqual(h.items, [[{ id: "a" }, { id: "b" }]]);
});

Deno.test("LiveSocket reconnects with growing delays, and from the start after a stable connection", () => {
  const h = harness({ stableMs: 5_000 });
  h.live.start();
  h.sockets[0]!.drop(1006);
  assert.deepEqual(h.live.status, {
    state: "waiting",
    retryInMs: 375,
    reason: "the connection was lost",
    attempt: 1,
  });
  assert.equal(h.fire(), 375);
  assert.equal(h.sockets.length, 2);
  h.sockets[1]!.drop(1006);
  assert.equal(h.fire(), 750);
  // Open, then dropped as too slow at once: not stable, so the backoff keeps growing.
  h.sockets[2]!.open();
  h.advance(1_000);
  h.sockets[2]!.drop(1013, "client too slow: 10001 items dropped");
  assert.match((h.live.status as { reason: string }).reason, /too slow/);
  assert.equal(h.fire(), 1500);
  // Open for longer than stableMs: the next drop starts over.
  h.sockets[3]!.open();
  h.advance(6_000);
  h.sockets[3]!.drop(1001);
  assert.equal(h.fire(), 375);
  assert.equal(h.sockets.length, 5);
  assert.equal(h.opens(), 2);
});

Deno.test("LiveSocket.stop() closes the socket, cancels the retry and ignores late events", () => {
  const h = harness();
  h.live.start();
  h.sockets[0]!.open();
  h.live.stop();
  assert.deepEqual(h.sockets[0]!.closedWith, { code: 1000, reason: "Live view closed" });
  assert.deepEqual(h.live.status, { state: "off" });
  h.sockets[0]!.message('[{"id":"late"}]');
  assert.deepEqual(h.items, []);

  // Stopped while waiting to reconnect: no new socket, ever.
  const w = harness();
  w.live.start();
  w.sockets[0]!.drop(1006);
  assert.equal(w.timers.size, 1);
  w.live.stop();
  assert.equal(w.timers.size, 0);
  assert.equal(w.sockets.length, 1);
});

Deno.test("LiveSocket.stop() while connecting closes the socket once it opens, quietly", () => {
  const h = harness();
  h.live.start();
  h.live.stop();
  // Closing a connecting socket makes browsers log an error: it is closed on opening instead.
  assert.equal(h.sockets[0]!.closedWith, undefined);
  h.sockets[0]!.open();
  assert.deepEqual(h.sockets[0]!.closedWith, { code: 1000, reason: "Live view closed" });
  assert.equal(h.opens(), 0, "the page is not told of a socket it no longer wants");
  // And started again: one new socket.
  h.live.start();
  assert.equal(h.sockets.length, 2);
});
