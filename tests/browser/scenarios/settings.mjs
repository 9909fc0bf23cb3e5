// The Settings page: health figures rendered and refreshed.
import assert from "node:assert/strict";

export async function run({ openPage, visit }) {
  const page = await openPage();
  await visit(page, "/settings");
  assert.equal(await page.title(), "Settings · Argus");
  assert.equal(await page.textContent("a[aria-current='page']"), "Settings");
  await page.waitForSelector("[data-figure='DB latency p99']");
  assert.match(await page.textContent("[data-figure='Queue depth']") ?? "", /^\d+$/);
  await page.screenshot({ path: "docs/screenshots/settings.png", fullPage: true });
  return { title: await page.title() };
}
