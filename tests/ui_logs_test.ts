/**
 * The Logs page, against Argus holding records sent through OTLP/HTTP: server-rendered, in
 * headless Chromium (tests/browser/scenarios/logs.mjs), and live over its WebSocket.
 */
import assert from "node:assert/strict";
import { startArgus } from "./argus_process.ts";
import { runScenario } from "./browser.ts";
import {
  liveRecords,
  logFixture,
  PAGING_MARKUP_RECORD,
  PAGING_RECORDS,
  pagingRequests,
  sendLogFixture,
} from "./ui_logs_data.ts";
import { postJson } from "./otlp_payloads.ts";

Deno.test("the Logs page lists, expands, filters, streams live and links to traces", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-ui-logs-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms" }, cwd);
  try {
    const fixture = logFixture();
    await sendLogFixture(argus.otlpHttpUrl, fixture);
    const errorBody = fixture.traced.findLast((r) => r.body.startsWith("Database lock timeout"))!;
    const traced = fixture.traced.findLast((r) => r.body.startsWith("Card declined"))!;
    const { answer, problems } = await runScenario<Record<string, unknown>>(
      "logs",
      argus.baseUrl,
      {
        otlpHttpUrl: argus.otlpHttpUrl,
        refreshBatch: liveRecords(1, "refresh"),
        liveBatches: [
          liveRecords(3, "a"),
          liveRecords(3, "b"),
          liveRecords(3, "c"),
          liveRecords(3, "d"),
        ],
        errorBody: errorBody.body.split("\n")[0],
        traced,
        screenshots: Deno.env.get("ARGUS_SCREENSHOTS") !== "0",
      },
    );
    assert.deepEqual(problems, []);
    // Every 10 s, after a first read when it was sent.
    assert.ok(
      Number(answer.refreshedAfterMs) <= 11_000,
      `refreshed after ${answer.refreshedAfterMs} ms`,
    );
    assert.match(
      String(answer.count),
      new RegExp(`^${fixture.count} of ${fixture.count} records in the last 5 minutes`),
    );
    assert.equal(answer.traceUrl, `/traces/${traced.traceId}?span=${traced.spanId}`);
    assert.equal(answer.sockets, 3);
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("the Logs page renders its records on the server, and says so when there are none or a filter is bad", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-ui-logs-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms" }, cwd);
  try {
    const empty = await (await fetch(`${argus.baseUrl}/logs`)).text();
    assert.match(empty, /data-empty-state="never"/);
    assert.match(empty, /Argus has not received any data yet/);

    const fixture = logFixture();
    await sendLogFixture(argus.otlpHttpUrl, fixture);

    const page = await fetch(`${argus.baseUrl}/logs`);
    assert.equal(page.status, 200);
    const html = await page.text();
    // The newest records are in the HTML before any script runs; the rest in the island's props.
    assert.match(html, /data-log-row/);
    assert.match(html, /Connection pool exhausted/);
    assert.match(html, new RegExp(`${fixture.count} of ${fixture.count} records`));

    const filtered =
      await (await fetch(`${argus.baseUrl}/logs?severity=error&service=payment-service`))
        .text();
    assert.match(filtered, /Card declined/);
    assert.doesNotMatch(filtered, /Charging ord-/);

    const bad = await fetch(`${argus.baseUrl}/logs?severity=loud`);
    assert.equal(bad.status, 200);
    const badHtml = await bad.text();
    assert.match(badHtml, /data-log-error/);
    assert.match(badHtml, /Cannot use (&#39;|')severity(&#39;|') as it must be one of/);
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("the Logs page pages to the oldest records and back, oldest first too, and marks the search's matches", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-ui-logs-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms" }, cwd);
  try {
    for (const request of pagingRequests()) {
      assert.equal((await postJson(argus.otlpHttpUrl, "logs", request)).status, 200);
    }
    const { answer, problems } = await runScenario<Record<string, unknown>>(
      "logs_paging",
      argus.baseUrl,
      { total: PAGING_RECORDS, markupRecord: PAGING_MARKUP_RECORD },
    );
    assert.deepEqual(problems, []);
    // [first listed, last listed, rows]: every record reached once, 2,000 at a time.
    assert.deepEqual(answer.afterLoadingOlder, [2_000, 1, 2_000]);
    assert.deepEqual(answer.afterLoadingNewer, [2_500, 501, 2_000]);
    assert.deepEqual(answer.oldestFirst, [1, 2_000, 2_000]);
    assert.equal(answer.marked, 10);
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
