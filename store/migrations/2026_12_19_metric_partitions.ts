/**
 * PostgreSQL: metric data points, their exemplars and their rollup points become tables
 * partitioned by time as spans and logs are (2026_12_15_time_partitions, whose steps this repeats
 * by calling it): `metric_points` and `metric_rollup_points` by `time_unix_nano`,
 * `metric_exemplars` by `point_time_unix_nano`. Each key holds its time column already, so the
 * keys and the writers' insert-if-absent are unchanged. Retention then drops their whole
 * partitions (store/metric_retention.ts) instead of deleting a 10-second exporter's points row by
 * row. The other databases keep their tables.
 *
 * An existing table becomes the legacy partition of every time before the next UTC midnight, in
 * one transaction holding its lock (a scan for the CHECK and a build of its key, as 2026_12_15
 * measured for spans).
 */
import type { Migration } from "kysely";
import { partition } from "./2026_12_15_time_partitions.ts";

type Driver = "sqlite" | "postgres" | "mysql" | "sqlserver";

const DAY_NS = 86_400_000_000_000n;

const TABLES = [
  { table: "metric_points", column: "time_unix_nano" },
  { table: "metric_exemplars", column: "point_time_unix_nano" },
  { table: "metric_rollup_points", column: "time_unix_nano" },
] as const;

export function metricPartitionsSchema(driver: Driver, nowMs: () => number = Date.now): Migration {
  return {
    async up(db) {
      if (driver !== "postgres") return;
      const now = BigInt(nowMs()) * 1_000_000n;
      const midnight = now - now % DAY_NS + DAY_NS;
      for (const spec of TABLES) await partition(db, spec, midnight);
    },
    down() {
      return Promise.reject(
        new Error("Cannot undo the time partitioning of metric points: restore a backup instead"),
      );
    },
  };
}
