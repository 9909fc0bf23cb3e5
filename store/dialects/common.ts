/**
 * What the dialects share: the `DialectCapabilities` every database implements, the SQL two of
 * them write alike (ON CONFLICT inserts and upserts, LIMIT … OFFSET pages), the client-side grace
 * of the connection deadlines, and the socket-level failures every driver's error classifier
 * reads the same way.
 *
 * @module
 */
import {
  type InsertResult,
  type Kysely,
  type RawBuilder,
  type SelectQueryBuilder,
  sql,
} from "kysely";
import type { SqlBool } from "kysely";
import type { DbDriver } from "../../lib/config.ts";
import type { Database, InsertTable, Int64Param } from "../columns.ts";
import type { DbErrorClass } from "../db_errors.ts";
import type { PurgeTable } from "../maintenance.ts";
import type { NodeSqliteDatabase } from "../node_sqlite.ts";
import { ROLLUP_TABLES, type RollupTable } from "../rollups.ts";
import type { Page, SpanRow } from "../types.ts";
import { errorMessage } from "../../utils/errors.ts";

type Table = InsertTable;
type Executor = Kysely<Database>;

/** Everything that differs between the databases, as data and small functions. */
export interface DialectCapabilities {
  readonly driver: DbDriver;
  /** How an int64 is bound as a parameter. */
  readonly int64: Int64Param;
  /** Most bind parameters one statement may carry (SQL Server: 2100). */
  readonly maxParameters: number;
  /** Most parameter bytes one statement should carry (MySQL's packet limit is 16 MiB). */
  readonly maxStatementBytes: number;
  /**
   * True when `insertIfAbsent` and `upsertAdd` bind one parameter per column (an array of its
   * values: PostgreSQL's `unnest`), so that `maxParameters` does not bound the rows of one
   * statement and only `maxStatementBytes` does.
   */
  readonly columnarWrites?: boolean;
  /**
   * True when one insert statement must not hold a key twice (SQL Server's MERGE inserts both and
   * fails); elsewhere the second is skipped as a conflict.
   */
  readonly repeatedKeysFail: boolean;
  /**
   * True when `insertIfAbsent` locks a stored key it skips until the transaction ends (MySQL's
   * no-op `ON DUPLICATE KEY UPDATE`, SQL Server's `MERGE … HOLDLOCK`; PostgreSQL's
   * `ON CONFLICT DO NOTHING` does not): the rows every batch repeats, its resources, are then
   * written by a statement committed on its own, so that batches in flight and replicas do not
   * queue behind each other's lock on them.
   */
  readonly skipLocksKey?: boolean;
  /**
   * The isolation level of a batch's transaction when not the database's default. MySQL's
   * REPEATABLE READ locks the rows and gaps an `INSERT … SELECT` reads (the summaries' recompute
   * reads the spans of its traces), so that batches in flight and replicas inserting spans into
   * those gaps deadlock; READ COMMITTED reads them as PostgreSQL does, without locks, each
   * statement seeing what was committed before it.
   */
  readonly writeIsolation?: "read committed";
  /**
   * Inserts rows, skipping those whose key is already stored, and returns how many were
   * inserted. Rows must not repeat a key among themselves.
   */
  insertIfAbsent<T extends Table>(
    db: Executor,
    table: T,
    key: readonly (keyof Database[T] & string)[],
    rows: readonly Database[T][],
  ): Promise<number>;
  /**
   * Adds rows to a rollup table: a row whose key is stored adds its sums to the stored one, a new
   * key is inserted. Rows must not repeat a key among themselves.
   */
  upsertAdd<T extends RollupTable>(
    db: Executor,
    table: T,
    rows: readonly Database[T][],
  ): Promise<void>;
  /**
   * Inserts the rows of `select` (whose columns are `columns`, in order) into `table`, a row
   * whose `key` is stored replacing that row's other columns. Rows must not repeat a key.
   */
  upsertSelect(
    table: string,
    key: readonly string[],
    columns: readonly string[],
    select: RawBuilder<unknown>,
  ): RawBuilder<unknown>;
  /**
   * Claims the trace summaries of `traceIds` (sorted, distinct) as trace_summaries.ts
   * `claimSummaries` does, where the database has a faster way (PostgreSQL: postgres_bulk.ts).
   * Given the spans about to be inserted, it may write the summaries of traces that had none from
   * them at once: it then answers the traces left to recompute.
   */
  claimSummaries?(
    db: Executor,
    traceIds: readonly string[],
    spans?: readonly SpanRow[],
  ): Promise<readonly string[] | void>;
  /**
   * Recomputes the trace summaries of `traceIds` (and with `removeEmpty` deletes those without a
   * stored span) as trace_summaries.ts `refreshSummaries` does, leaving the same rows, where the
   * database has a faster way (PostgreSQL: postgres_bulk.ts).
   */
  refreshSummaries?(db: Executor, traceIds: readonly string[], removeEmpty: boolean): Promise<void>;
  /** True where the text column contains `needle` exactly (case and all). */
  contains(column: string, needle: string): RawBuilder<SqlBool>;
  /** True where the text column contains `text`, ignoring case; `%` and `_` are literal. */
  containsIgnoringCase(column: string, text: string): RawBuilder<SqlBool>;
  /** Applies a page to an ordered select (SQL Server needs OFFSET … FETCH instead of LIMIT). */
  paginate<DB, TB extends keyof DB, O>(
    query: SelectQueryBuilder<DB, TB, O>,
    page: Page,
  ): SelectQueryBuilder<DB, TB, O>;
  /**
   * What an error of this database's driver means for the data written (see db_errors.ts, whose
   * `classifyDbError` answers for Argus's own `StoreUnavailableError` before asking this).
   */
  classifyError(error: unknown): DbErrorClass;
  /**
   * True when the database rolled the transaction back to settle a conflict with another one (a
   * deadlock's victim, a serialization failure): the same transaction may be run again at once.
   */
  lostConflict(error: unknown): boolean;
  /** The purge and vacuum statements (see maintenance.ts). */
  readonly maintenance: MaintenanceDialect;
}

/** How one database purges and compacts (maintenance.ts runs these). */
export interface MaintenanceDialect {
  /**
   * One statement deleting at most `rows` rows of `table` where `column < below`. `rows` is a
   * validated positive integer and is written into the SQL as a literal.
   */
  deleteChunk(table: PurgeTable, column: string, below: unknown, rows: number): RawBuilder<unknown>;
  /**
   * Compacts and analyzes the tables (none of these run inside a transaction); answers a warning
   * when compaction was not possible. `sqlite` is SQLite's raw handle.
   */
  vacuum(db: Executor, sqlite?: NodeSqliteDatabase): Promise<string | undefined>;
  /** Bytes used by Argus's tables and their indexes, or undefined if not reported. */
  sizeBytes(db: Executor): Promise<number | undefined>;
}

/**
 * A LIKE pattern matching `text` anywhere, with LIKE's own characters escaped by `!` (SQL
 * Server's LIKE also treats `[` as special). `!` rather than `\`, which MySQL string literals
 * would need doubled.
 */
export function likePattern(text: string, special = /[!%_]/g): string {
  return `%${text.replace(special, (c) => `!${c}`)}%`;
}

/** Rows an insert statement inserted (or updated), summed over its results. */
export function inserted(results: InsertResult[]): number {
  return results.reduce((sum, r) => sum + Number(r.numInsertedOrUpdatedRows ?? 0n), 0);
}

/** A page as LIMIT … OFFSET (every database but SQL Server). */
export function limitOffset<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  page: Page,
): SelectQueryBuilder<DB, TB, O> {
  return query.limit(page.limit).offset(page.offset);
}

/** `INSERT … ON CONFLICT (key) DO NOTHING`, as SQLite and PostgreSQL write it. */
export function insertOnConflictDoNothing<T extends Table>(
  db: Executor,
  table: T,
  key: readonly (keyof Database[T] & string)[],
  rows: readonly Database[T][],
) {
  // Kysely cannot relate a generic table's row type to its columns; `table` fixes both here.
  // deno-lint-ignore no-explicit-any
  const values = rows as any, columns = key as any;
  return db.insertInto(table).values(values).onConflict((oc) => oc.columns(columns).doNothing());
}

/**
 * `INSERT … ON CONFLICT (key) DO UPDATE SET sum = table.sum + excluded.sum`, as SQLite and
 * PostgreSQL write it.
 */
export function upsertAddOnConflict<T extends RollupTable>(
  db: Executor,
  table: T,
  rows: readonly Database[T][],
) {
  const { key, sums } = ROLLUP_TABLES[table];
  const set = Object.fromEntries(
    sums.map((c) => [c, sql`${sql.ref(`${table}.${c}`)} + ${sql.ref(`excluded.${c}`)}`]),
  );
  // deno-lint-ignore no-explicit-any -- the row type is fixed by `table`
  return db.insertInto(table).values(rows as any).onConflict((oc) =>
    // deno-lint-ignore no-explicit-any
    oc.columns(key as any).doUpdateSet(set as any)
  );
}

/**
 * `INSERT … SELECT … ON CONFLICT (key) DO UPDATE SET column = excluded.column`, as SQLite and
 * PostgreSQL write it (`where true` is not needed: every select given here has a WHERE, which
 * SQLite requires to tell the ON CONFLICT from a join's ON).
 */
export function upsertSelectOnConflict(
  table: string,
  key: readonly string[],
  columns: readonly string[],
  select: RawBuilder<unknown>,
): RawBuilder<unknown> {
  const set = columns.filter((c) => !key.includes(c))
    .map((c) => sql`${sql.ref(c)} = excluded.${sql.ref(c)}`);
  return sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))})
    ${select}
    on conflict (${sql.join(key.map((k) => sql.ref(k)))}) do update set ${sql.join(set)}`;
}

/** The first column of the first row of `query`, as a number, or undefined. */
export async function firstNumber(
  db: Executor,
  query: RawBuilder<unknown>,
): Promise<number | undefined> {
  const { rows } = await query.execute(db);
  const value = Object.values((rows[0] ?? {}) as Record<string, unknown>)[0];
  if (value === null || value === undefined) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Receives errors that happen outside any query, such as an idle pooled connection dropped by a
 * database restart. They are not fatal (the pool reconnects on the next query), but an unhandled
 * one would crash the process, so they must be caught and reported.
 */
export type BackgroundErrorHandler = (error: unknown) => void;

/**
 * How long after the server-side statement timeout the client gives up on a statement and drops
 * its connection: a server that cancels the statement answers within this; one that answers
 * nothing (frozen, partitioned) is given up on.
 */
export const CLIENT_GRACE_MS = 2_000;

/** An error's `code` as text ("" when it has none). */
export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : typeof code === "number" ? String(code) : "";
}

/** Socket-level failures every Node driver reports through Node's error codes. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENOTCONN",
  "EADDRNOTAVAIL",
]);

/** Messages of drivers and pools that mean "no connection" (pg, pg-pool, mysql2, tarn). */
const UNREACHABLE_MESSAGE =
  /timeout exceeded when trying to connect|connection terminated|connection refused|connect ETIMEDOUT|Connection lost|Can't add new command when connection is in closed state|Query read timeout|Query inactivity timeout|Client has encountered a connection error|Cannot use a pool after calling end|Pool is closed|closed state|socket hang up|read ECONNRESET|write EPIPE|server closed the connection|the database system is (starting up|shutting down|in recovery mode)|ResourceRequest timed out|Failed to connect/i;

/** True when `error` says there is no connection, by its Node code or its message. */
export function networkFailure(error: unknown): boolean {
  return NETWORK_CODES.has(errorCode(error)) || UNREACHABLE_MESSAGE.test(errorMessage(error));
}

/**
 * Insert-if-absent and rollup upserts with ON CONFLICT, as SQLite and PostgreSQL write them (a
 * key repeated within one statement is skipped as a conflict).
 */
export const ON_CONFLICT_WRITES: Pick<
  DialectCapabilities,
  "repeatedKeysFail" | "insertIfAbsent" | "upsertAdd" | "upsertSelect"
> = {
  repeatedKeysFail: false,
  upsertSelect: upsertSelectOnConflict,
  insertIfAbsent: async (db, table, key, rows) =>
    inserted(await insertOnConflictDoNothing(db, table, key, rows).execute()),
  upsertAdd: async (db, table, rows) => {
    await upsertAddOnConflict(db, table, rows).execute();
  },
};
