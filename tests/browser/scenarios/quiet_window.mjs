// A quiet window is not an empty Argus (issue 14): with data from about 40 minutes ago and none
// since, the Dashboard, the Service Map and Logs say when the newest data is from, and one click
// shows the smallest range that holds it.
// options: { latest: the newest data's minute (RFC 3339) }
import assert from "node:assert/strict";

const PAGES = [
  { path: "/", loaded: "[data-dashboard][data-loading='false']", data: "[data-figure]" },
  {
    path: "/service-map",
    loaded: "[data-service-map][data-loading='false']",
    data: "[data-chart='service-map']",
  },
  { path: "/logs", loaded: "html[data-ready]", data: "[data-log-id]" },
];

export async function run({ openPage, visit, options }) {
  const page = await openPage();
  const shown = [];
  for (const { path, loaded, data } of PAGES) {
    await visit(page, path);
    const quiet = page.locator("[data-empty-state='quiet']");
    await quiet.waitFor();
    assert.equal(await quiet.getAttribute("data-latest"), options.latest);
    const text = await quiet.textContent();
    assert.match(text, /in the last 5 minutes/);
    assert.match(text, /Argus holds older data: the newest is from (4\d|3\d) min ago/);
    assert.doesNotMatch(text, /OTEL_EXPORTER_OTLP_ENDPOINT/);
    await page.click("[data-wider-range]");
    await page.waitForURL((url) => url.pathname === path && url.searchParams.get("range") === "1h");
    await page.waitForSelector(loaded);
    await page.waitForSelector(data);
    assert.equal(await page.$("[data-empty-state]"), null);
    shown.push(path);
  }
  return { shown };
}
