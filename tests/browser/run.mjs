// Runs one browser scenario in headless Chromium with playwright-core, under Node: playwright
// reads /proc at load time, which Deno allows only with --allow-all, and the test task keeps
// explicit permissions. Called by tests/browser.ts as
//   node tests/browser/run.mjs <scenario> <baseUrl> [<json options>]
// It prints one line `RESULT <json>` with the scenario's answer, the console errors, failed
// requests and uncaught page errors seen, and exits 1 when the scenario threw.
import { chromium } from "playwright-core";
import { pathToFileURL } from "node:url";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const [scenarioName, baseUrl, optionsJson] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
const scenario = await import(pathToFileURL(join(here, "scenarios", `${scenarioName}.mjs`)).href);

const browser = await chromium.launch({
  executablePath: process.env.ARGUS_CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
  ],
});
const problems = [];

/**
 * A new page at 1280×800 (in a context of its own, with playwright's context `options` such as
 * `timezoneId`) whose console errors and failed requests are recorded.
 */
async function openPage(viewport = { width: 1280, height: 800 }, options = {}) {
  const page = await browser.newPage({ viewport, ...options });
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => {
    // Requests cut short by navigation (and closed streams) are not failures of the page.
    if (request.failure()?.errorText === "net::ERR_ABORTED") return;
    problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
  });
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  return page;
}

/** Navigates and waits until every island of the page has hydrated. */
async function visit(page, path) {
  await page.goto(new URL(path, baseUrl).href);
  await page.waitForSelector("html[data-ready='true']", { timeout: 20_000 });
  const failed = await page.$$eval(
    "argus-island[data-ready='error']",
    (islands) => islands.map((i) => i.dataset.island),
  );
  if (failed.length > 0) throw new Error(`Islands failed to hydrate: ${failed.join(", ")}`);
}

let answer;
let failure;
try {
  answer = await scenario.run({
    browser,
    baseUrl,
    options: optionsJson ? JSON.parse(optionsJson) : {},
    openPage,
    visit,
  });
} catch (error) {
  failure = error instanceof Error ? `${error.message}\n${error.stack}` : String(error);
} finally {
  await browser.close();
}
// deno-lint-ignore no-console -- the one line the Deno side reads
console.log(`RESULT ${JSON.stringify({ answer, problems, failure })}`);
process.exit(failure ? 1 : 0);
