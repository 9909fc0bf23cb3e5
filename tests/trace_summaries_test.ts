/**
 * Trace summaries (store/trace_summaries.ts) on the database matrix: the trace list read from
 * them answers what the span scan it replaced answered (`Queries.scanTraces`, run on the same
 * database), and each summary stays what its stored spans say when they arrive out of order,
 * twice, through the dead-letter queue, from two writers at once, and across a purge.
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
      // As on a database migrated before summaries existed: the tables made and filled anew.
      const migration = traceSummariesSchema(driver);
      await migration.down!(db as unknown as Kysely<unknown>);
      await migration.up(db as unknown as Kysely<unknown>);
      assert.deepEqual(await store.traces({ ...ALL_TIME, minDurationNs: 0n }, sort, page), before);
      assert.deepEqual(
        before,
        await scan.scanTraces({ ...ALL_TIME, minDurationNs: 0n }, sort, page),
      );
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
