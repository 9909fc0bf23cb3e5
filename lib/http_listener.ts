/**
 * Argus's HTTP listeners (HTTP_PORT, OTLP_HTTP_PORT), with the connection hygiene `Deno.serve`
 * lacks: a cap on open connections shared by every listener (HTTP_MAX_CONNECTIONS, kept below the
 * open-file limit), a header timeout (HTTP_HEADER_TIMEOUT: a connection on which no request has
 * begun within it, after it opened or after its last answer, is closed), and accept errors such
 * as `Too many open files` logged and survived instead of ending the process. Also the bounded
 * body reader the receivers share (a size limit, a deadline for the whole body, a byte budget
 * across all requests, and a buffer of its own) and the open-file limit of a process.
 *
 * Why not `Deno.serve`: under Deno 2.9.6 it accepts connections in Rust, keeps a connection that
 * never finishes its headers open forever, has no connection cap, and an EMFILE from its accept
 * loop rejects its `finished` promise and ends the process (measured: 1,100 slow connections
 * with a 1024 descriptor limit killed Argus). So each listener here accepts with `Deno.listen`
 * and hands every connection to Deno's HTTP server for one connection,
 * `Deno[Deno.internal].serveHttpOnConnection`. That is an internal API: this module is the only
 * place that touches it, checks at start that it is there, and falls back to `Deno.serve` (with
 * a warning that the limits are off) when it is not. Three more internal facts are relied on,
 * each checked where it is used:
 *
 * - A connection's server is a resource whose id is the next one after a cancel handle made just
 *   before it (resource ids are handed out in order, and serving one connection creates exactly
 *   one resource). Closing that resource (`core.tryClose`) ends the connection at once and is
 *   harmless once it is gone, unlike the serve function's AbortSignal, whose listener throws an
 *   uncaught BadResource when the connection has already ended.
 * - When the connection's server ends after a WebSocket upgrade, Deno closes the WebSocket too
 *   (its forced shutdown tears down the server's WebSockets, deno#22387). The listener closes the
 *   server's resource as soon as the socket opens, so that shutdown finds nothing to close and
 *   the socket lives on; the socket is found on the 101 response (`[[associated_ws]]`).
 * - A WebSocket's own resource (`[[rid]]`) can be closed to drop its TCP connection at once.
 *
 * @module
 */
import type { Logger } from "./logger.ts";
import { errorMessage } from "../utils/errors.ts";

// --- Deno internals, in one place ---------------------------------------------------------------

type ServeHandler = (
  request: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
) => Response | Promise<Response>;

type ServeOnConnection = (
  connection: Deno.Conn,
  signal: AbortSignal | undefined,
  handler: ServeHandler,
  onError: (error: unknown) => Response | Promise<Response>,
  onListen: (scheme: string) => void,
) => Deno.HttpServer<Deno.NetAddr>;

interface DenoCore {
  resources?: () => Record<string, string>;
  tryClose?: (rid: number) => void;
  createCancelHandle?: () => number;
}

interface DenoInternals {
  serveHttpOnConnection?: ServeOnConnection;
  core?: DenoCore;
}

function denoInternals(): DenoInternals {
  const deno = Deno as unknown as { internal?: symbol } & Record<symbol, DenoInternals | undefined>;
  return (deno.internal === undefined ? undefined : deno[deno.internal]) ?? {};
}

const internals = denoInternals();
const core = internals.core ?? {};

/**
 * Why the connection limits cannot be applied in this Deno, or undefined when they can. Checked
 * before serving: a Deno without these internals gets `Deno.serve` and a warning.
 */
export function connectionLimitsUnsupported(): string | undefined {
  const missing = [
    typeof internals.serveHttpOnConnection === "function" ? "" : "serveHttpOnConnection",
    typeof core.tryClose === "function" ? "" : "core.tryClose",
    typeof core.createCancelHandle === "function" ? "" : "core.createCancelHandle",
    typeof core.resources === "function" ? "" : "core.resources",
  ].filter((name) => name !== "");
  return missing.length === 0
    ? undefined
    : `this Deno (${Deno.version.deno}) lacks the internal ${missing.join(", ")} Argus's ` +
      "listeners rely on (written for Deno 2.9)";
}

/** Resource ids whose guessed owner was checked against `core.resources()` (see below). */
let ridChecks = 0;
let ridByScan = false;

/**
 * Serves one connection and answers the resource id of its server. The id is the cancel handle's
 * plus one; the first few are checked against the resource table, and should that ever be wrong
 * (another Deno), every later id is found by scanning the table instead (slower, still right).
 */
function serveConnection(
  conn: Deno.Conn,
  handler: ServeHandler,
  onError: (error: unknown) => Response | Promise<Response>,
): { server: Deno.HttpServer<Deno.NetAddr>; rid: number | undefined } {
  const before = core.createCancelHandle!();
  core.tryClose!(before);
  const server = internals.serveHttpOnConnection!(conn, undefined, handler, onError, () => {});
  if (!ridByScan && ridChecks >= 8) return { server, rid: before + 1 };
  const resources = core.resources!();
  if (!ridByScan) {
    ridChecks++;
    if (resources[String(before + 1)] === "http") return { server, rid: before + 1 };
    ridByScan = true;
  }
  let newest: number | undefined;
  for (const [rid, name] of Object.entries(resources)) {
    if (name === "http" && (newest === undefined || Number(rid) > newest)) newest = Number(rid);
  }
  return { server, rid: newest };
}

/** The WebSocket Deno.upgradeWebSocket attached to its 101 response, if any. */
function socketOf(response: Response): WebSocket | undefined {
  const key = Object.getOwnPropertySymbols(response).find((symbol) =>
    symbol.description === "[[associated_ws]]"
  );
  const socket = key === undefined
    ? undefined
    : (response as unknown as Record<symbol, unknown>)[key];
  return socket instanceof WebSocket ? socket : undefined;
}

/** The resource id of an open WebSocket, if it can be read. */
function socketRid(socket: WebSocket): number | undefined {
  const key = Object.getOwnPropertySymbols(socket).find((symbol) =>
    symbol.description === "[[rid]]"
  );
  const rid = key === undefined ? undefined : (socket as unknown as Record<symbol, unknown>)[key];
  return typeof rid === "number" ? rid : undefined;
}

// --- the open-file limit ------------------------------------------------------------------------

export interface FileLimit {
  soft: number;
  hard: number;
}

function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (text === "unlimited" || text === "infinity") return Number.MAX_SAFE_INTEGER;
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/**
 * True when `descriptor` is granted already: asking for it would make Deno prompt on a terminal
 * (e.g. in a container started with `-it` that allows running Deno only).
 */
function granted(descriptor: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false;
  }
}

/**
 * The open-file limit (RLIMIT_NOFILE) of process `pid`, read with `prlimit` (util-linux; needs
 * --allow-run) or else from /proc (needs --allow-read there); undefined when neither works.
 */
export function fileLimitOf(pid: number): FileLimit | undefined {
  if (granted({ name: "run", command: "prlimit" })) return prlimitOf(pid) ?? procLimitOf(pid);
  return procLimitOf(pid);
}

function prlimitOf(pid: number): FileLimit | undefined {
  try {
    const output = new Deno.Command("prlimit", {
      args: ["--pid", String(pid), "--nofile", "--raw", "--noheadings", "--output=SOFT,HARD"],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    const [soft, hard] = new TextDecoder().decode(output.stdout).trim().split(/\s+/);
    const limit = { soft: parseLimit(soft), hard: parseLimit(hard) };
    if (output.success && limit.soft !== undefined && limit.hard !== undefined) {
      return limit as FileLimit;
    }
  } catch {
    // no prlimit here: try /proc
  }
  return undefined;
}

function procLimitOf(pid: number): FileLimit | undefined {
  const path = `/proc/${pid}/limits`;
  if (!granted({ name: "read", path })) return undefined;
  try {
    const limits = Deno.readTextFileSync(path);
    const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
    const soft = parseLimit(line?.[1]), hard = parseLimit(line?.[2]);
    return soft === undefined || hard === undefined ? undefined : { soft, hard };
  } catch {
    return undefined;
  }
}

export interface RaisedFileLimit {
  /** The limit after the attempt, or undefined when it cannot be read. */
  limit: FileLimit | undefined;
  /** The soft limit before, when it was raised. */
  raisedFrom?: number;
  /** Why it could not be raised, when it was below the hard limit and stayed there. */
  failure?: string;
}

/**
 * Raises the soft open-file limit of process `pid` to its hard limit, as far as the OS allows an
 * unprivileged process (`prlimit --pid`): the common soft limit of 1024 is far below what one
 * connection per client needs, while the hard limit is usually much higher. Deno 2.9 already does
 * this for itself at start (measured: started with 1024:4096, it runs with 4096:4096), so this
 * matters for a runtime that does not; either way the answer is the limit to size caps under.
 */
export function raiseFileLimit(pid: number): RaisedFileLimit {
  const before = fileLimitOf(pid);
  if (before === undefined) {
    return { limit: undefined, failure: "the limit cannot be read (no prlimit, no /proc access)" };
  }
  if (before.soft >= before.hard) return { limit: before };
  if (!granted({ name: "run", command: "prlimit" })) {
    return { limit: before, failure: "Argus may not run prlimit (--allow-run)" };
  }
  const hard = before.hard === Number.MAX_SAFE_INTEGER ? "unlimited" : String(before.hard);
  let failure: string | undefined;
  try {
    const output = new Deno.Command("prlimit", {
      args: ["--pid", String(pid), `--nofile=${hard}:${hard}`],
      stdout: "null",
      stderr: "piped",
    }).outputSync();
    if (!output.success) failure = new TextDecoder().decode(output.stderr).trim();
  } catch (error) {
    failure = errorMessage(error);
  }
  const after = fileLimitOf(pid) ?? before;
  if (after.soft > before.soft) return { limit: after, raisedFrom: before.soft };
  return { limit: after, failure: failure || "prlimit left it unchanged" };
}

/**
 * The connection cap that fits under `fileLimit`: `wanted` (HTTP_MAX_CONNECTIONS), lowered so
 * that `reserved` descriptors stay free for everything else (database pool, dead-letter and
 * SQLite files, the gateway's pipes), and never below 16.
 */
export function connectionCapFor(
  wanted: number,
  fileLimit: FileLimit | undefined,
  reserved: number,
): number {
  if (fileLimit === undefined) return wanted;
  return Math.max(16, Math.min(wanted, fileLimit.soft - reserved));
}

// --- connections ----------------------------------------------------------------------------------

/** What the pool does to connections, counted since start (for logs, metrics and tests). */
export interface ConnectionStats {
  /** Connections open now (WebSockets included). */
  open: number;
  /** Connections closed by Argus whose descriptors Deno has not released yet. */
  closing: number;
  accepted: number;
  /** Idle connections closed to make room for a new one at the cap. */
  evicted: number;
  /** New connections turned away at the cap (503) because every open one was busy. */
  refused: number;
  /** Connections closed by the header timeout. */
  timedOut: number;
  /** Failed accepts (e.g. EMFILE), survived. */
  acceptErrors: number;
}

export interface ConnectionPoolOptions {
  /** Most connections open at once across the listeners sharing the pool (effective cap). */
  maxConnections: number;
  /** Milliseconds: no request begun within this after opening or the last answer closes it. */
  headerTimeoutMs: number;
  logger: Logger;
}

/** One accepted connection. */
class Tracked {
  /** Requests begun and not yet fully answered. */
  busy = 0;
  /** performance.now() when `busy` last became 0 (or the connection opened). */
  idleSince: number;
  /** Set after a WebSocket upgrade: the connection is the socket's from then on. */
  socket: WebSocket | undefined;
  /** The resource of the connection's HTTP server, until it is closed. */
  rid: number | undefined;
  closed = false;
  /** Aborted, and its descriptor not yet known to be released. */
  closing = false;

  constructor(readonly listener: Listener, now: number) {
    this.idleSince = now;
  }

  /**
   * Ends the connection at once (safe to call on one that already ended); false when there was
   * nothing to close it by.
   */
  abort(): boolean {
    if (this.closed) return false;
    this.closed = true;
    if (this.socket !== undefined) {
      const rid = socketRid(this.socket);
      if (rid !== undefined) core.tryClose!(rid);
      else this.socket.close(1001);
      return true;
    }
    if (this.rid === undefined) return false;
    core.tryClose!(this.rid);
    return true;
  }
}

/**
 * The connections of every listener that shares it: the cap, the header timeout, and eviction.
 * At the cap, a new connection closes the one idle the longest with no request in progress (a
 * keep-alive, or one still sending its headers), so that slow clients cannot lock out a health
 * probe; only when every connection is busy is the newcomer refused with a 503.
 */
export class ConnectionPool {
  readonly maxConnections: number;
  readonly headerTimeoutMs: number;
  readonly #logger: Logger;
  /**
   * In the order each became idle (accepted, or answered its last request): the first idle one
   * met is the one idle the longest.
   */
  readonly #open = new Set<Tracked>();
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #stats = { accepted: 0, evicted: 0, refused: 0, timedOut: 0, acceptErrors: 0 };
  #acceptErrorsLogged = 0;
  #closing = 0;
  #refusing = 0;
  #lastAcceptErrorLog = -Infinity;

  constructor(options: ConnectionPoolOptions) {
    if (!Number.isInteger(options.maxConnections) || options.maxConnections < 1) {
      throw new RangeError(
        `Cannot use 'maxConnections' as it must be a positive integer: current value is ${options.maxConnections}`,
      );
    }
    if (!(options.headerTimeoutMs > 0)) {
      throw new RangeError(
        `Cannot use 'headerTimeoutMs' as it must be positive: current value is ${options.headerTimeoutMs}`,
      );
    }
    this.maxConnections = options.maxConnections;
    this.headerTimeoutMs = options.headerTimeoutMs;
    this.#logger = options.logger;
  }

  stats(): ConnectionStats {
    return { open: this.#open.size, closing: this.#closing, ...this.#stats };
  }

  /**
   * Connections closed by Argus whose descriptors are still held. Deno releases a connection's
   * socket a moment after its server is closed; under a flood of evictions these add up, so the
   * listeners stop accepting while there are many (the cap counts descriptors, not promises).
   */
  get closing(): number {
    return this.#closing;
  }

  /** True when one more refusal may be written (each holds a descriptor up to a second). */
  startRefusal(): boolean {
    if (this.#refusing >= MAX_REFUSING) return false;
    this.#refusing++;
    return true;
  }

  endRefusal(): void {
    this.#refusing--;
  }

  /** True when one more connection may be served now, after evicting an idle one if need be. */
  admit(): boolean {
    if (this.#open.size < this.maxConnections) return true;
    if (this.evictIdle()) return true;
    this.#stats.refused++;
    return false;
  }

  /**
   * Closes the connection idle the longest (no request in progress: a keep-alive between
   * requests, or one still sending its headers); false when there is none. A client that sends
   * requests now and then is therefore evicted after every slow client that never finished one.
   */
  evictIdle(): boolean {
    for (const tracked of this.#open) {
      if (tracked.busy === 0 && tracked.socket === undefined && !tracked.closed) {
        this.#stats.evicted++;
        this.close(tracked);
        return true;
      }
    }
    return false;
  }

  /** An accept that failed (EMFILE and the like): logged at most every 10 s, never thrown. */
  acceptFailed(error: unknown, setting: string): void {
    this.#stats.acceptErrors++;
    const now = performance.now();
    if (now - this.#lastAcceptErrorLog >= 10_000) {
      this.#logger.warn(
        "a connection could not be accepted: closing idle connections and retrying",
        {
          port: setting,
          error,
          failures: this.#stats.acceptErrors - this.#acceptErrorsLogged,
          open: this.#open.size,
          hint: /too many open files|os error 24|EMFILE/i.test(String(error))
            ? "the open-file limit is reached: lower HTTP_MAX_CONNECTIONS or raise the limit (ulimit -n)"
            : undefined,
        },
      );
      this.#lastAcceptErrorLog = now;
      this.#acceptErrorsLogged = this.#stats.acceptErrors;
    }
    // A descriptor freed now lets the next accept succeed.
    this.evictIdle();
  }

  add(tracked: Tracked): void {
    this.#stats.accepted++;
    this.#open.add(tracked);
    if (this.#sweeper === undefined) {
      // One timer for every connection, rather than one per request on the hot path.
      const every = Math.max(50, Math.min(1_000, this.headerTimeoutMs / 4));
      const sweeper = setInterval(() => this.#sweep(), every);
      Deno.unrefTimer(sweeper);
      this.#sweeper = sweeper;
    }
  }

  /** A connection answered its last request in progress: it is now the most recently idle. */
  idle(tracked: Tracked): void {
    tracked.idleSince = performance.now();
    if (this.#open.delete(tracked)) this.#open.add(tracked);
  }

  /** Forgets a connection that ended: its descriptor is released. */
  ended(tracked: Tracked): void {
    this.#forget(tracked);
    tracked.closed = true;
    if (tracked.closing) {
      tracked.closing = false;
      this.#closing--;
    }
  }

  /** Forgets a connection and ends it at once; `ended` follows when Deno has let go of it. */
  close(tracked: Tracked): void {
    this.#forget(tracked);
    if (!tracked.abort()) return;
    tracked.closing = true;
    this.#closing++;
  }

  /** Connections of `listener`, for its shutdown. */
  of(listener: Listener): Tracked[] {
    return [...this.#open].filter((tracked) => tracked.listener === listener);
  }

  #forget(tracked: Tracked): void {
    this.#open.delete(tracked);
    if (this.#open.size === 0 && this.#sweeper !== undefined) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  /** The counts last logged, so that pressure on the cap is reported at most every 10 s. */
  #reported = { evicted: 0, refused: 0, at: -Infinity };

  #report(): void {
    const { evicted, refused } = this.#stats;
    const now = performance.now();
    if (now - this.#reported.at < 10_000) return;
    if (evicted === this.#reported.evicted && refused === this.#reported.refused) return;
    this.#logger.warn("HTTP connections reached HTTP_MAX_CONNECTIONS: idle ones were closed", {
      max: this.maxConnections,
      open: this.#open.size,
      evicted: evicted - this.#reported.evicted,
      refused: refused - this.#reported.refused,
      hint: refused > this.#reported.refused
        ? "newcomers were refused (503) as every connection was busy"
        : undefined,
    });
    this.#reported = { evicted, refused, at: now };
  }

  #sweep(): void {
    this.#report();
    const deadline = performance.now() - this.headerTimeoutMs;
    for (const tracked of this.#open) {
      if (tracked.busy === 0 && tracked.socket === undefined && tracked.idleSince <= deadline) {
        this.#stats.timedOut++;
        this.close(tracked);
      }
    }
  }
}

// --- listeners ------------------------------------------------------------------------------------

const remoteAddresses = new WeakMap<Request, Deno.NetAddr>();
const connections = new WeakMap<Request, Tracked>();

/** The address of the client that sent `request` to one of these listeners, if known. */
export function remoteAddressOf(request: Request): Deno.NetAddr | undefined {
  return remoteAddresses.get(request);
}

/**
 * Ends at once the TCP connection that carried `request` (e.g. a WebSocket upgrade whose client
 * does not complete the close handshake), without waiting for unsent bytes; true when it did.
 */
export function abortConnection(request: Request): boolean {
  const tracked = connections.get(request);
  if (tracked === undefined || tracked.closed) return false;
  tracked.listener.pool.close(tracked);
  return true;
}

export interface ServeOptions {
  hostname: string;
  port: number;
  handler: ServeHandler;
  pool: ConnectionPool;
  logger: Logger;
  /** The setting naming the port, for logs (e.g. "HTTP_PORT"). */
  setting: string;
  /** Answers a handler that threw; by default a logged 500. */
  onError?: (error: unknown) => Response | Promise<Response>;
}

/** Connections being closed beyond which the listeners pause accepting (see `closing`). */
const MAX_CLOSING = 32;
/** Refusals being written at once; beyond, a refused connection is closed without an answer. */
const MAX_REFUSING = 16;

const BUSY_BODY = (cap: number) =>
  JSON.stringify({
    error: `Argus has its most connections open (HTTP_MAX_CONNECTIONS, ${cap}), each with a ` +
      "request in progress: retry later",
  });

/** A raw answer to a connection refused at the cap, written before it is closed. */
function busyResponse(cap: number): Uint8Array {
  const body = BUSY_BODY(cap);
  return new TextEncoder().encode(
    "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\n" +
      `connection: close\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
  );
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // closed already
  }
}

/** Answers a refused connection with `answer` (within a second) and closes it. */
async function refuse(conn: Deno.Conn, answer: Uint8Array, pool: ConnectionPool): Promise<void> {
  if (!pool.startRefusal()) return closeQuietly(conn);
  const timer = setTimeout(() => closeQuietly(conn), 1_000);
  try {
    await conn.write(answer);
  } catch {
    // the client went away
  } finally {
    clearTimeout(timer);
    closeQuietly(conn);
    pool.endRefusal();
  }
}

let fallbackWarned = false;

/** One listening port. */
class Listener implements Deno.HttpServer<Deno.NetAddr> {
  readonly addr: Deno.NetAddr;
  readonly finished: Promise<void>;
  readonly pool: ConnectionPool;
  readonly #listener: Deno.TcpListener;
  readonly #options: ServeOptions;
  readonly #busy: Uint8Array;
  #closing = false;
  /** The connections' servers, until each ends. */
  readonly #ended = new Set<Promise<void>>();

  constructor(options: ServeOptions) {
    this.#options = options;
    this.pool = options.pool;
    this.#listener = Deno.listen({ hostname: options.hostname, port: options.port });
    this.addr = this.#listener.addr;
    this.#busy = busyResponse(options.pool.maxConnections);
    this.finished = this.#acceptLoop();
  }

  async #acceptLoop(): Promise<void> {
    let backoffMs = 0;
    while (!this.#closing) {
      // Let Deno release the sockets of connections just closed before taking more.
      for (let waited = 0; this.pool.closing >= MAX_CLOSING && waited < 100; waited += 5) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
        backoffMs = 0;
      } catch (error) {
        if (
          this.#closing || error instanceof Deno.errors.BadResource ||
          error instanceof Deno.errors.Interrupted
        ) break;
        this.pool.acceptFailed(error, this.#options.setting);
        // Waiting lets descriptors free up; the client waits in the backlog meanwhile.
        backoffMs = Math.min(1_000, Math.max(10, backoffMs * 2));
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
        continue;
      }
      if (!this.pool.admit()) {
        void refuse(conn, this.#busy, this.pool);
        continue;
      }
      this.#serve(conn);
    }
    while (this.#ended.size > 0) await Promise.all([...this.#ended]);
  }

  #serve(conn: Deno.TcpConn): void {
    const tracked = new Tracked(this, performance.now());
    const pool = this.pool;
    const handler = this.#options.handler;
    const done = () => {
      if (--tracked.busy === 0) pool.idle(tracked);
    };
    const adopt = (socket: WebSocket) => {
      tracked.socket = socket;
      socket.addEventListener("open", () => {
        // Before the connection's server ends and, with it, the socket (see the module notes).
        if (tracked.rid !== undefined) core.tryClose!(tracked.rid);
        tracked.rid = undefined;
      }, { once: true });
      socket.addEventListener("close", () => pool.ended(tracked), { once: true });
    };
    const wrapped: ServeHandler = (request, info) => {
      tracked.busy++;
      remoteAddresses.set(request, info.remoteAddr);
      connections.set(request, tracked);
      const answered = (response: Response) => {
        if (response.status === 101) {
          const socket = socketOf(response);
          if (socket !== undefined) adopt(socket);
        }
        // Busy until the answer is written (a streamed page or trace can take a while).
        info.completed.then(done, done);
        return response;
      };
      let result: Response | Promise<Response>;
      try {
        result = handler(request, info);
      } catch (error) {
        done();
        throw error;
      }
      if (result instanceof Response) return answered(result);
      return result.then(answered, (error) => {
        done();
        throw error;
      });
    };
    const onError = this.#options.onError ?? ((error: unknown) => {
      this.#options.logger.error("request failed", { port: this.#options.setting, error });
      return Response.json({ error: "Internal server error: see the Argus log" }, { status: 500 });
    });
    let served: { server: Deno.HttpServer<Deno.NetAddr>; rid: number | undefined };
    try {
      served = serveConnection(conn, wrapped, onError);
    } catch (error) {
      this.#options.logger.warn("a connection could not be served", { error });
      try {
        conn.close();
      } catch {
        // already closed
      }
      return;
    }
    tracked.rid = served.rid;
    pool.add(tracked);
    const ended = served.server.finished.catch(() => {
      // A connection reset or an aborted connection: nothing to do but forget it.
    }).finally(() => {
      tracked.rid = undefined;
      // An open socket outlives its connection's server; one whose upgrade failed does not.
      const state = tracked.socket?.readyState;
      if (state !== WebSocket.OPEN && state !== WebSocket.CLOSING) pool.ended(tracked);
      this.#ended.delete(ended);
    });
    this.#ended.add(ended);
  }

  /**
   * Stops accepting, closes idle connections at once, lets requests in progress finish (up to
   * `graceMs`), then closes what is left; WebSockets are their hub's to close.
   */
  async shutdown(graceMs = 10_000): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      try {
        this.#listener.close();
      } catch {
        // already closed
      }
    }
    const sweep = () => {
      for (const tracked of this.pool.of(this)) {
        if (tracked.busy === 0 && tracked.socket === undefined) this.pool.close(tracked);
      }
    };
    sweep();
    const deadline = Date.now() + graceMs;
    while (this.pool.of(this).some((t) => t.socket === undefined) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      sweep(); // a request that ended leaves its connection idle
    }
    for (const tracked of this.pool.of(this)) this.pool.close(tracked);
    await this.finished;
  }

  ref(): void {
    this.#listener.ref();
  }

  unref(): void {
    this.#listener.unref();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }
}

/**
 * Serves `handler` on `hostname:port` with the pool's limits: the replacement for `Deno.serve`
 * of Argus's HTTP ports. Throws as `Deno.listen` does (e.g. `AddrInUse`). In a Deno without the
 * internals this needs, it serves with `Deno.serve` and logs once that the limits are off.
 */
export function serveHttp(options: ServeOptions): Deno.HttpServer<Deno.NetAddr> {
  const unsupported = connectionLimitsUnsupported();
  if (unsupported === undefined) return new Listener(options);
  if (!fallbackWarned) {
    fallbackWarned = true;
    options.logger.warn(
      "HTTP connection limits are off (HTTP_MAX_CONNECTIONS, HTTP_HEADER_TIMEOUT): serving " +
        "with Deno.serve",
      { reason: unsupported },
    );
  }
  const { handler } = options;
  return Deno.serve({
    hostname: options.hostname,
    port: options.port,
    onListen: () => {},
    onError: options.onError,
  }, (request, info) => {
    remoteAddresses.set(request, info.remoteAddr);
    return handler(request, info);
  });
}

// --- request bodies -------------------------------------------------------------------------------

/**
 * Bytes of request bodies held at once across all requests (INFLIGHT_MAX_BYTES). A
 * request reserves what it holds before holding it; one that does not fit is answered "retry
 * later" before more of it is read. When nothing is reserved any request fits, so that one
 * larger than the budget is not refused forever.
 */
export class ByteBudget {
  #used = 0;

  constructor(readonly maxBytes: number) {
    if (!(maxBytes > 0)) {
      throw new RangeError(
        `Cannot use 'maxBytes' as it must be positive: current value is ${maxBytes}`,
      );
    }
  }

  get used(): number {
    return this.#used;
  }

  /** A holder of reservations, released together at the end of a request. */
  lease(): BudgetLease {
    return new BudgetLease(this);
  }

  tryReserve(bytes: number): boolean {
    if (this.#used > 0 && this.#used + bytes > this.maxBytes) return false;
    this.#used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }
}

export class BudgetLease {
  #held = 0;
  #released = false;

  constructor(readonly budget: ByteBudget) {}

  get held(): number {
    return this.#held;
  }

  /** Reserves `bytes` more; false when the budget cannot take them now. */
  reserve(bytes: number): boolean {
    if (this.#released || !this.budget.tryReserve(bytes)) return false;
    this.#held += bytes;
    return true;
  }

  /** Gives every reserved byte back (idempotent). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.budget.release(this.#held);
    this.#held = 0;
  }
}

/** The body passed `maxBytes`. */
export class BodyTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`The request body is larger than ${maxBytes} bytes`);
    this.name = "BodyTooLargeError";
  }
}

/** The body did not arrive whole within its time. */
export class BodyTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`The request body did not arrive within ${timeoutMs} ms`);
    this.name = "BodyTimeoutError";
  }
}

/** The byte budget across requests is spent: retry later. */
export class BodyBudgetError extends Error {
  constructor(readonly maxBytes: number) {
    super(`Request bodies of ${maxBytes} bytes are being received already`);
    this.name = "BodyBudgetError";
  }
}

export interface ReadBodyOptions {
  /** Largest body accepted. */
  maxBytes: number;
  /** Milliseconds the whole body may take to arrive, from now. */
  timeoutMs: number;
  /** Where the bytes held are reserved; none by default. */
  lease?: BudgetLease;
  /** The size announced (Content-Length), to allocate once. */
  expectedBytes?: number;
}

const INITIAL_CAPACITY = 16_384;

/**
 * Reads a stream whole into one buffer of its own: each chunk is copied and let go at once (a
 * body trickled a byte at a time must not keep a large network buffer per byte), the buffer
 * doubles as needed up to `maxBytes`, every growth is reserved on `lease` first, and the whole
 * read is cut off after `timeoutMs`. Throws BodyTooLargeError, BodyTimeoutError,
 * BodyBudgetError, or what the stream throws.
 */
export async function readBody(
  stream: ReadableStream<Uint8Array>,
  options: ReadBodyOptions,
): Promise<Uint8Array> {
  const { maxBytes, lease } = options;
  const reader = stream.getReader();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    reader.cancel(new BodyTimeoutError(options.timeoutMs)).catch(() => {});
  }, options.timeoutMs);
  let buffer = new Uint8Array(0);
  let length = 0;
  const grow = (needed: number) => {
    if (needed > maxBytes) throw new BodyTooLargeError(maxBytes);
    let capacity = Math.max(buffer.byteLength * 2, INITIAL_CAPACITY, needed);
    if (buffer.byteLength === 0 && options.expectedBytes !== undefined) {
      capacity = Math.max(needed, options.expectedBytes);
    }
    capacity = Math.min(capacity, maxBytes);
    if (lease !== undefined && !lease.reserve(capacity - buffer.byteLength)) {
      throw new BodyBudgetError(lease.budget.maxBytes);
    }
    const next = new Uint8Array(capacity);
    next.set(buffer.subarray(0, length));
    buffer = next;
  };
  try {
    if (options.expectedBytes !== undefined && options.expectedBytes > 0) {
      grow(Math.min(options.expectedBytes, maxBytes));
    }
    while (true) {
      const { done, value } = await reader.read();
      if (timedOut) throw new BodyTimeoutError(options.timeoutMs);
      if (done) break;
      if (length + value.byteLength > buffer.byteLength) grow(length + value.byteLength);
      buffer.set(value, length);
      length += value.byteLength;
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    // Nobody else holds the buffer: detaching it frees its memory now, not at the next
    // collection (a flood of refused uploads would otherwise wait for one).
    buffer.buffer.transfer(0);
    if (timedOut && !(error instanceof BodyTooLargeError)) {
      throw new BodyTimeoutError(options.timeoutMs);
    }
    throw error;
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
  return buffer.subarray(0, length);
}
