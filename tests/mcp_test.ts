/**
 * `/mcp` through the MCP SDK's own client over Streamable HTTP, against Argus's app served on a
 * port (seeded data) and against a running Argus process fed by the chaos simulation: the tool
 * list, each tool's answer checked against the API endpoint it mirrors, the byte bound on an
 * 80,000-span trace, bad arguments answered with a message naming them, and the edge's token and
 * Origin checks.
 *
 * @module
 */
import assert from "node:assert/strict";
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createStore, type Store } from "../store/mod.ts";
import type { SpanRow } from "../store/types.ts";
import {
  BASE_TIME_NS,
  buildCallChain,
  buildLog,
  buildServiceResources,
  buildSpan,
  hex,
  random,
} from "./builders.ts";
import { databaseConfig } from "./databases.ts";
import { startArgus } from "./argus_process.ts";
import { runSimulation } from "./chaos_process.ts";
import {
  afterT0,
  decodeMetrics,
  doublePoint,
  gaugeMetric,
  intPoint,
  oneScope,
  storeBatch,
  stringAttrs,
  sumMetric,
} from "./metric_requests.ts";
import { getJson, testApp } from "./app.ts";
import type { AppDeps } from "../routes/mod.ts";
import { criticalPath, depthFirst } from "../routes/mcp_tools.ts";
import type { WireTraceStructure } from "../utils/wire.ts";

const BY_SERVICE = buildServiceResources();
const RESOURCES = Object.values(BY_SERVICE);
/** The app's clock: an hour after the data's base time, so that `range=1h` holds it all. */
const NOW_MS = Number(BASE_TIME_NS / 1_000_000n) + 3_600_000;
const HUGE_SPANS = 80_000;

interface Served {
  url: string;
  app: (request: Request) => Promise<Response>;
  close(): Promise<void>;
}

function serve(store: Store, deps: Partial<AppDeps> = {}): Served {
  const app = testApp(store, { now: () => NOW_MS, ...deps });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app);
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    app,
    close: () => server.shutdown(),
  };
}

async function connect(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: "argus-test", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } }),
  );
  return client;
}

/** A tool's JSON answer (asserting it is not an error). */
async function call(client: Client, name: string, args: Record<string, unknown> = {}) {
  const result = await client.callTool({ name, arguments: args });
  const text = (result.content as { type: string; text: string }[])[0]!.text;
  assert.notEqual(result.isError, true, `${name}: ${text}`);
  return JSON.parse(text);
}

/** A tool's error text (asserting it is one). */
async function callFailing(client: Client, name: string, args: Record<string, unknown>) {
  const result = await client.callTool({ name, arguments: args });
  assert.equal(result.isError, true, JSON.stringify(result));
  return (result.content as { type: string; text: string }[])[0]!.text;
}

/** A store with 12 call chains (every fourth failing), single spans, logs and one huge trace. */
async function seeded(): Promise<{ store: Store; dir: string; chains: SpanRow[][]; huge: string }> {
  const dir = await Deno.makeTempDir({ prefix: "argus-mcp-" });
  const store = await createStore(databaseConfig("sqlite", "mcp.db"), { dataDir: dir });
  await store.migrate();
  const rand = random(5);
  const chains = Array.from(
    { length: 12 },
    (_, i) => buildCallChain(BY_SERVICE, i * 60_000, rand, i % 4 === 0),
  );
  const logs = chains.flatMap((chain, i) =>
    chain.slice(0, 2).map((span, j) =>
      buildLog(BY_SERVICE["order-service"], {
        traceId: span.traceId,
        spanId: span.spanId,
        body: `order ${i} step ${j}${i % 4 === 0 ? " failed: card declined" : ""}`,
        severityNumber: i % 4 === 0 ? 17 : 9,
        severityText: i % 4 === 0 ? "ERROR" : "INFO",
        timeUnixNano: span.startTimeUnixNano,
        observedTimeUnixNano: span.startTimeUnixNano,
      }, rand)
    )
  );
  await store.write({ resources: RESOURCES, spans: chains.flat(), logs });
  // A counter of two series (methods) and a gauge, every 10 s for two minutes from the base time.
  const every10s = Array.from({ length: 12 }, (_, i) => i * 10);
  await store.write(storeBatch([
    decodeMetrics(oneScope(
      [
        sumMetric(
          "http.requests",
          ["GET", "POST"].flatMap((method, m) =>
            every10s.map((t) =>
              intPoint(afterT0(t), (m + 1) * t, {
                start: afterT0(-10),
                attributes: stringAttrs({ "http.request.method": method }),
              })
            )
          ),
          { unit: "{request}", temporality: "cumulative", monotonic: true },
        ),
        gaugeMetric("queue.depth", every10s.map((t) => doublePoint(afterT0(t), t / 10))),
      ],
      "order-service",
    )),
  ]));
  // One trace of 80,000 spans: a root and 79,999 children, in batches.
  const huge = hex(rand, 32);
  const rootId = hex(rand, 16);
  const start = BASE_TIME_NS + 30n * 60_000_000_000n;
  for (let written = 0; written < HUGE_SPANS; written += 10_000) {
    const spans = Array.from({ length: 10_000 }, (_, k) => {
      const i = written + k;
      // One service: no edge, so the service map stays the chains'.
      return buildSpan(BY_SERVICE["inventory-service"], {
        traceId: huge,
        kind: 1,
        spanId: i === 0 ? rootId : hex(rand, 16),
        parentSpanId: i === 0 ? "" : rootId,
        name: `step ${i % 50}`,
        startTimeUnixNano: start + BigInt(i) * 1_000n,
        endTimeUnixNano: start + BigInt(i) * 1_000n + (i === 0 ? 200_000_000n : 5_000n),
      }, rand);
    });
    await store.write({ resources: RESOURCES, spans, logs: [] });
  }
  return { store, dir, chains, huge };
}

Deno.test("MCP: the SDK's client lists Argus's tools and each answers what the API answers", async () => {
  const { store, dir, chains, huge } = await seeded();
  const served = serve(store);
  const client = await connect(served.url);
  try {
    assert.match(client.getInstructions() ?? "", /list_services .* first/);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name), [
      "list_services",
      "service_map",
      "search_traces",
      "get_trace",
      "get_spans",
      "search_logs",
      "log_context",
      "list_instruments",
      "metric_series",
    ]);
    for (const tool of tools) {
      assert.ok((tool.description ?? "").length > 80, tool.name);
      assert.equal(tool.inputSchema.type, "object");
      assert.equal(tool.annotations?.readOnlyHint, true);
    }
    const search = tools.find((t) => t.name === "search_traces")!;
    assert.deepEqual(
      (search.inputSchema.properties!.status as { enum: string[] }).enum,
      ["ok", "error"],
    );

    // list_services and service_map: the service map's nodes and edges.
    const map = await getJson<{ nodes: { name: string; requests: number; errors: number }[] }>(
      served.app,
      "/api/metrics/service-map?range=1h",
    );
    const services = (await call(client, "list_services", { range: "1h" })).services as {
      name: string;
      requests: number;
      errors: number;
      p99_latency_ms: number;
    }[];
    assert.deepEqual(
      services.map((s) => [s.name, s.requests, s.errors]).sort(),
      map.nodes.map((n) => [n.name, n.requests, n.errors]).sort(),
    );
    // The failing services first.
    assert.ok(services[0]!.errors > 0);
    const edges = (await call(client, "service_map", { range: "1h" })).edges as {
      caller: string;
      callee: string;
      calls: number;
    }[];
    assert.deepEqual(
      edges.map((e) => `${e.caller}>${e.callee}:${e.calls}`).sort(),
      ["order-service>payment-service:12", "payment-service>inventory-service:12"],
    );

    // search_traces: the trace list's filter, ids and order.
    const failed = await getJson<{ items: { trace_id: string }[]; total: number }>(
      served.app,
      "/api/traces?range=1h&status=error&limit=20",
    );
    const found = await call(client, "search_traces", { range: "1h", status: "error" });
    assert.equal(found.total, failed.total);
    assert.deepEqual(
      found.traces.map((t: { trace_id: string }) => t.trace_id),
      failed.items.map((t) => t.trace_id),
    );
    assert.equal(found.total, 3);

    // get_trace: the chain's five spans depth first, with their paths; the critical path; errors.
    const chain = chains[0]!;
    const trace = await call(client, "get_trace", { trace_id: chain[0]!.traceId });
    assert.equal(trace.span_count, 5);
    assert.deepEqual(
      trace.spans.map((s: { depth: number; path: string }) => `${s.depth} ${s.path}`),
      [
        "0 order-service",
        "1 order-service > order-service",
        "2 order-service > order-service > payment-service",
        "3 order-service > order-service > payment-service > payment-service",
        "4 order-service > order-service > payment-service > payment-service > inventory-service",
      ],
    );
    assert.deepEqual(
      trace.spans.map((s: { span_id: string }) => s.span_id),
      chain.map((s) => s.spanId),
    );
    // Each span's own time on the path: 10 ms before its child starts, the rest after it ends.
    const critical = trace.critical_path as { span_id: string; self_ms: number }[];
    assert.deepEqual(
      critical.map((c) => [c.span_id, c.self_ms]),
      [
        [chain[0]!.spanId, 10], // order server: 390 → 400 ms
        [chain[1]!.spanId, 70], // order client: 320 → 390
        [chain[2]!.spanId, 10], // payment server: 310 → 320
        [chain[3]!.spanId, 70], // payment client: 240 → 310
        [chain[4]!.spanId, 200], // inventory: 40 → 240
        [chain[3]!.spanId, 10], // payment client: 30 → 40
        [chain[2]!.spanId, 10], // payment server: 20 → 30
        [chain[1]!.spanId, 10], // order client: 10 → 20
        [chain[0]!.spanId, 10], // order server: 0 → 10
      ],
    );
    assert.equal(critical.reduce((sum, c) => sum + c.self_ms, 0), 400);
    assert.equal(trace.error_count, 5);

    // get_spans: the API's span, field for field.
    const spans = await call(client, "get_spans", {
      trace_id: chain[0]!.traceId,
      span_ids: [chain[4]!.spanId],
    });
    assert.deepEqual(
      spans.spans[0],
      await getJson(served.app, `/api/traces/${chain[0]!.traceId}/spans/${chain[4]!.spanId}`),
    );

    // search_logs and log_context.
    const apiLogs = await getJson<{ items: { id: string }[]; total: number }>(
      served.app,
      "/api/logs?range=1h&severity=error&search=declined&limit=20",
    );
    const logs = await call(client, "search_logs", {
      range: "1h",
      severity: "error",
      search: "declined",
    });
    assert.equal(logs.total, 6);
    assert.deepEqual(logs.logs.map((l: { id: string }) => l.id), apiLogs.items.map((l) => l.id));
    assert.equal(logs.logs[0].severity, "ERROR");
    const context = await call(client, "log_context", { id: logs.logs[0].id, window: "5m" });
    assert.equal(context.anchor.id, logs.logs[0].id);
    assert.ok(context.around.length > 0);

    // list_instruments and metric_series: the instrument list and its chart.
    const apiInstruments = await getJson<{ instruments: { key: string }[] }>(
      served.app,
      "/api/instruments?range=1h&limit=20",
    );
    const instruments = await call(client, "list_instruments", {});
    assert.deepEqual(
      instruments.instruments.map((i: { key: string }) => i.key),
      apiInstruments.instruments.map((i) => i.key),
    );
    const counter = instruments.instruments.find((i: { name: string }) =>
      i.name === "http.requests"
    );
    assert.equal(counter.series, 2);
    const series = await call(client, "metric_series", {
      key: counter.key,
      group_by: "http.request.method",
      step: "30s",
    });
    const chart = await getJson<
      { times: string[]; groups: { attributes: unknown; values: (number | null)[] }[] }
    >(
      served.app,
      `/api/instruments/${counter.key}/chart?range=1h&group_by=http.request.method&step=30s`,
    );
    assert.equal(series.agg, "rate");
    assert.deepEqual(series.times, chart.times);
    assert.deepEqual(
      series.groups,
      chart.groups.map((g) => ({ attributes: g.attributes, values: g.values })),
    );
    // GET rises 1 a second, POST 2 (a step wholly inside the points; the first holds less).
    const rates = series.groups.map((g: { values: (number | null)[] }) =>
      Math.max(...g.values.filter((v) => v !== null))
    );
    assert.deepEqual(rates, [1, 2]);

    // The huge trace: cut to the bound, the critical path and the errors kept, told to narrow.
    const result = await client.callTool({ name: "get_trace", arguments: { trace_id: huge } });
    const text = (result.content as { text: string }[])[0]!.text;
    assert.ok(new TextEncoder().encode(text).length <= 64 * 1024, `${text.length} characters`);
    const hugeTrace = JSON.parse(text);
    assert.equal(hugeTrace.span_count, HUGE_SPANS);
    assert.equal(hugeTrace.truncated, true);
    assert.match(hugeTrace.hint, /MCP_MAX_OUTPUT_BYTES.*get_spans/);
    assert.ok(hugeTrace.shown > 100 && hugeTrace.shown < HUGE_SPANS, String(hugeTrace.shown));
    assert.equal(hugeTrace.spans[0].depth, 0);
    // Its children run one after another: a long critical path, listed in part and counted.
    assert.equal(hugeTrace.critical_path.length, 100);
    assert.ok(hugeTrace.critical_path_sections > 100);
  } finally {
    await client.close();
    await served.close();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("MCP: a bad argument is answered with what the parameter accepts", async () => {
  const { store, dir } = await seeded();
  const served = serve(store, { mcpMaxOutputBytes: 4096 });
  const client = await connect(served.url);
  try {
    assert.match(
      await callFailing(client, "search_traces", { range: "forever" }),
      /'range'.*forever/,
    );
    assert.match(
      await callFailing(client, "get_trace", { trace_id: "xyz" }),
      /'trace_id' as it must be 32 hex characters/,
    );
    assert.match(
      await callFailing(client, "get_trace", { trace_id: "0".repeat(32) }),
      /No trace 0{32} is stored/,
    );
    assert.match(
      await callFailing(client, "metric_series", { key: "0".repeat(32), step: "1 minute" }),
      /'step'/,
    );
    // Refused by the tool's schema before it runs: the SDK names the argument.
    assert.match(await callFailing(client, "search_logs", { limit: 5000 }), /limit/);
    // A smaller bound cuts lists too, and says so.
    const services = await call(client, "search_logs", { range: "1h", limit: 100 });
    assert.equal(services.truncated, true);
    assert.ok(services.logs.length < 24);
  } finally {
    await client.close();
    await served.close();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("MCP: /mcp needs API_TOKEN and refuses another origin's page", async () => {
  const dir = await Deno.makeTempDir({ prefix: "argus-mcp-" });
  const store = await createStore(databaseConfig("sqlite", "mcp.db"), { dataDir: dir });
  await store.migrate();
  const token = "t".repeat(32);
  const served = serve(store, { security: { apiToken: token } });
  try {
    const initialize = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "curl", version: "1" },
      },
    };
    const post = (headers: Record<string, string>) =>
      fetch(`${served.url}/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...headers,
        },
        body: JSON.stringify(initialize),
      });
    const anonymous = await post({});
    assert.equal(anonymous.status, 401);
    assert.match((await anonymous.json()).error, /API_TOKEN/);
    const foreign = await post({
      authorization: `Bearer ${token}`,
      origin: "https://evil.example",
    });
    assert.equal(foreign.status, 403);
    assert.match((await foreign.json()).error, /Origin https:\/\/evil.example/);
    const allowed = await post({ authorization: `Bearer ${token}` });
    assert.equal(allowed.status, 200);
    assert.equal((await allowed.json()).result.serverInfo.name, "argus");
    // No session and no stream: GET is refused by the transport.
    const get = await fetch(`${served.url}/mcp`, {
      headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
    });
    await get.body?.cancel();
    assert.equal(get.status, 405);

    // The SDK's client with the token works end to end.
    const client = await connect(served.url, { authorization: `Bearer ${token}` });
    assert.deepEqual((await call(client, "list_services", { range: "1h" })).services, []);
    await client.close();
  } finally {
    await served.close();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("MCP: against a running Argus with the chaos simulation's data, the tools agree with the API", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-mcp-chaos-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "20ms" }, cwd);
  let client: Client | undefined;
  try {
    const run = await runSimulation([
      ...["--requests", "60", "--interval", "0", "--concurrency", "4", "--seed", "20261207"],
      ...["--latency-scale", "0.01", "--protocol", "http", "--argus-url", argus.baseUrl],
      ...["--otlp-endpoint", argus.otlpHttpUrl, "--metric-interval", "500"],
      ...["--order-port", "0", "--payment-port", "0", "--inventory-port", "0", "--json"],
    ], { cwd });
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as { failed: number };
    const api = async <T>(path: string): Promise<T> => {
      const response = await fetch(`${argus.baseUrl}${path}`);
      assert.equal(response.status, 200, path);
      return await response.json() as T;
    };
    client = await connect(argus.baseUrl);

    const map = await api<{ nodes: { name: string; requests: number; errors: number }[] }>(
      "/api/metrics/service-map?range=1h",
    );
    const { services } = await call(client, "list_services", {});
    assert.deepEqual(
      services.map((s: { name: string; requests: number; errors: number }) =>
        `${s.name} ${s.requests} ${s.errors}`
      ).sort(),
      map.nodes.map((n) => `${n.name} ${n.requests} ${n.errors}`).sort(),
    );
    assert.deepEqual(
      services.map((s: { name: string }) => s.name).sort(),
      ["inventory-service", "order-service", "payment-service"],
    );

    const failed = await call(client, "search_traces", { status: "error", limit: 100 });
    const apiFailed = await api<{ total: number; items: { trace_id: string }[] }>(
      "/api/traces?range=1h&status=error&limit=100",
    );
    assert.equal(failed.total, apiFailed.total);
    assert.ok(failed.total >= summary.failed && summary.failed > 0, JSON.stringify(summary));
    assert.deepEqual(
      failed.traces.map((t: { trace_id: string }) => t.trace_id),
      apiFailed.items.map((t) => t.trace_id),
    );

    // One failed order: its spans, its failed spans, and a critical path as long as the trace.
    const trace = await call(client, "get_trace", { trace_id: failed.traces[0].trace_id });
    const structure = await api<{ span_id: string[] }>(
      `/api/traces/${failed.traces[0].trace_id}/structure`,
    );
    assert.equal(trace.spans.length, structure.span_id.length);
    assert.ok(trace.error_spans.length > 0);
    const onPath = trace.critical_path.reduce(
      (sum: number, c: { self_ms: number }) => sum + c.self_ms,
      0,
    );
    assert.ok(Math.abs(onPath - trace.duration_ms) < 0.1 * trace.spans.length + 0.5, `${onPath}`);

    const errors = await call(client, "search_logs", { severity: "error", limit: 100 });
    const apiErrors = await api<{ total: number; items: { id: string }[] }>(
      "/api/logs?range=1h&severity=error&limit=100",
    );
    assert.equal(errors.total, apiErrors.total);
    assert.deepEqual(
      errors.logs.map((l: { id: string }) => l.id),
      apiErrors.items.map((l) => l.id),
    );
    assert.ok(errors.total > 0);
  } finally {
    await client?.close();
    await argus.stop();
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("depthFirst() and criticalPath() walk a structure without recursion", () => {
  // 0 root (0–100), 1 child (10–60), 2 child (50–90), 3 grandchild of 2 (55–95: clipped to 90).
  // c1 ends after c2 starts, so it did not hold c2 up: the root's own time covers 0–50.
  const s = {
    trace_id: "0".repeat(32),
    start_unix_nano: "0",
    duration_ns: 100,
    services: ["a"],
    names: ["n"],
    span_id: ["r", "c1", "c2", "g"],
    parent: [-1, 0, 0, 2],
    duplicate: [],
    service: [0, 0, 0, 0],
    name: [0, 0, 0, 0],
    start_ns: [0, 10, 50, 55],
    duration_ns_of: [100, 50, 40, 40],
    status: [0, 0, 0, 0],
    kind: [0, 0, 0, 0],
  } satisfies WireTraceStructure;
  assert.deepEqual(depthFirst(s).map((x) => `${x.index}@${x.depth}`), ["0@0", "1@1", "2@1", "3@2"]);
  assert.deepEqual(criticalPath(s).map((p) => `${s.span_id[p.index]} ${p.from}-${p.to}`), [
    "r 90-100",
    "g 55-90",
    "c2 50-55",
    "r 0-50",
  ]);
});
