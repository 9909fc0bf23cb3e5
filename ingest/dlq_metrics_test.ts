/**
 * Metric points in the dead-letter queue (dlq_format.ts version 3): every kind of point, with the
 * values JSON cannot hold (int64 extremes, NaN, ±Infinity), survives a file exactly, also when the
 * batch is spread over many small files; a version-2 file (no metric lines) is still read and
 * replayed; malformed metric lines are refused naming the problem; and a replayed file stores
 * each point once, however often it is replayed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createLogger } from "../lib/logger.ts";
import { type Batch, createStore } from "../store/mod.ts";
import { openDatabase } from "../store/dialects/mod.ts";
import { buildBatch } from "../tests/builders.ts";
import { databaseConfig } from "../tests/databases.ts";
import { DeadLetterQueue } from "./dead_letter_queue.ts";
import {
  decodeDlqFile,
  DLQ_VERSION,
  encodeDlqFile,
  encodeDlqFiles,
  InvalidDlqFileError,
} from "./dlq_format.ts";
import {
  decodedSdkMetrics,
  decodeMetrics,
  doublePoint,
  exemplar,
  exponentialHistogramMetric,
  gaugeMetric,
  handExponentialPoint,
  handHistogramPoint,
  handSummaryPoint,
  histogramMetric,
  histogramPoint,
  INT64_MAX,
  INT64_MIN,
  intPoint,
  noValuePoint,
  oneScope,
  storeBatch,
  stringAttrs,
  summaryMetric,
  T0,
  T1,
  T2,
  untracedExemplar,
} from "../tests/metric_requests.ts";

const CREATED = new Date("2026-12-06T10:00:00.000Z");

/** Every kind of point, with exemplars and the values JSON has no number for. */
function handPoints() {
  const probe = (name: string) => stringAttrs({ probe: name });
  const decoded = decodeMetrics(oneScope([
    gaugeMetric("temperature", [
      doublePoint(T1, NaN, { attributes: probe("nan") }),
      doublePoint(T1, Infinity, { attributes: probe("hot") }),
      doublePoint(T1, -Infinity, { attributes: probe("cold") }),
      intPoint(T1, INT64_MIN, {
        attributes: probe("min"),
        exemplars: [exemplar({ asInt: INT64_MAX }), untracedExemplar({ asDouble: NaN })],
      }),
      noValuePoint(T2, { attributes: probe("min") }),
    ]),
    histogramMetric("latency", [
      handHistogramPoint({ min: 0.5, max: 7 }),
      histogramPoint(T2, { start: T0, count: 4 }),
    ], { temporality: "delta" }),
    exponentialHistogramMetric("sizes", [handExponentialPoint()], { temporality: "cumulative" }),
    summaryMetric("rpc.duration", [handSummaryPoint()]),
  ]));
  assert.deepEqual(decoded.rejected, []);
  return decoded;
}

async function metricBatch(): Promise<Batch> {
  return storeBatch([handPoints(), await decodedSdkMetrics("delta", 2)], buildBatch(2, 2));
}

Deno.test("a DLQ file keeps every metric point exactly, int64 extremes and NaN included", async () => {
  const batch = await metricBatch();
  const bytes = encodeDlqFile(batch, CREATED);
  const text = new TextDecoder().decode(bytes);
  assert.equal(JSON.parse(text.slice(0, text.indexOf("\n"))).version, DLQ_VERSION);
  assert.equal(DLQ_VERSION, 3);
  assert.match(text, /"\$int":"-9223372036854775808"/);
  assert.match(text, /"\$double":"NaN"/);
  const decoded = decodeDlqFile(bytes);
  assert.deepEqual(decoded.metrics, batch.metrics);
  assert.deepEqual(decoded.spans, batch.spans);
  assert.deepEqual(decoded.logs, batch.logs);
  // The resources of the metric points are written, each once.
  const ids = new Set(batch.metrics!.map((p) => p.instrument.resourceId));
  for (const id of ids) assert.ok(decoded.resources.some((r) => r.id === id));
});

Deno.test("metric points spread over small DLQ files: each file complete, all points kept", async () => {
  const batch = await metricBatch();
  const files = encodeDlqFiles(batch, CREATED, 4096);
  assert.ok(files.length > 3, `${files.length} files`);
  const points = files.flatMap((file) => {
    assert.ok(file.length <= 4096);
    const decoded = decodeDlqFile(file);
    // Each file holds the resources its points reference.
    for (const p of decoded.metrics ?? []) {
      assert.ok(decoded.resources.some((r) => r.id === p.instrument.resourceId));
    }
    return decoded.metrics ?? [];
  });
  assert.deepEqual(points, batch.metrics);
});

Deno.test("a version-2 DLQ file (no metric lines) is still read", () => {
  const batch = buildBatch(3, 2);
  const v3 = new TextDecoder().decode(encodeDlqFile(batch, CREATED));
  const v2 = v3.replace('"version":3', '"version":2').replace(',"metrics":0}}', "}}");
  assert.notEqual(v2, v3);
  const decoded = decodeDlqFile(new TextEncoder().encode(v2));
  assert.deepEqual(decoded, batch);
  assert.equal(decoded.metrics, undefined);
  // A metric line has no place in a version-2 file.
  const lines = v2.slice(0, -1).split("\n");
  const withMetric = [...lines.slice(0, -1), '{"metric":{}}', lines.at(-1)!].join("\n") + "\n";
  assert.throws(
    () => decodeDlqFile(new TextEncoder().encode(withMetric)),
    /must hold one of "resource", "span", "log" or "end": it has "metric"/,
  );
});

Deno.test("a metric line keeps its instrument's scope schema URL and dropped count, and one written before them reads as none", () => {
  const request = oneScope([gaugeMetric("queue.depth", [intPoint(T1, 3)])]);
  const scopeMetrics = request.resourceMetrics[0]!.scopeMetrics[0]!;
  Object.assign(scopeMetrics, { schemaUrl: "https://opentelemetry.io/schemas/1.37.0" });
  Object.assign(scopeMetrics.scope, { droppedAttributesCount: 3 });
  const decoded = decodeMetrics(request);
  const batch = storeBatch([decoded]);
  const [point] = batch.metrics!;
  assert.equal(point!.instrument.scopeSchemaUrl, "https://opentelemetry.io/schemas/1.37.0");
  assert.equal(point!.instrument.scopeDroppedAttributesCount, 3);
  const text = new TextDecoder().decode(encodeDlqFile(batch, CREATED));
  assert.deepEqual(decodeDlqFile(new TextEncoder().encode(text)).metrics, batch.metrics);
  // A file written before issue 19 has neither field in its instruments.
  const before = text.replace(/"scopeSchemaUrl":"[^"]*",/, "")
    .replace(/"scopeDroppedAttributesCount":3,/, "");
  assert.doesNotMatch(before, /scopeSchemaUrl|scopeDroppedAttributesCount/);
  const [old] = decodeDlqFile(new TextEncoder().encode(before)).metrics!;
  assert.deepEqual(old!.instrument, {
    ...point!.instrument,
    scopeSchemaUrl: "",
    scopeDroppedAttributesCount: 0,
  });
});

Deno.test("malformed metric lines are refused naming the problem", async () => {
  const batch = await metricBatch();
  const text = new TextDecoder().decode(encodeDlqFile({ ...batch, spans: [], logs: [] }, CREATED));
  const lines = text.slice(0, -1).split("\n");
  const at = lines.findIndex((l) => l.includes('"$int":"-9223372036854775808"'));
  assert.ok(at > 0);
  const cases: [string, RegExp][] = [
    [
      lines[at]!.replace('"-9223372036854775808"', '"-9223372036854775809"'),
      /metric.value.value must be a decimal string of an int64/,
    ],
    [lines[at]!.replace('"kind":"int"', '"kind":"float"'), /metric.value.kind must be one of/],
    [lines[at]!.replace('"$double":"NaN"', '"$double":"nan"'), /must be one of "NaN", "Infinity"/],
    [
      lines[at]!.replace('"monotonic":false', '"monotonic":0'),
      /instrument.monotonic must be a boolean/,
    ],
    [lines[at]!.replace('"pointKey":', '"x":1,"pointKey":'), /metric has an unknown field "x"/],
  ];
  for (const [line, reason] of cases) {
    assert.notEqual(line, lines[at]);
    const bad = lines.with(at, line).join("\n") + "\n";
    assert.throws(
      () => decodeDlqFile(new TextEncoder().encode(bad)),
      (error: unknown) => error instanceof InvalidDlqFileError && reason.test(error.message),
      String(reason),
    );
  }
});

Deno.test("a dead-lettered metric batch replays into the store once, however often it is replayed", async () => {
  const root = await Deno.makeTempDir({ prefix: "argus-dlq-metrics-" });
  const dir = join(root, "dlq");
  const logger = createLogger("error", () => {});
  const dlq = new DeadLetterQueue({ dir, maxBytes: 64 * 1_048_576, logger });
  const config = databaseConfig("sqlite", "x.db");
  const store = await createStore(config, { dataDir: join(root, "data") });
  const open = openDatabase(config, join(root, "data"), () => {});
  try {
    await store.migrate();
    await dlq.init();
    const batch = await metricBatch();
    const name = await dlq.write(batch);
    const copy = await Deno.readFile(join(dir, name));
    const first = await dlq.replayOnce(store);
    assert.equal(first.replayedFiles, 1);
    assert.equal(first.storedMetrics, batch.metrics!.length);
    assert.equal(first.rejectedItems, 0);
    // The same file again (a replay cut short before its file was deleted): all duplicates.
    await Deno.writeFile(join(dir, name), copy);
    await dlq.init();
    const second = await dlq.replayOnce(store);
    assert.equal(second.replayedFiles, 1);
    assert.equal(second.storedMetrics, 0);
    assert.equal(second.duplicateItems, batch.metrics!.length + 4);
    const rows = await open.db.selectFrom("metric_points").selectAll().execute();
    assert.equal(rows.length, batch.metrics!.length);
  } finally {
    await open.db.destroy();
    await dlq.stop();
    await store.close();
    await Deno.remove(root, { recursive: true });
  }
});
