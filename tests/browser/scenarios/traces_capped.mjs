// A trace list whose count stops at TRACE_COUNT_LIMIT: the header says "N+ traces", and the
// pages reach the first N, each showing its rows; the default list still counts every trace.
// options: { total: traces in the window, limit: the Argus's TRACE_COUNT_LIMIT, below total }
import assert from "node:assert/strict";

const ROWS = "[data-trace-table] tbody tr";
const TOTAL = "[data-total]";

/** The header's text once the list is loaded and `check(text, rows)` holds. */
async function headerWhen(page, check, what) {
  const deadline = Date.now() + 10_000;
  let text = "";
  let rows = [];
  while (Date.now() < deadline) {
    text = (await page.textContent(TOTAL).catch(() => "")) ?? "";
    rows = await page.$$eval(ROWS, (trs) => trs.map((tr) => tr.dataset.traceId));
    const loading = await page.$("[data-trace-table].argus-tr-loading");
    if (!loading && check(text, rows)) return { text, rows };
    await page.waitForTimeout(50);
  }
  throw new Error(`The list never showed ${what}: "${text}", ${rows.length} rows`);
}

export async function run({ openPage, visit, options }) {
  const { total, limit } = options;
  const page = await openPage();

  // Unfiltered, newest first: counted exactly.
  await visit(page, "/traces?range=1h");
  await headerWhen(page, (text) => text.startsWith(`${total} traces`), `${total} traces`);
  assert.equal(await page.$(`${TOTAL}[data-total-capped]`), null);

  // Sorted by duration, two per page: the count stops at the limit and says so.
  await visit(page, "/traces?range=1h&sort=duration&limit=2");
  const first = await headerWhen(
    page,
    (text, rows) => text.startsWith(`${limit}+ traces`) && rows.length === 2,
    `${limit}+ traces`,
  );
  assert.match(first.text, /· 1–2$/);
  assert.equal(await page.getAttribute(TOTAL, "data-total-capped"), "true");
  assert.match(await page.getAttribute(TOTAL, "title"), /TRACE_COUNT_LIMIT/);

  // The pages stop at the one holding the `limit`-th trace (with more behind it, a full page).
  const pages = Math.ceil(limit / 2);
  await page.click(`[data-pagination] button:has-text('${pages}')`);
  await page.waitForURL(new RegExp(`offset=${(pages - 1) * 2}`));
  const last = await headerWhen(
    page,
    (text, rows) =>
      text.endsWith(`· ${(pages - 1) * 2 + 1}–${(pages - 1) * 2 + rows.length}`) &&
      rows.length > 0 && !rows.some((id) => first.rows.includes(id)),
    `page ${pages}`,
  );
  // Still "at least", and never fewer than the page shows (store/bounded_count.ts).
  const shown = (pages - 1) * 2 + last.rows.length;
  assert.match(last.text, new RegExp(`^${Math.max(limit, shown)}\\+ traces`));
  assert.equal(await page.$(`[data-pagination] button:has-text('${pages + 1}')`), null);
  return { first: first.text, last: last.text };
}
