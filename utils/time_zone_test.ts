import assert from "node:assert/strict";
import {
  displayZone,
  instantOf,
  isTimeZone,
  setDisplayZone,
  wallClock,
  wallClockText,
  zoneFromCookies,
  zoneLabel,
} from "./time_zone.ts";

Deno.test("zoneFromCookies() gives the browser's zone for 'local', UTC until it is known", () => {
  assert.deepEqual(zoneFromCookies(null), { choice: "local", zone: "UTC" });
  assert.deepEqual(zoneFromCookies("argus_browser_zone=Asia%2FTokyo"), {
    choice: "local",
    zone: "Asia/Tokyo",
  });
  assert.deepEqual(zoneFromCookies("a=b; argus_time_zone=utc; argus_browser_zone=Asia%2FTokyo"), {
    choice: "utc",
    zone: "UTC",
  });
  // A zone the runtime does not know, or a cookie that is not ours, is UTC.
  assert.deepEqual(zoneFromCookies("argus_browser_zone=Mars%2FOlympus"), {
    choice: "local",
    zone: "UTC",
  });
  assert.deepEqual(zoneFromCookies("argus_browser_zone=%E0%A4%A"), {
    choice: "local",
    zone: "UTC",
  });
});

Deno.test("setDisplayZone() takes known zones only", () => {
  try {
    setDisplayZone("Europe/Berlin");
    assert.equal(displayZone(), "Europe/Berlin");
    setDisplayZone("nowhere");
    assert.equal(displayZone(), "UTC");
    assert.equal(isTimeZone("America/New_York"), true);
    assert.equal(isTimeZone(""), false);
  } finally {
    setDisplayZone("UTC");
  }
});

Deno.test("wallClock() and zoneLabel() follow the zone's offset, daylight saving included", () => {
  const winter = Date.parse("2026-01-15T12:00:00.250Z");
  const summer = Date.parse("2026-07-15T12:00:00Z");
  assert.deepEqual(wallClock(winter, "Europe/Berlin"), {
    year: 2026,
    month: 1,
    day: 15,
    hour: 13,
    minute: 0,
    second: 0,
    millisecond: 250,
  });
  assert.equal(wallClock(summer, "Europe/Berlin").hour, 14);
  assert.equal(zoneLabel(winter, "Europe/Berlin"), "UTC+01:00");
  assert.equal(zoneLabel(summer, "Europe/Berlin"), "UTC+02:00");
  assert.equal(zoneLabel(winter, "Asia/Kolkata"), "UTC+05:30");
  assert.equal(zoneLabel(winter, "UTC"), "UTC");
  assert.equal(wallClock(Date.parse("2026-12-31T23:30:00Z"), "Asia/Tokyo").year, 2027);
});

Deno.test("instantOf() reads a wall-clock time in a zone back to its instant", () => {
  assert.equal(instantOf("2026-12-03T10:00", "UTC"), Date.parse("2026-12-03T10:00:00Z"));
  assert.equal(instantOf("2026-12-03T10:00:30", "Asia/Tokyo"), Date.parse("2026-12-03T01:00:30Z"));
  assert.equal(
    instantOf("2026-07-01 08:00:00.5", "America/New_York"),
    Date.parse("2026-07-01T12:00:00.500Z"),
  );
  assert.equal(instantOf("2026-02-30T10:00", "UTC"), undefined);
  assert.equal(instantOf("yesterday", "UTC"), undefined);
  const ms = Date.parse("2026-03-29T05:17:09Z");
  assert.equal(instantOf(wallClockText(ms, "Europe/Berlin"), "Europe/Berlin"), ms);
  assert.equal(wallClockText(ms, "UTC"), "2026-03-29T05:17:09");
});
