/**
 * Reading the points of given series: `metric_points` is keyed by instrument, time, series and
 * start (migration 2026_12_13_metric_points_by_instrument.ts), so that a commit's points of many
 * series land on few pages (each instrument's newest); a read by series names their instruments.
 * Used by the chart reads (metric_reads.ts) and the rollup job (metric_rollups.ts).
 *
 * @module
 */
import type { Kysely } from "kysely";
import type { Database } from "./columns.ts";
import type { DialectCapabilities } from "./dialects/mod.ts";

type Db = Kysely<Database>;

/**
 * The points of the series `keys` (at most `pointKeysPerStatement` of them): `metric_points` is
 * keyed by instrument, time, series and start (migration 2026_12_13), so the read names the
 * series' instruments (from metric_series, a key seek each) and then reads each instrument's time
 * range, keeping the rows of these series.
 */
export function pointsOf(db: Db, keys: readonly string[]) {
  const instruments = db.selectFrom("metric_series").select("instrument_key");
  if (keys.length === 1) {
    // One series: its instrument as a value (one seek), so the read is one key range.
    return db.selectFrom("metric_points")
      .where("instrument_key", "=", instruments.where("series_key", "=", keys[0]!))
      .where("series_key", "=", keys[0]!);
  }
  return db.selectFrom("metric_points")
    .where("instrument_key", "in", instruments.where("series_key", "in", keys))
    .where("series_key", "in", keys);
}

/** Series per statement of `pointsOf`, which binds each key twice. */
export function pointKeysPerStatement(caps: DialectCapabilities): number {
  return Math.max(1, Math.floor((caps.maxParameters - 8) / 2));
}
