import assert from "node:assert/strict";
import { createApp } from "./mod.ts";
import { createLogger } from "../lib/logger.ts";
import type { Store } from "../store/mod.ts";

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
