// deno-lint-ignore-file no-console -- a benchmark prints its figures
/**
 * The live log stream in the browser (`deno task bench:ui`): Argus started as users start it
 * (defaults, a fresh SQLite file), the Logs page in headless Chromium, and log records sent to
 * Argus over OTLP/HTTP at a set rate by tests/browser/scenarios/logs_bench.mjs, which measures
 * the page phase by phase: frames per second, long tasks, rows in the DOM, the JS heap, records
 * added to the list per second; and beside them what Argus accepted and what the WebSocket
 * delivered. Phases, in one run:
 *
 * 1. Live off while records arrive at the full rate (the page refreshing every 10 s): baseline;
 * 2. Live on at a tenth of the rate: baseline;
 * 3. Live on at the full rate (5,000 records/s): the figure asked for.
 *
 * Settings: ARGUS_BENCH_RATE (records/s, default 5000), ARGUS_BENCH_SECONDS (the full-rate live
 * phase, default 30; the baselines take half), ARGUS_BENCH_BATCH (records per request, default 100).
 * Prints a Markdown table (for docs/benchmarks.md) and the raw figures as JSON.
 *
 * @module
 */
import { startArgus } from "../tests/argus_process.ts";
import { runScenario } from "../tests/browser.ts";

const RATE = Number(Deno.env.get("ARGUS_BENCH_RATE") ?? 5000);
const SECONDS = Number(Deno.env.get("ARGUS_BENCH_SECONDS") ?? 30);
const BATCH = Number(Deno.env.get("ARGUS_BENCH_BATCH") ?? 100);

interface PhaseResult {
  name: string;
  live: boolean;
  rate: number;
  seconds: number;
  ingest: {
    acceptedPerSecond: number;
    sentPerSecond: number;
    rejected: number;
    failedRequests: number;
    ackP50: number;
    ackP99: number;
  } | null;
  wsItemsPerSecond: number;
  renderedPerSecond: number;
  fps: number;
  fpsWorstSecond: number;
  framesOver50ms: number;
  worstFrameMs: number;
  longTasks: number;
  longTaskMs: number;
  longestTaskMs: number;
  domRowsMean: number;
  domRowsMax: number;
  domNodesMax: number;
  listedMax: number;
  heapMb: { start: number; end: number; max: number; performanceMemoryEnd: number | null };
  mainThreadBusy: number;
  scriptBusy: number;
  liveStates: string[];
  socketsClosed: number;
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const fixed = (n: number, digits = 1) => n.toFixed(digits);

function table(results: PhaseResult[]): string {
  const header = [
    "phase",
    "seconds",
    "OTLP accepted/s",
    "ack p99 ms",
    "WebSocket items/s",
    "rendered items/s",
    "fps (worst second)",
    "frames > 50 ms",
    "long tasks (total ms, longest)",
    "DOM rows mean / max",
    "list length max",
    "JS heap MB start → end (max)",
    "renderer main thread busy",
  ];
  const rows = results.map((r) => [
    r.name,
    fixed(r.seconds),
    r.ingest ? int(r.ingest.acceptedPerSecond) : "–",
    r.ingest ? fixed(r.ingest.ackP99) : "–",
    int(r.wsItemsPerSecond),
    int(r.renderedPerSecond),
    `${fixed(r.fps)} (${r.fpsWorstSecond})`,
    String(r.framesOver50ms),
    `${r.longTasks} (${int(r.longTaskMs)}, ${int(r.longestTaskMs)})`,
    `${fixed(r.domRowsMean)} / ${r.domRowsMax}`,
    int(r.listedMax),
    `${fixed(r.heapMb.start)} → ${fixed(r.heapMb.end)} (${fixed(r.heapMb.max)})`,
    `${Math.round(r.mainThreadBusy * 100)}%`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    `| ${
      cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")
    } |`;
  return [
    line(header),
    `| ${widths.map((w, i) => (i === 0 ? "-".repeat(w) : "-".repeat(w - 1) + ":")).join(" | ")} |`,
    ...rows.map(line),
  ].join("\n");
}

async function main() {
  const cwd = await Deno.makeTempDir({ prefix: "argus-bench-ui-" });
  const argus = await startArgus({}, cwd);
  const half = Math.max(5, Math.round(SECONDS / 2));
  const phases = [
    { name: `Live off, ${int(RATE)} records/s ingested`, live: false, rate: RATE, seconds: half },
    { name: `Live on, ${int(RATE / 10)} records/s`, live: true, rate: RATE / 10, seconds: half },
    { name: `Live on, ${int(RATE)} records/s`, live: true, rate: RATE, seconds: SECONDS },
  ];
  console.log(
    `UI live log stream: ${phases.map((p) => `${p.name} for ${p.seconds} s`).join("; ")}`,
  );
  try {
    const { answer, problems } = await runScenario<{ chromium: string; results: PhaseResult[] }>(
      "logs_bench",
      argus.baseUrl,
      { otlpHttpUrl: argus.otlpHttpUrl, phases, batch: BATCH },
    );
    console.log(
      `\nChromium ${answer.chromium} (headless), Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores\n`,
    );
    console.log(table(answer.results));
    const dropped = answer.results.filter((r) => r.liveStates.includes("waiting"));
    if (dropped.length > 0) {
      console.log(
        `\nThe stream was interrupted (reconnecting) during: ${
          dropped.map((r) => r.name).join(", ")
        }`,
      );
    }
    if (problems.length > 0) console.log(`\nProblems the page showed:\n${problems.join("\n")}`);
    console.log(`\n${JSON.stringify(answer)}`);
  } finally {
    await argus.stop();
    await Deno.remove(cwd, { recursive: true });
  }
}

await main();
