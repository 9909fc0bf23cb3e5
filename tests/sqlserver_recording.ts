/**
 * SQL Server without a server, for the tests of the SQL Argus generates for it (SQL Server is not
 * available on this machine): Kysely's real SQL Server adapter, introspector and compiler over a
 * driver that records every statement, transactions included, and answers each with no rows.
 *
 * @module
 */
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  MssqlAdapter,
  MssqlIntrospector,
  MssqlQueryCompiler,
  type QueryResult,
} from "kysely";
import type { Database } from "../store/columns.ts";

/** The affected-row count to answer a statement with, or undefined for none. */
export type AffectedRows = (sql: string) => number | undefined;

/**
 * As SQL Server answers a MERGE into an empty table: every row of its VALUES inserted; other
 * statements affect nothing.
 */
export const MERGE_INSERTS_ALL: AffectedRows = (sql) =>
  sql.startsWith("merge into") ? (sql.match(/\(@\d+/g) ?? []).length : undefined;

/** The rows to answer a statement with (none by default). */
export type ResultRows = (sql: string) => unknown[];

/** `db` records into `queries`; `affected` and `rows` say what each statement answers. */
export function recordingSqlServer(
  affected: AffectedRows = MERGE_INSERTS_ALL,
  rows: ResultRows = () => [],
): { db: Kysely<Database>; queries: CompiledQuery[] } {
  const queries: CompiledQuery[] = [];
  const connection: DatabaseConnection = {
    executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
      queries.push(query);
      const n = affected(query.sql);
      return Promise.resolve({
        rows: rows(query.sql) as R[],
        ...(n === undefined ? {} : { numAffectedRows: BigInt(n) }),
      });
    },
    // deno-lint-ignore require-yield
    async *streamQuery() {
      throw new Error("not recorded");
    },
  };
  const statement = (sql: string) => connection.executeQuery({ sql, parameters: [] } as never);
  const driver: Driver = {
    init: () => Promise.resolve(),
    acquireConnection: () => Promise.resolve(connection),
    beginTransaction: async () => void await statement("begin transaction"),
    commitTransaction: async () => void await statement("commit"),
    rollbackTransaction: async () => void await statement("rollback"),
    releaseConnection: () => Promise.resolve(),
    destroy: () => Promise.resolve(),
  };
  const db = new Kysely<Database>({
    dialect: {
      createAdapter: () => new MssqlAdapter(),
      createDriver: () => driver,
      createIntrospector: (db) => new MssqlIntrospector(db),
      createQueryCompiler: () => new MssqlQueryCompiler(),
    },
  });
  return { db, queries };
}
