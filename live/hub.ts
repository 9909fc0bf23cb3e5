/**
 * The live log hub behind `GET /ws` (../shared/spec/api.md): WebSocket clients receive the log
 * records ingest has made durable, as JSON arrays of `/api/logs` items, optionally filtered by
 * `service` (exact) and `severity` (minimum).
 *
 * Delivery. Each client has its own queue of entries, filled at publish time by its own filter,
 * so a client receives only what it asked for. A flush sends what is queued for a client in
 * messages of at most `flushItems` entries, as far as its socket takes them (see Memory); it
 * happens as soon as a publish leaves `flushItems` or more queued, else on one shared timer
 * `flushIntervalMs` after entries were queued. The timer runs only while something is queued: an
 * idle hub holds no timer.
 *
 * Memory. A stalled client (one that stops reading) must not hold the server's memory. What a
 * client is sent leaves JavaScript at once: Deno copies each message into a buffer of the socket
 * (`WebSocket.bufferedAmount`) that only the peer's reading empties, and no close frame, close
 * or idle timeout of the socket frees it while the peer reads nothing (measured: 100 stalled
 * clients took a process from 151 to 836 MiB; glibc then kept the freed memory, 706 MiB). So
 * the hub checks before each send: it sends only while the socket holds less than
 * `maxBufferedBytes`, in messages of at most that many bytes, and keeps the rest in the
 * client's queue, where an entry is one reference to a string shared by every client. A
 * client is disconnected (close code 1013, its queued entries dropped and counted) when its
 * queue passes `maxQueuedPerClient` entries, or when it took nothing for `stallTimeoutMs` while
 * entries waited; the others are not held up. Each entry is serialized once, whatever the
 * number of clients that receive it.
 *
 * Closing. The close frame waits behind the unsent bytes, and Deno keeps the connection until
 * the peer answers it. A dropped client whose socket has not closed `closeTimeoutMs` later is
 * released: through the listener's `abortConnection` when given, else by closing the socket's
 * resource, so that the connection ends as soon as the peer has taken its last bytes instead of
 * waiting for an answer that a stalled peer never sends. Neither ends the TCP connection of a
 * peer that never reads again (measured with Deno 2.9.6: the write Deno has pending keeps it
 * open, ESTABLISHED with its send queue full): that costs a descriptor, the kernel's socket
 * buffers and at most one message of the server's memory, until the peer reads or goes away.
 *
 * The hub depends on no route: it takes wire entries (or items and a converter to them, which is
 * called only while clients are connected). It sees the logs of this process only.
 *
 * @module
 */
import type { Logger } from "../lib/logger.ts";
import { originAllowed, originOf } from "../lib/security.ts";
import { errorMessage } from "../utils/errors.ts";
import { listedService } from "../utils/text_prefix.ts";

/** What the hub reads of a log entry to filter it; the rest is sent as it is. */
export interface LiveLogEntry {
  service_name: string;
  /** OTLP SeverityNumber, 0 (unspecified) to 24. */
  severity_number: number;
}

/** What the hub reports as it works (`ArgusMetrics` has these methods). */
/** What one client is sent: records of `service` only, of `minSeverity` or more; all by default. */
export interface LiveFilter {
  service?: string;
  minSeverity?: number;
}

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
  /**
   * Bytes one socket may hold unsent before the hub stops sending to it (entries then wait in
   * the client's queue); also the most bytes of one message but a single larger entry.
   * Default 256 KiB.
   */
  maxBufferedBytes?: number;
  /**
   * Milliseconds a client may take nothing while entries wait for it before it is
   * disconnected. Default 30 s.
   */
  stallTimeoutMs?: number;
  /**
   * Milliseconds a disconnected client has to complete the close handshake before its
   * connection is released without it. Default 5 s.
   */
  closeTimeoutMs?: number;
  /**
   * Ends the connection that carried an upgrade request (lib/http_listener.ts has one); true
   * when it did. Used, instead of closing the socket's resource, for clients that did not close
   * within `closeTimeoutMs`.
   */
  abortConnection?: (request: Request) => boolean;
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
  /** Disconnected clients whose connection was released without a close handshake. */
  forcedCloses: number;
  /** Bytes the sockets of connected clients hold unsent now. */
  bufferedBytes: number;
}

/** Close code for a client disconnected because it does not keep up ("try again later"). */
export const CLOSE_TOO_SLOW = 1013;
/** Close code for clients closed because Argus is shutting down. */
export const CLOSE_GOING_AWAY = 1001;

interface Client {
  socket: WebSocket;
  /** The upgrade request, kept only when `abortConnection` may need it. */
  request: Request | undefined;
  service: string | undefined;
  minSeverity: number | undefined;
  /** Serialized entries waiting to be sent (shared with the other clients' queues). */
  queue: string[];
  /**
   * `performance.now()` of the first flush since the last send that could send nothing while
   * entries waited; undefined while the client takes what it is sent.
   */
  blockedSince: number | undefined;
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
  readonly #stallTimeoutMs: number;
  readonly #closeTimeoutMs: number;
  readonly #abortConnection: ((request: Request) => boolean) | undefined;
  readonly #allowedOrigins: Set<string>;
  readonly #isOriginAllowed: ((origin: string, request: Request) => boolean) | undefined;
  readonly #logger: Pick<Logger, "info" | "warn"> | undefined;
  readonly #observer: LiveHubObserver | undefined;
  readonly #clients = new Set<Client>();
  /** Deadlines of dropped clients' close handshakes. */
  readonly #closeTimers = new Set<ReturnType<typeof setTimeout>>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** `performance.now()` at which `#timer` fires. */
  #timerDue = 0;
  /**
   * Delay of the next attempt while a socket holds `maxBufferedBytes` (ms): 1 after a pass that
   * sent something, doubled up to `flushIntervalMs` after each pass that sent nothing.
   */
  #retryMs = 1;
  #closed = false;
  #stats = {
    connections: 0,
    sentMessages: 0,
    sentItems: 0,
    droppedItems: 0,
    slowDisconnects: 0,
    forcedCloses: 0,
  };

  constructor(options: LiveHubOptions = {}) {
    this.#flushItems = positive("flushItems", options.flushItems ?? 100);
    this.#flushIntervalMs = positive("flushIntervalMs", options.flushIntervalMs ?? 500);
    this.#maxQueued = positive("maxQueuedPerClient", options.maxQueuedPerClient ?? 10_000);
    this.#maxBufferedBytes = positive("maxBufferedBytes", options.maxBufferedBytes ?? 256 << 10);
    this.#stallTimeoutMs = positive("stallTimeoutMs", options.stallTimeoutMs ?? 30_000);
    this.#closeTimeoutMs = positive("closeTimeoutMs", options.closeTimeoutMs ?? 5_000);
    this.#abortConnection = options.abortConnection;
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
    let bufferedBytes = 0;
    for (const { socket } of this.#clients) bufferedBytes += socket.bufferedAmount;
    return { clients: this.#clients.size, ...this.#stats, bufferedBytes };
  }

  /**
   * Answers `GET /ws` for a client that takes what `filter` lets through (its query, parsed by
   * the route: routes/logs.ts, LIVE_QUERY): 400 for a request that is not a WebSocket upgrade,
   * 403 for a browser page of a foreign origin, 503 after `close()`; else the 101 response of
   * `Deno.upgradeWebSocket`, with the client registered at once (entries published while its
   * socket opens are queued for it).
   */
  upgrade(request: Request, filter: LiveFilter = {}): Response {
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
    let upgraded: { socket: WebSocket; response: Response };
    try {
      upgraded = Deno.upgradeWebSocket(request);
    } catch (error) {
      // E.g. a missing Sec-WebSocket-Key: the request is malformed, not the server.
      return errorResponse(
        400,
        `Cannot upgrade to a WebSocket: ${errorMessage(error)}`,
      );
    }
    const client: Client = {
      socket: upgraded.socket,
      request: this.#abortConnection ? request : undefined,
      service: filter.service,
      minSeverity: filter.minSeverity,
      queue: [],
      blockedSince: undefined,
    };
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
      /** The entry's service as rows hold it, as the clients' are (parseService). */
      let service: string | undefined;
      try {
        entry = toEntry ? toEntry(item) : item as LiveLogEntry;
        for (const client of clients) {
          if (
            (client.service === undefined ||
              (service ??= listedService(entry.service_name)) === client.service) &&
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
    this.#pass(clients, (client) => client.queue.length >= this.#flushItems);
  }

  /**
   * Closes every client with code 1001, drops what is queued, and takes no new clients. Peers
   * that do not answer are not waited for: the process is ending.
   */
  close(): void {
    this.#closed = true;
    this.#stopTimer();
    for (const timer of this.#closeTimers) clearTimeout(timer);
    this.#closeTimers.clear();
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
    socket.addEventListener("open", () => {
      if (!this.#clients.has(client)) return;
      this.#pass([client], () => true);
    });
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

  /** Arms the timer to fire in `delayMs`, unless it fires sooner already. */
  #armTimer(delayMs: number): void {
    const due = performance.now() + delayMs;
    if (this.#timer !== undefined && this.#timerDue <= due) return;
    clearTimeout(this.#timer);
    this.#timerDue = due;
    this.#timer = setTimeout(() => this.#tick(), delayMs);
  }

  #tick(): void {
    this.#timer = undefined;
    this.#pass([...this.#clients], () => true);
  }

  /**
   * Flushes the `clients` that `shouldFlush`, drops those too far behind, and arms the timer
   * for what is left: entries that wait go out `flushIntervalMs` after they came at the latest;
   * a socket that holds its bound is tried again soon, as a WebSocket tells nobody when its
   * buffer empties (1 ms after a pass that sent something, backing off to `flushIntervalMs`
   * while nothing moves, so that a stalled client costs little).
   */
  #pass(clients: readonly Client[], shouldFlush: (client: Client) => boolean): void {
    const now = performance.now();
    const messages: MessageCache = new Map();
    let waiting = false;
    let held = false;
    let progressed = false;
    for (const client of clients) {
      if (shouldFlush(client) && this.#flush(client, now, messages)) progressed = true;
      if (this.#dropIfSlow(client, now) || client.queue.length === 0) continue;
      waiting = true;
      const { socket } = client;
      if (
        socket.readyState === WebSocket.OPEN && socket.bufferedAmount >= this.#maxBufferedBytes
      ) held = true;
    }
    if (held) {
      this.#retryMs = progressed ? 1 : Math.min(this.#retryMs * 2, this.#flushIntervalMs);
      this.#armTimer(this.#retryMs);
    } else if (waiting) {
      this.#armTimer(this.#flushIntervalMs);
    }
  }

  /**
   * Sends what is queued for an open client, in messages of at most `flushItems` entries and
   * `maxBufferedBytes` bytes, while its socket holds less than `maxBufferedBytes` unsent: so
   * the socket never holds more than that bound plus one message. The rest stays queued. True
   * when something was sent. Clients in step (same filter, same backlog) are sent the same
   * message strings, made once per pass.
   */
  #flush(client: Client, now: number, messages: MessageCache = new Map()): boolean {
    const { socket, queue } = client;
    if (queue.length === 0) {
      client.blockedSince = undefined;
      return false;
    }
    if (socket.readyState !== WebSocket.OPEN) {
      // Not open yet (or closing without the hub): nothing can be sent, which counts as stalled.
      client.blockedSince ??= now;
      return false;
    }
    let sent = 0;
    while (sent < queue.length && socket.bufferedAmount < this.#maxBufferedBytes) {
      let end = sent + 1;
      let bytes = queue[sent]!.length + 2;
      const last = Math.min(queue.length, sent + this.#flushItems);
      while (end < last && bytes + queue[end]!.length + 1 <= this.#maxBufferedBytes) {
        bytes += queue[end]!.length + 1;
        end++;
      }
      const chunk = queue.slice(sent, end);
      try {
        socket.send(message(messages, chunk));
      } catch (error) {
        this.#logger?.warn("live client cannot be sent to: disconnected", { error });
        client.queue = queue.slice(sent);
        this.#unregister(client);
        return sent > 0;
      }
      sent = end;
      this.#stats.sentMessages++;
      this.#stats.sentItems += chunk.length;
      this.#observer?.liveMessageSent(chunk.length);
    }
    if (sent > 0) client.queue = sent === queue.length ? [] : queue.slice(sent);
    client.blockedSince = sent > 0 || client.queue.length === 0
      ? undefined
      : client.blockedSince ?? now;
    return sent > 0;
  }

  /** Disconnects a client that is too far behind; true when it did. */
  #dropIfSlow(client: Client, now: number): boolean {
    if (client.queue.length > this.#maxQueued) {
      this.#dropSlow(client, `more than ${this.#maxQueued} entries queued`);
      return true;
    }
    if (
      client.blockedSince !== undefined && now - client.blockedSince >= this.#stallTimeoutMs
    ) {
      this.#dropSlow(client, `took nothing for ${Math.round(now - client.blockedSince)} ms`);
      return true;
    }
    return false;
  }

  #dropSlow(client: Client, why: string): void {
    const dropped = client.queue.length;
    this.#unregister(client);
    this.#stats.slowDisconnects++;
    this.#observer?.liveClientDropped();
    this.#logger?.warn("live client too slow: disconnected", { why, dropped });
    this.#closeSlow(client, `client too slow: ${dropped} items dropped`);
  }

  /**
   * Starts the close handshake, and releases the connection if it has not closed
   * `closeTimeoutMs` later (a stalled peer never answers; its close frame may not even be
   * sent, as it waits behind the bytes the peer does not read).
   */
  #closeSlow(client: Client, reason: string): void {
    const { socket } = client;
    try {
      socket.close(CLOSE_TOO_SLOW, reason);
    } catch {
      // Already closing.
    }
    if (socket.readyState === WebSocket.CLOSED) return;
    const timer = setTimeout(() => {
      this.#closeTimers.delete(timer);
      if (socket.readyState === WebSocket.CLOSED) return;
      const aborted = client.request !== undefined &&
        (this.#abortConnection?.(client.request) ?? false);
      const released = aborted || releaseServerSocket(socket);
      if (released) this.#stats.forcedCloses++;
      this.#logger?.info("live client did not close in time: connection released", {
        timeoutMs: this.#closeTimeoutMs,
        how: aborted ? "connection aborted" : released ? "socket resource closed" : "forgotten",
      });
    }, this.#closeTimeoutMs);
    this.#closeTimers.add(timer);
    // A shutdown does not wait for stalled peers.
    Deno.unrefTimer(timer);
    socket.addEventListener("close", () => {
      clearTimeout(timer);
      this.#closeTimers.delete(timer);
    }, { once: true });
  }
}

/**
 * Messages made in one pass, by their first entry: clients whose queues hold the same entries
 * (the very same strings) get the same message string, instead of one copy each.
 */
type MessageCache = Map<string, { entries: string[]; text: string }[]>;

function message(cache: MessageCache, entries: string[]): string {
  const first = entries[0]!;
  const made = cache.get(first);
  // Entries are compared by identity first (the same string objects), so this is cheap.
  const same = made?.find((m) =>
    m.entries.length === entries.length && m.entries.every((entry, i) => entry === entries[i])
  );
  if (same) return same.text;
  const text = `[${entries.join(",")}]`;
  if (made) made.push({ entries, text });
  else cache.set(first, [{ entries, text }]);
  return text;
}

/**
 * Closes the resource behind a server-side WebSocket of Deno 2.9 without waiting for the peer's
 * close frame, through Deno's internal `core.tryClose` (no public API does this: `close()`
 * waits for the peer's answer for ever). Its pending writes still finish, so the connection
 * ends once the peer has taken them, or goes away. False when this Deno has no such internals.
 */
function releaseServerSocket(socket: WebSocket): boolean {
  const internal = (Deno as unknown as { internal?: symbol }).internal;
  const core = internal === undefined
    ? undefined
    : (Deno as unknown as Record<symbol, { core?: { tryClose?: (rid: number) => void } }>)[
      internal
    ]?.core;
  const ridKey = Object.getOwnPropertySymbols(socket).find((key) => key.description === "[[rid]]");
  const rid = ridKey === undefined
    ? undefined
    : (socket as unknown as Record<symbol, unknown>)[ridKey];
  if (typeof core?.tryClose !== "function" || typeof rid !== "number") return false;
  core.tryClose(rid);
  return true;
}
