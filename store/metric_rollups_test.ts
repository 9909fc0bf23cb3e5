/**
 * Metric rollups (metric_rollups.ts, metric_reads.ts `chartPoints`) on every selected database:
 * 6 h of a counter, a histogram and a gauge at 10 s written through `Store.write`, the job caught
 * up, charts from `chartPoints` at each level equal to those from the raw points; a late point
 * marked and its bucket read raw until rebuilt; a replay changes nothing; retention deletes
 * rollups and marks; a database error is logged and the next run succeeds.
 */
import assert from "node:assert/strict";
import { sql } from "kysely";
import { createStore, type Store } from "./mod.ts";
import { openDatabase } from "./dialects/mod.ts";
import { histogramPoints, numberPoints, type SeriesPoints } from "./metric_reads.ts";
import { MetricRollupJob } from "./metric_rollups.ts";
import { freshDatabase, selectedDrivers } from "../tests/databases.ts";
import { decodeMetricsRequest } from "../ingest/otlp/metrics_decode.ts";
import { DEFAULT_DECODE_LIMITS } from "../ingest/otlp/types.ts";
import { encodeMetrics, oneScope, stringAttr } from "../ingest/otlp/testdata/metrics_payloads.ts";
import { counterSteps, gaugeSteps, histogramSteps } from "../utils/metric_math.ts";
import type { Logger } from "../lib/logger.ts";

const S = 1_000_000_000n;
const HOUR = 3600n * S;
const BOUNDS = [1, 5, 10, 50];

/** 6 h at 10 s ending an hour ago: a cumulative counter, a cumulative histogram, a gauge. */
function sixHours(startNs: bigint, offsetNs = 0n, count = 2160) {
  const times = Array.from({ length: count }, (_, i) => startNs + BigInt(i) * 10n * S + offsetNs);
  const attrs = [stringAttr("host", "a")];
  return encodeMetrics(oneScope([
    {
      name: "requests",
      sum: {
        aggregationTemporality: 2,
        isMonotonic: true,
        // A reset at the 3rd hour (a new start time).
        dataPoints: times.map((t, i) => ({
          startTimeUnixNano: String(i < 1080 ? startNs - S : startNs + 3n * HOUR),
          timeUnixNano: String(t),
          asInt: String(i < 1080 ? i * 3 : (i - 1080) * 2),
          attributes: attrs,
        })),
      },
    },
    {
      name: "latency",
      unit: "ms",
      histogram: {
        aggregationTemporality: 2,
        dataPoints: times.map((t, i) => ({
          startTimeUnixNano: String(startNs - S),
          timeUnixNano: String(t),
          count: String(i * 4),
          sum: i * 40.5,
          bucketCounts: [i, i, i, i, 0].map(String),
          explicitBounds: BOUNDS,
          attributes: attrs,
        })),
      },
    },
    {
      name: "queue",
      gauge: {
        dataPoints: times.map((t, i) => ({
          timeUnixNano: String(t),
          asDouble: Math.sin(i / 7) * 100,
          attributes: attrs,
        })),
      },
    },
  ]));
}

function decode(request: Uint8Array) {
  const decoded = decodeMetricsRequest("protobuf", request, DEFAULT_DECODE_LIMITS, 0n);
  assert.deepEqual(decoded.rejected, []);
  return decoded;
}

async function writeAll(store: Store, request: Uint8Array) {
  const decoded = decode(request);
  return await store.write({
    resources: decoded.resources,
    spans: [],
    logs: [],
    metrics: decoded.points,
  });
}

/** The charts the route would draw of each series, by its instrument's name. */
function charts(
  series: readonly SeriesPoints[],
  kinds: ReadonlyMap<string, string>,
  window: { fromUnixNano: bigint; toUnixNano: bigint; stepNano: bigint },
) {
  return series.map((s) => {
    const all = s.baseline === undefined ? s.points : [s.baseline, ...s.points];
    switch (kinds.get(s.seriesKey)) {
      case "requests":
        return counterSteps(numberPoints(all), window);
      case "latency":
        return histogramSteps(histogramPoints(all), window, "cumulative");
      default:
        return gaugeSteps(numberPoints(s.points), window);
    }
  });
}

/**
 * Numbers to 12 significant digits: a rollup sums a gauge's values in another order than the
 * chart's math does, which changes the last bits of an average.
 */
function rounded(value: unknown): unknown {
  if (typeof value === "number") {
    return Number.isFinite(value) ? Number(value.toPrecision(12)) : value;
  }
  if (Array.isArray(value)) return value.map(rounded);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v)]));
  }
  return value;
}

const silent: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  with: () => silent,
};

for (const driver of selectedDrivers()) {
  Deno.test(`[${driver}] metric rollups: charts from rollups equal raw ones; late points, replays, retention`, async () => {
    const database = await freshDatabase(driver);
    const store = await createStore(database.config, {
      dataDir: database.dataDir,
      metricRollups: { logger: silent },
    });
    const open = openDatabase(database.config, database.dataDir, () => {});
    const db = open.db;
    try {
      await store.migrate();
      const nowNs = BigInt(Date.now()) * 1_000_000n;
      const startNs = (nowNs / HOUR) * HOUR - 7n * HOUR;
      const request = sixHours(startNs);
      const first = await writeAll(store, request);
      assert.equal(first.metrics?.inserted, 3 * 2160);
      // All of them are older than 30 s: marked as late (a backfill).
      const marked = await db.selectFrom("metric_rollup_marks").select((eb) =>
        eb.fn.countAll<number>().as("n")
      ).executeTakeFirstOrThrow();
      assert.equal(Number(marked.n), 3 * 360);

      const caught = await store.metricRollups.catchUp();
      assert.equal(caught.caughtUp, true);
      assert.equal(
        Number(
          (await db.selectFrom("metric_rollup_marks").select((eb) =>
            eb.fn.countAll<number>().as("n")
          ).executeTakeFirstOrThrow()).n,
        ),
        0,
      );
      const endNs = startNs + 6n * HOUR;
      for (const level of [60, 600, 3600] as const) {
        assert.ok(caught.doneUntilNs[level] >= endNs - BigInt(level) * S, `level ${level}`);
      }
      const rolled = await db.selectFrom("metric_rollup_points")
        .select(["level_seconds", (eb) => eb.fn.countAll<number>().as("n")])
        .groupBy("level_seconds").orderBy("level_seconds").execute();
      assert.deepEqual(rolled.map((r) => Number(r.level_seconds)), [60, 600, 3600]);

      const series = await db.selectFrom("metric_series as s")
        .innerJoin("metric_instruments as i", "i.key", "s.instrument_key")
        .select(["s.series_key", "i.name"]).execute();
      const kinds = new Map(series.map((s) => [s.series_key, s.name]));
      const keys = series.map((s) => s.series_key);

      const compare = async (label: string) => {
        for (const level of [60, 600, 3600] as const) {
          const L = BigInt(level) * S;
          // From a level-multiple after the first point (a baseline exists) to now.
          const window = {
            fromNs: ((startNs + L) / L) * L + (level === 3600 ? HOUR : 0n),
            toNs: nowNs,
          };
          const stepWindow = {
            fromUnixNano: window.fromNs,
            toUnixNano: window.toNs,
            stepNano: L,
          };
          const raw = await store.instruments.points(keys, window);
          const chart = await store.instruments.chartPoints(keys, window, level);
          assert.deepEqual(
            rounded(charts(chart, kinds, stepWindow)),
            rounded(charts(raw, kinds, stepWindow)),
            `${label}: level ${level}`,
          );
        }
      };
      await compare("caught up");

      // A late point into a built bucket: marked, read raw until the job rebuilds it.
      const gaugeKey = series.find((s) => s.name === "queue")!.series_key;
      const late = await writeAll(store, sixHours(startNs + HOUR, 5n * S, 1));
      assert.equal(late.metrics?.inserted, 3);
      const marks = await db.selectFrom("metric_rollup_marks").selectAll().execute();
      assert.equal(marks.length, 3);
      assert.ok(marks.some((m) => m.series_key === gaugeKey));
      await compare("late, before the job");
      const again = await store.metricRollups.catchUp();
      assert.equal(again.marks, 3);
      assert.equal((await db.selectFrom("metric_rollup_marks").selectAll().execute()).length, 0);
      await compare("late, after the job");

      // A replay of stored points marks nothing and changes no rollup.
      const before = await db.selectFrom("metric_rollup_points").selectAll()
        .orderBy("series_key").orderBy("level_seconds").orderBy("time_unix_nano").execute();
      const replay = await writeAll(store, request);
      assert.equal(replay.metrics?.inserted, 0);
      assert.equal((await db.selectFrom("metric_rollup_marks").selectAll().execute()).length, 0);
      await store.metricRollups.catchUp();
      const after = await db.selectFrom("metric_rollup_points").selectAll()
        .orderBy("series_key").orderBy("level_seconds").orderBy("time_unix_nano").execute();
      assert.deepEqual(after, before);

      // Retention: rollups and marks before the (whole hour) cutoff go.
      const cutoff = startNs + 3n * HOUR;
      await db.insertInto("metric_rollup_marks").values([
        { series_key: gaugeKey, bucket_unix_nano: open.capabilities.int64(startNs) },
        { series_key: gaugeKey, bucket_unix_nano: open.capabilities.int64(cutoff + 60n * S) },
      ]).execute();
      await store.maintenance.purge({ olderThanNs: cutoff, signal: "all" });
      const old = await db.selectFrom("metric_rollup_points").select("time_unix_nano")
        .where("time_unix_nano", "<", open.capabilities.int64(cutoff) as bigint).execute();
      assert.equal(old.length, 0);
      const kept = await db.selectFrom("metric_rollup_points").select("time_unix_nano").execute();
      assert.ok(kept.length > 0);
      const leftMarks = await db.selectFrom("metric_rollup_marks").selectAll().execute();
      assert.deepEqual(leftMarks.map((m) => BigInt(m.bucket_unix_nano)), [cutoff + 60n * S]);
    } finally {
      await db.destroy();
      await store.close();
      await database.drop();
    }
  });

  Deno.test(`[${driver}] metric rollup job: a database error is logged and the next run succeeds`, async () => {
    const database = await freshDatabase(driver);
    const store = await createStore(database.config, { dataDir: database.dataDir });
    const open = openDatabase(database.config, database.dataDir, () => {});
    const warnings: string[] = [];
    const logger: Logger = { ...silent, warn: (message) => warnings.push(message) };
    try {
      await store.migrate();
      const job = new MetricRollupJob(open.db, open.capabilities, { logger });
      await sql`alter table metric_rollup_marks rename to metric_rollup_marks_gone`.execute(
        open.db,
      );
      assert.equal(await job.runOnce(), undefined);
      assert.deepEqual(warnings, ["metric rollups failed; they are tried again at the next run"]);
      await sql`alter table metric_rollup_marks_gone rename to metric_rollup_marks`.execute(
        open.db,
      );
      const result = await job.runOnce();
      assert.equal(result?.caughtUp, true);
      await job.stop();
    } finally {
      await open.db.destroy();
      await store.close();
      await database.drop();
    }
  });
}

Deno.test("chartPoints() refuses a window start that is not a multiple of the level", async () => {
  const database = await freshDatabase("sqlite");
  const store = await createStore(database.config, { dataDir: database.dataDir });
  try {
    await store.migrate();
    await assert.rejects(
      store.instruments.chartPoints(["k"], { fromNs: 61n * S, toNs: 7200n * S }, 60),
      RangeError,
    );
  } finally {
    await store.close();
    await database.drop();
  }
});
