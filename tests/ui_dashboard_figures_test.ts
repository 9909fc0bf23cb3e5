/**
 * Honest figures (issue 14, point 7 and part of 11), in headless Chromium against Argus fed
 * through OTLP/HTTP with a chaos-like trace set: order-service calls payment-service, which fails
 * in 4 orders of 10, and order-service's spans fail because of it; a gateway calls a catalog 1,000
 * times with one failure; and one trace whose child span starts before its parent (clock skew).
 *
 * The pages must show: failed requests = failed root spans, error spans counted apart, "where
 * errors start" naming payment-service (never order-service, which only passes errors on), the
 * failing service of each failed trace in the trace list, a call with 1 error in 1,000 not drawn
 * red on the map, the configuration on Settings, the ⚠ on a skewed span explained, and an HTML
 * 404 page for an unknown URL (tests/browser/scenarios/dashboard_figures.mjs).
 */
import assert from "node:assert/strict";
import { startArgus } from "./argus_process.ts";
import { runScenario } from "./browser.ts";
import { type JsonSpan, postJson, traceRequest } from "./otlp_payloads.ts";
import { hex, random } from "./builders.ts";

const MS = 1_000_000n;
const ERROR = { code: 2, message: "payment declined" };

interface Seeded {
  failedOrderIds: string[];
  catalogFailureId: string;
  skewedTraceId: string;
}

/** Sends the trace set, parents' services first (so calls pair at once); returns its ids. */
async function seed(otlpHttpUrl: string, nowMs: number): Promise<Seeded> {
  const rand = random(14);
  const bySevice = new Map<string, JsonSpan[]>();
  const add = (service: string, span: JsonSpan) => {
    const spans = bySevice.get(service) ?? [];
    spans.push(span);
    bySevice.set(service, spans);
    return span;
  };
  const span = (
    service: string,
    name: string,
    kind: number,
    parent: JsonSpan | undefined,
    startNs: bigint,
    durationMs: number,
    failed: boolean,
  ) =>
    add(service, {
      traceId: parent?.traceId ?? hex(rand, 32),
      spanId: hex(rand, 16),
      parentSpanId: parent?.spanId,
      name,
      kind,
      startTimeUnixNano: startNs.toString(),
      endTimeUnixNano: (startNs + BigInt(durationMs) * MS).toString(),
      ...(failed ? { status: ERROR } : {}),
    });
  // Everything within the last two minutes, so the 15-minute window holds it all.
  const t0 = BigInt(nowMs - 110_000) * MS;
  const failedOrderIds: string[] = [];
  for (let i = 0; i < 10; i++) {
    const failed = i % 3 === 0 && i < 10; // orders 0, 3, 6 and 9
    const start = t0 + BigInt(i) * 1_000n * MS;
    const root = span("order-service", "POST /orders", 2, undefined, start, 120, failed);
    const call = span("order-service", "POST", 3, root, start + 5n * MS, 100, failed);
    const pay = span("payment-service", "POST /pay", 2, call, start + 10n * MS, 80, failed);
    const reserve = span("payment-service", "POST", 3, pay, start + 15n * MS, 40, false);
    span("inventory-service", "POST /reserve", 2, reserve, start + 20n * MS, 30, false);
    if (failed) failedOrderIds.push(root.traceId);
  }
  let catalogFailureId = "";
  for (let i = 0; i < 1000; i++) {
    const start = t0 + BigInt(i) * 50n * MS;
    const root = span("gateway", "GET /products", 2, undefined, start, 20, false);
    const failed = i === 500;
    span("catalog", "GET /catalog", 2, root, start + 2n * MS, 10, failed);
    if (failed) catalogFailureId = root.traceId;
  }
  // A child that starts 20 ms before its parent: another host's clock.
  const skewStart = t0 + 30_000n * MS;
  const web = span("web", "GET /checkout", 2, undefined, skewStart, 200, false);
  span("cart", "GET /cart", 2, web, skewStart - 20n * MS, 50, false);
  for (const service of ["order-service", "payment-service", "inventory-service", "gateway"]) {
    const spans = bySevice.get(service)!;
    const status = (await postJson(otlpHttpUrl, "traces", traceRequest(spans, service))).status;
    assert.equal(status, 200, service);
  }
  for (const service of ["catalog", "web", "cart"]) {
    const spans = bySevice.get(service)!;
    const status = (await postJson(otlpHttpUrl, "traces", traceRequest(spans, service))).status;
    assert.equal(status, 200, service);
  }
  return { failedOrderIds, catalogFailureId, skewedTraceId: web.traceId };
}

interface Answer {
  cards: Record<string, { value: number; text: string; hint: string }>;
  origins: [string, number][];
  originsNote: string;
  topFailing: string[];
  trafficHint: string;
  errorServices: Record<string, string>;
  edgeColors: Record<string, string>;
  edgeLegend: string;
  settings: Record<string, string>;
  databaseBytes: number;
  skew: { title: string; note: string };
  notFound: { status: number; type: string; text: string; home: string };
}

Deno.test("the Dashboard counts failed requests and where errors start; the trace list, map, Settings, span panel and 404 say what they mean", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-ui-figures-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms", RETENTION: "3d" }, cwd);
  try {
    const seeded = await seed(argus.otlpHttpUrl, Date.now());
    // The calls are paired as their parents arrive; wait until the map holds both.
    for (let i = 0; i < 50; i++) {
      const map = await (await fetch(`${argus.baseUrl}/api/metrics/service-map?range=15m`)).json();
      if (map.edges.length >= 4) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const { answer, problems } = await runScenario<Answer>(
      "dashboard_figures",
      argus.baseUrl,
      { skewedTraceId: seeded.skewedTraceId },
    );
    // The only errors seen are the 404 the scenario asked for, and the console's note of it.
    assert.deepEqual(problems, [
      `HTTP 404: ${argus.baseUrl}/nope`,
      "console: Failed to load resource: the server responded with a status of 404 (Not Found)",
    ]);

    // Failed requests are the failed roots: 4 orders (the catalog's failure was the gateway's
    // child, and the gateway answered). Error spans count every failing span: 4 × 3 + 1.
    assert.equal(answer.cards["failed-requests"]!.value, 4);
    assert.match(answer.cards["failed-requests"]!.hint, /of traces: the root span failed/);
    assert.equal(answer.cards["error-spans"]!.value, 13);
    assert.equal(answer.cards["traces"]!.value, 1011);
    assert.match(answer.cards["p99-latency"]!.hint, /±19%/);
    // Where errors start: payment-service in the 4 orders, the catalog once; never order-service,
    // though it tops the failing requests (it passed the errors on).
    assert.deepEqual(answer.origins, [["payment-service", 4], ["catalog", 1]]);
    assert.match(answer.originsNote, /deepest failing service of each failed trace/);
    assert.equal(answer.topFailing[0], "order-service");
    assert.match(answer.trafficHint, /step in progress is not drawn/);

    // The trace list names where each failed trace's errors start.
    const expected: Record<string, string> = { [seeded.catalogFailureId]: "catalog" };
    for (const id of seeded.failedOrderIds) expected[id] = "payment-service";
    assert.deepEqual(answer.errorServices, expected);

    // The map: 1 error in 1,000 calls is grey, 4 in 10 is red; the legend says so.
    assert.equal(answer.edgeColors["gateway→catalog"], "#adb5bd");
    assert.equal(answer.edgeColors["order-service→payment-service"], "#e03131");
    assert.equal(answer.edgeColors["payment-service→inventory-service"], "#adb5bd");
    assert.match(answer.edgeLegend, /under 1% failed.*1–10% failed.*10% or more failed/);

    // Settings: retention, ports, the database and its size, tokens off.
    assert.match(answer.settings["retention"]!, /^3d/);
    const otlpPort = new URL(argus.otlpHttpUrl).port;
    assert.match(answer.settings["otlp-http"]!, new RegExp(`:${otlpPort}.*port ${otlpPort}`));
    assert.match(answer.settings["http"]!, new RegExp(`port ${new URL(argus.baseUrl).port}`));
    assert.match(answer.settings["otlp-grpc"]!, /GRPC_PORT/);
    assert.match(answer.settings["database"]!, /^SQLite/);
    assert.ok(answer.databaseBytes > 0, String(answer.databaseBytes));
    assert.match(answer.settings["api-token"]!, /^off/);
    assert.match(answer.settings["ingest-token"]!, /^off/);

    // The skewed span's ⚠ is explained, on the row and in the span panel.
    assert.match(answer.skew.title, /Starts before or ends after its parent/);
    assert.match(answer.skew.note, /starts 20(\.0)? ms before its parent/);
    assert.match(answer.skew.note, /clock skew/);

    // An unknown URL: a page in the layout, 404, with a way home.
    assert.equal(answer.notFound.status, 404);
    assert.match(answer.notFound.type, /^text\/html/);
    assert.match(answer.notFound.text, /Not found/);
    assert.equal(answer.notFound.home, "/");
    // An unknown API path keeps answering JSON.
    const api = await fetch(`${argus.baseUrl}/api/nope`);
    assert.equal(api.status, 404);
    assert.match(api.headers.get("content-type") ?? "", /^application\/json/);
    await api.body?.cancel();
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
