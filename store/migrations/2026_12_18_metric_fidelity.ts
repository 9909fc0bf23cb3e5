/**
 * OTLP fields of metrics kept since issue 19: `ScopeMetrics.schema_url` and
 * `InstrumentationScope.dropped_attributes_count` on each instrument, as 2026_12_16_otlp_fidelity
 * keeps them on each span and log record (metrics' resources are rows of `resources`, whose
 * `entity_refs` that migration added).
 *
 * Added with constant defaults, so that no database rewrites its rows: PostgreSQL and
 * MariaDB/MySQL 8 add such a column in place, SQLite and SQL Server record the default. A text
 * default is written `('')` on MySQL, which takes a default for a TEXT column only as an
 * expression. A column that a half-applied run (MySQL cannot roll DDL back) added is not added
 * again.
 *
 * Frozen in time: the types are repeated here.
 */
import { type Kysely, type Migration, sql } from "kysely";
import { TYPES } from "./2026_12_11_metrics.ts";

type Driver = "sqlite" | "postgres" | "mysql" | "sqlserver";

const TABLE = "metric_instruments";

/** The columns added: name, type kind, default. */
const COLUMNS: readonly [column: string, kind: "text" | "int", fallback: string][] = [
  ["scope_schema_url", "text", "''"],
  ["scope_dropped_attributes_count", "int", "0"],
];

export function metricFidelitySchema(driver: Driver): Migration {
  const t = TYPES[driver];
  return {
    async up(db: Kysely<unknown>) {
      const existing = await db.introspection.getTables();
      const columns = existing.find((x) => x.name === TABLE)?.columns ?? [];
      for (const [column, kind, fallback] of COLUMNS) {
        if (columns.some((c) => c.name === column)) continue;
        const type = kind === "text" ? t.longText : t.int32;
        const value = kind === "text" && driver === "mysql" ? `(${fallback})` : fallback;
        await sql`alter table ${sql.table(TABLE)} add ${
          sql.raw(driver === "sqlserver" ? "" : "column ")
        }${sql.ref(column)} ${sql.raw(type)} not null default ${sql.raw(value)}`.execute(db);
      }
    },
    async down(db: Kysely<unknown>) {
      for (const [column] of [...COLUMNS].reverse()) {
        await db.schema.alterTable(TABLE).dropColumn(column).execute();
      }
    },
  };
}
