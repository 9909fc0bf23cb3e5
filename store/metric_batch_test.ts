/**
 * Metric points through `Store.write` (the batch writer and each database's committer: the SQLite
 * writer thread's prepared statements, Kysely on PostgreSQL and MySQL), on every selected
 * database: written in one commit with spans and logs, counted in `WriteResult.metrics`, stored
 * once when written again, and read back as decoded.
 */
import assert from "node:assert/strict";
import { createStore } from "./mod.ts";
import { openDatabase } from "./dialects/mod.ts";
import { metricPoints } from "./metric_reads.ts";
import { freshDatabase, selectedDrivers } from "../tests/databases.ts";
import { buildBatch } from "../tests/builders.ts";
import { decodedSdkMetrics, storeBatch } from "../tests/metric_requests.ts";

const ALL = { fromNs: 1n, toNs: 1n << 62n };

for (const driver of selectedDrivers()) {
  Deno.test(`[${driver}] Store.write() commits metric points with spans and logs, each point once`, async () => {
    const database = await freshDatabase(driver);
    const store = await createStore(database.config, { dataDir: database.dataDir });
    const open = openDatabase(database.config, database.dataDir, () => {});
    try {
      await store.migrate();
      const decoded = await decodedSdkMetrics("cumulative", 2);
      const batch = storeBatch([decoded], buildBatch(3, 2));
      const first = await store.write(batch);
      assert.equal(first.spans.inserted, 3);
      assert.equal(first.logs.inserted, 2);
      assert.deepEqual(first.metrics, {
        inserted: decoded.points.length,
        duplicates: 0,
        rejected: [],
      });
      // Again, as a retry or a replay would: nothing new, and nothing refused.
      const again = await store.write(batch, { prescreened: true });
      assert.deepEqual(again.metrics, {
        inserted: 0,
        duplicates: decoded.points.length,
        rejected: [],
      });
      // A point whose resource is not in the batch is refused, its neighbours stored.
      const orphan = { ...decoded.points[0]!, pointKey: "f".repeat(32), timeUnixNano: 7n };
      orphan.instrument = { ...orphan.instrument, resourceId: "0".repeat(32) };
      const third = await store.write({ resources: [], spans: [], logs: [], metrics: [orphan] });
      assert.equal(third.metrics?.rejected.length, 1);
      assert.match(third.metrics!.rejected[0]!.reason, /its resource 0{32} is not in the batch/);

      const keys = [...new Set(decoded.points.map((p) => p.seriesKey))];
      const stored = (await metricPoints(open.db, open.capabilities, keys, ALL))
        .flatMap((s) => s.points);
      assert.equal(stored.length, decoded.points.length);
      for (const point of decoded.points) {
        const found = stored.find((s) =>
          s.seriesKey === point.seriesKey && s.timeUnixNano === point.timeUnixNano &&
          s.startTimeUnixNano === point.startTimeUnixNano
        );
        assert.ok(found);
        assert.deepEqual(found.value, point.value);
      }
      const series = await open.db.selectFrom("metric_series").selectAll().execute();
      assert.equal(series.length, keys.length);
    } finally {
      await open.db.destroy();
      await store.close();
      await database.drop();
    }
  });
}
