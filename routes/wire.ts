/**
 * Spans and logs as the API serves them (../shared/spec/api.md; their shapes are declared in
 * utils/wire.ts), converted from the store's domain rows in this one place. Times become RFC 3339 strings with nanosecond digits
 * plus `*_unix_nano` decimal strings; durations `duration_ms` floats; attribute-like JSON text
 * (lib/any_value_json.ts) plain JSON values: ints as numbers when exact in a double, else decimal
 * strings; bytes as base64 strings; maps as objects.
 *
 * @module
 */
import { parseEvents, parseLinks } from "../store/events_links.ts";
import { type AnyValue, parseAnyValueJson, parseAttributesJson } from "../lib/any_value_json.ts";
import type { StoredLog, StoredSpan } from "../store/mod.ts";
import { type Json, SPAN_KINDS, STATUS_CODES, type WireLog, type WireSpan } from "../utils/wire.ts";

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

function base64(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

/** An AnyValue as plain JSON. */
export function plainValue(value: AnyValue): Json {
  switch (value.type) {
    case "empty":
      return null;
    case "string":
    case "bool":
    case "double":
      return Number.isFinite(value.value) || typeof value.value !== "number"
        ? value.value
        : String(value.value);
    case "int":
      return value.value <= MAX_EXACT && value.value >= -MAX_EXACT
        ? Number(value.value)
        : value.value.toString();
    case "bytes":
      return base64(value.value);
    case "array":
      return value.value.map(plainValue);
    case "kvlist":
      return Object.fromEntries(value.value.map((kv) => [kv.key, plainValue(kv.value)]));
  }
}

/** An attribute list's JSON text as a plain JSON object. */
export function plainAttributes(text: string): Record<string, Json> {
  return Object.fromEntries(parseAttributesJson(text).map((kv) => [kv.key, plainValue(kv.value)]));
}

/** A body or any other stored AnyValue JSON text as plain JSON. */
export function plainAnyValue(text: string): Json {
  return plainValue(parseAnyValueJson(text));
}

/** Unix nanoseconds as RFC 3339 with all nine fraction digits, in UTC. */
export function formatTimeNs(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const iso = new Date(Number(ms)).toISOString(); // 2026-11-26T10:00:00.123Z
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, "0");
  return `${iso.slice(0, 19)}.${fraction}Z`;
}

function durationMs(startNs: bigint, endNs: bigint): number {
  const ns = endNs > startNs ? endNs - startNs : 0n;
  return Number(ns) / 1_000_000;
}

/** A span of `GET /api/traces/{trace_id}`. */
export function wireSpan(span: StoredSpan): WireSpan {
  // Events and links hold attribute objects in the lossless encoding: re-read each as text.
  const events = parseEvents(span.events);
  const links = parseLinks(span.links);
  const rawEvents = splitAttributes(span.events);
  const rawLinks = splitAttributes(span.links);
  return {
    span_id: span.spanId,
    parent_span_id: span.parentSpanId,
    trace_state: span.traceState,
    service_name: span.serviceName,
    name: span.name,
    kind: SPAN_KINDS[span.kind] ?? "unspecified",
    start_time: formatTimeNs(span.startTimeUnixNano),
    end_time: formatTimeNs(span.endTimeUnixNano),
    start_time_unix_nano: span.startTimeUnixNano.toString(),
    end_time_unix_nano: span.endTimeUnixNano.toString(),
    duration_ms: durationMs(span.startTimeUnixNano, span.endTimeUnixNano),
    status_code: STATUS_CODES[span.statusCode] ?? "unset",
    status_message: span.statusMessage,
    attributes: plainAttributes(span.attributes),
    dropped_attributes_count: span.droppedAttributesCount,
    resource_attributes: plainAttributes(span.resource.attributes),
    events: events.map((event, i) => ({
      name: event.name,
      time: formatTimeNs(BigInt(event.timeUnixNano)),
      time_unix_nano: event.timeUnixNano,
      attributes: plainAttributes(rawEvents[i] ?? "{}"),
      dropped_attributes_count: event.droppedAttributesCount,
    })),
    dropped_events_count: span.droppedEventsCount,
    links: links.map((link, i) => ({
      trace_id: link.traceId,
      span_id: link.spanId,
      trace_state: link.traceState,
      attributes: plainAttributes(rawLinks[i] ?? "{}"),
      dropped_attributes_count: link.droppedAttributesCount,
      flags: link.flags,
    })),
    dropped_links_count: span.droppedLinksCount,
    flags: span.flags,
    scope: {
      name: span.scopeName,
      version: span.scopeVersion,
      attributes: plainAttributes(span.scopeAttributes),
    },
  };
}

/**
 * The `"attributes":{…}` object text of each element of a stored events or links array, so that
 * its values are read with the lossless parser (JSON.parse would round ints past 2^53).
 */
function splitAttributes(text: string): string[] {
  const out: string[] = [];
  const marker = '"attributes":';
  let at = text.indexOf(marker);
  while (at >= 0) {
    const start = at + marker.length;
    const end = objectEnd(text, start);
    out.push(text.slice(start, end));
    // Past this object: a key "attributes" inside it is not the next element's.
    at = text.indexOf(marker, end);
  }
  return out;
}

/** Index just past the JSON object that starts at `start`. */
function objectEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return text.length;
}

/** A log record of `GET /api/logs` (and of the live stream, later). */
export function wireLog(log: StoredLog): WireLog {
  return {
    id: log.id,
    timestamp: formatTimeNs(log.timeUnixNano),
    observed_timestamp: formatTimeNs(log.observedTimeUnixNano),
    time_unix_nano: log.timeUnixNano.toString(),
    observed_time_unix_nano: log.observedTimeUnixNano.toString(),
    severity_text: log.severityText,
    severity_number: log.severityNumber,
    // A string body verbatim; any other kind as plain JSON; none as null.
    body: log.bodyType === "string"
      ? log.body
      : log.bodyType === "empty"
      ? null
      : plainAnyValue(log.body),
    event_name: log.eventName,
    service_name: log.serviceName,
    trace_id: log.traceId,
    span_id: log.spanId,
    flags: log.flags,
    attributes: plainAttributes(log.attributes),
    dropped_attributes_count: log.droppedAttributesCount,
    resource_attributes: plainAttributes(log.resource.attributes),
    scope: {
      name: log.scopeName,
      version: log.scopeVersion,
      attributes: plainAttributes(log.scopeAttributes),
    },
  };
}
