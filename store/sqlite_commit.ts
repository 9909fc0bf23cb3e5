/**
 * The writer thread's side of SQLite writes: the messages it takes and the synchronous commit it
 * runs. Kept free of Kysely and the database drivers, so the thread starts fast.
 *
 * @module
 */
import type { NodeSqliteDatabase } from "./node_sqlite.ts";
import type { LogsTable, ResourcesTable, SpansTable } from "./columns.ts";

/** Rows ready for the database (see batch_writer.ts). */
interface DbRows {
  resources: ResourcesTable[];
  spans: SpansTable[];
  logs: LogsTable[];
}

/** The SQL of one table's insert and the column order of its parameters. */
export interface InsertStatement {
  sql: string;
  columns: string[];
}

export type InsertStatements = Record<keyof DbRows, InsertStatement>;

/**
 * Commits rows in one `begin immediate` transaction; returns the spans and logs newly inserted.
 * Synchronous: it runs on the writer thread.
 */
export function commitPrepared(
  sqlite: NodeSqliteDatabase,
  statements: InsertStatements,
  rows: DbRows,
): { spans: number; logs: number } {
  const run = <T extends keyof DbRows>(table: T, tableRows: DbRows[T]): number => {
    if (tableRows.length === 0) return 0;
    const { sql: text, columns } = statements[table];
    const statement = sqlite.statement(text);
    let inserted = 0;
    for (const row of tableRows) {
      const record = row as unknown as Record<string, string | number | bigint>;
      const values = columns.map((c) => record[c]!);
      inserted += Number(statement.run(...values).changes);
    }
    return inserted;
  };
  const raw = sqlite.raw;
  raw.exec("begin immediate");
  try {
    run("resources", rows.resources);
    const spans = run("spans", rows.spans);
    const logs = run("logs", rows.logs);
    raw.exec("commit");
    return { spans, logs };
  } catch (error) {
    if (raw.isTransaction) raw.exec("rollback");
    throw error;
  }
}

/** Messages between the store and its writer thread. */
export type WriterRequest =
  | { kind: "open"; id: number; path: string; statements: InsertStatements }
  | { kind: "commit"; id: number; rows: DbRows }
  | { kind: "close"; id: number };

export type WriterReply =
  | { id: number; ok: true; inserted?: { spans: number; logs: number } }
  | { id: number; ok: false; error: { name: string; message: string; code?: string } };
