// deno-lint-ignore-file no-console -- a benchmark prints its figures
/**
 * Query benchmark (`deno task bench:queries`): how long the dashboard and list endpoints take on
 * a SQLite file holding 10 million spans over 24 hours (bench/_seed.ts: written through
 * `Store.write` as ingest writes, so the rollups are those of ingest; cached in `.bench-data/`).
 *
 * Every request goes through the real HTTP handler (`createApp` of routes/mod.ts, called with a
 * `Request`, response body read), with "now" fixed at the end of the data, for windows of 5 m, 1 h
 * and 24 h; trace by id asks for a different known trace each time. Beside them, in the same run,
 * the raw-scan equivalents of the dashboard figures (what a panel would cost without rollups).
 *
 * Goals (issue 4): every panel p99 < 100 ms at 10 million spans; trace by id < 20 ms.
 *
 * Options:
 * - `--spans N` (default 10000000): size of the data set; each size has its own cached file.
 * - `--reseed`: rebuild the cached file.
 * - `--iterations N` (default 30), `--warmups N` (default 3): timed and untimed runs per row.
 * - `--budget S` (default 15): seconds after which a slow row stops (after at least 3 runs).
 * - `--only TEXT`: measure only rows whose endpoint contains TEXT (e.g. `--only traces`).
 * - `--seed-only`: seed (or check) the file and stop.
 * - `--driver postgres`: the data set in a PostgreSQL database instead of a SQLite file
 *   (`argus_bench_queries_<size>` on 127.0.0.1:5432, created when missing; `--dsn URL` names
 *   another); the raw-scan rows, which read the SQLite file directly, are left out.
 *
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { cpus } from "node:os";
import { sql } from "kysely";
import { join } from "node:path";
import { parseConfig } from "../lib/config.ts";
import { createLogger } from "../lib/logger.ts";
import {
  createStore,
  type Store,
  type TimeWindow,
  type TraceFilter,
  type TraceSortField,
} from "../store/mod.ts";
import { openDatabase } from "../store/dialects/mod.ts";
import { Queries } from "../store/queries.ts";
import { DEFAULT_LIMIT } from "../routes/query_params.ts";
import { parseTextQuery } from "../utils/text_query.ts";
import { PRAGMAS } from "../store/node_sqlite.ts";
import { createApp } from "../routes/mod.ts";
import { random } from "../tests/builders.ts";
import {
  ensureSeeded,
  postgresTarget,
  SEED_VERSION,
  type SeedMarker,
  type SeedTarget,
  sqliteTarget,
  traceIdOf,
} from "./_seed.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const CACHE_DIR = join(ROOT, ".bench-data");
/** Salt of the data set's ids and choices: fixed, so that a cached file is the same data. */
const SALT = 20261126;

const PANEL_GOAL_MS = 100;
/** Issue 15's goal for a search (filtered trace list, log text): p99 at 24 h, per database. */
const SEARCH_GOAL_MS = { sqlite: 100, postgres: 200 } as const;
const TRACE_BY_ID_GOAL_MS = 20;
/** Runs at least this many times even when over budget. */
const MIN_ITERATIONS = 3;

interface Options {
  spans: number;
  reseed: boolean;
  iterations: number;
  warmups: number;
  budgetS: number;
  only?: string;
  seedOnly: boolean;
  /** `sqlite` (a cached file) or `postgres` (a database on `dsn`). */
  driver: "sqlite" | "postgres";
  dsn?: string;
}

function readOptions(args: string[]): Options {
  const options: Options = {
    spans: 10_000_000,
    reseed: false,
    iterations: 30,
    warmups: 3,
    budgetS: 15,
    seedOnly: false,
    driver: "sqlite",
  };
  const integer = (name: string, text: string | undefined, min: number) => {
    const value = text !== undefined && /^\d+(_\d{3})*$/.test(text)
      ? Number(text.replaceAll("_", ""))
      : NaN;
    if (!(value >= min)) {
      throw new RangeError(
        `Cannot use ${name} as it must be an integer of at least ${min}: current value is ` +
          JSON.stringify(text ?? ""),
      );
    }
    return value;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [name, inline] = arg.includes("=") ? arg.split("=", 2) as [string, string] : [arg];
    const value = () => inline ?? args[++i];
    switch (name) {
      case "--spans":
        options.spans = integer(name, value(), 10);
        break;
      case "--reseed":
        options.reseed = true;
        break;
      case "--iterations":
        options.iterations = integer(name, value(), 1);
        break;
      case "--warmups":
        options.warmups = integer(name, value(), 0);
        break;
      case "--budget":
        options.budgetS = integer(name, value(), 1);
        break;
      case "--only":
        options.only = value();
        break;
      case "--seed-only":
        options.seedOnly = true;
        break;
      case "--driver": {
        const driver = value();
        if (driver !== "sqlite" && driver !== "postgres") {
          throw new RangeError(
            `Cannot use --driver as it must be sqlite or postgres: current value is ${
              JSON.stringify(driver ?? "")
            }`,
          );
        }
        options.driver = driver;
        break;
      }
      case "--dsn":
        options.dsn = value();
        break;
      default:
        throw new RangeError(
          `Cannot use the argument ${JSON.stringify(arg)} as it must be one of --spans N, ` +
            `--reseed, --iterations N, --warmups N, --budget S, --only TEXT, --seed-only, --driver sqlite|postgres, --dsn URL`,
        );
    }
  }
  return options;
}

/** `10m` for 10 million spans, `1m`, `250k`, … */
function sizeLabel(spans: number): string {
  return spans % 1_000_000 === 0
    ? `${spans / 1_000_000}m`
    : spans % 1_000 === 0
    ? `${spans / 1_000}k`
    : String(spans);
}

/** `.bench-data/queries-10m.db` for 10 million spans, `queries-1m.db`, `queries-250k.db`, … */
export function cacheFile(spans: number): string {
  return join(CACHE_DIR, `queries-${sizeLabel(spans)}.db`);
}

/**
 * Where the data set lives: the cached SQLite file, or a PostgreSQL database (by default
 * `argus_bench_queries_<size>` on the local server, which `--dsn` replaces).
 */
function seedTarget(options: Options): SeedTarget {
  if (options.driver === "sqlite") return sqliteTarget(cacheFile(options.spans));
  return postgresTarget(
    options.dsn ??
      `postgres://postgres@127.0.0.1:5432/argus_bench_queries_${sizeLabel(options.spans)}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Timing.

interface Row {
  window: string;
  endpoint: string;
  source:
    | "rollups"
    | "raw rows"
    | "raw scan (baseline)"
    | "trace summaries"
    | "span scan (before)"
    | LogSearchSource;
  /** Goal for the p99 in ms, if the row has one. */
  goalMs?: number;
  samples: number[];
  /** Set on baseline rows: the p50 of the rollup read it stands beside. */
  comparedTo?: string;
}

function quantile(sorted: readonly number[], q: number): number {
  // Nearest rank: with 30 samples the p99 is the slowest run.
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

function figures(samples: readonly number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    mean: sorted.reduce((s, x) => s + x, 0) / sorted.length,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
  };
}

async function measure(
  options: Options,
  run: (iteration: number) => Promise<void>,
): Promise<number[]> {
  for (let i = 0; i < options.warmups; i++) {
    const started = performance.now();
    await run(-1 - i);
    // A slow query warms up once: more would only repeat seconds of scanning.
    if (performance.now() - started > 2_000) break;
  }
  const samples: number[] = [];
  const began = performance.now();
  for (let i = 0; i < options.iterations; i++) {
    const started = performance.now();
    await run(i);
    samples.push(performance.now() - started);
    if (i + 1 >= MIN_ITERATIONS && performance.now() - began > options.budgetS * 1000) break;
  }
  return samples;
}

// ---------------------------------------------------------------------------------------------
// The raw-scan baseline: the dashboard's figures computed from the span and log rows of the
// window, as before rollups.

class RawScan {
  readonly #db: DatabaseSync;
  readonly #statements: Record<string, StatementSync>;

  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    for (const pragma of PRAGMAS) this.#db.exec(`pragma ${pragma}`);
    const prepare = (sql: string) => this.#db.prepare(sql);
    this.#statements = {
      // /api/stats and the dashboard's totals, counted from the rows as before rollups.
      spanTotals: prepare(
        `select count(*) as spans, sum(case when status_code = 2 then 1 else 0 end) as errors,
           count(distinct trace_id) as traces
         from spans where start_time_unix_nano >= ? and start_time_unix_nano < ?`,
      ),
      logTotals: prepare(
        "select count(*) as logs from logs where time_unix_nano >= ? and time_unix_nano < ?",
      ),
      services: prepare(
        `select service_name from spans where start_time_unix_nano >= ? and start_time_unix_nano < ?
         union select service_name from logs where time_unix_nano >= ? and time_unix_nano < ?`,
      ),
      // The dashboard's per-service requests, errors and latency sums (entry spans).
      requests: prepare(
        `select service_name, count(*) as requests,
           sum(case when status_code = 2 then 1 else 0 end) as errors,
           sum(end_time_unix_nano - start_time_unix_nano) as duration
         from spans
         where start_time_unix_nano >= ? and start_time_unix_nano < ?
           and (kind in (2, 5) or parent_span_id = '')
         group by service_name`,
      ),
      // The service map's calls: child spans whose parent is in another service.
      edges: prepare(
        `select p.service_name as caller, c.service_name as callee, count(*) as calls,
           sum(case when c.status_code = 2 then 1 else 0 end) as errors
         from spans c join spans p on p.trace_id = c.trace_id and p.span_id = c.parent_span_id
         where c.start_time_unix_nano >= ? and c.start_time_unix_nano < ?
           and c.parent_span_id <> '' and p.service_name <> c.service_name
         group by p.service_name, c.service_name`,
      ),
    };
  }

  /** The figures of /api/stats. */
  stats(w: TimeWindow) {
    const spans = this.#statements.spanTotals!.get(w.startNs, w.endNs)!;
    const logs = this.#statements.logTotals!.get(w.startNs, w.endNs)!;
    const services = this.#statements.services!.all(w.startNs, w.endNs, w.startNs, w.endNs);
    return {
      total_traces: Number(spans.traces),
      total_spans: Number(spans.spans),
      total_logs: Number(logs.logs),
      total_errors: Number(spans.errors ?? 0),
      active_services: services.length,
    };
  }

  requests(w: TimeWindow) {
    return this.#statements.requests!.all(w.startNs, w.endNs);
  }

  edges(w: TimeWindow) {
    return this.#statements.edges!.all(w.startNs, w.endNs);
  }

  close() {
    this.#db.close();
  }
}

/**
 * The windows are whole minutes (the data ends on one), so the rollups hold exactly the rows of
 * the window: their span, error, log and service figures must be the raw scan's. (Traces differ
 * by design: the rollups count traces whose root started in the window, the scan any trace with
 * a span in it.)
 */
function checkAgainstRollups(
  window: string,
  rollups: Record<string, number>,
  scan: Record<string, number>,
): void {
  const differ = ["total_spans", "total_errors", "total_logs", "active_services"]
    .filter((key) => rollups[key] !== scan[key]);
  if (differ.length > 0) {
    console.error(
      `${window}: WARNING: the rollups and the raw scan disagree on ${differ.join(", ")}`,
    );
    Deno.exitCode = 1;
  } else {
    console.error(`${window}: the rollups agree with the raw scan`);
  }
}

// ---------------------------------------------------------------------------------------------
// Output.

function table(header: string[], rows: string[][], numeric: Set<number>): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(3, ...all.map((r) => (r[i] ?? "").length)));
  const line = (row: readonly string[]) =>
    `| ${
      widths.map((w, i) => numeric.has(i) ? (row[i] ?? "").padStart(w) : (row[i] ?? "").padEnd(w))
        .join(" | ")
    } |`;
  const rule = `|${
    widths.map((w, i) => numeric.has(i) ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2)).join("|")
  }|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

const ms = (x: number) =>
  x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : Math.round(x).toLocaleString("en-US");

function resultTable(rows: readonly Row[]): string {
  const header = ["window", "endpoint", "reads", "runs", "mean ms", "p50 ms", "p99 ms", "goal"];
  return table(
    header,
    rows.map((row) => {
      const f = figures(row.samples);
      const goal = row.goalMs === undefined
        ? (row.comparedTo ?? "")
        : `${f.p99 < row.goalMs ? "met" : "**missed**"} (< ${row.goalMs} ms)`;
      return [
        row.window,
        row.endpoint,
        row.source,
        String(f.n),
        ms(f.mean),
        ms(f.p50),
        ms(f.p99),
        goal,
      ];
    }),
    new Set([3, 4, 5, 6]),
  );
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}

function machine(): string {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const memory = new DatabaseSync(":memory:");
  const sqlite = memory.prepare("select sqlite_version() as v").get()?.v;
  memory.close();
  return `${navigator.hardwareConcurrency} cores (${cpu}), ${Deno.build.os} ${Deno.osRelease()}; ` +
    `Deno ${Deno.version.deno}, SQLite ${sqlite}`;
}

function loadAverage(): string {
  return `load average ${Deno.loadavg().map((n) => n.toFixed(2)).join(", ")}`;
}

// ---------------------------------------------------------------------------------------------

const WINDOWS = ["5m", "1h", "24h"] as const;
const WINDOW_MS: Record<typeof WINDOWS[number], number> = {
  "5m": 5 * 60_000,
  "1h": 3_600_000,
  "24h": 86_400_000,
};

const PANELS = [
  "/api/stats",
  "/api/metrics/dashboard",
  "/api/metrics/traffic",
  "/api/metrics/latency_heatmap",
  "/api/metrics/service-map",
  "/api/metadata/services",
] as const;
const LISTS = ["/api/traces", "/api/logs"] as const;

/**
 * Filtered and re-sorted trace lists (issue 15): read from the trace summaries, and beside each
 * the span scan they replaced (`Queries.scanTraces`, the same page and total, on the main
 * thread's connection to the same file).
 */
const FILTERED_TRACE_LISTS: {
  query: string;
  filter: Omit<TraceFilter, "startNs" | "endNs">;
  sort: { field: TraceSortField; order: "asc" | "desc" };
}[] = [
  {
    query: "service=payment-service&status=error",
    filter: { serviceName: "payment-service", status: "error" },
    sort: { field: "start_time", order: "desc" },
  },
  {
    query: "min_duration_ms=2000",
    filter: { minDurationNs: 2_000_000_000n },
    sort: { field: "start_time", order: "desc" },
  },
  { query: "sort=duration", filter: {}, sort: { field: "duration", order: "desc" } },
  {
    query: "service=payment-service",
    filter: { serviceName: "payment-service" },
    sort: { field: "start_time", order: "desc" },
  },
  // Span-name text: a name in about one trace in ten, and one in most traces.
  {
    query: "search=send%20email",
    filter: { search: "send email" },
    sort: { field: "start_time", order: "desc" },
  },
  {
    query: "search=orders",
    filter: { search: "orders" },
    sort: { field: "start_time", order: "desc" },
  },
  // Attributes (store/attribute_index.ts): an order id the seed writes once (on trace 298's entry
  // span, in the data set's first hour: found at 24 h, absent at 5 m and 1 h), and a value of a
  // few per cent of the traces, past the index's postings cap, which scans.
  {
    query: "attr=order.id=ord-000298",
    filter: { attributes: [{ key: "order.id", value: "ord-000298" }] },
    sort: { field: "start_time", order: "desc" },
  },
  {
    query: "attr=http.response.status_code=500",
    filter: { attributes: [{ key: "http.response.status_code", value: "500" }] },
    sort: { field: "start_time", order: "desc" },
  },
];

// ---------------------------------------------------------------------------------------------
// Log text search (issue 15): `GET /api/logs?search=` through the text index and its plan
// (store/log_search.ts), beside the scan it replaced in the same run (a `Queries` without
// LOG_SEARCH_LIMIT: the window's records read newest first until the page is full, and every
// match of the window counted, as the route did).

type LogSearchSource = "text index" | "log scan (before)";

/**
 * Terms of the seed's log bodies (bench/_seed.ts): one duration (a record or a few in a million
 * spans), the word of failed requests (~1.5 % of the records) and that of handled ones (~93 %).
 */
const LOG_SEARCHES = [
  { label: "rare", text: "777.7" },
  { label: "errors", text: "failed" },
  { label: "common", text: "handled" },
] as const;

async function logSearchRows(context: {
  options: Options;
  window: string;
  w: TimeWindow;
  get: (target: string) => Promise<unknown>;
  scan: Queries;
  selected: (endpoint: string) => boolean;
  add: (row: Row) => void;
}): Promise<void> {
  const { options, window, w, get, scan, selected, add } = context;
  for (const { label, text } of LOG_SEARCHES) {
    const endpoint = `/api/logs?search=${text}`;
    if (!selected(endpoint)) continue;
    const indexed = await measure(
      options,
      () => get(`${endpoint}&range=${window}`).then(() => {}),
    );
    add({
      window,
      endpoint: `${endpoint} (${label})`,
      source: "text index",
      goalMs: SEARCH_GOAL_MS[options.driver],
      samples: indexed,
    });
    const filter = { ...w, search: parseTextQuery(text) };
    const before = await measure(options, async () => {
      await Promise.all([
        scan.logs(filter, { limit: DEFAULT_LIMIT + 1, offset: 0 }),
        scan.countLogs(filter),
      ]);
    });
    const times = figures(before).p50 / figures(indexed).p50;
    add({
      window,
      endpoint: `${endpoint} (${label}, scan)`,
      source: "log scan (before)",
      samples: before,
      comparedTo: `${times < 10 ? times.toFixed(1) : count(Math.round(times))}× p50`,
    });
  }
}

async function main(): Promise<void> {
  const options = readOptions(Deno.args);
  const target = seedTarget(options);
  console.log(`Argus query benchmark, ${new Date().toISOString()}`);
  console.log(`machine: ${machine()}; ${loadAverage()}`);

  const interrupted = new AbortController();
  const onInterrupt = () => {
    if (interrupted.signal.aborted) Deno.exit(130);
    console.error("Interrupted: stopping after the batch in flight (the seeding resumes later)");
    interrupted.abort(new Error("Interrupted"));
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  let marker: SeedMarker;
  try {
    marker = await ensureSeeded(
      target,
      { version: SEED_VERSION, spans: options.spans, salt: SALT },
      { reseed: options.reseed, signal: interrupted.signal },
    );
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
  }
  const sizeMb = await target.bytes() / 1e6;
  console.log(
    `data: ${target.name.replace(ROOT, "")}: ${count(marker.spans)} spans in ${
      count(marker.traces)
    } traces and ${count(marker.logs ?? 0)} logs over the 24 h ending ${
      new Date(marker.endMs).toISOString()
    } (the benchmark's "now"); ${
      count(Math.round(sizeMb))
    } MB; seeded ${marker.seededAt} in ${marker.seedSeconds} s (${
      count(Math.round(marker.spans / (marker.seedSeconds || 1)))
    } spans/s)`,
  );
  if (options.seedOnly) return;

  const store: Store = await createStore(target.config, { dataDir: CACHE_DIR });
  const defaults = parseConfig({});
  if (!defaults.ok) throw new Error(defaults.errors.join("; "));
  // A file cached by an older Argus gets the newer schema (and backfills) as a real start would.
  const { applied } = await store.migrate();
  if (applied.length > 0) console.error(`migrated the data set: ${applied.join(", ")}`);
  const handle = createApp({
    store,
    startedAt: marker.endMs,
    ingest: { ingestionRate: () => 0, dlqSize: () => 0, queueDepth: () => 0 },
    logger: createLogger("warn"),
    queryMaxWindowMs: defaults.config.queryMaxWindowMs,
    now: () => marker.endMs,
  });
  // The raw-scan baseline reads the SQLite file directly; on PostgreSQL its rows are left out.
  const raw = options.driver === "sqlite" ? new RawScan(cacheFile(options.spans)) : undefined;
  const scanDb = openDatabase(target.config, CACHE_DIR, () => {});
  if (options.driver === "postgres") {
    // The planner needs statistics, which autovacuum gathers after bulk writes, when it is on
    // (it is off on this machine's shared server): gathered here, as autovacuum would have.
    await sql`analyze`.execute(scanDb.db);
  }
  const scan = new Queries(scanDb.db, scanDb.capabilities);
  const get = async (target: string): Promise<unknown> => {
    const response = await handle(new Request(`http://argus.bench${target}`));
    const body = await response.text();
    if (response.status !== 200) {
      throw new Error(`GET ${target}: ${response.status} ${body.slice(0, 300)}`);
    }
    return body;
  };
  const selected = (endpoint: string) =>
    options.only === undefined || endpoint.includes(options.only);

  const rows: Row[] = [];
  const add = (row: Row) => {
    rows.push(row);
    const f = figures(row.samples);
    console.error(
      `${row.window.padEnd(4)} ${row.endpoint.padEnd(44)} ${row.source.padEnd(19)} n=${
        String(f.n).padStart(2)
      } mean ${ms(f.mean)} p50 ${ms(f.p50)} p99 ${ms(f.p99)} ms`,
    );
  };
  const started = performance.now();
  try {
    console.error(
      `measuring: ${options.iterations} runs after ${options.warmups} warm-ups per row`,
    );
    for (const window of WINDOWS) {
      const range = `range=${window}`;
      const endNs = BigInt(marker.endMs) * 1_000_000n;
      const w: TimeWindow = { startNs: endNs - BigInt(WINDOW_MS[window]) * 1_000_000n, endNs };
      // What the window holds, once, as a check that the data is there.
      const stats = JSON.parse(String(await get(`/api/stats?${range}`)));
      console.error(`${window}: /api/stats says ${JSON.stringify(stats)}`);
      for (const panel of PANELS) {
        if (!selected(panel)) continue;
        add({
          window,
          endpoint: panel,
          source: "rollups",
          goalMs: PANEL_GOAL_MS,
          samples: await measure(options, () => get(`${panel}?${range}`).then(() => {})),
        });
      }
      for (const list of LISTS) {
        if (!selected(list)) continue;
        add({
          window,
          endpoint: `${list} (first page)`,
          source: "raw rows",
          goalMs: PANEL_GOAL_MS,
          samples: await measure(options, () => get(`${list}?${range}`).then(() => {})),
        });
      }
      for (const list of FILTERED_TRACE_LISTS) {
        const endpoint = `/api/traces?${list.query}`;
        if (!selected(endpoint)) continue;
        const summaries = await measure(options, () => get(`${endpoint}&${range}`).then(() => {}));
        add({
          window,
          endpoint,
          source: "trace summaries",
          goalMs: SEARCH_GOAL_MS[options.driver],
          samples: summaries,
        });
        const before = await measure(options, async () => {
          await scan.scanTraces({ ...w, ...list.filter }, list.sort, {
            limit: DEFAULT_LIMIT,
            offset: 0,
          });
        });
        const times = figures(before).p50 / figures(summaries).p50;
        add({
          window,
          endpoint: `${endpoint} (span scan)`,
          source: "span scan (before)",
          samples: before,
          comparedTo: `${times < 10 ? times.toFixed(1) : count(Math.round(times))}× p50`,
        });
      }
      await logSearchRows({ options, window, w, get, scan, selected, add });
      if (raw !== undefined && selected("raw")) {
        /** "N× /api/…": the baseline's p50 over the p50 of the rollup read it replaces. */
        const vs = (endpoint: string, samples: number[]) => {
          const of = rows.find((r) => r.window === window && r.endpoint === endpoint);
          if (of === undefined) return undefined;
          const times = figures(samples).p50 / figures(of.samples).p50;
          return `${
            times < 1 ? times.toFixed(2) : times < 10 ? times.toFixed(1) : count(Math.round(times))
          }× ${endpoint} p50`;
        };
        let checked = false;
        const statsSamples = await measure(options, () => {
          const figures = raw.stats(w);
          if (!checked) {
            checked = true;
            console.error(`${window}: raw scan says ${JSON.stringify(figures)}`);
            checkAgainstRollups(window, stats, figures);
          }
          return Promise.resolve();
        });
        add({
          window,
          endpoint: "raw: /api/stats figures (counts, distinct traces, services)",
          source: "raw scan (baseline)",
          samples: statsSamples,
          comparedTo: vs("/api/stats", statsSamples),
        });
        const requestSamples = await measure(options, () => {
          raw.requests(w);
          return Promise.resolve();
        });
        add({
          window,
          endpoint: "raw: per-service requests, errors, latency",
          source: "raw scan (baseline)",
          samples: requestSamples,
          comparedTo: vs("/api/metrics/dashboard", requestSamples),
        });
        const edgeSamples = await measure(options, () => {
          raw.edges(w);
          return Promise.resolve();
        });
        add({
          window,
          endpoint: "raw: service-map calls (child ⋈ parent)",
          source: "raw scan (baseline)",
          samples: edgeSamples,
          comparedTo: vs("/api/metrics/service-map", edgeSamples),
        });
      }
    }
    if (selected("/api/traces/{id}")) {
      // Known traces anywhere in the 24 hours, a different one for every run.
      const rand = random(7);
      const ids = Array.from(
        { length: options.iterations + options.warmups },
        () => traceIdOf(SALT, Math.floor(rand() * marker.traces)),
      );
      add({
        window: "—",
        endpoint: "/api/traces/{id} (a random known trace)",
        source: "raw rows",
        goalMs: TRACE_BY_ID_GOAL_MS,
        samples: await measure(
          options,
          (i) => get(`/api/traces/${ids[i < 0 ? options.iterations - 1 - i : i]}`).then(() => {}),
        ),
      });
    }
  } finally {
    raw?.close();
    await scanDb.db.destroy();
    await store.close();
  }
  console.log();
  console.log(
    `${options.iterations} runs per row after ${options.warmups} warm-ups (a row slower than ` +
      `${options.budgetS} s in all stops after ${MIN_ITERATIONS} runs; one warm-up when a run ` +
      `takes over 2 s); p99 is the nearest rank (of ${options.iterations} runs: the ${
        options.iterations <= 100 ? "slowest" : "run at the 99th percentile"
      }); through ` +
      `createApp(deps) with "now" = ${new Date(marker.endMs).toISOString()}; goal: every panel ` +
      `p99 < ${PANEL_GOAL_MS} ms, trace by id < ${TRACE_BY_ID_GOAL_MS} ms`,
  );
  console.log(resultTable(rows));
  console.log();
  const missed = rows.filter((r) => r.goalMs !== undefined && figures(r.samples).p99 >= r.goalMs);
  console.log(
    missed.length === 0
      ? "every goal met"
      : `goal missed by: ${missed.map((r) => `${r.endpoint} ${r.window}`).join(", ")}`,
  );
  console.log(
    `measuring took ${
      ((performance.now() - started) / 1000).toFixed(0)
    } s; at the end ${loadAverage()}`,
  );
}

if (import.meta.main) await main();
