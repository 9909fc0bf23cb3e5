// deno-lint-ignore-file no-console -- a benchmark prints its figures
/**
 * The core of ingest alone, in one process: decode → screen → batcher → SQLite writer thread,
 * without gRPC, HTTP or a load generator sharing the CPU. It tells how much of the end-to-end
 * figure (bench/ingest.ts) the core itself allows.
 *
 *   deno run -A bench/ingest_core.ts [traces|logs|metrics] [requests, default 400]
 *
 * The requests are the load generator's own (bench/ingest_load_client.mjs --dump), made distinct
 * by rewriting the first bytes of every id they contain; 8 requests are in flight at a time. For
 * metrics, bench/_metrics_request.ts's request (500 data points), each a second later than the last.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { createStore } from "../store/mod.ts";
import { metricsRequest, TIME_NS } from "./_metrics_request.ts";
import { Batcher } from "../ingest/batcher.ts";
import { IngestService } from "../ingest/ingest_service.ts";
import { decodeRequest, DEFAULT_DECODE_LIMITS } from "../ingest/otlp/mod.ts";
import { createLogger } from "../lib/logger.ts";
import { databaseConfig } from "../tests/databases.ts";

const signal = (Deno.args[0] ?? "traces") as "traces" | "logs" | "metrics";
const requests = Number(Deno.args[1] ?? 400);
const IN_FLIGHT = 8;
/** Metrics: the first request's points are stamped now, each next request's a second later. */
const NOW_NS = BigInt(Date.now()) * 1_000_000n;

function offsetsOf(bytes: Uint8Array, ids: Iterable<string>): number[] {
  const offsets: number[] = [];
  const text = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  for (const id of ids) {
    for (let at = text.indexOf(id); at >= 0; at = text.indexOf(id, at + 1)) {
      if (at % 2 === 0) offsets.push(at / 2);
    }
  }
  return offsets;
}

const dir = await Deno.makeTempDir({ prefix: "argus-bench-core-" });
try {
  let bodies: Uint8Array[];
  if (signal === "metrics") {
    const template = metricsRequest();
    const at: number[] = [];
    const view = new DataView(template.buffer, template.byteOffset, template.byteLength);
    for (let i = 0; i + 8 <= template.length; i++) {
      if (view.getBigUint64(i, true) === TIME_NS) at.push(i);
    }
    bodies = Array.from({ length: requests }, (_, n) => {
      const body = new Uint8Array(template); // a copy (a Buffer's slice() would share its bytes)
      const bodyView = new DataView(body.buffer);
      for (const i of at) bodyView.setBigUint64(i, NOW_NS + BigInt(n) * 1_000_000_000n, true);
      return body;
    });
  } else {
    const file = `${dir}/request.bin`;
    const dump = await new Deno.Command("node", {
      args: [new URL("./ingest_load_client.mjs", import.meta.url).pathname, "--dump", file, signal],
    }).output();
    if (dump.code !== 0) throw new Error("the load client could not write its request");
    const template = await Deno.readFile(file);
    const decoded = decodeRequest(signal, "protobuf", template, DEFAULT_DECODE_LIMITS, 0n);
    const ids = new Set<string>();
    for (const row of [...decoded.batch.spans, ...decoded.batch.logs]) {
      if (row.traceId) ids.add(row.traceId);
      if (row.spanId) ids.add(row.spanId);
    }
    const offsets = offsetsOf(template, ids);
    bodies = Array.from({ length: requests }, (_, n) => {
      const body = template.slice();
      for (const offset of offsets) {
        body[offset] = n & 0xff;
        body[offset + 1] = (n >> 8) & 0xff;
      }
      return body;
    });
  }

  const store = await createStore(databaseConfig("sqlite", "core.db"), { dataDir: dir });
  await store.migrate();
  const logger = createLogger("warn");
  const batcher = new Batcher({
    store,
    dlq: { write: () => Promise.reject(new Error("the benchmark has no dead-letter queue")) },
    logger,
    batchRows: 1000,
    flushIntervalMs: 200,
    maxQueueRows: 100_000,
    maxQueueBytes: 1 << 30,
  });
  const service = new IngestService({
    batcher,
    decodeLimits: DEFAULT_DECODE_LIMITS,
    validation: { maxFieldBytes: 1 << 20 },
    logger,
  });

  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < bodies.length) {
      await service.export(signal, "protobuf", bodies[next++]!);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  await batcher.drain();
  const all = { startNs: 0n, endNs: (1n << 63n) - 1n };
  const stored = signal === "traces"
    ? await store.countSpans(all)
    : signal === "logs"
    ? await store.countLogs(all)
    : -1;
  await store.close();
  const points = signal === "metrics"
    ? Number(
      (new DatabaseSync(`${dir}/core.db`).prepare("select count(*) as n from metric_points")
        .get() as { n: number }).n,
    )
    : stored;
  console.log(
    `${signal}: ${points} of ${requests * 500} items stored in ${seconds.toFixed(2)} s: ` +
      `${
        Math.round((requests * 500) / seconds)
      } items/s through decode, screen, batcher and writer`,
  );
} finally {
  await Deno.remove(dir, { recursive: true });
}
