/**
 * The live stream across replicas (PostgreSQL only): each Argus process that shares the database
 * tells the others, through `LISTEN`/`NOTIFY` on the channel `argus_live_logs`, which log records
 * it has committed, and publishes into its own hub the records the others committed, read back
 * by id. So a `/ws` client sees what every replica received, whichever replica it is connected
 * to (the hub itself sees only what is published into it: hub.ts).
 *
 * Sending. `committed(logs)` is called once a batch is committed to the database (never for a
 * dead-lettered batch: its records are not there to read). The ids wait in one queue and go out
 * as soon as the previous send is done, so batches that commit during a send share the next one:
 * one statement (`select pg_notify(…) from unnest(string_to_array(…))`) carries all of them, in
 * payloads under PostgreSQL's limit of 8000 bytes (about 200 ids each). A payload is JSON:
 * `{"r":replicaId,"f":"minNs","t":"maxNs","i":[ids]}`; `f` and `t` bound the records' times
 * (Unix ns), so that the read can prune time partitions. At most `maxIds` ids wait: while the
 * connection is down the oldest are dropped (and counted) first, as the newest matter most to a
 * live view.
 *
 * Receiving. A notification of another replica is read only while `wanted()` (the hub has
 * clients); else it is skipped unparsed. Its ids wait in a queue of at most `maxIds` (ids past
 * it are dropped and counted, like the hub's own limits), read by `read(ids, window)` at most
 * `readBatch` at a time, one read at a time, and published in the order they were committed.
 * Notifications of this replica are ignored: the hub had those records at once.
 *
 * Connection. One dedicated client per replica (not one of the pool's: a LISTEN holds its
 * session), named `argus-live` in `pg_stat_activity`, both listens and sends. When it drops (a
 * server restart, `pg_terminate_backend`, a network failure) it is opened again after a delay
 * that starts at `minBackoffMs` and doubles up to `maxBackoffMs`, reset by a success.
 * Notifications sent while a replica is not listening are lost for it: the stream is a live
 * view, not a log; `/api/logs` has every record.
 *
 * Delivery is at most once per commit: a record committed twice (a retried request) is announced
 * twice, as the replica that received it publishes it twice too.
 *
 * @module
 */
import pg from "pg";
import type { Logger } from "../lib/logger.ts";

/** The channel of the notifications. */
export const LIVE_LOGS_CHANNEL = "argus_live_logs";

/**
 * Most bytes of one payload. PostgreSQL refuses 8000 or more (in the server's encoding); ids and
 * the replica id are ASCII (hex and a UUID), so characters are bytes.
 */
export const MAX_PAYLOAD_BYTES = 7_999;

/** What the feed reads of a committed log record. */
export interface CommittedLog {
  id: string;
  /** The record's time, Unix ns. */
  timeUnixNano: bigint;
}

/** Bounds of the records' times of one read, Unix ns, inclusive. */
export interface IdWindow {
  fromNs: bigint;
  toNs: bigint;
}

export interface ClusterFeedOptions<T extends { id: string }> {
  /** This process among the replicas (a new id at each start). */
  replicaId: string;
  /** The PostgreSQL database the replicas share (DB_DSN). */
  dsn: string;
  /**
   * The records of these ids, with their resources, in any order; ids not found are left out.
   * Called with at most `readBatch` ids, one call at a time.
   */
  read: (ids: readonly string[], window: IdWindow) => Promise<T[]>;
  /** Publishes records read for other replicas into the hub. */
  publish: (records: T[]) => void;
  /** Whether records of other replicas are wanted now (the hub has clients). */
  wanted: () => boolean;
  /** Ids that may wait to be sent, and ids that may wait to be read. Default 10,000. */
  maxIds?: number;
  /** Most ids of one `read`. Default 500. */
  readBatch?: number;
  /** First delay before opening the connection again, ms. Default 250. */
  minBackoffMs?: number;
  /** Longest delay between attempts, ms. Default 10,000. */
  maxBackoffMs?: number;
  /** Deadline of connecting and of one statement, ms. Default 10,000. */
  timeoutMs?: number;
  logger?: Pick<Logger, "info" | "warn">;
}

/** Counters since the feed was made. */
export interface ClusterFeedStats {
  /** Whether the dedicated connection is open and listening. */
  connected: boolean;
  /** Times the connection was opened (1 when it never dropped). */
  connections: number;
  /** Ids announced to the other replicas, in how many notifications. */
  sentIds: number;
  sentNotifications: number;
  /** Ids never announced: dropped past `maxIds` while they could not be sent, or a send failed. */
  unsentIds: number;
  /** Notifications of other replicas taken, and skipped while nothing wanted them. */
  receivedNotifications: number;
  skippedNotifications: number;
  /** Ids of other replicas dropped past `maxIds`, or whose read failed. */
  droppedIds: number;
  /** Records of other replicas published into the hub. */
  publishedRecords: number;
}

interface Group {
  ids: string[];
  fromNs: bigint;
  toNs: bigint;
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot use '${name}' as it must be a positive integer: current value is ${value}`,
    );
  }
  return value;
}

export class ClusterFeed<T extends { id: string }> {
  readonly #options: ClusterFeedOptions<T>;
  readonly #maxIds: number;
  readonly #readBatch: number;
  readonly #minBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #timeoutMs: number;
  /** The replica id as it starts every payload, so that own notifications are told cheaply. */
  readonly #ownPrefix: string;
  #client: pg.Client | undefined;
  #connected = false;
  #backoffMs: number;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  /** Committed records not yet announced (references to the batch's rows, not copies). */
  #outgoing: CommittedLog[] = [];
  #sending: Promise<void> | undefined;
  /** Other replicas' ids waiting to be read, by notification. */
  #incoming: Group[] = [];
  #incomingIds = 0;
  #reading: Promise<void> | undefined;
  #lastDropWarning = 0;
  #stats = {
    connections: 0,
    sentIds: 0,
    sentNotifications: 0,
    unsentIds: 0,
    receivedNotifications: 0,
    skippedNotifications: 0,
    droppedIds: 0,
    publishedRecords: 0,
  };

  constructor(options: ClusterFeedOptions<T>) {
    this.#options = options;
    this.#maxIds = positive("maxIds", options.maxIds ?? 10_000);
    this.#readBatch = positive("readBatch", options.readBatch ?? 500);
    this.#minBackoffMs = positive("minBackoffMs", options.minBackoffMs ?? 250);
    this.#maxBackoffMs = positive("maxBackoffMs", options.maxBackoffMs ?? 10_000);
    this.#timeoutMs = positive("timeoutMs", options.timeoutMs ?? 10_000);
    this.#backoffMs = this.#minBackoffMs;
    this.#ownPrefix = `{"r":${JSON.stringify(options.replicaId)},`;
  }

  /** Opens the connection; resolves once it listens, or after the first failure (then retried). */
  async start(): Promise<void> {
    await this.#connect();
  }

  stats(): ClusterFeedStats {
    return { connected: this.#connected, ...this.#stats };
  }

  /** The server process of the connection (`pg_stat_activity.pid`), while connected. */
  backendPid(): number | undefined {
    return this.#connected
      ? (this.#client as unknown as { processID?: number } | undefined)?.processID
      : undefined;
  }

  /**
   * Announces records of a batch that is committed. Cheap: the ids are queued, and sent by one
   * statement after the send in flight, if any.
   */
  committed(logs: readonly CommittedLog[]): void {
    if (this.#stopped || logs.length === 0) return;
    for (const log of logs) this.#outgoing.push(log);
    const excess = this.#outgoing.length - this.#maxIds;
    if (excess > 0) {
      this.#outgoing.splice(0, excess);
      this.#stats.unsentIds += excess;
      this.#warnDropped("live cluster feed dropped ids it could not send");
    }
    this.#kickSend();
  }

  /**
   * Sends what is queued, then closes the connection: within `STOP_WAIT_MS` each, as a stop must
   * end within SHUTDOWN_TIMEOUT whatever the database does (what is not sent is a live view's loss).
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#kickSend();
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    await within(Promise.allSettled([this.#sending, this.#reading]), STOP_WAIT_MS);
    this.#outgoing = [];
    this.#incoming = [];
    this.#incomingIds = 0;
    const client = this.#client;
    this.#client = undefined;
    this.#connected = false;
    if (client !== undefined) await within(client.end().catch(() => {}), STOP_WAIT_MS);
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    const client = new pg.Client({
      connectionString: this.#options.dsn,
      application_name: "argus-live",
      connectionTimeoutMillis: this.#timeoutMs,
      query_timeout: this.#timeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    this.#client = client;
    let lost = false;
    const onLost = (error?: unknown) => {
      if (lost) return;
      lost = true;
      const wasConnected = this.#connected;
      if (this.#client === client) {
        this.#client = undefined;
        this.#connected = false;
      }
      client.removeAllListeners("notification");
      client.end().catch(() => {});
      if (this.#stopped) return;
      if (wasConnected) {
        this.#options.logger?.warn("live cluster feed lost its connection: reconnecting", {
          error,
          retry_in_ms: this.#backoffMs,
        });
      }
      this.#scheduleReconnect();
    };
    // An unlistened 'error' event would end the process.
    client.on("error", onLost);
    client.on("end", () => onLost());
    client.on("notification", (message) => this.#onNotification(message));
    try {
      await client.connect();
      await client.query(`listen ${LIVE_LOGS_CHANNEL}`);
    } catch (error) {
      if (!lost) {
        this.#options.logger?.warn("live cluster feed cannot listen: retrying", {
          error,
          retry_in_ms: this.#backoffMs,
        });
      }
      onLost(error);
      return;
    }
    if (lost || this.#stopped) {
      if (this.#stopped) await client.end().catch(() => {});
      return;
    }
    this.#connected = true;
    this.#stats.connections++;
    this.#backoffMs = this.#minBackoffMs;
    this.#options.logger?.info("live cluster feed is listening", {
      channel: LIVE_LOGS_CHANNEL,
      reconnected: this.#stats.connections > 1,
    });
    // What was committed while the connection was down goes out now.
    this.#kickSend();
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#retryTimer !== undefined) return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#maxBackoffMs);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#connect();
    }, delay);
  }

  /** Starts sending the queue unless a send is in flight (which sends what came meanwhile). */
  #kickSend(): void {
    if (this.#sending !== undefined || !this.#connected || this.#outgoing.length === 0) return;
    this.#sending = this.#sendLoop().finally(() => this.#sending = undefined);
  }

  /** Sends the queue, again and again while batches keep arriving; one statement at a time. */
  async #sendLoop(): Promise<void> {
    while (this.#outgoing.length > 0 && this.#connected) {
      const client = this.#client!;
      const logs = this.#outgoing;
      this.#outgoing = [];
      const payloads = encodePayloads(this.#options.replicaId, logs);
      try {
        // One text of lines rather than a text[]: pg escapes each element of an array, which took
        // a fifth of the send's CPU. A payload is JSON, so it holds no raw newline.
        await client.query(
          "select pg_notify($1, p) from unnest(string_to_array($2, E'\\n')) as p",
          [LIVE_LOGS_CHANNEL, payloads.join("\n")],
        );
        this.#stats.sentIds += logs.length;
        this.#stats.sentNotifications += payloads.length;
      } catch (error) {
        // The connection is lost, or the statement failed: these ids are not sent again (the
        // feed is a live view; a retry would announce them late or twice).
        this.#stats.unsentIds += logs.length;
        this.#warnDropped("live cluster feed could not announce committed logs", error);
      }
    }
  }

  #onNotification(message: pg.Notification): void {
    if (message.channel !== LIVE_LOGS_CHANNEL || message.payload === undefined) return;
    const payload = message.payload;
    if (payload.startsWith(this.#ownPrefix)) return;
    if (!this.#options.wanted()) {
      this.#stats.skippedNotifications++;
      return;
    }
    const group = decodePayload(payload);
    if (group === undefined) {
      this.#options.logger?.warn("live cluster feed ignored a notification it cannot read", {
        payload: payload.slice(0, 200),
      });
      return;
    }
    this.#stats.receivedNotifications++;
    const room = this.#maxIds - this.#incomingIds;
    if (group.ids.length > room) {
      this.#stats.droppedIds += group.ids.length - Math.max(room, 0);
      this.#warnDropped("live cluster feed dropped ids of other replicas: reads fall behind");
      if (room <= 0) return;
      group.ids = group.ids.slice(0, room);
    }
    this.#incoming.push(group);
    this.#incomingIds += group.ids.length;
    if (this.#reading === undefined) {
      this.#reading = this.#readLoop().finally(() => this.#reading = undefined);
    }
  }

  async #readLoop(): Promise<void> {
    while (this.#incoming.length > 0 && !this.#stopped) {
      if (!this.#options.wanted()) {
        // The last client left: what waits is wanted by nobody.
        this.#incoming = [];
        this.#incomingIds = 0;
        return;
      }
      const { ids, window } = this.#takeBatch();
      try {
        const records = await this.#options.read(ids, window);
        const order = new Map(ids.map((id, i) => [id, i]));
        // In the order of the notifications: the order the replica committed them in.
        records.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
        if (records.length > 0 && !this.#stopped) {
          this.#options.publish(records);
          this.#stats.publishedRecords += records.length;
        }
      } catch (error) {
        this.#stats.droppedIds += ids.length;
        this.#warnDropped("live cluster feed could not read other replicas' logs", error);
      }
    }
  }

  /** Takes up to `readBatch` ids, oldest first, with the bounds of their notifications' times. */
  #takeBatch(): { ids: string[]; window: IdWindow } {
    const ids: string[] = [];
    let fromNs: bigint | undefined;
    let toNs: bigint | undefined;
    let taken = 0;
    for (const group of this.#incoming) {
      const room = this.#readBatch - ids.length;
      if (room === 0) break;
      if (fromNs === undefined || group.fromNs < fromNs) fromNs = group.fromNs;
      if (toNs === undefined || group.toNs > toNs) toNs = group.toNs;
      if (group.ids.length > room) {
        for (const id of group.ids.slice(0, room)) ids.push(id);
        group.ids = group.ids.slice(room);
        break;
      }
      for (const id of group.ids) ids.push(id);
      taken++;
    }
    this.#incoming = this.#incoming.slice(taken);
    this.#incomingIds -= ids.length;
    return { ids, window: { fromNs: fromNs!, toNs: toNs! } };
  }

  /** Warns at once, then at most every 10 s, with the counts so far. */
  #warnDropped(message: string, error?: unknown): void {
    const now = performance.now();
    if (now - this.#lastDropWarning < 10_000 && this.#lastDropWarning !== 0) return;
    this.#lastDropWarning = now;
    this.#options.logger?.warn(message, {
      error,
      unsent_ids: this.#stats.unsentIds,
      dropped_ids: this.#stats.droppedIds,
      max_ids: this.#maxIds,
    });
  }
}

/** Longest wait of `stop()` for the last send, and for the connection's end, ms. */
const STOP_WAIT_MS = 2_000;

/** Waits for `promise`, but no longer than `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([promise, new Promise((resolve) => timer = setTimeout(resolve, ms))]);
  clearTimeout(timer);
}

/**
 * The payloads that announce `logs`, each under `MAX_PAYLOAD_BYTES`, in the order of `logs`.
 * Exported for tests.
 */
export function encodePayloads(replicaId: string, logs: readonly CommittedLog[]): string[] {
  const head = `{"r":${JSON.stringify(replicaId)},"f":"`;
  // The head, the two times (at most 20 characters each) and the punctuation around them.
  const fixed = head.length + 2 * 20 + `","t":"","i":[]}`.length;
  const payloads: string[] = [];
  let ids: string[] = [];
  let bytes = fixed;
  let fromNs = 0n;
  let toNs = 0n;
  const flush = () => {
    payloads.push(`${head}${fromNs}","t":"${toNs}","i":[${ids.join(",")}]}`);
    ids = [];
    bytes = fixed;
  };
  for (const log of logs) {
    const id = JSON.stringify(log.id);
    if (ids.length > 0 && bytes + id.length + 1 > MAX_PAYLOAD_BYTES) flush();
    if (ids.length === 0) {
      fromNs = log.timeUnixNano;
      toNs = log.timeUnixNano;
    } else if (log.timeUnixNano < fromNs) fromNs = log.timeUnixNano;
    else if (log.timeUnixNano > toNs) toNs = log.timeUnixNano;
    ids.push(id);
    bytes += id.length + 1;
  }
  if (ids.length > 0) flush();
  return payloads;
}

/** A payload of `encodePayloads`, or undefined when it is not one. */
export function decodePayload(payload: string): (Group & { replicaId: string }) | undefined {
  try {
    const value = JSON.parse(payload) as { r?: unknown; f?: unknown; t?: unknown; i?: unknown };
    if (
      typeof value.r !== "string" || typeof value.f !== "string" || typeof value.t !== "string" ||
      !Array.isArray(value.i) || !value.i.every((id) => typeof id === "string")
    ) return undefined;
    return { replicaId: value.r, fromNs: BigInt(value.f), toNs: BigInt(value.t), ids: value.i };
  } catch {
    return undefined;
  }
}
