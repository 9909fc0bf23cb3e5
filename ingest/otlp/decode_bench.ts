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
const ROUNDS = 10;
const RUNS_PER_ROUND = 10;
const NOW = 1_795_700_000_000_000_000n;

/** One round: items per CPU-second of this process over RUNS_PER_ROUND runs. */
function round(run: () => void): number {
  const start = process.cpuUsage();
  for (let i = 0; i < RUNS_PER_ROUND; i++) run();
  const used = process.cpuUsage(start);
  return (RUNS_PER_ROUND * ITEMS) / ((used.user + used.system) / 1e6);
}

const spans = sdkSpans({ count: ITEMS, attributes: 12 });
const logs = sdkLogs({ count: ITEMS, attributes: 12 });
// As an HTTP server hands them over: plain Uint8Arrays (the serializers return Buffers).
const bodies: Record<Signal, Record<WireFormat, Uint8Array>> = {
  traces: {
    protobuf: new Uint8Array(tracesProtobuf(spans)),
    json: new Uint8Array(tracesJson(spans)),
  },
  logs: { protobuf: new Uint8Array(logsProtobuf(logs)), json: new Uint8Array(logsJson(logs)) },
};

interface Contender {
  name: string;
  signal: Signal;
  bytes: number;
  run: () => void;
  best: number;
}
const contenders: Contender[] = [];
for (const signal of ["traces", "logs"] as const) {
  for (const format of ["protobuf", "json"] as const) {
    const body = bodies[signal][format];
    contenders.push({
      name: `argus ${format} reader → rows`,
      signal,
      bytes: body.length,
      run: () => decodeRequest(signal, format, body, DEFAULT_DECODE_LIMITS, NOW),
      best: 0,
    });
  }
  const reference = signal === "traces" ? TraceRequest : LogsRequest;
  const body = bodies[signal].protobuf;
  contenders.push({
    name: "protobufjs generated → messages",
    signal,
    bytes: body.length,
    run: () => reference.decode(body),
    best: 0,
  });
}
for (const contender of contenders) for (let i = 0; i < 50; i++) contender.run();
// Rounds interleave the decoders, so that a busy neighbour slows all of them alike.
for (let r = 0; r < ROUNDS; r++) {
  for (const contender of contenders) {
    contender.best = Math.max(contender.best, round(contender.run));
  }
}
const rows = contenders.map((c) => [
  c.name,
  c.signal,
  String(c.bytes),
  fmt(c.best),
  c.signal === "traces" ? "spans/s" : "logs/s",
]);

function fmt(rate: number): string {
  return `${Math.round(rate / 1000)}k`;
}

const header = ["decoder", "signal", "request bytes", "rate", ""];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
for (const row of [header, ...rows]) {
  console.log(
    row.map((cell, i) => (i >= 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  "),
  );
}
console.log(
  `\n${ITEMS} items per request, 12 attributes each, 3 services; Deno ${Deno.version.deno}; ` +
    `rows per CPU-second, best of ${ROUNDS} rounds. Argus's rate includes row building (JSON text of attributes, events and links, ` +
    `resource ids, and for logs the SHA-256 log id).`,
);
