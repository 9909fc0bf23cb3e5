/**
 * The file format of the dead-letter queue: how a batch becomes the bytes of one or more files, and
 * how a file becomes rows again without holding it whole.
 *
 * Version 3 (written since metrics are stored, issue 16), JSON lines, each line ending in `\n`:
 *
 * ```
 * {"format":"argus-dlq","version":3,"createdAt":"2026-11-26T10:00:00.000Z"}
 * {"resource":{"id":"…","serviceName":"…",…}}          resources first, each once
 * {"span":{"traceId":"…",…,"startTimeUnixNano":"1795687200000000000",…}}
 * {"log":{"id":"…",…}}
 * {"metric":{"pointKey":"…",…,"instrument":{…},"value":{"kind":"int","value":{"$int":"-3"}},…}}
 * {"end":{"resources":1,"spans":1,"logs":1,"metrics":1}}
 * ```
 *
 * A metric line is one data point (`MetricPointRow`) with its instrument inline (an instrument is
 * small, and a line that needs no other line but its resource keeps files splittable anywhere).
 * In its `value` and `exemplars`, where an int64 or a non-finite double may stand, an int64 is
 * `{"$int":"<decimal>"}` and a NaN or ±Infinity `{"$double":"NaN"|"Infinity"|"-Infinity"}`
 * (JSON has neither); every user-supplied text is a JSON string, so these tags cannot collide.
 * Version 2 (issue 11 to 16) is version 3 without metric lines and without `metrics` in the
 * end line; it is still read. Version 2 readers refuse version 3 files by their version.
 *
 * A row line holds exactly the fields of `ResourceRow`, `SpanRow`, `LogRow` or `MetricPointRow`
 * (its instrument's too), except that the fields added in issue 19 (`ADDED_FIELDS`) may be
 * missing, as in files written before them; int64
 * nanosecond times are decimal strings (a JSON number loses precision past 2^53). A span or log line may also
 * carry `"rejected":"<reason>"`: quarantine files of refused items say why on the item's own line,
 * and the reader ignores it, so such a file dropped back into the queue is replayed like any other.
 * Lines, rather than one document, let a file be read as a stream and stored in chunks: a reader
 * holds one line at a time, never the text plus the parsed document plus the rows. The end line
 * and its counts tell a complete file from one cut short at a line boundary.
 *
 * Version 1 (written before): one JSON document,
 * `{"format":"argus-dlq","version":1,"createdAt":"…","spans":n,"logs":n,"batch":{"resources":[…],
 * "spans":[…],"logs":[…]}}`, still read (the files on disk when a user upgrades), whole, since a
 * document cannot be cut at row boundaries without a streaming JSON parser; its size is bounded by
 * the caller's per-file limit (`DLQ_MAX_FILE_BYTES`).
 *
 * Reading is strict: anything but exactly these shapes throws `InvalidDlqFileError` naming the
 * first problem. Values are checked for their kind only; whether a value can be stored (id shapes,
 * ranges, widths) is the store's call, item by item, so one bad item does not condemn its file.
 *
 * @module
 */
import type { Batch, LogRow, ResourceRow, SpanRow } from "../store/mod.ts";
import type {
  MetricInstrumentRow,
  MetricPointRow,
  MetricPointValue,
} from "../store/metric_types.ts";
import { errorMessage } from "../utils/errors.ts";

export const DLQ_FORMAT = "argus-dlq";
/** The version `encodeDlqFiles` writes. */
export const DLQ_VERSION = 3;
/** The line-based versions read (version 1 is one document). */
const LINE_VERSIONS: readonly unknown[] = [2, 3];
/** A version-2 header is short; a first line longer than this is not one (a version-1 document). */
const HEADER_MAX_BYTES = 64 * 1024;
/** Bytes asked of the file system per read while streaming. */
const READ_BYTES = 1_048_576;
const INT64_MAX = (1n << 63n) - 1n;
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
const NEWLINE = 0x0a;

/** Content that is not a valid DLQ file: quarantine it, never retry it. */
export class InvalidDlqFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidDlqFileError";
  }
}

// --- rows ----------------------------------------------------------------------------------------

type FieldKind<T> = T extends bigint ? "time" : T extends number ? "number"
: T extends string ? "text"
: T extends boolean ? "boolean"
: never;
/** Every field of a row with its kind; typed so that a field added to a row type fails here. */
type Fields<Row> = { readonly [K in keyof Row]-?: FieldKind<Row[K]> };

const RESOURCE_FIELDS: Fields<ResourceRow> = {
  id: "text",
  serviceName: "text",
  attributes: "text",
  droppedAttributesCount: "number",
  schemaUrl: "text",
  entityRefs: "text",
  longText: "text",
};

const SPAN_FIELDS: Fields<SpanRow> = {
  traceId: "text",
  spanId: "text",
  parentSpanId: "text",
  traceState: "text",
  name: "text",
  kind: "number",
  startTimeUnixNano: "time",
  endTimeUnixNano: "time",
  statusCode: "number",
  statusMessage: "text",
  resourceId: "text",
  serviceName: "text",
  scopeName: "text",
  scopeVersion: "text",
  scopeAttributes: "text",
  attributes: "text",
  events: "text",
  links: "text",
  droppedAttributesCount: "number",
  droppedEventsCount: "number",
  droppedLinksCount: "number",
  flags: "number",
  scopeSchemaUrl: "text",
  scopeDroppedAttributesCount: "number",
  longText: "text",
};

const LOG_FIELDS: Fields<LogRow> = {
  id: "text",
  timeUnixNano: "time",
  observedTimeUnixNano: "time",
  severityNumber: "number",
  severityText: "text",
  body: "text",
  bodyType: "text",
  eventName: "text",
  traceId: "text",
  spanId: "text",
  flags: "number",
  resourceId: "text",
  serviceName: "text",
  scopeName: "text",
  scopeVersion: "text",
  scopeAttributes: "text",
  attributes: "text",
  droppedAttributesCount: "number",
  scopeSchemaUrl: "text",
  scopeDroppedAttributesCount: "number",
  timeUnset: "boolean",
  longText: "text",
};

/**
 * Fields added to the rows after files of an earlier version were written (issue 19), with the
 * value a row of such a file has: the only fields a line may leave out. The scope's two are those
 * of spans, log records and metric instruments alike.
 */
const ADDED_FIELDS: Readonly<Record<string, unknown>> = {
  entityRefs: "",
  scopeSchemaUrl: "",
  scopeDroppedAttributesCount: 0,
  timeUnset: false,
  longText: "",
};

const INSTRUMENT_FIELDS: Fields<MetricInstrumentRow> = {
  key: "text",
  resourceId: "text",
  serviceName: "text",
  scopeName: "text",
  scopeVersion: "text",
  scopeAttributes: "text",
  scopeSchemaUrl: "text",
  scopeDroppedAttributesCount: "number",
  name: "text",
  description: "text",
  unit: "text",
  type: "text",
  temporality: "text",
  monotonic: "boolean",
  longText: "text",
};

/** A point's scalar fields; `instrument`, `value` and `exemplars` are checked on their own. */
const POINT_FIELDS: Fields<
  Omit<MetricPointRow, "instrument" | "value" | "exemplars">
> = {
  pointKey: "text",
  seriesKey: "text",
  instrumentKey: "text",
  attributes: "text",
  droppedAttributesCount: "number",
  startTimeUnixNano: "time",
  timeUnixNano: "time",
  flags: "number",
};

/** One row of a file, in file order. `bytes` is its line's length (0 for version 1). */
export type DlqRecord =
  | { kind: "resource"; row: ResourceRow; bytes: number }
  | { kind: "span"; row: SpanRow; bytes: number }
  | { kind: "log"; row: LogRow; bytes: number }
  | { kind: "metric"; row: MetricPointRow; bytes: number };

/** A value as an error message shows it: strings quoted and cut short, objects by their kind. */
function describe(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  }
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object" && value !== null) return "an object";
  return String(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function kindText(kind: string): string {
  return kind === "time"
    ? "a bigint from 0 to 2^63-1"
    : kind === "number"
    ? "a finite number"
    : kind === "boolean"
    ? "a boolean"
    : "a string";
}

/**
 * Row → plain JSON object with exactly the row's fields, times as decimal strings. Checks kinds as
 * it goes: a malformed batch is a bug of the caller, better refused now than acknowledged and then
 * quarantined.
 */
function encodeRow<Row>(row: Row, fields: Fields<Row>, where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, kind] of Object.entries(fields) as [string, string][]) {
    const value = (row as Record<string, unknown>)[key];
    const ok = kind === "time"
      ? typeof value === "bigint" && value >= 0n && value <= INT64_MAX
      : kind === "number"
      ? typeof value === "number" && Number.isFinite(value)
      : kind === "boolean"
      ? typeof value === "boolean"
      : typeof value === "string";
    if (!ok) {
      throw new TypeError(
        `Cannot write ${where}.${key} to the dead-letter queue as it must be ${
          kindText(kind)
        }: current value is ${describe(value)}`,
      );
    }
    out[key] = kind === "time" ? (value as bigint).toString() : value;
  }
  return out;
}

function decodeRow<Row>(value: unknown, fields: Fields<Row>, where: string): Row {
  if (!isRecord(value)) {
    throw new InvalidDlqFileError(`${where} must be an object: it is ${describe(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(fields, key)) {
      throw new InvalidDlqFileError(`${where} has an unknown field "${key}"`);
    }
  }
  const row: Record<string, unknown> = {};
  for (const [key, kind] of Object.entries(fields) as [string, string][]) {
    if (!Object.hasOwn(value, key)) {
      if (Object.hasOwn(ADDED_FIELDS, key)) {
        row[key] = ADDED_FIELDS[key];
        continue;
      }
      throw new InvalidDlqFileError(`${where}.${key} is missing`);
    }
    const field = value[key];
    if (kind === "time") {
      if (typeof field !== "string" || !DECIMAL.test(field) || BigInt(field) > INT64_MAX) {
        throw new InvalidDlqFileError(
          `${where}.${key} must be a decimal string of an integer from 0 to 2^63-1: ` +
            `current value is ${describe(field)}`,
        );
      }
      row[key] = BigInt(field);
    } else if (
      kind === "text"
        ? typeof field !== "string"
        : kind === "boolean"
        ? typeof field !== "boolean"
        : typeof field !== "number"
    ) {
      throw new InvalidDlqFileError(
        `${where}.${key} must be ${kind === "text" ? "a string" : `a ${kind}`}: ` +
          `current value is ${describe(field)}`,
      );
    } else {
      row[key] = field;
    }
  }
  return row as Row;
}

// --- metric points --------------------------------------------------------------------------------

const INT64_MIN = -(1n << 63n);
const SIGNED_DECIMAL = /^-?(?:0|[1-9][0-9]*)$/;
const NON_FINITE = ["NaN", "Infinity", "-Infinity"];

/** JSON-ready copy of a point's value or exemplars: int64s and non-finite doubles tagged. */
function tag(value: unknown): unknown {
  if (typeof value === "bigint") return { $int: value.toString() };
  if (typeof value === "number") return Number.isFinite(value) ? value : { $double: String(value) };
  if (Array.isArray(value)) return value.map(tag);
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) out[key] = tag(field);
    return out;
  }
  return value;
}

/** The inverse of `tag`; a malformed tag throws. */
function untag(value: unknown, where: string): unknown {
  if (Array.isArray(value)) return value.map((item, i) => untag(item, `${where}[${i}]`));
  if (!isRecord(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === "$int") {
    const text = value.$int;
    if (
      typeof text !== "string" || !SIGNED_DECIMAL.test(text) || BigInt(text) > INT64_MAX ||
      BigInt(text) < INT64_MIN
    ) {
      throw new InvalidDlqFileError(
        `${where} must be a decimal string of an int64 in {"$int":…}: current value is ${
          describe(text)
        }`,
      );
    }
    return BigInt(text);
  }
  if (keys.length === 1 && keys[0] === "$double") {
    if (!NON_FINITE.includes(value.$double as string)) {
      throw new InvalidDlqFileError(
        `${where} must be one of "NaN", "Infinity", "-Infinity" in {"$double":…}: current value ` +
          `is ${describe(value.$double)}`,
      );
    }
    return Number(value.$double);
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = untag(value[key], `${where}.${key}`);
  return out;
}

/** What each field of a point value holds, by the value's kind. */
type ValueField = "int64" | "number" | "number?" | "numbers" | "quantiles";
const VALUE_FIELDS: Record<MetricPointValue["kind"], Record<string, ValueField>> = {
  none: {},
  int: { value: "int64" },
  double: { value: "number" },
  histogram: {
    count: "number",
    sum: "number?",
    min: "number?",
    max: "number?",
    explicitBounds: "numbers",
    bucketCounts: "numbers",
  },
  exponential_histogram: {
    count: "number",
    sum: "number?",
    min: "number?",
    max: "number?",
    scale: "number",
    zeroCount: "number",
    zeroThreshold: "number",
    positiveOffset: "number",
    positiveBucketCounts: "numbers",
    negativeOffset: "number",
    negativeBucketCounts: "numbers",
  },
  summary: { count: "number", sum: "number", quantiles: "quantiles" },
};

function fieldOk(kind: ValueField, value: unknown): boolean {
  switch (kind) {
    case "int64":
      return typeof value === "bigint";
    case "number":
      return typeof value === "number";
    case "number?":
      return value === null || typeof value === "number";
    case "numbers":
      return Array.isArray(value) && value.every((n) => typeof n === "number");
    case "quantiles":
      return Array.isArray(value) &&
        value.every((q) =>
          isRecord(q) && Object.keys(q).length === 2 && typeof q.quantile === "number" &&
          typeof q.value === "number"
        );
  }
}

function decodeValue(value: unknown, where: string): MetricPointValue {
  if (!isRecord(value)) {
    throw new InvalidDlqFileError(`${where} must be an object: it is ${describe(value)}`);
  }
  const kind = value.kind;
  if (typeof kind !== "string" || !Object.hasOwn(VALUE_FIELDS, kind)) {
    throw new InvalidDlqFileError(
      `${where}.kind must be one of ${
        Object.keys(VALUE_FIELDS).map((k) => `"${k}"`).join(", ")
      }: current value is ${describe(kind)}`,
    );
  }
  const fields = VALUE_FIELDS[kind as MetricPointValue["kind"]];
  checkKeys(value, ["kind", ...Object.keys(fields)], where);
  for (const [key, fieldKind] of Object.entries(fields)) {
    if (!fieldOk(fieldKind, value[key])) {
      throw new InvalidDlqFileError(
        `${where}.${key} must be ${
          { int64: "an int64", number: "a number", "number?": "a number or null" }[
            fieldKind as string
          ] ?? (fieldKind === "numbers" ? "an array of numbers" : "an array of {quantile, value}")
        }: current value is ${describe(value[key])}`,
      );
    }
  }
  return value as unknown as MetricPointValue;
}

const EXEMPLAR_KEYS = [
  "timeUnixNano",
  "value",
  "traceId",
  "spanId",
  "filteredAttributes",
  "droppedAttributesCount",
] as const;

function decodeExemplars(value: unknown, where: string): MetricPointRow["exemplars"] {
  if (!Array.isArray(value)) {
    throw new InvalidDlqFileError(`${where} must be an array: it is ${describe(value)}`);
  }
  return value.map((e, i) => {
    const at = `${where}[${i}]`;
    if (!isRecord(e)) {
      throw new InvalidDlqFileError(`${at} must be an object: it is ${describe(e)}`);
    }
    checkKeys(e, EXEMPLAR_KEYS, at);
    const ok = typeof e.timeUnixNano === "bigint" &&
      (typeof e.value === "bigint" || typeof e.value === "number") &&
      typeof e.traceId === "string" && typeof e.spanId === "string" &&
      typeof e.filteredAttributes === "string" && typeof e.droppedAttributesCount === "number";
    if (!ok) {
      throw new InvalidDlqFileError(
        `${at} must hold timeUnixNano (an int64), value (an int64 or a number), traceId, ` +
          "spanId and filteredAttributes (strings) and droppedAttributesCount (a number)",
      );
    }
    return e as unknown as MetricPointRow["exemplars"][number];
  });
}

/** A metric point → plain JSON object (see the module documentation). */
function encodeMetric(row: MetricPointRow, where: string): Record<string, unknown> {
  const out = encodeRow(row, POINT_FIELDS, where);
  out.instrument = encodeRow(row.instrument, INSTRUMENT_FIELDS, `${where}.instrument`);
  out.value = tag(row.value);
  out.exemplars = tag(row.exemplars);
  return out;
}

function decodeMetric(value: unknown, where: string): MetricPointRow {
  if (!isRecord(value)) {
    throw new InvalidDlqFileError(`${where} must be an object: it is ${describe(value)}`);
  }
  const { instrument, value: pointValue, exemplars, ...scalars } = value;
  for (const [key, field] of [["instrument", instrument], ["value", pointValue]] as const) {
    if (field === undefined) throw new InvalidDlqFileError(`${where}.${key} is missing`);
  }
  if (exemplars === undefined) throw new InvalidDlqFileError(`${where}.exemplars is missing`);
  const row = decodeRow(scalars, POINT_FIELDS, where) as MetricPointRow;
  row.instrument = decodeRow(instrument, INSTRUMENT_FIELDS, `${where}.instrument`);
  row.value = decodeValue(untag(pointValue, `${where}.value`), `${where}.value`);
  row.exemplars = decodeExemplars(untag(exemplars, `${where}.exemplars`), `${where}.exemplars`);
  return row;
}

function checkKeys(value: Record<string, unknown>, keys: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) {
      throw new InvalidDlqFileError(`${where} has an unknown field "${key}"`);
    }
  }
  for (const key of keys) {
    if (!Object.hasOwn(value, key)) throw new InvalidDlqFileError(`${where}.${key} is missing`);
  }
}

// --- writing (version 2) -------------------------------------------------------------------------

export interface DlqCounts {
  resources: number;
  spans: number;
  logs: number;
  /** Metric data points; none when left out. */
  metrics?: number;
}

/** The first line of a version-2 file. */
export function headerLine(createdAt: Date): string {
  return `${
    JSON.stringify({ format: DLQ_FORMAT, version: DLQ_VERSION, createdAt: createdAt.toISOString() })
  }\n`;
}

/** The last line of a version-2 file. */
export function endLine(counts: DlqCounts): string {
  const { resources, spans, logs } = counts;
  return `${JSON.stringify({ end: { resources, spans, logs, metrics: counts.metrics ?? 0 } })}\n`;
}

/** The line of a resource. `where` names it in the error thrown for a malformed row. */
export function resourceLine(row: ResourceRow, where = "resource"): string {
  return `${JSON.stringify({ resource: encodeRow(row, RESOURCE_FIELDS, where) })}\n`;
}

/** The line of a span, with the reason the store refused it when it did. */
export function spanLine(row: SpanRow, rejected?: string, where = "span"): string {
  const line: Record<string, unknown> = { span: encodeRow(row, SPAN_FIELDS, where) };
  if (rejected !== undefined) line.rejected = rejected;
  return `${JSON.stringify(line)}\n`;
}

/** The line of a log record, with the reason the store refused it when it did. */
export function logLine(row: LogRow, rejected?: string, where = "log"): string {
  const line: Record<string, unknown> = { log: encodeRow(row, LOG_FIELDS, where) };
  if (rejected !== undefined) line.rejected = rejected;
  return `${JSON.stringify(line)}\n`;
}

/** The line of a metric data point, with the reason the store refused it when it did. */
export function metricLine(row: MetricPointRow, rejected?: string, where = "metric"): string {
  const line: Record<string, unknown> = { metric: encodeMetric(row, where) };
  if (rejected !== undefined) line.rejected = rejected;
  return `${JSON.stringify(line)}\n`;
}

/** Thrown by `encodeDlqFiles` when one row, with its resource, cannot fit in a file. */
export class RowTooLargeError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = "RowTooLargeError";
  }
}

/**
 * The bytes of the files holding `batch`, in order, none longer than `maxFileBytes`: rows are
 * spread over as many files as needed, each complete on its own (its header, the resources its
 * rows reference, its rows, its end line), so each file can be replayed, or quarantined, alone.
 * A resource no row references is not written: the store keeps a resource only with its rows.
 * Throws `RowTooLargeError` when a single row cannot fit in a file, `TypeError` for a malformed
 * batch.
 */
export function encodeDlqFiles(
  batch: Batch,
  createdAt: Date,
  maxFileBytes = Number.POSITIVE_INFINITY,
): Uint8Array[] {
  const encoder = new TextEncoder();
  const header = encoder.encode(headerLine(createdAt));
  // The end line's length grows with its counts; the whole batch's counts bound every file's.
  const metrics = batch.metrics ?? [];
  const endReserve = endLine({
    resources: batch.resources.length,
    spans: batch.spans.length,
    logs: batch.logs.length,
    metrics: metrics.length,
  }).length;
  const resources = new Map<string, Uint8Array>();
  for (const [i, resource] of batch.resources.entries()) {
    if (!resources.has(resource.id)) {
      resources.set(resource.id, encoder.encode(resourceLine(resource, `resources[${i}]`)));
    }
  }

  interface Plan {
    resourceIds: string[];
    spans: Uint8Array[];
    logs: Uint8Array[];
    metrics: Uint8Array[];
    bytes: number;
  }
  const plans: Plan[] = [];
  const fresh = (): Plan => ({
    resourceIds: [],
    spans: [],
    logs: [],
    metrics: [],
    bytes: header.length + endReserve,
  });
  let plan = fresh();
  const listOf = { span: "spans", log: "logs", metric: "metrics" } as const;
  const add = (
    kind: "span" | "log" | "metric",
    index: number,
    resourceId: string,
    line: Uint8Array,
  ) => {
    const resource = resources.get(resourceId);
    const needed = () =>
      (resource === undefined || plan.resourceIds.includes(resourceId) ? 0 : resource.length) +
      line.length;
    const rows = plan.spans.length + plan.logs.length + plan.metrics.length;
    if (rows > 0 && plan.bytes + needed() > maxFileBytes) {
      plans.push(plan);
      plan = fresh();
    }
    if (plan.bytes + needed() > maxFileBytes) {
      throw new RowTooLargeError(
        `Cannot write ${kind} ${index} of a batch to the dead-letter queue as a file must not ` +
          `exceed DLQ_MAX_FILE_BYTES (${maxFileBytes} bytes): the ${kind} needs ` +
          `${plan.bytes + needed()} bytes with its resource`,
      );
    }
    // A row whose resource is not in the batch is written as is; the store refuses it on replay.
    if (resource !== undefined && !plan.resourceIds.includes(resourceId)) {
      plan.resourceIds.push(resourceId);
      plan.bytes += resource.length;
    }
    plan[listOf[kind]].push(line);
    plan.bytes += line.length;
  };
  for (const [i, span] of batch.spans.entries()) {
    add("span", i, span.resourceId, encoder.encode(spanLine(span, undefined, `spans[${i}]`)));
  }
  for (const [i, log] of batch.logs.entries()) {
    add("log", i, log.resourceId, encoder.encode(logLine(log, undefined, `logs[${i}]`)));
  }
  for (const [i, point] of metrics.entries()) {
    const line = encoder.encode(metricLine(point, undefined, `metrics[${i}]`));
    add("metric", i, point.instrument.resourceId, line);
  }
  plans.push(plan);

  return plans.map((p) => {
    const end = encoder.encode(endLine({
      resources: p.resourceIds.length,
      spans: p.spans.length,
      logs: p.logs.length,
      metrics: p.metrics.length,
    }));
    const parts = [
      header,
      ...p.resourceIds.map((id) => resources.get(id)!),
      ...p.spans,
      ...p.logs,
      ...p.metrics,
    ];
    const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, end.length));
    let offset = 0;
    for (const part of [...parts, end]) {
      bytes.set(part, offset);
      offset += part.length;
    }
    return bytes;
  });
}

/** The bytes of one DLQ file holding `batch`, however large. */
export function encodeDlqFile(batch: Batch, createdAt: Date): Uint8Array {
  return encodeDlqFiles(batch, createdAt)[0]!;
}

// --- reading -------------------------------------------------------------------------------------

const V2_HEADER_KEYS = ["format", "version", "createdAt"] as const;
const END_KEYS = ["resources", "spans", "logs"] as const;
const END_KEYS_V3 = [...END_KEYS, "metrics"] as const;

function checkCreatedAt(value: unknown): void {
  if (typeof value !== "string" || Number.isNaN(Date.parse(value))) {
    throw new InvalidDlqFileError(
      `createdAt must be an ISO 8601 time: current value is ${describe(value)}`,
    );
  }
}

function wrongFormat(document: unknown): InvalidDlqFileError {
  return new InvalidDlqFileError(
    `the file is not an Argus dead-letter batch: "format" must be "${DLQ_FORMAT}", ` +
      `current value is ${describe(isRecord(document) ? document.format : document)}`,
  );
}

function wrongVersion(version: unknown): InvalidDlqFileError {
  return new InvalidDlqFileError(
    `the file has format version ${describe(version)}: this Argus reads versions 1, 2 and 3`,
  );
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * What the first line of a file says: the header of a version-2 file, or undefined when the file
 * must be read whole (a version-1 document is one line; so is anything unparsable). A first line
 * that is JSON but names another format or version throws at once.
 */
function v2Header(line: Uint8Array): Record<string, unknown> | undefined {
  let header: unknown;
  try {
    header = JSON.parse(utf8.decode(line));
  } catch {
    return undefined;
  }
  if (!isRecord(header) || header.format !== DLQ_FORMAT) throw wrongFormat(header);
  if (header.version === 1) return undefined;
  if (!LINE_VERSIONS.includes(header.version)) throw wrongVersion(header.version);
  return header;
}

/** Decodes the lines after a version-2 header, one at a time. */
class V2Lines {
  #line = 1;
  #ended = false;
  readonly #counts: Required<DlqCounts> = { resources: 0, spans: 0, logs: 0, metrics: 0 };
  /** Version 3: metric lines, and their count in the end line. */
  readonly #v3: boolean;

  constructor(header: Record<string, unknown>) {
    checkKeys(header, V2_HEADER_KEYS, "the header (line 1)");
    checkCreatedAt(header.createdAt);
    this.#v3 = header.version === 3;
  }

  /** The record of the next line (without its `\n`), or undefined for the end line. */
  next(bytes: Uint8Array): DlqRecord | undefined {
    const where = `line ${++this.#line}`;
    if (this.#ended) {
      throw new InvalidDlqFileError(`${where} follows the end line: the file must stop there`);
    }
    let value: unknown;
    try {
      value = JSON.parse(utf8.decode(bytes));
    } catch (error) {
      throw new InvalidDlqFileError(
        error instanceof TypeError
          ? `${where} is not valid UTF-8`
          : `${where} is not valid JSON (corrupt): ${errorMessage(error)}`,
      );
    }
    if (!isRecord(value)) {
      throw new InvalidDlqFileError(`${where} must be an object: it is ${describe(value)}`);
    }
    const length = bytes.length + 1;
    if (Object.hasOwn(value, "end")) {
      checkKeys(value, ["end"], where);
      const end = value.end;
      if (!isRecord(end)) {
        throw new InvalidDlqFileError(`${where}: end must be an object: it is ${describe(end)}`);
      }
      const keys = this.#v3 ? END_KEYS_V3 : END_KEYS;
      checkKeys(end, keys, `${where}: end`);
      for (const key of keys) {
        if (end[key] !== this.#counts[key]) {
          throw new InvalidDlqFileError(
            `${where}: the end line counts ${describe(end.resources)} resources, ` +
              `${describe(end.spans)} spans, ${describe(end.logs)} logs and ` +
              `${describe(end.metrics ?? 0)} metric points but the file holds ` +
              `${this.#counts.resources}, ${this.#counts.spans}, ${this.#counts.logs} and ` +
              `${this.#counts.metrics}`,
          );
        }
      }
      this.#ended = true;
      return undefined;
    }
    if (Object.hasOwn(value, "resource")) {
      checkKeys(value, ["resource"], where);
      this.#counts.resources++;
      const row = decodeRow(value.resource, RESOURCE_FIELDS, `${where}: resource`);
      return { kind: "resource", row, bytes: length };
    }
    const kind = Object.hasOwn(value, "span")
      ? "span"
      : Object.hasOwn(value, "log")
      ? "log"
      : this.#v3 && Object.hasOwn(value, "metric")
      ? "metric"
      : "";
    if (kind === "") {
      throw new InvalidDlqFileError(
        `${where} must hold one of "resource", "span", "log"${
          this.#v3 ? ', "metric"' : ""
        } or "end": it has ${Object.keys(value).map((k) => `"${k}"`).join(", ") || "no field"}`,
      );
    }
    checkKeys(value, Object.hasOwn(value, "rejected") ? [kind, "rejected"] : [kind], where);
    if (Object.hasOwn(value, "rejected") && typeof value.rejected !== "string") {
      throw new InvalidDlqFileError(
        `${where}: rejected must be a string: current value is ${describe(value.rejected)}`,
      );
    }
    if (kind === "span") {
      this.#counts.spans++;
      return { kind, row: decodeRow(value.span, SPAN_FIELDS, `${where}: span`), bytes: length };
    }
    if (kind === "metric") {
      this.#counts.metrics++;
      return { kind, row: decodeMetric(value.metric, `${where}: metric`), bytes: length };
    }
    this.#counts.logs++;
    return { kind: "log", row: decodeRow(value.log, LOG_FIELDS, `${where}: log`), bytes: length };
  }

  /** After the last line: the file must have ended with its end line. */
  finish(trailing: number): void {
    if (trailing > 0) {
      throw new InvalidDlqFileError(
        `the file ends in the middle of line ${this.#line + 1} (truncated or corrupt)`,
      );
    }
    if (!this.#ended) {
      throw new InvalidDlqFileError(
        `the file ends after line ${this.#line} without its end line (truncated)`,
      );
    }
  }
}

function decodeV1(bytes: Uint8Array): Batch {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch (error) {
    // A TypeError is the decoder's verdict; anything else (a string past V8's length limit) is
    // not, and says so rather than blaming the encoding.
    throw new InvalidDlqFileError(
      error instanceof TypeError
        ? "the file is not valid UTF-8"
        : `the file cannot be decoded as one document of ${bytes.length} bytes: ${
          errorMessage(error)
        }`,
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new InvalidDlqFileError(
      `the file is not valid JSON (truncated or corrupt): ${errorMessage(error)}`,
    );
  }
  if (!isRecord(document) || document.format !== DLQ_FORMAT) throw wrongFormat(document);
  if (document.version !== 1) throw wrongVersion(document.version);
  checkKeys(document, ["format", "version", "createdAt", "spans", "logs", "batch"], "the file");
  checkCreatedAt(document.createdAt);
  const batch = document.batch;
  if (!isRecord(batch)) {
    throw new InvalidDlqFileError(`batch must be an object: it is ${describe(batch)}`);
  }
  checkKeys(batch, ["resources", "spans", "logs"], "batch");
  const rows = <Row>(value: unknown, fields: Fields<Row>, where: string): Row[] => {
    if (!Array.isArray(value)) {
      throw new InvalidDlqFileError(`${where} must be an array: it is ${describe(value)}`);
    }
    return value.map((item, i) => decodeRow(item, fields, `${where}[${i}]`));
  };
  const decoded: Batch = {
    resources: rows(batch.resources, RESOURCE_FIELDS, "batch.resources"),
    spans: rows(batch.spans, SPAN_FIELDS, "batch.spans"),
    logs: rows(batch.logs, LOG_FIELDS, "batch.logs"),
  };
  // The counts in the header guard against a document cut short and then "repaired".
  if (document.spans !== decoded.spans.length || document.logs !== decoded.logs.length) {
    throw new InvalidDlqFileError(
      `the header counts ${describe(document.spans)} spans and ${
        describe(document.logs)
      } logs but the batch holds ${decoded.spans.length} and ${decoded.logs.length}`,
    );
  }
  return decoded;
}

/** Calls `each` with every line of `bytes` ended by `\n`; answers the length of what follows. */
function eachLine(bytes: Uint8Array, from: number, each: (line: Uint8Array) => void): number {
  let start = from;
  for (let at = bytes.indexOf(NEWLINE, start); at !== -1; at = bytes.indexOf(NEWLINE, start)) {
    each(bytes.subarray(start, at));
    start = at + 1;
  }
  return bytes.length - start;
}

/**
 * The batch of a whole file in memory, of either version (for small files and tests; the replay
 * streams with `readDlqFile`).
 */
export function decodeDlqFile(bytes: Uint8Array): Batch {
  const newline = bytes.subarray(0, HEADER_MAX_BYTES + 1).indexOf(NEWLINE);
  const header = newline === -1 ? undefined : v2Header(bytes.subarray(0, newline));
  if (header === undefined) return decodeV1(bytes);
  const lines = new V2Lines(header);
  const batch: Batch = { resources: [], spans: [], logs: [] };
  const trailing = eachLine(bytes, newline + 1, (line) => {
    const record = lines.next(line);
    if (record?.kind === "resource") batch.resources.push(record.row);
    else if (record?.kind === "span") batch.spans.push(record.row);
    else if (record?.kind === "log") batch.logs.push(record.row);
    else if (record?.kind === "metric") (batch.metrics ??= []).push(record.row);
  });
  lines.finish(trailing);
  return batch;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * The rows of the DLQ file `file` (opened for reading, at its start), in file order. A version-2
 * file is streamed: one read buffer and one line are held at a time. Anything else is read whole
 * and decoded as version 1 (which also names the problem of a file that is neither), so the caller
 * must have checked its size. Reading stops with `InvalidDlqFileError` past `maxBytes` (a file
 * that grew after the caller's check), and at the first invalid line, after the records before
 * it were given: the caller decides what to do with a partly read file. Errors of the file
 * system are thrown as they are.
 */
export async function* readDlqFile(
  file: Deno.FsFile,
  maxBytes: number,
): AsyncGenerator<DlqRecord, void, undefined> {
  let total = 0;
  const read = async (): Promise<Uint8Array | undefined> => {
    const buffer = new Uint8Array(READ_BYTES);
    const n = await file.read(buffer);
    if (n === null) return undefined;
    total += n;
    if (total > maxBytes) {
      throw new InvalidDlqFileError(
        `the file grew past ${maxBytes} bytes (DLQ_MAX_FILE_BYTES) while it was read`,
      );
    }
    return buffer.subarray(0, n);
  };

  // The head: up to the first newline, or enough bytes to know there is none in a header.
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let newline = -1;
  let atEnd = false;
  while (newline === -1 && headBytes <= HEADER_MAX_BYTES) {
    const chunk = await read();
    if (chunk === undefined) {
      atEnd = true;
      break;
    }
    const at = chunk.indexOf(NEWLINE);
    if (at !== -1) newline = headBytes + at;
    head.push(chunk);
    headBytes += chunk.length;
  }
  let bytes = concat(head);
  const header = newline === -1 || newline > HEADER_MAX_BYTES
    ? undefined
    : v2Header(bytes.subarray(0, newline));

  if (header === undefined) {
    // Version 1, or no Argus file at all: the whole file, whose size the caller bounded.
    const rest: Uint8Array[] = [bytes];
    for (let chunk = atEnd ? undefined : await read(); chunk; chunk = await read()) {
      rest.push(chunk);
    }
    const batch = decodeV1(concat(rest));
    for (const row of batch.resources) yield { kind: "resource", row, bytes: 0 };
    for (const row of batch.spans) yield { kind: "span", row, bytes: 0 };
    for (const row of batch.logs) yield { kind: "log", row, bytes: 0 };
    return;
  }

  const lines = new V2Lines(header);
  let start = newline + 1;
  /** A line begun in an earlier read, waiting for its `\n`. */
  let pending: Uint8Array[] = [];
  for (;;) {
    let at = bytes.indexOf(NEWLINE, start);
    while (at !== -1) {
      const piece = bytes.subarray(start, at);
      const record = lines.next(pending.length > 0 ? concat([...pending, piece]) : piece);
      pending = [];
      start = at + 1;
      if (record !== undefined) yield record;
      at = bytes.indexOf(NEWLINE, start);
    }
    if (start < bytes.length) pending.push(bytes.subarray(start));
    const chunk = await read();
    if (chunk === undefined) break;
    bytes = chunk;
    start = 0;
  }
  lines.finish(pending.reduce((sum, part) => sum + part.length, 0));
}
