/**
 * Several batches in flight on a server database (DB_WRITES_IN_FLIGHT, store/write_schedule.ts)
 * store exactly what one writer stores: the same batches, written all at once through a store
 * that commits up to four at a time and one after another through a store that commits one, give
 * the same rows, summaries and rollups (edges included) on two fresh databases, table by table.
 * The batches split traces over several batches (children before their parents), repeat spans and
 * logs across batches written at once (retries), and mix logs and spans.
 *
 * @module
 */
import assert from "node:assert/strict";
import { sql } from "kysely";
import { createStore, type Store, type WriteResult } from "../store/mod.ts";
import { openDatabase } from "../store/dialects/mod.ts";
import { ROLLUP_TABLES } from "../store/rollups.ts";
import { OVERFLOW_ID } from "../store/attribute_index.ts";
import type { Batch, LogRow, SpanRow } from "../store/types.ts";
import {
  buildBatch,
  buildCallChain,
  buildLog,
  buildServiceResources,
  buildSpan,
  random,
} from "./builders.ts";
import { freshDatabase, selectedDrivers, type TestDatabase } from "./databases.ts";

const BY_SERVICE = buildServiceResources();
const RESOURCES = Object.values(BY_SERVICE);

/** 48 batches: call chains spread over three batches each, single spans, logs, and repeats. */
function workload(): { batches: Batch[]; spans: number; logs: number } {
  const rand = random(77);
  const chains = Array.from(
    { length: 60 },
    (_, i) => buildCallChain(BY_SERVICE, i * 7_000, rand, i % 4 === 0),
  );
  const singles: SpanRow[] = Array.from(
    { length: 120 },
    (_, i) => buildSpan(RESOURCES[i % 3]!, {}, rand),
  );
  const logs: LogRow[] = Array.from(
    { length: 300 },
    (_, i) => buildLog(RESOURCES[i % 3]!, {}, rand),
  );
  const batches: Batch[] = [];
  for (let b = 0; b < 40; b++) batches.push({ resources: RESOURCES, spans: [], logs: [] });
  const at = (i: number) => batches[i % 40]!;
  chains.forEach((chain, i) => {
    // The leaf first, its parents in later batches, the root last: most pairs span batches.
    at(i).spans.push(chain[4]!, chain[3]!);
    at(i + 3).spans.push(chain[2]!);
    at(i + 11).spans.push(chain[1]!, chain[0]!);
  });
  singles.forEach((span, i) => at(i * 7).spans.push(span));
  logs.forEach((log, i) => at(i * 3).logs.push(log));
  // Retries: batches that repeat rows of others, some of which are written at the same moment.
  for (let r = 0; r < 8; r++) {
    batches.push({
      resources: RESOURCES,
      spans: [...at(r * 5).spans.slice(0, 3), ...chains[r * 7]!.slice(0, 2)],
      logs: at(r * 5 + 1).logs.slice(0, 4),
    });
  }
  return { batches, spans: chains.length * 5 + singles.length, logs: logs.length };
}

/** Every row of the tables that ingest writes, sorted, as text: what to compare. */
async function tables(database: TestDatabase): Promise<Record<string, string[]>> {
  const open = openDatabase(database.config, database.dataDir, () => {});
  try {
    const names = [
      "spans",
      "logs",
      "resources",
      "trace_summaries",
      "trace_services",
      "span_attributes",
      "log_attributes",
      ...Object.keys(ROLLUP_TABLES),
    ];
    const out: Record<string, string[]> = {};
    for (const name of names) {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`
        .execute(open.db);
      out[name] = rows.rows.map((row) =>
        JSON.stringify(row, (key, v) => key === "" ? v : String(v))
      ).sort();
    }
    return out;
  } finally {
    await open.db.destroy();
  }
}

/** The ids of each posting list (`bucket h` → ids) of an attribute index table's rows. */
function postings(rows: string[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const text of rows) {
    const row = JSON.parse(text) as Record<string, string>;
    const key = `${row.bucket} ${row.h}`;
    const id = row.trace_id ?? row.log_id!;
    out.set(key, (out.get(key) ?? new Set()).add(id));
  }
  return out;
}

function sum(results: WriteResult[], signal: "spans" | "logs", field: "inserted" | "duplicates") {
  return results.reduce((n, r) => n + r[signal][field], 0);
}

for (const driver of selectedDrivers().filter((d) => d !== "sqlite")) {
  Deno.test(`[${driver}] batches in flight store what one writer stores, rollups and edges exact`, async () => {
    const { batches, spans, logs } = workload();
    const inFlight = await freshDatabase(driver);
    const serial = await freshDatabase(driver);
    const stores: Store[] = [];
    try {
      const many = await createStore({ ...inFlight.config, writesInFlight: 4 }, {
        dataDir: inFlight.dataDir,
      });
      stores.push(many);
      const one = await createStore({ ...serial.config, writesInFlight: 1 }, {
        dataDir: serial.dataDir,
      });
      stores.push(one);
      assert.equal(many.writesInFlight, 4);
      assert.equal(one.writesInFlight, 1);
      await many.migrate();
      await one.migrate();

      // All at once: the store orders them by trace and keeps up to four in flight.
      const together = await Promise.all(batches.map((batch) => many.write(batch)));
      const inTurn: WriteResult[] = [];
      for (const batch of batches) inTurn.push(await one.write(batch));

      for (const results of [together, inTurn]) {
        assert.equal(sum(results, "spans", "inserted"), spans);
        assert.equal(sum(results, "logs", "inserted"), logs);
        assert.equal(
          sum(results, "spans", "duplicates"),
          batches.reduce((n, b) => n + b.spans.length, 0) - spans,
        );
        assert.equal(
          sum(results, "logs", "duplicates"),
          batches.reduce((n, b) => n + b.logs.length, 0) - logs,
        );
      }
      // Batches of one trace commit in order, so each parent found its waiting children in
      // memory at once, as with one writer: none is left for the database look-up.
      assert.equal(many.waitingChildSpans(), 0);
      assert.equal(one.waitingChildSpans(), 0);
      // Closing would resolve the children still waiting (edges found in the database).
      for (const store of stores.splice(0)) await store.close();

      const [a, b] = [await tables(inFlight), await tables(serial)];
      assert.equal(a.spans!.length, spans);
      assert.equal(a.logs!.length, logs);
      // 60 chains × 2 edges between services (order → payment → inventory).
      const edgeCalls = a.edge_rollups!.map((row) => Number(JSON.parse(row).calls))
        .reduce((x, y) => x + y, 0);
      assert.equal(edgeCalls, 120);
      for (const name of Object.keys(b)) {
        if (name.endsWith("_attributes")) continue;
        assert.deepEqual(a[name], b[name], `${name}: in flight and one at a time differ`);
      }
      // The attribute index: a posting list may pass its cap by what the other batches in flight
      // added (attribute_postings.ts), so lists may be longer; never one less complete.
      for (const name of ["span_attributes", "log_attributes"]) {
        const [x, y] = [postings(a[name]!), postings(b[name]!)];
        assert.deepEqual([...x.keys()].sort(), [...y.keys()].sort(), `${name}: other keys`);
        for (const [key, ids] of y) {
          const got = x.get(key)!;
          if (got.has(OVERFLOW_ID)) continue; // a scan answers for it
          for (const id of ids) if (id !== OVERFLOW_ID) assert.ok(got.has(id), `${name} ${key}`);
          if (!ids.has(OVERFLOW_ID)) assert.deepEqual(got, ids, `${name} ${key}`);
        }
      }
    } finally {
      for (const store of stores) await store.close();
      await inFlight.drop();
      await serial.drop();
    }
  });
}

for (const driver of selectedDrivers().filter((d) => d !== "sqlite")) {
  // Batches of a thousand new traces each, as a busy exporter sends them: on MySQL, REPEATABLE
  // READ's gap locks made such batches in flight deadlock past every retry (store/dialects/mysql.ts
  // `writeIsolation`), and the resources every batch repeats queued them one behind another.
  Deno.test(`[${driver}] batches in flight of many new traces all commit`, async () => {
    const database = await freshDatabase(driver);
    const store = await createStore({ ...database.config, writesInFlight: 3 }, {
      dataDir: database.dataDir,
    });
    try {
      await store.migrate();
      const batches = Array.from({ length: 12 }, (_, i) => buildBatch(1_000, 200, 100 + i));
      const results = await Promise.all(batches.map((batch) => store.write(batch)));
      assert.equal(sum(results, "spans", "inserted"), 12_000);
      assert.equal(sum(results, "logs", "inserted"), 2_400);
    } finally {
      await store.close();
      await database.drop();
    }
  });
}
