// The Metrics page (tests/ui_metrics_test.ts): the empty state with how to send metrics; then
// instruments grouped by service, the name search and the service filter, each instrument's chart
// drawn with its series' names (counter, histogram, exponential histogram, summary, gauge), the
// group-by picker (one line per outcome), an attribute filter (a chip, in the URL, kept by a
// reload, narrowing the chart's series and exemplars, removable), a chart query the API refuses,
// the histogram's percentile lines and its exemplar, which opens its trace; the Service page, the
// Dashboard and the Service Map link to a service's metrics.
// Options: `{ empty: true }` checks an Argus without metrics; `{ traceId, screenshot }` otherwise.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { saveScreenshots } from "../screenshots.mjs";

const AXE_SOURCE = await readFile(
  createRequire(import.meta.url).resolve("axe-core/axe.min.js"),
  "utf8",
);

/** axe-core's WCAG 2.0/2.1 A and AA violations of the page as it is (as accessibility.mjs). */
async function violations(page) {
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(AXE_SOURCE);
  return await page.evaluate(async () => {
    // deno-lint-ignore no-undef -- axe-core, evaluated into the page above
    const result = await axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" "))}`);
  });
}

async function settled(page) {
  await page.waitForSelector("[data-metrics][data-loading='false']");
}

/** Waits for the chart to be drawn with its canvas painted; returns its series' names. */
async function drawnSeries(page, agg) {
  const chart = `[data-chart='instrument'][data-chart-state='drawn']${
    agg ? `[data-agg='${agg}']` : ""
  }`;
  await page.waitForSelector(chart, { timeout: 15_000 });
  await page.waitForFunction(
    (selector) => {
      const canvas = document.querySelector(`${selector} canvas`);
      if (!canvas || canvas.width === 0) return false;
      const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      let count = 0;
      for (let i = 3; i < pixels.length; i += 4 * 7) if (pixels[i] > 0) count++;
      return count > 200;
    },
    chart,
    { timeout: 15_000 },
  );
  return JSON.parse(await page.getAttribute(chart, "data-series-names"));
}

async function pick(page, instrument) {
  await page.click(`tr[data-instrument='${instrument}'] a`);
  await page.waitForURL((url) => url.searchParams.get("instrument") !== null);
  await page.waitForSelector(`[data-selected-instrument='${instrument}']`, { timeout: 15_000 });
  await settled(page);
}

/** The checkout service's instruments, as listed. */
const CHECKOUT = [
  "checkout.latency",
  "orders.placed",
  "payment.amount",
  "payment.latency",
  "queue.wait",
];

/** The selected instrument's chart: how many series it read and how many exemplars it draws. */
const chartCounts = async (page) => ({
  series: await page.getAttribute("[data-chart='instrument']", "data-series-count"),
  exemplars: await page.getAttribute("[data-chart='instrument']", "data-exemplars"),
});

/** Waits for the chart of the URL's filters: loaded, drawn, with `series` series read. */
async function chartOf(page, agg, series) {
  await settled(page);
  await page.waitForSelector(`[data-chart='instrument'][data-series-count='${series}']`);
  return await drawnSeries(page, agg);
}

const rows = (page) =>
  page.$$eval("tr[data-instrument]", (trs) => trs.map((tr) => tr.dataset.instrument));

export async function run({ openPage, visit, options }) {
  const page = await openPage();
  if (options.empty) {
    await visit(page, "/instruments");
    assert.equal(await page.title(), "Metrics · Argus");
    assert.equal(await page.textContent("a[aria-current='page']"), "Metrics");
    const text = await page.textContent("[data-metrics-empty]");
    assert.match(text, /OTEL_EXPORTER_OTLP_ENDPOINT=http:\/\/localhost:4317/);
    assert.match(text, /4318/);
    return { empty: true };
  }

  await visit(page, "/instruments?range=15m");
  await settled(page);
  // Grouped by service, names in order.
  assert.deepEqual(
    await page.$$eval(
      "[data-metrics-service]",
      (cards) => cards.map((c) => c.dataset.metricsService),
    ),
    ["checkout", "inventory"],
  );
  assert.deepEqual(await rows(page), [...CHECKOUT, "stock.level"]);

  // The name search and the service filter, in the URL.
  await page.fill("[data-instrument-search] input, input[data-instrument-search]", "stock");
  await page.waitForURL((url) => url.searchParams.get("q") === "stock");
  assert.deepEqual(await rows(page), ["stock.level"]);
  await page.fill("[data-instrument-search] input, input[data-instrument-search]", "");
  await page.waitForURL((url) => url.searchParams.get("q") === null);
  await page.getByRole("textbox", { name: "Service" }).click();
  await page.getByRole("option", { name: "checkout" }).click();
  await page.waitForURL((url) => url.searchParams.get("service") === "checkout");
  assert.deepEqual(await rows(page), CHECKOUT);

  // A counter: its rate, one line; grouped by outcome, one line each.
  await pick(page, "orders.placed");
  assert.deepEqual(await drawnSeries(page, "rate"), ["orders.placed"]);
  await page.getByRole("textbox", { name: "Group by" }).click();
  await page.getByRole("option", { name: "outcome" }).click();
  await page.waitForURL((url) => url.searchParams.get("group_by") === "outcome");
  await settled(page);
  await page.waitForFunction(() =>
    document.querySelector("[data-chart='instrument']")?.dataset.seriesNames?.includes("outcome=")
  );
  assert.deepEqual(
    (await drawnSeries(page, "rate")).sort(),
    ["outcome=failed", "outcome=ok"],
  );
  // The aggregation picker: increase.
  await page.getByRole("textbox", { name: "Aggregation" }).click();
  await page.getByRole("option", { name: "increase" }).click();
  await page.waitForURL((url) => url.searchParams.get("agg") === "increase");
  await settled(page);
  assert.equal((await drawnSeries(page, "increase")).length, 2);
  assert.deepEqual(await chartCounts(page), { series: "2", exemplars: "1" });

  // An attribute filter, picked from the instrument's attributes: a chip, in the URL, composed
  // with group-by (one group left), applied to the exemplars too (the one left was on "failed").
  await page.getByRole("textbox", { name: "Attribute filter" }).click();
  await page.getByRole("option", { name: "outcome=ok" }).click();
  await page.waitForURL((url) => url.searchParams.getAll("attr").join() === "outcome=ok");
  assert.deepEqual(await chartOf(page, "increase", 1), ["outcome=ok"]);
  assert.deepEqual(await chartCounts(page), { series: "1", exemplars: "0" });
  assert.deepEqual(
    await page.$$eval("[data-attr-chip]", (chips) => chips.map((c) => c.dataset.attrChip)),
    ["outcome=ok"],
  );
  // A filter on the same key replaces it (both would match nothing).
  await page.getByRole("textbox", { name: "Attribute filter" }).click();
  await page.getByRole("option", { name: "outcome=failed" }).click();
  await page.waitForURL((url) => url.searchParams.getAll("attr").join() === "outcome=failed");
  assert.deepEqual(await chartOf(page, "increase", 1), ["outcome=failed"]);
  assert.deepEqual(await chartCounts(page), { series: "1", exemplars: "1" });
  // A reload keeps it all: the server renders the filtered chart from the URL.
  await page.reload();
  await page.waitForSelector("html[data-ready='true']");
  assert.deepEqual(await chartOf(page, "increase", 1), ["outcome=failed"]);
  assert.equal(await page.getAttribute("[data-attr-chip]", "data-attr-chip"), "outcome=failed");
  const filtered = new URL(page.url());
  assert.deepEqual(
    [filtered.searchParams.get("group_by"), filtered.searchParams.get("agg")],
    ["outcome", "increase"],
  );
  // The picker, the chips and the chart pass axe's checks too.
  const filteredViolations = await violations(page);
  // Removed: both series again, and no attr in the URL.
  await page.getByRole("button", { name: "Remove filter outcome=failed" }).click();
  await page.waitForURL((url) => url.searchParams.get("attr") === null);
  assert.deepEqual((await chartOf(page, "increase", 2)).sort(), ["outcome=failed", "outcome=ok"]);
  await page.waitForSelector("[data-attr-chip]", { state: "detached" });

  // A chart query the API refuses (an aggregation counters do not offer): its sentence, with the
  // pickers still there, and a way back.
  const refused = new URL(page.url());
  refused.searchParams.set("agg", "p50");
  await visit(page, `${refused.pathname}${refused.search}`);
  assert.match(
    await page.textContent("[data-chart-error]"),
    /Cannot use 'agg' for orders\.placed/,
  );
  assert.ok(await page.isVisible("[data-attr-picker]"));
  await page.getByRole("button", { name: "Use the default aggregation" }).click();
  await page.waitForURL((url) => url.searchParams.get("agg") === null);
  assert.equal((await chartOf(page, "rate", 2)).length, 2);

  // A summary: its mean and the producer's quantiles. An exponential histogram: percentiles.
  await pick(page, "checkout.latency");
  assert.deepEqual(await drawnSeries(page, "avg"), ["avg", "p50", "p99"]);
  await pick(page, "payment.latency");
  assert.deepEqual(await drawnSeries(page, "p50"), ["p50", "p90", "p99"]);

  // A histogram: p50, p90 and p99 lines, and its exemplar.
  await pick(page, "payment.amount");
  const url = new URL(page.url());
  assert.equal(url.searchParams.get("group_by"), null, "a new instrument starts ungrouped");
  assert.deepEqual(await drawnSeries(page, "p50"), ["p50", "p90", "p99"]);
  assert.equal(await page.getAttribute("[data-chart='instrument']", "data-exemplars"), "1");

  // A histogram whose series' bounds differ: the note, and percentiles once grouped by series.
  await pick(page, "queue.wait");
  await drawnSeries(page, "p50");
  assert.match(await page.textContent("[data-bounds-differ]"), /bucket bounds differ/);
  await page.getByRole("textbox", { name: "Group by" }).click();
  await page.getByRole("option", { name: "shard" }).click();
  await page.waitForURL((url) => url.searchParams.get("group_by") === "shard");
  await settled(page);
  await page.waitForSelector("[data-bounds-differ]", { state: "detached" });
  assert.equal((await drawnSeries(page, "p50")).length, 6);

  // A gauge of the other service (the service filter cleared).
  await page.getByRole("textbox", { name: "Service" }).click();
  await page.getByRole("option", { name: "inventory" }).click();
  await page.waitForURL((url) => url.searchParams.get("service") === "inventory");
  await pick(page, "stock.level");
  assert.deepEqual(await drawnSeries(page, "last"), ["stock.level"]);

  // Back to the histogram (the browser's Back), for the screenshot and the exemplar's click.
  await visit(page, `/instruments?range=15m&instrument=${url.searchParams.get("instrument")}`);
  await settled(page);
  await drawnSeries(page, "p50");
  // Set once the chart has finished drawing (its animation included).
  await page.waitForFunction(() =>
    document.querySelector("[data-chart='instrument']")?.dataset.exemplarPositions
  );
  // With a chart, pickers and the list on it (the accessibility test sees the empty page only).
  const axeViolations = [...filteredViolations, ...(await violations(page))];
  if (options.screenshot) await saveScreenshots(page, options.screenshot, { fullPage: true });
  const [exemplar] = JSON.parse(
    await page.getAttribute("[data-chart='instrument']", "data-exemplar-positions"),
  );
  assert.equal(exemplar.traceId, options.traceId);
  const box = await page.locator("[data-chart='instrument']").boundingBox();
  await page.mouse.click(box.x + exemplar.pixel[0], box.y + exemplar.pixel[1]);
  await page.waitForURL((u) => u.pathname.startsWith("/traces/"));
  await page.waitForSelector("[data-waterfall]");
  const trace = new URL(page.url()).pathname;

  // An instrument that is no longer there (purged): the API's sentence, the list still shown.
  await visit(page, `/instruments?range=15m&instrument=${"0".repeat(32)}`);
  assert.match(await page.textContent("[data-selected-error]"), /No instrument has key 0{32}/);
  assert.equal((await rows(page)).length, 6);

  // The Service page links to the service's metrics.
  await visit(page, "/services/checkout?range=15m");
  assert.equal(
    await page.getAttribute("[data-service-metrics]", "href"),
    "/instruments?service=checkout&range=15m",
  );

  // The Dashboard's failing service and the Service Map's services table link to the service's
  // metrics, and the Metrics page opens filtered to it; so does a Dashboard of one service.
  const landsOnMetrics = async (link, service) => {
    await page.click(link);
    await page.waitForURL((url) =>
      url.pathname === "/instruments" && url.searchParams.get("service") === service &&
      url.searchParams.get("range") === "15m"
    );
    await page.waitForSelector("html[data-ready='true']");
    await settled(page);
    assert.deepEqual(await rows(page), service === "checkout" ? CHECKOUT : ["stock.level"]);
  };
  await visit(page, "/?range=15m");
  await page.waitForSelector("[data-dashboard][data-loading='false'] [data-top-failing]");
  await landsOnMetrics(
    "[data-top-failing] tr[data-service='checkout'] a[data-service-metrics]",
    "checkout",
  );
  await visit(page, "/?range=15m&service=inventory");
  await landsOnMetrics("[data-dashboard] a[data-service-metrics='inventory']", "inventory");
  await visit(page, "/service-map?range=15m");
  await landsOnMetrics("[data-services-table] a[data-service-metrics='checkout']", "checkout");
  return { trace, violations: axeViolations };
}
