import assert from "node:assert/strict";
import { parseSeverity } from "../routes/logs.ts";
import {
  bodyText,
  filterKey,
  filtersFrom,
  hasFilters,
  hasWindow,
  listParams,
  liveParams,
  LOG_FILTER_DEFAULTS,
  type LogItem,
  matchesFilters,
  SEVERITY_MINIMUMS,
  SEVERITY_OPTIONS,
  traceHref,
  windowBoundMs,
  windowLabel,
  windowParams,
  windowWords,
} from "./log_query.ts";
import { formatClock } from "./format.ts";
import { wireLog } from "../tests/wire_builders.ts";

const item = (fields: Partial<LogItem>): LogItem => wireLog(fields);

Deno.test("severity minimums are the ones /api/logs reads", () => {
  for (const option of SEVERITY_OPTIONS) {
    const read = parseSeverity(new URLSearchParams({ severity: option.value }));
    assert.equal(read, SEVERITY_MINIMUMS[option.value], option.value);
  }
});

Deno.test("filtersFrom() reads the page's filters from the URL, defaults for the rest", () => {
  assert.deepEqual(
    filtersFrom(new URLSearchParams("service=checkout&severity=warn&limit=5&search=")),
    { ...LOG_FILTER_DEFAULTS, service: "checkout", severity: "warn" },
  );
  assert.equal(hasFilters(LOG_FILTER_DEFAULTS), false);
  assert.equal(hasFilters({ ...LOG_FILTER_DEFAULTS, range: "1h" }), false);
  assert.equal(hasFilters({ ...LOG_FILTER_DEFAULTS, trace_id: "ab" }), true);
});

Deno.test("listParams() and liveParams() ask the API and the stream for the filters", () => {
  const filters = {
    ...LOG_FILTER_DEFAULTS,
    service: "checkout",
    range: "15m",
    severity: "error",
    search: "timeout",
    trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
    span_id: "00f067aa0ba902b7",
  };
  const { start: _start, end: _end, ...rest } = filters;
  assert.deepEqual(listParams(filters, 1000), { ...rest, limit: 1000 });
  assert.deepEqual(liveParams(filters), { service: "checkout", severity: "error" });
});

Deno.test("an absolute window (a trace's logs link) is asked for instead of the range", () => {
  const filters = { ...LOG_FILTER_DEFAULTS, start: "1795687140000", end: "1795687320000" };
  assert.equal(hasWindow(filters), true);
  assert.deepEqual(windowParams(filters), { start: "1795687140000", end: "1795687320000" });
  assert.equal(listParams(filters, 50).range, undefined);
  assert.deepEqual(windowParams(LOG_FILTER_DEFAULTS), { range: "5m" });
  assert.equal(windowBoundMs("2026-11-26T10:00:00Z"), 1795687200000);
  assert.equal(windowBoundMs("1795687200000"), 1795687200000);
  assert.equal(windowBoundMs(""), undefined);
  assert.equal(windowBoundMs("soon"), undefined);
  // Streamed records after the window's end are not shown.
  const at = (ms: number) => item({ time_unix_nano: `${ms}000000` });
  assert.equal(matchesFilters(at(1795687200000), filters), true);
  assert.equal(matchesFilters(at(1795687320001), filters), false);
  assert.equal(matchesFilters(at(1795687139999), filters), false);
});

Deno.test("matchesFilters() applies every filter to a streamed record", () => {
  const filters = { ...LOG_FILTER_DEFAULTS };
  assert.equal(matchesFilters(item({}), filters), true);
  assert.equal(matchesFilters(item({}), { ...filters, service: "payments" }), false);
  assert.equal(
    matchesFilters(item({ severity_number: 12 }), { ...filters, severity: "warn" }),
    false,
  );
  assert.equal(
    matchesFilters(item({ severity_number: 13 }), { ...filters, severity: "WARN" }),
    true,
  );
  // Text anywhere in the body, ignoring case; structured bodies as their JSON.
  assert.equal(matchesFilters(item({}), { ...filters, search: "cart ANSWERED" }), true);
  assert.equal(matchesFilters(item({}), { ...filters, search: "timeout" }), false);
  assert.equal(
    matchesFilters(item({ body: { event: "cache.miss" } }), { ...filters, search: "cache.miss" }),
    true,
  );
  assert.equal(matchesFilters(item({ body: null }), { ...filters, search: "x" }), false);
  const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
  assert.equal(
    matchesFilters(item({ trace_id: traceId }), { ...filters, trace_id: traceId.toUpperCase() }),
    true,
  );
  assert.equal(matchesFilters(item({}), { ...filters, trace_id: traceId }), false);
  assert.equal(
    matchesFilters(item({ span_id: "00f067aa0ba902b7" }), {
      ...filters,
      span_id: "00F067AA0BA902B7",
    }),
    true,
  );
  assert.equal(matchesFilters(item({}), { ...filters, span_id: "00f067aa0ba902b7" }), false);
});

Deno.test("bodyText() shows strings as sent, other bodies as JSON, none as nothing", () => {
  assert.equal(bodyText("line one\nline two"), "line one\nline two");
  assert.equal(bodyText({ a: [1, 2] }), '{"a":[1,2]}');
  assert.equal(bodyText(42), "42");
  assert.equal(bodyText(null), "");
});

Deno.test("traceHref() opens the record's trace with its span highlighted", () => {
  assert.equal(
    traceHref({ trace_id: "4bf92f3577b34da6a3ce929d0e0e4736", span_id: "00f067aa0ba902b7" }),
    "/traces/4bf92f3577b34da6a3ce929d0e0e4736?span=00f067aa0ba902b7",
  );
  assert.equal(
    traceHref({ trace_id: "4bf92f3577b34da6a3ce929d0e0e4736", span_id: "" }),
    "/traces/4bf92f3577b34da6a3ce929d0e0e4736",
  );
  assert.equal(traceHref({ trace_id: "", span_id: "" }), undefined);
});

Deno.test("filterKey() is equal for equal filters and differs when any filter does", () => {
  const key = filterKey(LOG_FILTER_DEFAULTS);
  assert.equal(filterKey({ ...LOG_FILTER_DEFAULTS }), key);
  for (const name of Object.keys(LOG_FILTER_DEFAULTS) as (keyof typeof LOG_FILTER_DEFAULTS)[]) {
    assert.notEqual(filterKey({ ...LOG_FILTER_DEFAULTS, [name]: "x" }), key, name);
  }
});

Deno.test("windowWords() names a range back from now, or an absolute window by its clock times", () => {
  assert.equal(windowWords(LOG_FILTER_DEFAULTS), "in the last 5m");
  assert.equal(windowWords({ ...LOG_FILTER_DEFAULTS, range: "1h" }), "in the last 1h");
  const start = Date.UTC(2026, 10, 26, 10, 41, 2);
  const end = start + 248_000;
  const clock = (ms: number) => formatClock(new Date(ms).toISOString()).slice(0, 8);
  const window = { ...LOG_FILTER_DEFAULTS, start: String(start), end: new Date(end).toISOString() };
  assert.equal(windowLabel(window), `${clock(start)} – ${clock(end)}`);
  assert.equal(windowWords(window), `from ${clock(start)} – ${clock(end)}`);
  // An open end is "now"; an unreadable bound is shown as given.
  assert.equal(windowLabel({ ...LOG_FILTER_DEFAULTS, start: "soon" }), "soon – now");
});
