/**
 * The dialect layer: how Argus connects to each database and the ways the four differ in writing
 * and reading (int64 binding, parameter limits, insert-if-absent, rollup upserts, containment
 * searches, pagination, which errors mean "the database is unavailable"). The only other module
 * that branches on the driver is maintenance.ts (purge and vacuum statements).
 *
 * @module
 */
import {
  type InsertResult,
  Kysely,
  MssqlDialect,
  MysqlDialect,
  PostgresDialect,
  type RawBuilder,
  type SelectQueryBuilder,
  sql,
  type SqlBool,
  SqliteAdapter,
  SqliteDialect,
} from "kysely";
import pg from "pg";
import * as mysql from "mysql2";
import * as tedious from "tedious";
import * as tarn from "tarn";
import { isAbsolute, join } from "node:path";
import type { DatabaseConfig, DbDriver, PoolConfig } from "../lib/config.ts";
import type { Database, Int64Param } from "./columns.ts";
import { NodeSqliteDatabase } from "./node_sqlite.ts";
import type { Page } from "./types.ts";
import { ROLLUP_TABLES, type RollupTable } from "./rollups.ts";
import { classifyDbError, type DbErrorClass } from "./db_errors.ts";

type Table = "resources" | "spans" | "logs";
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
   * True when one insert statement must not hold a key twice (SQL Server's MERGE inserts both and
   * fails); elsewhere the second is skipped as a conflict.
   */
  readonly repeatedKeysFail: boolean;
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
  /** True where the text column contains `needle` exactly (case and all). */
  contains(column: string, needle: string): RawBuilder<SqlBool>;
  /** True where the text column contains `text`, ignoring case; `%` and `_` are literal. */
  containsIgnoringCase(column: string, text: string): RawBuilder<SqlBool>;
  /** Applies a page to an ordered select (SQL Server needs OFFSET … FETCH instead of LIMIT). */
  paginate<DB, TB extends keyof DB, O>(
    query: SelectQueryBuilder<DB, TB, O>,
    page: Page,
  ): SelectQueryBuilder<DB, TB, O>;
  /** What an error of this database means for the data written (see db_errors.ts). */
  classifyError(error: unknown): DbErrorClass;
}

/**
 * A LIKE pattern matching `text` anywhere, with LIKE's own characters escaped by `!` (SQL
 * Server's LIKE also treats `[` as special). `!` rather than `\`, which MySQL string literals
 * would need doubled.
 */
export function likePattern(text: string, special = /[!%_]/g): string {
  return `%${text.replace(special, (c) => `!${c}`)}%`;
}

function inserted(results: InsertResult[]): number {
  return results.reduce((sum, r) => sum + Number(r.numInsertedOrUpdatedRows ?? 0n), 0);
}

function limitOffset<DB, TB extends keyof DB, O>(
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

export const SQLITE: DialectCapabilities = {
  repeatedKeysFail: false,
  contains: (column, needle) => sql<SqlBool>`instr(${sql.ref(column)}, ${needle}) > 0`,
  // SQLite's LIKE ignores the case of ASCII letters only.
  containsIgnoringCase: (column, text) =>
    sql<SqlBool>`${sql.ref(column)} like ${likePattern(text)} escape '!'`,
  driver: "sqlite",
  int64: (value) => value,
  maxParameters: 32_766,
  maxStatementBytes: 64 * 1_048_576,
  insertIfAbsent: async (db, table, key, rows) =>
    inserted(await insertOnConflictDoNothing(db, table, key, rows).execute()),
  upsertAdd: async (db, table, rows) => {
    await upsertAddOnConflict(db, table, rows).execute();
  },
  paginate: limitOffset,
  classifyError: (error) => classifyDbError("sqlite", error),
};

export const POSTGRES: DialectCapabilities = {
  repeatedKeysFail: false,
  contains: (column, needle) => sql<SqlBool>`strpos(${sql.ref(column)}, ${needle}) > 0`,
  containsIgnoringCase: (column, text) =>
    sql<SqlBool>`${sql.ref(column)} ilike ${likePattern(text)} escape '!'`,
  driver: "postgres",
  int64: (value) => value.toString(),
  maxParameters: 65_535,
  maxStatementBytes: 64 * 1_048_576,
  insertIfAbsent: async (db, table, key, rows) =>
    inserted(await insertOnConflictDoNothing(db, table, key, rows).execute()),
  upsertAdd: async (db, table, rows) => {
    await upsertAddOnConflict(db, table, rows).execute();
  },
  paginate: limitOffset,
  classifyError: (error) => classifyDbError("postgres", error),
};

export const MYSQL: DialectCapabilities = {
  repeatedKeysFail: false,
  // Columns have a binary collation: LOCATE is exact, and LIKE needs a case-insensitive one.
  contains: (column, needle) => sql<SqlBool>`locate(${needle}, ${sql.ref(column)}) > 0`,
  containsIgnoringCase: (column, text) =>
    sql<SqlBool>`${sql.ref(column)} collate utf8mb4_unicode_ci like ${
      likePattern(text)
    } escape '!'`,
  driver: "mysql",
  int64: (value) => value.toString(),
  maxParameters: 65_535,
  // Below MariaDB's and MySQL's default max_allowed_packet (16 MiB / 64 MiB), with room for SQL.
  maxStatementBytes: 8 * 1_048_576,
  async insertIfAbsent(db, table, key, rows) {
    // A no-op ON DUPLICATE KEY UPDATE rather than INSERT IGNORE: both skip existing keys without
    // an auto-increment, but INSERT IGNORE would also turn data errors (a value too long, a bad
    // character) into warnings and store altered data.
    const first = key[0]!;
    // deno-lint-ignore no-explicit-any -- the row type is fixed by `table` at the call site
    const result = await db.insertInto(table).values(rows as any)
      // deno-lint-ignore no-explicit-any
      .onDuplicateKeyUpdate({ [first]: sql.ref(first) } as any).execute();
    return inserted(result);
  },
  async upsertAdd(db, table, rows) {
    const set = Object.fromEntries(
      ROLLUP_TABLES[table].sums.map((c) => [c, sql`${sql.ref(c)} + values(${sql.ref(c)})`]),
    );
    // deno-lint-ignore no-explicit-any -- the row type is fixed by `table`
    await db.insertInto(table).values(rows as any).onDuplicateKeyUpdate(set as any).execute();
  },
  paginate: limitOffset,
  classifyError: (error) => classifyDbError("mysql", error),
};

export const SQLSERVER: DialectCapabilities = {
  repeatedKeysFail: true,
  // Exactness follows the database's collation (case-insensitive by default).
  contains: (column, needle) => sql<SqlBool>`charindex(${needle}, ${sql.ref(column)}) > 0`,
  containsIgnoringCase: (column, text) =>
    sql<SqlBool>`${sql.ref(column)} like ${likePattern(text, /[![%_]/g)} escape '!'`,
  driver: "sqlserver",
  int64: (value) => value.toString(),
  // The protocol allows 2100 parameters per request; keep a margin for the statement's own.
  maxParameters: 2_000,
  maxStatementBytes: 16 * 1_048_576,
  async insertIfAbsent(db, table, key, rows) {
    // SQL Server has no ON CONFLICT: a MERGE from a VALUES list inserts only the absent keys.
    // HOLDLOCK makes the check and the insert atomic against concurrent writers (replicas).
    const columns = Object.keys(rows[0]!);
    const values = sql.join(
      rows.map((row) =>
        sql`(${sql.join(columns.map((c) => (row as unknown as Record<string, unknown>)[c]))})`
      ),
    );
    const names = sql.join(columns.map((c) => sql.ref(c)));
    const on = sql.join(key.map((k) => sql`t.${sql.ref(k)} = s.${sql.ref(k)}`), sql` and `);
    const result = await sql`merge into ${sql.table(table)} with (holdlock) as t
      using (values ${values}) as s (${names})
      on ${on}
      when not matched then insert (${names})
      values (${sql.join(columns.map((c) => sql`s.${sql.ref(c)}`))});`.execute(db);
    return Number(result.numAffectedRows ?? 0n);
  },
  async upsertAdd(db, table, rows) {
    const { key, sums } = ROLLUP_TABLES[table];
    const columns = Object.keys(rows[0]!);
    const values = sql.join(
      rows.map((row) =>
        sql`(${sql.join(columns.map((c) => (row as unknown as Record<string, unknown>)[c]))})`
      ),
    );
    const names = sql.join(columns.map((c) => sql.ref(c)));
    const on = sql.join(key.map((k) => sql`t.${sql.ref(k)} = s.${sql.ref(k)}`), sql` and `);
    const set = sql.join(sums.map((c) => sql`t.${sql.ref(c)} = t.${sql.ref(c)} + s.${sql.ref(c)}`));
    await sql`merge into ${sql.table(table)} with (holdlock) as t
      using (values ${values}) as s (${names})
      on ${on}
      when matched then update set ${set}
      when not matched then insert (${names})
      values (${sql.join(columns.map((c) => sql`s.${sql.ref(c)}`))});`.execute(db);
  },
  paginate(query, page) {
    // OFFSET … FETCH requires an ORDER BY, which every paginated Argus query has.
    return query.offset(page.offset).fetch(page.limit);
  },
  classifyError: (error) => classifyDbError("sqlserver", error),
};

export const CAPABILITIES: Record<DbDriver, DialectCapabilities> = {
  sqlite: SQLITE,
  postgres: POSTGRES,
  mysql: MYSQL,
  sqlserver: SQLSERVER,
};

/** An open database: the Kysely instance, its capabilities, and for SQLite the raw handle. */
export interface OpenDatabase {
  db: Kysely<Database>;
  capabilities: DialectCapabilities;
  /** Set for SQLite only: the prepared-statement write path uses it directly. */
  sqlite?: NodeSqliteDatabase;
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

/** Where a SQLite DSN points: relative paths live in the data folder. */
export function sqlitePath(dsn: string, dataDir: string): string {
  if (dsn === ":memory:" || dsn.startsWith("file:") || isAbsolute(dsn)) return dsn;
  return join(dataDir, dsn);
}

/** Opens (lazily, for the server databases) the database `config` names. */
/**
 * Receives errors that happen outside any query, such as an idle pooled connection dropped by a
 * database restart. They are not fatal (the pool reconnects on the next query), but an unhandled
 * one would crash the process, so they must be caught and reported.
 */
export type BackgroundErrorHandler = (error: unknown) => void;

export function openDatabase(
  config: DatabaseConfig,
  dataDir: string,
  onBackgroundError: BackgroundErrorHandler,
): OpenDatabase {
  switch (config.driver) {
    case "sqlite": {
      const sqlite = new NodeSqliteDatabase(sqlitePath(config.dsn, dataDir));
      return {
        db: new Kysely<Database>({ dialect: new ArgusSqliteDialect({ database: sqlite }) }),
        capabilities: SQLITE,
        sqlite,
      };
    }
    case "postgres":
      return {
        db: new Kysely({ dialect: postgresDialect(config.dsn, config.pool, onBackgroundError) }),
        capabilities: POSTGRES,
      };
    case "mysql":
      return {
        db: new Kysely({ dialect: mysqlDialect(config.dsn, config.pool, onBackgroundError) }),
        capabilities: MYSQL,
      };
    case "sqlserver":
      return {
        db: new Kysely({
          dialect: sqlServerDialect(config.dsn, config.pool, onBackgroundError),
        }),
        capabilities: SQLSERVER,
      };
  }
}

/**
 * How long after the server-side statement timeout the client gives up on a statement and drops
 * its connection: a server that cancels the statement answers within this; one that answers
 * nothing (frozen, partitioned) is given up on.
 */
const CLIENT_GRACE_MS = 2_000;

function postgresDialect(
  dsn: string,
  pool: PoolConfig,
  onBackgroundError: BackgroundErrorHandler,
): PostgresDialect {
  const pgPool = new pg.Pool({
    connectionString: dsn,
    max: pool.maxOpen,
    // pg keeps `min` idle clients and closes the rest after idleTimeoutMillis.
    min: pool.maxIdle,
    idleTimeoutMillis: pool.idleTimeoutMs,
    maxLifetimeSeconds: Math.max(1, Math.round(pool.maxLifetimeMs / 1000)),
    // Also bounds the wait for a free client of a full pool.
    connectionTimeoutMillis: pool.connectTimeoutMs,
    application_name: "argus",
    // Server-side deadlines: the server cancels a statement (57014) or a lock wait (55P03).
    statement_timeout: pool.statementTimeoutMs,
    lock_timeout: pool.statementTimeoutMs,
    // Client-side deadline for a server that answers nothing; the connection is then dropped.
    query_timeout: pool.statementTimeoutMs + CLIENT_GRACE_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  // Errors of idle clients reach the pool's listener; errors of a client checked out by Kysely
  // between two statements (a server restart, `pg_terminate_backend`: ECONNRESET or 57P01) are
  // emitted on the client, and an unlistened 'error' event would end the process.
  pgPool.on("error", onBackgroundError);
  pgPool.on("connect", (client) => {
    client.on("error", onBackgroundError);
    dropOnClientTimeout(client);
  });
  return new PostgresDialect({ pool: pgPool });
}

/**
 * pg's client-side `query_timeout` fails the statement but leaves it in flight on its
 * connection, so the next statement on that connection would wait behind it: the connection is
 * destroyed instead, and the pool replaces it.
 */
function dropOnClientTimeout(client: pg.PoolClient): void {
  const query = client.query as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = function (this: unknown, ...args: unknown[]) {
    const result = query.apply(this, args);
    if (result instanceof Promise) {
      result.catch((error: unknown) => {
        if (error instanceof Error && error.message === "Query read timeout") {
          (client as unknown as { connection?: { stream?: { destroy(): void } } })
            .connection?.stream?.destroy();
        }
      });
    }
    return result;
  };
}

/** The subset of a mysql2 connection that Argus drives directly. */
interface MysqlRawConnection {
  query(...args: unknown[]): unknown;
  destroy(): void;
  on(event: "error", listener: (error: unknown) => void): unknown;
}

function mysqlDialect(
  dsn: string,
  pool: PoolConfig,
  onBackgroundError: BackgroundErrorHandler,
): MysqlDialect {
  const url = new URL(dsn);
  url.protocol = "mysql:"; // mariadb:// is accepted as a synonym
  const created = new WeakMap<object, number>();
  const mysqlPool = mysql.createPool({
    uri: url.toString(),
    connectionLimit: pool.maxOpen,
    maxIdle: pool.maxIdle,
    idleTimeout: pool.idleTimeoutMs,
    connectTimeout: pool.connectTimeoutMs,
    charset: "utf8mb4",
    supportBigNumbers: true,
    bigNumberStrings: true,
    enableKeepAlive: true,
    keepAliveInitialDelay: 10_000,
    // Without FOUND_ROWS, a duplicate skipped by the no-op ON DUPLICATE KEY UPDATE counts as 0
    // affected rows, so the insert count is exact.
    flags: ["-FOUND_ROWS"],
  });
  mysqlPool.on("connection", (connection) => {
    created.set(connection, Date.now());
    connection.on("error", onBackgroundError);
    withStatementDeadlines(connection as unknown as MysqlRawConnection, pool.statementTimeoutMs);
  });
  // mysql2 has no connection lifetime: retire connections past it when they are handed out. Nor
  // does it bound the wait for a connection of a full pool: give up after DB_CONNECT_TIMEOUT.
  const getConnection = mysqlPool.getConnection.bind(mysqlPool);
  type Callback = Parameters<typeof mysqlPool.getConnection>[0];
  const acquire = (callback: Callback, deadline = Date.now() + pool.connectTimeoutMs): void => {
    let answered = false;
    const timer = setTimeout(() => {
      answered = true;
      const error = Object.assign(
        new Error(`timeout exceeded when trying to connect (${pool.connectTimeoutMs} ms)`),
        { code: "ETIMEDOUT" },
      );
      callback(error as unknown as Parameters<Callback>[0], undefined as never);
    }, Math.max(0, deadline - Date.now()));
    getConnection((error, connection) => {
      clearTimeout(timer);
      if (answered) {
        connection?.release();
        return;
      }
      answered = true;
      const born = connection ? created.get(connection) ?? Date.now() : Date.now();
      if (error || Date.now() - born < pool.maxLifetimeMs) return callback(error, connection);
      connection.destroy();
      acquire(callback, deadline);
    });
  };
  mysqlPool.getConnection = acquire;
  return new MysqlDialect({ pool: mysqlPool });
}

/**
 * Statement deadlines of a new MySQL/MariaDB connection: the server's lock waits end after the
 * timeout (both servers), and MariaDB cancels any statement past it (`max_statement_time`; MySQL
 * has only a SELECT limit, so there the client deadline is the one that holds). Every statement
 * Kysely sends also gets the client-side deadline; a connection whose statement passes it is
 * destroyed (mysql2 would leave the statement in flight on it), and so is one refused access.
 */
function withStatementDeadlines(connection: MysqlRawConnection, statementTimeoutMs: number) {
  const seconds = Math.max(1, Math.ceil(statementTimeoutMs / 1000));
  const ignore = () => {};
  connection.query(
    `set session innodb_lock_wait_timeout = ${seconds}, lock_wait_timeout = ${seconds}`,
    ignore,
  );
  connection.query(`set session max_statement_time = ${statementTimeoutMs / 1000}`, ignore);
  const query = connection.query.bind(connection);
  connection.query = (...args: unknown[]) => {
    const [sqlText, values, callback] = args;
    if (typeof sqlText !== "string" || typeof callback !== "function") return query(...args);
    return query(
      { sql: sqlText, values, timeout: statementTimeoutMs + CLIENT_GRACE_MS },
      (error: { code?: string } | null, ...rest: unknown[]) => {
        // A statement past the deadline is still in flight on the connection; and MySQL keeps a
        // connection's database-level rights from when it selected the database, so one made
        // while a right was revoked would refuse writes after it is granted again.
        if (
          error?.code === "PROTOCOL_SEQUENCE_TIMEOUT" || /ACCESS_DENIED/.test(error?.code ?? "")
        ) {
          connection.destroy();
        }
        callback(error, ...rest);
      },
    );
  };
}

/** Reads `sqlserver://user:password@host:port/database?encrypt=true&trustServerCertificate=true`. */
export function sqlServerConnectionConfig(
  dsn: string,
  pool: PoolConfig,
): tedious.ConnectionConfiguration {
  const url = new URL(dsn);
  const flag = (name: string, fallback: boolean) => {
    const value = url.searchParams.get(name);
    return value === null ? fallback : value === "true";
  };
  return {
    server: url.hostname,
    authentication: {
      type: "default",
      options: {
        userName: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password),
      },
    },
    options: {
      port: url.port === "" ? 1433 : Number(url.port),
      database: decodeURIComponent(url.pathname.replace(/^\//, "")) || undefined,
      encrypt: flag("encrypt", true),
      trustServerCertificate: flag("trustServerCertificate", false),
      connectTimeout: pool.connectTimeoutMs,
      // Client-side: tedious cancels a request past it (SQL Server has no statement timeout).
      requestTimeout: pool.statementTimeoutMs,
      appName: "argus",
    },
  };
}

function sqlServerDialect(
  dsn: string,
  pool: PoolConfig,
  onBackgroundError: BackgroundErrorHandler,
): MssqlDialect {
  const connection = sqlServerConnectionConfig(dsn, pool);
  return new MssqlDialect({
    tarn: {
      ...tarn,
      options: {
        min: 0,
        max: pool.maxOpen,
        idleTimeoutMillis: pool.idleTimeoutMs,
        acquireTimeoutMillis: pool.connectTimeoutMs,
      },
    },
    tedious: {
      ...tedious,
      connectionFactory: () => {
        const opened = new tedious.Connection(connection);
        opened.on("error", onBackgroundError);
        return opened;
      },
    },
  });
}
