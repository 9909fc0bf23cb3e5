/**
 * The trace explorer in headless Chromium (tests/browser/scenarios/traces_*.mjs), against Argus
 * with data sent through the real OTLP/HTTP path: the shared call chains (tests/ui_data.ts), a
 * richer checkout trace with events, links and an error, a consumer trace linked to it, and a
 * 600-span batch trace. Also what the server renders before any JavaScript runs.
 */
import assert from "node:assert/strict";
import { type ArgusProcess, startArgus } from "./argus_process.ts";
import { runScenario } from "./browser.ts";
import { hex, random } from "./builders.ts";
import { type JsonSpan, logsRequest, postJson, stringAttribute } from "./otlp_payloads.ts";
import { seedChain } from "./ui_data.ts";

/** A span with the OTLP/JSON fields tests/otlp_payloads.ts leaves out. */
type RichSpan = JsonSpan & {
  events?: Array<{ timeUnixNano: string; name: string; attributes?: unknown[] }>;
  links?: Array<{ traceId: string; spanId: string; attributes?: unknown[] }>;
};

const intAttribute = (key: string, value: number) => ({ key, value: { intValue: String(value) } });

/** One service's spans as an export request, with the resource a real SDK would send. */
function exportRequest(
  service: string,
  spans: RichSpan[],
  scope = "@opentelemetry/instrumentation-http",
) {
  return {
    resourceSpans: [{
      resource: {
        attributes: [
          stringAttribute("service.name", service),
          stringAttribute("service.version", "2.3.1"),
          stringAttribute("deployment.environment", "demo"),
          stringAttribute("host.name", `${service}-7f9c4`),
          stringAttribute("telemetry.sdk.language", "nodejs"),
        ],
      },
      scopeSpans: [{ scope: { name: scope, version: "0.208.0" }, spans }],
    }],
  };
}

async function send(argus: ArgusProcess, service: string, spans: RichSpan[]) {
  const sent = await postJson(argus.otlpHttpUrl, "traces", exportRequest(service, spans));
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
}

interface Showcase {
  traceId: string;
  /** Span ids by a short name. */
  spans: Record<string, string>;
  /** Every span of the trace, parent first, as sent. */
  count: number;
  consumerTraceId: string;
}

/**
 * A checkout through five services, 20 s before `nowMs`: a card charge times out (an error
 * span with an exception event) and its retry succeeds; an order.created message is consumed in
 * another trace, which links back.
 */
async function seedShowcase(argus: ArgusProcess, nowMs = Date.now()): Promise<Showcase> {
  const rand = random(77);
  const traceId = hex(rand, 32);
  const t0 = BigInt(nowMs - 20_000) * 1_000_000n;
  const at = (ms: number) => (t0 + BigInt(Math.round(ms * 1000)) * 1000n).toString();
  const byService = new Map<string, RichSpan[]>();
  const ids: Record<string, string> = {};
  const add = (
    key: string,
    service: string,
    parent: string,
    name: string,
    kind: number,
    startMs: number,
    durationMs: number,
    extra: Partial<RichSpan> = {},
  ) => {
    const spanId = hex(rand, 16);
    ids[key] = spanId;
    const span: RichSpan = {
      traceId,
      spanId,
      parentSpanId: parent === "" ? "" : ids[parent]!,
      name,
      kind,
      startTimeUnixNano: at(startMs),
      endTimeUnixNano: at(startMs + durationMs),
      status: { code: 0 },
      ...extra,
    };
    if (!byService.has(service)) byService.set(service, []);
    byService.get(service)!.push(span);
  };
  const http = (method: string, route: string, status = 200) => [
    stringAttribute("http.request.method", method),
    stringAttribute("http.route", route),
    intAttribute("http.response.status_code", status),
  ];
  const sql = (statement: string) => [
    stringAttribute("db.system", "postgresql"),
    stringAttribute("db.namespace", "shop"),
    stringAttribute("db.query.text", statement),
  ];
  add("root", "web-frontend", "", "GET /checkout", 2, 0, 742, {
    attributes: [
      ...http("GET", "/checkout"),
      stringAttribute("user_agent.original", "Mozilla/5.0"),
    ],
  });
  add("fe-orders", "web-frontend", "root", "POST /orders", 3, 12, 700, {
    attributes: http("POST", "/orders"),
  });
  add("orders", "order-service", "fe-orders", "POST /orders", 2, 18, 690, {
    attributes: [...http("POST", "/orders"), stringAttribute("order.id", "ord-4711")],
  });
  add("customers", "order-service", "orders", "SELECT customers", 3, 25, 18, {
    attributes: sql("SELECT * FROM customers WHERE id = $1"),
  });
  add("validate", "order-service", "orders", "validate cart", 1, 45, 30, {
    attributes: [intAttribute("cart.items", 3)],
  });
  add("reserve-call", "order-service", "orders", "POST /reserve", 3, 80, 160, {
    attributes: http("POST", "/reserve"),
  });
  add("reserve", "inventory-service", "reserve-call", "POST /reserve", 2, 86, 150, {
    attributes: http("POST", "/reserve"),
  });
  add("redis", "inventory-service", "reserve", "GET stock:sku-42", 3, 92, 4, {
    attributes: [stringAttribute("db.system", "redis")],
  });
  add("stock", "inventory-service", "reserve", "UPDATE stock", 3, 100, 120, {
    attributes: sql("UPDATE stock SET reserved = reserved + $1 WHERE sku = $2"),
  });
  add("pay-call", "order-service", "orders", "POST /pay", 3, 250, 420, {
    attributes: http("POST", "/pay"),
  });
  add("pay", "payment-service", "pay-call", "POST /pay", 2, 256, 410, {
    attributes: http("POST", "/pay"),
  });
  add("charge", "payment-service", "pay", "charge card", 3, 262, 180, {
    attributes: [stringAttribute("payment.provider", "acme-pay"), intAttribute("attempt", 1)],
    status: { code: 2, message: "Gateway timeout after 180 ms" },
    events: [
      {
        timeUnixNano: at(262 + 0.4),
        name: "request sent",
        attributes: [intAttribute("http.request.body.size", 512)],
      },
      {
        timeUnixNano: at(262 + 180),
        name: "exception",
        attributes: [
          stringAttribute("exception.type", "TimeoutError"),
          stringAttribute("exception.message", "acme-pay did not answer within 180 ms"),
          stringAttribute(
            "exception.stacktrace",
            "TimeoutError: acme-pay did not answer\n    at charge (payment.ts:88)",
          ),
        ],
      },
    ],
  });
  add("retry", "payment-service", "pay", "charge card", 3, 450, 190, {
    attributes: [stringAttribute("payment.provider", "acme-pay"), intAttribute("attempt", 2)],
    links: [{ traceId, spanId: ids.charge!, attributes: [stringAttribute("link.kind", "retry")] }],
  });
  add("insert", "payment-service", "pay", "INSERT payments", 3, 645, 15, {
    attributes: sql("INSERT INTO payments (order_id, amount) VALUES ($1, $2)"),
  });
  add("publish", "order-service", "orders", "publish order.created", 4, 675, 8, {
    attributes: [
      stringAttribute("messaging.system", "kafka"),
      stringAttribute("messaging.destination.name", "orders"),
    ],
  });
  add("render", "web-frontend", "root", "render confirmation", 1, 715, 25);

  // The consumer's own trace, linked to the producer's span.
  const consumerTraceId = hex(rand, 32);
  const consumerId = hex(rand, 16);
  const consumer: RichSpan[] = [{
    traceId: consumerTraceId,
    spanId: consumerId,
    parentSpanId: "",
    name: "process order.created",
    kind: 5,
    startTimeUnixNano: at(760),
    endTimeUnixNano: at(800),
    links: [{ traceId, spanId: ids.publish! }],
  }, {
    traceId: consumerTraceId,
    spanId: hex(rand, 16),
    parentSpanId: consumerId,
    name: "send confirmation email",
    kind: 3,
    startTimeUnixNano: at(765),
    endTimeUnixNano: at(795),
  }];
  for (const [service, spans] of [...byService].reverse()) await send(argus, service, spans);
  await send(argus, "notification-service", consumer);
  const logged = await postJson(
    argus.otlpHttpUrl,
    "logs",
    logsRequest([
      {
        timeUnixNano: at(263),
        severityNumber: 13,
        severityText: "WARN",
        body: { stringValue: "acme-pay slow: retrying" },
        traceId,
        spanId: ids.charge!,
      },
      {
        timeUnixNano: at(660),
        severityNumber: 9,
        severityText: "INFO",
        body: { stringValue: "Payment captured for ord-4711" },
        traceId,
        spanId: ids.insert!,
      },
    ], "payment-service"),
  );
  assert.equal(logged.status, 200);
  return {
    traceId,
    spans: ids,
    count: [...byService.values()].reduce((sum, list) => sum + list.length, 0),
    consumerTraceId,
  };
}

/** A batch import of `batches × rows` writes plus the root and a commit, 40 s before `nowMs`. */
async function seedLargeTrace(
  argus: ArgusProcess,
  batches = 23,
  rows = 25,
  nowMs = Date.now(),
): Promise<{ traceId: string; count: number; lastSpanId: string }> {
  const rand = random(600);
  const traceId = hex(rand, 32);
  const t0 = BigInt(nowMs - 40_000) * 1_000_000n;
  const at = (us: number) => (t0 + BigInt(us) * 1000n).toString();
  const importer: RichSpan[] = [];
  const workers: RichSpan[] = [];
  const storage: RichSpan[] = [];
  const rootId = hex(rand, 16);
  const total = 1 + batches * (rows + 1) + 1;
  const end = batches * 120_000 + 50_000;
  importer.push({
    traceId,
    spanId: rootId,
    parentSpanId: "",
    name: "POST /import",
    kind: 2,
    startTimeUnixNano: at(0),
    endTimeUnixNano: at(end),
    attributes: [intAttribute("import.rows", batches * rows)],
  });
  for (let b = 0; b < batches; b++) {
    const batchId = hex(rand, 16);
    const start = 1000 + b * 120_000;
    workers.push({
      traceId,
      spanId: batchId,
      parentSpanId: rootId,
      name: `process batch ${b}`,
      kind: 1,
      startTimeUnixNano: at(start),
      endTimeUnixNano: at(start + 115_000),
      status: b === 7 ? { code: 2, message: "row 3 rejected" } : { code: 0 },
    });
    for (let r = 0; r < rows; r++) {
      storage.push({
        traceId,
        spanId: hex(rand, 16),
        parentSpanId: batchId,
        name: `write row ${b * rows + r}`,
        kind: 3,
        startTimeUnixNano: at(start + 1000 + r * 4500),
        endTimeUnixNano: at(start + 1000 + r * 4500 + 4000),
        attributes: [intAttribute("row", b * rows + r)],
        status: b === 7 && r === 3 ? { code: 2, message: "constraint violated" } : { code: 0 },
      });
    }
  }
  const lastSpanId = hex(rand, 16);
  importer.push({
    traceId,
    spanId: lastSpanId,
    parentSpanId: rootId,
    name: "commit",
    kind: 1,
    startTimeUnixNano: at(end - 45_000),
    endTimeUnixNano: at(end - 1000),
  });
  await send(argus, "storage-service", storage);
  await send(argus, "worker-service", workers);
  await send(argus, "import-service", importer);
  assert.equal(importer.length + workers.length + storage.length, total);
  return { traceId, count: total, lastSpanId };
}

Deno.test("the trace explorer lists, filters and opens traces, and shows their waterfalls", async (t) => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-ui-traces-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms" }, cwd);
  try {
    // One chain in four fails in inventory-service, one in seven (the fourth) in payment-service.
    const failAt = (i: number) =>
      i % 4 === 0
        ? "inventory-service" as const
        : i % 7 === 3
        ? "payment-service" as const
        : undefined;
    const chains = await seedChain(argus, { chains: 24, spreadMs: 200_000, failAt });
    const showcase = await seedShowcase(argus);
    const large = await seedLargeTrace(argus);
    const failing = chains.traceIds.filter((_, i) => failAt(i) !== undefined).length;

    await t.step(
      "the server renders the first page of traces, and refused filters in place",
      async () => {
        const html = await (await fetch(`${argus.baseUrl}/traces?status=error`)).text();
        // Failing chains, the showcase (its card charge failed) and the batch (a rejected row).
        assert.equal(html.match(/<tr[^>]*data-trace-id=/g)?.length, failing + 2);
        const none = await (await fetch(`${argus.baseUrl}/traces?start=0&end=60000`)).text();
        assert.match(none, /data-empty-state/);
        const unmatched = await (await fetch(`${argus.baseUrl}/traces?service=nobody`)).text();
        assert.match(unmatched, /data-no-match/);
        const bad = await fetch(`${argus.baseUrl}/traces?min_duration_ms=abc`);
        assert.equal(bad.status, 200);
        assert.match(
          await bad.text(),
          /Cannot use &#39;min_duration_ms&#39;|Cannot use 'min_duration_ms'/,
        );
      },
    );

    await t.step(
      "an unknown or malformed trace id renders a not-found page in the shell",
      async () => {
        for (
          const [id, status] of [["0123456789abcdef0123456789abcdef", 404], ["nope", 400]] as const
        ) {
          const response = await fetch(`${argus.baseUrl}/traces/${id}`);
          const html = await response.text();
          assert.equal(response.status, status);
          assert.match(html, /data-trace-not-found/);
          assert.match(html, /<title>Trace not found · Argus<\/title>/);
        }
      },
    );

    await t.step("the list: filters, sort, pages, the URL and the back button", async () => {
      const { problems } = await runScenario("traces_list", argus.baseUrl, {
        total: chains.traceIds.length + 3,
        failing: failing + 2,
        showcase: showcase.traceId,
      });
      assert.deepEqual(problems, []);
    });

    await t.step("the waterfall: nesting, collapse, details, logs links, ?span=", async () => {
      const { problems } = await runScenario("traces_view", argus.baseUrl, {
        chain: chains.traceIds[1],
        showcase,
      });
      assert.deepEqual(problems, []);
    });

    await t.step("a 600-span trace renders only the rows in view", async () => {
      const { problems, answer } = await runScenario<{ domRows: number }>(
        "traces_large",
        argus.baseUrl,
        large,
      );
      assert.deepEqual(problems, []);
      assert.ok(answer.domRows < 80, `${answer.domRows} rows in the DOM`);
    });
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
