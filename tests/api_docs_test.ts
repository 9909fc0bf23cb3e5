/**
 * docs/api.md against the server: the endpoints it documents are the ones served, each endpoint's
 * parameter table lists exactly the query parameters its route declares (`Route.query`), and the
 * app reads exactly those while it answers a request to it (recorded by watching
 * URLSearchParams).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { apiRoutes, type AppDeps, createApp } from "../routes/mod.ts";
import { parameterNames } from "../routes/query_params.ts";
import { createLogger } from "../lib/logger.ts";
import type { Store } from "../store/mod.ts";
import { LiveHub } from "../live/mod.ts";

const DOC = await Deno.readTextFile(fileURLToPath(new URL("../docs/api.md", import.meta.url)));

/** `### METHOD /path` headings and the first column of the table under each. */
function documented(): Map<string, string[]> {
  const endpoints = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of DOC.split("\n")) {
    const heading = /^### (GET|POST|DELETE) (\S+)$/.exec(line);
    if (heading) {
      current = [];
      endpoints.set(`${heading[1]} ${heading[2]}`, current);
      continue;
    }
    if (line.startsWith("## ")) current = undefined;
    const row = /^\| `([a-z_]+)` +\|/.exec(line);
    if (row && current) current.push(row[1]!);
  }
  return endpoints;
}

/** A store answering every read with nothing, so that handlers run to their end. */
const emptyStore = new Proxy({}, {
  get(_target, name) {
    if (name === "driver") return "sqlite";
    if (name === "rollups") {
      return {
        totals: () =>
          Promise.resolve({ spans: 0, errorSpans: 0, traces: 0, failedTraces: 0, logs: 0 }),
        services: () => Promise.resolve([]),
        serviceRequests: () => Promise.resolve([]),
        latencyBuckets: () => Promise.resolve([]),
        latencySeries: () => Promise.resolve([]),
        trafficSeries: () => Promise.resolve([]),
        edges: () => Promise.resolve([]),
      };
    }
    if (name === "traces") return () => Promise.resolve({ items: [], total: 0 });
    if (name === "countLogs") return () => Promise.resolve(0);
    if (name === "logById") return () => Promise.resolve(undefined);
    if (name === "errorOrigins") {
      return () =>
        Promise.resolve({ services: [], failedTraces: 0, examinedSpans: 0, limited: false });
    }
    if (name === "ping") return () => Promise.resolve();
    if (name === "then") return undefined;
    return () => Promise.resolve([]);
  },
}) as Store;

const deps: AppDeps = {
  store: emptyStore,
  startedAt: 0,
  logger: createLogger("error", () => {}),
  queryMaxWindowMs: 86_400_000,
  ingest: { ingestionRate: () => 0, dlqSize: () => 0, queueDepth: () => 0 },
  live: new LiveHub(),
};

/** Headers of a WebSocket upgrade, so that /ws reads its filters. */
const UPGRADE = {
  upgrade: "websocket",
  connection: "Upgrade",
  "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
  "sec-websocket-version": "13",
};

/** Names a handler reads from the query string while answering `path`. */
async function parametersRead(method: string, path: string): Promise<string[]> {
  assert.ok(apiRoutes(deps).some((r) => r.method === method && r.path === path), path);
  const app = createApp(deps);
  const read = new Set<string>();
  const proto = URLSearchParams.prototype;
  const original = { get: proto.get, getAll: proto.getAll, has: proto.has };
  proto.get = function (name) {
    read.add(name);
    return original.get.call(this, name);
  };
  proto.getAll = function (name) {
    read.add(name);
    return original.getAll.call(this, name);
  };
  proto.has = function (name) {
    read.add(name);
    return original.has.call(this, name);
  };
  try {
    const concrete = path.replace("{trace_id}", "0".repeat(32));
    // `id` lets /api/logs/context reach its `window`; upgrades and admin answer without data.
    const url = new URL(`http://argus${concrete}?id=${"a".repeat(32)}`);
    const request = new Request(url, { method, headers: path === "/ws" ? UPGRADE : {} });
    // A synthetic request cannot really be upgraded: whatever the handler throws is fine here.
    const response = await Promise.resolve()
      .then(() => app(request))
      .catch((error) => error);
    if (response instanceof Response) await response.body?.cancel();
  } finally {
    Object.assign(proto, original);
  }
  return [...read].sort();
}

Deno.test("docs/api.md documents exactly the endpoints the server serves", () => {
  const served = apiRoutes(deps).map((r) => `${r.method} ${r.path}`).sort();
  assert.deepEqual([...documented().keys()].sort(), served);
});

Deno.test("docs/api.md lists exactly the query parameters each endpoint declares", () => {
  const declared = new Map(
    apiRoutes(deps).map((r) => [`${r.method} ${r.path}`, parameterNames(r.query)]),
  );
  for (const [endpoint, params] of documented()) {
    assert.deepEqual(declared.get(endpoint), [...params].sort(), endpoint);
  }
});

Deno.test("each endpoint reads exactly the query parameters it declares", async () => {
  for (const route of apiRoutes(deps)) {
    assert.deepEqual(
      await parametersRead(route.method, route.path),
      parameterNames(route.query),
      `${route.method} ${route.path}`,
    );
  }
});
