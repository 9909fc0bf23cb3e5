// deno-lint-ignore-file no-console -- the services' logger: under OTEL_DENO, console output is what becomes log records
/**
 * What a chaos service needs from OpenTelemetry, behind one interface with two implementations:
 * Deno's built-in OpenTelemetry (this file: `OTEL_DENO=true` makes `Deno.serve` and `fetch` spans,
 * propagates W3C trace context and turns `console.*` into log records correlated with the active
 * span, so there is almost nothing to do) and the official JS SDK (`_sdk_telemetry.ts`).
 *
 * Either way the services reach spans and metrics through `@opentelemetry/api`
 * (`trace.getActiveSpan()`, `tracer.startActiveSpan()`, `meter.createCounter()`), whose global
 * providers are Deno's or the SDK's.
 *
 * @module
 */
import { type Attributes, type Meter, metrics, trace, type Tracer } from "@opentelemetry/api";

export interface ServiceLogger {
  info(message: string, attributes?: Attributes): void;
  warn(message: string, attributes?: Attributes): void;
  error(message: string, attributes?: Attributes): void;
}

export interface Telemetry {
  /** Runs each request inside its SERVER span (Deno's own, or one the SDK starts here). */
  instrument(
    handler: (request: Request) => Promise<Response>,
  ): (request: Request) => Promise<Response>;
  /** `fetch` whose calls are CLIENT spans carrying the W3C `traceparent` header. */
  fetch(url: string, init: RequestInit): Promise<Response>;
  /** Log records correlated with the active span; also printed on stdout/stderr. */
  log: ServiceLogger;
  tracer: Tracer;
  /** The service's own instruments (chaos/README.md, "Metrics"). */
  meter: Meter;
  /** Sends what is still buffered. */
  shutdown(): Promise<void>;
}

/** `message key=value …`, the line printed (and, under OTEL_DENO, the log record's body). */
export function formatLogLine(message: string, attributes: Attributes = {}): string {
  let line = message;
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    const text = typeof value === "string" && /^[\w.:/@+-]+$/.test(value)
      ? value
      : JSON.stringify(value);
    line += ` ${key}=${text}`;
  }
  return line;
}

/** Prints log lines: info on stdout, warnings and errors on stderr. */
export const consoleLogger: ServiceLogger = {
  info: (message, attributes) => console.info(formatLogLine(message, attributes)),
  warn: (message, attributes) => console.warn(formatLogLine(message, attributes)),
  error: (message, attributes) => console.error(formatLogLine(message, attributes)),
};

/**
 * Deno's built-in OpenTelemetry. Without `OTEL_DENO=true` the same code runs and sends nothing
 * (the API's no-op provider).
 */
export function denoTelemetry(serviceName: string, version: string): Telemetry {
  return {
    instrument: (handler) => handler,
    fetch: (url, init) => fetch(url, init),
    log: consoleLogger,
    tracer: trace.getTracer(serviceName, version),
    meter: metrics.getMeter(serviceName, version),
    // Deno exports what is buffered, metrics included, when the process ends.
    shutdown: () => Promise.resolve(),
  };
}
