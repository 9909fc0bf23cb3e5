/**
 * Builders of OTLP export requests as OTLP/JSON objects (the one place tests make payloads by
 * hand), and a client that sends them to Argus's OTLP/HTTP receiver.
 *
 * @module
 */
import { hex, random } from "./builders.ts";

export interface JsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: unknown[];
  status?: { code: number; message?: string };
}

export interface JsonLog {
  timeUnixNano: string;
  severityNumber: number;
  severityText?: string;
  body: unknown;
  traceId?: string;
  spanId?: string;
  attributes?: unknown[];
}

export function stringAttribute(key: string, value: string) {
  return { key, value: { stringValue: value } };
}

/** Spans with unique ids, `startNs` apart by a millisecond each. */
export function jsonSpans(
  count: number,
  seed: number,
  startNs = 1_795_687_200_000_000_000n,
): JsonSpan[] {
  const rand = random(seed);
  return Array.from({ length: count }, (_, i) => {
    const start = startNs + BigInt(i) * 1_000_000n;
    return {
      traceId: hex(rand, 32),
      spanId: hex(rand, 16),
      name: `GET /items/${i}`,
      kind: 2,
      startTimeUnixNano: start.toString(),
      endTimeUnixNano: (start + 5_000_000n).toString(),
      attributes: [
        stringAttribute("http.request.method", "GET"),
        stringAttribute("seq", String(i)),
      ],
    };
  });
}

export function jsonLogs(
  count: number,
  seed: number,
  startNs = 1_795_687_200_000_000_000n,
): JsonLog[] {
  const rand = random(seed);
  return Array.from({ length: count }, (_, i) => ({
    timeUnixNano: (startNs + BigInt(i) * 1_000n).toString(),
    severityNumber: 9,
    severityText: "INFO",
    body: { stringValue: `log ${i} ${hex(rand, 12)}` },
  }));
}

export function traceRequest(spans: JsonSpan[], service = "json-service") {
  return {
    resourceSpans: [{
      resource: { attributes: [stringAttribute("service.name", service)] },
      scopeSpans: [{ scope: { name: "argus-tests", version: "1" }, spans }],
    }],
  };
}

export function logsRequest(logRecords: JsonLog[], service = "json-service") {
  return {
    resourceLogs: [{
      resource: { attributes: [stringAttribute("service.name", service)] },
      scopeLogs: [{ scope: { name: "argus-tests" }, logRecords }],
    }],
  };
}

/** POSTs an OTLP/JSON request; returns the status, the parsed answer and the Retry-After header. */
export async function postJson(
  otlpHttpUrl: string,
  signal: "traces" | "logs" | "metrics",
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; retryAfter: string | null }> {
  const response = await fetch(`${otlpHttpUrl}/v1/${signal}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text === "" ? {} : JSON.parse(text),
    retryAfter: response.headers.get("retry-after"),
  };
}

/**
 * An ExportTraceServiceRequest with one span named `name` of `service`, in protobuf (field numbers
 * of trace.proto), for tests that speak gRPC without an SDK.
 */
export function protobufOneSpan(
  traceId: Uint8Array,
  spanId: Uint8Array,
  service: string,
  name: string,
): Uint8Array {
  const bytes: number[] = [];
  const varint = (out: number[], value: number | bigint) => {
    let v = BigInt(value);
    while (v > 0x7fn) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
  };
  const field = (out: number[], number: number, payload: number[] | Uint8Array) => {
    varint(out, (number << 3) | 2);
    varint(out, payload.length);
    out.push(...payload);
  };
  const fixed64 = (out: number[], number: number, value: bigint) => {
    varint(out, (number << 3) | 1);
    for (let i = 0n; i < 8n; i++) out.push(Number((value >> (8n * i)) & 0xffn));
  };
  const text = (value: string) => [...new TextEncoder().encode(value)];
  const anyValue: number[] = [];
  field(anyValue, 1, text(service));
  const keyValue: number[] = [];
  field(keyValue, 1, text("service.name"));
  field(keyValue, 2, anyValue);
  const resource: number[] = [];
  field(resource, 1, keyValue);
  const start = BigInt(Date.now()) * 1_000_000n;
  const span: number[] = [];
  field(span, 1, traceId);
  field(span, 2, spanId);
  field(span, 5, text(name));
  varint(span, (6 << 3) | 0);
  varint(span, 2);
  fixed64(span, 7, start);
  fixed64(span, 8, start + 1_000_000n);
  const scopeSpans: number[] = [];
  field(scopeSpans, 2, span);
  const resourceSpans: number[] = [];
  field(resourceSpans, 1, resource);
  field(resourceSpans, 2, scopeSpans);
  field(bytes, 1, resourceSpans);
  return new Uint8Array(bytes);
}
