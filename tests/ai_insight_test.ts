/**
 * `GET /api/logs/{id}/insight` against a fake Azure OpenAI resource on 127.0.0.1, and the same
 * fake as an OpenAI-style API with and without a key (a local model)
 * (tests/fixtures/fake_azure_openai.ts): what is sent (path, key, model, messages), what is answered,
 * the cache, and every failure the provider can cause. The last test runs a real Argus process
 * with data ingested over OTLP. No test reaches the internet. Streaming and trace insight:
 * tests/ai_insight_stream_test.ts.
 */
import assert from "node:assert/strict";
import { testApp } from "./app.ts";
import type { Store } from "../store/mod.ts";
import { BASE_TIME_NS, buildLog, buildResource, buildSpan } from "./builders.ts";
import { type FakeAzureOpenAi, startFakeAzureOpenAi } from "./fixtures/fake_azure_openai.ts";
import { startArgus } from "./argus_process.ts";
import {
  AFTER,
  ANCHOR,
  API_KEY,
  API_VERSION,
  BEFORE,
  bytes,
  DEPLOYMENT,
  insightPath,
  messagesOf,
  NO_TRACE,
  openAi,
  OTHER_TRACE_SPANS,
  sendInventoryFailure,
  TRACE_ID,
  withInsight,
} from "./ai_insight_harness.ts";

Deno.test("GET /api/logs/{id}/insight answers 503 naming AI_ENABLED while AI is off", async () => {
  const app = testApp({} as Store);
  for (const id of [ANCHOR.id, "not-an-id"]) {
    const response = await app(new Request(`http://argus${insightPath(id)}`));
    assert.equal(response.status, 503);
    const { error } = await response.json();
    assert.match(error, /AI_ENABLED=true/);
    assert.equal(
      error,
      "AI insight is off: set AI_ENABLED=true with AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY " +
        "and AZURE_OPENAI_DEPLOYMENT, or with AI_PROVIDER=openai and AI_MODEL (AI_BASE_URL and " +
        "AI_API_KEY for a provider other than OpenAI or a local one) to turn it on",
    );
  }
});

Deno.test("GET /api/logs/{id}/insight sends the record, its context and its trace to the deployment", async () => {
  await withInsight({}, async ({ fake, get }) => {
    const answer = await get(insightPath(ANCHOR.id.toUpperCase()));
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, {
      log_id: ANCHOR.id,
      insight: "Likely cause (answer 1): the prompt had 2 messages.",
      model: "gpt-4o-mini-2024-07-18",
    });

    assert.equal(fake.requests.length, 1);
    const [request] = fake.requests;
    assert.equal(request!.method, "POST");
    assert.equal(request!.path, `/openai/deployments/${DEPLOYMENT}/chat/completions`);
    assert.deepEqual(request!.query, { "api-version": API_VERSION });
    assert.equal(request!.headers["api-key"], API_KEY);
    assert.equal(request!.headers["authorization"], undefined);
    assert.equal(request!.headers["content-type"], "application/json");
    const body = request!.body as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ["max_tokens", "messages", "stream", "temperature"]);
    assert.equal(body.stream, true);
    assert.equal(body.max_tokens, 800);
    assert.equal(typeof body.temperature, "number");

    const messages = messagesOf(request!);
    assert.deepEqual(messages.map((m) => m.role), ["system", "user"]);
    assert.match(messages[0]!.content, /what to check next/);
    const user = messages[1]!.content;
    // The record, its attributes and its resource.
    assert.ok(user.includes("payment call failed: Gateway Timeout after 3 retries"), user);
    assert.ok(user.includes('"order.id":"o-4242"'), user);
    assert.ok(user.includes('"http.response.status_code":504'), user);
    assert.ok(user.includes('"service.name":"checkout"'), user);
    assert.ok(user.includes("severity: ERROR (number 17)"), user);
    // Its service's records of the minute around it, in time order; not the others.
    const before = user.indexOf("retrying payment call (attempt 3)");
    const after = user.indexOf("order o-4242 marked failed");
    assert.ok(before > 0 && after > before, user);
    assert.ok(user.includes("(-10.000s) WARN"), user);
    assert.ok(user.includes("(2 of 2 shown"), user);
    assert.ok(!user.includes("unrelated nightly report"), user);
    assert.ok(!user.includes("payment-service own record"), user);
    // The spans of its trace, its own marked, with status messages and exception events.
    assert.ok(user.includes(`Spans of trace ${TRACE_ID} (3 of 3 shown`), user);
    assert.match(user, /^> \+100\.000ms 1800\.000ms checkout client "POST payment-service\/pay"/m);
    assert.ok(user.includes('status=error "Gateway Timeout"'), user);
    assert.ok(user.includes("events=exception: bank did not answer"), user);
    assert.ok(user.indexOf('"POST /checkout"') < user.indexOf('"POST /pay"'), user);
    assert.ok(bytes(messages[0]!.content) + bytes(user) <= 16_384);

    // A record outside any trace says so.
    assert.equal((await get(insightPath(NO_TRACE.id))).status, 200);
    assert.match(messagesOf(fake.requests[1]!)[1]!.content, /The record is not part of a trace\./);
  });
});

Deno.test("GET /api/logs/{id}/insight answers again from the cache, and shares one call between simultaneous requests", async () => {
  await withInsight({}, async ({ fake, get }) => {
    const first = await get(insightPath(ANCHOR.id));
    const second = await get(insightPath(ANCHOR.id));
    assert.equal(second.status, 200);
    assert.deepEqual(second.body, first.body);
    assert.equal(fake.calls(), 1);

    fake.behave({ kind: "answer", delayMs: 150, content: "One answer for all" });
    const together = await Promise.all(
      Array.from({ length: 5 }, () => get(insightPath(BEFORE.id))),
    );
    assert.equal(fake.calls(), 2);
    for (const answer of together) {
      assert.deepEqual(answer, {
        status: 200,
        body: { log_id: BEFORE.id, insight: "One answer for all", model: "gpt-4o-mini-2024-07-18" },
      });
    }
  });
});

Deno.test("GET /api/logs/{id}/insight keeps AI_CACHE_ENTRIES answers, least recently used dropped first", async () => {
  await withInsight({ AI_CACHE_ENTRIES: "2" }, async ({ fake, get }) => {
    for (const log of [ANCHOR, BEFORE, ANCHOR, AFTER]) {
      assert.equal((await get(insightPath(log.id))).status, 200);
    }
    // ANCHOR was used after BEFORE, so AFTER pushed BEFORE out.
    assert.equal(fake.calls(), 3);
    await get(insightPath(ANCHOR.id));
    assert.equal(fake.calls(), 3);
    await get(insightPath(BEFORE.id));
    assert.equal(fake.calls(), 4);
  });
  await withInsight({ AI_CACHE_ENTRIES: "0" }, async ({ fake, get }) => {
    await get(insightPath(ANCHOR.id));
    await get(insightPath(ANCHOR.id));
    assert.equal(fake.calls(), 2);
  });
});

Deno.test("GET /api/logs/{id}/insight answers 502 with the reason when the provider fails, never with the key", async () => {
  await withInsight({}, async ({ fake, get, logs }) => {
    const cases: [Parameters<FakeAzureOpenAi["behave"]>[0], RegExp][] = [
      [{ kind: "status", status: 500 }, /^The AI provider failed \(HTTP 500\): Boom$/],
      [
        {
          kind: "status",
          status: 503,
          body: `{"error":{"code":"ServiceUnavailable","message":"key ${API_KEY} overloaded"}}`,
        },
        /^The AI provider failed \(HTTP 503\): key \*\*\* overloaded$/,
      ],
      [
        {
          kind: "status",
          status: 429,
          headers: { "retry-after": "12" },
          body: '{"error":{"code":"429","message":"Rate limit is exceeded."}}',
        },
        /^The AI provider is limiting requests \(HTTP 429\): retry after 12 s: Rate limit is exceeded\.$/,
      ],
      [
        { kind: "status", status: 400, body: "<html>bad gateway</html>" },
        /^The AI provider refused the request \(HTTP 400\): <html>bad gateway<\/html>$/,
      ],
      [
        { kind: "raw", body: "not json at all" },
        /^The AI provider's answer is not JSON: it starts with "not json at all"$/,
      ],
      [
        { kind: "raw", body: '{"choices":[]}' },
        /^The AI provider's answer is not a chat completion: it has no choices\[0\]\.message\.content$/,
      ],
      [
        {
          kind: "raw",
          body: '{"choices":[{"message":{"content":null},"finish_reason":"content_filter"}]}',
        },
        /^The AI provider withheld its answer \(finish_reason content_filter\)$/,
      ],
    ];
    for (const [behaviour, message] of cases) {
      fake.behave(behaviour);
      const answer = await get(insightPath(ANCHOR.id));
      assert.equal(answer.status, 502, JSON.stringify(behaviour));
      assert.match(String(answer.body.error), message);
    }
    // Failures are not cached: once the provider is back, the record is explained.
    fake.behave({ kind: "answer", content: "Back" });
    assert.equal((await get(insightPath(ANCHOR.id))).body.insight, "Back");
    assert.equal(fake.calls(), cases.length + 1);
    assert.ok(logs.some((line) => line.includes("AI insight failed")));
    assert.ok(!logs.some((line) => line.includes(API_KEY)), logs.join("\n"));
  });
});

Deno.test("GET /api/logs/{id}/insight names the setting to fix when the provider refuses the configuration", async () => {
  await withInsight({ AZURE_OPENAI_API_KEY: "wrong-key" }, async ({ get }) => {
    const answer = await get(insightPath(ANCHOR.id));
    assert.equal(answer.status, 502);
    assert.match(
      String(answer.body.error),
      /^The AI provider refused the credentials \(HTTP 401\): check AZURE_OPENAI_API_KEY and AZURE_OPENAI_ENDPOINT: Access denied/,
    );
    assert.ok(!String(answer.body.error).includes("wrong-key"));
  });
  await withInsight({ AZURE_OPENAI_DEPLOYMENT: "gpt-nope" }, async ({ fake, get }) => {
    const answer = await get(insightPath(ANCHOR.id));
    assert.equal(answer.status, 502);
    assert.match(String(answer.body.error), /^The AI provider has no deployment "gpt-nope"/);
    assert.match(String(answer.body.error), /check AZURE_OPENAI_DEPLOYMENT/);
    assert.equal(fake.requests[0]!.path, "/openai/deployments/gpt-nope/chat/completions");
  });
  // Nothing listens there: the port of a server that was just closed.
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = closed.addr.port;
  closed.close();
  await withInsight({ AZURE_OPENAI_ENDPOINT: `http://127.0.0.1:${port}/` }, async ({ get }) => {
    const answer = await get(insightPath(ANCHOR.id));
    assert.equal(answer.status, 502);
    assert.match(
      String(answer.body.error),
      new RegExp(`^Cannot reach the AI provider at http://127\\.0\\.0\\.1:${port}: `),
    );
  });
});

/** AI_PROVIDER=openai against the fake's OpenAI-style API, with `key` (or none: a local model). */

Deno.test("GET /api/logs/{id}/insight asks an OpenAI-style API: the model in the body, the key as Bearer", async () => {
  await withInsight(openAi(API_KEY), async ({ fake, get, logs }) => {
    const answer = await get(insightPath(ANCHOR.id));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.match(String(answer.body.insight), /^Likely cause \(answer 1\)/);
    assert.equal(answer.body.model, "gpt-4o-mini-2024-07-18");
    const [request] = fake.requests;
    assert.equal(request!.path, "/v1/chat/completions");
    assert.deepEqual(request!.query, {});
    assert.equal(request!.headers["authorization"], `Bearer ${API_KEY}`);
    assert.equal(request!.headers["api-key"], undefined);
    const body = request!.body as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), [
      "max_tokens",
      "messages",
      "model",
      "stream",
      "temperature",
    ]);
    assert.equal(body.model, DEPLOYMENT);
    assert.ok(messagesOf(request!)[1]!.content.includes("Gateway Timeout after 3 retries"));
    const on = logs.find((line) => line.includes("AI insight is on"))!;
    assert.match(
      on,
      /provider=openai base_url=http:\/\/127\.0\.0\.1:\d+\/v1\/ model=argus-gpt key=set/,
    );
    assert.ok(!logs.join("\n").includes(API_KEY));
  }, { style: "openai" });
});

Deno.test("GET /api/logs/{id}/insight asks a local OpenAI-compatible model without any key", async () => {
  await withInsight(openAi(""), async ({ fake, get }) => {
    const answer = await get(insightPath(ANCHOR.id));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(fake.requests[0]!.headers["authorization"], undefined);
  }, { style: "openai", apiKey: "" });
});

Deno.test("GET /api/logs/{id}/insight names AI_API_KEY, AI_MODEL and AI_BASE_URL when an OpenAI-style API refuses", async () => {
  await withInsight(openAi("wrong-key"), async ({ get }) => {
    const answer = await get(insightPath(ANCHOR.id));
    assert.equal(answer.status, 502);
    assert.match(
      String(answer.body.error),
      /^The AI provider refused the credentials \(HTTP 401\): check AI_API_KEY and AI_BASE_URL: Incorrect API key provided\.$/,
    );
    assert.ok(!String(answer.body.error).includes("wrong-key"));
  }, { style: "openai" });
  await withInsight(
    (fake) => ({ ...openAi(API_KEY)(fake), AI_MODEL: "llama-nope" }),
    async ({ get }) => {
      const answer = await get(insightPath(ANCHOR.id));
      assert.equal(answer.status, 502);
      assert.match(
        String(answer.body.error),
        /^The AI provider at AI_BASE_URL has no model "llama-nope" or no \/chat\/completions \(HTTP 404\): check AI_MODEL and AI_BASE_URL: The model `llama-nope` does not exist\.$/,
      );
    },
    { style: "openai" },
  );
});

Deno.test("GET /api/logs/{id}/insight answers 504 after AI_TIMEOUT, which QUERY_TIMEOUT does not cut short", async () => {
  await withInsight({ AI_TIMEOUT: "300ms" }, async ({ fake, get }) => {
    fake.behave({ kind: "hang" });
    const started = performance.now();
    const answer = await get(insightPath(ANCHOR.id));
    const elapsed = performance.now() - started;
    assert.equal(answer.status, 504);
    assert.equal(
      answer.body.error,
      "No progress within AI_TIMEOUT (300ms) while waiting for the AI provider's answer: " +
        "retry later, or raise AI_TIMEOUT",
    );
    assert.ok(elapsed >= 290 && elapsed < 3_000, `${elapsed} ms`);
    // Not cached: the next request asks again.
    fake.behave({ kind: "answer" });
    assert.equal((await get(insightPath(ANCHOR.id))).status, 200);
  });
  await withInsight({ AI_TIMEOUT: "5s", QUERY_TIMEOUT: "100ms" }, async ({ fake, get }) => {
    fake.behave({ kind: "answer", delayMs: 400, content: "Slow but fine" });
    const answer = await get(insightPath(ANCHOR.id));
    assert.equal(answer.status, 200);
    assert.equal(answer.body.insight, "Slow but fine");
  });
});

Deno.test("GET /api/logs/{id}/insight answers 404 for an unknown record and 400 for a malformed id", async () => {
  await withInsight({}, async ({ fake, get }) => {
    const unknown = await get(insightPath("a".repeat(32)));
    assert.deepEqual(unknown, {
      status: 404,
      body: { error: `No log record ${"a".repeat(32)} is stored` },
    });
    for (const id of ["abc", "z".repeat(32), "a".repeat(33), "%27%20or%201%3D1"]) {
      const bad = await get(insightPath(id));
      assert.equal(bad.status, 400, id);
      assert.match(String(bad.body.error), /^Cannot use 'id' as it must be 32 hex characters/);
    }
    assert.equal(fake.requests.length, 0);
  });
});

Deno.test("GET /api/logs/{id}/insight trims the prompt to AI_PROMPT_MAX_BYTES", async () => {
  await withInsight({ AI_PROMPT_MAX_BYTES: "4KiB" }, async ({ store, fake, get }) => {
    const busy = buildResource("busy");
    const at = BASE_TIME_NS + 500_000_000_000n;
    const anchor = buildLog(busy, {
      timeUnixNano: at,
      body: `Überlauf ${"x".repeat(60_000)}`,
      traceId: "c".repeat(32),
      spanId: "d".repeat(16),
    });
    const neighbours = Array.from({ length: 200 }, (_, i) =>
      buildLog(busy, {
        timeUnixNano: at + BigInt((i - 100) * 250) * 1_000_000n,
        body: `neighbour ${i} ${"y".repeat(100)}`,
      }));
    const spans = Array.from({ length: 150 }, (_, i) =>
      buildSpan(busy, {
        traceId: "c".repeat(32),
        spanId: i === 149 ? "d".repeat(16) : (i + 1).toString(16).padStart(16, "0"),
        parentSpanId: i === 0 ? "" : "0000000000000001",
        startTimeUnixNano: at + BigInt(i) * 1_000_000n,
        endTimeUnixNano: at + BigInt(i + 1) * 1_000_000n,
      }));
    await store.write({ resources: [busy], spans, logs: [anchor, ...neighbours] });

    assert.equal((await get(insightPath(anchor.id))).status, 200);
    const [system, user] = messagesOf(fake.requests[0]!);
    assert.ok(bytes(system!.content) + bytes(user!.content) <= 4096, `${bytes(user!.content)}`);
    assert.ok(user!.content.includes("body: Überlauf xxx"));
    assert.ok(!user!.content.includes("x".repeat(60_000)));
    // The nearest neighbours are kept, and the record's own span.
    assert.match(user!.content, /neighbour 99 /);
    assert.match(user!.content, /neighbour 100 /);
    assert.doesNotMatch(user!.content, /neighbour 0 /);
    assert.match(user!.content, /of 200 shown/);
    assert.match(user!.content, /of 150 shown/);
    assert.ok(user!.content.includes(`> +149.000ms 1.000ms busy`), user!.content);
  });
});

Deno.test("Argus explains a log ingested over OTLP through the fake Azure OpenAI", async () => {
  const fake = startFakeAzureOpenAi({ apiKey: API_KEY, deployment: DEPLOYMENT });
  const cwd = await Deno.makeTempDir({ prefix: "argus-ai-e2e-" });
  const argus = await startArgus({
    FLUSH_INTERVAL: "10ms",
    AI_ENABLED: "true",
    AZURE_OPENAI_ENDPOINT: fake.url,
    AZURE_OPENAI_API_KEY: API_KEY,
    AZURE_OPENAI_DEPLOYMENT: DEPLOYMENT,
    AI_TIMEOUT: "5s",
  }, cwd);
  try {
    await sendInventoryFailure(argus.otlpHttpUrl, 1 + OTHER_TRACE_SPANS);

    const list = await (await fetch(`${argus.baseUrl}/api/logs?service=inventory`)).json();
    assert.equal(list.items.length, 1);
    const id: string = list.items[0].id;
    const response = await fetch(`${argus.baseUrl}/api/logs/${id}/insight`);
    assert.equal(response.status, 200);
    const answer = await response.json();
    assert.equal(answer.log_id, id);
    assert.equal(answer.model, "gpt-4o-mini-2024-07-18");
    assert.match(answer.insight, /^Likely cause/);
    assert.equal(fake.calls(), 1);
    const user = messagesOf(fake.requests[0]!)[1]!.content;
    assert.ok(user.includes("reservation failed: Database Lock"), user);
    assert.ok(user.includes('"sku":"A-17"'), user);
    assert.ok(user.includes(`(${1 + OTHER_TRACE_SPANS} of ${1 + OTHER_TRACE_SPANS} shown`), user);
    assert.ok(user.includes('status=error "Database Lock"'), user);

    // Cached in the process: the fake is not asked again.
    assert.equal((await fetch(`${argus.baseUrl}/api/logs/${id}/insight`)).status, 200);
    assert.equal(fake.calls(), 1);
    assert.match(
      argus.log(),
      /AI insight is on module=ai provider=azure endpoint=http:\/\/127\.0\.0\.1:\d+ deployment=argus-gpt /,
    );
    assert.ok(!argus.log().includes(API_KEY));
  } finally {
    assert.equal(await argus.stop(), 0);
    await fake.close();
    await Deno.remove(cwd, { recursive: true });
  }
});
