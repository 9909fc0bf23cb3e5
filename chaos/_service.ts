/**
 * What the three chaos services share: configuration from the environment, the instrumentation,
 * routing with the HTTP span attributes the semantic conventions ask for (`http.route`,
 * `server.address`, `server.port`, the span named `{method} {route}`), calls to the next service,
 * the seeded chaos, and a graceful stop (SIGINT, SIGTERM, or the end of standard input when the
 * simulation started the service) that flushes telemetry before the process ends.
 *
 * @module
 */
import { type Attributes, type Meter, trace, type Tracer } from "@opentelemetry/api";
import { parseServiceConfig, type ServiceConfig, type ServiceKey, SERVICES } from "./_config.ts";
import { between, chance } from "./_random.ts";
import { consoleLogger, denoTelemetry, type ServiceLogger, type Telemetry } from "./_telemetry.ts";

/** Version reported as `service.version` (and the scope version). */
export const CHAOS_VERSION = "1.0.0";

/** How a call to the next service ended. */
export type CallResult =
  | { ok: true; status: number; body: Record<string, unknown> }
  | {
    ok: false;
    /** 0 when no answer came (refused connection, timeout). */
    status: number;
    error: string;
    /** The service where the failure started (the callee's own report, else the callee). */
    failedService: string;
  };

export interface ServiceContext {
  config: ServiceConfig;
  log: ServiceLogger;
  tracer: Tracer;
  /** Makes the service's own instruments (each service makes its own once, on first use). */
  meter: Meter;
  /** POSTs JSON to the next service, as a CLIENT span. */
  call(path: string, body: unknown): Promise<CallResult>;
  /** This service's seeded draw in [0, 1) for `purpose` and `key` (see _random.ts). */
  chance(purpose: string, key: string): number;
  /** A seeded latency in [min, max) milliseconds at the seed's scale, times `latencyScale`. */
  latency(purpose: string, key: string, min: number, max: number): number;
}

export interface Route {
  method: "POST";
  path: string;
  handle(request: Request, context: ServiceContext): Promise<Response>;
}

export function json(status: number, body: unknown, statusText?: string): Response {
  // `statusText` becomes the span's status message under both instrumentations.
  return new Response(JSON.stringify(body), {
    status,
    statusText,
    headers: { "content-type": "application/json" },
  });
}

/** The request's JSON object body; `{}` when empty; a RangeError names what is wrong. */
export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  const text = await request.text();
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RangeError(`Cannot parse the body as JSON: current value is ${text.slice(0, 80)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RangeError(
      `Cannot use the body as it must be a JSON object: current value is ${text.slice(0, 80)}`,
    );
  }
  return value as Record<string, unknown>;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sets attributes on the request's SERVER span (a no-op without telemetry). */
export function annotate(attributes: Attributes): void {
  trace.getActiveSpan()?.setAttributes(attributes);
}

/** The active trace's id, reported to clients so that they can look the trace up in Argus. */
export function activeTraceId(): string {
  return trace.getActiveSpan()?.spanContext().traceId ?? "";
}

function createContext(config: ServiceConfig, telemetry: Telemetry): ServiceContext {
  const definition = SERVICES[config.service];
  const callee = definition.downstream ? SERVICES[definition.downstream].name : "";
  return {
    config,
    log: telemetry.log,
    tracer: telemetry.tracer,
    meter: telemetry.meter,
    chance: (purpose, key) => chance(config.seed, config.name, purpose, key),
    latency: (purpose, key, min, max) =>
      Math.round(between(config.seed, config.name, purpose, key, min, max) * config.latencyScale),
    async call(path, body) {
      if (config.downstreamUrl === undefined) throw new Error(`${config.name} calls no service`);
      try {
        const response = await telemetry.fetch(`${config.downstreamUrl}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(config.downstreamTimeoutMs),
        });
        const text = await response.text();
        let parsed: Record<string, unknown> = {};
        try {
          const value = JSON.parse(text);
          if (typeof value === "object" && value !== null) parsed = value;
        } catch {
          // not JSON: the status says enough
        }
        if (response.ok) return { ok: true, status: response.status, body: parsed };
        return {
          ok: false,
          status: response.status,
          error: typeof parsed.error === "string" ? parsed.error : `HTTP ${response.status}`,
          failedService: typeof parsed.failed_service === "string" ? parsed.failed_service : callee,
        };
      } catch (error) {
        const timedOut = error instanceof DOMException && error.name === "TimeoutError";
        return {
          ok: false,
          status: 0,
          error: timedOut
            ? `no answer within ${config.downstreamTimeoutMs} ms`
            : `cannot reach ${callee}: ${error instanceof Error ? error.message : error}`,
          failedService: callee,
        };
      }
    },
  };
}

function dispatcher(routes: Route[], context: ServiceContext) {
  return async function dispatch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const span = trace.getActiveSpan();
    span?.setAttributes({
      "server.address": url.hostname,
      "server.port": Number(url.port || 80),
    });
    const route = routes.find((r) => r.path === url.pathname);
    if (!route) {
      const known = routes.map((r) => `${r.method} ${r.path}`).join(", ");
      return json(404, { error: `No route for ${url.pathname}: this service answers ${known}` });
    }
    span?.updateName(`${route.method} ${route.path}`);
    span?.setAttribute("http.route", route.path);
    if (request.method !== route.method) {
      return new Response(
        JSON.stringify({ error: `${route.path} takes ${route.method}, not ${request.method}` }),
        { status: 405, headers: { "content-type": "application/json", allow: route.method } },
      );
    }
    try {
      return await route.handle(request, context);
    } catch (error) {
      if (error instanceof RangeError) return json(400, { error: error.message });
      context.log.error(`${context.config.name} failed unexpectedly on ${route.path}`, {
        "exception.message": error instanceof Error ? error.message : String(error),
      });
      return json(500, { error: "Internal error", failed_service: context.config.name });
    }
  };
}

/** Resolves with a reason when the service is asked to stop. */
function stopRequested(config: ServiceConfig): { reason: Promise<string>; release(): void } {
  const stop = Promise.withResolvers<string>();
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT", "SIGBREAK"]
    : ["SIGINT", "SIGTERM"];
  const listeners = signals.map((signal) => {
    const listener = () => stop.resolve(signal);
    Deno.addSignalListener(signal, listener);
    return [signal, listener] as const;
  });
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  if (config.stopOnStdinEof) {
    reader = Deno.stdin.readable.getReader();
    (async () => {
      try {
        while (!(await reader.read()).done) { /* the simulation sends nothing */ }
      } catch {
        // closed: the same as its end
      }
      stop.resolve("end of standard input");
    })();
  }
  return {
    reason: stop.promise,
    release() {
      for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
      // A pending read would keep the process alive.
      reader?.cancel().catch(() => {});
    },
  };
}

/** Starts a service from the environment and serves until asked to stop; returns the exit code. */
export async function runService(service: ServiceKey, routes: Route[]): Promise<number> {
  const parsed = parseServiceConfig(service, Deno.env.toObject());
  if (!parsed.ok) {
    for (const error of parsed.errors) consoleLogger.error(error);
    consoleLogger.error(`${SERVICES[service].name} cannot start: see chaos/README.md`);
    return 1;
  }
  const { config } = parsed;
  const telemetry = config.instrumentation === "sdk"
    ? (await import("./_sdk_telemetry.ts")).sdkTelemetry({
      serviceName: config.name,
      serviceVersion: CHAOS_VERSION,
      endpoint: config.otlpEndpoint,
      metricExportIntervalMs: config.metricExportIntervalMs,
    })
    : denoTelemetry(config.name, CHAOS_VERSION);
  for (const warning of parsed.warnings) telemetry.log.warn(warning);

  const stop = stopRequested(config);
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: config.host,
      port: config.port,
      onListen: ({ hostname, port }) => {
        // The simulation waits for this line (and reads the port from it).
        telemetry.log.info(`${config.name} listening on http://${hostname}:${port}`, {
          "chaos.instrumentation": config.instrumentation,
          "chaos.probability": config.probability,
          "chaos.seed": config.seed,
          "chaos.latency_scale": config.latencyScale,
        });
      },
    }, telemetry.instrument(dispatcher(routes, createContext(config, telemetry))));
  } catch (error) {
    telemetry.log.error(
      error instanceof Deno.errors.AddrInUse
        ? `${config.name} cannot start: PORT ${config.port} is in use on ${config.host}: ` +
          "stop the program using it or set PORT"
        : `${config.name} cannot start: ${error instanceof Error ? error.message : error}`,
    );
    stop.release();
    await telemetry.shutdown();
    return 1;
  }
  const reason = await stop.reason;
  telemetry.log.info(`${config.name} stopping`, { reason });
  stop.release();
  await server.shutdown();
  await telemetry.shutdown();
  return 0;
}
