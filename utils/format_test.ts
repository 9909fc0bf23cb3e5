import assert from "node:assert/strict";
import {
  formatAgo,
  formatBytes,
  formatClock,
  formatCount,
  formatDateTime,
  formatDuration,
  formatInstant,
  formatPercent,
  formatZone,
  fractionPercent,
  parseDurationFilterMs,
} from "./format.ts";
import { setDisplayZone } from "./time_zone.ts";

Deno.test("formatDuration() picks the unit a reader expects", () => {
  assert.equal(formatDuration(0.42), "0.42 ms");
  assert.equal(formatDuration(12.34), "12.3 ms");
  assert.equal(formatDuration(850.4), "850 ms");
  assert.equal(formatDuration(2345), "2.35 s");
  assert.equal(formatDuration(65_000), "1m 05s");
  assert.equal(formatDuration(Number.NaN), "–");
});

Deno.test("formatCount() shortens thousands and millions", () => {
  assert.equal(formatCount(999), "999");
  assert.equal(formatCount(1234), "1.2k");
  assert.equal(formatCount(45_678), "46k");
  assert.equal(formatCount(3_400_000), "3.4M");
});

Deno.test("formatClock() and formatDateTime() show the page's zone, and bad input as given", () => {
  const at = "2026-12-06T09:05:07.042Z";
  try {
    setDisplayZone("UTC");
    assert.equal(formatClock(at), "09:05:07.042");
    assert.equal(formatClock(at, { date: true }), "12-06 09:05:07.042");
    assert.equal(formatDateTime(at), "2026-12-06 09:05:07");
    assert.equal(formatZone(Date.parse(at)), "UTC");
    setDisplayZone("Asia/Tokyo");
    assert.equal(formatClock(at), "18:05:07.042");
    assert.equal(formatDateTime("2026-12-06T20:00:00Z"), "2026-12-07 05:00:00");
    assert.equal(formatZone(Date.parse(at)), "UTC+09:00");
    assert.equal(
      formatInstant("2026-12-06T09:05:07.042123Z"),
      "2026-12-06 18:05:07.042123 UTC+09:00",
    );
    assert.equal(formatInstant("2026-12-06T09:05:07Z"), "2026-12-06 18:05:07 UTC+09:00");
    setDisplayZone("America/New_York");
    assert.equal(formatClock(at, { date: true }), "12-06 04:05:07.042");
    assert.equal(formatZone(Date.parse(at)), "UTC−05:00");
    assert.equal(formatZone(Date.parse("2026-07-01T12:00:00Z")), "UTC−04:00");
    assert.equal(formatClock("not a time"), "not a time");
    assert.equal(formatDateTime("not a time"), "not a time");
  } finally {
    setDisplayZone("UTC");
  }
});

Deno.test("parseDurationFilterMs() reads durations as Jaeger's search takes them", () => {
  assert.equal(parseDurationFilterMs("700"), 700);
  assert.equal(parseDurationFilterMs(" 250ms "), 250);
  assert.equal(parseDurationFilterMs("1.2s"), 1200);
  assert.equal(parseDurationFilterMs("1.1s"), 1100);
  assert.equal(parseDurationFilterMs("2m"), 120_000);
  assert.equal(parseDurationFilterMs("1h"), 3_600_000);
  assert.equal(parseDurationFilterMs("500us"), 0.5);
  assert.equal(parseDurationFilterMs(".5 s"), 500);
  for (const bad of ["", "fast", "1.2 sec", "-5ms", "1e3", "2d"]) {
    assert.equal(parseDurationFilterMs(bad), undefined, bad);
  }
});

Deno.test("formatAgo() says how long ago in seconds, minutes, hours or days", () => {
  assert.equal(formatAgo(0), "just now");
  assert.equal(formatAgo(-3000), "just now"); // the server's clock ahead of the browser's
  assert.equal(formatAgo(4999), "just now");
  assert.equal(formatAgo(12_400), "12 s ago");
  assert.equal(formatAgo(185_000), "3 min ago");
  assert.equal(formatAgo(7_300_000), "2 h ago");
  assert.equal(formatAgo(30 * 3_600_000), "30 h ago");
  assert.equal(formatAgo(3 * 86_400_000 + 5), "3 d ago");
});

Deno.test("formatPercent() keeps at most two decimals and drops trailing zeros", () => {
  assert.equal(formatPercent(25), "25%");
  assert.equal(formatPercent(4.98), "4.98%");
  assert.equal(formatPercent(16.666666), "16.67%");
  assert.equal(formatPercent(0), "0%");
  assert.equal(formatPercent(NaN), "–");
});

Deno.test("fractionPercent() and formatBytes() say rates and sizes one way on every page", () => {
  assert.equal(fractionPercent(1 / 6), "16.67%");
  assert.equal(fractionPercent(0.001), "0.1%");
  assert.equal(formatBytes(999), "999 bytes");
  assert.equal(formatBytes(1_500_000), "1.5 MB");
  assert.equal(formatBytes(812_345), "812 KB");
  assert.equal(formatBytes(undefined), "–");
});
