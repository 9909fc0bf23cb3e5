/**
 * The file format of the dead-letter queue: how a batch becomes the bytes of one or more files, and
 * how a file becomes rows again without holding it whole.
 *
 * Version 2 (written since issue 11), JSON lines, each line ending in `\n`:
 *
 * ```
 * {"format":"argus-dlq","version":2,"createdAt":"2026-11-26T10:00:00.000Z"}
 * {"resource":{"id":"…","serviceName":"…",…}}          resources first, each once
 * {"span":{"traceId":"…",…,"startTimeUnixNano":"1795687200000000000",…}}
 * {"log":{"id":"…",…}}
 * {"end":{"resources":1,"spans":1,"logs":1}}
 * ```
 *
 * A row line holds exactly the fields of `ResourceRow`, `SpanRow` or `LogRow`; int64 nanosecond
 * times are decimal strings (a JSON number loses precision past 2^53). A span or log line may also
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
import { errorMessage } from "../utils/errors.ts";

export const DLQ_FORMAT = "argus-dlq";
/** The version `encodeDlqFiles` writes. */
export const DLQ_VERSION = 2;
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
: never;
/** Every field of a row with its kind; typed so that a field added to a row type fails here. */
type Fields<Row> = { readonly [K in keyof Row]-?: FieldKind<Row[K]> };

const RESOURCE_FIELDS: Fields<ResourceRow> = {
  id: "text",
  serviceName: "text",
  attributes: "text",
  droppedAttributesCount: "number",
  schemaUrl: "text",
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
};

/** One row of a file, in file order. `bytes` is its line's length (0 for version 1). */
export type DlqRecord =
  | { kind: "resource"; row: ResourceRow; bytes: number }
  | { kind: "span"; row: SpanRow; bytes: number }
  | { kind: "log"; row: LogRow; bytes: number };

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
    if (!Object.hasOwn(value, key)) throw new InvalidDlqFileError(`${where}.${key} is missing`);
    const field = value[key];
    if (kind === "time") {
      if (typeof field !== "string" || !DECIMAL.test(field) || BigInt(field) > INT64_MAX) {
        throw new InvalidDlqFileError(
          `${where}.${key} must be a decimal string of an integer from 0 to 2^63-1: ` +
            `current value is ${describe(field)}`,
        );
      }
      row[key] = BigInt(field);
    } else if (kind === "number" ? typeof field !== "number" : typeof field !== "string") {
      throw new InvalidDlqFileError(
        `${where}.${key} must be ${kind === "number" ? "a number" : "a string"}: ` +
          `current value is ${describe(field)}`,
      );
    } else {
      row[key] = field;
    }
  }
  return row as Row;
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
}

/** The first line of a version-2 file. */
export function headerLine(createdAt: Date): string {
  return `${
    JSON.stringify({ format: DLQ_FORMAT, version: DLQ_VERSION, createdAt: createdAt.toISOString() })
  }\n`;
}

/** The last line of a version-2 file. */
export function endLine(counts: DlqCounts): string {
  return `${
    JSON.stringify({ end: { resources: counts.resources, spans: counts.spans, logs: counts.logs } })
  }\n`;
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
  const endReserve = endLine({
    resources: batch.resources.length,
    spans: batch.spans.length,
    logs: batch.logs.length,
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
    bytes: number;
  }
  const plans: Plan[] = [];
  const fresh = (): Plan => ({
    resourceIds: [],
    spans: [],
    logs: [],
    bytes: header.length + endReserve,
  });
  let plan = fresh();
  const add = (kind: "span" | "log", index: number, resourceId: string, line: Uint8Array) => {
    const resource = resources.get(resourceId);
    const needed = () =>
      (resource === undefined || plan.resourceIds.includes(resourceId) ? 0 : resource.length) +
      line.length;
    if (plan.spans.length + plan.logs.length > 0 && plan.bytes + needed() > maxFileBytes) {
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
    (kind === "span" ? plan.spans : plan.logs).push(line);
    plan.bytes += line.length;
  };
  for (const [i, span] of batch.spans.entries()) {
    add("span", i, span.resourceId, encoder.encode(spanLine(span, undefined, `spans[${i}]`)));
  }
  for (const [i, log] of batch.logs.entries()) {
    add("log", i, log.resourceId, encoder.encode(logLine(log, undefined, `logs[${i}]`)));
  }
  plans.push(plan);

  return plans.map((p) => {
    const end = encoder.encode(endLine({
      resources: p.resourceIds.length,
      spans: p.spans.length,
      logs: p.logs.length,
    }));
    const parts = [header, ...p.resourceIds.map((id) => resources.get(id)!), ...p.spans, ...p.logs];
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
    `the file has format version ${describe(version)}: this Argus reads versions 1 and 2`,
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
  if (header.version !== DLQ_VERSION) throw wrongVersion(header.version);
  return header;
}

/** Decodes the lines after a version-2 header, one at a time. */
class V2Lines {
  #line = 1;
  #ended = false;
  readonly #counts: DlqCounts = { resources: 0, spans: 0, logs: 0 };

  constructor(header: Record<string, unknown>) {
    checkKeys(header, V2_HEADER_KEYS, "the header (line 1)");
    checkCreatedAt(header.createdAt);
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
      checkKeys(end, END_KEYS, `${where}: end`);
      for (const key of END_KEYS) {
        if (end[key] !== this.#counts[key]) {
          throw new InvalidDlqFileError(
            `${where}: the end line counts ${describe(end.resources)} resources, ` +
              `${describe(end.spans)} spans and ${describe(end.logs)} logs but the file holds ` +
              `${this.#counts.resources}, ${this.#counts.spans} and ${this.#counts.logs}`,
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
    const kind = Object.hasOwn(value, "span") ? "span" : Object.hasOwn(value, "log") ? "log" : "";
    if (kind === "") {
      throw new InvalidDlqFileError(
        `${where} must hold one of "resource", "span", "log" or "end": it has ${
          Object.keys(value).map((k) => `"${k}"`).join(", ") || "no field"
        }`,
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
