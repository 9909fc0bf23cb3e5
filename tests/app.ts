/**
 * The app of a test: `createApp` over a store with what every test would otherwise repeat (an
 * idle ingest, a quiet logger, a 31-day query window), and `get` for its JSON answers.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type AppDeps, createApp } from "../routes/mod.ts";
import { createLogger } from "../lib/logger.ts";
import type { Store } from "../store/mod.ts";

/** An ingest that has received nothing: the health figures of an idle Argus. */
export const IDLE_INGEST: AppDeps["ingest"] = {
  ingestionRate: () => 0,
  dlqSize: () => 0,
  queueDepth: () => 0,
};

/** `createApp` over `store`; `deps` override the defaults (the clock among them). */
export function testApp(
  store: Store,
  deps: Partial<AppDeps> = {},
): (request: Request) => Promise<Response> {
  const now = deps.now;
  return createApp({
    store,
    startedAt: now?.() ?? 0,
    ingest: IDLE_INGEST,
    logger: createLogger("error", () => {}),
    queryMaxWindowMs: 31 * 86_400_000,
    ...deps,
  });
}

/** GETs `path` (with its query) from `app`, asserts a 200 and answers the JSON body. */
export async function getJson<T>(
  app: (request: Request) => Promise<Response>,
  path: string,
): Promise<T> {
  const response = await app(new Request(`http://argus.test${path}`));
  const body = await response.text();
  assert.equal(response.status, 200, `${path}: ${body}`);
  return JSON.parse(body) as T;
}
