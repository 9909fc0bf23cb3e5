// A 600-span trace: only the rows in view are in the DOM, scrolling brings the last span in,
// collapsing and expanding everything, and span details fetched on demand (large traces carry
// none in the page).
// options: { traceId, count, lastSpanId }
import assert from "node:assert/strict";

const ROWS = "[data-waterfall] [role='treeitem']";

async function waitFor(page, check, what) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await page.waitForTimeout(30);
  }
  throw new Error(`Never saw ${what}`);
}

export async function run({ openPage, visit, options }) {
  const page = await openPage();
  await visit(page, `/traces/${options.traceId}`);
  const waterfall = "[data-waterfall]";
  assert.equal(await page.getAttribute(waterfall, "data-span-count"), String(options.count));
  assert.equal(await page.getAttribute(waterfall, "data-row-count"), String(options.count));
  const domRows = await page.$$eval(ROWS, (r) => r.length);
  assert.ok(domRows > 5 && domRows < 80, `${domRows} rows in the DOM for ${options.count} spans`);
  assert.equal(await page.$(`[data-span-id='${options.lastSpanId}']`), null);

  // Scrolling to the end brings the last span in, and still few rows.
  await page.$eval(waterfall, (element) => (element.scrollTop = element.scrollHeight));
  await page.waitForSelector(`[data-span-id='${options.lastSpanId}']`);
  const atEnd = await page.$$eval(ROWS, (r) => r.length);
  assert.ok(atEnd < 80, `${atEnd} rows in the DOM at the end`);

  // End and Home from the keyboard.
  await page.focus(`[data-span-id='${options.lastSpanId}']`);
  await page.keyboard.press("Home");
  await waitFor(
    page,
    async () => (await page.evaluate(() => document.activeElement?.dataset.depth)) === "0",
    "the root focused",
  );

  // Details of a large trace load when a span is opened.
  const rowSpan = await page.$eval(
    `${ROWS}[data-depth='2']`,
    (row) => row.dataset.spanId,
  );
  await page.click(`[data-span-id='${rowSpan}']`);
  await page.waitForSelector(`[data-span-panel='${rowSpan}'] [data-attr-key='row']`);

  // Collapse all leaves the root; expand all brings back every row.
  await page.click("button:has-text('Collapse all')");
  await waitFor(
    page,
    async () => (await page.getAttribute(waterfall, "data-row-count")) === "1",
    "one row",
  );
  assert.equal(await page.$$eval(ROWS, (r) => r.length), 1);
  await page.click("button:has-text('Expand all')");
  await waitFor(
    page,
    async () => (await page.getAttribute(waterfall, "data-row-count")) === String(options.count),
    "every row",
  );

  // ?span= deep in the trace scrolls to it as the page loads.
  await visit(page, `/traces/${options.traceId}?span=${options.lastSpanId}`);
  assert.equal(
    await page.getAttribute(`[data-span-id='${options.lastSpanId}']`, "aria-selected"),
    "true",
  );
  const box = await page.$eval(`[data-span-id='${options.lastSpanId}']`, (row) => {
    const r = row.getBoundingClientRect();
    const s = row.closest("[data-waterfall]").getBoundingClientRect();
    return { top: r.top - s.top, bottom: s.bottom - r.bottom };
  });
  assert.ok(box.top >= 34 && box.bottom >= 0, `the span is in view: ${JSON.stringify(box)}`);
  await page.waitForSelector(`[data-span-panel='${options.lastSpanId}'] [data-panel-span-id]`);

  // A span id the trace lacks is said so.
  await visit(page, `/traces/${options.traceId}?span=00000000000000ff`);
  await page.waitForSelector("[data-missing-span]");
  assert.equal(await page.$("[data-span-panel]"), null);
  return { domRows };
}
