/**
 * The API's wire shapes and the OTLP vocabularies they use, declared once: the routes that answer
 * them (routes/wire.ts, traces.ts, dashboards.ts, insight.ts) declare these as their return types,
 * so the compiler holds each route to its shape, and the islands, components and utils/ read them
 * with `import type` (the vocabularies as values). Imports nothing, so both sides may import it.
 *
 * @module
 */

/** A JSON value: attribute values and bodies as the API serves them (routes/wire.ts). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * How the API writes attribute values and log bodies (its `values` parameter; docs/api.md, "Value
 * encodings"): `plain` JSON values (the default; some types read alike), or `typed`, OTLP/JSON's
 * AnyValue and KeyValue shapes, which keep every type.
 */
export type ValueForm = "plain" | "typed";

/**
 * An attribute value or body in the typed form: OTLP/JSON's AnyValue, one key naming its type, `{}`
 * when empty. An int is a decimal string; a double a JSON number, but NaN, ±Infinity and -0 are
 * the strings "NaN", "Infinity", "-Infinity" and "-0"; bytes are standard base64.
 */
export type TypedValue =
  | Record<string, never>
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number | "NaN" | "Infinity" | "-Infinity" | "-0" }
  | { bytesValue: string }
  | { arrayValue: { values: TypedValue[] } }
  | { kvlistValue: { values: TypedKeyValue[] } };

/** An entry of a typed attribute map or kvlist: OTLP/JSON's KeyValue. */
export interface TypedKeyValue {
  key: string;
  value: TypedValue;
}

/**
 * An attribute map in form `F`: plain, an object of key → JSON value; typed, a list of KeyValues
 * in stored order.
 */
export type WireAttributes<F extends ValueForm = "plain"> = F extends "typed" ? TypedKeyValue[]
  : Record<string, Json>;

/** An attribute value or log body in form `F`. */
export type WireValue<F extends ValueForm = "plain"> = F extends "typed" ? TypedValue : Json;

/** OTLP span kinds by number, as the API names them. */
export const SPAN_KINDS = ["unspecified", "internal", "server", "client", "producer", "consumer"];
/** OTLP status codes by number, as the API names them. */
export const STATUS_CODES = ["unset", "ok", "error"];
/** Most `attr` filters one request may carry (traces, logs, metric charts; the pages say so). */
export const MAX_ATTRIBUTE_FILTERS = 10;

/**
 * OTLP severities by name: the lowest SeverityNumber of each range (TRACE 1–4, DEBUG 5–8, INFO
 * 9–12, WARN 13–16, ERROR 17–20, FATAL 21–24). Read by the API's `severity` parameter
 * (routes/logs.ts) and the Logs page (utils/log_query.ts), so the two read names alike.
 */
export const SEVERITY_MINIMUMS: Readonly<Record<string, number>> = {
  trace: 1,
  debug: 5,
  info: 9,
  warn: 13,
  error: 17,
  fatal: 21,
};

/** An instrumentation scope. */
export interface WireScope<F extends ValueForm = "plain"> {
  name: string;
  version: string;
  attributes: WireAttributes<F>;
  /** `InstrumentationScope.dropped_attributes_count` (plus any over Argus's attribute limit). */
  dropped_attributes_count: number;
  /** `ScopeSpans.schema_url` / `ScopeLogs.schema_url` / `ScopeMetrics.schema_url`; "" when none. */
  schema_url: string;
}

/** One of `Resource.entity_refs`, as sent. */
export interface WireEntityRef {
  type: string;
  id_keys: string[];
  description_keys: string[];
  schema_url: string;
}

/** The resource's fields beside its attributes (`resource_attributes`). */
export interface WireResource {
  /** `Resource{Spans,Logs,Metrics}.schema_url`; "" when none was sent. */
  schema_url: string;
  /** `Resource.dropped_attributes_count` (plus any over Argus's attribute limit). */
  dropped_attributes_count: number;
  /** `Resource.entity_refs` in the order sent; empty when none. */
  entity_refs: WireEntityRef[];
}

/** An event of a span. */
export interface WireEvent<F extends ValueForm = "plain"> {
  name: string;
  time: string;
  time_unix_nano: string;
  attributes: WireAttributes<F>;
  dropped_attributes_count: number;
}

/** A link of a span to another span. */
export interface WireLink<F extends ValueForm = "plain"> {
  trace_id: string;
  span_id: string;
  trace_state: string;
  attributes: WireAttributes<F>;
  dropped_attributes_count: number;
  flags: number;
}

/** A span of `GET /api/traces/{trace_id}`, its attribute maps in form `F`. */
export interface WireSpan<F extends ValueForm = "plain"> {
  span_id: string;
  parent_span_id: string;
  trace_state: string;
  service_name: string;
  name: string;
  kind: string;
  start_time: string;
  end_time: string;
  start_time_unix_nano: string;
  end_time_unix_nano: string;
  duration_ms: number;
  status_code: string;
  status_message: string;
  attributes: WireAttributes<F>;
  dropped_attributes_count: number;
  resource_attributes: WireAttributes<F>;
  resource: WireResource;
  events: WireEvent<F>[];
  dropped_events_count: number;
  links: WireLink<F>[];
  dropped_links_count: number;
  flags: number;
  scope: WireScope<F>;
}

/** `GET /api/traces/{trace_id}`. */
export interface WireTrace<F extends ValueForm = "plain"> {
  trace_id: string;
  spans: WireSpan<F>[];
}

/** An item of `GET /api/traces`. */
/**
 * `GET /api/traces/{trace_id}/structure`: a trace as the waterfall draws it (utils/waterfall.ts's
 * `CompactTrace`), column by column with string tables, so that an 80,000-span trace is a few
 * megabytes: no attributes, events, links or resource (`GET /api/traces/{trace_id}/spans/{span_id}`
 * has those). Column `i` of every array is span `i`, in start order.
 */
export interface WireTraceStructure extends Record<string, unknown> {
  trace_id: string;
  /** The earliest span start: Unix nanoseconds, decimal. */
  start_unix_nano: string;
  /** Latest span end minus earliest span start, ns. */
  duration_ns: number;
  /** Service names in order of first appearance. */
  services: string[];
  /** Distinct span names. */
  names: string[];
  span_id: string[];
  /**
   * The parent's index in these arrays: -1 for a root (no parent), -2 for a span whose parent is
   * not in the trace (not received, or purged: shown as a root, flagged). Indexes rather than ids,
   * so that a browser draws an 80,000-span trace without a map of 80,000 hex ids, and a fifth
   * fewer bytes.
   */
  parent: number[];
  /**
   * Indexes of the spans whose `span_id` an earlier span has: their children attach to the
   * earlier one. Empty for a stored trace (a span id is unique in its trace there).
   */
  duplicate: number[];
  /** Index into `services`. */
  service: number[];
  /** Index into `names`. */
  name: number[];
  /** ns from the trace's start. */
  start_ns: number[];
  /** ns; 0 when a span ends before it starts. */
  duration_ns_of: number[];
  /** 0 unset, 1 ok, 2 error (OTLP's numbers). */
  status: number[];
  /** OTLP's SpanKind numbers: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number[];
}

/** `GET /api/traces/{trace_id}/search`: the spans matching `q`, in start order. */
export interface WireTraceSearch {
  q: string;
  span_ids: string[];
  /** More spans may match than `span_ids` lists (`limit` reached). */
  truncated: boolean;
}

export interface WireTraceSummary {
  trace_id: string;
  root_service: string;
  root_name: string;
  start_time: string;
  start_time_unix_nano: string;
  duration_ms: number;
  span_count: number;
  error_count: number;
  services: string[];
  /**
   * Services where the trace's errors start: those with a failing span none of whose children
   * fails (store/error_origins.ts), sorted; empty when no span failed.
   */
  error_services: string[];
}

/** A page of a list endpoint. */
export interface WirePage<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/**
 * `GET /api/traces`: a page of traces. A filtered or re-sorted list counts its matches up to the
 * server's TRACE_COUNT_LIMIT, and a search that must read the traces (span-name text, an `attr` the
 * index cannot serve) among the newest TRACE_COUNT_SCAN / TRACE_COUNT_CHECKS of the window:
 * `total_capped` true means at least `total` traces match (the pages reach the first `total`).
 */
export interface WireTracePage extends WirePage<WireTraceSummary> {
  total_capped: boolean;
}

/**
 * A log record of `GET /api/logs`, `/api/logs/context` and the live stream, its body and attribute
 * maps in form `F`.
 */
export interface WireLog<F extends ValueForm = "plain"> {
  id: string;
  timestamp: string;
  observed_timestamp: string;
  /** As sent: "0" when the SDK sent no time (`time_unset`). */
  time_unix_nano: string;
  observed_time_unix_nano: string;
  /**
   * The time the record is listed, paged (its cursor) and filtered at, which `timestamp` writes:
   * `time_unix_nano`, or when that is unset the observed time, or without one when Argus received
   * it.
   */
  listed_time_unix_nano: string;
  /** The SDK sent no time: `time_unix_nano` is "0", `listed_time_unix_nano` the observed time. */
  time_unset: boolean;
  severity_text: string;
  severity_number: number;
  /**
   * Plain: a string body verbatim, any other kind as plain JSON, none as null. Typed: an AnyValue
   * (`{}` for none).
   */
  body: WireValue<F>;
  event_name: string;
  service_name: string;
  trace_id: string;
  span_id: string;
  flags: number;
  attributes: WireAttributes<F>;
  dropped_attributes_count: number;
  resource_attributes: WireAttributes<F>;
  resource: WireResource;
  scope: WireScope<F>;
}

/**
 * `GET /api/logs`: a page of records, and whether the window holds more past it (beyond its last
 * record; with a cursor, on the side away from the cursor). A text search counts its matches up
 * to the server's LOG_SEARCH_LIMIT, among the newest LOG_COUNT_SCAN records when it scans:
 * `total_capped` true means at least `total` match.
 */
export interface WireLogPage<F extends ValueForm = "plain"> extends WirePage<WireLog<F>> {
  more: boolean;
  total_capped: boolean;
}

/** `GET /api/metrics/dashboard`, in the seed's units. */
export interface WireDashboardFigures {
  total_traces: number;
  total_logs: number;
  total_errors: number;
  /** Milliseconds. */
  avg_latency_ms: number;
  /** A percentage (2.5 is 2.5 %). */
  error_rate: number;
  active_services: number;
  /** MICROseconds, as the seed asks. */
  p99_latency: number;
  top_failing_services: {
    service_name: string;
    error_count: number;
    total_count: number;
    /** A fraction (0.25 is a quarter). */
    error_rate: number;
  }[];
  /** Root spans with status ERROR: traces (requests) that failed at their entry point. */
  failed_requests: number;
  /** Spans with status ERROR, of every service and kind: one failure counts in each it crossed. */
  error_spans: number;
  /**
   * Where the errors of the window's failed traces start: per service, the failed traces in which
   * a failing span of it has no failing child. From the newest `examined_spans` failing spans of
   * the window (`limited`: it holds more), which belong to `failed_traces` traces.
   */
  error_origins: {
    services: { service_name: string; traces: number }[];
    failed_traces: number;
    examined_spans: number;
    limited: boolean;
  };
}

/** `GET /api/metrics/traffic`: requests and errors per step and service, zeros included. */
export interface WireTraffic {
  step_seconds: number;
  points: { time: string; service_name: string; requests: number; errors: number }[];
  /** The last step's start when that step is still in progress (its counts are incomplete). */
  partial_time: string | null;
}

/** `GET /api/metrics/latency_heatmap`: entry spans per step and latency bucket. */
export interface WireLatencyHeatmap {
  step_seconds: number;
  /** Each step's start. */
  times: string[];
  /** The buckets' upper bounds in milliseconds; the last bucket has none (null). */
  latency_buckets_ms: (number | null)[];
  /** `[time index, bucket index, spans]`, spans > 0 only. */
  cells: number[][];
}

/** A service of `GET /api/metrics/service-map`; rates are fractions. */
export interface WireServiceNode {
  id: string;
  name: string;
  requests: number;
  errors: number;
  error_rate: number;
  avg_latency_ms: number;
  p99_latency_ms: number;
}

/** Calls from one service to another, of `GET /api/metrics/service-map`. */
export interface WireServiceEdge {
  source: string;
  target: string;
  calls: number;
  errors: number;
  error_rate: number;
  avg_latency_ms: number;
}

/** `GET /api/metrics/service-map`. */
export interface WireServiceMap {
  nodes: WireServiceNode[];
  edges: WireServiceEdge[];
}

/** `GET /api/logs/{id}/insight`. */
export interface WireLogInsight {
  log_id: string;
  /** The model's explanation, plain text. */
  insight: string;
  /** The model that answered, as the provider names it. */
  model: string;
}

/** `GET /api/traces/{trace_id}/insight`. */
export interface WireTraceInsight {
  trace_id: string;
  /** The model's explanation, plain text. */
  insight: string;
  /** The model that answered, as the provider names it. */
  model: string;
}

/**
 * The server-sent events of an insight asked for with `Accept: text/event-stream`: `delta`s, the
 * explanation's pieces in order, then `done` (the whole answer, as the JSON route's) or `error`
 * (the status the JSON route would have answered, and why).
 */
export type WireInsightEvent =
  | { event: "delta"; data: { text: string } }
  | { event: "done"; data: WireLogInsight | WireTraceInsight }
  | { event: "error"; data: { status: number; error: string } };

/**
 * An operation (span name) of `GET /api/metrics/operations`: every span of that name in the
 * service, entry or not; `error_rate` a fraction; durations in milliseconds, percentiles read
 * from the latency histogram (within its buckets' ±19%), null without spans.
 */
export interface WireOperation {
  operation: string;
  /** Whether some of its spans are entry spans (SERVER, CONSUMER or roots): requests received. */
  entry: boolean;
  requests: number;
  errors: number;
  error_rate: number;
  avg_ms: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
}

/** `GET /api/metrics/operations`: a service's operations, by `sort`, and how many it has. */
export interface WireOperations {
  service_name: string;
  operations: WireOperation[];
  total: number;
}

/** `GET /api/metadata/latest`: the minute of the newest span or log stored (RFC 3339), or null. */
export interface WireLatest {
  latest_time: string | null;
}

/**
 * `GET /api/settings`: how Argus is configured. Parts the process was not given (an app built
 * without its configuration, in tests) are null. Tokens say only whether each is set.
 */
export interface WireSettings {
  version: string;
  retention: {
    enabled: boolean;
    /** RETENTION as a duration (`7d`), null when off. */
    duration: string | null;
    ms: number | null;
  };
  endpoints: {
    /** HOST, the address every port binds to. */
    host: string;
    http_port: number;
    otlp_http_port: number;
    grpc_port: number;
    ui_url: string;
    /** OTEL_EXPORTER_OTLP_ENDPOINT for OTLP/HTTP. */
    otlp_http_url: string;
    otlp_grpc_url: string;
  } | null;
  database: {
    driver: string;
    /** DB_DSN with its password replaced by `***`. */
    dsn: string | null;
    /** Bytes of Argus's tables and indexes, null where the database does not report it. */
    size_bytes: number | null;
  };
  tokens: { api: boolean; admin: boolean; ingest: boolean } | null;
  limits: {
    /** QUERY_MAX_WINDOW. */
    query_max_window: string;
    /** QUERY_TIMEOUT. */
    query_timeout: string;
  } | null;
}

// --- Stored metrics: /api/instruments (routes/instruments.ts) ----------------------------------

/** An OTLP instrument (a metric of one service and scope), as `/api/instruments` lists it. */
export interface WireInstrument {
  /** 32 hex characters: the instrument's identity, used in `/api/instruments/{key}`. */
  key: string;
  service_name: string;
  /** `scope.name` and `scope.version`, as before `scope` was answered. */
  scope_name: string;
  scope_version: string;
  /** The instrumentation scope: every field, as a span's or log record's. */
  scope: WireScope;
  name: string;
  description: string;
  /** UCUM, as sent (`s`, `By`, `{request}`), or "". */
  unit: string;
  type: "gauge" | "sum" | "histogram" | "exponential_histogram" | "summary";
  /** "none" for gauges and summaries. */
  temporality: "delta" | "cumulative" | "none";
  /** Sum.is_monotonic; false for the other types. */
  monotonic: boolean;
  /** RFC 3339, rounded down to the minute. */
  first_seen: string;
  last_seen: string;
  /** Series (attribute sets) seen in the window. */
  series_count: number;
}

/** `GET /api/instruments`. */
export interface WireInstrumentList {
  instruments: WireInstrument[];
  /** More instruments matched than `limit`. */
  limited: boolean;
}

/** `GET /api/instruments/{key}`: the instrument and its series' attributes, for the pickers. */
export interface WireInstrumentDetail {
  instrument: WireInstrument;
  /**
   * The instrument's resource, as a span's or log record's: its attributes and its other fields
   * (null, both, only if its row is gone: a purge of everything raced the read).
   */
  resource_attributes: Record<string, Json> | null;
  resource: WireResource | null;
  /** Attribute keys, sorted, each with its distinct values (non-strings as AnyValue JSON). */
  attributes: { key: string; values: string[] }[];
  /** The attributes were read from the first series only (by key) of many more. */
  limited: boolean;
}

/** How a chart reads an instrument's points (routes/instruments.ts `chartShape`). */
export type WireChartShape =
  | "gauge"
  | "counter"
  | "histogram"
  | "exponential_histogram"
  | "summary";

/** One line (or band) of a chart: the series of one group merged. */
export interface WireChartGroup {
  /** The `group_by` attribute's value (null: series without it); {} when not grouped. */
  attributes: Record<string, string | null>;
  /** Series merged into this group. */
  series: number;
  /** The chosen `agg` per step (null: no data in the step). */
  values: (number | null)[];
  /** Every aggregation this shape offers, per step (`values` is one of them). */
  stats: Record<string, (number | null)[]>;
  /** Histograms: per step, why a step with observations has no percentiles. */
  unavailable?: ("bounds differ" | "no bounded bucket" | null)[];
  /** Summaries of one series: the producer's quantiles per step; null when series are merged. */
  quantiles?: { quantile: number; values: (number | null)[] }[] | null;
}

/** `GET /api/instruments/{key}/chart`. */
export interface WireInstrumentChart {
  instrument: WireInstrument;
  shape: WireChartShape;
  /** What `values` holds. */
  agg: string;
  /** The aggregations this shape accepts (the keys of `stats`). */
  aggs: string[];
  step_seconds: number;
  /** The median time between a series' points (the exporter's interval), when known. */
  interval_seconds: number | null;
  /** Each step's start, RFC 3339; the window is `[times[0], end)`. */
  times: string[];
  /** Series read (after the `attr` filters). */
  series: number;
  groups: WireChartGroup[];
}

/** An exemplar: one measurement, with the trace and span it was recorded in. */
export interface WireExemplar {
  /** RFC 3339 with nanosecond digits. */
  time: string;
  /** The data point's time the exemplar belongs to. */
  point_time: string;
  /** int64 values past 2^53 as decimal strings. */
  value: number | string | null;
  /** null when the measurement was recorded outside a trace. */
  trace_id: string | null;
  span_id: string | null;
  attributes: Record<string, Json>;
  /** The point's series attributes. */
  series_attributes: Record<string, Json>;
}

/** `GET /api/instruments/{key}/exemplars`. */
export interface WireExemplars {
  exemplars: WireExemplar[];
  /** More exemplars were in the window than `limit`. */
  limited: boolean;
}

/** One alive replica as `/api/health` lists it (routes/health.ts, islands/HealthPanel.tsx). */
export interface WireReplica {
  id: string;
  name: string;
  pid: number;
  version: string;
  /** RFC 3339, by the replica's clock. */
  started_time: string;
  /** RFC 3339, by the database's clock. */
  heartbeat_time: string;
  queue_rows: number;
  dlq_files: number;
  /** Whether it runs the periodic work (retention, metric rollups) now. */
  holds_maintenance: boolean;
}

/** `GET /api/health` (routes/health.ts builds it, islands/HealthPanel.tsx shows it). */
export interface WireHealth {
  status: "ok" | "degraded";
  ingestion_rate: number;
  dlq_size: number;
  active_connections: number;
  db_latency_p99_ms: number | null;
  db_driver: string;
  db_ping_ms: number | null;
  db_error?: string;
  /** Set while exports are refused because nothing can be made durable (e.g. a full disk). */
  ingest_error?: string;
  queue_depth: number;
  uptime_s: number;
  version: string;
  /** This process's replica id (a UUID, new at each start). */
  replica: string | null;
  /** The alive replicas, this one first. */
  replicas: WireReplica[];
}
