/**
 * OTLP fields kept since issue 19: `ScopeSpans.schema_url` / `ScopeLogs.schema_url` and
 * `InstrumentationScope.dropped_attributes_count` on each span and log record, `Resource.entity_refs`
 * (JSON text) on each resource, and `logs.time_unset` (1 when the SDK sent no time, whose
 * `time_unix_nano` is then the observed time or the arrival).
 *
 * Added with constant defaults, so that no database rewrites its rows: PostgreSQL (its partitioned
 * tables pass the column on to every partition) and MariaDB/MySQL 8 add such a column in place,
 * SQLite and SQL Server record the default. Text defaults are written `('')` on MySQL, which takes
 * a default for a TEXT column only as an expression.
 *
 * Frozen in time: the types are repeated here.
 */
import { type Kysely, type Migration, sql } from "kysely";
import { TYPES } from "./2026_12_11_metrics.ts";

type Driver = "sqlite" | "postgres" | "mysql" | "sqlserver";

/** The columns added, per table: name, type kind, default. */
const COLUMNS: readonly [table: string, column: string, kind: "text" | "int", fallback: string][] =
  [
    ["spans", "scope_schema_url", "text", "''"],
    ["spans", "scope_dropped_attributes_count", "int", "0"],
    ["logs", "scope_schema_url", "text", "''"],
    ["logs", "scope_dropped_attributes_count", "int", "0"],
    ["logs", "time_unset", "int", "0"],
    ["resources", "entity_refs", "text", "''"],
  ];

export function otlpFidelitySchema(driver: Driver): Migration {
  const t = TYPES[driver];
  return {
    async up(db: Kysely<unknown>) {
      const existing = await db.introspection.getTables();
      for (const [table, column, kind, fallback] of COLUMNS) {
        const type = kind === "text" ? t.longText : t.int32;
        const value = kind === "text" && driver === "mysql" ? `(${fallback})` : fallback;
        const has = existing.find((x) => x.name === table)?.columns.some((c) => c.name === column);
        // A half-applied run (MySQL cannot roll DDL back) left it: not added twice.
        if (has) continue;
        await sql`alter table ${sql.table(table)} add ${
          sql.raw(driver === "sqlserver" ? "" : "column ")
        }${sql.ref(column)} ${sql.raw(type)} not null default ${sql.raw(value)}`.execute(db);
      }
    },
    async down(db: Kysely<unknown>) {
      for (const [table, column] of [...COLUMNS].reverse()) {
        await db.schema.alterTable(table).dropColumn(column).execute();
      }
    },
  };
}
