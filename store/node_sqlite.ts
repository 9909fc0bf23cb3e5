/**
 * Kysely over Deno's built-in `node:sqlite`: an adapter giving `DatabaseSync` the small
 * better-sqlite3-shaped interface that Kysely's own `SqliteDialect` drives, plus a cache of
 * prepared statements (Kysely prepares every query again otherwise).
 *
 * Integers are read as bigint so that nanosecond times past 2^53 survive; the row mappers in
 * `columns.ts` turn small integers back into numbers.
 *
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { SqliteDatabase, SqliteStatement } from "kysely";

/** Prepared statements kept per connection (the reader threads keep as many). */
export const STATEMENT_CACHE_SIZE = 200;

/**
 * The pragmas of every Argus SQLite connection: the seed's WAL, 5 s busy timeout and
 * synchronous=NORMAL, plus a larger page cache and checkpoint interval (exported for the
 * benchmark's raw baseline, so both measure the same settings).
 */
export const PRAGMAS = [
  // First, so that switching to WAL waits for another process opening the same file.
  "busy_timeout = 5000",
  // Before WAL, where it still takes effect on a new database: lets POST /api/admin/vacuum free
  // pages with `incremental_vacuum`, since Deno refuses VACUUM's temporary database unless the
  // process has every permission (store/maintenance.ts). No effect on an existing database.
  "auto_vacuum = INCREMENTAL",
  "journal_mode = WAL",
  // NORMAL in WAL mode: a commit survives a crash of Argus; a power loss of the host may lose the
  // last commits (FULL would fsync every commit, several times slower here).
  "synchronous = NORMAL",
  "foreign_keys = ON",
  // Checkpoint every ~40 MiB of WAL rather than SQLite's 4 MiB: index pages rewritten by many
  // commits are written to the database once per checkpoint, and fsyncs are ten times rarer. On
  // this project's virtual disk that doubled insert throughput (docs/benchmarks.md). Checkpoints
  // stay in the writer, which keeps the WAL bounded (a background checkpointer let it grow to
  // 5 GB in a prototype); journal_size_limit truncates the file back after each one.
  "wal_autocheckpoint = 10000",
  "journal_size_limit = 67108864",
  // 64 MiB of page cache instead of 2 MiB: random-key index inserts (trace and span ids) stop
  // missing the cache once the indexes outgrow it.
  "cache_size = -65536",
];

/** Page cache of one reader connection, in KiB (see READER_PRAGMAS). */
export const READER_CACHE_KIB = 8_192;

/**
 * The pragmas of a reader connection (store/sqlite_reader_worker.js), opened read-only on a file
 * the writer has already put in WAL mode. Its page cache is 8 MiB rather than the writer's 64 MiB:
 * there are several readers, each is its own thread's memory, and what they scan is mostly in the
 * OS page cache anyway (a reader's RSS measured 25 MiB after a full scan of a 250 MB file).
 */
export const READER_PRAGMAS = [
  "busy_timeout = 5000",
  // Belt and braces over the read-only open: SQLite refuses any statement that would write.
  "query_only = ON",
  `cache_size = -${READER_CACHE_KIB}`,
];

export class NodeSqliteDatabase implements SqliteDatabase {
  readonly raw: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  constructor(path: string) {
    this.raw = new DatabaseSync(path);
    for (const pragma of PRAGMAS) this.raw.exec(`pragma ${pragma}`);
  }

  /** A prepared statement for `sql`, reused across calls (least recently used are evicted). */
  statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.raw.prepare(sql);
      statement.setReadBigInts(true);
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) {
        this.#statements.delete(this.#statements.keys().next().value!);
      }
    } else {
      this.#statements.delete(sql);
    }
    this.#statements.set(sql, statement);
    return statement;
  }

  prepare(sql: string): SqliteStatement {
    // Kysely opens transactions with a plain (deferred) "begin". A deferred transaction that reads
    // and then writes fails with SQLITE_BUSY when another connection wrote in between, and it is
    // how two processes migrating one file at once collided; "begin immediate" takes the write
    // lock up front and waits for it (busy_timeout) instead.
    const statement = this.statement(sql === "begin" ? "begin immediate" : sql);
    const params = (parameters: ReadonlyArray<unknown>) =>
      parameters.map(toSqliteValue) as Parameters<StatementSync["all"]>;
    return {
      reader: statement.columns().length > 0,
      all: (parameters) => statement.all(...params(parameters)),
      run: (parameters) => statement.run(...params(parameters)),
      iterate: (parameters) => statement.iterate(...params(parameters)),
    };
  }

  close(): void {
    this.#statements.clear();
    if (this.raw.isOpen) this.raw.close();
  }
}

/** node:sqlite binds numbers, bigints, strings, null and byte arrays; booleans become 0/1. */
function toSqliteValue(value: unknown): unknown {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value === undefined) return null;
  return value;
}
