/**
 * SQL Server's SQL for metrics (no server on this machine): the migration's DDL, the writes
 * (MERGE under 2,000 parameters, seen times moved by UPDATE) and the reads (OFFSET … FETCH for
 * the baseline and the lists), captured by the recording driver under Kysely's real SQL Server
 * compiler. The other databases run the same code for real in metric_store_test.ts.
 */
import assert from "node:assert/strict";
import type { Kysely } from "kysely";
import { SQLSERVER } from "./dialects/mod.ts";
import { metricsSchema } from "./migrations/2026_12_11_metrics.ts";
import { metricRollupsSchema } from "./migrations/2026_12_12_metric_rollups.ts";
import { metricFidelitySchema } from "./migrations/2026_12_18_metric_fidelity.ts";
import { purgeMetrics } from "./metric_retention.ts";
import { writeMetricRows } from "./metric_writes.ts";
import {
  listMetricInstruments,
  listMetricSeries,
  metricChartPoints,
  metricExemplars,
  metricPoints,
} from "./metric_reads.ts";
import { recordingSqlServer } from "../tests/sqlserver_recording.ts";
import { decodeMetricsRequest } from "../ingest/otlp/metrics_decode.ts";
import { DEFAULT_DECODE_LIMITS } from "../ingest/otlp/types.ts";
import {
  encodeMetrics,
  oneScope,
  stringAttr,
  T1,
} from "../ingest/otlp/testdata/metrics_payloads.ts";

const flat = (sql: string) => sql.replace(/\s+/g, " ").trim();

Deno.test("SQL Server metric tables: nvarchar keys, clustered (series, time, start) points, indexes", async () => {
  const { db, queries } = recordingSqlServer();
  await metricsSchema("sqlserver").up(db as Kysely<unknown>);
  const ddl = queries.map((q) => flat(q.sql));
  const points = ddl.find((s) => s.startsWith('create table "metric_points"'))!;
  assert.match(points, /"series_key" nvarchar\(32\) not null/);
  assert.match(points, /"int_value" bigint, "double_value" float, "count_value" bigint/);
  assert.match(points, /"data" nvarchar\(max\) not null/);
  assert.match(
    points,
    /constraint "metric_points_pk" primary key \("series_key", "time_unix_nano", "start_time_unix_nano"\)\)$/,
  );
  assert.doesNotMatch(ddl.join("\n"), /without rowid|engine=|if not exists|\btext\b/);
  const instruments = ddl.find((s) => s.startsWith('create table "metric_instruments"'))!;
  // Index keys: service (256) + name (256) nvarchar = 1,024 bytes, under the 1,700 allowed.
  assert.match(instruments, /"service_name" nvarchar\(256\) not null/);
  assert.match(instruments, /"name" nvarchar\(256\) not null/);
  assert.deepEqual(ddl.filter((s) => s.startsWith("create index")), [
    'create index "metric_instruments_service_name" on "metric_instruments" ("service_name", "name")',
    'create index "metric_series_instrument" on "metric_series" ("instrument_key")',
    'create index "metric_series_last_seen" on "metric_series" ("last_seen_unix_nano")',
    'create index "metric_points_time" on "metric_points" ("time_unix_nano")',
    'create index "metric_exemplars_point_time" on "metric_exemplars" ("point_time_unix_nano")',
  ]);
});

Deno.test("SQL Server adds the instruments' scope schema URL and dropped count with defaults, once", async () => {
  const { db, queries } = recordingSqlServer();
  await metricFidelitySchema("sqlserver").up(db as Kysely<unknown>);
  const alters = queries.map((q) => flat(q.sql)).filter((s) => s.startsWith("alter table"));
  // T-SQL's ADD takes no COLUMN keyword; NOT NULL with a constant default rewrites no row.
  assert.deepEqual(alters, [
    `alter table "metric_instruments" add "scope_schema_url" nvarchar(max) not null default ''`,
    'alter table "metric_instruments" add "scope_dropped_attributes_count" int not null default 0',
  ]);
  // A run that stopped after the first column (no DDL transaction) adds the second only.
  const half = recordingSqlServer(undefined, (sql) =>
    sql.includes('"sys"."tables"')
      ? [{
        table_name: "metric_instruments",
        table_type: "U ",
        table_schema_name: "dbo",
        column_name: "scope_schema_url",
        type_name: "nvarchar",
      }]
      : []);
  await metricFidelitySchema("sqlserver").up(half.db as Kysely<unknown>);
  assert.deepEqual(
    half.queries.map((q) => flat(q.sql)).filter((s) => s.startsWith("alter table")),
    [alters[1]],
  );
});

Deno.test("SQL Server writes metrics with MERGE … WITH (HOLDLOCK) under 2000 parameters", async () => {
  const { db, queries } = recordingSqlServer();
  // 600 series of one gauge, one point each, at one time.
  const decoded = decodeMetricsRequest(
    "protobuf",
    encodeMetrics(oneScope([{
      name: "queue.size",
      gauge: {
        dataPoints: Array.from({ length: 600 }, (_, i) => ({
          timeUnixNano: T1,
          asInt: "9223372036854775807",
          attributes: [stringAttr("queue", `q${i}`)],
          exemplars: i === 0 ? [{ timeUnixNano: T1, asDouble: 1.5 }] : [],
        })),
      },
    }])),
    DEFAULT_DECODE_LIMITS,
    0n,
  );
  const counts = await db.transaction().execute((trx) => writeMetricRows(trx, SQLSERVER, decoded));
  assert.deepEqual(counts.points, { inserted: 600, duplicates: 0 });
  const statements = queries.map((q) => ({ sql: flat(q.sql), parameters: q.parameters }));
  assert.equal(statements[0]!.sql, "begin transaction");
  assert.equal(statements.at(-1)!.sql, "commit");
  const merges = statements.filter((q) => q.sql.startsWith("merge into"));
  for (const merge of merges) assert.ok(merge.parameters.length <= 2000);
  const pointMerges = merges.filter((q) => q.sql.startsWith('merge into "metric_points"'));
  // 11 columns: 181 rows per statement.
  assert.equal(pointMerges.length, 4);
  assert.match(
    pointMerges[0]!.sql,
    /^merge into "metric_points" with \(holdlock\) as t using \(values \(@1, @2.* on t\."instrument_key" = s\."instrument_key" and t\."time_unix_nano" = s\."time_unix_nano" and t\."series_key" = s\."series_key" and t\."start_time_unix_nano" = s\."start_time_unix_nano" when not matched then insert/,
  );
  // int64 values bound as decimal strings (tedious would round a number past 2^53).
  assert.ok(pointMerges[0]!.parameters.includes("9223372036854775807"));
  assert.ok(pointMerges[0]!.parameters.includes(T1));
  // 6 columns: 333 rows per statement.
  assert.equal(merges.filter((q) => q.sql.startsWith('merge into "metric_series"')).length, 2);
  // An instrument's 16 columns, its scope's schema URL and dropped count among them.
  const [instruments] = merges.filter((q) => q.sql.startsWith('merge into "metric_instruments"'));
  assert.equal(instruments!.parameters.length, 17);
  assert.match(instruments!.sql, /"scope_schema_url", "scope_dropped_attributes_count"/);
  assert.equal(merges.filter((q) => q.sql.startsWith('merge into "metric_exemplars"')).length, 1);
  // Seen times: one UPDATE per column and minute, matching only rows that would change.
  const updates = statements.filter((q) => q.sql.startsWith("update"));
  assert.deepEqual(updates.map((q) => q.sql.replace(/ in \(.*\) and/, " in (…) and")), [
    'update "metric_instruments" set "first_seen_unix_nano" = @1 where "key" in (…) and "first_seen_unix_nano" > @3',
    'update "metric_instruments" set "last_seen_unix_nano" = @1 where "key" in (…) and "last_seen_unix_nano" < @3',
    'update "metric_series" set "first_seen_unix_nano" = @1 where "series_key" in (…) and "first_seen_unix_nano" > @602',
    'update "metric_series" set "last_seen_unix_nano" = @1 where "series_key" in (…) and "last_seen_unix_nano" < @602',
  ]);
});

Deno.test("SQL Server reads metrics with OFFSET … FETCH: lists, a window, its baseline, exemplars", async () => {
  // Both series first seen before the window: each has a baseline to read.
  const { db, queries } = recordingSqlServer(
    undefined,
    (sql) =>
      sql.includes('"first_seen_unix_nano" from "metric_series"')
        ? ["a", "b"].map((c) => ({ series_key: c.repeat(32), first_seen_unix_nano: "0" }))
        : [],
  );
  const window = { fromNs: 1_000n, toNs: 2_000n };
  await listMetricInstruments(db, SQLSERVER, {
    serviceName: "checkout",
    nameContains: "dur_",
    window,
    limit: 50,
  });
  await listMetricSeries(db, SQLSERVER, "k".repeat(32), { window, limit: 20 });
  await metricPoints(db, SQLSERVER, ["a".repeat(32), "b".repeat(32)], window);
  await metricExemplars(db, SQLSERVER, ["a".repeat(32)], window, 10);
  const sql = queries.map((q) => flat(q.sql));
  assert.deepEqual(sql, [
    'select * from "metric_instruments" where "service_name" = @1 and "name" like @2 escape \'!\' and "first_seen_unix_nano" < @3 and "last_seen_unix_nano" > @4 order by "service_name", "name", "key" offset @5 rows fetch next @6 rows only',
    'select * from "metric_series" where "instrument_key" = @1 and "first_seen_unix_nano" < @2 and "last_seen_unix_nano" > @3 order by "series_key" offset @4 rows fetch next @5 rows only',
    // Points by their key: the series' instruments, then each one's time range (metric_points_of.ts).
    'select * from "metric_points" where "instrument_key" in (select "instrument_key" from "metric_series" where "series_key" in (@1, @2)) and "series_key" in (@3, @4) and "time_unix_nano" >= @5 and "time_unix_nano" < @6 order by "instrument_key", "time_unix_nano", "series_key", "start_time_unix_nano"',
    'select "series_key", "first_seen_unix_nano" from "metric_series" where "series_key" in (@1, @2)',
    'select * from "metric_points" where "instrument_key" = (select "instrument_key" from "metric_series" where "series_key" = @1) and "series_key" = @2 and "time_unix_nano" >= @3 and "time_unix_nano" < @4 order by "instrument_key" desc, "time_unix_nano" desc, "series_key" desc, "start_time_unix_nano" desc offset @5 rows fetch next @6 rows only',
    'select * from "metric_points" where "instrument_key" = (select "instrument_key" from "metric_series" where "series_key" = @1) and "series_key" = @2 and "time_unix_nano" >= @3 and "time_unix_nano" < @4 order by "instrument_key" desc, "time_unix_nano" desc, "series_key" desc, "start_time_unix_nano" desc offset @5 rows fetch next @6 rows only',
    'select * from "metric_exemplars" where "series_key" in (@1) and "point_time_unix_nano" >= @2 and "point_time_unix_nano" < @3 order by "point_time_unix_nano", "series_key", "point_start_unix_nano", "ordinal" offset @4 rows fetch next @5 rows only',
  ]);
  // LIKE's own characters escaped; a window's edge a minute early for seen times (rounded).
  assert.deepEqual(queries[0]!.parameters.slice(1, 4), [
    "%dur!_%",
    "2000",
    String(1_000n - 60_000_000_000n),
  ]);
});

Deno.test("SQL Server metric rollup tables and late-point marks: DDL, MERGE of marks, rollup purge", async () => {
  const { db, queries } = recordingSqlServer();
  await metricRollupsSchema("sqlserver").up(db as Kysely<unknown>);
  const ddl = queries.map((q) => flat(q.sql));
  const points = ddl.find((s) => s.startsWith('create table "metric_rollup_points"'))!;
  assert.match(points, /"level_seconds" int not null/);
  assert.match(points, /"agg_count" bigint, "agg_sum" float, "agg_min" float, "agg_max" float/);
  assert.match(
    points,
    /constraint "metric_rollup_points_pk" primary key \("series_key", "level_seconds", "time_unix_nano", "start_time_unix_nano"\)\)$/,
  );
  assert.ok(ddl.includes(
    'create table "metric_rollup_marks" ("series_key" nvarchar(32) not null, "bucket_unix_nano" bigint not null, constraint "metric_rollup_marks_pk" primary key ("series_key", "bucket_unix_nano"))',
  ));
  assert.ok(ddl.includes(
    'create table "metric_rollup_state" ("level_seconds" int not null primary key, "done_until_unix_nano" bigint not null)',
  ));
  assert.deepEqual(ddl.filter((s) => s.startsWith("create index")), [
    'create index "metric_rollup_points_time" on "metric_rollup_points" ("time_unix_nano")',
    'create index "metric_rollup_marks_bucket" on "metric_rollup_marks" ("bucket_unix_nano")',
  ]);
  assert.doesNotMatch(ddl.join("\n"), /without rowid|engine=|if not exists|\btext\b/);

  // A point of T1 (long past): its minute is marked in the commit, after the points.
  queries.length = 0;
  const decoded = decodeMetricsRequest(
    "protobuf",
    encodeMetrics(oneScope([{
      name: "queue.size",
      gauge: { dataPoints: [{ timeUnixNano: T1, asInt: "3" }] },
    }])),
    DEFAULT_DECODE_LIMITS,
    0n,
  );
  await db.transaction().execute((trx) => writeMetricRows(trx, SQLSERVER, decoded));
  const merges = queries.filter((q) => q.sql.startsWith("merge into"));
  const mark = merges.at(-1)!;
  assert.match(
    flat(mark.sql),
    /^merge into "metric_rollup_marks" with \(holdlock\) as t using \(values \(@1, @2\)\) .*when not matched then insert/,
  );
  assert.deepEqual(mark.parameters, [
    decoded.points[0]!.seriesKey,
    String(BigInt(T1) - BigInt(T1) % 60_000_000_000n),
  ]);

  // Chart reads: the level's state, then (nothing rolled) the raw read; the purge's deletes.
  queries.length = 0;
  await metricChartPoints(
    db,
    SQLSERVER,
    ["a".repeat(32)],
    { fromNs: 0n, toNs: 7_200n * 10n ** 9n },
    600,
  );
  await purgeMetrics(db, SQLSERVER, 3_600n * 10n ** 9n, 1000);
  const sql = queries.map((q) => flat(q.sql));
  assert.equal(
    sql[0],
    'select "done_until_unix_nano" from "metric_rollup_state" where "level_seconds" = @1',
  );
  assert.ok(
    sql.includes(
      'delete top (1000) from "metric_rollup_points" where "time_unix_nano" < @1',
    ),
    sql.join("\n"),
  );
  assert.ok(sql.includes(
    'delete top (1000) from "metric_rollup_marks" where "bucket_unix_nano" < @1',
  ));
});
