import assert from "node:assert/strict";
import { classifyDbError, type DbErrorClass, StoreUnavailableError } from "./db_errors.ts";
import type { DbDriver } from "../lib/config.ts";

function error(message: string, fields: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), fields);
}

const CASES: [DbDriver, Error, DbErrorClass][] = [
  // PostgreSQL: by SQLSTATE.
  [
    "postgres",
    error("cannot execute INSERT in a read-only transaction", { code: "25006" }),
    "refused",
  ],
  ["postgres", error("permission denied for table spans", { code: "42501" }), "refused"],
  ["postgres", error("canceling statement due to statement timeout", { code: "57014" }), "refused"],
  ["postgres", error("canceling statement due to lock timeout", { code: "55P03" }), "refused"],
  [
    "postgres",
    error("could not extend file: No space left on device", { code: "53100" }),
    "refused",
  ],
  ["postgres", error("deadlock detected", { code: "40P01" }), "refused"],
  ["postgres", error('relation "spans" does not exist', { code: "42P01" }), "refused"],
  [
    "postgres",
    error("terminating connection due to administrator command", { code: "57P01" }),
    "unreachable",
  ],
  ["postgres", error("connection failure", { code: "08006" }), "unreachable"],
  [
    "postgres",
    error("connect ECONNREFUSED 127.0.0.1:5432", { code: "ECONNREFUSED" }),
    "unreachable",
  ],
  ["postgres", error("read ECONNRESET", { code: "ECONNRESET" }), "unreachable"],
  ["postgres", error("Connection terminated unexpectedly"), "unreachable"],
  ["postgres", error("timeout exceeded when trying to connect"), "unreachable"],
  ["postgres", error("Query read timeout"), "unreachable"],
  [
    "postgres",
    error("invalid byte sequence for encoding UTF8: 0x00", { code: "22021" }),
    "content",
  ],
  [
    "postgres",
    error("value too long for type character varying(256)", { code: "22001" }),
    "content",
  ],
  ["postgres", error("index row size exceeds maximum", { code: "54000" }), "content"],
  ["postgres", error("something new"), "unknown"],
  // MySQL and MariaDB: by mysql2's error names.
  [
    "mysql",
    error("The MariaDB server is running with the --read-only option", {
      code: "ER_OPTION_PREVENTS_STATEMENT",
    }),
    "refused",
  ],
  [
    "mysql",
    error("INSERT command denied to user", { code: "ER_TABLEACCESS_DENIED_ERROR" }),
    "refused",
  ],
  ["mysql", error("Lock wait timeout exceeded", { code: "ER_LOCK_WAIT_TIMEOUT" }), "refused"],
  [
    "mysql",
    error("Query execution was interrupted (max_statement_time exceeded)", {
      code: "ER_STATEMENT_TIMEOUT",
    }),
    "refused",
  ],
  // MariaDB's statement timeout as mysql2 really reports it: a number it has no name for.
  [
    "mysql",
    error("Query execution was interrupted (max_statement_time exceeded)", {
      errno: 1969,
      sqlState: "70100",
    }),
    "refused",
  ],
  [
    "mysql",
    error("Query execution was interrupted, maximum statement execution time exceeded", {
      code: "ER_QUERY_TIMEOUT",
      errno: 3024,
    }),
    "refused",
  ],
  ["mysql", error("The table 'spans' is full", { code: "ER_RECORD_FILE_FULL" }), "refused"],
  [
    "mysql",
    error("Connection lost: The server closed the connection.", {
      code: "PROTOCOL_CONNECTION_LOST",
      fatal: true,
    }),
    "unreachable",
  ],
  ["mysql", error("Too many connections", { code: "ER_CON_COUNT_ERROR" }), "unreachable"],
  ["mysql", error("Data too long for column 'name'", { code: "ER_DATA_TOO_LONG" }), "content"],
  [
    "mysql",
    error("Incorrect string value", { code: "ER_TRUNCATED_WRONG_VALUE_FOR_FIELD" }),
    "content",
  ],
  ["mysql", error("a bug of ours"), "unknown"],
  // SQLite: node:sqlite gives only SQLite's message.
  ["sqlite", error("attempt to write a readonly database"), "refused"],
  ["sqlite", error("database or disk is full"), "refused"],
  ["sqlite", error("database is locked"), "refused"],
  ["sqlite", error("disk I/O error"), "refused"],
  ["sqlite", error("The SQLite writer thread did not answer within 15000 ms"), "refused"],
  ["sqlite", error("CHECK constraint failed: kind < 9"), "content"],
  ["sqlite", error("string or blob too big"), "content"],
  ["sqlite", error("something new"), "unknown"],
  // SQL Server: tedious's classes and server error numbers.
  [
    "sqlserver",
    Object.assign(error("Failed to connect"), { name: "ConnectionError" }),
    "unreachable",
  ],
  ["sqlserver", error("Timeout: Request failed to complete", { code: "ETIMEOUT" }), "unreachable"],
  ["sqlserver", error("String or binary data would be truncated", { number: 8152 }), "content"],
  ["sqlserver", error("The INSERT permission was denied", { number: 229 }), "refused"],
];

Deno.test("classifyDbError() tells the data's faults from the database's, per database", () => {
  const wrong = CASES.filter(([driver, e, expected]) => classifyDbError(driver, e) !== expected)
    .map(([driver, e, expected]) =>
      `${driver}: ${e.message} → ${classifyDbError(driver, e)}, expected ${expected}`
    );
  assert.deepEqual(wrong, []);
});

Deno.test("classifyDbError() keeps the kind of a StoreUnavailableError", () => {
  const refused = new StoreUnavailableError("read-only", { kind: "refused" });
  assert.equal(classifyDbError("postgres", refused), "refused");
  assert.equal(classifyDbError("sqlite", new StoreUnavailableError("down")), "unreachable");
});
