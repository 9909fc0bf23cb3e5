/**
 * Keeps the OTLP/gRPC gateway process running.
 *
 * Why a separate process: under Deno 2.9.6, grpc-js's HTTP/2 server can abort the whole process
 * inside nghttp2 when a client closes a connection with requests in flight (denoland/deno#36788;
 * uncatchable from JavaScript). Isolated in the gateway, such an abort costs only the calls in
 * flight (their clients retry) and a restart; the core, its queue and its database connection
 * carry on. The gateway is restarted at once after an unexpected exit, then with a growing delay
 * (up to 2 s) if it keeps dying, and on the same port, so clients reconnect by themselves.
 *
 * @module
 */
import type { Logger } from "../lib/logger.ts";
import { connectionCapFor, fileLimitOf, raiseFileLimit } from "../lib/http_listener.ts";

export interface GrpcSupervisorOptions {
  host: string;
  /** `GRPC_PORT`; 0 takes a free port on the first start and keeps it for restarts. */
  port: number;
  coreUrl: string;
  maxRequestBytes: number;
  /** INGEST_TOKEN, checked by the gateway itself before it forwards anything. */
  ingestToken?: string | null;
  /**
   * HTTP_MAX_CONNECTIONS: the gateway's own cap on client connections, lowered to fit under its
   * open-file limit. Default 2048.
   */
  maxConnections?: number;
  /** HTTP_HEADER_TIMEOUT: a gRPC connection without a call this long is closed. Default 10 s. */
  idleTimeoutMs?: number;
  /**
   * GRPC_GATEWAY_HEAP: the gateway's V8 old space, in bytes. A binary built by `deno compile`
   * runs its gateway with the V8 flags built into it (scripts/compile.ts) instead.
   */
  heapBytes?: number;
  logger: Logger;
}

/** Descriptors the gateway keeps for itself: stdio, its pipes, connections to the core. */
const GATEWAY_RESERVED_FILES = 64;

const GATEWAY = new URL("./grpc_gateway.ts", import.meta.url).pathname;
/** The argument that makes a compiled Argus binary run as the gateway (scripts/binary_main.ts). */
export const GATEWAY_FLAG = "--argus-grpc-gateway";
const MAX_RESTART_DELAY_MS = 2_000;
/** A gateway that ran this long is considered healthy again: the next restart is immediate. */
const HEALTHY_AFTER_MS = 30_000;
const STOP_TIMEOUT_MS = 7_000;

/**
 * The gateway's command line after `Deno.execPath()`. A binary built by `deno compile` has no
 * `deno run`: its own executable is started again with GATEWAY_FLAG, and keeps the binary's
 * permissions less write and run (scripts/binary_main.ts), where `deno run` grants net and env.
 */
export function gatewayArgs(standalone: boolean, heapBytes = DEFAULT_GATEWAY_HEAP_BYTES): string[] {
  if (standalone) return [GATEWAY_FLAG];
  return ["run", "--allow-net", "--allow-env", `--v8-flags=${gatewayV8Flags(heapBytes)}`, GATEWAY];
}

/** GRPC_GATEWAY_HEAP's default. */
export const DEFAULT_GATEWAY_HEAP_BYTES = 64 * 1_048_576;

/**
 * The gateway's V8 heap: its old space as GRPC_GATEWAY_HEAP says, and a young generation of 1 MiB
 * semi-spaces rather than V8's up to 16 MiB. The gateway keeps almost nothing (each call's bytes
 * live until the core answers), so a small young generation costs no throughput, and it took the
 * gateway's peak RSS under load from ~170 to ~115 MiB (docs/benchmarks.md, "Memory").
 */
export function gatewayV8Flags(heapBytes: number): string {
  return `--max-old-space-size=${
    Math.max(16, Math.floor(heapBytes / 1_048_576))
  },--max-semi-space-size=1`;
}

export class GrpcSupervisor {
  readonly #options: GrpcSupervisorOptions;
  #child: Deno.ChildProcess | undefined;
  #port: number;
  #stopping = false;
  #restarts = 0;
  /** Unexpected exits in a row, each within HEALTHY_AFTER_MS of its start. */
  #failures = 0;
  #exited: Promise<void> = Promise.resolve();

  constructor(options: GrpcSupervisorOptions) {
    this.#options = options;
    this.#port = options.port;
  }

  /** The port the gateway listens on (known after `start()`). */
  get port(): number {
    return this.#port;
  }

  /** How many times the gateway was restarted after an unexpected exit. */
  get restarts(): number {
    return this.#restarts;
  }

  /** The gateway's process id, for tests that kill it. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts the gateway and resolves once it listens; a first start that fails is not retried. */
  async start(): Promise<void> {
    try {
      this.#port = await this.#spawn();
    } catch (error) {
      this.#stopping = true;
      throw new Error(
        `The OTLP/gRPC gateway did not start (is GRPC_PORT ${this.#options.port} in use on ` +
          `${this.#options.host}? its own messages are logged above)`,
        { cause: error },
      );
    }
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    const child = this.#child;
    if (child === undefined) return;
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }, STOP_TIMEOUT_MS);
    await this.#exited;
    clearTimeout(timer);
  }

  /**
   * The gateway's connection cap: it inherits the core's open-file limit (raised at start where
   * the OS allows), so the cap is sized from that before it starts.
   */
  #connectionCap(): number {
    const wanted = this.#options.maxConnections ?? 2048;
    return connectionCapFor(wanted, fileLimitOf(Deno.pid), GATEWAY_RESERVED_FILES);
  }

  /**
   * Raises the gateway's soft open-file limit to its hard one: it runs with only --allow-net and
   * --allow-env, so it cannot run `prlimit` itself. Needed when the core's own limit was not
   * raised before the gateway started; logged when it cannot be done.
   */
  #raiseFileLimit(pid: number): void {
    const raised = raiseFileLimit(pid);
    // An unknown limit (no prlimit, e.g. in the container image) is not worth a warning.
    if (raised.failure !== undefined && raised.limit !== undefined && !this.#limitWarned) {
      this.#limitWarned = true;
      this.#options.logger.warn("the gRPC gateway's open-file limit could not be raised", {
        limit: raised.limit?.soft,
        reason: raised.failure,
      });
    }
  }

  #limitWarned = false;

  #spawn(): Promise<number> {
    const { host, coreUrl, maxRequestBytes, logger } = this.#options;
    const child = new Deno.Command(Deno.execPath(), {
      args: gatewayArgs(Deno.build.standalone, this.#options.heapBytes),
      env: {
        ARGUS_GATEWAY_HOST: host,
        ARGUS_GATEWAY_PORT: String(this.#port),
        ARGUS_GATEWAY_CORE_URL: coreUrl,
        ARGUS_GATEWAY_MAX_REQUEST_BYTES: String(maxRequestBytes),
        ARGUS_GATEWAY_INGEST_TOKEN: this.#options.ingestToken ?? "",
        ARGUS_GATEWAY_MAX_CONNECTIONS: String(this.#connectionCap()),
        ARGUS_GATEWAY_IDLE_TIMEOUT_MS: String(this.#options.idleTimeoutMs ?? 10_000),
        NO_COLOR: "1",
      },
      // The gateway exits when this pipe closes: if the core dies, even by SIGKILL, no orphan
      // gateway keeps the port and answers clients for a core that is gone.
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    this.#raiseFileLimit(child.pid);
    const startedAt = Date.now();
    const listening = Promise.withResolvers<number>();
    void this.#pipeStderr(child);
    void this.#readPort(child, listening);
    this.#exited = child.status.then((status) => {
      listening.reject(new Error(`the gRPC gateway exited before listening (code ${status.code})`));
      if (this.#stopping) return;
      this.#restarts++;
      if (Date.now() - startedAt > HEALTHY_AFTER_MS) this.#failures = 0;
      const delayMs = this.#failures === 0
        ? 0
        : Math.min(MAX_RESTART_DELAY_MS, 100 * 2 ** (this.#failures - 1));
      this.#failures++;
      logger.warn("the OTLP/gRPC gateway exited: restarting it", {
        code: status.code,
        signal: status.signal ?? undefined,
        restart_in_ms: delayMs,
      });
      setTimeout(() => {
        if (this.#stopping) return;
        this.#spawn().catch((error) =>
          logger.error("the OTLP/gRPC gateway did not restart", { error })
        );
      }, delayMs);
    });
    return listening.promise;
  }

  async #readPort(child: Deno.ChildProcess, listening: PromiseWithResolvers<number>) {
    const decoder = new TextDecoder();
    let text = "";
    for await (const chunk of child.stdout) {
      text += decoder.decode(chunk, { stream: true });
      const line = /\{"listening":(\d+)\}/.exec(text);
      if (line) {
        const port = Number(line[1]);
        this.#options.logger.info("OTLP/gRPC gateway is listening", {
          url: `${this.#options.host}:${port}`,
          pid: child.pid,
        });
        listening.resolve(port);
        text = "";
      }
    }
  }

  async #pipeStderr(child: Deno.ChildProcess) {
    const decoder = new TextDecoder();
    let text = "";
    for await (const chunk of child.stderr) {
      text += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = text.indexOf("\n")) >= 0) {
        const line = text.slice(0, newline).trim();
        text = text.slice(newline + 1);
        if (line !== "") this.#options.logger.warn("gRPC gateway: " + line);
      }
    }
  }
}
