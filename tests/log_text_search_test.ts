/**
 * The log text search (store/log_search.ts, syntax in utils/text_query.ts) on the database
 * matrix: with LOG_SEARCH_LIMIT set to 20, every query of a mixed data set (`%`, `_`, quotes,
 * backslashes, non-ASCII, a 200,000-character body, terms under three characters, phrases,
 * exclusions) answers exactly what the scan answers (a `Queries` without the limit, on its own
 * connection): the same records in the same order, pages by cursor, the exact count, and the
 * total up to the limit with `totalCapped` exactly when more match; whether the search went
 * through the index (SQLite: rare terms) or not (common ones, short ones, exclusions alone). The
 * same after a purge, and on SQLite after VACUUM, with the FTS5 index holding exactly the logs'
 * rows. `GET /api/logs` refuses a malformed query with a 400 naming the syntax.
 *
 * @module
 */
import assert from "node:assert/strict";
import { sql } from "kysely";
import { createStore, type LogFilter, type LogRow, type Store } from "../store/mod.ts";
import { openDatabase } from "../store/dialects/mod.ts";
import { Queries } from "../store/queries.ts";
import { planLogSearch } from "../store/log_search.ts";
import { parseTextQuery } from "../utils/text_query.ts";
import { testApp } from "./app.ts";
import type { WireLogPage } from "../utils/wire.ts";
import { BASE_TIME_NS, buildLog, buildResource, random, SERVICES } from "./builders.ts";
import {
  databaseConfig,
  freshDatabase,
  selectedDrivers,
  type TestableDriver,
} from "./databases.ts";
import pg from "pg";

const LIMIT = 20;
const ALL_TIME = { startNs: 0n, endNs: (1n << 63n) - 1n };
const MS = 1_000_000n;
const RECORDS = 240;
const RESOURCES = SERVICES.map((s) => buildResource(s));
const LONG = `${"x".repeat(100_000)} needle-in-haystack ${"y".repeat(100_000)}`;

/** Bodies of record i: `BODIES[i % n]` and ` request i`, so that "request" is in every one. */
const BODIES = [
  "Database Lock acquired on orders",
  "database lock timeout after 5000 ms",
  "50% off_sale: price 5_00",
  "100%_done",
  'user said "hello world" and left',
  "it's O'Reilly's book",
  "échec de paiement: ÉCHEC total",
  "Größe überschritten, STRASSE straße",
  "日本語のログ メッセージ",
  "emoji 🚀 launched",
  "path C:\\temp\\file not found",
  '{"status":"failed","code":500}',
  "db ok",
  "a",
  "Lock",
];

/** Purged: the records before it (records 0 to 99; a purge cuts on whole hours). */
const PURGE_BEFORE_NS = BASE_TIME_NS;

/** Record i, i milliseconds after BASE_TIME_NS, two hours earlier below 100; 7 is the long one. */
function records(): LogRow[] {
  const rand = random(1517);
  const at = (i: number) => BASE_TIME_NS + BigInt(i) * MS - (i < 100 ? 7_200_000n * MS : 0n);
  return Array.from({ length: RECORDS }, (_, i) =>
    buildLog(RESOURCES[i % RESOURCES.length]!, {
      timeUnixNano: at(i),
      observedTimeUnixNano: at(i),
      body: i === 7 ? LONG : `${BODIES[i % BODIES.length]} request ${i}`,
    }, rand));
}

const QUERIES = [
  "lock",
  "LOCK acquired",
  '"database lock"',
  '"lock database"',
  "database -timeout",
  "50%",
  "%",
  "_",
  "5_0",
  "%_",
  '"\\"hello world\\""',
  "hello -world",
  "'s",
  "o'reilly's",
  "échec",
  "ÉCHEC",
  "straße",
  "größe",
  "🚀",
  "日本語",
  "メッセージ",
  "needle-in-haystack",
  "yyyyyyyyyyyy needle",
  "xyz",
  "db",
  "a",
  "-request",
  "-lock -db",
  "request",
  "request 7",
  '"request 1"',
  "C:\\temp",
  '"status":"failed"',
  "ms",
  "nothing-matches-this",
  "lock nothing-matches-this",
];

/** A window holding records 100 to 179, and the same with a service. */
const MIDDLE = { startNs: BASE_TIME_NS + 60n * MS, endNs: BASE_TIME_NS + 180n * MS };
const FILTERS: [string, Omit<LogFilter, "search">][] = [
  ["all time", ALL_TIME],
  ["a window", MIDDLE],
  ["a service in a window", { ...MIDDLE, serviceName: "payment-service" }],
];

/**
 * A full VACUUM of the SQLite file, run as an operator's `sqlite3 argus.db vacuum` would be: by
 * another process (`deno eval`, which has every permission), since Deno lets a program attach a
 * database, which VACUUM does, only with every permission (dialects/sqlite.ts).
 */
async function vacuumFromOutside(raw: ReturnType<typeof openDatabase>): Promise<void> {
  const { rows } = await sql<{ file: string }>`pragma database_list`.execute(raw.db);
  const file = rows[0]!.file;
  const script = `import { DatabaseSync } from "node:sqlite";
    const db = new DatabaseSync(${JSON.stringify(file)});
    db.exec("pragma busy_timeout = 10000");
    db.exec("vacuum");
    db.close();`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
}

async function withStore(
  driver: TestableDriver,
  fn: (store: Store, scan: Queries, raw: ReturnType<typeof openDatabase>) => Promise<void>,
) {
  const database = await freshDatabase(driver);
  const config = { ...database.config, logSearchLimit: LIMIT };
  const store = await createStore(config, { dataDir: database.dataDir });
  const raw = openDatabase(config, database.dataDir, () => {});
  try {
    await store.migrate();
    const result = await store.write({ resources: RESOURCES, spans: [], logs: records() });
    assert.equal(result.logs.rejected.length, 0);
    await fn(store, new Queries(raw.db, raw.capabilities), raw);
  } finally {
    await store.close();
    await raw.db.destroy();
    await database.drop();
  }
}

/** Every query and filter: the store's answers are the scan's. Answers how many used the index. */
async function assertLikeScan(
  store: Store,
  scan: Queries,
  raw: ReturnType<typeof openDatabase>,
  when: string,
): Promise<{ index: number; scan: number }> {
  const plans = { index: 0, scan: 0 };
  const ids = (rows: { id: string }[]) => rows.map((r) => r.id);
  for (const text of QUERIES) {
    const search = parseTextQuery(text);
    const plan = await planLogSearch(raw.db, raw.capabilities, ALL_TIME, search, LIMIT);
    plans[plan.index ? "index" : "scan"]++;
    for (const [label, window] of FILTERS) {
      const what = `${when}: ${text} (${label}, ${plan.index ? "index" : "scan"})`;
      const filter: LogFilter = { ...window, search };
      for (const order of ["desc", "asc"] as const) {
        const page = { limit: 1000, offset: 0, order };
        const expected = await scan.logs(filter, page);
        assert.deepEqual(ids(await store.logs(filter, page)), ids(expected), `${what} ${order}`);
        // A page past a record, by cursor, each way.
        const middle = expected[Math.floor(expected.length / 2)];
        if (middle !== undefined) {
          const key = { timeUnixNano: middle.timeUnixNano, id: middle.id };
          for (const side of ["before", "after"] as const) {
            const paged = { limit: 3, offset: 0, order, [side]: key };
            assert.deepEqual(
              ids(await store.logs(filter, paged)),
              ids(await scan.logs(filter, paged)),
              `${what} ${order} ${side}`,
            );
          }
        }
      }
      const exact = await scan.countLogs(filter);
      assert.equal(await store.countLogs(filter), exact, `${what}: count`);
      assert.deepEqual(
        await store.logTotal(filter),
        { total: Math.min(exact, LIMIT), totalCapped: exact > LIMIT },
        `${what}: total`,
      );
    }
  }
  return plans;
}

for (const driver of selectedDrivers()) {
  Deno.test(`[${driver}] log text search answers what the scan answers, through purge and vacuum`, async () => {
    await withStore(driver, async (store, scan, raw) => {
      const plans = await assertLikeScan(store, scan, raw, "stored");
      if (driver === "sqlite") {
        // Rare terms through the index; common, short and exclusion-only ones scan.
        assert.ok(plans.index >= 15 && plans.scan >= 6, JSON.stringify(plans));
        assert.equal(
          (await planLogSearch(
            raw.db,
            raw.capabilities,
            ALL_TIME,
            parseTextQuery("request"),
            LIMIT,
          ))
            .index,
          false,
        );
      } else {
        assert.deepEqual(plans, { index: 0, scan: QUERIES.length });
      }
      const indexed = async () => {
        const { rows } = await sql<{ logs: number; indexed: number }>`select
          (select count(*) from logs) as logs, (select count(*) from logs_text) as indexed`
          .execute(raw.db);
        return rows.map((r) => [Number(r.logs), Number(r.indexed)])[0];
      };
      if (driver === "sqlite") assert.deepEqual(await indexed(), [RECORDS, RECORDS]);

      // Records 0 to 99 purged (the long one among them).
      const purged = await store.maintenance.purge({
        olderThanNs: PURGE_BEFORE_NS,
        signal: "logs",
      });
      assert.equal(purged.deletedLogs, 100);
      await assertLikeScan(store, scan, raw, "after a purge");
      if (driver === "sqlite") {
        assert.deepEqual(await indexed(), [RECORDS - 100, RECORDS - 100]);
        assert.equal((await store.maintenance.vacuum()).ok, true);
        // A full VACUUM rebuilds the file: `logs` keeps its rowids, since it has indexes.
        await vacuumFromOutside(raw);
        await assertLikeScan(store, scan, raw, "after VACUUM");
        assert.deepEqual(await indexed(), [RECORDS - 100, RECORDS - 100]);
        // Written after the vacuum: indexed as well.
        const later = buildLog(RESOURCES[0]!, {
          timeUnixNano: BASE_TIME_NS + 500n * MS,
          body: "a late Database Lock",
        });
        await store.write({ resources: RESOURCES, spans: [], logs: [later] });
        const found = await store.logs({ ...ALL_TIME, search: parseTextQuery("late database") }, {
          limit: 10,
          offset: 0,
        });
        assert.deepEqual(found.map((r) => r.id), [later.id]);
      }
    });
  });

  Deno.test(`[${driver}] GET /api/logs searches by the query syntax and refuses malformed queries`, async () => {
    await withStore(driver, async (store) => {
      const nowMs = Number((BASE_TIME_NS + 60_000n * MS) / MS);
      const app = testApp(store, { now: () => nowMs });
      const get = (search: string) =>
        app(
          new Request(`http://argus.test/api/logs?range=24h&search=${encodeURIComponent(search)}`),
        );
      const ok = async (search: string): Promise<WireLogPage> => {
        const response = await get(search);
        assert.equal(response.status, 200, search);
        return await response.json();
      };
      const locks = await ok('"database lock" -timeout');
      assert.deepEqual([locks.total, locks.total_capped], [16, false]);
      assert.ok(locks.items.every((l) => /database lock acquired/i.test(String(l.body))));
      const common = await ok("request");
      // Capped at the limit, yet never below what the page shows (50 records).
      assert.deepEqual([common.total, common.total_capped, common.items.length], [50, true, 50]);
      const plain = await (await app(new Request("http://argus.test/api/logs?range=24h"))).json();
      assert.deepEqual([plain.total, plain.total_capped], [RECORDS, false]);
      for (
        const [search, problem] of [
          ['"database lock', /the quote at character 1 is not closed/],
          ['lock -""', /the phrase at character 7 is empty/],
          ["lock -", /the "-" at character 6 has no word or phrase after it/],
          ["   ", /it has no term/],
        ] as const
      ) {
        const response = await get(search);
        assert.equal(response.status, 400, search);
        const body = await response.json();
        assert.match(body.error, /^Cannot use 'search' as /, search);
        assert.match(body.error, problem, search);
        assert.match(body.error, /words \(each contained\), "a phrase"/, search);
      }
    });
  });
}

if (selectedDrivers().includes("postgres")) {
  Deno.test("[postgres] the pg_trgm index serves the search's ILIKE, and a refused extension leaves the scan", async () => {
    const database = await freshDatabase("postgres");
    const role = `argus_test_limited_${crypto.randomUUID().slice(0, 8)}`;
    const admin = new pg.Client({ connectionString: database.config.dsn });
    await admin.connect();
    try {
      const store = await createStore(database.config, { dataDir: "." });
      try {
        assert.equal((await store.migrate()).logTextIndex, "pg_trgm");
        // The search's own pattern (escaped `_`) is one the index serves.
        await admin.query("set enable_seqscan = off");
        const plan = await admin.query(
          "explain select id from logs where body ilike '%needle!_in%' escape '!'",
        );
        // The logs are partitioned by time (store/partitions.ts): each partition's index is one
        // of logs_body_trgm's.
        const { rows } = await admin.query(`select c.relname as name from pg_inherits i
          join pg_class c on c.oid = i.inhrelid where i.inhparent = 'logs_body_trgm'::regclass`);
        const names = rows.map((r: { name: string }) => r.name);
        assert.ok(names.length > 0);
        const text = JSON.stringify(plan.rows);
        assert.ok(names.some((n: string) => text.includes(`Index Scan on ${n}`)), text);
      } finally {
        await store.close();
      }
      // A user who may create tables but not extensions (no CREATE on the database): the
      // migration succeeds without the index, and the search scans.
      await admin.query(`drop schema public cascade; create schema public`);
      await admin.query(`create role ${role} login`);
      await admin.query(`grant usage, create on schema public to ${role}`);
      const url = new URL(database.config.dsn);
      url.username = role;
      const limited = await createStore(databaseConfig("postgres", url.toString()), {
        dataDir: ".",
      });
      try {
        assert.equal((await limited.migrate()).logTextIndex, "none");
        const log = buildLog(RESOURCES[0]!, { body: "a Database Lock here" });
        await limited.write({ resources: RESOURCES, spans: [], logs: [log] });
        const found = await limited.logs(
          { ...ALL_TIME, search: parseTextQuery('"database lock" -nothing') },
          { limit: 10, offset: 0 },
        );
        assert.deepEqual(found.map((r) => r.id), [log.id]);
      } finally {
        await limited.close();
      }
    } finally {
      await admin.end();
      await database.drop();
      const cleanup = new pg.Client({
        connectionString: Deno.env.get("ARGUS_TEST_POSTGRES_URL") ??
          "postgres://postgres@127.0.0.1:5432/postgres",
      });
      await cleanup.connect();
      await cleanup.query(`drop role if exists ${role}`).finally(() => cleanup.end());
    }
  });
}
