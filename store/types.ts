/**
 * Domain types of the store: rows as the rest of Argus hands them in and gets them back.
 *
 * Times are int64 nanoseconds since the Unix epoch, kept as `bigint` end to end (a JS number loses
 * precision past 2^53 ns, i.e. any real timestamp); they become strings or RFC 3339 only at the
 * API edge. Attribute-like fields (attributes, events, links, scope attributes, resource
 * attributes, non-string log bodies) are JSON text whose encoding belongs to ingest: the store
 * keeps them byte for byte and never parses them.
 *
 * @module
 */
import type { TextQuery } from "../utils/text_query.ts";
import type { MetricPointRow } from "./metric_types.ts";

/** A resource (the emitting process) stored once and referenced by its spans and logs. */
export interface ResourceRow {
  /** Deterministic id from `resourceId()`: the same resource always gets the same id. */
  id: string;
  serviceName: string;
  /** JSON text. */
  attributes: string;
  droppedAttributesCount: number;
  schemaUrl: string;
  /**
   * OTLP's `Resource.entity_refs` as JSON text, `[{"type", "id_keys", "description_keys",
   * "schema_url"}, …]` in the order sent; "" when there are none.
   */
  entityRefs: string;
  /** The texts longer than their columns, whole (store/long_text.ts); "" when none. */
  longText: string;
}

/** Fields of the instrumentation scope, repeated on each row (small, and rarely shared). */
export interface ScopeFields {
  scopeName: string;
  scopeVersion: string;
  /** JSON text. */
  scopeAttributes: string;
}

/**
 * The scope's fields that are not part of a record's identity (store/ids.ts `logId`): kept and
 * returned, but two records that differ only in them are the same record.
 */
export interface ScopeExtraFields {
  /** `ScopeSpans.schema_url` / `ScopeLogs.schema_url`. */
  scopeSchemaUrl: string;
  /** `InstrumentationScope.dropped_attributes_count`. */
  scopeDroppedAttributesCount: number;
}

export interface SpanRow extends ScopeFields, ScopeExtraFields {
  /** 32 lower-case hex characters. */
  traceId: string;
  /** 16 lower-case hex characters. */
  spanId: string;
  /** 16 lower-case hex characters, or "" for a root span. */
  parentSpanId: string;
  traceState: string;
  name: string;
  /** OTLP SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage: string;
  /** `ResourceRow.id` of the emitting resource. */
  resourceId: string;
  /** Copied from the resource so that per-service queries use an index on the spans table. */
  serviceName: string;
  /** JSON text. */
  attributes: string;
  /** JSON text. */
  events: string;
  /** JSON text. */
  links: string;
  droppedAttributesCount: number;
  droppedEventsCount: number;
  droppedLinksCount: number;
  /** OTLP span flags (W3C trace flags in the low byte). */
  flags: number;
  /** The texts longer than their columns, whole (store/long_text.ts); "" when none. */
  longText: string;
}

/** How a log body is stored: a string body verbatim, any other kind as JSON text. */
export const BODY_TYPES = [
  "empty",
  "string",
  "bool",
  "int",
  "double",
  "bytes",
  "array",
  "kvlist",
] as const;
export type BodyType = typeof BODY_TYPES[number];

export interface LogRow extends ScopeFields, ScopeExtraFields {
  /** Deterministic id from `logId()`, so a retried or replayed record is stored once. */
  id: string;
  /**
   * The time the record is listed and paged at: its time, or when the SDK left that unset
   * (`timeUnset`), its observed time, or when it sent neither, its arrival.
   */
  timeUnixNano: bigint;
  /** The SDK sent no time (`time_unix_nano` 0): the API answers 0 as its time. */
  timeUnset: boolean;
  observedTimeUnixNano: bigint;
  /** OTLP SeverityNumber, 0 (unspecified) to 24 (fatal4). */
  severityNumber: number;
  severityText: string;
  /** The body: verbatim when `bodyType` is "string", else JSON text ("" when empty). */
  body: string;
  bodyType: BodyType;
  eventName: string;
  /** 32 lower-case hex characters, or "" when the record is not in a trace. */
  traceId: string;
  /** 16 lower-case hex characters, or "". */
  spanId: string;
  flags: number;
  resourceId: string;
  serviceName: string;
  /** JSON text. */
  attributes: string;
  droppedAttributesCount: number;
  /** The texts longer than their columns, whole (store/long_text.ts); "" when none. */
  longText: string;
}

/** Everything one write commits together in one transaction. */
export interface Batch {
  resources: ResourceRow[];
  spans: SpanRow[];
  logs: LogRow[];
  /**
   * Metric data points, each with its instrument (metric_types.ts); their resources are in
   * `resources`. Optional: batches of traces and logs (and DLQ files of version 1 and 2) have none.
   */
  metrics?: MetricPointRow[];
}

/** An item refused by validation or by the database, with a reason naming the problem. */
export interface Rejection {
  /** Index of the item in the batch's `spans`, `logs` or `metrics` array. */
  index: number;
  reason: string;
}

export interface SignalWriteResult {
  /** Rows newly stored. */
  inserted: number;
  /** Rows skipped because the same key was already stored (retries, replays). */
  duplicates: number;
  rejected: Rejection[];
}

export interface WriteResult {
  spans: SignalWriteResult;
  logs: SignalWriteResult;
  /** Metric data points; left out by writers of batches that had none. */
  metrics?: SignalWriteResult;
}

/** A span as read back: the row plus its resource. */
export interface StoredSpan extends SpanRow {
  resource: ResourceRow;
}

/** A log record as read back: the row plus its resource. */
export interface StoredLog extends LogRow {
  resource: ResourceRow;
}

/** A half-open time window [startNs, endNs) in Unix nanoseconds. */
export interface TimeWindow {
  startNs: bigint;
  endNs: bigint;
}

export interface Page {
  limit: number;
  offset: number;
  /** Time order of the results: newest first (default) or oldest first. */
  order?: "asc" | "desc";
}

/** A log record's place in the logs' time order: its time, then its id among records of that nanosecond. */
export interface LogKey {
  timeUnixNano: bigint;
  /** 32 lower-case hex characters. */
  id: string;
}

/**
 * A page of log records: by `offset`, or by keyset: the `limit` records nearest the record `after`
 * (later than it) or `before` (earlier than it), listed in `order` all the same. Exact where
 * offsets are not: records of one nanosecond are told apart by id, so none is skipped or repeated
 * from page to page, and records arriving meanwhile shift nothing.
 */
export interface LogPageQuery extends Page {
  after?: LogKey;
  before?: LogKey;
}

export interface SpanFilter extends TimeWindow {
  serviceName?: string;
  traceId?: string;
}

/** One attribute to match exactly: `key` with a value written as text (`GET`, `200`, `true`). */
export interface AttributeMatch {
  key: string;
  value: string;
}

/**
 * Traces that started in the window (their earliest span did), narrowed by what their spans hold.
 * (Before trace summaries, a trace with any span starting in the window: see `scanTraces`.)
 */
export interface TraceFilter extends TimeWindow {
  /** A span of the trace is from this service. */
  serviceName?: string;
  /** "error": a span of the trace has status ERROR; "ok": none has. */
  status?: "ok" | "error";
  /** A span name of the trace contains this text, ignoring case. */
  search?: string;
  minDurationNs?: bigint;
  maxDurationNs?: bigint;
  /** Each is held by some span of the trace. */
  attributes?: AttributeMatch[];
}

export type TraceSortField = "start_time" | "duration" | "span_count";

/** A trace as listed: figures of all its stored spans. */
export interface TraceSummary {
  traceId: string;
  /** Service and name of the root span; of the earliest span when the root is not stored. */
  rootService: string;
  rootName: string;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  spanCount: number;
  errorCount: number;
  /** Services of its spans, sorted. */
  services: string[];
  /**
   * Services where its errors start (a failing span with no failing child: error_origins.ts),
   * sorted; empty when no span failed.
   */
  errorServices: string[];
}

export interface LogFilter extends TimeWindow {
  serviceName?: string;
  /** Texts the body contains and does not, ignoring case (utils/text_query.ts). */
  search?: TextQuery;
  /** Lowest OTLP SeverityNumber included. */
  minSeverity?: number;
  traceId?: string;
  spanId?: string;
  /** Each is held by the record's attributes (the same matching as the trace list's `attr`). */
  attributes?: AttributeMatch[];
}
