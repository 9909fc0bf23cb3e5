/**
 * `deno task bench:trace`: opening a huge trace (issue 15). Sends one trace of `--spans` spans
 * (default 80,000; three services, eight attributes a span, an event on one in ten) to a fresh
 * Argus on SQLite over OTLP/HTTP, then measures in the same run, `--rounds` times each:
 * `GET /api/traces/{trace_id}` (every span with all its fields, what the trace page read before),
 * `GET /api/traces/{trace_id}/structure` (what it reads now), one span's details, an in-trace
 * search for an attribute value, the page's HTML, and in headless Chromium the time from
 * navigation to the waterfall's first rows and to a hydrated page. Prints a Markdown table
 * (docs/benchmarks.md keeps one).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { startArgus } from "../tests/argus_process.ts";
import { runScenario } from "../tests/browser.ts";
import { hex, random } from "../tests/builders.ts";
import { postJson, stringAttribute, traceRequest } from "../tests/otlp_payloads.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    spans: { type: "string", default: "80000" },
    rounds: { type: "string", default: "5" },
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

async function timed(url: string): Promise<{ ms: number; bytes: number; status: number }> {
  const started = performance.now();
  const response = await fetch(url);
  const bytes = (await response.arrayBuffer()).byteLength;
  return { ms: performance.now() - started, bytes, status: response.status };
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const cwd = await Deno.makeTempDir({ prefix: "argus-bench-trace-" });
const argus = await startArgus({}, cwd, 60_000);
try {
  const traceId = hex(random(298), 32);
  const spans = spansOf(traceId, BigInt(Date.now() - 600_000) * 1_000_000n);
  const sendStarted = performance.now();
  for (let i = 0; i < spans.length; i += PER_REQUEST) {
    const part = spans.slice(i, i + PER_REQUEST);
    const service = SERVICES[(i / PER_REQUEST) % SERVICES.length]!;
    const sent = await postJson(argus.otlpHttpUrl, "traces", traceRequest(part, service));
    if (sent.status !== 200) throw new Error(`OTLP/HTTP answered ${sent.status}`);
  }
  const api = `${argus.baseUrl}/api/traces/${traceId}`;
  let stored = 0;
  for (let i = 0; i < 1_200 && stored < SPANS; i++) {
    const response = await fetch(`${api}/structure`);
    stored = response.status === 200 ? (await response.json()).span_id.length : 0;
    if (response.status !== 200) await response.body?.cancel();
    if (stored < SPANS) await new Promise((r) => setTimeout(r, 250));
  }
  if (stored < SPANS) throw new Error(`Only ${stored} of ${SPANS} spans were stored`);
  say(
    `${SPANS} spans sent and stored in ${((performance.now() - sendStarted) / 1000).toFixed(1)} s`,
  );

  const target = spans[TARGET]!.spanId;
  // The full trace last: at 80,000 spans it may take Argus past its heap (deno.json's start task
  // gives V8 192 MB), which is what the page's structure read avoids.
  const requests: Array<[string, string]> = [
    ["GET /api/traces/{id}/structure", `${api}/structure`],
    ["GET /api/traces/{id}/spans/{span_id}", `${api}/spans/${target}`],
    ["GET /api/traces/{id}/search?q=ord-000298", `${api}/search?q=ord-000298`],
    ["GET /traces/{id} (page HTML)", `${argus.baseUrl}/traces/${traceId}`],
    ["GET /api/traces/{id} (full trace, what the page read before)", api],
  ];
  const rows: string[] = [];
  const paint = await browse(traceId);
  for (const [what, url] of requests) {
    const runs = [];
    try {
      for (let i = 0; i < ROUNDS; i++) runs.push(await timed(url));
    } catch (error) {
      const tail = argus.log().trim().split("\n").slice(-3).join(" / ");
      rows.push(
        `| ${what} | – | failed: ${String(error).slice(0, 80)} | Argus: ${tail.slice(0, 300)} |`,
      );
      break;
    }
    if (runs.some((r) => r.status !== 200)) throw new Error(`${what} answered ${runs[0]!.status}`);
    const ms = runs.map((r) => r.ms);
    rows.push(
      `| ${what} | ${runs[0]!.bytes.toLocaleString("en")} | ${quantile(ms, 0.5).toFixed(0)} | ${
        Math.max(...ms).toFixed(0)
      } |`,
    );
  }
  say("");
  say(`| ${SPANS} spans, ${ROUNDS} rounds | bytes | p50 ms | max ms |`);
  say("| --- | ---: | ---: | ---: |");
  for (const row of rows.slice(0, -1)) say(row);
  for (const row of paint) say(row);
  say(rows.at(-1)!);
} finally {
  await argus.stop();
  await Deno.remove(cwd, { recursive: true });
}

/** The page in Chromium, `ROUNDS` times: table rows. */
async function browse(traceId: string): Promise<string[]> {
  const { answer, problems } = await runScenario<
    Array<{ firstRowsMs: number; readyMs: number; api: string[] }>
  >("trace_paint", argus.baseUrl, { traceId, rounds: ROUNDS, baseUrl: argus.baseUrl });
  const first = answer.map((r) => r.firstRowsMs);
  const ready = answer.map((r) => r.readyMs);
  say(`API requests of the page while loading: ${JSON.stringify(answer[0]?.api ?? [])}`);
  if (problems.length > 0) say(`page problems: ${problems.join("; ")}`);
  return [
    `| Chromium: navigation to the waterfall's first rows | – | ${
      quantile(first, 0.5).toFixed(0)
    } | ${Math.max(...first).toFixed(0)} |`,
    `| Chromium: navigation to the hydrated page | – | ${quantile(ready, 0.5).toFixed(0)} | ${
      Math.max(...ready).toFixed(0)
    } |`,
  ];
}
