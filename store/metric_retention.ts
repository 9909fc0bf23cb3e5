/**
 * Retention of metrics (maintenance.ts calls it in a purge of "all"): points, exemplars, rollup
 * points and late-point marks before the cutoff by their time (each table has an index on it),
 * then the series and instruments last
 * seen before it, in bounded chunks like the other signals. On PostgreSQL the points, exemplars and
 * rollup points are partitioned by time (migration 2026_12_19): their partitions wholly before the
 * cutoff are dropped first (store/partitions.ts), and only the rest is deleted.
 *
 * A series or instrument goes only when its last seen time (rounded down to the minute:
 * metric_writes.ts) is a whole minute before the cutoff, so none with a point left is deleted. A
 * series silent for the whole retention period that speaks again during a purge keeps its row: the
 * writer moves its last seen time (locking the row, so the purge's delete waits and then finds it
 * recent) before it inserts the series that are absent, those the purge deleted first among them.
 *
 * @module
 */
import { type Kysely, type RawBuilder, sql } from "kysely";
import { type Database, TABLE_KEYS } from "./columns.ts";
import { LAST_SEEN_SLACK_NS } from "./metric_columns.ts";
import type { DialectCapabilities } from "./dialects/mod.ts";
import { PARTITIONED_TABLES, type PartitionedTable } from "./partitions.ts";

type Db = Kysely<Database>;
type MetricTable =
  | "metric_points"
  | "metric_exemplars"
  | "metric_series"
  | "metric_instruments"
  | "metric_rollup_points"
  | "metric_rollup_marks";

/** The WITHOUT ROWID tables on SQLite, deleted by their key. */
const KEYS_OF: Partial<Record<MetricTable, readonly string[]>> = {
  metric_points: TABLE_KEYS.metric_points,
  metric_exemplars: TABLE_KEYS.metric_exemplars,
  metric_rollup_points: ["series_key", "level_seconds", "time_unix_nano", "start_time_unix_nano"],
  metric_rollup_marks: TABLE_KEYS.metric_rollup_marks,
};

/** What a purge of metrics deleted. */
export interface MetricPurgeCounts {
  points: number;
  exemplars: number;
  series: number;
  instruments: number;
  /** Rollup points (every level) and late-point marks (metric_rollups.ts). */
  rollupPoints: number;
  rollupMarks: number;
}

/**
 * At most `rows` rows of `table` with `column < below`. The dialects' `deleteChunk` serves the
 * tables with a rowid on SQLite; the points and exemplars are WITHOUT ROWID tables there, so they
 * are deleted by their key, as the attribute index's are.
 */
function deleteChunk(
  caps: DialectCapabilities,
  table: MetricTable,
  column: string,
  below: unknown,
  rows: number,
): RawBuilder<unknown> {
  const keyColumns = KEYS_OF[table];
  if (caps.driver === "sqlite" && keyColumns !== undefined) {
    const key = sql.join(keyColumns.map((c) => sql.ref(c)));
    return sql`delete from ${sql.table(table)} where (${key}) in (select ${key} from ${
      sql.table(table)
    } where ${sql.ref(column)} < ${below} limit ${sql.lit(rows)})`;
  }
  return caps.maintenance.deleteChunk(table, column, below, rows);
}

/** Whether PostgreSQL partitions `table` by time (2026_12_19_metric_partitions). */
function isPartitioned(table: MetricTable): table is MetricTable & PartitionedTable {
  return table in PARTITIONED_TABLES;
}

/**
 * Deletes the metrics before `cutoffNs` (Unix ns), `chunkRows` rows per statement, yielding to
 * the event loop between statements; stops between two when `abort` fires. With `drop`
 * (PostgreSQL's partitions), the partitions of points, exemplars and rollup points wholly before
 * the cutoff are dropped first, and their rows counted, so that only the rest is deleted.
 */
export async function purgeMetrics(
  db: Db,
  caps: DialectCapabilities,
  cutoffNs: bigint,
  chunkRows: number,
  abort?: AbortSignal,
  drop?: (table: PartitionedTable, belowNs: bigint) => Promise<number>,
): Promise<MetricPurgeCounts> {
  const deleteBefore = async (table: MetricTable, column: string, belowNs: bigint) => {
    let total = drop && isPartitioned(table) ? await drop(table, belowNs) : 0;
    const below = caps.int64(belowNs);
    for (;;) {
      abort?.throwIfAborted();
      const { numAffectedRows } = await deleteChunk(caps, table, column, below, chunkRows)
        .execute(db);
      const deleted = Number(numAffectedRows ?? 0n);
      if (deleted === 0) return total;
      total += deleted;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  };
  const points = await deleteBefore("metric_points", "time_unix_nano", cutoffNs);
  const exemplars = await deleteBefore("metric_exemplars", "point_time_unix_nano", cutoffNs);
  // Rollups by their points' times, marks by their bucket's start: the cutoff is a whole hour
  // (maintenance.ts purgeCutoffNs), so every bucket of every level before it goes whole.
  const rollupPoints = await deleteBefore("metric_rollup_points", "time_unix_nano", cutoffNs);
  const rollupMarks = await deleteBefore("metric_rollup_marks", "bucket_unix_nano", cutoffNs);
  // Last seen at L means no point at or after L + a minute.
  const seenBelow = cutoffNs - LAST_SEEN_SLACK_NS + 1n;
  const series = await deleteBefore("metric_series", "last_seen_unix_nano", seenBelow);
  const instruments = await deleteBefore("metric_instruments", "last_seen_unix_nano", seenBelow);
  return { points, exemplars, series, instruments, rollupPoints, rollupMarks };
}
