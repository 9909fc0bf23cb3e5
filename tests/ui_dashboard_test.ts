/**
 * The Dashboard in headless Chromium, against Argus with a three-service call chain ingested
 * through OTLP/HTTP: its empty state first, then its figures, charts, filters and auto-refresh.
 * Saves docs/screenshots/dashboard.png.
 */
import assert from "node:assert/strict";
import { startArgus } from "./argus_process.ts";
import { runScenario } from "./browser.ts";
import { seedChain } from "./ui_data.ts";

interface DashboardAnswer {
  cards: Record<string, { value: number; text: string }>;
  figures: { total_traces: number; total_logs: number; total_errors: number };
  trafficPaint: number;
  heatmapPaint: number;
}

Deno.test("the Dashboard shows the window's figures, charts and failing services, with its filters in the URL", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-ui-dashboard-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms" }, cwd);
  try {
    const empty = await runScenario("dashboard", argus.baseUrl, { empty: true });
    assert.deepEqual(empty.problems, []);

    const seeded = await seedChain(argus);
    const stats = await (await fetch(`${argus.baseUrl}/api/stats`)).json();
    assert.equal(stats.total_spans, seeded.expected.spans, "the rollups count every span sent");
    const { answer, problems } = await runScenario<DashboardAnswer>("dashboard", argus.baseUrl, {
      screenshot: "docs/screenshots/dashboard.png",
    });
    assert.deepEqual(problems, []);
    // The cards show what was sent, not only what the API says.
    assert.equal(answer.cards["traces"]!.value, seeded.expected.traces);
    assert.equal(answer.cards["logs"]!.value, seeded.expected.logs);
    // A failed chain is one failed request (its root failed), and an error span in each service
    // it crossed: order-service's SERVER span, and the SERVER and CLIENT spans of each service
    // below it down to the one that failed.
    const { errors } = seeded.expected;
    assert.equal(answer.cards["failed-requests"]!.value, errors["order-service"]);
    assert.equal(
      answer.cards["error-spans"]!.value,
      errors["order-service"] + 2 * errors["payment-service"] + 2 * errors["inventory-service"],
    );
    assert.ok(answer.trafficPaint > 0 && answer.heatmapPaint > 0);
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
