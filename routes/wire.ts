/**
 * Spans and logs as the API serves them (../shared/spec/api.md; their shapes are declared in
 * utils/wire.ts), converted from the store's domain rows in this one place (with the scope and
 * resource of a metric instrument, which routes/instruments.ts answers). Times become RFC 3339 strings with nanosecond digits
 * plus `*_unix_nano` decimal strings; durations `duration_ms` floats; attribute-like JSON text
 * (lib/any_value_json.ts) plain JSON values: ints as numbers when exact in a double, else decimal
 * strings; bytes as base64 strings; maps as objects. With `values=typed`, attribute maps and log
 * bodies are OTLP/JSON's KeyValue lists and AnyValues instead, which keep every type (docs/api.md,
 * "Value encodings").
 *
 * @module
 */
import { parseEvents, parseLinks } from "../store/events_links.ts";
import {
  type AnyValue,
  type KeyValue,
  parseAnyValueJson,
  parseAttributesJson,
} from "../lib/any_value_json.ts";
import type { ResourceRow, StoredLog, StoredSpan } from "../store/mod.ts";
import { wholeText } from "../store/long_text.ts";
import type { MetricInstrumentRow } from "../store/metric_types.ts";
import { unescapeText as asSent } from "../utils/text_escape.ts";
import {
  type Json,
  SPAN_KINDS,
  STATUS_CODES,
  type TypedKeyValue,
  type TypedValue,
  type ValueForm,
  type WireAttributes,
  type WireLog,
  type WireResource,
  type WireScope,
  type WireSpan,
  type WireValue,
} from "../utils/wire.ts";

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

/** An AnyValue in the typed form: OTLP/JSON's AnyValue (see `TypedValue`). */
export function typedValue(value: AnyValue): TypedValue {
  switch (value.type) {
    case "empty":
      return {};
    case "string":
      return { stringValue: value.value };
    case "bool":
      return { boolValue: value.value };
    case "int":
      return { intValue: value.value.toString() };
    case "double":
      return { doubleValue: typedDouble(value.value) };
    case "bytes":
      return { bytesValue: base64(value.value) };
    case "array":
      return { arrayValue: { values: value.value.map(typedValue) } };
    case "kvlist":
      return { kvlistValue: { values: typedEntries(value.value) } };
  }
}

/** A double as proto3 JSON writes it: a number, but NaN, ±Infinity and -0 as strings. */
function typedDouble(value: number): number | "NaN" | "Infinity" | "-Infinity" | "-0" {
  if (value !== value) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  return Object.is(value, -0) ? "-0" : value;
}

function typedEntries(entries: readonly KeyValue[]): TypedKeyValue[] {
  return entries.map((kv) => ({ key: kv.key, value: typedValue(kv.value) }));
}

/** An attribute list's JSON text as OTLP/JSON's KeyValue list, in stored order. */
export function typedAttributes(text: string): TypedKeyValue[] {
  return typedEntries(parseAttributesJson(text));
}

/** A body or any other stored AnyValue JSON text in the typed form. */
export function typedAnyValue(text: string): TypedValue {
  return typedValue(parseAnyValueJson(text));
}

/** The encoder of attribute maps' JSON text in form `F` (undefined: plain). */
function attributesIn<F extends ValueForm>(
  values: F | undefined,
): (text: string) => WireAttributes<F> {
  return (values === "typed" ? typedAttributes : plainAttributes) as (
    text: string,
  ) => WireAttributes<F>;
}

/** A log's body in form `F` (undefined: plain): plain, a string verbatim and none as null. */
function wireBody<F extends ValueForm>(log: StoredLog, values: F | undefined): WireValue<F> {
  const body: AnyValue = log.bodyType === "string"
    ? { type: "string", value: asSent(log.body) }
    : log.bodyType === "empty"
    ? { type: "empty" }
    : parseAnyValueJson(log.body);
  return (values === "typed" ? typedValue(body) : plainValue(body)) as WireValue<F>;
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

/** A span of `GET /api/traces/{trace_id}`, its attribute maps in form `values` (default plain). */
export function wireSpan<F extends ValueForm = "plain">(span: StoredSpan, values?: F): WireSpan<F> {
  const attributes = attributesIn(values);
  // Events and links hold attribute objects in the lossless encoding: re-read each as text.
  const events = parseEvents(span.events);
  const links = parseLinks(span.links);
  const rawEvents = splitAttributes(span.events);
  const rawLinks = splitAttributes(span.links);
  // Text longer than its column is kept whole beside it (store/long_text.ts).
  const whole = wholeText(span);
  return {
    span_id: span.spanId,
    parent_span_id: span.parentSpanId,
    // Plain text fields are stored escaped (utils/text_escape.ts): answered as sent.
    trace_state: asSent(span.traceState),
    service_name: asSent(whole("serviceName")),
    name: asSent(whole("name")),
    kind: SPAN_KINDS[span.kind] ?? "unspecified",
    start_time: formatTimeNs(span.startTimeUnixNano),
    end_time: formatTimeNs(span.endTimeUnixNano),
    start_time_unix_nano: span.startTimeUnixNano.toString(),
    end_time_unix_nano: span.endTimeUnixNano.toString(),
    duration_ms: durationMs(span.startTimeUnixNano, span.endTimeUnixNano),
    status_code: STATUS_CODES[span.statusCode] ?? "unset",
    status_message: asSent(span.statusMessage),
    attributes: attributes(span.attributes),
    dropped_attributes_count: span.droppedAttributesCount,
    resource_attributes: attributes(span.resource.attributes),
    resource: wireResource(span.resource),
    events: events.map((event, i) => ({
      name: event.name,
      time: formatTimeNs(BigInt(event.timeUnixNano)),
      time_unix_nano: event.timeUnixNano,
      attributes: attributes(rawEvents[i] ?? "{}"),
      dropped_attributes_count: event.droppedAttributesCount,
    })),
    dropped_events_count: span.droppedEventsCount,
    links: links.map((link, i) => ({
      trace_id: link.traceId,
      span_id: link.spanId,
      trace_state: link.traceState,
      attributes: attributes(rawLinks[i] ?? "{}"),
      dropped_attributes_count: link.droppedAttributesCount,
      flags: link.flags,
    })),
    dropped_links_count: span.droppedLinksCount,
    flags: span.flags,
    scope: wireScope(span, values, whole),
  };
}

/** The scope fields of a span, log record or metric instrument, as stored. */
type ScopeFields = Pick<
  MetricInstrumentRow,
  | "scopeName"
  | "scopeVersion"
  | "scopeAttributes"
  | "scopeSchemaUrl"
  | "scopeDroppedAttributesCount"
>;

/**
 * A span's, log record's or instrument's scope, its attributes in form `values` (default plain);
 * `whole` reads its name and version whole (a span's and record's: store/long_text.ts).
 */
export function wireScope<F extends ValueForm = "plain">(
  row: ScopeFields,
  values?: F,
  whole: (field: "scopeName" | "scopeVersion") => string = (field) => row[field],
): WireScope<F> {
  return {
    name: asSent(whole("scopeName")),
    version: asSent(whole("scopeVersion")),
    attributes: attributesIn(values)(row.scopeAttributes),
    dropped_attributes_count: row.scopeDroppedAttributesCount,
    schema_url: asSent(row.scopeSchemaUrl),
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

/** A resource's fields beside its attributes; its stored entity refs read back. */
export function wireResource(resource: ResourceRow): WireResource {
  return {
    schema_url: asSent(resource.schemaUrl),
    dropped_attributes_count: resource.droppedAttributesCount,
    entity_refs: resource.entityRefs === "" ? [] : JSON.parse(resource.entityRefs),
  };
}

/**
 * A log record of `GET /api/logs` (and of the live stream), its body and attribute maps in form
 * `values` (default plain).
 */
export function wireLog<F extends ValueForm = "plain">(log: StoredLog, values?: F): WireLog<F> {
  const attributes = attributesIn(values);
  const whole = wholeText(log);
  return {
    id: log.id,
    timestamp: formatTimeNs(log.timeUnixNano),
    observed_timestamp: formatTimeNs(log.observedTimeUnixNano),
    time_unix_nano: log.timeUnset ? "0" : log.timeUnixNano.toString(),
    observed_time_unix_nano: log.observedTimeUnixNano.toString(),
    listed_time_unix_nano: log.timeUnixNano.toString(),
    time_unset: log.timeUnset,
    severity_text: asSent(whole("severityText")),
    severity_number: log.severityNumber,
    body: wireBody(log, values),
    event_name: asSent(whole("eventName")),
    service_name: asSent(whole("serviceName")),
    trace_id: log.traceId,
    span_id: log.spanId,
    flags: log.flags,
    attributes: attributes(log.attributes),
    dropped_attributes_count: log.droppedAttributesCount,
    resource_attributes: attributes(log.resource.attributes),
    resource: wireResource(log.resource),
    scope: wireScope(log, values, whole),
  };
}
