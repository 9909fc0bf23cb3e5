/**
 * The gRPC gateway's TCP side: it accepts client connections itself and hands each to grpc-js
 * (`Server.createConnectionInjector`, grpc-js's public API for connections it did not accept),
 * through a stream that removes the GOAWAY frames the client sends.
 *
 * Why: under Deno 2.9.6, an HTTP/2 server session that receives a GOAWAY can corrupt memory
 * inside nghttp2 and end the process (denoland/deno#36788: `find_stream_on_goaway_func:
 * Assertion stream->closed_next == NULL`, SIGSEGV, or `malloc(): invalid size`). The trigger is a
 * GOAWAY from the client: in tests/fault_grpc_gateway_test.ts, 200 clients that send one (half with
 * their call in flight, half after its answer) abort a bare grpc-js server under Deno (after 9 of
 * them in the run recorded in docs/benchmarks.md, with SIGSEGV), and the gateway, which removes the
 * clients' GOAWAY frames before nghttp2 reads them, answers all 200 (docs/benchmarks.md, "gRPC
 * gateway aborts"). Every
 * client sends one when it closes a channel (grpc-js `close()`, grpc-go `Close()`, an SDK's
 * shutdown), so this is what users' exporters do.
 *
 * Removing them is harmless for a gRPC server: a client's GOAWAY only tells the server not to
 * open streams of its own (a gRPC server never does) and which of those it processed; the
 * client then closes the connection once its calls are answered (the end of the connection is
 * what the server acts on, and it answers what is in flight first). A client that never
 * closes is closed, like any other connection, when nothing has moved on it for
 * `idleConnectionMs`.
 *
 * The listener also applies the gateway's connection limits (before: through grpc-js's private
 * server map): at most `maxConnections` open (more are closed when accepted); a connection
 * whose client has not completed the HTTP/2 connection preface (its first SETTINGS frame)
 * within `prefaceTimeoutMs`, whatever it trickles, or on which no byte has moved either way for
 * `idleConnectionMs`, is closed by destroying its socket, never with a GOAWAY of our own (which
 * aborted the gateway too, with grpc-js's idle limit under 1,100 slow clients). A failed accept
 * (EMFILE) is reported, not fatal.
 *
 * @module
 */
import net from "node:net";
import { Duplex } from "node:stream";

const FRAME_HEADER_BYTES = 9;
/** "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n": the client connection preface before the first frame. */
const CLIENT_PREFACE_BYTES = 24;
const FRAME_SETTINGS = 0x4;
const FRAME_GOAWAY = 0x7;

/**
 * Follows the HTTP/2 frames a client sends, in chunks as they arrive, and gives back the same
 * bytes less every GOAWAY frame. Frames are not checked: nghttp2 checks what it is given (a
 * client that does not speak HTTP/2 is refused there, as before).
 */
export class Http2GoawayFilter {
  /** GOAWAY frames removed so far. */
  goaways = 0;
  /** The client's first SETTINGS frame (the end of its connection preface) has arrived. */
  settled = false;
  #prefaceLeft = CLIENT_PREFACE_BYTES;
  /** A frame header split over chunks, held back until it is whole. */
  readonly #header = new Uint8Array(FRAME_HEADER_BYTES);
  #headerFill = 0;
  /** Payload bytes of the current frame still to come. */
  #payloadLeft = 0;
  #dropping = false;

  /**
   * The bytes of `chunk` to pass on, in order: subarrays of `chunk` (no copy in the common case
   * of whole frames), and a copy of a frame header that began in an earlier chunk.
   */
  feed(chunk: Uint8Array): Uint8Array[] {
    const pieces: Uint8Array[] = [];
    const length = chunk.length;
    let run = -1; // start of the bytes being passed on, or -1
    const flush = (end: number) => {
      if (run >= 0 && end > run) pieces.push(chunk.subarray(run, end));
      run = -1;
    };
    let i = 0;
    while (i < length) {
      if (this.#prefaceLeft > 0) {
        const take = Math.min(this.#prefaceLeft, length - i);
        if (run < 0) run = i;
        i += take;
        this.#prefaceLeft -= take;
      } else if (this.#payloadLeft > 0) {
        const take = Math.min(this.#payloadLeft, length - i);
        if (!this.#dropping && run < 0) run = i;
        i += take;
        this.#payloadLeft -= take;
        if (this.#payloadLeft === 0) this.#dropping = false;
      } else if (this.#headerFill === 0 && length - i >= FRAME_HEADER_BYTES) {
        // A whole frame header: the usual case.
        const type = chunk[i + 3]!;
        this.#payloadLeft = (chunk[i]! << 16) | (chunk[i + 1]! << 8) | chunk[i + 2]!;
        if (type === FRAME_GOAWAY) {
          flush(i);
          this.goaways++;
          this.#dropping = this.#payloadLeft > 0;
        } else {
          if (type === FRAME_SETTINGS) this.settled = true;
          if (run < 0) run = i;
        }
        i += FRAME_HEADER_BYTES;
      } else {
        flush(i);
        const take = Math.min(FRAME_HEADER_BYTES - this.#headerFill, length - i);
        this.#header.set(chunk.subarray(i, i + take), this.#headerFill);
        this.#headerFill += take;
        i += take;
        if (this.#headerFill === FRAME_HEADER_BYTES) {
          this.#headerFill = 0;
          const header = this.#header;
          this.#payloadLeft = (header[0]! << 16) | (header[1]! << 8) | header[2]!;
          if (header[3] === FRAME_GOAWAY) {
            this.goaways++;
            this.#dropping = this.#payloadLeft > 0;
          } else {
            if (header[3] === FRAME_SETTINGS) this.settled = true;
            pieces.push(header.slice());
          }
        }
      }
    }
    flush(length);
    return pieces;
  }
}

/**
 * A client connection as grpc-js sees it: the socket's bytes less the client's GOAWAY frames,
 * and what the gateway's sweep needs to know of it.
 */
class FilteredConnection extends Duplex {
  readonly socket: net.Socket;
  readonly frames = new Http2GoawayFilter();
  readonly openedAt = performance.now();
  /** When a byte last moved either way (performance.now()). */
  movedAt = this.openedAt;

  constructor(socket: net.Socket) {
    super({ allowHalfOpen: false });
    this.socket = socket;
    socket.on("data", (chunk: Uint8Array) => {
      this.movedAt = performance.now();
      for (const piece of this.frames.feed(chunk)) {
        if (!this.push(piece)) socket.pause();
      }
    });
    socket.on("end", () => this.push(null));
    socket.on("close", () => this.destroy());
    socket.on("error", (error) => this.destroy(error));
  }

  // What node:http2 and grpc-js read of a socket (the peer's address for logs and getPeer()).
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }
  get remoteFamily(): string | undefined {
    return this.socket.remoteFamily;
  }
  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }
  get localPort(): number | undefined {
    return this.socket.localPort;
  }
  setNoDelay(noDelay?: boolean): this {
    this.socket.setNoDelay(noDelay);
    return this;
  }
  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    this.socket.setKeepAlive(enable, initialDelay);
    return this;
  }
  setTimeout(timeout: number, callback?: () => void): this {
    this.socket.setTimeout(timeout, callback);
    return this;
  }
  ref(): this {
    this.socket.ref();
    return this;
  }
  unref(): this {
    this.socket.unref();
    return this;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(
    chunk: Uint8Array,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    this.movedAt = performance.now();
    this.socket.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}

export interface GatewayListenerOptions {
  host: string;
  port: number;
  /** Most connections open at once; more are closed when accepted. */
  maxConnections: number;
  /** Milliseconds a new connection has to complete the HTTP/2 preface (its SETTINGS frame). */
  prefaceTimeoutMs: number;
  /** A connection on which no byte has moved either way for this long is closed. */
  idleConnectionMs: number;
  /** Hands a connection to grpc-js (`ConnectionInjector.injectConnection`). */
  inject: (connection: Duplex) => void;
  /** A failed accept (EMFILE, …): reported, never fatal. */
  onAcceptError: (error: Error) => void;
}

export interface GatewayListener {
  readonly port: number;
  /** Connections open now. */
  readonly open: number;
  /** Client GOAWAY frames removed since the start. */
  readonly goawaysRemoved: number;
  /** Stops accepting; open connections are left as they are. */
  stopAccepting(): Promise<void>;
  /** Destroys every open connection's socket (no GOAWAY). */
  destroyAll(): void;
}

/** How often the listener checks that it still accepts, when nothing was accepted meanwhile. */
const ACCEPT_CHECK_MS = 1_000;
/** How long a probe connection may wait to be accepted before the listener is opened again. */
const ACCEPT_PROBE_MS = 1_000;
/** How long an accepted connection waits, while a probe is in flight, to be told from it. */
const PROBE_SETTLE_MS = 20;

/**
 * Listens on `host:port` and hands each accepted connection, filtered, to `inject`.
 *
 * A watchdog keeps it accepting: under Deno 2.9.6, node:net's listener can stop accepting after a
 * burst of connections it had to close (1,100 slow clients at the connection cap: about 1 run in 5
 * of tests/fault_connections_test.ts, with no accept error), locking every client out. When
 * nothing was accepted for a second, the listener connects to itself; a probe not accepted
 * within a second means the accept loop is gone, and a new listener takes the port (the open
 * connections stay). The probe is closed at once and never counts against the cap.
 */
export async function listenForGateway(options: GatewayListenerOptions): Promise<GatewayListener> {
  const connections = new Set<FilteredConnection>();
  let goawaysRemoved = 0;
  let acceptedAt = performance.now();
  /** Whether a probe is in flight, and its local port once it is connected. */
  let probing = false;
  let probePort: number | undefined;
  let stopped = false;
  const drop = (connection: FilteredConnection) => {
    connections.delete(connection);
    goawaysRemoved += connection.frames.goaways;
    connection.socket.destroy();
  };
  const admit = (socket: net.Socket) => {
    if (probePort !== undefined && socket.remotePort === probePort) {
      socket.destroy();
      return;
    }
    if (connections.size >= options.maxConnections) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const connection = new FilteredConnection(socket);
    connections.add(connection);
    connection.once("close", () => {
      if (connections.delete(connection)) goawaysRemoved += connection.frames.goaways;
    });
    options.inject(connection);
  };
  const accept = (socket: net.Socket) => {
    acceptedAt = performance.now();
    // While a probe is in flight, its own end may not know its port yet: a moment's wait tells
    // the probe apart from a client.
    if (probing) setTimeout(() => admit(socket), PROBE_SETTLE_MS);
    else admit(socket);
  };
  const listen = (port: number) => {
    const server = net.createServer({ pauseOnConnect: false }, accept);
    server.on("error", (error) => options.onAcceptError(error));
    return new Promise<{ server: net.Server; port: number }>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: options.host, port }, () => {
        server.off("error", reject);
        resolve({ server, port: (server.address() as net.AddressInfo).port });
      });
    });
  };
  const first = await listen(options.port);
  let server = first.server;
  const port = first.port;
  // One sweep for every connection: a timer per connection would cost as much as the connection.
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const connection of connections) {
      const slow = !connection.frames.settled &&
        now - connection.openedAt >= options.prefaceTimeoutMs;
      if (slow || now - connection.movedAt >= options.idleConnectionMs) drop(connection);
    }
  }, Math.max(50, Math.min(1_000, options.prefaceTimeoutMs / 4)));
  Deno.unrefTimer(sweep);
  const watchdog = setInterval(() => {
    if (stopped || probing || performance.now() - acceptedAt < ACCEPT_CHECK_MS) return;
    probing = true;
    const probedAt = performance.now();
    const host = options.host === "0.0.0.0" || options.host === "" ? "127.0.0.1" : options.host;
    const probe = net.connect({ host, port });
    probe.on("error", () => {/* refused or reset: the check below acts on it */});
    probe.once("connect", () => probePort = probe.localPort);
    setTimeout(() => {
      probe.destroy();
      probing = false;
      probePort = undefined;
      // Anything accepted since the probe left, the probe or a client: the loop is alive.
      if (stopped || acceptedAt >= probedAt) return;
      options.onAcceptError(new Error("the listener stopped accepting: listening again"));
      server.close();
      listen(port).then((fresh) => {
        if (stopped) fresh.server.close();
        else server = fresh.server;
      }).catch((error) => options.onAcceptError(error));
    }, ACCEPT_PROBE_MS);
  }, ACCEPT_CHECK_MS);
  Deno.unrefTimer(watchdog);
  return {
    port,
    get open() {
      return connections.size;
    },
    get goawaysRemoved() {
      let count = goawaysRemoved;
      for (const connection of connections) count += connection.frames.goaways;
      return count;
    },
    stopAccepting() {
      stopped = true;
      clearInterval(sweep);
      clearInterval(watchdog);
      // close() stops accepting at once; its callback waits for every open connection to end,
      // which is destroyAll()'s work, so it is not awaited.
      if (server.listening) server.close();
      return Promise.resolve();
    },
    destroyAll() {
      for (const connection of [...connections]) drop(connection);
    },
  };
}
