/**
 * The HTTP API as clients use it, with data ingested through the real OTLP path.
 */
import assert from "node:assert/strict";
import { startArgus } from "./argus_process.ts";
import {
  jsonLogs,
  jsonSpans,
  logsRequest,
  postJson,
  stringAttribute,
  traceRequest,
} from "./otlp_payloads.ts";

Deno.test("GET /api/traces/{trace_id} returns every span with the API's fields; 404 and 400 otherwise", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-api-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms" }, cwd);
  try {
    const [root, child] = jsonSpans(2, 77);
    child!.traceId = root!.traceId;
    child!.parentSpanId = root!.spanId;
    child!.status = { code: 2, message: "Gateway Timeout" };
    child!.attributes = [stringAttribute("http.request.method", "POST"), {
      key: "retries",
      value: { intValue: "9007199254740993" },
    }];
    const sent = await postJson(
      argus.otlpHttpUrl,
      "traces",
      traceRequest([root!, child!], "checkout"),
    );
    assert.equal(sent.status, 200);

    const response = await fetch(`${argus.baseUrl}/api/traces/${root!.traceId.toUpperCase()}`);
    assert.equal(response.status, 200);
    const trace = await response.json();
    assert.equal(trace.trace_id, root!.traceId);
    assert.deepEqual(trace.spans.map((s: { span_id: string }) => s.span_id), [
      root!.spanId,
      child!.spanId,
    ]);
    const [first, second] = trace.spans;
    assert.equal(first.parent_span_id, "");
    assert.equal(second.parent_span_id, root!.spanId);
    assert.equal(second.service_name, "checkout");
    assert.equal(second.kind, "server");
    assert.equal(second.status_code, "error");
    assert.equal(second.status_message, "Gateway Timeout");
    assert.equal(second.duration_ms, 5);
    assert.equal(second.start_time_unix_nano, child!.startTimeUnixNano);
    assert.match(second.start_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    assert.deepEqual(second.attributes, {
      "http.request.method": "POST",
      retries: "9007199254740993",
    });
    assert.equal(second.resource_attributes["service.name"], "checkout");
    assert.deepEqual(second.scope, {
      name: "argus-tests",
      version: "1",
      attributes: {},
      dropped_attributes_count: 0,
      schema_url: "",
    });
    assert.deepEqual(second.resource, {
      schema_url: "",
      dropped_attributes_count: 0,
      entity_refs: [],
    });

    const missing = await fetch(`${argus.baseUrl}/api/traces/${"f".repeat(32)}`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { error: `No trace ${"f".repeat(32)} is stored` });
    const bad = await fetch(`${argus.baseUrl}/api/traces/abc'%20or%201=1`);
    assert.equal(bad.status, 400);
    const malformed = await fetch(`${argus.baseUrl}/api/traces/%E0%A4%A`);
    assert.equal(malformed.status, 400);
    await malformed.body?.cancel();
    assert.match(
      (await bad.json()).error,
      /^Cannot use 'trace_id' as it must be 32 hex characters: current value is "abc' or 1=1"$/,
    );
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("GET /api/logs filters by service, severity, trace and span, pages, and sorts", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-api-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms" }, cwd);
  try {
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const logs = jsonLogs(6, 5, nowNs - 60_000_000_000n);
    logs.forEach((log, i) => log.severityNumber = [5, 9, 13, 17, 21, 9][i]!);
    logs[3]!.traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    logs[3]!.spanId = "00f067aa0ba902b7";
    logs[4]!.body = { kvlistValue: { values: [{ key: "k", value: { intValue: "7" } }] } };
    assert.equal(
      (await postJson(argus.otlpHttpUrl, "logs", logsRequest(logs, "billing"))).status,
      200,
    );
    assert.equal(
      (await postJson(
        argus.otlpHttpUrl,
        "logs",
        logsRequest(jsonLogs(2, 6, nowNs - 1_000_000_000n), "other"),
      )).status,
      200,
    );
    const get = async (query: string) => {
      const response = await fetch(`${argus.baseUrl}/api/logs?${query}`);
      return { status: response.status, body: await response.json() };
    };

    const all = await get("range=15m");
    assert.equal(all.status, 200);
    assert.equal(all.body.total, 8);
    assert.equal(all.body.limit, 50);
    assert.equal(all.body.offset, 0);
    assert.equal(all.body.items[0].service_name, "other"); // newest first

    const billing = await get("service=billing&severity=warn&sort=timestamp&order=asc");
    assert.deepEqual(
      billing.body.items.map((l: { severity_number: number }) => l.severity_number),
      [13, 17, 21],
    );
    assert.equal(billing.body.total, 3);
    assert.deepEqual(billing.body.items[2].body, { k: 7 });
    assert.match(billing.body.items[0].timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    assert.equal(billing.body.items[0].resource_attributes["service.name"], "billing");

    const byTrace = await get(`trace_id=4BF92F3577B34DA6A3CE929D0E0E4736&span_id=00f067aa0ba902b7`);
    assert.equal(byTrace.body.total, 1);
    assert.equal(byTrace.body.items[0].severity_number, 17);

    const paged = await get("service=billing&limit=2&offset=2&order=asc");
    assert.equal(paged.body.total, 6);
    assert.deepEqual(paged.body.items.map((l: { severity_number: number }) => l.severity_number), [
      13,
      17,
    ]);

    for (
      const [query, message] of [
        [
          "severity=loud",
          /^Cannot use 'severity' as it must be one of trace, debug, info, warn, error, fatal or a number from 1 to 24/,
        ],
        [
          "limit=5000",
          /^Cannot use 'limit' as it must be an integer from 1 to 1000: current value is "5000"$/,
        ],
        [
          "sort=body",
          /^Cannot use 'sort' as it must be one of timestamp: current value is "body"$/,
        ],
        ["trace_id=xyz", /^Cannot use 'trace_id' as it must be 32 hex characters/],
      ] as const
    ) {
      const bad = await get(query);
      assert.equal(bad.status, 400, query);
      assert.match(bad.body.error, message, query);
    }
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("GET /api/stats counts the window's traces, spans, errors, logs and services", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-api-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms" }, cwd);
  try {
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const spans = jsonSpans(3, 21, nowNs - 10_000_000_000n);
    // Two traces: a root with a child, and a root alone (a trace counts by its root span).
    spans[1]!.traceId = spans[0]!.traceId;
    spans[1]!.parentSpanId = spans[0]!.spanId;
    spans[2]!.status = { code: 2, message: "boom" };
    assert.equal(
      (await postJson(argus.otlpHttpUrl, "traces", traceRequest(spans, "api"))).status,
      200,
    );
    const otherSpans = jsonSpans(1, 22, nowNs - 10_000_000_000n);
    assert.equal(
      (await postJson(argus.otlpHttpUrl, "traces", traceRequest(otherSpans, "web"))).status,
      200,
    );
    assert.equal(
      (await postJson(
        argus.otlpHttpUrl,
        "logs",
        logsRequest(jsonLogs(4, 23, nowNs - 10_000_000_000n), "api"),
      )).status,
      200,
    );

    const all = await (await fetch(`${argus.baseUrl}/api/stats`)).json();
    assert.deepEqual(all, {
      total_traces: 3,
      total_spans: 4,
      total_logs: 4,
      total_errors: 1,
      active_services: 2,
    });
    const api = await (await fetch(`${argus.baseUrl}/api/stats?service=api&range=1h`)).json();
    assert.deepEqual(api, {
      total_traces: 2,
      total_spans: 3,
      total_logs: 4,
      total_errors: 1,
      active_services: 1,
    });
    const empty = await (await fetch(`${argus.baseUrl}/api/stats?start=0&end=1000`)).json();
    assert.deepEqual(empty, {
      total_traces: 0,
      total_spans: 0,
      total_logs: 0,
      total_errors: 0,
      active_services: 0,
    });
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("GET /api/logs/context returns the anchor and its service's records around it", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-api-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms" }, cwd);
  try {
    const base = BigInt(Date.now() - 60_000) * 1_000_000n;
    const second = 1_000_000_000n;
    const logs = jsonLogs(7, 31, base);
    logs.forEach((log, i) => log.timeUnixNano = (base + BigInt(i) * second).toString());
    assert.equal((await postJson(argus.otlpHttpUrl, "logs", logsRequest(logs, "api"))).status, 200);
    const noise = jsonLogs(3, 32, base + 3n * second);
    assert.equal(
      (await postJson(argus.otlpHttpUrl, "logs", logsRequest(noise, "web"))).status,
      200,
    );
    const listed = await (await fetch(`${argus.baseUrl}/api/logs?service=api&order=asc&range=15m`))
      .json();
    const ids: string[] = listed.items.map((l: { id: string }) => l.id);
    assert.equal(ids.length, 7);

    const context = await (await fetch(`${argus.baseUrl}/api/logs/context?id=${ids[3]}&window=2s`))
      .json();
    assert.equal(context.anchor.id, ids[3]);
    assert.deepEqual(context.before.map((l: { id: string }) => l.id), [ids[1], ids[2]]);
    assert.deepEqual(context.after.map((l: { id: string }) => l.id), [ids[4], ids[5]]);
    const wide = await (await fetch(`${argus.baseUrl}/api/logs/context?id=${ids[3]}`)).json();
    assert.equal(wide.before.length + wide.after.length, 6); // the default ±1m; "web" excluded

    const missing = await fetch(`${argus.baseUrl}/api/logs/context?id=${"a".repeat(32)}`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    const bad = await fetch(`${argus.baseUrl}/api/logs/context?id=${ids[3]}&window=2h`);
    assert.equal(bad.status, 400);
    assert.match(
      (await bad.json()).error,
      /^Cannot use 'window' as it must be a duration from 1ms to 1h/,
    );
    const noId = await fetch(`${argus.baseUrl}/api/logs/context`);
    assert.equal(noId.status, 400);
    await noId.body?.cancel();
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
