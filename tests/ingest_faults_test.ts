/**
 * Faults while data flows: the database going away and coming back, the gRPC gateway killed,
 * Argus stopped, Argus overloaded. In each case every acknowledged item ends up stored, once.
 */
import assert from "node:assert/strict";
import { parsePrometheusText, sampleValue } from "../lib/prometheus_text_test_helper.ts";
import { createStore, type Store } from "../store/mod.ts";
import { type ArgusProcess, startArgus } from "./argus_process.ts";
import { databaseConfig, freshDatabase } from "./databases.ts";
import { jsonSpans, postJson, traceRequest } from "./otlp_payloads.ts";

const ALL = { startNs: 0n, endNs: (1n << 63n) - 1n };

/** A TCP proxy the test can cut and restore, standing between Argus and PostgreSQL. */
class TcpProxy {
  #listener: Deno.TcpListener | undefined;
  #connections = new Set<Deno.Conn>();
  port = 0;

  constructor(private readonly targetPort: number) {}

  start(): void {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: this.port });
    this.port = (this.#listener.addr as Deno.NetAddr).port;
    void this.#accept(this.#listener);
  }

  async #accept(listener: Deno.TcpListener) {
    try {
      for await (const client of listener) {
        try {
          const server = await Deno.connect({ hostname: "127.0.0.1", port: this.targetPort });
          this.#connections.add(client).add(server);
          const close = () => {
            for (const c of [client, server]) {
              this.#connections.delete(c);
              try {
                c.close();
              } catch {
                // closed already
              }
            }
          };
          client.readable.pipeTo(server.writable).catch(() => {}).finally(close);
          server.readable.pipeTo(client.writable).catch(() => {}).finally(close);
        } catch {
          client.close();
        }
      }
    } catch {
      // listener closed
    }
  }

  /** Refuses new connections and cuts the open ones, as a crashed database server would. */
  cut(): void {
    this.#listener?.close();
    this.#listener = undefined;
    for (const connection of this.#connections) {
      try {
        connection.close();
      } catch {
        // closed already
      }
    }
    this.#connections.clear();
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}

async function batchFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && /^batch_.*\.json$/.test(entry.name)) names.push(entry.name);
  }
  return names;
}

Deno.test("a database outage sends batches to the DLQ, clients get success, and the replay stores each item once", async () => {
  const database = await freshDatabase("postgres");
  const proxy = new TcpProxy(
    new URL(database.config.dsn).port === "" ? 5432 : Number(new URL(database.config.dsn).port),
  );
  proxy.start();
  const dsn = new URL(database.config.dsn);
  dsn.port = String(proxy.port);
  const cwd = await Deno.makeTempDir({ prefix: "argus-outage-" });
  const argus = await startArgus({
    DB_DRIVER: "postgres",
    DB_DSN: dsn.toString(),
    DB_CONNECT_TIMEOUT: "1s",
    FLUSH_INTERVAL: "20ms",
    DLQ_REPLAY_INTERVAL: "500ms",
  }, cwd);
  const reader = await createStore(database.config, { dataDir: cwd });
  const dlqDir = `${cwd}/data/dlq`;
  try {
    const send = async (round: number) => {
      const spans = jsonSpans(
        50,
        1000 + round,
        1_795_687_200_000_000_000n + BigInt(round) * 1_000_000_000n,
      );
      const answer = await postJson(
        argus.otlpHttpUrl,
        "traces",
        traceRequest(spans, "outage-service"),
      );
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(answer.body, {});
    };
    for (let round = 0; round < 10; round++) await send(round);
    assert.equal(await reader.countSpans(ALL), 500);

    proxy.cut();
    for (let round = 10; round < 20; round++) await send(round);
    assert.ok((await batchFiles(dlqDir)).length > 0, "batches were dead-lettered");
    const health = await (await fetch(`${argus.baseUrl}/api/health`)).json();
    assert.ok(health.dlq_size > 0);
    const during = parsePrometheusText(await (await fetch(`${argus.baseUrl}/metrics`)).text());
    assert.ok(sampleValue(during, "argus_dlq_size")! > 0);
    assert.ok(sampleValue(during, "argus_dlq_writes_total", { outcome: "ok" })! > 0);
    // A corrupt file among the good ones: quarantined, never replayed, never blocking the others.
    await Deno.writeTextFile(
      `${dlqDir}/batch_0000000000001_000000_00000000.json`,
      '{"format":"argus-dlq","vers',
    );

    proxy.start(); // the same port again
    await waitFor("the DLQ to be replayed", async () => (await batchFiles(dlqDir)).length === 0);
    assert.equal(await reader.countSpans({ ...ALL, serviceName: "outage-service" }), 1000);
    const quarantined = [...Deno.readDirSync(`${dlqDir}/quarantine`)].map((e) => e.name).sort();
    assert.deepEqual(quarantined, [
      "batch_0000000000001_000000_00000000.json",
      "batch_0000000000001_000000_00000000.json.reason.txt",
    ]);
    // A second replay of the same data (an SDK retrying after a lost answer) changes nothing.
    await send(15);
    await waitFor("the retry to be written", async () => (await batchFiles(dlqDir)).length === 0);
    assert.equal(await reader.countSpans({ ...ALL, serviceName: "outage-service" }), 1000);
    // The rollups counted each stored span once, through the outage, the replay and the retry.
    const stats = await (await fetch(
      `${argus.baseUrl}/api/stats?start=2026-11-26T09:00:00Z&end=2026-11-26T11:00:00Z`,
    )).json();
    assert.equal(stats.total_spans, 1000);
    const after = parsePrometheusText(await (await fetch(`${argus.baseUrl}/metrics`)).text());
    assert.equal(sampleValue(after, "argus_dlq_size"), 0);
  } finally {
    await reader.close();
    assert.equal(await argus.stop(), 0);
    proxy.cut();
    await database.drop();
    await Deno.remove(cwd, { recursive: true });
  }
});

async function runGrpcClient(
  argus: ArgusProcess,
  batches: number,
  onAcked: (count: number) => void,
): Promise<{ acked: string[]; failed: number; retries: number }> {
  const client = new Deno.Command("node", {
    args: [
      new URL("./fixtures/grpc_retrying_client.mjs", import.meta.url).pathname,
      argus.grpcAddress,
      String(batches),
      "50",
      "4",
    ],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  for await (const chunk of client.stdout) {
    text += decoder.decode(chunk, { stream: true });
    const counts = [...text.matchAll(/acked (\d+)/g)];
    if (counts.length > 0) onAcked(Number(counts.at(-1)![1]));
  }
  assert.equal((await client.status).code, 0);
  return JSON.parse(text.trim().split("\n").at(-1)!);
}

Deno.test("the gRPC gateway killed with SIGKILL under load is restarted; nothing acknowledged is lost", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-grpc-kill-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "20ms" }, cwd);
  let store: Store | undefined;
  try {
    const firstPid = argus.grpcPid();
    let killed = false;
    const result = await runGrpcClient(argus, 60, (acked) => {
      if (!killed && acked >= 10) {
        killed = true;
        Deno.kill(firstPid, "SIGKILL");
      }
    });
    assert.ok(killed, "the gateway was killed mid-load");
    await waitFor(
      "the gateway to be restarted",
      () => Promise.resolve(argus.grpcPid() !== firstPid),
    );
    assert.match(argus.log(), /the OTLP\/gRPC gateway exited: restarting it/);
    assert.ok(result.retries > 0, "the client had to retry");
    assert.equal(result.failed, 0);
    assert.equal(result.acked.length, 60 * 50);
    store = await createStore(databaseConfig("sqlite", `${cwd}/data/argus.db`), { dataDir: cwd });
    const stored = new Set(
      (await store.spans(ALL, { limit: 10_000, offset: 0 })).map((s) => s.spanId),
    );
    const missing = result.acked.filter((id) => !stored.has(id));
    assert.deepEqual(missing, []);
    assert.equal(stored.size, 60 * 50);
  } finally {
    await store?.close();
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("SIGTERM under load stops Argus without losing anything it acknowledged", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-sigterm-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "200ms" }, cwd);
  const acked: string[] = [];
  let stopping: Promise<number> | undefined;
  try {
    let round = 0;
    const sender = async () => {
      while (true) {
        const spans = jsonSpans(100, 5000 + round++);
        try {
          const answer = await postJson(
            argus.otlpHttpUrl,
            "traces",
            traceRequest(spans, "sigterm-service"),
          );
          if (answer.status !== 200) return;
          acked.push(...spans.map((s) => s.spanId));
        } catch {
          return; // Argus stopped listening
        }
        if (acked.length >= 3000 && stopping === undefined) stopping = argus.stop("SIGTERM");
      }
    };
    await Promise.all([sender(), sender(), sender(), sender()]);
    assert.equal(await stopping, 0);
    assert.match(argus.log(), /stopped/);
    const store = await createStore(databaseConfig("sqlite", `${cwd}/data/argus.db`), {
      dataDir: cwd,
    });
    try {
      const stored = new Set(
        (await store.spans(ALL, { limit: 100_000, offset: 0 })).map((s) => s.spanId),
      );
      assert.ok(acked.length >= 3000);
      assert.deepEqual(acked.filter((id) => !stored.has(id)), []);
    } finally {
      await store.close();
    }
  } finally {
    await argus.stop();
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("overload is answered with 429 and Retry-After, and a retrying client ends with everything stored", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-overload-" });
  const argus = await startArgus({
    BATCH_SIZE: "100",
    QUEUE_MAX_ROWS: "100",
    FLUSH_INTERVAL: "300ms",
  }, cwd);
  const store = await createStore(databaseConfig("sqlite", `${cwd}/data/argus.db`), {
    dataDir: cwd,
  });
  try {
    const requests = Array.from(
      { length: 8 },
      (_, i) => traceRequest(jsonSpans(60, 9000 + i), "overload-service"),
    );
    const statuses: number[] = [];
    await Promise.all(requests.map(async (request) => {
      for (let attempt = 0; attempt < 50; attempt++) {
        const answer = await postJson(argus.otlpHttpUrl, "traces", request);
        statuses.push(answer.status);
        if (answer.status === 200) return;
        assert.equal(answer.status, 429);
        assert.equal(answer.retryAfter, "1");
        assert.match(String(answer.body.message), /^The ingest queue is full .*QUEUE_MAX_ROWS=100/);
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
      throw new Error("a request was never accepted");
    }));
    assert.ok(statuses.includes(429), "some requests were refused while the queue was full");
    assert.equal(await store.countSpans({ ...ALL, serviceName: "overload-service" }), 8 * 60);
  } finally {
    await store.close();
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("the gRPC gateway does not outlive a core killed with SIGKILL", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-orphan-" });
  const argus = await startArgus({}, cwd);
  try {
    const gateway = argus.grpcPid();
    assert.ok(gateway > 0);
    await argus.stop("SIGKILL");
    await waitFor("the gateway to exit", () => {
      try {
        Deno.kill(gateway, "SIGCONT"); // signal 0 is not offered; SIGCONT is harmless
        return Promise.resolve(false);
      } catch {
        return Promise.resolve(true);
      }
    }, 5_000);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
