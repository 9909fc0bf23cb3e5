/**
 * The HTTP application on `HTTP_PORT`: a route table of thin handlers (parse → store → JSON) and
 * the one error-to-response mapping, which answers client errors with their message and logs
 * everything else without leaking it.
 *
 * @module
 */
import type { Logger } from "../lib/logger.ts";
import { health, type HealthDeps } from "./health.ts";
import { listLogs, logContext } from "./logs.ts";
import { type MetadataDeps, services } from "./metadata.ts";
import { stats } from "./stats.ts";
import { BadRequestError, NotFoundError } from "./query_params.ts";
import { listTraces, traceById } from "./traces.ts";
import { dashboard, latencyHeatmap, serviceMap, traffic } from "./metrics.ts";

export interface AppDeps extends HealthDeps {
  logger: Logger;
  queryMaxWindowMs: MetadataDeps["queryMaxWindowMs"];
  /** Milliseconds after which a query is answered 503 (QUERY_TIMEOUT). */
  queryTimeoutMs?: number;
  now?: () => number;
}

/** A query that outlasted QUERY_TIMEOUT: answered 503, while the database may still finish it. */
export class QueryTimeoutError extends Error {
  readonly status = 503;
  constructor(timeoutMs: number) {
    super(
      `The query took longer than QUERY_TIMEOUT (${timeoutMs} ms): narrow the time window or ` +
        "the filters, or retry later",
    );
    this.name = "QueryTimeoutError";
  }
}

/** Resolves as `work` does, or rejects with QueryTimeoutError after `timeoutMs`. */
async function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new QueryTimeoutError(timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

type Handler = (request: Request, url: URL) => Promise<Response>;

export function createApp(deps: AppDeps): (request: Request) => Promise<Response> {
  const now = deps.now ?? Date.now;
  const queryTimeoutMs = deps.queryTimeoutMs ?? 10_000;
  const routes: Record<string, Handler> = {
    "/api/health": async () => {
      const body = await health(deps);
      return json(body, body.status === "ok" ? 200 : 503);
    },
    "/api/metadata/services": async (_request, url) =>
      json(await services(url.searchParams, { ...deps, now })),
    "/api/logs": async (_request, url) => json(await listLogs(url.searchParams, { ...deps, now })),
    "/api/logs/context": async (_request, url) => json(await logContext(url.searchParams, deps)),
    "/api/stats": async (_request, url) => json(await stats(url.searchParams, { ...deps, now })),
    "/api/traces": async (_request, url) =>
      json(await listTraces(url.searchParams, { ...deps, now })),
    "/api/metrics/traffic": async (_request, url) =>
      json(await traffic(url.searchParams, { ...deps, now })),
    "/api/metrics/latency_heatmap": async (_request, url) =>
      json(await latencyHeatmap(url.searchParams, { ...deps, now })),
    "/api/metrics/dashboard": async (_request, url) =>
      json(await dashboard(url.searchParams, { ...deps, now })),
    "/api/metrics/service-map": async (_request, url) =>
      json(await serviceMap(url.searchParams, { ...deps, now })),
  };

  return async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const { pathname } = url;
    try {
      if (pathname === "/") {
        return new Response(null, { status: 302, headers: { location: "/api/health" } });
      }
      const trace = /^\/api\/traces\/([^/]+)$/.exec(pathname);
      const route = trace
        ? async () => json(await traceById(trace[1]!, deps.store))
        : routes[pathname];
      if (route === undefined) {
        return json({ error: `No route for ${request.method} ${pathname}` }, 404);
      }
      if (request.method !== "GET" && request.method !== "HEAD") {
        return json(
          { error: `Method ${request.method} is not allowed on ${pathname}: use GET` },
          405,
        );
      }
      return await withTimeout(route(request, url), queryTimeoutMs);
    } catch (error) {
      if (error instanceof BadRequestError || error instanceof NotFoundError) {
        return json({ error: error.message }, error.status);
      }
      if (error instanceof QueryTimeoutError) {
        deps.logger.warn("query timed out", { path: pathname, query: url.search });
        return new Response(JSON.stringify({ error: error.message }), {
          status: 503,
          headers: { "content-type": "application/json; charset=utf-8", "retry-after": "5" },
        });
      }
      deps.logger.error("request failed", { path: pathname, error });
      return json({ error: "Internal server error: see the Argus log" }, 500);
    }
  };
}
