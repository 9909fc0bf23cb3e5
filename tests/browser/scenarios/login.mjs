// Argus with API_TOKEN and ADMIN_TOKEN: a page sends the browser to the login form; a wrong token
// is refused, the right one opens the page it asked for (under the Content-Security-Policy, with
// no violation); the Danger Zone asks for the admin token before it purges; logging out ends it.
import assert from "node:assert/strict";

export async function run({ openPage, baseUrl, options }) {
  const page = await openPage();
  await page.goto(new URL("/settings", baseUrl).href);
  const redirected = new URL(page.url());
  const redirectedTo = redirected.pathname + redirected.search;

  await page.getByLabel("API token").fill("not-the-token-0123456789");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForSelector("[data-login-error]");
  const wrong = await page.textContent("[data-login-error]");

  await page.getByLabel("API token").fill(options.apiToken);
  await Promise.all([
    page.waitForURL((url) => url.pathname === "/settings"),
    page.getByRole("button", { name: "Log in" }).click(),
  ]);
  await page.waitForSelector("html[data-ready='true']", { timeout: 20_000 });
  const cookie = (await page.context().cookies()).find((c) => c.name === "argus_session");
  assert.ok(cookie, "the session cookie is set");

  // The Danger Zone: confirming needs the admin token.
  await page.click("[data-action='purge']");
  await page.locator("[data-confirm='purge']").waitFor();
  const confirm = page.locator("[data-action='confirm']");
  const confirmDisabled = await confirm.isDisabled();
  await page.getByLabel("Admin token").fill(options.adminToken);
  await confirm.click();
  const result = page.locator("[data-result]");
  await result.waitFor();
  const resultText = await result.textContent();

  await Promise.all([
    page.waitForURL((url) => url.pathname === "/login"),
    page.getByRole("button", { name: "Log out" }).click(),
  ]);
  await page.goto(new URL("/", baseUrl).href);
  const after = new URL(page.url());
  return {
    redirectedTo,
    wrong,
    session: { httpOnly: cookie.httpOnly, sameSite: cookie.sameSite },
    confirmDisabled,
    result: resultText,
    afterLogout: after.pathname + after.search,
  };
}
