import assert from "node:assert/strict";
import {
  formatAgo,
  formatClock,
  formatCount,
  formatDateTime,
  formatDuration,
  parseDurationFilterMs,
} from "./format.ts";

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

Deno.test("formatClock() and formatDateTime() show local time, and bad input as given", () => {
  const at = new Date(2026, 11, 6, 9, 5, 7, 42).toISOString();
  assert.equal(formatClock(at), "09:05:07.042");
  assert.equal(formatDateTime(at), "2026-12-06 09:05:07");
  assert.equal(formatClock("not a time"), "not a time");
  assert.equal(formatDateTime("not a time"), "not a time");
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
