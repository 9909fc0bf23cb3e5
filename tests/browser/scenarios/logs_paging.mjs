// The Logs page's pages, against Argus holding tests/ui_logs_data.ts's `pagingRequests` (2,500
// records, five to a nanosecond): "Load older" at the end of the list reads the records just
// older than the oldest listed until the oldest of the window; past the list's capacity (2,000)
// the newest give way and "Load newer" above the list brings them back; every record is listed
// once, in order, none skipped; oldest first (in the URL) lists from the oldest; and the search's
// matches are marked, as text, in the list and the details. Options: { total, markupRecord }.
import assert from "node:assert/strict";

const body = (n) => `paging record ${String(n).padStart(4, "0")}`;
const seq = (text) => Number(/^paging record (\d{4})/.exec(text)?.[1] ?? NaN);
/**
 * The nanosecond of record `n`: records 1–5 share the first, 6–10 the next… Among records of
 * one nanosecond the list orders by id, so the scenario checks places by nanosecond.
 */
const SAME_TIME = 5;
const nanosecond = (n) => Math.ceil(n / SAME_TIME);

async function until(what, predicate, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const listed = async (page) =>
  Number(await page.getAttribute("[data-log-stream-stats]", "data-rows"));

/**
 * Every listed record, scrolling the virtualized list from top to bottom: [{index, id, seq}] by
 * index. Each step waits until the rows of the viewport are rendered.
 */
function sweep(page) {
  return page.locator(".argus-logs-scroll").evaluate(async (scroller) => {
    const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
    const rows = new Map();
    const collect = () => {
      for (const row of scroller.querySelectorAll("[data-log-row]")) {
        const text = row.querySelector(".argus-log-body").textContent;
        rows.set(Number(row.dataset.index), { id: row.dataset.logId, text });
      }
    };
    scroller.scrollTo(0, 0);
    for (let step = 0; step < 1_000; step++) {
      const first = Math.floor(scroller.scrollTop / 34);
      for (let wait = 0; wait < 60; wait++) {
        await frame();
        if (scroller.querySelector(`[data-log-row][data-index="${first}"]`)) break;
      }
      collect();
      if (scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 1) break;
      scroller.scrollBy(0, Math.floor(scroller.clientHeight * 0.8));
    }
    return [...rows.entries()].sort((a, b) => a[0] - b[0]).map(([index, row]) => ({
      index,
      ...row,
    }));
  }).then((rows) => rows.map((row) => ({ ...row, seq: seq(row.text) })));
}

/** The first listed record's number, scrolled to the top; NaN while it is not rendered. */
async function firstSeq(page) {
  await page.locator(".argus-logs-scroll").evaluate((element) => element.scrollTo(0, 0));
  await page.waitForTimeout(30);
  const first = page.locator("[data-log-row][data-index='0'] .argus-log-body");
  return (await first.count()) > 0 ? seq(await first.textContent()) : NaN;
}

/**
 * The number of the record at `index`, scrolled to the top or the bottom until its row is
 * rendered (scrolling again: a list that just changed may still move its rows to keep the one in
 * view where it was).
 */
async function seqAt(page, index, where) {
  const scroller = page.locator(".argus-logs-scroll");
  const row = page.locator(`[data-log-row][data-index='${index}'] .argus-log-body`);
  await until(`row ${index} to be rendered`, async () => {
    await scroller.evaluate(
      (element, top) => element.scrollTo(0, top ? 0 : element.scrollHeight),
      where === "top",
    );
    await page.waitForTimeout(30);
    return (await row.count()) > 0;
  });
  return seq(await row.textContent());
}

/** The first and last listed records' numbers. */
async function ends(page) {
  const first = await seqAt(page, 0, "top");
  return [first, await seqAt(page, (await listed(page)) - 1, "bottom")];
}

/**
 * Checks the list holds exactly the records `from` down (or up) to `to`, each once, in time order
 * (records of one nanosecond in any order among themselves); answers [from, to, rows].
 */
function assertRun(rows, from, to) {
  const low = Math.min(from, to);
  const expected = Array.from({ length: Math.abs(to - from) + 1 }, (_, i) => low + i);
  assert.deepEqual(rows.map((row) => row.index), expected.map((_, i) => i), "every row was seen");
  assert.deepEqual(rows.map((row) => row.seq).sort((a, b) => a - b), expected, "the records");
  const times = rows.map((row) => nanosecond(row.seq));
  const ordered = times.every((t, i) =>
    i === 0 || (from > to ? t <= times[i - 1] : t >= times[i - 1])
  );
  assert.ok(ordered, `not in time order: ${times.join(",")}`);
  assert.equal(new Set(rows.map((row) => row.id)).size, rows.length, "an id is listed twice");
  return [from, to, rows.length];
}

async function clickAtEnd(page, selector) {
  await page.locator(".argus-logs-scroll").evaluate((element) =>
    element.scrollTo(0, element.scrollHeight)
  );
  await page.click(selector);
}

/** What the page shows of its pages: for a failure's message. */
function pageState(page) {
  return page.evaluate(() => ({
    count: document.querySelector("[data-log-count]")?.textContent,
    note: document.querySelector("[data-cap-note]")?.textContent,
    rows: document.querySelector("[data-log-stream-stats]")?.dataset.rows,
    older: document.querySelector("[data-load-older]") !== null,
    newer: document.querySelector("[data-load-newer]") !== null,
    error: document.querySelector("[data-log-error]")?.textContent,
  }));
}

/** Runs the scenario; a failure names the step it failed in and what the page showed. */
export async function run(context) {
  const steps = [];
  try {
    return await scenario(context, steps);
  } catch (error) {
    const shown = steps.page ? JSON.stringify(await pageState(steps.page).catch(() => null)) : "";
    error.message = `in "${steps.at(-1) ?? "the start"}…" (${shown}): ${error.message}`;
    throw error;
  }
}

async function scenario({ openPage, visit, options }, steps) {
  const { total, markupRecord } = options;
  const page = await openPage();
  steps.page = page;
  const answer = {};

  // The first page: the newest 1,000 of the window, newest first.
  steps.push("the first page");
  await visit(page, "/logs?range=15m");
  const count = () => page.textContent("[data-log-count]");
  assert.match(await count(), /^1,000 of 2,500 records in the last 15 minutes/);
  assert.deepEqual((await ends(page)).map(nanosecond), [total, total - 999].map(nanosecond));
  assert.match(await page.textContent("[data-cap-note]"), /“Load older” at the end of the list/);
  assert.equal(await page.locator("[data-load-newer]").count(), 0);

  // Load older, twice: the second reaches the window's oldest record; 2,000 are kept, so the
  // 500 newest give way and "Load newer" is offered above the list.
  steps.push("load older");
  await clickAtEnd(page, "[data-load-older]");
  await until("the second page", async () => (await listed(page)) === 2_000);
  assert.match(await count(), /^2,000 of 2,500 records/);
  assert.match(await page.textContent("[data-cap-note]"), /^Not refreshed while you page/);
  assert.equal(await page.locator("[data-load-newer]").count(), 0);
  await clickAtEnd(page, "[data-load-older]");
  await until("the oldest records", async () => {
    const [, last] = await ends(page);
    return nanosecond(last) === 1;
  });
  await page.waitForSelector("[data-load-older]", { state: "detached" });
  await page.waitForSelector("[data-load-newer]");
  assert.equal(await listed(page), 2_000);
  const oldest = await sweep(page);
  answer.afterLoadingOlder = assertRun(oldest, 2_000, 1);
  // Markup in a body is text: nothing of it is an element.
  steps.push("markup as text");
  const markup = oldest.find((row) => row.seq === markupRecord);
  assert.match(markup.text, /<b>bold<\/b> <img src=x/);
  assert.equal(await page.evaluate(() => globalThis.__argusInjected), undefined);

  // Load newer: the newest come back, the oldest give way.
  steps.push("load newer");
  await page.locator(".argus-logs-scroll").evaluate((element) => element.scrollTo(0, 0));
  await page.click("[data-load-newer]");
  await until("the newest records", async () => {
    const [first] = await ends(page);
    return nanosecond(first) === nanosecond(total);
  });
  const newest = await sweep(page);
  answer.afterLoadingNewer = assertRun(newest, total, total - 1_999);
  await page.waitForSelector("[data-load-older]");
  await page.waitForSelector("[data-load-newer]", { state: "detached" });
  // Back to the first page: the newest 1,000, refreshed again.
  steps.push("back to the first page");
  await page.click("[data-first-page]");
  await until("the first page", async () => (await listed(page)) === 1_000);
  assert.equal(await page.locator("[data-first-page]").count(), 0);

  // Oldest first, in the URL: from the window's oldest, "Load newer" at the end goes on.
  steps.push("oldest first");
  await page.getByRole("textbox", { name: "Order" }).click();
  await page.getByRole("option", { name: "Oldest first" }).click();
  await page.waitForURL((url) => url.searchParams.get("order") === "asc");
  await until("the oldest first", async () => {
    return nanosecond(await firstSeq(page)) === 1 && (await listed(page)) === 1_000;
  });
  assert.equal(
    await page.getAttribute(".argus-logs-scroll", "aria-label"),
    "Log records, oldest first",
  );
  assert.match(await page.textContent("[data-cap-note]"), /“Load newer” at the end of the list/);
  await clickAtEnd(page, "[data-load-newer]");
  await until("the next records", async () => (await listed(page)) === 2_000);
  const ascending = await sweep(page);
  answer.oldestFirst = assertRun(ascending, 1, 2_000);
  // The order survives a reload: it is the URL's.
  steps.push("reload");
  await visit(page, new URL(page.url()).pathname + new URL(page.url()).search);
  assert.equal(
    nanosecond(
      seq(await page.locator("[data-log-row]").first().locator(".argus-log-body").textContent()),
    ),
    1,
  );

  // The search's matches (a phrase: utils/text_query.ts) are marked, ignoring case, in the list
  // and in the details.
  steps.push("marked matches");
  await page.getByRole("textbox", { name: "Search messages" }).fill('"RECORD 004"');
  await page.waitForURL(/search=%22RECORD\+004%22/);
  await until("the matching records", async () => (await listed(page)) === 10);
  const marks = await page.locator("[data-log-row] mark.argus-match").allTextContents();
  assert.equal(marks.length, 10);
  assert.ok(marks.every((mark) => mark === "record 004"), marks.join(", "));
  const row = page.locator("[data-log-row] .argus-log-summary", { hasText: body(42) });
  await row.click();
  await page.waitForSelector("[data-log-details]");
  assert.deepEqual(
    await page.locator(".argus-log-fullbody mark.argus-match").allTextContents(),
    ["record 004"],
  );
  answer.marked = marks.length;
  // Markup matched by the search is marked as text too.
  steps.push("marked markup");
  await page.getByRole("textbox", { name: "Search messages" }).fill("<img");
  await page.waitForURL(/search=%3Cimg/);
  await until("the record with markup", async () => (await listed(page)) === 1);
  assert.deepEqual(await page.locator("[data-log-row] mark.argus-match").allTextContents(), [
    "<img",
  ]);
  assert.equal(await page.locator("[data-log-list] img, [data-log-list] b").count(), 0);
  assert.equal(await page.evaluate(() => globalThis.__argusInjected), undefined);
  return answer;
}
