import assert from "node:assert/strict";
import {
  CLOSE_GOING_AWAY,
  CLOSE_TOO_SLOW,
  type LiveFilter,
  LiveHub,
  type LiveHubOptions,
} from "./hub.ts";

interface Entry {
  id: string;
  service_name: string;
  severity_number: number;
  body: string;
}

function entries(count: number, fields: Partial<Entry> = {}, from = 0): Entry[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `log-${from + i}`,
    service_name: "checkout",
    severity_number: 9,
    body: "hello",
    ...fields,
  }));
}

interface Received {
  at: number;
  items: Entry[];
}

/** A WebSocket client of the hub that records every message with the time it arrived. */
class Client {
  readonly socket: WebSocket;
  readonly messages: Received[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<CloseEvent>;
  #waiters: (() => void)[] = [];

  constructor(url: string) {
    this.socket = new WebSocket(url);
    const opened = Promise.withResolvers<void>();
    const closed = Promise.withResolvers<CloseEvent>();
    this.opened = opened.promise;
    this.closed = closed.promise;
    this.socket.onopen = () => opened.resolve();
    this.socket.onerror = () => opened.reject(new Error(`WebSocket to ${url} failed`));
    this.socket.onclose = (event) => closed.resolve(event);
    this.socket.onmessage = (event) => {
      this.messages.push({ at: performance.now(), items: JSON.parse(event.data) });
      for (const wake of this.#waiters.splice(0)) wake();
    };
  }

  /** Resolves once `count` messages arrived; rejects after `timeoutMs`. */
  async waitForMessages(count: number, timeoutMs = 3_000): Promise<Received[]> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new Error(`${this.messages.length} of ${count} messages after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      while (this.messages.length < count) {
        await Promise.race([new Promise<void>((wake) => this.#waiters.push(wake)), timeout]);
      }
    } finally {
      clearTimeout(timer);
    }
    return this.messages;
  }

  async close(): Promise<void> {
    if (this.socket.readyState < WebSocket.CLOSING) this.socket.close();
    await this.closed;
  }
}

/** A hub served by `Deno.serve` on 127.0.0.1, port 0. */
class Served {
  readonly hub: LiveHub;
  readonly server: Deno.HttpServer<Deno.NetAddr>;
  readonly clients: Client[] = [];

  constructor(options: LiveHubOptions = {}) {
    this.hub = new LiveHub(options);
    this.server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      // The filter comes in the URL as JSON: the hub takes it parsed (the app's route parses
      // `service` and `severity`, routes/logs.ts).
      (request) =>
        this.hub.upgrade(
          request,
          JSON.parse(new URL(request.url).searchParams.get("filter") ?? "{}") as LiveFilter,
        ),
    );
  }

  get port(): number {
    return this.server.addr.port;
  }

  async connect(filter: LiveFilter = {}): Promise<Client> {
    const query = `?filter=${encodeURIComponent(JSON.stringify(filter))}`;
    const client = new Client(`ws://127.0.0.1:${this.port}/ws${query}`);
    this.clients.push(client);
    await client.opened;
    return client;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.clients.map((client) => client.close()));
    this.hub.close();
    await this.server.shutdown();
  }
}

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

/** Server-to-client WebSocket frames (unmasked) read off a raw connection. */
class FrameReader {
  readonly #conn: Deno.TcpConn;
  #buffer: Uint8Array;

  constructor(conn: Deno.TcpConn, buffered: Uint8Array) {
    this.#conn = conn;
    this.#buffer = buffered;
  }

  async #fill(bytes: number): Promise<void> {
    const chunk = new Uint8Array(1 << 20);
    while (this.#buffer.length < bytes) {
      const n = await this.#conn.read(chunk);
      if (n === null) throw new Error("the server closed the connection mid-frame");
      this.#buffer = concat(this.#buffer, chunk.subarray(0, n));
    }
  }

  async next(): Promise<{ opcode: number; payload: Uint8Array }> {
    await this.#fill(2);
    let length = this.#buffer[1]! & 0x7f;
    let offset = 2;
    if (length === 126) {
      await this.#fill(4);
      length = (this.#buffer[2]! << 8) | this.#buffer[3]!;
      offset = 4;
    } else if (length === 127) {
      await this.#fill(10);
      length = Number(new DataView(this.#buffer.buffer, this.#buffer.byteOffset + 2, 8)
        .getBigUint64(0));
      offset = 10;
    }
    await this.#fill(offset + length);
    const opcode = this.#buffer[0]! & 0x0f;
    const payload = this.#buffer.slice(offset, offset + length);
    this.#buffer = this.#buffer.subarray(offset + length);
    return { opcode, payload };
  }
}

/**
 * A WebSocket handshake written by hand over TCP, so that its headers (Origin) are ours and so
 * that, once upgraded, the client can stall: it reads nothing more until the test says so.
 */
async function rawHandshake(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; conn: Deno.TcpConn; frames: FrameReader }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${KEY}`,
    "Sec-WebSocket-Version: 13",
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  await conn.write(new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n"));
  // The head, and a body up to its Content-Length; what follows (frames) is left to `frames`.
  let bytes: Uint8Array = new Uint8Array(0);
  const chunk = new Uint8Array(4096);
  while (true) {
    // Latin-1 keeps one character per byte, so indexes into the text are indexes into bytes.
    const text = new TextDecoder("latin1").decode(bytes);
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) {
      const length = Number(/content-length: *(\d+)/i.exec(text.slice(0, end))?.[1] ?? 0);
      const bodyEnd = end + 4 + length;
      if (bytes.length >= bodyEnd) {
        return {
          status: Number(text.slice(9, 12)),
          body: new TextDecoder().decode(bytes.subarray(end + 4, bodyEnd)),
          conn,
          frames: new FrameReader(conn, bytes.slice(bodyEnd)),
        };
      }
    }
    const n = await conn.read(chunk);
    if (n === null) throw new Error(`connection closed after ${JSON.stringify(text)}`);
    bytes = concat(bytes, chunk.subarray(0, n));
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("LiveHub sends 250 entries as messages of 100, 100 and 50 at once", async () => {
  await using served = new Served();
  const client = await served.connect();
  const started = performance.now();
  served.hub.publish(entries(250));
  const messages = await client.waitForMessages(3);
  assert.deepEqual(messages.map((m) => m.items.length), [100, 100, 50]);
  assert.ok(messages[2]!.at - started < 300, `took ${messages[2]!.at - started} ms`);
  assert.deepEqual(
    messages.flatMap((m) => m.items.map((e) => e.id)),
    entries(250).map((e) => e.id),
  );
  assert.equal(served.hub.stats().sentMessages, 3);
  assert.equal(served.hub.stats().sentItems, 250);
});

Deno.test("LiveHub sends a few entries once the flush interval has passed", async () => {
  await using served = new Served();
  const client = await served.connect();
  const started = performance.now();
  served.hub.publish(entries(3));
  await delay(200);
  assert.equal(client.messages.length, 0, "nothing is sent before the interval");
  const [message] = await client.waitForMessages(1);
  const elapsed = message!.at - started;
  assert.ok(elapsed >= 450 && elapsed < 1_500, `arrived after ${elapsed} ms`);
  assert.deepEqual(message!.items, entries(3));
  // Entries published later are sent on their own timer, not with a stale one.
  served.hub.publish(entries(1, {}, 3));
  const messages = await client.waitForMessages(2);
  assert.deepEqual(messages[1]!.items.map((e) => e.id), ["log-3"]);
});

Deno.test("LiveHub gives each client what its service and severity filters take", async () => {
  await using served = new Served({ flushIntervalMs: 50 });
  const all = await served.connect();
  const cart = await served.connect({ service: "cart" });
  const warnings = await served.connect({ minSeverity: 13 });
  const cartErrors = await served.connect({ service: "cart", minSeverity: 17 });
  served.hub.publish([
    ...entries(1, { id: "checkout-info", severity_number: 9 }),
    ...entries(1, { id: "cart-debug", service_name: "cart", severity_number: 5 }),
    ...entries(1, { id: "cart-error", service_name: "cart", severity_number: 17 }),
    ...entries(1, { id: "checkout-warn", severity_number: 13 }),
    ...entries(1, { id: "unspecified", severity_number: 0 }),
  ]);
  const ids = async (client: Client) =>
    (await client.waitForMessages(1))[0]!.items.map((e) => e.id);
  assert.deepEqual(await ids(all), [
    "checkout-info",
    "cart-debug",
    "cart-error",
    "checkout-warn",
    "unspecified",
  ]);
  assert.deepEqual(await ids(cart), ["cart-debug", "cart-error"]);
  assert.deepEqual(await ids(warnings), ["cart-error", "checkout-warn"]);
  assert.deepEqual(await ids(cartErrors), ["cart-error"]);
});

Deno.test("LiveHub matches a service filter, as rows hold names, with the names entries carry as sent", async () => {
  await using served = new Served({ flushIntervalMs: 50 });
  // As parseService answers them: cut to the column, a NUL escaped (utils/text_prefix.ts).
  const long = await served.connect({ service: "s".repeat(256) });
  const nul = await served.connect({ service: "a\uE0000b" });
  served.hub.publish([
    ...entries(1, { id: "long", service_name: "s".repeat(300) }),
    ...entries(1, { id: "nul", service_name: "a\u0000b" }),
    ...entries(1, { id: "short", service_name: "s".repeat(255) }),
  ]);
  const ids = async (client: Client) =>
    (await client.waitForMessages(1))[0]!.items.map((e) => e.id);
  assert.deepEqual(await ids(long), ["long"]);
  assert.deepEqual(await ids(nul), ["nul"]);
});

Deno.test("LiveHub converts items with the given function only while clients listen", async () => {
  await using served = new Served({ flushIntervalMs: 20 });
  let converted = 0;
  const toEntry = (n: number) => {
    converted++;
    if (n === 2) throw new TypeError("not a log");
    return { id: `n${n}`, service_name: "s", severity_number: 9, body: "" };
  };
  served.hub.publish([1, 2, 3], toEntry);
  assert.equal(converted, 0, "no client, no work");
  const client = await served.connect();
  served.hub.publish([1, 2, 3], toEntry);
  const [message] = await client.waitForMessages(1);
  assert.deepEqual(message!.items.map((e) => e.id), ["n1", "n3"]);
});

Deno.test("LiveHub answers a request that is not an upgrade with 400", async () => {
  await using served = new Served();
  const response = await fetch(`http://127.0.0.1:${served.port}/ws`);
  assert.equal(response.status, 400);
  assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
  assert.match((await response.json()).error, /expects a WebSocket upgrade/);
});

Deno.test("LiveHub refuses a foreign Origin with 403 and takes same-origin and none", async () => {
  await using served = new Served({ allowedOrigins: ["https://dash.example.com"] });
  const foreign = await rawHandshake(served.port, "/ws", { Origin: "https://evil.example" });
  foreign.conn.close();
  assert.equal(foreign.status, 403);
  assert.match(JSON.parse(foreign.body).error, /"https:\/\/evil\.example"/);

  const opaque = await rawHandshake(served.port, "/ws", { Origin: "null" });
  opaque.conn.close();
  assert.equal(opaque.status, 403);

  const allowedOrigins = [`http://127.0.0.1:${served.port}`, "https://dash.example.com", undefined];
  for (const origin of allowedOrigins) {
    const accepted = await rawHandshake(served.port, "/ws", origin ? { Origin: origin } : {});
    assert.equal(accepted.status, 101, `Origin ${origin}`);
    accepted.conn.close();
  }
  // The real client sends no Origin header.
  await served.connect();
});

Deno.test("LiveHub counts clients as they come and go", async () => {
  await using served = new Served();
  assert.equal(served.hub.clientCount(), 0);
  const first = await served.connect();
  const second = await served.connect();
  assert.equal(served.hub.clientCount(), 2);
  await first.close();
  // The server sees the close handshake a moment after the client does.
  for (let i = 0; i < 100 && served.hub.clientCount() !== 1; i++) await delay(10);
  assert.equal(served.hub.clientCount(), 1);
  await second.close();
  for (let i = 0; i < 100 && served.hub.clientCount() !== 0; i++) await delay(10);
  assert.equal(served.hub.clientCount(), 0);
  assert.equal(served.hub.stats().connections, 2);
});

Deno.test("LiveHub close() closes every client with 1001 and refuses new ones", async () => {
  await using served = new Served();
  const client = await served.connect();
  served.hub.publish(entries(3)); // queued, and dropped by close()
  served.hub.close();
  const event = await client.closed;
  assert.equal(event.code, CLOSE_GOING_AWAY);
  assert.equal(served.hub.clientCount(), 0);
  assert.equal(served.hub.stats().droppedItems, 3);
  const late = await fetch(`http://127.0.0.1:${served.port}/ws`, {
    headers: { upgrade: "websocket" },
  });
  assert.equal(late.status, 503);
  await late.body?.cancel();
});

/** Resolves once `client` has received `count` entries in all; rejects after `timeoutMs`. */
async function waitForItems(client: Client, count: number, timeoutMs = 5_000): Promise<Entry[]> {
  const items = () => client.messages.flatMap((m) => m.items);
  const deadline = Date.now() + timeoutMs;
  while (items().length < count) {
    if (Date.now() > deadline) throw new Error(`${items().length} of ${count} entries`);
    await delay(10);
  }
  return items();
}

/**
 * Reads what a stalled client would read had it woken up: messages, then a close frame; returns
 * the entries received, the close frame's code and reason, and, with `eofTimeoutMs`, whether the
 * server then ended the connection (EOF or reset) within that time.
 */
async function drain(
  stalled: { conn: Deno.TcpConn; frames: FrameReader },
  eofTimeoutMs = 0,
): Promise<{ received: number; code: number; reason: string; ended: boolean }> {
  let received = 0;
  for (;;) {
    const frame = await stalled.frames.next();
    if (frame.opcode === 1) {
      received += JSON.parse(new TextDecoder().decode(frame.payload)).length;
      continue;
    }
    assert.equal(frame.opcode, 8, "a close frame");
    const code = (frame.payload[0]! << 8) | frame.payload[1]!;
    const reason = new TextDecoder().decode(frame.payload.subarray(2));
    const ended = eofTimeoutMs > 0 && await Promise.race([
      stalled.conn.read(new Uint8Array(1024)).then((n) => n === null, () => true),
      delay(eofTimeoutMs).then(() => false),
    ]);
    return { received, code, reason, ended };
  }
}

Deno.test("LiveHub holds at most its bound for a stalled client, drops it, and keeps the others receiving", async () => {
  const bound = 256 * 1024;
  await using served = new Served({ maxBufferedBytes: bound, maxQueuedPerClient: 2_000 });
  const healthy = await served.connect();
  const stalled = await rawHandshake(served.port, "/ws");
  assert.equal(stalled.status, 101);
  assert.equal(served.hub.clientCount(), 2);
  try {
    // 100 entries of 10 KB a round. The stalled side reads nothing, so once the kernel's
    // buffers are full its socket keeps what it is sent: the hub must stop at its bound.
    const big = "x".repeat(10_000);
    let rounds = 0;
    let mostBuffered = 0;
    while (served.hub.stats().slowDisconnects === 0) {
      assert.ok(++rounds <= 300, "the stalled client was never disconnected");
      served.hub.publish(entries(100, { body: big }, rounds * 100));
      mostBuffered = Math.max(mostBuffered, served.hub.stats().bufferedBytes);
      await waitForItems(healthy, rounds * 100);
    }
    // Each socket: under the bound, plus one message of at most the bound; the healthy
    // client's socket counts too, as nothing is written before the publisher yields.
    assert.ok(
      mostBuffered <= 2 * 2 * bound,
      `the two sockets held ${mostBuffered} bytes; the bound is ${bound} plus one message each`,
    );
    assert.equal(served.hub.clientCount(), 1);

    served.hub.publish(entries(100, {}, -100));
    const items = await waitForItems(healthy, rounds * 100 + 100);
    assert.equal(items.at(-100)!.id, "log--100");
    assert.equal(healthy.socket.readyState, WebSocket.OPEN);

    // None of the stalled client's entries is lost without being counted.
    const { received, code, reason } = await drain(stalled);
    assert.equal(code, CLOSE_TOO_SLOW);
    const dropped = served.hub.stats().droppedItems;
    assert.equal(reason, `client too slow: ${dropped} items dropped`);
    assert.equal(received + dropped, rounds * 100);
  } finally {
    stalled.conn.close();
  }
});

Deno.test("LiveHub drops a client that took nothing for stallTimeoutMs while entries waited", async () => {
  await using served = new Served({
    maxBufferedBytes: 64 * 1024,
    stallTimeoutMs: 300,
    flushIntervalMs: 50,
  });
  const stalled = await rawHandshake(served.port, "/ws");
  try {
    // Enough to fill the kernel's buffers (which grow while the peer's window allows: the socket
    // must stay at its bound for a while), then a few entries that wait; no more publishing, so
    // the queue bound (10,000) is never reached: only the stall can drop the client.
    const big = "x".repeat(10_000);
    let full = 0;
    let fullSince = performance.now();
    for (let round = 0; round < 400 && full < 10; round++) {
      if (served.hub.stats().bufferedBytes >= 64 * 1024) {
        if (full++ === 0) fullSince = performance.now();
      } else {
        full = 0;
        served.hub.publish(entries(10, { body: big }, round * 10));
      }
      await delay(20);
    }
    assert.ok(served.hub.stats().bufferedBytes >= 64 * 1024, "the socket holds its bound");
    served.hub.publish(entries(5, {}, -5));
    const started = performance.now();
    while (served.hub.stats().slowDisconnects === 0) {
      assert.ok(performance.now() - started < 10_000, "the stalled client was never dropped");
      await delay(20);
    }
    // The hub cannot have been blocked before the socket first reached its bound.
    assert.ok(performance.now() - fullSince >= 250, "not dropped before its stall timeout");
    assert.equal(served.hub.clientCount(), 0);
    const { code } = await drain(stalled);
    assert.equal(code, CLOSE_TOO_SLOW);
  } finally {
    stalled.conn.close();
  }
});

Deno.test("LiveHub releases the connection of a dropped client that never answers the close", async () => {
  await using served = new Served({
    maxBufferedBytes: 64 * 1024,
    maxQueuedPerClient: 500,
    closeTimeoutMs: 200,
  });
  const stalled = await rawHandshake(served.port, "/ws");
  try {
    const big = "x".repeat(10_000);
    for (let round = 0; served.hub.stats().slowDisconnects === 0; round++) {
      assert.ok(round < 200, "the stalled client was never disconnected");
      served.hub.publish(entries(100, { body: big }, round * 100));
      await delay(5);
    }
    // Past the close deadline the server lets go of the socket; the raw client, which never
    // answers the close frame, then reads the rest and sees the connection end.
    await delay(400);
    assert.equal(served.hub.stats().forcedCloses, 1);
    const { code, ended } = await drain(stalled, 3_000);
    assert.equal(code, CLOSE_TOO_SLOW);
    assert.ok(ended, "the server ended the connection after its last bytes");
  } finally {
    stalled.conn.close();
  }
});

Deno.test("LiveHub aborts the connection through abortConnection when the listener can", async () => {
  const aborted: string[] = [];
  let stalledConn: Deno.TcpConn | undefined;
  await using served = new Served({
    maxBufferedBytes: 64 * 1024,
    maxQueuedPerClient: 500,
    closeTimeoutMs: 200,
    abortConnection: (request) => {
      aborted.push(new URL(request.url).pathname + new URL(request.url).search);
      // What a listener would do to the TCP connection; here the test's own end stands in.
      stalledConn?.close();
      stalledConn = undefined;
      return true;
    },
  });
  const stalled = await rawHandshake(served.port, "/ws?service=checkout");
  stalledConn = stalled.conn;
  const big = "x".repeat(10_000);
  for (let round = 0; served.hub.stats().slowDisconnects === 0; round++) {
    assert.ok(round < 200, "the stalled client was never disconnected");
    served.hub.publish(entries(100, { body: big }, round * 100));
    await delay(5);
  }
  for (let i = 0; i < 100 && aborted.length === 0; i++) await delay(10);
  assert.deepEqual(aborted, ["/ws?service=checkout"]);
  assert.equal(served.hub.stats().forcedCloses, 1);
});

Deno.test("LiveHub drops a client whose queue passes the bound before its socket opens", () => {
  const hub = new LiveHub({ maxQueuedPerClient: 5 });
  // Registered at upgrade; the socket opens only once a server sends the 101 response.
  const response = hub.upgrade(
    new Request("http://127.0.0.1/ws", {
      headers: {
        upgrade: "websocket",
        connection: "Upgrade",
        "sec-websocket-key": KEY,
        "sec-websocket-version": "13",
      },
    }),
  );
  assert.equal(response.status, 101);
  assert.equal(hub.clientCount(), 1);
  hub.publish(entries(5));
  assert.equal(hub.clientCount(), 1);
  hub.publish(entries(1));
  assert.equal(hub.clientCount(), 0);
  assert.equal(hub.stats().slowDisconnects, 1);
  assert.equal(hub.stats().droppedItems, 6);
  hub.close();
});

Deno.test("LiveHub publishes nothing and arms no timer without clients", () => {
  const hub = new LiveHub();
  hub.publish(entries(1_000));
  assert.deepEqual(hub.stats(), {
    clients: 0,
    connections: 0,
    sentMessages: 0,
    sentItems: 0,
    droppedItems: 0,
    slowDisconnects: 0,
    forcedCloses: 0,
    bufferedBytes: 0,
  });
  // The test's op sanitizer fails here if a timer was left running.
});

Deno.test("LiveHub refuses options that are not positive integers", () => {
  assert.throws(() => new LiveHub({ flushItems: 0 }), RangeError);
  assert.throws(() => new LiveHub({ stallTimeoutMs: 0.5 }), RangeError);
  assert.throws(() => new LiveHub({ closeTimeoutMs: -1 }), RangeError);
  assert.throws(() => new LiveHub({ allowedOrigins: ["dash.example.com"] }), TypeError);
});
