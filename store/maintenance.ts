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
 * created with auto_vacuum=incremental (`vacuumSqlite` in dialects/sqlite.ts).
 *
 * What differs between the databases (how to delete at most n rows, how to compact, where sizes
 * come from) is each dialect's `maintenance` (dialects/), beside the rest of what Argus knows
 * about that database; this module holds what is the same for all of them.
 *
 * Resources (`resources`) are not purged. No index covers `spans.resource_id` or
 * `logs.resource_id`, so finding unreferenced ones scans both tables; and on PostgreSQL and MySQL
 * a writer that found a resource already stored (and skipped it) could commit a span that
 * references it just after a purge deleted it, and reads join resources, so that span would
 * vanish. They are a few rows per service instance, so they are kept.
 *
 * @module
 */
import type { Kysely } from "kysely";
import type { Database } from "./columns.ts";
import type { DialectCapabilities, MaintenanceDialect } from "./dialects/mod.ts";
import type { NodeSqliteDatabase } from "./node_sqlite.ts";
import { minuteOf, type RollupTable } from "./rollups.ts";
import { claimSummaries, idsPerStatement, refreshSummaries } from "./trace_summaries.ts";
import { indexPurgeStarts } from "./attribute_index.ts";
import { METRIC_TABLES } from "./metric_columns.ts";
import { purgeMetrics } from "./metric_retention.ts";
import type { PartitionedTable, Partitions } from "./partitions.ts";

/** Which items a purge deletes: the API's `signal` parameter ("all" includes metrics). */
export type PurgeSignal = "logs" | "traces" | "all";

export interface PurgeRequest {
  /** The cutoff in Unix nanoseconds: items with a time before it are deleted. */
  olderThanNs: bigint;
  signal: PurgeSignal;
  /** Stops the purge between two chunks (it then rejects with the signal's reason). */
  abort?: AbortSignal;
  /**
   * Where spans and logs are partitioned by time (PostgreSQL, partitions.ts): round the cutoff
   * down to a partition boundary, so that the purge drops whole partitions and deletes no row in
   * them. The retention worker sets it (keeping up to one interval more); an explicit purge cuts
   * where it is asked to.
   */
  partitionAligned?: boolean;
}

export interface PurgeResult {
  deletedLogs: number;
  deletedSpans: number;
  /** Metric data points deleted; set by a purge of "all" (metric_retention.ts). */
  deletedMetricPoints?: number;
  /**
   * The cutoff used (Unix ns), when the request was `partitionAligned`: rounded down to an hour,
   * then to a partition's start where the tables are partitioned.
   */
  cutoffNs?: bigint;
  /** Time partitions dropped whole (PostgreSQL), by name. */
  droppedPartitions?: string[];
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
  /** Bytes used by Argus's tables and their indexes, or undefined where not reported. */
  sizeBytes(): Promise<number | undefined>;
}

export interface MaintenanceOptions {
  /** Most rows one delete statement removes (default 10,000). */
  chunkRows?: number;
  /** PostgreSQL's time partitions, dropped whole before rows are deleted one chunk at a time. */
  partitions?: Partitions;
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
  "operation_latency_rollups",
  "operation_latency_rollups_hourly",
  "trace_summaries",
  "trace_services",
  "span_attributes",
  "log_attributes",
  "attribute_index_state",
  ...METRIC_TABLES,
] as const satisfies readonly (keyof Database)[];

/** A table a purge deletes from. */
export type PurgeTable =
  | "spans"
  | "logs"
  | "span_attributes"
  | "log_attributes"
  | RollupTable
  | (typeof METRIC_TABLES)[number];
type Db = Kysely<Database>;

/** The time column each purged table is cut on; rollups are keyed by Unix minute. */
const TIME_COLUMN: Record<Exclude<PurgeTable, (typeof METRIC_TABLES)[number]>, string> = {
  spans: "start_time_unix_nano",
  logs: "time_unix_nano",
  // The attribute index is keyed by 10-minute bucket first (attribute_index.ts).
  span_attributes: "bucket",
  log_attributes: "bucket",
  span_rollups: "minute",
  latency_rollups: "minute",
  log_rollups: "minute",
  edge_rollups: "minute",
  span_rollups_hourly: "minute",
  latency_rollups_hourly: "minute",
  log_rollups_hourly: "minute",
  edge_rollups_hourly: "minute",
  operation_latency_rollups: "minute",
  operation_latency_rollups_hourly: "minute",
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
    "operation_latency_rollups",
    "operation_latency_rollups_hourly",
  ],
  logs: ["log_rollups", "log_rollups_hourly"],
};

/** Purges and vacuums one database through Kysely. */
export class Maintenance implements StoreMaintenance {
  readonly #db: Db;
  readonly #capabilities: DialectCapabilities;
  readonly #dialect: MaintenanceDialect;
  readonly #chunkRows: number;
  readonly #sqlite: NodeSqliteDatabase | undefined;
  readonly #partitions: Partitions | undefined;

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
    this.#dialect = capabilities.maintenance;
    this.#chunkRows = chunkRows;
    this.#sqlite = sqlite;
    this.#partitions = options.partitions;
  }

  async purge(request: PurgeRequest): Promise<PurgeResult> {
    const { signal, abort } = request;
    // A whole hour: rollup minutes and hours wholly before it go with their rows.
    const hourly = purgeCutoffNs(request.olderThanNs);
    const cutoffNs = request.partitionAligned && this.#partitions
      ? this.#partitions.alignDown(hourly)
      : hourly;
    const minute = minuteOf(cutoffNs);
    const cutoff = this.#capabilities.int64(cutoffNs);
    const result: PurgeResult = {
      deletedLogs: 0,
      deletedSpans: 0,
      ...(request.partitionAligned ? { cutoffNs } : {}),
    };
    const dropped: string[] = [];
    /** Drops `table`'s partitions wholly before `below` (its unit); answers their rows. */
    const drop = async (table: PartitionedTable, below: bigint) => {
      if (this.#partitions === undefined) return 0;
      const done = await this.#partitions.dropBefore(table, below, abort);
      dropped.push(...done.dropped);
      return done.rows;
    };
    if (signal === "traces" || signal === "all") {
      result.deletedSpans = await drop("spans", cutoffNs);
      result.deletedSpans += await this.#deleteBefore("spans", cutoff, abort);
      // The index rows after their rows (a search meanwhile finds candidates that are gone, not
      // rows that are missing), once searches scan the spans their buckets held.
      const bucket = await indexPurgeStarts(this.#db, this.#capabilities, "spans", cutoffNs);
      await drop("span_attributes", BigInt(bucket));
      await this.#deleteBefore("span_attributes", bucket, abort);
      await this.#refreshCutTraces(cutoff, abort);
      for (const t of ROLLUPS_OF.traces) await this.#deleteBefore(t, minute, abort);
    }
    if (signal === "logs" || signal === "all") {
      result.deletedLogs = await drop("logs", cutoffNs);
      result.deletedLogs += await this.#deleteBefore("logs", cutoff, abort);
      const bucket = await indexPurgeStarts(this.#db, this.#capabilities, "logs", cutoffNs);
      await drop("log_attributes", BigInt(bucket));
      await this.#deleteBefore("log_attributes", bucket, abort);
      for (const t of ROLLUPS_OF.logs) await this.#deleteBefore(t, minute, abort);
    }
    if (signal === "all") {
      const metrics = await purgeMetrics(
        this.#db,
        this.#capabilities,
        cutoffNs,
        this.#chunkRows,
        abort,
        drop,
      );
      result.deletedMetricPoints = metrics.points;
    }
    if (dropped.length > 0) result.droppedPartitions = dropped;
    return result;
  }

  /**
   * Deletes chunk after chunk until one deletes nothing (rather than fewer than a chunk: a row
   * skipped by a concurrent update is caught by the next one). Between chunks the event loop
   * runs, so requests are served while a long purge goes on.
   */
  async #deleteBefore(
    t: keyof typeof TIME_COLUMN,
    below: unknown,
    abort?: AbortSignal,
  ): Promise<number> {
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

  /**
   * Brings the summaries of the traces that started before the cutoff in line with the spans the
   * purge left (trace_summaries.ts): a trace wholly purged loses its summary, one cut by the
   * cutoff is recomputed from its remaining spans (and so starts after it). A chunk of traces per
   * transaction; a trace still starting before the cutoff after its refresh (a late span stored
   * meanwhile) is left for the next purge.
   */
  async #refreshCutTraces(cutoff: unknown, abort?: AbortSignal): Promise<void> {
    const caps = this.#capabilities;
    const done = new Set<string>();
    for (;;) {
      abort?.throwIfAborted();
      const rows = await caps.paginate(
        this.#db.selectFrom("trace_summaries").select("trace_id")
          .where("start_time_unix_nano", "<", cutoff as bigint)
          .orderBy("start_time_unix_nano").orderBy("trace_id"),
        { limit: idsPerStatement(caps), offset: 0 },
      ).execute();
      const ids = rows.map((r) => r.trace_id).filter((id) => !done.has(id)).sort();
      if (ids.length === 0) return;
      await this.#db.transaction().execute(async (trx) => {
        await claimSummaries(trx, caps, ids);
        await refreshSummaries(trx, caps, ids, true);
      });
      for (const id of ids) done.add(id);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }

  sizeBytes(): Promise<number | undefined> {
    return this.#dialect.sizeBytes(this.#db);
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
