import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ArgusMetrics,
  DB_LATENCY_BUCKETS_S,
  metricsResponse,
  REJECTION_REASONS,
  rejectionReason,
} from "./metrics.ts";
import {
  type MetricFamily,
  parsePrometheusText,
  sampleValue,
} from "./prometheus_text_test_helper.ts";
import { parseConfig } from "./config.ts";
import { createLogger } from "./logger.ts";
import { Batcher, type BatcherObserver } from "../ingest/batcher.ts";
import { type DeadLetterObserver, DeadLetterQueue } from "../ingest/dead_letter_queue.ts";
import { type IngestObserver, IngestService } from "../ingest/ingest_service.ts";
import {
  createOtlpHttpHandler,
  type OtlpHttpObserver,
  TRANSPORT_HEADER,
} from "../ingest/otlp_http.ts";
import { health } from "../routes/health.ts";
import {
  type Batch,
  createStore,
  type LogRow,
  screenBatch,
  type SpanRow,
  type Store,
  StoreUnavailableError,
} from "../store/mod.ts";
import { buildBatch, buildLog, buildResource, buildSpan } from "../tests/builders.ts";
import { jsonSpans, traceRequest } from "../tests/otlp_payloads.ts";

const quiet = createLogger("error", () => {});
const ROOT = new URL("..", import.meta.url).pathname;

function testConfig() {
  const parsed = parseConfig({ DB_DRIVER: "sqlite", DB_DSN: ":memory:" });
  if (!parsed.ok) throw new Error(parsed.errors.join("; "));
  return parsed.config;
}

async function withMemoryStore(fn: (store: Store) => Promise<void>): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "argus-metrics-" });
  const store = await createStore(testConfig().db, { dataDir });
  try {
    await store.migrate();
    await fn(store);
  } finally {
    await store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

async function scrape(metrics: ArgusMetrics): Promise<Map<string, MetricFamily>> {
  return parsePrometheusText(await metrics.text());
}

/** Without process metrics: each instance with them starts an event-loop monitor. */
function bare(options: ConstructorParameters<typeof ArgusMetrics>[0] = {}): ArgusMetrics {
  return new ArgusMetrics({ processMetrics: false, ...options });
}

function batcherOptions(store: Pick<Store, "write">, metrics: ArgusMetrics, dlq: {
  write(batch: Batch): Promise<string>;
}) {
  return {
    store,
    dlq,
    logger: quiet,
    batchRows: 1000,
    flushIntervalMs: 5,
    maxQueueRows: 10_000,
    maxQueueBytes: 64 * 1_048_576,
    observer: metrics,
  };
}

// --- the test helper's parser -------------------------------------------------------------------

Deno.test("parsePrometheusText() reads families, labels with escapes, and special values", () => {
  const families = parsePrometheusText(
    [
      "# HELP demo_total A \\\\ demo\\nwith two lines.",
      "# TYPE demo_total counter",
      'demo_total{path="/a\\"b\\\\c\\n",code="200"} 3 1712345678000',
      'demo_total{path="/",code="500"} 1e3',
      "# a comment",
      "",
      "# TYPE lat histogram",
      'lat_bucket{le="0.1"} 1',
      'lat_bucket{le="+Inf"} 2',
      "lat_sum 0.35",
      "lat_count 2",
      "g NaN",
      "h -Inf",
      "i Nan",
      "j +infinity",
      "",
    ].join("\n"),
  );
  const demo = families.get("demo_total")!;
  assert.equal(demo.type, "counter");
  assert.equal(demo.help, "A \\ demo\nwith two lines.");
  assert.deepEqual(demo.samples[0], {
    name: "demo_total",
    labels: { path: '/a"b\\c\n', code: "200" },
    value: 3,
    timestampMs: 1712345678000,
  });
  assert.equal(sampleValue(families, "demo_total", { code: "500", path: "/" }), 1000);
  assert.equal(families.get("lat")!.type, "histogram");
  assert.equal(sampleValue(families, "lat", {}, "lat_count"), 2);
  assert.ok(Number.isNaN(sampleValue(families, "g")));
  assert.equal(families.get("g")!.type, "untyped");
  assert.equal(sampleValue(families, "h"), -Infinity);
  assert.ok(Number.isNaN(sampleValue(families, "i")), "Go's ParseFloat takes any case");
  assert.equal(sampleValue(families, "j"), Infinity);
});

Deno.test("parsePrometheusText() refuses malformed expositions, naming the line", () => {
  const bad: [string, string][] = [
    ["no final newline", "a 1"],
    ["bad metric name", "1a 1\n"],
    ["bad label name", 'a{1x="v"} 1\n'],
    ["reserved label name", 'a{__name__="v"} 1\n'],
    ["unquoted label value", "a{x=v} 1\n"],
    ["unclosed label value", 'a{x="v} 1\n'],
    ["bad escape", 'a{x="\\t"} 1\n'],
    ["repeated label", 'a{x="1",x="2"} 1\n'],
    ["trailing comma", 'a{x="1",} 1\n'],
    ["missing value", "a\n"],
    ["value not a float", "a one\n"],
    ["hex value", "a 0x10\n"],
    ["signed NaN", "a -NaN\n"],
    ["word value", "a infinite\n"],
    ["two spaces", "a  1\n"],
    ["float timestamp", "a 1 1.5\n"],
    ["extra field", "a 1 2 3\n"],
    ["unknown type", "# TYPE a countr\na 1\n"],
    ["type after samples", "a 1\n# TYPE a gauge\n"],
    ["two HELP lines", "# HELP a x\n# HELP a y\na 1\n"],
    ["malformed HELP", "#HELP a x\na 1\n"],
    ["repeated series", 'a{x="1"} 1\na{x="1"} 2\n'],
    ["split family", "a 1\nb 1\na 2\n"],
    ["bucket without le", "# TYPE h histogram\nh_bucket 1\nh_sum 1\nh_count 1\n"],
    [
      "non-cumulative histogram",
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
    ],
    [
      "histogram without +Inf",
      '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n',
    ],
    [
      "histogram count differs from +Inf",
      '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n',
    ],
  ];
  for (const [what, text] of bad) {
    assert.throws(() => parsePrometheusText(text), SyntaxError, what);
  }
});

// --- the metrics ----------------------------------------------------------------------------------

Deno.test("ArgusMetrics exposes the four metrics of the contract with their types", async () => {
  let clients = 3;
  let dlqFiles = 2;
  const metrics = bare({ sources: { liveClients: () => clients, dlqSize: () => dlqFiles } });
  let families = await scrape(metrics);

  assert.equal(families.get("argus_ingestion_rate")?.type, "counter");
  assert.equal(sampleValue(families, "argus_ingestion_rate", { signal: "spans" }), 0);
  assert.equal(sampleValue(families, "argus_ingestion_rate", { signal: "logs" }), 0);
  assert.equal(families.get("argus_active_connections")?.type, "gauge");
  assert.equal(sampleValue(families, "argus_active_connections"), 3);
  assert.equal(families.get("argus_dlq_size")?.type, "gauge");
  assert.equal(sampleValue(families, "argus_dlq_size"), 2);

  const latency = families.get("argus_db_latency");
  assert.equal(latency?.type, "histogram");
  const bounds = latency!.samples
    .filter((s) => s.name === "argus_db_latency_bucket" && s.labels.op === "write")
    .map((s) => (s.labels.le === "+Inf" ? Infinity : Number(s.labels.le)));
  assert.deepEqual(bounds, [...DB_LATENCY_BUCKETS_S, Infinity]);
  assert.equal(bounds[0], 0.0005);
  assert.equal(bounds.at(-2), 10);

  // Callbacks are read at each scrape; one that throws reads NaN instead of failing the scrape.
  clients = 5;
  dlqFiles = 0;
  metrics.collectFrom({
    queueDepth: () => {
      throw new Error("the batcher is gone");
    },
  });
  families = await scrape(metrics);
  assert.equal(sampleValue(families, "argus_active_connections"), 5);
  assert.equal(sampleValue(families, "argus_dlq_size"), 0);
  assert.ok(Number.isNaN(sampleValue(families, "argus_queue_rows")));
});

Deno.test("a batch committed by the instrumented Batcher moves the ingestion and write metrics", async () => {
  await withMemoryStore(async (store) => {
    const metrics = bare();
    const batcher = new Batcher(batcherOptions(store, metrics, {
      write: () => Promise.reject(new Error("the DLQ is not used here")),
    }));
    metrics.collectFrom({ queueDepth: () => batcher.depth() });
    await Promise.all([batcher.submit(buildBatch(5, 3, 1)), batcher.submit(buildBatch(2, 0, 2))]);
    await batcher.drain();

    const families = await scrape(metrics);
    assert.equal(sampleValue(families, "argus_ingestion_rate", { signal: "spans" }), 7);
    assert.equal(sampleValue(families, "argus_ingestion_rate", { signal: "logs" }), 3);
    const batches = sampleValue(families, "argus_batches_total", { outcome: "stored" })!;
    assert.ok(batches >= 1 && batches <= 2, `batches stored: ${batches}`);
    assert.equal(sampleValue(families, "argus_batches_total", { outcome: "failed" }), 0);
    assert.equal(sampleValue(families, "argus_batch_items", {}, "argus_batch_items_sum"), 10);
    const writes = sampleValue(
      families,
      "argus_db_latency",
      { op: "write" },
      "argus_db_latency_count",
    );
    assert.equal(writes, batches);
    assert.ok(
      sampleValue(families, "argus_db_latency", { op: "write" }, "argus_db_latency_sum")! > 0,
    );
    assert.equal(sampleValue(families, "argus_queue_rows"), 0);
    assert.equal(sampleValue(families, "argus_queue_bytes"), 0);
    const p99 = metrics.dbLatencyP99Ms();
    assert.ok(p99 !== null && p99 > 0, `p99: ${p99}`);
    assert.equal(metrics.dbLatencyP99Ms(["query"]), null);
  });
});

Deno.test("rows the database refuses are not counted as ingested", async () => {
  const metrics = bare();
  // SQLite takes almost anything, so the database's refusal of one row is played by a double.
  const refusing: Pick<Store, "write"> = {
    write: (batch) =>
      Promise.resolve({
        spans: {
          inserted: batch.spans.length - 1,
          duplicates: 0,
          rejected: [{ index: 1, reason: "the database refused it: value out of range" }],
        },
        logs: { inserted: batch.logs.length, duplicates: 0, rejected: [] },
      }),
  };
  const batcher = new Batcher(batcherOptions(refusing, metrics, {
    write: () => Promise.reject(new Error("the DLQ is not used here")),
  }));
  const result = await batcher.submit(buildBatch(3, 2, 3));
  await batcher.drain();
  assert.equal(result.rejected.spans.length, 1);
  const families = await scrape(metrics);
  assert.equal(sampleValue(families, "argus_ingestion_rate", { signal: "spans" }), 2);
  assert.equal(sampleValue(families, "argus_ingestion_rate", { signal: "logs" }), 2);
});

Deno.test("dead-lettering, replay and quarantine move the DLQ metrics", async () => {
  await withMemoryStore(async (store) => {
    const root = await Deno.makeTempDir({ prefix: "argus-metrics-dlq-" });
    try {
      const metrics = bare();
      const dlq = new DeadLetterQueue({
        dir: join(root, "dlq"),
        maxBytes: 64 * 1_048_576,
        logger: quiet,
        observer: metrics,
      });
      metrics.collectFrom({ dlqSize: () => dlq.size(), dlqBytes: () => dlq.bytes() });
      const down: Pick<Store, "write"> = {
        write: () => Promise.reject(new StoreUnavailableError("connection refused")),
      };
      const batcher = new Batcher(batcherOptions(down, metrics, dlq));
      const answer = await batcher.submit(buildBatch(4, 2, 4));
      await batcher.drain();
      assert.equal(answer.deadLettered, true);

      let families = await scrape(metrics);
      assert.equal(sampleValue(families, "argus_batches_total", { outcome: "dead_lettered" }), 1);
      assert.equal(sampleValue(families, "argus_ingestion_rate", { signal: "spans" }), 4);
      assert.equal(sampleValue(families, "argus_dlq_writes_total", { outcome: "ok" }), 1);
      assert.equal(sampleValue(families, "argus_dlq_size"), 1);
      assert.ok(sampleValue(families, "argus_dlq_bytes")! > 0);
      assert.equal(
        sampleValue(families, "argus_db_errors_total", { op: "write", kind: "unavailable" }),
        1,
      );
      assert.equal(
        sampleValue(families, "argus_db_latency", { op: "write" }, "argus_db_latency_count"),
        0,
      );

      await Deno.writeTextFile(join(root, "dlq", "batch_0000000000000_000000_00000000.json"), "{");
      const report = await dlq.replayOnce(store);
      assert.equal(report.replayedFiles, 1);
      assert.equal(report.quarantinedFiles, 1);

      families = await scrape(metrics);
      assert.equal(sampleValue(families, "argus_dlq_size"), 0);
      assert.equal(sampleValue(families, "argus_dlq_replayed_files_total"), 1);
      assert.equal(
        sampleValue(families, "argus_dlq_replayed_items_total", { result: "stored" }),
        6,
      );
      assert.equal(sampleValue(families, "argus_dlq_quarantined_files_total"), 1);
      assert.equal(
        sampleValue(families, "argus_db_latency", { op: "replay" }, "argus_db_latency_count"),
        1,
      );
      // Replayed items were counted as ingested when they were dead-lettered, not again.
      assert.equal(sampleValue(families, "argus_ingestion_rate", { signal: "spans" }), 4);

      // A store that throws (read-only, say) is a replay error and keeps the file; an item the
      // store refuses is counted as rejected, and quarantined rather than dropped.
      const poisoned = buildBatch(2, 0, 5);
      poisoned.spans[0] = { ...poisoned.spans[0]!, traceId: "bad" };
      await dlq.write(poisoned);
      const readOnly: Pick<Store, "write"> = {
        write: () => Promise.reject(new Error("cannot execute INSERT in a read-only transaction")),
      };
      assert.equal((await dlq.replayOnce(readOnly)).storeFailed, true);
      assert.equal((await dlq.replayOnce(store)).rejectedItems, 1);
      families = await scrape(metrics);
      assert.equal(
        sampleValue(families, "argus_db_errors_total", { op: "replay", kind: "error" }),
        1,
      );
      assert.equal(
        sampleValue(families, "argus_dlq_replayed_items_total", { result: "rejected" }),
        1,
      );
      assert.equal(sampleValue(families, "argus_dlq_replayed_files_total"), 2);
      assert.equal(sampleValue(families, "argus_dlq_quarantined_files_total"), 1);
      assert.equal(sampleValue(families, "argus_dlq_size"), 0);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
});

Deno.test("OTLP/HTTP requests are counted by transport, signal and outcome, refusals by reason", async () => {
  await withMemoryStore(async (store) => {
    const config = testConfig();
    const metrics = bare();
    const batcher = new Batcher(batcherOptions(store, metrics, {
      write: () => Promise.reject(new Error("the DLQ is not used here")),
    }));
    const service = new IngestService({
      batcher,
      decodeLimits: config.ingest,
      validation: { maxFieldBytes: 4096 },
      logger: quiet,
      observer: metrics,
    });
    const handle = createOtlpHttpHandler({
      service,
      logger: quiet,
      maxRequestBytes: config.ingest.maxRequestBytes,
      observer: metrics,
    });
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      handle(
        new Request(`http://argus${path}`, {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body: JSON.stringify(body),
        }),
      );

    const spans = jsonSpans(4, 7);
    spans[0]!.traceId = "0".repeat(32); // all zeros: refused while decoding
    spans[1]!.name = "x".repeat(5000); // over MAX_FIELD_BYTES (4096 here): refused by screening
    assert.equal((await post("/v1/traces", traceRequest(spans))).status, 200);
    assert.equal(
      (await post("/v1/traces", traceRequest(jsonSpans(2, 8)), {
        [TRANSPORT_HEADER]: "grpc",
      })).status,
      200,
    );
    assert.equal((await post("/v1/traces", "not OTLP")).status, 400);
    assert.equal((await post("/v1/metrics", {})).status, 200);
    assert.equal((await post("/v1/nothing", {})).status, 404);
    await batcher.drain();

    const families = await scrape(metrics);
    const requests = (transport: string, signal: string, outcome: string) =>
      sampleValue(families, "argus_otlp_requests_total", { transport, signal, outcome });
    assert.equal(requests("http", "traces", "partial_success"), 1);
    assert.equal(requests("grpc", "traces", "success"), 1);
    assert.equal(requests("http", "traces", "invalid"), 1);
    assert.equal(requests("http", "metrics", "success"), 1);
    assert.equal(requests("http", "unknown", "invalid"), 1);
    const rejected = (reason: string) =>
      sampleValue(families, "argus_rejected_items_total", { signal: "spans", reason });
    assert.equal(rejected("invalid_id"), 1);
    assert.equal(rejected("too_large"), 1);
    assert.equal(sampleValue(families, "argus_ingestion_rate", { signal: "spans" }), 4);

    // Every label value comes from a fixed set, whatever the requests held.
    for (const sample of families.get("argus_rejected_items_total")!.samples) {
      assert.ok((REJECTION_REASONS as readonly string[]).includes(sample.labels.reason!));
    }
  });
});

Deno.test("rejectionReason() puts the store's and the decoders' reasons into bounded categories", () => {
  const resource = buildResource("svc");
  const log = (overrides: Partial<LogRow>) => ({ ...buildLog(resource), ...overrides });
  const span = (overrides: Partial<SpanRow>) => ({ ...buildSpan(resource), ...overrides });
  const screened = screenBatch({
    resources: [resource],
    spans: [span({ traceId: "abc", kind: 9 })],
    logs: [
      log({ id: "xyz" }),
      log({ body: "a\u0000b" }),
      log({ body: "\ud800" }),
      log({ body: "x".repeat(1001) }),
      log({ severityNumber: 99 }),
    ],
  }, { maxFieldBytes: 1000 });
  const byStore = [...screened.rejected.spans, ...screened.rejected.logs].map((r) => r.reason);
  assert.equal(byStore.length, 6);
  const cases: [string, string][] = [
    [byStore[0]!, "invalid_id"], // the first of two problems decides
    [byStore[1]!, "invalid_id"],
    [byStore[2]!, "invalid_text"],
    [byStore[3]!, "invalid_text"],
    [byStore[4]!, "too_large"],
    [byStore[5]!, "out_of_range"],
    ["resourceSpans[0].scopeSpans[0].spans[2]: trace_id must not be all zeros", "invalid_id"],
    [
      "resourceLogs[0].scopeLogs[0].logRecords[0]: span_id must be 8 bytes or empty: got 3",
      "invalid_id",
    ],
    ["resourceSpans[0].resource: attributes[0] must be valid UTF-8", "invalid_text"],
    ["spans[0]: attributes[1] must nest arrays and kvlists at most 8 levels deep", "too_deep"],
    ["something no rule knows", "other"],
  ];
  for (const [reason, category] of cases) {
    assert.equal(rejectionReason("validation", reason), category, reason);
  }
  assert.equal(rejectionReason("database", "the database refused it: value too long"), "database");
});

Deno.test("dbLatencyP99Ms() is the p99 of the last minute's samples, or null without any", () => {
  let now = 1_000_000;
  const metrics = bare({ now: () => now });
  assert.equal(metrics.dbLatencyP99Ms(), null);
  for (let ms = 1; ms <= 100; ms++) metrics.observeDbLatency("query", ms / 1000);
  assert.equal(metrics.dbLatencyP99Ms(), 99);
  metrics.observeDbLatency("ping", 0.5);
  assert.equal(metrics.dbLatencyP99Ms(["ping"]), 500);
  now += 61_000;
  assert.equal(metrics.dbLatencyP99Ms(), null, "samples older than the window are left out");
  metrics.observeDbLatency("write", 0.002);
  assert.equal(metrics.dbLatencyP99Ms(), 2);
});

Deno.test("timeDb() records a success's duration and a failure by kind, passing both through", async () => {
  const metrics = bare();
  assert.equal(await metrics.timeDb("query", () => Promise.resolve(42)), 42);
  await assert.rejects(
    metrics.timeDb("query", () => Promise.reject(new StoreUnavailableError("down"))),
    StoreUnavailableError,
  );
  await assert.rejects(metrics.timeDb("query", () => Promise.reject(new Error("syntax"))));
  const families = await scrape(metrics);
  assert.equal(
    sampleValue(families, "argus_db_latency", { op: "query" }, "argus_db_latency_count"),
    1,
  );
  assert.equal(
    sampleValue(families, "argus_db_errors_total", { op: "query", kind: "unavailable" }),
    1,
  );
  assert.equal(sampleValue(families, "argus_db_errors_total", { op: "query", kind: "error" }), 1);
});

Deno.test("health() reports live clients and the DB latency p99 when given them", async () => {
  await withMemoryStore(async (store) => {
    const ingest = { ingestionRate: () => 0, dlqSize: () => 0, queueDepth: () => 0 };
    const before = await health({ store, startedAt: Date.now(), ingest });
    assert.equal(before.active_connections, 0);
    assert.equal(before.db_latency_p99_ms, null);

    const metrics = bare();
    const after = await health({
      store,
      startedAt: Date.now(),
      ingest,
      liveClients: () => 4,
      dbLatencyP99Ms: () => metrics.dbLatencyP99Ms(),
      timeDb: (op, fn) => metrics.timeDb(op, fn),
    });
    assert.equal(after.status, "ok");
    assert.equal(after.active_connections, 4);
    assert.equal(typeof after.db_latency_p99_ms, "number", "the ping is a sample");
    const families = await scrape(metrics);
    assert.equal(
      sampleValue(families, "argus_db_latency", { op: "ping" }, "argus_db_latency_count"),
      1,
    );
  });
});

Deno.test("metricsResponse() answers the exposition as text/plain version 0.0.4", async () => {
  const response = await metricsResponse(bare());
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
  const families = parsePrometheusText(await response.text());
  assert.ok(families.has("argus_ingestion_rate"));
  assert.ok(families.has("argus_build_info"));
});

Deno.test("ArgusMetrics has the process and runtime metrics that work under Deno", async () => {
  const metrics = new ArgusMetrics();
  // The event-loop lag gauge is set just after a scrape: scrape twice.
  await metrics.text();
  await new Promise((resolve) => setTimeout(resolve, 20));
  const families = await scrape(metrics);
  assert.equal(families.get("process_cpu_seconds_total")?.type, "counter");
  assert.ok(sampleValue(families, "process_cpu_seconds_total")! > 0);
  assert.equal(families.get("process_resident_memory_bytes")?.type, "gauge");
  assert.ok(sampleValue(families, "process_resident_memory_bytes")! > 1_000_000);
  assert.ok(sampleValue(families, "process_start_time_seconds")! > 1_600_000_000);
  assert.ok(sampleValue(families, "nodejs_heap_size_used_bytes")! > 0);
  assert.equal(families.get("nodejs_eventloop_lag_seconds")?.type, "gauge");
  assert.ok(sampleValue(families, "nodejs_eventloop_lag_p99_seconds")! >= 0);
  // Left out: they would read zeros (or prompt) under Deno, or stay empty.
  for (const name of ["process_open_fds", "process_heap_bytes", "nodejs_gc_duration_seconds"]) {
    assert.equal(families.get(name), undefined, name);
  }
  // Each instance has a registry of its own: a second one registers the same names again.
  assert.ok((await new ArgusMetrics({ processMetrics: false }).text()).includes("argus_dlq_size"));
});

Deno.test("with the permissions of deno task start, /metrics works without prompting", async () => {
  const script = `
    import { ArgusMetrics } from ${JSON.stringify(new URL("./metrics.ts", import.meta.url).href)};
    const text = await new ArgusMetrics().text();
    await Deno.stdout.write(new TextEncoder().encode(text));
    Deno.exit(0);
  `;
  const dir = await Deno.makeTempDir({ prefix: "argus-metrics-child-" });
  try {
    const path = join(dir, "child.ts");
    await Deno.writeTextFile(path, script);
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      // The `start` task's flags, run from the project folder; --no-prompt turns a would-be
      // prompt into a failure.
      args: [
        "run",
        "--no-prompt",
        `--config=${join(ROOT, "deno.json")}`,
        "--allow-net",
        "--allow-env",
        "--allow-read=.",
        "--allow-write=.",
        "--allow-run",
        path,
      ],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const families = parsePrometheusText(new TextDecoder().decode(stdout));
    assert.ok(sampleValue(families, "process_resident_memory_bytes")! > 1_000_000);
    assert.ok(families.has("process_cpu_seconds_total"));
    assert.ok(families.has("argus_ingestion_rate"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ArgusMetrics is an observer of the batcher, the DLQ, the ingest service and OTLP/HTTP", () => {
  // Type-level: these assignments fail `deno check` when an observer interface drifts.
  const metrics = bare();
  const observers: [BatcherObserver, DeadLetterObserver, IngestObserver, OtlpHttpObserver] = [
    metrics,
    metrics,
    metrics,
    metrics,
  ];
  assert.equal(observers.length, 4);
});

Deno.test("the live stream across replicas is exposed from its counts, and reads 0 where it does not run", async () => {
  let figures = {
    connected: true,
    sentIds: 1_200,
    unsentIds: 3,
    sentNotifications: 7,
    receivedNotifications: 5,
    skippedNotifications: 2,
    droppedIds: 4,
    publishedRecords: 900,
  };
  const metrics = bare({ sources: { liveCluster: () => figures } });
  let families = await scrape(metrics);
  assert.equal(families.get("argus_live_cluster_ids_total")?.type, "counter");
  assert.equal(sampleValue(families, "argus_live_cluster_connected"), 1);
  const ids = (outcome: string) =>
    sampleValue(families, "argus_live_cluster_ids_total", { outcome });
  assert.deepEqual(
    ["sent", "unsent", "published", "dropped"].map(ids),
    [1_200, 3, 900, 4],
  );
  const notifications = (direction: string) =>
    sampleValue(families, "argus_live_cluster_notifications_total", { direction });
  assert.deepEqual(["sent", "received", "skipped"].map(notifications), [7, 5, 2]);
  // A later scrape reads the counts then, not their sum with the earlier ones.
  figures = { ...figures, connected: false, sentIds: 1_500 };
  families = await scrape(metrics);
  assert.equal(ids("sent"), 1_500);
  assert.equal(sampleValue(families, "argus_live_cluster_connected"), 0);

  const none = await scrape(bare());
  assert.equal(sampleValue(none, "argus_live_cluster_connected"), 0);
  assert.equal(sampleValue(none, "argus_live_cluster_ids_total", { outcome: "published" }), 0);
});
