/**
 * `root_errors` on `span_rollups` and `span_rollups_hourly`: root spans with status ERROR, so the
 * Dashboard counts failed requests as traces whose entry point failed (issue 14) rather than error
 * spans across services (one failed order is an error in each service it passed through).
 *
 * Filled from the spans already stored, for the rollup rows that hold roots and errors, so figures
 * of existing data stay true; a root whose span was purged (retention) while its rollup was kept
 * cannot be counted, and a span name longer than the rollups' 256-character operation is not
 * matched. Frozen in time like every migration: the tables' names and the minute arithmetic are
 * repeated here.
 */
import { type Kysely, type Migration, sql } from "kysely";

type Driver = "sqlite" | "postgres" | "mysql" | "sqlserver";

/** A JS number: the literal is written into the SQL (60e9 is exact). */
const NS_PER_MINUTE = 60_000_000_000;

export function rootErrorsSchema(_driver: Driver): Migration {
  return {
    async up(db: Kysely<unknown>) {
      for (const [table, minutes] of [["span_rollups", 1], ["span_rollups_hourly", 60]] as const) {
        await db.schema.alterTable(table)
          .addColumn("root_errors", "bigint", (c) => c.notNull().defaultTo(0))
          .execute();
        const r = (column: string) => sql.ref(`${table}.${column}`);
        const from = sql`${r("minute")} * ${sql.lit(NS_PER_MINUTE)}`;
        const to = sql`(${r("minute")} + ${sql.lit(minutes)}) * ${sql.lit(NS_PER_MINUTE)}`;
        // A correlated subquery over the spans' (service_name, start_time_unix_nano) index: the
        // one form of UPDATE the four databases share.
        await sql`update ${sql.table(table)} set ${sql.ref("root_errors")} = (
            select count(*) from ${sql.table("spans")} s
            where s.${sql.ref("service_name")} = ${r("service_name")}
              and s.${sql.ref("start_time_unix_nano")} >= ${from}
              and s.${sql.ref("start_time_unix_nano")} < ${to}
              and s.${sql.ref("name")} = ${r("operation")}
              and s.${sql.ref("parent_span_id")} = ''
              and s.${sql.ref("status_code")} = 2
          )
          where ${r("roots")} > 0 and ${r("errors")} > 0`.execute(db);
      }
    },
    async down(db: Kysely<unknown>) {
      for (const table of ["span_rollups", "span_rollups_hourly"]) {
        await db.schema.alterTable(table).dropColumn("root_errors").execute();
      }
    },
  };
}
