import assert from "node:assert/strict";
import { LAYOUTS, measure } from "./span_layouts.ts";

Deno.test("span_layouts: every layout stores each trace's spans, summary and service once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "argus-span-layouts-test-" });
  try {
    for (const layout of LAYOUTS) {
      const measured = measure(dir, layout, 1_500, 3);
      const traces = 1_500 + 3 * 50;
      assert.deepEqual(
        measured.rows,
        { spans: traces * 2, summaries: traces, services: traces },
        layout.name,
      );
      assert.ok(measured.spansPerSecond > 0 && measured.cpuUsPerSpan > 0, layout.name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
