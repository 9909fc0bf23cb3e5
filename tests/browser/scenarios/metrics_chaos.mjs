// The Metrics page on the chaos simulation's own metrics (tests/chaos_simulation_test.ts, its
// `--protocol grpc` run, whose services export through the OpenTelemetry JS SDK): for each chaos
// service, the page filtered to it lists the service's instruments, and each one's chart is drawn
// in its shape (a counter's rate, a histogram's p50, p90 and p99 lines, a gauge's and an up-down
// counter's last value) with its lines painted inside the plot; orders.placed grouped by `outcome`
// draws one line per outcome the run produced; an attribute filter (a chip, in the URL, kept by a
// reload) narrows orders.placed and inventory.stock_level to one series, and its removal brings
// them back; the Dashboard's failing services and the Service Map's services table link to a
// chaos service's metrics. The SDK's exporter sends no exemplars, so none is drawn here
// (tests/ui_metrics_test.ts covers them).
// Options: `{ start, end }` (Unix ms) the window the run's metrics lie in, `outcomes` the
// `orders.placed` outcomes the run answered, `screenshot` a .png path (optional).
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

/**
 * Each chaos service's instruments in the SDK mode, as the list shows them (by name), with the
 * type its badge says: the services' own (chaos/README.md, "Metrics") and the HTTP durations
 * chaos/_sdk_telemetry.ts makes (a client one where the service calls another).
 */
const INSTRUMENTS = {
  "order-service": {
    "http.client.request.duration": "histogram",
    "http.server.request.duration": "histogram",
    "orders.placed": "counter",
  },
  "payment-service": {
    "http.client.request.duration": "histogram",
    "http.server.request.duration": "histogram",
    "payment.active_charges": "up-down sum",
    "payment.amount": "histogram",
  },
  "inventory-service": {
    "http.server.request.duration": "histogram",
    "inventory.stock_level": "gauge",
  },
};

/** The chart each type draws by default: its aggregation, and its lines' names. */
function expectedChart(name, type) {
  switch (type) {
    case "counter":
      return { agg: "rate", names: [name] };
    case "histogram":
      return { agg: "p50", names: ["p50", "p90", "p99"] };
    case "gauge":
    case "up-down sum":
      // An up-down counter is a level: charted as a gauge.
      return { agg: "last", names: [name] };
    default:
      throw new Error(
        `Cannot chart an instrument as its type must be known: current value is ${type}`,
      );
  }
}

async function settled(page) {
  await page.waitForSelector("[data-metrics][data-loading='false']");
}

const CHART = "[data-chart='instrument'][data-chart-state='drawn']";

/**
 * In the page (playwright sends its source there): how many pixels of the chart's canvas inside
 * the plot's grid (utils/metric_chart.ts: 56 px left, 16 right, 40 top, 28 bottom) are saturated,
 * i.e. painted by a series (the axes, labels and split lines are gray; the legend lies outside);
 * false unless more than `least`.
 */
function plotPixels({ selector, least }) {
  const canvas = document.querySelector(`${selector} canvas`);
  if (!canvas || canvas.width === 0) return false;
  const scale = canvas.width / canvas.clientWidth;
  const [left, top] = [Math.ceil(56 * scale), Math.ceil(40 * scale)];
  const width = canvas.width - left - Math.ceil(16 * scale);
  const height = canvas.height - top - Math.ceil(28 * scale);
  const pixels = canvas.getContext("2d").getImageData(left, top, width, height).data;
  let count = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    const [r, g, b, a] = [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]];
    if (a > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 80) count++;
  }
  return count > least ? count : false;
}

/**
 * Waits for the chart to be drawn with `agg`, `series` series read and the lines `names` (any
 * order), and for its lines to be painted (plotPixels). Returns how many pixels it counted.
 */
async function drawn(page, { agg, series, names }) {
  await page.waitForFunction(
    ({ selector, agg, series, names }) => {
      const chart = document.querySelector(selector);
      if (!chart || chart.dataset.agg !== agg) return false;
      if (series !== undefined && chart.dataset.seriesCount !== String(series)) return false;
      const shown = JSON.parse(chart.dataset.seriesNames ?? "[]").sort();
      return JSON.stringify(shown) === JSON.stringify([...names].sort());
    },
    { selector: CHART, agg, series, names },
    { timeout: 15_000 },
  );
  // Painted, when the chart has a value to paint: a series with a single point in the window (an
  // exporter that sent once or twice during a short run on a loaded machine) is one symbol; none is
  // nothing (a rate needs two points). The chart's values, as the page asked for them.
  const values = await page.evaluate(async () => {
    const url = new URL(location.href);
    const api = new URL(
      `/api/instruments/${url.searchParams.get("instrument")}/chart`,
      location.origin,
    );
    for (const key of ["start", "end", "agg", "group_by"]) {
      const value = url.searchParams.get(key);
      if (value !== null) api.searchParams.set(key, value);
    }
    for (const attr of url.searchParams.getAll("attr")) api.searchParams.append("attr", attr);
    const chart = await (await fetch(api)).json();
    return chart.groups.flatMap((g) => g.values).filter((v) => v !== null).length;
  });
  if (values === 0) return 0;
  // A line, or at least a point's symbol: a lone symbol paints about 10 saturated pixels (seen:
  // exactly 10, which "more than 10" missed), so more than 5 stands for it.
  const least = values > 1 ? 40 : 5;
  try {
    const painted = await page.waitForFunction(
      plotPixels,
      { selector: CHART, least },
      { timeout: 15_000 },
    );
    return await painted.jsonValue();
  } catch (error) {
    // Which chart, with how many values, and how much of it was painted.
    const seen = await page.evaluate(plotPixels, { selector: CHART, least: -1 });
    throw new Error(
      `${page.url()}: ${values} values, ${seen} pixels painted of the ${least} waited for: ` +
        error.message,
    );
  }
}

const seriesCount = (page) => page.getAttribute("[data-chart='instrument']", "data-series-count");

/** The instruments listed, with the type their badge shows. */
const listed = (page) =>
  page.$$eval("tr[data-instrument]", (trs) =>
    trs.map((tr) => [
      tr.dataset.instrument,
      tr.querySelector(".mantine-Badge-label")?.textContent,
    ]));

async function pick(page, instrument) {
  await page.click(`tr[data-instrument='${instrument}'] a`);
  await page.waitForSelector(`[data-selected-instrument='${instrument}']`, { timeout: 15_000 });
  await settled(page);
}

/** Picks `filter` (`key=value`) in the attribute filter: its chip, the URL, one series left. */
async function filterBy(page, filter) {
  await page.getByRole("textbox", { name: "Attribute filter" }).click();
  await page.getByRole("textbox", { name: "Attribute filter" }).fill(filter);
  await page.getByRole("option", { name: filter, exact: true }).click();
  await page.waitForURL((url) => url.searchParams.getAll("attr").join() === filter);
  await settled(page);
  assert.deepEqual(
    await page.$$eval("[data-attr-chip]", (chips) => chips.map((c) => c.dataset.attrChip)),
    [filter],
  );
}

async function removeFilter(page, filter) {
  await page.getByRole("button", { name: `Remove filter ${filter}` }).click();
  await page.waitForURL((url) => url.searchParams.get("attr") === null);
  await settled(page);
  await page.waitForSelector("[data-attr-chip]", { state: "detached" });
}

export async function run({ openPage, visit, options }) {
  const { start, end, outcomes } = options;
  const window = `start=${start}&end=${end}`;
  const page = await openPage();
  const charts = {};

  // Every chaos service's instruments, each charted in its shape.
  for (const [service, instruments] of Object.entries(INSTRUMENTS)) {
    await visit(page, `/instruments?service=${service}&${window}`);
    await settled(page);
    assert.deepEqual(
      await page.$$eval(
        "[data-metrics-service]",
        (cards) => cards.map((c) => c.dataset.metricsService),
      ),
      [service],
    );
    assert.deepEqual(await listed(page), Object.entries(instruments), `${service}'s instruments`);
    for (const [name, type] of Object.entries(instruments)) {
      await pick(page, name);
      const url = new URL(page.url());
      assert.equal(url.searchParams.get("service"), service);
      assert.equal(url.searchParams.get("start"), String(start), "the window is kept");
      charts[`${service} ${name}`] = await drawn(page, expectedChart(name, type));
    }
  }

  // orders.placed grouped by outcome: one line per outcome the run answered.
  await visit(page, `/instruments?service=order-service&${window}`);
  await settled(page);
  await pick(page, "orders.placed");
  await drawn(page, { agg: "rate", series: outcomes.length, names: ["orders.placed"] });
  await page.getByRole("textbox", { name: "Group by" }).click();
  await page.getByRole("option", { name: "outcome", exact: true }).click();
  await page.waitForURL((url) => url.searchParams.get("group_by") === "outcome");
  await settled(page);
  const byOutcome = outcomes.map((outcome) => `outcome=${outcome}`);
  charts["orders.placed by outcome"] = await drawn(page, {
    agg: "rate",
    series: outcomes.length,
    names: byOutcome,
  });
  const groupedViolations = await violations(page);
  if (options.screenshot) {
    await saveScreenshots(page, options.screenshot, { fullPage: true });
  }

  // An attribute filter narrows it to one outcome: a chip, in the URL, kept by a reload.
  await filterBy(page, "outcome=confirmed");
  charts["orders.placed, outcome=confirmed"] = await drawn(page, {
    agg: "rate",
    series: 1,
    names: ["outcome=confirmed"],
  });
  assert.match(await page.textContent("[data-selected-instrument]"), / 1 series matching /);
  await page.reload();
  await page.waitForSelector("html[data-ready='true']");
  await settled(page);
  await drawn(page, { agg: "rate", series: 1, names: ["outcome=confirmed"] });
  const filtered = new URL(page.url());
  assert.deepEqual(
    [filtered.searchParams.get("group_by"), filtered.searchParams.getAll("attr")],
    ["outcome", ["outcome=confirmed"]],
  );
  const filteredViolations = await violations(page);
  await removeFilter(page, "outcome=confirmed");
  await drawn(page, { agg: "rate", series: outcomes.length, names: byOutcome });

  // A filter no series matches: the chart's sentence, and nothing painted in the plot (which
  // plotPixels would otherwise count).
  const none = new URL(page.url());
  none.searchParams.set("attr", "outcome=none");
  await visit(page, `${none.pathname}${none.search}`);
  await settled(page);
  await page.waitForSelector(`${CHART}[data-series-count='0']`);
  assert.match(
    await page.textContent("[data-selected-instrument]"),
    /No series of this instrument match/,
  );
  // Once ECharts has finished drawing (its animation included), which sets the exemplars' pixels.
  await page.waitForSelector(`${CHART}[data-exemplar-positions]`);
  assert.equal(await page.evaluate(plotPixels, { selector: CHART, least: -1 }), 0);

  // The gauge of every SKU (chaos/_load.ts has 49; 300 orders reach nearly all), narrowed to the
  // first SKU the filter offers.
  await visit(page, `/instruments?service=inventory-service&${window}`);
  await settled(page);
  await pick(page, "inventory.stock_level");
  const stock = { agg: "last", names: ["inventory.stock_level"] };
  await drawn(page, stock);
  const skus = Number(await seriesCount(page));
  assert.ok(skus >= 30 && skus <= 49, `stock levels of ${skus} SKUs`);
  await page.getByRole("textbox", { name: "Attribute filter" }).click();
  await page.getByRole("textbox", { name: "Attribute filter" }).fill("sku=");
  const sku = (await page.getByRole("option").first().textContent()).trim();
  assert.match(sku, /^sku=SKU-\d+$/);
  await page.keyboard.press("Escape");
  await filterBy(page, sku);
  charts[`inventory.stock_level, ${sku}`] = await drawn(page, { ...stock, series: 1 });
  await removeFilter(page, sku);
  await drawn(page, { ...stock, series: skus });

  // The Dashboard's failing services and the Service Map's services table link to a chaos
  // service's metrics over the same window; the Metrics page opens filtered to it.
  const landsOnMetrics = async (link, service) => {
    await page.click(link);
    await page.waitForURL((url) =>
      url.pathname === "/instruments" && url.searchParams.get("service") === service &&
      url.searchParams.get("start") === String(start) &&
      url.searchParams.get("end") === String(end)
    );
    await page.waitForSelector("html[data-ready='true']");
    await settled(page);
    assert.deepEqual(await listed(page), Object.entries(INSTRUMENTS[service]));
  };
  await visit(page, `/?${window}`);
  await page.waitForSelector("[data-dashboard][data-loading='false'] [data-top-failing]");
  await landsOnMetrics(
    "[data-top-failing] tr[data-service='order-service'] a[data-service-metrics]",
    "order-service",
  );
  await visit(page, `/service-map?${window}`);
  await landsOnMetrics(
    "[data-services-table] a[data-service-metrics='inventory-service']",
    "inventory-service",
  );
  return { charts, violations: [...groupedViolations, ...filteredViolations] };
}
