/**
 * `deno task simulate`: the seed's simulation lifecycle, on any OS. Starts the three chaos
 * services (and Argus, with `--start-argus`, when it does not answer), waits until they listen,
 * sends `POST /orders` on a schedule with a live progress bar, prints a summary with the Argus UI
 * link, then stops every process it started and removes what it created, also on Ctrl-C or a
 * failure. `--help` lists the options.
 *
 * Output: progress and messages on stderr, the summary on stdout (`--json`: only the JSON summary).
 * Exit codes: 0 done, 1 failed, 130 interrupted.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { type ServiceKey, SERVICES } from "./_config.ts";
import { Child, Cleanup } from "./_children.ts";
import { type OrderResult, sendOrders } from "./_load.ts";
import { randomSeed } from "./_random.ts";
import {
  parseSimulationArgs,
  type Protocol,
  type SimulationOptions,
  USAGE,
} from "./_simulation_options.ts";
import { formatSummary, progressBar, summarize } from "./_summary.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const encoder = new TextEncoder();

// Output must never stop a cleanup: a closed pipe (the reader went away) only loses the text.
function write(stream: typeof Deno.stdout, text: string) {
  try {
    const bytes = encoder.encode(text);
    for (let written = 0; written < bytes.length;) {
      written += stream.writeSync(bytes.subarray(written));
    }
  } catch {
    // nobody reads any more
  }
}

function stdout(text: string) {
  write(Deno.stdout, text);
}

function stderr(text: string) {
  write(Deno.stderr, text);
}

const INSTRUMENTATION: Record<Protocol, string> = {
  http: "Deno's built-in OpenTelemetry, OTLP/HTTP",
  grpc: "OpenTelemetry JS SDK, OTLP/gRPC",
};

/** Thrown (as the abort reason) when the user interrupts the run. */
class Interrupted extends Error {
  constructor(signal: string) {
    super(`Interrupted by ${signal}`);
    this.name = "Interrupted";
  }
}

function portOf(url: string): number {
  const parsed = new URL(url);
  return parsed.port === "" ? (parsed.protocol === "https:" ? 443 : 80) : Number(parsed.port);
}

async function argusAnswers(url: string): Promise<boolean> {
  if (portOf(url) === 0) return false;
  try {
    const response = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

/**
 * The permissions of `deno task start` (never more), with the project folder and the temporary
 * data folder named instead of ".".
 */
async function argusPermissions(dataDir: string): Promise<string[]> {
  const denoJson = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  const command: string = denoJson.tasks.start.command ?? denoJson.tasks.start;
  return command.split(/\s+/).filter((word) => word.startsWith("--allow-")).map((flag) =>
    flag === "--allow-read=."
      ? `--allow-read=${ROOT},${dataDir}`
      : flag === "--allow-write=."
      ? `--allow-write=${dataDir}`
      : flag
  );
}

interface ArgusTarget {
  /** The UI and API, without a trailing slash. */
  url: string;
  /** Where the services send telemetry. */
  otlpEndpoint: string;
}

async function startArgus(
  options: SimulationOptions,
  cleanup: Cleanup,
  children: Child[],
  signal: AbortSignal,
): Promise<ArgusTarget> {
  const dataDir = await Deno.makeTempDir({ prefix: "argus-simulation-" });
  // The guard removes it too, even when this process dies; this covers a guard that never ran.
  cleanup.add(`remove ${dataDir}`, async () => {
    await Deno.remove(dataDir, { recursive: true }).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  });
  const httpPort = portOf(options.argusUrl);
  // Argus's default ports, unless told otherwise; with HTTP port 0 (tests), any free ports.
  const defaultPort = (protocol: Protocol) =>
    httpPort === 0 ? 0 : (protocol === "http" ? 4318 : 4317);
  const otlpPort = options.otlpEndpoint === undefined
    ? defaultPort(options.protocol)
    : portOf(options.otlpEndpoint);
  const otherPort = defaultPort(options.protocol === "http" ? "grpc" : "http");
  const argus = new Child({
    name: "Argus",
    args: [
      "run",
      "--allow-run",
      `--allow-read=${dataDir}`,
      `--allow-write=${dataDir}`,
      fileURLToPath(new URL("./_argus_guard.ts", import.meta.url)),
      dataDir,
      "--",
      "run",
      ...await argusPermissions(dataDir),
      `${ROOT}/main.ts`,
    ],
    env: {
      HOST: "127.0.0.1",
      HTTP_PORT: String(httpPort),
      OTLP_HTTP_PORT: String(options.protocol === "http" ? otlpPort : otherPort),
      GRPC_PORT: String(options.protocol === "grpc" ? otlpPort : otherPort),
      DATA_DIR: dataDir,
      NO_COLOR: "1",
    },
    cwd: dataDir,
    politeStop: "stdin",
    // Killing the guard would leave Argus running: a signal makes it stop Argus (a second, at once).
    killSignal: "SIGTERM",
    onLine: options.verbose ? (line) => stderr(`[argus] ${line}\n`) : undefined,
  });
  children.push(argus);
  cleanup.add("stop Argus", () => argus.stop(45_000));
  stderr(`Starting Argus on a temporary database in ${dataDir} (removed at the end)…\n`);
  const listening = await argus.waitForLine(
    /Argus \S+ is listening url=(http:\/\/\S+?)\/?(\s|$)/,
    90_000,
    signal,
  );
  const otlpHttp = /OTLP\/HTTP receiver is listening url=(http:\/\/\S+?)\/?(\s|$)/.exec(
    argus.tail(),
  );
  const grpc = /OTLP\/gRPC gateway is listening .*?url=(\S+)/.exec(argus.tail());
  if (!otlpHttp || !grpc) {
    throw new Error(`Argus did not report its OTLP receivers; its last output:\n${argus.tail()}`);
  }
  const argusPid = /argus guard: Argus pid=(\d+)/.exec(argus.tail())?.[1] ?? "?";
  stderr(`Argus is listening on ${listening[1]}/ (pid ${argusPid}, guard pid ${argus.pid})\n`);
  return {
    url: listening[1]!,
    otlpEndpoint: options.protocol === "http" ? otlpHttp[1]! : `http://${grpc[1]!}`,
  };
}

async function findArgus(
  options: SimulationOptions,
  cleanup: Cleanup,
  children: Child[],
  signal: AbortSignal,
): Promise<ArgusTarget & { started: boolean }> {
  if (await argusAnswers(options.argusUrl)) {
    stderr(`Argus answers at ${options.argusUrl}/\n`);
    return {
      url: options.argusUrl,
      otlpEndpoint: options.otlpEndpoint ??
        (options.protocol === "http" ? "http://127.0.0.1:4318" : "http://127.0.0.1:4317"),
      started: false,
    };
  }
  if (!options.startArgus) {
    throw new Error(
      `Argus does not answer at ${options.argusUrl}/api/health: start it with ` +
        "`deno task start` in another terminal, or add --start-argus",
    );
  }
  return { ...await startArgus(options, cleanup, children, signal), started: true };
}

async function startServices(
  options: SimulationOptions,
  seed: number,
  otlpEndpoint: string,
  cleanup: Cleanup,
  children: Child[],
  signal: AbortSignal,
): Promise<string> {
  let downstream: string | undefined;
  for (const key of ["inventory", "payment", "order"] as ServiceKey[]) {
    const definition = SERVICES[key];
    const env: Record<string, string> = {
      HOST: "127.0.0.1",
      PORT: String(options.ports[key]),
      CHAOS_PROBABILITY: String(options.probabilities[key]),
      CHAOS_SEED: String(seed),
      CHAOS_LATENCY_SCALE: String(options.latencyScale),
      CHAOS_STOP_ON_STDIN_EOF: "true",
      // Read by the SDK mode's reader and by Deno itself (whose own default is 60 s).
      OTEL_METRIC_EXPORT_INTERVAL: String(options.metricIntervalMs),
      OTEL_SERVICE_NAME: definition.name,
      OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
      NO_COLOR: "1",
      ...(options.protocol === "http"
        ? {
          CHAOS_INSTRUMENTATION: "deno",
          OTEL_DENO: "true",
          OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
          // Export every second, and queue enough that a fast run drops nothing.
          OTEL_BSP_SCHEDULE_DELAY: "1000",
          OTEL_BSP_MAX_QUEUE_SIZE: "100000",
          OTEL_BLRP_SCHEDULE_DELAY: "1000",
          OTEL_BLRP_MAX_QUEUE_SIZE: "100000",
        }
        : { CHAOS_INSTRUMENTATION: "sdk", OTEL_DENO: "false" }),
    };
    if (definition.downstreamVariable && downstream) {
      env[definition.downstreamVariable] = downstream;
    }
    const service = new Child({
      name: definition.name,
      args: [
        "run",
        "--allow-net",
        "--allow-env",
        fileURLToPath(new URL(`./${key}_service.ts`, import.meta.url)),
      ],
      env,
      cwd: ROOT,
      politeStop: "stdin",
      onLine: options.verbose ? (line) => stderr(`[${definition.name}] ${line}\n`) : undefined,
    });
    children.push(service);
    cleanup.add(`stop ${definition.name}`, () => service.stop(15_000));
    const ready = await service.waitForLine(/ listening on (http:\/\/\S+)/, 60_000, signal);
    downstream = ready[1]!;
    stderr(`${definition.name} is listening on ${downstream} (pid ${service.pid})\n`);
  }
  return downstream!;
}

/** Resolves when Enter is pressed or `signal` aborts. */
async function enterOrAbort(signal: AbortSignal): Promise<void> {
  const reader = Deno.stdin.readable.getReader();
  const aborted = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await Promise.race([reader.read(), aborted]);
  await reader.cancel().catch(() => {});
}

function progressReporter(total: number, json: boolean) {
  const terminal = Deno.stderr.isTerminal() && !json;
  let done = 0, ok = 0, failed = 0, lastDraw = 0, lastStep = 0;
  const step = Math.max(1, Math.ceil(total / 10));
  return {
    add(result: OrderResult) {
      done += 1;
      if (result.status >= 200 && result.status < 300) ok += 1;
      else failed += 1;
      if (terminal) {
        const now = performance.now();
        if (now - lastDraw > 100 || done === total) {
          lastDraw = now;
          stderr(`\r\x1b[2K${progressBar(done, total, ok, failed)}`);
        }
      } else if (done - lastStep >= step || done === total) {
        lastStep = done;
        stderr(`${done}/${total} orders answered: ${ok} ok, ${failed} failed\n`);
      }
    },
    end() {
      if (terminal && done > 0) stderr("\n");
    },
  };
}

export async function simulate(args: string[]): Promise<number> {
  const parsed = parseSimulationArgs(args);
  if (!parsed.ok) {
    stderr(parsed.errors.join("\n") + "\n");
    return 1;
  }
  const options = parsed.options;
  if (options.help) {
    stdout(USAGE);
    return 0;
  }
  const seed = options.seed ?? randomSeed();
  const cleanup = new Cleanup();
  const children: Child[] = [];
  const abort = new AbortController();
  let interrupts = 0;
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT", "SIGBREAK"]
    : ["SIGINT", "SIGTERM", "SIGHUP"];
  const listeners = signals.map((signal) => {
    const listener = () => {
      interrupts += 1;
      if (interrupts === 1) {
        stderr(`\n${signal}: stopping and cleaning up (again to stop at once)\n`);
        abort.abort(new Interrupted(signal));
      } else {
        for (const child of children) child.kill();
      }
    };
    Deno.addSignalListener(signal, listener);
    return [signal, listener] as const;
  });

  // A bug must not skip the cleanup: an unhandled rejection stops the run like a failure.
  let unexpected: unknown;
  const onUnhandled = (event: PromiseRejectionEvent) => {
    event.preventDefault();
    if (unexpected === undefined) unexpected = event.reason ?? "unknown error";
    if (!abort.signal.aborted) abort.abort(event.reason);
  };
  globalThis.addEventListener("unhandledrejection", onUnhandled);

  let code = 0;
  try {
    const argus = await findArgus(options, cleanup, children, abort.signal);
    const orderUrl = await startServices(
      options,
      seed,
      argus.otlpEndpoint,
      cleanup,
      children,
      abort.signal,
    );
    stderr(
      `Sending ${options.requests} orders to ${orderUrl}/orders, ` +
        (options.intervalMs > 0 ? `one every ${options.intervalMs} ms` : "without pause") +
        `, at most ${options.concurrency} at a time (seed ${seed}, ${
          INSTRUMENTATION[options.protocol]
        } to ${argus.otlpEndpoint})\n`,
    );
    const progress = progressReporter(options.requests, options.json);
    const started = performance.now();
    const results = await sendOrders({
      orderUrl,
      requests: options.requests,
      intervalMs: options.intervalMs,
      concurrency: options.concurrency,
      seed,
      timeoutMs: 60_000 * Math.max(1, options.latencyScale),
      signal: abort.signal,
      onResult: (result) => progress.add(result),
    });
    const durationMs = performance.now() - started;
    progress.end();
    // Stopping the services flushes their telemetry: Argus has it all when the summary appears.
    stderr("Stopping the services (they send their last telemetry)…\n");
    await Promise.all(children.filter((c) => c.name !== "Argus").map((c) => c.stop(15_000)));
    const summary = summarize(results, {
      protocol: options.protocol,
      instrumentation: INSTRUMENTATION[options.protocol],
      seed,
      requested: options.requests,
      durationMs,
      interrupted: abort.signal.aborted,
      argusUrl: argus.url,
      argusStarted: argus.started,
    });
    stdout(options.json ? JSON.stringify(summary) + "\n" : formatSummary(summary) + "\n");
    if (abort.signal.aborted) code = 130;
    else if (argus.started && options.wait && Deno.stdin.isTerminal() && !options.json) {
      stderr(
        "\nArgus keeps running so that you can look around. Press Enter (or Ctrl-C) to stop it " +
          "and clean up.\n",
      );
      await enterOrAbort(abort.signal);
    }
  } catch (error) {
    if (abort.signal.aborted) code = 130;
    else {
      stderr(`The simulation failed: ${error instanceof Error ? error.message : error}\n`);
      code = 1;
    }
  } finally {
    if (unexpected !== undefined) {
      stderr(
        `The simulation failed: ${unexpected instanceof Error ? unexpected.stack : unexpected}\n`,
      );
      code = 1;
    }
    const problems = await cleanup.run();
    for (const problem of problems) stderr(`${problem}\n`);
    if (problems.length > 0 && code === 0) code = 1;
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
    globalThis.removeEventListener("unhandledrejection", onUnhandled);
    stderr(code === 130 ? "Interrupted; everything it started is stopped.\n" : "Cleaned up.\n");
  }
  return code;
}

if (import.meta.main) Deno.exitCode = await simulate(Deno.args);
