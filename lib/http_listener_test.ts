import assert from "node:assert/strict";
import {
  abortConnection,
  BodyBudgetError,
  BodyTimeoutError,
  BodyTooLargeError,
  ByteBudget,
  connectionCapFor,
  connectionLimitsUnsupported,
  ConnectionPool,
  fileLimitOf,
  readBody,
  remoteAddressOf,
  serveHttp,
} from "./http_listener.ts";
import { createLogger } from "./logger.ts";

const logger = createLogger("error");
const encoder = new TextEncoder();

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A server on 127.0.0.1:0 with its own pool; `handler` defaults to a plain 200. */
function serve(
  pool: { maxConnections?: number; headerTimeoutMs?: number },
  handler: (request: Request) => Response | Promise<Response> = () => new Response("ok"),
) {
  const connections = new ConnectionPool({
    maxConnections: pool.maxConnections ?? 100,
    headerTimeoutMs: pool.headerTimeoutMs ?? 10_000,
    logger,
  });
  const server = serveHttp({
    hostname: "127.0.0.1",
    port: 0,
    handler,
    pool: connections,
    logger,
    setting: "TEST_PORT",
  });
  return { server, connections, url: `http://127.0.0.1:${server.addr.port}` };
}

/** A raw connection that has sent part of a request's headers. */
async function slowClient(port: number): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(encoder.encode("GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  return conn;
}

/** Resolves with what the peer sent until it closed, or "open" if still open after `ms`. */
async function readUntilClosed(conn: Deno.Conn, ms: number): Promise<string> {
  const chunks: string[] = [];
  const buffer = new Uint8Array(4096);
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const read = await Promise.race([
      conn.read(buffer).catch(() => null),
      sleep(deadline - Date.now()).then(() => "timeout" as const),
    ]);
    if (read === "timeout") return "open";
    if (read === null) return chunks.join("");
    chunks.push(new TextDecoder().decode(buffer.subarray(0, read)));
  }
  return "open";
}

Deno.test("serveHttp() uses the connection-per-server internals of this Deno", () => {
  assert.equal(connectionLimitsUnsupported(), undefined);
});

Deno.test("serveHttp() serves keep-alive requests and knows the client's address", async () => {
  let seen: Deno.NetAddr | undefined;
  const { server, connections, url } = serve({}, (request) => {
    seen = remoteAddressOf(request);
    return new Response("hello");
  });
  try {
    for (let i = 0; i < 3; i++) assert.equal(await (await fetch(url)).text(), "hello");
    assert.equal(seen?.hostname, "127.0.0.1");
    assert.ok(connections.stats().accepted >= 1);
  } finally {
    await server.shutdown();
  }
});

Deno.test("serveHttp() closes a connection whose headers do not arrive within the timeout", async () => {
  const { server, connections } = serve({ headerTimeoutMs: 300 });
  try {
    const slow = await slowClient(server.addr.port);
    const started = Date.now();
    assert.equal(await readUntilClosed(slow, 3_000), "");
    const took = Date.now() - started;
    assert.ok(took >= 250 && took < 2_000, `closed after ${took} ms`);
    slow.close();
    assert.equal(connections.stats().timedOut, 1);
  } finally {
    await server.shutdown();
  }
});

Deno.test("serveHttp() closes an idle keep-alive connection after the timeout, not a busy one", async () => {
  let release = () => {};
  const { server } = serve({ headerTimeoutMs: 300 }, async (request) => {
    if (new URL(request.url).pathname === "/slow") {
      await new Promise<void>((resolve) => release = resolve);
    }
    return new Response("done");
  });
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    await conn.write(encoder.encode("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
    // Busy for longer than the timeout: the request is in progress, so it stays.
    await sleep(800);
    release();
    const answer = new Uint8Array(1024);
    const read = await conn.read(answer);
    assert.match(new TextDecoder().decode(answer.subarray(0, read ?? 0)), /^HTTP\/1.1 200/);
    // Then idle: closed.
    assert.equal(await readUntilClosed(conn, 3_000), "");
    conn.close();
  } finally {
    await server.shutdown();
  }
});

Deno.test("serveHttp() at its cap closes the oldest idle connection for a newcomer", async () => {
  const { server, connections, url } = serve({ maxConnections: 3 });
  try {
    const slow = [];
    for (let i = 0; i < 3; i++) slow.push(await slowClient(server.addr.port));
    await sleep(100);
    const response = await fetch(url, { headers: { connection: "close" } });
    assert.equal(await response.text(), "ok");
    assert.equal(await readUntilClosed(slow[0]!, 2_000), "", "the oldest slow client is closed");
    assert.equal(await readUntilClosed(slow[2]!, 200), "open");
    for (const conn of slow) conn.close();
    assert.ok(connections.stats().evicted >= 1);
  } finally {
    await server.shutdown();
  }
});

Deno.test("serveHttp() at its cap refuses a newcomer with 503 when every connection is busy", async () => {
  let release = () => {};
  const held = new Promise<void>((resolve) => release = resolve);
  const { server, connections } = serve({ maxConnections: 2 }, async () => {
    await held;
    return new Response("late");
  });
  try {
    const port = server.addr.port;
    const busy = [fetch(`http://127.0.0.1:${port}/a`), fetch(`http://127.0.0.1:${port}/b`)];
    await sleep(200);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(encoder.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    const answer = await readUntilClosed(conn, 2_000);
    conn.close();
    assert.match(answer, /^HTTP\/1.1 503 Service Unavailable\r\n/);
    assert.match(answer, /retry-after: 1/);
    assert.match(answer, /HTTP_MAX_CONNECTIONS, 2/);
    assert.equal(connections.stats().refused, 1);
    release();
    for (const response of await Promise.all(busy)) assert.equal(await response.text(), "late");
  } finally {
    await server.shutdown();
  }
});

Deno.test("serveHttp() keeps a WebSocket open after the upgrade, and abortConnection() ends it", async () => {
  let upgrade: Request | undefined;
  const { server, connections } = serve({ headerTimeoutMs: 200 }, (request) => {
    const { socket, response } = Deno.upgradeWebSocket(request);
    upgrade = request;
    socket.onmessage = (event) => socket.send(`echo ${event.data}`);
    return response;
  });
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${server.addr.port}/ws`);
    const messages: string[] = [];
    const closed = new Promise<void>((resolve) => ws.onclose = () => resolve());
    ws.onmessage = (event) => messages.push(event.data);
    await new Promise((resolve) => ws.onopen = resolve);
    // Longer than the header timeout: a WebSocket is not an idle HTTP connection.
    await sleep(600);
    ws.send("one");
    await sleep(200);
    assert.deepEqual(messages, ["echo one"]);
    assert.equal(connections.stats().open, 1);
    assert.equal(abortConnection(upgrade!), true);
    await closed;
    await sleep(50);
    assert.equal(connections.stats().open, 0);
  } finally {
    await server.shutdown();
  }
});

Deno.test("serveHttp() shutdown() lets a request in progress finish and closes idle connections", async () => {
  let release = () => {};
  const { server } = serve({}, async () => {
    await new Promise<void>((resolve) => release = resolve);
    return new Response("finished");
  });
  const slow = await slowClient(server.addr.port);
  const pending = fetch(`http://127.0.0.1:${server.addr.port}/`);
  await sleep(200);
  const stopped = server.shutdown();
  assert.equal(await readUntilClosed(slow, 2_000), "", "idle connection closed at once");
  slow.close();
  release();
  assert.equal(await (await pending).text(), "finished");
  await stopped;
});

function trickle(bytes: number, delayMs = 0): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    async pull(controller) {
      if (sent === bytes) return controller.close();
      if (delayMs > 0) await sleep(delayMs);
      // A one-byte view of a large buffer, as network reads can be.
      controller.enqueue(new Uint8Array(new ArrayBuffer(65_536), 0, 1).fill(120));
      sent++;
    },
  });
}

Deno.test("readBody() copies a trickled body into one buffer of its own", async () => {
  const body = await readBody(trickle(20_000), { maxBytes: 1 << 20, timeoutMs: 10_000 });
  assert.equal(body.byteLength, 20_000);
  assert.ok(body.buffer.byteLength <= 32_768, `backing buffer ${body.buffer.byteLength}`);
  assert.equal(body[19_999], 120);
});

Deno.test("readBody() refuses a body over its limit, too slow, or beyond the budget", async () => {
  await assert.rejects(
    readBody(trickle(101), { maxBytes: 100, timeoutMs: 10_000 }),
    BodyTooLargeError,
  );
  await assert.rejects(
    readBody(trickle(1_000, 5), { maxBytes: 10_000, timeoutMs: 200 }),
    BodyTimeoutError,
  );
  const budget = new ByteBudget(50_000);
  const first = budget.lease();
  assert.ok(first.reserve(40_000));
  await assert.rejects(
    readBody(trickle(20_000), { maxBytes: 100_000, timeoutMs: 10_000, lease: budget.lease() }),
    BodyBudgetError,
  );
  first.release();
  assert.equal(budget.used, 0);
  const lease = budget.lease();
  const body = await readBody(trickle(20_000), { maxBytes: 100_000, timeoutMs: 10_000, lease });
  assert.equal(body.byteLength, 20_000);
  assert.ok(budget.used >= 20_000);
  lease.release();
  lease.release();
  assert.equal(budget.used, 0);
});

Deno.test("ByteBudget admits one request of any size when nothing else is held", () => {
  const budget = new ByteBudget(10);
  const lease = budget.lease();
  assert.ok(lease.reserve(100));
  assert.equal(budget.lease().reserve(1), false);
  lease.release();
  assert.ok(budget.lease().reserve(5));
});

Deno.test("connectionCapFor() keeps the cap below the open-file limit", () => {
  assert.equal(connectionCapFor(4096, { soft: 1024, hard: 1024 }, 114), 910);
  assert.equal(connectionCapFor(4096, { soft: 65_536, hard: 65_536 }, 114), 4096);
  assert.equal(connectionCapFor(4096, undefined, 114), 4096);
  assert.equal(connectionCapFor(4096, { soft: 64, hard: 64 }, 114), 16);
});

Deno.test("fileLimitOf() reads this process's open-file limit", () => {
  const limit = fileLimitOf(Deno.pid);
  assert.ok(limit !== undefined && limit.soft > 0 && limit.hard >= limit.soft, String(limit));
});
