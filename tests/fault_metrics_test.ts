/**
 * Metrics under a real database outage, with Argus as a child process: metric exports acknowledged
 * while PostgreSQL (a server of the test's own) is down are dead-lettered, and once it is back the
 * replay stores each point exactly once, also those sent twice (a client retry during the outage,
 * and a request committed before it and sent again).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openDatabase } from "../store/dialects/mod.ts";
import { decodeMetricsRequest } from "../ingest/otlp/metrics_decode.ts";
import { DEFAULT_DECODE_LIMITS } from "../ingest/otlp/types.ts";
import { encodeMetrics, oneScope, stringAttr } from "../ingest/otlp/testdata/metrics_payloads.ts";
import { type ArgusProcess, startArgus } from "./argus_process.ts";
import { databaseConfig } from "./databases.ts";
import { OwnPostgres, ownPostgresAvailable, waitUntil, withArgusLog } from "./fault_harness.ts";

/** A request of 8 points (gauge, cumulative sum, histogram with an exemplar) at round `i`. */
function metricsRequest(i: number): Uint8Array {
  const start = 1_795_687_200_000_000_000n;
  const time = String(start + BigInt(i + 1) * 10_000_000_000n);
  const attrs = (host: string) => [stringAttr("host", host)];
  return encodeMetrics(oneScope([
    {
      name: "cpu.load",
      gauge: {
        dataPoints: ["a", "b", "c"].map((h) => ({
          timeUnixNano: time,
          asDouble: i + 0.5,
          attributes: attrs(h),
        })),
      },
    },
    {
      name: "requests",
      sum: {
        aggregationTemporality: 2,
        isMonotonic: true,
        dataPoints: ["a", "b", "c"].map((h) => ({
          startTimeUnixNano: String(start),
          timeUnixNano: time,
          asInt: String(10 * i),
          attributes: attrs(h),
        })),
      },
    },
    {
      name: "latency",
      unit: "ms",
      histogram: {
        aggregationTemporality: 1,
        dataPoints: ["a", "b"].map((h) => ({
          startTimeUnixNano: String(start),
          timeUnixNano: time,
          count: 3,
          sum: 7.5,
          explicitBounds: [1, 5],
          bucketCounts: [1, 1, 1],
          attributes: attrs(h),
          exemplars: [{ timeUnixNano: time, asDouble: 4.5, filteredAttributes: [] }],
        })),
      },
    },
  ], "metrics-outage"));
}

async function post(argus: ArgusProcess, body: Uint8Array): Promise<number> {
  const response = await fetch(`${argus.otlpHttpUrl}/v1/metrics`, {
    method: "POST",
    headers: { "content-type": "application/x-protobuf" },
    body: body as Uint8Array<ArrayBuffer>,
  });
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

      const expected = requests.flatMap((body) =>
        decodeMetricsRequest("protobuf", body, DEFAULT_DECODE_LIMITS, 0n).points
      );
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
