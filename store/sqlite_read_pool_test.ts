import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { type Kysely, sql } from "kysely";
import { readerDatabase, SqliteReadPool } from "./sqlite_read_pool.ts";
import { QueryDeadlineError, withQueryDeadline } from "./query_deadline.ts";
import { createStore } from "./mod.ts";
import { databaseConfig } from "../tests/databases.ts";
import { buildBatch } from "../tests/builders.ts";

/** Rows of table `t` (x = 1…ROWS, a text column) in a WAL file, as the writer would leave it. */
const ROWS = 100_000;

async function withFile(
  test: (path: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "argus-read-pool-" });
  const path = join(dir, "reads.db");
  const db = new DatabaseSync(path);
  db.exec("pragma journal_mode = WAL");
  db.exec("create table t (x integer primary key, label text not null, big integer not null)");
  db.exec(
    `insert into t (x, label, big) with recursive c(x) as (select 1 union all select x + 1 from c
     where x < ${ROWS}) select x, 'row ' || x, x * 1000000000000 from c`,
  );
  try {
    await test(path);
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
}

// deno-lint-ignore no-explicit-any -- a test table outside Argus's schema
type Any = Kysely<any>;

/**
 * A statement that scans for minutes (each row of `t` counts the rows below it), through the
 * query builder, so that it carries the deadline check as every store read does.
 */
function endlessScan(db: Any) {
  return db.selectFrom("t").select((eb) => eb.fn.countAll().as("n"))
    .where((eb) =>
      eb(
        eb.selectFrom("t as b").select((e) => e.fn.countAll().as("c")).whereRef("b.x", "<", "t.x"),
        ">",
        -1,
      )
    );
}

/** A statement without the deadline check (raw SQL): SQLite runs it to its end, ~1–3 s here. */
const UNSTOPPABLE =
  "with recursive c(x) as (select 1 union all select x + 1 from c where x < 2500000) " +
  "select count(*) as n from c";

Deno.test("SqliteReadPool answers reads from its threads, bigints included", async () => {
  await withFile(async (path) => {
    const pool = new SqliteReadPool(path, { workers: 2 });
    const db = readerDatabase(pool) as unknown as Any;
    try {
      const rows = await db.selectFrom("t").select(["x", "label", "big"]).where("x", "in", [1, 7])
        .orderBy("x").execute();
      assert.deepEqual(rows, [
        { x: 1n, label: "row 1", big: 1_000_000_000_000n },
        { x: 7n, label: "row 7", big: 7_000_000_000_000n },
      ]);
      const counts = await Promise.all(
        [10, 20, 30, 40].map((n) =>
          db.selectFrom("t").select((eb) => eb.fn.countAll().as("n")).where("x", "<=", n)
            .executeTakeFirstOrThrow()
        ),
      );
      assert.deepEqual(counts.map((c) => c.n), [10n, 20n, 30n, 40n]);
      assert.deepEqual({ ...pool.state(), readers: 0 }, {
        readers: 0,
        starting: 0,
        busy: 0,
        waiting: 0,
        abandoned: 0,
      });
      assert.ok(pool.state().readers >= 1 && pool.state().readers <= 2);
    } finally {
      await db.destroy();
    }
  });
});

Deno.test("readerDatabase() adds the deadline check to every SELECT with a FROM, once", () => {
  const pool = new SqliteReadPool(":unused:", { workers: 1 });
  const db = readerDatabase(pool) as unknown as Any;
  const check = "(case when (random() & 1023) = 0 then argus_read_deadline_ok() else 1 end)";
  assert.equal(db.selectFrom("t").select("x").compile().sql, `select "x" from "t" where ${check}`);
  // The caller's condition keeps its meaning (parenthesized), and a subquery built on the same
  // Kysely, transformed when embedded, gets the check once.
  const compiled = db.selectFrom("t").select("x")
    .where(sql<boolean>`x = 1 or x = 2`)
    .where("x", "in", db.selectFrom("t as b").select("b.x"))
    .compile().sql;
  assert.equal(
    compiled,
    `select "x" from "t" where (x = 1 or x = 2 and "x" in (select "b"."x" from "t" as "b" ` +
      `where ${check})) and ${check}`,
  );
  assert.equal(db.selectNoFrom(sql<number>`1`.as("n")).compile().sql, `select 1 as "n"`);
});

Deno.test("SqliteReadPool stops a statement at its deadline, inside SQLite, and reads on", async () => {
  await withFile(async (path) => {
    // One reader: the next read can only be answered if the first statement really ended.
    const pool = new SqliteReadPool(path, { workers: 1, abandonAfterMs: 60_000 });
    const db = readerDatabase(pool) as unknown as Any;
    try {
      // Started first, so that the times below are not the thread's start.
      await db.selectFrom("t").select("x").where("x", "=", 1).execute();
      const started = performance.now();
      await assert.rejects(
        withQueryDeadline(Date.now() + 300, () => endlessScan(db).execute()),
        QueryDeadlineError,
      );
      const stoppedMs = performance.now() - started;
      // Generous bounds for a shared machine: the scan itself would run for minutes.
      assert.ok(stoppedMs < 5_000, `answered after ${stoppedMs} ms, deadline 300 ms`);
      const next = performance.now();
      const row = await db.selectFrom("t").select("label").where("x", "=", 5)
        .executeTakeFirstOrThrow();
      assert.equal(row.label, "row 5");
      const nextMs = performance.now() - next;
      assert.ok(nextMs < 10_000, `the next read waited ${nextMs} ms for the reader`);
      assert.equal(pool.state().abandoned, 0, "stopped in SQLite, not abandoned");
    } finally {
      await db.destroy();
    }
  });
});

Deno.test("SqliteReadPool bounds each statement by statementTimeoutMs without a caller's deadline", async () => {
  await withFile(async (path) => {
    const pool = new SqliteReadPool(path, { workers: 1, statementTimeoutMs: 200 });
    const db = readerDatabase(pool) as unknown as Any;
    try {
      const error = await endlessScan(db).execute().then(() => undefined, (e) => e);
      assert.ok(error instanceof QueryDeadlineError, String(error));
      assert.match(error.message, /^Cannot finish the read as it must end within 200 ms/);
      // A caller's earlier deadline wins; a later one cannot extend the pool's bound.
      const early = performance.now();
      await assert.rejects(
        withQueryDeadline(Date.now() + 50, () => endlessScan(db).execute()),
        QueryDeadlineError,
      );
      assert.ok(performance.now() - early < 5_000);
    } finally {
      await db.destroy();
    }
  });
});

Deno.test("SqliteReadPool refuses a read whose deadline passes while it waits for a reader", async () => {
  await withFile(async (path) => {
    const pool = new SqliteReadPool(path, { workers: 1, abandonAfterMs: 60_000 });
    const db = readerDatabase(pool) as unknown as Any;
    try {
      const long = withQueryDeadline(Date.now() + 1_000, () => endlessScan(db).execute());
      const waiting = withQueryDeadline(
        Date.now() + 200,
        () => db.selectFrom("t").select("x").where("x", "=", 1).execute(),
      );
      await assert.rejects(waiting, QueryDeadlineError);
      assert.equal(pool.state().waiting, 0, "the expired read left the queue");
      await assert.rejects(long, QueryDeadlineError);
    } finally {
      await db.destroy();
    }
  });
});

Deno.test("SqliteReadPool replaces a reader that does not stop, and bounds the abandoned ones", async () => {
  await withFile(async (path) => {
    const abandoned: string[] = [];
    const pool = new SqliteReadPool(path, {
      workers: 2,
      abandonAfterMs: 100,
      maxAbandoned: 1,
      onAbandoned: (error) => abandoned.push(error.message),
    });
    try {
      // Both readers started first, so that the two statements below run at once.
      await pool.start();
      assert.equal(pool.state().readers, 2);
      // Raw SQL through the pool carries no deadline check: only abandoning frees a reader.
      const slow = [1, 2].map(() =>
        withQueryDeadline(Date.now() + 100, () => pool.execute(UNSTOPPABLE, []))
      );
      for (const read of slow) await assert.rejects(read, QueryDeadlineError);
      await waitFor(() => pool.state().abandoned === 1, "one reader to be abandoned");
      // One abandoned (the bound), the other kept in place, busy; a read starts a new reader.
      assert.deepEqual(pool.state(), {
        readers: 1,
        starting: 0,
        busy: 1,
        waiting: 0,
        abandoned: 1,
      });
      assert.deepEqual(await pool.execute("select 42 as n", []), [{ n: 42n }]);
      assert.match(abandoned[0]!, /^A SQLite reader did not stop 100 ms after its read's deadline/);
      // Every thread ends with its statement, and the pool is whole again.
      await waitFor(() => pool.state().abandoned === 0 && pool.state().busy === 0, "the end");
      assert.deepEqual(await pool.execute("select 7 as n", []), [{ n: 7n }]);
    } finally {
      await pool.close();
    }
  });
});

Deno.test("SqliteReadPool.close() refuses reads waiting and later", async () => {
  await withFile(async (path) => {
    const pool = new SqliteReadPool(path, { workers: 1 });
    assert.deepEqual(await pool.execute("select 1 as n", []), [{ n: 1n }]);
    await pool.close();
    await assert.rejects(pool.execute("select 1 as n", []), /The SQLite readers are closed/);
  });
});

Deno.test("createStore() on a SQLite file reads through its readers what it wrote", async () => {
  const dir = await Deno.makeTempDir({ prefix: "argus-read-pool-" });
  // Generous: under `deno test` a reader thread's start includes a type check of its module.
  const store = await createStore(databaseConfig("sqlite", "store.db"), {
    dataDir: dir,
    queryTimeoutMs: 60_000,
  });
  try {
    await store.migrate();
    const batch = buildBatch(20, 5);
    await store.write(batch);
    const window = { startNs: 0n, endNs: 1n << 62n };
    assert.equal(await store.countSpans(window), 20);
    assert.equal(await store.countLogs(window), 5);
    const spans = await store.spans(window, { limit: 100, offset: 0 });
    assert.deepEqual(
      spans.map((s) => s.spanId).sort(),
      batch.spans.map((s) => s.spanId).sort(),
    );
    assert.equal(typeof spans[0]!.startTimeUnixNano, "bigint");
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

async function waitFor(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
