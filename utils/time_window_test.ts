import assert from "node:assert/strict";
import { carryWindow, DEFAULT_RANGE, rangeParams, RANGES } from "./time_window.ts";

Deno.test("carryWindow() takes the page's range or custom window to the link", () => {
  assert.equal(carryWindow("/traces", "?range=15m&service=a"), "/traces?range=15m");
  assert.equal(
    carryWindow("/logs?service=a%20b#top", "?start=2026-12-01T00%3A00%3A00Z&end=1764547200000"),
    "/logs?service=a+b&start=2026-12-01T00%3A00%3A00Z&end=1764547200000#top",
  );
});

Deno.test("carryWindow() leaves a link alone when the page has the default window or the link its own", () => {
  assert.equal(carryWindow("/traces", ""), "/traces");
  assert.equal(carryWindow("/traces", `?range=${DEFAULT_RANGE}`), "/traces");
  assert.equal(carryWindow("/logs?range=1h", "?range=15m"), "/logs?range=1h");
  assert.equal(carryWindow("/logs?start=1", "?range=15m"), "/logs?start=1");
});

Deno.test("rangeParams() names a range only when it is not the default", () => {
  assert.deepEqual(rangeParams(DEFAULT_RANGE), {});
  assert.deepEqual(rangeParams("6h"), { range: "6h" });
  assert.ok(DEFAULT_RANGE in RANGES);
});
