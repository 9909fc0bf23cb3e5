/**
 * What a database error means for the data being written, decided by what to do about it:
 *
 * - `unreachable`: the database cannot be reached (connection refused, reset or timed out, server
 *   shutting down, too many connections). Keep the data (dead-letter queue) and try again later.
 * - `refused`: the database answered but cannot take writes now, for reasons that are not the data's
 *   (read-only, permissions, a full disk, a statement or lock timeout, a deadlock, a missing table,
 *   lack of memory). Keep the data and try again later, exactly as when it is unreachable.
 * - `content`: the error names a fault of the values written (a data exception, a constraint, a
 *   value too long or of the wrong type). Only these may reject an item, and only the item that
 *   caused it (the writer retries the batch row by row to find it).
 * - `unknown`: anything else. The writer retries row by row; a row is rejected for an unknown error
 *   only when another row of the same batch was stored after it (the database was taking writes,
 *   so the refusal was about that row); otherwise the batch is kept and retried.
 *
 * Read-only PostgreSQL (`25006`) once fell through a list of "unavailable" codes and was taken for
 * bad content: every row was rejected and acknowledged data was deleted. Classifying by what to do,
 * with "keep the data" as the answer to everything not proved to be the data's fault, closes that
 * class of loss.
 *
 * @module
 */
import type { DbDriver } from "../lib/config.ts";
import { errorMessage } from "../utils/errors.ts";

export type DbErrorClass = "unreachable" | "refused" | "content" | "unknown";

/**
 * The database cannot take the data now (unreachable, or refusing writes for reasons not of the
 * data): nothing of the batch is rejected; the caller keeps it (dead-letter queue) and retries.
 * `kind` says which.
 */
export class StoreUnavailableError extends Error {
  readonly kind: "unreachable" | "refused";
  constructor(message: string, options?: ErrorOptions & { kind?: "unreachable" | "refused" }) {
    super(message, options);
    this.name = "StoreUnavailableError";
    this.kind = options?.kind ?? "unreachable";
  }
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : typeof code === "number" ? String(code) : "";
}

function messageOf(error: unknown): string {
  return errorMessage(error ?? "");
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

function networkFailure(error: unknown): boolean {
  return NETWORK_CODES.has(errorCode(error)) || UNREACHABLE_MESSAGE.test(messageOf(error));
}

/**
 * PostgreSQL SQLSTATE classes (https://www.postgresql.org/docs/current/errcodes-appendix.html).
 * Content: 22 data exception, 23 integrity constraint violation (Argus inserts skip existing keys,
 * so a 23 is a CHECK or NOT NULL about the values), 54 program limit (a value too large to index).
 */
function classifyPostgres(error: unknown): DbErrorClass {
  const code = errorCode(error);
  if (/^(08|57P0[1-3])/.test(code)) return "unreachable"; // connection; admin/crash shutdown
  if (/^(22|23|54)/.test(code)) return "content";
  // 25 read-only / invalid transaction state, 28 auth, 40 rollback (deadlock, serialization),
  // 42501 insufficient privilege, 42P01/42703 schema not (yet) there, 53 resources (disk full,
  // memory, connections), 55 object not in state (lock not available), 57 operator intervention
  // (statement timeout 57014, cancel), 58 system error (I/O), F0 config, XX internal, HV/P0 other.
  if (/^(25|28|40|53|55|57|58|F0|XX|0A|3D|3F|42501|42P01|42703|42883)/.test(code)) return "refused";
  if (networkFailure(error)) return "unreachable";
  return "unknown";
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

/**
 * SQLite through node:sqlite, which in Deno reports only the message (no result code), so the
 * classes go by SQLite's own fixed error texts (sqlite3_errstr) and the prefixes of its
 * constraint messages.
 */
function classifySqlite(error: unknown): DbErrorClass {
  const message = messageOf(error);
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

/** SQL Server through tedious (`ConnectionError`, `RequestError` with a server `number`). */
function classifySqlServer(error: unknown): DbErrorClass {
  const name = error instanceof Error ? error.name : "";
  const code = errorCode(error);
  if (name === "ConnectionError" || ["ESOCKET", "ECLOSE", "ELOGIN", "ETIMEOUT"].includes(code)) {
    return "unreachable";
  }
  if (networkFailure(error)) return "unreachable";
  const number = (error as { number?: unknown } | null)?.number;
  if (typeof number === "number") {
    // 8152/2628 string truncated, 245/8114 conversion, 515 NULL, 547 constraint, 220/8115 overflow.
    if ([8152, 2628, 245, 8114, 515, 547, 220, 8115, 9420].includes(number)) return "content";
    return "refused";
  }
  return "unknown";
}

const CLASSIFIERS: Record<DbDriver, (error: unknown) => DbErrorClass> = {
  sqlite: classifySqlite,
  postgres: classifyPostgres,
  mysql: classifyMysql,
  sqlserver: classifySqlServer,
};

/** What an error of `driver` means for the data (see the module's documentation). */
export function classifyDbError(driver: DbDriver, error: unknown): DbErrorClass {
  if (error instanceof StoreUnavailableError) return error.kind;
  return CLASSIFIERS[driver](error);
}
