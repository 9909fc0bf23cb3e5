// The screenshots of docs/screenshots/, in both colour schemes: `name.png` as the page is (light,
// as the scenarios' browsers prefer), then `name-dark.png` with the browser preferring dark, which
// an Argus left on "auto" follows at once (utils/color_scheme.ts); the page is left light again.
// Scenarios call saveScreenshots() where they used page.screenshot(), with the same options.

/** ECharts's redraw in the other theme, with its animations (300 ms), before the dark picture. */
const REDRAW_MS = 600;

async function showScheme(page, scheme) {
  await page.emulateMedia({ colorScheme: scheme });
  await page.waitForFunction(
    (scheme) => document.documentElement.getAttribute("data-mantine-color-scheme") === scheme,
    scheme,
  );
  if (await page.$("[data-chart]")) await page.waitForTimeout(REDRAW_MS);
}

/** Saves `path` (light) and `path` with `-dark` before `.png` (dark). */
export async function saveScreenshots(page, path, options = {}) {
  if (!path.endsWith(".png")) throw new Error(`A screenshot is a .png: ${path}`);
  await page.screenshot({ ...options, path });
  await showScheme(page, "dark");
  await page.screenshot({ ...options, path: path.replace(/\.png$/, "-dark.png") });
  await showScheme(page, "light");
}
