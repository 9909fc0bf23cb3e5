// deno-lint-ignore-file no-console -- a benchmark prints its figures
/**
 * The peer benchmark (`deno task bench:peers`, issue 12): Argus against Jaeger v2 with Badger
 * (durable) and with memory storage, under the same telemetrygen loads, interleaved, in one run.
 *
 * For each round, load and system (in turn, the order rotating each round), the system is started
 * fresh twice, each time in a folder of its own:
 *
 * 1. **telemetrygen** (the OpenTelemetry load generator, over OTLP/gRPC, no throttle) for
 *    ARGUS_BENCH_SECONDS: items/s accepted by the system's receiver (its own counter), what
 *    telemetrygen generated (its traces workers share one SDK batch processor, one export in
 *    flight, and drop what does not fit its queue), CPU seconds of every process of the system
 *    until what it accepted is written. Then, for traces, **trace search** by service over the
 *    last 15 minutes (ARGUS_BENCH_SEARCHES times, within 15 s, at least 3) through its HTTP API.
 * 2. **our client** (bench/ingest_load_client.mjs) for ARGUS_BENCH_LATENCY_SECONDS, on a second
 *    instance: telemetrygen does not report acknowledgement latency, so our client measures it,
 *    with requests of the load's size, one in flight per client, one client per worker.
 *
 * After each, the system stops; the items it stored are counted (Argus: rows in its SQLite file;
 * Jaeger: spans its storage exporter wrote without error, read before it stops) and the bytes its
 * folder takes on disk. Peak RSS of every process (Argus's core, its gRPC gateway, any helper;
 * Jaeger) covers the instance's whole life.
 *
 * With `--baseline=<git ref>`, that commit's Argus (bench/_baseline.ts) is a system of the run too,
 * `argus-baseline`, beside this tree's: a same-run ratio between two trees.
 *
 * Usage: deno task bench:peers [--rebuild] [--json FILE] [--baseline=<git ref>]
 * Settings: ARGUS_BENCH_SECONDS (default 30), ARGUS_BENCH_LATENCY_SECONDS (default 10),
 * ARGUS_BENCH_ROUNDS (default 1), ARGUS_BENCH_LOADS and ARGUS_BENCH_SYSTEMS (comma-separated names,
 * default all but the baseline), ARGUS_BENCH_SEARCHES (default 20), ARGUS_BENCH_JAEGER_MAX_TRACES (memory storage's
 * ring, default 100000 as in Jaeger's examples).
 *
 * @module
 */
import { type Baseline, withBaseline } from "./_baseline.ts";
import { CLOCK_TICKS, diskBytes, type ProcessFigures, ProcessWatch } from "./_peers_process.ts";
import {
  isArgus,
  type RunningSystem,
  type Signal,
  startArgusSystem,
  startJaeger,
  type SystemName,
  SYSTEMS,
} from "./_peers_systems.ts";
import {
  goVersion,
  jaeger,
  JAEGER_VERSION,
  telemetrygen,
  TELEMETRYGEN_VERSION,
} from "./_peers_tools.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const CLIENT = new URL("./ingest_load_client.mjs", import.meta.url).pathname;
/** The service name telemetrygen sends (its default) and the searches look for. */
const SERVICE = "telemetrygen";
/** telemetrygen's traces: a parent and `--child-spans` children (its default, 1). */
const CHILD_SPANS = 1;
const SEARCH_BUDGET_MS = 15_000;

export interface Load {
  name: string;
  signal: Signal;
  workers: number;
  /** Items per request: telemetrygen's `--batch-size`, and our client's request size. */
  batch: number;
  label: string;
}

export const LOADS: Load[] = [
  {
    name: "traces-1",
    signal: "traces",
    workers: 1,
    batch: 100,
    label: "traces, 1 worker, 100 per request",
  },
  {
    name: "traces-4",
    signal: "traces",
    workers: 4,
    batch: 100,
    label: "traces, 4 workers, 100 per request",
  },
  {
    name: "traces-4x1000",
    signal: "traces",
    workers: 4,
    batch: 1000,
    label: "traces, 4 workers, 1,000 per request",
  },
  {
    name: "logs-1",
    signal: "logs",
    workers: 1,
    batch: 100,
    label: "logs, 1 worker, 100 per request",
  },
  {
    name: "logs-4x1000",
    signal: "logs",
    workers: 4,
    batch: 1000,
    label: "logs, 4 workers, 1,000 per request",
  },
];

function setting(name: string, fallback: number, integer = true): number {
  const text = Deno.env.get(name);
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!(value > 0) || (integer && !Number.isInteger(value))) {
    throw new RangeError(
      `Cannot use ${name} as it must be a positive ${integer ? "integer" : "number"}: ` +
        `current value is "${text}"`,
    );
  }
  return value;
}

function names<T extends string>(name: string, all: readonly T[]): T[] {
  const text = Deno.env.get(name);
  if (!text) return [...all];
  const picked = text.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = picked.filter((p) => !all.includes(p as T));
  if (unknown.length > 0) {
    throw new RangeError(
      `Cannot use ${name} as it must list some of ${all.join(", ")}: current value is "${text}"`,
    );
  }
  return picked as T[];
}

export interface Phase {
  tool: "telemetrygen" | "client";
  /** Wall time of the load generator, start to exit. */
  seconds: number;
  /** Items the system's receiver accepted during the phase (its own counter). */
  accepted: number;
  itemsPerSecond: number;
  /** telemetrygen: items it generated (spans = traces × 2); some are dropped in its queue. */
  generated?: number;
  /** CPU seconds of the load generator itself (telemetrygen only). */
  generatorCpuSeconds?: number;
  /** Our client: items acknowledged to it, failed requests and acknowledgement latency. */
  acknowledged?: number;
  failedRequests?: number;
  latencyMs?: { p50: number | null; p99: number | null; max: number | null };
  /** CPU seconds of the system's processes from the phase's start until its items were written. */
  cpuSeconds: number;
  cpuSecondsByRole: Record<string, number>;
  cpuSecondsPerMillion: number | null;
  /** telemetrygen's exit code, and the end of its output when it was not 0. */
  exitCode?: number;
  generatorOutput?: string;
}

/** What one fresh instance of a system did: a phase of load (and, for traces, the searches). */
export interface Instance {
  /** Items its receiver accepted over its life (its own counter). */
  accepted: number;
  /** Items it stored: Argus, rows in its file after it stopped; Jaeger, spans written. */
  stored: number;
  /** Bytes its folder took on disk once it stopped (0 for Jaeger's memory storage). */
  diskBytes: number;
  /** Every process of the system with its peak RSS over the instance's life. */
  processes: ProcessFigures[];
  notes: string[];
}

/**
 * One load on one system in one round: the telemetrygen phase and the searches on one fresh
 * instance, the latency phase (our client) on another, so that the stored items, the bytes on disk
 * and the memory of each belong to one load generator.
 */
export interface Run {
  round: number;
  load: string;
  signal: Signal;
  system: SystemName;
  startedAt: string;
  telemetrygen?: Phase & Instance;
  search?: { ms: number[]; medianMs: number; results: number; itemsStoredBefore: number };
  client?: Phase & Instance;
  error?: string;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor((sorted.length - 1) / 2)]!;
};

interface Generated {
  generated: number;
  code: number;
  tail: string;
  /** CPU seconds telemetrygen itself spent (it shares the machine with the system). */
  cpuSeconds: number;
}

/** Runs telemetrygen against `endpoint` and reads how many items its workers generated. */
async function runTelemetrygen(
  binary: string,
  endpoint: string,
  load: Load,
  seconds: number,
): Promise<Generated> {
  const args = [
    load.signal,
    "--otlp-endpoint",
    endpoint,
    "--otlp-insecure",
    "--workers",
    String(load.workers),
    "--rate",
    "0",
    "--duration",
    `${seconds}s`,
    "--batch-size",
    String(load.batch),
    "--service",
    SERVICE,
    ...(load.signal === "traces" ? ["--child-spans", String(CHILD_SPANS)] : []),
  ];
  // Under a shell that prints its own /proc stat once telemetrygen has ended: the children's CPU
  // time (cutime, cstime) is then telemetrygen's, to the tick.
  const script = '"$0" "$@"; code=$?; echo "peers-cpu $(cat /proc/$$/stat)"; exit $code';
  const child = new Deno.Command("sh", {
    args: ["-c", script, binary, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let tail = "";
  let generated = 0;
  let cpuSeconds = NaN;
  const read = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of stream) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        // zap's console line: "… traces generated	{"worker": 0, "traces": 1234}"
        const count = /(?:traces|logs) generated\s+\{.*"(?:traces|logs)": (\d+)/.exec(line);
        if (count) generated += Number(count[1]);
        if (line.startsWith("peers-cpu ")) {
          // Fields 16 and 17 of stat (cutime, cstime) are the 14th and 15th after the comm.
          const fields = line.slice(line.lastIndexOf(")") + 2).split(" ");
          cpuSeconds = (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
          continue;
        }
        tail = (tail + line + "\n").slice(-8192);
      }
    }
  };
  const [status] = await Promise.all([child.status, read(child.stdout), read(child.stderr)]);
  const items = load.signal === "traces" ? generated * (1 + CHILD_SPANS) : generated;
  return { generated: items, code: status.code, tail, cpuSeconds };
}

interface ClientResult {
  items: number;
  failed: number;
  seconds: number;
  latencies_ms: { p50: number | null; p99: number | null; max: number | null };
}

async function runClient(endpoint: string, load: Load, seconds: number): Promise<ClientResult> {
  const output = await new Deno.Command("node", {
    args: [
      CLIENT,
      endpoint,
      load.signal,
      String(seconds),
      String(load.workers),
      "1",
      String(load.batch),
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (output.code !== 0) throw new Error(`the load client failed with code ${output.code}`);
  return JSON.parse(new TextDecoder().decode(output.stdout).trim().split("\n").at(-1)!);
}

/** Runs `generate` and measures what the system accepted and the CPU its processes spent. */
async function phase<T>(
  system: RunningSystem,
  watch: ProcessWatch,
  signal: Signal,
  generate: () => Promise<T>,
): Promise<{ result: T; seconds: number; accepted: number; cpu: Record<string, number> }> {
  const accepted0 = await system.accepted(signal);
  const cpu0 = await watch.cpu();
  const started = performance.now();
  const result = await generate();
  const seconds = (performance.now() - started) / 1000;
  await system.settle(signal);
  const accepted = await system.accepted(signal) - accepted0;
  const cpu1 = await watch.cpu();
  const cpu: Record<string, number> = {};
  for (const [pid, total] of cpu1) {
    const role = watch.roleOf(pid);
    cpu[role] = (cpu[role] ?? 0) + total - (cpu0.get(pid) ?? 0);
  }
  return { result, seconds, accepted, cpu };
}

function sum(record: Record<string, number>): number {
  return Object.values(record).reduce((a, b) => a + b, 0);
}

function perMillion(cpu: number, items: number): number | null {
  return items > 0 ? Math.round((cpu / items) * 1e6 * 10) / 10 : null;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

interface Options {
  telemetrygen: string | null;
  jaeger: string | null;
  seconds: number;
  latencySeconds: number;
  searches: number;
  maxTraces: number;
  /** The commit measured as `argus-baseline` (`--baseline=<ref>`). */
  baseline?: Baseline;
}

/** Starts `name` fresh, runs `body` against it, stops it and reads what it stored. */
async function onInstance<T>(
  name: SystemName,
  options: Options,
  signal: Signal,
  body: (system: RunningSystem, watch: ProcessWatch) => Promise<T>,
): Promise<T & Instance> {
  const dir = await Deno.makeTempDir({ prefix: `argus-bench-peers-${name}-` });
  try {
    const system = name === "argus" || name === "argus-baseline"
      ? await startArgusSystem(
        dir,
        name,
        name === "argus" ? undefined : options.baseline!.startArgus,
      )
      : await startJaeger(
        options.jaeger!,
        name === "jaeger-badger" ? "badger" : "memory",
        dir,
        options.maxTraces,
      );
    const watch = new ProcessWatch(system.rootPid, system.role);
    let result: T, accepted: number, processes: ProcessFigures[], stored: number;
    await watch.start();
    try {
      result = await body(system, watch);
      accepted = await system.accepted(signal);
      processes = await watch.peaks();
    } finally {
      await watch.stop();
      stored = await system.stop(signal);
    }
    return {
      ...result,
      accepted,
      stored,
      diskBytes: name === "jaeger-memory" ? 0 : await diskBytes(dir),
      processes,
      notes: system.notes(),
    };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

function phaseFigures(
  tool: Phase["tool"],
  p: { seconds: number; accepted: number; cpu: Record<string, number> },
): Phase {
  const cpu = sum(p.cpu);
  return {
    tool,
    seconds: round1(p.seconds),
    accepted: p.accepted,
    itemsPerSecond: Math.round(p.accepted / p.seconds),
    cpuSeconds: round1(cpu),
    cpuSecondsByRole: Object.fromEntries(
      Object.entries(p.cpu).map(([role, s]) => [role, round1(s)]),
    ),
    cpuSecondsPerMillion: perMillion(cpu, p.accepted),
  };
}

async function runOne(
  round: number,
  load: Load,
  name: SystemName,
  options: Options,
): Promise<Run> {
  const run: Run = {
    round,
    load: load.name,
    signal: load.signal,
    system: name,
    startedAt: new Date().toISOString(),
  };
  try {
    if (options.telemetrygen) {
      const binary = options.telemetrygen;
      run.telemetrygen = await onInstance(name, options, load.signal, async (system, watch) => {
        const p = await phase(
          system,
          watch,
          load.signal,
          () => runTelemetrygen(binary, system.otlpGrpc, load, options.seconds),
        );
        if (load.signal === "traces") {
          const before = await system.accepted("traces");
          const s = await system.search(SERVICE, options.searches, SEARCH_BUDGET_MS);
          run.search = {
            ms: s.ms.map(round1),
            medianMs: round1(median(s.ms)),
            results: s.results,
            itemsStoredBefore: before,
          };
        }
        return {
          ...phaseFigures("telemetrygen", p),
          generated: p.result.generated,
          generatorCpuSeconds: round1(p.result.cpuSeconds),
          exitCode: p.result.code,
          ...(p.result.code === 0 ? {} : { generatorOutput: p.result.tail.slice(-2000) }),
        };
      });
    }
    run.client = await onInstance(name, options, load.signal, async (system, watch) => {
      const c = await phase(
        system,
        watch,
        load.signal,
        () => runClient(system.otlpGrpc, load, options.latencySeconds),
      );
      return {
        ...phaseFigures("client", c),
        // Over the client's own clock, which starts once its requests are built (Node's start-up
        // and the template encoding are not load).
        itemsPerSecond: Math.round(c.accepted / c.result.seconds),
        acknowledged: c.result.items,
        failedRequests: c.result.failed,
        latencyMs: c.result.latencies_ms,
      };
    });
  } catch (error) {
    run.error = error instanceof Error ? error.message : String(error);
  }
  return run;
}

// --- the report ---

function progress(run: Run): string {
  if (run.error) return `FAILED ${run.error}`;
  const parts: string[] = [];
  for (const i of [run.telemetrygen, run.client]) {
    if (!i) continue;
    parts.push(
      `${i.tool} ${fmt(i.itemsPerSecond)} items/s accepted, stored ${fmt(i.stored)} of ${
        fmt(i.accepted)
      }` + (i.latencyMs ? `, ack p50/p99 ${i.latencyMs.p50}/${i.latencyMs.p99} ms` : ""),
    );
    parts.push(...i.notes);
  }
  if (run.search) parts.push(`search median ${run.search.medianMs} ms`);
  return parts.join("; ");
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const fmt = (n: number | null | undefined) =>
  n === null || n === undefined ? "" : integer.format(n);

/** The main figure of a run: telemetrygen's items/s, or our client's when telemetrygen is absent. */
function rate(run: Run): number {
  return (run.telemetrygen ?? run.client)?.itemsPerSecond ?? 0;
}

/** Peak RSS per role (the largest pid of a role, e.g. a restarted gateway), zeros left out. */
function rssByRole(processes: readonly ProcessFigures[]): Map<string, number> {
  const byRole = new Map<string, number>();
  for (const p of processes) {
    // A process seen only after it ended (a zombie awaiting its parent) reads 0: not worth a cell.
    if (p.peakRssMb > 0) byRole.set(p.role, Math.max(byRole.get(p.role) ?? 0, p.peakRssMb));
  }
  return byRole;
}

function rssCell(processes: readonly ProcessFigures[]): string {
  const byRole = rssByRole(processes);
  const parts = [...byRole].map(([role, mb]) => `${role} ${fmt(mb)}`);
  const core = (byRole.get("core") ?? 0) + (byRole.get("gRPC gateway") ?? 0);
  return parts.join(", ") + (byRole.has("gRPC gateway") ? ` (core + gateway ${fmt(core)})` : "");
}

/** Sum of the peak RSS of every process (an upper bound of the system's peak). */
function rssTotal(processes: readonly ProcessFigures[]): number {
  return [...rssByRole(processes).values()].reduce((a, b) => a + b, 0);
}

export function tables(
  runs: readonly Run[],
  loads: readonly Load[],
  systems: readonly SystemName[],
  maxTraces: number,
): string {
  const lines: string[] = [];
  const multi = new Set(runs.map((r) => r.round)).size > 1;
  lines.push(
    "| load | system | items/s accepted | generated/s by telemetrygen (its CPU) | stored / acknowledged | CPU-s per million items | peak RSS MB | disk bytes per item | ack p50 / p99 ms (our client) | our client: items/s, peak RSS MB |",
    "| --- | --- | --: | --: | --: | --: | --- | --: | --: | --: |",
  );
  const searches: string[] = [];
  for (const load of loads) {
    for (const system of systems) {
      const group = runs.filter((r) => r.load === load.name && r.system === system);
      if (group.length === 0) continue;
      const ok = group.filter((r) => !r.error);
      if (ok.length === 0) {
        lines.push(
          `| ${load.label} | ${SYSTEMS[system]} | failed: ${
            group[0]!.error!.split("\n")[0]
          } | | | | | | | |`,
        );
        continue;
      }
      const sorted = [...ok].sort((a, b) => rate(a) - rate(b));
      const run = sorted[Math.floor((sorted.length - 1) / 2)]!;
      const rates = ok.map(rate);
      const range = multi ? ` (${fmt(Math.min(...rates))}–${fmt(Math.max(...rates))})` : "";
      const tg = run.telemetrygen;
      const client = run.client;
      // The telemetrygen instance's figures; our client's when telemetrygen is absent.
      const main = tg ?? client!;
      const generated = tg?.generated !== undefined
        ? `${fmt(tg.generated / tg.seconds)} (${
          ((tg.generatorCpuSeconds ?? NaN) / tg.seconds).toFixed(1)
        } cores)`
        : "";
      const latency = client?.latencyMs;
      const disk = system === "jaeger-memory"
        ? "(memory)"
        : main.stored > 0
        ? fmt(main.diskBytes / main.stored)
        : "";
      lines.push(
        `| ${load.label} | ${SYSTEMS[system]} | ${fmt(rate(run))}${range}${
          tg ? "" : " (our client)"
        } | ${generated} | ${fmt(main.stored)} / ${fmt(main.accepted)} | ${
          main.cpuSecondsPerMillion ?? ""
        } | ${rssCell(main.processes)} | ${disk} | ${
          latency ? `${latency.p50} / ${latency.p99}` : ""
        } | ${client ? `${fmt(client.itemsPerSecond)}, ${fmt(rssTotal(client.processes))}` : ""} |`,
      );
      if (run.search) {
        searches.push(
          `| ${load.label} | ${SYSTEMS[system]} | ${fmt(run.search.itemsStoredBefore)}${
            system === "jaeger-memory" ? ` (ring of ${fmt(maxTraces)} traces)` : ""
          } | ${fmt(run.search.medianMs)} ms (${run.search.ms.length}) | ${run.search.results} |`,
        );
      }
    }
  }
  if (searches.length > 0) {
    lines.push(
      "",
      "| after load | system | spans stored | trace search by service, last 15 min: median (searches) | traces returned |",
      "| --- | --- | --: | --: | --: |",
      ...searches,
    );
  }
  return lines.join("\n");
}

/**
 * The systems to measure, in order: ARGUS_BENCH_SYSTEMS's (all but the baseline by default), with
 * the baseline commit beside this tree's Argus when `--baseline=<ref>` is given.
 */
export function systemsToRun(
  requested: readonly SystemName[] | undefined,
  baseline: boolean,
): SystemName[] {
  const all = Object.keys(SYSTEMS) as SystemName[];
  const systems = requested ? [...requested] : all.filter((s) => s !== "argus-baseline");
  if (baseline && !systems.includes("argus-baseline")) {
    const at = systems.indexOf("argus");
    systems.splice(at < 0 ? 0 : at + 1, 0, "argus-baseline");
  }
  if (!baseline && systems.includes("argus-baseline")) {
    throw new RangeError(
      "Cannot use ARGUS_BENCH_SYSTEMS as it must name argus-baseline only with --baseline=<ref>",
    );
  }
  return systems;
}

async function main() {
  const args = [...Deno.args];
  if (args.includes("--help")) {
    console.log(
      "Usage: deno task bench:peers [--rebuild] [--json FILE] [--baseline=<git ref>]\n" +
        "Settings: ARGUS_BENCH_SECONDS, ARGUS_BENCH_LATENCY_SECONDS, ARGUS_BENCH_ROUNDS, " +
        "ARGUS_BENCH_LOADS, ARGUS_BENCH_SYSTEMS, ARGUS_BENCH_SEARCHES, ARGUS_BENCH_JAEGER_MAX_TRACES\n" +
        `Loads: ${LOADS.map((l) => l.name).join(", ")}; systems: ${
          Object.keys(SYSTEMS).join(", ")
        }`,
    );
    return;
  }
  const rebuild = args.includes("--rebuild");
  const jsonAt = args.indexOf("--json");
  const jsonFile = jsonAt >= 0 ? args[jsonAt + 1] : undefined;
  const seconds = setting("ARGUS_BENCH_SECONDS", 30, false);
  const latencySeconds = setting("ARGUS_BENCH_LATENCY_SECONDS", 10, false);
  const rounds = setting("ARGUS_BENCH_ROUNDS", 1);
  const searches = setting("ARGUS_BENCH_SEARCHES", 20);
  const maxTraces = setting("ARGUS_BENCH_JAEGER_MAX_TRACES", 100_000);
  const loadNames = names("ARGUS_BENCH_LOADS", LOADS.map((l) => l.name));
  const loads = LOADS.filter((l) => loadNames.includes(l.name));
  const baselineRef = args.find((a) => a.startsWith("--baseline="))?.slice("--baseline=".length);
  let systems = systemsToRun(
    Deno.env.get("ARGUS_BENCH_SYSTEMS")
      ? names("ARGUS_BENCH_SYSTEMS", Object.keys(SYSTEMS) as SystemName[])
      : undefined,
    baselineRef !== undefined,
  );

  const log = (line: string) => console.log(line);
  const go = await goVersion();
  const tg = await telemetrygen(rebuild, log);
  const jg = systems.some((s) => !isArgus(s))
    ? await jaeger(rebuild, log)
    : { path: null, how: "not asked for" };
  const notes: string[] = [];
  if (!tg.path) {
    notes.push(
      `telemetrygen skipped: ${tg.how}. Argus is loaded by bench/ingest_load_client.mjs alone.`,
    );
  }
  if (!jg.path && systems.some((s) => !isArgus(s))) {
    notes.push(`Jaeger skipped: ${jg.how}. Only Argus is measured.`);
    systems = systems.filter(isArgus);
  }
  for (const note of notes) console.log(`NOTE: ${note}`);

  console.log(
    `# Peer benchmark: ${rounds} round(s); telemetrygen ${seconds} s, our client ${latencySeconds} s per load and system\n` +
      `# ${
        new Date().toISOString()
      }; ${navigator.hardwareConcurrency} cores; Deno ${Deno.version.deno}; ${
        go ?? "no Go"
      }\n# telemetrygen ${TELEMETRYGEN_VERSION}: ${tg.how}\n# Jaeger ${JAEGER_VERSION}: ${jg.how}\n`,
  );
  const options: Options = {
    telemetrygen: tg.path,
    jaeger: jg.path,
    seconds,
    latencySeconds,
    searches,
    maxTraces,
  };
  const measure = async (baseline?: Baseline): Promise<Run[]> => {
    if (baseline) console.log(`# Argus baseline: ${baseline.commit} (--baseline=${baselineRef})\n`);
    const runs: Run[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const load of loads) {
        const order = load.signal === "logs" ? systems.filter(isArgus) : systems;
        // Rotate the order each round, so that no system always runs first (a cold machine).
        const turn = order.map((_, i) => order[(i + round - 1) % order.length]!);
        for (const system of turn) {
          const run = await runOne(round, load, system, { ...options, baseline });
          runs.push(run);
          console.log(`round ${round} ${load.name} ${system}: ${progress(run)}`);
        }
      }
    }
    return runs;
  };
  const runs = baselineRef === undefined
    ? await measure()
    : await withBaseline(baselineRef, measure);

  console.log("");
  console.log(tables(runs, loads, systems, maxTraces));
  if (systems.includes("jaeger-memory")) {
    console.log(
      `\nJaeger + memory keeps the newest ${
        fmt(maxTraces)
      } traces (max_traces): "stored" counts the ` +
        "spans its storage exporter wrote; older traces leave the ring as new ones arrive.",
    );
  }
  for (const run of runs) {
    if (!isArgus(run.system)) continue;
    for (const i of [run.telemetrygen, run.client]) {
      if (!i || i.stored >= i.accepted) continue;
      const where = `round ${run.round} ${run.load} (${i.tool})`;
      // Every acknowledged item must be stored, logs too: identical records of two requests
      // (telemetrygen's differ only by their time) are two records since issue 12.
      console.log(`\nERROR: ${where}: Argus stored fewer items than it acknowledged`);
      Deno.exitCode = 1;
    }
  }
  if (runs.some((r) => r.error)) Deno.exitCode = 1;
  const raw = JSON.stringify({ notes, seconds, latencySeconds, rounds, runs }, null, 2);
  if (jsonFile) {
    await Deno.writeTextFile(jsonFile, raw + "\n");
    console.log(`\nRaw figures: ${jsonFile}`);
  } else {
    console.log(`\nRaw figures (JSON):\n${raw}`);
  }
}

if (import.meta.main) await main();
