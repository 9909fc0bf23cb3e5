// deno-lint-ignore-file no-console
/**
 * Decode throughput: `deno run -A ingest/otlp/decode_bench.ts`. Requests of 500 items made by the
 * real SDK (12 attributes per span or log, 3 services), decoded by Argus's readers into store rows
 * and, in the same run, by the generated protobufjs decoder into message objects (which is less
 * work: it builds no rows, JSON text or ids). Prints items per CPU-second.
 *
 * @module
 */
import process from "node:process";
import { decodeRequest, DEFAULT_DECODE_LIMITS, type Signal, type WireFormat } from "./mod.ts";
import {
  logsJson,
  logsProtobuf,
  sdkLogs,
  sdkSpans,
  tracesJson,
  tracesProtobuf,
} from "./testdata/payloads.ts";
import { LogsRequest, TraceRequest } from "./testdata/reference.ts";

const ITEMS = 500;
const ROUNDS = 8;
const RUNS_PER_ROUND = 25;
const NOW = 1_795_700_000_000_000_000n;

/**
 * Items per CPU-second of this process (as FINDINGS measured; wall time on a shared machine
 * mostly measures the neighbours): the best of several rounds, after a warm-up.
 */
function measure(run: () => void): number {
  for (let i = 0; i < 50; i++) run();
  let best = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.cpuUsage();
    for (let i = 0; i < RUNS_PER_ROUND; i++) run();
    const used = process.cpuUsage(start);
    best = Math.max(best, (RUNS_PER_ROUND * ITEMS) / ((used.user + used.system) / 1e6));
  }
  return best;
}

const spans = sdkSpans({ count: ITEMS, attributes: 12 });
const logs = sdkLogs({ count: ITEMS, attributes: 12 });
const bodies: Record<Signal, Record<WireFormat, Uint8Array>> = {
  traces: { protobuf: tracesProtobuf(spans), json: tracesJson(spans) },
  logs: { protobuf: logsProtobuf(logs), json: logsJson(logs) },
};

const rows: string[][] = [];
for (const signal of ["traces", "logs"] as const) {
  const unit = signal === "traces" ? "spans/s" : "logs/s";
  for (const format of ["protobuf", "json"] as const) {
    const body = bodies[signal][format];
    const rate = measure(() => {
      decodeRequest(signal, format, body, DEFAULT_DECODE_LIMITS, NOW);
    });
    rows.push([`argus ${format} reader → rows`, signal, String(body.length), fmt(rate), unit]);
  }
  const reference = signal === "traces" ? TraceRequest : LogsRequest;
  const body = bodies[signal].protobuf;
  const rate = measure(() => {
    reference.decode(body);
  });
  rows.push(["protobufjs generated → messages", signal, String(body.length), fmt(rate), unit]);
}

function fmt(rate: number): string {
  return `${Math.round(rate / 1000)}k`;
}

const header = ["decoder", "signal", "request bytes", "rate", ""];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
for (const row of [header, ...rows]) {
  console.log(row.map((cell, i) => (i >= 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
    .join("  "));
}
console.log(
  `\n${ITEMS} items per request, 12 attributes each, 3 services; Deno ${Deno.version.deno}; ` +
    `rows per CPU-second, best of ${ROUNDS} rounds. Argus's rate includes row building (JSON text of attributes, events and links, ` +
    `resource ids, and for logs the SHA-256 log id).`,
);
