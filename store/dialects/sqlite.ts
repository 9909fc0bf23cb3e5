/**
 * SQLite: where its file lives, its Kysely dialect (migrations in one transaction), its
 * capabilities, its purge and vacuum statements, and which of its error texts mean what. The
 * connection itself is node:sqlite (node_sqlite.ts); writes go through a writer thread
 * (sqlite_writer.ts).
 *
 * @module
 */
import { type Kysely, sql, type SqlBool, SqliteAdapter, SqliteDialect } from "kysely";
import { isAbsolute, join } from "node:path";
import { type Database, TABLE_KEYS } from "../columns.ts";
import type { DbErrorClass } from "../db_errors.ts";
import type { NodeSqliteDatabase } from "../node_sqlite.ts";
import {
  type DialectCapabilities,
  firstNumber,
  likePattern,
  limitOffset,
  ON_CONFLICT_WRITES,
} from "./common.ts";
import { errorMessage } from "../../utils/errors.ts";

type Db = Kysely<Database>;

/** Where a SQLite DSN points: relative paths live in the data folder. */
export function sqlitePath(dsn: string, dataDir: string): string {
  if (dsn === ":memory:" || dsn.startsWith("file:") || isAbsolute(dsn)) return dsn;
  return join(dataDir, dsn);
}

/**
 * SQLite does run DDL inside transactions, but Kysely's adapter says it does not, so its Migrator
 * would migrate without a transaction and without a lock: two processes starting on one file
 * would both apply the same migration. With this adapter each migration run is one transaction,
 * opened as "begin immediate" (see node_sqlite.ts), which other processes wait for.
 */
class TransactionalSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class ArgusSqliteDialect extends SqliteDialect {
  override createAdapter(): SqliteAdapter {
    return new TransactionalSqliteAdapter();
  }
}

/** Kysely's dialect over an open node:sqlite database. */
export function sqliteDialect(database: NodeSqliteDatabase): SqliteDialect {
  return new ArgusSqliteDialect({ database });
}

/** Tries `fn` again when SQLite reports the database locked past busy_timeout. */
async function retryWhileLocked<T>(fn: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const message = error instanceof Error ? error.message : "";
      if (attempt >= attempts || !/database (table )?is locked|SQLITE_BUSY/i.test(message)) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
}

/** `pragma auto_vacuum` value of a database whose freed pages `pragma incremental_vacuum` returns. */
const AUTO_VACUUM_INCREMENTAL = 2;

/**
 * Why VACUUM can fail on SQLite under Deno: it copies the database through an attached temporary
 * one, and Deno 2.9's node:sqlite allows ATTACH only to a process holding every permission
 * ("too many attached databases - max 0"), which `deno task start` does not grant.
 */
export const SQLITE_VACUUM_REFUSED =
  "SQLite's VACUUM was refused: under Deno it needs every permission (it attaches a temporary " +
  "database). Deleted rows' pages are reused by new data, but the file does not shrink; a " +
  "database created with auto_vacuum=incremental is compacted without VACUUM";

/**
 * Runs on the main connection, synchronously: node:sqlite blocks the event loop meanwhile. The
 * writer thread's commits wait for it up to busy_timeout (5 s) and then fail as "database is
 * locked", which the batcher treats as unavailable: those batches go to the dead-letter queue and
 * are replayed. Each step waits up to busy_timeout for a commit in progress, and is tried again
 * if one outlasts it.
 */
async function vacuumSqlite(db: Db, sqlite?: NodeSqliteDatabase): Promise<string | undefined> {
  const checkpoint = () => retryWhileLocked(() => sql`pragma wal_checkpoint(truncate)`.execute(db));
  await checkpoint();
  let warning: string | undefined;
  if (sqlite && await firstNumber(db, sql`pragma auto_vacuum`) === AUTO_VACUUM_INCREMENTAL) {
    // Through the raw handle, because incremental_vacuum frees one page per step and Kysely runs a
    // statement without result columns with a single step. Holding Kysely's one connection keeps
    // it from running inside a Kysely transaction.
    await retryWhileLocked(() =>
      db.connection().execute(() =>
        new Promise<void>((resolve) => {
          sqlite.statement("pragma incremental_vacuum").all();
          resolve();
        })
      )
    );
  } else {
    try {
      await retryWhileLocked(() => sql`vacuum`.execute(db));
    } catch (error) {
      const message = error instanceof Error ? error.message : "";
      if (!/too many attached databases/i.test(message)) throw error;
      warning = SQLITE_VACUUM_REFUSED;
    }
  }
  // The vacuum wrote its pages into the WAL (VACUUM the whole database): copy them back to the
  // database file and truncate the WAL.
  await checkpoint();
  await sql`pragma optimize`.execute(db);
  return warning;
}

/**
 * SQLite through node:sqlite, which in Deno reports only the message (no result code), so the
 * classes go by SQLite's own fixed error texts (sqlite3_errstr) and the prefixes of its
 * constraint messages.
 */
function classifySqlite(error: unknown): DbErrorClass {
  const message = errorMessage(error);
  if (/constraint failed|string or blob too big|datatype mismatch/i.test(message)) {
    return "content";
  }
  if (
    /database is locked|database table is locked|disk is full|disk I\/O error|readonly database|unable to open|no such table|no such column|interrupted|out of memory|malformed|not a database|not authorized|authorization denied|writer thread|is closed|SQLITE_BUSY/i
      .test(message)
  ) {
    return "refused";
  }
  return "unknown";
}

export const SQLITE: DialectCapabilities = {
  ...ON_CONFLICT_WRITES,
  contains: (column, needle) => sql<SqlBool>`instr(${sql.ref(column)}, ${needle}) > 0`,
  // SQLite's LIKE ignores the case of ASCII letters only.
  containsIgnoringCase: (column, text) =>
    sql<SqlBool>`${sql.ref(column)} like ${likePattern(text)} escape '!'`,
  driver: "sqlite",
  int64: (value) => value,
  maxParameters: 32_766,
  maxStatementBytes: 64 * 1_048_576,
  paginate: limitOffset,
  classifyError: classifySqlite,
  // One writer: no transaction of Argus's is ever another's victim.
  lostConflict: () => false,
  maintenance: {
    // DELETE … LIMIT exists only in SQLite builds with SQLITE_ENABLE_UPDATE_DELETE_LIMIT; every
    // Argus table has a rowid, which the time index covers, but the attribute index's, WITHOUT
    // ROWID tables named by their key (whose first column is the one cut on).
    deleteChunk: (t, column, below, rows) => {
      const key = t === "span_attributes" || t === "log_attributes"
        ? sql.join(TABLE_KEYS[t].map((c) => sql.ref(c)))
        : sql`rowid`;
      return sql`delete from ${sql.table(t)} where (${key}) in (select ${key} from ${
        sql.table(t)
      } where ${sql.ref(column)} < ${below} limit ${sql.lit(rows)})`;
    },
    vacuum: vacuumSqlite,
    sizeBytes: (db) =>
      firstNumber(
        db,
        sql`select page_count * page_size as bytes from pragma_page_count(), pragma_page_size()`,
      ),
  },
};
