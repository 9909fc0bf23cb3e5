/**
 * Metric rows to and from the database's rows (tables in columns.ts, created by migration
 * 2026_12_11_metrics.ts): the one place where a point's value is laid out in columns.
 *
 * A point's value by `kind`:
 * - 0 `none` (flags NO_RECORDED_VALUE): every value column null, `data` "".
 * - 1 `int`: `int_value`, the int64 exact (bigint in and out).
 * - 2 `double`: `double_value` when finite; NaN and ±Infinity (kept in gauges) in `data` as JS
 *   writes them ("NaN", "Infinity", "-Infinity"), `double_value` null: MySQL and SQL Server store
 *   no non-finite doubles, and SQLite reads NaN back as null.
 * - 3 `histogram`: `count_value`, `sum_value` (null when not sent), `data`
 *   `{"bounds":[…],"counts":[…],"min":…,"max":…}` (min and max left out when not sent).
 * - 4 `exponential_histogram`: `count_value`, `sum_value`, `data` `{"scale":…,"zeroCount":…,
 *   "zeroThreshold":…,"positive":[offset,[counts]],"negative":[offset,[counts]],"min":…,"max":…}`.
 * - 5 `summary`: `count_value`, `sum_value`, `data` `{"quantiles":[[quantile,value],…]}`, a NaN
 *   value written as null (JSON has no NaN; a quantile's value is otherwise never null).
 *
 * Bounds, counts and quantiles are JSON numbers, which read back as the same doubles.
 *
 * @module
 */
import type {
  Database,
  Int64Param,
  MetricExemplarsTable,
  MetricInstrumentsTable,
  MetricPointsTable,
  MetricRollupPointsTable,
  MetricSeriesTable,
} from "./columns.ts";
import type {
  MetricExemplarRow,
  MetricInstrumentRow,
  MetricPointRow,
  MetricPointValue,
  MetricType,
  Temporality,
} from "./metric_types.ts";
import type { ResourceRow } from "./types.ts";

/**
 * The granularity of the seen times of instruments and series: a minute, in nanoseconds (they
 * are stored rounded down to it: metric_writes.ts).
 */
export const LAST_SEEN_SLACK_NS = 60_000_000_000n;

/** The `kind` column of `metric_points`. */
export const POINT_KINDS = {
  none: 0,
  int: 1,
  double: 2,
  histogram: 3,
  exponential_histogram: 4,
  summary: 5,
} as const satisfies Record<MetricPointValue["kind"], number>;

const KIND_NAMES = Object.fromEntries(
  Object.entries(POINT_KINDS).map(([name, kind]) => [kind, name]),
) as Record<number, MetricPointValue["kind"]>;

/** An instrument as stored, with the times its points were first and last seen. */
export interface StoredMetricInstrument extends MetricInstrumentRow {
  /** Unix ns rounded down to the minute: at most a minute before its earliest stored point. */
  firstSeenUnixNano: bigint;
  /** Unix ns rounded down to the minute: at most a minute before its latest stored point. */
  lastSeenUnixNano: bigint;
}

/** An instrument as `metricInstrument` reads one: with its resource. */
export interface StoredMetricInstrumentWithResource extends StoredMetricInstrument {
  /**
   * The resource its `resourceId` names; undefined when that row is gone (written in the same
   * commit as the instrument, it is deleted only by a purge of everything).
   */
  resource: ResourceRow | undefined;
}

/** A series: an instrument and one set of point attributes. */
export interface StoredMetricSeries {
  seriesKey: string;
  instrumentKey: string;
  /** JSON text of the first attributes in canonical order (ingest/otlp/metrics_rows.ts). */
  attributes: string;
  droppedAttributesCount: number;
  /** As `StoredMetricInstrument`'s. */
  firstSeenUnixNano: bigint;
  lastSeenUnixNano: bigint;
}

/** A point as read back: its series, times, flags and value (`MetricPointRow`'s fields). */
export interface StoredMetricPoint {
  seriesKey: string;
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  flags: number;
  value: MetricPointValue;
  /**
   * Rollups only (metric_rollup_points.ts): the count, sum, min and max of the gauge values a
   * synthetic point stands for.
   */
  aggregate?: { count: number; sum: number; min: number; max: number };
}

/** An exemplar as read back, with the point it belongs to. */
export interface StoredMetricExemplar extends MetricExemplarRow {
  seriesKey: string;
  pointTimeUnixNano: bigint;
  pointStartUnixNano: bigint;
}

type Int64 = bigint | string | number;

function int64(value: Int64): bigint {
  return typeof value === "bigint" ? value : BigInt(value);
}

export function metricInstrumentToDb(
  row: MetricInstrumentRow,
  firstSeenNs: bigint,
  lastSeenNs: bigint,
  int64Param: Int64Param,
): MetricInstrumentsTable {
  return {
    key: row.key,
    resource_id: row.resourceId,
    service_name: row.serviceName,
    scope_name: row.scopeName,
    scope_version: row.scopeVersion,
    scope_attributes: row.scopeAttributes,
    name: row.name,
    description: row.description,
    unit: row.unit,
    type: row.type,
    temporality: row.temporality,
    monotonic: row.monotonic ? 1 : 0,
    scope_schema_url: row.scopeSchemaUrl,
    scope_dropped_attributes_count: row.scopeDroppedAttributesCount,
    long_text: row.longText,
    first_seen_unix_nano: int64Param(firstSeenNs),
    last_seen_unix_nano: int64Param(lastSeenNs),
  };
}

export function metricInstrumentFromDb(row: MetricInstrumentsTable): StoredMetricInstrument {
  return {
    key: row.key,
    resourceId: row.resource_id,
    serviceName: row.service_name,
    scopeName: row.scope_name,
    scopeVersion: row.scope_version,
    scopeAttributes: row.scope_attributes,
    scopeSchemaUrl: row.scope_schema_url,
    scopeDroppedAttributesCount: Number(row.scope_dropped_attributes_count),
    name: row.name,
    description: row.description,
    unit: row.unit,
    type: row.type as MetricType,
    temporality: row.temporality as Temporality,
    monotonic: Number(row.monotonic) === 1,
    longText: row.long_text,
    firstSeenUnixNano: int64(row.first_seen_unix_nano),
    lastSeenUnixNano: int64(row.last_seen_unix_nano),
  };
}

export function metricSeriesFromDb(row: MetricSeriesTable): StoredMetricSeries {
  return {
    seriesKey: row.series_key,
    instrumentKey: row.instrument_key,
    attributes: row.attributes,
    droppedAttributesCount: Number(row.dropped_attributes_count),
    firstSeenUnixNano: int64(row.first_seen_unix_nano),
    lastSeenUnixNano: int64(row.last_seen_unix_nano),
  };
}

/** The value columns of a point (all but its key and flags). */
type ValueColumns = Pick<
  MetricPointsTable,
  "kind" | "int_value" | "double_value" | "count_value" | "sum_value" | "data"
>;

function valueToDb(value: MetricPointValue, int64Param: Int64Param): ValueColumns {
  const columns: ValueColumns = {
    kind: POINT_KINDS[value.kind],
    int_value: null,
    double_value: null,
    count_value: null,
    sum_value: null,
    data: "",
  };
  switch (value.kind) {
    case "none":
      break;
    case "int":
      columns.int_value = int64Param(value.value);
      break;
    case "double":
      if (Number.isFinite(value.value)) columns.double_value = value.value;
      else columns.data = String(value.value);
      break;
    case "histogram":
      columns.count_value = int64Param(BigInt(value.count));
      columns.sum_value = value.sum;
      columns.data = JSON.stringify({
        bounds: value.explicitBounds,
        counts: value.bucketCounts,
        ...minMax(value),
      });
      break;
    case "exponential_histogram":
      columns.count_value = int64Param(BigInt(value.count));
      columns.sum_value = value.sum;
      columns.data = JSON.stringify({
        scale: value.scale,
        zeroCount: value.zeroCount,
        zeroThreshold: value.zeroThreshold,
        positive: [value.positiveOffset, value.positiveBucketCounts],
        negative: [value.negativeOffset, value.negativeBucketCounts],
        ...minMax(value),
      });
      break;
    case "summary":
      columns.count_value = int64Param(BigInt(value.count));
      columns.sum_value = value.sum;
      columns.data = JSON.stringify({
        quantiles: value.quantiles.map((q) => [q.quantile, Number.isNaN(q.value) ? null : q.value]),
      });
      break;
  }
  return columns;
}

function minMax(value: { min: number | null; max: number | null }) {
  return {
    ...(value.min === null ? {} : { min: value.min }),
    ...(value.max === null ? {} : { max: value.max }),
  };
}

export function metricPointToDb(row: MetricPointRow, int64Param: Int64Param): MetricPointsTable {
  return {
    instrument_key: row.instrumentKey,
    series_key: row.seriesKey,
    time_unix_nano: int64Param(row.timeUnixNano),
    start_time_unix_nano: int64Param(row.startTimeUnixNano),
    flags: row.flags,
    ...valueToDb(row.value, int64Param),
  };
}

/** Orders stored points as their key does: by series, then time, then start. */
export function byPointKey(a: StoredMetricPoint, b: StoredMetricPoint): number {
  return a.seriesKey < b.seriesKey
    ? -1
    : a.seriesKey > b.seriesKey
    ? 1
    : a.timeUnixNano < b.timeUnixNano
    ? -1
    : a.timeUnixNano > b.timeUnixNano
    ? 1
    : a.startTimeUnixNano < b.startTimeUnixNano
    ? -1
    : a.startTimeUnixNano > b.startTimeUnixNano
    ? 1
    : 0;
}

/**
 * A rolled-up point (metric_rollups.ts) as a `metric_rollup_points` row of level `levelSeconds`.
 * Aggregate figures that are not finite (MySQL and SQL Server store none) are written as null
 * and read back as NaN.
 */
export function metricRollupPointToDb(
  point: StoredMetricPoint,
  levelSeconds: number,
  int64Param: Int64Param,
): MetricRollupPointsTable {
  const a = point.aggregate;
  const finite = (n: number) => (Number.isFinite(n) ? n : null);
  return {
    series_key: point.seriesKey,
    level_seconds: levelSeconds,
    time_unix_nano: int64Param(point.timeUnixNano),
    start_time_unix_nano: int64Param(point.startTimeUnixNano),
    flags: point.flags,
    ...valueToDb(point.value, int64Param),
    agg_count: a === undefined ? null : int64Param(BigInt(a.count)),
    agg_sum: a === undefined ? null : finite(a.sum),
    agg_min: a === undefined ? null : finite(a.min),
    agg_max: a === undefined ? null : finite(a.max),
  };
}

export function metricRollupPointFromDb(row: MetricRollupPointsTable): StoredMetricPoint {
  const point = metricPointFromDb(row);
  if (row.agg_count === null) return point;
  const figure = (n: number | null) => (n === null ? NaN : Number(n));
  point.aggregate = {
    count: Number(row.agg_count),
    sum: figure(row.agg_sum),
    min: figure(row.agg_min),
    max: figure(row.agg_max),
  };
  return point;
}

interface DistributionData {
  bounds: number[];
  counts: number[];
  scale: number;
  zeroCount: number;
  zeroThreshold: number;
  positive: [number, number[]];
  negative: [number, number[]];
  quantiles: [number, number | null][];
  min?: number;
  max?: number;
}

function valueFromDb(row: ValueColumns): MetricPointValue {
  const kind = KIND_NAMES[Number(row.kind)];
  const count = () => Number(row.count_value ?? 0);
  const sum = row.sum_value === null ? null : Number(row.sum_value);
  const data = (): DistributionData => JSON.parse(row.data);
  switch (kind) {
    case "none":
      return { kind };
    case "int":
      return { kind, value: int64(row.int_value ?? 0) };
    case "double":
      return {
        kind,
        value: row.double_value === null ? Number(row.data) : Number(row.double_value),
      };
    case "histogram": {
      const d = data();
      return {
        kind,
        count: count(),
        sum,
        min: d.min ?? null,
        max: d.max ?? null,
        explicitBounds: d.bounds,
        bucketCounts: d.counts,
      };
    }
    case "exponential_histogram": {
      const d = data();
      return {
        kind,
        count: count(),
        sum,
        min: d.min ?? null,
        max: d.max ?? null,
        scale: d.scale,
        zeroCount: d.zeroCount,
        zeroThreshold: d.zeroThreshold,
        positiveOffset: d.positive[0],
        positiveBucketCounts: d.positive[1],
        negativeOffset: d.negative[0],
        negativeBucketCounts: d.negative[1],
      };
    }
    case "summary":
      return {
        kind,
        count: count(),
        sum: sum ?? 0,
        quantiles: data().quantiles.map(([quantile, value]) => ({
          quantile,
          value: value ?? NaN,
        })),
      };
    default:
      throw new RangeError(
        `Cannot read a metric point as its kind must be one of ${
          Object.values(POINT_KINDS).join(", ")
        }: current value is ${row.kind}`,
      );
  }
}

export function metricPointFromDb(
  row: Omit<MetricPointsTable, "instrument_key">,
): StoredMetricPoint {
  return {
    seriesKey: row.series_key,
    startTimeUnixNano: int64(row.start_time_unix_nano),
    timeUnixNano: int64(row.time_unix_nano),
    flags: Number(row.flags),
    value: valueFromDb(row),
  };
}

/** The exemplars of a point, keyed by the point and their position in it. */
export function metricExemplarsToDb(
  row: MetricPointRow,
  int64Param: Int64Param,
): MetricExemplarsTable[] {
  return row.exemplars.map((e, ordinal) => ({
    series_key: row.seriesKey,
    point_time_unix_nano: int64Param(row.timeUnixNano),
    point_start_unix_nano: int64Param(row.startTimeUnixNano),
    ordinal,
    time_unix_nano: int64Param(e.timeUnixNano),
    value_kind: typeof e.value === "bigint" ? 1 : 2,
    // String() of a double reads back as the same double (NaN and ±Infinity included).
    value: String(e.value),
    trace_id: e.traceId,
    span_id: e.spanId,
    filtered_attributes: e.filteredAttributes,
    dropped_attributes_count: e.droppedAttributesCount,
  }));
}

export function metricExemplarFromDb(row: MetricExemplarsTable): StoredMetricExemplar {
  return {
    seriesKey: row.series_key,
    pointTimeUnixNano: int64(row.point_time_unix_nano),
    pointStartUnixNano: int64(row.point_start_unix_nano),
    timeUnixNano: int64(row.time_unix_nano),
    value: Number(row.value_kind) === 1 ? BigInt(row.value) : Number(row.value),
    traceId: row.trace_id,
    spanId: row.span_id,
    filteredAttributes: row.filtered_attributes,
    droppedAttributesCount: Number(row.dropped_attributes_count),
  };
}

/** The metric tables, for the maintenance's lists. */
export const METRIC_TABLES = [
  "metric_instruments",
  "metric_series",
  "metric_points",
  "metric_exemplars",
  "metric_rollup_points",
  "metric_rollup_marks",
  "metric_rollup_state",
] as const satisfies readonly (keyof Database)[];
