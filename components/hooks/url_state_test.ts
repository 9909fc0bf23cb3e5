import assert from "node:assert/strict";
import { readState, writeState } from "./url_state.ts";

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
