/**
 * The metric rows the store writes and reads (issue 16): instruments, data points with their
 * series and point keys, exemplars. Made at ingest from an OTLP metrics request
 * (ingest/otlp/metrics_rows.ts, which says what identifies an instrument, a series and a point);
 * written by metric_writes.ts and read back by metric_reads.ts.
 *
 * @module
 */

/** The five kinds of OTLP metric data, named after the `Metric.data` oneof's members. */
export type MetricType = "gauge" | "sum" | "histogram" | "exponential_histogram" | "summary";

export const METRIC_TYPES: readonly MetricType[] = [
  "gauge",
  "sum",
  "histogram",
  "exponential_histogram",
  "summary",
];

/** AggregationTemporality; "none" for gauges and summaries, which have no such field. */
export type Temporality = "delta" | "cumulative" | "none";

/**
 * One instrument: what a metric is, apart from its points. Identified by `key`, a hash of every
 * field but `description` and the scope's schema URL and dropped count (see
 * ingest/otlp/metrics_rows.ts). Its plain text fields (service, scope name, version and schema
 * URL, name, description, unit) are stored escaped (utils/text_escape.ts).
 */
export interface MetricInstrumentRow {
  /** 32 lower-case hex characters. */
  key: string;
  resourceId: string;
  serviceName: string;
  scopeName: string;
  scopeVersion: string;
  /** JSON text (lib/any_value_json.ts), attributes in the order sent. */
  scopeAttributes: string;
  /** `ScopeMetrics.schema_url`; "" when none was sent (migration 2026_12_18_metric_fidelity). */
  scopeSchemaUrl: string;
  /** `InstrumentationScope.dropped_attributes_count` plus the attributes over the limit. */
  scopeDroppedAttributesCount: number;
  name: string;
  description: string;
  unit: string;
  type: MetricType;
  temporality: Temporality;
  /** Sum.is_monotonic; false for the other types. */
  monotonic: boolean;
  /** The texts longer than their columns, whole (store/long_text.ts); "" when none. */
  longText: string;
}

/** A histogram's or exponential histogram's count, sum, min and max. */
interface Distribution {
  /** A safe integer (larger counts are refused). */
  count: number;
  /** Null when not sent. */
  sum: number | null;
  min: number | null;
  max: number | null;
}

/** What a point holds, by its instrument's type. */
export type MetricPointValue =
  /** Any type, with flags NO_RECORDED_VALUE: a gap, no value. */
  | { kind: "none" }
  /** Gauge or sum, NumberDataPoint.as_int (int64, exact). */
  | { kind: "int"; value: bigint }
  /** Gauge or sum, NumberDataPoint.as_double. */
  | { kind: "double"; value: number }
  | (Distribution & {
    kind: "histogram";
    /** Strictly increasing, finite; bucketCounts has one more entry, or both are empty. */
    explicitBounds: number[];
    bucketCounts: number[];
  })
  | (Distribution & {
    kind: "exponential_histogram";
    /** -10 to 20. */
    scale: number;
    zeroCount: number;
    zeroThreshold: number;
    positiveOffset: number;
    positiveBucketCounts: number[];
    negativeOffset: number;
    negativeBucketCounts: number[];
  })
  | {
    kind: "summary";
    count: number;
    sum: number;
    /** In the order sent; quantile 0 to 1, value non-negative or NaN. */
    quantiles: { quantile: number; value: number }[];
  };

export interface MetricExemplarRow {
  timeUnixNano: bigint;
  /** as_int (bigint) or as_double (number). */
  value: bigint | number;
  /** 32 lower-case hex characters, or "" when the exemplar is not in a trace. */
  traceId: string;
  /** 16 lower-case hex characters, or "". */
  spanId: string;
  /** JSON text, in the order sent. */
  filteredAttributes: string;
  droppedAttributesCount: number;
}

export interface MetricPointRow {
  /** Hash of `seriesKey`, start and time: the point's identity (see ingest/otlp/metrics_rows.ts). */
  pointKey: string;
  /** Hash of the instrument key and all of the point's attributes, in canonical order. */
  seriesKey: string;
  instrumentKey: string;
  /** The request's instrument of this key (shared by its points). */
  instrument: MetricInstrumentRow;
  /**
   * JSON text of the first `maxAttributes` attributes in canonical order (sorted by key, nested
   * kvlists too; a repeated key: the later one wins).
   */
  attributes: string;
  droppedAttributesCount: number;
  /** Unix nanoseconds; 0 when not sent (gauges may leave it out). */
  startTimeUnixNano: bigint;
  /** Unix nanoseconds, above 0. */
  timeUnixNano: bigint;
  flags: number;
  value: MetricPointValue;
  exemplars: MetricExemplarRow[];
}
