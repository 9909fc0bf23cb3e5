// bench/trace_huge.ts: how long a trace page takes to show its first waterfall rows and to
// hydrate, from navigation, a few times over; and which API requests it made meanwhile.
// options: { traceId, rounds }
const ROWS = "[data-waterfall] [role='treeitem']";

export async function run({ openPage, options }) {
  const rounds = [];
  for (let i = 0; i < options.rounds; i++) {
    const page = await openPage();
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
    rounds.push({ firstRowsMs, readyMs, api });
    await page.close();
  }
  return rounds;
}
