// The Logs page against Argus holding tests/ui_logs_data.ts's records: the list renders them
// (virtualized), rows expand with the keyboard, the ±1 min context opens, filters go to the URL,
// the Live toggle streams new records over exactly one WebSocket (also across re-renders and
// toggles) and closes it when switched off or when the page is left, and a record's trace link
// opens its trace. Options: { otlpHttpUrl, refreshBatch: request, liveBatches: [request ×4],
// traced: {body, traceId, spanId}, errorBody, screenshots: bool }.
import assert from "node:assert/strict";
import { saveScreenshots } from "../screenshots.mjs";

async function post(otlpHttpUrl, request) {
  const response = await fetch(`${otlpHttpUrl}/v1/logs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
  });
  assert.equal(response.status, 200, `OTLP/HTTP answered ${response.status}`);
  await response.arrayBuffer();
}

/** Bodies of a request's records. */
function bodies(request) {
  return request.resourceLogs[0].scopeLogs[0].logRecords.map((r) => r.body.stringValue);
}

/** Every WebSocket the page opens, with whether it has closed and the items it received. */
function trackSockets(page) {
  const sockets = [];
  page.on("websocket", (ws) => {
    const entry = { url: ws.url(), closed: false, items: 0 };
    sockets.push(entry);
    ws.on("framereceived", (frame) => {
      try {
        const items = JSON.parse(frame.payload);
        if (Array.isArray(items)) entry.items += items.length;
      } catch {
        // not JSON: not counted
      }
    });
    ws.on("close", () => (entry.closed = true));
  });
  return {
    sockets,
    open: () => sockets.filter((s) => !s.closed).length,
  };
}

async function until(what, predicate, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** WebSocket clients Argus counts (`active_connections` of /api/health). */
async function liveClients(baseUrl) {
  const response = await fetch(new URL("/api/health", baseUrl));
  return (await response.json()).active_connections;
}

const summary = (page, body) =>
  page.locator("[data-log-row] .argus-log-summary", { hasText: body }).first();

/** Switches Live on or off with the keyboard (the switch's input is visually hidden). */
async function setLive(page, on) {
  const toggle = page.getByRole("switch", { name: "Live" });
  if ((await toggle.isChecked()) === on) return;
  await toggle.focus();
  await page.keyboard.press("Space");
  await until(`Live ${on ? "on" : "off"}`, async () => (await toggle.isChecked()) === on);
}

/** The row of `body`, scrolling the virtualized list down until it is rendered. */
async function scrollToRow(page, body) {
  const scroller = page.locator(".argus-logs-scroll");
  await scroller.evaluate((element) => element.scrollTo(0, 0));
  for (let i = 0; i < 200; i++) {
    if (await summary(page, body).count() > 0) return summary(page, body);
    await scroller.evaluate((element) => element.scrollBy(0, element.clientHeight * 0.7));
    await page.waitForTimeout(30);
  }
  throw new Error(`No row of ${JSON.stringify(body)} in the list`);
}

export async function run({ openPage, visit, options, baseUrl }) {
  const { otlpHttpUrl, liveBatches, traced, errorBody } = options;
  const page = await openPage();
  const ws = trackSockets(page);
  const answer = {};

  // The list, server-rendered and hydrated.
  await visit(page, "/logs");
  assert.equal(await page.title(), "Logs · Argus");
  assert.equal(await page.textContent("a[aria-current='page']"), "Logs");
  const rows = await page.locator("[data-log-row]").count();
  answer.rowsInDom = rows;
  assert.ok(rows > 10, `only ${rows} rows rendered`);
  assert.match(
    await page.textContent("[data-log-count]"),
    /^(\d+) of \1 records in the last 5 minutes/,
  );
  answer.count = await page.textContent("[data-log-count]");
  // Newest first: the FATAL record of a few seconds ago is on top.
  assert.match(
    await page.locator("[data-log-row]").first().textContent(),
    /FATAL.*Connection pool/,
  );
  assert.equal(ws.sockets.length, 0, "a WebSocket opened while Live is off");

  // Virtualized: scrolled to the oldest record, the DOM still holds a screenful of rows.
  await scrollToRow(page, "Listening on :8080");
  answer.rowsInDomScrolled = await page.locator("[data-log-row]").count();
  assert.ok(answer.rowsInDomScrolled < 60, `${answer.rowsInDomScrolled} rows in the DOM`);

  // Expand with the keyboard: Enter opens, Space closes.
  const errorRow = await scrollToRow(page, errorBody);
  await errorRow.focus();
  await page.keyboard.press("Enter");
  await page.waitForSelector("[data-log-details] table[aria-label='Attributes']");
  assert.equal(await errorRow.getAttribute("aria-expanded"), "true");
  const attributes = await page.locator(
    "[data-log-details] table[aria-label='Attributes'] [data-attribute]",
  ).allTextContents();
  answer.attributes = attributes;
  assert.ok(attributes.some((a) => a.startsWith("db.lock_wait_ms") && a.endsWith("800")));
  const resource = await page.locator(
    "[data-log-details] table[aria-label='Resource attributes']",
  ).textContent();
  assert.match(resource, /host\.name.*inventory-7f9c4/);
  assert.match(
    await page.locator("[data-log-details] table[aria-label='Instrumentation scope']")
      .textContent(),
    /@shop\/inventory-service/,
  );
  assert.match(await page.locator(".argus-log-fullbody").textContent(), /at reserveStock/);

  if (options.screenshots) {
    await page.locator(".argus-logs-scroll").evaluate((element) => element.scrollTo(0, 0));
    await page.evaluate(() => document.activeElement?.blur());
    await page.mouse.move(0, 0);
    await page.waitForTimeout(300);
    await saveScreenshots(page, "docs/screenshots/logs.png");
  }

  // ±1 min context: the record among its service's neighbours, highlighted.
  await page.getByRole("button", { name: "±1 min context" }).click();
  await page.waitForSelector("[data-context-list] [data-anchor]");
  const anchorText = await page.textContent("[data-context-list] [data-anchor]");
  assert.ok(anchorText.includes("Database lock timeout"), anchorText);
  const contextRows = await page.locator("[data-context-list] [data-context-row]").count();
  answer.contextRows = contextRows;
  assert.ok(contextRows > 3, `context shows ${contextRows} rows`);
  await page.keyboard.press("Escape");
  await page.waitForSelector("[data-context-list]", { state: "detached" });
  await errorRow.focus();
  await page.keyboard.press(" ");
  await until(
    "the row to collapse",
    async () => (await errorRow.getAttribute("aria-expanded")) === "false",
  );
  if (options.screenshots) {
    // The context of a record with neighbours on both sides.
    const declined = await scrollToRow(page, traced.body);
    await declined.click();
    await page.getByRole("button", { name: "±1 min context" }).click();
    await page.waitForSelector("[data-context-list] [data-anchor]");
    await page.waitForTimeout(400); // the dialog's transition
    await saveScreenshots(page, "docs/screenshots/logs-context.png");
    await page.keyboard.press("Escape");
    await page.waitForSelector("[data-context-list]", { state: "detached" });
    await (await scrollToRow(page, traced.body)).click();
  }

  // Live off, the list is read again every 10 s: a record sent now shows up without a socket.
  const [refreshed] = bodies(options.refreshBatch);
  await post(otlpHttpUrl, options.refreshBatch);
  const sentAt = Date.now();
  await summary(page, refreshed).waitFor({ timeout: 15_000 });
  answer.refreshedAfterMs = Date.now() - sentAt;
  assert.equal(ws.sockets.length, 0, "a WebSocket opened while Live is off");

  // Filters go to the URL and narrow the list.
  await page.getByRole("textbox", { name: "Minimum severity" }).click();
  await page.getByRole("option", { name: "Error and above" }).click();
  await page.waitForURL(/severity=error/);
  await until("only errors listed", async () => {
    const levels = await page.locator("[data-log-row] .argus-log-sev").allTextContents();
    return levels.length > 0 && levels.every((l) => l === "ERROR" || l === "FATAL");
  });
  await page.getByRole("textbox", { name: "Search messages" }).fill('"card declined"');
  await page.waitForURL(/search=%22card\+declined%22/);
  await until("only declined cards listed", async () => {
    const texts = await page.locator("[data-log-row] .argus-log-body").allTextContents();
    return texts.length > 0 && texts.every((t) => /card declined/i.test(t));
  });
  answer.filteredUrl = new URL(page.url()).search;
  await page.getByRole("button", { name: "Clear the search" }).click();
  await page.getByRole("textbox", { name: "Minimum severity" }).click();
  await page.getByRole("option", { name: "Info and above" }).click();
  await page.waitForURL((url) =>
    url.searchParams.get("severity") === "info" && !url.searchParams.has("search")
  );

  // Live: one WebSocket, new records at the top, duplicates once.
  await setLive(page, true);
  await page.waitForSelector("[data-live-state='open']");
  assert.equal(ws.sockets.length, 1);
  assert.match(ws.sockets[0].url, /\/ws\?severity=info$/);
  const [first, second, third, fourth] = liveBatches;
  await post(otlpHttpUrl, first);
  for (const body of bodies(first)) await summary(page, body).waitFor();
  assert.match(
    await page.locator("[data-log-row] .argus-log-body").first().textContent(),
    /^live record a/,
  );
  // The same request again (a retry): streamed twice, listed once.
  const received = ws.sockets[0].items;
  await post(otlpHttpUrl, first);
  await until(
    "the retried records to arrive",
    () => ws.sockets[0].items >= received + bodies(first).length,
  );
  await page.waitForTimeout(100);
  for (const body of bodies(first)) {
    const listed = page.locator("[data-log-row] .argus-log-body", {
      hasText: new RegExp(`^${body}$`),
    });
    assert.equal(await listed.count(), 1, `${body} is listed more than once`);
  }
  // Re-renders (expanding a streamed row, typing a search) keep the one socket.
  await summary(page, bodies(first)[0]).click();
  await page.getByRole("textbox", { name: "Search messages" }).fill("live record");
  await page.waitForURL(/search=live/);
  await post(otlpHttpUrl, second);
  for (const body of bodies(second)) await summary(page, body).waitFor();
  assert.equal(ws.sockets.length, 1, "a second WebSocket was opened");
  assert.equal(ws.open(), 1);
  assert.equal(await liveClients(baseUrl), 1);
  // Scrolled away from the newest, the list holds still; what arrives waits, then joins it.
  await page.getByRole("button", { name: "Clear the search" }).click();
  await page.waitForURL((url) => !url.searchParams.has("search"));
  await until(
    "the list to be read again",
    async () => Number(await page.getAttribute("[data-log-stream-stats]", "data-rows")) > 40,
  );
  const scroller = page.locator(".argus-logs-scroll");
  await scroller.evaluate((element) => element.scrollTo(0, 300));
  await page.waitForSelector("[data-cap-note]:has-text('Paused while you scroll')");
  const firstInView = await page.locator("[data-log-row]").first().getAttribute("data-log-id");
  // Records listed already are not new, even when the stream brings them again (a retry).
  const streamed = ws.sockets[0].items;
  await post(otlpHttpUrl, first);
  await post(otlpHttpUrl, third);
  await until(
    "the retried and the new records to arrive",
    () => ws.sockets[0].items >= streamed + bodies(first).length + bodies(third).length,
  );
  await page.waitForSelector("[data-newest]:has-text('3 new')");
  await page.waitForTimeout(100);
  assert.equal(await page.locator("[data-newest]").textContent(), "↑ 3 new");
  assert.equal(await summary(page, bodies(third)[0]).count(), 0);
  assert.equal(
    await page.locator("[data-log-row]").first().getAttribute("data-log-id"),
    firstInView,
  );
  await page.locator("[data-newest]").click();
  for (const body of bodies(third)) await summary(page, body).waitFor();
  assert.equal(await page.locator("[data-cap-note]").count(), 0);
  // Pause holds the list at the top too (a row being read stays put); Resume shows what waited.
  await page.click("[data-live-pause]");
  await page.waitForSelector("[data-live-pause][aria-pressed='true']");
  await page.waitForSelector("[data-cap-note]:has-text('Paused: ')");
  const beforePause = ws.sockets[0].items;
  await post(otlpHttpUrl, fourth);
  await until(
    "the records sent while paused to arrive",
    () => ws.sockets[0].items >= beforePause + bodies(fourth).length,
  );
  await page.waitForSelector("[data-cap-note]:has-text('Paused: 3 new records waiting')");
  assert.equal(await summary(page, bodies(fourth)[0]).count(), 0);
  await page.click("[data-live-pause]");
  for (const body of bodies(fourth)) await summary(page, body).waitFor();
  assert.equal(await page.locator("[data-cap-note]").count(), 0);
  // A filter the stream applies reopens it: the old one closed first, one open.
  await page.getByRole("textbox", { name: "Minimum severity" }).click();
  await page.getByRole("option", { name: "Error and above" }).click();
  await page.waitForSelector("[data-live-state='open']");
  await until("the old socket to close", () => ws.open() === 1 && ws.sockets.length === 2);
  assert.match(ws.sockets[1].url, /severity=error/);
  answer.liveSockets = ws.sockets.map((s) => ({ url: new URL(s.url).search, closed: s.closed }));

  // Off closes it; on again opens exactly one more.
  await setLive(page, false);
  await until("the socket to close", () => ws.open() === 0);
  await until("Argus to count no live client", async () => (await liveClients(baseUrl)) === 0);
  assert.equal(await page.locator("[data-live-state]").count(), 0);
  await setLive(page, true);
  await page.waitForSelector("[data-live-state='open']");
  await page.waitForTimeout(300);
  assert.equal(ws.sockets.length, 3);
  assert.equal(ws.open(), 1);
  assert.equal(await liveClients(baseUrl), 1);

  // The Trace page's link to a span's logs (trace, span, the trace's time ± 1 min): leaving this
  // page for it closes the socket.
  const spanLogs = new URLSearchParams({
    trace_id: traced.traceId,
    span_id: traced.spanId,
    start: String(Math.floor(traced.atMs) - 60_000),
    end: String(Math.ceil(traced.atMs) + 60_000),
  });
  await page.goto(new URL(`/logs?${spanLogs}`, page.url()).href);
  await page.waitForSelector("html[data-ready='true']");
  // (Playwright reports no close for a page left, Argus does.)
  await until(
    "the socket of the page left to close",
    async () => (await liveClients(baseUrl)) === 0,
  );
  await page.waitForSelector("[data-trace-filter]");
  await page.waitForSelector("[data-span-filter]");
  await page.waitForSelector("[data-window-filter]");
  answer.spanLogs = await page.locator("[data-log-row] .argus-log-body").allTextContents();
  assert.ok(answer.spanLogs.includes(traced.body), answer.spanLogs.join("\n"));
  const hrefs = await page.locator("[data-log-row] a.argus-log-trace").evaluateAll((links) =>
    links.map((link) => link.getAttribute("href"))
  );
  assert.deepEqual(
    hrefs,
    answer.spanLogs.map(() => `/traces/${traced.traceId}?span=${traced.spanId}`),
  );
  assert.match(
    await page.textContent("[data-log-count]"),
    /^(\d+) of \1 records from \d{4}-\d\d-\d\d \d\d:\d\d – \d{4}-\d\d-\d\d \d\d:\d\d \(UTC\)/,
  );
  if (options.screenshots) {
    await saveScreenshots(page, "docs/screenshots/logs-span.png");
  }

  // A record's trace link opens its trace, with its span highlighted.
  const link = page.locator("[data-log-row]", { hasText: traced.body }).locator(
    "a.argus-log-trace",
  );
  assert.equal(
    await link.getAttribute("href"),
    `/traces/${traced.traceId}?span=${traced.spanId}`,
  );
  await link.click();
  await page.waitForURL((url) =>
    url.pathname === `/traces/${traced.traceId}` && url.searchParams.get("span") === traced.spanId
  );
  answer.traceUrl = new URL(page.url()).pathname + new URL(page.url()).search;
  answer.sockets = ws.sockets.length;
  return answer;
}
