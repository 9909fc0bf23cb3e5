// The Service Map against a call chain ingested through OTLP: the graph drawn with the API's
// services and calls, the tables beneath with their links, a tooltip on hover, the range in the
// URL (the back button restores it), and a real click on a service in the canvas opening its
// traces. Options: `{ empty: true }` checks the empty state of an Argus without data instead;
// `{ screenshot: path }` saves the page once drawn; `{ click: service }` the service to click.
import assert from "node:assert/strict";
import { saveScreenshots } from "../screenshots.mjs";

async function api(baseUrl, path) {
  const response = await fetch(new URL(path, baseUrl));
  assert.equal(response.status, 200, `${path} answered ${response.status}`);
  return response.json();
}

const GRAPH = "[data-chart='service-map']";

/** Where each service is drawn, in page pixels. */
async function nodePoints(page) {
  await page.waitForSelector(`${GRAPH}[data-chart-state='drawn'][data-node-positions]`, {
    timeout: 15_000,
  });
  const box = await page.locator(GRAPH).boundingBox();
  const positions = JSON.parse(await page.getAttribute(GRAPH, "data-node-positions"));
  return Object.fromEntries(
    Object.entries(positions).map(([name, [x, y]]) => [name, { x: box.x + x, y: box.y + y }]),
  );
}

export async function run({ openPage, visit, baseUrl, options }) {
  const page = await openPage();
  if (options.empty) {
    await visit(page, "/service-map");
    await page.waitForSelector("[data-empty-state='never']");
    assert.match(
      await page.textContent("[data-empty-state]"),
      /Argus has not received any data yet/,
    );
    assert.equal(await page.$(GRAPH), null);
    return { empty: true };
  }

  await visit(page, "/service-map");
  assert.equal(await page.title(), "Service Map · Argus");
  assert.equal(await page.textContent("a[aria-current='page']"), "Service Map");

  // The graph: the API's services and calls, drawn on the canvas.
  const map = await api(baseUrl, "/api/metrics/service-map");
  const nodes = Number(await page.getAttribute(GRAPH, "data-nodes"));
  const edges = Number(await page.getAttribute(GRAPH, "data-edges"));
  assert.equal(nodes, map.nodes.length);
  assert.equal(edges, map.edges.length);
  const points = await nodePoints(page);
  assert.deepEqual(Object.keys(points).sort(), map.nodes.map((n) => n.id).sort());
  const painted = await page.$eval(`${GRAPH} canvas`, (canvas) => {
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let count = 0;
    for (let i = 3; i < pixels.length; i += 4 * 7) if (pixels[i] > 0) count++;
    return count;
  });
  assert.ok(painted > 200, `${painted} painted pixels`);
  // Callers are drawn left of their callees.
  for (const e of map.edges) {
    assert.ok(points[e.source].x < points[e.target].x, `${e.source} left of ${e.target}`);
  }

  // The tables: every service with links to its traces, logs, operations and metrics, every call.
  const services = await page.$$eval("[data-services-table] tbody tr", (rows) =>
    rows.map((row) => [
      row.dataset.service,
      [...row.querySelectorAll("a")].map((a) => a.getAttribute("href")),
    ]));
  assert.deepEqual(
    services,
    map.nodes.map((n) => [
      n.id,
      [
        `/traces?service=${encodeURIComponent(n.id)}`,
        `/logs?service=${encodeURIComponent(n.id)}`,
        `/services/${encodeURIComponent(n.id)}`,
        `/instruments?service=${encodeURIComponent(n.id)}`,
      ],
    ]),
  );
  const calls = await page.$$eval(
    "[data-edges-table] tbody tr",
    (rows) => rows.map((row) => row.dataset.edge),
  );
  assert.deepEqual(calls, map.edges.map((e) => `${e.source}→${e.target}`));

  if (options.screenshot) await saveScreenshots(page, options.screenshot, { fullPage: true });

  // A tooltip on hover with the service's figures.
  const hovered = map.nodes.find((n) => n.errors > 0) ?? map.nodes[0];
  await page.mouse.move(points[hovered.id].x, points[hovered.id].y);
  const tooltip = page.locator(`${GRAPH} > div`, { hasText: "Click to open its traces" });
  await tooltip.waitFor({ state: "visible" });
  const tip = await tooltip.textContent();
  for (
    const text of [hovered.name, "Requests", String(hovered.requests), "Error rate", "p99 latency"]
  ) {
    assert.ok(tip.includes(text), `"${text}" in the tooltip: ${tip}`);
  }
  await page.mouse.move(5, 5);

  // The range: into the URL and back.
  const reloaded = page.waitForResponse((r) =>
    r.url().includes("/api/metrics/service-map?") && r.url().includes("range=15m")
  );
  await page.click("[data-time-range]");
  await page.click("[data-time-range-picker] [data-range-preset='15m']");
  await page.waitForURL((url) => url.search === "?range=15m");
  await reloaded;
  await page.waitForSelector("[data-service-map][data-loading='false']");
  assert.equal(await page.getAttribute("[data-time-range]", "data-time-range"), "15m");
  // Its links keep the range: a service's traces, logs and metrics are those of the same 15 minutes.
  const first = encodeURIComponent(map.nodes[0].id);
  assert.deepEqual(
    await page.$$eval(
      "[data-services-table] tbody tr:first-child a",
      (links) => links.map((a) => a.getAttribute("href")),
    ),
    [
      `/traces?service=${first}&range=15m`,
      `/logs?service=${first}&range=15m`,
      `/services/${first}?range=15m`,
      `/instruments?service=${first}&range=15m`,
    ],
  );
  const restored = page.waitForResponse((r) =>
    r.url().includes("/api/metrics/service-map") && !r.url().includes("range=")
  );
  await page.goBack();
  await page.waitForURL((url) => url.pathname === "/service-map" && url.search === "");
  await restored;
  await page.waitForSelector("[data-service-map][data-loading='false']");
  assert.equal(await page.getAttribute("[data-time-range]", "data-time-range"), "5m");

  // A real click on a service in the canvas opens its traces.
  const target = options.click ?? map.nodes[0].id;
  const { x, y } = (await nodePoints(page))[target];
  await page.mouse.click(x, y);
  await page.waitForURL(
    (url) => url.pathname === "/traces" && url.search === `?service=${encodeURIComponent(target)}`,
    { waitUntil: "commit" },
  );
  return { nodes, edges, services: services.map(([name]) => name), calls, clicked: target };
}
