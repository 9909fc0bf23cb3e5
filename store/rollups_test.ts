/**
 * Rollups written at ingest, on every selected database: totals, requests per service, the
 * latency histogram, log counts, and caller → callee edges however parents and children arrive;
 * each stored row counted exactly once across retries and replays.
 */
import assert from "node:assert/strict";
import { createStore, type Store, type StoreOptions } from "./mod.ts";
import type { Batch, ResourceRow, SpanRow } from "./mod.ts";
import { LATENCY_BUCKET_BOUNDS_MS, quantileMs } from "./mod.ts";
import {
  BASE_TIME_NS,
  buildCallChain,
  buildLog,
  buildResource,
  random,
  SERVICES,
} from "../tests/builders.ts";
import { freshDatabase, selectedDrivers, type TestableDriver } from "../tests/databases.ts";
import { Migrator } from "kysely";
import { openDatabase } from "./dialects/mod.ts";
import {
  MIGRATION_LOCK_TABLE,
  MIGRATION_TABLE,
  StaticMigrationProvider,
} from "./migrations/mod.ts";

const WINDOW = {
  startNs: BASE_TIME_NS - 3_600_000_000_000n,
  endNs: BASE_TIME_NS + 3_600_000_000_000n,
};

const resources = Object.fromEntries(SERVICES.map((s) => [s, buildResource(s)])) as Record<
  typeof SERVICES[number],
  ResourceRow
>;
const allResources = Object.values(resources);

function batchOf(spans: SpanRow[], logs: Batch["logs"] = []): Batch {
  return { resources: allResources, spans, logs };
}

/** `count` call chains a second apart; every `failEvery`-th fails. */
function chains(count: number, seed: number, failEvery = 0): SpanRow[][] {
  const rand = random(seed);
  return Array.from(
    { length: count },
    (_, i) => buildCallChain(resources, i * 1000, rand, failEvery > 0 && i % failEvery === 0),
  );
}

async function withStores(
  driver: TestableDriver,
  fn: (open: (options?: Partial<StoreOptions>) => Promise<Store>) => Promise<void>,
) {
  const database = await freshDatabase(driver);
  const opened: Store[] = [];
  const open = async (options: Partial<StoreOptions> = {}) => {
    const store = await createStore(database.config, { dataDir: database.dataDir, ...options });
    opened.push(store);
    await store.migrate();
    return store;
  };
  try {
    await fn(open);
  } finally {
    for (const store of opened) await store.close().catch(() => {});
    await database.drop();
  }
}

const edgeList = async (store: Store) =>
  (await store.rollups.edges(WINDOW)).map((e) => `${e.caller}->${e.callee}:${e.calls}/${e.errors}`);

for (const driver of selectedDrivers()) {
  Deno.test(`[${driver}] rollups count spans, requests, errors, latency and logs of a window`, async () => {
    await withStores(driver, async (open) => {
      const store = await open();
      const rand = random(7);
      const logs = Array.from({ length: 12 }, (_, i) =>
        buildLog(resources[SERVICES[i % 3]!], {
          timeUnixNano: BASE_TIME_NS + BigInt(i) * 1_000_000_000n,
          severityNumber: i % 4 === 0 ? 17 : 9,
        }, rand));
      await store.write(batchOf(chains(20, 1, 4).flat(), logs));

      assert.deepEqual(await store.rollups.totals(WINDOW), {
        spans: 100,
        errorSpans: 25,
        traces: 20,
        failedTraces: 5,
        logs: 12,
      });
      assert.deepEqual(await store.rollups.services(WINDOW), [...SERVICES].sort());
      const requests = await store.rollups.serviceRequests(WINDOW);
      assert.deepEqual(
        requests.map((r) => [r.serviceName, r.requests, r.errors, r.durationSumNs / 1e6]),
        [
          ["inventory-service", 20, 5, 20 * 200],
          ["order-service", 20, 5, 20 * 400],
          ["payment-service", 20, 5, 20 * 300],
        ],
      );
      // Only entry (server) spans are in the histogram: 200, 300 and 400 ms.
      const buckets = await store.rollups.latencyBuckets(WINDOW);
      assert.equal(buckets.reduce((sum, b) => sum + b.spans, 0), 60);
      const counts = new Array(LATENCY_BUCKET_BOUNDS_MS.length + 1).fill(0);
      for (const b of buckets) counts[b.bucket] += b.spans;
      const p99 = quantileMs(counts, 0.99)!;
      assert.ok(p99 > 362 && p99 <= 512, `p99 ${p99} ms is in 400 ms's bucket (362, 512]`);

      // A service filter and a window that misses the data.
      assert.equal(
        (await store.rollups.totals({ ...WINDOW, serviceName: "order-service" })).spans,
        40,
      );
      assert.equal(
        (await store.rollups.totals({ startNs: 0n, endNs: 60_000_000_000n })).spans,
        0,
      );
      assert.deepEqual(await edgeList(store), [
        "order-service->payment-service:20/5",
        "payment-service->inventory-service:20/5",
      ]);
    });
  });

  Deno.test(`[${driver}] rollups count a retried or overlapping batch's rows once`, async () => {
    await withStores(driver, async (open) => {
      const store = await open();
      const all = chains(10, 2).flat();
      const first = all.slice(0, 30);
      await store.write(batchOf(first));
      const again = await store.write(batchOf(first));
      assert.equal(again.spans.inserted, 0);
      assert.equal(again.spans.duplicates, 30);
      // Half stored already, half new.
      const overlap = await store.write(batchOf(all.slice(15)));
      assert.equal(overlap.spans.inserted, 20);
      assert.equal(overlap.spans.duplicates, 15);
      assert.equal((await store.rollups.totals(WINDOW)).spans, 50);
      assert.deepEqual(await edgeList(store), [
        "order-service->payment-service:10/0",
        "payment-service->inventory-service:10/0",
      ]);
    });
  });

  Deno.test(`[${driver}] edges pair children with parents that arrive later, in another batch`, async () => {
    await withStores(driver, async (open) => {
      const store = await open();
      const traces = chains(8, 3);
      // Each service exports on its own: inventory first, then payment, then order.
      await store.write(batchOf(traces.map((t) => t[4]!)));
      await store.write(batchOf(traces.flatMap((t) => [t[2]!, t[3]!])));
      assert.deepEqual(await edgeList(store), ["payment-service->inventory-service:8/0"]);
      await store.write(batchOf(traces.flatMap((t) => [t[0]!, t[1]!])));
      assert.deepEqual(await edgeList(store), [
        "order-service->payment-service:8/0",
        "payment-service->inventory-service:8/0",
      ]);
      // Root spans never wait; every child found its parent.
      assert.equal(store.waitingChildSpans(), 0);
    });
  });

  Deno.test(`[${driver}] a child whose parent the writer forgot is paired from the database`, async () => {
    await withStores(driver, async (open) => {
      const traces = chains(6, 4);
      // The parents are stored by one process…
      const first = await open();
      await first.write(batchOf(traces.flatMap((t) => t.slice(0, 4))));
      await first.close();
      // …and the children by the next one, which never saw the parents: they wait, and are
      // resolved against the database when their wait ends (here: at close).
      const second = await open({ edges: { pendingWindowMs: 60_000 } });
      await second.write(batchOf(traces.map((t) => t[4]!)));
      assert.equal(second.waitingChildSpans(), 6);
      await second.close();
      const third = await open();
      assert.deepEqual(await edgeList(third), [
        "order-service->payment-service:6/0",
        "payment-service->inventory-service:6/0",
      ]);
    });
  });

  Deno.test(`[${driver}] rollup series group minutes into steps aligned to whole steps`, async () => {
    await withStores(driver, async (open) => {
      const store = await open();
      const rand = random(5);
      // One chain per minute for 10 minutes, one in three failing.
      const spans = Array.from(
        { length: 10 },
        (_, i) => buildCallChain(resources, i * 60_000, rand, i % 3 === 0),
      ).flat();
      await store.write(batchOf(spans));
      const window = { startNs: BASE_TIME_NS, endNs: BASE_TIME_NS + 600_000_000_000n };
      const first = Number(BASE_TIME_NS / 60_000_000_000n);
      const traffic = await store.rollups.trafficSeries(
        { ...window, serviceName: "order-service" },
        5,
      );
      assert.deepEqual(
        traffic.sort((a, b) => a.minute - b.minute).map((
          p,
        ) => [p.minute - first, p.requests, p.errors]),
        [[0, 5, 2], [5, 5, 2]],
      );
      const heat = await store.rollups.latencySeries(window, 2);
      assert.equal(heat.reduce((sum, c) => sum + c.spans, 0), 30);
      assert.deepEqual([...new Set(heat.map((c) => c.minute - first))].sort((a, b) => a - b), [
        0,
        2,
        4,
        6,
        8,
      ]);
    });
  });
}

for (const driver of selectedDrivers()) {
  Deno.test(`[${driver}] windows of hours read whole hours from the hourly tier and agree with the rows`, async () => {
    await withStores(driver, async (open) => {
      const store = await open();
      const rand = random(9);
      // A call chain every 47 s for 3.5 hours, one in five failing.
      const spans = Array.from(
        { length: 270 },
        (_, i) => buildCallChain(resources, i * 47_000, rand, i % 5 === 0),
      ).flat();
      for (let i = 0; i < spans.length; i += 300) {
        await store.write(batchOf(spans.slice(i, i + 300)));
      }
      const minute = 60_000_000_000n;
      const windows = [
        [0n, 210n], // 3.5 h from the first minute: whole hours and a partial one
        [7n, 200n], // partial hours at both ends
        [60n, 180n], // exactly two whole hours
        [13n, 50n], // inside one hour
      ];
      for (const [from, to] of windows) {
        const window = {
          startNs: BASE_TIME_NS + from! * minute,
          endNs: BASE_TIME_NS + to! * minute,
        };
        const totals = await store.rollups.totals(window);
        assert.equal(
          totals.spans,
          await store.countSpans(window),
          `spans of minutes ${from}–${to}`,
        );
        const requests = await store.rollups.serviceRequests(window);
        const raw = (await store.spans(window, { limit: 10_000, offset: 0 }))
          .filter((s) => s.kind === 2);
        assert.equal(requests.reduce((sum, r) => sum + r.requests, 0), raw.length);
        const edges = await store.rollups.edges(window);
        const calls = edges.reduce((sum, e) => sum + e.calls, 0);
        // Each order and payment server span that started in the window has its caller's edge.
        assert.equal(calls, raw.filter((s) => s.serviceName !== "order-service").length);
        // Hourly steps read the hourly tier; they agree with minute steps summed.
        const hourly = await store.rollups.trafficSeries(window, 60);
        const minutes = await store.rollups.trafficSeries(window, 1);
        const sum = (rows: { requests: number }[]) => rows.reduce((n, r) => n + r.requests, 0);
        assert.equal(sum(hourly), sum(minutes));
        assert.ok(hourly.every((p) => p.minute % 60 === 0));
      }
    });
  });

  Deno.test(`[${driver}] the hourly migration fills the hourly tier from the minutes already stored`, async () => {
    const database = await freshDatabase(driver);
    const { db } = openDatabase(database.config, database.dataDir, () => {});
    try {
      const migrator = new Migrator({
        db,
        provider: new StaticMigrationProvider(driver),
        migrationTableName: MIGRATION_TABLE,
        migrationLockTableName: MIGRATION_LOCK_TABLE,
      });
      assert.equal((await migrator.migrateTo("2026-11-26_rollups")).error, undefined);
      const row = (minute: number, spans: number) => ({
        minute,
        service_name: "svc",
        operation: "GET /",
        entry: 1,
        spans,
        errors: 1,
        roots: spans,
        duration_sum_ns: String(spans * 1_000_000),
      });
      const hour = 29_928_120; // a whole hour, in minutes
      await db.insertInto("span_rollups")
        // Rows as that schema had them (no root_errors yet).
        .values([row(hour, 3), row(hour + 59, 4), row(hour + 60, 5)] as never).execute();
      assert.equal((await migrator.migrateToLatest()).error, undefined);
      const hourly = await db.selectFrom("span_rollups_hourly")
        .select(["minute", "spans", "errors", "duration_sum_ns"]).orderBy("minute").execute();
      assert.deepEqual(
        hourly.map((
          r,
        ) => [Number(r.minute), Number(r.spans), Number(r.errors), Number(r.duration_sum_ns)]),
        [[hour, 7, 2, 7_000_000], [hour + 60, 5, 1, 5_000_000]],
      );
    } finally {
      await db.destroy();
      await database.drop();
    }
  });
}

for (const driver of selectedDrivers()) {
  Deno.test(`[${driver}] log and root counts of long windows are exact to the nanosecond`, async () => {
    await withStores(driver, async (open) => {
      const store = await open();
      const rand = random(11);
      // A log every 7.3 s and a chain every 41 s over 50 minutes.
      const logs = Array.from({ length: 410 }, (_, i) =>
        buildLog(resources[SERVICES[i % 3]!], {
          timeUnixNano: BASE_TIME_NS + BigInt(i) * 7_300_000_000n,
          severityNumber: [9, 13, 17][i % 3]!,
        }, rand));
      const spans = Array.from(
        { length: 73 },
        (_, i) => buildCallChain(resources, i * 41_000, rand),
      ).flat();
      await store.write(batchOf(spans, logs));
      const second = 1_000_000_000n;
      for (const [from, to] of [[13n, 2_900n], [61n, 1_234n], [0n, 3_000n]]) {
        const window = {
          startNs: BASE_TIME_NS + from! * second + 12_345n,
          endNs: BASE_TIME_NS + to! * second,
        };
        const inWindow = (t: bigint) => t >= window.startNs && t < window.endNs;
        assert.equal(
          await store.countLogs(window),
          logs.filter((l) => inWindow(l.timeUnixNano)).length,
        );
        assert.equal(
          await store.countLogs({ ...window, minSeverity: 13, serviceName: "payment-service" }),
          logs.filter((l) =>
            inWindow(l.timeUnixNano) && l.severityNumber >= 13 &&
            l.serviceName === "payment-service"
          ).length,
        );
        const { total } = await store.traces(window, { field: "start_time", order: "desc" }, {
          limit: 5,
          offset: 0,
        });
        assert.equal(
          total,
          spans.filter((s) => s.parentSpanId === "" && inWindow(s.startTimeUnixNano)).length,
        );
      }
    });
  });
}
