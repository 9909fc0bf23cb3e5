/**
 * `GET /api/metrics/operations` on every selected database: known spans stored through the store's
 * writer (with their rollups, as ingest writes them), read back per operation of one service:
 * exact counts, errors and averages, percentiles inside the histogram bucket of the true value,
 * across the hourly and minute tiers; the migration's backfill of existing spans gives the same
 * answer; bad parameters are 400s naming what is accepted.
 */
import assert from "node:assert/strict";
import { Migrator, sql } from "kysely";
import { createStore, LATENCY_BUCKET_BOUNDS_MS, type SpanRow, type Store } from "../store/mod.ts";
import { openDatabase } from "../store/dialects/mod.ts";
import {
  MIGRATION_LOCK_TABLE,
  MIGRATION_TABLE,
  StaticMigrationProvider,
} from "../store/migrations/mod.ts";
import { BASE_TIME_NS, buildResource, buildSpan, random } from "../tests/builders.ts";
import { freshDatabase, selectedDrivers } from "../tests/databases.ts";
import { BadRequestError } from "./http_error.ts";
import { operations } from "./operations.ts";
import type { WireOperation } from "../utils/wire.ts";

const MS = 1_000_000n;
const MINUTE_NS = 60_000_000_000n;
const checkout = buildResource("checkout");
const other = buildResource("other");

/** `durationsMs` spans of one operation, a second apart from `startNs`; the first `errors` fail. */
function spansOf(
  resource: typeof checkout,
  name: string,
  kind: number,
  durationsMs: number[],
  errors: number,
  startNs: bigint,
  rand: () => number,
): SpanRow[] {
  return durationsMs.map((ms, i) => {
    const start = startNs + BigInt(i) * 1_000_000_000n;
    return buildSpan(resource, {
      name,
      kind,
      parentSpanId: kind === 2 ? "" : "00000000000000aa",
      startTimeUnixNano: start,
      endTimeUnixNano: start + BigInt(ms) * MS,
      statusCode: i < errors ? 2 : 0,
    }, rand);
  });
}

// POST /orders: 40 requests, 36 of 10 ms and 4 of 200 ms, 3 failed; half of them 90 minutes
// before the rest, so that a 3-hour window reads a whole hour from the hourly tier.
const POST_MS = [...Array(36).fill(10), ...Array(4).fill(200)];
// charge card (a CLIENT span): 10 calls of 50 ms, 1 failed.
const CHARGE_MS = Array(10).fill(50);

function knownSpans(): SpanRow[] {
  const rand = random(5);
  const late = BASE_TIME_NS + 10n * MINUTE_NS;
  const early = late - 90n * MINUTE_NS;
  return [
    ...spansOf(checkout, "POST /orders", 2, POST_MS.slice(0, 20), 2, early, rand),
    ...spansOf(checkout, "POST /orders", 2, POST_MS.slice(20), 1, late, rand),
    ...spansOf(checkout, "charge card", 3, CHARGE_MS, 1, late, rand),
    // Another service's operation of the same name is not checkout's.
    ...spansOf(other, "POST /orders", 2, [5, 5, 5], 3, late, rand),
  ];
}

const WINDOW = new URLSearchParams({
  start: new Date(Number((BASE_TIME_NS - 120n * MINUTE_NS) / MS)).toISOString(),
  end: new Date(Number((BASE_TIME_NS + 60n * MINUTE_NS) / MS)).toISOString(),
  service: "checkout",
});

function ask(store: Store, extra: Record<string, string> = {}) {
  const params = new URLSearchParams(WINDOW);
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  return operations(params, {
    store,
    queryMaxWindowMs: 31 * 86_400_000,
    now: () => Number(BASE_TIME_NS / MS),
  });
}

/** The true q-quantile (nearest rank) of some durations. */
function trueQuantile(durations: number[], q: number): number {
  const sorted = [...durations].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

/** The bucket (lower, upper] of the histogram that holds `ms`. */
function bucketAround(ms: number): [number, number] {
  const i = LATENCY_BUCKET_BOUNDS_MS.findIndex((bound) => ms <= bound);
  return [i === 0 ? 0 : LATENCY_BUCKET_BOUNDS_MS[i - 1]!, LATENCY_BUCKET_BOUNDS_MS[i]!];
}

function assertPercentiles(found: WireOperation, durations: number[]) {
  const percentiles: [number, number | null][] = [
    [0.5, found.p50_ms],
    [0.95, found.p95_ms],
    [0.99, found.p99_ms],
  ];
  for (const [q, got] of percentiles) {
    const truth = trueQuantile(durations, q);
    const [lower, upper] = bucketAround(truth);
    assert.ok(
      got !== null && got > lower && got <= upper,
      `${found.operation} p${q * 100}: ${got} ms, true ${truth} ms in (${lower}, ${upper}]`,
    );
  }
}

function assertKnown(answer: Awaited<ReturnType<typeof operations>>) {
  assert.equal(answer.service_name, "checkout");
  assert.equal(answer.total, 2);
  assert.deepEqual(answer.operations.map((o) => o.operation), ["POST /orders", "charge card"]);
  const [post, charge] = answer.operations as [WireOperation, WireOperation];
  assert.deepEqual(
    { requests: post.requests, errors: post.errors, rate: post.error_rate, entry: post.entry },
    { requests: 40, errors: 3, rate: 0.075, entry: true },
  );
  assert.equal(post.avg_ms, (36 * 10 + 4 * 200) / 40);
  assertPercentiles(post, POST_MS);
  assert.deepEqual(
    { requests: charge.requests, errors: charge.errors, rate: charge.error_rate },
    { requests: 10, errors: 1, rate: 0.1 },
  );
  assert.equal(charge.entry, false);
  assert.equal(charge.avg_ms, 50);
  assertPercentiles(charge, CHARGE_MS);
}

for (const driver of selectedDrivers()) {
  Deno.test(`[${driver}] operations of a service: counts, errors and percentiles of known spans`, async () => {
    const database = await freshDatabase(driver);
    const store = await createStore(database.config, { dataDir: database.dataDir });
    try {
      await store.migrate();
      const result = await store.write({
        resources: [checkout, other],
        spans: knownSpans(),
        logs: [],
      });
      assert.equal(result.spans.inserted, 53);
      assertKnown(await ask(store));

      // Sorted by another figure, and cut by `limit` (the total stays).
      const byP99 = await ask(store, { sort: "p99_ms", order: "asc", limit: "1" });
      assert.deepEqual(byP99.operations.map((o) => o.operation), ["charge card"]);
      assert.equal(byP99.total, 2);
      // Only the window's spans: the last 30 minutes hold the later half only.
      const recent = await operations(
        new URLSearchParams({
          start: new Date(Number((BASE_TIME_NS - 30n * MINUTE_NS) / MS)).toISOString(),
          end: new Date(Number((BASE_TIME_NS + 60n * MINUTE_NS) / MS)).toISOString(),
          service: "checkout",
        }),
        { store, queryMaxWindowMs: 86_400_000, now: () => 0 },
      );
      assert.equal(recent.operations.find((o) => o.operation === "POST /orders")?.requests, 20);
      // A service without spans in the window: no operations.
      assert.deepEqual((await ask(store, { service: "nobody" })).operations, []);
    } finally {
      await store.close();
      await database.drop();
    }
  });

  Deno.test(`[${driver}] the operations migration fills its histograms from the stored spans`, async () => {
    const database = await freshDatabase(driver);
    const store = await createStore(database.config, { dataDir: database.dataDir });
    const { db } = openDatabase(database.config, database.dataDir, () => {});
    try {
      await store.migrate();
      await store.write({ resources: [checkout, other], spans: knownSpans(), logs: [] });
      const fromIngest = await ask(store);
      // As if the spans had been stored before the migration: its tables gone, then migrated.
      for (const table of ["operation_latency_rollups", "operation_latency_rollups_hourly"]) {
        await sql`drop table ${sql.table(table)}`.execute(db);
      }
      await sql`delete from ${sql.table(MIGRATION_TABLE)} where ${
        sql.ref("name")
      } = ${"2026-12-06_operation_latency_rollups"}`.execute(db);
      const migrator = new Migrator({
        db,
        provider: new StaticMigrationProvider(driver),
        migrationTableName: MIGRATION_TABLE,
        migrationLockTableName: MIGRATION_LOCK_TABLE,
        // A later migration (root_errors) stays applied: only this one runs again.
        allowUnorderedMigrations: true,
      });
      assert.equal((await migrator.migrateToLatest()).error, undefined);
      assert.deepEqual(await ask(store), fromIngest);
      assertKnown(fromIngest);
    } finally {
      await db.destroy();
      await store.close();
      await database.drop();
    }
  });
}

Deno.test("operations: bad parameters are 400s naming what is accepted", async () => {
  const store = { rollups: { operations: () => Promise.resolve([]) } };
  const deps = { store, queryMaxWindowMs: 86_400_000, now: () => Date.now() };
  const refused = async (query: string, message: RegExp) => {
    await assert.rejects(
      () => operations(new URLSearchParams(query), deps),
      (e) => e instanceof BadRequestError && message.test(e.message),
      query,
    );
  };
  await refused("", /without 'service': give a service name/);
  await refused("service=a&sort=p42", /'sort' as it must be one of requests, errors, .*p99_ms/);
  await refused("service=a&order=up", /'order' as it must be asc or desc/);
  await refused("service=a&limit=0", /'limit' as it must be an integer from 1 to 1000/);
  await refused("service=a&range=soon", /'range'/);
});
