/**
 * Several Argus processes on one database (issue 17, item 3): each replica's heartbeat row in
 * `argus_replicas` (migration 2026_12_14_replicas.ts), so that every replica can show which ones
 * are alive with their queue and dead-letter figures; and the `maintenance` lease in
 * `argus_leases`, so that the periodic work on shared rows (retention, the metric rollup job) runs
 * in one replica at a time, and moves to another when its holder dies.
 *
 * - Heartbeat: every REPLICA_HEARTBEAT the replica upserts its row (an UPDATE of its own key, an
 *   INSERT when there was none: only this replica writes its row, so nothing races it). A row
 *   whose heartbeat is older than 3 heartbeats is not alive; one older than an hour is deleted by
 *   the next beat of any replica. A clean stop deletes the replica's own row.
 * - Lease: every LEASE_TTL / 3 the replica tries to acquire or renew it in one statement,
 *   `UPDATE argus_leases SET holder = me, expires_at_ms = now + ttl WHERE name = ? AND (holder =
 *   me OR expires_at_ms < now)`, atomic on every database (the row lock serializes two replicas:
 *   the second re-checks the condition and updates nothing). When the row is missing it is
 *   inserted expired (a concurrent insert by another replica fails on the key, which is fine) and
 *   the UPDATE decides. A clean stop deletes the row if this replica holds it, so another takes
 *   it at its next try.
 * - Holding: the holder counts the lease held until the start of its last successful attempt plus
 *   the TTL, by its own monotonic clock (`performance.now()`). The database set the expiry to its
 *   clock at the statement plus the TTL, later than that start: so the holder stops counting it
 *   held before any other replica can take it, whatever the clocks read (only their rates must
 *   agree, which they do to parts per million). A holder that cannot renew (the database is away,
 *   its statements are slow) stops its work when its count ends. Work already under way when the
 *   lease is lost finishes (a retention pass, a rollup run): both are safe when run twice.
 * - Clock: `now` is the database's clock (`dbNowMs`), one expression per database, so replicas'
 *   clocks need not agree (no NTP requirement): the one clock compares every expiry and every
 *   heartbeat. Times shown (`heartbeat_at_ms`) are the database's too; `started_at_ms` is the
 *   replica's own clock at its start, for display only.
 *
 * SQLite serves one process (main.ts refuses a second on one file), so there main.ts uses
 * `soleReplica`: no rows, the lease always held. The classes work on SQLite all the same (tests).
 *
 * @module
 */
import { type Kysely, type RawBuilder, sql } from "kysely";
import type { DatabaseConfig, DbDriver } from "../lib/config.ts";
import type { Logger } from "../lib/logger.ts";
import type { Database } from "./columns.ts";
import { openDatabase } from "./dialects/mod.ts";

/** The lease that gates retention and the metric rollup job. */
export const MAINTENANCE_LEASE = "maintenance";
export const DEFAULT_HEARTBEAT_MS = 10_000;
export const DEFAULT_LEASE_TTL_MS = 30_000;
/** Heartbeats a replica may miss before it counts as not alive. */
export const MISSED_HEARTBEATS = 3;
/** Age of a heartbeat past which its row is deleted. */
export const FORGET_AFTER_MS = 3_600_000;

/** The tables of migration 2026_12_14_replicas.ts, as read and written here. */
type ReplicaTables = {
  argus_replicas: {
    replica_id: string;
    name: string;
    pid: number;
    version: string;
    started_at_ms: number | string | bigint;
    heartbeat_at_ms: number | string | bigint;
    queue_rows: number | string | bigint;
    dlq_files: number | string | bigint;
    holds_maintenance: number;
  };
  argus_leases: {
    name: string;
    holder: string;
    expires_at_ms: number | string | bigint;
  };
};
type Db = Kysely<Database & ReplicaTables>;

/** One replica as its heartbeat row says. Times are Unix milliseconds. */
export interface ReplicaStatus {
  id: string;
  name: string;
  pid: number;
  version: string;
  startedAtMs: number;
  /** By the database's clock. */
  heartbeatAtMs: number;
  queueRows: number;
  dlqFiles: number;
  holdsMaintenance: boolean;
}

/** What a replica says about itself besides its live figures. */
export interface ReplicaIdentity {
  id: string;
  name: string;
  pid: number;
  version: string;
  startedAtMs: number;
}

/** The live figures a heartbeat carries. */
export interface ReplicaFigures {
  queueRows: number;
  dlqFiles: number;
}

/**
 * The database's clock in Unix milliseconds, as an SQL expression: constant within a statement
 * on each (SQLite's 'now', PostgreSQL's statement_timestamp(), MySQL's query start, SQL Server's
 * single evaluation of a runtime constant). MySQL: unix_timestamp() and the fraction of now(6)
 * read the same query start, and neither depends on the session's time zone (unix_timestamp(
 * now(3)) would be an hour off in a daylight-saving fall-back hour).
 */
export function dbNowMs(driver: DbDriver): RawBuilder<number> {
  switch (driver) {
    case "sqlite":
      return sql<number>`cast((julianday('now') - 2440587.5) * 86400000 as integer)`;
    case "postgres":
      return sql<number>`(extract(epoch from statement_timestamp()) * 1000)::bigint`;
    case "mysql":
      return sql<number>`(unix_timestamp() * 1000 + floor(microsecond(now(6)) / 1000))`;
    case "sqlserver":
      return sql<number>`datediff_big(millisecond, '1970-01-01', sysutcdatetime())`;
  }
}

function positiveMs(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(
      `Cannot use '${name}' as it must be an integer of at least ${min}: current value is ${value}`,
    );
  }
  return value;
}

/** Reports a failing background task once, and once again when it works again. */
class FailureLog {
  #failing = false;
  constructor(private readonly logger: Logger | undefined, private readonly what: string) {}
  failed(error: unknown): void {
    if (this.#failing) this.logger?.debug(`${this.what} failed again`, { error });
    else this.logger?.warn(`${this.what} failed; it is tried again`, { error });
    this.#failing = true;
  }
  worked(): void {
    if (this.#failing) this.logger?.info(`${this.what} works again`);
    this.#failing = false;
  }
}

export interface LeaseOptions {
  /** The lease's name (`MAINTENANCE_LEASE`). */
  name: string;
  /** This replica's id. */
  holder: string;
  /** Milliseconds a grant lasts (LEASE_TTL); renewed every third of it. */
  ttlMs?: number;
  /** False skips an attempt (the database is not migrated yet): the lease is not held then. */
  ready?: () => boolean;
  logger?: Logger;
}

/** A named lease held by at most one replica at a time (see the module's comment). */
export class Lease {
  readonly #db: Db;
  readonly #now: RawBuilder<number>;
  /**
   * MySQL counts the rows an UPDATE changed, not those it matched (Argus's pool turns FOUND_ROWS
   * off, dialects/mysql.ts): a renewal in the same millisecond as the last one changes nothing.
   */
  readonly #countsChangedRows: boolean;
  readonly #name: string;
  readonly #holder: string;
  readonly #ttlMs: number;
  readonly #ready: () => boolean;
  readonly #logger: Logger | undefined;
  readonly #failures: FailureLog;
  /** `performance.now()` until which the lease is held, by this process's monotonic clock. */
  #heldUntil = 0;
  #wasHeld = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #attempt: Promise<boolean> | undefined;
  #stopped = false;

  constructor(db: Kysely<Database>, driver: DbDriver, options: LeaseOptions) {
    this.#db = db.withTables<ReplicaTables>();
    this.#now = dbNowMs(driver);
    this.#countsChangedRows = driver === "mysql";
    this.#name = options.name;
    this.#holder = options.holder;
    this.#ttlMs = positiveMs("ttlMs", options.ttlMs ?? DEFAULT_LEASE_TTL_MS, 30);
    this.#ready = options.ready ?? (() => true);
    this.#logger = options.logger;
    this.#failures = new FailureLog(options.logger, `the ${options.name} lease's renewal`);
  }

  /** True while this replica holds the lease (and has not stopped). */
  held(): boolean {
    return !this.#stopped && performance.now() < this.#heldUntil;
  }

  /** Tries now, then every third of the TTL. */
  start(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    const tick = () => {
      void this.tryAcquire().then(() => {
        if (this.#stopped) return;
        this.#timer = setTimeout(tick, Math.max(1, Math.floor(this.#ttlMs / 3)));
        Deno.unrefTimer(this.#timer as unknown as number);
      });
    };
    tick();
  }

  /**
   * One attempt to acquire or renew; answers whether the lease is held after it. A failure is
   * logged and counts as not renewed (the lease stays held until its last grant ends).
   */
  tryAcquire(): Promise<boolean> {
    if (this.#stopped) return Promise.resolve(false);
    if (this.#attempt) return this.#attempt;
    const attempt = this.#tryAcquire().finally(() => {
      this.#attempt = undefined;
    });
    this.#attempt = attempt;
    return attempt;
  }

  /**
   * Stops trying. `release` (a clean stop) deletes the lease's row if this replica holds it, so
   * another replica takes it at its next try; without it the lease runs out by itself (what a
   * killed process leaves).
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#attempt?.catch(() => {});
    const wasHeld = performance.now() < this.#heldUntil;
    this.#heldUntil = 0;
    if (!(options.release ?? true) || !wasHeld) return;
    try {
      await this.#db.deleteFrom("argus_leases")
        .where("name", "=", this.#name)
        .where("holder", "=", this.#holder)
        .execute();
      this.#logger?.info(`released the ${this.#name} lease`);
    } catch (error) {
      this.#logger?.warn(`the ${this.#name} lease could not be released: it runs out by itself`, {
        error,
        ttl_ms: this.#ttlMs,
      });
    }
  }

  async #tryAcquire(): Promise<boolean> {
    if (!this.#ready()) return this.held();
    // Taken before the statement: the database's expiry is later than this plus the TTL.
    const started = performance.now();
    try {
      let granted = await this.#update();
      if (!granted && !(await this.#exists())) {
        try {
          await this.#db.insertInto("argus_leases")
            .values({ name: this.#name, holder: this.#holder, expires_at_ms: 0 })
            .execute();
        } catch {
          // Another replica inserted it first: the update below finds its row.
        }
        granted = await this.#update();
      }
      this.#failures.worked();
      if (this.#stopped) return false;
      this.#heldUntil = granted ? started + this.#ttlMs : 0;
    } catch (error) {
      this.#failures.failed(error);
    }
    const held = this.held();
    if (held !== this.#wasHeld) {
      if (held) this.#logger?.info(`this replica holds the ${this.#name} lease`);
      else this.#logger?.info(`this replica no longer holds the ${this.#name} lease`);
      this.#wasHeld = held;
    }
    return held;
  }

  async #update(): Promise<boolean> {
    const result = await this.#db.updateTable("argus_leases")
      .set({ holder: this.#holder, expires_at_ms: sql<number>`${this.#now} + ${this.#ttlMs}` })
      .where("name", "=", this.#name)
      .where((eb) =>
        eb.or([
          eb("holder", "=", this.#holder),
          eb("expires_at_ms", "<", this.#now),
        ])
      )
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) > 0) return true;
    if (!this.#countsChangedRows) return false;
    // Matched and unchanged only when this replica holds it (the update's other case, an expired
    // holder, always changes the holder).
    const row = await this.#db.selectFrom("argus_leases").select("holder")
      .where("name", "=", this.#name).executeTakeFirst();
    return row?.holder === this.#holder;
  }

  async #exists(): Promise<boolean> {
    const row = await this.#db.selectFrom("argus_leases").select("name")
      .where("name", "=", this.#name).executeTakeFirst();
    return row !== undefined;
  }
}

export interface HeartbeatOptions {
  self: ReplicaIdentity;
  /** Milliseconds between beats (REPLICA_HEARTBEAT). */
  everyMs?: number;
  /** The figures each beat writes. */
  figures: () => ReplicaFigures;
  /** Whether this replica holds the maintenance lease now. */
  holdsMaintenance: () => boolean;
  /** False skips a beat (the database is not migrated yet). */
  ready?: () => boolean;
  logger?: Logger;
}

/** This replica's heartbeat row, and the alive replicas as of its last beat. */
export class Heartbeat {
  readonly #db: Db;
  readonly #now: RawBuilder<number>;
  readonly #options: HeartbeatOptions & { everyMs: number };
  readonly #failures: FailureLog;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #beat: Promise<void> | undefined;
  #stopped = false;
  #alive: ReplicaStatus[] = [];
  /** `performance.now()` of the last beat that read the list. */
  #aliveAt = -Infinity;

  constructor(db: Kysely<Database>, driver: DbDriver, options: HeartbeatOptions) {
    this.#db = db.withTables<ReplicaTables>();
    this.#now = dbNowMs(driver);
    this.#options = {
      ...options,
      everyMs: positiveMs("everyMs", options.everyMs ?? DEFAULT_HEARTBEAT_MS, 10),
    };
    this.#failures = new FailureLog(options.logger, "the replica heartbeat");
  }

  /** Beats now, then every interval. */
  start(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    const tick = () => {
      void this.beat().then(() => {
        if (this.#stopped) return;
        this.#timer = setTimeout(tick, this.#options.everyMs);
        Deno.unrefTimer(this.#timer as unknown as number);
      });
    };
    tick();
  }

  /**
   * Upserts this replica's row, deletes rows silent for an hour and reads the alive list. A
   * failure is logged (and the list then ages out, see `list`).
   */
  beat(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#beat) return this.#beat;
    const beat = this.#run().catch((error) => this.#failures.failed(error)).finally(() => {
      this.#beat = undefined;
    });
    this.#beat = beat;
    return beat;
  }

  /**
   * The alive replicas as of the last beat, this one first, then by start. When no beat has
   * read the list for 3 intervals (the database is away), only this replica, with its figures
   * now: others cannot be known.
   */
  list(): ReplicaStatus[] {
    if (performance.now() - this.#aliveAt <= MISSED_HEARTBEATS * this.#options.everyMs) {
      return this.#alive;
    }
    return [this.#selfNow(Date.now())];
  }

  /** The replicas whose heartbeat is at most 3 intervals old, by the database's clock. */
  async alive(): Promise<ReplicaStatus[]> {
    const rows = await this.#db.selectFrom("argus_replicas").selectAll()
      .where(
        "heartbeat_at_ms",
        ">=",
        sql<number>`${this.#now} - ${MISSED_HEARTBEATS * this.#options.everyMs}`,
      )
      .execute();
    const self = this.#options.self.id;
    return rows.map(statusOf).sort((a, b) =>
      Number(b.id === self) - Number(a.id === self) || a.startedAtMs - b.startedAtMs ||
      a.id.localeCompare(b.id)
    );
  }

  /**
   * Stops beating. `remove` (a clean stop) deletes this replica's row at once; without it the
   * row goes silent (what a killed process leaves).
   */
  async stop(options: { remove?: boolean } = {}): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#beat;
    if (!(options.remove ?? true)) return;
    try {
      await this.#db.deleteFrom("argus_replicas")
        .where("replica_id", "=", this.#options.self.id).execute();
    } catch (error) {
      this.#options.logger?.warn("this replica's heartbeat row could not be deleted", { error });
    }
  }

  async #run(): Promise<void> {
    if (!(this.#options.ready?.() ?? true)) return;
    const { self, figures, holdsMaintenance } = this.#options;
    const { queueRows, dlqFiles } = figures();
    const live = {
      heartbeat_at_ms: this.#now,
      queue_rows: queueRows,
      dlq_files: dlqFiles,
      holds_maintenance: holdsMaintenance() ? 1 : 0,
    };
    const updated = await this.#db.updateTable("argus_replicas").set(live)
      .where("replica_id", "=", self.id).executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) {
      await this.#db.insertInto("argus_replicas").values({
        replica_id: self.id,
        name: self.name,
        pid: self.pid,
        version: self.version,
        started_at_ms: self.startedAtMs,
        ...live,
      }).execute();
    }
    await this.#db.deleteFrom("argus_replicas")
      .where("heartbeat_at_ms", "<", sql<number>`${this.#now} - ${FORGET_AFTER_MS}`).execute();
    this.#alive = await this.alive();
    this.#aliveAt = performance.now();
    this.#failures.worked();
  }

  #selfNow(nowMs: number): ReplicaStatus {
    const { self, figures, holdsMaintenance } = this.#options;
    return {
      ...self,
      heartbeatAtMs: nowMs,
      ...figures(),
      holdsMaintenance: holdsMaintenance(),
    };
  }
}

function statusOf(row: ReplicaTables["argus_replicas"]): ReplicaStatus {
  return {
    id: row.replica_id,
    name: row.name,
    pid: Number(row.pid),
    version: row.version,
    startedAtMs: Number(row.started_at_ms),
    heartbeatAtMs: Number(row.heartbeat_at_ms),
    queueRows: Number(row.queue_rows),
    dlqFiles: Number(row.dlq_files),
    holdsMaintenance: Number(row.holds_maintenance) === 1,
  };
}

/** This process among the replicas, as main.ts uses it. */
export interface Replicas {
  readonly id: string;
  /** True while this replica holds the maintenance lease: retention and rollups run here. */
  holdsMaintenance(): boolean;
  /** The alive replicas, this one first (see `Heartbeat.list`). */
  list(): ReplicaStatus[];
  /** Deletes this replica's row and releases the lease (a clean stop). */
  stop(): Promise<void>;
}

export interface ReplicaOptions {
  self: ReplicaIdentity;
  figures: () => ReplicaFigures;
  /** REPLICA_HEARTBEAT, ms. */
  heartbeatMs?: number;
  /** LEASE_TTL, ms. */
  leaseTtlMs?: number;
  /** Whether the database is migrated (main.ts `DatabaseReadiness.ready`). */
  ready?: () => boolean;
  /** Folder against which a relative SQLite path is resolved (DATA_DIR). */
  dataDir: string;
  onBackgroundError?: (error: unknown) => void;
  logger?: Logger;
}

/** The only replica: SQLite's one process, which always holds the lease. */
export function soleReplica(self: ReplicaIdentity, figures: () => ReplicaFigures): Replicas {
  return {
    id: self.id,
    holdsMaintenance: () => true,
    list: () => [{ ...self, heartbeatAtMs: Date.now(), ...figures(), holdsMaintenance: true }],
    stop: () => Promise.resolve(),
  };
}

/**
 * Starts this replica's heartbeat and its tries for the maintenance lease on a server database,
 * over two connections of their own: a lease renewal must not queue behind ingest's writes on the
 * store's pool, or a busy holder would lose the lease. SQLite: `soleReplica`.
 */
export function startReplicas(config: DatabaseConfig, options: ReplicaOptions): Replicas {
  if (config.driver === "sqlite") return soleReplica(options.self, options.figures);
  const open = openDatabase(
    { ...config, pool: { ...config.pool, maxOpen: 2, maxIdle: 2 } },
    options.dataDir,
    options.onBackgroundError ?? (() => {}),
  );
  const lease = new Lease(open.db, config.driver, {
    name: MAINTENANCE_LEASE,
    holder: options.self.id,
    ttlMs: options.leaseTtlMs,
    ready: options.ready,
    logger: options.logger,
  });
  const heartbeat = new Heartbeat(open.db, config.driver, {
    self: options.self,
    everyMs: options.heartbeatMs,
    figures: options.figures,
    holdsMaintenance: () => lease.held(),
    ready: options.ready,
    logger: options.logger,
  });
  lease.start();
  heartbeat.start();
  return {
    id: options.self.id,
    holdsMaintenance: () => lease.held(),
    list: () => heartbeat.list(),
    async stop() {
      await Promise.all([lease.stop(), heartbeat.stop()]);
      await open.db.destroy();
    },
  };
}
