// deno-lint-ignore-file no-console -- a benchmark prints its figures
/**
 * The ingest benchmark (`deno task bench:ingest`, also run by `deno task bench`): Argus started as
 * users start it, on a fresh SQLite file with the production schema and defaults, loaded by
 * several concurrent OTLP/gRPC clients (Node, bench/ingest_load_client.mjs) sending pre-encoded,
 * realistic requests of 500 spans (12 attributes, 3 services) or 500 log records, each with fresh
 * ids, or 500 metric data points (bench/_metrics_request.ts; histograms of 15 buckets) at a fresh
 * time. Prints committed spans/s, logs/s and data points/s, acknowledgement latency p50/p99 and peak RSS, beside
 * a raw `node:sqlite` insert of the same rows measured in the same run.
 *
 * With `--baseline=<git ref>`, that commit's Argus is loaded the same way in the same run
 * (bench/_baseline.ts), in ARGUS_BENCH_ROUNDS rounds whose order alternates, and the medians of
 * both are printed with their ratio. A commit that stores no metrics has its metrics skipped.
 *
 * Settings: ARGUS_BENCH_SECONDS (per signal, default 60), ARGUS_BENCH_CLIENTS (default 4),
 * ARGUS_BENCH_IN_FLIGHT (per client, default 2), ARGUS_BENCH_ROUNDS (default 1).
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { parseArgs } from "node:util";
import { createStore } from "../store/mod.ts";
import { logToDb, resourceToDb, spanToDb } from "../store/columns.ts";
import { PRAGMAS } from "../store/node_sqlite.ts";
import { bindLogIdsToRequest, logId } from "../store/ids.ts";
import type { LogRow, SpanRow } from "../store/types.ts";
import { decodeRequest, DEFAULT_DECODE_LIMITS } from "../ingest/otlp/mod.ts";
import { insertIfAbsentSql, metricBatches, rawMetricInsert } from "./_metric_inserts.ts";
import { metricsRequest, POINTS_PER_REQUEST, SERIES, TIME_NS } from "./_metrics_request.ts";
import { startArgus } from "../tests/argus_process.ts";
import { databaseConfig } from "../tests/databases.ts";
import { hex, random } from "../tests/builders.ts";
import { withBaseline } from "./_baseline.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const CLIENT = new URL("./ingest_load_client.mjs", import.meta.url).pathname;
const SECONDS = Number(Deno.env.get("ARGUS_BENCH_SECONDS") ?? 60);
const CLIENTS = Number(Deno.env.get("ARGUS_BENCH_CLIENTS") ?? 4);
const IN_FLIGHT = Number(Deno.env.get("ARGUS_BENCH_IN_FLIGHT") ?? 2);
const ROUNDS = Number(Deno.env.get("ARGUS_BENCH_ROUNDS") ?? 1);
const BASELINE_ROWS = 100_000;

type Signal = "traces" | "logs" | "metrics";
const SIGNALS = ["traces", "logs", "metrics"] as const;

interface LoadResult {
  signal: Signal;
  items: number;
  requests: number;
  failed: number;
  /** The Argus has no MetricsService (a commit before metrics): nothing was measured. */
  unsupported?: boolean;
  seconds: number;
  latencies_ms: { p50: number; p99: number; max: number };
}

async function node(args: string[], env: Record<string, string> = {}): Promise<string> {
  const output = await new Deno.Command("node", { args, cwd: ROOT, env, stderr: "inherit" })
    .output();
  if (output.code !== 0) throw new Error(`node ${args.join(" ")} failed with code ${output.code}`);
  return new TextDecoder().decode(output.stdout);
}

/** The environment telling the load client where the metrics request is (bench/_metrics_request.ts). */
function metricsEnv(dir: string): Record<string, string> {
  return {
    ARGUS_BENCH_METRICS_FILE: `${dir}/metrics.bin`,
    ARGUS_BENCH_METRICS_TIME_NS: String(TIME_NS),
    ARGUS_BENCH_METRICS_POINTS: String(POINTS_PER_REQUEST),
  };
}

/**
 * Inserts `count` data points of the load client's metrics request raw, 1000 per commit
 * (bench/_metric_inserts.ts), and writes the request for the load client.
 */
async function rawMetricsBaseline(dir: string, count: number): Promise<number> {
  await Deno.writeFile(`${dir}/metrics.bin`, metricsRequest());
  const path = `${dir}/baseline-metrics.db`;
  const store = await createStore(databaseConfig("sqlite", path), { dataDir: dir });
  await store.migrate();
  await store.close();
  const batches = metricBatches(count, 1000, BigInt(Date.now()) * 1_000_000n);
  const { points, seconds } = rawMetricInsert(path, batches);
  return points / seconds;
}

/**
 * Inserts `count` rows (BASELINE_ROWS) decoded from the load client's own request, raw, 1000 per
 * commit, into a fresh file of the store's schema; answers the rows per second. Exported for its
 * test, which keeps it in step with the schema.
 */
export async function rawBaseline(
  signal: Signal,
  dir: string,
  count = BASELINE_ROWS,
): Promise<number> {
  if (signal === "metrics") return await rawMetricsBaseline(dir, count);
  const requestFile = `${dir}/${signal}.bin`;
  await node([CLIENT, "--dump", requestFile, signal]);
  const decoded = decodeRequest(
    signal,
    "protobuf",
    await Deno.readFile(requestFile),
    DEFAULT_DECODE_LIMITS,
    0n,
  );
  const path = `${dir}/baseline-${signal}.db`;
  const store = await createStore(databaseConfig("sqlite", path), { dataDir: dir });
  await store.migrate();
  await store.close();
  const db = new DatabaseSync(path);
  for (const pragma of PRAGMAS) db.exec(`pragma ${pragma}`);
  const rand = random(7);
  const template = signal === "traces" ? decoded.batch.spans : decoded.batch.logs;
  const rows: (string | number | bigint)[][] = [];
  let columns: string[] = [];
  // Times move forward from now, 20 µs a row, as an SDK stamps what it sends (the load client
  // does the same); log ids are bound 500 rows at a time, as one request's are.
  const startNs = BigInt(Date.now()) * 1_000_000n;
  const logs: LogRow[] = [];
  for (let i = 0; rows.length + logs.length < count; i++) {
    const item = template[i % template.length]!;
    const at = startNs + BigInt(i) * 20_000n;
    if (signal === "traces") {
      const span = item as SpanRow;
      const shift = at - span.startTimeUnixNano;
      const row = spanToDb({
        ...span,
        traceId: hex(rand, 32),
        spanId: hex(rand, 16),
        startTimeUnixNano: span.startTimeUnixNano + shift,
        endTimeUnixNano: span.endTimeUnixNano + shift,
      }, (v) => v);
      // SQLite keys spans by their trace's key (store/trace_keys.ts): one trace a span here, its
      // key the next in arrival order, as the summaries' trigger gives them.
      const keyed = { ...row, trace_key: BigInt(rows.length + 1) };
      columns = Object.keys(keyed);
      rows.push(Object.values(keyed) as (string | number | bigint)[]);
    } else {
      const { id: _, ...log } = item as LogRow;
      const shift = at - log.timeUnixNano;
      const fresh = {
        ...log,
        traceId: hex(rand, 32),
        spanId: hex(rand, 16),
        timeUnixNano: log.timeUnixNano + shift,
        observedTimeUnixNano: log.observedTimeUnixNano + shift,
      };
      logs.push({ ...fresh, id: logId(fresh) });
    }
  }
  for (let i = 0; i < logs.length; i += 500) bindLogIdsToRequest(logs.slice(i, i + 500), 0n);
  for (const log of logs) {
    const row = logToDb(log, (v) => v);
    columns = Object.keys(row);
    rows.push(Object.values(row) as (string | number | bigint)[]);
  }
  const table = signal === "traces" ? "spans" : "logs";
  const resource = resourceToDb(decoded.batch.resources[0]!);
  db.prepare(insertIfAbsentSql("resources", Object.keys(resource)))
    .run(...Object.values(resource) as never[]);
  const insert = db.prepare(insertIfAbsentSql(table, columns));
  const started = performance.now();
  for (let i = 0; i < rows.length; i += 1000) {
    db.exec("begin");
    for (const row of rows.slice(i, i + 1000)) insert.run(...row as never[]);
    db.exec("commit");
  }
  const rate = rows.length / ((performance.now() - started) / 1000);
  db.close();
  return rate;
}

/** Samples the resident memory of processes every 250 ms (Deno denies /proc without -A). */
function rssSampler(pids: () => number[]) {
  const peaks = new Map<number, number>();
  const timer = setInterval(async () => {
    const list = pids().filter((p) => p > 0);
    const output = await new Deno.Command("ps", { args: ["-o", "pid=,rss=", "-p", list.join(",")] })
      .output();
    for (const line of new TextDecoder().decode(output.stdout).trim().split("\n")) {
      const [pid, kb] = line.trim().split(/\s+/).map(Number);
      if (pid && kb) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, kb / 1024));
    }
  }, 250);
  return {
    stop: () => clearInterval(timer),
    peakMb: (pid: number) => Math.round(peaks.get(pid) ?? 0),
  };
}

/** What one Argus did under the load: per signal, and its processes' peak RSS. */
interface ArgusRun {
  results: (LoadResult & { stored: number })[];
  corePeakMb: number;
  gatewayPeakMb: number;
  gatewayRestarts: number;
}

/** Starts an Argus with `start` in a folder of its own under `dir` and loads it, signal by signal. */
async function loadArgus(start: typeof startArgus, dir: string): Promise<ArgusRun> {
  const cwd = await Deno.makeTempDir({ dir, prefix: "argus-" });
  const argus = await start({ LOG_LEVEL: "info" }, cwd);
  const results: (LoadResult & { stored: number })[] = [];
  const gatewayPids = new Set<number>();
  const sampler = rssSampler(() => {
    gatewayPids.add(argus.grpcPid());
    return [argus.child.pid, argus.grpcPid()];
  });
  try {
    for (const signal of SIGNALS) {
      const out = await node([
        CLIENT,
        argus.grpcAddress,
        signal,
        String(SECONDS),
        String(CLIENTS),
        String(IN_FLIGHT),
      ], metricsEnv(dir));
      const result = JSON.parse(out.trim().split("\n").at(-1)!) as LoadResult;
      results.push({ ...result, stored: 0 });
    }
  } finally {
    sampler.stop();
    await argus.stop();
  }
  const store = await createStore(databaseConfig("sqlite", `${cwd}/data/argus.db`), {
    dataDir: cwd,
  });
  const all = { startNs: 0n, endNs: (1n << 63n) - 1n };
  results[0]!.stored = await store.countSpans(all);
  results[1]!.stored = await store.countLogs(all);
  await store.close();
  // A commit before metrics storage has no metric_points table (it may have acknowledged points
  // it did not keep): its metrics are skipped, as those of a commit without MetricsService.
  const db = new DatabaseSync(`${cwd}/data/argus.db`, { readOnly: true });
  const table = db.prepare("select 1 from sqlite_master where name = 'metric_points'").get();
  if (table === undefined) results[2]!.unsupported = true;
  else if (!results[2]!.unsupported) {
    const row = db.prepare("select count(*) as n from metric_points").get() as { n: number };
    results[2]!.stored = Number(row.n);
  }
  db.close();
  return {
    results,
    corePeakMb: sampler.peakMb(argus.child.pid),
    gatewayPeakMb: Math.max(...[...gatewayPids].map(sampler.peakMb)),
    gatewayRestarts: gatewayPids.size - 1,
  };
}

async function main() {
  const { values } = parseArgs({ args: Deno.args, options: { baseline: { type: "string" } } });
  const dir = await Deno.makeTempDir({ prefix: "argus-bench-ingest-" });
  try {
    console.log(
      `# Ingest benchmark: ${SECONDS} s per signal, ${CLIENTS} gRPC clients x ${IN_FLIGHT} requests in flight, ` +
        `500 items per request (metrics: ${POINTS_PER_REQUEST} data points of 10 services x 5 instruments x ${SERIES} series, ` +
        `histograms of 15 buckets); Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores\n`,
    );
    const baseline: Record<Signal, number> = {
      traces: await rawBaseline("traces", dir),
      logs: await rawBaseline("logs", dir),
      metrics: await rawBaseline("metrics", dir),
    };
    // With --baseline, that commit's Argus under the same load, in the same run: in rounds whose
    // order alternates, so that neither is always the one measured on a warmer machine.
    const runs: { name: string; run: ArgusRun }[] = [];
    const now = { name: "this tree", start: startArgus };
    if (values.baseline === undefined) {
      for (let round = 0; round < ROUNDS; round++) {
        runs.push({ name: now.name, run: await loadArgus(now.start, dir) });
      }
    } else {
      await withBaseline(values.baseline, async ({ commit, startArgus: start }) => {
        const before = { name: commit, start };
        for (let round = 0; round < ROUNDS; round++) {
          for (const system of round % 2 === 0 ? [before, now] : [now, before]) {
            runs.push({ name: system.name, run: await loadArgus(system.start, dir) });
          }
        }
      });
    }

    console.log(
      "| Argus | round | signal | acknowledged | stored | seconds | items/s committed | raw insert of the same rows, items/s | % of raw | ack p50 ms | ack p99 ms | failed requests |",
    );
    console.log("| --- | --: | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |");
    const rounds = new Map<string, number>();
    for (const { name, run } of runs) {
      const round = (rounds.get(name) ?? 0) + 1;
      rounds.set(name, round);
      for (const r of run.results) {
        if (r.unsupported) {
          console.log(`| ${name} | ${round} | ${r.signal} | (takes no metrics: skipped) |`);
          continue;
        }
        const rate = r.items / r.seconds;
        console.log(
          `| ${name} | ${round} | ${r.signal} | ${r.items} | ${r.stored} | ${r.seconds} | ${
            Math.round(rate)
          } | ${Math.round(baseline[r.signal])} | ${
            Math.round((rate / baseline[r.signal]) * 100)
          }% | ${r.latencies_ms.p50} | ${r.latencies_ms.p99} | ${r.failed} |`,
        );
      }
    }
    if (values.baseline !== undefined) {
      const median = (name: string, signal: Signal) => {
        const rates = runs.filter((r) => r.name === name).flatMap(({ run }) =>
          run.results.filter((r) => r.signal === signal && !r.unsupported).map((r) =>
            r.items / r.seconds
          )
        ).sort((x, y) => x - y);
        const middle = rates.length / 2;
        if (rates.length === 0) return NaN;
        return rates.length % 2 === 1
          ? rates[Math.floor(middle)]!
          : (rates[middle - 1]! + rates[middle]!) / 2;
      };
      const before = runs[0]!.name === now.name ? runs[1]!.name : runs[0]!.name;
      console.log("");
      for (const signal of SIGNALS) {
        if (Number.isNaN(median(before, signal))) {
          console.log(`Median ${signal}/s: ${before} does not take ${signal}, skipped`);
          continue;
        }
        const ratio = median(now.name, signal) / median(before, signal);
        console.log(
          `Median ${signal}/s over ${ROUNDS} round(s): ${before} ${
            Math.round(median(before, signal))
          }, ` +
            `this tree ${Math.round(median(now.name, signal))} (${ratio.toFixed(3)} of ${before})`,
        );
      }
    }
    console.log("");
    for (const { name, run } of runs) {
      console.log(
        `Peak RSS (${name}): core ${run.corePeakMb} MB, gRPC gateway ${run.gatewayPeakMb} MB` +
          (run.gatewayRestarts > 0
            ? ` (the gateway restarted ${run.gatewayRestarts} time(s))`
            : ""),
      );
    }
    if (runs.some(({ run }) => run.results.some((r) => !r.unsupported && r.stored < r.items))) {
      console.log("ERROR: fewer items stored than acknowledged");
      Deno.exitCode = 1;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await main();
