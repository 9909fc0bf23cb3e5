/**
 * AI insight in headless Chromium (tests/browser/scenarios/insight.mjs): a log record's
 * explanation and a trace's stream into the page as the model writes them, against a real Argus
 * process asking the fake provider, which holds the second half of each answer until the
 * scenario releases it.
 */
import assert from "node:assert/strict";
import { startArgus } from "./argus_process.ts";
import { runScenario } from "./browser.ts";
import { startFakeAzureOpenAi } from "./fixtures/fake_azure_openai.ts";
import { INVENTORY_FAILURE, messagesOf, sendInventoryFailure } from "./ai_insight_harness.ts";

const ANSWER = "The inventory service could not take its database lock in time, so the " +
  "reservation failed. Check the lock holders of the stock table and the pool's size.";
const MODEL = "gpt-4o-mini-2024-07-18";

Deno.test("the Logs page and the trace page stream an AI explanation as it is written", async () => {
  const fake = startFakeAzureOpenAi({ apiKey: "ui-key", deployment: "argus-gpt" });
  fake.behave({ kind: "answer", content: ANSWER, model: MODEL, held: true });
  const cwd = await Deno.makeTempDir({ prefix: "argus-ui-insight-" });
  const argus = await startArgus({
    FLUSH_INTERVAL: "10ms",
    AI_ENABLED: "true",
    AZURE_OPENAI_ENDPOINT: fake.url,
    AZURE_OPENAI_API_KEY: "ui-key",
    AZURE_OPENAI_DEPLOYMENT: "argus-gpt",
    AI_TIMEOUT: "20s",
  }, cwd);
  try {
    const traceId = await sendInventoryFailure(argus.otlpHttpUrl, 3);
    const body = INVENTORY_FAILURE;

    const { answer, problems } = await runScenario<
      Record<string, { partial: string; text: string; model: string }>
    >(
      "insight",
      argus.baseUrl,
      { fakeUrl: fake.url, logBody: body, traceId, answer: ANSWER, model: MODEL },
    );
    assert.deepEqual(problems, []);
    for (const subject of ["log", "trace"]) {
      assert.equal(answer[subject]!.text, ANSWER, subject);
      assert.equal(answer[subject]!.model, MODEL, subject);
      assert.ok(answer[subject]!.partial.length < ANSWER.length, subject);
    }
    // One question each, streamed: the record's, then the trace's.
    assert.equal(fake.calls(), 2);
    const asked = fake.requests;
    assert.deepEqual(asked.map((r) => (r.body as { stream?: boolean }).stream), [true, true]);
    assert.match(messagesOf(asked[0]!)[1]!.content, /^Explain this log record/);
    assert.match(messagesOf(asked[1]!)[1]!.content, new RegExp(`^Explain trace ${traceId}\\.`));
  } finally {
    assert.equal(await argus.stop(), 0);
    await fake.close();
    await Deno.remove(cwd, { recursive: true });
  }
});
