/**
 * The admin route handlers (`purge`, `vacuum`): their parameters refused with the parameter, the
 * range and the value, and, on every selected database, the cutoff they purge with and what they
 * answer (purge and vacuum themselves are tested in store/maintenance_test.ts).
 */
import assert from "node:assert/strict";
import { purge as purgeRoute, vacuum as vacuumRoute } from "./admin.ts";
import { BadRequestError } from "./http_error.ts";
import { createStore, type Store, type StoreMaintenance } from "../store/mod.ts";
import { BASE_TIME_NS, oldAndRecent } from "../tests/builders.ts";
import { freshDatabase, selectedDrivers, type TestableDriver } from "../tests/databases.ts";

const NS_PER_MS = 1_000_000n;
const MINUTE_NS = 60_000n * NS_PER_MS;
const ALL_TIME = { startNs: 0n, endNs: (1n << 63n) - 1n };

/** A migrated store on a fresh database holding the old and new spans and logs. */
async function withData(driver: TestableDriver, fn: (store: Store) => Promise<void>) {
  const database = await freshDatabase(driver);
  const store = await createStore(database.config, { dataDir: database.dataDir });
  try {
    await store.migrate();
    const { resources, spans: s, logs: l } = oldAndRecent();
    const written = await store.write({
      resources: Object.values(resources),
      spans: [...s.old, ...s.recent],
      logs: [...l.old, ...l.recent],
    });
    assert.equal(written.spans.inserted, 80);
    assert.equal(written.logs.inserted, 29);
    await fn(store);
  } finally {
    await store.close();
    await database.drop();
  }
}

Deno.test("admin purge refuses older_than and signal values with the parameter, the range and the value", async () => {
  const requests: unknown[] = [];
  const maintenance: StoreMaintenance = {
    purge: (request) => {
      requests.push(request);
      return Promise.resolve({ deletedLogs: 1, deletedSpans: 2 });
    },
    vacuum: () => Promise.resolve({ ok: true, durationMs: 1.5 }),
    sizeBytes: () => Promise.resolve(4096),
  };
  const nowMs = Date.UTC(2026, 10, 26, 10, 0, 45);
  const deps = { store: { maintenance }, now: () => nowMs };
  const refused = async (query: string, message: string) => {
    await assert.rejects(purgeRoute(new URLSearchParams(query), deps), (error) => {
      assert.ok(error instanceof BadRequestError);
      assert.equal(error.message, message);
      return true;
    });
  };
  const durations = "a duration such as 500ms, 30s, 5m, 1h30m or 7d, from 1m to 3650d";
  await refused(
    "older_than=abc",
    `Cannot use 'older_than' as it must be ${durations}: current value is "abc"`,
  );
  await refused(
    "older_than=30s",
    `Cannot use 'older_than' as it must be ${durations}: current value is "30s"`,
  );
  await refused(
    "older_than=3651d",
    `Cannot use 'older_than' as it must be ${durations}: current value is "3651d"`,
  );
  await refused(
    "older_than=",
    `Cannot use 'older_than' as it must be ${durations}: current value is ""`,
  );
  await refused(
    "signal=metrics",
    `Cannot use 'signal' as it must be one of logs, traces, all: current value is "metrics"`,
  );
  assert.deepEqual(requests, []);

  // Defaults: 24h of logs; the cutoff is rounded down to a whole minute.
  assert.deepEqual(await purgeRoute(new URLSearchParams(), deps), {
    deleted_logs: 1,
    deleted_spans: 2,
    older_than: "24h",
    cutoff_time: "2026-11-25T10:00:00.000000000Z",
  });
  assert.deepEqual(requests, [{
    olderThanNs: BigInt(Date.UTC(2026, 10, 25, 10, 0, 0)) * NS_PER_MS,
    signal: "logs",
  }]);
  await purgeRoute(new URLSearchParams("older_than=1m&signal=traces"), deps);
  await purgeRoute(new URLSearchParams("older_than=3650d&signal=all"), deps);
  assert.deepEqual(requests.slice(1).map((r) => (r as { signal: string }).signal), [
    "traces",
    "all",
  ]);
  // Sizes are left out when the database does not report them.
  assert.deepEqual(await vacuumRoute(deps), { ok: true, duration_ms: 1.5 });
  maintenance.vacuum = () =>
    Promise.resolve({
      ok: true,
      durationMs: 2,
      sizeBeforeBytes: 10,
      sizeAfterBytes: 8,
      warning: "no",
    });
  assert.deepEqual(await vacuumRoute(deps), {
    ok: true,
    duration_ms: 2,
    size_before_bytes: 10,
    size_after_bytes: 8,
    warning: "no",
  });
});

for (const driver of selectedDrivers()) {
  Deno.test(`[${driver}] the admin handlers purge with a cutoff a whole minute before now minus older_than`, async () => {
    await withData(driver, async (store) => {
      // "Now" is 12 h 30 s after the old data: older_than=12h cuts at BASE + 30 s, rounded to BASE
      // + 0, so nothing is old enough; 30m cuts at BASE + 12 h.
      const now = () => Number((BASE_TIME_NS + 720n * MINUTE_NS) / NS_PER_MS) + 30_000 + 1_800_000;
      const deps = { store: { maintenance: store.maintenance }, now };
      assert.deepEqual(
        await purgeRoute(new URLSearchParams("older_than=12h30m&signal=all"), deps),
        {
          deleted_logs: 0,
          deleted_spans: 0,
          older_than: "12h30m",
          cutoff_time: "2026-11-26T10:00:00.000000000Z",
        },
      );
      assert.deepEqual(await purgeRoute(new URLSearchParams("older_than=30m"), deps), {
        deleted_logs: 20,
        deleted_spans: 0,
        older_than: "30m",
        cutoff_time: "2026-11-26T22:00:00.000000000Z",
      });
      assert.equal(await store.countSpans(ALL_TIME), 80);
      const traces = await purgeRoute(new URLSearchParams("older_than=30m&signal=traces"), deps);
      assert.equal(traces.deleted_spans, 60);
      const vacuumed = await vacuumRoute(deps);
      assert.equal(vacuumed.ok, true);
      assert.equal(typeof vacuumed.duration_ms, "number");
      assert.ok(vacuumed.size_after_bytes! > 0);
    });
  });
}
