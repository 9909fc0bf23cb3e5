/**
 * The command line of `deno task simulate`, parsed purely: every problem is reported at once, each
 * naming the option, what is allowed and the value received.
 *
 * @module
 */
import { type ServiceKey, SERVICES } from "./_config.ts";

export const PROTOCOLS = ["http", "grpc"] as const;

/**
 * The simulation's metric export interval: shorter than the services' own default (10 s) so that
 * the one-minute demo draws a dozen points per series.
 */
export const DEFAULT_SIMULATION_METRIC_INTERVAL_MS = 5_000;
export type Protocol = typeof PROTOCOLS[number];

export interface SimulationOptions {
  requests: number;
  /** Milliseconds between the starts of two requests; 0 sends as fast as `concurrency` allows. */
  intervalMs: number;
  concurrency: number;
  /** undefined: a random seed (printed, so that the run can be repeated). */
  seed: number | undefined;
  /** `http`: Deno's built-in OpenTelemetry over OTLP/HTTP; `grpc`: the JS SDK over OTLP/gRPC. */
  protocol: Protocol;
  startArgus: boolean;
  /** After the summary, keep an Argus this run started until Enter or Ctrl-C (terminals only). */
  wait: boolean;
  /** Argus's UI and API, e.g. http://127.0.0.1:8080 (no trailing slash). */
  argusUrl: string;
  /** Where the services send telemetry; undefined: Argus's default port for the protocol. */
  otlpEndpoint: string | undefined;
  ports: Record<ServiceKey, number>;
  probabilities: Record<ServiceKey, number>;
  latencyScale: number;
  /** Milliseconds between two metric exports of each service (`OTEL_METRIC_EXPORT_INTERVAL`). */
  metricIntervalMs: number;
  json: boolean;
  verbose: boolean;
  help: boolean;
}

export const USAGE = `Usage: deno task simulate [options]

Starts the three chaos services (order :9001 → payment :9002 → inventory :9003), sends them
orders, prints a summary, then stops everything it started and removes what it created (also on
Ctrl-C or a failure).

  --requests N                      orders to send (default 300)
  --interval MS                     milliseconds between two orders (default 200; 0: no pause)
  --concurrency N                   most orders in flight at once (default 50)
  --seed N                          seed of the chaos: the same seed fails the same orders
                                    (default: random, printed in the summary)
  --protocol http|grpc              http: Deno's built-in OpenTelemetry, OTLP/HTTP (default);
                                    grpc: the OpenTelemetry JS SDK, OTLP/gRPC
  --argus-url URL                   Argus's UI and API (default http://127.0.0.1:8080)
  --otlp-endpoint URL               where the services send telemetry (default
                                    http://127.0.0.1:4318 for http, http://127.0.0.1:4317 for grpc)
  --start-argus                     start Argus too when it does not answer at --argus-url, on a
                                    temporary database removed at the end (port 0: any free port)
  --no-wait                         with --start-argus: stop Argus right after the summary instead
                                    of waiting for Enter (it never waits when input is not a terminal)
  --order-port N, --payment-port N, --inventory-port N
                                    the services' ports (defaults 9001, 9002, 9003; 0: any free port)
  --order-latency-probability P     chance of 100–800 ms extra latency (default 0.3)
  --payment-failure-probability P   chance of HTTP 500 "Gateway Timeout" (default 0.1)
  --inventory-lock-probability P    chance of a 2–5 s "Database Lock" and an error (default 0.05)
  --latency-scale X                 multiplies every simulated latency (default 1; 0.01 is fast)
  --metric-interval MS              milliseconds between two metric exports of each service
                                    (default 5000)
  --json                            print the summary as JSON (with every order and trace id)
  --verbose                         print the services' own output
  --help                            this text
`;

interface Spec {
  kind: "integer" | "number" | "flag" | "url" | "protocol";
  min?: number;
  max?: number;
}

const SPECS: Record<string, Spec> = {
  "requests": { kind: "integer", min: 1, max: 1_000_000 },
  "interval": { kind: "integer", min: 0, max: 3_600_000 },
  "concurrency": { kind: "integer", min: 1, max: 10_000 },
  "seed": { kind: "integer", min: 0, max: Number.MAX_SAFE_INTEGER },
  "protocol": { kind: "protocol" },
  "argus-url": { kind: "url" },
  "otlp-endpoint": { kind: "url" },
  "start-argus": { kind: "flag" },
  "no-wait": { kind: "flag" },
  "order-port": { kind: "integer", min: 0, max: 65535 },
  "payment-port": { kind: "integer", min: 0, max: 65535 },
  "inventory-port": { kind: "integer", min: 0, max: 65535 },
  "order-latency-probability": { kind: "number", min: 0, max: 1 },
  "payment-failure-probability": { kind: "number", min: 0, max: 1 },
  "inventory-lock-probability": { kind: "number", min: 0, max: 1 },
  "latency-scale": { kind: "number", min: 0, max: 100 },
  "metric-interval": { kind: "integer", min: 100, max: 3_600_000 },
  "json": { kind: "flag" },
  "verbose": { kind: "flag" },
  "help": { kind: "flag" },
};

export type SimulationOptionsResult =
  | { ok: true; options: SimulationOptions }
  | { ok: false; errors: string[] };

export function parseSimulationArgs(args: string[]): SimulationOptionsResult {
  const errors: string[] = [];
  const values = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg === "-h" ? "--help" : arg);
    const spec = match ? SPECS[match[1]!] : undefined;
    if (!match || !spec) {
      errors.push(
        `Cannot use ${JSON.stringify(arg)} as it is not an option of deno task simulate ` +
          "(see --help)",
      );
      continue;
    }
    const name = match[1]!;
    if (spec.kind === "flag") {
      if (match[2] !== undefined) errors.push(`Cannot give --${name} a value: it is a switch`);
      values.set(name, true);
      continue;
    }
    const value = match[2] ?? args[++i];
    if (value === undefined) {
      errors.push(`Cannot use --${name} without a value`);
      continue;
    }
    values.set(name, value);
  }

  const number = (name: string, fallback: number): number => {
    const text = values.get(name);
    if (typeof text !== "string") return fallback;
    const spec = SPECS[name]!;
    const value = Number(text);
    const integer = spec.kind === "integer";
    if (
      text.trim() === "" || !Number.isFinite(value) || (integer && !Number.isInteger(value)) ||
      value < spec.min! || value > spec.max!
    ) {
      errors.push(
        `Cannot use --${name} as it must be ${integer ? "an integer" : "a number"} from ` +
          `${spec.min} to ${spec.max}: current value is ${JSON.stringify(text)}`,
      );
      return fallback;
    }
    return value;
  };
  const url = (name: string, fallback: string | undefined): string | undefined => {
    const text = values.get(name);
    if (typeof text !== "string") return fallback;
    try {
      const parsed = new URL(text);
      if (
        (parsed.protocol === "http:" || parsed.protocol === "https:") && parsed.pathname === "/"
      ) {
        return `${parsed.protocol}//${parsed.host}`;
      }
    } catch {
      // reported below
    }
    errors.push(
      `Cannot use --${name} as it must be an http:// or https:// URL without a path, such as ` +
        `http://127.0.0.1:8080: current value is ${JSON.stringify(text)}`,
    );
    return fallback;
  };

  const protocolOf = (): Protocol => {
    const text = values.get("protocol");
    if (typeof text !== "string") return "http";
    if ((PROTOCOLS as readonly string[]).includes(text)) return text as Protocol;
    errors.push(
      `Cannot use --protocol as it must be one of ${PROTOCOLS.join(", ")}: current value is ` +
        JSON.stringify(text),
    );
    return "http";
  };

  const options: SimulationOptions = {
    requests: number("requests", 300),
    intervalMs: number("interval", 200),
    concurrency: number("concurrency", 50),
    seed: values.has("seed") ? number("seed", 0) : undefined,
    protocol: protocolOf(),
    startArgus: values.has("start-argus"),
    wait: !values.has("no-wait"),
    argusUrl: url("argus-url", "http://127.0.0.1:8080")!,
    otlpEndpoint: url("otlp-endpoint", undefined),
    ports: {
      order: number("order-port", SERVICES.order.port),
      payment: number("payment-port", SERVICES.payment.port),
      inventory: number("inventory-port", SERVICES.inventory.port),
    },
    probabilities: {
      order: number("order-latency-probability", SERVICES.order.probability),
      payment: number("payment-failure-probability", SERVICES.payment.probability),
      inventory: number("inventory-lock-probability", SERVICES.inventory.probability),
    },
    latencyScale: number("latency-scale", 1),
    metricIntervalMs: number("metric-interval", DEFAULT_SIMULATION_METRIC_INTERVAL_MS),
    json: values.has("json"),
    verbose: values.has("verbose"),
    help: values.has("help"),
  };
  const ports = Object.entries(options.ports).filter(([, port]) => port !== 0);
  const taken = new Set<number>();
  for (const [service, port] of ports) {
    if (taken.has(port)) {
      errors.push(`Cannot use --${service}-port ${port} as another service has that port`);
    }
    taken.add(port);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, options };
}
