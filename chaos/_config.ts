/**
 * The three chaos services, their defaults (the seed's ports and fault probabilities), and the one
 * pure `parseServiceConfig(service, env)` that every service starts with: it reports every problem
 * at once, each naming the variable, what is allowed and the value received.
 *
 * @module
 */
import { randomSeed } from "./_random.ts";

export type ServiceKey = "order" | "payment" | "inventory";

export interface ServiceDefinition {
  /** `service.name` of its telemetry. */
  name: string;
  port: number;
  /** Chance that a request meets the service's fault. */
  probability: number;
  /** The fault, in words (for help texts and logs). */
  fault: string;
  /** Variable holding the URL of the service it calls, if it calls one. */
  downstreamVariable?: string;
  downstream?: ServiceKey;
}

export const SERVICES: Record<ServiceKey, ServiceDefinition> = {
  order: {
    name: "order-service",
    port: 9001,
    probability: 0.3,
    fault: "a latency of 100–800 ms",
    downstreamVariable: "PAYMENT_URL",
    downstream: "payment",
  },
  payment: {
    name: "payment-service",
    port: 9002,
    probability: 0.1,
    fault: 'HTTP 500 "Gateway Timeout"',
    downstreamVariable: "INVENTORY_URL",
    downstream: "inventory",
  },
  inventory: {
    name: "inventory-service",
    port: 9003,
    probability: 0.05,
    fault: '"Database Lock": 2–5 s, then an error',
  },
};

/**
 * `deno`: Deno's built-in OpenTelemetry (`OTEL_DENO=true`) instruments `Deno.serve` and `fetch`
 * and exports over OTLP/HTTP. `sdk`: the official OpenTelemetry JS SDK, exporting over OTLP/gRPC.
 */
export const INSTRUMENTATIONS = ["deno", "sdk"] as const;
export type Instrumentation = typeof INSTRUMENTATIONS[number];

export interface ServiceConfig {
  service: ServiceKey;
  name: string;
  host: string;
  /** 0 takes any free port. */
  port: number;
  probability: number;
  seed: number;
  /** Multiplies every simulated latency (1 is the seed's; 0.01 makes a 3 s lock 30 ms). */
  latencyScale: number;
  instrumentation: Instrumentation;
  /** The OTLP/gRPC endpoint of the `sdk` instrumentation, e.g. http://127.0.0.1:4317 */
  otlpEndpoint: string;
  /** Base URL of the service this one calls (Payment for Order, Inventory for Payment). */
  downstreamUrl: string | undefined;
  /** Stop when standard input ends: the simulation's pipe, so that no service outlives it. */
  stopOnStdinEof: boolean;
  /** Milliseconds a call to the next service may take before it counts as failed. */
  downstreamTimeoutMs: number;
  /**
   * Milliseconds between two metric exports (`OTEL_METRIC_EXPORT_INTERVAL`). The `sdk`
   * instrumentation's reader uses it; under `deno`, Deno reads the same variable itself.
   */
  metricExportIntervalMs: number;
}

/** Milliseconds between two metric exports when `OTEL_METRIC_EXPORT_INTERVAL` is not set. */
export const DEFAULT_METRIC_EXPORT_INTERVAL_MS = 10_000;

export type ServiceConfigResult =
  | { ok: true; config: ServiceConfig; warnings: string[] }
  | { ok: false; errors: string[] };

type Env = Record<string, string | undefined>;

function raw(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === "" ? undefined : value;
}

function current(value: string): string {
  return `current value is ${JSON.stringify(value)}`;
}

/** Reads one service's configuration from environment variables (see chaos/README.md). */
export function parseServiceConfig(
  service: ServiceKey,
  env: Env,
  makeSeed: () => number = randomSeed,
): ServiceConfigResult {
  const definition = SERVICES[service];
  const errors: string[] = [];
  const warnings: string[] = [];

  const number = (name: string, fallback: number, min: number, max: number, integer: boolean) => {
    const text = raw(env, name);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (
      !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))
    ) {
      errors.push(
        `Cannot use ${name} as it must be ${
          integer ? "an integer" : "a number"
        } from ${min} to ${max}: ${current(text)}`,
      );
      return fallback;
    }
    return value;
  };
  const url = (name: string, fallback: string, schemes: string[]) => {
    const text = raw(env, name) ?? fallback;
    try {
      const parsed = new URL(text);
      if (schemes.includes(parsed.protocol)) return text.replace(/\/+$/, "");
    } catch {
      // reported below
    }
    errors.push(
      `Cannot use ${name} as it must be an ${
        schemes.map((s) => `${s}//`).join(" or ")
      } URL such as ${fallback}: ${current(text)}`,
    );
    return fallback;
  };

  const host = raw(env, "HOST") ?? "127.0.0.1";
  const port = number("PORT", definition.port, 0, 65535, true);
  const probability = number("CHAOS_PROBABILITY", definition.probability, 0, 1, false);
  const seed = raw(env, "CHAOS_SEED") === undefined
    ? makeSeed()
    : number("CHAOS_SEED", 0, 0, Number.MAX_SAFE_INTEGER, true);
  const latencyScale = number("CHAOS_LATENCY_SCALE", 1, 0, 100, false);
  const metricExportIntervalMs = number(
    "OTEL_METRIC_EXPORT_INTERVAL",
    DEFAULT_METRIC_EXPORT_INTERVAL_MS,
    100,
    3_600_000,
    true,
  );

  const instrumentationText = raw(env, "CHAOS_INSTRUMENTATION") ?? "deno";
  let instrumentation: Instrumentation = "deno";
  if ((INSTRUMENTATIONS as readonly string[]).includes(instrumentationText)) {
    instrumentation = instrumentationText as Instrumentation;
  } else {
    errors.push(
      `Cannot use CHAOS_INSTRUMENTATION as it must be one of ${INSTRUMENTATIONS.join(", ")}: ${
        current(instrumentationText)
      }`,
    );
  }
  const otelDeno = raw(env, "OTEL_DENO")?.toLowerCase() === "true";
  if (instrumentation === "sdk" && otelDeno) {
    errors.push(
      "Cannot use CHAOS_INSTRUMENTATION=sdk with OTEL_DENO=true as every span would be recorded " +
        "twice: unset OTEL_DENO or choose CHAOS_INSTRUMENTATION=deno",
    );
  }
  if (instrumentation === "deno" && !otelDeno) {
    warnings.push(
      "OTEL_DENO is not true, so this service sends no telemetry: set OTEL_DENO=true " +
        "(with OTEL_SERVICE_NAME and OTEL_EXPORTER_OTLP_ENDPOINT), or CHAOS_INSTRUMENTATION=sdk",
    );
  }
  if (instrumentation === "deno" && otelDeno && raw(env, "OTEL_SERVICE_NAME") !== definition.name) {
    warnings.push(
      `OTEL_SERVICE_NAME should be ${definition.name} for Deno's OpenTelemetry to name this ` +
        `service: current value is ${JSON.stringify(raw(env, "OTEL_SERVICE_NAME") ?? "")}`,
    );
  }
  if (
    instrumentation === "deno" && otelDeno && raw(env, "OTEL_METRIC_EXPORT_INTERVAL") === undefined
  ) {
    // Deno's own default is the specification's 60 s: a short demo would show no metric yet.
    warnings.push(
      `OTEL_METRIC_EXPORT_INTERVAL is not set, so Deno exports metrics every 60 s: set it ` +
        `(milliseconds, e.g. ${DEFAULT_METRIC_EXPORT_INTERVAL_MS}) for charts that fill sooner`,
    );
  }
  const otlpEndpoint = url("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317", [
    "http:",
    "https:",
  ]);
  const downstreamUrl = definition.downstream && definition.downstreamVariable
    ? url(
      definition.downstreamVariable,
      `http://127.0.0.1:${SERVICES[definition.downstream].port}`,
      ["http:", "https:"],
    )
    : undefined;

  const stopText = raw(env, "CHAOS_STOP_ON_STDIN_EOF")?.toLowerCase() ?? "false";
  if (stopText !== "true" && stopText !== "false") {
    errors.push(
      `Cannot use CHAOS_STOP_ON_STDIN_EOF as it must be true or false: ${current(stopText)}`,
    );
  }

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    warnings,
    config: {
      service,
      name: definition.name,
      host,
      port,
      probability,
      seed,
      latencyScale,
      instrumentation,
      otlpEndpoint,
      downstreamUrl,
      stopOnStdinEof: stopText === "true",
      // The slowest honest answer is a database lock of 5 s (scaled); leave room for queueing.
      downstreamTimeoutMs: Math.max(30_000, 6_000 * latencyScale),
      metricExportIntervalMs,
    },
  };
}
