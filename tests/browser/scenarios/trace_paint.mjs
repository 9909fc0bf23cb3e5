// bench/trace_huge.ts: how long a trace page takes to show its first waterfall rows, to hydrate
// and to have its waterfall interactive (a huge trace's server-rendered rows replaced by the
// island's, drawn from the fetched structure), from navigation, a few times over; when its HTML's first byte came and when it first
// painted (the Navigation and Paint Timing APIs); and which API requests it made meanwhile.
// options: { traceId, rounds, baseUrl }
const ROWS = "[data-waterfall] [role='treeitem']";

export async function run({ openPage, options }) {
  const rounds = [];
  for (let i = 0; i < options.rounds; i++) {
    const page = await openPage();
    // Chromium has just started (a new browser per round, bench/trace_huge.ts): its start-up work
    // would compete with the server for the cores and count in the page's first byte.
    await page.waitForTimeout(1_000);
    const api = [];
    page.on("request", (request) => {
      const path = new URL(request.url()).pathname;
      if (path.startsWith("/api/")) api.push(path);
    });
    const started = Date.now();
    await page.goto(new URL(`/traces/${options.traceId}`, options.baseUrl).href, {
      waitUntil: "commit",
    });
    await page.waitForSelector(ROWS, { timeout: 120_000 });
    const firstRowsMs = Date.now() - started;
    await page.waitForSelector("html[data-ready='true']", { timeout: 120_000 });
    const readyMs = Date.now() - started;
    await page.waitForSelector("[data-trace-preview]", { state: "detached", timeout: 120_000 });
    await page.waitForSelector(ROWS, { timeout: 120_000 });
    const interactiveMs = Date.now() - started;
    const timing = await page.evaluate(() => ({
      firstByteMs: performance.getEntriesByType("navigation")[0]?.responseStart ?? -1,
      firstPaintMs: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? -1,
    }));
    rounds.push({ firstRowsMs, readyMs, interactiveMs, ...timing, api });
    await page.close();
  }
  return rounds;
}
