import assert from "node:assert/strict";
import {
  carryWindow,
  DEFAULT_RANGE,
  rangeParams,
  rangeReaching,
  RANGES,
  rangeWords,
} from "./time_window.ts";

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

Deno.test("rangeReaching() picks the smallest range that shows the newest data's minute", () => {
  const now = Date.UTC(2026, 11, 6, 12, 30, 20);
  const minute = (ago: number) => Math.floor((now - ago) / 60_000) * 60_000;
  assert.equal(rangeReaching(minute(0), now), "5m");
  assert.equal(rangeReaching(minute(4 * 60_000), now), "5m");
  assert.equal(rangeReaching(minute(6 * 60_000), now), "15m");
  assert.equal(rangeReaching(minute(40 * 60_000), now), "1h");
  assert.equal(rangeReaching(minute(23 * 3_600_000), now), "24h");
  assert.equal(rangeReaching(minute(3 * 86_400_000), now), undefined);
});

Deno.test("rangeWords() reads a range after 'last'", () => {
  assert.equal(`the last ${rangeWords("1h")}`, "the last hour");
  assert.equal(rangeWords("15m"), "15 minutes");
  assert.equal(rangeWords("7d"), "7d");
});
