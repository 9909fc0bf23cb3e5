/**
 * The Service Map in headless Chromium, against Argus with a three-service call chain ingested
 * through OTLP/HTTP: its empty state first, then the graph, its tables, the range in the URL and
 * a click on a service. Saves docs/screenshots/service-map.png.
 */
import assert from "node:assert/strict";
import { startArgus } from "./argus_process.ts";
import { runScenario } from "./browser.ts";
import { CHAIN_SERVICES, seedChain } from "./ui_data.ts";

interface ServiceMapAnswer {
  nodes: number;
  edges: number;
  services: string[];
  calls: string[];
  clicked: string;
}

Deno.test("the Service Map draws the services and their calls, and a click on a service opens its traces", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-ui-map-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms" }, cwd);
  try {
    const empty = await runScenario("service_map", argus.baseUrl, { empty: true });
    assert.deepEqual(empty.problems, []);

    const seeded = await seedChain(argus);
    const stats = await (await fetch(`${argus.baseUrl}/api/stats`)).json();
    assert.equal(stats.total_spans, seeded.expected.spans, "the rollups count every span sent");
    const { answer, problems } = await runScenario<ServiceMapAnswer>(
      "service_map",
      argus.baseUrl,
      { screenshot: "docs/screenshots/service-map.png", click: "payment-service" },
    );
    assert.deepEqual(problems, []);
    assert.equal(answer.nodes, 3);
    assert.equal(answer.edges, 2);
    assert.deepEqual(answer.services, [...CHAIN_SERVICES].sort());
    assert.deepEqual(answer.calls, [
      "order-service→payment-service",
      "payment-service→inventory-service",
    ]);
    assert.equal(answer.clicked, "payment-service");
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
