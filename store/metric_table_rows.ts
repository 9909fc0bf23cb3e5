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
  /** One per point key (the first of the batch), sorted by series, time and start. */
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

/** The rows of `points` (with their instruments), as metric_writes.ts writes them. */
export function metricTableRows(
  points: readonly MetricPointRow[],
  int64: Int64Param,
): MetricTableRows {
  const unique = new Map<string, MetricPointRow>();
  for (const point of points) if (!unique.has(point.pointKey)) unique.set(point.pointKey, point);
  const sorted = [...unique.values()].sort((a, b) =>
    byKey(a.seriesKey, b.seriesKey) || byTime(a.timeUnixNano, b.timeUnixNano) ||
    byTime(a.startTimeUnixNano, b.startTimeUnixNano)
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
    exemplars: sorted.flatMap((p) => metricExemplarsToDb(p, int64)),
    instrumentSeen,
    seriesSeen,
  };
}
