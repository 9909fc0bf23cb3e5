import assert from "node:assert/strict";
import { parseTraceQuery, TRACE_QUERY_URL } from "../../utils/trace_query.ts";
import { readState, urlChange, urlStateCodec, writeState } from "./url_state.ts";

const DEFAULTS = { service: "", range: "5m" };

Deno.test("readState() takes the managed keys from the query string, else their defaults", () => {
  assert.deepEqual(readState("?range=1h&other=x", DEFAULTS), { service: "", range: "1h" });
  assert.deepEqual(readState("", DEFAULTS), DEFAULTS);
  assert.deepEqual(readState("?service=order%20service", DEFAULTS), {
    service: "order service",
    range: "5m",
  });
});

Deno.test("writeState() keeps other keys, leaves defaults and empty values out, and round-trips", () => {
  assert.equal(
    writeState("?other=x", { service: "api", range: "5m" }, DEFAULTS),
    "?other=x&service=api",
  );
  assert.equal(writeState("?service=api&range=1h", DEFAULTS, DEFAULTS), "");
  const state = { service: "a&b=c", range: "24h" };
  assert.deepEqual(readState(writeState("", state, DEFAULTS), DEFAULTS), state);
});

Deno.test("urlStateCodec() reads and writes flat filters over the current query string", () => {
  const codec = urlStateCodec(DEFAULTS);
  assert.deepEqual(codec.parse("?service=api&other=x"), { service: "api", range: "5m" });
  assert.equal(
    codec.serialize({ service: "api", range: "1h" }, "?other=x"),
    "?other=x&service=api&range=1h",
  );
});

Deno.test("urlChange() gives the query string to write, or undefined when it says the same", () => {
  const codec = urlStateCodec(DEFAULTS);
  assert.equal(
    urlChange(codec, "?other=x", { service: "api", range: "5m" }),
    "?other=x&service=api",
  );
  assert.equal(urlChange(codec, "?service=api", { service: "api", range: "5m" }), undefined);
  // A default written out says the same as none: no new history entry.
  assert.equal(urlChange(codec, "?range=5m", DEFAULTS), undefined);
  assert.equal(urlChange(codec, "?range=1h", DEFAULTS), "");
});

Deno.test("urlChange() with the trace list's codec: other keys dropped, equal queries equal URLs", () => {
  const query = parseTraceQuery("?status=error&attr=a%3D1&attr=b%3D2");
  assert.equal(
    urlChange(TRACE_QUERY_URL, "?attr=a%3D1&status=error&attr=b%3D2&offset=0", query),
    undefined,
  );
  assert.equal(
    urlChange(TRACE_QUERY_URL, "?status=error", query),
    "?status=error&attr=a%3D1&attr=b%3D2",
  );
  assert.equal(urlChange(TRACE_QUERY_URL, "?status=error&other=x", TRACE_QUERY_URL.parse("")), "");
});
