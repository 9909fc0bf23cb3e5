/**
 * `long_text` on spans, logs, resources and metric instruments: JSON of the texts longer than their
 * columns, whole, by field name; "" when all fit (store/long_text.ts). Text wider than a column was
 * refused before.
 *
 * Added with a constant default, so that no database rewrites its rows (see
 * 2026_12_16_otlp_fidelity.ts, which this follows). Frozen in time: the types are repeated here.
 */
import { type Kysely, type Migration, sql } from "kysely";
import { TYPES } from "./2026_12_11_metrics.ts";

type Driver = "sqlite" | "postgres" | "mysql" | "sqlserver";

const TABLES = ["spans", "logs", "resources", "metric_instruments"] as const;
const COLUMN = "long_text";

export function longTextSchema(driver: Driver): Migration {
  const type = TYPES[driver].longText;
  // MySQL takes a default for a TEXT column only as an expression.
  const fallback = driver === "mysql" ? "('')" : "''";
  return {
    async up(db: Kysely<unknown>) {
      const existing = await db.introspection.getTables();
      for (const table of TABLES) {
        const has = existing.find((x) => x.name === table)?.columns.some((c) => c.name === COLUMN);
        // A half-applied run (MySQL cannot roll DDL back) left it: not added twice.
        if (has) continue;
        await sql`alter table ${sql.table(table)} add ${
          sql.raw(driver === "sqlserver" ? "" : "column ")
        }${sql.ref(COLUMN)} ${sql.raw(type)} not null default ${sql.raw(fallback)}`.execute(db);
      }
    },
    async down(db: Kysely<unknown>) {
      for (const table of [...TABLES].reverse()) {
        await db.schema.alterTable(table).dropColumn(COLUMN).execute();
      }
    },
  };
}
