/**
 * The chaos simulation end to end, in both instrumentation modes: `chaos/simulate.ts` (run as
 * `deno task simulate` runs it) drives the three services against an Argus on a temporary SQLite
 * file, and everything is checked through Argus's own HTTP API: the services, the service map's
 * requests, errors and calls, every trace whole and nested, every error log on its failing span.
 *
 * Expected figures. With N orders, the chaos of each service is an independent draw per order
 * (seeded, so a seed fails the same orders every time): order slows p_o = 0.3 of them; payment
 * reserves stock first (inventory fails p_i = 0.05 of reservations with a Database Lock) and then
 * fails p_p = 0.1 of the charges with a Gateway Timeout. So every order reaches all three services;
 * inventory fails ~Bin(N, p_i), payment and order fail ~Bin(N, 1 − (1 − p_i)(1 − p_p)) = 14.5%.
 * The run's own counts (from the services' answers) must equal Argus's figures exactly, and lie
 * within 4.5 standard deviations of these expectations (for a random seed, each check would fail
 * about once in 150,000 runs; the seed is fixed, so the outcome is too).
 *
 * Metrics: after the run, Argus's SQLite file holds the services' own instruments (`orders.placed`,
 * `payment.amount`, `payment.active_charges`, `inventory.stock_level`) and the HTTP server
 * durations (Deno's own in the `deno` mode, the SDK mode's by hand), whose last cumulative points
 * count exactly the orders the run answered. In the `grpc` run, the Metrics page charts them in
 * headless Chromium too (`checkMetricsPage`), before Argus stops.
 */
import assert from "node:assert/strict";
import { type ArgusProcess, startArgus } from "./argus_process.ts";
import {
  PAYMENT_AMOUNT_BUCKETS_EUR,
  type Protocol,
  SERVICES,
  type SimulationSummary,
} from "../chaos/mod.ts";
import { runSimulation } from "./chaos_process.ts";
import { runScenario } from "./browser.ts";
import { databaseConfig } from "./databases.ts";
import { openDatabase } from "../store/dialects/mod.ts";
import { listMetricInstruments, listMetricSeries, metricPoints } from "../store/metric_reads.ts";
import type { StoredMetricInstrument, StoredMetricPoint } from "../store/metric_columns.ts";

const ORDERS = 300;
const SEED = 20261126;
const P = {
  order: SERVICES.order.probability,
  payment: SERVICES.payment.probability,
  inventory: SERVICES.inventory.probability,
};
/**
 * Largest time by which a child span may seem to stick out of its parent (milliseconds). The JS
 * SDK starts spans at `Date.now()` (whole milliseconds) and measures durations with
 * `performance.now()`, so a child may seem to start up to 1 ms before its parent, or last 1 ms
 * longer. A step of the wall clock between the two starts moves the child's whole span by the
 * step (its end is its start plus a monotonic duration): seen up to 2.7 ms on this machine's
 * virtual clock, and once past 5 ms in a CI run. So the check is on the start and the duration,
 * which a forward step does not change, not on the end.
 */
const CLOCK_TOLERANCE_MS = 5;

interface WireSpan {
  span_id: string;
  parent_span_id: string;
  service_name: string;
  name: string;
  kind: string;
  status_code: string;
  status_message: string;
  start_time_unix_nano: string;
  end_time_unix_nano: string;
  attributes: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
}

interface WireLog {
  severity_number: number;
  body: string;
  service_name: string;
  trace_id: string;
  span_id: string;
}

async function api<T>(argus: ArgusProcess, path: string): Promise<T> {
  const response = await fetch(`${argus.baseUrl}${path}`);
  const text = await response.text();
  assert.equal(response.status, 200, `${path}: ${text}`);
  return JSON.parse(text) as T;
}

/** Asserts that `observed` successes of `trials` lie within 4.5 σ of probability `p`. */
function assertBinomial(what: string, observed: number, trials: number, p: number) {
  const mean = trials * p;
  const bound = 4.5 * Math.sqrt(trials * p * (1 - p)) + 1;
  assert.ok(
    Math.abs(observed - mean) <= bound,
    `${what}: ${observed} of ${trials}, expected ${mean.toFixed(1)} ± ${bound.toFixed(1)}`,
  );
}

async function waitFor<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean) {
  const deadline = Date.now() + 20_000;
  let value = await read();
  while (!done(value)) {
    if (Date.now() > deadline) assert.fail(`${what}: still ${JSON.stringify(value)} after 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

function ns(text: string): bigint {
  return BigInt(text);
}

/** Checks one order's trace: the spans each service must have made, nested in tree and time. */
function checkTrace(
  order: SimulationSummary["orders"][number],
  spans: WireSpan[],
  protocol: Protocol,
): void {
  const where = `order ${order.order_id}, trace ${order.trace_id}`;
  const locked = order.failed_service === "inventory-service";
  const timedOut = order.failed_service === "payment-service";
  const find = (service: string, kind: string, name: string) => {
    const found = spans.filter((s) =>
      s.service_name === service && s.kind === kind && s.name === name
    );
    assert.equal(found.length, 1, `${where}: one ${kind} span ${name} of ${service}`);
    return found[0]!;
  };
  const orderServer = find("order-service", "server", "POST /orders");
  const orderClient = find("order-service", "client", "POST");
  const paymentServer = find("payment-service", "server", "POST /payments");
  const paymentClient = find("payment-service", "client", "POST");
  const inventoryServer = find("inventory-service", "server", "POST /reservations");
  const reserve = find("inventory-service", "internal", "reserve stock");
  const expected = [
    orderServer,
    orderClient,
    paymentServer,
    paymentClient,
    inventoryServer,
    reserve,
  ];
  if (!locked) expected.push(find("payment-service", "internal", "charge card"));
  assert.equal(spans.length, expected.length, `${where}: no other span`);

  const parentOf = new Map([
    [orderClient, orderServer],
    [paymentServer, orderClient],
    [paymentClient, paymentServer],
    [inventoryServer, paymentClient],
    [reserve, inventoryServer],
  ]);
  if (!locked) parentOf.set(expected[6]!, paymentServer);
  assert.equal(orderServer.parent_span_id, "", `${where}: the order service starts the trace`);
  const tolerance = BigInt(CLOCK_TOLERANCE_MS * 1_000_000);
  const ms = (value: bigint) => (Number(value) / 1e6).toFixed(3);
  for (const [child, parent] of parentOf) {
    assert.equal(child.parent_span_id, parent.span_id, `${where}: parent of ${child.name}`);
    const startsAfter = ns(child.start_time_unix_nano) - ns(parent.start_time_unix_nano);
    const duration = (span: WireSpan) =>
      ns(span.end_time_unix_nano) - ns(span.start_time_unix_nano);
    const longer = duration(child) - duration(parent);
    assert.ok(
      startsAfter >= -tolerance && longer <= tolerance,
      `${where}: ${child.service_name} ${child.name} lies within ${parent.name} in time ` +
        `(starts ${ms(startsAfter)} ms after it, lasts ${ms(longer)} ms longer)`,
    );
  }

  // HTTP semantic conventions. Deno's instrumentation sends the status code as a string, the SDK
  // as an int (which the conventions ask for); both are compared as text.
  const status = (span: WireSpan) => String(span.attributes["http.response.status_code"]);
  const serverStatus = [
    [orderServer, order.status, "/orders"],
    [paymentServer, locked ? 502 : timedOut ? 500 : 200, "/payments"],
    [inventoryServer, locked ? 500 : 200, "/reservations"],
  ] as const;
  for (const [span, code, route] of serverStatus) {
    assert.equal(span.attributes["http.request.method"], "POST", where);
    assert.equal(status(span), String(code), `${where}: ${span.name} status`);
    assert.equal(span.attributes["url.path"], route, where);
    assert.equal(span.attributes["http.route"], route, where);
    assert.equal(span.attributes["server.address"], "127.0.0.1", where);
    assert.equal(span.attributes["order.id"], order.order_id, where);
    assert.equal(span.status_code, code >= 500 ? "error" : "unset", `${where}: ${span.name}`);
    if (code >= 500) assert.equal(span.attributes["error.type"], String(code), where);
  }
  assert.equal(status(orderClient), status(paymentServer), `${where}: what the order service saw`);
  assert.equal(status(paymentClient), status(inventoryServer), `${where}: what payment saw`);
  if (protocol === "grpc") {
    // Deno's own fetch spans carry no server.address; the SDK's follow the conventions.
    assert.equal(orderClient.attributes["server.address"], "127.0.0.1", where);
    assert.equal(typeof orderClient.attributes["server.port"], "number", where);
  }
  assert.equal(reserve.status_code, locked ? "error" : "unset", `${where}: reserve stock`);
  if (locked) {
    assert.equal(reserve.status_message, "Database Lock", where);
    assert.equal(reserve.attributes["error.type"], "database_lock", where);
    assert.equal(reserve.events[0]?.attributes["exception.type"], "DatabaseLockError", where);
    assert.equal(inventoryServer.status_message, "Database Lock", where);
  } else {
    const charge = expected[6]!;
    assert.equal(charge.status_code, timedOut ? "error" : "unset", `${where}: charge card`);
    if (timedOut) {
      assert.equal(charge.status_message, "Gateway Timeout", where);
      assert.equal(charge.attributes["error.type"], "gateway_timeout", where);
      assert.equal(paymentServer.status_message, "Gateway Timeout", where);
    }
  }
  assert.equal(
    orderServer.attributes["chaos.injected_latency_ms"],
    order.injected_latency_ms > 0 ? order.injected_latency_ms : undefined,
    `${where}: the injected latency is on the order's span`,
  );
}

async function checkArgus(argus: ArgusProcess, summary: SimulationSummary, protocol: Protocol) {
  const n = summary.total;
  const locks = summary.failures["inventory-service: Database Lock"] ?? 0;
  const timeouts = summary.failures["payment-service: Gateway Timeout"] ?? 0;

  // Every span and log stored: 7 spans per order, but no "charge card" after a database lock;
  // 3 logs per order (one per service), a warning per slowed order, and each service's "listening"
  // and "stopping" lines. The services flushed them all before the simulation ended.
  const expected = {
    total_traces: n,
    total_spans: 7 * n - locks,
    total_logs: 3 * n + summary.slowed + 6,
    // Spans with status ERROR: a database lock fails six spans (every span but "charge card",
    // which it prevents), a gateway timeout four (the client and server spans above the charge).
    total_errors: 6 * locks + 4 * timeouts,
    active_services: 3,
  };
  const stats = await waitFor(
    "spans and logs stored",
    () => api<typeof expected>(argus, "/api/stats?range=1h"),
    (s) => s.total_spans >= expected.total_spans && s.total_logs >= expected.total_logs,
  );
  assert.deepEqual(
    Object.fromEntries(Object.keys(expected).map((key) => [key, stats[key as keyof typeof stats]])),
    expected,
  );

  assert.deepEqual(
    (await api<{ services: string[] }>(argus, "/api/metadata/services?range=1h")).services,
    ["inventory-service", "order-service", "payment-service"],
  );

  const map = await api<{
    nodes: { name: string; requests: number; errors: number }[];
    edges: { source: string; target: string; calls: number; errors: number }[];
  }>(argus, "/api/metrics/service-map?range=1h");
  assert.deepEqual(map.nodes.map(({ name, requests, errors }) => ({ name, requests, errors })), [
    { name: "inventory-service", requests: n, errors: locks },
    { name: "order-service", requests: n, errors: summary.failed },
    { name: "payment-service", requests: n, errors: summary.failed },
  ]);
  assert.deepEqual(
    map.edges.map(({ source, target, calls, errors }) => ({ source, target, calls, errors })).sort(
      (a, b) => a.source.localeCompare(b.source),
    ),
    [
      { source: "order-service", target: "payment-service", calls: n, errors: summary.failed },
      { source: "payment-service", target: "inventory-service", calls: n, errors: locks },
    ],
  );

  const dashboard = await api<{ total_traces: number; total_errors: number }>(
    argus,
    "/api/metrics/dashboard?range=1h",
  );
  assert.equal(dashboard.total_traces, n);
  assert.equal(dashboard.total_errors, 2 * summary.failed + locks, "failed requests, all services");

  // Every trace whole: the trace list has one per order, and each has the spans it should.
  const list = await api<{ total: number; items: { trace_id: string; services: string[] }[] }>(
    argus,
    "/api/traces?range=1h&limit=1000",
  );
  assert.equal(list.total, n);
  const traceIds = new Set(summary.orders.map((o) => o.trace_id));
  assert.equal(traceIds.size, n, "one trace per order");
  assert.deepEqual(new Set(list.items.map((t) => t.trace_id)), traceIds);
  const spansByTrace = new Map<string, WireSpan[]>();
  for (const order of summary.orders) {
    const trace = await api<{ spans: WireSpan[] }>(argus, `/api/traces/${order.trace_id}`);
    checkTrace(order, trace.spans, protocol);
    spansByTrace.set(order.trace_id, trace.spans);
  }

  // Logs: each failure is logged as an error by every service it crossed, on the failing span;
  // each slowed order as a warning on the order's span.
  const logs = await api<{ total: number; items: WireLog[] }>(
    argus,
    "/api/logs?range=1h&severity=warn&limit=1000",
  );
  assert.ok(logs.total <= 1000);
  const errors = logs.items.filter((l) => l.severity_number >= 17);
  const warnings = logs.items.filter((l) => l.severity_number < 17);
  assert.equal(errors.length, 2 * summary.failed + locks, "error logs");
  assert.equal(warnings.length, summary.slowed, "warnings: one per slowed order");
  const orderOfTrace = new Map(summary.orders.map((o) => [o.trace_id, o]));
  for (const log of logs.items) {
    const order = orderOfTrace.get(log.trace_id);
    assert.ok(order, `log ${JSON.stringify(log.body)} belongs to an order's trace`);
    assert.match(log.body, new RegExp(order.order_id));
    const span = spansByTrace.get(log.trace_id)!.find((s) => s.span_id === log.span_id);
    assert.ok(span, `log ${JSON.stringify(log.body)} is linked to a span of its trace`);
    assert.equal(span.service_name, log.service_name);
    if (log.severity_number >= 17) {
      assert.equal(
        span.status_code,
        "error",
        `error log ${JSON.stringify(log.body)} on a failed span`,
      );
    } else {
      assert.equal(span.name, "POST /orders", "the warning is on the order's span");
    }
  }

  // Every log line reads as the service wrote it: Deno 2.9.6's exporter turns some non-ASCII
  // characters into U+FFFD, which the services therefore do not write (chaos/README.md).
  const all = await api<{ items: WireLog[] }>(argus, "/api/logs?range=1h&limit=1000");
  const replaced = all.items.filter((l) =>
    JSON.stringify(l.body).includes("\uFFFD") || String(l.body).includes("\uFFFD")
  );
  assert.deepEqual(replaced.map((l) => l.body), [], "no U+FFFD in the demo's logs");
  assert.ok(
    all.items.some((l) => /^Reserved \d+ x SKU-/.test(String(l.body).trim())),
    "a reservation's log",
  );
}

/**
 * The metric charts Argus draws from the run (GET /api/instruments/{key}/chart), one of each kind:
 * a counter by outcome, histograms, a gauge by SKU, an up-down counter (drawn as a gauge).
 */
async function checkMetricCharts(argus: ArgusProcess) {
  const charts = [
    ["order-service", "orders.placed", "counter", "outcome"],
    ["payment-service", "payment.amount", "histogram", "outcome"],
    ["payment-service", "payment.active_charges", "gauge", undefined],
    ["inventory-service", "inventory.stock_level", "gauge", "sku"],
    ["order-service", "http.server.request.duration", "histogram", "http.response.status_code"],
  ] as const;
  for (const [service, name, shape, groupBy] of charts) {
    const { instruments } = await api<{ instruments: { key: string; name: string }[] }>(
      argus,
      `/api/instruments?range=1h&service=${service}&q=${encodeURIComponent(name)}`,
    );
    const instrument = instruments.find((i) => i.name === name);
    assert.ok(instrument, `${service} ${name} is listed`);
    const chart = await api<{ shape: string; groups: { values: (number | null)[] }[] }>(
      argus,
      `/api/instruments/${instrument.key}/chart?range=1h` +
        (groupBy === undefined ? "" : `&group_by=${encodeURIComponent(groupBy)}`),
    );
    assert.equal(chart.shape, shape, name);
    assert.ok(chart.groups.length >= 1, `${name}: a group`);
    assert.ok(
      chart.groups.some((g) => g.values.some((v) => v !== null)),
      `${name}: a value to draw`,
    );
  }
}

/**
 * The Metrics page in headless Chromium on the run's metrics (tests/browser/scenarios/
 * metrics_chaos.mjs), over an absolute window around the run (its metrics then have steps of
 * 1 s): every instrument of each service charted in its shape, orders.placed grouped by the
 * outcomes the run answered, attribute filters narrowing charts, the Dashboard's and the Service
 * Map's links to a service's metrics; no console error, no failed request, no axe violation.
 */
async function checkMetricsPage(
  argus: ArgusProcess,
  summary: SimulationSummary,
  runStart: number,
  runEnd: number,
) {
  const outcomes = ["confirmed"];
  if ((summary.failures["inventory-service: Database Lock"] ?? 0) > 0) {
    outcomes.push("inventory_failed");
  }
  if ((summary.failures["payment-service: Gateway Timeout"] ?? 0) > 0) {
    outcomes.push("payment_failed");
  }
  const { answer, problems } = await runScenario<{ violations: string[] }>(
    "metrics_chaos",
    argus.baseUrl,
    {
      start: runStart - 1_000,
      end: runEnd + 1_000,
      outcomes,
      screenshot: "docs/screenshots/metrics-chaos.png",
    },
  );
  assert.deepEqual(problems, []);
  assert.deepEqual(answer.violations, []);
}

const ALL_TIME = { fromNs: 1n, toNs: 1n << 62n };

/** The last point (by time) of each series of `instrument`, keyed by the series' attributes. */
async function lastPoints(
  dbFile: string,
  cwd: string,
  instrument: StoredMetricInstrument,
): Promise<Map<string, StoredMetricPoint>> {
  const { db, capabilities } = openDatabase(databaseConfig("sqlite", dbFile), cwd, () => {});
  try {
    const series = await listMetricSeries(db, capabilities, instrument.key, { limit: 1000 });
    const points = await metricPoints(db, capabilities, series.map((s) => s.seriesKey), ALL_TIME);
    const last = new Map<string, StoredMetricPoint>();
    for (const one of series) {
      const found = points.find((p) => p.seriesKey === one.seriesKey)?.points.at(-1);
      assert.ok(found, `${instrument.name}: series ${one.attributes} has points`);
      last.set(one.attributes, found);
    }
    return last;
  } finally {
    await db.destroy();
  }
}

function numberOf(point: StoredMetricPoint): number {
  const { value } = point;
  if (value.kind === "int") return Number(value.value);
  if (value.kind === "double") return value.value;
  assert.fail(`a number point: ${JSON.stringify(value.kind)}`);
}

function histogramOf(point: StoredMetricPoint) {
  const { value } = point;
  assert.equal(value.kind, "histogram");
  return value;
}

/**
 * The metrics the run's services sent, read from Argus's SQLite file once Argus has stopped: every
 * chart kind (a monotonic counter, histograms, a gauge, an up-down counter), with the figures the
 * run's own answers give.
 */
async function checkMetrics(
  dbFile: string,
  cwd: string,
  summary: SimulationSummary,
  protocol: Protocol,
) {
  const n = summary.total;
  const locks = summary.failures["inventory-service: Database Lock"] ?? 0;
  const timeouts = summary.failures["payment-service: Gateway Timeout"] ?? 0;
  const { db, capabilities } = openDatabase(databaseConfig("sqlite", dbFile), cwd, () => {});
  let instruments: StoredMetricInstrument[];
  try {
    instruments = await listMetricInstruments(db, capabilities, { limit: 1000 });
  } finally {
    await db.destroy();
  }
  const find = (service: string, name: string) => {
    const found = instruments.filter((i) => i.serviceName === service && i.name === name);
    assert.equal(
      found.length,
      1,
      `one instrument ${name} of ${service}: ${
        JSON.stringify(instruments.map((i) => `${i.serviceName} ${i.name}`))
      }`,
    );
    return found[0]!;
  };
  const shape = (i: StoredMetricInstrument) => ({
    type: i.type,
    temporality: i.temporality,
    monotonic: i.monotonic,
    unit: i.unit,
    scopeName: i.scopeName,
  });

  const placed = find("order-service", "orders.placed");
  assert.deepEqual(shape(placed), {
    type: "sum",
    temporality: "cumulative",
    monotonic: true,
    unit: "{order}",
    scopeName: "order-service",
  });
  const byOutcome = Object.fromEntries(
    [...await lastPoints(dbFile, cwd, placed)].map(([attributes, point]) => [
      JSON.parse(attributes).outcome,
      numberOf(point),
    ]),
  );
  const expectedOutcomes: Record<string, number> = { confirmed: summary.success };
  if (locks > 0) expectedOutcomes.inventory_failed = locks;
  if (timeouts > 0) expectedOutcomes.payment_failed = timeouts;
  assert.deepEqual(byOutcome, expectedOutcomes, "orders.placed counts every answered order");

  const amount = find("payment-service", "payment.amount");
  assert.deepEqual(shape(amount), {
    type: "histogram",
    temporality: "cumulative",
    monotonic: false,
    unit: "{EUR}",
    scopeName: "payment-service",
  });
  const charges: Record<string, number> = {};
  for (const [attributes, point] of await lastPoints(dbFile, cwd, amount)) {
    const histogram = histogramOf(point);
    assert.deepEqual(histogram.explicitBounds, PAYMENT_AMOUNT_BUCKETS_EUR);
    assert.equal(histogram.bucketCounts.reduce((a, b) => a + b, 0), histogram.count);
    assert.ok(histogram.min! >= 5 && histogram.max! <= 285, JSON.stringify(histogram));
    charges[JSON.parse(attributes).outcome] = histogram.count;
  }
  const expectedCharges: Record<string, number> = { captured: summary.success };
  if (timeouts > 0) expectedCharges.declined = timeouts;
  assert.deepEqual(charges, expectedCharges, "payment.amount: one observation per charge");

  const active = find("payment-service", "payment.active_charges");
  assert.deepEqual(shape(active), {
    type: "sum",
    temporality: "cumulative",
    monotonic: false,
    unit: "{charge}",
    scopeName: "payment-service",
  });
  assert.deepEqual(
    [...(await lastPoints(dbFile, cwd, active)).values()].map(numberOf),
    [0],
    "no charge in progress at the end",
  );

  const stock = find("inventory-service", "inventory.stock_level");
  assert.deepEqual(shape(stock), {
    type: "gauge",
    temporality: "none",
    monotonic: false,
    unit: "{item}",
    scopeName: "inventory-service",
  });
  const levels = await lastPoints(dbFile, cwd, stock);
  // 49 SKUs (chaos/_load.ts); 300 orders reach nearly all of them.
  assert.ok(levels.size >= 30 && levels.size <= 49, `stock levels of ${levels.size} SKUs`);
  for (const [attributes, point] of levels) {
    assert.match(JSON.parse(attributes).sku, /^SKU-\d+$/);
    const level = numberOf(point);
    assert.ok(Number.isInteger(level) && level >= 0 && level < 200, `${attributes}: ${level}`);
  }

  // Every request each service served, in its HTTP server duration histogram: Deno's own in the
  // `deno` mode, the SDK mode's (made the same way) otherwise.
  for (const service of ["order-service", "payment-service", "inventory-service"]) {
    const duration = find(service, "http.server.request.duration");
    assert.equal(duration.type, "histogram");
    assert.equal(duration.unit, "s");
    let count = 0;
    for (const point of (await lastPoints(dbFile, cwd, duration)).values()) {
      count += histogramOf(point).count;
    }
    assert.equal(count, n, `${service}: http.server.request.duration counts every request`);
  }
  if (protocol === "http") {
    // Deno's runtime metrics come along.
    find("order-service", "v8js.memory.heap.size");
  } else {
    find("order-service", "http.client.request.duration");
  }
}

for (const protocol of ["http", "grpc"] as const) {
  Deno.test(`deno task simulate --protocol ${protocol}: Argus shows every order, trace, error, log and metric the simulation made`, async () => {
    const cwd = await Deno.makeTempDir({ prefix: "argus-chaos-" });
    let argus: ArgusProcess | undefined;
    let stopped = false;
    try {
      argus = await startArgus({ FLUSH_INTERVAL: "20ms" }, cwd);
      const runStart = Date.now();
      const run = await runSimulation([
        "--requests",
        String(ORDERS),
        "--interval",
        "0",
        "--concurrency",
        "8",
        "--seed",
        String(SEED),
        "--latency-scale",
        "0.01",
        "--protocol",
        protocol,
        "--argus-url",
        argus.baseUrl,
        "--otlp-endpoint",
        protocol === "http" ? argus.otlpHttpUrl : `http://${argus.grpcAddress}`,
        // The shortest interval: Deno observes its runtime gauges (v8js.memory.*) only at a
        // periodic export, none at exit, and a service of this fast run can end before its first
        // at 500 ms (CI saw order-service's heap size missing once).
        "--metric-interval",
        "100",
        "--order-port",
        "0",
        "--payment-port",
        "0",
        "--inventory-port",
        "0",
        "--json",
      ], { cwd });
      const runEnd = Date.now();
      assert.equal(run.code, 0, run.stderr);
      const summary = JSON.parse(run.stdout) as SimulationSummary;

      assert.equal(summary.total, ORDERS);
      assert.equal(summary.seed, SEED);
      assert.equal(summary.success + summary.failed, ORDERS);
      const locks = summary.failures["inventory-service: Database Lock"] ?? 0;
      const timeouts = summary.failures["payment-service: Gateway Timeout"] ?? 0;
      assert.equal(locks + timeouts, summary.failed, JSON.stringify(summary.failures));
      assertBinomial("inventory Database Locks", locks, ORDERS, P.inventory);
      assertBinomial("payment Gateway Timeouts", timeouts, ORDERS - locks, P.payment);
      assertBinomial(
        "failed orders",
        summary.failed,
        ORDERS,
        1 - (1 - P.inventory) * (1 - P.payment),
      );
      assertBinomial("slowed orders", summary.slowed, ORDERS, P.order);
      assert.equal(summary.error_rate, Math.round(summary.failed / ORDERS * 10_000) / 10_000);
      assert.ok(summary.latency_ms.p50 <= summary.latency_ms.p99);

      await checkArgus(argus, summary, protocol);
      await checkMetricCharts(argus);
      if (protocol === "grpc") await checkMetricsPage(argus, summary, runStart, runEnd);
      assert.doesNotMatch(argus.log(), / ERROR /);
      // Nothing of the run is left in its working folder.
      assert.deepEqual([...Deno.readDirSync(cwd)].map((e) => e.name).sort(), ["data"]);

      // Stopped, so that every metric batch it acknowledged is in the file.
      stopped = true;
      assert.equal(await argus.stop(), 0);
      await checkMetrics(`${cwd}/data/argus.db`, cwd, summary, protocol);
    } finally {
      if (argus && !stopped) assert.equal(await argus.stop(), 0);
      await Deno.remove(cwd, { recursive: true });
    }
  });
}
