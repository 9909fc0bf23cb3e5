/**
 * Metrics under a real database outage, with Argus as a child process: metric exports acknowledged
 * while PostgreSQL (a server of the test's own) is down are dead-lettered, and once it is back the
 * replay stores each point exactly once, also those sent twice (a client retry during the outage,
 * and a request committed before it and sent again).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openDatabase } from "../store/dialects/mod.ts";
import { type ArgusProcess, startArgus } from "./argus_process.ts";
import { databaseConfig } from "./databases.ts";
import { OwnPostgres, ownPostgresAvailable, waitUntil, withArgusLog } from "./fault_harness.ts";
import {
  afterT0,
  decodeMetrics,
  doublePoint,
  encodeMetrics,
  gaugeMetric,
  histogramMetric,
  histogramPoint,
  intPoint,
  oneScope,
  postMetrics,
  stringAttrs,
  sumMetric,
  T0,
} from "./metric_requests.ts";

/** A request of 8 points (gauge, cumulative sum, histogram with an exemplar) at round `i`. */
function metricsRequest(i: number): Uint8Array {
  const time = afterT0(10 * (i + 1));
  const attributes = (host: string) => stringAttrs({ host });
  return encodeMetrics(oneScope([
    gaugeMetric(
      "cpu.load",
      ["a", "b", "c"].map((h) => doublePoint(time, i + 0.5, { attributes: attributes(h) })),
    ),
    sumMetric(
      "requests",
      ["a", "b", "c"].map((h) =>
        intPoint(time, String(10 * i), { start: T0, attributes: attributes(h) })
      ),
      { temporality: "cumulative", monotonic: true },
    ),
    histogramMetric(
      "latency",
      ["a", "b"].map((h) =>
        histogramPoint(time, {
          start: T0,
          count: 3,
          sum: 7.5,
          explicitBounds: [1, 5],
          bucketCounts: [1, 1, 1],
          attributes: attributes(h),
          exemplars: [{ timeUnixNano: time, asDouble: 4.5, filteredAttributes: [] }],
        })
      ),
      { unit: "ms", temporality: "delta" },
    ),
  ], "metrics-outage"));
}

async function post(argus: ArgusProcess, body: Uint8Array): Promise<number> {
  const response = await postMetrics(argus.otlpHttpUrl, body, "protobuf");
  await response.body?.cancel();
  return response.status;
}

function batchFiles(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.startsWith("batch_"))
      .map((e) => e.name).sort();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

Deno.test({
  name:
    "metric points acknowledged while the database is down are dead-lettered and replayed, each stored once",
  ignore: !ownPostgresAvailable(),
  async fn() {
    const server = await OwnPostgres.start();
    const cwd = await Deno.makeTempDir({ prefix: "argus-metrics-fault-" });
    const dlqDir = join(cwd, "data", "dlq");
    let argus: ArgusProcess | undefined;
    try {
      await server.sql("create database argus");
      const dsn = server.dsn("argus");
      argus = await startArgus({
        FLUSH_INTERVAL: "20ms",
        DLQ_REPLAY_INTERVAL: "300ms",
        RETENTION: "off",
        DB_DRIVER: "postgres",
        DB_DSN: dsn,
        DB_CONNECT_TIMEOUT: "1s",
        DB_RETRY_INTERVAL: "300ms",
      }, cwd);
      const requests = Array.from({ length: 6 }, (_, i) => metricsRequest(i));
      // Before the outage: committed.
      assert.equal(await post(argus, requests[0]!), 200);
      assert.deepEqual(batchFiles(dlqDir), []);

      await server.stopServer("fast");
      // During it: acknowledged, dead-lettered; one retried, and the first sent again.
      for (const body of requests.slice(1)) assert.equal(await post(argus, body), 200);
      assert.equal(await post(argus, requests[3]!), 200);
      assert.equal(await post(argus, requests[0]!), 200);
      assert.ok(batchFiles(dlqDir).length > 0, "metric batches were dead-lettered");

      await server.startServer();
      await waitUntil("the DLQ to be replayed", () => batchFiles(dlqDir).length === 0, 60_000);
      assert.deepEqual(
        [...Deno.readDirSync(join(dlqDir, "quarantine"))].map((e) => e.name),
        [],
        "nothing was quarantined",
      );

      const expected = requests.flatMap((body) => decodeMetrics(body).points);
      assert.equal(expected.length, 6 * 8);
      const open = openDatabase(databaseConfig("postgres", dsn), cwd, () => {});
      try {
        const rows = await open.db.selectFrom("metric_points").selectAll().execute();
        assert.equal(rows.length, expected.length, "each point stored once");
        const keys = new Set(
          rows.map((r) => `${r.series_key}/${r.time_unix_nano}/${r.start_time_unix_nano}`),
        );
        for (const p of expected) {
          assert.ok(keys.has(`${p.seriesKey}/${p.timeUnixNano}/${p.startTimeUnixNano}`));
        }
        const exemplars = await open.db.selectFrom("metric_exemplars").selectAll().execute();
        assert.equal(exemplars.length, 6 * 2);
        const series = await open.db.selectFrom("metric_series").selectAll().execute();
        assert.equal(series.length, 8);
        const instruments = await open.db.selectFrom("metric_instruments").selectAll().execute();
        assert.equal(instruments.length, 3);
      } finally {
        await open.db.destroy();
      }
    } catch (error) {
      throw withArgusLog(error, argus);
    } finally {
      if (argus !== undefined) assert.equal(await argus.stop(), 0);
      await server.stopServer("immediate");
      await server.destroy().catch(() =>
        Deno.remove(server.dir, { recursive: true }).catch(() => {})
      );
      await Deno.remove(cwd, { recursive: true }).catch(() => {});
    }
  },
});
