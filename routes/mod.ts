/**
 * The HTTP application on `HTTP_PORT`: a route table of thin handlers (parse → store → JSON) and
 * the one error-to-response mapping, which answers client errors with their message and logs
 * everything else without leaking it.
 *
 * @module
 */
import type { Logger } from "../lib/logger.ts";
import { type ArgusMetrics, metricsResponse } from "../lib/metrics.ts";
import { health, type HealthDeps } from "./health.ts";
import { listLogs, logContext } from "./logs.ts";
import { InsightError, type InsightService, logInsight } from "./insight.ts";
import { type MetadataDeps, services } from "./metadata.ts";
import { stats } from "./stats.ts";
import { BadRequestError, NotFoundError, refuseNul } from "./query_params.ts";
import { listTraces, traceById } from "./traces.ts";
import { purge, vacuum } from "./admin.ts";
import { type Assets, serveAsset } from "./_assets.ts";
import { compress } from "./_compression.ts";
import { PAGES, renderPage } from "./pages/mod.ts";
import { dashboard, latencyHeatmap, serviceMap, traffic } from "./metrics.ts";
import { createGuard, type SecurityOptions } from "./auth.ts";
import { QueryDeadlineError, StoreUnavailableError, withQueryDeadline } from "../store/mod.ts";
import { h } from "preact";
import { DatabaseUnavailable } from "../components/DatabaseUnavailable.tsx";

export interface AppDeps extends HealthDeps {
  /** The UI's built assets; without them only the API is served. */
  assets?: Assets;
  /** The live log stream served on `/ws`. */
  live?: { upgrade(request: Request): Response };
  /** The Prometheus registry served on `/metrics`. */
  metrics?: Pick<ArgusMetrics, "text" | "contentType">;
  logger: Logger;
  queryMaxWindowMs: MetadataDeps["queryMaxWindowMs"];
  /** Milliseconds after which a query is answered 503 (QUERY_TIMEOUT). */
  queryTimeoutMs?: number;
  /** Tokens, Host and Origin rules, CORS (routes/auth.ts); without them, only the Origin check. */
  security?: SecurityOptions;
  /** AI log insight (`GET /api/logs/{id}/insight`); absent when AI_ENABLED is false. */
  insight?: InsightService;
  now?: () => number;
}

/**
 * A query that outlasted QUERY_TIMEOUT: answered 503. SQLite's readers stop its statements at the
 * same deadline; server databases bound each statement by DB_STATEMENT_TIMEOUT.
 */
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

/**
 * Runs `work` with its reads bounded by a deadline `timeoutMs` from now (the store stops them
 * then), and resolves as it does, or rejects with QueryTimeoutError at the deadline.
 */
async function withTimeout<T>(work: () => Promise<T>, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new QueryTimeoutError(timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([withQueryDeadline(Date.now() + timeoutMs, work), timeout]);
  } catch (error) {
    // A read the store stopped at the deadline, a moment before the timer above fired.
    throw error instanceof QueryDeadlineError ? new QueryTimeoutError(timeoutMs) : error;
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

type Method = "GET" | "POST" | "DELETE";

/** One route: a method, a path whose `{name}` segments match any one segment, and a handler. */
export interface Route {
  method: Method;
  path: string;
  /** Whether QUERY_TIMEOUT applies (queries; not upgrades or maintenance). */
  timed: boolean;
  handle(request: Request, url: URL, segments: Record<string, string>): Promise<Response>;
}

/** A path segment as the client meant it; as sent when it is not valid percent-encoding. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The path's `{name}` segments if `pattern` matches it, else undefined. */
function match(pattern: string, pathname: string): Record<string, string> | undefined {
  const want = pattern.split("/");
  const have = pathname.split("/");
  if (want.length !== have.length) return undefined;
  const segments: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    if (w.startsWith("{") && w.endsWith("}")) {
      if (have[i] === "") return undefined;
      segments[w.slice(1, -1)] = decodeSegment(have[i]!);
    } else if (w !== have[i]) return undefined;
  }
  return segments;
}

/** The API's routes (docs/api.md documents each; a test keeps the two in step). */
export function apiRoutes(deps: AppDeps): Route[] {
  const now = deps.now ?? Date.now;
  const d = { ...deps, now };
  const get = (
    path: string,
    answer: (params: URLSearchParams, segments: Record<string, string>) => Promise<unknown>,
  ): Route => ({
    method: "GET",
    path,
    timed: true,
    handle: async (_request, url, segments) => json(await answer(url.searchParams, segments)),
  });
  return [
    {
      method: "GET",
      path: "/api/health",
      timed: true,
      handle: async () => {
        const body = await health(deps);
        return json(body, body.status === "ok" ? 200 : 503);
      },
    },
    {
      method: "GET",
      path: "/metrics",
      timed: false,
      handle: () =>
        deps.metrics
          ? metricsResponse(deps.metrics)
          : Promise.resolve(json({ error: "Metrics are not collected in this process" }, 404)),
    },
    {
      method: "GET",
      path: "/ws",
      timed: false,
      handle: (request) =>
        Promise.resolve(
          deps.live
            ? deps.live.upgrade(request)
            : json({ error: "The live stream is not served by this process" }, 404),
        ),
    },
    get("/api/stats", (params) => stats(params, d)),
    get("/api/traces", (params) => listTraces(params, d)),
    get("/api/traces/{trace_id}", (_params, segments) => traceById(segments.trace_id!, deps.store)),
    get("/api/logs", (params) => listLogs(params, d)),
    get("/api/logs/context", (params) => logContext(params, d)),
    { ...get("/api/logs/{id}/insight", (_p, s) => logInsight(s.id ?? "", deps)), timed: false },
    get("/api/metrics/traffic", (params) => traffic(params, d)),
    get("/api/metrics/latency_heatmap", (params) => latencyHeatmap(params, d)),
    get("/api/metrics/dashboard", (params) => dashboard(params, d)),
    get("/api/metrics/service-map", (params) => serviceMap(params, d)),
    get("/api/metadata/services", (params) => services(params, d)),
    {
      method: "DELETE",
      path: "/api/admin/purge",
      timed: false,
      handle: async (_request, url) => json(await purge(url.searchParams, d)),
    },
    {
      method: "POST",
      path: "/api/admin/vacuum",
      timed: false,
      handle: async () => json(await vacuum(d)),
    },
  ];
}

/** The UI's pages and their assets. */
export function pageRoutes(deps: AppDeps, assets: Assets): Route[] {
  const asset = (path: string): Route => ({
    method: "GET",
    path,
    timed: false,
    handle: (request, url) =>
      Promise.resolve(serveAsset(assets, url.pathname.slice("/static/".length), request)),
  });
  return [
    asset("/static/{file}"),
    asset("/static/build/{file}"),
    ...PAGES.map((page): Route => ({
      method: "GET",
      path: page.path,
      timed: true,
      handle: async (_request, url, segments) => {
        const shell = {
          active: page.active,
          warning: deps.security?.warning,
          logout: Boolean(deps.security?.apiToken),
        };
        try {
          return renderPage(assets, {
            ...shell,
            ...(await page.render({ ...deps, now: deps.now ?? Date.now }, url, segments)),
          });
        } catch (error) {
          if (!(error instanceof StoreUnavailableError)) throw error;
          // The page's own shell, with the reason, rather than an error of the API's shape.
          return renderPage(assets, {
            ...shell,
            title: "Database unavailable",
            status: 503,
            body: h(DatabaseUnavailable, { message: error.message }),
          });
        }
      },
    })),
  ];
}

export function createApp(deps: AppDeps): (request: Request) => Promise<Response> {
  const queryTimeoutMs = deps.queryTimeoutMs ?? 10_000;
  const guard = createGuard(deps.security);
  const routes = [
    ...apiRoutes(deps),
    ...guard.routes,
    ...(deps.assets ? pageRoutes(deps, deps.assets) : []),
  ];

  return async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    // Refusals (Host, Origin, tokens) come before any route does work.
    const answer = guard.check(request, url) ?? await route(request, url);
    return compress(request, guard.finish(request, url, answer));
  };

  async function route(request: Request, url: URL): Promise<Response> {
    const { pathname } = url;
    try {
      // One check for every parameter of every route, `/ws` included (see refuseNul).
      refuseNul(url);
      if (pathname === "/" && deps.assets === undefined) {
        return new Response(null, { status: 302, headers: { location: "/api/health" } });
      }
      const method = request.method === "HEAD" ? "GET" : request.method;
      const matching = routes.flatMap((route) => {
        const segments = match(route.path, pathname);
        return segments === undefined ? [] : [{ route, segments }];
      });
      if (matching.length === 0) {
        return json({ error: `No route for ${request.method} ${pathname}` }, 404);
      }
      const found = matching.find((m) => m.route.method === method);
      if (found === undefined) {
        const allowed = [...new Set(matching.map((m) => m.route.method))].join(", ");
        return new Response(
          JSON.stringify({
            error: `Method ${request.method} is not allowed on ${pathname}: use ${allowed}`,
          }),
          {
            status: 405,
            headers: { "content-type": "application/json; charset=utf-8", allow: allowed },
          },
        );
      }
      const answer = () => found.route.handle(request, url, found.segments);
      return await (found.route.timed ? withTimeout(answer, queryTimeoutMs) : answer());
    } catch (error) {
      if (
        error instanceof BadRequestError || error instanceof NotFoundError ||
        error instanceof InsightError
      ) {
        return json({ error: error.message }, error.status);
      }
      if (error instanceof StoreUnavailableError) {
        deps.logger.warn("request answered 503: the database is not available", {
          path: pathname,
          error: error.message,
        });
        return new Response(JSON.stringify({ error: error.message }), {
          status: 503,
          headers: { "content-type": "application/json; charset=utf-8", "retry-after": "5" },
        });
      }
      if (error instanceof QueryTimeoutError || error instanceof QueryDeadlineError) {
        // QueryDeadlineError outside withTimeout: a read of an untimed route (the AI insight's)
        // stopped by the store's own bound, QUERY_TIMEOUT per statement.
        deps.logger.warn("query timed out", { path: pathname, query: url.search });
        return new Response(JSON.stringify({ error: error.message }), {
          status: 503,
          headers: { "content-type": "application/json; charset=utf-8", "retry-after": "5" },
        });
      }
      deps.logger.error("request failed", { path: pathname, error });
      return json({ error: "Internal server error: see the Argus log" }, 500);
    }
  }
}
