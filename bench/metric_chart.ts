// deno-lint-ignore-file no-console -- a benchmark prints its figures
/**
 * Metric chart benchmark (`deno task bench:metrics`): how long `GET /api/instruments/{key}/chart`
 * takes over 24 hours of a 10-second exporter (8,640 points a series), for a counter and a
 * 15-bucket histogram of 1 series and of 50 series, on a SQLite file (reader threads, as Argus
 * reads). The data is real OTLP requests decoded by ingest's decoder and written through
 * `Store.write`, cached in `.bench-data/` (`--reseed` rebuilds it; a file missing its last hour
 * is seeded again).
 *
 * Each chart goes through the real HTTP handler (`createApp`, response body read). Beside it, in
 * the same run, the baseline: the raw read of the same points alone (`store.instruments.points`),
 * so what the math and JSON add is visible; and a 1-hour chart of the same series.
 *
 * Goal (issue 16): every chart query under 100 ms at 24 hours.
 *
 * Options: `--iterations N` (default 20), `--reseed`.
 *
 * @module
 */
import { join } from "node:path";
import { parseConfig } from "../lib/config.ts";
import { createLogger } from "../lib/logger.ts";
import { createStore, type Store } from "../store/mod.ts";
import { createApp } from "../routes/mod.ts";
import { decodeMetricsRequest } from "../ingest/otlp/metrics_decode.ts";
import { DEFAULT_DECODE_LIMITS } from "../ingest/otlp/types.ts";
import { encodeMetrics, oneScope, stringAttr } from "../ingest/otlp/testdata/metrics_payloads.ts";
import type { WireInstrumentChart, WireInstrumentList } from "../utils/wire.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const CACHE_DIR = join(ROOT, ".bench-data");
const FILE = "metric_chart_v1.db";

const GOAL_MS = 100;
const INTERVAL_S = 10;
const POINTS = 8_640; // 24 h of a 10 s exporter
/** 2026-12-01T00:00:00Z, in seconds. */
const START_S = 1_796_083_200;
const END_MS = (START_S + POINTS * INTERVAL_S) * 1000;
const BOUNDS = [5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

const args = Deno.args;
const iterations = Number(args[args.indexOf("--iterations") + 1] ?? 20) || 20;
const reseed = args.includes("--reseed");

const ns = (seconds: number) => (BigInt(seconds) * 1_000_000_000n).toString();

/** One hour of every instrument's points (360 a series). */
function hourRequest(hour: number): Uint8Array {
  const times = Array.from({ length: 360 }, (_, i) => START_S + (hour * 360 + i + 1) * INTERVAL_S);
  const route = (r: number) => [stringAttr("http.route", `/route/${r}`)];
  const counter = (series: number) =>
    Array.from({ length: series }, (_, r) =>
      times.map((t) => ({
        startTimeUnixNano: ns(START_S),
        timeUnixNano: ns(t),
        asInt: (t - START_S) * (r + 1),
        attributes: route(r),
      }))).flat();
  const histogram = (series: number) =>
    Array.from({ length: series }, (_, r) =>
      times.map((t) => {
        const n = (t - START_S) / INTERVAL_S;
        const counts = BOUNDS.map((_, b) => n * ((b + r) % 5));
        counts.push(n);
        return {
          startTimeUnixNano: ns(START_S),
          timeUnixNano: ns(t),
          count: counts.reduce((a, b) => a + b, 0),
          sum: n * 1000,
          explicitBounds: BOUNDS,
          bucketCounts: counts,
          attributes: route(r),
        };
      })).flat();
  const sum = (name: string, points: unknown[]) => ({
    name,
    unit: "{request}",
    sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: points },
  });
  const hist = (name: string, points: unknown[]) => ({
    name,
    unit: "ms",
    histogram: { aggregationTemporality: 2, dataPoints: points },
  });
  return encodeMetrics(oneScope([
    sum("requests.one", counter(1)),
    sum("requests.fifty", counter(50)),
    hist("duration.one", histogram(1)),
    hist("duration.fifty", histogram(50)),
  ], "bench-service"));
}

async function seed(store: Store): Promise<void> {
  const started = performance.now();
  let points = 0;
  for (let hour = 0; hour < 24; hour++) {
    const decoded = decodeMetricsRequest("protobuf", hourRequest(hour), DEFAULT_DECODE_LIMITS, 0n);
    if (decoded.rejected.length > 0) throw new Error(decoded.rejected[0]!.reason);
    await store.write({
      resources: decoded.resources,
      spans: [],
      logs: [],
      metrics: decoded.points,
    });
    points += decoded.points.length;
  }
  const s = (performance.now() - started) / 1000;
  console.log(`seeded ${points} points in ${s.toFixed(1)} s (${Math.round(points / s)}/s)`);
}

/** Whether the file holds the whole data set: hours are written in order, so the last is there. */
async function seeded(store: Store): Promise<boolean> {
  const [instrument] = await store.instruments.instruments({
    nameContains: "duration.fifty",
    limit: 1,
  });
  if (instrument === undefined) return false;
  const series = await store.instruments.series(instrument.key, { limit: 100 });
  const last = await store.instruments.points(series.slice(-1).map((s) => s.seriesKey), {
    fromNs: BigInt(END_MS - 3_600_000) * 1_000_000n,
    toNs: BigInt(END_MS) * 1_000_000n + 1n,
  });
  return series.length === 50 && (last[0]?.points.length ?? 0) >= 360;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

async function time(run: () => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 2; i++) await run();
  const ms: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await run();
    ms.push(performance.now() - start);
  }
  ms.sort((a, b) => a - b);
  return { p50: quantile(ms, 0.5), p99: quantile(ms, 0.99) };
}

await Deno.mkdir(CACHE_DIR, { recursive: true });
if (reseed) {
  for (const suffix of ["", "-wal", "-shm"]) {
    await Deno.remove(join(CACHE_DIR, FILE + suffix)).catch(() => {});
  }
}
const parsed = parseConfig({ DB_DRIVER: "sqlite", DB_DSN: join(CACHE_DIR, FILE) });
if (!parsed.ok) throw new Error(parsed.errors.join("; "));
const store = await createStore(parsed.config.db, { dataDir: CACHE_DIR });
await store.migrate();
if (!(await seeded(store))) await seed(store);
{
  // The rollups (store/metric_rollups.ts), as the job running beside Argus builds them.
  const started = performance.now();
  const built = await store.metricRollups.catchUp();
  const s = (performance.now() - started) / 1000;
  console.log(
    `rollups caught up in ${s.toFixed(1)} s: ${built.pointsRead} points read, buckets built ` +
      `${JSON.stringify(built.built)}`,
  );
}
const app = createApp({
  store,
  startedAt: 0,
  ingest: { ingestionRate: () => 0, dlqSize: () => 0, queueDepth: () => 0 },
  logger: createLogger("error", () => {}),
  queryMaxWindowMs: 31 * 86_400_000,
  now: () => END_MS,
});
const get = async <T>(path: string): Promise<T> => {
  const response = await app(new Request(`http://bench${path}`));
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
};

const list = await get<WireInstrumentList>(`/api/instruments?range=24h`);
const rows: string[][] = [];
for (const name of ["requests.one", "requests.fifty", "duration.one", "duration.fifty"]) {
  const instrument = list.instruments.find((i) => i.name === name)!;
  const series = await store.instruments.series(instrument.key, {
    limit: 1000,
    window: { fromNs: 1n, toNs: 1n << 62n },
  });
  const fromNs = BigInt(END_MS - 86_400_000) * 1_000_000n;
  const window = { fromNs, toNs: BigInt(END_MS) * 1_000_000n };
  let read = 0;
  const raw = await time(async () => {
    const points = await store.instruments.points(series.map((s) => s.seriesKey), window);
    read = points.reduce((n, s) => n + s.points.length, 0);
  });
  let steps = 0;
  const day = await time(async () => {
    const chart = await get<WireInstrumentChart>(
      `/api/instruments/${instrument.key}/chart?range=24h`,
    );
    steps = chart.times.length;
  });
  // The same chart read raw: a step that is not whole minutes reads no rollup.
  const dayRaw = await time(() =>
    get(`/api/instruments/${instrument.key}/chart?range=24h&step=590s`)
  );
  const hour = await time(() => get(`/api/instruments/${instrument.key}/chart?range=1h`));
  const cell = (t: { p50: number; p99: number }) => `${t.p50.toFixed(1)} / ${t.p99.toFixed(1)}`;
  rows.push([
    name,
    String(series.length),
    String(read),
    String(steps),
    cell(raw),
    cell(dayRaw),
    cell(day),
    day.p99 < GOAL_MS ? "yes" : `no (×${(day.p99 / GOAL_MS).toFixed(1)})`,
    cell(hour),
  ]);
}
await store.close();

const load = Deno.loadavg().map((n) => n.toFixed(2)).join(" ");
console.log(`\nMetric chart queries, SQLite file, ms p50 / p99 of ${iterations} (load ${load}):\n`);
const header = [
  "instrument",
  "series",
  "points (24 h)",
  "steps",
  "raw point read 24 h (baseline)",
  "chart 24 h, raw points (step 590 s)",
  "chart 24 h (rollups, step 600 s)",
  `< ${GOAL_MS} ms`,
  "chart 1 h",
];
const table = [header, ...rows];
const widths = header.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
for (const [i, row] of table.entries()) {
  console.log(`| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(" | ")} |`);
  if (i === 0) console.log(`| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`);
}
