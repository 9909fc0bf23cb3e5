/**
 * PostgreSQL: its connection pool (pg) with server- and client-side deadlines, its capabilities
 * (with the bulk writes of postgres_bulk.ts), its purge and vacuum statements, and what its
 * SQLSTATE classes mean for the data.
 *
 * @module
 */
import { PostgresDialect, sql, type SqlBool } from "kysely";
import pg from "pg";
import type { PoolConfig } from "../../lib/config.ts";
import type { DbErrorClass } from "../db_errors.ts";
import { ARGUS_TABLES } from "../maintenance.ts";
import {
  type BackgroundErrorHandler,
  CLIENT_GRACE_MS,
  type DialectCapabilities,
  errorCode,
  firstNumber,
  likePattern,
  limitOffset,
  networkFailure,
  ON_CONFLICT_WRITES,
} from "./common.ts";
import {
  bulkClaimSummaries,
  bulkInsertIfAbsent,
  bulkRefreshSummaries,
  bulkUpsertAdd,
} from "./postgres_bulk.ts";

export function postgresDialect(
  dsn: string,
  pool: PoolConfig,
  onBackgroundError: BackgroundErrorHandler,
): PostgresDialect {
  const pgPool = new pg.Pool({
    connectionString: dsn,
    max: pool.maxOpen,
    // pg keeps `min` idle clients and closes the rest after idleTimeoutMillis.
    min: pool.maxIdle,
    idleTimeoutMillis: pool.idleTimeoutMs,
    maxLifetimeSeconds: Math.max(1, Math.round(pool.maxLifetimeMs / 1000)),
    // Also bounds the wait for a free client of a full pool.
    connectionTimeoutMillis: pool.connectTimeoutMs,
    application_name: "argus",
    // No JIT: Argus's statements are short, and the planner's cost estimates of the per-trace
    // EXISTS checks (a 24 h span-name search) made the server spend 140–320 ms compiling a query
    // that runs in 21–144 ms (docs/benchmarks.md, "Search at scale").
    options: "-c jit=off",
    // Server-side deadlines: the server cancels a statement (57014) or a lock wait (55P03).
    statement_timeout: pool.statementTimeoutMs,
    lock_timeout: pool.statementTimeoutMs,
    // Client-side deadline for a server that answers nothing; the connection is then dropped.
    query_timeout: pool.statementTimeoutMs + CLIENT_GRACE_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  // Errors of idle clients reach the pool's listener; errors of a client checked out by Kysely
  // between two statements (a server restart, `pg_terminate_backend`: ECONNRESET or 57P01) are
  // emitted on the client, and an unlistened 'error' event would end the process.
  pgPool.on("error", onBackgroundError);
  pgPool.on("connect", (client) => {
    client.on("error", onBackgroundError);
    dropOnClientTimeout(client);
  });
  return new PostgresDialect({ pool: pgPool });
}

/**
 * pg's client-side `query_timeout` fails the statement but leaves it in flight on its
 * connection, so the next statement on that connection would wait behind it: the connection is
 * destroyed instead, and the pool replaces it.
 */
function dropOnClientTimeout(client: pg.PoolClient): void {
  const query = client.query as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = function (this: unknown, ...args: unknown[]) {
    const result = query.apply(this, args);
    if (result instanceof Promise) {
      result.catch((error: unknown) => {
        if (error instanceof Error && error.message === "Query read timeout") {
          (client as unknown as { connection?: { stream?: { destroy(): void } } })
            .connection?.stream?.destroy();
        }
      });
    }
    return result;
  };
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

export const POSTGRES: DialectCapabilities = {
  ...ON_CONFLICT_WRITES,
  // One statement per table with one array parameter per column, and the summary claim and
  // recompute from one array each (postgres_bulk.ts): logs 6.9k → 21.9k rows/s, spans 0.3k →
  // 10.0k through Store.write() (docs/benchmarks.md, "PostgreSQL bulk ingest (issue 17)").
  insertIfAbsent: bulkInsertIfAbsent,
  upsertAdd: bulkUpsertAdd,
  columnarWrites: true,
  claimSummaries: bulkClaimSummaries,
  refreshSummaries: bulkRefreshSummaries,
  contains: (column, needle) => sql<SqlBool>`strpos(${sql.ref(column)}, ${needle}) > 0`,
  containsIgnoringCase: (column, text) =>
    sql<SqlBool>`${sql.ref(column)} ilike ${likePattern(text)} escape '!'`,
  driver: "postgres",
  int64: (value) => value.toString(),
  maxParameters: 65_535,
  maxStatementBytes: 64 * 1_048_576,
  paginate: limitOffset,
  classifyError: classifyPostgres,
  // 40P01 deadlock detected, 40001 serialization failure.
  lostConflict: (error) => ["40P01", "40001"].includes(errorCode(error)),
  maintenance: {
    // A TID scan: the inner select walks the time index, the delete fetches rows by ctid. Argus
    // never updates spans or logs; a rollup row updated meanwhile has moved (new ctid) and is
    // left for the next chunk, which is why a purge loops until a chunk deletes nothing.
    deleteChunk: (t, column, below, rows) =>
      // The condition again outside: on a table partitioned by time (partitions.ts) a ctid is
      // one partition's, and the same ctid in another partition must not match unless that row
      // is to go too.
      sql`delete from ${sql.table(t)} where ${sql.ref(column)} < ${below}
        and ctid = any(array(select ctid from ${sql.table(t)} where ${
        sql.ref(column)
      } < ${below} limit ${sql.lit(rows)}))`,
    async vacuum(db) {
      // Plain VACUUM (not FULL): it takes no lock that stops inserts, and makes the space of
      // deleted rows reusable, returning only empty pages at a table's end to the file system.
      // It cannot run in a transaction; Kysely runs a lone statement outside one.
      for (const t of ARGUS_TABLES) await sql`vacuum (analyze) ${sql.table(t)}`.execute(db);
    },
    sizeBytes: (db) =>
      firstNumber(
        db,
        sql`select ${
          sql.join(
            // A partitioned table has no storage of its own: its tree's tables (itself alone
            // when it is not partitioned) hold it.
            ARGUS_TABLES.map((t) =>
              sql`coalesce((select sum(pg_total_relation_size(relid))
                from pg_partition_tree(to_regclass(${t}))), 0)`
            ),
            sql` + `,
          )
        } as bytes`,
      ),
  },
};
