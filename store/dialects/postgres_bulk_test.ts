/**
 * PostgreSQL's bulk writes (postgres_bulk.ts): the SQL built, the column types against a migrated
 * database, and rows written through `Store.write()` and `insertIfAbsent` on a real PostgreSQL
 * (127.0.0.1:5432 by default, see tests/databases.ts; skipped when `ARGUS_TEST_DATABASES` leaves
 * postgres out).
 *
 * @module
 */
import assert from "node:assert/strict";
import { type Kysely, sql } from "kysely";
import { createStore, type Store } from "../mod.ts";
import type { Database, MetricPointsTable } from "../columns.ts";
import { openDatabase } from "./mod.ts";
import { POSTGRES } from "./postgres.ts";
import {
  bulkClaimSummaries,
  bulkInsertIfAbsent,
  bulkInsertSql,
  bulkUpsertAdd,
  claimSql,
  columnArrays,
  PG_COLUMN_TYPES,
  refreshSql,
  removeEmptySql,
} from "./postgres_bulk.ts";
import type { DialectCapabilities } from "./common.ts";
import { chunks } from "../batch_writer.ts";
import { claimStatement, refreshSummaries } from "../trace_summaries.ts";
import { freshDatabase, selectedDrivers } from "../../tests/databases.ts";
import {
  BASE_TIME_NS,
  buildBatch,
  buildCallChain,
  buildLog,
  buildResource,
  buildSpan,
  random,
  SERVICES,
} from "../../tests/builders.ts";

const INT64_MAX = (1n << 63n) - 1n;

Deno.test("bulkInsertSql() binds one array per column and skips stored keys", () => {
  assert.equal(
    bulkInsertSql("span_attributes", ["bucket", "h", "trace_id"], ["bucket", "h", "trace_id"], {
      kind: "nothing",
    }),
    'insert into "span_attributes" ("bucket", "h", "trace_id") ' +
      "select * from unnest($1::int4[], $2::int8[], $3::text[]) " +
      'on conflict ("bucket", "h", "trace_id") do nothing',
  );
});

Deno.test("bulkInsertSql() adds the sums of a rollup row to the stored one", () => {
  assert.equal(
    bulkInsertSql(
      "log_rollups",
      ["minute", "service_name", "severity_number", "logs"],
      ["minute", "service_name", "severity_number"],
      { kind: "add", sums: ["logs"] },
    ),
    'insert into "log_rollups" ("minute", "service_name", "severity_number", "logs") ' +
      "select * from unnest($1::int8[], $2::text[], $3::int4[], $4::int8[]) " +
      'on conflict ("minute", "service_name", "severity_number") ' +
      'do update set "logs" = "log_rollups"."logs" + excluded."logs"',
  );
});

Deno.test("bulkInsertSql() refuses a column whose type it does not know", () => {
  assert.throws(
    () => bulkInsertSql("log_attributes", ["bucket", "colour"], ["bucket"], { kind: "nothing" }),
    (error: unknown) =>
      error instanceof TypeError &&
      error.message ===
        'Cannot write column "colour" of table "log_attributes" in bulk as its PostgreSQL type ' +
          "is not known: known columns are bucket, h, log_id",
  );
});

Deno.test("claimSql() claims the columns claimStatement claims, from one array of trace ids", () => {
  assert.equal(
    claimSql(),
    'insert into "trace_summaries" ("trace_id", "start_time_unix_nano", "end_time_unix_nano", ' +
      '"duration_ns", "span_count", "error_count", "failed", "root_service", "root_name") ' +
      "select c.trace_id, 0, 0, 0, 0, 0, 0, '', '' from unnest($1::text[]) as c(trace_id) " +
      'on conflict ("trace_id") do update set ' +
      '"start_time_unix_nano" = excluded."start_time_unix_nano", ' +
      '"end_time_unix_nano" = excluded."end_time_unix_nano", "duration_ns" = excluded."duration_ns", ' +
      '"span_count" = excluded."span_count", "error_count" = excluded."error_count", ' +
      '"failed" = excluded."failed", "root_service" = excluded."root_service", ' +
      '"root_name" = excluded."root_name"',
  );
});

Deno.test("columnArrays() turns rows into a column each, undefined and missing as NULL", () => {
  assert.deepEqual(
    columnArrays([{ a: 1, b: undefined }, { a: 2, b: "x", c: null }, { a: 3 }]),
    { columns: ["a", "b", "c"], arrays: [[1, 2, 3], [null, "x", null], [null, null, null]] },
  );
  // A column no row sets is left to the table's default, as Kysely's values() leaves it.
  assert.deepEqual(columnArrays([{ a: 1, b: undefined }]), { columns: ["a"], arrays: [[1]] });
});

Deno.test("chunks() keeps a PostgreSQL commit's rows in one statement past the parameter limit", () => {
  const rows = Array.from({ length: 5_000 }, (_, i) => ({ a: i, b: "x", c: "y", d: 1, e: 2 }));
  assert.equal([...chunks(rows, POSTGRES)].length, 1);
  // Without columnar writes, 5 parameters a row and 65,535 at most: 13,107 rows a statement.
  assert.equal(
    [...chunks(rows, { ...POSTGRES, columnarWrites: false, maxParameters: 100 })].length,
    250,
  );
});

const onPostgres = selectedDrivers().includes("postgres");

interface Context {
  store: Store;
  db: Kysely<Database>;
}

async function withPostgres(fn: (context: Context) => Promise<void>): Promise<void> {
  const database = await freshDatabase("postgres");
  const store = await createStore(database.config, { dataDir: database.dataDir });
  let db: Kysely<Database> | undefined;
  try {
    await store.migrate();
    db = openDatabase(database.config, database.dataDir, () => {}).db;
    await fn({ store, db });
  } finally {
    await db?.destroy();
    await store.close();
    await database.drop();
  }
}

async function rows<R>(db: Kysely<Database>, query: ReturnType<typeof sql>): Promise<R[]> {
  return (await query.execute(db)).rows as R[];
}

Deno.test({
  name: "[postgres] PG_COLUMN_TYPES agrees with the migrated schema, column for column",
  ignore: !onPostgres,
  fn: () =>
    withPostgres(async ({ db }) => {
      const tables = Object.keys(PG_COLUMN_TYPES);
      const columns = await rows<{ table_name: string; column_name: string; udt_name: string }>(
        db,
        sql`select table_name, column_name, udt_name from information_schema.columns
          where table_schema = current_schema() and table_name in (${sql.join(tables)})
          order by table_name, column_name`,
      );
      const element = (udt: string) => udt === "varchar" ? "text" : udt;
      const fromDatabase: Record<string, Record<string, string>> = {};
      for (const c of columns) {
        (fromDatabase[c.table_name] ??= {})[c.column_name] = element(c.udt_name);
      }
      const sorted = (o: Record<string, string>) =>
        Object.fromEntries(Object.entries(o).sort(([a], [b]) => a < b ? -1 : 1));
      for (const table of tables) {
        assert.deepEqual(
          fromDatabase[table] ?? {},
          sorted(PG_COLUMN_TYPES[table as keyof typeof PG_COLUMN_TYPES]),
          `the column types of ${table}`,
        );
      }
    }),
});

Deno.test({
  name: "[postgres] Store.write() stores repeated spans and logs once, within and across batches",
  ignore: !onPostgres,
  fn: () =>
    withPostgres(async ({ store, db }) => {
      const rand = random(7);
      const resource = buildResource("order-service");
      const [a, b, c] = [0, 1, 2].map((i) =>
        buildSpan(resource, {
          startTimeUnixNano: BASE_TIME_NS + BigInt(i),
          endTimeUnixNano: BASE_TIME_NS + BigInt(i) + 1_000_000n,
        }, rand)
      ) as [
        ReturnType<typeof buildSpan>,
        ReturnType<typeof buildSpan>,
        ReturnType<typeof buildSpan>,
      ];
      const [l1, l2] = [1, 2].map((i) =>
        buildLog(resource, { timeUnixNano: BASE_TIME_NS + BigInt(i) }, rand)
      ) as [ReturnType<typeof buildLog>, ReturnType<typeof buildLog>];
      const first = await store.write({
        resources: [resource, resource],
        spans: [a, b, { ...a }],
        logs: [l1, { ...l1 }],
      });
      assert.deepEqual(first.spans, { inserted: 2, duplicates: 1, rejected: [] });
      assert.deepEqual(first.logs, { inserted: 1, duplicates: 1, rejected: [] });
      const second = await store.write({ resources: [resource], spans: [b, c, a], logs: [l2, l1] });
      assert.deepEqual(second.spans, { inserted: 1, duplicates: 2, rejected: [] });
      assert.deepEqual(second.logs, { inserted: 1, duplicates: 1, rejected: [] });
      const again = await store.write({ resources: [resource], spans: [a, b, c], logs: [l1, l2] });
      assert.deepEqual(again.spans, { inserted: 0, duplicates: 3, rejected: [] });

      const [counts] = await rows<Record<string, string>>(
        db,
        sql`select (select count(*) from spans) as spans, (select count(*) from logs) as logs,
          (select count(*) from resources) as resources,
          (select sum(spans) from span_rollups) as span_rollups,
          (select sum(spans) from span_rollups_hourly) as hourly,
          (select sum(logs) from log_rollups) as log_rollups,
          (select sum(spans) from latency_rollups) as latency,
          (select count(*) from trace_summaries) as summaries`,
      );
      // Rollups count each stored row once, whatever the retries.
      assert.deepEqual(counts, {
        spans: "3",
        logs: "2",
        resources: "1",
        span_rollups: "3",
        hourly: "3",
        log_rollups: "2",
        latency: "3",
        summaries: "3",
      });
    }),
});

Deno.test({
  name: "[postgres] Store.write() keeps int64 extremes, unicode and 1 MB of quoted text exactly",
  ignore: !onPostgres,
  fn: () =>
    withPostgres(async ({ store, db }) => {
      const service = "épicerie-サービス-🛒";
      const resource = buildResource(service);
      // Every character pg's array literal escapes, and some it need not.
      const unit = `a"b\\c{d}e,f'g NULL 😀 \u05d0\u0301\t\n`;
      const body = unit.repeat(Math.floor(1_000_000 / new TextEncoder().encode(unit).length));
      const attributes = JSON.stringify({ "note": 'say "hi" \\ {x}', "emoji": "🦀", "n": null });
      const span = buildSpan(resource, {
        name: 'GET /ünïcode/{id} "q"',
        startTimeUnixNano: 0n,
        endTimeUnixNano: INT64_MAX,
        attributes,
        statusMessage: "",
        flags: 0xffffffff,
      });
      const log = buildLog(resource, {
        timeUnixNano: INT64_MAX,
        observedTimeUnixNano: 0n,
        body,
        attributes,
      });
      const written = await store.write({ resources: [resource], spans: [span], logs: [log] });
      assert.equal(written.spans.inserted, 1);
      assert.equal(written.logs.inserted, 1);
      const [s] = await rows<Record<string, string>>(
        db,
        sql`select name, service_name, attributes, start_time_unix_nano::text as start,
          end_time_unix_nano::text as end, duration_ns::text as duration, flags::text as flags
          from spans`,
      );
      assert.deepEqual(s, {
        name: span.name,
        service_name: service,
        attributes,
        start: "0",
        end: INT64_MAX.toString(),
        duration: INT64_MAX.toString(),
        flags: "4294967295",
      });
      const [l] = await rows<Record<string, string>>(
        db,
        sql`select body, attributes, time_unix_nano::text as time,
          observed_time_unix_nano::text as observed from logs`,
      );
      assert.equal(l?.body?.length, body.length);
      assert.ok(l?.body === body, "the 1 MB body comes back byte for byte");
      assert.deepEqual({ ...l, body: "" }, {
        body: "",
        attributes,
        time: INT64_MAX.toString(),
        observed: "0",
      });
    }),
});

Deno.test({
  name: "[postgres] insertIfAbsent keeps NULL, NaN, ±Infinity and int64 extremes of metric points",
  ignore: !onPostgres,
  fn: () =>
    withPostgres(async ({ db }) => {
      const point = (
        time: number,
        values: Pick<MetricPointsTable, "int_value" | "double_value" | "count_value" | "sum_value">,
      ): MetricPointsTable => ({
        instrument_key: "i".repeat(32),
        series_key: "s".repeat(32),
        time_unix_nano: String(time),
        start_time_unix_nano: "0",
        flags: 0,
        kind: 1,
        data: "",
        ...values,
      });
      const none = { int_value: null, double_value: null, count_value: null, sum_value: null };
      const points = [
        point(1, { ...none, int_value: (-(1n << 63n)).toString() }),
        point(2, { ...none, int_value: INT64_MAX.toString() }),
        point(3, { ...none, double_value: NaN }),
        point(4, { ...none, double_value: Infinity, sum_value: -Infinity }),
        point(5, { ...none, double_value: -0.1, count_value: "0" }),
        point(6, none),
      ];
      const key = [
        "instrument_key",
        "time_unix_nano",
        "series_key",
        "start_time_unix_nano",
      ] as const;
      // The last row repeats the first one's key: skipped as a conflict, not counted.
      assert.equal(await bulkInsertIfAbsent(db, "metric_points", key, [...points, points[0]!]), 6);
      assert.equal(await bulkInsertIfAbsent(db, "metric_points", key, points.slice(4)), 0);
      const stored = await rows<Record<string, string | null>>(
        db,
        sql`select time_unix_nano::text as t, int_value::text as i, double_value::text as d,
          count_value::text as c, sum_value::text as s from metric_points order by time_unix_nano`,
      );
      assert.deepEqual(stored, [
        { t: "1", i: "-9223372036854775808", d: null, c: null, s: null },
        { t: "2", i: "9223372036854775807", d: null, c: null, s: null },
        { t: "3", i: null, d: "NaN", c: null, s: null },
        { t: "4", i: null, d: "Infinity", c: null, s: "-Infinity" },
        { t: "5", i: null, d: "-0.1", c: "0", s: null },
        { t: "6", i: null, d: null, c: null, s: null },
      ]);
    }),
});

Deno.test({
  name: "[postgres] upsertAdd inserts new keys and adds to stored ones exactly",
  ignore: !onPostgres,
  fn: () =>
    withPostgres(async ({ db }) => {
      const row = (minute: number, service: string, logs: string) => ({
        minute: String(minute),
        service_name: service,
        severity_number: 9,
        logs,
      });
      await bulkUpsertAdd(db, "log_rollups", [row(1, "a", "2"), row(1, "b", "3")]);
      await bulkUpsertAdd(db, "log_rollups", [row(1, "b", "4"), row(2, "a", INT64_MAX.toString())]);
      assert.deepEqual(
        await rows(
          db,
          sql`select minute::text as m, service_name as s, logs::text as n from log_rollups
            order by minute, service_name`,
        ),
        [
          { m: "1", s: "a", n: "2" },
          { m: "1", s: "b", n: "7" },
          { m: "2", s: "a", n: INT64_MAX.toString() },
        ],
      );
    }),
});

Deno.test({
  name: "[postgres] Store.write() rejects the one span the database refuses and stores the rest",
  ignore: !onPostgres,
  fn: () =>
    withPostgres(async ({ store, db }) => {
      await sql`alter table spans add constraint argus_test_no_poison check (name <> 'poison')`
        .execute(db);
      const resource = buildResource("order-service");
      const spans = ["ok 1", "poison", "ok 2"].map((name) => buildSpan(resource, { name }));
      const written = await store.write({ resources: [resource], spans, logs: [] });
      assert.equal(written.spans.inserted, 2);
      assert.equal(written.spans.rejected.length, 1);
      assert.equal(written.spans.rejected[0]?.index, 1);
      assert.match(
        written.spans.rejected[0]?.reason ?? "",
        /^the database refused it: .*argus_test_no_poison/,
      );
      const [counts] = await rows<Record<string, string>>(
        db,
        sql`select (select count(*) from spans) as spans,
          (select sum(spans) from span_rollups) as rolled`,
      );
      assert.deepEqual(counts, { spans: "2", rolled: "2" });
    }),
});

Deno.test({
  name: "[postgres] bulkClaimSummaries() leaves the rows claimStatement leaves",
  ignore: !onPostgres,
  fn: () =>
    withPostgres(async ({ store, db }) => {
      const resource = buildResource("order-service");
      const stored = buildSpan(resource);
      await store.write({ resources: [resource], spans: [stored], logs: [] });
      // A stored summary (claimed: its values zeroed until the recompute) and two new ones.
      const ids = [stored.traceId, "0".repeat(32), "f".repeat(32)].sort();
      /** The summaries right after `claim`, in a transaction then rolled back. */
      const claimed = async (claim: (trx: Kysely<Database>) => Promise<unknown>) => {
        let out: unknown[] = [];
        await db.transaction().execute(async (trx) => {
          await claim(trx);
          out = await rows(trx, sql`select * from trace_summaries order by trace_id`);
          throw new RangeError("roll back");
        }).catch((error: unknown) => {
          if (!(error instanceof RangeError)) throw error;
        });
        return out;
      };
      const viaUnion = await claimed((trx) => claimStatement(POSTGRES, ids).execute(trx));
      const viaUnnest = await claimed((trx) => bulkClaimSummaries(trx, ids));
      assert.equal(viaUnion.length, 3);
      assert.deepEqual(viaUnnest, viaUnion);
      // Both rolled back: the stored summary is intact.
      const [summary] = await rows<{ span_count: string }>(
        db,
        sql`select span_count from trace_summaries`,
      );
      assert.equal(summary?.span_count, "1");
    }),
});

Deno.test("refreshSql() binds the trace ids as its one parameter and reads the spans once", () => {
  const text = refreshSql();
  assert.equal(text.match(/\$\d+/g)?.join(), "$1,$1");
  assert.equal(text.match(/from "spans"/g)?.length, 1);
  assert.deepEqual(removeEmptySql().map((s) => s.match(/\$\d+/g)?.join()), ["$1", "$1"]);
});

/** What `fn` answers inside a transaction, which is then rolled back. */
async function rolledBack<T>(db: Kysely<Database>, fn: (trx: Kysely<Database>) => Promise<T>) {
  let out: T | undefined;
  await db.transaction().execute(async (trx) => {
    out = await fn(trx);
    throw new RangeError("roll back");
  }).catch((error: unknown) => {
    if (!(error instanceof RangeError)) throw error;
  });
  return out as T;
}

Deno.test({
  name:
    "[postgres] bulkRefreshSummaries() leaves the rows refreshStatements leaves, batch by batch",
  ignore: !onPostgres,
  fn: () =>
    withPostgres(async ({ store, db }) => {
      type Span = ReturnType<typeof buildSpan>;
      const resources = Object.fromEntries(SERVICES.map((s) => [s, buildResource(s)])) as Record<
        typeof SERVICES[number],
        ReturnType<typeof buildResource>
      >;
      const odd = buildResource("café-сервис-服务");
      const rand = random(17);
      // Six call chains (5 spans, 3 services), two of them failing.
      const chains = Array.from(
        { length: 6 },
        (_, i) => buildCallChain(resources, i * 1_000, rand, i % 3 === 2),
      );
      const chain = (i: number) => chains[i]!;
      // A trace of 40 distinct names of 40 bytes (and some that sort apart by byte only): its
      // span_names passes the 1,000-byte cap in its second batch, and becomes NULL.
      const namesTrace = "a".repeat(32);
      const named = (names: string[], offset: number) =>
        names.map((name, i) =>
          buildSpan(resources["order-service"], {
            traceId: namesTrace,
            name,
            parentSpanId: i + offset === 0 ? "" : "b".repeat(16),
            startTimeUnixNano: BASE_TIME_NS + BigInt(i + offset),
            statusCode: i % 5 === 4 ? 2 : 0,
          }, rand)
        );
      const firstNames = named(["b", "B", "a ", "a", "é", "e\u0301"], 0);
      const laterNames = named(
        Array.from({ length: 40 }, (_, i) => `operation ${String(i).padStart(2, "0")} `.repeat(3)),
        6,
      );
      // 2,500 one-span traces, more than the other form's 1,000 ids per statement.
      const singles = buildBatch(2_500, 0, 3).spans;
      // Chain 3 gains a span of another service, starting before its root, that fails.
      const [root3] = chain(3);
      const early: Span = buildSpan(odd, {
        traceId: root3!.traceId,
        parentSpanId: root3!.spanId,
        name: "early retry",
        startTimeUnixNano: root3!.startTimeUnixNano - 1_000_000n,
        endTimeUnixNano: root3!.startTimeUnixNano,
        statusCode: 2,
      }, rand);
      const batches: Span[][] = [
        // The children of chains 0–2, their roots (the parents) arriving late.
        [...chains.slice(0, 3).flatMap((c) => c.slice(1)), ...firstNames, ...singles.slice(0, 900)],
        [...chains.slice(0, 3).map((c) => c[0]!), ...chains.slice(3).flat(), ...singles.slice(900)],
        [early, ...laterNames, chain(0)[1]!],
      ];
      const unknown = "0".repeat(32);

      const snapshot = async (trx: Kysely<Database>) => ({
        summaries: await rows<Record<string, unknown>>(
          trx,
          sql`select * from trace_summaries order by trace_id`,
        ),
        services: await rows<Record<string, unknown>>(
          trx,
          sql`select * from trace_services order by trace_id, service_name`,
        ),
      });
      // The other form: trace_summaries.ts `refreshStatements`, 1,000 ids per statement.
      const OLD = { ...POSTGRES, refreshSummaries: undefined };
      /** The tables after `caps` recomputes `ids`, claimed (zeroed) and with wrong services first. */
      const recomputed = (caps: DialectCapabilities, ids: string[], removeEmpty = false) =>
        rolledBack(db, async (trx) => {
          await bulkClaimSummaries(trx, ids);
          await sql`update trace_services set failed = 1 - failed, start_time_unix_nano = 0
            where trace_id = ${root3!.traceId}`.execute(trx);
          // A service without spans, of a trace with spans and of one without (`unknown`).
          await sql`insert into trace_services values (${ids[0]}, 'ghost', 1, 1),
            (${chain(0)[0]!.traceId}, 'ghost', 1, 1)`.execute(trx);
          await refreshSummaries(trx, caps, ids, removeEmpty);
          return await snapshot(trx);
        });

      const written = new Set<string>();
      for (const [i, batch] of batches.entries()) {
        const result = await store.write({
          resources: [...Object.values(resources), odd],
          spans: batch,
          logs: [],
        });
        assert.equal(result.spans.inserted + result.spans.duplicates, batch.length);
        for (const span of batch) written.add(span.traceId);
        const ids = [...written, unknown].sort();
        const committed = await snapshot(db);
        const viaStatements = await recomputed(OLD, ids);
        const viaArray = await recomputed(POSTGRES, ids);
        assert.equal(viaStatements.summaries.length, written.size + 1, `batch ${i}`);
        assert.deepEqual(viaArray, viaStatements, `batch ${i}: both forms`);
        // What Store.write() committed (through the array form) is the other form's answer, but
        // for the claimed row of the trace without spans.
        assert.deepEqual(
          committed,
          {
            summaries: viaStatements.summaries.filter((s) => s.trace_id !== unknown),
            services: viaStatements.services,
          },
          `batch ${i}: committed`,
        );
      }
      // The cases happened: a late root, a trace gaining an earlier failing span and a service,
      // span_names past its cap.
      const summary = async (traceId: string) =>
        (await rows<Record<string, string | number | null>>(
          db,
          sql`select root_name, failed, start_time_unix_nano::text as start,
            span_names is null as no_names,
            (select count(*)::int from trace_services s where s.trace_id = t.trace_id) as services
            from trace_summaries t where trace_id = ${traceId}`,
        ))[0];
      assert.equal((await summary(chain(0)[0]!.traceId))?.root_name, "POST /orders");
      assert.deepEqual(await summary(root3!.traceId), {
        root_name: "POST /orders",
        failed: 1,
        start: early.startTimeUnixNano.toString(),
        no_names: false,
        services: 4,
      });
      assert.equal((await summary(namesTrace))?.no_names, true);

      // A purge: chain 4 wholly, chain 5's inventory-service span and chain 1's root.
      const purged = [
        ...chain(4),
        chain(5)[4]!,
        chain(1)[0]!,
      ];
      await sql`delete from spans where (trace_id, span_id) in (${
        sql.join(purged.map((s) => sql`(${s.traceId}, ${s.spanId})`))
      })`.execute(db);
      const ids = [...written, unknown].sort();
      const viaStatements = await recomputed(OLD, ids, true);
      assert.deepEqual(await recomputed(POSTGRES, ids, true), viaStatements);
      const left = new Set(viaStatements.summaries.map((s) => s.trace_id));
      assert.ok(!left.has(chain(4)[0]!.traceId) && !left.has(unknown));
      assert.equal(left.size, written.size - 1);
      assert.deepEqual(
        viaStatements.services.filter((s) => s.trace_id === chain(5)[0]!.traceId)
          .map((s) => s.service_name),
        ["order-service", "payment-service"],
      );
    }),
});
