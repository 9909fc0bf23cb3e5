/**
 * The OTLP/HTTP receiver (`POST /v1/traces`, `/v1/logs`, `/v1/metrics` on `OTLP_HTTP_PORT`),
 * following the OTLP/HTTP specification: protobuf or JSON bodies, optional gzip, the answer in
 * the request's format, `google.rpc.Status` bodies on errors, and retryable statuses (429, 503)
 * with `Retry-After` when Argus cannot take the data now.
 *
 * Size limits apply to the body as sent and again after decompression, while it streams: a gzip
 * bomb is cut off at `MAX_REQUEST_BYTES`, never expanded in memory.
 *
 * Nothing is read that Argus cannot take: a request is answered 429 before its body is read when
 * the ingest queue is full, or when the bodies being received already hold
 * INFLIGHT_MAX_BYTES (one budget across all requests, reserved up front from
 * Content-Length, else as bytes arrive). A body must arrive whole within HTTP_BODY_TIMEOUT (408
 * beyond), and is copied into one buffer of the request's own (lib/http_listener.ts).
 *
 * @module
 */
import type { Logger } from "../lib/logger.ts";
import {
  BodyBudgetError,
  BodyTimeoutError,
  BodyTooLargeError,
  type BudgetLease,
  ByteBudget,
  readBody as readWhole,
} from "../lib/http_listener.ts";
import { IngestUnavailableError, QueueFullError, ShuttingDownError } from "./batcher.ts";
import type { IngestService } from "./ingest_service.ts";
import { encodeResponse, OtlpDecodeError, type Signal, type WireFormat } from "./otlp/mod.ts";
import { encodeStatus, GrpcCode } from "./otlp_status.ts";
import {
  checkIngestToken,
  hostAllowed,
  type HostPolicy,
  hostRefusedMessage,
  ingestTokenMessage,
} from "../lib/security.ts";
import { errorMessage } from "../utils/errors.ts";

export interface OtlpHttpOptions {
  service: IngestService;
  logger: Logger;
  /** Largest body accepted, before and after decompression (`MAX_REQUEST_BYTES`). */
  maxRequestBytes: number;
  /** Self-monitoring hooks (e.g. the Prometheus metrics); none by default. */
  observer?: OtlpHttpObserver;
  /** INGEST_TOKEN: without it (Bearer or `x-api-key`) a request is refused before its body is read. */
  ingestToken?: string | null;
  /** The Host names answered (DNS rebinding); any by default. */
  hosts?: HostPolicy;
  /**
   * Why the ingest queue would refuse a request of about this many bytes now, if it would (the
   * batcher's `refusal`): such a request is answered 429 before its body is read.
   */
  refusal?: (bytes: number) => Error | undefined;
  /** INFLIGHT_MAX_BYTES: bytes of bodies held at once across all requests (64 MiB). */
  maxInflightBytes?: number;
  /** HTTP_BODY_TIMEOUT: milliseconds a body may take to arrive whole (30 s). */
  bodyTimeoutMs?: number;
}

/**
 * How a request was answered: `invalid` is 400, 404, 405, 408 (body too slow) or 415;
 * `unauthorized` 401 or 403 (no INGEST_TOKEN, a Host not allowed); `too_large` 413; `throttled`
 * 429 (queue full, or INFLIGHT_MAX_BYTES reached); `unavailable` 503 (database and DLQ
 * unavailable, or shutting down); `error` 500.
 */
export type OtlpRequestOutcome =
  | "success"
  | "partial_success"
  | "invalid"
  | "unauthorized"
  | "too_large"
  | "throttled"
  | "unavailable"
  | "error";

/** Optional self-monitoring hooks; a hook that throws is logged and otherwise ignored. */
export interface OtlpHttpObserver {
  /** One request answered; `signal` is "unknown" for a path that is no OTLP endpoint. */
  otlpRequest?(
    transport: "http" | "grpc",
    signal: Signal | "metrics" | "unknown",
    outcome: OtlpRequestOutcome,
  ): void;
}

/**
 * Header by which the gRPC gateway marks the requests it forwards (`grpc`), so that they are
 * counted by their client's transport. Only a label of self-metrics depends on it.
 */
export const TRANSPORT_HEADER = "x-argus-transport";

const PATHS: Record<string, Signal | "metrics"> = {
  "/v1/traces": "traces",
  "/v1/logs": "logs",
  "/v1/metrics": "metrics",
};

const CONTENT_TYPES: Record<string, WireFormat> = {
  "application/x-protobuf": "protobuf",
  "application/protobuf": "protobuf",
  "application/json": "json",
};

/** Seconds a client should wait before retrying: short when busy, longer when storage is down. */
const RETRY_AFTER_BUSY_S = 1;
const RETRY_AFTER_UNAVAILABLE_S = 5;

/** An HTTP error with the google.rpc code its Status body carries. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: GrpcCode,
    message: string,
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

function contentTypeOf(format: WireFormat): string {
  return format === "json" ? "application/json" : "application/x-protobuf";
}

function errorResponse(error: HttpError, format: WireFormat): Response {
  const headers = new Headers({ "content-type": contentTypeOf(format) });
  if (error.retryAfterS !== undefined) headers.set("retry-after", String(error.retryAfterS));
  if (error.status === 401) headers.set("www-authenticate", 'Bearer realm="argus-ingest"');
  return new Response(encodeStatus(format, error.code, error.message), {
    status: error.status,
    headers,
  });
}

/** google.rpc.Code DEADLINE_EXCEEDED, for a body that did not arrive in time. */
const DEADLINE_EXCEEDED = 4 as GrpcCode;

function tooLarge(limit: number, what: string): HttpError {
  return new HttpError(
    413,
    GrpcCode.RESOURCE_EXHAUSTED,
    `The request ${what} is larger than MAX_REQUEST_BYTES (${limit} bytes)`,
  );
}

/** How a body is read: its limits, the request's share of the budget, its deadline. */
interface BodyLimits {
  limit: number;
  lease: BudgetLease;
  timeoutMs: number;
}

/** Reads a stream whole under `limits`, turning each way it can fail into its HTTP answer. */
async function readLimited(
  stream: ReadableStream<Uint8Array>,
  limits: BodyLimits,
  what: string,
  expectedBytes?: number,
): Promise<Uint8Array> {
  try {
    return await readWhole(stream, {
      maxBytes: limits.limit,
      timeoutMs: limits.timeoutMs,
      lease: limits.lease,
      expectedBytes,
    });
  } catch (error) {
    if (error instanceof HttpError) throw error;
    if (error instanceof BodyTooLargeError) throw tooLarge(limits.limit, what);
    if (error instanceof BodyTimeoutError) {
      throw new HttpError(
        408,
        DEADLINE_EXCEEDED,
        `The request body did not arrive within HTTP_BODY_TIMEOUT (${limits.timeoutMs} ms)`,
      );
    }
    if (error instanceof BodyBudgetError) throw budgetSpent(error.maxBytes);
    throw new HttpError(
      400,
      GrpcCode.INVALID_ARGUMENT,
      `The request body cannot be read${what === "body after decompression" ? " as gzip" : ""}: ${
        errorMessage(error)
      }`,
    );
  }
}

function budgetSpent(maxBytes: number): HttpError {
  return new HttpError(
    429,
    GrpcCode.RESOURCE_EXHAUSTED,
    `Argus is receiving INFLIGHT_MAX_BYTES (${maxBytes} bytes) of request bodies ` +
      "already: retry later",
    RETRY_AFTER_BUSY_S,
  );
}

/** The declared Content-Length, or undefined when there is none (chunked). */
function declaredLength(request: Request): number | undefined {
  const text = request.headers.get("content-length");
  return text === null || !/^\d+$/.test(text.trim()) ? undefined : Number(text);
}

/** Refuses, from its headers alone, a body too large or in an unknown encoding. */
function checkBodyHeaders(request: Request, limit: number): void {
  const declared = declaredLength(request);
  if (declared !== undefined && declared > limit) {
    throw new HttpError(
      413,
      GrpcCode.RESOURCE_EXHAUSTED,
      `The request body is larger than MAX_REQUEST_BYTES (${limit} bytes): Content-Length is ${declared}`,
    );
  }
  const encoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding !== "identity" && encoding !== "gzip") {
    throw new HttpError(
      415,
      GrpcCode.INVALID_ARGUMENT,
      `Content-Encoding must be gzip or identity: current value is ${JSON.stringify(encoding)}`,
    );
  }
}

/** The body whole, once `checkBodyHeaders` let it through. */
async function readBody(request: Request, limits: BodyLimits): Promise<Uint8Array> {
  const { limit } = limits;
  const declared = declaredLength(request);
  const encoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (request.body === null) return new Uint8Array(0);
  if (encoding === "identity") return await readLimited(request.body, limits, "body", declared);
  // Count the compressed bytes and, separately, the decompressed ones. The compressed ones are
  // reserved too: the decompressor holds them while it works.
  let compressed = 0;
  const counted = request.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        compressed += chunk.byteLength;
        if (compressed > limit) {
          controller.error(tooLarge(limit, "body"));
          return;
        }
        if (!limits.lease.reserve(chunk.byteLength)) {
          controller.error(budgetSpent(limits.lease.budget.maxBytes));
          return;
        }
        // A copy, so that a trickled body does not keep a network buffer per chunk.
        controller.enqueue(chunk.slice());
      },
    }),
  );
  const inflated = counted.pipeThrough(
    new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
  );
  return await readLimited(inflated, limits, "body after decompression");
}

/** Maps what the ingest service threw to the answer the OTLP/HTTP specification asks for. */
function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof OtlpDecodeError) {
    return new HttpError(
      400,
      GrpcCode.INVALID_ARGUMENT,
      `The request cannot be decoded: ${error.message}`,
    );
  }
  if (error instanceof QueueFullError) {
    return new HttpError(429, GrpcCode.RESOURCE_EXHAUSTED, error.message, RETRY_AFTER_BUSY_S);
  }
  if (error instanceof IngestUnavailableError || error instanceof ShuttingDownError) {
    return new HttpError(503, GrpcCode.UNAVAILABLE, error.message, RETRY_AFTER_UNAVAILABLE_S);
  }
  return undefined;
}

/** Milliseconds a body may take by default (HTTP_BODY_TIMEOUT). */
const DEFAULT_BODY_TIMEOUT_MS = 30_000;

function outcomeOf(status: number): OtlpRequestOutcome {
  if (status === 401 || status === 403) return "unauthorized";
  if (status === 413) return "too_large";
  if (status === 429) return "throttled";
  if (status === 503) return "unavailable";
  if (status === 500) return "error";
  return "invalid";
}

export function createOtlpHttpHandler(
  options: OtlpHttpOptions,
): (request: Request) => Promise<Response> {
  const { service, logger, maxRequestBytes, observer } = options;
  const ingestToken = options.ingestToken || null;
  const budget = new ByteBudget(options.maxInflightBytes ?? 64 * 1_048_576);
  const bodyTimeoutMs = options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;

  function observe(
    request: Request,
    signal: Signal | "metrics" | undefined,
    outcome: OtlpRequestOutcome,
  ) {
    if (observer?.otlpRequest === undefined) return;
    const transport = request.headers.get(TRANSPORT_HEADER) === "grpc" ? "grpc" : "http";
    try {
      observer.otlpRequest(transport, signal ?? "unknown", outcome);
    } catch (error) {
      logger.warn("a self-monitoring hook failed", { error });
    }
  }

  return async function handleOtlp(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    const signal = PATHS[pathname];
    const mediaType = (request.headers.get("content-type") ?? "").split(";")[0]!.trim()
      .toLowerCase();
    const format = CONTENT_TYPES[mediaType];
    // Errors answer in the request's format when it has one, else in JSON (readable with curl).
    const answerFormat: WireFormat = format ?? "json";
    const lease = budget.lease();
    try {
      // Before anything else, the body included: an unauthenticated request costs no work.
      const host = request.headers.get("host");
      if (options.hosts && !hostAllowed(host, options.hosts)) {
        throw new HttpError(
          403,
          GrpcCode.PERMISSION_DENIED,
          hostRefusedMessage(host ?? "", options.hosts),
        );
      }
      if (ingestToken !== null) {
        const check = checkIngestToken((name) => request.headers.get(name), ingestToken);
        if (check !== "ok") {
          throw new HttpError(401, GrpcCode.UNAUTHENTICATED, ingestTokenMessage(check));
        }
      }
      if (signal === undefined) {
        throw new HttpError(
          404,
          GrpcCode.NOT_FOUND,
          `No OTLP endpoint at ${pathname}: use POST /v1/traces, /v1/logs or /v1/metrics`,
        );
      }
      if (request.method !== "POST") {
        throw new HttpError(
          405,
          GrpcCode.UNIMPLEMENTED,
          `Method ${request.method} is not allowed on ${pathname}: use POST`,
        );
      }
      if (format === undefined) {
        throw new HttpError(
          415,
          GrpcCode.INVALID_ARGUMENT,
          `Content-Type must be application/x-protobuf or application/json: current value is ${
            JSON.stringify(request.headers.get("content-type") ?? "")
          }`,
        );
      }
      checkBodyHeaders(request, maxRequestBytes);
      // Before the body: a full queue or a spent budget costs the client one round trip, and
      // Argus no reading or decoding. Decoded rows take about twice the body in the queue.
      const declared = declaredLength(request);
      const full = options.refusal?.(2 * (declared ?? 0));
      if (full !== undefined) {
        throw new HttpError(429, GrpcCode.RESOURCE_EXHAUSTED, full.message, RETRY_AFTER_BUSY_S);
      }
      // The budget is reserved by the reader before it reads: from Content-Length at once.
      const body = await readBody(request, {
        limit: maxRequestBytes,
        lease,
        timeoutMs: bodyTimeoutMs,
      });
      const outcome = await service.export(signal, format, body);
      const answer = encodeResponse(signal, format, outcome.rejected, outcome.message);
      observe(request, signal, outcome.rejected > 0 ? "partial_success" : "success");
      return new Response(answer as Uint8Array<ArrayBuffer>, {
        headers: { "content-type": contentTypeOf(format) },
      });
    } catch (error) {
      const httpError = toHttpError(error);
      observe(request, signal, httpError ? outcomeOf(httpError.status) : "error");
      if (httpError) return errorResponse(httpError, answerFormat);
      logger.error("OTLP/HTTP request failed", { path: pathname, error });
      return errorResponse(
        new HttpError(500, GrpcCode.INTERNAL, "Internal error: see the Argus log"),
        answerFormat,
      );
    } finally {
      // The body is decoded (or refused) by now: its bytes are the queue's to count.
      lease.release();
    }
  };
}
