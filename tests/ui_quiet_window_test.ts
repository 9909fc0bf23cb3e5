/**
 * A quiet window against an empty Argus (issue 14), in headless Chromium: Argus holds a call chain
 * from about 40 minutes ago (spans and logs, sent through OTLP/HTTP) and nothing since. The pages
 * that show the last 5 minutes say when the newest data is from and widen to the last hour in one
 * click (tests/browser/scenarios/quiet_window.mjs); an Argus that never received anything says so
 * instead (the empty steps of the dashboard, service-map and logs tests).
 */
import assert from "node:assert/strict";
import { startArgus } from "./argus_process.ts";
import { runScenario } from "./browser.ts";
import { seedChain } from "./ui_data.ts";

Deno.test("a quiet window says when the newest data is from and widens to it in one click", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-ui-quiet-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms" }, cwd);
  try {
    const endMs = Date.now() - 40 * 60_000;
    const seeded = await seedChain(argus, { nowMs: endMs, chains: 12 });
    const { latest_time } = await (await fetch(`${argus.baseUrl}/api/metadata/latest`)).json();
    // The newest item is a span or log of the last chain, which ends 5 s before `nowMs`.
    assert.ok(Date.parse(latest_time) <= endMs && Date.parse(latest_time) > endMs - 120_000);
    assert.equal(seeded.traceIds.length, 12);
    const { answer, problems } = await runScenario<{ shown: string[] }>(
      "quiet_window",
      argus.baseUrl,
      { latest: latest_time },
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(answer.shown, ["/", "/service-map", "/logs"]);
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
