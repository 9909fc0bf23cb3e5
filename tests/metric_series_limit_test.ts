/**
 * The cardinality limit of metrics (MAX_SERIES_PER_INSTRUMENT) in a real Argus: the points of new
 * series past the limit are refused one by one as partial success, with a reason naming the
 * setting, the instrument and the limit, counted on /metrics and logged; another instrument and
 * the existing series are unaffected; after a restart the limit still holds (the view is read
 * again from the database).
 */
import assert from "node:assert/strict";
import { openDatabase } from "../store/dialects/mod.ts";
import { listMetricSeries, metricPoints } from "../store/metric_reads.ts";
import {
  afterT0,
  decodeMetrics,
  doublePoint,
  gaugeMetric,
  oneScope,
  postMetrics,
  stringAttrs,
  T1,
  T2,
  toOtlpJson,
} from "./metric_requests.ts";
import { type ArgusProcess, startArgus } from "./argus_process.ts";
import { databaseConfig } from "./databases.ts";
import { parsePrometheusText, sampleValue } from "../lib/prometheus_text_test_helper.ts";

const LIMIT = 5;
const ENV = { FLUSH_INTERVAL: "20ms", MAX_SERIES_PER_INSTRUMENT: String(LIMIT) };

/** A gauge with one point per queue name, at `time`. */
function gauge(name: string, queues: string[], time: string) {
  return gaugeMetric(
    name,
    queues.map((queue, i) => doublePoint(time, i + 0.5, { attributes: stringAttrs({ queue }) })),
    { unit: "{item}" },
  );
}

const queues = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `q${from + i}`);

async function send(argus: ArgusProcess, request: unknown) {
  const response = await postMetrics(argus.otlpHttpUrl, toOtlpJson(request), "json");
  assert.equal(response.status, 200);
  const answer = await response.json();
  return {
    rejected: Number(answer.partialSuccess?.rejectedDataPoints ?? 0),
    message: String(answer.partialSuccess?.errorMessage ?? ""),
  };
}

async function refusedOnMetrics(argus: ArgusProcess): Promise<number> {
  const families = parsePrometheusText(await (await fetch(`${argus.baseUrl}/metrics`)).text());
  return sampleValue(families, "argus_rejected_items_total", {
    signal: "metric_points",
    reason: "series_limit",
  }) ?? 0;
}

function instrumentKey(request: unknown, name: string): string {
  return decodeMetrics(request).points.find((p) => p.instrument.name === name)!.instrumentKey;
}

Deno.test("MAX_SERIES_PER_INSTRUMENT: points of new series past it are refused, counted and logged; existing series and other instruments are stored, also after a restart", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-series-limit-" });
  let argus = await startArgus(ENV, cwd);
  const open = openDatabase(databaseConfig("sqlite", `${cwd}/data/argus.db`), cwd, () => {});
  const { db, capabilities: caps } = open;
  try {
    const first = oneScope([
      gauge("queue.depth", queues(0, 8), T1),
      gauge("queue.age", queues(0, LIMIT), T1),
    ]);
    const depth = instrumentKey(first, "queue.depth");
    const age = instrumentKey(first, "queue.age");
    const series = async (key: string) =>
      (await listMetricSeries(db, caps, key, { limit: 100 })).map((s) =>
        JSON.parse(s.attributes).queue
      ).sort();
    const points = async (key: string) => {
      const keys = (await listMetricSeries(db, caps, key, { limit: 100 })).map((s) => s.seriesKey);
      const stored = await metricPoints(db, caps, keys, { fromNs: 1n, toNs: 1n << 62n });
      return stored.reduce((n, s) => n + s.points.length, 0);
    };

    // 8 series of one instrument: the first 5 stored, 3 refused; the other one, at the limit, whole.
    const answer = await send(argus, first);
    assert.equal(answer.rejected, 3, answer.message);
    assert.match(answer.message, /^3 data points rejected: /);
    assert.match(
      answer.message,
      /a point of a new series of the instrument "queue\.depth" \(service "hand-service"\) cannot be stored as the instrument has 5 series, the most MAX_SERIES_PER_INSTRUMENT allows: its attributes are \{"queue":"q5"\}/,
    );
    assert.deepEqual(await series(depth), queues(0, 5));
    assert.deepEqual(await series(age), queues(0, LIMIT));
    assert.equal(await refusedOnMetrics(argus), 3);
    const warnings = argus.log().split("\n").filter((l) => l.includes("of new series refused"));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /instrument=queue\.depth service=hand-service .*limit=5 refused=3/);

    // Existing series keep taking points; a new one is still refused.
    const second = await send(argus, oneScope([gauge("queue.depth", queues(0, 6), T2)]));
    assert.equal(second.rejected, 1);
    assert.match(second.message, /"q5"/);
    assert.equal(await points(depth), 10);
    assert.equal(await refusedOnMetrics(argus), 4);

    // After a restart the view is read from the database: the limit still holds.
    assert.equal(await argus.stop(), 0);
    argus = await startArgus(ENV, cwd);
    const T3 = afterT0(30);
    const third = await send(
      argus,
      oneScope([gauge("queue.depth", ["q1", "q7"], T3), gauge("queue.age", ["q4"], T3)]),
    );
    assert.equal(third.rejected, 1);
    assert.match(third.message, /"q7"/);
    assert.doesNotMatch(third.message, /queue\.age/);
    assert.deepEqual(await series(depth), queues(0, 5));
    assert.equal(await points(depth), 11);
    assert.equal(await points(age), 6);
    assert.equal(await refusedOnMetrics(argus), 1);
  } finally {
    await db.destroy();
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
