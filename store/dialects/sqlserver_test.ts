/**
 * SQL Server is not available on this machine, so its dialect is covered by the SQL it
 * generates: the migration's DDL, the insert-if-absent MERGE and its chunking under the
 * 2100-parameter limit, and pagination with OFFSET … FETCH. The statements are captured by a
 * recording driver under Kysely's real SQL Server adapter and compiler.
 */
import assert from "node:assert/strict";
import type { Kysely } from "kysely";
import { SQLSERVER, sqlServerConnectionConfig } from "./sqlserver.ts";
import { initialSchema } from "../migrations/2026_11_26_initial_schema.ts";
import { rollupsSchema } from "../migrations/2026_11_26_rollups.ts";
import { rootErrorsSchema } from "../migrations/2026_12_06_root_errors.ts";
import { traceSummariesSchema } from "../migrations/2026_12_06_trace_summaries.ts";
import { storeOver } from "../mod.ts";
import { buildBatch } from "../../tests/builders.ts";
import { databaseConfig } from "../../tests/databases.ts";
import { recordingSqlServer } from "../../tests/sqlserver_recording.ts";

const config = databaseConfig("sqlserver", "sqlserver://sa:secret@127.0.0.1:1433/argus");

Deno.test("SQL Server schema uses nvarchar, nvarchar(max) and bigint, with the same keys", async () => {
  const { db, queries } = recordingSqlServer();
  await initialSchema("sqlserver").up(db as Kysely<unknown>);
  const ddl = queries.map((q) => q.sql);
  const spans = ddl.find((s) => s.startsWith('create table "spans"'));
  assert.ok(spans, ddl.join("\n"));
  assert.match(spans, /"trace_id" nvarchar\(32\) not null/);
  assert.match(spans, /"start_time_unix_nano" bigint not null/);
  assert.match(spans, /"attributes" nvarchar\(max\) not null/);
  assert.match(spans, /"service_name" nvarchar\(256\) not null/);
  assert.match(spans, /constraint "spans_pk" primary key \("trace_id", "span_id"\)/);
  assert.doesNotMatch(spans, /\btext\b|mediumtext|engine=/);
  // SQL Server has no CREATE … IF NOT EXISTS; indexes match the other databases.
  assert.ok(ddl.every((s) => /^create (table|index) "/.test(s)), ddl.join("\n"));
  assert.deepEqual(
    ddl.filter((s) => s.startsWith("create index")).map((s) => /"(\w+)" on/.exec(s)?.[1]),
    [
      "spans_start_time",
      "spans_service_start_time",
      "logs_time",
      "logs_service_time",
      "logs_trace_id",
    ],
  );
});

Deno.test("SQL Server inserts with MERGE … WITH (HOLDLOCK) in statements under 2100 parameters", async () => {
  const { db, queries } = recordingSqlServer();
  const store = storeOver(db, SQLSERVER, config);
  const batch = buildBatch(200, 150);
  await store.write(batch);
  const statements = queries.map((q) => q);
  // The resources first, committed on their own (MERGE … HOLDLOCK keeps a key it skips locked
  // to the end: `skipLocksKey`), then the batch's transaction.
  assert.match(statements[0]!.sql, /^merge into "resources"/);
  assert.equal(statements[1]?.sql, "begin transaction");
  assert.ok(!statements.slice(1).some((q) => q.sql.startsWith('merge into "resources"')));
  assert.equal(statements.at(-1)?.sql, "commit");
  const merges = statements.filter((q) =>
    q.sql.startsWith("merge into") && !q.sql.startsWith('merge into "trace_summaries"')
  );
  for (const merge of merges) {
    assert.ok(merge.parameters.length <= 2000, `${merge.parameters.length} parameters`);
    assert.match(
      merge.sql,
      /^merge into "(resources|spans|logs|(span|log)_attributes|(span|latency|operation_latency|log|edge)_rollups(_hourly)?)" with \(holdlock\) as t\s+using \(values \(@1, @2/,
    );
    assert.match(merge.sql, /when not matched then insert \(/);
    assert.doesNotMatch(merge.sql, /on conflict|on duplicate key|insert or ignore/i);
  }
  // Rollups add to the stored sums, in the same transaction as the rows they count.
  const rollup = merges.find((q) => q.sql.startsWith('merge into "span_rollups"'));
  assert.match(
    rollup!.sql,
    /when matched then update set t\."spans" = t\."spans" \+ s\."spans", t\."errors" = t\."errors" \+ s\."errors"/,
  );
  assert.ok(merges.some((q) => q.sql.startsWith('merge into "log_rollups"')));
  const spanMerges = merges.filter((q) => q.sql.startsWith('merge into "spans"'));
  assert.match(
    spanMerges[0]!.sql,
    /on t\."trace_id" = s\."trace_id" and t\."span_id" = s\."span_id"/,
  );
  // 26 span columns: 76 rows per statement at most, so 200 spans take 3 statements.
  assert.equal(spanMerges.length, 3);
  const spanRows = spanMerges.reduce((n, q) => n + q.parameters.length / 26, 0);
  assert.equal(spanRows, 200);
  // int64 values are bound as decimal strings (tedious would round a JS number past 2^53).
  assert.ok(spanMerges[0]!.parameters.includes(batch.spans[0]!.startTimeUnixNano.toString()));
  const logMerges = merges.filter((q) => q.sql.startsWith('merge into "logs"'));
  assert.match(logMerges[0]!.sql, /on t\."id" = s\."id"/);
});

Deno.test("SQL Server claims, then recomputes, the summaries of a batch's traces in its transaction", async () => {
  const { db, queries } = recordingSqlServer();
  const store = storeOver(db, SQLSERVER, config);
  const batch = buildBatch(1200, 0);
  await store.write(batch);
  const sqls = queries.map((q) => q.sql);
  const traces = new Set(batch.spans.map((s) => s.traceId)).size;
  const claims = queries.filter((q) =>
    q.sql.startsWith('merge into "trace_summaries"') &&
    /using \(select \* from \(select @1/.test(q.sql)
  );
  // Claimed before the spans are inserted, in trace-id order, under 2,000 parameters each.
  assert.ok(claims.length >= 2, sqls.join("\n"));
  assert.ok(
    sqls.indexOf(claims.at(-1)!.sql) < sqls.findIndex((s) => s.startsWith('merge into "spans"')),
  );
  const claimed = claims.flatMap((q) => q.parameters as string[]);
  assert.deepEqual(claimed, [...new Set(batch.spans.map((s) => s.traceId))].sort());
  assert.equal(claimed.length, traces);
  for (const q of queries) assert.ok(q.parameters.length <= 2000, `${q.parameters.length}`);
  // The recompute: a MERGE from the spans grouped by trace, the root by row_number(), after the
  // spans and before the commit; then the trace's services replaced.
  const recompute = queries.filter((q) =>
    q.sql.startsWith('merge into "trace_summaries"') && /row_number\(\) over/.test(q.sql)
  );
  assert.equal(recompute.length, claims.length);
  assert.match(recompute[0]!.sql, /with \(holdlock\) as t\s+using \(select g\.trace_id/);
  assert.match(recompute[0]!.sql, /when matched then update set t\."start_time_unix_nano" = s\./);
  assert.match(recompute[0]!.sql, /;$/);
  const lastSpans = sqls.findLastIndex((s) => s.startsWith('merge into "spans"'));
  assert.ok(sqls.indexOf(recompute[0]!.sql) > lastSpans);
  assert.ok(sqls.some((s) => s.startsWith('delete from "trace_services" where "trace_id" in (@1')));
  assert.ok(sqls.some((s) => s.startsWith('insert into "trace_services"')));
  assert.equal(sqls.at(-1), "commit");
});

Deno.test("SQL Server trace summaries: tables, indexes, and the list paged with OFFSET … FETCH", async () => {
  const { db, queries } = recordingSqlServer();
  await traceSummariesSchema("sqlserver").up(db as Kysely<unknown>);
  const ddl = queries.map((q) => q.sql);
  assert.match(
    ddl[0]!,
    /^create table "trace_summaries" \("trace_id" nvarchar\(32\) not null primary key/,
  );
  assert.match(
    ddl[1]!,
    /constraint "trace_services_pk" primary key \("trace_id", "service_name"\)/,
  );
  assert.equal(ddl.filter((s) => s.startsWith("create index")).length, 5);
  assert.ok(ddl.some((s) => /row_number\(\) over \(partition by trace_id/.test(s)));
  queries.length = 0;
  const store = storeOver(db, SQLSERVER, config);
  await store.traces(
    { startNs: 1n, endNs: 2n, serviceName: "payment-service", status: "error" },
    { field: "duration", order: "desc" },
    { limit: 20, offset: 40 },
  );
  const list = queries.find((q) => q.sql.includes('order by "ts"."duration_ns" desc'))!;
  assert.match(list.sql, /from "trace_summaries" as "ts"/);
  assert.match(list.sql, /"sv"\."failed" = @\d+/);
  assert.match(list.sql, /offset @\d+ rows fetch next @\d+ rows only$/);
  await store.close();
});

Deno.test("SQL Server rollup tables have nonclustered primary keys (two service names exceed 900 bytes)", async () => {
  const { db, queries } = recordingSqlServer();
  await rollupsSchema("sqlserver").up(db as Kysely<unknown>);
  const ddl = queries.map((q) => q.sql);
  const edges = ddl.find((s) => s.startsWith('create table "edge_rollups"'));
  assert.match(edges!, /"caller" nvarchar\(256\) not null/);
  assert.doesNotMatch(edges!, /primary key/);
  assert.ok(
    ddl.includes(
      'alter table "edge_rollups" add constraint "edge_rollups_pk" primary key nonclustered ' +
        '("minute", "caller", "callee")',
    ),
    ddl.join("\n"),
  );
  assert.equal(ddl.filter((s) => /primary key nonclustered/.test(s)).length, 4);
});

Deno.test("SQL Server text search escapes LIKE's characters, [ included", async () => {
  const { db, queries } = recordingSqlServer();
  const store = storeOver(db, SQLSERVER, config);
  const search = { include: ["50%_off [x]!"], exclude: ["retry"] };
  await store.logs({ startNs: 1n, endNs: 2n, search }, { limit: 5, offset: 0 });
  const select = queries.at(-1)!;
  assert.match(select.sql, /"logs"\."body" like @\d+ escape '!'/);
  assert.match(select.sql, /not \("logs"\."body" like @\d+ escape '!'\)/);
  assert.ok(select.parameters.includes("%50!%!_off ![x]!!%"), String(select.parameters));
  // A search's count stops past LOG_SEARCH_LIMIT: TOP, as SQL Server has no LIMIT.
  await store.logTotal({ startNs: 1n, endNs: 2n, search });
  assert.match(queries.at(-1)!.sql, /select top\(10001\) 1 as "one" from "logs"/);
  await store.close();
});

Deno.test("SQL Server pages with OFFSET … FETCH after an ORDER BY", async () => {
  const { db, queries } = recordingSqlServer();
  const store = storeOver(db, SQLSERVER, config);
  await store.logs({ startNs: 1n, endNs: 2n, minSeverity: 9 }, { limit: 50, offset: 100 });
  const select = queries.at(-1)!;
  assert.match(
    select.sql,
    /order by "logs"\."time_unix_nano" desc, "logs"\."id" desc offset @\d+ rows fetch next @\d+ rows only$/,
  );
  assert.doesNotMatch(select.sql, /\blimit\b/);
  assert.deepEqual(select.parameters.slice(-2), [100, 50]);
});

Deno.test("SQL Server pages logs by a keyset cursor without row-value comparison", async () => {
  const { db, queries } = recordingSqlServer();
  const store = storeOver(db, SQLSERVER, config);
  await store.logs({ startNs: 1n, endNs: 20n }, {
    limit: 10,
    offset: 0,
    before: { timeUnixNano: 10n, id: "abc" },
  });
  const select = queries.at(-1)!;
  // time < t, or time = t and id < i, as SQL Server has no (time, id) < (t, i).
  assert.match(select.sql, /"logs"\."time_unix_nano" <= @\d+/);
  assert.match(select.sql, /"logs"\."id" < @\d+/);
  assert.doesNotMatch(select.sql, /\(\s*"logs"\."time_unix_nano"\s*,/);
  assert.match(select.sql, /order by "logs"\."time_unix_nano" desc, "logs"\."id" desc offset/);
  await store.close();
});

Deno.test("sqlServerConnectionConfig() reads host, port, database, credentials and TLS flags", () => {
  const pool = config.pool;
  const parsed = sqlServerConnectionConfig(
    "sqlserver://argus%40corp:p%40ss@db.example:14330/telemetry?encrypt=false&trustServerCertificate=true",
    pool,
  );
  assert.equal(parsed.server, "db.example");
  assert.deepEqual(parsed.authentication, {
    type: "default",
    options: { userName: "argus@corp", password: "p@ss" },
  });
  assert.equal(parsed.options?.port, 14330);
  assert.equal(parsed.options?.database, "telemetry");
  assert.equal(parsed.options?.encrypt, false);
  assert.equal(parsed.options?.trustServerCertificate, true);
  const defaults = sqlServerConnectionConfig("sqlserver://sa:x@127.0.0.1/argus", pool);
  assert.equal(defaults.options?.port, 1433);
  assert.equal(defaults.options?.encrypt, true);
  assert.equal(defaults.options?.trustServerCertificate, false);
});

Deno.test("SQL Server adds root_errors with a default and fills it by a correlated UPDATE", async () => {
  const { db, queries } = recordingSqlServer();
  await rootErrorsSchema("sqlserver").up(db as Kysely<unknown>);
  const statements = queries.map((q) => q.sql.replace(/\s+/g, " "));
  for (const table of ["span_rollups", "span_rollups_hourly"]) {
    // T-SQL's ADD takes no COLUMN keyword; NOT NULL with a default fills the existing rows.
    assert.ok(
      statements.includes(`alter table "${table}" add "root_errors" bigint default 0 not null`),
      statements.join("\n"),
    );
    const update = statements.find((s) => s.startsWith(`update "${table}" set "root_errors" = (`));
    assert.ok(update, statements.join("\n"));
    assert.match(update, /s\."service_name" = "\w+"\."service_name"/);
    assert.match(update, /s\."parent_span_id" = '' and s\."status_code" = 2/);
    assert.doesNotMatch(update, /\blimit\b|\bfrom "\w+" join\b/);
  }
});
