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
  /** One row. */
  sql: string;
  /** Several rows at once: how many is the placeholder count over the column count. */
  sqlMany: string;
  columns: string[];
}

export type InsertStatements = Record<keyof DbRows, InsertStatement>;

/** A value bound to a statement parameter. */
type SqlValue = string | number | bigint;

/**
 * Each table's rows as one flat array of values in its statement's column order: what crosses to
 * the writer thread. A structured clone of plain values is about twice as cheap as one of row
 * objects, which repeats every column name in every row.
 */
export type FlatRows = Record<keyof DbRows, SqlValue[]>;

export function flattenRows(statements: InsertStatements, rows: DbRows): FlatRows {
  const flatten = <T extends keyof DbRows>(table: T): SqlValue[] => {
    const { columns } = statements[table];
    const out: SqlValue[] = [];
    for (const row of rows[table]) {
      const record = row as unknown as Record<string, SqlValue>;
      for (const column of columns) out.push(record[column]!);
    }
    return out;
  };
  return { resources: flatten("resources"), spans: flatten("spans"), logs: flatten("logs") };
}

const placeholderCounts = new Map<string, number>();

function countPlaceholders(sql: string): number {
  let count = placeholderCounts.get(sql);
  if (count === undefined) {
    count = sql.split("?").length - 1;
    placeholderCounts.set(sql, count);
  }
  return count;
}

/**
 * Commits rows in one `begin immediate` transaction; returns the spans and logs newly inserted.
 * Synchronous: it runs on the writer thread.
 */
export function commitPrepared(
  sqlite: NodeSqliteDatabase,
  statements: InsertStatements,
  rows: FlatRows,
): { spans: number; logs: number } {
  const run = (table: keyof DbRows): number => {
    const values = rows[table];
    if (values.length === 0) return 0;
    const { sql: one, sqlMany, columns } = statements[table];
    const width = columns.length;
    const many = sqlite.statement(sqlMany);
    const manyWidth = countPlaceholders(sqlMany);
    let inserted = 0;
    let i = 0;
    for (; i + manyWidth <= values.length; i += manyWidth) {
      inserted += Number(many.run(...values.slice(i, i + manyWidth)).changes);
    }
    const single = sqlite.statement(one);
    for (; i < values.length; i += width) {
      inserted += Number(single.run(...values.slice(i, i + width)).changes);
    }
    return inserted;
  };
  const raw = sqlite.raw;
  raw.exec("begin immediate");
  try {
    run("resources");
    const spans = run("spans");
    const logs = run("logs");
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
  | { kind: "commit"; id: number; rows: FlatRows }
  | { kind: "close"; id: number };

export type WriterReply =
  | { id: number; ok: true; inserted?: { spans: number; logs: number } }
  | { id: number; ok: false; error: { name: string; message: string; code?: string } };
