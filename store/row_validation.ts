/**
 * Checks each row before it reaches a database, so that one bad item is refused with a reason
 * and its neighbours are stored. The checks cover what at least one of the four databases would
 * reject or silently alter: NUL characters (PostgreSQL refuses them in text; SQLite truncates the
 * string at the NUL), lone surrogates (not encodable as UTF-8), text over `maxFieldBytes`, and
 * integers outside their column's range. Text wider than its column is not refused: it is cut to
 * the column and kept whole beside it (long_text.ts).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { COLUMN_WIDTHS } from "./columns.ts";
import {
  fitColumns,
  INSTRUMENT_WIDTHS,
  LOG_WIDTHS,
  RESOURCE_WIDTHS,
  SPAN_WIDTHS,
} from "./long_text.ts";
import { prefixOf } from "../utils/text_prefix.ts";
import {
  type Batch,
  BODY_TYPES,
  type LogRow,
  type Rejection,
  type ResourceRow,
  type SpanRow,
} from "./types.ts";
import type { MetricPointRow } from "./metric_types.ts";

/** 0 for the character codes of lower-case hex digits, 1 for every other code below 256. */
const NOT_HEX = new Uint8Array(256).fill(1);
for (const c of "0123456789abcdef") NOT_HEX[c.charCodeAt(0)] = 0;

/**
 * Whether `value` is exactly `chars` lower-case hex digits. A branch-free loop: the digits of a
 * random id mispredict a range test half of the time, and a regular expression cost ~200 ns per
 * id, together a third of screening a span.
 */
function isLowerHex(value: string, chars: number): boolean {
  if (value.length !== chars) return false;
  let bad = 0;
  for (let i = 0; i < chars; i++) {
    const c = value.charCodeAt(i);
    bad |= NOT_HEX[c & 0xff]! | (c >> 8);
  }
  return bad === 0;
}

const INT64_MAX = (1n << 63n) - 1n;

/** Limits that come from configuration rather than from the schema. */
export interface ValidationLimits {
  /** Longest text or JSON value in bytes (UTF-8). */
  maxFieldBytes: number;
}

type Problems = string[];

function checkText(
  problems: Problems,
  field: string,
  value: string,
  limit: { bytes?: number },
): void {
  if (typeof value !== "string") {
    problems.push(`${field} must be text: got ${typeof value}`);
    return;
  }
  // A string of n UTF-16 units takes at most 3n UTF-8 bytes: only long ones need counting.
  if (limit.bytes !== undefined && value.length * 3 > limit.bytes) {
    const bytes = Buffer.byteLength(value, "utf8");
    if (bytes > limit.bytes) {
      problems.push(`${field} must be at most ${limit.bytes} bytes: it has ${bytes}`);
    }
  }
  if (value.includes("\u0000")) {
    problems.push(`${field} must not contain a NUL character (U+0000)`);
  }
  if (!value.isWellFormed()) {
    problems.push(`${field} must be valid Unicode: it contains a lone surrogate`);
  }
}

function checkHex(
  problems: Problems,
  field: string,
  value: string,
  chars: 16 | 32,
  emptyAllowed: boolean,
): void {
  if (emptyAllowed && value === "") return;
  if (typeof value !== "string" || !isLowerHex(value, chars)) {
    problems.push(
      `${field} must be ${chars} lower-case hex characters${emptyAllowed ? " or empty" : ""}: ` +
        `current value is ${JSON.stringify(String(value).slice(0, 80))}`,
    );
  }
}

function checkInt(problems: Problems, field: string, value: number, min: number, max: number) {
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${field} must be an integer from ${min} to ${max}: current value is ${value}`);
  }
}

function checkTime(problems: Problems, field: string, value: bigint): void {
  if (typeof value !== "bigint" || value < 0n || value > INT64_MAX) {
    problems.push(
      `${field} must be a bigint from 0 to 2^63-1 nanoseconds: current value is ${value}`,
    );
  }
}

/**
 * The scope's texts. A name and version longer than their columns are kept whole beside them
 * (long_text.ts).
 */
function checkScope(
  problems: Problems,
  row: Pick<SpanRow, "scopeName" | "scopeVersion" | "scopeAttributes">,
  limits: ValidationLimits,
) {
  const bytes = { bytes: limits.maxFieldBytes };
  checkText(problems, "scope name", row.scopeName, bytes);
  checkText(problems, "scope version", row.scopeVersion, bytes);
  checkText(problems, "scope attributes", row.scopeAttributes, bytes);
}

/** The scope's fields kept beside a span's, record's or metric instrument's name and version. */
function checkScopeExtra(
  problems: Problems,
  row: Pick<SpanRow, "scopeSchemaUrl" | "scopeDroppedAttributesCount">,
  limits: ValidationLimits,
) {
  checkText(problems, "scope schema URL", row.scopeSchemaUrl, { bytes: limits.maxFieldBytes });
  checkInt(
    problems,
    "scope dropped attributes count",
    row.scopeDroppedAttributesCount,
    0,
    2 ** 31 - 1,
  );
}

function verdict(problems: Problems): string | undefined {
  return problems.length === 0 ? undefined : problems.join("; ");
}

/** Returns why a resource cannot be stored, or undefined when it can. */
export function resourceProblem(row: ResourceRow, limits: ValidationLimits): string | undefined {
  const problems: Problems = [];
  checkText(problems, "service.name", row.serviceName, { bytes: limits.maxFieldBytes });
  checkText(problems, "resource attributes", row.attributes, { bytes: limits.maxFieldBytes });
  checkText(problems, "resource schema URL", row.schemaUrl, { bytes: limits.maxFieldBytes });
  checkText(problems, "resource entity refs", row.entityRefs, { bytes: limits.maxFieldBytes });
  checkInt(
    problems,
    "resource dropped attributes count",
    row.droppedAttributesCount,
    0,
    2 ** 31 - 1,
  );
  return verdict(problems);
}

/**
 * Returns why a resource cannot be stored, or undefined when it can and its service name is fitted
 * into its column (long_text.ts).
 */
export function screenResource(row: ResourceRow, limits: ValidationLimits): string | undefined {
  return resourceProblem(row, limits) ?? fitColumns(row, RESOURCE_WIDTHS, limits.maxFieldBytes);
}

/**
 * Fits a valid metric point's instrument into its columns (long_text.ts), in place: its own long
 * texts are kept whole beside them, its copy of the service name only cut (the resource keeps it
 * whole), grouping as a span's does. Returns why the whole texts cannot be kept, else undefined.
 */
export function fitInstrument(row: MetricPointRow, limits: ValidationLimits): string | undefined {
  const instrument = row.instrument;
  instrument.serviceName = prefixOf(instrument.serviceName, COLUMN_WIDTHS.serviceName);
  return fitColumns(instrument, INSTRUMENT_WIDTHS, limits.maxFieldBytes);
}

/**
 * Returns why a metric point cannot be stored, or undefined when it can: the texts its decoder
 * (ingest/otlp/metrics_rows.ts, which checks its values, times and name) leaves to the store's
 * limits.
 */
export function metricPointProblem(
  row: MetricPointRow,
  limits: ValidationLimits,
): string | undefined {
  const problems: Problems = [];
  const bytes = { bytes: limits.maxFieldBytes };
  checkText(problems, "metric name", row.instrument.name, bytes);
  checkText(problems, "metric unit", row.instrument.unit, bytes);
  checkScope(problems, row.instrument, limits);
  checkScopeExtra(problems, row.instrument, limits);
  checkText(problems, "metric description", row.instrument.description, bytes);
  checkText(problems, "attributes", row.attributes, { bytes: limits.maxFieldBytes });
  return verdict(problems);
}

/** Returns why a span cannot be stored, or undefined when it can. */
export function spanProblem(row: SpanRow, limits: ValidationLimits): string | undefined {
  const problems: Problems = [];
  const bytes = { bytes: limits.maxFieldBytes };
  checkHex(problems, "trace_id", row.traceId, 32, false);
  checkHex(problems, "span_id", row.spanId, 16, false);
  checkHex(problems, "parent_span_id", row.parentSpanId, 16, true);
  checkText(problems, "span name", row.name, bytes);
  checkText(problems, "trace state", row.traceState, bytes);
  checkText(problems, "status message", row.statusMessage, bytes);
  checkText(problems, "attributes", row.attributes, bytes);
  checkText(problems, "events", row.events, bytes);
  checkText(problems, "links", row.links, bytes);
  checkText(problems, "service.name", row.serviceName, bytes);
  checkScope(problems, row, limits);
  checkScopeExtra(problems, row, limits);
  checkInt(problems, "kind", row.kind, 0, 5);
  checkInt(problems, "status code", row.statusCode, 0, 2);
  checkInt(problems, "flags", row.flags, 0, 2 ** 32 - 1);
  checkInt(problems, "dropped attributes count", row.droppedAttributesCount, 0, 2 ** 31 - 1);
  checkInt(problems, "dropped events count", row.droppedEventsCount, 0, 2 ** 31 - 1);
  checkInt(problems, "dropped links count", row.droppedLinksCount, 0, 2 ** 31 - 1);
  checkTime(problems, "start time", row.startTimeUnixNano);
  checkTime(problems, "end time", row.endTimeUnixNano);
  return verdict(problems);
}

/** Returns why a log record cannot be stored, or undefined when it can. */
export function logProblem(row: LogRow, limits: ValidationLimits): string | undefined {
  const problems: Problems = [];
  const bytes = { bytes: limits.maxFieldBytes };
  checkHex(problems, "log id", row.id, 32, false);
  checkHex(problems, "trace_id", row.traceId, 32, true);
  checkHex(problems, "span_id", row.spanId, 16, true);
  checkText(problems, "body", row.body, bytes);
  if (!BODY_TYPES.includes(row.bodyType)) {
    problems.push(
      `body type must be one of ${BODY_TYPES.join(", ")}: current value is ${row.bodyType}`,
    );
  }
  checkText(problems, "severity text", row.severityText, bytes);
  checkText(problems, "event name", row.eventName, bytes);
  checkText(problems, "attributes", row.attributes, bytes);
  checkText(problems, "service.name", row.serviceName, bytes);
  checkScope(problems, row, limits);
  checkScopeExtra(problems, row, limits);
  checkInt(problems, "severity number", row.severityNumber, 0, 24);
  checkInt(problems, "flags", row.flags, 0, 2 ** 32 - 1);
  checkInt(problems, "dropped attributes count", row.droppedAttributesCount, 0, 2 ** 31 - 1);
  checkTime(problems, "time", row.timeUnixNano);
  checkTime(problems, "observed time", row.observedTimeUnixNano);
  return verdict(problems);
}

/** A batch split into what can be stored and what cannot, with reasons. */
export interface ScreenedBatch {
  /** Valid items only; resources deduplicated and limited to valid ones. */
  batch: Batch;
  /** Index in the original batch of each span (log) kept in `batch`. */
  spanIndexes: number[];
  logIndexes: number[];
  /** Items refused, by their index in the original batch, in index order. */
  rejected: { spans: Rejection[]; logs: Rejection[] };
}

/**
 * Validates every item of a batch. An item is refused for its own problems or for its resource's
 * (invalid, or missing from the batch). Run by ingest before queueing, so clients learn of
 * refused items at once, and again by the store before writing. Fits each kept row's text into its
 * columns (long_text.ts `fitColumns`), in place.
 */
export function screenBatch(batch: Batch, limits: ValidationLimits): ScreenedBatch {
  const badResources = new Map<string, string>();
  const resources = new Map<string, ResourceRow>();
  for (const resource of batch.resources) {
    const reason = screenResource(resource, limits);
    if (reason !== undefined) badResources.set(resource.id, reason);
    else if (!resources.has(resource.id)) resources.set(resource.id, resource);
  }
  const resourceReason = (id: string): string | undefined => {
    if (resources.has(id)) return undefined;
    const bad = badResources.get(id);
    return bad !== undefined
      ? `its resource cannot be stored: ${bad}`
      : `its resource ${id} is not in the batch`;
  };
  const screened: ScreenedBatch = {
    batch: { resources: [...resources.values()], spans: [], logs: [] },
    spanIndexes: [],
    logIndexes: [],
    rejected: { spans: [], logs: [] },
  };
  batch.spans.forEach((span, index) => {
    const reason = resourceReason(span.resourceId) ?? spanProblem(span, limits) ??
      fitColumns(span, SPAN_WIDTHS, limits.maxFieldBytes);
    if (reason !== undefined) screened.rejected.spans.push({ index, reason });
    else screened.batch.spans.push(span), screened.spanIndexes.push(index);
  });
  batch.logs.forEach((log, index) => {
    const reason = resourceReason(log.resourceId) ?? logProblem(log, limits) ??
      fitColumns(log, LOG_WIDTHS, limits.maxFieldBytes);
    if (reason !== undefined) screened.rejected.logs.push({ index, reason });
    else screened.batch.logs.push(log), screened.logIndexes.push(index);
  });
  return screened;
}
