/**
 * The live stream across replicas: two Argus processes on one PostgreSQL database (one the test
 * creates), a WebSocket client on the first, logs sent over OTLP/HTTP to the second.
 */
import { parsePrometheusText, sampleValue } from "../lib/prometheus_text_test_helper.ts";
import assert from "node:assert/strict";
import { type ArgusProcess, startArgus } from "./argus_process.ts";
import { freshDatabase } from "./databases.ts";
import { jsonLogs, logsRequest, postJson } from "./otlp_payloads.ts";

Deno.test("GET /ws on one replica streams the logs another replica received, each once", async () => {
  const database = await freshDatabase("postgres");
  const dirs: string[] = [];
  const replicas: ArgusProcess[] = [];
  let socket: WebSocket | undefined;
  try {
    for (let i = 0; i < 2; i++) {
      const cwd = await Deno.makeTempDir({ prefix: "argus-live-replica-" });
      dirs.push(cwd);
      replicas.push(
        await startArgus({
          DB_DRIVER: "postgres",
          DB_DSN: database.config.dsn,
          FLUSH_INTERVAL: "10ms",
          LOG_LEVEL: "info",
        }, cwd),
      );
    }
    const [one, two] = replicas as [ArgusProcess, ArgusProcess];
    for (const replica of replicas) {
      await until(
        "the replica's feed listens",
        () => replica.log().includes("live cluster feed is listening"),
      );
    }

    socket = new WebSocket(`${one.baseUrl.replace("http", "ws")}/ws?service=checkout`);
    const streamed: Record<string, unknown>[] = [];
    socket.onmessage = (event) => streamed.push(...JSON.parse(event.data));
    await new Promise((resolve, reject) => {
      socket!.onopen = resolve;
      socket!.onerror = reject;
    });

    const nowNs = BigInt(Date.now()) * 1_000_000n;
    // Two requests to replica 2, and one to replica 1 (its own records, straight from its hub).
    const first = jsonLogs(300, 71, nowNs);
    const second = jsonLogs(40, 72, nowNs + 1_000_000n);
    const local = jsonLogs(5, 73, nowNs + 2_000_000n);
    for (const [replica, logs] of [[two, first], [two, second], [one, local]] as const) {
      const response = await postJson(replica.otlpHttpUrl, "logs", logsRequest(logs, "checkout"));
      assert.equal(response.status, 200);
    }
    // Another service: filtered out by the client's query on replica 1 as well.
    const other = await postJson(two.otlpHttpUrl, "logs", logsRequest(jsonLogs(7, 74, nowNs)));
    assert.equal(other.status, 200);

    await until("replica 1 has streamed 345 records", () => streamed.length >= 345);
    // Time for a duplicate to show up, if any would.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const bodies = streamed.map((l) => l.body);
    const sent = [...first, ...second, ...local].map((l) =>
      (l.body as { stringValue: string }).stringValue
    );
    assert.equal(streamed.length, 345);
    assert.equal(new Set(streamed.map((l) => l.id)).size, 345, "each record once");
    assert.deepEqual([...bodies].sort(), [...sent].sort());
    assert.ok(streamed.every((l) => l.service_name === "checkout"));
    // Replica 2's records in the order it committed them.
    const fromTwo = sent.slice(0, 340);
    assert.deepEqual(bodies.filter((b) => fromTwo.includes(b as string)), fromTwo);
    // The same shape as the query API's items, read on either replica.
    const listed = await (await fetch(`${one.baseUrl}/api/logs?service=checkout&limit=1000`))
      .json();
    const byId = new Map(listed.items.map((item: { id: string }) => [item.id, item]));
    for (const record of streamed) assert.deepEqual(record, byId.get(record.id as string));
    // Each replica's /metrics counts its side: replica 2 announced its 347 ids, replica 1
    // published the 340 of the service its client watches (its feed reads what a client wants).
    const scrape = async (replica: ArgusProcess) =>
      parsePrometheusText(await (await fetch(`${replica.baseUrl}/metrics`)).text());
    const [metricsOne, metricsTwo] = [await scrape(one), await scrape(two)];
    const ids = (families: typeof metricsOne, outcome: string) =>
      sampleValue(families, "argus_live_cluster_ids_total", { outcome });
    assert.equal(ids(metricsTwo, "sent"), 347);
    assert.equal(sampleValue(metricsOne, "argus_live_cluster_connected"), 1);
    assert.ok(ids(metricsOne, "published")! >= 340, String(ids(metricsOne, "published")));
    assert.equal(ids(metricsOne, "dropped"), 0);
  } finally {
    socket?.close();
    for (const replica of replicas) assert.equal(await replica.stop(), 0);
    for (const dir of dirs) await Deno.remove(dir, { recursive: true });
    await database.drop();
  }
});

async function until(what: string, done: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
