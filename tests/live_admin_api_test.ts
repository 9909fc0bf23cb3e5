/**
 * The live stream and the admin endpoints of a running Argus, with data sent through OTLP.
 */
import assert from "node:assert/strict";
import { parsePrometheusText, sampleValue } from "../lib/prometheus_text_test_helper.ts";
import { startArgus } from "./argus_process.ts";
import { jsonLogs, jsonSpans, logsRequest, postJson, traceRequest } from "./otlp_payloads.ts";

Deno.test("GET /ws streams stored log records in the /api/logs shape, filtered by service", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-live-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms" }, cwd);
  const socket = new WebSocket(
    `${argus.baseUrl.replace("http", "ws")}/ws?service=api&severity=info`,
  );
  try {
    const messages: unknown[][] = [];
    const received = Promise.withResolvers<void>();
    socket.onmessage = (event) => {
      messages.push(JSON.parse(event.data));
      if (messages.flat().length >= 5) received.resolve();
    };
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = reject;
    });
    const health = await (await fetch(`${argus.baseUrl}/api/health`)).json();
    assert.equal(health.active_connections, 1);
    const metrics = parsePrometheusText(await (await fetch(`${argus.baseUrl}/metrics`)).text());
    assert.equal(sampleValue(metrics, "argus_active_connections"), 1);

    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const logs = jsonLogs(5, 51, nowNs);
    assert.equal((await postJson(argus.otlpHttpUrl, "logs", logsRequest(logs, "api"))).status, 200);
    const other = jsonLogs(3, 52, nowNs);
    assert.equal(
      (await postJson(argus.otlpHttpUrl, "logs", logsRequest(other, "web"))).status,
      200,
    );
    await received.promise;
    const streamed = messages.flat() as Record<string, unknown>[];
    assert.deepEqual(
      streamed.map((l) => l.body),
      logs.map((l) => (l.body as { stringValue: string }).stringValue),
    );
    assert.ok(streamed.every((l) => l.service_name === "api"));
    // The same shape as the query API's items.
    const listed = await (await fetch(`${argus.baseUrl}/api/logs?service=api&order=asc`)).json();
    assert.deepEqual(streamed, listed.items);
  } finally {
    socket.close();
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("DELETE /api/admin/purge deletes old data only, and POST /api/admin/vacuum compacts", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-admin-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms" }, cwd);
  try {
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const hour = 3_600_000_000_000n;
    const send = async (signal: "traces" | "logs", body: unknown) =>
      assert.equal((await postJson(argus.otlpHttpUrl, signal, body)).status, 200);
    await send("traces", traceRequest(jsonSpans(30, 61, nowNs - 3n * hour)));
    await send("traces", traceRequest(jsonSpans(10, 62, nowNs - 60_000_000_000n)));
    await send("logs", logsRequest(jsonLogs(20, 63, nowNs - 3n * hour)));
    await send("logs", logsRequest(jsonLogs(4, 64, nowNs - 60_000_000_000n)));

    const foreign = await fetch(`${argus.baseUrl}/api/admin/purge?older_than=2h&signal=all`, {
      method: "DELETE",
      headers: { origin: "https://evil.example" },
    });
    assert.equal(foreign.status, 403);
    assert.match((await foreign.json()).error, /Origin https:\/\/evil\.example may not DELETE/);

    const bad = await fetch(`${argus.baseUrl}/api/admin/purge?signal=metrics`, {
      method: "DELETE",
    });
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error, /'signal'/);

    const purged = await fetch(`${argus.baseUrl}/api/admin/purge?older_than=2h&signal=all`, {
      method: "DELETE",
    });
    assert.equal(purged.status, 200);
    const body = await purged.json();
    assert.equal(body.deleted_spans, 30);
    assert.equal(body.deleted_logs, 20);
    assert.equal(body.older_than, "2h");
    const stats = await (await fetch(`${argus.baseUrl}/api/stats?range=24h`)).json();
    assert.equal(stats.total_spans, 10);
    assert.equal(stats.total_logs, 4);

    const vacuum = await fetch(`${argus.baseUrl}/api/admin/vacuum`, { method: "POST" });
    assert.equal(vacuum.status, 200);
    const result = await vacuum.json();
    assert.equal(result.ok, true);
    assert.equal(typeof result.duration_ms, "number");
    assert.equal(result.warning, undefined, `vacuum warned: ${result.warning}`);
    assert.ok(result.size_after_bytes <= result.size_before_bytes);
    const get = await fetch(`${argus.baseUrl}/api/admin/vacuum`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST");
    await get.body?.cancel();
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
