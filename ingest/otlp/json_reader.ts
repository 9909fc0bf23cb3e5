/**
 * The OTLP/JSON reader: `ExportTraceServiceRequest` and `ExportLogsServiceRequest` in the
 * protobuf JSON mapping with OTLP's exceptions, into the same rows as the protobuf reader.
 *
 * Accepted: lowerCamelCase field names and the proto's snake_case names (camelCase wins when
 * both are present); trace and span ids as hex in either case (stored lower-case); enums as
 * integers or by name (`SPAN_KIND_SERVER`); int64 and fixed64 as decimal strings or numbers
 * (numbers past 2^53 are read exactly from their source text); doubles as numbers or as
 * "NaN", "Infinity", "-Infinity"; bytes as base64 (standard or URL-safe). Unknown fields are
 * ignored and `null` is the same as absent.
 *
 * A field of the wrong JSON type is an `OtlpDecodeError` for the whole request (as a wrong wire
 * type is in protobuf); content that is well-formed but unusable (bad ids, lone surrogates, a
 * value nested too deep, bad base64) refuses only its item.
 *
 * @module
 */
import { eventJson, linkJson } from "../../store/events_links.ts";
import {
  type AnyValue,
  encodeAnyValueJson,
  encodeAttributesJson,
  type KeyValue,
} from "../../lib/any_value_json.ts";
import type { BodyType, LogRow, SpanRow } from "../../store/types.ts";
import {
  BatchAssembler,
  type EntityRef,
  entityRefsText,
  UNKNOWN_SERVICE,
} from "./batch_assembler.ts";
import { type Decoded, type DecodeLimits, OtlpDecodeError } from "./types.ts";
import { errorMessage } from "../../utils/errors.ts";

export type JsonObject = { [key: string]: unknown };

const utf8 = new TextDecoder("utf-8", { fatal: true });
const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const HEX = /^[0-9a-fA-F]*$/;

const SPAN_KINDS = enumNames("SPAN_KIND_", [
  "UNSPECIFIED",
  "INTERNAL",
  "SERVER",
  "CLIENT",
  "PRODUCER",
  "CONSUMER",
]);
const STATUS_CODES = enumNames("STATUS_CODE_", ["UNSET", "OK", "ERROR"]);
const SEVERITY_NUMBERS = enumNames("SEVERITY_NUMBER_", [
  "UNSPECIFIED",
  ...["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"].flatMap((
    level,
  ) => [level, `${level}2`, `${level}3`, `${level}4`]),
]);

function enumNames(prefix: string, names: string[]): Map<string, number> {
  return new Map(names.map((name, i) => [prefix + name, i]));
}

/**
 * What the value readers below need of a request's state: its limits, and where an item's
 * problems go. (Exported with them for the metrics reader, metrics_json.ts.)
 */
export interface ValueContext {
  readonly limits: DecodeLimits;
  addProblem(message: string): void;
}

/** Per-request state: limits, the assembler, and the problems of the item being read. */
class Ctx implements ValueContext {
  problem: string | undefined = undefined;
  constructor(
    readonly limits: DecodeLimits,
    readonly nowNs: bigint,
    readonly out: BatchAssembler,
  ) {}

  addProblem(message: string): void {
    if (this.problem === undefined) this.problem = message;
    else if (!this.problem.includes(message)) this.problem += "; " + message;
  }
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (value === null) return "null";
  return typeof value;
}

export function wrongType(where: string, expected: string, value: unknown): never {
  const shown = typeof value === "string" ? ` ${JSON.stringify(value.slice(0, 40))}` : "";
  throw new OtlpDecodeError(`${where} must be ${expected}: got ${typeName(value)}${shown}`);
}

/** A field by its JSON (lowerCamelCase) or proto (snake_case) name; null counts as absent. */
export function get(object: JsonObject, camel: string, snake: string): unknown {
  const value = object[camel];
  if (value !== undefined && value !== null) return value;
  const other = snake === camel ? undefined : object[snake];
  return other === null ? undefined : other;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function object(value: unknown, where: string): JsonObject | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) wrongType(where, "an object", value);
  return value;
}

export function array(value: unknown, where: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) wrongType(where, "an array", value);
  return value;
}

/** A string field; a lone surrogate (from a `\ud800` escape) refuses the item, as bad UTF-8 does. */
export function string(c: ValueContext, value: unknown, where: string, field: string): string {
  if (value === undefined) return "";
  if (typeof value !== "string") wrongType(where, "a string", value);
  if (!value.isWellFormed()) {
    c.addProblem(`${field} must be valid Unicode: it contains a lone surrogate`);
    return "";
  }
  return value;
}

/** An integer given as a number, a decimal string or (past 2^53) a bigint from the parser. */
export function integer(value: unknown, where: string, min: bigint, max: bigint): bigint {
  let result: bigint | undefined;
  if (typeof value === "bigint") result = value;
  else if (typeof value === "number" && Number.isInteger(value)) result = BigInt(value);
  else if (typeof value === "string" && /^-?[0-9]+$/.test(value)) result = BigInt(value);
  if (result === undefined || result < min || result > max) {
    wrongType(where, `an integer from ${min} to ${max}`, value);
  }
  return result;
}

export function uint32(value: unknown, where: string): number {
  if (value === undefined) return 0;
  if (typeof value === "number" && value >>> 0 === value) return value;
  return Number(integer(value, where, 0n, 0xffffffffn));
}

export function fixed64(value: unknown, where: string): bigint {
  if (value === undefined) return 0n;
  return integer(value, where, 0n, UINT64_MAX);
}

export function enumValue(value: unknown, where: string, names: Map<string, number>): number {
  if (value === undefined) return 0;
  if (typeof value === "string") {
    const known = names.get(value);
    if (known !== undefined) return known;
  }
  return Number(integer(value, where, -(2n ** 31n), 2n ** 31n - 1n));
}

/** Lower-case hex of an id, or undefined (with a problem) when it is not `bytes` bytes of hex. */
export function id(
  c: ValueContext,
  value: unknown,
  where: string,
  field: string,
  bytes: number,
  optional: boolean,
): string | undefined {
  const text = string(c, value, where, field);
  if (optional && text === "") return "";
  if (text.length !== bytes * 2 || !HEX.test(text)) {
    c.addProblem(
      `${field} must be ${bytes * 2} hex characters${optional ? " or empty" : ""}: got ${
        JSON.stringify(text.slice(0, 40))
      }`,
    );
    return undefined;
  }
  return text.toLowerCase();
}

export function isAllZero(hex: string): boolean {
  return /^0*$/.test(hex);
}

// ---------------------------------------------------------------------------------------------
// AnyValue and attributes.

const ANY_VALUE_FIELDS: Record<string, string> = {
  stringValue: "string",
  string_value: "string",
  boolValue: "bool",
  bool_value: "bool",
  intValue: "int",
  int_value: "int",
  doubleValue: "double",
  double_value: "double",
  arrayValue: "array",
  array_value: "array",
  kvlistValue: "kvlist",
  kvlist_value: "kvlist",
  bytesValue: "bytes",
  bytes_value: "bytes",
};

const EMPTY: AnyValue = { type: "empty" };

/** `depth` counts the arrays and kvlists around this value. */
function anyValue(
  c: ValueContext,
  value: unknown,
  where: string,
  depth: number,
  field: string,
): AnyValue {
  const source = object(value, where);
  if (source === undefined) return EMPTY;
  // A oneof: the last member present (in document order) wins.
  let member: string | undefined;
  let key = "";
  for (const name in source) {
    if (Object.hasOwn(ANY_VALUE_FIELDS, name) && source[name] !== null) {
      member = ANY_VALUE_FIELDS[name];
      key = name;
    }
  }
  const raw = source[key];
  const at = `${where}.${key}`;
  switch (member) {
    case undefined:
      return EMPTY;
    case "string":
      return { type: "string", value: string(c, raw, at, field) };
    case "bool":
      if (typeof raw !== "boolean") wrongType(at, "a boolean", raw);
      return { type: "bool", value: raw };
    case "int":
      return { type: "int", value: integer(raw, at, INT64_MIN, INT64_MAX) };
    case "double":
      return { type: "double", value: doubleOf(raw, at) };
    case "bytes": {
      const bytes = bytesOf(c, raw, at, field);
      if (bytes === undefined) {
        c.addProblem(`${field} must be base64 in bytesValue`);
        return { type: "bytes", value: new Uint8Array() };
      }
      return { type: "bytes", value: bytes };
    }
    case "array": {
      const values = array(get(object(raw, at) ?? {}, "values", "values"), `${at}.values`);
      if (depth + 1 > c.limits.maxValueDepth) {
        c.addProblem(tooDeep(c, field));
        return { type: "array", value: [] };
      }
      return {
        type: "array",
        value: values.map((item, i) => anyValue(c, item, `${at}.values[${i}]`, depth + 1, field)),
      };
    }
    default: {
      const values = array(get(object(raw, at) ?? {}, "values", "values"), `${at}.values`);
      if (depth + 1 > c.limits.maxValueDepth) {
        c.addProblem(tooDeep(c, field));
        return { type: "kvlist", value: [] };
      }
      return {
        type: "kvlist",
        value: values.map((item, i) => keyValue(c, item, `${at}.values[${i}]`, depth + 1, field)),
      };
    }
  }
}

function tooDeep(c: ValueContext, field: string): string {
  return `${field} must nest arrays and kvlists at most ${c.limits.maxValueDepth} levels deep`;
}

export function doubleOf(raw: unknown, where: string): number {
  if (typeof raw === "number") return raw;
  if (typeof raw === "bigint") return Number(raw);
  if (typeof raw === "string") {
    if (raw === "NaN") return NaN;
    if (raw === "Infinity") return Infinity;
    if (raw === "-Infinity") return -Infinity;
    if (/^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/.test(raw)) return Number(raw);
  }
  return wrongType(where, 'a number or "NaN", "Infinity", "-Infinity"', raw);
}

/**
 * bytesValue: base64 as the JSON mapping says; also the JS SDK's form (its JSON exporters, up to
 * at least 0.208, stringify the Uint8Array itself: `{"0":4,"1":0,"2":255}`), and a plain array
 * of byte numbers. Undefined when it is none of these.
 */
function bytesOf(
  c: ValueContext,
  raw: unknown,
  where: string,
  field: string,
): Uint8Array | undefined {
  if (typeof raw === "string") {
    const text = string(c, raw, where, field);
    try {
      return Uint8Array.fromBase64(text, {
        alphabet: /[-_]/.test(text) ? "base64url" : "base64",
      });
    } catch {
      return undefined;
    }
  }
  if (typeof raw !== "object" || raw === null) wrongType(where, "a base64 string", raw);
  const source = raw as { [key: string]: unknown };
  const keys = Object.keys(source);
  const bytes = new Uint8Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const value = source[i];
    if (typeof value !== "number" || (value & 0xff) !== value) return undefined;
    bytes[i] = value;
  }
  return bytes;
}

export function keyValue(
  c: ValueContext,
  value: unknown,
  where: string,
  depth: number,
  field: string,
): KeyValue {
  const source = object(value, where) ?? {};
  return {
    key: string(c, get(source, "key", "key"), `${where}.key`, field),
    value: anyValue(c, get(source, "value", "value"), `${where}.value`, depth, field),
  };
}

/** An attribute list, capped at `maxAttributes` (the rest counted in `dropped`). */
function attributes(
  c: Ctx,
  value: unknown,
  where: string,
  field: string,
): { list: KeyValue[]; dropped: number } {
  const items = array(value, where);
  const kept = Math.min(items.length, c.limits.maxAttributes);
  const list: KeyValue[] = new Array(kept);
  for (let i = 0; i < kept; i++) list[i] = keyValue(c, items[i], `${where}[${i}]`, 0, field);
  return { list, dropped: items.length - kept };
}

// ---------------------------------------------------------------------------------------------
// Resource, scope and items.

const NAMES = {
  traces: {
    resources: ["resourceSpans", "resource_spans"],
    scopes: ["scopeSpans", "scope_spans"],
    items: ["spans", "spans"],
  },
  logs: {
    resources: ["resourceLogs", "resource_logs"],
    scopes: ["scopeLogs", "scope_logs"],
    items: ["logRecords", "log_records"],
  },
} as const;

function request(c: Ctx, root: unknown, signal: "traces" | "logs"): void {
  const names = NAMES[signal];
  const top = object(root, "request") ?? wrongType("request", "an object", root);
  const resources = array(get(top, names.resources[0], names.resources[1]), names.resources[0]);
  for (let ri = 0; ri < resources.length; ri++) {
    const rWhere = `${names.resources[0]}[${ri}]`;
    const rs = object(resources[ri], rWhere) ?? {};
    c.problem = undefined;
    const resource = object(get(rs, "resource", "resource"), `${rWhere}.resource`) ?? {};
    const attrs = attributes(
      c,
      get(resource, "attributes", "attributes"),
      `${rWhere}.resource.attributes`,
      "resource attributes",
    );
    let serviceName = UNKNOWN_SERVICE;
    for (const { key, value } of attrs.list) {
      if (key === "service.name") {
        serviceName = value.type === "string" ? value.value : UNKNOWN_SERVICE;
      }
    }
    const droppedAttributes = uint32(
      get(resource, "droppedAttributesCount", "dropped_attributes_count"),
      `${rWhere}.resource.droppedAttributesCount`,
    ) + attrs.dropped;
    const schemaUrl = string(
      c,
      get(rs, "schemaUrl", "schema_url"),
      `${rWhere}.schemaUrl`,
      "schema_url",
    );
    const entityRefs = entityRefsOf(
      c,
      get(resource, "entityRefs", "entity_refs"),
      `${rWhere}.resource.entityRefs`,
    );
    const resourceProblem = c.problem;

    const scopes = array(get(rs, names.scopes[0], names.scopes[1]), `${rWhere}.${names.scopes[0]}`);
    for (let si = 0; si < scopes.length; si++) {
      const sWhere = `${rWhere}.${names.scopes[0]}[${si}]`;
      const ss = object(scopes[si], sWhere) ?? {};
      c.problem = undefined;
      const scope = object(get(ss, "scope", "scope"), `${sWhere}.scope`) ?? {};
      const scopeName = string(c, get(scope, "name", "name"), `${sWhere}.scope.name`, "scope name");
      const scopeVersion = string(
        c,
        get(scope, "version", "version"),
        `${sWhere}.scope.version`,
        "scope version",
      );
      const scopeAttrs = attributes(
        c,
        get(scope, "attributes", "attributes"),
        `${sWhere}.scope.attributes`,
        "scope attributes",
      );
      const scopeAttributes = encodeAttributesJson(scopeAttrs.list);
      const scopeDropped = uint32(
        get(scope, "droppedAttributesCount", "dropped_attributes_count"),
        `${sWhere}.scope.droppedAttributesCount`,
      ) + scopeAttrs.dropped;
      const scopeSchemaUrl = string(
        c,
        get(ss, "schemaUrl", "schema_url"),
        `${sWhere}.schemaUrl`,
        "schema_url",
      );
      const scopeProblem = c.problem;
      const from = c.out.mark;
      const items = array(get(ss, names.items[0], names.items[1]), `${sWhere}.${names.items[0]}`);
      for (let ii = 0; ii < items.length; ii++) {
        const iWhere = `${sWhere}.${names.items[0]}[${ii}]`;
        c.problem = undefined;
        const row = signal === "traces"
          ? span(c, items[ii], iWhere)
          : logRecord(c, items[ii], iWhere);
        c.out.add(row, c.problem === undefined ? undefined : `${iWhere}: ${c.problem}`);
      }
      c.out.finishScope(
        from,
        scopeName,
        scopeVersion,
        scopeAttributes,
        scopeSchemaUrl,
        scopeDropped,
        scopeProblem === undefined ? undefined : `${sWhere}.scope: ${scopeProblem}`,
      );
    }
    c.out.finishResource(
      serviceName,
      encodeAttributesJson(attrs.list),
      droppedAttributes,
      schemaUrl,
      entityRefs,
      resourceProblem === undefined ? undefined : `${rWhere}.resource: ${resourceProblem}`,
    );
  }
}

/**
 * A resource's `entityRefs` ({schemaUrl, type, idKeys, descriptionKeys}) as stored (also the
 * metrics reader's, metrics_json.ts).
 */
export function entityRefsOf(c: ValueContext, value: unknown, where: string): string {
  const refs: EntityRef[] = [];
  const list = array(value, where);
  for (let i = 0; i < list.length; i++) {
    const at = `${where}[${i}]`;
    const ref = object(list[i], at) ?? {};
    const keys = (name: string, snake: string) => {
      const items = array(get(ref, name, snake), `${at}.${name}`);
      return items.map((item, k) => string(c, item, `${at}.${name}[${k}]`, "entity_refs"));
    };
    refs.push({
      type: string(c, get(ref, "type", "type"), `${at}.type`, "entity_refs"),
      id_keys: keys("idKeys", "id_keys"),
      description_keys: keys("descriptionKeys", "description_keys"),
      schema_url: string(c, get(ref, "schemaUrl", "schema_url"), `${at}.schemaUrl`, "entity_refs"),
    });
  }
  return entityRefsText(refs);
}

function span(c: Ctx, value: unknown, where: string): SpanRow {
  const s = object(value, where) ?? {};
  const traceId = id(c, get(s, "traceId", "trace_id"), `${where}.traceId`, "trace_id", 16, false);
  if (traceId !== undefined && isAllZero(traceId)) c.addProblem("trace_id must not be all zeros");
  const spanId = id(c, get(s, "spanId", "span_id"), `${where}.spanId`, "span_id", 8, false);
  if (spanId !== undefined && isAllZero(spanId)) c.addProblem("span_id must not be all zeros");
  const parent = id(
    c,
    get(s, "parentSpanId", "parent_span_id"),
    `${where}.parentSpanId`,
    "parent_span_id",
    8,
    true,
  );
  const attrs = attributes(
    c,
    get(s, "attributes", "attributes"),
    `${where}.attributes`,
    "attributes",
  );

  const events = array(get(s, "events", "events"), `${where}.events`);
  const eventsKept = Math.min(events.length, c.limits.maxEvents);
  let eventsJson = "";
  for (let i = 0; i < eventsKept; i++) {
    const eWhere = `${where}.events[${i}]`;
    const e = object(events[i], eWhere) ?? {};
    const eAttrs = attributes(
      c,
      get(e, "attributes", "attributes"),
      `${eWhere}.attributes`,
      "event attributes",
    );
    eventsJson += (i === 0 ? "" : ",") + eventJson(
      fixed64(get(e, "timeUnixNano", "time_unix_nano"), `${eWhere}.timeUnixNano`),
      string(c, get(e, "name", "name"), `${eWhere}.name`, "event name"),
      encodeAttributesJson(eAttrs.list),
      uint32(
        get(e, "droppedAttributesCount", "dropped_attributes_count"),
        `${eWhere}.droppedAttributesCount`,
      ) + eAttrs.dropped,
    );
  }

  const links = array(get(s, "links", "links"), `${where}.links`);
  const linksKept = Math.min(links.length, c.limits.maxLinks);
  let linksJson = "";
  for (let i = 0; i < linksKept; i++) {
    const lWhere = `${where}.links[${i}]`;
    const l = object(links[i], lWhere) ?? {};
    const lAttrs = attributes(
      c,
      get(l, "attributes", "attributes"),
      `${lWhere}.attributes`,
      "link attributes",
    );
    linksJson += (i === 0 ? "" : ",") + linkJson(
      linkId(c, get(l, "traceId", "trace_id"), `${lWhere}.traceId`, "link trace_id"),
      linkId(c, get(l, "spanId", "span_id"), `${lWhere}.spanId`, "link span_id"),
      string(c, get(l, "traceState", "trace_state"), `${lWhere}.traceState`, "link trace_state"),
      encodeAttributesJson(lAttrs.list),
      uint32(
        get(l, "droppedAttributesCount", "dropped_attributes_count"),
        `${lWhere}.droppedAttributesCount`,
      ) + lAttrs.dropped,
      uint32(get(l, "flags", "flags"), `${lWhere}.flags`),
    );
  }

  const status = object(get(s, "status", "status"), `${where}.status`) ?? {};
  return {
    traceId: traceId ?? "",
    spanId: spanId ?? "",
    parentSpanId: parent === undefined || isAllZero(parent) ? "" : parent,
    traceState: string(
      c,
      get(s, "traceState", "trace_state"),
      `${where}.traceState`,
      "trace_state",
    ),
    name: string(c, get(s, "name", "name"), `${where}.name`, "name"),
    kind: enumValue(get(s, "kind", "kind"), `${where}.kind`, SPAN_KINDS),
    startTimeUnixNano: fixed64(
      get(s, "startTimeUnixNano", "start_time_unix_nano"),
      `${where}.startTimeUnixNano`,
    ),
    endTimeUnixNano: fixed64(
      get(s, "endTimeUnixNano", "end_time_unix_nano"),
      `${where}.endTimeUnixNano`,
    ),
    statusCode: enumValue(get(status, "code", "code"), `${where}.status.code`, STATUS_CODES),
    statusMessage: string(
      c,
      get(status, "message", "message"),
      `${where}.status.message`,
      "status message",
    ),
    resourceId: "",
    serviceName: "",
    scopeName: "",
    scopeVersion: "",
    scopeAttributes: "",
    scopeSchemaUrl: "",
    scopeDroppedAttributesCount: 0,
    longText: "",
    attributes: encodeAttributesJson(attrs.list),
    events: "[" + eventsJson + "]",
    links: "[" + linksJson + "]",
    droppedAttributesCount: uint32(
      get(s, "droppedAttributesCount", "dropped_attributes_count"),
      `${where}.droppedAttributesCount`,
    ) + attrs.dropped,
    droppedEventsCount: uint32(
      get(s, "droppedEventsCount", "dropped_events_count"),
      `${where}.droppedEventsCount`,
    ) + events.length - eventsKept,
    droppedLinksCount: uint32(
      get(s, "droppedLinksCount", "dropped_links_count"),
      `${where}.droppedLinksCount`,
    ) + links.length - linksKept,
    flags: uint32(get(s, "flags", "flags"), `${where}.flags`),
  };
}

/** A link's id: any even-length hex, lower-cased (links are kept as sent). */
function linkId(c: Ctx, value: unknown, where: string, field: string): string {
  const text = string(c, value, where, field);
  if (text.length % 2 !== 0 || !HEX.test(text)) {
    c.addProblem(`${field} must be hex: got ${JSON.stringify(text.slice(0, 40))}`);
    return "";
  }
  return text.toLowerCase();
}

const BODY_TYPE_OF: Record<AnyValue["type"], BodyType> = {
  empty: "empty",
  string: "string",
  bool: "bool",
  int: "int",
  double: "double",
  bytes: "bytes",
  array: "array",
  kvlist: "kvlist",
};

function logRecord(c: Ctx, value: unknown, where: string): LogRow {
  const l = object(value, where) ?? {};
  const time = fixed64(get(l, "timeUnixNano", "time_unix_nano"), `${where}.timeUnixNano`);
  const observed = fixed64(
    get(l, "observedTimeUnixNano", "observed_time_unix_nano"),
    `${where}.observedTimeUnixNano`,
  );
  const bodyValue = anyValue(c, get(l, "body", "body"), `${where}.body`, 0, "body");
  const body = bodyValue.type === "string"
    ? bodyValue.value
    : bodyValue.type === "empty"
    ? ""
    : encodeAnyValueJson(bodyValue);
  // Logs need not be in a trace; an all-zero id is the invalid id, i.e. none (logs.proto).
  const traceId = id(c, get(l, "traceId", "trace_id"), `${where}.traceId`, "trace_id", 16, true);
  const spanId = id(c, get(l, "spanId", "span_id"), `${where}.spanId`, "span_id", 8, true);
  const attrs = attributes(
    c,
    get(l, "attributes", "attributes"),
    `${where}.attributes`,
    "attributes",
  );
  return {
    id: "",
    // The time sent (see RequestLogIds); the assembler puts the arrival time in a missing one.
    timeUnixNano: time !== 0n ? time : observed,
    timeUnset: time === 0n,
    observedTimeUnixNano: observed,
    severityNumber: enumValue(
      get(l, "severityNumber", "severity_number"),
      `${where}.severityNumber`,
      SEVERITY_NUMBERS,
    ),
    severityText: string(
      c,
      get(l, "severityText", "severity_text"),
      `${where}.severityText`,
      "severity_text",
    ),
    body,
    bodyType: BODY_TYPE_OF[bodyValue.type],
    eventName: string(c, get(l, "eventName", "event_name"), `${where}.eventName`, "event_name"),
    traceId: traceId === undefined || isAllZero(traceId) ? "" : traceId,
    spanId: spanId === undefined || isAllZero(spanId) ? "" : spanId,
    flags: uint32(get(l, "flags", "flags"), `${where}.flags`),
    resourceId: "",
    serviceName: "",
    scopeName: "",
    scopeVersion: "",
    scopeAttributes: "",
    scopeSchemaUrl: "",
    scopeDroppedAttributesCount: 0,
    longText: "",
    attributes: encodeAttributesJson(attrs.list),
    droppedAttributesCount: uint32(
      get(l, "droppedAttributesCount", "dropped_attributes_count"),
      `${where}.droppedAttributesCount`,
    ) + attrs.dropped,
  };
}

// ---------------------------------------------------------------------------------------------

/**
 * A number literal of 16 or more digits may be past 2^53: only then pay for a reviver. (Matches
 * a literal after `:`, `,` or `[`; a string of digits, as SDKs send int64s, has a quote there.)
 */
const LONG_INTEGER = /[:,[]\s*-?[0-9]{16}/;

export function parse(text: string): unknown {
  if (!LONG_INTEGER.test(text)) return JSON.parse(text);
  return JSON.parse(text, function exactIntegers(_key, value, context?: { source?: string }) {
    if (
      typeof value === "number" && !Number.isSafeInteger(value) &&
      context?.source !== undefined && /^-?[0-9]+$/.test(context.source)
    ) {
      return BigInt(context.source);
    }
    return value;
  });
}

/** Decodes an OTLP/JSON export request of `signal`. */
export function decodeJson(
  signal: "traces" | "logs",
  body: Uint8Array,
  limits: DecodeLimits,
  nowNs: bigint,
): Decoded {
  let root: unknown;
  try {
    root = parse(utf8.decode(body));
  } catch (error) {
    const what = error instanceof TypeError ? "not valid UTF-8" : "not valid JSON";
    throw new OtlpDecodeError(
      `request body is ${what}: ${errorMessage(error)}`,
      { cause: error },
    );
  }
  const out = new BatchAssembler(signal, nowNs);
  request(new Ctx(limits, nowNs, out), root, signal);
  return { batch: out.batch, items: out.items, rejected: out.rejected };
}
