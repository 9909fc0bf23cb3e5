/**
 * The AI insight tests' records, spans and harness: an app over an in-memory SQLite store holding
 * them, with AI on against a fake provider (tests/fixtures/fake_azure_openai.ts).
 *
 * @module
 */
import assert from "node:assert/strict";
import { type Config, parseConfig } from "../lib/config.ts";
import { createLogger } from "../lib/logger.ts";
import { testApp } from "./app.ts";
import { insightService } from "../routes/insight.ts";
import {
  createStore,
  type LogRow,
  type ResourceRow,
  type SpanRow,
  type Store,
} from "../store/mod.ts";
import { BASE_TIME_NS, buildLog, buildResource, buildSpan } from "./builders.ts";
import { databaseConfig } from "./databases.ts";
import {
  jsonSpans,
  logsRequest,
  postJson,
  stringAttribute,
  traceRequest,
} from "./otlp_payloads.ts";
import {
  type FakeAzureOpenAi,
  type FakeOptions,
  type RecordedRequest,
  startFakeAzureOpenAi,
} from "./fixtures/fake_azure_openai.ts";

export const API_KEY = "test-key-5f3a9c0e1d";
export const DEPLOYMENT = "argus-gpt";
export const API_VERSION = "2024-10-21";

export const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
export const ROOT_SPAN = "00f067aa0ba902b7";
export const CLIENT_SPAN = "b7ad6b7169203331";
export const PAYMENT_SPAN = "e457b5a2e4d86bd1";
export const OTHER_TRACE_SPANS = 3;

/** The record explained in most tests, and what should reach the prompt with it. */
export const checkout = buildResource("checkout");
export const payment = buildResource("payment-service");
export const ANCHOR = buildLog(checkout, {
  timeUnixNano: BASE_TIME_NS + 30_000_000_000n,
  severityNumber: 17,
  severityText: "ERROR",
  body: "payment call failed: Gateway Timeout after 3 retries",
  traceId: TRACE_ID,
  spanId: CLIENT_SPAN,
  attributes: JSON.stringify({ "order.id": "o-4242", "http.response.status_code": 504 }),
});
export const BEFORE = buildLog(checkout, {
  timeUnixNano: BASE_TIME_NS + 20_000_000_000n,
  severityNumber: 13,
  severityText: "WARN",
  body: "retrying payment call (attempt 3)",
  traceId: TRACE_ID,
  spanId: CLIENT_SPAN,
});
export const AFTER = buildLog(checkout, {
  timeUnixNano: BASE_TIME_NS + 45_000_000_000n,
  severityNumber: 9,
  severityText: "INFO",
  body: "order o-4242 marked failed",
  traceId: "",
  spanId: "",
});
/** Outside the minute around the anchor, and of another service: neither is context. */
export const FAR = buildLog(checkout, {
  timeUnixNano: BASE_TIME_NS + 150_000_000_000n,
  body: "unrelated nightly report",
});
export const OTHER_SERVICE = buildLog(payment, {
  timeUnixNano: BASE_TIME_NS + 31_000_000_000n,
  body: "payment-service own record",
});
export const NO_TRACE = buildLog(checkout, {
  timeUnixNano: BASE_TIME_NS + 200_000_000_000n,
  body: "cache warmed",
  traceId: "",
  spanId: "",
});

export const SPANS = [
  buildSpan(checkout, {
    traceId: TRACE_ID,
    spanId: ROOT_SPAN,
    name: "POST /checkout",
    kind: 2,
    startTimeUnixNano: BASE_TIME_NS + 29_000_000_000n,
    endTimeUnixNano: BASE_TIME_NS + 31_000_000_000n,
    statusCode: 2,
  }),
  buildSpan(checkout, {
    traceId: TRACE_ID,
    spanId: CLIENT_SPAN,
    parentSpanId: ROOT_SPAN,
    name: "POST payment-service/pay",
    kind: 3,
    startTimeUnixNano: BASE_TIME_NS + 29_100_000_000n,
    endTimeUnixNano: BASE_TIME_NS + 30_900_000_000n,
    statusCode: 2,
    statusMessage: "Gateway Timeout",
  }),
  buildSpan(payment, {
    traceId: TRACE_ID,
    spanId: PAYMENT_SPAN,
    parentSpanId: CLIENT_SPAN,
    name: "POST /pay",
    kind: 2,
    startTimeUnixNano: BASE_TIME_NS + 29_200_000_000n,
    endTimeUnixNano: BASE_TIME_NS + 30_800_000_000n,
    statusCode: 2,
    statusMessage: "upstream bank timed out",
    events: JSON.stringify([{
      timeUnixNano: (BASE_TIME_NS + 30_700_000_000n).toString(),
      name: "exception",
      attributes: { "exception.type": "TimeoutError", "exception.message": "bank did not answer" },
      droppedAttributesCount: 0,
    }]),
  }),
];

export interface Harness {
  store: Store;
  fake: FakeAzureOpenAi;
  get(path: string): Promise<{ status: number; body: Record<string, unknown> }>;
  /** The app's raw answer (a stream's, say). */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Every line the app logged. */
  logs: string[];
}

/** An app over an in-memory SQLite store holding the records above, AI on against the fake. */
export async function withInsight(
  env: Record<string, string> | ((fake: FakeAzureOpenAi) => Record<string, string>),
  test: (h: Harness) => Promise<void>,
  fakeOptions: Partial<FakeOptions> = {},
  extra: { resources?: ResourceRow[]; spans?: SpanRow[]; logs?: LogRow[] } = {},
): Promise<void> {
  const fake = startFakeAzureOpenAi({
    apiKey: API_KEY,
    deployment: DEPLOYMENT,
    apiVersion: API_VERSION,
    ...fakeOptions,
  });
  const dataDir = await Deno.makeTempDir({ prefix: "argus-ai-" });
  const store = await createStore(databaseConfig("sqlite", ":memory:"), { dataDir });
  try {
    await store.migrate();
    const written = await store.write({
      resources: [checkout, payment, ...(extra.resources ?? [])],
      spans: [...SPANS, ...(extra.spans ?? [])],
      logs: [ANCHOR, BEFORE, AFTER, FAR, OTHER_SERVICE, NO_TRACE, ...(extra.logs ?? [])],
    });
    assert.equal(
      written.logs.inserted,
      6 + (extra.logs?.length ?? 0),
      JSON.stringify(written.logs).slice(0, 600),
    );
    const config = aiConfig({
      AZURE_OPENAI_ENDPOINT: fake.url,
      ...(typeof env === "function" ? env(fake) : env),
    });
    const logs: string[] = [];
    const logger = createLogger("debug", (_level, line) => logs.push(line));
    const app = testApp(store, {
      logger,
      queryTimeoutMs: config.queryTimeoutMs,
      insight: insightService(config.ai, { store, logger }),
    });
    const get = async (path: string) => {
      const response = await app(new Request(`http://argus${path}`));
      assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
      return { status: response.status, body: await response.json() };
    };
    const request = (path: string, init?: RequestInit) =>
      app(new Request(`http://argus${path}`, init));
    await test({ store, fake, get, request, logs });
  } finally {
    await store.close();
    await fake.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

export function aiConfig(env: Record<string, string>): Config {
  const parsed = parseConfig({
    AI_ENABLED: "true",
    AZURE_OPENAI_API_KEY: API_KEY,
    AZURE_OPENAI_DEPLOYMENT: DEPLOYMENT,
    AZURE_OPENAI_API_VERSION: API_VERSION,
    ...env,
  });
  if (!parsed.ok) throw new Error(parsed.errors.join("; "));
  return parsed.config;
}

export function messagesOf(request: RecordedRequest): { role: string; content: string }[] {
  return (request.body as { messages: { role: string; content: string }[] }).messages;
}

export const insightPath = (id: string) => `/api/logs/${id}/insight`;
export const bytes = (text: string) => new TextEncoder().encode(text).length;

/** AI_PROVIDER=openai against the fake as an OpenAI-style API, with `key` ("" for none). */
export const openAi = (key: string) => (fake: FakeAzureOpenAi): Record<string, string> => ({
  AI_PROVIDER: "openai",
  AI_BASE_URL: `${fake.url}/v1/`,
  AI_MODEL: DEPLOYMENT,
  ...(key === "" ? {} : { AI_API_KEY: key }),
});

/** The failed trace and its ERROR record that the process tests send over OTLP/HTTP. */
export const INVENTORY_FAILURE = "reservation failed: Database Lock";

/**
 * Sends, to a running Argus, a trace of `spans` spans of the service `inventory` whose root failed
 * ("Database Lock"), and an ERROR record on that root (INVENTORY_FAILURE, attribute sku=A-17);
 * the trace's id.
 */
export async function sendInventoryFailure(otlpHttpUrl: string, spans: number): Promise<string> {
  const now = BigInt(Date.now()) * 1_000_000n;
  const sent = jsonSpans(spans, 11, now);
  const [root] = sent;
  root!.status = { code: 2, message: "Database Lock" };
  for (const span of sent.slice(1)) span.traceId = root!.traceId;
  assert.equal(
    (await postJson(otlpHttpUrl, "traces", traceRequest(sent, "inventory"))).status,
    200,
  );
  const logs = await postJson(
    otlpHttpUrl,
    "logs",
    logsRequest([{
      timeUnixNano: now.toString(),
      severityNumber: 17,
      severityText: "ERROR",
      body: { stringValue: INVENTORY_FAILURE },
      traceId: root!.traceId,
      spanId: root!.spanId,
      attributes: [stringAttribute("sku", "A-17")],
    }], "inventory"),
  );
  assert.equal(logs.status, 200);
  return root!.traceId;
}
