// deno-lint-ignore-file no-console
/**
 * What fitting text into its columns (long_text.ts `fitColumns`) costs the screening of a batch
 * (row_validation.ts `screenBatch`, which every ingested span and record passes twice): `deno task
 * bench:screen`. Rows decoded from requests of 500 items made by the real SDK (12
 * attributes each, no text wider than its column: what nearly all telemetry is), then, in the same
 * run and alternating, screened whole and only fitted. Prints items per CPU-second, medians of the
 * rounds, and the fitting's share of the screening.
 *
 * @module
 */
import process from "node:process";
import { decodeRequest, DEFAULT_DECODE_LIMITS } from "../ingest/otlp/mod.ts";
import {
  logsProtobuf,
  sdkLogs,
  sdkSpans,
  tracesProtobuf,
} from "../ingest/otlp/testdata/payloads.ts";
import { fitColumns, LOG_WIDTHS, SPAN_WIDTHS } from "../store/long_text.ts";
import { screenBatch } from "../store/row_validation.ts";

const ITEMS = 500;
const ROUNDS = 15;
const RUNS_PER_ROUND = 40;
const LIMITS = { maxFieldBytes: 1_048_576 };
const NOW = 1_795_700_000_000_000_000n;

/** Items per CPU-second of this process over RUNS_PER_ROUND runs of `run`. */
function round(run: () => void): number {
  const start = process.cpuUsage();
  for (let i = 0; i < RUNS_PER_ROUND; i++) run();
  const used = process.cpuUsage(start);
  return (RUNS_PER_ROUND * ITEMS) / ((used.user + used.system) / 1e6);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const traces = decodeRequest(
  "traces",
  "protobuf",
  new Uint8Array(tracesProtobuf(sdkSpans({ count: ITEMS, attributes: 12 }))),
  DEFAULT_DECODE_LIMITS,
  NOW,
).batch;
const logs = decodeRequest(
  "logs",
  "protobuf",
  new Uint8Array(logsProtobuf(sdkLogs({ count: ITEMS, attributes: 12 }))),
  DEFAULT_DECODE_LIMITS,
  NOW,
).batch;

const contenders = [
  { name: "spans: screenBatch (checks + fit)", run: () => void screenBatch(traces, LIMITS) },
  {
    name: "spans: fitColumns alone",
    run: () => {
      for (const span of traces.spans) fitColumns(span, SPAN_WIDTHS, LIMITS.maxFieldBytes);
    },
  },
  { name: "records: screenBatch (checks + fit)", run: () => void screenBatch(logs, LIMITS) },
  {
    name: "records: fitColumns alone",
    run: () => {
      for (const log of logs.logs) fitColumns(log, LOG_WIDTHS, LIMITS.maxFieldBytes);
    },
  },
];
const rates = contenders.map(() => [] as number[]);
for (let r = 0; r < ROUNDS; r++) {
  contenders.forEach((contender, i) => rates[i]!.push(round(contender.run)));
}
const medians = rates.map(median);
contenders.forEach((contender, i) => {
  console.log(`${contender.name.padEnd(38)} ${(medians[i]! / 1000).toFixed(0).padStart(7)}k/s`);
});
for (const [screen, fit, what] of [[0, 1, "span"], [2, 3, "record"]] as const) {
  const screenNs = 1e9 / medians[screen]!;
  const fitNs = 1e9 / medians[fit]!;
  console.log(
    `per ${what}: screening ${screenNs.toFixed(0)} ns, of which fitting ${fitNs.toFixed(0)} ns ` +
      `(${(100 * fitNs / screenNs).toFixed(1)}%)`,
  );
}
