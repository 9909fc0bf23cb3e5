/**
 * MySQL and MariaDB: the connection pool (mysql2) with the lifetime, wait and statement deadlines
 * mysql2 lacks, the capabilities (ON DUPLICATE KEY UPDATE, binary collations), the purge and
 * optimize statements, and which mysql2 error names and server error numbers mean what.
 *
 * @module
 */
import { MysqlDialect, sql, type SqlBool } from "kysely";
import * as mysql from "mysql2";
import type { PoolConfig } from "../../lib/config.ts";
import type { DbErrorClass } from "../db_errors.ts";
import { ARGUS_TABLES } from "../maintenance.ts";
import { ROLLUP_TABLES } from "../rollups.ts";
import {
  type BackgroundErrorHandler,
  CLIENT_GRACE_MS,
  type DialectCapabilities,
  errorCode,
  firstNumber,
  inserted,
  likePattern,
  limitOffset,
  networkFailure,
} from "./common.ts";

/** The subset of a mysql2 connection that Argus drives directly. */
interface MysqlRawConnection {
  query(...args: unknown[]): unknown;
  destroy(): void;
  on(event: "error", listener: (error: unknown) => void): unknown;
}

export function mysqlDialect(
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

/** MySQL and MariaDB error names (mysql2's `code`) that mean the values are at fault. */
const MYSQL_CONTENT = new Set([
  "ER_DATA_TOO_LONG",
  "ER_TRUNCATED_WRONG_VALUE",
  "ER_TRUNCATED_WRONG_VALUE_FOR_FIELD",
  "ER_WARN_DATA_OUT_OF_RANGE",
  "ER_INVALID_CHARACTER_STRING",
  "ER_BAD_NULL_ERROR",
  "ER_WRONG_VALUE_COUNT_ON_ROW",
  "ER_CHECK_CONSTRAINT_VIOLATED",
  "ER_CONSTRAINT_FAILED",
  "ER_INVALID_JSON_TEXT",
  "ER_CANT_CREATE_GEOMETRY_OBJECT",
  "WARN_DATA_TRUNCATED",
  "ER_WARN_NULL_TO_NOTNULL",
  "ER_DUP_ENTRY", // a key repeated across chunks of one statement set; never expected
]);

const MYSQL_UNREACHABLE = new Set([
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "ER_CON_COUNT_ERROR",
  "ER_SERVER_SHUTDOWN",
  "ER_NORMAL_SHUTDOWN",
  "ER_SERVER_GONE_ERROR",
  "ER_SERVER_LOST",
  "ER_CONNECTION_KILLED",
  "ER_HOST_IS_BLOCKED",
  "ER_TOO_MANY_USER_CONNECTIONS",
]);

/**
 * MySQL and MariaDB error numbers about time, not values, some of which mysql2 has no name for
 * (it names MySQL's errors, not MariaDB's own): MariaDB's max_statement_time (1969,
 * ER_STATEMENT_TIMEOUT), MySQL's max_execution_time (3024), an interrupted query (1317), a lock
 * wait timeout (1205) and a deadlock (1213). Unnamed, 1969 was taken for a refusal that may be
 * about a row: a batch written row by row while a lock was released had its first rows time out
 * and its later ones stored, and the first were quarantined as if the data were at fault.
 */
const MYSQL_TIME_ERRNOS = new Set([1969, 3024, 1317, 1205, 1213]);

function classifyMysql(error: unknown): DbErrorClass {
  const code = errorCode(error);
  if (MYSQL_UNREACHABLE.has(code) || networkFailure(error)) return "unreachable";
  const errno = (error as { errno?: unknown } | null)?.errno;
  if (typeof errno === "number" && MYSQL_TIME_ERRNOS.has(errno)) return "refused";
  if (MYSQL_CONTENT.has(code)) return "content";
  // A fatal error closes the connection: whatever it was, the connection is gone.
  if ((error as { fatal?: unknown } | null)?.fatal === true) return "unreachable";
  // Everything else mysql2 names is about the server's state, not the values: read_only
  // (ER_OPTION_PREVENTS_STATEMENT), permissions (ER_TABLEACCESS_DENIED_ERROR, ER_DBACCESS_DENIED),
  // locks (ER_LOCK_WAIT_TIMEOUT, ER_LOCK_DEADLOCK), timeouts (ER_STATEMENT_TIMEOUT,
  // ER_QUERY_INTERRUPTED), space (ER_RECORD_FILE_FULL, ER_DISK_FULL), missing tables.
  if (/^ER_/.test(code)) return "refused";
  return "unknown";
}

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
  upsertSelect: (table, key, columns, select) =>
    sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))})
      ${select}
      on duplicate key update ${
      sql.join(
        columns.filter((c) => !key.includes(c))
          .map((c) => sql`${sql.ref(c)} = values(${sql.ref(c)})`),
      )
    }`,
  paginate: limitOffset,
  classifyError: classifyMysql,
  // ER_LOCK_DEADLOCK: InnoDB rolled the whole transaction back.
  skipLocksKey: true,
  writeIsolation: "read committed",
  lostConflict: (error) => (error as { errno?: unknown } | null)?.errno === 1213,
  maintenance: {
    // ORDER BY the indexed column keeps the chunk on the index and the statement deterministic
    // (safe for statement-based replication).
    deleteChunk: (t, column, below, rows) =>
      sql`delete from ${sql.table(t)} where ${sql.ref(column)} < ${below} order by ${
        sql.ref(column)
      } limit ${sql.lit(rows)}`,
    async vacuum(db) {
      // InnoDB rebuilds the table online (concurrent inserts continue) and analyzes it. Problems
      // come back as result rows, not as errors.
      for (const t of ARGUS_TABLES) {
        const { rows } = await sql<{ Msg_type: string; Msg_text: string }>`optimize table ${
          sql.table(t)
        }`.execute(db);
        const failed = rows.find((r) => r.Msg_type?.toLowerCase() === "error");
        if (failed) throw new Error(`Cannot optimize table ${t}: ${failed.Msg_text}`);
      }
    },
    // information_schema's figures are estimates (and cached for a day by MySQL 8 unless
    // analyzed, which OPTIMIZE does).
    sizeBytes: (db) =>
      firstNumber(
        db,
        sql`select sum(data_length + index_length) as bytes from information_schema.tables
          where table_schema = database() and table_name in (${sql.join([...ARGUS_TABLES])})`,
      ),
  },
};
