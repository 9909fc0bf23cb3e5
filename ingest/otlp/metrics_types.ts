/**
 * Types of the OTLP metrics decode step: what both wire readers produce (`MetricsRequestIn`, the
 * request as sent, with decoding problems noted) and the rows the store will write
 * (`MetricInstrumentRow`, `MetricPointRow`, defined by the store in store/metric_types.ts and
 * re-exported here), made from it by `metrics_rows.ts`.
 *
 * @module
 */
import type { KeyValue } from "../../lib/any_value_json.ts";
import type { ResourceRow } from "../../store/types.ts";

export {
  METRIC_TYPES,
  type MetricExemplarRow,
  type MetricInstrumentRow,
  type MetricPointRow,
  type MetricPointValue,
  type MetricType,
  type Temporality,
} from "../../store/metric_types.ts";
import type { MetricInstrumentRow, MetricPointRow, MetricType } from "../../store/metric_types.ts";

/** DataPointFlags.FLAG_NO_RECORDED_VALUE: the point marks a gap, its value fields mean nothing. */
export const NO_RECORDED_VALUE = 1;

// ---------------------------------------------------------------------------------------------
// The request as read, before validation (both readers produce exactly this).

/** Why something cannot be stored as sent (invalid UTF-8, a bad id, nesting too deep); "; "-joined. */
export type Problem = string | undefined;

export interface MetricsRequestIn {
  resources: ResourceMetricsIn[];
}

export interface ResourceMetricsIn {
  /** The first `maxAttributes` attributes as sent (wire order); the rest counted in dropped. */
  attributes: KeyValue[];
  /** As sent plus the attributes over the limit. */
  droppedAttributesCount: number;
  schemaUrl: string;
  /** `Resource.entity_refs` as stored (`entityRefsText`): their JSON, "" for none. */
  entityRefs: string;
  problem: Problem;
  scopes: ScopeMetricsIn[];
}

export interface ScopeMetricsIn {
  name: string;
  version: string;
  /** The first `maxAttributes` attributes as sent. */
  attributes: KeyValue[];
  /** As sent plus the attributes over the limit. */
  droppedAttributesCount: number;
  /** `ScopeMetrics.schema_url`. */
  schemaUrl: string;
  problem: Problem;
  metrics: MetricIn[];
}

export interface MetricIn {
  name: string;
  description: string;
  unit: string;
  /** Undefined when the metric has no data field. */
  type: MetricType | undefined;
  /** AggregationTemporality as sent (0 unspecified, 1 delta, 2 cumulative); 0 when not sent. */
  temporality: number;
  monotonic: boolean;
  problem: Problem;
  points: PointIn[];
}

/** One data point of any type; the fields its type does not have keep their zero values. */
export interface PointIn {
  /**
   * All of the point's attributes as sent (the limit is applied when rows are made). Points whose
   * attributes are the same bytes on the wire may share one list: never to be changed.
   */
  attributes: KeyValue[];
  /**
   * The attributes' wire bytes (one character per byte) when the protobuf reader read them as
   * one run of fields without a problem, else undefined: two points of a request with the same
   * key have the same attributes, so metrics_rows.ts puts them in canonical form once.
   */
  attributesKey: string | undefined;
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  flags: number;
  /** NumberDataPoint value: 0 none, 1 as_double, 2 as_int. */
  valueCase: 0 | 1 | 2;
  asDouble: number;
  asInt: bigint;
  /** Histogram, exponential histogram and summary (uint64 as sent). */
  count: bigint;
  /** `optional double` fields: undefined when absent (a summary's sum is plain: 0 when absent). */
  sum: number | undefined;
  min: number | undefined;
  max: number | undefined;
  bucketCounts: bigint[];
  explicitBounds: number[];
  scale: number;
  zeroCount: bigint;
  zeroThreshold: number;
  positiveOffset: number;
  positiveBucketCounts: bigint[];
  negativeOffset: number;
  negativeBucketCounts: bigint[];
  quantiles: { quantile: number; value: number }[];
  exemplars: ExemplarIn[];
  problem: Problem;
}

export interface ExemplarIn {
  /** The first `maxAttributes` filtered attributes as sent. */
  filteredAttributes: KeyValue[];
  droppedAttributesCount: number;
  timeUnixNano: bigint;
  valueCase: 0 | 1 | 2;
  asDouble: number;
  asInt: bigint;
  /** Lower-case hex, "" when absent or all zero. */
  traceId: string;
  spanId: string;
  problem: Problem;
}

/** Frozen: pushing to it throws, so a reader that fills a field its type has not is caught. */
const NONE = Object.freeze([]) as unknown as never[];

/**
 * A data point with all of its fields at their zero values (readers fill in what is sent). Given
 * the point's `type`, the lists that type does not have are one shared frozen empty list rather
 * than five new ones (a point allocated seven lists, one of the costs of reading one).
 */
export function emptyPoint(type?: MetricType): PointIn {
  const any = type === undefined;
  const histogram = any || type === "histogram";
  const exponential = any || type === "exponential_histogram";
  return {
    attributes: [],
    attributesKey: undefined,
    startTimeUnixNano: 0n,
    timeUnixNano: 0n,
    flags: 0,
    valueCase: 0,
    asDouble: 0,
    asInt: 0n,
    count: 0n,
    sum: undefined,
    min: undefined,
    max: undefined,
    bucketCounts: histogram ? [] : NONE,
    explicitBounds: histogram ? [] : NONE,
    scale: 0,
    zeroCount: 0n,
    zeroThreshold: 0,
    positiveOffset: 0,
    positiveBucketCounts: exponential ? [] : NONE,
    negativeOffset: 0,
    negativeBucketCounts: exponential ? [] : NONE,
    quantiles: any || type === "summary" ? [] : NONE,
    exemplars: type !== "summary" ? [] : NONE,
    problem: undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// The decoded request (its row types are the store's: store/metric_types.ts).

export interface MetricsDecoded {
  /** Resources of the accepted points, deduplicated by id (the same rows as traces and logs). */
  resources: ResourceRow[];
  /** Instruments of the accepted points, deduplicated by key (first seen wins). */
  instruments: MetricInstrumentRow[];
  /** Accepted points, in request order, with distinct point keys. */
  points: MetricPointRow[];
  /**
   * Each accepted point's index in the request (`points[i]` is data point `pointIndexes[i]`):
   * its place among all the request's data points, from 0, in the request's order.
   */
  pointIndexes: number[];
  /**
   * Data points in the request (a metric without a data field counts as one): accepted, plus
   * exact duplicates folded into an accepted point, plus rejected.
   */
  items: number;
  /** Points refused, by their index in the request, each with a reason naming its path and field. */
  rejected: { index: number; reason: string }[];
}
