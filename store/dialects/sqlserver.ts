/**
 * SQL Server: its connection (tedious through a tarn pool) read from a `sqlserver://` DSN, its
 * capabilities (MERGE for inserts and upserts, OFFSET … FETCH, 2,000 parameters), its purge and
 * index-rebuild statements, and which tedious errors and server error numbers mean what.
 *
 * @module
 */
import { MssqlDialect, type RawBuilder, sql, type SqlBool } from "kysely";
import * as tedious from "tedious";
import * as tarn from "tarn";
import type { PoolConfig } from "../../lib/config.ts";
import type { DbErrorClass } from "../db_errors.ts";
import { ARGUS_TABLES } from "../maintenance.ts";
import { ROLLUP_TABLES } from "../rollups.ts";
import {
  type BackgroundErrorHandler,
  type DialectCapabilities,
  errorCode,
  firstNumber,
  likePattern,
  networkFailure,
} from "./common.ts";

/** Reads `sqlserver://user:password@host:port/database?encrypt=true&trustServerCertificate=true`. */
export function sqlServerConnectionConfig(
  dsn: string,
  pool: PoolConfig,
): tedious.ConnectionConfiguration {
  const url = new URL(dsn);
  const flag = (name: string, fallback: boolean) => {
    const value = url.searchParams.get(name);
    return value === null ? fallback : value === "true";
  };
  return {
    server: url.hostname,
    authentication: {
      type: "default",
      options: {
        userName: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password),
      },
    },
    options: {
      port: url.port === "" ? 1433 : Number(url.port),
      database: decodeURIComponent(url.pathname.replace(/^\//, "")) || undefined,
      encrypt: flag("encrypt", true),
      trustServerCertificate: flag("trustServerCertificate", false),
      connectTimeout: pool.connectTimeoutMs,
      // Client-side: tedious cancels a request past it (SQL Server has no statement timeout).
      requestTimeout: pool.statementTimeoutMs,
      appName: "argus",
    },
  };
}

export function sqlServerDialect(
  dsn: string,
  pool: PoolConfig,
  onBackgroundError: BackgroundErrorHandler,
): MssqlDialect {
  const connection = sqlServerConnectionConfig(dsn, pool);
  return new MssqlDialect({
    tarn: {
      ...tarn,
      options: {
        min: 0,
        max: pool.maxOpen,
        idleTimeoutMillis: pool.idleTimeoutMs,
        acquireTimeoutMillis: pool.connectTimeoutMs,
      },
    },
    tedious: {
      ...tedious,
      connectionFactory: () => {
        const opened = new tedious.Connection(connection);
        opened.on("error", onBackgroundError);
        return opened;
      },
    },
  });
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

/**
 * `MERGE … WITH (HOLDLOCK)` of `rows` (a VALUES list) into `table` on `key`: `matched` says what
 * to do with a stored key, and an absent key is inserted.
 */
function merge(
  table: string,
  key: readonly string[],
  rows: readonly object[],
  matched: RawBuilder<unknown>,
): RawBuilder<unknown> {
  const columns = Object.keys(rows[0]!);
  const values = sql.join(
    rows.map((row) => sql`(${sql.join(columns.map((c) => (row as Record<string, unknown>)[c]))})`),
  );
  const names = sql.join(columns.map((c) => sql.ref(c)));
  const on = sql.join(key.map((k) => sql`t.${sql.ref(k)} = s.${sql.ref(k)}`), sql` and `);
  return sql`merge into ${sql.table(table)} with (holdlock) as t
      using (values ${values}) as s (${names})
      on ${on}
      ${matched}
      when not matched then insert (${names})
      values (${sql.join(columns.map((c) => sql`s.${sql.ref(c)}`))});`;
}

export const SQLSERVER: DialectCapabilities = {
  repeatedKeysFail: true,
  // Exactness follows the database's collation (case-insensitive by default).
  contains: (column, needle) => sql<SqlBool>`charindex(${needle}, ${sql.ref(column)}) > 0`,
  containsIgnoringCase: (column, text) =>
    sql<SqlBool>`${sql.ref(column)} like ${likePattern(text, /[![%_]/g)} escape '!'`,
  driver: "sqlserver",
  int64: (value) => value.toString(),
  // The protocol allows 2100 parameters per request; keep a margin for the statement's own.
  maxParameters: 2_000,
  maxStatementBytes: 16 * 1_048_576,
  async insertIfAbsent(db, table, key, rows) {
    // SQL Server has no ON CONFLICT: a MERGE from a VALUES list inserts only the absent keys.
    // HOLDLOCK makes the check and the insert atomic against concurrent writers (replicas).
    const result = await merge(table, key, rows, sql``).execute(db);
    return Number(result.numAffectedRows ?? 0n);
  },
  async upsertAdd(db, table, rows) {
    const { key, sums } = ROLLUP_TABLES[table];
    const set = sql.join(sums.map((c) => sql`t.${sql.ref(c)} = t.${sql.ref(c)} + s.${sql.ref(c)}`));
    await merge(table, key, rows, sql`when matched then update set ${set}`).execute(db);
  },
  upsertSelect(table, key, columns, select) {
    const names = sql.join(columns.map((c) => sql.ref(c)));
    const on = sql.join(key.map((k) => sql`t.${sql.ref(k)} = s.${sql.ref(k)}`), sql` and `);
    const set = sql.join(
      columns.filter((c) => !key.includes(c)).map((c) => sql`t.${sql.ref(c)} = s.${sql.ref(c)}`),
    );
    return sql`merge into ${sql.table(table)} with (holdlock) as t
      using (${select}) as s (${names})
      on ${on}
      when matched then update set ${set}
      when not matched then insert (${names})
      values (${sql.join(columns.map((c) => sql`s.${sql.ref(c)}`))});`;
  },
  paginate(query, page) {
    // OFFSET … FETCH requires an ORDER BY, which every paginated Argus query has.
    return query.offset(page.offset).fetch(page.limit);
  },
  classifyError: classifySqlServer,
  // 1205: chosen as a deadlock's victim.
  skipLocksKey: true,
  lostConflict: (error) => (error as { number?: unknown } | null)?.number === 1205,
  maintenance: {
    deleteChunk: (t, column, below, rows) =>
      sql`delete top (${sql.lit(rows)}) from ${sql.table(t)} where ${sql.ref(column)} < ${below}`,
    async vacuum(db) {
      // REBUILD is offline outside Enterprise edition: inserts into the table wait for it (and
      // may time out into the dead-letter queue, to be replayed).
      for (const t of ARGUS_TABLES) {
        await sql`alter index all on ${sql.table(t)} rebuild`.execute(db);
        await sql`update statistics ${sql.table(t)}`.execute(db);
      }
    },
    sizeBytes: (db) =>
      firstNumber(
        db,
        sql`select sum(used_page_count) * 8192 as bytes from sys.dm_db_partition_stats
          where object_id in (${sql.join(ARGUS_TABLES.map((t) => sql`object_id(${t})`))})`,
      ),
  },
};
