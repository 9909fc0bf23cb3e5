/**
 * `GET /api/health`: the seed's self-monitoring shape plus the contract's extra fields. The
 * database is pinged on every call. WebSocket clients and the DB latency p99 come from optional
 * deps (the live hub, `ArgusMetrics`); without them they read 0 and null. `replicas` lists the
 * Argus processes sharing the database that are alive, as of this replica's last heartbeat
 * (store/replicas.ts): no database read of its own.
 *
 * @module
 */
import type { Store } from "../store/mod.ts";
import type { ReplicaStatus } from "../store/replicas.ts";
import { VERSION } from "../lib/version.ts";
import { errorMessage } from "../utils/errors.ts";
import type { WireHealth, WireReplica } from "../utils/wire.ts";

/** Live figures of the ingest pipeline. */
export interface IngestFigures {
  /** Items stored per second over the last minute. */
  ingestionRate(): number;
  /** Batch files waiting in the dead-letter queue. */
  dlqSize(): number;
  /** Rows waiting in the batcher's queue. */
  queueDepth(): number;
}

export interface HealthDeps {
  store: Store;
  startedAt: number;
  ingest: IngestFigures;
  /** WebSocket clients of the live hub (`active_connections`); 0 when absent. */
  liveClients?: () => number;
  /**
   * p99 of the database operations of the last minute in ms, or null without any
   * (`db_latency_p99_ms`, e.g. `ArgusMetrics.dbLatencyP99Ms()`); null when absent.
   */
  dbLatencyP99Ms?: () => number | null;
  /**
   * Runs the ping and records it (e.g. `ArgusMetrics.timeDb`: its duration in
   * `argus_db_latency{op="ping"}` and the p99, a failure in `argus_db_errors_total`).
   */
  timeDb?: <T>(op: "ping", fn: () => Promise<T>) => Promise<T>;
  /** Longest wait for the ping in ms (`DB_PING_TIMEOUT`); 2 s when absent. */
  pingTimeoutMs?: number;
  /**
   * Whether the database is ready (reached and migrated at least once); while it is not, the
   * answer is degraded with the reason and no ping is sent.
   */
  database?: () => { ready: boolean; error?: unknown };
  /**
   * Why ingest can make nothing durable now (database and DLQ both failing, e.g. a full disk),
   * or undefined while it can.
   */
  ingestFailure?: () => string | undefined;
  /** This process among the replicas sharing its database; absent: `replica` null, none listed. */
  replicas?: { readonly id: string; list(): ReplicaStatus[] };
  now?: () => number;
}

/** The answer's shape, shared with the browser (utils/wire.ts). */
export type Health = WireHealth;

export async function health(deps: HealthDeps): Promise<Health> {
  const now = deps.now ?? Date.now;
  const started = performance.now();
  let dbError: string | undefined;
  const database = deps.database?.();
  if (database !== undefined && !database.ready) {
    dbError = `the database is not ready: ${errorMessage(database.error)}`;
  } else {
    try {
      const ping = () => withDeadline(deps.store.ping(), deps.pingTimeoutMs ?? 2_000);
      if (deps.timeDb) await deps.timeDb("ping", ping);
      else await ping();
    } catch (error) {
      dbError = errorMessage(error);
    }
  }
  const pingMs = Math.round((performance.now() - started) * 100) / 100;
  const ingestError = deps.ingestFailure?.();
  return {
    status: dbError === undefined && ingestError === undefined ? "ok" : "degraded",
    ingestion_rate: Math.round(deps.ingest.ingestionRate() * 100) / 100,
    dlq_size: deps.ingest.dlqSize(),
    active_connections: deps.liveClients?.() ?? 0,
    db_latency_p99_ms: deps.dbLatencyP99Ms?.() ?? null,
    db_driver: deps.store.driver,
    db_ping_ms: dbError === undefined ? pingMs : null,
    ...(dbError === undefined ? {} : { db_error: dbError }),
    ...(ingestError === undefined ? {} : { ingest_error: ingestError }),
    queue_depth: deps.ingest.queueDepth(),
    uptime_s: Math.floor((now() - deps.startedAt) / 1000),
    version: VERSION,
    replica: deps.replicas?.id ?? null,
    replicas: (deps.replicas?.list() ?? []).map(wireReplica),
  };
}

function wireReplica(replica: ReplicaStatus): WireReplica {
  return {
    id: replica.id,
    name: replica.name,
    pid: replica.pid,
    version: replica.version,
    started_time: new Date(replica.startedAtMs).toISOString(),
    heartbeat_time: new Date(replica.heartbeatAtMs).toISOString(),
    queue_rows: replica.queueRows,
    dlq_files: replica.dlqFiles,
    holds_maintenance: replica.holdsMaintenance,
  };
}

/** `work`, or a rejection naming DB_PING_TIMEOUT when it takes longer than `ms`. */
async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`the database did not answer a ping within DB_PING_TIMEOUT (${ms} ms)`)),
      ms,
    );
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
