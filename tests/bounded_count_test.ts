/**
 * Counts bounded by their work (store/bounded_count.ts) on the database matrix: with
 * TRACE_COUNT_SCAN = 5, TRACE_COUNT_CHECKS = 4 and LOG_COUNT_SCAN = 6, a span-name search, an
 * `attr` match the attribute index does not serve and a log search over more rows than that
 * answer the same page as the exact reference (a `Queries` without bounds) and a total that is
 * "at least" (`totalCapped`): the matches among the first rows read, never more than the exact
 * count and never less than the page shows; a window of fewer rows than the bound is counted
 * exactly, and so is a match the attribute index serves; `GET /api/traces` and `GET /api/logs`
 * say `total_capped`.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  createStore,
  type LogFilter,
  type LogRow,
  type SpanRow,
  type TraceFilter,
} from "../store/mod.ts";
import { openDatabase } from "../store/dialects/mod.ts";
import { Queries, type QueryOptions } from "../store/queries.ts";
import { ALL_KEYS, NO_KEYS } from "../store/attribute_index.ts";
import { logTextIndex } from "../store/log_search.ts";
import { parseTextQuery } from "../utils/text_query.ts";
import { testApp } from "./app.ts";
import type { WireLogPage, WireTracePage } from "../utils/wire.ts";
import {
  BASE_TIME_NS,
  buildLog,
  buildResource,
  buildSpan,
  hex,
  random,
  SERVICES,
} from "./builders.ts";
import { freshDatabase, selectedDrivers } from "./databases.ts";

const S = 1_000_000_000n;
const ALL_TIME = { startNs: 0n, endNs: (1n << 63n) - 1n };
const TRACES = 30;
const RECORDS = 40;
const BOUNDS = { traceCountScan: 5, traceCountChecks: 4, logCountScan: 6 };
/** Far past the matches: the bounds alone stop the counts. */
const LIMITS = { traceCountLimit: 1000, logSearchLimit: 1000 };
const RESOURCES = SERVICES.map((s) => buildResource(s));

/** Trace i: a "step" span name when i % 3 > 0 (20 traces); status code 500 when i is even (15). */
const stepped = (i: number) => i % 3 > 0;
const failing = (i: number) => i % 2 === 0;
/** Record i: "failed" in its body and attributes when i is even (20 records). */
const failedRecord = (i: number) => i % 2 === 0;

function spans(): SpanRow[] {
  const rand = random(2626);
  const rows: SpanRow[] = [];
  for (let i = 0; i < TRACES; i++) {
    const traceId = hex(rand, 32);
    const start = BASE_TIME_NS + BigInt(i) * S;
    const root = buildSpan(RESOURCES[i % RESOURCES.length]!, {
      traceId,
      name: "GET /orders",
      startTimeUnixNano: start,
      endTimeUnixNano: start + S / 10n,
      attributes: JSON.stringify({ "http.response.status_code": failing(i) ? 500 : 200 }),
    }, rand);
    rows.push(root);
    for (let j = 1; j <= i % 3; j++) {
      rows.push(buildSpan(RESOURCES[(i + j) % RESOURCES.length]!, {
        traceId,
        parentSpanId: root.spanId,
        name: `step ${j}`,
        startTimeUnixNano: start + BigInt(j) * 1_000_000n,
        endTimeUnixNano: start + BigInt(j) * 2_000_000n,
        attributes: "{}",
      }, rand));
    }
  }
  return rows;
}

function records(): LogRow[] {
  const rand = random(2627);
  return Array.from({ length: RECORDS }, (_, i) =>
    buildLog(RESOURCES[i % RESOURCES.length]!, {
      timeUnixNano: BASE_TIME_NS + BigInt(i) * S,
      body: `request ${i} ${failedRecord(i) ? "failed" : "handled"}`,
      attributes: JSON.stringify({ outcome: failedRecord(i) ? "failed" : "ok" }),
    }, rand));
}

/** Of items 0 … n - 1 (oldest first), how many of the first `read` in `order` match. */
function matchesAmongFirst(
  n: number,
  read: number,
  order: "asc" | "desc",
  matches: (i: number) => boolean,
): number {
  const all = Array.from({ length: n }, (_, i) => i);
  return (order === "asc" ? all : all.reverse()).slice(0, read).filter(matches).length;
}

/** How many of the traces match. */
const matchCount = (matches: (i: number) => boolean) =>
  Array.from({ length: TRACES }, (_, i) => i).filter(matches).length;

/** Traces 10, 11 and 12: a window of fewer summaries than either bound. */
const SMALL = { startNs: BASE_TIME_NS + 10n * S, endNs: BASE_TIME_NS + 13n * S };

const TRACE_LISTS: { label: string; filter: TraceFilter; matches: (i: number) => boolean }[] = [
  { label: "span name", filter: { ...ALL_TIME, search: "step" }, matches: stepped },
  {
    label: "attr, no index",
    filter: { ...ALL_TIME, attributes: [{ key: "http.response.status_code", value: "500" }] },
    matches: failing,
  },
];

for (const driver of selectedDrivers()) {
  Deno.test(`[${driver}] a count reads at most TRACE_COUNT_SCAN, TRACE_COUNT_CHECKS or LOG_COUNT_SCAN rows and says "at least"`, async () => {
    const database = await freshDatabase(driver);
    const config = { ...database.config, ...LIMITS, ...BOUNDS };
    const store = await createStore(config, { dataDir: database.dataDir });
    const raw = openDatabase(config, database.dataDir, () => {});
    try {
      await store.migrate();
      const result = await store.write({ resources: RESOURCES, spans: spans(), logs: records() });
      assert.equal(result.spans.rejected.length + result.logs.rejected.length, 0);
      const queries = (options: QueryOptions) => new Queries(raw.db, raw.capabilities, options);
      // `attr` through the exact check alone (NO_KEYS), as for a value past the postings cap.
      const exact = queries({ attributeIndexKeys: NO_KEYS });
      const bounded = queries({ ...LIMITS, ...BOUNDS, attributeIndexKeys: NO_KEYS });

      for (const { label, filter, matches } of TRACE_LISTS) {
        const scan = filter.search !== undefined ? BOUNDS.traceCountScan : BOUNDS.traceCountChecks;
        for (const field of ["start_time", "duration"] as const) {
          for (const order of ["desc", "asc"] as const) {
            for (const page of [{ limit: 2, offset: 0 }, { limit: 2, offset: 6 }]) {
              const sort = { field, order };
              const what = `${label}, ${field} ${order}, ${page.limit} from ${page.offset}`;
              const reference = await exact.traces(filter, sort, page);
              const answer = await bounded.traces(filter, sort, page);
              assert.deepEqual(answer.items, reference.items, what);
              assert.equal(answer.items.length, 2, what);
              // The count reads newest first, or in the page's order by start.
              const counted = matchesAmongFirst(
                TRACES,
                scan,
                field === "start_time" ? order : "desc",
                matches,
              );
              assert.deepEqual(
                [answer.total, answer.totalCapped],
                [Math.max(counted, page.offset + 2), true],
                what,
              );
              assert.ok(answer.total <= reference.total, what);
            }
          }
        }
        // A page that ends the matches proves the exact count.
        const whole = await bounded.traces(filter, { field: "start_time", order: "desc" }, {
          limit: 50,
          offset: 0,
        });
        assert.deepEqual([whole.total, whole.totalCapped], [matchCount(matches), false], label);
        // A window of fewer summaries than the bound: exact, with a full page.
        const small = { ...filter, ...SMALL };
        const sort = { field: "start_time", order: "desc" } as const;
        const page = { limit: 1, offset: 0 };
        const reference = await exact.traces(small, sort, page);
        const answer = await bounded.traces(small, sort, page);
        assert.deepEqual(answer, reference, `${label} in a small window`);
        assert.ok(reference.total >= 1 && !reference.totalCapped, label);
      }

      // An `attr` value the attribute index serves is counted through it: exactly.
      const indexed = queries({ ...LIMITS, ...BOUNDS, attributeIndexKeys: ALL_KEYS });
      const [, attr] = TRACE_LISTS;
      const served = await indexed.traces(attr!.filter, { field: "start_time", order: "desc" }, {
        limit: 2,
        offset: 0,
      });
      assert.deepEqual([served.total, served.totalCapped], [TRACES / 2, false]);

      // Logs: a search the scan serves (PostgreSQL's pg_trgm serves it: counted as before, up to
      // the limit), and an `attr` match without the index.
      const trigrams = await logTextIndex(raw.db, raw.capabilities) === "pg_trgm";
      const newest = matchesAmongFirst(RECORDS, BOUNDS.logCountScan, "desc", failedRecord);
      const searched: LogFilter = { ...ALL_TIME, search: parseTextQuery("failed") };
      const attributed: LogFilter = {
        ...ALL_TIME,
        attributes: [{ key: "outcome", value: "failed" }],
      };
      for (
        const [label, filter, capped] of [
          ["search", searched, !trigrams],
          ["attr", attributed, true],
        ] as const
      ) {
        const total = await exact.countLogs(filter);
        assert.equal(total, RECORDS / 2, label);
        assert.deepEqual(
          await bounded.countLogsUpTo(filter),
          capped ? { total: newest, totalCapped: true } : { total, totalCapped: false },
          label,
        );
        // Five records: fewer than the bound, counted exactly.
        const small = { ...filter, startNs: BASE_TIME_NS, endNs: BASE_TIME_NS + 5n * S };
        assert.deepEqual(await bounded.countLogsUpTo(small), { total: 3, totalCapped: false });
      }

      // The API says so, never below its page.
      const nowMs = Number((BASE_TIME_NS + 60n * S) / 1_000_000n);
      const app = testApp(store, { now: () => nowMs });
      const get = async <T>(path: string): Promise<T> => {
        const response = await app(new Request(`http://argus.test${path}`));
        assert.equal(response.status, 200, path);
        return await response.json();
      };
      const traces = await get<WireTracePage>("/api/traces?range=1h&search=step&limit=2");
      assert.deepEqual([traces.total, traces.total_capped, traces.items.length], [4, true, 2]);
      const later = await get<WireTracePage>("/api/traces?range=1h&search=step&limit=2&offset=6");
      assert.deepEqual([later.total, later.total_capped], [8, true]);
      const all = await get<WireTracePage>("/api/traces?range=1h&search=step&limit=50");
      assert.deepEqual([all.total, all.total_capped, all.items.length], [20, false, 20]);
      const logs = await get<WireLogPage>("/api/logs?range=1h&search=failed&limit=2");
      assert.deepEqual(
        [logs.total, logs.total_capped, logs.items.length],
        trigrams ? [20, false, 2] : [newest, true, 2],
      );
      const every = await get<WireLogPage>("/api/logs?range=1h&search=failed&limit=50");
      assert.deepEqual([every.total, every.total_capped, every.items.length], [20, false, 20]);
    } finally {
      await store.close();
      await raw.db.destroy();
      await database.drop();
    }
  });
}
