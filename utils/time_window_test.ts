import assert from "node:assert/strict";
import {
  carryWindow,
  DEFAULT_RANGE,
  instantMs,
  presetsUpTo,
  rangeMs,
  rangeOf,
  rangeParams,
  rangeReaching,
  RANGES,
  rangeWords,
  windowOf,
  windowParams,
  windowPhrase,
  windowWords,
} from "./time_window.ts";
import { setDisplayZone } from "./time_zone.ts";

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
  assert.equal(rangeReaching(minute(3 * 86_400_000), now), "7d");
  assert.equal(rangeReaching(minute(8 * 86_400_000), now), undefined);
});

Deno.test("rangeWords() reads a range after 'last'", () => {
  assert.equal(`the last ${rangeWords("1h")}`, "the last hour");
  assert.equal(rangeWords("15m"), "15 minutes");
  assert.equal(rangeWords("7d"), "7 days");
  assert.equal(rangeWords("24h"), "24 hours");
  assert.equal(rangeWords("1d"), "day");
  assert.equal(rangeWords("90m"), "90 minutes");
  assert.equal(rangeWords("soon"), "soon");
});

Deno.test("rangeMs() reads presets and any 'last N' length; rangeOf() names a length", () => {
  assert.equal(rangeMs("15m"), 15 * 60_000);
  assert.equal(rangeMs("90m"), 90 * 60_000);
  assert.equal(rangeMs("12h"), 12 * 3_600_000);
  assert.equal(rangeMs("3d"), 3 * 86_400_000);
  for (const bad of ["0m", "1y", "1.5h", "-1d", "5", "", "05m"]) {
    assert.equal(rangeMs(bad), undefined);
  }
  assert.equal(rangeOf(30 * 86_400_000), "30d");
  assert.equal(rangeOf(36 * 3_600_000), "36h");
  assert.equal(rangeOf(90 * 60_000), "90m");
});

Deno.test("presetsUpTo() offers the presets under the retention, and the retention itself", () => {
  assert.deepEqual(presetsUpTo(null), ["5m", "15m", "1h", "6h", "24h", "2d", "7d"]);
  assert.deepEqual(presetsUpTo(7 * 86_400_000), ["5m", "15m", "1h", "6h", "24h", "2d", "7d"]);
  assert.deepEqual(presetsUpTo(30 * 86_400_000), [
    "5m",
    "15m",
    "1h",
    "6h",
    "24h",
    "2d",
    "7d",
    "30d",
  ]);
  assert.deepEqual(presetsUpTo(36 * 3_600_000), ["5m", "15m", "1h", "6h", "24h", "36h"]);
});

Deno.test("windowOf(), windowParams() and windowWords() keep a range or an absolute window", () => {
  const relative = windowOf(new URL("http://x/?range=3d&service=a"));
  assert.deepEqual(relative, { range: "3d", start: "", end: "" });
  assert.deepEqual(windowParams(relative), { range: "3d" });
  assert.equal(windowWords(relative), "last 3 days");
  assert.deepEqual(windowParams(windowOf(new URL("http://x/"))), {});
  const absolute = windowOf(
    new URL("http://x/?start=2026-12-03T10:00:00Z&end=2026-12-03T12:30:00Z"),
  );
  assert.deepEqual(windowParams(absolute), {
    start: "2026-12-03T10:00:00Z",
    end: "2026-12-03T12:30:00Z",
  });
  try {
    setDisplayZone("Asia/Tokyo");
    assert.equal(windowWords(absolute), "2026-12-03 19:00 – 2026-12-03 21:30 (UTC+09:00)");
  } finally {
    setDisplayZone("UTC");
  }
});

Deno.test("instantMs() reads RFC 3339 or Unix ms; windowPhrase() says a window after a noun", () => {
  assert.equal(instantMs("2026-11-26T10:00:00Z"), 1795687200000);
  assert.equal(instantMs("1795687200000"), 1795687200000);
  assert.equal(instantMs(""), undefined);
  assert.equal(instantMs("soon"), undefined);
  assert.equal(windowPhrase({ range: "1h", start: "", end: "" }), "in the last hour");
  assert.equal(
    windowPhrase({ range: "5m", start: "1795687200000", end: "" }),
    "from 2026-11-26 10:00 – now (UTC)",
  );
});
