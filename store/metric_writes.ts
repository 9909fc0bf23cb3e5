/**
 * Writing decoded metric rows (store/metric_types.ts) inside a caller's transaction: the
 * instruments, series, points and exemplars of one batch. The resources they reference are
 * written by the batch's existing path. `KyselyCommitter` (batch_writer.ts) calls it in a batch's
 * commit; SQLite's writer thread writes the same rows (metric_table_rows.ts) with its statements.
 *
 * Every table is written insert-if-absent on its key (columns.ts `TABLE_KEYS`), so a retried or
 * replayed batch stores each point once: the first point of a key is kept (OTLP has no
 * corrections; see ingest/otlp/metrics_rows.ts). Exemplars are keyed by their point and their
 * position in it, so those of a retried point are skipped too.
 *
 * An instrument or series seen again only has its seen times moved, and at most once a minute:
 * both are kept rounded down to the minute (`LAST_SEEN_SLACK_NS`), and an update matches only a
 * row whose time would change, so that a steady exporter rewrites a series' row once a minute,
 * not at every export. One statement per distinct minute of the batch (usually one or two).
 *
 * Rows are written sorted by key: two writers of overlapping series then take their row locks in
 * the same order (PostgreSQL, MySQL and SQL Server would otherwise deadlock), and the points of a
 * series land next to each other in the key order.
 *
 * @module
 */
import { type Kysely, sql } from "kysely";
import type { Database } from "./columns.ts";
import { TABLE_KEYS } from "./columns.ts";
import type { DialectCapabilities } from "./dialects/mod.ts";
import { chunks } from "./batch_writer.ts";
import { lateMarks, metricTableRows, type SeenMinutes } from "./metric_table_rows.ts";
import type { MetricPointRow } from "./metric_types.ts";

/** What a batch of metrics writes: its points as decoded, each with its instrument. */
export interface MetricRows {
  points: readonly MetricPointRow[];
}

export interface MetricWriteCounts {
  /** Instruments and series new to the database. */
  instruments: number;
  series: number;
  /** Points inserted, and points whose key was stored already (or repeated in the batch). */
  points: { inserted: number; duplicates: number };
  exemplars: number;
}

type Db = Kysely<Database>;

/**
 * Writes the rows in `trx` (a transaction of the caller's, which commits them with the rest of
 * its batch) and answers what was new. Points repeating a key within `rows` are written once.
 * The rows are those the SQLite writer thread writes (metric_table_rows.ts).
 */
export async function writeMetricRows(
  trx: Db,
  caps: DialectCapabilities,
  rows: MetricRows,
): Promise<MetricWriteCounts> {
  const table = metricTableRows(rows.points, caps.int64);
  // The seen times move before the rows are inserted: the update locks a stored row that a purge
  // could delete (its last seen is old), so the purge waits and then finds it recent; a row the
  // purge deleted before the update is absent, and inserted again below.
  await moveSeenTimes(trx, caps, "metric_instruments", "key", table.instrumentSeen);
  let instruments = 0;
  for (const chunk of chunks(table.instruments, caps)) {
    instruments += await caps.insertIfAbsent(
      trx,
      "metric_instruments",
      TABLE_KEYS.metric_instruments,
      chunk,
    );
  }
  await moveSeenTimes(trx, caps, "metric_series", "series_key", table.seriesSeen);
  let series = 0;
  for (const chunk of chunks(table.series, caps)) {
    series += await caps.insertIfAbsent(trx, "metric_series", TABLE_KEYS.metric_series, chunk);
  }
  let inserted = 0;
  for (const chunk of chunks(table.points, caps)) {
    inserted += await caps.insertIfAbsent(trx, "metric_points", TABLE_KEYS.metric_points, chunk);
  }
  if (inserted > 0) await insertLateMarks(trx, caps, rows.points);
  let exemplars = 0;
  for (const chunk of chunks(table.exemplars, caps)) {
    exemplars += await caps.insertIfAbsent(
      trx,
      "metric_exemplars",
      TABLE_KEYS.metric_exemplars,
      chunk,
    );
  }
  return {
    instruments,
    series,
    points: { inserted, duplicates: rows.points.length - inserted },
    exemplars,
  };
}

/**
 * Marks the 60 s buckets of late points (metric_table_rows.ts `lateMarks`), with now taken here,
 * inside the commit's transaction, after its points were inserted: the rollup job (metric_rollups.ts)
 * then rebuilds them, and chart reads take them raw until it has. Called only when the commit
 * inserted a point: a replay of stored points marks nothing.
 */
async function insertLateMarks(
  trx: Db,
  caps: DialectCapabilities,
  points: readonly MetricPointRow[],
): Promise<void> {
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const marks = lateMarks(
    points.length,
    (i) => points[i]!.seriesKey,
    (i) => points[i]!.timeUnixNano,
    nowNs,
  );
  if (marks.length === 0) return;
  const rows = marks.map((m) => ({
    series_key: m.seriesKey,
    bucket_unix_nano: caps.int64(m.bucketNs),
  }));
  for (const chunk of chunks(rows, caps)) {
    await caps.insertIfAbsent(trx, "metric_rollup_marks", TABLE_KEYS.metric_rollup_marks, chunk);
  }
}

/**
 * Lowers `first_seen` and raises `last_seen` of the stored rows of `seen`'s keys where they
 * change: one UPDATE per distinct minute and column, keys chunked to the parameter limit.
 */
async function moveSeenTimes(
  trx: Db,
  caps: DialectCapabilities,
  table: "metric_instruments" | "metric_series",
  keyColumn: "key" | "series_key",
  seen: ReadonlyMap<string, SeenMinutes>,
): Promise<void> {
  for (
    const [column, pick, op] of [
      ["first_seen_unix_nano", (s: SeenMinutes) => s.first, ">"],
      ["last_seen_unix_nano", (s: SeenMinutes) => s.last, "<"],
    ] as const
  ) {
    const byMinute = new Map<bigint, string[]>();
    for (const [key, s] of seen) {
      const minute = pick(s);
      const keys = byMinute.get(minute);
      if (keys === undefined) byMinute.set(minute, [key]);
      else keys.push(key);
    }
    const perStatement = Math.max(1, caps.maxParameters - 4);
    for (const [minute, keys] of byMinute) {
      keys.sort(); // by UTF-16 code units, as the rows are (metric_table_rows.ts)
      for (let i = 0; i < keys.length; i += perStatement) {
        const value = caps.int64(minute);
        await sql`update ${sql.table(table)} set ${sql.ref(column)} = ${value}
          where ${sql.ref(keyColumn)} in (${sql.join(keys.slice(i, i + perStatement))})
          and ${sql.ref(column)} ${sql.raw(op)} ${value}`.execute(trx);
      }
    }
  }
}
