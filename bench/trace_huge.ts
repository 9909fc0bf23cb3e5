/**
 * `deno task bench:trace`: opening a huge trace (issue 15). Sends one trace of `--spans` spans
 * (default 80,000; three services, eight attributes a span, an event on one in ten) to a fresh
 * Argus on SQLite over OTLP/HTTP, then measures, `--rounds` times each:
 * `GET /api/traces/{trace_id}/structure` (what the waterfall draws), one span's details, an
 * in-trace search for an attribute value, the page's HTML and then the structure it preloads (the
 * server's read for the page, where the server keeps it for that request), and in headless
 * Chromium the time from navigation to the page's first byte, its first paint, the waterfall's
 * first rows, a hydrated page and an interactive waterfall (for a huge trace, drawn from the
 * structure the browser fetched). Prints a Markdown table (docs/benchmarks.md keeps one).
 *
 * With `--baseline=<git ref>`, that commit's Argus (bench/_baseline.ts) gets the same trace and is
 * measured in the same run, round by round in alternating order, in columns beside this one's.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type ArgusProcess, startArgus } from "../tests/argus_process.ts";
import { runScenario } from "../tests/browser.ts";
import { hex, random } from "../tests/builders.ts";
import { postJson, stringAttribute, traceRequest } from "../tests/otlp_payloads.ts";
import { withBaseline } from "./_baseline.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    spans: { type: "string", default: "80000" },
    rounds: { type: "string", default: "5" },
    baseline: { type: "string" },
  },
});
const SPANS = Number(values.spans);
const ROUNDS = Number(values.rounds);
const PER_REQUEST = 2_000;
const SERVICES = ["checkout", "payments", "inventory"];
const TARGET = Math.floor(SPANS * 0.87);

// deno-lint-ignore no-console -- the benchmark's report
const say = (line: string) => console.log(line);

/** Span i's parent is (i - 1) / 8: a wide, six-level tree, as a batch job's fan-out. */
function spansOf(traceId: string, t0: bigint) {
  const rand = random(80_000);
  const ids = Array.from({ length: SPANS }, () => hex(rand, 16));
  return ids.map((spanId, i) => {
    const start = t0 + BigInt(i) * 50_000n;
    return {
      traceId,
      spanId,
      parentSpanId: i === 0 ? undefined : ids[Math.floor((i - 1) / 8)],
      name: i % 5 === 0 ? "SELECT orders" : `process item ${i % 200}`,
      kind: i === 0 ? 2 : i % 5 === 0 ? 3 : 1,
      startTimeUnixNano: start.toString(),
      endTimeUnixNano: (start + BigInt(1 + (SPANS - i) % 5_000) * 100_000n).toString(),
      status: { code: i % 97 === 0 ? 2 : 0 },
      attributes: [
        stringAttribute("order.id", i === TARGET ? "ord-000298" : `ord-${1_000_000 + i}`),
        stringAttribute("db.system", "postgresql"),
        stringAttribute("db.statement", `SELECT * FROM orders WHERE id = $1 /* item ${i} */`),
        stringAttribute("code.function", `processItem${i % 50}`),
        stringAttribute("thread.name", `worker-${i % 16}`),
        { key: "item.index", value: { intValue: String(i) } },
        { key: "retry", value: { boolValue: i % 13 === 0 } },
        stringAttribute("net.peer.name", "db.internal.example.com"),
      ],
      events: i % 10 === 0
        ? [{
          timeUnixNano: start.toString(),
          name: "cache miss",
          attributes: [stringAttribute("cache.key", `order:${i}`)],
        }]
        : undefined,
    };
  });
}

/** A request to one system, timed; a failed one names the system and ends with its log. */
async function timed(
  system: System,
  path: string,
): Promise<{ ms: number; bytes: number; status: number; body: string }> {
  const started = performance.now();
  let response: Response;
  let body: ArrayBuffer;
  try {
    response = await fetch(`${system.argus.baseUrl}${path}`);
    body = await response.arrayBuffer();
  } catch (e) {
    throw new Error(`${system.name}: GET ${path} failed\n${system.argus.log().slice(-3_000)}`, {
      cause: e,
    });
  }
  const ms = performance.now() - started;
  return {
    ms,
    bytes: body.byteLength,
    status: response.status,
    body: new TextDecoder().decode(body),
  };
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** One Argus measured: its name in the table and what it answered. */
interface System {
  name: string;
  argus: ArgusProcess;
  /** Figures by row: milliseconds of each round, and the first body's bytes (before gzip). */
  figures: Map<string, { ms: number[]; bytes?: number }>;
  api?: string[];
}

async function send(argus: ArgusProcess, traceId: string, spans: ReturnType<typeof spansOf>) {
  for (let i = 0; i < spans.length; i += PER_REQUEST) {
    const part = spans.slice(i, i + PER_REQUEST);
    const service = SERVICES[(i / PER_REQUEST) % SERVICES.length]!;
    const sent = await postJson(argus.otlpHttpUrl, "traces", traceRequest(part, service));
    if (sent.status !== 200) throw new Error(`OTLP/HTTP answered ${sent.status}`);
  }
  let stored = 0;
  for (let i = 0; i < 1_200 && stored < SPANS; i++) {
    const response = await fetch(`${argus.baseUrl}/api/traces/${traceId}/structure`);
    stored = response.status === 200 ? (await response.json()).span_id.length : 0;
    if (response.status !== 200) await response.body?.cancel();
    if (stored < SPANS) await new Promise((r) => setTimeout(r, 250));
  }
  if (stored < SPANS) throw new Error(`Only ${stored} of ${SPANS} spans were stored`);
}

function record(system: System, row: string, ms: number, bytes?: number) {
  const figures = system.figures.get(row) ?? { ms: [], bytes };
  figures.ms.push(ms);
  system.figures.set(row, figures);
}

/** One round of every request and of the page in Chromium, for each system in turn. */
async function measure(systems: System[], traceId: string, target: string) {
  const requests: Array<[string, string]> = [
    ["GET /api/traces/{id}/structure", "/structure"],
    ["GET /api/traces/{id}/spans/{span_id}", `/spans/${target}`],
    ["GET /api/traces/{id}/search?q=ord-000298", "/search?q=ord-000298"],
  ];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? systems : [...systems].reverse();
    for (const [row, path] of requests) {
      for (const system of order) {
        const run = await timed(system, `/api/traces/${traceId}${path}`);
        if (run.status !== 200) throw new Error(`${system.name}: ${row} answered ${run.status}`);
        record(system, row, run.ms, run.bytes);
      }
    }
    for (const system of order) {
      const run = await timed(system, `/traces/${traceId}`);
      if (run.status !== 200) throw new Error(`${system.name}: the page answered ${run.status}`);
      record(system, "GET /traces/{id} (page HTML)", run.ms, run.bytes);
      // What the page's preload asks for, right after the page (from the page's own read when the
      // server kept it for this request: routes/trace_snapshots.ts).
      const preload = /<link rel="preload" href="([^"]+)"/.exec(run.body)?.[1];
      if (preload === undefined) throw new Error(`${system.name}: the page preloads nothing`);
      const fetched = await timed(system, preload.replaceAll("&amp;", "&"));
      if (fetched.status !== 200) throw new Error(`${system.name}: ${preload} ${fetched.status}`);
      record(system, "GET the structure the page preloads, after it", fetched.ms, fetched.bytes);
    }
    for (const system of order) {
      const { answer, problems } = await runScenario<
        Array<
          {
            firstRowsMs: number;
            readyMs: number;
            interactiveMs: number;
            firstByteMs: number;
            firstPaintMs: number;
            api: string[];
          }
        >
      >("trace_paint", system.argus.baseUrl, {
        traceId,
        rounds: 1,
        baseUrl: system.argus.baseUrl,
      });
      if (problems.length > 0) say(`${system.name}: page problems: ${problems.join("; ")}`);
      const page = answer[0]!;
      system.api ??= page.api;
      record(system, "Chromium: navigation to the page's first byte", page.firstByteMs);
      record(system, "Chromium: navigation to its first paint", page.firstPaintMs);
      record(system, "Chromium: navigation to the waterfall's first rows", page.firstRowsMs);
      record(system, "Chromium: navigation to the hydrated page", page.readyMs);
      record(system, "Chromium: navigation to the interactive waterfall", page.interactiveMs);
    }
  }
}

function report(systems: System[]) {
  say("");
  for (const system of systems) {
    say(`${system.name}: API requests of the page while loading: ${JSON.stringify(system.api)}`);
  }
  say("");
  const columns = systems.map((s) => `${s.name}: bytes | p50 ms | max ms`).join(" | ");
  say(`| ${SPANS} spans, ${ROUNDS} rounds | ${columns} |`);
  say(`| --- |${" ---: | ---: | ---: |".repeat(systems.length)}`);
  for (const row of systems[0]!.figures.keys()) {
    const cells = systems.map((system) => {
      const figures = system.figures.get(row)!;
      const bytes = figures.bytes === undefined ? "–" : figures.bytes.toLocaleString("en");
      return `${bytes} | ${quantile(figures.ms, 0.5).toFixed(0)} | ${
        Math.max(...figures.ms).toFixed(0)
      }`;
    });
    say(`| ${row} | ${cells.join(" | ")} |`);
  }
}

const traceId = hex(random(298), 32);
const spans = spansOf(traceId, BigInt(Date.now() - 600_000) * 1_000_000n);
const target = spans[TARGET]!.spanId;
const dirs: string[] = [];
const started: ArgusProcess[] = [];
async function start(name: string, run: typeof startArgus): Promise<System> {
  const cwd = await Deno.makeTempDir({ prefix: "argus-bench-trace-" });
  dirs.push(cwd);
  const argus = await run({}, cwd, 60_000);
  started.push(argus);
  const sendStarted = performance.now();
  await send(argus, traceId, spans);
  say(
    `${name}: ${SPANS} spans sent and stored in ${
      ((performance.now() - sendStarted) / 1000).toFixed(1)
    } s`,
  );
  return { name, argus, figures: new Map() };
}
try {
  const now = await start("this tree", startArgus);
  if (values.baseline === undefined) {
    await measure([now], traceId, target);
    report([now]);
  } else {
    await withBaseline(values.baseline, async (baseline) => {
      const before = await start(baseline.commit, baseline.startArgus);
      try {
        await measure([before, now], traceId, target);
        report([before, now]);
      } finally {
        // Before its worktree is removed.
        await before.argus.stop();
      }
    });
  }
} finally {
  for (const argus of started) await argus.stop();
  for (const dir of dirs) await Deno.remove(dir, { recursive: true });
}
