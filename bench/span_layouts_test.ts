import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { COMMON_INDEXES, LAYOUTS, measure } from "./span_layouts.ts";
import { createStore } from "../store/mod.ts";
import { databaseConfig } from "../tests/databases.ts";

const TABLES = ["spans", "trace_summaries", "trace_services"];

/** Columns and indexes (by their columns, unique or not) of the span tables of `db`. */
function schemaOf(db: DatabaseSync) {
  return TABLES.map((table) => ({
    table,
    columns: db.prepare(`pragma table_info(${table})`).all()
      .map((c) => [c.name, c.type, c.notnull, c.dflt_value, c.pk]),
    indexes: (db.prepare(`pragma index_list(${table})`).all() as { name: string; unique: number }[])
      .map((index) =>
        [
          index.unique,
          db.prepare(`pragma index_info("${index.name}")`).all().map((c) => c.name).join(","),
        ].join(" ")
      )
      .sort(),
  }));
}

Deno.test("span_layouts: the `today` layout is the span tables Argus's migrations make", async () => {
  const dir = await Deno.makeTempDir({ prefix: "argus-span-layouts-schema-" });
  try {
    const store = await createStore(databaseConfig("sqlite", `${dir}/argus.db`), { dataDir: dir });
    await store.migrate();
    await store.close();
    const argus = new DatabaseSync(`${dir}/argus.db`);
    const model = new DatabaseSync(`${dir}/model.db`);
    try {
      const today = LAYOUTS.find((layout) => layout.name === "today")!;
      for (const statement of [...today.tables, ...COMMON_INDEXES]) model.exec(statement);
      assert.deepEqual(schemaOf(model), schemaOf(argus));
    } finally {
      argus.close();
      model.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("span_layouts: every layout stores each trace's spans, summary and service once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "argus-span-layouts-test-" });
  try {
    for (const layout of LAYOUTS) {
      const measured = measure(dir, layout, 1_500, 3);
      const traces = 1_500 + 3 * 50;
      assert.deepEqual(
        measured.rows,
        { spans: traces * 2, summaries: traces, services: traces },
        layout.name,
      );
      assert.ok(measured.spansPerSecond > 0 && measured.cpuUsPerSpan > 0, layout.name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
