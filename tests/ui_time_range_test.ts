/**
 * The time-range model in headless Chromium (issue 14, points 3 and 5): a trace three days old is
 * reached through the range picker (a 7-day preset, a "last N" length, an absolute range typed in
 * the page's zone), the Dashboard shows an absolute window, and times carry their zone and do not
 * change at hydration, with Argus in New York and the browser in Tokyo
 * (tests/browser/scenarios/time_range.mjs).
 */
import assert from "node:assert/strict";
import { startArgus } from "./argus_process.ts";
import { runScenario } from "./browser.ts";
import { seedChain } from "./ui_data.ts";

Deno.test("a 3-day-old trace is reachable through the range picker; times carry their zone", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-ui-time-" });
  // The server's own zone is neither UTC nor the browser's: pages must not use it.
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms", TZ: "America/New_York" }, cwd);
  try {
    const oldEndMs = Date.now() - 3 * 86_400_000;
    const old = await seedChain(argus, { nowMs: oldEndMs, chains: 2, seed: 3 });
    const recent = await seedChain(argus, { chains: 3, seed: 4, logs: false });
    const list = await (await fetch(`${argus.baseUrl}/api/traces?range=7d&limit=100`)).json();
    const oldTrace = list.items.find((t: { trace_id: string }) => t.trace_id === old.traceIds[0]);
    const { answer, problems } = await runScenario<{ steps: string[] }>(
      "time_range",
      argus.baseUrl,
      {
        oldTraceIds: old.traceIds,
        recentTraceIds: recent.traceIds,
        oldStartTime: oldTrace.start_time,
      },
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(answer.steps, [
      "first visit in UTC, unchanged by hydration",
      "then in the browser's zone, unchanged by hydration",
      "logs of 7 days carry their date and zone",
      "7-day preset lists the old trace",
      "'last 4d' lists it",
      "absolute range in Tokyo time lists only it",
      "the window travels to the Dashboard, which shows it",
      "UTC chosen and remembered",
    ]);
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
