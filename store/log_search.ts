/**
 * The log text search (`GET /api/logs?search=`, its syntax in utils/text_query.ts) as SQL, and
 * how it uses the text index of migrations/2026_12_07_log_text_index.ts.
 *
 * What matches is decided by one condition on every database: the body contains each included
 * term and no excluded one, ignoring case (`containsIgnoringCase`, a LIKE with `%` and `_`
 * escaped). An index only narrows which records that condition is checked on, so results are
 * those of the scan exactly:
 *
 * - SQLite: the FTS5 trigram table `logs_text` finds the records holding every included term of
 *   three characters or more (its folding of case is Unicode's, wider than LIKE's ASCII: a
 *   superset, which the LIKE then narrows). A rare term is looked up there; a common one is not,
 *   since the newest records of the window already match and walking the time index stops at the
 *   page, where the index would list millions of rowids: `planLogSearch` counts the index's
 *   candidates up to LOG_SEARCH_LIMIT first, and takes the index only below it (measured in
 *   docs/benchmarks.md). Terms under three characters and exclusions are checked by the LIKE.
 * - PostgreSQL: the pg_trgm GIN index serves the ILIKE itself, the planner choosing it or the
 *   time index from its statistics; without pg_trgm the ILIKE scans.
 * - MySQL/MariaDB, SQL Server: the LIKE scans the window (see the migration for why).
 *
 * @module
 */
import { type Kysely, type RawBuilder, sql, type SqlBool } from "kysely";
import type { Database } from "./columns.ts";
import type { DialectCapabilities } from "./dialects/mod.ts";
import type { TextQuery } from "../utils/text_query.ts";

/**
 * How a SQLite commit fills the FTS5 table: after inserting its logs, one `insert … select` of the
 * records past the largest rowid before them (new rows get rowids above it; the commit holds the
 * write lock), rather than a trigger per row, which made log inserts 1.7 times slower than this in
 * a node:sqlite test of 100,000 records (docs/benchmarks.md). Deletes and updates keep triggers.
 * Every SQLite write path runs these (sqlite_commit.ts, and batch_writer.ts's Kysely committer).
 */
export const SQLITE_LOG_TEXT = {
  lastRowid: "select coalesce(max(rowid), 0) as n from logs",
  index: "insert into logs_text (rowid, body) select rowid, body from logs where rowid > ?",
} as const;

/** Shortest term the trigram index can look up, in characters (code points). */
export const INDEXED_TERM_CHARS = 3;

/** The text index a database has, if any: `fts5` (SQLite) or `pg_trgm` (PostgreSQL). */
export type LogTextIndex = "fts5" | "pg_trgm";

/** How one search reads: through the index's candidates (their rowids), or the scan. */
export type LogSearchPlan = { index: true; rowids: readonly (number | bigint)[] } | {
  index: false;
};

export const SCAN: LogSearchPlan = { index: false };

/** True where `column` contains every included term and no excluded one, ignoring case. */
export function bodyMatches(
  caps: DialectCapabilities,
  query: TextQuery,
  column = "logs.body",
): RawBuilder<SqlBool> {
  const conditions = [
    ...query.include.map((term) => caps.containsIgnoringCase(column, term)),
    ...query.exclude.map((term) => sql<SqlBool>`not (${caps.containsIgnoringCase(column, term)})`),
  ];
  return sql<SqlBool>`(${sql.join(conditions, sql` and `)})`;
}

/** The included terms the trigram index can look up. */
export function indexedTerms(query: TextQuery): string[] {
  return query.include.filter((term) => [...term].length >= INDEXED_TERM_CHARS);
}

/** An FTS5 query holding every term, each a string (quotes doubled), so that nothing is syntax. */
export function ftsQuery(terms: readonly string[]): string {
  return terms.map((term) => `"${term.replaceAll('"', '""')}"`).join(" AND ");
}

/** True for the logs rows among the index's candidates. */
export function indexCandidates(rowids: readonly (number | bigint)[]): RawBuilder<SqlBool> {
  return rowids.length === 0
    ? sql<SqlBool>`0 = 1`
    : sql<SqlBool>`${sql.ref("logs.rowid")} in (${sql.join(rowids)})`;
}

/**
 * A logs column as the search's other conditions read it: under the index's candidates (SQLite),
 * `+column`, which no index serves, so that SQLite looks the few candidates up by rowid rather
 * than walking the time or service index past them.
 */
export function planColumn(plan: LogSearchPlan, column: string): RawBuilder<unknown> {
  return plan.index ? sql`+${sql.ref(column)}` : sql`${sql.ref(column)}`;
}

/**
 * How to read a search: through the index when the database has one that Argus drives (SQLite),
 * the window holds more than `limit` records (a scan of fewer costs at most that), and the
 * included terms the index can look up have at most `limit` candidates of all time (more: a
 * common term, whose matches fill the page from the newest records at once); else the scan.
 * The candidates are read once, here, and then named by rowid. Without a limit, the scan (the
 * reference of tests and benchmarks).
 */
export async function planLogSearch(
  db: Kysely<Database>,
  caps: DialectCapabilities,
  window: { startNs: unknown; endNs: unknown },
  query: TextQuery,
  limit: number | undefined,
): Promise<LogSearchPlan> {
  if (limit === undefined || caps.driver !== "sqlite") return SCAN;
  const terms = indexedTerms(query);
  if (terms.length === 0) return SCAN;
  const inWindow = await sql<{ n: number | bigint }>`select count(*) as n from (
      select 1 from logs where time_unix_nano >= ${window.startNs}
        and time_unix_nano < ${window.endNs} limit ${limit + 1})`.execute(db);
  if (Number(inWindow.rows[0]?.n ?? 0) <= limit) return SCAN;
  const candidates = await sql<{ rowid: number | bigint }>`select rowid from logs_text
    where logs_text match ${ftsQuery(terms)} limit ${limit + 1}`.execute(db);
  return candidates.rows.length <= limit
    ? { index: true, rowids: candidates.rows.map((r) => r.rowid) }
    : SCAN;
}

/** The text index this database has, or undefined when the search scans. */
export async function logTextIndex(
  db: Kysely<Database>,
  caps: DialectCapabilities,
): Promise<LogTextIndex | undefined> {
  if (caps.driver === "sqlite") {
    const { rows } = await sql`select 1 from sqlite_master where name = 'logs_text'`.execute(db);
    return rows.length > 0 ? "fts5" : undefined;
  }
  if (caps.driver === "postgres") {
    const { rows } = await sql<{ found: boolean }>`select to_regclass('logs_body_trgm')
      is not null as found`.execute(db);
    return rows[0]?.found ? "pg_trgm" : undefined;
  }
  return undefined;
}
