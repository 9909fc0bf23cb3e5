/**
 * The dialect layer: everything Argus knows about each database, one file per database
 * (sqlite.ts, postgres.ts, mysql.ts, sqlserver.ts): how to connect, and the ways the four differ
 * in writing and reading (int64 binding, parameter limits, insert-if-absent, rollup upserts,
 * containment searches, pagination), in purging and vacuuming, and in which errors mean "the
 * database is unavailable". What they share is in common.ts; this module picks the file by the
 * configured driver. Apart from SQLite's own write and read paths (sqlite_writer.ts and
 * sqlite_read_pool.ts, chosen in ../mod.ts), nothing else in the store branches on the database.
 *
 * @module
 */
import { Kysely } from "kysely";
import type { DatabaseConfig, DbDriver } from "../../lib/config.ts";
import type { Database } from "../columns.ts";
import { NodeSqliteDatabase } from "../node_sqlite.ts";
import type { BackgroundErrorHandler, DialectCapabilities } from "./common.ts";
import { MYSQL, mysqlDialect } from "./mysql.ts";
import { POSTGRES, postgresDialect } from "./postgres.ts";
import { SQLITE, sqliteDialect, sqlitePath } from "./sqlite.ts";
import { SQLSERVER, sqlServerDialect } from "./sqlserver.ts";

export type { BackgroundErrorHandler, DialectCapabilities, MaintenanceDialect } from "./common.ts";
export {
  insertOnConflictDoNothing,
  likePattern,
  upsertAddOnConflict,
  upsertSelectOnConflict,
} from "./common.ts";
export { MYSQL } from "./mysql.ts";
export { POSTGRES } from "./postgres.ts";
export { SQLITE, SQLITE_VACUUM_REFUSED, sqlitePath } from "./sqlite.ts";
export { SQLSERVER, sqlServerConnectionConfig } from "./sqlserver.ts";

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

/** Opens (lazily, for the server databases) the database `config` names. */
export function openDatabase(
  config: DatabaseConfig,
  dataDir: string,
  onBackgroundError: BackgroundErrorHandler,
): OpenDatabase {
  switch (config.driver) {
    case "sqlite": {
      const sqlite = new NodeSqliteDatabase(sqlitePath(config.dsn, dataDir));
      return {
        db: new Kysely<Database>({ dialect: sqliteDialect(sqlite) }),
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
