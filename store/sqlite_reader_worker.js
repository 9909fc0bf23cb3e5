/**
 * One SQLite reader thread (see sqlite_read_pool.ts): a read-only connection of its own, one
 * statement at a time, each stopped when its deadline passes. Its messages are typed in
 * sqlite_read_pool.ts (`ReaderRequest`, `ReaderReply`), which also sends what configures the
 * connection (path, pragmas, the deadline function's name, the statement cache's size).
 *
 * JavaScript importing no TypeScript, on purpose: `deno test` type-checks the TypeScript modules
 * of every worker it starts, which cost 2–3 s of CPU per reader thread on this machine and doubled
 * the store and API tests' time; this module starts in ~20 ms. (`deno run` checks nothing.)
 *
 * Stopping a statement: `node:sqlite` in Deno 2.9.6 offers no `sqlite3_interrupt` and no progress
 * handler, and `Worker.terminate()` does not stop a statement (the thread runs it to its end:
 * measured, a 24 s statement kept its core busy 24 s after terminate). So the statements the pool
 * sends call the deadline function, registered here, about once per 1,024 rows they scan; past the
 * deadline it answers a value SQLite cannot take, which fails the statement at once with an SQLite
 * error. (Throwing would be the natural way, but in Deno 2.9.6 an exception in a user function
 * makes `all()` ignore the error and step the statement again from its start: a 100-row query
 * returned 110 rows, and a long one looped, growing without end.)
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";

/** @type {{ path: string, pragmas: string[], deadlineFunction: string, cacheSize: number }} */
let settings;
/** @type {DatabaseSync | undefined} */
let db;
/** Prepared statements by SQL, least recently used first. */
const statements = new Map();
/** Epoch milliseconds at which the running statement must stop. */
let deadline = Infinity;
/** Set when the deadline function stopped the running statement. */
let stopped = false;

/** Not a SQLite value: returned by the deadline function, it fails the statement. */
const STOP = Object.freeze({ stop: "the read's deadline passed" });

/** The connection, opened on first use (the file exists by then: the store created it). */
function connection() {
  if (db !== undefined) return db;
  if (settings === undefined) throw new Error("The SQLite reader was not opened");
  const opened = new DatabaseSync(settings.path, { readOnly: true });
  for (const pragma of settings.pragmas) opened.exec(`pragma ${pragma}`);
  opened.function(settings.deadlineFunction, { deterministic: false }, () => {
    if (Date.now() < deadline) return 1;
    stopped = true;
    return STOP;
  });
  db = opened;
  return opened;
}

/** A prepared statement for `sql`, reused (as node_sqlite.ts does on the other connections). */
function prepare(sql) {
  let statement = statements.get(sql);
  if (statement === undefined) {
    statement = connection().prepare(sql);
    // Integers as bigint, so that nanosecond times past 2^53 survive (columns.ts maps them).
    statement.setReadBigInts(true);
    // Rows as arrays, named once by `columns` in the reply: node:sqlite builds them faster than
    // objects, and they cross to the main thread faster (no property names per row). Measured on
    // an 80,000-row trace structure: 370 ms rather than 600–900 ms to read, 50–190 ms rather than
    // 150–450 ms to post.
    statement.setReturnArrays(true);
    if (statements.size >= settings.cacheSize) statements.delete(statements.keys().next().value);
  } else {
    statements.delete(sql);
  }
  statements.set(sql, statement);
  return statement;
}

/** node:sqlite binds numbers, bigints, strings, null and byte arrays; booleans become 0/1. */
function bind(value) {
  if (typeof value === "boolean") return value ? 1 : 0;
  return value === undefined ? null : value;
}

function failure(id, error) {
  const e = error instanceof Error ? error : new Error(String(error));
  return {
    id,
    ok: false,
    stopped,
    error: {
      name: e.name,
      message: e.message,
      code: typeof e.code === "string" ? e.code : undefined,
    },
  };
}

self.onmessage = (event) => {
  const request = event.data;
  switch (request.kind) {
    case "open":
      settings = request;
      self.postMessage({ id: request.id, ok: true, columns: [], rows: [] });
      return;
    case "query": {
      deadline = request.deadlineMs ?? Infinity;
      stopped = false;
      let reply;
      try {
        if (Date.now() >= deadline) {
          stopped = true;
          throw new Error("The read's deadline passed before it started");
        }
        const statement = prepare(request.sql);
        const parameters = request.parameters.map(bind);
        const columns = statement.columns().map((column) => column.name);
        let rows = [];
        if (columns.length > 0) rows = statement.all(...parameters);
        else statement.run(...parameters);
        reply = { id: request.id, ok: true, columns, rows };
      } catch (error) {
        reply = failure(request.id, error);
      } finally {
        deadline = Infinity;
      }
      self.postMessage(reply);
      return;
    }
    case "close":
      statements.clear();
      if (db?.isOpen) db.close();
      db = undefined;
      self.postMessage({ id: request.id, ok: true, columns: [], rows: [] });
      return;
  }
};
