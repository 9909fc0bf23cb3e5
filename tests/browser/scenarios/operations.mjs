// A service's operations page (issue 14): reached from the Service Map's node panel with the map's
// range, it shows each operation's figures as the API counted them, sorts by a column through
// the URL, and an operation links to its traces in the same range.
// options: { expected: { [operation]: { requests, errors, error_rate, p50_ms, p99_ms } } }
import assert from "node:assert/strict";

const cellText = (row, field) => row.locator(`[data-cell='${field}']`).innerText();

async function operationOrder(page) {
  return await page.$$eval(
    "[data-operations-table] tbody tr",
    (rows) => rows.map((row) => row.dataset.operation),
  );
}

export async function run({ openPage, visit, options }) {
  const page = await openPage();
  await visit(page, "/service-map?range=15m");
  await page.waitForSelector("[data-service-map][data-loading='false']");
  await page.click("[data-service-operations='checkout']");
  await page.waitForURL((url) =>
    url.pathname === "/services/checkout" && url.searchParams.get("range") === "15m"
  );
  await page.waitForSelector("html[data-ready='true']");
  await page.waitForSelector("[data-operations-table]");
  assert.equal(await page.getAttribute("[data-operations-total]", "data-operations-total"), "2");

  // Most requests first by default, each figure as counted.
  assert.deepEqual(await operationOrder(page), ["POST /orders", "charge card"]);
  for (const [operation, figures] of Object.entries(options.expected)) {
    const row = page.locator(`[data-operations-table] tbody tr[data-operation='${operation}']`);
    for (const [field, text] of Object.entries(figures)) {
      assert.equal(await cellText(row, field), text, `${operation} ${field}`);
    }
  }
  // The entry operation is marked, the client one is not.
  assert.equal(
    await page.locator("tr[data-operation='POST /orders']").getByText("entry").count(),
    1,
  );
  assert.equal(
    await page.locator("tr[data-operation='charge card']").getByText("entry").count(),
    0,
  );

  // Sorting by error rate: highest first (charge card's 25%), then lowest first.
  await page.click("th[data-sort-field='error_rate'] a");
  await page.waitForURL((url) => url.searchParams.get("sort") === "error_rate");
  assert.equal(new URL(page.url()).searchParams.get("range"), "15m");
  assert.equal(
    await page.getAttribute("th[data-sort-field='error_rate']", "aria-sort"),
    "descending",
  );
  assert.deepEqual(await operationOrder(page), ["charge card", "POST /orders"]);
  await page.click("th[data-sort-field='error_rate'] a");
  await page.waitForURL((url) => url.searchParams.get("order") === "asc");
  assert.deepEqual(await operationOrder(page), ["POST /orders", "charge card"]);

  // An operation's traces, in the same range.
  await page.click("tr[data-operation='POST /orders'] a[data-operation-traces]");
  await page.waitForURL((url) => url.pathname === "/traces");
  await page.waitForSelector("html[data-ready='true']");
  await page.waitForSelector("[data-trace-table] tbody tr[data-trace-id]");
  const rows = await page.$$eval("[data-trace-table] tbody tr[data-trace-id]", (r) => r.length);
  assert.equal(rows, 12);
  const url = new URL(page.url());
  return { landed: `${url.pathname}${url.search}` };
}
