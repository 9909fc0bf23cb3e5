import assert from "node:assert/strict";
import {
  Batcher,
  type BatcherOptions,
  IngestUnavailableError,
  mergeBatches,
  QueueFullError,
  ShuttingDownError,
  splitRejections,
} from "./batcher.ts";
import { createLogger } from "../lib/logger.ts";
import { createStore, type Store, StoreUnavailableError } from "../store/mod.ts";
import type { Batch, LogRow } from "../store/mod.ts";
import { buildBatch } from "../tests/builders.ts";
import { databaseConfig } from "../tests/databases.ts";

const ALL = { startNs: 0n, endNs: (1n << 63n) - 1n };
const quiet = createLogger("error", () => {});

async function withSqlite(fn: (store: Store) => Promise<void>) {
  const dataDir = await Deno.makeTempDir({ prefix: "argus-batcher-" });
  const store = await createStore(databaseConfig("sqlite", "b.db"), { dataDir });
  try {
    await store.migrate();
    await fn(store);
  } finally {
    await store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

class MemoryDlq {
  files: Batch[] = [];
  fail = false;
  write(batch: Batch): Promise<string> {
    if (this.fail) return Promise.reject(new Error("ENOSPC: no space left on device"));
    this.files.push(batch);
    return Promise.resolve(`batch_${this.files.length}.json`);
  }
}

function options(store: Pick<Store, "write">, extra: Partial<BatcherOptions> = {}): BatcherOptions {
  return {
    store,
    dlq: new MemoryDlq(),
    logger: quiet,
    batchRows: 1000,
    flushIntervalMs: 50,
    maxQueueRows: 10_000,
    maxQueueBytes: 64 * 1_048_576,
    ...extra,
  };
}

Deno.test("Batcher flushes at BATCH_SIZE rows, then writes what waits as soon as it is free", async () => {
  await withSqlite(async (store) => {
    const flushes: number[] = [];
    const batcher = new Batcher(options(store, {
      flushIntervalMs: 60_000,
      onFlush: (f) => flushes.push(f.spans),
    }));
    const requests = [1, 2, 3].map((seed) => batcher.submit(buildBatch(400, 0, seed)));
    // 1200 rows queued: the first batch takes whole requests up to 1000 rows (two of them), and
    // the third request is written right after it (group commit), not after the 60 s interval.
    // Half the interval: long enough for the first write to start SQLite's writer thread (type
    // checked at its first start: several seconds on a loaded machine, which a 5 s bound failed).
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error("waited for the 60 s interval")), 30_000);
    });
    try {
      await Promise.race([Promise.all(requests), timeout]);
    } finally {
      clearTimeout(timer);
    }
    assert.deepEqual(flushes, [800, 400]);
    assert.equal(await store.countSpans(ALL), 1200);
    await batcher.drain();
  });
});

Deno.test("Batcher flushes a partial batch after FLUSH_INTERVAL", async () => {
  await withSqlite(async (store) => {
    const batcher = new Batcher(options(store, { flushIntervalMs: 40 }));
    const started = performance.now();
    const result = await batcher.submit(buildBatch(3, 2));
    const waited = performance.now() - started;
    assert.ok(waited >= 35, `answered after ${waited} ms`);
    assert.deepEqual(result, {
      rejected: { spans: [], logs: [], metrics: [] },
      deadLettered: false,
    });
    assert.equal(await store.countSpans(ALL), 3);
    assert.equal(await store.countLogs(ALL), 2);
    await batcher.drain();
  });
});

Deno.test("Batcher refuses a request that would pass QUEUE_MAX_ROWS, naming the setting", async () => {
  const never = { write: () => new Promise<never>(() => {}) };
  const batcher = new Batcher(options(never, { maxQueueRows: 100, flushIntervalMs: 60_000 }));
  void batcher.submit(buildBatch(60, 0, 1));
  await assert.rejects(batcher.submit(buildBatch(60, 0, 2)), (error: unknown) => {
    assert.ok(error instanceof QueueFullError);
    assert.match(
      error.message,
      /^The ingest queue is full \(60 of QUEUE_MAX_ROWS=100 rows, \d+ of QUEUE_MAX_BYTES=\d+ bytes\): retry later$/,
    );
    return true;
  });
  assert.equal(batcher.depth().rows, 60);
});

Deno.test("Batcher refuses a request that would pass QUEUE_MAX_BYTES", async () => {
  const never = { write: () => new Promise<never>(() => {}) };
  const batcher = new Batcher(options(never, { maxQueueBytes: 200_000, flushIntervalMs: 60_000 }));
  void batcher.submit(buildBatch(100, 0, 1));
  await assert.rejects(batcher.submit(buildBatch(100, 0, 2)), QueueFullError);
});

Deno.test("Batcher dead-letters a batch when the database is unavailable, and answers success", async () => {
  const down = { write: () => Promise.reject(new StoreUnavailableError("connect ECONNREFUSED")) };
  const dlq = new MemoryDlq();
  const batcher = new Batcher(options(down, { dlq }));
  const result = await batcher.submit(buildBatch(5, 5));
  assert.equal(result.deadLettered, true);
  assert.equal(dlq.files.length, 1);
  assert.equal(dlq.files[0]!.spans.length, 5);
  await batcher.drain();
});

Deno.test("Batcher answers IngestUnavailableError when the database and the DLQ both fail", async () => {
  const down = { write: () => Promise.reject(new StoreUnavailableError("connect ECONNREFUSED")) };
  const dlq = new MemoryDlq();
  dlq.fail = true;
  const batcher = new Batcher(options(down, { dlq }));
  await assert.rejects(batcher.submit(buildBatch(5, 0)), (error: unknown) => {
    assert.ok(error instanceof IngestUnavailableError);
    assert.match(error.message, /retry later$/);
    return true;
  });
  assert.equal(batcher.depth().rows, 0);
});

Deno.test("Batcher dead-letters a batch on any store error, never rejecting its items", async () => {
  const broken = { write: () => Promise.reject(new TypeError("a bug of the store")) };
  const dlq = new MemoryDlq();
  const batcher = new Batcher(options(broken, { dlq, flushIntervalMs: 1 }));
  const result = await batcher.submit(buildBatch(4, 1));
  assert.deepEqual(result, { rejected: { spans: [], logs: [], metrics: [] }, deadLettered: true });
  assert.equal(dlq.files.length, 1);
  assert.ok(batcher.health().storeError instanceof TypeError);
  await batcher.drain();
});

Deno.test("Batcher gives up a write after DB_WRITE_TIMEOUT and skips the store until it settles", async () => {
  const stuck = Promise.withResolvers<never>();
  let writes = 0;
  const frozen = {
    write: () => {
      writes++;
      return stuck.promise;
    },
  };
  const dlq = new MemoryDlq();
  const batcher = new Batcher(options(frozen, { dlq, flushIntervalMs: 1, writeTimeoutMs: 100 }));
  const started = performance.now();
  const first = await batcher.submit(buildBatch(3, 0, 1));
  const waited = performance.now() - started;
  assert.equal(first.deadLettered, true);
  assert.ok(waited >= 90 && waited < 5_000, `answered after ${waited} ms`);
  // While the first write hangs, later batches go straight to the DLQ: no second write starts
  // (and no wait) even after the retry pause has passed.
  await new Promise((resolve) => setTimeout(resolve, 2_100));
  const second = await batcher.submit(buildBatch(3, 0, 2));
  assert.equal(second.deadLettered, true);
  assert.equal(writes, 1);
  assert.equal(dlq.files.length, 2);
  stuck.reject(new Error("terminating connection due to administrator command"));
  await batcher.drain();
});

Deno.test("Batcher sends batches to the DLQ without touching the store while it is not ready", async () => {
  let writes = 0;
  const store = {
    write: () => {
      writes++;
      return Promise.reject(new Error('relation "spans" does not exist'));
    },
  };
  const dlq = new MemoryDlq();
  const batcher = new Batcher(
    options(store, { dlq, flushIntervalMs: 1, databaseReady: () => false }),
  );
  assert.equal((await batcher.submit(buildBatch(2, 2))).deadLettered, true);
  assert.equal(writes, 0);
  await batcher.drain();
});

Deno.test("Batcher.health() reports since when nothing can be made durable", async () => {
  const down = { write: () => Promise.reject(new StoreUnavailableError("connect ECONNREFUSED")) };
  const dlq = new MemoryDlq();
  dlq.fail = true;
  const batcher = new Batcher(options(down, { dlq, flushIntervalMs: 1 }));
  assert.equal(batcher.health().failingSince, undefined);
  await assert.rejects(batcher.submit(buildBatch(1, 0)), IngestUnavailableError);
  assert.ok(typeof batcher.health().failingSince === "number");
  assert.match(String(batcher.health().lastFailure), /ENOSPC/);
  dlq.fail = false;
  await batcher.submit(buildBatch(1, 0, 2));
  assert.equal(batcher.health().failingSince, undefined);
  await batcher.drain();
});

Deno.test("Batcher gives each request the database's rejections of its own rows", () => {
  const a = buildBatch(3, 2, 1);
  const b = buildBatch(4, 1, 2);
  const merged = mergeBatches([a, b]);
  assert.equal(merged.batch.spans.length, 7);
  assert.equal(merged.batch.resources.length, 3);
  const split = splitRejections({
    spans: {
      inserted: 5,
      duplicates: 0,
      rejected: [{ index: 1, reason: "x" }, { index: 4, reason: "y" }],
    },
    logs: { inserted: 2, duplicates: 0, rejected: [{ index: 2, reason: "z" }] },
  }, merged);
  assert.deepEqual(split, [
    { spans: [{ index: 1, reason: "x" }], logs: [], metrics: [] },
    { spans: [{ index: 1, reason: "y" }], logs: [{ index: 0, reason: "z" }], metrics: [] },
  ]);
});

Deno.test("Batcher.drain() writes everything queued and then refuses new requests", async () => {
  await withSqlite(async (store) => {
    const batcher = new Batcher(options(store, { flushIntervalMs: 60_000 }));
    const pending = [1, 2, 3, 4].map((seed) => batcher.submit(buildBatch(300, 100, seed)));
    await batcher.drain();
    await Promise.all(pending);
    assert.equal(await store.countSpans(ALL), 1200);
    assert.equal(await store.countLogs(ALL), 400);
    await assert.rejects(batcher.submit(buildBatch(1, 0, 9)), ShuttingDownError);
  });
});

Deno.test("Batcher hands accepted log records to the live feed once they are durable", async () => {
  await withSqlite(async (store) => {
    const fed: LogRow[] = [];
    const resources = new Set<string>();
    const committed: boolean[] = [];
    let down = false;
    const store2: Pick<Store, "write"> = {
      write: (batch, options) =>
        down ? Promise.reject(new Error("connection refused")) : store.write(batch, options),
    };
    const dlq = new MemoryDlq();
    const batcher = new Batcher(options(store2, {
      dlq,
      onLogsAccepted: (logs, batchResources, wasCommitted) => {
        fed.push(...logs);
        for (const r of batchResources) resources.add(r.id);
        committed.push(wasCommitted);
      },
    }));
    const batch = buildBatch(0, 7);
    await batcher.submit(batch);
    assert.deepEqual(fed.map((l) => l.id), batch.logs.map((l) => l.id));
    for (const log of fed) assert.ok(resources.has(log.resourceId));
    // A dead-lettered batch is durable too, and said not to be committed (the replicas' live
    // feed announces only what the database holds).
    down = true;
    const second = buildBatch(0, 3, 2);
    assert.equal((await batcher.submit(second)).deadLettered, true);
    assert.equal(dlq.files.length, 1);
    assert.deepEqual(fed.slice(7).map((l) => l.id), second.logs.map((l) => l.id));
    assert.deepEqual(committed, [true, false]);
    await batcher.drain();
  });
});

Deno.test("Batcher starts the next batch's write before it answers the requests of the last", async () => {
  await withSqlite(async (store) => {
    const events: string[] = [];
    const recording: Pick<Store, "write"> = {
      write: async (batch, options) => {
        events.push(`write ${batch.spans.length}`);
        const result = await store.write(batch, options);
        events.push(`committed ${batch.spans.length}`);
        return result;
      },
    };
    const batcher = new Batcher(options(recording, { flushIntervalMs: 0 }));
    const sizes = [100, 200, 300];
    const requests = sizes.map((n, seed) =>
      batcher.submit(buildBatch(n, 0, seed + 1)).then(() => events.push(`answered ${n}`))
    );
    await Promise.all(requests);
    // The first request is written alone (the writer was idle); the two that queued meanwhile
    // form the next batch, whose write starts before the first request gets its answer, so the
    // store works while this thread answers.
    assert.deepEqual(events, [
      "write 100",
      "committed 100",
      "write 500",
      "answered 100",
      "committed 500",
      "answered 200",
      "answered 300",
    ]);
    assert.equal(await store.countSpans(ALL), 600);
    await batcher.drain();
  });
});

Deno.test("Batcher.drain() waits for a write started while the last one answered", async () => {
  await withSqlite(async (store) => {
    const batcher = new Batcher(options(store, { flushIntervalMs: 0 }));
    const requests = [1, 2, 3].map((seed) => batcher.submit(buildBatch(50, 0, seed)));
    await batcher.drain();
    assert.equal(await store.countSpans(ALL), 150);
    await Promise.all(requests);
    await assert.rejects(batcher.submit(buildBatch(1, 0, 9)), ShuttingDownError);
  });
});

Deno.test("Batcher keeps up to writesInFlight batches in flight, and drain() waits for them all", async () => {
  let running = 0;
  let mostAtOnce = 0;
  const ends: (() => void)[] = [];
  const written: number[] = [];
  const store: Pick<Store, "write"> = {
    write(batch: Batch) {
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      return new Promise((resolve) => {
        ends.push(() => {
          running--;
          written.push(batch.spans.length);
          const none = { inserted: batch.spans.length, duplicates: 0, rejected: [] };
          resolve({ spans: none, logs: { inserted: 0, duplicates: 0, rejected: [] } });
        });
      });
    },
  };
  const batcher = new Batcher(options(store, { flushIntervalMs: 0, writesInFlight: 2 }));
  const answers = [1, 2, 3, 4].map((seed) => batcher.submit(buildBatch(seed, 0, seed)));
  const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
  await tick();
  // Two writes took a request each; the other two wait, queued.
  assert.equal(running, 2);
  assert.equal(batcher.depth().requests, 2);
  ends.shift()!();
  await tick();
  // The freed place takes every request that waited: one batch of two (group commit).
  assert.equal(running, 2);
  assert.equal(batcher.depth().requests, 0);
  const drained = batcher.drain();
  let drainedYet = false;
  void drained.then(() => drainedYet = true);
  ends.shift()!();
  await tick();
  assert.equal(drainedYet, false);
  ends.shift()!();
  await drained;
  await Promise.all(answers);
  assert.equal(mostAtOnce, 2);
  assert.deepEqual(written.sort(), [1, 2, 7].sort());
});
