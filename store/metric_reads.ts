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
import { type Database, resourceFromJoin, type ResourceJoinColumns } from "./columns.ts";
import { RESOURCE_COLUMNS } from "./resource_columns.ts";
import type { DialectCapabilities } from "./dialects/mod.ts";
import { ROLLUP_LEVELS, type RollupLevel } from "./metric_rollups.ts";
import { pointKeysPerStatement, pointsOf } from "./metric_points_of.ts";
import {
  byPointKey,
  LAST_SEEN_SLACK_NS,
  metricExemplarFromDb,
  metricInstrumentFromDb,
  metricPointFromDb,
  metricRollupPointFromDb,
  metricSeriesFromDb,
  type StoredMetricExemplar,
  type StoredMetricInstrument,
  type StoredMetricInstrumentWithResource,
  type StoredMetricPoint,
  type StoredMetricSeries,
} from "./metric_columns.ts";

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

/** One instrument by key, with its resource (one left join), or undefined. */
export async function metricInstrument(
  db: Db,
  key: string,
): Promise<StoredMetricInstrumentWithResource | undefined> {
  const row = await db.selectFrom("metric_instruments")
    .leftJoin("resources", "resources.id", "metric_instruments.resource_id")
    .selectAll("metric_instruments")
    .select(RESOURCE_COLUMNS)
    .where("metric_instruments.key", "=", key)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    ...metricInstrumentFromDb(row),
    // Every column of a resource row is not null: one null is no row.
    resource: row.r_attributes === null
      ? undefined
      : resourceFromJoin(row.resource_id, row as ResourceJoinColumns),
  };
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
 * The points of each series in `[fromNs, toNs)` (one time range of each of their instruments:
 * see `pointsOf`), with each series' baseline: one query for the windows and one small one per
 * series for its baseline. Series without points come back with none.
 */
export async function metricPoints(
  db: Db,
  caps: DialectCapabilities,
  seriesKeys: readonly string[],
  window: MetricWindow,
): Promise<SeriesPoints[]> {
  checkWindow(window);
  const keys = [...new Set(seriesKeys)];
  if (keys.length === 0) return [];
  const result = emptySeries(keys);
  await readRawPoints(db, caps, keys, window.fromNs, window.toNs, result);
  await readBaselines(db, caps, keys, window.fromNs, result);
  return keys.map((key) => result.get(key)!);
}

function emptySeries(keys: readonly string[]): Map<string, SeriesPoints> {
  return new Map(
    keys.map((seriesKey) => [seriesKey, { seriesKey, baseline: undefined, points: [] }]),
  );
}

/** Appends the raw points of `[fromNs, toNs)` to each series' `points`, by time then start. */
async function readRawPoints(
  db: Db,
  caps: DialectCapabilities,
  keys: readonly string[],
  fromNs: bigint,
  toNs: bigint,
  result: Map<string, SeriesPoints>,
): Promise<void> {
  const from = caps.int64(fromNs) as bigint;
  const to = caps.int64(toNs) as bigint;
  const perStatement = pointKeysPerStatement(caps);
  for (let i = 0; i < keys.length; i += perStatement) {
    const rows = await pointsOf(db, keys.slice(i, i + perStatement)).selectAll()
      .where("time_unix_nano", ">=", from)
      .where("time_unix_nano", "<", to)
      // The key's order: each series' rows come by time then start, and nothing is sorted.
      .orderBy("instrument_key").orderBy("time_unix_nano").orderBy("series_key")
      .orderBy("start_time_unix_nano")
      .execute();
    for (const row of rows) result.get(row.series_key)!.points.push(metricPointFromDb(row));
  }
}

/** Sets each series' baseline: its last raw point before `fromNs` (one small read a series). */
async function readBaselines(
  db: Db,
  caps: DialectCapabilities,
  keys: readonly string[],
  fromNs: bigint,
  result: Map<string, SeriesPoints>,
): Promise<void> {
  const from = caps.int64(fromNs) as bigint;
  // A series' first seen minute bounds its read backwards (none of its points is older; the
  // instrument's rows in between are passed over), and a series first seen at or after `fromNs`
  // has no baseline to read.
  const firstSeen = new Map<string, bigint>();
  const perStatement = Math.max(1, caps.maxParameters - 8);
  for (let i = 0; i < keys.length; i += perStatement) {
    const rows = await db.selectFrom("metric_series")
      .select(["series_key", "first_seen_unix_nano"])
      .where("series_key", "in", keys.slice(i, i + perStatement)).execute();
    for (const row of rows) firstSeen.set(row.series_key, int64Of(row.first_seen_unix_nano));
  }
  for (const key of keys) {
    const first = firstSeen.get(key);
    if (first === undefined || first >= fromNs) continue;
    const [row] = await caps.paginate(
      pointsOf(db, [key]).selectAll()
        .where("time_unix_nano", ">=", caps.int64(first) as bigint)
        .where("time_unix_nano", "<", from)
        // The key's order backwards (instrument and series are fixed): read newest first.
        .orderBy("instrument_key", "desc").orderBy("time_unix_nano", "desc")
        .orderBy("series_key", "desc").orderBy("start_time_unix_nano", "desc"),
      { limit: 1, offset: 0 },
    ).execute();
    if (row !== undefined) result.get(key)!.baseline = metricPointFromDb(row);
  }
}

/** A chart read refused before it is made: more raw points than its bound. */
export class TooManyPointsError extends RangeError {
  constructor(readonly points: number, readonly max: number) {
    super(`Cannot read ${points} metric points as at most ${max} are read per chart`);
  }
}

const int64Of = (value: bigint | string | number) =>
  typeof value === "bigint" ? value : BigInt(value);

/**
 * Like `metricPoints`, but the buckets of `levelSeconds` that are built (before the level's
 * done_until: metric_rollups.ts) and hold no late-point mark come from `metric_rollup_points`:
 * rolled range `[from, min(floor(to / L) · L, done_until))`, less the level-buckets with a mark
 * (read raw, whole), raw points after it, the baseline raw as `metricPoints` reads it. The marks
 * are read before the rollups: a mark absent then was deleted by a rebuild that committed first,
 * so the rollups read after hold its point (or its point is newer than this read).
 */
export async function metricChartPoints(
  db: Db,
  caps: DialectCapabilities,
  seriesKeys: readonly string[],
  window: MetricWindow,
  levelSeconds: RollupLevel,
  maxRawPoints = Number.POSITIVE_INFINITY,
): Promise<SeriesPoints[]> {
  checkWindow(window);
  if (!(ROLLUP_LEVELS as readonly number[]).includes(levelSeconds)) {
    throw new RangeError(
      `Cannot read chart points as the level must be 60, 600 or 3600 s: current value is ` +
        `${levelSeconds}`,
    );
  }
  const step = BigInt(levelSeconds) * 1_000_000_000n;
  if (window.fromNs % step !== 0n) {
    throw new RangeError(
      `Cannot read chart points as the window's start must be a multiple of ${levelSeconds} s: ` +
        `current value is ${window.fromNs}`,
    );
  }
  const keys = [...new Set(seriesKeys)];
  if (keys.length === 0) return [];
  const state = await db.selectFrom("metric_rollup_state").select("done_until_unix_nano")
    .where("level_seconds", "=", levelSeconds).executeTakeFirst();
  const done = state === undefined ? window.fromNs : int64Of(state.done_until_unix_nano);
  const wholeEnd = window.toNs - (((window.toNs % step) + step) % step);
  const rolledEnd = wholeEnd < done ? wholeEnd : done;
  // The part not rolled up yet (all of it before the job's first run) is read raw: bounded.
  const rawFrom = rolledEnd > window.fromNs ? rolledEnd : window.fromNs;
  if (Number.isFinite(maxRawPoints) && rawFrom < window.toNs) {
    const raw = await metricPointCount(db, caps, keys, { fromNs: rawFrom, toNs: window.toNs });
    if (raw > maxRawPoints) throw new TooManyPointsError(raw, maxRawPoints);
  }
  if (rolledEnd <= window.fromNs) return metricPoints(db, caps, keys, window);
  const from = caps.int64(window.fromNs) as bigint;
  const end = caps.int64(rolledEnd) as bigint;
  const perStatement = Math.max(1, caps.maxParameters - 8);
  // Marked level-buckets, per series (marks are 60 s buckets).
  const marked = new Map<string, Set<bigint>>();
  for (let i = 0; i < keys.length; i += perStatement) {
    const rows = await db.selectFrom("metric_rollup_marks").selectAll()
      .where("series_key", "in", keys.slice(i, i + perStatement))
      .where("bucket_unix_nano", ">=", from)
      .where("bucket_unix_nano", "<", end)
      .execute();
    for (const row of rows) {
      const bucket = int64Of(row.bucket_unix_nano);
      const levelBucket = bucket - (((bucket % step) + step) % step);
      let set = marked.get(row.series_key);
      if (set === undefined) marked.set(row.series_key, set = new Set());
      set.add(levelBucket);
    }
  }
  const result = emptySeries(keys);
  for (let i = 0; i < keys.length; i += perStatement) {
    const rows = await db.selectFrom("metric_rollup_points").selectAll()
      .where("series_key", "in", keys.slice(i, i + perStatement))
      .where("level_seconds", "=", levelSeconds)
      .where("time_unix_nano", ">=", from)
      .where("time_unix_nano", "<", end)
      .orderBy("series_key").orderBy("time_unix_nano").orderBy("start_time_unix_nano")
      .execute();
    for (const row of rows) {
      const point = metricRollupPointFromDb(row);
      const buckets = marked.get(row.series_key);
      if (buckets !== undefined) {
        const t = point.timeUnixNano;
        if (buckets.has(t - (((t % step) + step) % step))) continue;
      }
      result.get(row.series_key)!.points.push(point);
    }
  }
  // The marked buckets raw, then the raw points after the rolled range.
  for (const [key, buckets] of marked) {
    const one = new Map([[key, result.get(key)!]]);
    for (const bucket of [...buckets].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      await readRawPoints(db, caps, [key], bucket, bucket + step, one);
    }
  }
  if (rolledEnd < window.toNs) {
    await readRawPoints(db, caps, keys, rolledEnd, window.toNs, result);
  }
  for (const key of marked.keys()) result.get(key)!.points.sort(byPointKey);
  await readBaselines(db, caps, keys, window.fromNs, result);
  return keys.map((key) => result.get(key)!);
}

/** Points per series read by `metricExportIntervalNs`: ten gaps. */
const INTERVAL_SAMPLE = 11;
/** Series sampled by `metricExportIntervalNs`. */
const INTERVAL_SERIES = 5;

/**
 * The median gap between the latest points (up to 11) in the window of up to 5 of the series:
 * one index seek each. Null when they have fewer than two distinct times.
 */
export async function metricExportIntervalNs(
  db: Db,
  caps: DialectCapabilities,
  seriesKeys: readonly string[],
  window: MetricWindow,
): Promise<bigint | null> {
  checkWindow(window);
  const gaps: bigint[] = [];
  for (const key of [...new Set(seriesKeys)].slice(0, INTERVAL_SERIES)) {
    const rows = await caps.paginate(
      pointsOf(db, [key]).select("time_unix_nano")
        .where("time_unix_nano", ">=", caps.int64(window.fromNs) as bigint)
        .where("time_unix_nano", "<", caps.int64(window.toNs) as bigint)
        .orderBy("instrument_key", "desc").orderBy("time_unix_nano", "desc")
        .orderBy("series_key", "desc").orderBy("start_time_unix_nano", "desc"),
      { limit: INTERVAL_SAMPLE, offset: 0 },
    ).execute();
    const times = [...new Set(rows.map((r) => int64Of(r.time_unix_nano)))];
    for (let i = 1; i < times.length; i++) gaps.push(times[i - 1]! - times[i]!);
  }
  if (gaps.length === 0) return null;
  gaps.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return gaps[Math.floor(gaps.length / 2)]!;
}

/**
 * How many points the series have in `[fromNs, toNs)`: a count over their instruments' key ranges, far
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
  const perStatement = pointKeysPerStatement(caps);
  for (let i = 0; i < keys.length; i += perStatement) {
    const row = await pointsOf(db, keys.slice(i, i + perStatement))
      .select((eb) => eb.fn.countAll<number | bigint | string>().as("points"))
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

// Stored points as the metric math's input types: one place, metric_math_points.ts (the rollups
// use them too).
export {
  exponentialHistogramPoints,
  histogramPoints,
  numberPoints,
  summaryPoints,
} from "./metric_math_points.ts";

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
  instrument(key: string): Promise<StoredMetricInstrumentWithResource | undefined>;
  series(instrumentKey: string, filter: SeriesFilter): Promise<StoredMetricSeries[]>;
  points(seriesKeys: readonly string[], window: MetricWindow): Promise<SeriesPoints[]>;
  /**
   * Like points(), but buckets of `levelSeconds` that are built and unmarked come from the
   * rollups; the rest raw, refused with a TooManyPointsError past `maxRawPoints` (counted first).
   */
  chartPoints(
    seriesKeys: readonly string[],
    window: MetricWindow,
    levelSeconds: RollupLevel,
    maxRawPoints?: number,
  ): Promise<SeriesPoints[]>;
  /**
   * The median gap between recent points of up to 5 of the series (null: too few points): a few
   * index seeks.
   */
  exportIntervalNs(seriesKeys: readonly string[], window: MetricWindow): Promise<bigint | null>;
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
  chartPoints(
    seriesKeys: readonly string[],
    window: MetricWindow,
    levelSeconds: RollupLevel,
    maxRawPoints?: number,
  ) {
    return metricChartPoints(this.#db, this.#caps, seriesKeys, window, levelSeconds, maxRawPoints);
  }
  exportIntervalNs(seriesKeys: readonly string[], window: MetricWindow) {
    return metricExportIntervalNs(this.#db, this.#caps, seriesKeys, window);
  }
  pointCount(seriesKeys: readonly string[], window: MetricWindow) {
    return metricPointCount(this.#db, this.#caps, seriesKeys, window);
  }
  exemplars(seriesKeys: readonly string[], window: MetricWindow, limit: number) {
    return metricExemplars(this.#db, this.#caps, seriesKeys, window, limit);
  }
}
