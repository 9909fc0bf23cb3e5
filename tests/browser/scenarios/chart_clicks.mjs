// Clickable charts (issue 14, point 8): a latency-heatmap cell and a traffic step open the Traces
// page listing exactly their traces, the cursor and the tooltip saying so; the trace list's
// duration scatter draws one point per trace, failed ones red, and a click opens the trace.
// options: {
//   cell: { time, bucket }: the heatmap cell to click (its minute in Unix ms, the API's bucket),
//   fastBucket: another bucket with requests in the same minute, below it,
//   expected: { cell, checkoutCell, minuteB, failedA }: the sorted trace ids each click must list,
//   minuteA, minuteB: Unix ms,
//   traces: [{ id, failed, color }]: every trace sent, with the colour its point must have,
//   open: the id of the trace whose point to click
// }
import assert from "node:assert/strict";

const ROWS = "[data-trace-table] tbody tr";

/** The trace list's ids, sorted, once it has loaded `count` rows (it loads after navigation). */
async function listedIds(page, count) {
  const deadline = Date.now() + 15_000;
  let ids = [];
  while (Date.now() < deadline) {
    ids = await page.$$eval(ROWS, (rows) => rows.map((row) => row.dataset.traceId));
    const loading = await page.$("[data-trace-table].argus-tr-loading");
    if (!loading && ids.length === count) return ids.sort();
    await page.waitForTimeout(100);
  }
  throw new Error(`The trace list never showed ${count} rows: ${JSON.stringify(ids)}`);
}

/** A chart's drawn positions (`data-<name>`), once drawn, and the chart's box on the page. */
async function chartAt(page, chart, attribute) {
  const locator = page.locator(`[data-chart='${chart}'][data-chart-state='drawn'][${attribute}]`);
  await locator.waitFor({ timeout: 15_000 });
  await locator.scrollIntoViewIfNeeded();
  const box = await locator.boundingBox();
  const positions = JSON.parse(await locator.getAttribute(attribute));
  return { box, positions, locator };
}

/** The CSS cursor the page shows at viewport point (x, y). */
function cursorAt(page, x, y) {
  return page.evaluate(
    ([x, y]) => getComputedStyle(document.elementFromPoint(x, y)).cursor,
    [x, y],
  );
}

/** The key of a position map whose time (before `|`, or the whole key) is `ms`. */
function keyAt(positions, ms, bucket) {
  const key = Object.keys(positions).find((k) => {
    const [time, b] = k.split("|");
    return Date.parse(time) === ms && (bucket === undefined || Number(b) === bucket);
  });
  assert.ok(
    key,
    `no position for ${new Date(ms).toISOString()} ${bucket ?? ""} in ${Object.keys(positions)}`,
  );
  return key;
}

async function pauseRefresh(page) {
  // The window moves with the clock: a refresh at a new minute would move every step.
  await page.getByRole("button", { name: "Pause" }).click();
  await page.waitForSelector("[data-refresh-control][data-paused='true']");
}

/** Clicks the heatmap cell and returns the tooltip's text seen on the way. */
async function clickCell(page, cell) {
  const { box, positions, locator } = await chartAt(page, "latency-heatmap", "data-cell-positions");
  const [x, y] = positions[keyAt(positions, cell.time, cell.bucket)];
  await page.mouse.move(box.x + x, box.y + y);
  const tooltip = locator.locator("div", { hasText: "Click: the traces started" }).first();
  await tooltip.waitFor();
  const text = await tooltip.textContent();
  assert.equal(await cursorAt(page, box.x + x, box.y + y), "pointer", "a cell shows a pointer");
  await page.mouse.click(box.x + x, box.y + y);
  return text;
}

export async function run({ openPage, visit, options }) {
  const page = await openPage();
  const { expected } = options;

  // A heatmap cell, all services: the traces of its minute and band, and only them.
  await visit(page, "/?range=15m");
  await pauseRefresh(page);
  const { box, positions } = await chartAt(page, "latency-heatmap", "data-cell-positions");
  // The empty cell above the clicked one (the heatmap keeps an empty row above the slowest) is
  // no link: no pointer there.
  const [cx, cy] = positions[keyAt(positions, options.cell.time, options.cell.bucket)];
  const [, fastY] = positions[keyAt(positions, options.cell.time, options.fastBucket)];
  const row = (fastY - cy) / (options.cell.bucket - options.fastBucket);
  await page.mouse.move(box.x + cx, box.y + cy - row);
  assert.equal(await cursorAt(page, box.x + cx, box.y + cy - row), "default");
  const tooltip = await clickCell(page, options.cell);
  const cellCount = Number(/(\d+) requests?/.exec(tooltip)?.[1]);
  assert.match(tooltip, /that took 256 ms – 362 ms/);
  await page.waitForURL((url) => url.pathname === "/traces");
  const cellUrl = new URL(page.url());
  assert.deepEqual(
    {
      start: Date.parse(cellUrl.searchParams.get("start")),
      end: Date.parse(cellUrl.searchParams.get("end")),
      min: cellUrl.searchParams.get("min_duration_ms"),
      max: cellUrl.searchParams.get("max_duration_ms"),
      service: cellUrl.searchParams.get("service"),
    },
    {
      start: options.cell.time,
      end: options.cell.time + 60_000,
      min: "256.000001",
      max: "362.039",
      service: null,
    },
  );
  assert.deepEqual(await listedIds(page, expected.cell.length), expected.cell);
  // Back returns to the Dashboard.
  await page.goBack();
  await page.waitForURL((url) => url.pathname === "/" && url.searchParams.get("range") === "15m");
  await page.waitForSelector("[data-chart='latency-heatmap'][data-chart-state='drawn']");

  // The same cell with the Dashboard on one service: that service's traces only.
  await visit(page, "/?range=15m&service=checkout");
  await pauseRefresh(page);
  await clickCell(page, options.cell);
  await page.waitForURL((url) =>
    url.pathname === "/traces" && url.searchParams.get("service") === "checkout"
  );
  assert.deepEqual(await listedIds(page, expected.checkoutCell.length), expected.checkoutCell);

  // A traffic step: its minute's traces from the requests; its failed ones from the errors.
  await visit(page, "/?range=15m");
  await pauseRefresh(page);
  const traffic = await chartAt(page, "traffic", "data-step-positions");
  const stepB = traffic.positions[keyAt(traffic.positions, options.minuteB)].requests;
  await page.mouse.move(traffic.box.x + stepB[0], traffic.box.y + stepB[1]);
  const hint = traffic.locator.locator("div", { hasText: "on the error bars, the failed ones" })
    .last();
  await hint.waitFor();
  assert.equal(
    await cursorAt(page, traffic.box.x + stepB[0], traffic.box.y + stepB[1]),
    "pointer",
    "a traffic step shows a pointer",
  );
  await page.mouse.click(traffic.box.x + stepB[0], traffic.box.y + stepB[1]);
  await page.waitForURL((url) => url.pathname === "/traces");
  const stepUrl = new URL(page.url());
  assert.equal(Date.parse(stepUrl.searchParams.get("start")), options.minuteB);
  assert.equal(Date.parse(stepUrl.searchParams.get("end")), options.minuteB + 60_000);
  assert.equal(stepUrl.searchParams.get("status"), null);
  assert.deepEqual(await listedIds(page, expected.minuteB.length), expected.minuteB);

  await visit(page, "/?range=15m");
  await pauseRefresh(page);
  const again = await chartAt(page, "traffic", "data-step-positions");
  const errorsA = again.positions[keyAt(again.positions, options.minuteA)].errors;
  await page.mouse.move(again.box.x + errorsA[0], again.box.y + errorsA[1]);
  await page.mouse.click(again.box.x + errorsA[0], again.box.y + errorsA[1]);
  await page.waitForURL((url) =>
    url.pathname === "/traces" && url.searchParams.get("status") === "error"
  );
  assert.equal(Date.parse(new URL(page.url()).searchParams.get("start")), options.minuteA);
  assert.deepEqual(await listedIds(page, expected.failedA.length), expected.failedA);

  // The duration scatter: a point per listed trace, failed ones red, the others their service's.
  await visit(page, "/traces?range=15m");
  await listedIds(page, options.traces.length);
  const scatter = await chartAt(page, "duration-scatter", "data-point-positions");
  const scatterPoints = Number(await scatter.locator.getAttribute("data-points"));
  const scatterFailed = Number(await scatter.locator.getAttribute("data-failed-points"));
  assert.deepEqual(
    Object.keys(scatter.positions).sort(),
    options.traces.map((t) => t.id).sort(),
  );
  // The colour drawn at each point's centre (the canvas is at the page's pixel ratio), with no
  // point hovered.
  await page.mouse.move(0, 0);
  const drawn = await scatter.locator.evaluate((div, positions) => {
    const canvas = div.querySelector("canvas");
    const ratio = canvas.width / canvas.getBoundingClientRect().width;
    const context = canvas.getContext("2d");
    return Object.fromEntries(
      Object.entries(positions).map(([id, [x, y]]) => {
        const [r, g, b] = context.getImageData(Math.round(x * ratio), Math.round(y * ratio), 1, 1)
          .data;
        return [id, [r, g, b]];
      }),
    );
  }, scatter.positions);
  const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  // The canvas is transparent (the card shows through): its pixels hold the colour itself.
  const distance = (a, b) => Math.hypot(...a.map((v, i) => v - b[i]));
  for (const trace of options.traces) {
    const seen = drawn[trace.id];
    assert.ok(
      distance(seen, rgb(trace.color)) < 30,
      `${trace.id} (${trace.failed ? "failed" : "ok"}) drawn ${seen}, expected ${trace.color}`,
    );
  }

  // A click on a point opens its trace.
  const [px, py] = scatter.positions[options.open];
  await page.mouse.move(scatter.box.x + px, scatter.box.y + py);
  await scatter.locator.locator("div", { hasText: "Click to open the trace" }).last().waitFor();
  assert.equal(await cursorAt(page, scatter.box.x + px, scatter.box.y + py), "pointer");
  await page.mouse.click(scatter.box.x + px, scatter.box.y + py);
  await page.waitForURL((url) => url.pathname === `/traces/${options.open}`);
  await page.waitForSelector("html[data-ready]");

  return { cellCount, scatterPoints, scatterFailed };
}
