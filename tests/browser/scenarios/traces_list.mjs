// The trace list: rows of /api/traces, filters (status, span name, attribute chips, duration),
// sorting, pages, all in the URL with the back button, and a row opening its trace.
// options: { total, failing, showcase } — how many traces the window holds, how many have an
// error span, and the checkout trace's id (the only one with a "charge card" span).
import assert from "node:assert/strict";
import { saveScreenshots } from "../screenshots.mjs";

const ROWS = "[data-trace-table] tbody tr";

/** The list's rows once `check(rows)` holds (the list loads after each change). */
async function rowsWhen(page, check, what) {
  const deadline = Date.now() + 10_000;
  let rows = [];
  while (Date.now() < deadline) {
    rows = await page.$$eval(ROWS, (trs) =>
      trs.map((tr) => ({
        id: tr.dataset.traceId,
        duration: Number(tr.dataset.durationMs),
        spans: Number(tr.dataset.spanCount),
        errors: Number(tr.dataset.errorCount),
      })));
    const loading = await page.$("[data-trace-table].argus-tr-loading");
    if (!loading && check(rows)) return rows;
    await page.waitForTimeout(50);
  }
  throw new Error(`The list never showed ${what}: ${JSON.stringify(rows)}`);
}

const search = (page) => new URL(page.url()).searchParams;
const sorted = (values, order) =>
  values.every((v, i) => i === 0 || (order === "asc" ? values[i - 1] <= v : values[i - 1] >= v));

export async function run({ openPage, visit, options }) {
  const page = await openPage();
  await visit(page, "/traces");
  assert.equal(await page.title(), "Traces · Argus");
  let rows = await rowsWhen(page, (r) => r.length === options.total, `${options.total} rows`);
  assert.match(await page.textContent("[data-total]"), new RegExp(`^${options.total} traces`));
  // Newest first by default, each row linking to its trace.
  assert.equal(
    await page.getAttribute(`tr[data-trace-id='${rows[0].id}'] a[data-trace-link]`, "href"),
    `/traces/${rows[0].id}`,
  );
  await saveScreenshots(page, "docs/screenshots/traces.png");

  // Errors only: the URL says so, every row has an error badge.
  await page.click("[data-status-filter] label:has-text('Errors')");
  await page.waitForURL(/status=error/);
  rows = await rowsWhen(page, (r) => r.length === options.failing, `${options.failing} failing`);
  assert.ok(rows.every((r) => r.errors > 0));
  assert.equal(await page.$$eval(`${ROWS} [data-errors]`, (b) => b.length), options.failing);

  // Sort by duration: descending, then ascending.
  await page.click("th[data-sort-field='duration'] button");
  await page.waitForURL(/sort=duration/);
  rows = await rowsWhen(
    page,
    (r) => r.length === options.failing && sorted(r.map((x) => x.duration), "desc"),
    "durations descending",
  );
  const longest = rows[0].id;
  await page.click("th[data-sort-field='duration'] button");
  await page.waitForURL(/order=asc/);
  rows = await rowsWhen(
    page,
    (r) => r.length > 1 && sorted(r.map((x) => x.duration), "asc") && r[0].id !== longest,
    "durations ascending",
  );
  assert.equal(rows.at(-1).id, longest);
  assert.equal(
    await page.getAttribute("th[data-sort-field='duration']", "aria-sort"),
    "ascending",
  );

  // The back button walks the changes back: descending, unsorted, all statuses.
  await page.goBack();
  assert.equal(search(page).get("order"), null);
  assert.equal(search(page).get("sort"), "duration");
  rows = await rowsWhen(page, (r) => r[0]?.id === longest, "descending again");
  await page.goBack();
  assert.equal(search(page).get("sort"), null);
  await page.goBack();
  assert.equal(search(page).get("status"), null);
  await rowsWhen(page, (r) => r.length === options.total, "every trace again");

  // Span name search: only the checkout has a "charge card" span.
  await page.fill("input[data-search]", "charge card");
  await page.waitForURL(/search=charge\+card/);
  rows = await rowsWhen(page, (r) => r.length === 1, "one trace");
  assert.equal(rows[0].id, options.showcase);
  await page.fill("input[data-search]", "");
  await page.waitForURL((url) => !url.searchParams.has("search"));
  await rowsWhen(page, (r) => r.length === options.total, "every trace");

  // An attribute chip; a malformed one is refused in place.
  await page.fill("input[data-attr-input]", "no equals sign");
  await page.press("input[data-attr-input]", "Enter");
  await page.waitForSelector("text=Use key=value");
  await page.fill("input[data-attr-input]", "payment.provider=acme-pay");
  await page.press("input[data-attr-input]", "Enter");
  await page.waitForURL(/attr=payment.provider%3Dacme-pay/);
  rows = await rowsWhen(page, (r) => r.length === 1, "the attribute's trace");
  assert.equal(rows[0].id, options.showcase);
  await page.click("[data-attr-chip] button");
  await page.waitForURL((url) => !url.searchParams.has("attr"));
  await rowsWhen(page, (r) => r.length === options.total, "every trace");

  // Duration bounds.
  await page.fill("input[data-min-duration]", "700");
  await page.waitForURL(/min_duration_ms=700/);
  rows = await rowsWhen(
    page,
    (r) => r.length > 0 && r.length < options.total && r.every((x) => x.duration >= 700),
    "traces of 700 ms or more",
  );
  // With a unit, as Jaeger takes it: the URL holds milliseconds.
  await page.fill("input[data-max-duration]", "1.5s");
  await page.waitForURL(/max_duration_ms=1500/);
  rows = await rowsWhen(
    page,
    (r) => r.every((x) => x.duration >= 700 && x.duration <= 1500),
    "traces from 700 ms to 1.5 s",
  );
  // Not a duration: said under the field, and the query is left as it was.
  await page.fill("input[data-max-duration]", "fast");
  await page.waitForSelector("input[data-max-duration][data-duration-error]");
  assert.match(
    await page.textContent("[data-trace-list]"),
    /Use milliseconds or a unit: 250, 250ms, 1.2s, 2m/,
  );
  assert.match(page.url(), /max_duration_ms=1500/);
  await page.fill("input[data-max-duration]", "");
  await page.waitForURL((url) => !url.searchParams.has("max_duration_ms"));

  // No match: a message and a way out.
  await page.fill("input[data-search]", "no span is called this");
  await page.waitForSelector("[data-no-match]");
  await page.click("[data-no-match] button");
  await page.waitForURL((url) => url.search === "");
  await rowsWhen(page, (r) => r.length === options.total, "every trace");

  // Pages of five: the URL holds the offset; totals stay.
  await visit(page, "/traces?limit=5&sort=span_count");
  const first = await rowsWhen(page, (r) => r.length === 5, "five rows");
  assert.ok(sorted(first.map((r) => r.spans), "desc"));
  assert.equal(first[0].spans, Math.max(...first.map((r) => r.spans)));
  await page.click("[data-pagination] button[aria-label='next page']");
  await page.waitForURL(/offset=5/);
  const second = await rowsWhen(
    page,
    (r) => r.length === 5 && r[0].id !== first[0].id,
    "the second page",
  );
  assert.ok(second.every((r) => !first.some((f) => f.id === r.id)));
  assert.match(
    await page.textContent("[data-total]"),
    new RegExp(`^${options.total} traces.*6–10`),
  );

  // A refused filter shows the API's sentence.
  await visit(page, "/traces?min_duration_ms=abc");
  assert.match(await page.textContent("[data-error]"), /Cannot use 'min_duration_ms'/);

  // A click anywhere on a row opens its trace.
  await visit(page, "/traces");
  await page.click(`tr[data-trace-id='${options.showcase}'] [data-duration]`);
  await page.waitForURL(new RegExp(`/traces/${options.showcase}$`));
  await page.waitForSelector(`[data-trace-view='${options.showcase}']`);
  return { ok: true };
}
