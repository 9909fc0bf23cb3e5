/**
 * Maintenance of the stored data: purging items older than a cutoff (with the rollup minutes that
 * counted them), and compacting the database.
 *
 * Purges delete in bounded chunks, one statement (its own short transaction) per chunk, so that
 * ingest, which writes concurrently, waits for one chunk at most and never for a whole purge. On
 * SQLite the writer is another connection (sqlite_writer.ts) that waits for the lock up to its
 * busy_timeout (5 s); a chunk of 10,000 rows takes well under that.
 *
 * Vacuuming compacts where that does not stop ingest for long (see each dialect's `vacuum`); on
 * SQLite it blocks for its duration, and under Deno needs either every permission or a database
 * created with auto_vacuum=incremental (`vacuumSqlite`).
 *
 * What differs between the databases (how to delete at most n rows, how to compact, where sizes
 * come from) is in `MAINTENANCE_DIALECTS` below, keyed by driver: one place, as dialects.ts is
 * for the rest of the store.
 *
 * Resources (`resources`) are not purged. No index covers `spans.resource_id` or
 * `logs.resource_id`, so finding unreferenced ones scans both tables; and on PostgreSQL and MySQL
 * a writer that found a resource already stored (and skipped it) could commit a span that
 * references it just after a purge deleted it, and reads join resources, so that span would
 * vanish. They are a few rows per service instance, so they are kept.
 *
 * @module
 */
import { type Kysely, type RawBuilder, sql } from "kysely";
import type { DbDriver } from "../lib/config.ts";
import type { Database } from "./columns.ts";
import type { DialectCapabilities } from "./dialects.ts";
import type { NodeSqliteDatabase } from "./node_sqlite.ts";
import { minuteOf, type RollupTable } from "./rollups.ts";

/** Which items a purge deletes: the API's `signal` parameter. */
export type PurgeSignal = "logs" | "traces" | "all";

export interface PurgeRequest {
  /** The cutoff in Unix nanoseconds: items with a time before it are deleted. */
  olderThanNs: bigint;
  signal: PurgeSignal;
  /** Stops the purge between two chunks (it then rejects with the signal's reason). */
  abort?: AbortSignal;
}

export interface PurgeResult {
  deletedLogs: number;
  deletedSpans: number;
}

export interface VacuumResult {
  ok: true;
  durationMs: number;
  /** Size of Argus's tables (with their indexes) before, where the database reports it. */
  sizeBeforeBytes?: number;
  sizeAfterBytes?: number;
  /** Set when the database could not be compacted as asked, saying why and what to do. */
  warning?: string;
}

/** What the admin routes and the retention worker need of the store. */
export interface StoreMaintenance {
  /** Deletes spans (by start time) and/or logs (by time) before the cutoff, and their rollups. */
  purge(request: PurgeRequest): Promise<PurgeResult>;
  /** Compacts the tables and refreshes the planner's statistics. */
  vacuum(): Promise<VacuumResult>;
}

export interface MaintenanceOptions {
  /** Most rows one delete statement removes (default 10,000). */
  chunkRows?: number;
}

export const DEFAULT_CHUNK_ROWS = 10_000;

const HOUR_NS = 3_600_000_000_000n;

/**
 * The cutoff a purge really uses: the requested one rounded down to a whole hour, so that both
 * rollup tiers (per minute and per hour) lose exactly the periods whose rows are deleted.
 */
export function purgeCutoffNs(olderThanNs: bigint): bigint {
  return olderThanNs - (((olderThanNs % HOUR_NS) + HOUR_NS) % HOUR_NS);
}

/** Every table of Argus's schema (not Kysely's migration bookkeeping). */
export const ARGUS_TABLES = [
  "resources",
  "spans",
  "logs",
  "span_rollups",
  "latency_rollups",
  "log_rollups",
  "edge_rollups",
  "span_rollups_hourly",
  "latency_rollups_hourly",
  "log_rollups_hourly",
  "edge_rollups_hourly",
] as const satisfies readonly (keyof Database)[];

type PurgeTable = "spans" | "logs" | RollupTable;
type Db = Kysely<Database>;

/** The time column each purged table is cut on; rollups are keyed by Unix minute. */
const TIME_COLUMN: Record<PurgeTable, string> = {
  spans: "start_time_unix_nano",
  logs: "time_unix_nano",
  span_rollups: "minute",
  latency_rollups: "minute",
  log_rollups: "minute",
  edge_rollups: "minute",
  span_rollups_hourly: "minute",
  latency_rollups_hourly: "minute",
  log_rollups_hourly: "minute",
  edge_rollups_hourly: "minute",
};

/** The rollup tables counting each signal's items (see rollups.ts). */
const ROLLUPS_OF: Record<"traces" | "logs", RollupTable[]> = {
  traces: [
    "span_rollups",
    "latency_rollups",
    "edge_rollups",
    "span_rollups_hourly",
    "latency_rollups_hourly",
    "edge_rollups_hourly",
  ],
  logs: ["log_rollups", "log_rollups_hourly"],
};

interface MaintenanceDialect {
  /**
   * One statement deleting at most `rows` rows of `table` where `column < below`. `rows` is a
   * validated positive integer and is written into the SQL as a literal.
   */
  deleteChunk(table: PurgeTable, column: string, below: unknown, rows: number): RawBuilder<unknown>;
  /**
   * Compacts and analyzes the tables (none of these run inside a transaction); answers a warning
   * when compaction was not possible. `sqlite` is SQLite's raw handle.
   */
  vacuum(db: Db, sqlite?: NodeSqliteDatabase): Promise<string | undefined>;
  /** Bytes used by Argus's tables and their indexes, or undefined if not reported. */
  sizeBytes(db: Db): Promise<number | undefined>;
}

const ref = sql.ref, table = sql.table;

/** Tries `fn` again when SQLite reports the database locked past busy_timeout. */
async function retryWhileLocked<T>(fn: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const message = error instanceof Error ? error.message : "";
      if (attempt >= attempts || !/database (table )?is locked|SQLITE_BUSY/i.test(message)) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
}

/** `pragma auto_vacuum` value of a database whose freed pages `pragma incremental_vacuum` returns. */
const AUTO_VACUUM_INCREMENTAL = 2;

/**
 * Why VACUUM can fail on SQLite under Deno: it copies the database through an attached temporary
 * one, and Deno 2.9's node:sqlite allows ATTACH only to a process holding every permission
 * ("too many attached databases - max 0"), which `deno task start` does not grant.
 */
export const SQLITE_VACUUM_REFUSED =
  "SQLite's VACUUM was refused: under Deno it needs every permission (it attaches a temporary " +
  "database). Deleted rows' pages are reused by new data, but the file does not shrink; a " +
  "database created with auto_vacuum=incremental is compacted without VACUUM";

/**
 * Runs on the main connection, synchronously: node:sqlite blocks the event loop meanwhile. The
 * writer thread's commits wait for it up to busy_timeout (5 s) and then fail as "database is
 * locked", which the batcher treats as unavailable: those batches go to the dead-letter queue and
 * are replayed. Each step waits up to busy_timeout for a commit in progress, and is tried again
 * if one outlasts it.
 */
async function vacuumSqlite(db: Db, sqlite?: NodeSqliteDatabase): Promise<string | undefined> {
  const checkpoint = () => retryWhileLocked(() => sql`pragma wal_checkpoint(truncate)`.execute(db));
  await checkpoint();
  let warning: string | undefined;
  if (sqlite && await firstNumber(db, sql`pragma auto_vacuum`) === AUTO_VACUUM_INCREMENTAL) {
    // Through the raw handle, because incremental_vacuum frees one page per step and Kysely runs a
    // statement without result columns with a single step. Holding Kysely's one connection keeps
    // it from running inside a Kysely transaction.
    await retryWhileLocked(() =>
      db.connection().execute(() =>
        new Promise<void>((resolve) => {
          sqlite.statement("pragma incremental_vacuum").all();
          resolve();
        })
      )
    );
  } else {
    try {
      await retryWhileLocked(() => sql`vacuum`.execute(db));
    } catch (error) {
      const message = error instanceof Error ? error.message : "";
      if (!/too many attached databases/i.test(message)) throw error;
      warning = SQLITE_VACUUM_REFUSED;
    }
  }
  // The vacuum wrote its pages into the WAL (VACUUM the whole database): copy them back to the
  // database file and truncate the WAL.
  await checkpoint();
  await sql`pragma optimize`.execute(db);
  return warning;
}

async function firstNumber(db: Db, query: RawBuilder<unknown>): Promise<number | undefined> {
  const { rows } = await query.execute(db);
  const value = Object.values((rows[0] ?? {}) as Record<string, unknown>)[0];
  if (value === null || value === undefined) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

export const MAINTENANCE_DIALECTS: Record<DbDriver, MaintenanceDialect> = {
  sqlite: {
    // DELETE … LIMIT exists only in SQLite builds with SQLITE_ENABLE_UPDATE_DELETE_LIMIT; every
    // Argus table has a rowid, which the time index covers.
    deleteChunk: (t, column, below, rows) =>
      sql`delete from ${table(t)} where rowid in (select rowid from ${table(t)} where ${
        ref(column)
      } < ${below} limit ${sql.lit(rows)})`,
    vacuum: vacuumSqlite,
    sizeBytes: (db) =>
      firstNumber(
        db,
        sql`select page_count * page_size as bytes from pragma_page_count(), pragma_page_size()`,
      ),
  },
  postgres: {
    // A TID scan: the inner select walks the time index, the delete fetches rows by ctid. Argus
    // never updates spans or logs; a rollup row updated meanwhile has moved (new ctid) and is
    // left for the next chunk, which is why a purge loops until a chunk deletes nothing.
    deleteChunk: (t, column, below, rows) =>
      sql`delete from ${table(t)} where ctid = any(array(select ctid from ${table(t)} where ${
        ref(column)
      } < ${below} limit ${sql.lit(rows)}))`,
    async vacuum(db) {
      // Plain VACUUM (not FULL): it takes no lock that stops inserts, and makes the space of
      // deleted rows reusable, returning only empty pages at a table's end to the file system.
      // It cannot run in a transaction; Kysely runs a lone statement outside one.
      for (const t of ARGUS_TABLES) await sql`vacuum (analyze) ${table(t)}`.execute(db);
    },
    sizeBytes: (db) =>
      firstNumber(
        db,
        sql`select ${
          sql.join(
            ARGUS_TABLES.map((t) => sql`coalesce(pg_total_relation_size(to_regclass(${t})), 0)`),
            sql` + `,
          )
        } as bytes`,
      ),
  },
  mysql: {
    // ORDER BY the indexed column keeps the chunk on the index and the statement deterministic
    // (safe for statement-based replication).
    deleteChunk: (t, column, below, rows) =>
      sql`delete from ${table(t)} where ${ref(column)} < ${below} order by ${ref(column)} limit ${
        sql.lit(rows)
      }`,
    async vacuum(db) {
      // InnoDB rebuilds the table online (concurrent inserts continue) and analyzes it. Problems
      // come back as result rows, not as errors.
      for (const t of ARGUS_TABLES) {
        const { rows } = await sql<{ Msg_type: string; Msg_text: string }>`optimize table ${
          table(t)
        }`.execute(db);
        const failed = rows.find((r) => r.Msg_type?.toLowerCase() === "error");
        if (failed) throw new Error(`Cannot optimize table ${t}: ${failed.Msg_text}`);
      }
    },
    // information_schema's figures are estimates (and cached for a day by MySQL 8 unless
    // analyzed, which OPTIMIZE does).
    sizeBytes: (db) =>
      firstNumber(
        db,
        sql`select sum(data_length + index_length) as bytes from information_schema.tables
          where table_schema = database() and table_name in (${sql.join([...ARGUS_TABLES])})`,
      ),
  },
  sqlserver: {
    deleteChunk: (t, column, below, rows) =>
      sql`delete top (${sql.lit(rows)}) from ${table(t)} where ${ref(column)} < ${below}`,
    async vacuum(db) {
      // REBUILD is offline outside Enterprise edition: inserts into the table wait for it (and
      // may time out into the dead-letter queue, to be replayed).
      for (const t of ARGUS_TABLES) {
        await sql`alter index all on ${table(t)} rebuild`.execute(db);
        await sql`update statistics ${table(t)}`.execute(db);
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

/** Purges and vacuums one database through Kysely. */
export class Maintenance implements StoreMaintenance {
  readonly #db: Db;
  readonly #capabilities: DialectCapabilities;
  readonly #dialect: MaintenanceDialect;
  readonly #chunkRows: number;
  readonly #sqlite: NodeSqliteDatabase | undefined;

  /** `sqlite`: SQLite's raw handle (`OpenDatabase.sqlite`), for incremental vacuuming. */
  constructor(
    db: Db,
    capabilities: DialectCapabilities,
    sqlite?: NodeSqliteDatabase,
    options: MaintenanceOptions = {},
  ) {
    const chunkRows = options.chunkRows ?? DEFAULT_CHUNK_ROWS;
    if (!Number.isSafeInteger(chunkRows) || chunkRows < 1) {
      throw new RangeError(
        `Cannot use 'chunkRows' as it must be a positive integer: current value is ${chunkRows}`,
      );
    }
    this.#db = db;
    this.#capabilities = capabilities;
    this.#dialect = MAINTENANCE_DIALECTS[capabilities.driver];
    this.#chunkRows = chunkRows;
    this.#sqlite = sqlite;
  }

  async purge(request: PurgeRequest): Promise<PurgeResult> {
    const { signal, abort } = request;
    // A whole hour: rollup minutes and hours wholly before it go with their rows.
    const cutoffNs = purgeCutoffNs(request.olderThanNs);
    const minute = minuteOf(cutoffNs);
    const cutoff = this.#capabilities.int64(cutoffNs);
    const result: PurgeResult = { deletedLogs: 0, deletedSpans: 0 };
    if (signal === "traces" || signal === "all") {
      result.deletedSpans = await this.#deleteBefore("spans", cutoff, abort);
      for (const t of ROLLUPS_OF.traces) await this.#deleteBefore(t, minute, abort);
    }
    if (signal === "logs" || signal === "all") {
      result.deletedLogs = await this.#deleteBefore("logs", cutoff, abort);
      for (const t of ROLLUPS_OF.logs) await this.#deleteBefore(t, minute, abort);
    }
    return result;
  }

  /**
   * Deletes chunk after chunk until one deletes nothing (rather than fewer than a chunk: a row
   * skipped by a concurrent update is caught by the next one). Between chunks the event loop
   * runs, so requests are served while a long purge goes on.
   */
  async #deleteBefore(t: PurgeTable, below: unknown, abort?: AbortSignal): Promise<number> {
    let total = 0;
    for (;;) {
      abort?.throwIfAborted();
      const statement = this.#dialect.deleteChunk(t, TIME_COLUMN[t], below, this.#chunkRows);
      const { numAffectedRows } = await statement.execute(this.#db);
      const deleted = Number(numAffectedRows ?? 0n);
      if (deleted === 0) return total;
      total += deleted;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }

  async vacuum(): Promise<VacuumResult> {
    const started = performance.now();
    const sizeBeforeBytes = await this.#dialect.sizeBytes(this.#db);
    const warning = await this.#dialect.vacuum(this.#db, this.#sqlite);
    const sizeAfterBytes = await this.#dialect.sizeBytes(this.#db);
    return {
      ok: true,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      ...(sizeBeforeBytes === undefined ? {} : { sizeBeforeBytes }),
      ...(sizeAfterBytes === undefined ? {} : { sizeAfterBytes }),
      ...(warning === undefined ? {} : { warning }),
    };
  }
}
