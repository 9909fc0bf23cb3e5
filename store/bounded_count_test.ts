import assert from "node:assert/strict";
import { cappedAt, withThePage } from "./bounded_count.ts";
import { SQLSERVER } from "./dialects/sqlserver.ts";
import { storeOver } from "./mod.ts";
import { databaseConfig } from "../tests/databases.ts";
import { recordingSqlServer } from "../tests/sqlserver_recording.ts";

Deno.test("cappedAt() answers the count up to the limit, and the limit past it", () => {
  assert.deepEqual(cappedAt(7, undefined), { total: 7, totalCapped: false, overLimit: false });
  assert.deepEqual(cappedAt(5, 5), { total: 5, totalCapped: false, overLimit: false });
  assert.deepEqual(cappedAt(6, 5), { total: 5, totalCapped: true, overLimit: true });
});

Deno.test("withThePage() never answers fewer than the page shows, and exactly when it ends the matches", () => {
  const capped = { total: 4, totalCapped: true };
  // A full page (more may follow) proves its offset + items.
  assert.deepEqual(withThePage(capped, { offset: 0, shown: 2, more: true }), capped);
  assert.deepEqual(withThePage(capped, { offset: 6, shown: 2, more: true }), {
    total: 8,
    totalCapped: true,
  });
  // A page that is not full ends the matches: exact.
  assert.deepEqual(withThePage(capped, { offset: 6, shown: 1, more: false }), {
    total: 7,
    totalCapped: false,
  });
  assert.deepEqual(withThePage(capped, { offset: 0, shown: 0, more: false }), {
    total: 0,
    totalCapped: false,
  });
  // An empty page past the start proves nothing: the matches may end before its offset.
  assert.deepEqual(withThePage(capped, { offset: 50, shown: 0, more: false }), capped);
  // From a cursor, the page proves its own records only.
  assert.deepEqual(withThePage(capped, { offset: 0, shown: 3, more: false, fromCursor: true }), {
    total: 4,
    totalCapped: true,
  });
  assert.deepEqual(withThePage(capped, { offset: 0, shown: 9, more: true, fromCursor: true }), {
    total: 9,
    totalCapped: true,
  });
  // An exact count is left as it is.
  const exact = { total: 3, totalCapped: false };
  assert.deepEqual(withThePage(exact, { offset: 0, shown: 2, more: true }), exact);
});

const config = databaseConfig("sqlserver", "sqlserver://sa:secret@127.0.0.1:1433/argus");

Deno.test("SQL Server bounds a search's count by the time of the newest summaries' last, with OFFSET … FETCH and TOP", async () => {
  const { db, queries } = recordingSqlServer();
  const store = storeOver(db, SQLSERVER, { ...config, traceCountScan: 7, traceCountChecks: 3 });
  const page = { limit: 20, offset: 0 };
  const window = { startNs: 1n, endNs: 2n };
  const after = (pattern: RegExp) => {
    const at = queries.findIndex((q) => pattern.test(q.sql));
    assert.ok(at >= 0, `${pattern}: ${queries.map((q) => q.sql).join("\n")}`);
    return queries.slice(at);
  };

  // On SQL Server a span-name text reads the spans (`spanNamesContain`): TRACE_COUNT_CHECKS
  // summaries, newest first: the time of the 3rd, then the matches from it on, up to 10,001.
  await store.traces({ ...window, search: "send email" }, {
    field: "duration",
    order: "desc",
  }, page);
  const [edge, count] = after(/ as "edge" from "trace_summaries"/);
  assert.match(
    edge!.sql,
    /^select "ts"\."start_time_unix_nano" as "edge" from "trace_summaries" as "ts" where .* order by "ts"\."start_time_unix_nano" desc offset @\d+ rows fetch next @\d+ rows only$/,
  );
  assert.deepEqual(edge!.parameters.slice(-2), [2, 1]);
  assert.match(
    count!.sql,
    /^select count\(\*\) as "n" from \(select top\(10001\) 1 as "one" from "trace_summaries" as "ts" where .*"ts"\."span_names" like @\d+ escape '!'.*\) as "matching"$/,
  );
  assert.doesNotMatch(count!.sql, /\blimit\b|order by/);

  // An `attr` value without the index's candidates: TRACE_COUNT_CHECKS too, in the page's order
  // by start (oldest first here).
  queries.length = 0;
  const attributes = [{ key: "http.response.status_code", value: "500" }];
  await store.traces({ ...window, attributes }, { field: "start_time", order: "asc" }, page);
  const [oldest, checks] = after(/ as "edge" from "trace_summaries"/);
  assert.match(oldest!.sql, /order by "ts"\."start_time_unix_nano" asc offset @\d+ rows/);
  assert.match(
    checks!.sql,
    /exists \(select 1 from "spans" s where "s"\."trace_id" = "ts"\."trace_id" and \(charindex/,
  );

  // A log search that scans: LOG_COUNT_SCAN records.
  queries.length = 0;
  await store.logTotal({ ...window, search: { include: ["failed"], exclude: [] } });
  const [records, matches] = after(/ as "edge" from "logs"/);
  assert.match(
    records!.sql,
    /order by "logs"\."time_unix_nano" desc offset @\d+ rows fetch next @\d+ rows only$/,
  );
  assert.deepEqual(records!.parameters.slice(-2), [config.logCountScan - 1, 1]);
  assert.match(
    matches!.sql,
    /^select count\(\*\) as "n" from \(select top\(10001\) 1 as "one" from "logs" where .*"logs"\."body" like @\d+ escape '!'/,
  );
  await store.close();
});
