/**
 * Self-monitoring of a running Argus: `/metrics` parsed as Prometheus text, its seed metrics
 * moving when data flows through OTLP, and `/api/health` with real figures.
 */
import assert from "node:assert/strict";
import { startArgus } from "./argus_process.ts";
import { jsonLogs, jsonSpans, logsRequest, postJson, traceRequest } from "./otlp_payloads.ts";
import {
  type MetricFamily,
  parsePrometheusText,
  sampleValue,
} from "../lib/prometheus_text_test_helper.ts";

async function scrape(baseUrl: string): Promise<Map<string, MetricFamily>> {
  const response = await fetch(`${baseUrl}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await response.text());
}

Deno.test("/metrics serves the seed's four metrics; ingestion and database latency move when data flows", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-metrics-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms" }, cwd);
  try {
    const before = await scrape(argus.baseUrl);
    assert.equal(before.get("argus_ingestion_rate")?.type, "counter");
    assert.equal(before.get("argus_active_connections")?.type, "gauge");
    assert.equal(before.get("argus_db_latency")?.type, "histogram");
    assert.equal(before.get("argus_dlq_size")?.type, "gauge");
    assert.equal(sampleValue(before, "argus_dlq_size"), 0);
    assert.equal(sampleValue(before, "argus_active_connections"), 0);
    assert.ok(before.has("process_resident_memory_bytes"));
    const spansBefore = sampleValue(before, "argus_ingestion_rate", { signal: "spans" }) ?? 0;

    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const spans = jsonSpans(25, 41, nowNs - 5_000_000_000n);
    assert.equal((await postJson(argus.otlpHttpUrl, "traces", traceRequest(spans))).status, 200);
    const logs = jsonLogs(7, 42, nowNs - 5_000_000_000n);
    assert.equal((await postJson(argus.otlpHttpUrl, "logs", logsRequest(logs))).status, 200);
    // A query, so that reads are timed too.
    assert.equal((await fetch(`${argus.baseUrl}/api/metrics/dashboard`)).status, 200);

    const after = await scrape(argus.baseUrl);
    assert.equal(sampleValue(after, "argus_ingestion_rate", { signal: "spans" }), spansBefore + 25);
    assert.equal(sampleValue(after, "argus_ingestion_rate", { signal: "logs" }), 7);
    const writes = sampleValue(
      after,
      "argus_db_latency",
      { op: "write" },
      "argus_db_latency_count",
    );
    assert.ok(writes !== undefined && writes >= 1, `write latency samples: ${writes}`);
    const queries = sampleValue(
      after,
      "argus_db_latency",
      { op: "query" },
      "argus_db_latency_count",
    );
    assert.ok(queries !== undefined && queries >= 1, `query latency samples: ${queries}`);
    assert.equal(
      sampleValue(after, "argus_otlp_requests_total", {
        transport: "http",
        signal: "traces",
        outcome: "success",
      }),
      1,
    );

    const health = await (await fetch(`${argus.baseUrl}/api/health`)).json();
    assert.equal(health.status, "ok");
    assert.equal(typeof health.db_latency_p99_ms, "number");
    assert.equal(health.active_connections, 0);
    assert.ok(health.ingestion_rate > 0);
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
