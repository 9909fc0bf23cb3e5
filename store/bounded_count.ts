/**
 * How the filtered lists count their matches without a cost that grows with the window: up to a
 * number of matches (TRACE_COUNT_LIMIT, LOG_SEARCH_LIMIT), and, where each row's check is costly
 * (a text in every row, a trace's spans), over at most a number of rows (TRACE_COUNT_SCAN,
 * TRACE_COUNT_CHECKS, LOG_COUNT_SCAN), newest first. A count that stops before the window's end
 * answers "at least `total`" (`totalCapped`), never more than match; the page itself can prove
 * more, or the exact figure (`withThePage`).
 *
 * @module
 */
import { type Expression, type Kysely, type SelectQueryBuilder, sql, type SqlBool } from "kysely";
import type { Database } from "./columns.ts";
import type { DialectCapabilities } from "./dialects/mod.ts";

/** How many rows match: `total`, or at least it when `totalCapped`. */
export interface Count {
  total: number;
  /** Counting stopped before the window's end: at least `total` match. */
  totalCapped: boolean;
}

/** A count, and whether it stopped because more than `limit` matched (not only at the bound). */
export interface BoundedCount extends Count {
  /** More than the limit matched: a fact about the window, unlike a stop at the row bound. */
  overLimit: boolean;
}

/** `query`'s first `n` rows: TOP on SQL Server, which has no LIMIT, else LIMIT. */
// deno-lint-ignore no-explicit-any -- any select: only its row count is read
export function firstRows<Q extends SelectQueryBuilder<any, any, any>>(
  caps: Pick<DialectCapabilities, "driver">,
  query: Q,
  n: number,
): Q {
  // OFFSET … FETCH, SQL Server's other way, needs an ORDER BY, which a count would sort by.
  return (caps.driver === "sqlserver" ? query.top(n) : query.limit(n)) as Q;
}

/** `n` rows counted up to `limit` + 1, as a count: capped at `limit` past it (none: exact). */
export function cappedAt(n: number, limit: number | undefined): BoundedCount {
  return limit === undefined || n <= limit
    ? { total: n, totalCapped: false, overLimit: false }
    : { total: limit, totalCapped: true, overLimit: true };
}

/** How many rows `query` selects, reading at most `limit` + 1 of them (undefined: all). */
export async function countRows(
  db: Kysely<Database>,
  caps: Pick<DialectCapabilities, "driver">,
  // deno-lint-ignore no-explicit-any -- any select before its columns: a 1 is selected
  query: SelectQueryBuilder<any, any, any>,
  limit: number | undefined,
): Promise<number> {
  const one = query.select(sql<number>`1`.as("one"));
  const first = limit === undefined ? one : firstRows(caps, one, limit + 1);
  const row = await db.selectFrom(first.as("matching"))
    .select((eb) => eb.fn.countAll().as("n")).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** What a count bounded by its work reads. */
export interface BoundedRows {
  /**
   * The window's rows under the conditions that indexes serve (before its columns); given an
   * `edge` time (ns), the window narrowed to the rows at or past it in `order` (from it on when
   * newest first, up to it otherwise), as the window's own bound on the time: a second bound
   * on the same column would be left to a filter (SQLite reads the range from the first).
   */
  // deno-lint-ignore no-explicit-any -- the rows of any table
  rows: (edge?: bigint) => SelectQueryBuilder<any, any, any>;
  /** The rows' time (indexed), and the order the count reads them in: newest first, or not. */
  time: Expression<unknown>;
  order: "asc" | "desc";
  /** The costly conditions, checked row by row: a row matches when all hold. */
  match: readonly Expression<SqlBool>[];
  /** Most rows read (TRACE_COUNT_SCAN, TRACE_COUNT_CHECKS, LOG_COUNT_SCAN). */
  scan: number;
  /** Most matches counted (TRACE_COUNT_LIMIT, LOG_SEARCH_LIMIT); undefined: all of the rows. */
  limit: number | undefined;
}

/**
 * How many of the first `scan` rows match, counted up to `limit` + 1; capped (at least) when the
 * window holds `scan` rows or more (exact below), or more than `limit` match. Two statements:
 * the time of the `scan`-th row (an index range walked to an offset; none: the window holds
 * fewer rows), then the matches of the window narrowed to that time, counted as `countRows`
 * counts (so it stops at `limit` + 1 matches too). Rows sharing that time are all read.
 * (A derived table of the first rows, `select 1 from (… limit scan) where match`, copies each
 * row's texts out of the table: 40 ms where this takes 29, for 50,000 log records on SQLite.)
 */
export async function boundedCount(
  db: Kysely<Database>,
  caps: Pick<DialectCapabilities, "driver" | "paginate">,
  bounded: BoundedRows,
): Promise<BoundedCount> {
  const { rows, time, order } = bounded;
  const edge = await caps.paginate(
    rows().select(sql<bigint | number | string>`${time}`.as("edge")).orderBy(time, order),
    { limit: 1, offset: bounded.scan - 1 },
  ).executeTakeFirst();
  let counted = rows(edge === undefined ? undefined : BigInt(edge.edge));
  for (const condition of bounded.match) counted = counted.where(condition);
  const count = cappedAt(await countRows(db, caps, counted, bounded.limit), bounded.limit);
  return edge === undefined || count.overLimit ? count : { ...count, totalCapped: true };
}

/**
 * A capped count, with what the page proves: its records exist, so at least offset + shown
 * match; and a page that is not full (no `more`), read from the list's start (not from a
 * cursor), reached the last match, so that offset + shown is the exact count, when it shows
 * something or starts at 0. An exact count is left as it is.
 */
export function withThePage(
  count: Count,
  page: { offset: number; shown: number; more: boolean; fromCursor?: boolean },
): Count {
  if (!count.totalCapped) return count;
  // An empty page past the start proves nothing: the matches may end before its offset.
  const proven = page.fromCursor || page.shown === 0 ? page.shown : page.offset + page.shown;
  if (!page.more && !page.fromCursor && (page.shown > 0 || page.offset === 0)) {
    return { total: proven, totalCapped: false };
  }
  return { total: Math.max(count.total, proven), totalCapped: true };
}
