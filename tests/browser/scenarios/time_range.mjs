// The time-range model (issue 14, points 3 and 5), with the browser in Tokyo and Argus in New
// York: the first page is in UTC (the server cannot know the browser's zone yet), every later one
// in the browser's zone, each labelled and identical before and after hydration; a trace three
// days old is reached through the picker's 7-day preset, a "last N" length and an absolute range
// typed in Tokyo time; the window travels to the Dashboard; UTC is chosen and remembered.
// options: { oldTraceIds, recentTraceIds, oldStartTime (the first old trace's start) }
import assert from "node:assert/strict";

const TOKYO = "Asia/Tokyo";

/** `HH:MM:SS.mmm` of an RFC 3339 time in a zone. */
function clockIn(rfc3339, timeZone) {
  const date = new Date(rfc3339);
  const text = date.toLocaleTimeString("en-GB", { timeZone, hourCycle: "h23" });
  return `${text}.${String(date.getUTCMilliseconds()).padStart(3, "0")}`;
}

/** `YYYY-MM-DDTHH:MM:SS` of a Unix ms time in a zone, as a datetime-local input takes it. */
function inputIn(ms, timeZone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
}

/** The start-time cell of a trace row as the server rendered it (before any script runs). */
function serverClock(html, traceId) {
  const at = html.indexOf(`data-trace-id="${traceId}"`);
  assert.ok(at > 0, `the server's page lists ${traceId}`);
  return /argus-mono[^>]*>([\d:.]+)</.exec(html.slice(at))[1];
}

const listed = (page) =>
  page.$$eval("tr[data-trace-id]", (rows) => rows.map((r) => r.dataset.traceId).sort());

async function pick(page, action) {
  await page.click("[data-time-range]");
  await page.waitForSelector("[data-time-range-picker] [data-range-preset]");
  await action(page.locator("[data-time-range-picker]"));
}

export async function run({ baseUrl, openPage, visit, options }) {
  const page = await openPage(undefined, { timezoneId: TOKYO });
  const steps = [];
  const oldId = options.oldTraceIds[0];
  const url = "/traces?range=7d";

  const zoneStep = (zone, label) =>
    zoneShown(page, visit, new URL(url, baseUrl).href, oldId, options.oldStartTime, zone, label);

  // 1. The first page: no zone known yet, so UTC, labelled, and the same after hydration.
  await zoneStep("UTC", "UTC");
  steps.push("first visit in UTC, unchanged by hydration");

  // 2. The browser told its zone: Tokyo from the server's first paint on.
  await zoneStep(TOKYO, "UTC+09:00");
  steps.push("then in the browser's zone, unchanged by hydration");

  // Logs over days: each time with its date, the zone in the column's head.
  await visit(page, "/logs?range=7d");
  await page.waitForSelector("[data-log-row]");
  assert.match(await page.textContent("[data-log-list] [data-time-zone-label]"), /UTC\+09:00/);
  const times = await page.$$eval(".argus-log-time", (cells) => cells.map((c) => c.textContent));
  assert.ok(times.length > 0);
  for (const time of times) assert.match(time, /^\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
  steps.push("logs of 7 days carry their date and zone");

  // 3. From the default 5 minutes, the 7-day preset reaches the old trace.
  await visit(page, "/traces");
  assert.equal(await page.$(`tr[data-trace-id="${oldId}"]`), null);
  await pick(page, (picker) => picker.locator("[data-range-preset='7d']").click());
  await page.waitForURL((u) => u.searchParams.get("range") === "7d");
  await page.waitForSelector(`tr[data-trace-id="${oldId}"]`);
  steps.push("7-day preset lists the old trace");

  // 4. A "last N" length.
  await visit(page, "/traces");
  await pick(page, async (picker) => {
    await picker.locator("input[name='range']").fill("4d");
    await picker.locator("input[name='range']").press("Enter");
  });
  await page.waitForURL((u) => u.searchParams.get("range") === "4d");
  await page.waitForSelector(`tr[data-trace-id="${oldId}"]`);
  steps.push("'last 4d' lists it");

  // 5. An absolute range typed in Tokyo time: the old traces and nothing else.
  const oldMs = Date.parse(options.oldStartTime);
  await pick(page, async (picker) => {
    assert.match(await picker.textContent(), /From \(UTC\+09:00\)/);
    await picker.locator("input[name='from']").fill(
      inputIn(oldMs - 10 * 60_000, TOKYO),
    );
    await picker.locator("input[name='to']").fill(inputIn(oldMs + 15 * 60_000, TOKYO));
    await picker.getByRole("button", { name: "Show this range" }).click();
  });
  await page.waitForURL((u) => u.searchParams.has("start") && u.searchParams.has("end"));
  const start = new URL(page.url()).searchParams.get("start");
  assert.equal(Date.parse(start), Math.floor((oldMs - 10 * 60_000) / 1000) * 1000);
  await page.waitForSelector(`tr[data-trace-id="${oldId}"]`);
  await page.waitForFunction(
    (n) => document.querySelectorAll("tr[data-trace-id]").length === n,
    options.oldTraceIds.length,
  );
  assert.deepEqual(await listed(page), [...options.oldTraceIds].sort());
  assert.match(await page.textContent("[data-time-range]"), /\(UTC\+09:00\)/);
  steps.push("absolute range in Tokyo time lists only it");

  // 6. The navigation bar carries the window to the Dashboard, which shows that window's figures.
  await page.hover("nav a[data-keep-window='/']");
  await page.click("nav a[data-keep-window='/']");
  await page.waitForURL((u) => u.pathname === "/" && u.searchParams.get("start") === start);
  await page.waitForSelector("html[data-ready='true']");
  await page.waitForSelector("[data-dashboard][data-loading='false'] [data-figure]");
  assert.equal(await page.$("[data-empty-state]"), null);
  assert.match(await page.textContent("[data-dashboard] h2 + p"), /\(UTC\+09:00\)/);
  steps.push("the window travels to the Dashboard, which shows it");

  // 7. UTC chosen in the picker: the page reloads in UTC, and later pages stay in it.
  const reloaded = page.waitForEvent("load");
  await pick(page, (picker) => picker.getByText("UTC", { exact: true }).click());
  await reloaded;
  await page.waitForSelector("html[data-ready='true']");
  assert.equal(await page.getAttribute("html", "data-time-zone"), "UTC");
  assert.match(await page.textContent("[data-time-range]"), /\(UTC\)/);
  await zoneStep("UTC", "UTC");
  steps.push("UTC chosen and remembered");
  return { steps };
}

/**
 * Loads `url` as the server renders it (no script runs) and as the browser shows it once hydrated:
 * the trace's start time and the column's zone label are those of `zone` in both.
 */
async function zoneShown(page, visit, url, traceId, startTime, zone, label) {
  // The page's own request context: the same cookies as the page.
  const html = await (await page.request.get(url)).text();
  const expected = clockIn(startTime, zone);
  assert.equal(serverClock(html, traceId), expected, `server's first paint in ${zone}`);
  assert.ok(html.includes(`Start (${label})`), `server's column says ${label}`);
  await visit(page, url);
  const cell = page.locator(`tr[data-trace-id="${traceId}"] td:first-child .argus-mono`);
  assert.equal(await cell.textContent(), expected, `hydrated page in ${zone}`);
  assert.ok((await page.textContent("thead")).includes(`Start (${label})`));
}
