// Honest figures across pages (tests/ui_dashboard_figures_test.ts holds the data and the
// expectations): the Dashboard's cards, "Where errors start" and failing requests, the traffic
// chart's note; the trace list's failing services; the map's call colours and legend; Settings'
// configuration; a skewed span's explanation; the 404 page of an unknown URL.
// Options: `{ skewedTraceId }`.
import assert from "node:assert/strict";

const RANGE = "range=15m";

export async function run({ openPage, visit, options }) {
  const page = await openPage({ width: 1440, height: 900 });

  // The Dashboard.
  await visit(page, `/?${RANGE}`);
  await page.waitForSelector("[data-dashboard][data-loading='false']");
  const cards = await page.$$eval(
    "[data-figure]",
    (figures) =>
      Object.fromEntries(figures.map((figure) => [figure.dataset.figure, {
        value: Number(figure.dataset.value),
        text: figure.textContent ?? "",
        hint: figure.nextElementSibling?.textContent ?? "",
      }])),
  );
  const origins = await page.$$eval(
    "[data-error-origins] tbody tr",
    (rows) =>
      rows.map((
        row,
      ) => [row.dataset.service, Number(row.querySelector("[data-traces]").dataset.traces)]),
  );
  const originLink = await page.getAttribute("[data-error-origins] tbody tr a", "href");
  assert.match(originLink, /^\/traces\?service=payment-service&status=error/);
  const originsNote = await page.textContent("[data-error-origins-note]");
  const topFailing = await page.$$eval(
    "[data-top-failing] tbody tr",
    (rows) => rows.map((row) => row.dataset.service),
  );
  const trafficHint = await page.textContent("[data-panel='traffic'] h4 + p");

  // The trace list: failed traces, each naming where its errors start.
  await visit(page, `/traces?${RANGE}&status=error`);
  await page.waitForSelector("[data-trace-id]");
  const errorServices = await page.$$eval(
    "[data-trace-id]",
    (rows) =>
      Object.fromEntries(
        rows.map((row) => [
          row.dataset.traceId,
          row.querySelector("[data-error-services]")?.dataset.errorServices ?? "",
        ]),
      ),
  );

  // The service map: each call's colour as drawn, and the legend.
  await visit(page, `/service-map?${RANGE}`);
  await page.waitForSelector("[data-chart='service-map'][data-chart-state='drawn']");
  const edgeColors = JSON.parse(
    await page.getAttribute("[data-chart='service-map']", "data-edge-colors"),
  );
  const edgeLegend = await page.textContent("[data-edge-legend]");

  // Settings: the configuration.
  await visit(page, "/settings");
  await page.waitForSelector("[data-settings-config]");
  const settings = await page.$$eval(
    "[data-setting]",
    (cells) =>
      Object.fromEntries(cells.map((cell) => [cell.dataset.setting, cell.textContent ?? ""])),
  );
  const databaseBytes = Number(
    await page.getAttribute("[data-setting='database-size'] [data-bytes]", "data-bytes"),
  );

  // A trace with a skewed span: the ⚠ says what it means, the span panel explains it.
  await visit(page, `/traces/${options.skewedTraceId}`);
  const warning = page.locator("[data-span-warning]");
  await warning.waitFor();
  const title = await warning.getAttribute("title");
  await warning.click();
  const note = await page.locator("[data-skew-note]").textContent();

  // An unknown URL: the 404 page, in the layout.
  const response = await page.goto(new URL("/nope", page.url()).href);
  await page.waitForSelector("[data-error-page='404']");
  const notFound = {
    status: response.status(),
    type: response.headers()["content-type"] ?? "",
    text: await page.textContent("[data-error-page='404']"),
    home: await page.getAttribute("[data-error-page='404'] a", "href"),
  };
  // The layout's navigation is there, to go anywhere else.
  assert.ok(await page.$("nav a[href^='/traces']"), "the 404 page has the navigation bar");

  return {
    cards,
    origins,
    originsNote,
    topFailing,
    trafficHint,
    errorServices,
    edgeColors,
    edgeLegend,
    settings,
    databaseBytes,
    skew: { title, note },
    notFound,
  };
}
