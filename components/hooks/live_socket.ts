/**
 * The live log stream's client: one WebSocket to Argus's `/ws` at a time, reconnected with
 * exponential backoff when it drops, and closed when the view no longer wants it.
 *
 * `LiveSocket` holds the socket and the retry timer (plain TypeScript, tested with a fake
 * WebSocket and fake timers); `useLiveSocket` keeps one `LiveSocket` per island in a ref, so
 * that re-renders never open a second one: a new socket is opened only when the URL changes (a
 * filter changed), and only after the previous one was closed.
 *
 * @module
 */
import { useEffect, useRef, useState } from "preact/hooks";

/** Where the stream stands, for the page to show. */
export type LiveStatus =
  | { state: "off" }
  | { state: "connecting"; attempt: number }
  | { state: "open" }
  /** Closed by the server or the network; a new attempt starts after `retryInMs`. */
  | { state: "waiting"; retryInMs: number; reason: string; attempt: number };

/** What the client uses of a WebSocket (the browser's, or a fake in tests). */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  close(code?: number, reason?: string): void;
}

export interface BackoffOptions {
  /** Delay before the first retry, in ms. Default 500. */
  initialMs?: number;
  /** Longest delay, in ms. Default 30,000. */
  maxMs?: number;
  /** Growth per failed attempt. Default 2. */
  factor?: number;
}

/**
 * Milliseconds before retry number `attempt` (0 for the first): `initialMs × factor^attempt`
 * up to `maxMs`, of which the upper half is random ("equal jitter"), so that many pages dropped
 * at once by a restart do not all come back in the same instant.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const { initialMs = 500, maxMs = 30_000, factor = 2 } = options;
  const base = Math.min(maxMs, initialMs * factor ** Math.max(0, attempt));
  return Math.round(base / 2 + (random() * base) / 2);
}

/** Why a socket closed, in words for the page. */
export function closeReason(code: number, reason: string): string {
  if (code === 1013) return `Argus dropped this view as too slow (${reason || "try again later"})`;
  if (code === 1001) return "Argus is restarting";
  if (code === 1006) return "the connection was lost";
  return reason ? `closed: ${reason}` : `closed (code ${code})`;
}

/** The `/ws` URL of this page's server with the given filters (empty values left out). */
export function liveUrl(
  location: { protocol: string; host: string },
  params: Record<string, string | undefined>,
): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
  const query = search.toString();
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws${query ? `?${query}` : ""}`;
}

const CONNECTING = 0;

export interface LiveSocketOptions<T> {
  url: string;
  /** Each message's array of items (messages that are not a JSON array are skipped). */
  onItems(items: T[]): void;
  /** Every time a socket opens, the first and each reconnection (e.g. to fill the gap). */
  onOpen?(): void;
  onStatus?(status: LiveStatus): void;
  backoff?: BackoffOptions;
  /** A connection that stayed open this long (ms) resets the backoff. Default 5,000. */
  stableMs?: number;
  /** For tests: the WebSocket, the clock, the timers and the jitter. */
  createSocket?: (url: string) => SocketLike;
  now?: () => number;
  setTimer?: (callback: () => void, ms: number) => number;
  clearTimer?: (handle: number) => void;
  random?: () => number;
}

/** One live connection, kept up until `stop()`. */
export class LiveSocket<T> {
  readonly #options: LiveSocketOptions<T>;
  #socket: SocketLike | null = null;
  #timer: number | undefined;
  /** Failed attempts since the last stable connection. */
  #attempt = 0;
  #openedAt: number | undefined;
  #running = false;
  #status: LiveStatus = { state: "off" };

  constructor(options: LiveSocketOptions<T>) {
    this.#options = options;
  }

  get status(): LiveStatus {
    return this.#status;
  }

  /** Connects, unless already connected or waiting to reconnect. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#connect();
  }

  /** Closes the socket and cancels any retry; `start()` may be called again later. */
  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) {
      (this.#options.clearTimer ?? clearTimeout)(this.#timer);
      this.#timer = undefined;
    }
    const socket = this.#socket;
    this.#socket = null;
    if (socket !== null) {
      socket.onmessage = null;
      socket.onerror = null;
      socket.onclose = null;
      if (socket.readyState === CONNECTING) {
        // Closing a socket that is still connecting makes the browser log an error: let it open,
        // then close it. Its messages are no longer listened to.
        socket.onopen = () => socket.close(1000, "Live view closed");
      } else {
        socket.onopen = null;
        socket.close(1000, "Live view closed");
      }
    }
    this.#setStatus({ state: "off" });
  }

  #setStatus(status: LiveStatus): void {
    this.#status = status;
    this.#options.onStatus?.(status);
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  #connect(): void {
    this.#timer = undefined;
    this.#setStatus({ state: "connecting", attempt: this.#attempt });
    const create = this.#options.createSocket ?? ((url: string) => new WebSocket(url));
    const socket = create(this.#options.url);
    this.#socket = socket;
    this.#openedAt = undefined;
    socket.onopen = () => {
      this.#openedAt = this.#now();
      this.#setStatus({ state: "open" });
      this.#options.onOpen?.();
    };
    socket.onmessage = (event: MessageEvent) => {
      if (typeof event.data !== "string") return;
      let items: unknown;
      try {
        items = JSON.parse(event.data);
      } catch {
        return;
      }
      if (Array.isArray(items) && items.length > 0) this.#options.onItems(items as T[]);
    };
    socket.onclose = (event: CloseEvent) => this.#closed(socket, event.code, event.reason);
  }

  #closed(socket: SocketLike, code: number, reason: string): void {
    if (socket !== this.#socket || !this.#running) return;
    this.#socket = null;
    const stableMs = this.#options.stableMs ?? 5_000;
    if (this.#openedAt !== undefined && this.#now() - this.#openedAt >= stableMs) {
      this.#attempt = 0;
    }
    const retryInMs = backoffDelay(this.#attempt, this.#options.backoff, this.#options.random);
    this.#attempt++;
    this.#setStatus({
      state: "waiting",
      retryInMs,
      reason: closeReason(code, reason),
      attempt: this.#attempt,
    });
    this.#timer = (this.#options.setTimer ?? setTimeout)(() => this.#connect(), retryInMs);
  }
}

/**
 * The live stream of an island: connected while `url` is not null, to that URL. The one
 * `LiveSocket` is kept in a ref; it is replaced only when `url` changes, and stopped on unmount
 * and when the page is hidden for the back/forward cache (`pagehide`), then resumed on `pageshow`.
 * Handlers may change on every render without reconnecting.
 */
export function useLiveSocket<T>(
  url: string | null,
  handlers: { onItems(items: T[]): void; onOpen?(): void },
): LiveStatus {
  const [status, setStatus] = useState<LiveStatus>({ state: "off" });
  const live = useRef<LiveSocket<T> | null>(null);
  const latest = useRef(handlers);
  latest.current = handlers;
  useEffect(() => {
    if (url === null) return;
    live.current?.stop();
    const socket = new LiveSocket<T>({
      url,
      onItems: (items) => latest.current.onItems(items),
      onOpen: () => latest.current.onOpen?.(),
      onStatus: setStatus,
    });
    live.current = socket;
    socket.start();
    const onHide = () => socket.stop();
    const onShow = (event: PageTransitionEvent) => {
      if (event.persisted) socket.start();
    };
    addEventListener("pagehide", onHide);
    addEventListener("pageshow", onShow);
    return () => {
      removeEventListener("pagehide", onHide);
      removeEventListener("pageshow", onShow);
      socket.stop();
      if (live.current === socket) live.current = null;
    };
  }, [url]);
  return url === null ? { state: "off" } : status;
}
