/**
 * The live log hub behind `GET /ws` (../shared/spec/api.md): WebSocket clients receive the log
 * records ingest has made durable, as JSON arrays of `/api/logs` items, optionally filtered by
 * `service` (exact) and `severity` (minimum).
 *
 * Delivery. Each client has its own queue of entries, filled at publish time by its own filter,
 * so a client receives only what it asked for. A flush sends everything queued for a client in
 * messages of at most `flushItems` entries; it happens as soon as a publish leaves `flushItems`
 * or more queued, else on one shared timer `flushIntervalMs` after entries were queued. The timer
 * runs only while something is queued: an idle hub holds no timer.
 *
 * Memory. One client can never grow the server's memory without bound: a client whose socket
 * holds more than `maxBufferedBytes` unsent (`WebSocket.bufferedAmount`), or whose queue passes
 * `maxQueuedPerClient` entries (a socket that never finishes opening), is disconnected with close
 * code 1013 and its queued entries are dropped and counted; the others are not held up. Each
 * entry is serialized once, whatever the number of clients that receive it.
 *
 * The hub depends on no route: it takes wire entries (or items and a converter to them, which is
 * called only while clients are connected). It sees the logs of this process only.
 *
 * @module
 */
import type { Logger } from "../lib/logger.ts";
import { parseSeverity } from "../routes/logs.ts";
import { BadRequestError, parseService } from "../routes/query_params.ts";
import { originAllowed, originOf } from "../lib/security.ts";

/** What the hub reads of a log entry to filter it; the rest is sent as it is. */
export interface LiveLogEntry {
  service_name: string;
  /** OTLP SeverityNumber, 0 (unspecified) to 24. */
  severity_number: number;
}

/** What the hub reports as it works (`ArgusMetrics` has these methods). */
export interface LiveHubObserver {
  /** One message of `items` entries sent to one client. */
  liveMessageSent(items: number): void;
  /** One client disconnected for being too slow. */
  liveClientDropped(): void;
}

export interface LiveHubOptions {
  /** Entries that make a client's queue flush at once, and the most per message. Default 100. */
  flushItems?: number;
  /** Longest wait of a queued entry before it is sent, in ms. Default 500. */
  flushIntervalMs?: number;
  /** Entries queued for one client beyond which it is disconnected. Default 10,000. */
  maxQueuedPerClient?: number;
  /** Bytes unsent on one socket beyond which its client is disconnected. Default 4 MiB. */
  maxBufferedBytes?: number;
  /**
   * Origins (`scheme://host[:port]`) allowed besides the server's own, e.g. a dashboard served
   * elsewhere. A request without an Origin header (not from a browser) is always allowed.
   */
  allowedOrigins?: readonly string[];
  /** Consulted for an Origin that is neither same-origin nor in `allowedOrigins`. */
  isOriginAllowed?: (origin: string, request: Request) => boolean;
  logger?: Pick<Logger, "info" | "warn">;
  /** Self-monitoring hooks (e.g. the Prometheus metrics); none by default. */
  observer?: LiveHubObserver;
}

/** Counters since the hub was made, for self-metrics. */
export interface LiveHubStats {
  /** Clients connected now (also while their socket is opening). */
  clients: number;
  /** Clients ever accepted. */
  connections: number;
  /** WebSocket messages sent, and the entries they carried. */
  sentMessages: number;
  sentItems: number;
  /** Entries queued for a client but never sent: it was disconnected, went away, or shut down. */
  droppedItems: number;
  /** Clients disconnected for being too slow. */
  slowDisconnects: number;
}

/** Close code for a client disconnected because it does not keep up ("try again later"). */
export const CLOSE_TOO_SLOW = 1013;
/** Close code for clients closed because Argus is shutting down. */
export const CLOSE_GOING_AWAY = 1001;

interface Client {
  socket: WebSocket;
  service: string | undefined;
  minSeverity: number | undefined;
  /** Serialized entries waiting to be sent. */
  queue: string[];
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

function errorResponse(status: number, message: string, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify({ error: message }), {
    status,
    headers: { ...JSON_HEADERS, ...headers },
  });
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot use '${name}' as it must be a positive integer: current value is ${value}`,
    );
  }
  return value;
}

export class LiveHub {
  readonly #flushItems: number;
  readonly #flushIntervalMs: number;
  readonly #maxQueued: number;
  readonly #maxBufferedBytes: number;
  readonly #allowedOrigins: Set<string>;
  readonly #isOriginAllowed: ((origin: string, request: Request) => boolean) | undefined;
  readonly #logger: Pick<Logger, "info" | "warn"> | undefined;
  readonly #observer: LiveHubObserver | undefined;
  readonly #clients = new Set<Client>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #stats = {
    connections: 0,
    sentMessages: 0,
    sentItems: 0,
    droppedItems: 0,
    slowDisconnects: 0,
  };

  constructor(options: LiveHubOptions = {}) {
    this.#flushItems = positive("flushItems", options.flushItems ?? 100);
    this.#flushIntervalMs = positive("flushIntervalMs", options.flushIntervalMs ?? 500);
    this.#maxQueued = positive("maxQueuedPerClient", options.maxQueuedPerClient ?? 10_000);
    this.#maxBufferedBytes = positive("maxBufferedBytes", options.maxBufferedBytes ?? 4 << 20);
    this.#allowedOrigins = new Set(
      (options.allowedOrigins ?? []).map((text) => {
        const origin = originOf(text);
        if (origin === undefined) {
          throw new TypeError(
            `Cannot use 'allowedOrigins' as each must be an origin such as ` +
              `https://dash.example.com: current value is ${JSON.stringify(text)}`,
          );
        }
        return origin;
      }),
    );
    this.#isOriginAllowed = options.isOriginAllowed;
    this.#logger = options.logger;
    this.#observer = options.observer;
  }

  /** Clients connected now (`active_connections`). */
  clientCount(): number {
    return this.#clients.size;
  }

  stats(): LiveHubStats {
    return { clients: this.#clients.size, ...this.#stats };
  }

  /**
   * Answers `GET /ws`: 400 for a request that is not a WebSocket upgrade or has a bad `service`
   * or `severity`, 403 for a browser page of a foreign origin, 503 after `close()`; else the
   * 101 response of `Deno.upgradeWebSocket`, with the client registered at once (entries
   * published while its socket opens are queued for it).
   */
  upgrade(request: Request): Response {
    if (this.#closed) {
      return errorResponse(503, "Argus is shutting down: reconnect to another instance", {
        "retry-after": "5",
      });
    }
    const upgradeHeader = request.headers.get("upgrade");
    if (request.method !== "GET" || upgradeHeader?.toLowerCase() !== "websocket") {
      return errorResponse(
        400,
        `Cannot answer ${request.method} /ws as it expects a WebSocket upgrade ` +
          `(GET with 'Upgrade: websocket'): current value is ${
            JSON.stringify(upgradeHeader ?? "")
          }`,
      );
    }
    const origin = request.headers.get("origin");
    if (origin !== null && !this.#originAllowed(origin, request)) {
      return errorResponse(
        403,
        `Cannot accept a WebSocket from the page's origin as it must be this server's ` +
          `(${this.#ownHost(request)}) or an allowed origin: current value is ${
            JSON.stringify(origin)
          }`,
      );
    }
    let service: string | undefined;
    let minSeverity: number | undefined;
    try {
      const params = new URL(request.url).searchParams;
      service = parseService(params);
      minSeverity = parseSeverity(params);
    } catch (error) {
      if (error instanceof BadRequestError) return errorResponse(400, error.message);
      throw error;
    }
    let upgraded: { socket: WebSocket; response: Response };
    try {
      upgraded = Deno.upgradeWebSocket(request);
    } catch (error) {
      // E.g. a missing Sec-WebSocket-Key: the request is malformed, not the server.
      return errorResponse(
        400,
        `Cannot upgrade to a WebSocket: ${error instanceof Error ? error.message : error}`,
      );
    }
    const client: Client = { socket: upgraded.socket, service, minSeverity, queue: [] };
    this.#register(client);
    return upgraded.response;
  }

  /**
   * Queues log entries for the clients whose filters take them. Cheap when no client is
   * connected: nothing is converted. With `toEntry`, `items` are converted to entries here,
   * each once (e.g. `(log) => wireLog(log)`); an item it throws on is skipped and logged.
   */
  publish(entries: readonly LiveLogEntry[]): void;
  publish<T>(items: readonly T[], toEntry: (item: T) => LiveLogEntry): void;
  publish<T>(items: readonly T[], toEntry?: (item: T) => LiveLogEntry): void {
    if (this.#clients.size === 0 || items.length === 0) return;
    const clients = [...this.#clients];
    let failed = 0;
    let failure: unknown;
    for (const item of items) {
      let entry: LiveLogEntry;
      let text: string | undefined;
      try {
        entry = toEntry ? toEntry(item) : item as LiveLogEntry;
        for (const client of clients) {
          if (
            (client.service === undefined || entry.service_name === client.service) &&
            (client.minSeverity === undefined || entry.severity_number >= client.minSeverity)
          ) {
            text ??= JSON.stringify(entry);
            client.queue.push(text);
          }
        }
      } catch (error) {
        failed++;
        failure = error;
      }
    }
    if (failed > 0) {
      this.#logger?.warn("live hub skipped log entries it cannot convert", {
        skipped: failed,
        error: failure,
      });
    }
    let waiting = false;
    for (const client of clients) {
      if (client.queue.length >= this.#flushItems) this.#flush(client);
      // Still queued past the bound: its socket neither opened nor took the entries.
      if (client.queue.length > this.#maxQueued) {
        this.#dropSlow(client, `more than ${this.#maxQueued} entries queued`);
      } else if (client.queue.length > 0) waiting = true;
    }
    if (waiting && this.#timer === undefined) {
      this.#timer = setTimeout(() => this.#tick(), this.#flushIntervalMs);
    }
  }

  /** Closes every client with code 1001, drops what is queued, and takes no new clients. */
  close(): void {
    this.#closed = true;
    this.#stopTimer();
    for (const client of [...this.#clients]) {
      this.#unregister(client);
      try {
        client.socket.close(CLOSE_GOING_AWAY, "Argus is shutting down");
      } catch {
        // Already closing.
      }
    }
  }

  #originAllowed(origin: string, request: Request): boolean {
    // The same decision as the HTTP app's (lib/security.ts), which checks /ws before auth.
    return originAllowed(origin, this.#ownHost(request), this.#allowedOrigins) ||
      (this.#isOriginAllowed?.(origin, request) ?? false);
  }

  #ownHost(request: Request): string {
    return request.headers.get("host") ?? new URL(request.url).host;
  }

  #register(client: Client): void {
    this.#clients.add(client);
    this.#stats.connections++;
    const { socket } = client;
    socket.addEventListener("open", () => this.#flush(client));
    const gone = () => this.#unregister(client);
    socket.addEventListener("close", gone);
    socket.addEventListener("error", gone);
  }

  /** Forgets a client (idempotent); what was queued for it is dropped. */
  #unregister(client: Client): void {
    if (!this.#clients.delete(client)) return;
    this.#stats.droppedItems += client.queue.length;
    client.queue = [];
    if (this.#clients.size === 0) this.#stopTimer();
  }

  #stopTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    this.#timer = undefined;
    for (const client of [...this.#clients]) this.#flush(client);
  }

  /** Sends all that is queued for an open client, `flushItems` entries per message. */
  #flush(client: Client): void {
    const { socket, queue } = client;
    if (queue.length === 0 || socket.readyState !== WebSocket.OPEN) return;
    if (socket.bufferedAmount > this.#maxBufferedBytes) {
      this.#dropSlow(client, `${socket.bufferedAmount} bytes unsent`);
      return;
    }
    let sent = 0;
    while (sent < queue.length) {
      const chunk = queue.slice(sent, sent + this.#flushItems);
      try {
        socket.send(`[${chunk.join(",")}]`);
      } catch (error) {
        this.#logger?.warn("live client cannot be sent to: disconnected", { error });
        this.#unregister(client);
        return;
      }
      sent += chunk.length;
      this.#stats.sentMessages++;
      this.#stats.sentItems += chunk.length;
      this.#observer?.liveMessageSent(chunk.length);
      if (sent < queue.length && socket.bufferedAmount > this.#maxBufferedBytes) {
        client.queue = queue.slice(sent);
        this.#dropSlow(client, `${socket.bufferedAmount} bytes unsent`);
        return;
      }
    }
    client.queue = [];
  }

  #dropSlow(client: Client, why: string): void {
    const dropped = client.queue.length;
    this.#unregister(client);
    this.#stats.slowDisconnects++;
    this.#observer?.liveClientDropped();
    this.#logger?.warn("live client too slow: disconnected", { why, dropped });
    try {
      // The close frame queues behind the unsent bytes; the client is forgotten already, and
      // what the socket holds stays bounded by maxBufferedBytes plus one message.
      client.socket.close(CLOSE_TOO_SLOW, `client too slow: ${dropped} items dropped`);
    } catch {
      // Already closing.
    }
  }
}
