import assert from "node:assert/strict";
import type { StoredLog, StoredSpan } from "../store/mod.ts";
import { BASE_TIME_NS, buildLog, buildResource, buildSpan, random } from "../tests/builders.ts";
import {
  buildInsightPrompt,
  clipBytes,
  REDACTED,
  SYSTEM_PROMPT,
  utf8Bytes,
  withoutSecrets,
} from "./insight_prompt.ts";
import { wireLog } from "./wire.ts";

const resource = buildResource("checkout");
const stored = (log: ReturnType<typeof buildLog>): StoredLog => ({ ...log, resource });

Deno.test("clipBytes() cuts to the byte budget without splitting a character", () => {
  assert.equal(clipBytes("short", 10), "short");
  assert.equal(clipBytes("abcdef", 5), "ab…");
  for (let max = 3; max < 40; max++) {
    const clipped = clipBytes("añ€😀".repeat(5), max);
    assert.ok(utf8Bytes(clipped) <= max, `${max}: ${clipped}`);
    assert.ok(!clipped.includes("\uFFFD"), `${max}: ${clipped}`);
    assert.ok(clipped.endsWith("…"));
  }
  assert.equal(clipBytes("abcdef", 2), "");
});

Deno.test("buildInsightPrompt() stays within the budget whatever the record and its context hold", () => {
  const rand = random(7);
  const at = BASE_TIME_NS + 60_000_000_000n;
  const anchor = buildLog(resource, {
    timeUnixNano: at,
    body: "😀 ".repeat(20_000),
    attributes: JSON.stringify({ big: "ñ".repeat(10_000) }),
  }, rand);
  const around = Array.from({ length: 300 }, (_, i) =>
    wireLog(stored(buildLog(resource, {
      timeUnixNano: at + BigInt(i - 150) * 100_000_000n,
      body: `€ ${i} ${"z".repeat(i * 7)}`,
    }, rand))));
  const spans: StoredSpan[] = Array.from({ length: 500 }, (_, i) => ({
    ...buildSpan(resource, { traceId: anchor.traceId, name: "ü".repeat(i) }, rand),
    resource,
  }));
  for (const budget of [2_048, 3_000, 4_096, 16_384, 65_536]) {
    const prompt = buildInsightPrompt({
      log: wireLog(stored(anchor)),
      before: around.slice(0, 150),
      after: around.slice(150),
      spans,
      contextWindow: "1 minute",
    }, budget);
    const total = prompt.messages.reduce((sum, m) => sum + utf8Bytes(m.content), 0);
    assert.equal(total, prompt.bytes);
    assert.ok(total <= budget, `${total} > ${budget}`);
    assert.equal(prompt.messages[0]!.content, SYSTEM_PROMPT);
    assert.ok(prompt.messages[1]!.content.includes("The record:\n"), `${budget}`);
    assert.equal(prompt.contextTotal, 300);
    assert.equal(prompt.spansTotal, 500);
    if (budget >= 16_384) {
      assert.ok(prompt.contextShown > 0 && prompt.spansShown > 0, `${budget}`);
    }
  }
});

Deno.test("buildInsightPrompt() keeps the record's span and its ancestors before other spans", () => {
  const rand = random(3);
  const traceId = "ab".repeat(16);
  const chain = ["0000000000000001", "0000000000000002", "0000000000000003"];
  // The record's span is the deepest of the chain and the latest to start; 200 others are older.
  const spans: StoredSpan[] = [
    ...Array.from({ length: 200 }, (_, i) =>
      buildSpan(resource, {
        traceId,
        spanId: (0x1000 + i).toString(16).padStart(16, "0"),
        parentSpanId: chain[0]!,
        startTimeUnixNano: BASE_TIME_NS + BigInt(i + 1) * 1_000_000n,
        endTimeUnixNano: BASE_TIME_NS + BigInt(i + 2) * 1_000_000n,
        statusCode: i === 150 ? 2 : 0,
        name: i === 150 ? "the failing one" : `other ${i}`,
      }, rand)),
    ...chain.map((spanId, i) =>
      buildSpan(resource, {
        traceId,
        spanId,
        parentSpanId: i === 0 ? "" : chain[i - 1]!,
        startTimeUnixNano: BASE_TIME_NS + BigInt(i === 0 ? 0 : 500 + i) * 1_000_000n,
        endTimeUnixNano: BASE_TIME_NS + 900_000_000n,
        name: `chain ${i}`,
      }, rand)
    ),
  ].map((span) => ({ ...span, resource }));
  const log = wireLog(stored(buildLog(resource, { traceId, spanId: chain[2]! }, rand)));
  const prompt = buildInsightPrompt(
    { log, before: [], after: [], spans, contextWindow: "1 minute" },
    4_096,
  );
  const user = prompt.messages[1]!.content;
  assert.ok(prompt.spansShown >= 4 && prompt.spansShown < 203, `${prompt.spansShown}`);
  for (const name of ["chain 0", "chain 1", "chain 2", "the failing one"]) {
    assert.ok(user.includes(`"${name}"`), `${name} in\n${user}`);
  }
  assert.match(user, /^> \+502\.000ms .* "chain 2"/m);
  // Shown in start order, whatever order they were chosen in.
  assert.ok(user.indexOf('"chain 0"') < user.indexOf('"the failing one"'));
  assert.ok(user.indexOf('"the failing one"') < user.indexOf('"chain 1"'));
});

Deno.test("withoutSecrets() hides the values of keys that name a secret, at any depth", () => {
  assert.deepEqual(
    withoutSecrets({
      "db.password": "hunter2",
      "http.request.header.authorization": ["Bearer abc"],
      "X-Api-Key": "k1",
      apikey: "k2",
      "oauth.client_secret": "s",
      "user_token": "t",
      "session.id": "sid",
      "aws.access_key_id": "AKIA",
      "http.request.header.cookie": "a=b",
      nested: { "private-key": "pem", ok: 1 },
      // Not secrets: other words that contain a secret's letters.
      "keyboard.layout": "fr",
      "gen_ai.usage.output_tokens": 42,
      author: "ada",
      "http.route": "/login",
    }),
    {
      "db.password": REDACTED,
      "http.request.header.authorization": REDACTED,
      "X-Api-Key": REDACTED,
      apikey: REDACTED,
      "oauth.client_secret": REDACTED,
      "user_token": REDACTED,
      "session.id": REDACTED,
      "aws.access_key_id": REDACTED,
      "http.request.header.cookie": REDACTED,
      nested: { "private-key": REDACTED, ok: 1 },
      "keyboard.layout": "fr",
      "gen_ai.usage.output_tokens": 42,
      author: "ada",
      "http.route": "/login",
    },
  );
});

Deno.test("buildInsightPrompt() sends no value of a secret-looking attribute to the provider", () => {
  const rand = random(9);
  const secrets = {
    "db.password": "hunter2-password-value",
    "http.request.header.authorization": "Bearer sk-live-123456",
  };
  const at = BASE_TIME_NS + 60_000_000_000n;
  const anchor = buildLog(resource, {
    timeUnixNano: at,
    attributes: JSON.stringify({ ...secrets, "order.id": "o-1" }),
  }, rand);
  const neighbour = buildLog(resource, {
    timeUnixNano: at - 1_000_000_000n,
    attributes: JSON.stringify(secrets),
  }, rand);
  const span = {
    ...buildSpan(resource, {
      traceId: anchor.traceId,
      spanId: anchor.spanId,
      attributes: JSON.stringify({ ...secrets, "http.route": "/pay" }),
    }, rand),
    resource: buildResource("checkout", {
      attributes: JSON.stringify({ "service.name": "checkout", "deployment.api_key": "k-999" }),
    }),
  };
  const withResource = { ...stored(anchor), resource: span.resource };
  const prompt = buildInsightPrompt({
    log: wireLog(withResource),
    before: [wireLog(stored(neighbour))],
    after: [],
    spans: [span],
    contextWindow: "1 minute",
  }, 16_384);
  const text = prompt.messages.map((m) => m.content).join("\n");
  for (const value of [...Object.values(secrets), "sk-live-123456", "k-999"]) {
    assert.ok(!text.includes(value), `${value} reached the prompt`);
  }
  assert.ok(text.includes(REDACTED));
  assert.ok(text.includes("o-1") && text.includes("/pay"), "other attributes are kept");
});
