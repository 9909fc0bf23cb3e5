// Every page in both colour schemes, checked by axe-core for WCAG 2.0 and 2.1 A and AA (contrast,
// names, labels, ARIA, …), with data on it, and Settings' purge dialog open; then the header's colour scheme toggle: a choice is
// shown at once, remembered (the server renders it on the next load), and "auto" follows the
// browser's preference, from the first paint on.
// Argus runs with API_TOKEN, so that the login page is checked too (and the header's Log out).
// options: { apiToken, traceId, otherTraceId }
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";

const AXE_SOURCE = await readFile(
  createRequire(import.meta.url).resolve("axe-core/axe.min.js"),
  "utf8",
);
const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const SCHEME = "data-mantine-color-scheme";
const CHOICE = "data-argus-color-scheme";

/** Each page and what shows that its data is there (axe then checks what a user sees). */
function pages(traceId, otherId) {
  return [
    { path: "/", ready: ["[data-dashboard][data-loading='false']", "[data-chart-state='drawn']"] },
    {
      path: "/service-map",
      ready: ["[data-service-map][data-loading='false']", "[data-chart-state='drawn']"],
    },
    { path: "/logs", ready: ["[data-log-id]"] },
    { path: "/traces", ready: ["[data-trace-id]"] },
    { path: `/traces/${traceId}`, ready: ["[data-waterfall]"] },
    { path: `/traces/compare?a=${traceId}&b=${otherId}`, ready: ["[data-compare-table]"] },
    { path: "/services/payment-service", ready: ["[data-operation]"] },
    { path: "/instruments", ready: ["[data-metrics][data-loading='false']"] },
    { path: "/settings", ready: ["[data-figure='Queue depth']"] },
    { path: "/no-such-page", ready: ["[data-error-page='404']"], status: 404 },
  ];
}

/** axe's WCAG A/AA violations of the page as it is now, in short. */
async function violations(page) {
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(AXE_SOURCE);
  return await page.evaluate(async (tags) => {
    // deno-lint-ignore no-undef -- axe-core, evaluated into the page above
    const result = await axe.run(document, { runOnly: { type: "tag", values: tags } });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 6).map((n) => `${n.target.join(" ")}: ${n.failureSummary}`),
    }));
  }, WCAG_TAGS);
}

async function scheme(page) {
  return await page.evaluate((name) => document.documentElement.getAttribute(name), SCHEME);
}

/** Records the scheme as the body starts: what the first paint shows. */
async function recordFirstPaintScheme(page) {
  await page.addInitScript((name) => {
    const observer = new MutationObserver(() => {
      if (document.body && globalThis.argusSchemeAtBody === undefined) {
        globalThis.argusSchemeAtBody = document.documentElement.getAttribute(name);
        observer.disconnect();
      }
    });
    observer.observe(document, { childList: true, subtree: true });
  }, SCHEME);
}

async function settle(page) {
  // Mantine's transitions and ECharts's animations end before contrast is measured.
  await page.waitForTimeout(400);
}

/** The time-range picker, open: its presets, "last N", absolute range and zone choice. */
async function picker(page) {
  await page.click("[data-time-range]");
  await page.locator("[data-time-range-picker] [data-absolute-form]").waitFor();
  await settle(page);
  const found = await violations(page);
  await page.keyboard.press("Escape");
  await page.locator("[data-time-range-picker]").waitFor({ state: "hidden" });
  return found;
}

/** Settings' purge confirmation, open: a modal over the page. */
async function dialog(page) {
  await page.getByLabel("Signal to purge").click();
  await page.getByRole("option", { name: "Logs and traces" }).click();
  await page.getByLabel("Age to purge").click();
  await page.getByRole("option", { name: "1 hour" }).click();
  await page.click("[data-action='purge']");
  await page.locator("[data-confirm='purge']").waitFor();
  await settle(page);
  const found = await violations(page);
  await page.getByRole("button", { name: "Cancel" }).click();
  await page.locator("[data-confirm='purge']").waitFor({ state: "detached" });
  return found;
}

async function logIn(page, baseUrl, apiToken) {
  await page.goto(new URL("/login", baseUrl).href);
  await page.getByLabel("API token").fill(apiToken);
  await Promise.all([
    page.waitForURL((url) => url.pathname === "/"),
    page.getByRole("button", { name: "Log in" }).click(),
  ]);
}

/** Every page in the browser's preferred scheme, left on "auto": axe's findings per page. */
async function checkPages({ openPage, visit, baseUrl, options }, preferred) {
  const page = await openPage();
  await page.emulateMedia({ colorScheme: preferred });
  await recordFirstPaintScheme(page);
  const found = {};
  await page.goto(new URL("/login", baseUrl).href);
  await page.getByLabel("API token").waitFor();
  assert.equal(await scheme(page), preferred, "the login page follows the browser");
  found[`/login ${preferred}`] = await violations(page);
  await logIn(page, baseUrl, options.apiToken);
  for (const { path, ready, status } of pages(options.traceId, options.otherTraceId)) {
    const response = page.waitForResponse((r) => r.url() === new URL(path, baseUrl).href);
    await visit(page, path);
    assert.equal((await response).status(), status ?? 200, path);
    for (const selector of ready) await page.waitForSelector(selector, { timeout: 20_000 });
    assert.equal(await scheme(page), preferred, `${path} follows the browser`);
    assert.equal(
      await page.evaluate(() => globalThis.argusSchemeAtBody),
      preferred,
      `${path} is ${preferred} from its first paint`,
    );
    await settle(page);
    found[`${path} ${preferred}`] = await violations(page);
    if (path === "/settings") found[`/settings, purge dialog ${preferred}`] = await dialog(page);
    if (path === "/traces") found[`/traces, time-range picker ${preferred}`] = await picker(page);
  }
  await page.close();
  return found;
}

async function pressed(page) {
  return await page.$$eval(
    "[data-color-scheme-choice][aria-pressed='true']",
    (buttons) => buttons.map((b) => b.dataset.colorSchemeChoice),
  );
}

/** The toggle: shown at once, remembered across a reload, "auto" following the browser. */
async function checkToggle({ openPage, visit, baseUrl, options }) {
  const page = await openPage();
  await page.emulateMedia({ colorScheme: "light" });
  await logIn(page, baseUrl, options.apiToken);
  await visit(page, "/");
  await page.waitForSelector("[data-chart-state='drawn']");
  const steps = [];
  const step = async (name) =>
    steps.push({ name, scheme: await scheme(page), pressed: await pressed(page) });
  await step("auto, browser light");

  const chartInk = { light: await brightChartPixels(page) };
  await page.click("[data-color-scheme-choice='dark']");
  await step("dark chosen");
  chartInk.darkChosen = await brightChartPixels(page);
  const cookie = (await page.context().cookies()).find((c) => c.name === "argus_color_scheme");
  const reload = await page.reload();
  const html = await reload.text();
  await page.waitForSelector("html[data-ready='true']");
  await page.waitForSelector("[data-chart-state='drawn']");
  await step("dark, reloaded");
  chartInk.darkReloaded = await brightChartPixels(page);

  await page.click("[data-color-scheme-choice='auto']");
  await step("auto chosen, browser light");
  await page.emulateMedia({ colorScheme: "dark" });
  await page.waitForFunction(
    (name) => document.documentElement.getAttribute(name) === "dark",
    SCHEME,
  );
  await step("auto, browser now dark");

  await page.click("[data-color-scheme-choice='light']");
  await step("light chosen, browser dark");
  await page.reload();
  await page.waitForSelector("html[data-ready='true']");
  await step("light, reloaded, browser dark");
  await page.close();
  return {
    steps,
    cookie: cookie && { value: cookie.value, path: cookie.path, expires: cookie.expires > 0 },
    serverRendered: {
      scheme: html.match(/<html[^>]* data-mantine-color-scheme="(\w+)"/)?.[1],
      choice: html.match(new RegExp(`<html[^>]* ${CHOICE}="(\\w+)"`))?.[1],
    },
    chartInk,
  };
}

/**
 * The traffic chart's near-white pixels, once its redraw has settled: its light inks (grid lines
 * #f1f3f5 and the like) have them, its dark ones none.
 */
async function brightChartPixels(page) {
  await page.waitForTimeout(800);
  return await page.evaluate(() => {
    const canvas = document.querySelector("[data-chart='traffic'] canvas");
    const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    let bright = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i] > 230 && data[i + 1] > 230 && data[i + 2] > 230 && data[i + 3] > 200) bright++;
    }
    return bright;
  });
}

export async function run(context) {
  const light = await checkPages(context, "light");
  const dark = await checkPages(context, "dark");
  const toggle = await checkToggle(context);
  return { violations: { ...light, ...dark }, toggle };
}
