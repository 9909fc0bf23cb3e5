/**
 * The tables as Kysely sees them, the column widths validation enforces, and the one place where
 * domain rows (camelCase, bigint times) are converted to and from database rows.
 *
 * @module
 */
import type { BodyType, LogRow, ResourceRow, SpanRow, StoredLog, StoredSpan } from "./types.ts";
import { type RollupDelta, type RollupTable, withHourly } from "./rollups.ts";
import { SERVICE_NAME_WIDTH } from "../utils/text_prefix.ts";

/** An int64 as drivers return it: bigint (SQLite), string (pg, mysql2, tedious) or number. */
type Int64 = bigint | string | number;
/** An int32 as drivers return it (SQLite returns bigint when it reads integers as bigint). */
type Int32 = number | bigint;

export interface ResourcesTable {
  id: string;
  service_name: string;
  attributes: string;
  dropped_attributes_count: Int32;
  schema_url: string;
  /** JSON text, "" when none (migration 2026_12_16_otlp_fidelity). */
  entity_refs: string;
  /** JSON text, "" when none (store/long_text.ts; migration 2026_12_17_long_text). */
  long_text: string;
}

export interface SpansTable {
  trace_id: string;
  span_id: string;
  parent_span_id: string;
  trace_state: string;
  name: string;
  kind: Int32;
  start_time_unix_nano: Int64;
  end_time_unix_nano: Int64;
  duration_ns: Int64;
  status_code: Int32;
  status_message: string;
  service_name: string;
  resource_id: string;
  scope_name: string;
  scope_version: string;
  scope_attributes: string;
  attributes: string;
  events: string;
  links: string;
  dropped_attributes_count: Int32;
  dropped_events_count: Int32;
  dropped_links_count: Int32;
  flags: Int64;
  scope_schema_url: string;
  scope_dropped_attributes_count: Int32;
  /** JSON text, "" when none (store/long_text.ts; migration 2026_12_17_long_text). */
  long_text: string;
}

export interface LogsTable {
  id: string;
  time_unix_nano: Int64;
  observed_time_unix_nano: Int64;
  severity_number: Int32;
  severity_text: string;
  body: string;
  body_type: string;
  event_name: string;
  trace_id: string;
  span_id: string;
  flags: Int64;
  service_name: string;
  resource_id: string;
  scope_name: string;
  scope_version: string;
  scope_attributes: string;
  attributes: string;
  dropped_attributes_count: Int32;
  scope_schema_url: string;
  scope_dropped_attributes_count: Int32;
  /** 1 when the SDK sent no time: `time_unix_nano` is then the observed or arrival time. */
  time_unset: Int32;
  /** JSON text, "" when none (store/long_text.ts; migration 2026_12_17_long_text). */
  long_text: string;
}

/** Rollup tables (see rollups.ts); `minute` is the Unix minute, floor(ns / 60e9). */
export interface SpanRollupsTable {
  minute: Int64;
  service_name: string;
  operation: string;
  entry: Int32;
  spans: Int64;
  errors: Int64;
  roots: Int64;
  root_errors: Int64;
  duration_sum_ns: Int64;
}

export interface LatencyRollupsTable {
  minute: Int64;
  service_name: string;
  bucket: Int32;
  spans: Int64;
}

export interface OperationLatencyRollupsTable {
  minute: Int64;
  service_name: string;
  operation: string;
  bucket: Int32;
  spans: Int64;
}

export interface LogRollupsTable {
  minute: Int64;
  service_name: string;
  severity_number: Int32;
  logs: Int64;
}

export interface EdgeRollupsTable {
  minute: Int64;
  caller: string;
  callee: string;
  calls: Int64;
  errors: Int64;
  duration_sum_ns: Int64;
}

/** One row per trace (trace_summaries.ts), recomputed from its spans at each write. */
export interface TraceSummariesTable {
  trace_id: string;
  start_time_unix_nano: Int64;
  end_time_unix_nano: Int64;
  duration_ns: Int64;
  span_count: Int64;
  error_count: Int64;
  /** 1 when error_count > 0. */
  failed: Int32;
  root_service: string;
  root_name: string;
  /** The trace's distinct span names between separators (span_names.ts); NULL: too many. */
  span_names: string | null;
}

/** One row per trace and service of its spans, with the trace's start and failure. */
export interface TraceServicesTable {
  trace_id: string;
  service_name: string;
  start_time_unix_nano: Int64;
  failed: Int32;
}

/**
 * The attribute index (attribute_index.ts): `bucket` is the row's time in 10-minute units, `h`
 * hashes an attribute's key and value; the id is empty in a (bucket, h)'s overflow row.
 */
export interface SpanAttributesTable {
  bucket: number;
  h: Int64;
  trace_id: string;
}

export interface LogAttributesTable {
  bucket: number;
  h: Int64;
  log_id: string;
}

/** Per signal, the time from which rows are in the attribute index, and its keys setting. */
export interface AttributeIndexStateTable {
  signal_name: string;
  indexed_from_ns: Int64;
  /** JSON of the keys setting (attribute_index.ts `keysText`). */
  index_keys: string;
}

/**
 * Metrics (migration 2026_12_11_metrics.ts; rows converted in metric_columns.ts). Seen times are
 * Unix nanoseconds of points: `first_seen` the earliest written, `last_seen` at most
 * metric_columns.ts `LAST_SEEN_SLACK_NS` before the latest.
 */
export interface MetricInstrumentsTable {
  key: string;
  resource_id: string;
  service_name: string;
  scope_name: string;
  scope_version: string;
  scope_attributes: string;
  name: string;
  description: string;
  unit: string;
  type: string;
  temporality: string;
  monotonic: Int32;
  /** Migration 2026_12_18_metric_fidelity. */
  scope_schema_url: string;
  scope_dropped_attributes_count: Int32;
  /** JSON text, "" when none (store/long_text.ts; migration 2026_12_17_long_text). */
  long_text: string;
  first_seen_unix_nano: Int64;
  last_seen_unix_nano: Int64;
}

export interface MetricSeriesTable {
  series_key: string;
  instrument_key: string;
  attributes: string;
  dropped_attributes_count: Int32;
  first_seen_unix_nano: Int64;
  last_seen_unix_nano: Int64;
}

export interface MetricPointsTable {
  /** The series' instrument: the key's first column (migration 2026_12_13). */
  instrument_key: string;
  series_key: string;
  time_unix_nano: Int64;
  start_time_unix_nano: Int64;
  flags: Int32;
  /** metric_columns.ts `POINT_KINDS`. */
  kind: Int32;
  int_value: Int64 | null;
  double_value: number | null;
  count_value: Int64 | null;
  sum_value: number | null;
  /** JSON text of what the columns do not hold (metric_columns.ts), or "". */
  data: string;
}

export interface MetricExemplarsTable {
  series_key: string;
  point_time_unix_nano: Int64;
  point_start_unix_nano: Int64;
  /** The exemplar's position in its point. */
  ordinal: Int32;
  time_unix_nano: Int64;
  /** 1: int64 in `value` as decimal; 2: a double in `value` as JS writes it (NaN, Infinity). */
  value_kind: Int32;
  value: string;
  trace_id: string;
  span_id: string;
  filtered_attributes: string;
  dropped_attributes_count: Int32;
}

/**
 * A series' points rolled up per bucket of `level_seconds` (migration
 * 2026_12_12_metric_rollups.ts; store/metric_rollups.ts): a point's columns plus its aggregate.
 */
export interface MetricRollupPointsTable extends Omit<MetricPointsTable, "instrument_key"> {
  /** 60, 600 or 3600. */
  level_seconds: Int32;
  /** The aggregate of a gauge-shaped rolled point (all null when it has none). */
  agg_count: Int64 | null;
  agg_sum: number | null;
  agg_min: number | null;
  agg_max: number | null;
}

/** A series' 60 s bucket (its start, Unix ns) that got a point after its rollups were built. */
export interface MetricRollupMarksTable {
  series_key: string;
  bucket_unix_nano: Int64;
}

/** Per level: every bucket ending at or before `done_until_unix_nano` is built. */
export interface MetricRollupStateTable {
  level_seconds: Int32;
  done_until_unix_nano: Int64;
}

export interface Database {
  metric_rollup_points: MetricRollupPointsTable;
  metric_rollup_marks: MetricRollupMarksTable;
  metric_rollup_state: MetricRollupStateTable;
  metric_instruments: MetricInstrumentsTable;
  metric_series: MetricSeriesTable;
  metric_points: MetricPointsTable;
  metric_exemplars: MetricExemplarsTable;
  span_attributes: SpanAttributesTable;
  log_attributes: LogAttributesTable;
  attribute_index_state: AttributeIndexStateTable;
  trace_summaries: TraceSummariesTable;
  trace_services: TraceServicesTable;
  resources: ResourcesTable;
  spans: SpansTable;
  logs: LogsTable;
  span_rollups: SpanRollupsTable;
  latency_rollups: LatencyRollupsTable;
  log_rollups: LogRollupsTable;
  edge_rollups: EdgeRollupsTable;
  span_rollups_hourly: SpanRollupsTable;
  latency_rollups_hourly: LatencyRollupsTable;
  log_rollups_hourly: LogRollupsTable;
  edge_rollups_hourly: EdgeRollupsTable;
  operation_latency_rollups: OperationLatencyRollupsTable;
  operation_latency_rollups_hourly: OperationLatencyRollupsTable;
}

/** Rollup rows ready for the database, by table (minute and hourly tiers). */
export type DbRollups = { [T in RollupTable]: Database[T][] };

/**
 * A rollup delta as rows of every tier, with int64 sums (`duration_sum_ns`) bound the way the
 * driver takes them.
 */
export function rollupsToDb(delta: RollupDelta, int64: Int64Param): DbRollups {
  const tiered = withHourly(delta);
  const bind = (rows: Record<string, unknown>[]) =>
    rows.map((r) =>
      typeof r.duration_sum_ns === "bigint"
        ? { ...r, duration_sum_ns: int64(r.duration_sum_ns) }
        : r
    );
  return Object.fromEntries(
    Object.entries(tiered).map(([table, rows]) => [table, bind(rows)]),
  ) as unknown as DbRollups;
}

/** The primary key of each table: the identity that makes a write idempotent. */
export const TABLE_KEYS = {
  resources: ["id"],
  spans: ["trace_id", "span_id"],
  logs: ["id"],
  span_attributes: ["bucket", "h", "trace_id"],
  log_attributes: ["bucket", "h", "log_id"],
  metric_instruments: ["key"],
  metric_series: ["series_key"],
  metric_points: ["instrument_key", "time_unix_nano", "series_key", "start_time_unix_nano"],
  metric_exemplars: ["series_key", "point_time_unix_nano", "point_start_unix_nano", "ordinal"],
  metric_rollup_marks: ["series_key", "bucket_unix_nano"],
  metric_rollup_state: ["level_seconds"],
} as const satisfies {
  [T in InsertTable]: readonly (keyof Database[T] & string)[];
};

/** The tables written with insert-if-absent, keyed by TABLE_KEYS. */
export type InsertTable =
  | "resources"
  | "spans"
  | "logs"
  | "span_attributes"
  | "log_attributes"
  | "metric_instruments"
  | "metric_series"
  | "metric_points"
  | "metric_exemplars"
  | "metric_rollup_marks"
  | "metric_rollup_state";

/**
 * Widths (in UTF-16 code units, the strictest of the four databases' measures) of the bounded
 * columns, as created by the migrations.
 */
export const COLUMN_WIDTHS = {
  serviceName: SERVICE_NAME_WIDTH,
  name: 1024,
  scopeName: 1024,
  scopeVersion: 256,
  severityText: 128,
  eventName: 1024,
  /** Metric instrument name and unit (OpenTelemetry allows 255 and 63 characters). */
  metricName: 256,
  metricUnit: 256,
} as const;

/** How an int64 is handed to the driver: SQLite takes bigint, the others a decimal string. */
export type Int64Param = (value: bigint) => bigint | string;

export function resourceToDb(row: ResourceRow): ResourcesTable {
  return {
    id: row.id,
    service_name: row.serviceName,
    attributes: row.attributes,
    dropped_attributes_count: row.droppedAttributesCount,
    schema_url: row.schemaUrl,
    entity_refs: row.entityRefs,
    long_text: row.longText,
  };
}

export function spanToDb(row: SpanRow, int64: Int64Param): SpansTable {
  return {
    trace_id: row.traceId,
    span_id: row.spanId,
    parent_span_id: row.parentSpanId,
    trace_state: row.traceState,
    name: row.name,
    kind: row.kind,
    start_time_unix_nano: int64(row.startTimeUnixNano),
    end_time_unix_nano: int64(row.endTimeUnixNano),
    duration_ns: int64(spanDurationNs(row)),
    status_code: row.statusCode,
    status_message: row.statusMessage,
    service_name: row.serviceName,
    resource_id: row.resourceId,
    scope_name: row.scopeName,
    scope_version: row.scopeVersion,
    scope_attributes: row.scopeAttributes,
    attributes: row.attributes,
    events: row.events,
    links: row.links,
    dropped_attributes_count: row.droppedAttributesCount,
    dropped_events_count: row.droppedEventsCount,
    dropped_links_count: row.droppedLinksCount,
    flags: int64(BigInt(row.flags)),
    scope_schema_url: row.scopeSchemaUrl,
    scope_dropped_attributes_count: row.scopeDroppedAttributesCount,
    long_text: row.longText,
  };
}

/** A value bound to a statement parameter by the SQLite writer. */
export type SqlValue = string | number | bigint;

/** The spans table's columns in the order of `spanToDb`'s keys and of `pushSpanValues`. */
export const SPAN_COLUMNS: readonly (keyof SpansTable)[] = [
  "trace_id",
  "span_id",
  "parent_span_id",
  "trace_state",
  "name",
  "kind",
  "start_time_unix_nano",
  "end_time_unix_nano",
  "duration_ns",
  "status_code",
  "status_message",
  "service_name",
  "resource_id",
  "scope_name",
  "scope_version",
  "scope_attributes",
  "attributes",
  "events",
  "links",
  "dropped_attributes_count",
  "dropped_events_count",
  "dropped_links_count",
  "flags",
  "scope_schema_url",
  "scope_dropped_attributes_count",
  "long_text",
];

/**
 * `spanToDb(row)`'s values, in SPAN_COLUMNS order, appended to `out`: what the SQLite writer
 * thread binds. Written out rather than read from a `SpansTable` object, whose allocation and
 * generic read-back cost about 1 µs per span on the ingest hot path (columns_test.ts keeps the
 * two in agreement).
 */
export function pushSpanValues(out: SqlValue[], row: SpanRow, int64: Int64Param): void {
  out.push(
    row.traceId,
    row.spanId,
    row.parentSpanId,
    row.traceState,
    row.name,
    row.kind,
    int64(row.startTimeUnixNano),
    int64(row.endTimeUnixNano),
    int64(spanDurationNs(row)),
    row.statusCode,
    row.statusMessage,
    row.serviceName,
    row.resourceId,
    row.scopeName,
    row.scopeVersion,
    row.scopeAttributes,
    row.attributes,
    row.events,
    row.links,
    row.droppedAttributesCount,
    row.droppedEventsCount,
    row.droppedLinksCount,
    int64(BigInt(row.flags)),
    row.scopeSchemaUrl,
    row.scopeDroppedAttributesCount,
    row.longText,
  );
}

/** A span's duration; an end before the start (clock skew in the SDK) counts as zero. */
export function spanDurationNs(row: SpanRow): bigint {
  const duration = row.endTimeUnixNano - row.startTimeUnixNano;
  return duration > 0n ? duration : 0n;
}

export function logToDb(row: LogRow, int64: Int64Param): LogsTable {
  return {
    id: row.id,
    time_unix_nano: int64(row.timeUnixNano),
    observed_time_unix_nano: int64(row.observedTimeUnixNano),
    severity_number: row.severityNumber,
    severity_text: row.severityText,
    body: row.body,
    body_type: row.bodyType,
    event_name: row.eventName,
    trace_id: row.traceId,
    span_id: row.spanId,
    flags: int64(BigInt(row.flags)),
    service_name: row.serviceName,
    resource_id: row.resourceId,
    scope_name: row.scopeName,
    scope_version: row.scopeVersion,
    scope_attributes: row.scopeAttributes,
    attributes: row.attributes,
    dropped_attributes_count: row.droppedAttributesCount,
    scope_schema_url: row.scopeSchemaUrl,
    scope_dropped_attributes_count: row.scopeDroppedAttributesCount,
    time_unset: row.timeUnset ? 1 : 0,
    long_text: row.longText,
  };
}

/** The logs table's columns in the order of `logToDb`'s keys and of `pushLogValues`. */
export const LOG_COLUMNS: readonly (keyof LogsTable)[] = [
  "id",
  "time_unix_nano",
  "observed_time_unix_nano",
  "severity_number",
  "severity_text",
  "body",
  "body_type",
  "event_name",
  "trace_id",
  "span_id",
  "flags",
  "service_name",
  "resource_id",
  "scope_name",
  "scope_version",
  "scope_attributes",
  "attributes",
  "dropped_attributes_count",
  "scope_schema_url",
  "scope_dropped_attributes_count",
  "time_unset",
  "long_text",
];

/** `logToDb(row)`'s values, in LOG_COLUMNS order, appended to `out` (see `pushSpanValues`). */
export function pushLogValues(out: SqlValue[], row: LogRow, int64: Int64Param): void {
  out.push(
    row.id,
    int64(row.timeUnixNano),
    int64(row.observedTimeUnixNano),
    row.severityNumber,
    row.severityText,
    row.body,
    row.bodyType,
    row.eventName,
    row.traceId,
    row.spanId,
    int64(BigInt(row.flags)),
    row.serviceName,
    row.resourceId,
    row.scopeName,
    row.scopeVersion,
    row.scopeAttributes,
    row.attributes,
    row.droppedAttributesCount,
    row.scopeSchemaUrl,
    row.scopeDroppedAttributesCount,
    row.timeUnset ? 1 : 0,
    row.longText,
  );
}

function int64(value: Int64): bigint {
  return typeof value === "bigint" ? value : BigInt(value);
}

function int32(value: Int32 | Int64): number {
  return Number(value);
}

/** Resource columns as selected beside a span, log or instrument, prefixed to avoid name clashes. */
export interface ResourceJoinColumns {
  r_service_name: string;
  r_attributes: string;
  r_dropped_attributes_count: Int32;
  r_schema_url: string;
  r_entity_refs: string;
  r_long_text: string;
}

/** The resource of id `id` from its columns joined beside a row (`RESOURCE_COLUMNS`). */
export function resourceFromJoin(id: string, row: ResourceJoinColumns): ResourceRow {
  return {
    id,
    serviceName: row.r_service_name,
    attributes: row.r_attributes,
    droppedAttributesCount: int32(row.r_dropped_attributes_count),
    schemaUrl: row.r_schema_url,
    entityRefs: row.r_entity_refs,
    longText: row.r_long_text,
  };
}

export function spanFromDb(row: SpansTable & ResourceJoinColumns): StoredSpan {
  return {
    traceId: row.trace_id,
    spanId: row.span_id,
    parentSpanId: row.parent_span_id,
    traceState: row.trace_state,
    name: row.name,
    kind: int32(row.kind),
    startTimeUnixNano: int64(row.start_time_unix_nano),
    endTimeUnixNano: int64(row.end_time_unix_nano),
    statusCode: int32(row.status_code),
    statusMessage: row.status_message,
    resourceId: row.resource_id,
    serviceName: row.service_name,
    scopeName: row.scope_name,
    scopeVersion: row.scope_version,
    scopeAttributes: row.scope_attributes,
    attributes: row.attributes,
    events: row.events,
    links: row.links,
    droppedAttributesCount: int32(row.dropped_attributes_count),
    droppedEventsCount: int32(row.dropped_events_count),
    droppedLinksCount: int32(row.dropped_links_count),
    flags: int32(row.flags),
    scopeSchemaUrl: row.scope_schema_url,
    scopeDroppedAttributesCount: int32(row.scope_dropped_attributes_count),
    longText: row.long_text,
    resource: resourceFromJoin(row.resource_id, row),
  };
}

export function logFromDb(row: LogsTable & ResourceJoinColumns): StoredLog {
  return {
    id: row.id,
    timeUnixNano: int64(row.time_unix_nano),
    timeUnset: int32(row.time_unset) === 1,
    observedTimeUnixNano: int64(row.observed_time_unix_nano),
    severityNumber: int32(row.severity_number),
    severityText: row.severity_text,
    body: row.body,
    bodyType: row.body_type as BodyType,
    eventName: row.event_name,
    traceId: row.trace_id,
    spanId: row.span_id,
    flags: int32(row.flags),
    resourceId: row.resource_id,
    serviceName: row.service_name,
    scopeName: row.scope_name,
    scopeVersion: row.scope_version,
    scopeAttributes: row.scope_attributes,
    attributes: row.attributes,
    droppedAttributesCount: int32(row.dropped_attributes_count),
    scopeSchemaUrl: row.scope_schema_url,
    scopeDroppedAttributesCount: int32(row.scope_dropped_attributes_count),
    longText: row.long_text,
    resource: resourceFromJoin(row.resource_id, row),
  };
}
