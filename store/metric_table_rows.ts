/**
 * The table rows of a batch's metric points, for the SQLite writer thread (sqlite_commit.ts),
 * which runs prepared statements and no Kysely: the same rows, in the same order, and the same
 * seen times as `writeMetricRows` (metric_writes.ts) writes through Kysely on the other
 * databases. Pure; runs on the thread that decodes.
 *
 * @module
 */
import type {
  Int64Param,
  MetricExemplarsTable,
  MetricInstrumentsTable,
  MetricPointsTable,
  MetricSeriesTable,
} from "./columns.ts";
import {
  LAST_SEEN_SLACK_NS,
  metricExemplarsToDb,
  metricInstrumentToDb,
  metricPointToDb,
} from "./metric_columns.ts";
import type { MetricPointRow } from "./metric_types.ts";

/** The earliest and latest minute (Unix ns, rounded down) of a key's points in the batch. */
export interface SeenMinutes {
  first: bigint;
  last: bigint;
}

export interface MetricTableRows {
  instruments: MetricInstrumentsTable[];
  series: MetricSeriesTable[];
  /** One per point key (the first of the batch), sorted by instrument, time, series and start. */
  points: MetricPointsTable[];
  exemplars: MetricExemplarsTable[];
  /** Seen times to move on stored rows: instrument key (series key) → minutes. */
  instrumentSeen: Map<string, SeenMinutes>;
  seriesSeen: Map<string, SeenMinutes>;
}

const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byTime = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

function widen(map: Map<string, SeenMinutes>, key: string, minute: bigint): void {
  const seen = map.get(key);
  if (seen === undefined) map.set(key, { first: minute, last: minute });
  else {
    if (minute < seen.first) seen.first = minute;
    if (minute > seen.last) seen.last = minute;
  }
}

/** The points with exemplars, by series, time and start. */
function exemplarOrder(points: readonly MetricPointRow[]): MetricPointRow[] {
  return points.filter((p) => p.exemplars.length > 0).sort((a, b) =>
    byKey(a.seriesKey, b.seriesKey) || byTime(a.timeUnixNano, b.timeUnixNano) ||
    byTime(a.startTimeUnixNano, b.startTimeUnixNano)
  );
}

/** The rows of `points` (with their instruments), as metric_writes.ts writes them. */
export function metricTableRows(
  points: readonly MetricPointRow[],
  int64: Int64Param,
): MetricTableRows {
  const unique = new Map<string, MetricPointRow>();
  for (const point of points) if (!unique.has(point.pointKey)) unique.set(point.pointKey, point);
  // In the points' key order (instrument, time, series, start): a commit's inserts walk each
  // instrument's newest pages once, and concurrent writers take row locks in one order.
  const sorted = [...unique.values()].sort((a, b) =>
    byKey(a.instrumentKey, b.instrumentKey) || byTime(a.timeUnixNano, b.timeUnixNano) ||
    byKey(a.seriesKey, b.seriesKey) || byTime(a.startTimeUnixNano, b.startTimeUnixNano)
  );
  const instrumentSeen = new Map<string, SeenMinutes>();
  const seriesSeen = new Map<string, SeenMinutes>();
  const instrumentOf = new Map<string, MetricPointRow["instrument"]>();
  const seriesOf = new Map<string, MetricPointRow>();
  for (const point of sorted) {
    const minute = point.timeUnixNano - point.timeUnixNano % LAST_SEEN_SLACK_NS;
    widen(instrumentSeen, point.instrumentKey, minute);
    widen(seriesSeen, point.seriesKey, minute);
    if (!instrumentOf.has(point.instrumentKey)) {
      instrumentOf.set(point.instrumentKey, point.instrument);
    }
    if (!seriesOf.has(point.seriesKey)) seriesOf.set(point.seriesKey, point);
  }
  const instruments = [...instrumentOf.entries()]
    .sort(([a], [b]) => byKey(a, b))
    .map(([key, instrument]) => {
      const seen = instrumentSeen.get(key)!;
      return metricInstrumentToDb(instrument, seen.first, seen.last, int64);
    });
  const series = [...seriesOf.values()].map((p): MetricSeriesTable => {
    const seen = seriesSeen.get(p.seriesKey)!;
    return {
      series_key: p.seriesKey,
      instrument_key: p.instrumentKey,
      attributes: p.attributes,
      dropped_attributes_count: p.droppedAttributesCount,
      first_seen_unix_nano: int64(seen.first),
      last_seen_unix_nano: int64(seen.last),
    };
  });
  return {
    instruments,
    series,
    points: sorted.map((p) => metricPointToDb(p, int64)),
    // In the exemplars' key order (series, point time, start, ordinal), as the points are in theirs.
    exemplars: exemplarOrder(sorted).flatMap((p) => metricExemplarsToDb(p, int64)),
    instrumentSeen,
    seriesSeen,
  };
}

// ---------------------------------------------------------------------------------------------
// Late-point marks (metric_rollups.ts): a point committed into a 60 s bucket whose rollups may
// have been built marks that (series, bucket), in the point's transaction.

/** The rollups' finest bucket, in nanoseconds. */
export const MARK_BUCKET_NS = 60_000_000_000n;

/**
 * A point whose 60 s bucket ended this long before its commit (now taken inside the commit's
 * transaction) is marked late: half of the smallest METRIC_ROLLUP_LAG (1 min), so at most half of
 * any lag. The job builds a bucket only when it ended LAG ago or more, so a point left unmarked
 * was committed by a transaction that took its time within LAG/2 (or less) of the bucket's end;
 * it is missed only if that transaction then stays open past the job's read, at least
 * LAG - 30 s later (see metric_rollups.ts on races). Marking more than needed is harmless: a mark
 * only sends its bucket's reads to the raw points until the job rebuilds it.
 */
export const LATE_AFTER_NS = 30_000_000_000n;

/**
 * Points with a time before this are late at `nowNs`: their bucket end
 * (floor(t / 60 s) · 60 s + 60 s) is at or before `nowNs - LATE_AFTER_NS`. One comparison a point.
 */
export function lateBeforeNs(nowNs: bigint): bigint {
  const edge = nowNs - LATE_AFTER_NS;
  return edge - (((edge % MARK_BUCKET_NS) + MARK_BUCKET_NS) % MARK_BUCKET_NS);
}

/** A (series, 60 s bucket start) mark, in insert order (sorted by series, then bucket). */
export interface LateMark {
  seriesKey: string;
  bucketNs: bigint;
}

/**
 * The marks of the late points among `count` points (read by index through `seriesAt` and
 * `timeAt`, so that both writers use their own rows), at `nowNs`: distinct, sorted by series and
 * bucket (the order in which two writers then take their locks). Recent points cost one
 * comparison each and nothing is allocated when none is late.
 */
export function lateMarks(
  count: number,
  seriesAt: (i: number) => string,
  timeAt: (i: number) => bigint,
  nowNs: bigint,
): LateMark[] {
  const before = lateBeforeNs(nowNs);
  let marks: Map<string, LateMark> | undefined;
  for (let i = 0; i < count; i++) {
    const time = timeAt(i);
    if (time >= before) continue;
    const bucketNs = time - (((time % MARK_BUCKET_NS) + MARK_BUCKET_NS) % MARK_BUCKET_NS);
    const seriesKey = seriesAt(i);
    marks ??= new Map();
    marks.set(`${seriesKey} ${bucketNs}`, { seriesKey, bucketNs });
  }
  if (marks === undefined) return [];
  return [...marks.values()].sort((a, b) =>
    byKey(a.seriesKey, b.seriesKey) || byTime(a.bucketNs, b.bucketNs)
  );
}
