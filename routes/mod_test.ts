import assert from "node:assert/strict";
import { createApp } from "./mod.ts";
import { createLogger } from "../lib/logger.ts";
import type { Store } from "../store/mod.ts";
import { LiveHub } from "../live/mod.ts";

/** An app over a store whose rollup totals answer with `totals`; everything else is unused. */
function appWith(totals: () => Promise<unknown>, lines: string[]) {
  const store = {
    driver: "sqlite",
    rollups: { totals, services: () => Promise.resolve([]) },
  } as unknown as Store;
  return createApp({
    store,
    startedAt: 0,
    logger: createLogger("info", (_level, line) => lines.push(line)),
    queryMaxWindowMs: 86_400_000,
    queryTimeoutMs: 50,
    ingest: { ingestionRate: () => 0, dlqSize: () => 0, queueDepth: () => 0 },
  });
}

Deno.test("createApp() answers 503 naming QUERY_TIMEOUT when a query outlasts it", async () => {
  const lines: string[] = [];
  let release = () => {};
  const app = appWith(() => new Promise((resolve) => release = () => resolve({})), lines);
  const response = await app(new Request("http://argus/api/stats"));
  assert.equal(response.status, 503);
  assert.equal(response.headers.get("retry-after"), "5");
  assert.match(
    (await response.json()).error,
    /^The query took longer than QUERY_TIMEOUT \(50 ms\)/,
  );
  assert.ok(lines.some((l) => /WARN +query timed out path=\/api\/stats/.test(l)), lines.join("\n"));
  release();
});

Deno.test("createApp() answers 500 without internals and logs the cause", async () => {
  const lines: string[] = [];
  const app = appWith(
    () => Promise.reject(new Error("relation span_rollups: disk I/O at 0x7f")),
    lines,
  );
  const response = await app(new Request("http://argus/api/stats"));
  assert.equal(response.status, 500);
  assert.deepEqual(await response.json(), { error: "Internal server error: see the Argus log" });
  assert.ok(lines.some((l) => l.includes("disk I/O at 0x7f")), lines.join("\n"));
});

Deno.test("createApp() answers 404 for unknown paths and 405 for other methods", async () => {
  const app = appWith(() => Promise.resolve({}), []);
  const missing = await app(new Request("http://argus/api/nothing"));
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), { error: "No route for GET /api/nothing" });
  const post = await app(new Request("http://argus/api/stats", { method: "POST" }));
  assert.equal(post.status, 405);
  assert.match((await post.json()).error, /Method POST is not allowed on \/api\/stats/);
});

Deno.test("createApp() names the allowed methods of a path served for others (405, Allow)", async () => {
  const app = appWith(() => Promise.resolve({}), []);
  const post = await app(new Request("http://argus/api/traces/0123", { method: "PUT" }));
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET");
  assert.deepEqual(await post.json(), {
    error: "Method PUT is not allowed on /api/traces/0123: use GET",
  });
  const login = await app(new Request("http://argus/login", { method: "DELETE" }));
  assert.equal(login.headers.get("allow"), "GET, POST");
  await login.body?.cancel();
});

Deno.test("createApp() gzips JSON for clients that take gzip, and answers HEAD without a body", async () => {
  const totals = { spans: 1, errorSpans: 0, traces: 1, failedTraces: 0, logs: "x".repeat(2000) };
  const app = appWith(() => Promise.resolve(totals), []);
  const gzipped = await app(
    new Request("http://argus/api/stats", { headers: { "accept-encoding": "gzip, br" } }),
  );
  assert.equal(gzipped.status, 200);
  assert.equal(gzipped.headers.get("content-encoding"), "gzip");
  assert.match(gzipped.headers.get("vary") ?? "", /Accept-Encoding/);
  const text = await new Response(gzipped.body!.pipeThrough(new DecompressionStream("gzip")))
    .text();
  assert.equal(JSON.parse(text).total_logs, totals.logs);
  const plain = await app(new Request("http://argus/api/stats"));
  assert.equal(plain.headers.get("content-encoding"), null);
  assert.equal((await plain.json()).total_logs, totals.logs);
  const head = await app(new Request("http://argus/api/stats", { method: "HEAD" }));
  assert.equal(head.status, 200);
  assert.equal(await head.text(), "");
});

Deno.test("createApp() answers a page's error with a page, and the API's in JSON", async () => {
  const lines: string[] = [];
  const store = {
    driver: "sqlite",
    rollups: new Proxy({}, {
      get: (_target, name) =>
        name === "totals"
          ? () => Promise.reject(new Error("relation span_rollups: disk I/O at 0x7f"))
          : () => Promise.resolve([]),
    }),
    errorOrigins: () =>
      Promise.resolve({ services: [], failedTraces: 0, examinedSpans: 0, limited: false }),
  } as unknown as Store;
  const app = createApp({
    store,
    startedAt: 0,
    logger: createLogger("info", (_level, line) => lines.push(line)),
    queryMaxWindowMs: 86_400_000,
    ingest: { ingestionRate: () => 0, dlqSize: () => 0, queueDepth: () => 0 },
    assets: { files: new Map(), clientEntry: "build/client.js", islands: [] },
  });
  const page = await app(new Request("http://argus/"));
  assert.equal(page.status, 500);
  assert.match(page.headers.get("content-type")!, /^text\/html/);
  assert.match(page.headers.get("content-security-policy")!, /default-src 'self'/);
  const html = await page.text();
  assert.match(html, /data-error-page="500"/);
  assert.match(html, /Internal server error: see the Argus log/);
  assert.ok(!html.includes("0x7f"), "no internals on the page");
  assert.ok(lines.some((l) => l.includes("disk I/O at 0x7f")), lines.join("\n"));
  const missing = await app(new Request("http://argus/nothing"));
  assert.equal(missing.status, 404);
  assert.match(missing.headers.get("content-type")!, /^text\/html/);
  assert.match(await missing.text(), /No route for GET \/nothing/);
  const api = await app(new Request("http://argus/api/stats"));
  assert.equal(api.status, 500);
  assert.deepEqual(await api.json(), { error: "Internal server error: see the Argus log" });
  const apiMissing = await app(new Request("http://argus/api/nothing"));
  assert.deepEqual(await apiMissing.json(), { error: "No route for GET /api/nothing" });
});

Deno.test("createApp() refuses the live stream's bad filters with 400 naming the parameter", async () => {
  const live = new LiveHub();
  const app = createApp({
    store: { driver: "sqlite" } as unknown as Store,
    startedAt: 0,
    logger: createLogger("error", () => {}),
    queryMaxWindowMs: 86_400_000,
    ingest: { ingestionRate: () => 0, dlqSize: () => 0, queueDepth: () => 0 },
    live,
  });
  const upgrade = (query: string) =>
    app(
      new Request(`http://127.0.0.1:8080/ws${query}`, {
        headers: {
          upgrade: "websocket",
          connection: "Upgrade",
          "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
          "sec-websocket-version": "13",
        },
      }),
    );
  const severity = await upgrade("?severity=loud");
  assert.equal(severity.status, 400);
  const error = (await severity.json()).error as string;
  assert.match(error, /'severity'/);
  assert.match(error, /warn/);
  assert.match(error, /"loud"/);
  const service = await upgrade("?service=");
  assert.equal(service.status, 400);
  assert.match((await service.json()).error, /'service'/);
  assert.equal(live.clientCount(), 0);
  live.close();
});

Deno.test("GET /lookup opens the trace a user typed, or says on a page what a trace id is", async () => {
  const app = createApp({
    store: { driver: "sqlite" } as unknown as Store,
    startedAt: 0,
    logger: createLogger("info", () => {}),
    queryMaxWindowMs: 86_400_000,
    ingest: { ingestionRate: () => 0, dlqSize: () => 0, queueDepth: () => 0 },
    assets: { files: new Map(), clientEntry: "build/client.js", islands: [] },
  });
  const found = await app(
    new Request("http://argus/lookup?trace_id=+4BF92F3577B34DA6A3CE929D0E0E4736+"),
  );
  assert.equal(found.status, 303);
  assert.equal(found.headers.get("location"), "/traces/4bf92f3577b34da6a3ce929d0e0e4736");
  const short = await app(new Request("http://argus/lookup?trace_id=a3ce929d0e0e4736"));
  assert.equal(short.headers.get("location"), "/traces/0000000000000000a3ce929d0e0e4736");
  const bad = await app(new Request("http://argus/lookup?trace_id=order-1234"));
  assert.equal(bad.status, 400);
  assert.match(bad.headers.get("content-type")!, /^text\/html/);
  assert.match(
    await bad.text(),
    /Cannot use 'trace_id' as it must be a trace id of 32 \(or 16\) hex characters: current value is &quot;order-1234&quot;/,
  );
});
