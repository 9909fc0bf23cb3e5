/**
 * The OTLP/gRPC gateway, run as its own small process (see grpc_supervisor.ts for why): it
 * terminates gRPC on `GRPC_PORT` with grpc-js and hands each `Export` request, as the same
 * protobuf bytes, to the core's OTLP/HTTP receiver on the loopback, then maps the HTTP answer back
 * to a gRPC status. It decodes nothing and keeps nothing: if it dies, calls in flight fail with
 * UNAVAILABLE and the SDKs retry; nothing was acknowledged that the core had not made durable.
 *
 * Started as `deno run --allow-net --allow-env ingest/grpc_gateway.ts` (in a compiled binary: the
 * binary itself, see grpc_supervisor.ts) with its settings in the environment (ARGUS_GATEWAY_*);
 * prints one JSON line `{"listening":PORT}` on stdout when ready.
 *
 * Slow or idle clients: a connection that has not completed the HTTP/2 preface (its SETTINGS
 * frame) within `idleTimeoutMs` (HTTP_HEADER_TIMEOUT), or on which nothing has moved either way for
 * IDLE_CONNECTION_MS, is closed; at most `maxConnections` are open (more are closed as soon as they are accepted), at
 * most 32 calls run on one connection, and server keepalive pings find dead peers. A failed
 * accept (EMFILE) is logged, not fatal. The supervisor raises this process's open-file limit, as
 * it may not run `prlimit` itself.
 *
 * Connections are closed by destroying their socket, never with a GOAWAY: under Deno 2.9.6 a
 * GOAWAY sent on a session with a finished call aborts the process inside nghttp2
 * (`find_stream_on_goaway_func: Assertion stream->closed_next == NULL`, measured with grpc-js's
 * `max_connection_idle_ms` under 1,100 slow clients in 2 of 3 runs), so grpc-js's idle and age
 * limits, which close with a GOAWAY, are not used.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { GrpcCode } from "./otlp_status.ts";
import { checkIngestToken, ingestTokenMessage } from "../lib/security.ts";
import { type GatewayListener, listenForGateway } from "./grpc_connections.ts";
import { errorMessage } from "../utils/errors.ts";

export interface GatewaySettings {
  host: string;
  port: number;
  /** Base URL of the core's OTLP/HTTP receiver, e.g. http://127.0.0.1:4318 */
  coreUrl: string;
  maxRequestBytes: number;
  /**
   * INGEST_TOKEN: a call without it (metadata `authorization: Bearer …` or `x-api-key`) is
   * answered UNAUTHENTICATED as soon as its metadata arrives, before its message is read.
   */
  ingestToken?: string;
  /** Most connections open at once; more are closed when accepted. Default 2048. */
  maxConnections?: number;
  /** Milliseconds a new connection has to send the HTTP/2 preface. Default 10 s. */
  idleTimeoutMs?: number;
}

/** A connection on which no byte has moved either way for this long is closed. */
const IDLE_CONNECTION_MS = 5 * 60_000;

/** Calls one connection may run at once: each may hold a whole request (MAX_REQUEST_BYTES). */
const MAX_CONCURRENT_STREAMS = 32;
const KEEPALIVE_TIME_MS = 60_000;
const KEEPALIVE_TIMEOUT_MS = 20_000;
/** On SIGTERM, how long calls in flight may take to be answered before the gateway exits. */
const STOP_GRACE_MS = 5_000;

type Bytes = Buffer;
const passthrough = (bytes: Bytes) => bytes;

function exportMethod(service: string): grpc.ServiceDefinition {
  return {
    Export: {
      path: `/opentelemetry.proto.collector.${service}/Export`,
      requestStream: false,
      responseStream: false,
      requestSerialize: passthrough,
      requestDeserialize: passthrough,
      responseSerialize: passthrough,
      responseDeserialize: passthrough,
      originalName: "export",
    },
  };
}

/** The OTLP trace service with raw-bytes (de)serializers; also usable for a raw client. */
export const TRACE_SERVICE = exportMethod("trace.v1.TraceService");
const LOGS_SERVICE = exportMethod("logs.v1.LogsService");
const METRICS_SERVICE = exportMethod("metrics.v1.MetricsService");

/** Reads `google.rpc.Status.message` (field 2) from an error body, or "" if there is none. */
export function statusMessage(body: Uint8Array): string {
  let i = 0;
  const varint = () => {
    let value = 0;
    let shift = 0;
    while (i < body.length) {
      const b = body[i++]!;
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
      shift += 7;
    }
    return value;
  };
  while (i < body.length) {
    const tag = varint();
    const wire = tag & 7;
    if (wire === 0) varint();
    else if (wire === 2) {
      const length = varint();
      if (tag >>> 3 === 2) return new TextDecoder().decode(body.subarray(i, i + length));
      i += length;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else return "";
  }
  return "";
}

/**
 * `grpc-status-details-bin`: a google.rpc.Status carrying a google.rpc.RetryInfo, the retry hint
 * the OTLP specification gives for throttling.
 */
export function retryInfoDetails(code: GrpcCode, message: string, delaySeconds: number): Buffer {
  const bytes: number[] = [];
  const varint = (out: number[], value: number) => {
    while (value > 0x7f) {
      out.push((value & 0x7f) | 0x80);
      value = Math.floor(value / 128);
    }
    out.push(value);
  };
  const field = (out: number[], number: number, payload: number[]) => {
    varint(out, (number << 3) | 2);
    varint(out, payload.length);
    out.push(...payload);
  };
  const duration: number[] = [];
  varint(duration, 1 << 3);
  varint(duration, delaySeconds);
  const retryInfo: number[] = [];
  field(retryInfo, 1, duration);
  const any: number[] = [];
  field(any, 1, [...new TextEncoder().encode("type.googleapis.com/google.rpc.RetryInfo")]);
  field(any, 2, retryInfo);
  varint(bytes, 1 << 3);
  varint(bytes, code);
  field(bytes, 2, [...new TextEncoder().encode(message)]);
  field(bytes, 3, any);
  return Buffer.from(bytes);
}

function grpcError(code: GrpcCode, message: string, retryAfterS?: number): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  if (retryAfterS !== undefined) {
    metadata.set("grpc-status-details-bin", retryInfoDetails(code, message, retryAfterS));
  }
  const error: grpc.ServiceError = Object.assign(new Error(message), {
    code: code as number as grpc.status,
    details: message,
    metadata,
  });
  return error;
}

/** The gRPC status for an HTTP answer of the core's OTLP/HTTP receiver. */
export function toGrpcStatus(
  status: number,
  message: string,
  retryAfterS: number,
): grpc.ServiceError {
  if (status === 400 || status === 415) return grpcError(GrpcCode.INVALID_ARGUMENT, message);
  if (status === 413) return grpcError(GrpcCode.RESOURCE_EXHAUSTED, message);
  if (status === 401) return grpcError(GrpcCode.UNAUTHENTICATED, message);
  // Overload and unavailability are both UNAVAILABLE: every OTLP exporter retries it.
  if (status === 429 || status === 503 || status === 502 || status === 504) {
    return grpcError(GrpcCode.UNAVAILABLE, message, retryAfterS);
  }
  return grpcError(GrpcCode.INTERNAL, message || `The core answered HTTP ${status}`);
}

/** Calls being forwarded, so that a stop can let them be answered first. */
interface CallsInFlight {
  count: number;
  /** Called each time a call has been answered. */
  onAnswered?: () => void;
}

function forward(
  settings: GatewaySettings,
  path: string,
  client: Deno.HttpClient,
  inFlight: CallsInFlight,
) {
  return async (
    call: grpc.ServerUnaryCall<Bytes, Bytes>,
    answer: grpc.sendUnaryData<Bytes>,
  ): Promise<void> => {
    inFlight.count++;
    const callback: grpc.sendUnaryData<Bytes> = (error, value) => {
      inFlight.count--;
      answer(error, value);
      inFlight.onAnswered?.();
    };
    // The transport label of Argus's request metrics (TRANSPORT_HEADER in otlp_http.ts).
    const headers = new Headers({
      "content-type": "application/x-protobuf",
      "x-argus-transport": "grpc",
    });
    // The credentials go on: the core checks INGEST_TOKEN too, as its port is reachable as well.
    for (const name of ["authorization", "x-api-key"]) {
      const value = call.metadata.get(name)[0];
      if (typeof value === "string") headers.set(name, value);
    }
    let response: Response;
    try {
      // `client` is Deno's fetch option for an HttpClient (missing from the stable RequestInit type).
      const init = { method: "POST", headers, body: Uint8Array.from(call.request), client };
      response = await fetch(settings.coreUrl + path, init as RequestInit);
    } catch (error) {
      callback(grpcError(
        GrpcCode.UNAVAILABLE,
        `Argus's core is not reachable: ${errorMessage(error)}`,
        1,
      ));
      return;
    }
    let body: Uint8Array;
    try {
      body = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      callback(grpcError(
        GrpcCode.UNAVAILABLE,
        `Argus's core did not finish its answer: ${errorMessage(error)}`,
        1,
      ));
      return;
    }
    if (response.ok) {
      callback(null, Buffer.from(body));
      return;
    }
    const retryAfter = Number(response.headers.get("retry-after") ?? "1") || 1;
    callback(toGrpcStatus(response.status, statusMessage(body), retryAfter));
  };
}

/** Refuses a call without INGEST_TOKEN when its metadata arrives: no message is read or sent on. */
function ingestTokenInterceptor(token: string): grpc.ServerInterceptor {
  return (_method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, pass) {
            const first = (name: string) => {
              const value = metadata.get(name)[0];
              return typeof value === "string" ? value : undefined;
            };
            const check = checkIngestToken(first, token);
            if (check === "ok") pass(metadata);
            else {
              call.sendStatus({
                code: GrpcCode.UNAUTHENTICATED as number as grpc.status,
                details: ingestTokenMessage(check),
              });
            }
          },
        });
      },
    });
}

/** A running gateway. */
export interface Gateway {
  port: number;
  server: grpc.Server;
  listener: GatewayListener;
  /**
   * Stops accepting connections, lets the calls in flight be answered (at most `graceMs`), then
   * destroys every connection's socket: no GOAWAY is sent (see grpc_connections.ts).
   */
  stop(graceMs?: number): Promise<void>;
}

/** Starts the gRPC server and resolves once it listens. */
export async function startGateway(settings: GatewaySettings): Promise<Gateway> {
  const server = new grpc.Server({
    "grpc.max_receive_message_length": settings.maxRequestBytes,
    "grpc.max_send_message_length": 4 * 1_048_576,
    "grpc.max_concurrent_streams": MAX_CONCURRENT_STREAMS,
    "grpc.keepalive_time_ms": KEEPALIVE_TIME_MS,
    "grpc.keepalive_timeout_ms": KEEPALIVE_TIMEOUT_MS,
    interceptors: settings.ingestToken ? [ingestTokenInterceptor(settings.ingestToken)] : [],
  });
  // The core closes a connection idle for HTTP_HEADER_TIMEOUT; letting go of idle ones sooner
  // keeps a request from being sent on a connection the core is closing at that moment.
  const client = Deno.createHttpClient({
    poolIdleTimeout: Math.max(100, Math.floor((settings.idleTimeoutMs ?? 10_000) / 2)),
  });
  const inFlight: CallsInFlight = { count: 0 };
  server.addService(TRACE_SERVICE, { Export: forward(settings, "/v1/traces", client, inFlight) });
  server.addService(LOGS_SERVICE, { Export: forward(settings, "/v1/logs", client, inFlight) });
  server.addService(METRICS_SERVICE, {
    Export: forward(settings, "/v1/metrics", client, inFlight),
  });
  // grpc-js's own listener is not used: connections are accepted here, limited, and handed to
  // grpc-js without the GOAWAY frames that abort Deno's HTTP/2 server (grpc_connections.ts).
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  let lastAcceptError = -Infinity;
  const listener = await listenForGateway({
    host: settings.host,
    port: settings.port,
    maxConnections: settings.maxConnections ?? 2048,
    prefaceTimeoutMs: settings.idleTimeoutMs ?? 10_000,
    idleConnectionMs: IDLE_CONNECTION_MS,
    inject: (connection) => injector.injectConnection(connection),
    onAcceptError: (error) => {
      if (performance.now() - lastAcceptError < 10_000) return;
      lastAcceptError = performance.now();
      // The supervisor logs the gateway's stderr as warnings.
      // deno-lint-ignore no-console -- the gateway has no logger of its own
      console.error(`a connection could not be accepted: ${error.message}`);
    },
  });
  let stopping: Promise<void> | undefined;
  const stop = (graceMs = STOP_GRACE_MS) => stopping ??= stopOnce(graceMs);
  const stopOnce = async (graceMs: number) => {
    await listener.stopAccepting();
    if (inFlight.count > 0) {
      const answered = Promise.withResolvers<void>();
      inFlight.onAnswered = () => inFlight.count === 0 && answered.resolve();
      const timer = setTimeout(answered.resolve, graceMs);
      await answered.promise;
      clearTimeout(timer);
    }
    // The answers are written by then; destroying the sockets (no GOAWAY) ends the connections.
    await new Promise((resolve) => setTimeout(resolve, 50));
    listener.destroyAll();
    injector.destroy();
    server.forceShutdown();
    client.close();
  };
  return { port: listener.port, server, listener, stop };
}

function settingsFromEnv(): GatewaySettings {
  const get = (name: string) => {
    const value = Deno.env.get(name);
    if (value === undefined) throw new Error(`${name} is not set: the gateway is started by Argus`);
    return value;
  };
  return {
    host: get("ARGUS_GATEWAY_HOST"),
    port: Number(get("ARGUS_GATEWAY_PORT")),
    coreUrl: get("ARGUS_GATEWAY_CORE_URL"),
    maxRequestBytes: Number(get("ARGUS_GATEWAY_MAX_REQUEST_BYTES")),
    ingestToken: Deno.env.get("ARGUS_GATEWAY_INGEST_TOKEN") || undefined,
    maxConnections: Number(Deno.env.get("ARGUS_GATEWAY_MAX_CONNECTIONS")) || undefined,
    idleTimeoutMs: Number(Deno.env.get("ARGUS_GATEWAY_IDLE_TIMEOUT_MS")) || undefined,
  };
}

/**
 * Runs this process as the gateway until Argus's core goes away: `deno run` on this module, or a
 * compiled binary started with the supervisor's GATEWAY_FLAG (scripts/binary_main.ts).
 */
export async function runGatewayProcess(): Promise<never> {
  const gateway = await startGateway(settingsFromEnv());
  await Deno.stdout.write(
    new TextEncoder().encode(JSON.stringify({ listening: gateway.port }) + "\n"),
  );
  // Calls in flight are answered first (their answers may acknowledge data), then it exits.
  const stop = () => void gateway.stop().finally(() => Deno.exit(0));
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  // The supervisor holds our stdin open; end of input means Argus's core is gone.
  for await (const _ of Deno.stdin.readable) {
    // nothing is ever sent
  }
  Deno.exit(0);
}

if (import.meta.main) await runGatewayProcess();
