/**
 * The trace list's capped count in headless Chromium (tests/browser/scenarios/traces_capped.mjs):
 * Argus with TRACE_COUNT_LIMIT=5 holding 12 traces (call chains sent through OTLP/HTTP) shows
 * "5+ traces" for a list sorted by duration, pages through those 5, and counts the default list
 * exactly.
 */
import assert from "node:assert/strict";
import { startArgus } from "./argus_process.ts";
import { runScenario } from "./browser.ts";
import { seedChain } from "./ui_data.ts";

const LIMIT = 5;

Deno.test("a trace list past TRACE_COUNT_LIMIT shows 'N+ traces' and pages through N", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-ui-trace-count-" });
  const argus = await startArgus(
    { FLUSH_INTERVAL: "10ms", TRACE_COUNT_LIMIT: String(LIMIT) },
    cwd,
  );
  try {
    const seeded = await seedChain(argus, { chains: 12, logs: false });
    assert.equal(seeded.expected.traces, 12);
    const { answer, problems } = await runScenario<{ first: string; last: string }>(
      "traces_capped",
      argus.baseUrl,
      { total: 12, limit: LIMIT },
    );
    assert.deepEqual(problems, []);
    assert.match(answer.first, /^5\+ traces in the last hour · 1–2$/);
    // Page 3 of 2 rows starts at the 5th trace; more than 5 match, so it is full, and its 6
    // traces are counted: at least 6.
    assert.match(answer.last, /^6\+ traces in the last hour · 5–6$/);
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
