/**
 * Reading stored metrics back (tables of migration 2026_12_11_metrics.ts), on every database:
 * instruments by service, name and window; one instrument's series and their attribute keys and
 * values; series' points in a window `[from, to)` in time order with the last point before
 * `from` (the baseline the cumulative math needs: utils/metric_cumulative.ts); exemplars of a
 * window. And, in one place, stored points as the metric math's input types
 * (utils/metric_points.ts). `MetricReads` gathers them for the Store (`store.instruments`), which
 * routes/instruments.ts serves as `/api/instruments/*`.
 *
 * Windows over instruments and series go by their seen times, which are rounded down to the
 * minute (metric_writes.ts): a listing for `[from, to)` may include one whose last point lies up
 * to a minute before `from`, never miss one with a point inside.
 *
 * @module
 */
import type { Kysely } from "kysely";
import { encodeAnyValueJson, parseAttributesJson } from "../lib/any_value_json.ts";
import type { Database } from "./columns.ts";
import type { DialectCapabilities } from "./dialects/mod.ts";
import {
  LAST_SEEN_SLACK_NS,
  metricExemplarFromDb,
  metricInstrumentFromDb,
  metricPointFromDb,
  metricSeriesFromDb,
  type StoredMetricExemplar,
  type StoredMetricInstrument,
  type StoredMetricPoint,
  type StoredMetricSeries,
} from "./metric_columns.ts";
import type {
  ExponentialHistogramPoint,
  HistogramPoint,
  NumberPoint,
  SummaryPoint,
} from "../utils/metric_points.ts";

type Db = Kysely<Database>;

/** A window of Unix nanoseconds, `[fromNs, toNs)`. */
export interface MetricWindow {
  fromNs: bigint;
  toNs: bigint;
}

export interface InstrumentFilter {
  /** Exactly this service. */
  serviceName?: string;
  /** Instruments whose name contains this text, ignoring case. */
  nameContains?: string;
  /** Instruments with points in this window (by their seen times). */
  window?: MetricWindow;
  /** Most instruments answered (ordered by service, name, key). */
  limit: number;
}

function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new RangeError(
      `Cannot read metrics as 'limit' must be a positive integer: current value is ${limit}`,
    );
  }
}

function checkWindow(window: MetricWindow): void {
  if (window.fromNs >= window.toNs) {
    throw new RangeError(
      `Cannot read metrics as a window's start must be before its end: current value is ` +
        `[${window.fromNs}, ${window.toNs})`,
    );
  }
}

/** Instruments, ordered by service, name and key. */
export async function listMetricInstruments(
  db: Db,
  caps: DialectCapabilities,
  filter: InstrumentFilter,
): Promise<StoredMetricInstrument[]> {
  checkLimit(filter.limit);
  let query = db.selectFrom("metric_instruments").selectAll();
  if (filter.serviceName !== undefined) {
    query = query.where("service_name", "=", filter.serviceName);
  }
  if (filter.nameContains !== undefined && filter.nameContains !== "") {
    query = query.where(caps.containsIgnoringCase("name", filter.nameContains));
  }
  if (filter.window !== undefined) query = inWindow(query, caps, filter.window);
  const rows = await caps.paginate(
    query.orderBy("service_name").orderBy("name").orderBy("key"),
    { limit: filter.limit, offset: 0 },
  ).execute();
  return rows.map(metricInstrumentFromDb);
}

/** Rows seen in the window: first seen before its end, last seen within a minute of its start. */
function inWindow<
  Q extends {
    where(column: "first_seen_unix_nano" | "last_seen_unix_nano", op: "<" | ">", value: never): Q;
  },
>(query: Q, caps: DialectCapabilities, window: MetricWindow): Q {
  checkWindow(window);
  return query
    .where("first_seen_unix_nano", "<", caps.int64(window.toNs) as never)
    .where("last_seen_unix_nano", ">", caps.int64(window.fromNs - LAST_SEEN_SLACK_NS) as never);
}

/**
 * How many series of each instrument were seen in the window (one grouped count over the
 * series table's instrument index); instruments without any are left out.
 */
export async function metricSeriesCounts(
  db: Db,
  caps: DialectCapabilities,
  instrumentKeys: readonly string[],
  window: MetricWindow,
): Promise<Map<string, number>> {
  const keys = [...new Set(instrumentKeys)];
  const counts = new Map<string, number>();
  const perStatement = Math.max(1, caps.maxParameters - 8);
  for (let i = 0; i < keys.length; i += perStatement) {
    const query = db.selectFrom("metric_series")
      .select(["instrument_key", (eb) => eb.fn.countAll<number | bigint | string>().as("series")])
      .where("instrument_key", "in", keys.slice(i, i + perStatement));
    const rows = await inWindow(query, caps, window).groupBy("instrument_key").execute();
    for (const row of rows) counts.set(row.instrument_key, Number(row.series));
  }
  return counts;
}

/** One instrument by key, or undefined. */
export async function metricInstrument(
  db: Db,
  key: string,
): Promise<StoredMetricInstrument | undefined> {
  const row = await db.selectFrom("metric_instruments").selectAll().where("key", "=", key)
    .executeTakeFirst();
  return row === undefined ? undefined : metricInstrumentFromDb(row);
}

export interface SeriesFilter {
  /** Series with points in this window (by their seen times). */
  window?: MetricWindow;
  /** Most series answered (ordered by series key). */
  limit: number;
}

/** The series of one instrument, ordered by key. */
export async function listMetricSeries(
  db: Db,
  caps: DialectCapabilities,
  instrumentKey: string,
  filter: SeriesFilter,
): Promise<StoredMetricSeries[]> {
  checkLimit(filter.limit);
  let query = db.selectFrom("metric_series").selectAll()
    .where("instrument_key", "=", instrumentKey);
  if (filter.window !== undefined) query = inWindow(query, caps, filter.window);
  const rows = await caps.paginate(query.orderBy("series_key"), {
    limit: filter.limit,
    offset: 0,
  }).execute();
  return rows.map(metricSeriesFromDb);
}

/** An attribute key of some series and its distinct values, as text. */
export interface AttributeValues {
  key: string;
  /** Sorted; strings as they are, other values as AnyValue JSON (lib/any_value_json.ts). */
  values: string[];
}

/** The attribute keys of the series (sorted) and each key's distinct values. */
export function seriesAttributeValues(series: readonly StoredMetricSeries[]): AttributeValues[] {
  const byKey = new Map<string, Set<string>>();
  for (const s of series) {
    for (const { key, value } of parseAttributesJson(s.attributes)) {
      const text = value.type === "string" ? value.value : encodeAnyValueJson(value);
      let values = byKey.get(key);
      if (values === undefined) byKey.set(key, values = new Set());
      values.add(text);
    }
  }
  const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...byKey.keys()].sort(order).map((key) => ({
    key,
    values: [...byKey.get(key)!].sort(order),
  }));
}

/** One series' points of a window, and the last point before it. */
export interface SeriesPoints {
  seriesKey: string;
  /** The series' last point before `fromNs` (latest time, then latest start), if any. */
  baseline: StoredMetricPoint | undefined;
  /** Points with `fromNs <= time < toNs`, by time then start. */
  points: StoredMetricPoint[];
}

/**
 * The points of each series in `[fromNs, toNs)` (one key range each: the table is keyed by
 * series, time and start), with each series' baseline: one query for the windows and one small
 * one per series for its baseline. Series without points come back with none.
 */
export async function metricPoints(
  db: Db,
  caps: DialectCapabilities,
  seriesKeys: readonly string[],
  window: MetricWindow,
): Promise<SeriesPoints[]> {
  checkWindow(window);
  const keys = [...new Set(seriesKeys)];
  const result = new Map<string, SeriesPoints>(
    keys.map((seriesKey) => [seriesKey, { seriesKey, baseline: undefined, points: [] }]),
  );
  if (keys.length === 0) return [];
  const from = caps.int64(window.fromNs) as bigint;
  const to = caps.int64(window.toNs) as bigint;
  const perStatement = Math.max(1, caps.maxParameters - 8);
  for (let i = 0; i < keys.length; i += perStatement) {
    const rows = await db.selectFrom("metric_points").selectAll()
      .where("series_key", "in", keys.slice(i, i + perStatement))
      .where("time_unix_nano", ">=", from)
      .where("time_unix_nano", "<", to)
      .orderBy("series_key").orderBy("time_unix_nano").orderBy("start_time_unix_nano")
      .execute();
    for (const row of rows) result.get(row.series_key)!.points.push(metricPointFromDb(row));
  }
  for (const key of keys) {
    const [row] = await caps.paginate(
      db.selectFrom("metric_points").selectAll()
        .where("series_key", "=", key)
        .where("time_unix_nano", "<", from)
        .orderBy("time_unix_nano", "desc").orderBy("start_time_unix_nano", "desc"),
      { limit: 1, offset: 0 },
    ).execute();
    if (row !== undefined) result.get(key)!.baseline = metricPointFromDb(row);
  }
  return keys.map((key) => result.get(key)!);
}

/**
 * How many points the series have in `[fromNs, toNs)`: a count over the points' key ranges, far
 * cheaper than reading them (which costs about a microsecond a row or more), so that a chart can
 * refuse a read too large before making it.
 */
export async function metricPointCount(
  db: Db,
  caps: DialectCapabilities,
  seriesKeys: readonly string[],
  window: MetricWindow,
): Promise<number> {
  checkWindow(window);
  const keys = [...new Set(seriesKeys)];
  let total = 0;
  const perStatement = Math.max(1, caps.maxParameters - 8);
  for (let i = 0; i < keys.length; i += perStatement) {
    const row = await db.selectFrom("metric_points")
      .select((eb) => eb.fn.countAll<number | bigint | string>().as("points"))
      .where("series_key", "in", keys.slice(i, i + perStatement))
      .where("time_unix_nano", ">=", caps.int64(window.fromNs) as bigint)
      .where("time_unix_nano", "<", caps.int64(window.toNs) as bigint)
      .executeTakeFirst();
    total += Number(row?.points ?? 0);
  }
  return total;
}

/** The exemplars of the series' points in `[fromNs, toNs)` (by point time), in time order. */
export async function metricExemplars(
  db: Db,
  caps: DialectCapabilities,
  seriesKeys: readonly string[],
  window: MetricWindow,
  limit: number,
): Promise<StoredMetricExemplar[]> {
  checkWindow(window);
  checkLimit(limit);
  const keys = [...new Set(seriesKeys)];
  if (keys.length === 0) return [];
  const out: StoredMetricExemplar[] = [];
  const perStatement = Math.max(1, caps.maxParameters - 8);
  for (let i = 0; i < keys.length; i += perStatement) {
    const rows = await caps.paginate(
      db.selectFrom("metric_exemplars").selectAll()
        .where("series_key", "in", keys.slice(i, i + perStatement))
        .where("point_time_unix_nano", ">=", caps.int64(window.fromNs) as bigint)
        .where("point_time_unix_nano", "<", caps.int64(window.toNs) as bigint)
        .orderBy("point_time_unix_nano").orderBy("series_key").orderBy("point_start_unix_nano")
        .orderBy("ordinal"),
      { limit, offset: 0 },
    ).execute();
    out.push(...rows.map(metricExemplarFromDb));
  }
  const order = (a: StoredMetricExemplar, b: StoredMetricExemplar) =>
    a.pointTimeUnixNano < b.pointTimeUnixNano
      ? -1
      : a.pointTimeUnixNano > b.pointTimeUnixNano
      ? 1
      : 0;
  return out.sort(order).slice(0, limit);
}

// ---------------------------------------------------------------------------------------------
// For the metric math (utils/metric_math.ts): stored points as its input types. Times stay
// bigint ns; int64 values become numbers (exact up to 2^53); a point with no recorded value keeps
// its flags and zero values, which the math skips.

function mismatch(expected: string, point: StoredMetricPoint): RangeError {
  return new RangeError(
    `Cannot use a metric point as a ${expected} point as its value must be of that kind: ` +
      `current value is a ${point.value.kind} point at ${point.timeUnixNano} ns`,
  );
}

/** Gauge and Sum points as `NumberPoint`s (a gap's value is NaN). */
export function numberPoints(points: readonly StoredMetricPoint[]): NumberPoint[] {
  return points.map((point) => {
    const { value } = point;
    const base = times(point);
    if (value.kind === "none") return { ...base, value: NaN };
    if (value.kind === "int") return { ...base, value: Number(value.value) };
    if (value.kind === "double") return { ...base, value: value.value };
    throw mismatch("number", point);
  });
}

/** Histogram points as `HistogramPoint`s. */
export function histogramPoints(points: readonly StoredMetricPoint[]): HistogramPoint[] {
  return points.map((point) => {
    const { value } = point;
    const base = times(point);
    if (value.kind === "none") return { ...base, count: 0, explicitBounds: [], bucketCounts: [] };
    if (value.kind !== "histogram") throw mismatch("histogram", point);
    return {
      ...base,
      count: value.count,
      ...optional(value),
      explicitBounds: value.explicitBounds,
      bucketCounts: value.bucketCounts,
    };
  });
}

/** ExponentialHistogram points as `ExponentialHistogramPoint`s. */
export function exponentialHistogramPoints(
  points: readonly StoredMetricPoint[],
): ExponentialHistogramPoint[] {
  return points.map((point) => {
    const { value } = point;
    const base = times(point);
    if (value.kind === "none") {
      const empty = { offset: 0, bucketCounts: [] };
      return { ...base, count: 0, scale: 0, zeroCount: 0, positive: empty, negative: empty };
    }
    if (value.kind !== "exponential_histogram") throw mismatch("exponential histogram", point);
    return {
      ...base,
      count: value.count,
      ...optional(value),
      scale: value.scale,
      zeroCount: value.zeroCount,
      zeroThreshold: value.zeroThreshold,
      positive: { offset: value.positiveOffset, bucketCounts: value.positiveBucketCounts },
      negative: { offset: value.negativeOffset, bucketCounts: value.negativeBucketCounts },
    };
  });
}

/** Summary points as `SummaryPoint`s. */
export function summaryPoints(points: readonly StoredMetricPoint[]): SummaryPoint[] {
  return points.map((point) => {
    const { value } = point;
    const base = times(point);
    if (value.kind === "none") return { ...base, count: 0, sum: 0, quantileValues: [] };
    if (value.kind !== "summary") throw mismatch("summary", point);
    return { ...base, count: value.count, sum: value.sum, quantileValues: value.quantiles };
  });
}

function times(point: StoredMetricPoint) {
  return {
    startTimeUnixNano: point.startTimeUnixNano,
    timeUnixNano: point.timeUnixNano,
    flags: point.flags,
  };
}

/** sum, min and max where present (the math's optional fields). */
function optional(value: { sum: number | null; min: number | null; max: number | null }) {
  return {
    ...(value.sum === null ? {} : { sum: value.sum }),
    ...(value.min === null ? {} : { min: value.min }),
    ...(value.max === null ? {} : { max: value.max }),
  };
}

// ---------------------------------------------------------------------------------------------
// The reads as the Store serves them (store/mod.ts), on the connection API reads go through (the
// SQLite reader threads for a file).

/** The metric reads of the API (`store.instruments`). */
export interface InstrumentReads {
  instruments(filter: InstrumentFilter): Promise<StoredMetricInstrument[]>;
  seriesCounts(
    instrumentKeys: readonly string[],
    window: MetricWindow,
  ): Promise<Map<string, number>>;
  instrument(key: string): Promise<StoredMetricInstrument | undefined>;
  series(instrumentKey: string, filter: SeriesFilter): Promise<StoredMetricSeries[]>;
  points(seriesKeys: readonly string[], window: MetricWindow): Promise<SeriesPoints[]>;
  pointCount(seriesKeys: readonly string[], window: MetricWindow): Promise<number>;
  exemplars(
    seriesKeys: readonly string[],
    window: MetricWindow,
    limit: number,
  ): Promise<StoredMetricExemplar[]>;
}

export class MetricReads implements InstrumentReads {
  readonly #db: Db;
  readonly #caps: DialectCapabilities;

  constructor(db: Db, caps: DialectCapabilities) {
    this.#db = db;
    this.#caps = caps;
  }

  instruments(filter: InstrumentFilter) {
    return listMetricInstruments(this.#db, this.#caps, filter);
  }
  seriesCounts(instrumentKeys: readonly string[], window: MetricWindow) {
    return metricSeriesCounts(this.#db, this.#caps, instrumentKeys, window);
  }
  instrument(key: string) {
    return metricInstrument(this.#db, key);
  }
  series(instrumentKey: string, filter: SeriesFilter) {
    return listMetricSeries(this.#db, this.#caps, instrumentKey, filter);
  }
  points(seriesKeys: readonly string[], window: MetricWindow) {
    return metricPoints(this.#db, this.#caps, seriesKeys, window);
  }
  pointCount(seriesKeys: readonly string[], window: MetricWindow) {
    return metricPointCount(this.#db, this.#caps, seriesKeys, window);
  }
  exemplars(seriesKeys: readonly string[], window: MetricWindow, limit: number) {
    return metricExemplars(this.#db, this.#caps, seriesKeys, window, limit);
  }
}
