/**
 * AI insight streamed (`Accept: text/event-stream`) and trace-level insight
 * (`GET /api/traces/{trace_id}/insight`), against the fake provider as Azure OpenAI, as OpenAI and
 * as a local OpenAI-compatible server (tests/fixtures/fake_azure_openai.ts): the events and their
 * order, pieces arriving before the model has finished (the fake holds its answer at a gate),
 * requests joining an explanation in progress, failures before and during a stream, a client that
 * goes away, and the trace prompt: what it holds, its bounds on a large trace, and no secret.
 */
import assert from "node:assert/strict";
import { createParser } from "eventsource-parser";
import { testApp } from "./app.ts";
import type { Store } from "../store/mod.ts";
import { buildLog, buildResource, buildSpan } from "./builders.ts";
import type { WireInsightEvent } from "../utils/wire.ts";
import { TRACE_SYSTEM_PROMPT } from "../routes/trace_insight_prompt.ts";
import {
  ANCHOR,
  API_KEY,
  insightPath,
  messagesOf,
  openAi,
  payment,
  PAYMENT_SPAN,
  SPANS,
  TRACE_ID,
  withInsight,
} from "./ai_insight_harness.ts";

const STREAM = { headers: { accept: "text/event-stream" } };
const tracePath = (id: string) => `/api/traces/${id}/insight`;
const ANSWER = "The payment service timed out calling the bank, so checkout failed its order.";

/** The events of a streamed answer as they arrive. */
async function* eventsOf(response: Response): AsyncGenerator<WireInsightEvent> {
  const queue: WireInsightEvent[] = [];
  const parser = createParser({
    onEvent: (event) =>
      queue.push({ event: event.event, data: JSON.parse(event.data) } as WireInsightEvent),
  });
  const decoder = new TextDecoder();
  for await (const chunk of response.body!) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    while (queue.length > 0) yield queue.shift()!;
  }
}

async function allEvents(response: Response): Promise<WireInsightEvent[]> {
  const out: WireInsightEvent[] = [];
  for await (const event of eventsOf(response)) out.push(event);
  return out;
}

/** The deltas joined, and the last event. */
function summary(events: WireInsightEvent[]) {
  const deltas = events.filter((e) => e.event === "delta").map((e) => e.data.text as string);
  return { deltas, text: deltas.join(""), last: events.at(-1)! };
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => open = resolve);
  return { opened, open };
}

Deno.test("A log's explanation streams from Azure, OpenAI and a local model: pieces in order, then the whole answer", async () => {
  const providers = [
    { name: "azure", env: {}, options: {} },
    { name: "openai", env: openAi(API_KEY), options: { style: "openai" as const } },
    { name: "local", env: openAi(""), options: { style: "openai" as const, apiKey: "" } },
  ];
  for (const provider of providers) {
    await withInsight(provider.env, async ({ fake, request }) => {
      fake.behave({ kind: "answer", content: ANSWER, model: "llama3.2" });
      const response = await request(insightPath(ANCHOR.id), STREAM);
      assert.equal(response.status, 200, provider.name);
      assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
      assert.equal(response.headers.get("cache-control"), "no-cache");
      const { deltas, text, last } = summary(await allEvents(response));
      assert.ok(deltas.length >= 2, `${provider.name}: ${deltas.length} deltas`);
      assert.equal(text.trim(), ANSWER);
      assert.deepEqual(last, {
        event: "done",
        data: { log_id: ANCHOR.id, insight: ANSWER, model: "llama3.2" },
      });
      const [sent] = fake.requests;
      assert.equal((sent!.body as { stream?: unknown }).stream, true);
      assert.match(sent!.headers["accept"]!, /text\/event-stream/);
      if (provider.name === "azure") assert.equal(sent!.headers["api-key"], API_KEY);
      if (provider.name === "openai") {
        assert.equal(sent!.headers["authorization"], `Bearer ${API_KEY}`);
      }
      if (provider.name === "local") assert.equal(sent!.headers["authorization"], undefined);
    }, provider.options);
  }
});

Deno.test("A streamed explanation's first pieces arrive before the model has finished, and a second request joins it", async () => {
  await withInsight({}, async ({ fake, request, get }) => {
    const held = gate();
    fake.behave({ kind: "answer", content: ANSWER, gate: held.opened });
    const first = eventsOf(await request(insightPath(ANCHOR.id), STREAM));
    const opening = await first.next();
    assert.equal(opening.value?.event, "delta");
    const early = (opening.value as { data: { text: string } }).data.text;
    assert.ok(ANSWER.startsWith(early) && early.length < ANSWER.length, early);

    // A second client, while the model is held: it is given the text so far, then the rest.
    const second = eventsOf(await request(insightPath(ANCHOR.id), STREAM));
    const joined = await second.next();
    assert.equal(joined.value?.event, "delta");
    assert.ok(
      ANSWER.startsWith((joined.value as { data: { text: string } }).data.text),
      JSON.stringify(joined.value),
    );

    held.open();
    const rest: WireInsightEvent[] = [];
    for await (const event of first) rest.push(event);
    assert.equal((early + summary(rest).text).trim(), ANSWER);
    assert.equal(summary(rest).last.event, "done");
    const secondRest: WireInsightEvent[] = [];
    for await (const event of second) secondRest.push(event);
    assert.equal(
      ((joined.value as { data: { text: string } }).data.text + summary(secondRest).text).trim(),
      ANSWER,
    );
    assert.equal(fake.calls(), 1);

    // Kept: the JSON route and a new stream answer from the cache.
    assert.equal((await get(insightPath(ANCHOR.id))).body.insight, ANSWER);
    const again = summary(await allEvents(await request(insightPath(ANCHOR.id), STREAM)));
    assert.equal(again.text, ANSWER);
    assert.equal(fake.calls(), 1);
  });
});

Deno.test("A failure before the first piece is answered with its status; a failure after it ends the stream with an error event", async () => {
  await withInsight({ AI_TIMEOUT: "300ms" }, async ({ fake, request }) => {
    fake.behave({
      kind: "status",
      status: 429,
      headers: { "retry-after": "7" },
      body: JSON.stringify({ error: { code: "429", message: "Rate limit reached" } }),
    });
    const refused = await request(insightPath(ANCHOR.id), STREAM);
    assert.equal(refused.status, 502);
    assert.equal(refused.headers.get("content-type"), "application/json; charset=utf-8");
    assert.deepEqual(await refused.json(), {
      error: "The AI provider is limiting requests (HTTP 429): retry after 7 s: Rate limit reached",
    });

    const cases: [Parameters<typeof fake.behave>[0], number, RegExp][] = [
      [
        { kind: "answer", content: ANSWER, end: "error" },
        502,
        /^The AI provider failed while answering: The model crashed while generating$/,
      ],
      [
        { kind: "answer", content: ANSWER, end: "break" },
        502,
        /^The AI provider's answer broke off after \d+ characters: /,
      ],
      [
        { kind: "answer", content: ANSWER, end: "stall" },
        504,
        /^No progress within AI_TIMEOUT \(300ms\) while waiting for the rest of the AI provider's answer: retry later, or raise AI_TIMEOUT$/,
      ],
    ];
    for (const [behaviour, status, message] of cases) {
      fake.behave(behaviour);
      const response = await request(insightPath(ANCHOR.id), STREAM);
      assert.equal(response.status, 200, behaviour.kind);
      const events = await allEvents(response);
      assert.equal(events[0]!.event, "delta");
      const last = events.at(-1)!;
      assert.equal(last.event, "error", JSON.stringify(events));
      assert.equal((last.data as { status: number }).status, status);
      assert.match((last.data as { error: string }).error, message);
      assert.ok(!JSON.stringify(events).includes(API_KEY));
    }
    // None was kept: the next request asks the model again, and is answered.
    const callsBefore = fake.calls();
    fake.behave({ kind: "answer", content: ANSWER });
    const { last } = summary(await allEvents(await request(insightPath(ANCHOR.id), STREAM)));
    assert.equal(last.event, "done");
    assert.equal(fake.calls(), callsBefore + 1);
  });
});

Deno.test("A provider answering a stream request with one JSON completion is streamed as one piece", async () => {
  await withInsight({}, async ({ fake, request }) => {
    fake.behave({
      kind: "raw",
      body: JSON.stringify({
        model: "plain-json-model",
        choices: [{ index: 0, message: { role: "assistant", content: ANSWER } }],
      }),
    });
    const events = await allEvents(await request(insightPath(ANCHOR.id), STREAM));
    assert.deepEqual(events, [
      { event: "delta", data: { text: ANSWER } },
      { event: "done", data: { log_id: ANCHOR.id, insight: ANSWER, model: "plain-json-model" } },
    ]);
  });
});

Deno.test("A client that goes away stops watching; the explanation is finished and kept for the next request", async () => {
  await withInsight({}, async ({ fake, request, get }) => {
    const held = gate();
    fake.behave({ kind: "answer", content: ANSWER, gate: held.opened });
    const response = await request(insightPath(ANCHOR.id), STREAM);
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel();
    held.open();
    const answer = await get(insightPath(ANCHOR.id));
    assert.equal(answer.status, 200);
    assert.equal(answer.body.insight, ANSWER);
    assert.equal(fake.calls(), 1);
  });
});

/** A failed span of the trace with a secret among its attributes, and a log with one. */
const DB_SPAN = buildSpan(payment, {
  traceId: TRACE_ID,
  spanId: "0a0b0c0d0e0f0a0b",
  parentSpanId: PAYMENT_SPAN,
  name: "SELECT accounts",
  kind: 3,
  startTimeUnixNano: SPANS[2]!.startTimeUnixNano + 100_000_000n,
  endTimeUnixNano: SPANS[2]!.startTimeUnixNano + 1_500_000_000n,
  statusCode: 2,
  statusMessage: "lock wait timeout",
  attributes: JSON.stringify({
    "db.system": "postgresql",
    "db.password": "hunter2-secret",
    "db.connection_string": "ok-to-send",
  }),
});
const TRACE_LOG = buildLog(payment, {
  timeUnixNano: SPANS[2]!.startTimeUnixNano + 1_400_000_000n,
  severityNumber: 17,
  severityText: "ERROR",
  body: "bank call timed out after 1.4s",
  traceId: TRACE_ID,
  spanId: PAYMENT_SPAN,
  attributes: JSON.stringify({ "http.request.header.authorization": "Bearer abc.secret-token" }),
});

Deno.test("GET /api/traces/{trace_id}/insight sends the trace's outline, failed spans, critical path and logs, never a secret", async () => {
  await withInsight(
    {},
    async ({ fake, get, request }) => {
      fake.behave({ kind: "answer", content: ANSWER });
      const answer = await get(tracePath(TRACE_ID));
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(answer.body, {
        trace_id: TRACE_ID,
        insight: ANSWER,
        model: "gpt-4o-mini-2024-07-18",
      });
      const sent = fake.requests[0]!;
      const [system, user] = messagesOf(sent);
      assert.equal(system!.content, TRACE_SYSTEM_PROMPT);
      const prompt = user!.content;
      assert.ok(prompt.startsWith(`Explain trace ${TRACE_ID}.`), prompt);
      assert.match(prompt, /^spans: 4, failed: 4$/m);
      assert.match(prompt, /^root span: checkout "POST \/checkout" status=error$/m);
      assert.match(
        prompt,
        /^services \(spans, failed\): checkout \(2, 2\), payment-service \(2, 2\)$/m,
      );
      assert.match(prompt, /Failed spans \(4 of 4 shown/);
      // Read whole: the exception event, the status message, the path from the root.
      assert.ok(prompt.includes("events=exception: bank did not answer"), prompt);
      assert.ok(prompt.includes('status=error "lock wait timeout"'), prompt);
      assert.ok(prompt.includes("path=checkout > checkout > payment-service > payment-service"));
      assert.match(prompt, /Critical path \(\d+ of \d+ sections shown/);
      assert.match(
        prompt,
        new RegExp(`ms of its [0-9.]+ms payment-service "SELECT accounts" span=`),
      );
      assert.match(prompt, /Logs of the trace \(3 of 3 shown/);
      assert.ok(prompt.includes("ERROR payment-service bank call timed out after 1.4s"), prompt);
      assert.ok(prompt.includes("payment call failed: Gateway Timeout after 3 retries"), prompt);
      assert.ok(prompt.includes(`"db.password":"[redacted]"`), prompt);
      assert.ok(prompt.includes(`"http.request.header.authorization":"[redacted]"`), prompt);
      const wholeRequest = JSON.stringify(sent);
      assert.ok(!wholeRequest.includes("hunter2-secret"));
      assert.ok(!wholeRequest.includes("abc.secret-token"));
      assert.ok(wholeRequest.includes("ok-to-send"));

      // Streamed as a log's is; kept apart from the log insight of the same trace's records.
      const streamed = summary(await allEvents(await request(tracePath(TRACE_ID), STREAM)));
      assert.deepEqual(streamed.last, { event: "done", data: answer.body });
      assert.equal(fake.calls(), 1);
      await get(insightPath(ANCHOR.id));
      assert.equal(fake.calls(), 2);
    },
    {},
    { spans: [DB_SPAN], logs: [TRACE_LOG] },
  );
});

Deno.test("GET /api/traces/{trace_id}/insight answers 404 for an unknown trace, 400 for a malformed id, 503 while AI is off", async () => {
  await withInsight({}, async ({ fake, get, request }) => {
    assert.deepEqual(await get(tracePath("b".repeat(32))), {
      status: 404,
      body: { error: `No trace ${"b".repeat(32)} is stored` },
    });
    const streamed = await request(tracePath("b".repeat(32)), STREAM);
    assert.equal(streamed.status, 404);
    const malformed = await get(tracePath("xyz"));
    assert.equal(malformed.status, 400);
    assert.match(String(malformed.body.error), /^Cannot use 'trace_id' /);
    assert.equal(fake.calls(), 0);
  });
  const off = await testApp({} as Store)(new Request(`http://argus${tracePath(TRACE_ID)}`));
  assert.equal(off.status, 503);
  assert.match((await off.json()).error, /^AI insight is off: set AI_ENABLED=true/);
});

Deno.test("GET /api/traces/{trace_id}/insight keeps a large trace's prompt within AI_PROMPT_MAX_BYTES", async () => {
  const big = "9".repeat(32);
  const service = buildResource("fanout");
  const start = SPANS[0]!.startTimeUnixNano;
  const spans = Array.from({ length: 3000 }, (_, i) =>
    buildSpan(service, {
      traceId: big,
      spanId: (i + 1).toString(16).padStart(16, "0"),
      parentSpanId: i === 0 ? "" : "0000000000000001",
      name: `call ${i}`,
      startTimeUnixNano: start + BigInt(i) * 1_000_000n,
      endTimeUnixNano: start + BigInt(i) * 1_000_000n + (i === 0 ? 4_000_000_000n : 900_000n),
      statusCode: i % 3 === 0 ? 2 : 0,
    }));
  const logs = Array.from({ length: 300 }, (_, i) =>
    buildLog(service, {
      timeUnixNano: start + BigInt(i) * 10_000_000n,
      severityNumber: i % 10 === 0 ? 17 : 9,
      severityText: i % 10 === 0 ? "ERROR" : "INFO",
      body: `step ${i} ${"x".repeat(100)}`,
      traceId: big,
      spanId: "0000000000000001",
    }));
  await withInsight(
    { AI_PROMPT_MAX_BYTES: "4KiB" },
    async ({ fake, get }) => {
      assert.equal((await get(tracePath(big))).status, 200);
      const messages = messagesOf(fake.requests[0]!);
      const bytes = messages.reduce((n, m) => n + new TextEncoder().encode(m.content).length, 0);
      assert.ok(bytes <= 4096, `${bytes} bytes`);
      const prompt = messages[1]!.content;
      assert.match(prompt, /^spans: 3000, failed: 1000$/m);
      assert.match(prompt, /Failed spans \([1-9]\d* of 1000 shown/);
      assert.match(prompt, /Logs of the trace \([1-9]\d* of 200\+ shown/);
      // The most severe logs are the ones kept.
      assert.match(prompt, /ERROR fanout step 10 /);
      assert.doesNotMatch(prompt, /INFO fanout step/);
    },
    {},
    { resources: [service], spans, logs },
  );
});
