/**
 * The writer thread's side of SQLite writes: the messages it takes and the synchronous commit it
 * runs. Kept free of Kysely and the database drivers, so the thread starts fast.
 *
 * @module
 */
import type { NodeSqliteDatabase } from "./node_sqlite.ts";
import {
  type DbRollups,
  type Int64Param,
  type LogsTable,
  pushLogValues,
  pushSpanValues,
  type ResourcesTable,
  type SpansTable,
  type SqlValue,
} from "./columns.ts";
import { ROLLUP_TABLES, type RollupTable } from "./rollups.ts";
import type { LogRow, SpanRow } from "./types.ts";

/** What one commit writes (`DbRows` of batch_writer.ts, which imports this module's types). */
interface DbRows {
  resources: ResourcesTable[];
  spans: readonly SpanRow[];
  logs: readonly LogRow[];
}

/** The tables the writer inserts into, with their row types. */
interface InsertTables {
  resources: ResourcesTable;
  spans: SpansTable;
  logs: LogsTable;
}

/** The SQL of one table's insert and the column order of its parameters. */
export interface InsertStatement {
  /** One row. */
  sql: string;
  /** Several rows at once: how many is the placeholder count over the column count. */
  sqlMany: string;
  columns: string[];
}

/** The upsert of one rollup table (one row, and several) and its parameters' column order. */
export type UpsertStatement = InsertStatement;

export type InsertStatements = Record<keyof InsertTables, InsertStatement> & {
  rollups: Record<RollupTable, UpsertStatement>;
};

const ROLLUP_TABLE_NAMES = Object.keys(ROLLUP_TABLES) as RollupTable[];

/** A rollup table's columns in parameter order: its key, then its sums. */
export function rollupColumns(table: RollupTable): string[] {
  return [...ROLLUP_TABLES[table].key, ...ROLLUP_TABLES[table].sums];
}

/**
 * Each table's rows as one flat array of values in its statement's column order: what crosses to
 * the writer thread. A structured clone of plain values is about twice as cheap as one of row
 * objects, which repeats every column name in every row.
 */
export type FlatRows = Record<keyof InsertTables, SqlValue[]> & {
  rollups: Record<RollupTable, SqlValue[]>;
};

function flatten(rows: readonly object[], columns: readonly string[]): SqlValue[] {
  const out: SqlValue[] = [];
  for (const row of rows) {
    const record = row as Record<string, SqlValue>;
    for (const column of columns) out.push(record[column]!);
  }
  return out;
}

/**
 * The rows of one commit as flat values. Spans and logs are written straight from their domain
 * rows (`pushSpanValues`, `pushLogValues`: the statements' columns are SPAN_COLUMNS and
 * LOG_COLUMNS); resources and rollups, a few rows each, through their table rows.
 */
export function flattenRows(
  statements: InsertStatements,
  rows: DbRows,
  rollups: DbRollups,
  int64: Int64Param,
): FlatRows {
  const spans: SqlValue[] = [];
  for (const span of rows.spans) pushSpanValues(spans, span, int64);
  const logs: SqlValue[] = [];
  for (const log of rows.logs) pushLogValues(logs, log, int64);
  return {
    resources: flatten(rows.resources, statements.resources.columns),
    spans,
    logs,
    rollups: Object.fromEntries(
      ROLLUP_TABLE_NAMES.map((t) => [t, flatten(rollups[t], statements.rollups[t].columns)]),
    ) as Record<RollupTable, SqlValue[]>,
  };
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

/** What a commit did (see `RowCommitter.commit` in batch_writer.ts). */
export interface CommitCounts {
  spans: number;
  logs: number;
  /** False when some rows were stored already and the transaction was rolled back. */
  complete: boolean;
}

/**
 * Commits rows and their rollups in one `begin immediate` transaction; returns the spans and logs
 * newly inserted. Unless `force`, a commit where some rows were stored already is rolled back
 * (complete: false), since its rollups would count them twice. Synchronous: it runs on the
 * writer thread.
 */
export function commitPrepared(
  sqlite: NodeSqliteDatabase,
  statements: InsertStatements,
  rows: FlatRows,
  force: boolean,
): CommitCounts {
  /** Runs a table's statement over flat values, several rows at a time; answers the changes. */
  const runAll = (values: SqlValue[], { sql: one, sqlMany, columns }: InsertStatement): number => {
    if (values.length === 0) return 0;
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
  const run = (table: keyof InsertTables) => runAll(rows[table], statements[table]);
  const raw = sqlite.raw;
  raw.exec("begin immediate");
  try {
    run("resources");
    const spans = run("spans");
    const logs = run("logs");
    const all = spans * statements.spans.columns.length === rows.spans.length &&
      logs * statements.logs.columns.length === rows.logs.length;
    if (!all && !force) {
      raw.exec("rollback");
      return { spans, logs, complete: false };
    }
    for (const table of ROLLUP_TABLE_NAMES) runAll(rows.rollups[table], statements.rollups[table]);
    raw.exec("commit");
    return { spans, logs, complete: true };
  } catch (error) {
    if (raw.isTransaction) raw.exec("rollback");
    throw error;
  }
}

/** Messages between the store and its writer thread. */
export type WriterRequest =
  | { kind: "open"; id: number; path: string; statements: InsertStatements }
  | { kind: "commit"; id: number; rows: FlatRows; force: boolean }
  | { kind: "close"; id: number };

export type WriterReply =
  | { id: number; ok: true; inserted?: CommitCounts }
  | { id: number; ok: false; error: { name: string; message: string; code?: string } };
