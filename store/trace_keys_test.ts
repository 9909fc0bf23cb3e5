/**
 * SQLite's trace keys (migrations 2026-12-20 and 2026-12-21, trace_keys.ts): every span gets its
 * trace's key through both write paths (the writer thread and the Kysely committer), a late span
 * its trace's existing key, a new trace a larger key than any before, a replayed span is not
 * stored twice; the trace page's outline reads them by the key-led index, a span by `spans_key`;
 * a database from before the migrations (down, rows written) migrates with every span keyed and
 * the same outlines, and spans left without a summary get one.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { Kysely } from "kysely";
import { createStore, type Store, type StoreOptions } from "./mod.ts";
import { openDatabase } from "./dialects/mod.ts";
import { argusMigrator } from "./migrations/mod.ts";
import { spanOf, spansOfTrace, spansOfTraces } from "./trace_keys.ts";
import type { Batch } from "./types.ts";
import { BASE_TIME_NS, buildBatch, buildResource, buildSpan } from "../tests/builders.ts";
import { databaseConfig } from "../tests/databases.ts";

const BEFORE = "2026-12-19_metric_partitions";

interface Keys {
  /** Spans without a key. */
  unkeyed: number;
  /** Trace id → its summary's key. */
  summaries: Map<string, number>;
  /** Spans whose key is not their trace's summary's. */
  mismatched: number;
  /** Trace services: rows, and rows whose key is not their trace's summary's. */
  services: number;
  mismatchedServices: number;
}

function keysOf(path: string): Keys {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const unkeyed = db.prepare("select count(*) as n from spans where trace_key is null").get()!;
    const mismatched = db.prepare(
      `select count(*) as n from spans s join trace_summaries t on t.trace_id = s.trace_id
       where s.trace_key is not t.trace_key`,
    ).get()!;
    const summaries = new Map<string, number>();
    for (const row of db.prepare("select trace_id, trace_key from trace_summaries").all()) {
      summaries.set(row.trace_id as string, Number(row.trace_key));
    }
    const services = db.prepare(
      `select count(*) as n, sum(t.trace_key is not s.trace_key) as wrong
       from trace_services s left join trace_summaries t on t.trace_id = s.trace_id`,
    ).get()!;
    return {
      unkeyed: Number(unkeyed.n),
      summaries,
      mismatched: Number(mismatched.n),
      services: Number(services.n),
      mismatchedServices: Number(services.wrong ?? 0),
    };
  } finally {
    db.close();
  }
}

/**
 * How SQLite runs a read of the spans with a condition the reads use: a trace's spans in start
 * order (`spansOfTrace`), one span (`spanOf`), or several traces' spans (`spansOfTraces`); the
 * plan's lines.
 */
function planOf(
  dir: string,
  read: { trace: string } | { trace: string; span: string } | { traces: string[] },
): string[] {
  const { db } = openDatabase(databaseConfig("sqlite", "argus.db"), dir, () => {});
  const spans = db.selectFrom("spans");
  const query = "traces" in read
    ? spans.select(["trace_id", "span_id"]).where(spansOfTraces("sqlite", read.traces)).compile()
    : "span" in read
    ? spans.selectAll().where(spanOf("sqlite", read.trace, read.span)).compile()
    : spans.select(["span_id", "start_time_unix_nano"]).where(spansOfTrace("sqlite", read.trace))
      .orderBy("start_time_unix_nano").orderBy("span_id").compile();
  void db.destroy();
  const raw = new DatabaseSync(`${dir}/argus.db`, { readOnly: true });
  try {
    return raw.prepare(`explain query plan ${query.sql}`)
      .all(...(query.parameters as string[])).map((row) => row.detail as string);
  } finally {
    raw.close();
  }
}

function spanCount(path: string): number {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return Number(db.prepare("select count(*) as n from spans").get()!.n);
  } finally {
    db.close();
  }
}

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "argus-trace-keys-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function open(
  dir: string,
  options: Omit<StoreOptions, "dataDir"> = {},
): Promise<Store> {
  return await createStore(databaseConfig("sqlite", "argus.db"), { ...options, dataDir: dir });
}

/** A span of an existing trace, earlier than its spans (it becomes the outline's first). */
function lateSpan(traceId: string): Batch {
  const resource = buildResource("late-service");
  return {
    resources: [resource],
    spans: [buildSpan(resource, {
      traceId,
      spanId: "00000000000000ff",
      startTimeUnixNano: BASE_TIME_NS - 5_000_000n,
      endTimeUnixNano: BASE_TIME_NS - 4_000_000n,
    })],
    logs: [],
  };
}

for (const throughKysely of [false, true]) {
  const path = throughKysely ? "the Kysely committer" : "the writer thread";
  Deno.test(`sqlite trace keys: through ${path}, every span has its trace's key`, async () => {
    await withDir(async (dir) => {
      let store = await open(dir, { sqliteWritesThroughKysely: throughKysely });
      try {
        await store.migrate();
        const first = buildBatch(60, 0, 1);
        assert.equal((await store.write(first)).spans.inserted, 60);
        const before = keysOf(`${dir}/argus.db`);
        assert.equal(before.unkeyed, 0);
        assert.equal(before.mismatched, 0);
        assert.equal(before.services, 60, "one service row a one-span trace");
        assert.equal(before.mismatchedServices, 0);
        const firstKeys = [...before.summaries.values()];
        assert.equal(new Set(firstKeys).size, firstKeys.length, "one key a trace");

        // A late span of a stored trace, and new traces: the first keeps its key, the new ones
        // come after every key before them.
        const known = first.spans[0]!.traceId;
        const late = lateSpan(known);
        const second = buildBatch(30, 0, 2);
        assert.equal((await store.write(late)).spans.inserted, 1);
        assert.equal((await store.write(second)).spans.inserted, 30);
        const after = keysOf(`${dir}/argus.db`);
        assert.equal(after.unkeyed, 0);
        assert.equal(after.mismatched, 0);
        // The late span's service joined its trace's (recomputed by the key): 60 + 1 + 30.
        assert.equal(after.services, 91);
        assert.equal(after.mismatchedServices, 0);
        assert.equal(after.summaries.get(known), before.summaries.get(known));
        const newest = Math.max(...firstKeys);
        for (const span of second.spans) {
          assert.ok(after.summaries.get(span.traceId)! > newest, span.traceId);
        }

        // The outline: the late span first, every span of the trace, by the key-led index.
        const outline = await store.traceStructure(known);
        assert.equal(outline.spanId[0], "00000000000000ff");
        assert.equal(
          outline.spanId.length,
          first.spans.filter((s) => s.traceId === known).length + 1,
        );
        const plan = planOf(dir, { trace: known });
        assert.match(plan[0]!, /COVERING INDEX spans_trace_key_outline \(trace_key=\?\)/);
        assert.ok(!plan.some((line) => /TEMP B-TREE/.test(line)), "no sort");
        // One span: by its key, (trace_key, span_id), never by a scan.
        const spanPlan = planOf(dir, { trace: known, span: "00000000000000ff" }).join("\n");
        assert.match(
          spanPlan,
          /SEARCH spans USING INDEX spans_key \(trace_key=\? AND span_id=\?\)/,
        );
        assert.ok(!/SCAN spans/.test(spanPlan), spanPlan);
        // Several traces' spans (the trace list's figures, roots, services): by their keys too.
        const tracesPlan = planOf(dir, { traces: [known, second.spans[0]!.traceId] }).join("\n");
        assert.match(tracesPlan, /SEARCH spans USING (COVERING )?INDEX \w+ \(trace_key=\?\)/);
        assert.ok(!/SCAN spans/.test(tracesPlan), tracesPlan);
        assert.equal(
          (await store.traceSpan(known, "00000000000000ff"))?.serviceName,
          "late-service",
        );

        // A batch with a stored span and a new one (the commit of a replay): the new span keyed.
        const mixed: Batch = {
          resources: second.resources,
          spans: [second.spans[0]!, { ...second.spans[0]!, spanId: "00000000000000fe" }],
          logs: [],
        };
        const spansBefore = spanCount(`${dir}/argus.db`);
        assert.equal((await store.write(mixed)).spans.inserted, 1);
        assert.equal(keysOf(`${dir}/argus.db`).unkeyed, 0);
        // The same batch again (a retry): nothing is stored twice.
        assert.equal((await store.write(mixed)).spans.inserted, 0);
        assert.equal((await store.write(second)).spans.inserted, 0);
        assert.equal(spanCount(`${dir}/argus.db`), spansBefore + 1);

        // Reopened: the keys and the outlines are what the file holds, not the writer's memory.
        // (VACUUM, which may renumber rowids, keeps them too, as a column; Deno's node:sqlite
        // refuses VACUUM without every permission, so it is not run here.)
        const outlines = await Promise.all(first.spans.map((s) => store.traceStructure(s.traceId)));
        const keys = keysOf(`${dir}/argus.db`).summaries;
        await store.close();
        store = await open(dir, { sqliteWritesThroughKysely: throughKysely });
        assert.deepEqual(keysOf(`${dir}/argus.db`).summaries, keys);
        const again = await Promise.all(first.spans.map((s) => store.traceStructure(s.traceId)));
        assert.deepEqual(again, outlines);
      } finally {
        await store.close();
      }
    });
  });
}

Deno.test("sqlite trace keys: a database from before the migration gets a key on every span", async () => {
  await withDir(async (dir) => {
    let store = await open(dir);
    const batches = [buildBatch(40, 0, 1), buildBatch(40, 0, 2)];
    const traceIds = [...new Set(batches.flatMap((b) => b.spans.map((s) => s.traceId)))];
    let outlines;
    try {
      await store.migrate();
      for (const batch of batches) await store.write(batch);
      outlines = await Promise.all(traceIds.map((id) => store.traceStructure(id)));
    } finally {
      await store.close();
    }

    // Back to the schema before the keys: the columns gone, the outline led by the trace id.
    const { db } = openDatabase(databaseConfig("sqlite", "argus.db"), dir, () => {});
    try {
      const migrator = argusMigrator(db as Kysely<unknown>, "sqlite");
      assert.equal((await migrator.migrateTo(BEFORE)).error, undefined);
    } finally {
      await db.destroy();
    }
    const raw = new DatabaseSync(`${dir}/argus.db`);
    try {
      const columns = (table: string) =>
        raw.prepare(`pragma table_info(${table})`).all().map((c) => c.name);
      assert.ok(!columns("spans").includes("trace_key"));
      assert.ok(!columns("trace_summaries").includes("trace_key"));
      assert.ok(!columns("trace_services").includes("trace_key"));
      const indexes = raw.prepare("pragma index_list(spans)").all().map((i) => i.name);
      assert.ok(indexes.includes("spans_trace_outline"));
    } finally {
      raw.close();
    }

    store = await open(dir);
    try {
      assert.deepEqual((await store.migrate()).applied, [
        "2026-12-20_trace_keys",
        "2026-12-21_spans_by_trace_key",
      ]);
      const keys = keysOf(`${dir}/argus.db`);
      assert.equal(keys.unkeyed, 0);
      assert.equal(keys.mismatched, 0);
      assert.equal(keys.services, traceIds.length);
      assert.equal(keys.mismatchedServices, 0);
      assert.equal(keys.summaries.size, traceIds.length);
      assert.equal(new Set(keys.summaries.values()).size, traceIds.length);
      assert.deepEqual(await Promise.all(traceIds.map((id) => store.traceStructure(id))), outlines);
      const raw = new DatabaseSync(`${dir}/argus.db`, { readOnly: true });
      try {
        const indexes = raw.prepare("pragma index_list(spans)").all() as {
          name: string;
          unique: number;
          origin: string;
        }[];
        const names = indexes.map((i) => i.name);
        assert.ok(!names.includes("spans_trace_outline"), "the old outline index dropped");
        assert.ok(!indexes.some((i) => i.origin === "pk"), "no primary key (trace_id, span_id)");
        assert.equal(indexes.find((i) => i.name === "spans_key")?.unique, 1);
        assert.equal(spanCount(`${dir}/argus.db`), 80);
      } finally {
        raw.close();
      }
      // New traces after the migration take keys after the migrated ones.
      const newest = Math.max(...keys.summaries.values());
      const later = buildBatch(10, 0, 3);
      await store.write(later);
      const after = keysOf(`${dir}/argus.db`);
      assert.equal(after.unkeyed, 0);
      for (const span of later.spans) assert.ok(after.summaries.get(span.traceId)! > newest);
    } finally {
      await store.close();
    }
  });
});

Deno.test("sqlite trace keys: spans left without a summary get one and a key at 2026-12-21", async () => {
  await withDir(async (dir) => {
    const batch = buildBatch(20, 0, 1);
    const orphan = batch.spans[0]!.traceId;
    const spansOfOrphan = batch.spans.filter((s) => s.traceId === orphan).length;
    // Rows written, the schema taken down to before 2026-12-21, then one trace's summary and
    // keys taken away.
    let store = await open(dir);
    try {
      await store.migrate();
      assert.equal((await store.write(batch)).spans.inserted, batch.spans.length);
    } finally {
      await store.close();
    }
    const { db } = openDatabase(databaseConfig("sqlite", "argus.db"), dir, () => {});
    try {
      const migrator = argusMigrator(db as Kysely<unknown>, "sqlite");
      assert.equal((await migrator.migrateTo("2026-12-20_trace_keys")).error, undefined);
    } finally {
      await db.destroy();
    }
    const raw = new DatabaseSync(`${dir}/argus.db`);
    try {
      raw.prepare("update spans set trace_key = null where trace_id = ?").run(orphan);
      raw.prepare("delete from trace_services where trace_id = ?").run(orphan);
      raw.prepare("delete from trace_summaries where trace_id = ?").run(orphan);
    } finally {
      raw.close();
    }

    store = await open(dir);
    try {
      assert.deepEqual((await store.migrate()).applied, ["2026-12-21_spans_by_trace_key"]);
      const keys = keysOf(`${dir}/argus.db`);
      assert.equal(keys.unkeyed, 0);
      assert.equal(keys.mismatched, 0);
      assert.equal(keys.mismatchedServices, 0);
      assert.ok(keys.summaries.has(orphan));
      assert.equal(spanCount(`${dir}/argus.db`), batch.spans.length);
      const outline = await store.traceStructure(orphan);
      assert.equal(outline.spanId.length, spansOfOrphan);
      const check = new DatabaseSync(`${dir}/argus.db`, { readOnly: true });
      try {
        const summary = check.prepare(
          "select span_count, root_service from trace_summaries where trace_id = ?",
        ).get(orphan)!;
        assert.equal(Number(summary.span_count), spansOfOrphan);
        assert.equal(summary.root_service, batch.spans[0]!.serviceName);
      } finally {
        check.close();
      }
      // Its spans are found by the key, and stored once when sent again.
      assert.equal((await store.write(batch)).spans.inserted, 0);
      assert.equal(spanCount(`${dir}/argus.db`), batch.spans.length);
    } finally {
      await store.close();
    }
  });
});
