/**
 * The trace list's capped count (TRACE_COUNT_LIMIT) on the database matrix: with the limit set
 * to 5, every filtered or re-sorted list answers the same page as the exact span scan
 * (`Queries.scanTraces`), whichever index the list then reads (store/trace_queries.ts), and its
 * total is the scan's up to 5, with `totalCapped` (`total_capped` on `GET /api/traces`) exactly
 * when more match; but never below what the page shows, and exact when the page ends the matches
 * (store/bounded_count.ts `withThePage`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { createStore, type SpanRow, type Store, type TraceFilter } from "../store/mod.ts";
import { openDatabase } from "../store/dialects/mod.ts";
import { Queries } from "../store/queries.ts";
import { testApp } from "./app.ts";
import type { WireTracePage } from "../utils/wire.ts";
import { BASE_TIME_NS, buildResource, buildSpan, hex, random, SERVICES } from "./builders.ts";
import { freshDatabase, selectedDrivers, type TestableDriver } from "./databases.ts";

const LIMIT = 5;
const ALL_TIME = { startNs: 0n, endNs: (1n << 63n) - 1n };
const MS = 1_000_000n;
const TRACES = 20;
const RESOURCES = SERVICES.map((s) => buildResource(s));

/**
 * The total and `totalCapped` a list answers when `exact` traces match and its page at `page`
 * shows `shown`: the exact count up to LIMIT; past it, at least LIMIT and what the page proves
 * (its traces exist), or exact when the page is not full (it reached the last match).
 */
function expectedTotal(
  exact: number,
  page: { limit: number; offset: number },
  shown: number,
): [number, boolean] {
  if (exact <= LIMIT) return [exact, false];
  if (shown < page.limit && (shown > 0 || page.offset === 0)) return [exact, false];
  return [Math.max(LIMIT, shown > 0 ? page.offset + shown : 0), true];
}

/**
 * Trace i starts i seconds after BASE_TIME_NS, lasts 20 to 200 ms (two of each: ties), has 1 to
 * 3 spans of one or two services, and fails when i is a multiple of 4 (exactly LIMIT traces).
 */
function traces(): SpanRow[] {
  const rand = random(1515);
  const spans: SpanRow[] = [];
  for (let i = 0; i < TRACES; i++) {
    const traceId = hex(rand, 32);
    const start = BASE_TIME_NS + BigInt(i) * 1_000n * MS;
    const durationMs = BigInt(((i * 7) % 10) + 1) * 20n;
    let parent = "";
    for (let j = 0; j <= i % 3; j++) {
      const span = buildSpan(RESOURCES[(i + j) % RESOURCES.length]!, {
        traceId,
        parentSpanId: parent,
        name: j === 0 ? "GET /orders" : `step ${j}`,
        startTimeUnixNano: start + BigInt(j) * MS,
        endTimeUnixNano: start + durationMs - BigInt(j) * MS,
        statusCode: i % 4 === 0 && j === 0 ? 2 : 0,
      }, rand);
      spans.push(span);
      parent = span.spanId;
    }
  }
  return spans;
}

/** A window holding traces 3 to 16 (14 of them). */
const MIDDLE = {
  startNs: BASE_TIME_NS + 3_000n * MS,
  endNs: BASE_TIME_NS + 16_500n * MS,
};

const LISTS: [string, TraceFilter][] = [
  ["all time, no filter", { ...ALL_TIME }],
  ["a window, no filter", { ...MIDDLE }],
  ["errors (exactly the limit)", { ...ALL_TIME, status: "error" }],
  ["ok", { ...ALL_TIME, status: "ok" }],
  ["a service", { ...ALL_TIME, serviceName: "payment-service" }],
  ["a service in a window", { ...MIDDLE, serviceName: "order-service" }],
  ["at least 170 ms (4 of all time)", { ...ALL_TIME, minDurationNs: 170n * MS }],
  ["at least 140 ms (8 of all time) in a window", { ...MIDDLE, minDurationNs: 140n * MS }],
  ["at least 20 ms (all)", { ...ALL_TIME, minDurationNs: 20n * MS }],
  ["at most 60 ms (6 of all time)", { ...ALL_TIME, maxDurationNs: 60n * MS }],
  ["20 to 120 ms in a window", { ...MIDDLE, minDurationNs: 20n * MS, maxDurationNs: 120n * MS }],
  ["span name text", { ...ALL_TIME, search: "step" }],
];

async function withStore(
  driver: TestableDriver,
  fn: (store: Store, scan: Queries) => Promise<void>,
) {
  const database = await freshDatabase(driver);
  const config = { ...database.config, traceCountLimit: LIMIT };
  const store = await createStore(config, { dataDir: database.dataDir });
  const open = openDatabase(config, database.dataDir, () => {});
  try {
    await store.migrate();
    const result = await store.write({ resources: RESOURCES, spans: traces(), logs: [] });
    assert.equal(result.spans.rejected.length, 0);
    await fn(store, new Queries(open.db, open.capabilities));
  } finally {
    await store.close();
    await open.db.destroy();
    await database.drop();
  }
}

for (const driver of selectedDrivers()) {
  Deno.test(`[${driver}] a trace list counts up to TRACE_COUNT_LIMIT and says when more match`, async () => {
    await withStore(driver, async (store, scan) => {
      const seen = { capped: 0, exact: 0 };
      for (const [label, filter] of LISTS) {
        for (const field of ["start_time", "duration", "span_count"] as const) {
          // Unfiltered by start time is the default list, counted exactly from the rollups.
          if (label.endsWith("no filter") && field === "start_time") continue;
          for (const order of ["desc", "asc"] as const) {
            for (
              const page of [{ limit: 50, offset: 0 }, { limit: 3, offset: 0 }, {
                limit: 3,
                offset: 4,
              }]
            ) {
              const sort = { field, order };
              const what = `${label}, ${field} ${order}, ${page.limit} from ${page.offset}`;
              const exact = await scan.scanTraces(filter, sort, page);
              const capped = await store.traces(filter, sort, page);
              assert.deepEqual(capped.items, exact.items, what);
              assert.deepEqual(
                [capped.total, capped.totalCapped],
                expectedTotal(exact.total, page, exact.items.length),
                what,
              );
              assert.ok(capped.total <= exact.total, what);
              seen[capped.totalCapped ? "capped" : "exact"]++;
            }
          }
        }
      }
      // Both answers were met, the limit itself (errors: 5 of 5) among the exact ones.
      assert.ok(seen.capped > 0 && seen.exact > 0, JSON.stringify(seen));
      const errors = await store.traces({ ...ALL_TIME, status: "error" }, {
        field: "duration",
        order: "desc",
      }, { limit: 50, offset: 0 });
      assert.deepEqual([errors.total, errors.totalCapped, errors.items.length], [LIMIT, false, 5]);
    });
  });

  Deno.test(`[${driver}] GET /api/traces says total_capped past TRACE_COUNT_LIMIT`, async () => {
    await withStore(driver, async (store) => {
      const nowMs = Number((BASE_TIME_NS + 60_000n * MS) / MS);
      const app = testApp(store, { now: () => nowMs });
      const get = async (query: string): Promise<WireTracePage> => {
        const response = await app(new Request(`http://argus.test/api/traces?${query}`));
        assert.equal(response.status, 200, query);
        return await response.json();
      };
      const page = await get("range=1h&sort=duration&limit=2&offset=2");
      assert.deepEqual(
        [page.total, page.total_capped, page.items.length, page.limit, page.offset],
        [LIMIT, true, 2, 2, 2],
      );
      // The last page the capped total reaches holds its traces.
      const last = await get("range=1h&sort=duration&limit=2&offset=4");
      assert.equal(last.items.length, 2);
      const errors = await get("range=1h&status=error");
      assert.deepEqual([errors.total, errors.total_capped, errors.items.length], [LIMIT, false, 5]);
      // The default list (no filter, by start) counts every trace, from the rollups.
      const all = await get("range=1h");
      assert.deepEqual([all.total, all.total_capped], [TRACES, false]);
    });
  });
}
