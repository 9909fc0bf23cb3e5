/**
 * Trace summaries (store/trace_summaries.ts) on the database matrix: the trace list read from
 * them answers what the span scan it replaced answered (`Queries.scanTraces`, run on the same
 * database), and each summary stays what its stored spans say when they arrive out of order,
 * twice, through the dead-letter queue, from two writers at once, and across a purge. The span-name
 * search reads `span_names` (store/span_names.ts): the same on SQLite's in-memory path for new
 * traces as in the SQL recompute, filled by its migration, and exact for names of every kind.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Kysely } from "kysely";
import { createStore, type SpanRow, type Store, type TraceFilter } from "../store/mod.ts";
import { openDatabase } from "../store/dialects/mod.ts";
import { Queries } from "../store/queries.ts";
import type { Database } from "../store/columns.ts";
import { traceSummariesSchema } from "../store/migrations/2026_12_06_trace_summaries.ts";
import { traceSpanNamesSchema } from "../store/migrations/2026_12_10_trace_span_names.ts";
import { traceKeysSchema } from "../store/migrations/2026_12_20_trace_keys.ts";
import { spansByTraceKeySchema } from "../store/migrations/2026_12_21_spans_by_trace_key.ts";
import { joinSpanNames, SPAN_NAMES_MAX_LENGTH } from "../store/span_names.ts";
import { spanNamesContain, summarySelect, traceIdsIn } from "../store/trace_summaries.ts";
import { SQLSERVER } from "../store/dialects/sqlserver.ts";
import { recordingSqlServer } from "./sqlserver_recording.ts";
import { DeadLetterQueue } from "../ingest/dead_letter_queue.ts";
import { createLogger } from "../lib/logger.ts";
import {
  BASE_TIME_NS,
  buildCallChain,
  buildResource,
  buildSpan,
  hex,
  random,
  SERVICES,
} from "./builders.ts";
import { freshDatabase, selectedDrivers, type TestableDriver } from "./databases.ts";

const ALL_TIME = { startNs: 0n, endNs: (1n << 63n) - 1n };
const MS = 1_000_000n;
const RESOURCES = Object.fromEntries(SERVICES.map((s) => [s, buildResource(s)])) as Record<
  typeof SERVICES[number],
  ReturnType<typeof buildResource>
>;
const ODD = buildResource("café-сервис-服务");

/** A store on a fresh database, and a second connection to it for the reference scan. */
async function withStore(
  driver: TestableDriver,
  fn: (store: Store, scan: Queries, db: Kysely<Database>) => Promise<void>,
) {
  const database = await freshDatabase(driver);
  const store = await createStore(database.config, { dataDir: database.dataDir });
  const open = openDatabase(database.config, database.dataDir, () => {});
  try {
    await store.migrate();
    await fn(store, new Queries(open.db, open.capabilities), open.db);
  } finally {
    await store.close();
    await open.db.destroy();
    await database.drop();
  }
}

/**
 * Traces of every shape the list meets: call chains (some failing), rootless traces, single
 * spans, names and attributes with LIKE's characters, quotes, non-ASCII and long text, equal
 * durations (ties), spans of one trace split over batches in reverse order.
 */
function mixedTraces(): SpanRow[][] {
  const rand = random(15);
  const traces: SpanRow[][] = [];
  for (let i = 0; i < 24; i++) {
    traces.push(buildCallChain(RESOURCES, i * 1_000, rand, i % 5 === 0));
  }
  for (let i = 0; i < 12; i++) {
    const traceId = hex(rand, 32);
    const start = BASE_TIME_NS + BigInt(30_000 + i * 700) * MS;
    const names = ["GET /a%b", "load_user", `say "hi" ${"é".repeat(i)}`, "x".repeat(1000)];
    const spans = Array.from(
      { length: 1 + (i % 4) },
      (_, j) =>
        buildSpan(j % 2 === 0 ? ODD : RESOURCES["payment-service"], {
          traceId,
          // Traces 0–3 have no root: their earliest span stands in.
          parentSpanId: j === 0 && i >= 4 ? "" : hex(rand, 16),
          name: names[(i + j) % names.length]!,
          startTimeUnixNano: start + BigInt(j * 10) * MS,
          // Durations of 250 ms for every third trace (ties in the sort).
          endTimeUnixNano: start + BigInt(i % 3 === 0 ? 250 : 100 + i * 37 + j) * MS,
          statusCode: i % 4 === 1 && j === 0 ? 2 : 0,
          attributes: JSON.stringify({
            "order.id": `ord-${i % 6}`,
            "http.response.status_code": i % 2 === 0 ? 500 : 200,
            "note": i % 3 === 0 ? "50%_off 'quoted' ünïcode" : "plain",
          }),
        }, rand),
    );
    traces.push(spans);
  }
  return traces;
}

/** Writes every trace's spans over three batches, last spans first. */
async function writeScattered(store: Store, traces: SpanRow[][]): Promise<void> {
  const resources = [...Object.values(RESOURCES), ODD];
  for (let part = 2; part >= 0; part--) {
    const spans = traces.flatMap((t) => t.filter((_, i) => i % 3 === part));
    const result = await store.write({ resources, spans, logs: [] });
    assert.equal(result.spans.rejected.length, 0);
  }
}

const FILTERS: [string, Omit<TraceFilter, "startNs" | "endNs">][] = [
  ["no filter", {}],
  ["service", { serviceName: "payment-service" }],
  ["non-ASCII service", { serviceName: ODD.serviceName }],
  ["errors", { status: "error" }],
  ["service and errors", { serviceName: "inventory-service", status: "error" }],
  ["ok", { status: "ok" }],
  ["min duration", { minDurationNs: 250n * MS }],
  ["max duration", { maxDurationNs: 250n * MS }],
  ["name text with %", { search: "a%b" }],
  ["name text with _", { search: "D_U" }],
  ["name text with a quote", { search: 'Y "h' }],
  ["name text non-ASCII", { search: "éé" }],
  ["attribute", { attributes: [{ key: "order.id", value: "ord-3" }] }],
  ["attribute int", { attributes: [{ key: "http.response.status_code", value: "500" }] }],
  ["attribute with %, _ and quotes", {
    attributes: [{ key: "note", value: "50%_off 'quoted' ünïcode" }],
  }],
  ["service, errors, duration and text", {
    serviceName: "order-service",
    status: "error",
    minDurationNs: 100n * MS,
    search: "orders",
  }],
];

for (const driver of selectedDrivers()) {
  Deno.test(`[${driver}] the trace list from summaries answers what the span scan answered`, async () => {
    await withStore(driver, async (store, scan) => {
      await writeScattered(store, mixedTraces());
      for (const [label, filters] of FILTERS) {
        for (const field of ["start_time", "duration", "span_count"] as const) {
          for (const order of ["asc", "desc"] as const) {
            // Unfiltered by start time is the default list, read by roots (`rootTraces`), not here.
            if (label === "no filter" && field === "start_time") continue;
            for (const page of [{ limit: 100, offset: 0 }, { limit: 7, offset: 5 }]) {
              const filter = { ...ALL_TIME, ...filters };
              const sort = { field, order };
              const expected = await scan.scanTraces(filter, sort, page);
              const actual = await store.traces(filter, sort, page);
              assert.deepEqual(actual, expected, `${label}, ${field} ${order}, ${page.offset}`);
            }
          }
        }
      }
      // The filters matched something, so the comparison above compared lists, not empties.
      for (const [label, filters] of FILTERS) {
        const { total } = await store.traces({ ...ALL_TIME, ...filters }, {
          field: "start_time",
          order: "desc",
        }, { limit: 1, offset: 0 });
        assert.ok(total > 0, `${label} matched no trace`);
      }
    });
  });

  Deno.test(`[${driver}] a summary follows its spans: out of order, retried, replayed from the DLQ`, async () => {
    await withStore(driver, async (store, scan) => {
      const rand = random(3);
      const [root, ...rest] = buildCallChain(RESOURCES, 0, rand, true);
      const chain = [root!, ...rest];
      const resources = Object.values(RESOURCES);
      const check = async (stored: SpanRow[], stage: string) => {
        const list = await store.traces({ ...ALL_TIME, minDurationNs: 0n }, {
          field: "start_time",
          order: "desc",
        }, { limit: 10, offset: 0 });
        assert.equal(list.total, 1, stage);
        assert.deepEqual(
          list.items[0],
          expectedSummary(stored, list.items[0]!.errorServices),
          stage,
        );
        assert.deepEqual(
          list,
          await scan.scanTraces({ ...ALL_TIME, minDurationNs: 0n }, {
            field: "start_time",
            order: "desc",
          }, { limit: 10, offset: 0 }),
          stage,
        );
      };
      // The deepest span first, then its parents: no root yet, the earliest span stands in.
      await store.write({ resources, spans: [chain[4]!], logs: [] });
      await check([chain[4]!], "one child");
      await store.write({ resources, spans: [chain[3]!, chain[2]!], logs: [] });
      await check(chain.slice(2), "three children");
      // A retry of what is stored, with one new span: nothing counted twice.
      const retried = await store.write({ resources, spans: [chain[3]!, chain[1]!], logs: [] });
      assert.equal(retried.spans.duplicates, 1);
      await check(chain.slice(1), "a retry");
      // The root through the dead-letter queue, replayed twice (a replay after a crash).
      const dir = await Deno.makeTempDir({ prefix: "argus-summary-dlq-" });
      try {
        const dlq = new DeadLetterQueue({
          dir,
          maxBytes: 1 << 26,
          logger: createLogger("error", () => {}),
        });
        await dlq.init();
        await dlq.write({ resources, spans: [chain[0]!, chain[4]!], logs: [] });
        const report = await dlq.replayOnce(store);
        assert.equal(dlq.size(), 0, JSON.stringify(report));
        await check(chain, "replayed from the DLQ");
        await dlq.write({ resources, spans: [chain[0]!], logs: [] });
        await dlq.replayOnce(store);
        await check(chain, "replayed twice");
        await dlq.stop();
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  });

  Deno.test(`[${driver}] one batch of new traces with repeated spans and known traces summarizes each`, async () => {
    await withStore(driver, async (store, scan) => {
      const rand = random(27);
      const resources = [...Object.values(RESOURCES), ODD];
      const t0 = BASE_TIME_NS + 90_000n * MS;
      const span = (traceId: string, overrides: Partial<SpanRow>) =>
        buildSpan(RESOURCES["order-service"], {
          traceId,
          parentSpanId: hex(rand, 16),
          startTimeUnixNano: t0,
          endTimeUnixNano: t0 + 40n * MS,
          ...overrides,
        }, rand);
      // Known: half its spans stored by an earlier batch.
      const known = buildCallChain(RESOURCES, 90_000, rand, true);
      await store.write({ resources, spans: known.filter((_, i) => i % 2 === 0), logs: [] });
      // New, with spans repeated in the batch: the first of each key is stored, so the repeats
      // (an earlier start, an error, another name and service) must count for nothing.
      const repeated = hex(rand, 32);
      const root = span(repeated, { parentSpanId: "", name: "first root" });
      const child = span(repeated, { startTimeUnixNano: t0 + 5n * MS, name: "child" });
      const repeats = [
        { ...root, name: "repeated root", statusCode: 2, startTimeUnixNano: t0 - 9n * MS },
        { ...child, serviceName: ODD.serviceName, resourceId: ODD.id, endTimeUnixNano: t0 },
      ];
      // New, with two roots that start at once (the lower span id is the root) and a child
      // that starts before both.
      const twoRoots = hex(rand, 32);
      const [low, high] = [hex(rand, 16), hex(rand, 16)].sort();
      const tied = [
        span(twoRoots, { parentSpanId: "", spanId: high!, name: "high", statusCode: 2 }),
        span(twoRoots, { startTimeUnixNano: t0 - MS, name: "early child" }),
        buildSpan(ODD, {
          traceId: twoRoots,
          parentSpanId: "",
          spanId: low!,
          name: "low",
          startTimeUnixNano: t0,
          endTimeUnixNano: t0 + 90n * MS,
        }, rand),
      ];
      // New and rootless, its two earliest spans starting at once: the lower span id stands in.
      const rootless = hex(rand, 32);
      const [first, second] = [hex(rand, 16), hex(rand, 16)].sort();
      const orphans = [
        span(rootless, { spanId: second!, name: "second" }),
        span(rootless, { spanId: first!, name: "first" }),
        span(rootless, { startTimeUnixNano: t0 + MS, name: "later" }),
      ];
      const batch = [
        root,
        ...tied.slice(0, 2),
        repeats[0]!,
        ...known.filter((_, i) => i % 2 === 1),
        child,
        ...orphans,
        repeats[1]!,
        tied[2]!,
        known[0]!,
      ];
      const result = await store.write({ resources, spans: batch, logs: [] });
      assert.equal(result.spans.inserted, batch.length - 3);
      assert.equal(result.spans.duplicates, 3);
      const sort = { field: "start_time", order: "asc" } as const;
      const page = { limit: 10, offset: 0 };
      const filter = { ...ALL_TIME, minDurationNs: 0n };
      const list = await store.traces(filter, sort, page);
      const stored = [known, [root, child], tied, orphans];
      assert.equal(list.total, stored.length);
      for (const spans of stored) {
        const item = list.items.find((t) => t.traceId === spans[0]!.traceId);
        assert.deepEqual(item, expectedSummary(spans, item?.errorServices ?? []));
      }
      const byId = (id: string) => list.items.find((t) => t.traceId === id)!;
      assert.equal(byId(repeated).rootName, "first root");
      assert.equal(byId(repeated).errorCount, 0);
      assert.equal(byId(twoRoots).rootName, "low");
      assert.equal(byId(rootless).rootName, "first");
      assert.deepEqual(list, await scan.scanTraces(filter, sort, page));
      for (const service of [ODD.serviceName, "order-service"]) {
        const filtered = { ...filter, serviceName: service };
        assert.deepEqual(
          await store.traces(filtered, sort, page),
          await scan.scanTraces(filtered, sort, page),
          service,
        );
      }
    });
  });

  Deno.test(`[${driver}] a purge leaves each trace the summary of its remaining spans`, async () => {
    await withStore(driver, async (store, scan) => {
      const hourNs = 3_600_000_000_000n;
      // The purge's cutoff is a whole hour: traces before it, across it, and after it.
      const cutoff = ((BASE_TIME_NS / hourNs) + 2n) * hourNs;
      const rand = random(9);
      const at = (
        offsetMs: bigint,
        service: typeof SERVICES[number],
        traceId: string,
        root = false,
      ) =>
        buildSpan(RESOURCES[service], {
          traceId,
          parentSpanId: root ? "" : hex(rand, 16),
          startTimeUnixNano: cutoff + offsetMs * MS,
          endTimeUnixNano: cutoff + (offsetMs + 50n) * MS,
          statusCode: offsetMs < 0n ? 2 : 0,
        }, rand);
      const before = hex(rand, 32), across = hex(rand, 32), after = hex(rand, 32);
      const spans = [
        at(-5_000n, "order-service", before, true),
        at(-4_000n, "payment-service", before),
        at(-1_000n, "order-service", across, true),
        at(2_000n, "payment-service", across),
        at(3_000n, "inventory-service", across),
        at(5_000n, "inventory-service", after, true),
      ];
      await store.write({ resources: Object.values(RESOURCES), spans, logs: [] });
      const purged = await store.maintenance.purge({
        olderThanNs: cutoff + 30n * 60_000n * MS,
        signal: "traces",
      });
      assert.equal(purged.deletedSpans, 3);
      const sort = { field: "start_time", order: "asc" } as const;
      const page = { limit: 10, offset: 0 };
      const list = await store.traces({ ...ALL_TIME, minDurationNs: 0n }, sort, page);
      assert.deepEqual(list.items.map((t) => t.traceId), [across, after]);
      const remaining = spans.slice(3);
      assert.deepEqual(list.items[0], expectedSummary(remaining.slice(0, 2), []));
      assert.equal(list.items[0]!.errorCount, 0);
      assert.deepEqual(list, await scan.scanTraces({ ...ALL_TIME, minDurationNs: 0n }, sort, page));
      // Nothing is left of the purged trace, in either table.
      const errors = await store.traces({ ...ALL_TIME, status: "error" }, sort, page);
      assert.equal(errors.total, 0);
    });
  });

  Deno.test(`[${driver}] the migration fills the summaries of the spans already stored`, async () => {
    await withStore(driver, async (store, scan, db) => {
      await writeScattered(store, mixedTraces());
      const sort = { field: "duration", order: "desc" } as const;
      const page = { limit: 100, offset: 0 };
      const before = await store.traces({ ...ALL_TIME, minDurationNs: 0n }, sort, page);
      // As on a database migrated before summaries existed: the tables made and filled anew, and
      // the later migrations that change them run again (the trace keys and the spans keyed by
      // them, SQLite's, undone first, the last first).
      const schema = db as unknown as Kysely<unknown>;
      const keys = traceKeysSchema(driver);
      const spanKeys = spansByTraceKeySchema(driver);
      await spanKeys.down!(schema);
      await keys.down!(schema);
      const migration = traceSummariesSchema(driver);
      await migration.down!(schema);
      await migration.up(schema);
      await traceSpanNamesSchema(driver).up(schema);
      await keys.up(schema);
      await spanKeys.up(schema);
      assert.deepEqual(await store.traces({ ...ALL_TIME, minDurationNs: 0n }, sort, page), before);
      assert.deepEqual(
        before,
        await scan.scanTraces({ ...ALL_TIME, minDurationNs: 0n }, sort, page),
      );
    });
  });

  Deno.test(`[${driver}] the span-name search reads span_names and answers what the span scan answered`, async () => {
    await withStore(driver, async (store, scan, db) => {
      const traces = namedTraces(random(31));
      // Half of the traces in one commit (SQLite: names joined in memory), half over three.
      await store.write({ resources: [...Object.values(RESOURCES), ODD], spans: [], logs: [] });
      await writeScattered(store, [...traces.values()].filter((_, i) => i % 2 === 1));
      const once = [...traces.values()].filter((_, i) => i % 2 === 0).flat();
      await store.write({ resources: [...Object.values(RESOURCES), ODD], spans: once, logs: [] });
      const stored = await spanNamesOf(db);
      assert.equal(stored.get(traces.get("many")![0]!.traceId), null);
      assert.equal(stored.get(traces.get("pad")![0]!.traceId), "\u001fGET /Orders\u001fpad \u001f");
      const expected: Record<string, string[] | undefined> = {
        "pad ": ["pad"],
        "food": [],
        "needle in the many": ["many"],
        "e\u001fa": ["separator"],
        "\u001f": ["separator"],
        "a%b": ["special"],
      };
      for (const search of NAME_SEARCHES) {
        for (
          const sort of [{ field: "start_time", order: "desc" }, {
            field: "duration",
            order: "asc",
          }] as const
        ) {
          for (const page of [{ limit: 100, offset: 0 }, { limit: 2, offset: 1 }]) {
            const filter = { ...ALL_TIME, search };
            const actual = await store.traces(filter, sort, page);
            assert.deepEqual(
              actual,
              await scan.scanTraces(filter, sort, page),
              `${JSON.stringify(search)}, ${sort.field}, ${page.offset}`,
            );
            const names = expected[search];
            if (names !== undefined && page.offset === 0) {
              assert.deepEqual(
                actual.items.map((t) => t.traceId).sort(),
                names.map((n) => traces.get(n)![0]!.traceId).sort(),
                JSON.stringify(search),
              );
            }
          }
        }
      }
    });
  });

  Deno.test(`[${driver}] span_names is the same from the writer's memory and from the SQL recompute`, async () => {
    await withStore(driver, async (store, _scan, db) => {
      const rand = random(41);
      const resources = Object.values(RESOURCES);
      const wide = "é".repeat((SPAN_NAMES_MAX_LENGTH - 2) / 2);
      const sets = [
        // Binary order: U+FF21 before U+1F600 (JavaScript's sort says otherwise), "B" before
        // "a", and "a" < "a\x01" < "a " (MySQL's padding collation ties the last two with "a").
        ["😀 smile", "\uff21 fullwidth", "a ", "B", "a\u0001", "a", "a", "GET /a%b"],
        // At the cap (2-byte characters: the cap counts bytes), and one byte over it.
        [wide],
        [wide, ""],
        // Under the cap after the first commit, over it after the second.
        ["x".repeat(600), "y".repeat(600)],
      ];
      const written: [names: string[], oneCommit: string, twoCommits: string][] = [];
      for (const names of sets) {
        const spansOf = (traceId: string) =>
          names.map((name, i) =>
            buildSpan(RESOURCES["order-service"], {
              traceId,
              name,
              parentSpanId: i === 0 ? "" : hex(rand, 16),
            }, rand)
          );
        const one = spansOf(hex(rand, 32));
        const two = spansOf(hex(rand, 32));
        await store.write({ resources, spans: one, logs: [] });
        await store.write({ resources, spans: two.slice(0, 1), logs: [] });
        await store.write({ resources, spans: two.slice(1), logs: [] });
        written.push([names, one[0]!.traceId, two[0]!.traceId]);
      }
      const stored = await spanNamesOf(db);
      for (const [names, oneCommit, twoCommits] of written) {
        const expected = joinSpanNames(names);
        assert.equal(stored.get(oneCommit), expected, `one commit: ${JSON.stringify(names)}`);
        assert.equal(stored.get(twoCommits), expected, `two commits: ${JSON.stringify(names)}`);
      }
      assert.equal(
        stored.get(written[0]![1]),
        "\u001fB\u001fGET /a%b\u001fa\u001fa\u0001\u001fa \u001f\uff21 fullwidth\u001f😀 smile\u001f",
      );
      assert.equal(stored.get(written[1]![1])?.length, wide.length + 2);
      assert.equal(stored.get(written[2]![1]), null);
      assert.equal(stored.get(written[3]![1]), null);
    });
  });

  Deno.test(`[${driver}] the span_names migration fills the names of the traces already stored`, async () => {
    await withStore(driver, async (store, scan, db) => {
      const rand = random(51);
      const resources = [...Object.values(RESOURCES), ODD];
      // More traces than one statement of the migration fills (1,000), and every kind of name.
      const singles = Array.from(
        { length: 2_100 },
        (_, i) =>
          buildSpan(RESOURCES["payment-service"], {
            traceId: hex(rand, 32),
            parentSpanId: "",
            name: `operation ${i % 300}`,
          }, rand),
      );
      await store.write({ resources, spans: singles, logs: [] });
      await writeScattered(store, [...namedTraces(rand).values()]);
      const before = await spanNamesOf(db);
      assert.ok([...before.values()].includes(null));
      const migration = traceSpanNamesSchema(driver);
      await migration.down!(db as unknown as Kysely<unknown>);
      await migration.up(db as unknown as Kysely<unknown>);
      assert.deepEqual(await spanNamesOf(db), before);
      const filter = { ...ALL_TIME, search: "OPERATION 29" };
      const sort = { field: "start_time", order: "desc" } as const;
      const page = { limit: 20, offset: 0 };
      const list = await store.traces(filter, sort, page);
      // "operation 29" and 290–299, seven single-span traces each, and one name of the "many" trace.
      assert.equal(list.total, 11 * 7 + 1);
      assert.deepEqual(list, await scan.scanTraces(filter, sort, page));
    });
  });

  if (driver !== "sqlite") {
    Deno.test(`[${driver}] two writers storing spans of the same traces at once keep them exact`, async () => {
      const database = await freshDatabase(driver);
      const stores = [
        await createStore(database.config, { dataDir: database.dataDir }),
        await createStore(database.config, { dataDir: database.dataDir }),
      ];
      try {
        await stores[0]!.migrate();
        const rand = random(21);
        const traces = Array.from(
          { length: 40 },
          (_, i) => buildCallChain(RESOURCES, i * 10, rand),
        );
        const resources = Object.values(RESOURCES);
        // Replica 0 writes the even spans of every trace while replica 1 writes the odd ones;
        // then both write every span again (retries), at once.
        const half = (replica: number) =>
          traces.flatMap((t) => t.filter((_, i) => i % 2 === replica));
        await Promise.all(
          stores.map((store, replica) =>
            writeRetrying(store, { resources, spans: half(replica), logs: [] })
          ),
        );
        await Promise.all(
          stores.map((store) =>
            writeRetrying(store, { resources, spans: traces.flat(), logs: [] })
          ),
        );
        const list = await stores[0]!.traces({ ...ALL_TIME, minDurationNs: 0n }, {
          field: "start_time",
          order: "asc",
        }, { limit: 100, offset: 0 });
        assert.equal(list.total, traces.length);
        for (const [i, trace] of traces.entries()) {
          assert.deepEqual(list.items[i], expectedSummary(trace, []), `trace ${i}`);
        }
      } finally {
        for (const store of stores) await store.close();
        await database.drop();
      }
    });
  }
}

/**
 * As the batcher does with a batch the store could not take (a deadlock between the replicas is
 * one): it is written again, here at once rather than through the DLQ.
 */
async function writeRetrying(store: Store, batch: Parameters<Store["write"]>[0]): Promise<void> {
  for (let attempt = 1;; attempt++) {
    try {
      await store.write(batch);
      return;
    } catch (error) {
      if (attempt >= 5) throw error;
    }
  }
}

/** The summary of a trace as its spans say it, computed here from the rows themselves. */
function expectedSummary(spans: SpanRow[], errorServices: string[]) {
  const byStart = [...spans].sort((a, b) =>
    a.startTimeUnixNano < b.startTimeUnixNano
      ? -1
      : a.startTimeUnixNano > b.startTimeUnixNano
      ? 1
      : a.spanId < b.spanId
      ? -1
      : 1
  );
  const root = byStart.find((s) => s.parentSpanId === "") ?? byStart[0]!;
  return {
    traceId: spans[0]!.traceId,
    rootService: root.serviceName,
    rootName: root.name,
    startTimeUnixNano: byStart[0]!.startTimeUnixNano,
    endTimeUnixNano: spans.reduce(
      (max, s) => s.endTimeUnixNano > max ? s.endTimeUnixNano : max,
      spans[0]!.endTimeUnixNano,
    ),
    spanCount: spans.length,
    errorCount: spans.filter((s) => s.statusCode === 2).length,
    services: [...new Set(spans.map((s) => s.serviceName))].sort(),
    errorServices,
  };
}

/** Each summary's `span_names`, by trace id. */
async function spanNamesOf(db: Kysely<Database>): Promise<Map<string, string | null>> {
  const rows = await db.selectFrom("trace_summaries").select(["trace_id", "span_names"]).execute();
  return new Map(rows.map((r) => [r.trace_id, r.span_names]));
}

/**
 * Traces by label whose span names the search must tell apart: LIKE's characters and quotes,
 * non-ASCII, trailing spaces (MySQL's collation pads), the separator inside a name, two names that
 * would spell a third if the separator were skipped, and more names than `span_names` holds.
 */
function namedTraces(rand: () => number): Map<string, SpanRow[]> {
  const names: Record<string, string[]> = {
    pad: ["pad ", "GET /Orders", "pad "],
    padless: ["pad"],
    special: ["GET /a%b", "load_user", 'say "hi" ééé', "it's"],
    case: ["ÉCOLE", "GET /orders"],
    separator: ["before\u001fafter"],
    adjacent: ["fo", "od"],
    many: [
      ...Array.from({ length: 60 }, (_, i) => `operation ${i} of a long trace`),
      "needle in the many",
    ],
  };
  const traces = new Map<string, SpanRow[]>();
  for (const [i, [label, list]] of Object.entries(names).entries()) {
    const traceId = hex(rand, 32);
    const start = BASE_TIME_NS + BigInt(200_000 + i * 900) * MS;
    traces.set(
      label,
      list.map((name, j) =>
        buildSpan(j % 2 === 0 ? ODD : RESOURCES["order-service"], {
          traceId,
          name,
          parentSpanId: j === 0 ? "" : hex(rand, 16),
          startTimeUnixNano: start + BigInt(j) * MS,
          endTimeUnixNano: start + BigInt(j + 10 + i * 3) * MS,
        }, rand)
      ),
    );
  }
  return traces;
}

const NAME_SEARCHES = [
  "a%b",
  "D_U",
  'Y "H',
  "'S",
  "éé",
  "pad ",
  "pad",
  "food",
  "fo",
  "needle in the many",
  "OPERATION 7 ",
  "\u001f",
  "e\u001fa",
  "😀",
  "école",
  "orders",
  "",
];

Deno.test("SQL Server span_names: distinct by binary collation and length, STRING_AGG in order, probed matches", () => {
  const { db } = recordingSqlServer();
  const select = summarySelect("sqlserver", traceIdsIn(["a", "b"])).compile(db).sql;
  assert.match(
    select,
    /select distinct "trace_id" as trace_id, "name" collate Latin1_General_100_BIN2/,
  );
  assert.match(select, /datalength\("name"\) \/ 2 as name_length/);
  const sep = "N'\u001f'";
  assert.ok(
    select.includes(
      `${sep} + string_agg(case when w.total <= 1000 then w.name end, ${sep}) ` +
        `within group (order by "w"."name") + ${sep} as span_names`,
    ),
    select,
  );
  assert.doesNotMatch(select, /group_concat|\|\|/);
  const search = spanNamesContain(SQLSERVER, "ts", "50%_[x]").compile(db);
  assert.match(
    search.sql,
    /^\(\("ts"\."span_names" is null or "ts"\."span_names" like @1 escape '!'\) and exists \(select 1 from "spans" s where "s"\."trace_id" = "ts"\."trace_id" and "s"\."name" like @2 escape '!'\)\)$/,
  );
  assert.deepEqual(search.parameters, ["%50!%!_![x]%", "%50!%!_![x]%"]);
});

Deno.test("SQL Server span_names migration: an nvarchar column, filled by UPDATE … FROM in chunks", async () => {
  const { db, queries } = recordingSqlServer();
  await traceSpanNamesSchema("sqlserver").up(db as Kysely<unknown>);
  const sqls = queries.map((q) => q.sql);
  assert.equal(sqls[0], 'alter table "trace_summaries" add "span_names" nvarchar(1000)');
  assert.match(
    sqls[1]!,
    /^select trace_id from trace_summaries\s+where trace_id > @1 order by trace_id offset 999 rows fetch next 1 rows only$/,
  );
  assert.match(
    sqls[2]!,
    /^update ts set span_names = n\.span_names\s+from trace_summaries ts inner join \(/,
  );
  assert.match(sqls[2]!, /string_agg\(/);
  assert.equal(sqls.length, 3);
});
