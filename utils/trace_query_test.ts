import assert from "node:assert/strict";
import {
  clearFilters,
  hasFilters,
  pageOf,
  parseAttributeChip,
  parseTraceQuery,
  sortBy,
  TRACE_QUERY_DEFAULTS,
  TRACE_QUERY_URL,
  traceQueryString,
  traceWindowSearch,
  withChange,
} from "./trace_query.ts";

Deno.test("parseTraceQuery() reads the API's parameters, attr repeated", () => {
  const query = parseTraceQuery(
    "?status=error&attr=http.route%3D%2Fpay&attr=code%3D500&sort=duration&order=asc&other=x",
  );
  assert.equal(query.status, "error");
  assert.deepEqual(query.attr, ["http.route=/pay", "code=500"]);
  assert.equal(query.sort, "duration");
  assert.equal(query.order, "asc");
  assert.equal(query.range, "5m");
  assert.equal(query.limit, "50");
  assert.deepEqual(parseTraceQuery(""), { ...TRACE_QUERY_DEFAULTS, attr: [] });
});

Deno.test("traceQueryString() leaves defaults out and round-trips", () => {
  assert.equal(traceQueryString(parseTraceQuery("")), "");
  const text = "?service=pay&status=error&search=POST&attr=a%3D1&attr=b%3D2&sort=span_count";
  assert.equal(traceQueryString(parseTraceQuery(text)), text);
  assert.equal(traceQueryString(parseTraceQuery("?range=5m&order=desc&offset=0")), "");
  // A custom window replaces the range.
  assert.equal(
    traceQueryString(parseTraceQuery("?range=1h&start=2026-11-26T10:00:00Z")),
    "?start=2026-11-26T10%3A00%3A00Z",
  );
});

Deno.test("withChange() goes back to the first page, unless the page is the change", () => {
  const query = parseTraceQuery("?offset=100&start=1&end=2");
  assert.equal(withChange(query, { status: "error" }).offset, "0");
  assert.equal(withChange(query, { offset: "150" }).offset, "150");
  const ranged = withChange(query, { range: "1h" });
  assert.deepEqual([ranged.range, ranged.start, ranged.end], ["1h", "", ""]);
  // The picker's absolute window comes with the default range: the window is kept.
  const absolute = withChange(query, { range: "5m", start: "3", end: "4" });
  assert.deepEqual([absolute.start, absolute.end], ["3", "4"]);
});

Deno.test("sortBy() flips the order of the sorted column and starts others descending", () => {
  const query = parseTraceQuery("");
  const byDuration = sortBy(query, "duration");
  assert.deepEqual([byDuration.sort, byDuration.order], ["duration", "desc"]);
  const flipped = sortBy(byDuration, "duration");
  assert.deepEqual([flipped.sort, flipped.order], ["duration", "asc"]);
  assert.deepEqual([sortBy(flipped, "duration").order], ["desc"]);
  assert.equal(sortBy(flipped, "span_count").order, "desc");
});

Deno.test("hasFilters() and clearFilters() ignore the window, sort and page size", () => {
  const query = parseTraceQuery("?range=1h&sort=duration&limit=20&status=ok&attr=a%3D1");
  assert.equal(hasFilters(query), true);
  const cleared = clearFilters(query);
  assert.equal(hasFilters(cleared), false);
  assert.equal(traceQueryString(cleared), "?range=1h&sort=duration&limit=20");
});

Deno.test("parseAttributeChip() wants key=value with a key", () => {
  assert.equal(parseAttributeChip("http.status_code=500"), "http.status_code=500");
  assert.equal(parseAttributeChip(" k = v=w"), "k= v=w");
  assert.equal(parseAttributeChip("k="), "k=");
  assert.equal(parseAttributeChip("=v"), undefined);
  assert.equal(parseAttributeChip("novalue"), undefined);
});

Deno.test("pageOf() counts pages from one", () => {
  assert.deepEqual(pageOf(0, 50, 0), { page: 1, pages: 1 });
  assert.deepEqual(pageOf(100, 50, 101), { page: 3, pages: 3 });
  assert.deepEqual(pageOf(5, 5, 13), { page: 2, pages: 3 });
});

Deno.test("traceWindowSearch() is the custom window's bounds when set, else the range", () => {
  assert.equal(traceWindowSearch(parseTraceQuery("")), "?range=5m");
  assert.equal(traceWindowSearch(parseTraceQuery("?range=1h&status=error")), "?range=1h");
  assert.equal(
    traceWindowSearch(parseTraceQuery("?range=1h&start=1000&end=2000")),
    "?start=1000&end=2000",
  );
  assert.equal(traceWindowSearch(parseTraceQuery("?start=1000")), "?start=1000");
});

Deno.test("TRACE_QUERY_URL reads and writes the query's own query string", () => {
  const text = "?status=error&attr=a%3D1&attr=b%3D2";
  assert.deepEqual(TRACE_QUERY_URL.parse(text), parseTraceQuery(text));
  assert.equal(TRACE_QUERY_URL.serialize(TRACE_QUERY_URL.parse(`${text}&other=x`)), text);
});
