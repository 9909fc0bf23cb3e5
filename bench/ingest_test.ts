import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { rawBaseline } from "./ingest.ts";

// The raw inserts beside which bench:ingest prints Argus's rates write the store's own tables by
// their column names: when the schema gains a column they must still insert every row (a resource
// of five values stopped them once the resources had seven columns).
for (const signal of ["traces", "logs", "metrics"] as const) {
  Deno.test(`bench:ingest's raw ${signal} baseline inserts every row into the current schema`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "argus-bench-raw-" });
    try {
      const rate = await rawBaseline(signal, dir, 2_000);
      assert.ok(rate > 0, `a rate was measured: ${rate}`);
      const db = new DatabaseSync(`${dir}/baseline-${signal}.db`);
      try {
        const count = (table: string) =>
          Number(db.prepare(`select count(*) as n from ${table}`).get()!.n);
        const table = { traces: "spans", logs: "logs", metrics: "metric_points" }[signal];
        assert.equal(count(table), 2_000);
        assert.ok(count("resources") > 0, "the request's resources were inserted");
      } finally {
        db.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
