// Measures the JavaScript each page loads before it is interactive: every script response up to
// html[data-ready], its size raw and gzip-compressed (Argus serves it uncompressed; gzip is what a
// compressing proxy would send). Chunks that hold ECharts are counted apart: they load lazily,
// inside the chart islands.
import { gzipSync } from "node:zlib";

const PAGES = ["/", "/service-map", "/logs", "/traces", "/instruments", "/settings"];

export async function run({ openPage, visit }) {
  const results = [];
  for (const path of PAGES) {
    const page = await openPage();
    const scripts = [];
    page.on("response", async (response) => {
      if (response.request().resourceType() !== "script") return;
      try {
        const body = await response.body();
        scripts.push({
          url: response.url(),
          raw: body.length,
          gzip: gzipSync(body).length,
          charts: body.includes("echarts") || body.includes("ECharts"),
        });
      } catch {
        // a response without a body (304): not counted
      }
    });
    await visit(page, path);
    // Responses still being read when data-ready arrived.
    await page.waitForTimeout(500);
    const initial = scripts.filter((s) => !s.charts);
    const charts = scripts.filter((s) => s.charts);
    const sum = (list, key) => list.reduce((n, s) => n + s[key], 0);
    results.push({
      path,
      files: initial.length,
      raw: sum(initial, "raw"),
      gzip: sum(initial, "gzip"),
      chartFiles: charts.length,
      chartGzip: sum(charts, "gzip"),
    });
    await page.close();
  }
  return results;
}
