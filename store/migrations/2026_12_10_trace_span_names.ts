/**
 * `trace_summaries.span_names`: a trace's distinct span names, in binary order, each followed and
 * the first also preceded by U+001F (`\x1fGET /orders\x1fSELECT orders\x1f`), or NULL when that
 * text would pass 1,000 UTF-8 bytes (UTF-16 code units on SQL Server). The trace list's span-name
 * search reads it instead of probing every summary's spans (issue 15; store/span_names.ts).
 *
 * Filled from the spans already stored, one statement per 1,000 traces (in trace-id order, the
 * spans' key order), so that a large database is never read into one statement's memory. Frozen
 * in time like every migration: the separator, the cap and the SQL of store/trace_summaries.ts
 * are repeated here.
 */
import { type Kysely, type Migration, type RawBuilder, sql } from "kysely";

type Driver = "sqlite" | "postgres" | "mysql" | "sqlserver";

const SEPARATOR = "\u001f";
const MAX_LENGTH = 1_000;
const TRACES_PER_STATEMENT = 1_000;

const TYPES: Record<Driver, string> = {
  sqlite: "text",
  postgres: "varchar(1000)",
  mysql: "varchar(1000)",
  sqlserver: "nvarchar(1000)",
};

type Sql = RawBuilder<unknown>;

/** As in trace_summaries.ts: each database's length, distinct value, aggregate and enclosing. */
const NAMES: Record<Driver, {
  length(name: Sql): Sql;
  distinct(name: Sql): Sql;
  join(names: Sql, name: Sql): Sql;
  enclose(text: Sql): Sql;
}> = {
  sqlite: {
    length: (name) => sql`length(cast(${name} as blob))`,
    distinct: (name) => name,
    join: (names, name) => sql`group_concat(${names}, ${sql.lit(SEPARATOR)} order by ${name})`,
    enclose: (text) => sql`${sql.lit(SEPARATOR)} || ${text} || ${sql.lit(SEPARATOR)}`,
  },
  postgres: {
    length: (name) => sql`octet_length(${name})`,
    distinct: (name) => name,
    join: (names, name) =>
      sql`string_agg(${names}, ${sql.lit(SEPARATOR)} order by ${name} collate "C")`,
    enclose: (text) => sql`${sql.lit(SEPARATOR)} || ${text} || ${sql.lit(SEPARATOR)}`,
  },
  mysql: {
    length: (name) => sql`length(${name})`,
    distinct: (name) => name,
    join: (names, name) =>
      sql`group_concat(${names} order by cast(${name} as binary) separator ${sql.lit(SEPARATOR)})`,
    enclose: (text) => sql`concat(char(31 using utf8mb4), ${text}, char(31 using utf8mb4))`,
  },
  sqlserver: {
    length: (name) => sql`datalength(${name}) / 2`,
    distinct: (name) => sql`${name} collate Latin1_General_100_BIN2`,
    join: (names, name) =>
      sql`string_agg(${names}, ${sql.raw(`N'${SEPARATOR}'`)}) within group (order by ${name})`,
    enclose: (text) => sql`${sql.raw(`N'${SEPARATOR}'`)} + ${text} + ${sql.raw(`N'${SEPARATOR}'`)}`,
  },
};

/** The span names of the traces with ids in (`after`, `upTo`] (no upper bound: none). */
function namesSelect(driver: Driver, after: string, upTo: string | undefined): Sql {
  const n = NAMES[driver];
  const name = sql.ref("name");
  const upper = upTo === undefined ? sql`` : sql`and trace_id <= ${upTo}`;
  return sql`select w.trace_id as trace_id, ${
    n.enclose(
      n.join(sql`case when w.total <= ${sql.lit(MAX_LENGTH)} then w.name end`, sql.ref("w.name")),
    )
  } as span_names
    from (
      select d.trace_id as trace_id, d.name as name,
        sum(d.name_length + 1) over (partition by d.trace_id) + 1 as total
      from (
        select distinct trace_id, ${n.distinct(name)} as name, ${n.length(name)} as name_length
        from spans where trace_id > ${after} ${upper}
      ) d
    ) w
    group by w.trace_id`;
}

/** Sets `span_names` of the summaries from `names` (trace_id, span_names), as each database can. */
function updateFrom(driver: Driver, names: Sql): Sql {
  switch (driver) {
    case "sqlite":
    case "postgres":
      return sql`update trace_summaries set span_names = n.span_names from (${names}) n
        where n.trace_id = trace_summaries.trace_id`;
    case "mysql":
      return sql`update trace_summaries ts inner join (${names}) n on n.trace_id = ts.trace_id
        set ts.span_names = n.span_names`;
    case "sqlserver":
      return sql`update ts set span_names = n.span_names
        from trace_summaries ts inner join (${names}) n on n.trace_id = ts.trace_id`;
  }
}

/** The id of the summary `TRACES_PER_STATEMENT` after `after`, or undefined: fewer are left. */
async function chunkEnd(db: Kysely<unknown>, driver: Driver, after: string) {
  const skip = TRACES_PER_STATEMENT - 1;
  const page = driver === "sqlserver"
    ? sql`offset ${sql.lit(skip)} rows fetch next 1 rows only`
    : sql`limit 1 offset ${sql.lit(skip)}`;
  const { rows } = await sql<{ trace_id: string }>`select trace_id from trace_summaries
    where trace_id > ${after} order by trace_id ${page}`.execute(db);
  return rows[0]?.trace_id;
}

export function traceSpanNamesSchema(driver: Driver): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("trace_summaries")
        .addColumn("span_names", sql.raw(TYPES[driver])).execute();
      for (let after = "";;) {
        const upTo = await chunkEnd(db, driver, after);
        await updateFrom(driver, namesSelect(driver, after, upTo)).execute(db);
        if (upTo === undefined) break;
        after = upTo;
      }
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable("trace_summaries").dropColumn("span_names").execute();
    },
  };
}
