/**
 * The export responses: `ExportTraceServiceResponse`, `ExportLogsServiceResponse` and
 * `ExportMetricsServiceResponse`, in protobuf or OTLP/JSON (the same layout for the three), carrying `partial_success` only when something was rejected or there is a
 * message (an empty response means full success to an SDK).
 *
 * @module
 */
import type { Signal, WireFormat } from "./types.ts";

const encoder = new TextEncoder();

/** The signals of the OTLP export services: traces, logs and metrics. */
export type ExportSignal = Signal | "metrics";

/** JSON names of field 1 of ExportTrace/ExportLogs/ExportMetricsPartialSuccess. */
const REJECTED_FIELD: Record<ExportSignal, string> = {
  traces: "rejectedSpans",
  logs: "rejectedLogRecords",
  metrics: "rejectedDataPoints",
};

/**
 * ExportTraceServiceResponse / ExportLogsServiceResponse / ExportMetricsServiceResponse, with
 * partial_success only when rejected > 0 or message != "".
 */
export function encodeResponse(
  signal: ExportSignal,
  format: WireFormat,
  rejected: number,
  message: string,
): Uint8Array {
  if (!Number.isSafeInteger(rejected) || rejected < 0) {
    throw new RangeError(
      `Cannot encode an OTLP response as 'rejected' must be a non-negative integer: current value is ${rejected}`,
    );
  }
  const partial = rejected > 0 || message !== "";
  if (format === "json") {
    if (!partial) return encoder.encode("{}");
    const fields: Record<string, string> = {};
    // int64 is a decimal string in the protobuf JSON mapping.
    if (rejected > 0) fields[REJECTED_FIELD[signal]] = String(rejected);
    if (message !== "") fields.errorMessage = message;
    return encoder.encode(JSON.stringify({ partialSuccess: fields }));
  }
  if (!partial) return new Uint8Array();
  const inner: number[] = [];
  if (rejected > 0) {
    inner.push(0x08); // field 1, varint
    pushVarint(inner, rejected);
  }
  const text = encoder.encode(message);
  if (text.length > 0) {
    inner.push(0x12); // field 2, length-delimited
    pushVarint(inner, text.length);
  }
  const head: number[] = [0x0a]; // field 1 (partial_success), length-delimited
  pushVarint(head, inner.length + text.length);
  const out = new Uint8Array(head.length + inner.length + text.length);
  out.set(head, 0);
  out.set(inner, head.length);
  out.set(text, head.length + inner.length);
  return out;
}

function pushVarint(out: number[], value: number): void {
  // Safe integers only (checked above), so plain division keeps every bit.
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
}
