/**
 * The chaos services' second instrumentation: the official OpenTelemetry JS SDK exporting traces,
 * logs and metrics over OTLP/gRPC (`CHAOS_INSTRUMENTATION=sdk`), so that a simulation exercises
 * Argus's gRPC receiver too. It does by hand what Deno's built-in OpenTelemetry does by itself,
 * following the HTTP semantic conventions: a SERVER span per request (continuing an incoming
 * `traceparent`), a CLIENT span per outgoing call (sending one), log records carrying the active
 * span, and the `http.server.request.duration` and `http.client.request.duration` histograms.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import {
  type Attributes,
  type Context,
  context,
  type ContextManager,
  metrics,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
} from "@opentelemetry/api";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-grpc";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-grpc";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-grpc";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { defaultResource, resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
} from "@opentelemetry/sdk-trace-base";
import { BatchLogRecordProcessor, LoggerProvider } from "@opentelemetry/sdk-logs";
import { consoleLogger, type ServiceLogger, type Telemetry } from "./_telemetry.ts";

/**
 * Keeps the active context across `await`s, as the SDK's Node package does with the same
 * `AsyncLocalStorage` (which Deno implements); without it every `await` would lose the span.
 */
class AsyncLocalStorageContextManager implements ContextManager {
  #storage = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.#storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#storage.run(ctx, () => fn.call(thisArg, ...args));
  }

  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== "function") return target;
    const run = (fn: () => unknown) => this.with(ctx, fn);
    return function (this: unknown, ...args: unknown[]) {
      return run(() => target.apply(this, args));
    } as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.#storage.disable();
    return this;
  }
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** The parent context of a W3C `traceparent` header, or the root context when there is none. */
export function extractTraceparent(header: string | null): Context {
  const match = header === null ? null : TRACEPARENT.exec(header.trim().toLowerCase());
  if (!match) return ROOT_CONTEXT;
  const [, version, traceId, spanId, flags] = match;
  // Version ff is forbidden; version 00 has exactly four fields; all-zero ids are invalid.
  if (version === "ff" || (version === "00" && match[5] !== undefined)) return ROOT_CONTEXT;
  if (/^0+$/.test(traceId!) || /^0+$/.test(spanId!)) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: traceId!,
    spanId: spanId!,
    traceFlags: parseInt(flags!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  });
}

/** The W3C `traceparent` header naming `span` as the parent. */
export function traceparentOf(span: Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, "0")}`;
}

function serverPort(url: URL): number {
  return url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
}

/** The `http.route` the dispatcher set on a SERVER span (the SDK's spans keep their attributes). */
function routeOf(span: Span): string | undefined {
  const route = (span as Partial<ReadableSpan>).attributes?.["http.route"];
  return typeof route === "string" ? route : undefined;
}

/** Marks `span` failed by an exception, as Deno's instrumentation does. */
function failSpan(span: Span, error: unknown) {
  const e = error instanceof Error ? error : new Error(String(error));
  span.setAttribute("error.type", e.name);
  span.recordException(e);
  span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
}

export interface SdkTelemetryOptions {
  serviceName: string;
  serviceVersion: string;
  /** OTLP/gRPC endpoint, e.g. http://127.0.0.1:4317 */
  endpoint: string;
  /** Milliseconds between two metric exports (cumulative temporality, as the SDK's default). */
  metricExportIntervalMs: number;
}

/**
 * Bucket bounds of the HTTP duration histograms in seconds: the HTTP semantic conventions' advice.
 */
export const HTTP_DURATION_BUCKETS_S = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.075,
  0.1,
  0.25,
  0.5,
  0.75,
  1,
  2.5,
  5,
  7.5,
  10,
];

/**
 * The SDK's tracer, logger and meter providers, registered as the API's globals, exporting over
 * OTLP/gRPC: spans and logs in batches every second (queues sized so that a fast simulation drops
 * nothing), metrics every `metricExportIntervalMs` and once more at shutdown.
 */
export function sdkTelemetry(options: SdkTelemetryOptions): Telemetry {
  const resource = defaultResource().merge(resourceFromAttributes({
    "service.name": options.serviceName,
    "service.version": options.serviceVersion,
    "process.runtime.name": "deno",
    "process.runtime.version": Deno.version.deno,
  }));
  const batch = { scheduledDelayMillis: 1000, maxQueueSize: 100_000, maxExportBatchSize: 1000 };
  const tracerProvider = new BasicTracerProvider({
    resource,
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: options.endpoint }), batch),
    ],
  });
  const loggerProvider = new LoggerProvider({
    resource,
    processors: [
      new BatchLogRecordProcessor(new OTLPLogExporter({ url: options.endpoint }), batch),
    ],
  });
  const meterProvider = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: options.endpoint }),
        exportIntervalMillis: options.metricExportIntervalMs,
        // The reader refuses a timeout longer than the interval.
        exportTimeoutMillis: Math.min(options.metricExportIntervalMs, 30_000),
      }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager());
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  const tracer = trace.getTracer(options.serviceName, options.serviceVersion);
  const meter = metrics.getMeter(options.serviceName, options.serviceVersion);
  // Named and shaped as Deno's own, so that both modes chart the same way.
  const serverDuration = meter.createHistogram("http.server.request.duration", {
    description: "Duration of HTTP server requests.",
    unit: "s",
    advice: { explicitBucketBoundaries: HTTP_DURATION_BUCKETS_S },
  });
  const clientDuration = meter.createHistogram("http.client.request.duration", {
    description: "Duration of HTTP client requests.",
    unit: "s",
    advice: { explicitBucketBoundaries: HTTP_DURATION_BUCKETS_S },
  });
  const otelLogger = loggerProvider.getLogger(options.serviceName, options.serviceVersion);

  const emit = (
    severityNumber: SeverityNumber,
    severityText: string,
    print: (message: string, attributes?: Attributes) => void,
  ) =>
  (message: string, attributes?: Attributes) => {
    print(message, attributes);
    otelLogger.emit({
      severityNumber,
      severityText,
      body: message,
      attributes,
      context: context.active(),
    });
  };
  const log: ServiceLogger = {
    info: emit(SeverityNumber.INFO, "INFO", consoleLogger.info),
    warn: emit(SeverityNumber.WARN, "WARN", consoleLogger.warn),
    error: emit(SeverityNumber.ERROR, "ERROR", consoleLogger.error),
  };

  return {
    tracer,
    meter,
    log,
    instrument: (handler) => async (request) => {
      const url = new URL(request.url);
      const attributes: Attributes = {
        "http.request.method": request.method,
        "url.full": request.url,
        "url.scheme": url.protocol.slice(0, -1),
        "url.path": url.pathname,
      };
      if (url.search !== "") attributes["url.query"] = url.search.slice(1);
      const userAgent = request.headers.get("user-agent");
      if (userAgent !== null) attributes["user_agent.original"] = userAgent;
      const parent = extractTraceparent(request.headers.get("traceparent"));
      const span = tracer.startSpan(request.method, { kind: SpanKind.SERVER, attributes }, parent);
      const started = performance.now();
      const measured: Attributes = {
        "http.request.method": request.method,
        "url.scheme": attributes["url.scheme"],
      };
      try {
        const response = await context.with(trace.setSpan(parent, span), () => handler(request));
        measured["http.response.status_code"] = response.status;
        const route = routeOf(span);
        if (route !== undefined) measured["http.route"] = route;
        span.setAttribute("http.response.status_code", response.status);
        // Server spans: only 5xx are errors (a 4xx is the client's mistake).
        if (response.status >= 500) {
          measured["error.type"] = String(response.status);
          span.setAttribute("error.type", String(response.status));
          span.setStatus({ code: SpanStatusCode.ERROR, message: response.statusText });
        }
        return response;
      } catch (error) {
        measured["error.type"] = error instanceof Error ? error.name : "Error";
        failSpan(span, error);
        throw error;
      } finally {
        span.end();
        serverDuration.record((performance.now() - started) / 1000, measured);
      }
    },
    fetch: async (target, init) => {
      const url = new URL(target);
      const method = init.method ?? "GET";
      const span = tracer.startSpan(method, {
        kind: SpanKind.CLIENT,
        attributes: {
          "http.request.method": method,
          "url.full": url.href,
          "server.address": url.hostname,
          "server.port": serverPort(url),
        },
      });
      const headers = new Headers(init.headers);
      headers.set("traceparent", traceparentOf(span));
      const started = performance.now();
      const measured: Attributes = {
        "http.request.method": method,
        "server.address": url.hostname,
        "server.port": serverPort(url),
      };
      try {
        const response = await fetch(target, { ...init, headers });
        measured["http.response.status_code"] = response.status;
        span.setAttribute("http.response.status_code", response.status);
        // Client spans: 4xx and 5xx are both errors.
        if (response.status >= 400) {
          measured["error.type"] = String(response.status);
          span.setAttribute("error.type", String(response.status));
          span.setStatus({ code: SpanStatusCode.ERROR, message: response.statusText });
        }
        return response;
      } catch (error) {
        measured["error.type"] = error instanceof Error ? error.name : "Error";
        failSpan(span, error);
        throw error;
      } finally {
        span.end();
        clientDuration.record((performance.now() - started) / 1000, measured);
      }
    },
    async shutdown() {
      // A meter provider's shutdown collects and exports once more: the last orders are counted.
      await Promise.allSettled([
        tracerProvider.shutdown(),
        loggerProvider.shutdown(),
        meterProvider.shutdown(),
      ]);
    },
  };
}
