/**
 * The Settings page in headless Chromium, against Argus with data ingested through OTLP.
 */
import assert from "node:assert/strict";
import { startArgus } from "./argus_process.ts";
import { runScenario } from "./browser.ts";
import { jsonLogs, jsonSpans, logsRequest, postJson, traceRequest } from "./otlp_payloads.ts";

Deno.test("the Settings page shows Argus's health, and purges old data only after confirmation", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-ui-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms" }, cwd);
  try {
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const hour = 3_600_000_000_000n;
    const send = async (signal: "traces" | "logs", body: unknown) =>
      assert.equal((await postJson(argus.otlpHttpUrl, signal, body)).status, 200);
    await send("traces", traceRequest(jsonSpans(12, 71, nowNs - 3n * hour)));
    await send("traces", traceRequest(jsonSpans(5, 72, nowNs - 60_000_000_000n)));
    await send("logs", logsRequest(jsonLogs(8, 73, nowNs - 3n * hour)));
    await send("logs", logsRequest(jsonLogs(3, 74, nowNs - 60_000_000_000n)));

    const { answer, problems } = await runScenario<{
      afterCancel: { total_spans: number; total_logs: number };
      result: string;
    }>("settings", argus.baseUrl);
    assert.deepEqual(problems, []);
    // Cancelling deleted nothing; confirming deleted exactly the old data.
    assert.equal(answer.afterCancel.total_spans, 17);
    assert.equal(answer.afterCancel.total_logs, 11);
    assert.match(answer.result, /^Deleted 8 logs and 12 spans older than /);
    // The replicas alive: on SQLite this one alone, which runs retention and the rollups.
    const health = await (await fetch(`${argus.baseUrl}/api/health`)).json();
    assert.equal(health.replicas.length, 1);
    assert.equal(health.replicas[0].id, health.replica);
    assert.equal(health.replicas[0].holds_maintenance, true);
    const page = await (await fetch(`${argus.baseUrl}/settings`)).text();
    assert.match(page, /data-testid="replicas"/);
    assert.match(page, new RegExp(`data-replica="${health.replica}"`));
    assert.match(page, /\(this one\)/);
    const stats = await (await fetch(`${argus.baseUrl}/api/stats?range=24h`)).json();
    assert.equal(stats.total_spans, 5);
    assert.equal(stats.total_logs, 3);
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
