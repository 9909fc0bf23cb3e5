/**
 * The SQLite writer thread (see sqlite_writer.ts): one connection, prepared inserts, one
 * transaction per commit request, answered in order.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { NodeSqliteDatabase } from "./node_sqlite.ts";
import {
  commitPrepared,
  type InsertStatements,
  type WriterReply,
  type WriterRequest,
} from "./sqlite_commit.ts";

let sqlite: NodeSqliteDatabase | undefined;
let statements: InsertStatements | undefined;

function fail(id: number, error: unknown): WriterReply {
  const e = error instanceof Error ? error : new Error(String(error));
  const code = (e as { code?: unknown }).code;
  return {
    id,
    ok: false,
    error: { name: e.name, message: e.message, code: typeof code === "string" ? code : undefined },
  };
}

self.onmessage = (event: MessageEvent<WriterRequest>) => {
  const request = event.data;
  let reply: WriterReply;
  try {
    switch (request.kind) {
      case "open":
        sqlite = new NodeSqliteDatabase(request.path);
        statements = request.statements;
        reply = { id: request.id, ok: true };
        break;
      case "commit":
        if (!sqlite || !statements) throw new Error("The SQLite writer was not opened");
        reply = {
          id: request.id,
          ok: true,
          inserted: commitPrepared(sqlite, statements, request.rows, request.force),
        };
        break;
      case "close":
        sqlite?.close();
        sqlite = undefined;
        reply = { id: request.id, ok: true };
        break;
    }
  } catch (error) {
    reply = fail(request.id, error);
  }
  self.postMessage(reply);
};
