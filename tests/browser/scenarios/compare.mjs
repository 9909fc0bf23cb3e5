// Trace compare (issue 14): two traces ticked in the trace list open side by side; every row says
// whether its span is in both (with B − A) or in one only; the counts agree; the trace page's
// "Compare with" box opens the same comparison.
// options: { a: trace id, b: trace id }
import assert from "node:assert/strict";

async function comparedRows(page) {
  await page.waitForSelector("[data-compare-table]");
  const rows = await page.$$eval("[data-compare-table] tbody tr", (trs) =>
    trs.map((tr) => {
      const indent = Number.parseInt(tr.querySelector(".argus-cmp-op").style.paddingLeft, 10) / 16;
      return `${indent} ${tr.dataset.service} ${tr.dataset.operation} ${tr.dataset.match} ${
        tr.dataset.deltaMs ?? "-"
      }`;
    }));
  const count = (name) => page.getAttribute(`[data-count-${name}]`, `data-count-${name}`);
  assert.deepEqual(
    [await count("both"), await count("only-a"), await count("only-b")],
    [
      String(rows.filter((r) => r.includes(" both ")).length),
      String(rows.filter((r) => r.includes(" only_a ")).length),
      String(rows.filter((r) => r.includes(" only_b ")).length),
    ],
  );
  // Only-in-one rows say so in words, and the failed span is marked.
  for (const row of await page.$$("[data-compare-table] tbody tr[data-match='only_a']")) {
    assert.match(await row.innerText(), /only in A/);
  }
  for (const row of await page.$$("[data-compare-table] tbody tr[data-match='only_b']")) {
    assert.match(await row.innerText(), /only in B/);
  }
  assert.match(await page.locator("tr[data-service='payment']").innerText(), /error/);
  return rows;
}

export async function run({ openPage, visit, options }) {
  const page = await openPage();
  await visit(page, "/traces?range=15m");
  await page.waitForSelector(`tr[data-trace-id='${options.b}']`);
  // The compare link appears once two traces are ticked, A first.
  assert.equal(await page.$("[data-compare-link]"), null);
  await page.check(`[data-compare-pick='${options.a}']`);
  await page.check(`[data-compare-pick='${options.b}']`);
  assert.equal(new URL(page.url()).pathname, "/traces", "a tick does not open the trace");
  await page.click("[data-compare-link]");
  await page.waitForURL((url) => url.pathname === "/traces/compare");
  await page.waitForSelector("html[data-ready='true']");
  const url = new URL(page.url());
  assert.deepEqual([url.searchParams.get("a"), url.searchParams.get("b")], [options.a, options.b]);
  assert.equal(await page.getAttribute("[data-compare-trace='A']", "data-trace-id"), options.a);
  assert.equal(await page.getAttribute("[data-compare-trace='B']", "data-trace-id"), options.b);
  const fromList = await comparedRows(page);

  // From the trace page: "Compare with" B.
  await visit(page, `/traces/${options.a}`);
  await page.fill("input[data-compare-with]", options.b);
  await page.click("[data-compare-form] button[type='submit']");
  await page.waitForURL((u) => u.pathname === "/traces/compare");
  await page.waitForSelector("html[data-ready='true']");
  assert.deepEqual(await comparedRows(page), fromList);
  const landed = new URL(page.url());
  return { fromList, fromTracePage: `${landed.pathname}${landed.search}` };
}
