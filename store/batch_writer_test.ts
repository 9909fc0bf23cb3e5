import assert from "node:assert/strict";
import {
  BatchWriter,
  chunks,
  type DbRows,
  type RowCommitter,
  type StoredKeys,
  StoreUnavailableError,
} from "./batch_writer.ts";
import { POSTGRES, SQLITE } from "./dialects/mod.ts";
import { buildBatch, buildCallChain, buildServiceResources, random } from "../tests/builders.ts";

/** A committer that refuses any commit containing a span whose name is "poison". */
class PoisonAwareCommitter implements RowCommitter {
  commits = 0;
  constructor(private readonly failure: () => Error) {}
  commit(rows: DbRows) {
    this.commits++;
    if (rows.spans.some((s) => s.name === "poison")) return Promise.reject(this.failure());
    return Promise.resolve({ spans: rows.spans.length, logs: rows.logs.length, complete: true });
  }
}

/** Nothing is stored before. */
const nothingStored: StoredKeys = {
  spanServices: () => Promise.resolve(new Map()),
  storedLogIds: () => Promise.resolve(new Set()),
};

const limits = { maxFieldBytes: 1_048_576 };

Deno.test("BatchWriter.write() isolates the rows a database refuses and keeps the others", async () => {
  const committer = new PoisonAwareCommitter(() => new Error("value violates a check constraint"));
  const writer = new BatchWriter(committer, nothingStored, SQLITE, limits);
  const batch = buildBatch(5, 2);
  batch.spans[1]!.name = "poison";
  batch.spans[3]!.name = "poison";
  const result = await writer.write(batch);
  assert.deepEqual(result.spans, {
    inserted: 3,
    duplicates: 0,
    rejected: [
      { index: 1, reason: "the database refused it: value violates a check constraint" },
      { index: 3, reason: "the database refused it: value violates a check constraint" },
    ],
  });
  assert.deepEqual(result.logs, { inserted: 2, duplicates: 0, rejected: [] });
  // One failed batch, then one commit per row.
  assert.equal(committer.commits, 1 + 5 + 2);
});

Deno.test("BatchWriter.write() throws StoreUnavailableError, not rejections, when the database is down", async () => {
  const committer = new PoisonAwareCommitter(() => new Error("database is locked"));
  const writer = new BatchWriter(committer, nothingStored, SQLITE, limits);
  const batch = buildBatch(3, 0);
  batch.spans[0]!.name = "poison";
  await assert.rejects(writer.write(batch), (error: unknown) => {
    assert.ok(error instanceof StoreUnavailableError);
    assert.equal(error.message, "The sqlite database refuses writes now: database is locked");
    assert.equal(error.kind, "refused");
    return true;
  });
  assert.equal(committer.commits, 1);
});

/** A committer that fails every commit with the same error (a database that refuses writes). */
class RefusingCommitter implements RowCommitter {
  commits = 0;
  constructor(private readonly error: () => Error) {}
  commit() {
    this.commits++;
    return Promise.reject(this.error());
  }
}

for (
  const [what, message, code] of [
    ["PostgreSQL in read-only mode", "cannot execute INSERT in a read-only transaction", "25006"],
    ["a revoked permission", "permission denied for table spans", "42501"],
    ["a statement timeout", "canceling statement due to statement timeout", "57014"],
    ["a full disk", "could not extend file: No space left on device", "53100"],
    ["a lock timeout", "canceling statement due to lock timeout", "55P03"],
  ] as const
) {
  Deno.test(`BatchWriter.write() rejects nothing and throws StoreUnavailableError for ${what}`, async () => {
    const { POSTGRES } = await import("./dialects/mod.ts");
    const committer = new RefusingCommitter(() => Object.assign(new Error(message), { code }));
    const writer = new BatchWriter(committer, nothingStored, POSTGRES, limits);
    await assert.rejects(writer.write(buildBatch(4, 2)), (thrown: unknown) => {
      assert.ok(thrown instanceof StoreUnavailableError, String(thrown));
      assert.equal(thrown.kind, "refused");
      return true;
    });
    assert.equal(committer.commits, 1, "no row-by-row retry for an error about the database");
  });
}

Deno.test("BatchWriter.write() keeps a batch whose every row fails with an unknown error", async () => {
  const committer = new RefusingCommitter(() => new Error("something nobody foresaw"));
  const writer = new BatchWriter(committer, nothingStored, SQLITE, limits);
  await assert.rejects(writer.write(buildBatch(3, 1)), (thrown: unknown) => {
    assert.ok(thrown instanceof StoreUnavailableError, String(thrown));
    assert.match(thrown.message, /refused rows without naming their content.*something nobody/);
    return true;
  });
  assert.equal(committer.commits, 1 + 3 + 1, "the batch, then each item alone");
});

Deno.test("BatchWriter.write() rejects a row for an unknown error only if a later row was stored", async () => {
  // The last span fails and nothing is stored after it: the database may have broken just then.
  const committer = new PoisonAwareCommitter(() => new Error("something nobody foresaw"));
  const writer = new BatchWriter(committer, nothingStored, SQLITE, limits);
  const batch = buildBatch(3, 0);
  batch.spans[2]!.name = "poison";
  await assert.rejects(writer.write(batch), StoreUnavailableError);
  // The same refusal followed by a stored neighbour is the row's fault.
  const again = buildBatch(3, 0, 2);
  again.spans[1]!.name = "poison";
  const result = await writer.write(again);
  assert.deepEqual(result.spans.rejected.map((r) => r.index), [1]);
  assert.equal(result.spans.inserted, 2);
});

Deno.test("BatchWriter.write() rejects a lone row whose error names its content", async () => {
  const committer = new PoisonAwareCommitter(() => new Error("CHECK constraint failed: kind < 9"));
  const writer = new BatchWriter(committer, nothingStored, SQLITE, limits);
  const batch = buildBatch(1, 0);
  batch.spans[0]!.name = "poison";
  const result = await writer.write(batch);
  assert.deepEqual(result.spans.rejected, [
    { index: 0, reason: "the database refused it: CHECK constraint failed: kind < 9" },
  ]);
});

Deno.test("BatchWriter.write() stops isolating and keeps the batch when the database turns read-only", async () => {
  let commits = 0;
  const committer: RowCommitter = {
    commit(rows) {
      commits++;
      if (commits === 1) return Promise.reject(new Error("something nobody foresaw"));
      if (commits === 2) {
        return Promise.resolve({
          spans: rows.spans.length,
          logs: rows.logs.length,
          complete: true,
        });
      }
      return Promise.reject(new Error("attempt to write a readonly database"));
    },
  };
  const writer = new BatchWriter(committer, nothingStored, SQLITE, limits);
  await assert.rejects(writer.write(buildBatch(4, 0)), (thrown: unknown) => {
    assert.ok(thrown instanceof StoreUnavailableError);
    assert.equal(thrown.kind, "refused");
    return true;
  });
  assert.equal(commits, 3);
});

Deno.test("BatchWriter.write() rejects items whose resource is missing from the batch", async () => {
  const writer = new BatchWriter(
    new PoisonAwareCommitter(() => new Error()),
    nothingStored,
    SQLITE,
    limits,
  );
  const batch = buildBatch(2, 1);
  const orphan = { ...batch.spans[0]!, resourceId: "f".repeat(32) };
  const result = await writer.write({ ...batch, spans: [orphan, batch.spans[1]!] });
  assert.deepEqual(result.spans.rejected, [
    { index: 0, reason: `its resource ${"f".repeat(32)} is not in the batch` },
  ]);
  assert.equal(result.spans.inserted, 1);
});

Deno.test("chunks() keeps every statement under the parameter and byte limits", () => {
  const rows = Array.from({ length: 10 }, (_, i) => ({ a: "x".repeat(i * 10), b: i, c: i }));
  const byParameters = [...chunks(rows, { maxParameters: 9, maxStatementBytes: 1e9 })];
  assert.deepEqual(byParameters.map((c) => c.length), [3, 3, 3, 1]);
  const byBytes = [...chunks(rows, { maxParameters: 1e9, maxStatementBytes: 300 })];
  assert.ok(byBytes.length > 1);
  assert.deepEqual(byBytes.flat(), rows);
  // A single row larger than the byte limit still goes out, alone.
  assert.deepEqual(
    [...chunks([{ a: "y".repeat(1000) }], { maxParameters: 10, maxStatementBytes: 10 })].length,
    1,
  );
  assert.deepEqual([...chunks([], SQLITE)], []);
});

/** A committer whose commits end when the test says, recording how many ran at once. */
class HeldCommitter implements RowCommitter {
  running = 0;
  mostAtOnce = 0;
  readonly #waiting: (() => void)[] = [];
  commit(rows: DbRows) {
    this.running++;
    this.mostAtOnce = Math.max(this.mostAtOnce, this.running);
    return new Promise<{ spans: number; logs: number; complete: boolean }>((resolve) => {
      this.#waiting.push(() => {
        this.running--;
        resolve({ spans: rows.spans.length, logs: rows.logs.length, complete: true });
      });
    });
  }
  /** Ends the commits running now, once they have all started. */
  async release(): Promise<void> {
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setTimeout(resolve, 0));
    for (const end of this.#waiting.splice(0)) end();
  }
}

Deno.test("BatchWriter commits batches of distinct traces at once, up to writesInFlight", async () => {
  const committer = new HeldCommitter();
  const writer = new BatchWriter(committer, nothingStored, POSTGRES, limits, {}, true, 3);
  assert.equal(writer.writesInFlight, 3);
  // buildBatch gives each span a trace of its own: four batches, no trace in common.
  const writes = [1, 2, 3, 4].map((seed) => writer.write(buildBatch(5, 1, seed)));
  await committer.release();
  await committer.release();
  const results = await Promise.all(writes);
  assert.equal(committer.mostAtOnce, 3);
  assert.deepEqual(results.map((r) => r.spans.inserted), [5, 5, 5, 5]);
});

Deno.test("BatchWriter commits batches of one trace one after another, in call order", async () => {
  const committer = new HeldCommitter();
  const writer = new BatchWriter(committer, nothingStored, POSTGRES, limits, {}, true, 3);
  const byService = buildServiceResources();
  const chain = buildCallChain(byService, 0, random(3));
  const resources = Object.values(byService);
  const order: string[] = [];
  const writes = chain.map((span) =>
    writer.write({ resources, spans: [span], logs: [] }).then(() => order.push(span.spanId))
  );
  for (let i = 0; i < chain.length; i++) await committer.release();
  await Promise.all(writes);
  assert.equal(committer.mostAtOnce, 1);
  assert.deepEqual(order, chain.map((s) => s.spanId));
});

Deno.test("BatchWriter runs a commit again when the database made it a deadlock's victim", async () => {
  const deadlock = () => Object.assign(new Error("deadlock detected"), { code: "40P01" });
  let failures = 1;
  const committer = {
    commits: 0,
    commit(rows: DbRows) {
      this.commits++;
      if (failures-- > 0) return Promise.reject(deadlock());
      return Promise.resolve({ spans: rows.spans.length, logs: rows.logs.length, complete: true });
    },
  };
  const writer = new BatchWriter(committer, nothingStored, POSTGRES, limits, {}, true, 3);
  const result = await writer.write(buildBatch(4, 2));
  assert.equal(result.spans.inserted, 4);
  assert.equal(committer.commits, 2);

  // Lost every time: given up after a few runs, and kept (not rejected) as the database's fault.
  failures = Infinity;
  committer.commits = 0;
  await assert.rejects(writer.write(buildBatch(4, 2, 9)), (error: unknown) => {
    assert.ok(error instanceof StoreUnavailableError);
    assert.equal(error.kind, "refused");
    return true;
  });
  assert.equal(committer.commits, 5);
});
