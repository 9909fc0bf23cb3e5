// A huge trace (tests/ui_trace_huge_test.ts): the page shows the server's rendering of the
// waterfall, then the browser fetches the structure once (the page's preload, taken by the island)
// and draws the interactive waterfall from it (no request for the full trace); opening a span
// fetches its details alone, and the in-trace search finds a span by an attribute value,
// highlights it and scrolls it into view; Enter and Shift+Enter step through several matches.
// options: { traceId, count, target, charges }
import assert from "node:assert/strict";

const ROWS = "[data-waterfall] [role='treeitem']";
const SEARCH = "[data-trace-search] input";
const STATUS = "[data-trace-search-status]";

async function waitFor(page, check, what) {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await page.waitForTimeout(30);
  }
  throw new Error(`Never saw ${what}`);
}

/** Where a row is within the waterfall's scrolled box, px (head is the sticky ruler). */
function inView(page, spanId) {
  return page.$eval(`[data-span-id='${spanId}']`, (row) => {
    const r = row.getBoundingClientRect();
    const s = row.closest("[data-waterfall]").getBoundingClientRect();
    return r.top - s.top >= 34 && s.bottom - r.bottom >= 0;
  });
}

export async function run({ openPage, visit, options }) {
  const page = await openPage();
  const requests = [];
  page.on("request", (request) => requests.push(new URL(request.url()).pathname));
  const base = `/api/traces/${options.traceId}`;

  const started = Date.now();
  await visit(page, `/traces/${options.traceId}`);
  const waterfall = "[data-waterfall]";
  // The server's rendering gives way to the island's once the structure is here.
  await page.waitForSelector("[data-trace-preview]", { state: "detached" });
  assert.equal(await page.getAttribute(waterfall, "data-span-count"), String(options.count));
  assert.equal(
    await page.textContent(`[data-trace-header='${options.traceId}'] [data-figure='Spans']`),
    `${(options.count / 1000).toFixed(0)}k`,
  );
  const domRows = await page.$$eval(ROWS, (r) => r.length);
  assert.ok(domRows > 5 && domRows < 80, `${domRows} rows in the DOM for ${options.count} spans`);
  const paintMs = Date.now() - started;
  assert.deepEqual(
    requests.filter((path) => path.startsWith("/api/traces")),
    [`${base}/structure`],
    "the page asks the API for the structure, once, before a span is opened",
  );

  // Opening a span fetches its details, and only its.
  const opened = await page.$eval(`${ROWS}[data-depth='2']`, (row) => row.dataset.spanId);
  await page.click(`[data-span-id='${opened}']`);
  await page.waitForSelector(`[data-span-panel='${opened}'] [data-attr-key='order.seq']`);
  assert.deepEqual(requests.filter((path) => path.startsWith("/api/traces")), [
    `${base}/structure`,
    `${base}/spans/${opened}`,
  ]);

  // The search finds the span by an attribute value far down the trace and scrolls to it.
  assert.equal(await page.$(`[data-span-id='${options.target}']`), null, "not rendered yet");
  await page.fill(SEARCH, "ORD-000298");
  await waitFor(
    page,
    async () => (await page.textContent(STATUS))?.trim() === "1 of 1",
    "the search status 1 of 1",
  );
  await page.waitForSelector(`[data-span-id='${options.target}'][data-match='current']`);
  await waitFor(page, () => inView(page, options.target), "the match scrolled into view");
  assert.ok(requests.includes(`${base}/search`), "the search asked the server");
  assert.equal(
    await page.evaluate(() => document.activeElement?.closest("[data-trace-search]") !== null),
    true,
    "the focus stays in the search box",
  );

  // Several matches: Enter steps forward, Shift+Enter back, each scrolled to and highlighted.
  await page.fill(SEARCH, "charge card");
  await waitFor(
    page,
    async () => (await page.textContent(STATUS))?.trim() === "1 of 3",
    "1 of 3",
  );
  // Matches come in tree order, which is not the order the spans were sent in.
  const current = async () => {
    await waitFor(page, async () => (await page.$("[data-match='current']")) !== null, "a match");
    const id = await page.getAttribute("[data-match='current']", "data-span-id");
    await waitFor(page, () => inView(page, id), `match ${id} in view`);
    return id;
  };
  const seen = [await current()];
  await page.press(SEARCH, "Enter");
  await waitFor(page, async () => (await page.textContent(STATUS))?.trim() === "2 of 3", "2 of 3");
  seen.push(await current());
  await page.press(SEARCH, "Shift+Enter");
  await page.press(SEARCH, "Shift+Enter");
  await waitFor(page, async () => (await page.textContent(STATUS))?.trim() === "3 of 3", "3 of 3");
  seen.push(await current());
  assert.deepEqual([...seen].sort(), [...options.charges].sort(), "each match once");

  await page.fill(SEARCH, "no span has this");
  await waitFor(
    page,
    async () => (await page.textContent(STATUS))?.trim() === "No matches",
    "No matches",
  );
  assert.equal(await page.$("[data-match]"), null);
  assert.ok(
    !requests.includes(base),
    `the full trace was never downloaded: ${JSON.stringify(requests)}`,
  );
  return { domRows, paintMs };
}
