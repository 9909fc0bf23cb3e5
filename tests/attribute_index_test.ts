/**
 * The attribute index (store/attribute_index.ts, store/attribute_postings.ts) on the database
 * matrix: `attr` searches of the trace list and the log list answer exactly what the scan answers
 * (the same queries with no key indexed) on a mixed data set, under a retry, through a forced
 * commit, with rows that predate the index, after a purge, for keys the setting leaves out, for
 * values past the postings cap, and for a trace whose matching span is in a later bucket than
 * its start; the writer's capped postings alone; and the SQL it writes for SQL Server, which is
 * not available here.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type Kysely, type KyselyPlugin, sql } from "kysely";
import {
  createStore,
  type LogRow,
  type SpanRow,
  type Store,
  storeOver,
  type TraceFilter,
} from "../store/mod.ts";
import { openDatabase, SQLSERVER } from "../store/dialects/mod.ts";
import { Queries } from "../store/queries.ts";
import type { Database } from "../store/columns.ts";
import {
  ALL_KEYS,
  attributeCandidates,
  attributeHash,
  AttributeIndexer,
  type AttributeIndexKeys,
  BUCKET_NS,
  bucketOf,
  keysWithin,
  lookupHashes,
  NO_KEYS,
  OVERFLOW_ID,
  readIndexState,
  reconcileIndexKeys,
} from "../store/attribute_index.ts";
import {
  AttributeIndexWriter,
  DEFAULT_POSTING_LIMITS,
  type PostingLimits,
  Postings,
} from "../store/attribute_postings.ts";
import type { DatabaseConfig } from "../lib/config.ts";
import { KyselyCommitter } from "../store/batch_writer.ts";
import { rollupsToDb } from "../store/columns.ts";
import { rollUp } from "../store/rollups.ts";
import { encodeAttributesJson, type KeyValue } from "../lib/any_value_json.ts";
import type { AttributeMatch } from "../store/types.ts";
import { BASE_TIME_NS, buildLog, buildResource, buildSpan, hex, random } from "./builders.ts";
import {
  databaseConfig,
  freshDatabase,
  selectedDrivers,
  type TestableDriver,
} from "./databases.ts";
import { recordingSqlServer } from "./sqlserver_recording.ts";

const ALL_TIME = { startNs: 0n, endNs: (1n << 63n) - 1n };
const MS = 1_000_000n;
const RESOURCE = buildResource("order-service");
const ODD = buildResource("café-сервис-服务");
const LONG = "ü".repeat(3_000) + "%_'\"";

const s = (value: string) => ({ type: "string" as const, value });
const i = (value: bigint) => ({ type: "int" as const, value });
const d = (value: number) => ({ type: "double" as const, value });
const b = (value: boolean) => ({ type: "bool" as const, value });

/** Attribute lists of every shape the search meets, one per row (cycled). */
const ATTRIBUTE_SETS: KeyValue[][] = [
  [{ key: "order.id", value: s("ord-000298") }, {
    key: "http.response.status_code",
    value: i(200n),
  }],
  [{ key: "order.id", value: s("ord-000299") }, {
    key: "http.response.status_code",
    value: d(200),
  }],
  [{ key: "http.response.status_code", value: s("200") }, { key: "note", value: s("50% off_") }],
  [{ key: "note", value: s('say "hi"') }, { key: "flag", value: b(true) }],
  [{ key: "flag", value: s("true") }, { key: "name", value: s("café-сервис-服务") }],
  [{ key: "long", value: s(LONG) }, { key: "ratio", value: d(1.5) }, { key: "neg", value: d(-0) }],
  [{
    key: "order",
    value: {
      type: "kvlist",
      value: [{ key: "id", value: s("ord-000298") }, { key: "n", value: i(3n) }],
    },
  }],
  [{
    key: "items",
    value: { type: "array", value: [{ type: "kvlist", value: [{ key: "sku", value: s("A_1") }] }] },
  }],
  [{ key: 'x"order.id', value: s("ord-000298") }, { key: "big", value: d(1e21) }],
  [{ key: "http.response.status_code", value: i(500n) }, { key: "order.id", value: s("ord-%") }],
];

/** Searches over the data set: present values, absent ones, and each type's neighbours. */
const MATCHES: AttributeMatch[] = [
  { key: "order.id", value: "ord-000298" },
  { key: "order.id", value: "ord-%" },
  { key: "order.id", value: "ord-_" },
  { key: "http.response.status_code", value: "200" },
  { key: "http.response.status_code", value: "200.0" },
  { key: "http.response.status_code", value: "500" },
  { key: "http.response.status_code", value: "2000" },
  { key: "note", value: "50% off_" },
  { key: "note", value: 'say "hi"' },
  { key: "flag", value: "true" },
  { key: "name", value: "café-сервис-服务" },
  { key: "long", value: LONG },
  { key: "ratio", value: "1.5" },
  { key: "neg", value: "-0" },
  { key: "neg", value: "0" },
  { key: "id", value: "ord-000298" },
  { key: "n", value: "3" },
  { key: "sku", value: "A_1" },
  { key: "big", value: "1e+21" },
  { key: "missing", value: "x" },
];

function attributesOf(n: number): string {
  return encodeAttributesJson(ATTRIBUTE_SETS[n % ATTRIBUTE_SETS.length]!);
}

/** Traces of 1–3 spans, 1 s apart, whose spans cycle through the attribute sets. */
function mixedSpans(traces: number, seed: number, offsetMs = 0): SpanRow[] {
  const rand = random(seed);
  const spans: SpanRow[] = [];
  let n = seed;
  for (let t = 0; t < traces; t++) {
    const traceId = hex(rand, 32);
    const start = BASE_TIME_NS + BigInt(offsetMs + t * 1_000) * MS;
    for (let j = 0; j < 1 + (t % 3); j++) {
      spans.push(buildSpan(t % 2 === 0 ? RESOURCE : ODD, {
        traceId,
        parentSpanId: j === 0 ? "" : hex(rand, 16),
        startTimeUnixNano: start + BigInt(j * 10) * MS,
        endTimeUnixNano: start + BigInt(j * 10 + 50) * MS,
        attributes: attributesOf(n++),
      }, rand));
    }
  }
  return spans;
}

function mixedLogs(count: number, seed: number, offsetMs = 0): LogRow[] {
  const rand = random(seed);
  return Array.from({ length: count }, (_, k) =>
    buildLog(k % 2 === 0 ? RESOURCE : ODD, {
      timeUnixNano: BASE_TIME_NS + BigInt(offsetMs + k * 700) * MS,
      attributes: attributesOf(seed + k),
    }, rand));
}

interface Fixture {
  store: Store;
  /** Reads through the index, and the reference: the same queries with no key indexed. */
  indexed: Queries;
  scan: Queries;
  db: Kysely<Database>;
  caps: typeof SQLSERVER;
}

async function withStore(
  driver: TestableDriver,
  fn: (fixture: Fixture) => Promise<void>,
  keys: AttributeIndexKeys = ALL_KEYS,
  settings: Partial<DatabaseConfig> = {},
) {
  const database = await freshDatabase(driver);
  const config = { ...database.config, attributeIndexKeys: keys, ...settings };
  const store = await createStore(config, { dataDir: database.dataDir });
  const open = openDatabase(database.config, database.dataDir, () => {});
  try {
    await store.migrate();
    await fn({
      store,
      indexed: new Queries(open.db, open.capabilities, { attributeIndexKeys: keys }),
      scan: new Queries(open.db, open.capabilities, { attributeIndexKeys: NO_KEYS }),
      db: open.db,
      caps: open.capabilities,
    });
  } finally {
    await store.close();
    await open.db.destroy();
    await database.drop();
  }
}

const SORT = { field: "start_time", order: "desc" } as const;
const PAGE = { limit: 1_000, offset: 0 };

/** Asserts that every search answers through the index what the scan answers. */
async function assertSameAsScan(f: Fixture, window = ALL_TIME, label = "") {
  let found = 0;
  for (const match of MATCHES) {
    const filter: TraceFilter = { ...window, attributes: [match] };
    const [traces, reference] = await Promise.all([
      f.indexed.traces(filter, SORT, PAGE),
      f.scan.traces(filter, SORT, PAGE),
    ]);
    const what = `${label} ${match.key}=${match.value.slice(0, 20)}`;
    assert.deepEqual(
      traces.items.map((t) => t.traceId),
      reference.items.map((t) => t.traceId),
      what,
    );
    assert.equal(traces.total, reference.total, what);
    const logFilter = { ...window, attributes: [match] };
    const [logs, logReference, count, countReference] = await Promise.all([
      f.indexed.logs(logFilter, PAGE),
      f.scan.logs(logFilter, PAGE),
      f.indexed.countLogs(logFilter),
      f.scan.countLogs(logFilter),
    ]);
    assert.deepEqual(logs.map((l) => l.id), logReference.map((l) => l.id), what);
    assert.equal(count, countReference, what);
    found += reference.items.length + logReference.length;
  }
  // Two matches at once: both must hold.
  const both = [MATCHES[0]!, { key: "http.response.status_code", value: "200" }];
  const [traces, reference] = await Promise.all([
    f.indexed.traces({ ...window, attributes: both }, SORT, PAGE),
    f.scan.traces({ ...window, attributes: both }, SORT, PAGE),
  ]);
  assert.deepEqual(traces.items.map((t) => t.traceId), reference.items.map((t) => t.traceId));
  return found;
}

async function indexRows(db: Kysely<Database>, table: "span_attributes" | "log_attributes") {
  const row = await db.selectFrom(table).select((eb) => eb.fn.countAll().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * The index rows commits of these rows should leave, computed as ingest computes them: each
 * commit planned by one writer (as one store's), the rows' union.
 */
function expectedIndexRows(
  commits: { spans: SpanRow[]; logs: LogRow[] }[],
  keys = ALL_KEYS,
  limits: PostingLimits = DEFAULT_POSTING_LIMITS,
) {
  const writer = new AttributeIndexWriter(new AttributeIndexer(keys), limits);
  const spans = new Set<string>();
  const logs = new Set<string>();
  for (const commit of commits) {
    const plan = writer.plan(commit.spans, commit.logs);
    for (const p of plan.spans) for (const id of p.ids) spans.add(`${p.bucket}/${p.h}/${id}`);
    for (const p of plan.logs) for (const id of p.ids) logs.add(`${p.bucket}/${p.h}/${id}`);
    plan.committed();
  }
  return { spans: spans.size, logs: logs.size, keys: { spans, logs } };
}

/** The index rows stored, as `expectedIndexRows` counts them. */
async function storedIndexRows(db: Kysely<Database>) {
  return {
    spans: await indexRows(db, "span_attributes"),
    logs: await indexRows(db, "log_attributes"),
  };
}

Deno.test("AttributeIndexer indexes keys at any depth, canonical numbers, and keys' tails after a quote", () => {
  const indexer = new AttributeIndexer(ALL_KEYS);
  const text = encodeAttributesJson([
    { key: "a", value: i(200n) },
    { key: "b", value: d(200) },
    { key: "c", value: s('x"y') },
    { key: 'k"a', value: b(true) },
    { key: "n", value: { type: "empty" } },
    { key: "o", value: { type: "kvlist", value: [{ key: "p", value: d(1.5) }] } },
  ]);
  const hashes: number[] = [];
  assert.equal(indexer.pushHashes(hashes, text), 6);
  assert.deepEqual(hashes, [
    attributeHash("a", "200"),
    attributeHash("b", "200"),
    attributeHash("c", 'x"y'),
    attributeHash('k"a', "true"),
    attributeHash("a", "true"),
    attributeHash("p", "1.5"),
  ]);
  for (const h of hashes) assert.ok(Number.isSafeInteger(h) && h >= 0);
  // A search for 200.0 looks 200 up too; the key's length keeps ("ab","c") apart from ("a","bc").
  assert.deepEqual(lookupHashes({ key: "b", value: "200.0" }), [
    attributeHash("b", "200.0"),
    attributeHash("b", "200"),
  ]);
  assert.notEqual(attributeHash("ab", "c"), attributeHash("a", "bc"));
  // Not JSON: no throw.
  assert.equal(indexer.pushHashes([], '{"a":"unclosed'), 0);
  assert.equal(new AttributeIndexer(NO_KEYS).pushHashes([], text), 0);
  const some = new AttributeIndexer({ include: ["a", "p"], skip: ["p"] });
  assert.equal(some.pushHashes([], text), 2);
});

Deno.test("keysWithin() tells a narrower keys setting from one that indexes more", () => {
  assert.ok(keysWithin(ALL_KEYS, ALL_KEYS));
  assert.ok(keysWithin({ include: ["a"], skip: [] }, ALL_KEYS));
  assert.ok(keysWithin({ include: "*", skip: ["a"] }, ALL_KEYS));
  assert.ok(!keysWithin(ALL_KEYS, { include: "*", skip: ["a"] }));
  assert.ok(!keysWithin({ include: ["a", "b"], skip: [] }, { include: ["a"], skip: [] }));
  assert.ok(keysWithin({ include: ["a", "b"], skip: ["b"] }, { include: ["a"], skip: [] }));
});

for (const driver of selectedDrivers()) {
  Deno.test(`${driver}: attr searches through the index answer what the scan answers, under a retry`, async () => {
    await withStore(driver, async (f) => {
      const spans = mixedSpans(40, 1);
      const logs = mixedLogs(60, 2);
      const batch = { resources: [RESOURCE, ODD], spans, logs };
      await f.store.write(batch);
      const { keys: _, ...expected } = expectedIndexRows([{ spans, logs }]);
      assert.deepEqual(await storedIndexRows(f.db), expected);
      // One row per trace, not per span: fewer rows than spans' attributes.
      const perSpan = spans.reduce(
        (n, x) => n + new AttributeIndexer(ALL_KEYS).pushHashes([], x.attributes),
        0,
      );
      assert.ok(expected.spans < perSpan, `${expected.spans} < ${perSpan}`);
      // The same batch again (a retried request): nothing is stored twice, nor counted.
      const again = await f.store.write(batch);
      assert.equal(again.spans.inserted, 0);
      assert.deepEqual(await storedIndexRows(f.db), expected);
      assert.ok(await assertSameAsScan(f) > 0);
      // A window that cuts the data set.
      const window = { startNs: BASE_TIME_NS + 9_500n * MS, endNs: BASE_TIME_NS + 30_000n * MS };
      await assertSameAsScan(f, window, "window");
      // The API: GET /api/logs goes through the store, which reads the index too.
      const viaStore = await f.store.logs({ ...ALL_TIME, attributes: [MATCHES[0]!] }, PAGE);
      assert.deepEqual(
        viaStore.map((l) => l.id),
        (await f.scan.logs({ ...ALL_TIME, attributes: [MATCHES[0]!] }, PAGE)).map((l) => l.id),
      );
      // The index is what answers: without its rows, the indexed search finds nothing.
      await sql`delete from ${sql.table("span_attributes")}`.execute(f.db);
      const emptied = await f.indexed.traces(
        { ...ALL_TIME, attributes: [MATCHES[0]!] },
        SORT,
        PAGE,
      );
      assert.equal(emptied.items.length, 0);
    });
  });

  Deno.test(`${driver}: a forced commit stores the index rows of its new rows once`, async () => {
    await withStore(driver, async (f) => {
      const first = mixedSpans(10, 3);
      const firstLogs = mixedLogs(10, 4);
      await f.store.write({ resources: [RESOURCE, ODD], spans: first, logs: firstLogs });
      const more = mixedSpans(10, 5, 100_000);
      const moreLogs = mixedLogs(10, 6, 100_000);
      // Half stored already, committed with `force` (as the batch writer does on its last try).
      const committer = new KyselyCommitter(
        f.db,
        f.caps,
        new AttributeIndexWriter(new AttributeIndexer(ALL_KEYS)),
      );
      const noRollups = rollupsToDb(rollUp([], [], []), f.caps.int64);
      const forced = { spans: [...first, ...more], logs: [...firstLogs, ...moreLogs] };
      const counts = await committer.commit({ resources: [], ...forced }, noRollups, true);
      assert.deepEqual(counts, {
        spans: more.length,
        logs: moreLogs.length,
        metrics: 0,
        complete: true,
      });
      // The store's writer wrote the first rows' index rows; this committer's own, all of them:
      // the rows already stored are not stored twice.
      const before = expectedIndexRows([{ spans: first, logs: firstLogs }]).keys;
      const after = expectedIndexRows([forced]).keys;
      assert.deepEqual(await storedIndexRows(f.db), {
        spans: new Set([...before.spans, ...after.spans]).size,
        logs: new Set([...before.logs, ...after.logs]).size,
      });
      await assertSameAsScan(f);
    });
  });

  Deno.test(`${driver}: rows that predate the index are scanned, and a purge takes their index rows`, async () => {
    await withStore(driver, async (f) => {
      const old = mixedSpans(20, 7);
      const oldLogs = mixedLogs(20, 8);
      const recent = mixedSpans(20, 9, 3_600_000);
      const recentLogs = mixedLogs(20, 10, 3_600_000);
      await f.store.write({ resources: [RESOURCE, ODD], spans: old, logs: oldLogs });
      // As if the first rows were stored before the migration: no index rows, and the state says
      // the index starts after them.
      const boundary = BASE_TIME_NS + 1_800_000n * MS;
      await sql`delete from ${sql.table("span_attributes")}`.execute(f.db);
      await sql`delete from ${sql.table("log_attributes")}`.execute(f.db);
      await f.db.updateTable("attribute_index_state")
        .set({ indexed_from_ns: f.caps.int64(boundary) }).execute();
      await f.store.write({ resources: [RESOURCE, ODD], spans: recent, logs: recentLogs });
      assert.ok(await assertSameAsScan(f, ALL_TIME, "predating") > 0);
      await assertSameAsScan(
        f,
        { startNs: BASE_TIME_NS + 3_600_000n * MS, endNs: ALL_TIME.endNs },
        "after the boundary",
      );
      // A purge up to the recent rows' hour: the old rows and their index rows go.
      const purged = await f.store.maintenance.purge({
        olderThanNs: BASE_TIME_NS + 3_600_000n * MS,
        signal: "all",
      });
      assert.ok(purged.deletedSpans > 0 && purged.deletedLogs > 0);
      const cutoff = BASE_TIME_NS + 3_600_000n * MS - ((BASE_TIME_NS + 3_600_000n * MS) %
        3_600_000_000_000n);
      for (const table of ["span_attributes", "log_attributes"] as const) {
        const left = await f.db.selectFrom(table).select("bucket").execute();
        assert.ok(left.length > 0 && left.every((r) => r.bucket >= bucketOf(cutoff)), table);
      }
      // From now on, searches scan what is before the first bucket kept: late rows there may
      // lack their index rows.
      const state = await readIndexState(f.db);
      assert.equal(state.spans?.indexedFromNs, BigInt(bucketOf(cutoff)) * BUCKET_NS);
      assert.equal(state.logs?.indexedFromNs, BigInt(bucketOf(cutoff)) * BUCKET_NS);
      await assertSameAsScan(f, ALL_TIME, "purged");
      // A late trace behind the purge, under values whose buckets went: still found.
      await f.store.write({
        resources: [RESOURCE, ODD],
        spans: mixedSpans(20, 7),
        logs: mixedLogs(20, 8),
      });
      assert.ok(await assertSameAsScan(f, ALL_TIME, "late") > 0);
    });
  });

  Deno.test(`${driver}: keys the setting leaves out are not indexed and are searched by the scan`, async () => {
    const keys = { include: "*" as const, skip: ["order.id"] };
    await withStore(driver, async (f) => {
      const spans = mixedSpans(20, 11);
      const logs = mixedLogs(20, 12);
      await f.store.write({ resources: [RESOURCE, ODD], spans, logs });
      const expected = expectedIndexRows([{ spans, logs }], keys);
      assert.ok(expected.spans < expectedIndexRows([{ spans, logs }]).spans);
      assert.equal(await indexRows(f.db, "span_attributes"), expected.spans);
      const orderIds = lookupHashes({ key: "order.id", value: "ord-000298" })
        .map((h) => f.caps.int64(BigInt(h)));
      const stored = await f.db.selectFrom("span_attributes").select("h")
        .where("h", "in", orderIds).execute();
      assert.equal(stored.length, 0);
      await assertSameAsScan(f);
      // Growing the setting back to every key: rows stored so far count as not indexed.
      const moved = await reconcileIndexKeys(f.db, f.caps, ALL_KEYS);
      assert.deepEqual(moved, ["spans", "logs"]);
      const all = new Queries(f.db, f.caps, { attributeIndexKeys: ALL_KEYS });
      const filter = { ...ALL_TIME, attributes: [MATCHES[0]!] };
      assert.deepEqual(
        (await all.traces(filter, SORT, PAGE)).items.map((t) => t.traceId),
        (await f.scan.traces(filter, SORT, PAGE)).items.map((t) => t.traceId),
      );
      assert.ok((await f.scan.traces(filter, SORT, PAGE)).items.length > 0);
      // Narrowing again keeps the time.
      assert.deepEqual(await reconcileIndexKeys(f.db, f.caps, keys), []);
    }, keys);
  });
}

Deno.test("SQL Server writes index rows with MERGE and searches them by bucket and hash", async () => {
  const { db, queries } = recordingSqlServer();
  const config = databaseConfig("sqlserver", "sqlserver://sa:secret@127.0.0.1:1433/argus");
  const store = storeOver(db, SQLSERVER, config);
  await store.write({ resources: [RESOURCE], spans: mixedSpans(3, 13), logs: mixedLogs(3, 14) });
  const merge = queries.find((q) => q.sql.startsWith('merge into "span_attributes"'));
  assert.ok(merge, queries.map((q) => q.sql.slice(0, 40)).join("\n"));
  assert.match(
    merge.sql,
    /on t\."bucket" = s\."bucket" and t\."h" = s\."h" and t\."trace_id" = s\."trace_id"/,
  );
  assert.ok(queries.some((q) => q.sql.startsWith('merge into "log_attributes"')));
  // Hashes are bound as decimal strings, as every int64 is; buckets as numbers.
  assert.deepEqual(
    new Set(merge.parameters.map((p) => typeof p)),
    new Set(["number", "string"]),
  );
  // The look-up, over a recorder that answers every statement with one row: the state (rows
  // from before 7 ns left to the exact check; buckets 1 to 3 stored), then the ids.
  queries.length = 0;
  const answering: KyselyPlugin = {
    transformQuery: ({ node }) => node,
    transformResult: ({ result }) =>
      Promise.resolve({
        ...result,
        rows: [{
          indexed_from_ns: "7",
          index_keys: '{"include":"*","skip":[]}',
          lo: 1,
          hi: 3,
          id: "a",
        }],
      }),
  };
  const condition = await attributeCandidates(
    db.withPlugin(answering),
    SQLSERVER,
    ALL_KEYS,
    { key: "http.response.status_code", value: "200.0" },
    {
      signal: "logs",
      idColumn: "logs.id",
      time: sql.ref("logs.time_unix_nano"),
      from: 5n,
      to: BUCKET_NS * 2n + 1n,
      candidates: 100,
    },
  );
  const hashes = [
    String(attributeHash("http.response.status_code", "200.0")),
    String(attributeHash("http.response.status_code", "200")),
  ];
  const probe = queries.at(-1)!;
  // Buckets 0 to 2 of the window, from 1 (the first stored): listed, one seek each.
  assert.match(
    probe.sql,
    /^select top 101 "log_id" as id from "log_attributes" where bucket in \(1, 2\) and h in \(@1, @2\)$/,
  );
  assert.deepEqual(probe.parameters, hashes);
  const read = db.selectFrom("logs").select("id").where(condition!).compile();
  assert.match(
    read.sql,
    /\("logs"\."time_unix_nano" < @1 or "logs"\."id" in \(select "log_id" from "log_attributes" where bucket in \(1, 2\) and h in \(@2, @3\)\)\)/,
  );
  assert.deepEqual(read.parameters, ["7", ...hashes]);
  // A key the setting leaves out: no look-up (the exact check scans).
  queries.length = 0;
  assert.equal(
    await attributeCandidates(db, SQLSERVER, NO_KEYS, { key: "a", value: "b" }, {
      signal: "spans",
      idColumn: "ts.trace_id",
      time: sql.ref("x"),
      from: 0n,
      candidates: 100,
    }),
    undefined,
  );
  assert.equal(queries.length, 0);
});

Deno.test("AttributeIndexWriter writes a trace once per bucket and value, then caps a value's ids", () => {
  const limits = { postings: 3, tracked: 1_000 };
  const writer = new AttributeIndexWriter(new AttributeIndexer(ALL_KEYS), limits);
  const text = encodeAttributesJson([{ key: "k", value: s("v") }]);
  const span = (trace: string, minute: number) => ({
    traceId: trace,
    startTimeUnixNano: BASE_TIME_NS + BigInt(minute) * 60_000n * MS,
    attributes: text,
  });
  const h = attributeHash("k", "v");
  const b0 = bucketOf(BASE_TIME_NS);
  // Two spans of trace a in one bucket, one in the next: a row per bucket.
  const first = writer.plan([span("a", 0), span("a", 1), span("a", 11), span("b", 2)], []);
  assert.deepEqual(first.spans, [
    { bucket: b0, h, ids: ["a", "b"] },
    { bucket: b0 + 1, h, ids: ["a"] },
  ]);
  // Not committed (rolled back): counts nothing, so the next plan may list ids again.
  const again = writer.plan([span("c", 3), span("d", 3)], []);
  assert.deepEqual(again.spans, [{ bucket: b0, h, ids: ["c", "d"] }]);
  first.committed();
  // Committed: 2 of 3 ids in bucket b0; two more pass the cap, so the overflow row alone.
  const past = writer.plan([span("c", 3), span("d", 3)], []);
  assert.deepEqual(past.spans, [{ bucket: b0, h, ids: [OVERFLOW_ID] }]);
  // Until the overflow row is committed, it is written again; after, nothing.
  assert.deepEqual(writer.plan([span("e", 4)], []).spans, [{ bucket: b0, h, ids: ["e"] }]);
  past.committed();
  assert.deepEqual(writer.plan([span("e", 4)], []).spans, []);
  // Another writer (a restart, a replica) starts from nothing.
  const other = new AttributeIndexWriter(new AttributeIndexer(ALL_KEYS), limits);
  assert.deepEqual(other.plan([span("e", 4)], []).spans, [{ bucket: b0, h, ids: ["e"] }]);
});

Deno.test("Postings counts recent buckets only, and at most `tracked` pairs", () => {
  const postings = new Postings({ postings: 32, tracked: 3 });
  postings.add(100, 1, 2);
  postings.add(100, 2, 1);
  postings.add(101, 1, 1);
  assert.equal(postings.size, 3);
  // Full: a pair of a newer bucket takes the oldest bucket's room; an older one is not counted.
  postings.add(102, 1, 5);
  assert.equal(postings.count(100, 1), 0);
  assert.equal(postings.count(102, 1), 5);
  postings.add(101, 2, 1);
  postings.add(101, 3, 1);
  assert.equal(postings.count(101, 3), 0);
  // Buckets more than two behind the newest are dropped, and not counted again.
  postings.add(104, 1, 1);
  assert.equal(postings.count(101, 1), 0);
  postings.add(101, 1, 1);
  assert.equal(postings.count(101, 1), 0);
  assert.equal(postings.count(102, 1), 5);
});

for (const driver of selectedDrivers()) {
  Deno.test(`${driver}: a value past the postings cap is answered exactly, by the scan`, async () => {
    await withStore(
      driver,
      async (f) => {
        const rand = random(21);
        // 12 traces in one bucket hold tenant=acme (past a cap of 4); one holds tenant=rare.
        const spans = Array.from({ length: 13 }, (_, t) =>
          buildSpan(RESOURCE, {
            traceId: hex(rand, 32),
            startTimeUnixNano: BASE_TIME_NS + BigInt(t * 1_000) * MS,
            endTimeUnixNano: BASE_TIME_NS + BigInt(t * 1_000 + 5) * MS,
            attributes: encodeAttributesJson([
              { key: "tenant", value: s(t === 12 ? "rare" : "acme") },
            ]),
          }, rand));
        const logs = Array.from({ length: 13 }, (_, k) =>
          buildLog(RESOURCE, {
            timeUnixNano: BASE_TIME_NS + BigInt(k * 1_000) * MS,
            attributes: encodeAttributesJson([
              { key: "tenant", value: s(k === 12 ? "rare" : "acme") },
            ]),
          }, rand));
        // In two writes (two commits): the cap holds across them.
        await f.store.write({
          resources: [RESOURCE],
          spans: spans.slice(0, 3),
          logs: logs.slice(0, 3),
        });
        await f.store.write({ resources: [RESOURCE], spans: spans.slice(3), logs: logs.slice(3) });
        const acme = lookupHashes({ key: "tenant", value: "acme" }).map((h) =>
          f.caps.int64(BigInt(h))
        );
        for (const table of ["span_attributes", "log_attributes"] as const) {
          const id = table === "span_attributes" ? "trace_id" : "log_id";
          const rows = await f.db.selectFrom(table).select(sql<string>`${sql.ref(id)}`.as("id"))
            .where("h", "in", acme).execute();
          // 3 ids, then the overflow row once the fourth and later would pass the cap of 4.
          assert.deepEqual(rows.map((r) => r.id).filter((x) => x === OVERFLOW_ID), [OVERFLOW_ID]);
          assert.ok(rows.length <= 5, `${table}: ${rows.length} rows`);
        }
        const target = (signal: "spans" | "logs") => ({
          signal,
          idColumn: "x",
          time: sql.ref("t"),
          from: ALL_TIME.startNs,
          candidates: 100,
        });
        for (const signal of ["spans", "logs"] as const) {
          // The overflow row sends the common value to the scan, the rare one to its candidates.
          const common = { key: "tenant", value: "acme" };
          assert.equal(
            await attributeCandidates(f.db, f.caps, ALL_KEYS, common, target(signal)),
            undefined,
          );
          const rare = { key: "tenant", value: "rare" };
          assert.ok(await attributeCandidates(f.db, f.caps, ALL_KEYS, rare, target(signal)));
        }
        for (const value of ["acme", "rare"]) {
          const filter = { ...ALL_TIME, attributes: [{ key: "tenant", value }] };
          const [traces, reference] = await Promise.all([
            f.indexed.traces(filter, SORT, PAGE),
            f.scan.traces(filter, SORT, PAGE),
          ]);
          assert.deepEqual(traces, reference, value);
          assert.equal(traces.items.length, value === "acme" ? 12 : 1);
          const [records, logReference] = await Promise.all([
            f.indexed.logs(filter, PAGE),
            f.scan.logs(filter, PAGE),
          ]);
          assert.deepEqual(records.map((l) => l.id), logReference.map((l) => l.id), value);
          assert.equal(records.length, value === "acme" ? 12 : 1);
        }
        // Too many candidates for the read's limit: the scan too, with the same answer.
        const few = new Queries(f.db, f.caps, { attributeIndexCandidates: 1 });
        await f.store.write({ resources: [RESOURCE, ODD], spans: mixedSpans(10, 22), logs: [] });
        const filter = { ...ALL_TIME, attributes: [MATCHES[0]!] };
        assert.deepEqual(
          await few.traces(filter, SORT, PAGE),
          await f.scan.traces(filter, SORT, PAGE),
        );
      },
      ALL_KEYS,
      { attributeIndexPostings: 4 },
    );
  });

  Deno.test(`${driver}: a trace is found by a span that starts buckets after the trace`, async () => {
    await withStore(driver, async (f) => {
      const rand = random(23);
      const traceId = hex(rand, 32);
      const start = BASE_TIME_NS + 60_000n * MS;
      const root = buildSpan(RESOURCE, {
        traceId,
        parentSpanId: "",
        startTimeUnixNano: start,
        endTimeUnixNano: start + 40n * 60_000n * MS,
        attributes: encodeAttributesJson([{ key: "step", value: s("begin") }]),
      }, rand);
      // 25 minutes later: two buckets past the root's, in another commit.
      const late = buildSpan(RESOURCE, {
        traceId,
        parentSpanId: root.spanId,
        startTimeUnixNano: start + 25n * 60_000n * MS,
        endTimeUnixNano: start + 26n * 60_000n * MS,
        attributes: encodeAttributesJson([{ key: "order.id", value: s("ord-late") }]),
      }, rand);
      assert.equal(bucketOf(late.startTimeUnixNano), bucketOf(start) + 2);
      await f.store.write({ resources: [RESOURCE], spans: [root], logs: [] });
      await f.store.write({ resources: [RESOURCE], spans: [late], logs: [] });
      // A window of the trace's first minute only.
      const filter = {
        startNs: start,
        endNs: start + 60_000n * MS,
        attributes: [{ key: "order.id", value: "ord-late" }],
      };
      const target = {
        signal: "spans" as const,
        idColumn: "ts.trace_id",
        time: sql.ref("ts.start_time_unix_nano"),
        from: filter.startNs,
        candidates: 100,
      };
      assert.ok(await attributeCandidates(f.db, f.caps, ALL_KEYS, filter.attributes[0]!, target));
      const found = await f.indexed.traces(filter, SORT, PAGE);
      assert.deepEqual(found.items.map((t) => t.traceId), [traceId]);
      assert.deepEqual(found, await f.scan.traces(filter, SORT, PAGE));
    });
  });
}
