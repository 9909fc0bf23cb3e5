import assert from "node:assert/strict";
import { parseSeverity } from "../routes/logs.ts";
import {
  bodyText,
  datedList,
  filterKey,
  filtersFrom,
  hasFilters,
  hasWindow,
  listParams,
  liveParams,
  LOG_FILTER_DEFAULTS,
  type LogItem,
  matchesFilters,
  matchParts,
  oldestFirst,
  SEVERITY_MINIMUMS,
  SEVERITY_OPTIONS,
  traceHref,
} from "./log_query.ts";
import { parseLogCursor } from "./log_cursor.ts";
import { setDisplayZone } from "./time_zone.ts";
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
  const params = listParams(filters, 50);
  assert.deepEqual([params.start, params.end, params.range], [
    filters.start,
    filters.end,
    undefined,
  ]);
  assert.equal(listParams({ ...LOG_FILTER_DEFAULTS, range: "1h" }, 50).range, "1h");
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
  // A name longer than its column is listed, and filtered, by the column's first 256 characters.
  const long = "s".repeat(255) + "😀 and more";
  const listed = "s".repeat(255);
  assert.equal(matchesFilters(item({ service_name: long }), { ...filters, service: listed }), true);
  assert.equal(
    matchesFilters(item({ service_name: listed }), { ...filters, service: listed }),
    true,
  );
  // Asked for whole, as the API takes it; a NUL as the rows hold it, escaped.
  assert.equal(matchesFilters(item({ service_name: long }), { ...filters, service: long }), true);
  assert.equal(
    matchesFilters(item({ service_name: "a\u0000b" }), { ...filters, service: "a\u0000b" }),
    true,
  );
  assert.equal(
    matchesFilters(item({ service_name: "a\uE0000b" }), { ...filters, service: "a\u0000b" }),
    false,
  );
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
  // The API's query syntax (utils/text_query.ts): phrases, exclusions; refused queries pass none.
  assert.equal(matchesFilters(item({}), { ...filters, search: '"answered cart"' }), false);
  assert.equal(matchesFilters(item({}), { ...filters, search: "cart -answered" }), false);
  assert.equal(matchesFilters(item({}), { ...filters, search: "cart -timeout" }), true);
  assert.equal(matchesFilters(item({}), { ...filters, search: '"cart' }), false);
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

Deno.test("listParams() asks for the order, and for the page past a listed record by its cursor", () => {
  const asc = { ...LOG_FILTER_DEFAULTS, order: "asc" };
  assert.equal(oldestFirst(asc), true);
  assert.equal(oldestFirst(LOG_FILTER_DEFAULTS), false);
  assert.equal(hasFilters(asc), false, "the order narrows nothing");
  assert.equal(listParams(asc, 1000).order, "asc");
  const oldest = item({
    id: "0195d1c2a3b4c5d6e7f8091a2b3c4d5e",
    time_unix_nano: "17956872000000001",
  });
  const older = listParams(LOG_FILTER_DEFAULTS, 1000, { side: "before", item: oldest });
  assert.equal(older.after, undefined);
  // The cursor is one the API reads back as this record.
  assert.deepEqual(parseLogCursor(String(older.before)), {
    listed_time_unix_nano: oldest.listed_time_unix_nano,
    id: oldest.id,
  });
  const newer = listParams(LOG_FILTER_DEFAULTS, 1000, { side: "after", item: oldest });
  assert.equal(newer.after, older.before);
  assert.equal(newer.before, undefined);
});

Deno.test("matchParts() cuts a text where the search occurs, ignoring case, taking it literally", () => {
  const marked = (text: string, search: string) =>
    matchParts(text, search).map((p) => p.match ? `[${p.text}]` : p.text).join("");
  assert.equal(
    marked("Payment TIMEOUT after timeout", "timeout"),
    "Payment [TIMEOUT] after [timeout]",
  );
  assert.equal(marked("timeout", "TimeOut"), "[timeout]");
  assert.equal(marked("cost: $5.00 (a+b)*", '"$5.00 (a+b)*"'), "cost: [$5.00 (a+b)*]");
  // Each word and phrase, the longest first; exclusions and refused queries mark nothing.
  assert.equal(marked("Database Lock on db", "db database -lock"), "[Database] Lock on [db]");
  assert.equal(marked("say hi", '"say'), "say hi");
  assert.equal(marked("a.b axb", "."), "a[.]b axb");
  assert.equal(marked("<img src=x onerror=alert(1)>", "<img"), "[<img] src=x onerror=alert(1)>");
  assert.equal(marked("ÉCHEC échec", "échec"), "[ÉCHEC] [échec]");
  assert.deepEqual(matchParts("no match here", "xyz"), [{ text: "no match here", match: false }]);
  assert.deepEqual(matchParts("text", ""), [{ text: "text", match: false }]);
  assert.deepEqual(matchParts("", "x"), [{ text: "", match: false }]);
  // The parts put together are the text, always.
  for (const [text, search] of [["aaaa", "aa"], ["abcabc", "c"], ["x", "x"]] as const) {
    assert.equal(matchParts(text, search).map((p) => p.text).join(""), text);
  }
  assert.equal(marked("aaaa", "aa"), "[aa][aa]");
});

Deno.test("datedList() dates the times of a day-long range, or of records across days", () => {
  const at = (timestamp: string) => item({ timestamp });
  const sameDay = [at("2026-12-03T23:10:00Z"), at("2026-12-03T01:00:00Z")];
  const twoDays = [at("2026-12-04T00:10:00Z"), at("2026-12-03T23:50:00Z")];
  assert.equal(datedList(LOG_FILTER_DEFAULTS, sameDay), false);
  assert.equal(datedList(LOG_FILTER_DEFAULTS, twoDays), true);
  assert.equal(datedList({ ...LOG_FILTER_DEFAULTS, range: "24h" }, []), true);
  assert.equal(datedList({ ...LOG_FILTER_DEFAULTS, range: "6h" }, sameDay.slice(0, 1)), false);
  try {
    // In Tokyo, 2026-12-03T23:10Z and 01:00Z are two days.
    setDisplayZone("Asia/Tokyo");
    assert.equal(datedList(LOG_FILTER_DEFAULTS, sameDay), true);
  } finally {
    setDisplayZone("UTC");
  }
});
