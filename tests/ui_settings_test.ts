/**
 * The Settings page in headless Chromium, against Argus with data ingested through OTLP.
 */
import assert from "node:assert/strict";
import { startArgus } from "./argus_process.ts";
import { runScenario } from "./browser.ts";

Deno.test("the Settings page shows Argus's health, live", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-ui-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms" }, cwd);
  try {
    const { problems } = await runScenario("settings", argus.baseUrl);
    assert.deepEqual(problems, []);
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
