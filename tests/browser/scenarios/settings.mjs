// The Settings page: health figures rendered and refreshed; the Danger Zone's purge asks for
// confirmation, does nothing when cancelled, and deletes once confirmed.
import assert from "node:assert/strict";
import { saveScreenshots } from "../screenshots.mjs";

export async function run({ openPage, visit }) {
  const page = await openPage();
  await visit(page, "/settings");
  assert.equal(await page.title(), "Settings · Argus");
  assert.equal(await page.textContent("a[aria-current='page']"), "Settings");
  await page.waitForSelector("[data-figure='DB latency p99']");
  assert.match(await page.textContent("[data-figure='Queue depth']") ?? "", /^\d+$/);
  await saveScreenshots(page, "docs/screenshots/settings.png", { fullPage: true });

  // Purge logs and spans older than 1 hour: cancel first.
  await page.getByLabel("Signal to purge").click();
  await page.getByRole("option", { name: "Logs and traces" }).click();
  await page.getByLabel("Age to purge").click();
  await page.getByRole("option", { name: "1 hour" }).click();
  await page.click("[data-action='purge']");
  const dialog = page.locator("[data-confirm='purge']");
  await dialog.waitFor();
  const warning = await dialog.textContent();
  assert.match(warning, /permanently deletes all logs and spans older than 1 hour/);
  await page.waitForTimeout(400); // the dialog's opening transition
  await saveScreenshots(page, "docs/screenshots/settings-purge.png");
  await page.getByRole("button", { name: "Cancel" }).click();
  await dialog.waitFor({ state: "detached" });
  const afterCancel = await (await fetch(new URL("/api/stats?range=24h", page.url()))).json();

  await page.click("[data-action='purge']");
  await page.click("[data-action='confirm']");
  const result = page.locator("[data-result='ok']");
  await result.waitFor();
  return { warning, afterCancel, result: await result.textContent() };
}
