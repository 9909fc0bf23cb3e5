import assert from "node:assert/strict";
import { formatClock, formatCount, formatDateTime, formatDuration } from "./format.ts";

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
