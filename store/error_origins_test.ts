import assert from "node:assert/strict";
import { type FailingSpan, originServicesByTrace, originSpans } from "./error_origins.ts";
import { sql } from "kysely";
import { createStore } from "./mod.ts";
import { openDatabase } from "./dialects/mod.ts";
import { rootErrorsSchema } from "./migrations/2026_12_06_root_errors.ts";
import type { SpanRow } from "./types.ts";
import { freshDatabase, selectedDrivers } from "../tests/databases.ts";
import { BASE_TIME_NS, buildResource, buildSpan, random } from "../tests/builders.ts";

const failing = (traceId: string, spanId: string, parentSpanId: string, serviceName: string) =>
  ({ traceId, spanId, parentSpanId, serviceName }) satisfies FailingSpan;

Deno.test("originSpans() keeps the failing spans none of whose children fail", () => {
  const spans = [
    failing("t1", "a", "", "order-service"),
    failing("t1", "b", "a", "order-service"),
    failing("t1", "c", "b", "payment-service"),
    // Same span ids in another trace do not count as children.
    failing("t2", "z", "c", "inventory-service"),
  ];
  assert.deepEqual(originSpans(spans).map((s) => s.traceId + s.spanId), ["t1c", "t2z"]);
});

Deno.test("originServicesByTrace() names each trace's origin services once, sorted", () => {
  const byTrace = originServicesByTrace([
    failing("t1", "a", "", "order-service"),
    failing("t1", "b", "a", "payment-service"),
    failing("t1", "c", "a", "inventory-service"),
    failing("t1", "d", "a", "payment-service"),
  ]);
  assert.deepEqual([...byTrace], [["t1", ["inventory-service", "payment-service"]]]);
});

/**
 * A chaos-like trace: order-service (root, SERVER) → its CLIENT call → payment-service (SERVER)
 * → payment's CLIENT call → inventory-service (SERVER). When `failing`, payment-service fails
 * and order-service's two spans fail because of it; inventory-service is fine.
 */
function order(index: number, failingOrder: boolean, rand: () => number): SpanRow[] {
  const services = {
    order: buildResource("order-service"),
    payment: buildResource("payment-service"),
    inventory: buildResource("inventory-service"),
  };
  const traceId = index.toString(16).padStart(32, "0");
  const t0 = BASE_TIME_NS + BigInt(index) * 1_000_000_000n;
  const span = (
    service: keyof typeof services,
    parentSpanId: string,
    kind: number,
    error: boolean,
  ) =>
    buildSpan(services[service], {
      traceId,
      parentSpanId,
      kind,
      startTimeUnixNano: t0,
      endTimeUnixNano: t0 + 1_000_000n,
      statusCode: error ? 2 : 0,
    }, rand);
  const root = span("order", "", 2, failingOrder);
  const client = span("order", root.spanId, 3, failingOrder);
  const payment = span("payment", client.spanId, 2, failingOrder);
  const paymentClient = span("payment", payment.spanId, 3, false);
  const inventory = span("inventory", paymentClient.spanId, 2, false);
  return [root, client, payment, paymentClient, inventory];
}

const WINDOW = { startNs: BASE_TIME_NS, endNs: BASE_TIME_NS + 600_000_000_000n };

for (const driver of selectedDrivers()) {
  Deno.test(`[${driver}] errorOrigins() names where failed traces start, not who passed it on`, async () => {
    const database = await freshDatabase(driver);
    const store = await createStore(database.config, { dataDir: database.dataDir });
    try {
      await store.migrate();
      const rand = random(5);
      const spans = Array.from({ length: 20 }, (_, i) => order(i, i % 4 === 0, rand)).flat();
      const resources = [...new Map(spans.map((s) => [s.resourceId, s])).values()].map((s) =>
        buildResource(s.serviceName)
      );
      await store.write({ resources, spans, logs: [] });

      // 5 failed orders, 15 failing spans: each failure starts in payment-service.
      assert.deepEqual(await store.errorOrigins(WINDOW, 1000), {
        services: [{ serviceName: "payment-service", traces: 5 }],
        failedTraces: 5,
        examinedSpans: 15,
        limited: false,
      });
      // Bounded: the newest 4 failing spans (two traces), and it says there were more.
      const bounded = await store.errorOrigins(WINDOW, 4);
      assert.equal(bounded.examinedSpans, 4);
      assert.equal(bounded.limited, true);
      assert.deepEqual(bounded.services, [{ serviceName: "payment-service", traces: 2 }]);
      // The rollups count failed requests (failed roots) apart from error spans.
      const totals = await store.rollups.totals(WINDOW);
      assert.equal(totals.traces, 20);
      assert.equal(totals.failedTraces, 5);
      assert.equal(totals.errorSpans, 15);
      // Trace summaries name the service where each failed trace's errors start.
      const { items } = await store.traces(
        { ...WINDOW, status: "error" },
        { field: "start_time", order: "desc" },
        { limit: 50, offset: 0 },
      );
      assert.equal(items.length, 5);
      for (const item of items) assert.deepEqual(item.errorServices, ["payment-service"]);
      const ok = await store.traces(WINDOW, { field: "start_time", order: "desc" }, {
        limit: 50,
        offset: 0,
      });
      assert.deepEqual(
        ok.items.filter((t) => t.errorCount === 0).map((t) => t.errorServices.length),
        new Array(15).fill(0),
      );
    } finally {
      await store.close();
      await database.drop();
    }
  });

  Deno.test(`[${driver}] the root_errors migration counts the failed roots already stored`, async () => {
    const database = await freshDatabase(driver);
    const store = await createStore(database.config, { dataDir: database.dataDir });
    const { db } = openDatabase(database.config, database.dataDir, () => {});
    try {
      await store.migrate();
      const rand = random(9);
      const spans = Array.from({ length: 12 }, (_, i) => order(i * 30, i % 3 === 0, rand)).flat();
      const resources = [...new Set(spans.map((s) => s.serviceName))].map((s) => buildResource(s));
      await store.write({ resources, spans, logs: [] });
      const wide = { startNs: BASE_TIME_NS, endNs: BASE_TIME_NS + 7_200_000_000_000n };
      assert.equal((await store.rollups.totals(wide)).failedTraces, 4);
      // As before the migration: no column; then the migration adds it and fills it.
      await rootErrorsSchema(driver).down!(db as never);
      await rootErrorsSchema(driver).up(db as never);
      assert.equal((await store.rollups.totals(wide)).failedTraces, 4);
      const hourly = await sql<{ n: number | string }>`select sum(root_errors) as n
        from span_rollups_hourly`.execute(db);
      assert.equal(Number(hourly.rows[0]!.n), 4);
    } finally {
      await db.destroy();
      await store.close();
      await database.drop();
    }
  });
}
