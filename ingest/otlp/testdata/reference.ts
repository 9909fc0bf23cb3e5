/**
 * The reference for differential tests: the protobufjs code generated from the official
 * opentelemetry-proto files (shipped by `@opentelemetry/otlp-transformer` 0.208.0) decodes a
 * request, and a deliberately plain mapping turns its message objects into the rows Argus should
 * store, following the rules of ingest/otlp independently of its code.
 *
 * protobufjs reads invalid UTF-8 leniently (garbage or U+FFFD); so that the reference can tell,
 * its UTF-8 reader is replaced with a strict one that returns `INVALID_UTF8` for bad bytes.
 *
 * @module
 */
import generated from "@opentelemetry/otlp-transformer/build/src/generated/root.js";
import protobuf from "protobufjs/minimal.js";
import {
  type AnyValue,
  encodeAnyValueJson,
  encodeAttributesJson,
  type KeyValue,
} from "../../../lib/any_value_json.ts";
import { fastHash128, logId, resourceId } from "../../../store/ids.ts";
import { entityRefsText } from "../batch_assembler.ts";
import { escapeText } from "../../../utils/text_escape.ts";
import type { Batch, BodyType, LogRow, ResourceRow, SpanRow } from "../../../store/types.ts";
import type { Decoded, DecodeLimits, Signal } from "../types.ts";

/** What the strict reader returns for bytes that are not UTF-8. */
export const INVALID_UTF8 = "\u0000<invalid UTF-8>\u0000";
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
protobuf.util.utf8.read = function strictUtf8(buffer: Uint8Array, start: number, end: number) {
  try {
    return strict.decode(buffer.subarray(start, end));
  } catch {
    return INVALID_UTF8;
  }
};

// deno-lint-ignore no-explicit-any
type Message = any;
// deno-lint-ignore no-explicit-any
const proto = (generated as any).opentelemetry.proto;
/** Generated message classes: `encode(object).finish()`, `decode(bytes)`. */
export const TraceRequest = proto.collector.trace.v1.ExportTraceServiceRequest;
export const LogsRequest = proto.collector.logs.v1.ExportLogsServiceRequest;
export const TraceResponse = proto.collector.trace.v1.ExportTraceServiceResponse;
export const LogsResponse = proto.collector.logs.v1.ExportLogsServiceResponse;

/** Encodes a plain request object with the generated encoder. */
export function encodeReference(signal: Signal, request: unknown): Uint8Array {
  return (signal === "traces" ? TraceRequest : LogsRequest).encode(request).finish();
}

function hex(bytes: Uint8Array | null | undefined): string {
  return Array.from(bytes ?? [], (b) => b.toString(16).padStart(2, "0")).join("");
}

/** An int64/uint64 as protobufjs returns it (a Long, or a number when small). */
function big(value: Message): bigint {
  if (value === null || value === undefined) return 0n;
  return BigInt(value.toString());
}

/** Why the current item (or resource, or scope) is refused, as flags. */
interface Issues {
  bad: boolean;
}

function str(value: Message, issues: Issues): string {
  const s: string = value ?? "";
  if (s === INVALID_UTF8) {
    issues.bad = true;
    return "";
  }
  return s;
}

function member(value: Message): string | undefined {
  if (value === null || value === undefined) return undefined;
  return value.value ?? undefined; // the generated oneof getter
}

function anyValue(value: Message, depth: number, limits: DecodeLimits, issues: Issues): AnyValue {
  switch (member(value)) {
    case undefined:
      return { type: "empty" };
    case "stringValue":
      return { type: "string", value: str(value.stringValue, issues) };
    case "boolValue":
      return { type: "bool", value: value.boolValue };
    case "intValue":
      return { type: "int", value: big(value.intValue) };
    case "doubleValue":
      return { type: "double", value: value.doubleValue };
    case "bytesValue":
      return { type: "bytes", value: new Uint8Array(value.bytesValue) };
    case "arrayValue":
      if (depth + 1 > limits.maxValueDepth) {
        issues.bad = true;
        return { type: "array", value: [] };
      }
      return {
        type: "array",
        value: (value.arrayValue.values ?? []).map((v: Message) =>
          anyValue(v, depth + 1, limits, issues)
        ),
      };
    case "kvlistValue":
      if (depth + 1 > limits.maxValueDepth) {
        issues.bad = true;
        return { type: "kvlist", value: [] };
      }
      return {
        type: "kvlist",
        value: (value.kvlistValue.values ?? []).map((kv: Message) =>
          keyValue(kv, depth + 1, limits, issues)
        ),
      };
    default:
      throw new Error(`unexpected AnyValue member ${member(value)}`);
  }
}

function keyValue(kv: Message, depth: number, limits: DecodeLimits, issues: Issues): KeyValue {
  return { key: str(kv.key, issues), value: anyValue(kv.value, depth, limits, issues) };
}

function attributes(list: Message[] | undefined, limits: DecodeLimits, issues: Issues) {
  const all = list ?? [];
  const kept = all.slice(0, limits.maxAttributes).map((kv) => keyValue(kv, 0, limits, issues));
  return { kept, extra: all.length - kept.length };
}

function idOf(
  value: Uint8Array | null | undefined,
  size: number,
  optional: boolean,
  issues: Issues,
): string {
  const bytes = value ?? new Uint8Array();
  if (bytes.length === 0 && optional) return "";
  if (bytes.length !== size) {
    issues.bad = true;
    return "";
  }
  if (bytes.every((b) => b === 0)) {
    if (!optional) issues.bad = true;
    return "";
  }
  return hex(bytes);
}

/**
 * Decodes with the reference and maps to rows; rejected reasons are only the item's path (with
 * its index in the request).
 */
export function referenceDecode(
  signal: Signal,
  body: Uint8Array,
  limits: DecodeLimits,
  nowNs: bigint,
): Decoded {
  const logs = signal === "logs";
  // A plain Uint8Array, never a Buffer: for a Buffer protobufjs reads strings with Buffer's own
  // lenient decoder instead of the strict one installed above.
  const bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  const request = (logs ? LogsRequest : TraceRequest).decode(bytes);
  const batch: Batch = { resources: [], spans: [], logs: [] };
  const rejected: { index: number; reason: string }[] = [];
  let items = 0;
  const seen = new Set<string>();
  const occurrences = new Map<string, number>();
  const resourceList: Message[] = (logs ? request.resourceLogs : request.resourceSpans) ?? [];
  resourceList.forEach((rs, ri) => {
    const rField = logs ? "resourceLogs" : "resourceSpans";
    const rIssues: Issues = { bad: false };
    const resource = rs.resource ?? {};
    const rAttrs = attributes(resource.attributes, limits, rIssues);
    let serviceName = "unknown_service";
    for (const { key, value } of rAttrs.kept) {
      if (key === "service.name") {
        serviceName = value.type === "string" ? value.value : "unknown_service";
      }
    }
    const fields: Omit<ResourceRow, "id" | "longText"> = {
      serviceName,
      attributes: encodeAttributesJson(rAttrs.kept),
      droppedAttributesCount: (resource.droppedAttributesCount ?? 0) + rAttrs.extra,
      schemaUrl: str(rs.schemaUrl, rIssues),
      entityRefs: entityRefsText(
        ((resource.entityRefs ?? []) as Message[]).map((ref) => ({
          type: str(ref.type, rIssues),
          id_keys: ((ref.idKeys ?? []) as unknown[]).map((key) => str(key, rIssues)),
          description_keys: ((ref.descriptionKeys ?? []) as unknown[]).map((key) =>
            str(key, rIssues)
          ),
          schema_url: str(ref.schemaUrl, rIssues),
        })),
      ),
    };
    const id = resourceId(fields);
    let used = false;
    const scopes: Message[] = (logs ? rs.scopeLogs : rs.scopeSpans) ?? [];
    scopes.forEach((ss, si) => {
      const sField = `${rField}[${ri}].${logs ? "scopeLogs" : "scopeSpans"}[${si}]`;
      const sIssues: Issues = { bad: false };
      const scope = ss.scope ?? {};
      const scopeAttrs = attributes(scope.attributes, limits, sIssues);
      const scopeFields: ScopeFields = {
        scopeName: str(scope.name, sIssues),
        scopeVersion: str(scope.version, sIssues),
        scopeAttributes: encodeAttributesJson(scopeAttrs.kept),
        scopeSchemaUrl: str(ss.schemaUrl, sIssues),
        scopeDroppedAttributesCount: (scope.droppedAttributesCount ?? 0) + scopeAttrs.extra,
      };
      const list: Message[] = (logs ? ss.logRecords : ss.spans) ?? [];
      list.forEach((item, ii) => {
        items++;
        const issues: Issues = { bad: false };
        const row = logs
          ? logRow(item, limits, issues, scopeFields, id, serviceName)
          : spanRow(item, limits, issues, scopeFields, id, serviceName);
        const index = items - 1;
        if (rIssues.bad) rejected.push({ index, reason: `${rField}[${ri}].resource` });
        else if (sIssues.bad) rejected.push({ index, reason: `${sField}.scope` });
        else if (issues.bad) {
          rejected.push({ index, reason: `${sField}.${logs ? "logRecords" : "spans"}[${ii}]` });
        } else {
          used = true;
          if (logs) batch.logs.push(withOccurrence(row as LogRow, occurrences, nowNs));
          else {
            const span = row as SpanRow;
            batch.spans.push({
              ...span,
              traceState: escapeText(span.traceState),
              name: escapeText(span.name),
              statusMessage: escapeText(span.statusMessage),
              serviceName: escapeText(span.serviceName),
              scopeName: escapeText(span.scopeName),
              scopeVersion: escapeText(span.scopeVersion),
              scopeSchemaUrl: escapeText(span.scopeSchemaUrl),
            });
          }
        }
      });
    });
    if (used && !seen.has(id)) {
      seen.add(id);
      batch.resources.push({
        id,
        ...fields,
        longText: "",
        serviceName: escapeText(fields.serviceName),
        schemaUrl: escapeText(fields.schemaUrl),
      });
    }
  });
  // The request binding of store/ids.ts `bindLogIdsToRequest`, written out again: the time as
  // sent in milliseconds (12 hex digits), then the last 20 of the bound hash.
  const digest = fastHash128(batch.logs.map((log) => log.id));
  batch.logs = batch.logs.map((log) => {
    const timeless = log.observedTimeUnixNano === 0n && log.timeUnixNano === nowNs;
    const ms = timeless ? 0n : log.timeUnixNano / 1_000_000n;
    const prefix = (ms % (1n << 48n)).toString(16).padStart(12, "0");
    // Texts stored escaped (utils/text_escape.ts), after the ids.
    return {
      ...log,
      id: prefix + fastHash128([log.id, digest]).slice(12),
      severityText: escapeText(log.severityText),
      body: log.bodyType === "string" ? escapeText(log.body) : log.body,
      eventName: escapeText(log.eventName),
      serviceName: escapeText(log.serviceName),
      scopeName: escapeText(log.scopeName),
      scopeVersion: escapeText(log.scopeVersion),
      scopeSchemaUrl: escapeText(log.scopeSchemaUrl),
    };
  });
  return { batch, items, rejected };
}

/**
 * A stored record's id and time: the n-th (from 0) repeat of the same content in the request
 * gets the hash of the content id and n; a record without any time is stored at `nowNs`.
 */
function withOccurrence(row: LogRow, occurrences: Map<string, number>, nowNs: bigint): LogRow {
  const n = occurrences.get(row.id) ?? 0;
  occurrences.set(row.id, n + 1);
  return {
    ...row,
    id: n === 0 ? row.id : fastHash128([row.id, String(n)]),
    timeUnixNano: row.timeUnixNano === 0n ? nowNs : row.timeUnixNano,
  };
}

type ScopeFields = {
  scopeName: string;
  scopeVersion: string;
  scopeAttributes: string;
  scopeSchemaUrl: string;
  scopeDroppedAttributesCount: number;
};

function spanRow(
  span: Message,
  limits: DecodeLimits,
  issues: Issues,
  scope: ScopeFields,
  resourceId: string,
  serviceName: string,
): SpanRow {
  const traceId = idOf(span.traceId, 16, false, issues);
  const spanId = idOf(span.spanId, 8, false, issues);
  const parentSpanId = idOf(span.parentSpanId, 8, true, issues);
  const attrs = attributes(span.attributes, limits, issues);
  const events: Message[] = span.events ?? [];
  const keptEvents = events.slice(0, limits.maxEvents).map((event) => {
    const a = attributes(event.attributes, limits, issues);
    return `{"timeUnixNano":"${big(event.timeUnixNano)}","name":${
      JSON.stringify(str(event.name, issues))
    },"attributes":${encodeAttributesJson(a.kept)},"droppedAttributesCount":${
      (event.droppedAttributesCount ?? 0) + a.extra
    }}`;
  });
  const links: Message[] = span.links ?? [];
  const keptLinks = links.slice(0, limits.maxLinks).map((link) => {
    const a = attributes(link.attributes, limits, issues);
    return `{"traceId":"${hex(link.traceId)}","spanId":"${hex(link.spanId)}","traceState":${
      JSON.stringify(str(link.traceState, issues))
    },"attributes":${encodeAttributesJson(a.kept)},"droppedAttributesCount":${
      (link.droppedAttributesCount ?? 0) + a.extra
    },"flags":${link.flags ?? 0}}`;
  });
  return {
    traceId,
    spanId,
    parentSpanId,
    traceState: str(span.traceState, issues),
    name: str(span.name, issues),
    kind: span.kind ?? 0,
    startTimeUnixNano: big(span.startTimeUnixNano),
    endTimeUnixNano: big(span.endTimeUnixNano),
    statusCode: span.status?.code ?? 0,
    statusMessage: str(span.status?.message, issues),
    resourceId,
    serviceName,
    ...scope,
    attributes: encodeAttributesJson(attrs.kept),
    events: `[${keptEvents.join(",")}]`,
    links: `[${keptLinks.join(",")}]`,
    longText: "",
    droppedAttributesCount: (span.droppedAttributesCount ?? 0) + attrs.extra,
    droppedEventsCount: (span.droppedEventsCount ?? 0) + events.length - keptEvents.length,
    droppedLinksCount: (span.droppedLinksCount ?? 0) + links.length - keptLinks.length,
    flags: span.flags ?? 0,
  };
}

function logRow(
  log: Message,
  limits: DecodeLimits,
  issues: Issues,
  scope: ScopeFields,
  resourceId: string,
  serviceName: string,
): LogRow {
  const body = anyValue(log.body, 0, limits, issues);
  const time = big(log.timeUnixNano);
  const observed = big(log.observedTimeUnixNano);
  const attrs = attributes(log.attributes, limits, issues);
  const row: Omit<LogRow, "id" | "longText"> = {
    timeUnixNano: time !== 0n ? time : observed,
    timeUnset: time === 0n,
    observedTimeUnixNano: observed,
    severityNumber: log.severityNumber ?? 0,
    severityText: str(log.severityText, issues),
    body: body.type === "string"
      ? body.value
      : body.type === "empty"
      ? ""
      : encodeAnyValueJson(body),
    bodyType: body.type as BodyType,
    eventName: str(log.eventName, issues),
    traceId: idOf(log.traceId, 16, true, issues),
    spanId: idOf(log.spanId, 8, true, issues),
    flags: log.flags ?? 0,
    resourceId,
    serviceName,
    ...scope,
    attributes: encodeAttributesJson(attrs.kept),
    droppedAttributesCount: (log.droppedAttributesCount ?? 0) + attrs.extra,
  };
  return { id: logId(row), ...row, longText: "" };
}
