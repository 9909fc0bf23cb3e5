/**
 * The seen times of instruments and series through `Store.write` on every selected database (the
 * SQLite writer thread's upserts, Kysely's updates on PostgreSQL and MySQL): a new row takes its
 * batch's earliest and latest minute, a later batch lowers `first_seen` and raises `last_seen`
 * only where its points go past them, and a replay moves nothing.
 */
import assert from "node:assert/strict";
import { createStore } from "./mod.ts";
import { openDatabase } from "./dialects/mod.ts";
import type { MetricPointRow } from "./metric_types.ts";
import { freshDatabase, selectedDrivers } from "../tests/databases.ts";
import { decodedSdkMetrics, storeBatch } from "../tests/metric_requests.ts";

const MINUTE_NS = 60_000_000_000n;

/** `point` at `minutes` minutes and 5 s past `baseNs`, with a key of its own. */
function at(point: MetricPointRow, baseNs: bigint, minutes: number): MetricPointRow {
  const timeUnixNano = baseNs + BigInt(minutes) * MINUTE_NS + 5_000_000_000n;
  return { ...point, timeUnixNano, pointKey: `${point.seriesKey.slice(0, 12)}${timeUnixNano}` };
}

for (const driver of selectedDrivers()) {
  Deno.test(`[${driver}] Store.write() moves seen times to a batch's earliest and latest minute, and only past them`, async () => {
    const database = await freshDatabase(driver);
    const store = await createStore(database.config, { dataDir: database.dataDir });
    const open = openDatabase(database.config, database.dataDir, () => {});
    try {
      await store.migrate();
      const decoded = await decodedSdkMetrics("cumulative", 1);
      const point = decoded.points[0]!;
      // A whole minute an hour before now, so that every point below is in the past.
      const base = (BigInt(Date.now()) * 1_000_000n / MINUTE_NS - 60n) * MINUTE_NS;
      const write = async (minutes: number[]) => {
        const batch = storeBatch([{ ...decoded, points: minutes.map((m) => at(point, base, m)) }]);
        return (await store.write(batch)).metrics?.inserted;
      };
      const seen = async () => {
        const series = await open.db.selectFrom("metric_series").selectAll()
          .where("series_key", "=", point.seriesKey).executeTakeFirstOrThrow();
        const instrument = await open.db.selectFrom("metric_instruments").selectAll()
          .where("key", "=", point.instrumentKey).executeTakeFirstOrThrow();
        const minute = (value: unknown) => Number((BigInt(value as bigint) - base) / MINUTE_NS);
        return {
          series: [minute(series.first_seen_unix_nano), minute(series.last_seen_unix_nano)],
          instrument: [
            minute(instrument.first_seen_unix_nano),
            minute(instrument.last_seen_unix_nano),
          ],
        };
      };

      assert.equal(await write([0]), 1);
      assert.deepEqual(await seen(), { series: [0, 0], instrument: [0, 0] });
      // Both ends move, in one batch.
      assert.equal(await write([2, -3]), 2);
      assert.deepEqual(await seen(), { series: [-3, 2], instrument: [-3, 2] });
      // Within them: nothing moves.
      assert.equal(await write([1, -1]), 2);
      assert.deepEqual(await seen(), { series: [-3, 2], instrument: [-3, 2] });
      // Only the end.
      assert.equal(await write([5]), 1);
      assert.deepEqual(await seen(), { series: [-3, 5], instrument: [-3, 5] });
      // A replay stores nothing and moves nothing.
      assert.equal(await write([2, -3]), 0);
      assert.deepEqual(await seen(), { series: [-3, 5], instrument: [-3, 5] });
      // Only the start.
      assert.equal(await write([-7]), 1);
      assert.deepEqual(await seen(), { series: [-7, 5], instrument: [-7, 5] });
      const rows = await open.db.selectFrom("metric_series").select("series_key").execute();
      assert.equal(rows.length, 1);
    } finally {
      await open.db.destroy();
      await store.close();
      await database.drop();
    }
  });
}
