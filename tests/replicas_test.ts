/**
 * Three Argus replicas on one PostgreSQL database, as the README's "Several replicas" runs them
 * (issue 17): traffic to all three at once, and then
 * - every acknowledged span and log record stored exactly once, rollups equal to the rows;
 * - `/api/stats` and the service map the same from every replica, an edge whose parent and child
 *   reached different replicas included;
 * - a WebSocket client on replica 1 receives, each once, the log records sent to replica 3
 *   (live/cluster_feed.ts);
 * - `/api/health` on every replica lists the three, exactly one holding the maintenance lease
 *   (retention and the metric rollup job run there only: store/replicas.ts), and when that replica
 *   is killed with SIGKILL another takes the lease within LEASE_TTL and the dead one drops out.
 *
 * The database is one the test creates on the machine's PostgreSQL server (tests/databases.ts).
 */
import assert from "node:assert/strict";
import { createStore, type Store } from "../store/mod.ts";
import { type ArgusProcess, getJson, startArgus } from "./argus_process.ts";
import { freshDatabase, selectedDrivers, type TestDatabase } from "./databases.ts";
import {
  AckLedger,
  assertStoredExactlyOnce,
  sendSpans,
  sleep,
  Traffic,
  waitUntil,
  withArgusLog,
} from "./fault_harness.ts";
import { jsonLogs, type JsonSpan, logsRequest, postJson } from "./otlp_payloads.ts";

const REPLICAS = 3;
/** Each replica's settings: a short edge wait, so a cross-replica edge settles within the test. */
const SETTINGS = {
  FLUSH_INTERVAL: "0ms",
  EDGE_PENDING_WINDOW: "1s",
  LOG_LEVEL: "info",
  REPLICA_HEARTBEAT: "1s",
  LEASE_TTL: "3s",
};

interface HealthReplicas {
  replica: string;
  replicas: { id: string; holds_maintenance: boolean }[];
}

/** Who replica `argus` sees alive, and which one it sees holding the maintenance lease. */
async function replicasSeen(argus: ArgusProcess): Promise<{ alive: string[]; holder?: string }> {
  const health = await getJson(argus, "/api/health") as HealthReplicas;
  return {
    alive: health.replicas.map((r) => r.id).sort(),
    holder: health.replicas.find((r) => r.holds_maintenance)?.id,
  };
}

/** `count` traces whose root span is in `frontend` and its child in `backend`, 10 ms long. */
function crossServiceTraces(
  count: number,
  seed: number,
): { roots: JsonSpan[]; children: JsonSpan[] } {
  const startNs = BigInt(Date.now() - 60_000) * 1_000_000n;
  const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");
  const roots: JsonSpan[] = [];
  const children: JsonSpan[] = [];
  for (let i = 0; i < count; i++) {
    const traceId = hex(seed, 16) + hex(i + 1, 16);
    const start = startNs + BigInt(i) * 20_000_000n;
    roots.push({
      traceId,
      spanId: hex(seed * 4096 + i * 2 + 1, 16),
      name: "GET /checkout",
      kind: 2,
      startTimeUnixNano: start.toString(),
      endTimeUnixNano: (start + 10_000_000n).toString(),
      attributes: [],
    });
    children.push({
      traceId,
      spanId: hex(seed * 4096 + i * 2 + 2, 16),
      parentSpanId: hex(seed * 4096 + i * 2 + 1, 16),
      name: "charge",
      kind: 3,
      startTimeUnixNano: (start + 1_000_000n).toString(),
      endTimeUnixNano: (start + 8_000_000n).toString(),
      attributes: [],
    });
  }
  return { roots, children };
}

const drivers = selectedDrivers().includes("postgres") ? ["postgres"] as const : [];
for (const driver of drivers) {
  Deno.test(`[${driver}] three replicas on one database behave as one`, async () => {
    const database: TestDatabase = await freshDatabase(driver);
    const replicas: ArgusProcess[] = [];
    const dirs: string[] = [];
    let store: Store | undefined;
    let socket: WebSocket | undefined;
    try {
      for (let i = 0; i < REPLICAS; i++) {
        const cwd = await Deno.makeTempDir({ prefix: `argus-replica-${i + 1}-` });
        dirs.push(cwd);
        replicas.push(
          await startArgus({ ...SETTINGS, DB_DRIVER: driver, DB_DSN: database.config.dsn }, cwd),
        );
      }
      // Traffic to every replica at once, then parents on replica 1 and children on replica 2.
      const ledger = new AckLedger();
      const services = replicas.map((_, i) => `replica-${i + 1}`);
      const traffic = replicas.map((argus, i) =>
        new Traffic(argus.otlpHttpUrl, ledger, services[i]!, { items: 50, seed: 1000 * (i + 1) })
      );
      await sleep(3_000);
      const reports = await Promise.all(traffic.map((t) => t.stop()));
      for (const report of reports) {
        assert.deepEqual(report.other, [], JSON.stringify(report));
        assert.ok(report.acknowledged > 0, JSON.stringify(report));
      }
      const { roots, children } = crossServiceTraces(10, 77);
      assert.ok(
        (await sendSpans(replicas[0]!.otlpHttpUrl, ledger, roots, "frontend")).acknowledged,
      );
      assert.ok(
        (await sendSpans(replicas[1]!.otlpHttpUrl, ledger, children, "backend")).acknowledged,
      );

      store = await createStore(database.config, { dataDir: dirs[0]! });
      await assertStoredExactlyOnce(store, ledger, [...services, "frontend", "backend"]);

      // The same answers from every replica: the edge frontend → backend once its wait is over.
      const edgeCalls = async (argus: ArgusProcess) => {
        const map = await getJson(argus, "/api/metrics/service-map?range=1h") as {
          edges: { source: string; target: string; calls: number }[];
        };
        return map.edges.find((e) => e.source === "frontend" && e.target === "backend")?.calls;
      };
      await waitUntil(
        "the cross-replica edge frontend → backend counted 10 calls on every replica",
        async () => (await Promise.all(replicas.map(edgeCalls))).every((calls) => calls === 10),
      );
      const stats = await Promise.all(replicas.map((r) => getJson(r, "/api/stats?range=1h")));
      const maps = await Promise.all(
        replicas.map((r) => getJson(r, "/api/metrics/service-map?range=1h")),
      );
      for (let i = 1; i < REPLICAS; i++) {
        assert.deepEqual(stats[i], stats[0], `replica ${i + 1}'s /api/stats`);
        assert.deepEqual(maps[i], maps[0], `replica ${i + 1}'s service map`);
      }
      const total = (stats[0] as { total_spans: number }).total_spans;
      assert.equal(total, ledger.spans.size);

      // The live stream of replica 1 shows what replica 3 received.
      for (const replica of replicas) {
        await waitUntil(
          "every replica's live feed listens",
          () => replica.log().includes("live cluster feed is listening"),
        );
      }
      socket = new WebSocket(`${replicas[0]!.baseUrl.replace("http", "ws")}/ws?service=live-3`);
      const streamed: { id: string; body: unknown }[] = [];
      socket.onmessage = (event) => streamed.push(...JSON.parse(event.data));
      await new Promise((resolve, reject) => {
        socket!.onopen = resolve;
        socket!.onerror = reject;
      });
      const records = jsonLogs(120, 303, BigInt(Date.now()) * 1_000_000n);
      const posted = await postJson(
        replicas[2]!.otlpHttpUrl,
        "logs",
        logsRequest(records, "live-3"),
      );
      assert.equal(posted.status, 200);
      await waitUntil("replica 1 streamed replica 3's 120 records", () => streamed.length >= 120);
      await sleep(500);
      assert.equal(streamed.length, 120);
      assert.equal(new Set(streamed.map((l) => l.id)).size, 120, "each record once");
      assert.deepEqual(
        streamed.map((l) => l.body).sort(),
        records.map((l) => (l.body as { stringValue: string }).stringValue).sort(),
      );

      // One maintenance holder, the same for all; killed, another takes over.
      const ids = (await Promise.all(replicas.map((r) => getJson(r, "/api/health"))))
        .map((h) => (h as HealthReplicas).replica);
      await waitUntil("every replica sees the three, and the same one holder", async () => {
        const seen = await Promise.all(replicas.map(replicasSeen));
        return seen.every((v) =>
          JSON.stringify(v.alive) === JSON.stringify([...ids].sort()) &&
          v.holder !== undefined && v.holder === seen[0]!.holder
        );
      });
      const holder = (await replicasSeen(replicas[0]!)).holder!;
      const killed = ids.indexOf(holder);
      await replicas[killed]!.stop("SIGKILL");
      const survivors = replicas.filter((_, i) => i !== killed);
      const survivorIds = ids.filter((_, i) => i !== killed).sort();
      const killedAt = Date.now();
      await waitUntil("a survivor holds the lease and the killed replica dropped out", async () => {
        const seen = await Promise.all(survivors.map(replicasSeen));
        return seen.every((v) =>
          JSON.stringify(v.alive) === JSON.stringify(survivorIds) &&
          v.holder !== undefined && v.holder !== holder && v.holder === seen[0]!.holder
        );
      });
      // The lease outlives its holder by at most LEASE_TTL (3 s), plus a try (a third of it).
      assert.ok(Date.now() - killedAt < 20_000);
    } catch (error) {
      throw withArgusLog(error, replicas[0]);
    } finally {
      socket?.close();
      await store?.close();
      await Promise.all(replicas.map((r) => r.stop()));
      await database.drop();
      for (const dir of dirs) await Deno.remove(dir, { recursive: true });
    }
  });
}
