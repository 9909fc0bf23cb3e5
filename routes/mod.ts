/**
 * The HTTP application on `HTTP_PORT`, on Hono: the edge's middlewares in one list (`createApp`),
 * the API's routes (thin handlers: parse → store → JSON), the UI's pages and assets, logging in
 * and out (routes/login.ts), and the two error handlers (routes/errors.ts).
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { PageTime } from "../components/Layout.tsx";
import { zoneFromCookies } from "../utils/time_zone.ts";
import type { Logger } from "../lib/logger.ts";
import { type ArgusMetrics, metricsResponse } from "../lib/metrics.ts";
import { health, type HealthDeps } from "./health.ts";
import { listLogs, LIVE_QUERY, LOG_CONTEXT_QUERY, LOG_LIST_QUERY, logContext } from "./logs.ts";
import { type InsightService, logInsight, traceInsight } from "./insight.ts";
import { insightResponse } from "./insight_stream.ts";
import { latest, type MetadataDeps, services, SERVICES_QUERY } from "./metadata.ts";
import { stats, STATS_QUERY } from "./stats.ts";
import { parseQuery, parseTraceLookup, type QuerySchema, VALUES } from "./query_params.ts";
import type { LiveHub } from "../live/mod.ts";
import { HttpError, NotFoundError } from "./http_error.ts";
import {
  listTraces,
  searchTrace,
  TRACE_LIST_QUERY,
  TRACE_SEARCH_QUERY,
  TRACE_STRUCTURE_QUERY,
  traceById,
  traceSpan,
  traceStructure,
} from "./traces.ts";
import { TraceSnapshots } from "./trace_snapshots.ts";
import { operations, OPERATIONS_QUERY } from "./operations.ts";
import {
  INSTRUMENT_CHART_QUERY,
  INSTRUMENT_EXEMPLARS_QUERY,
  INSTRUMENT_LIST_QUERY,
  INSTRUMENT_QUERY,
  instrumentChart,
  instrumentDetail,
  instrumentExemplars,
  listInstruments,
} from "./instruments.ts";
import { type ConfigSummary, settings } from "./settings.ts";
import { purge, PURGE_QUERY, vacuum } from "./admin.ts";
import { type Assets, serveAsset } from "./_assets.ts";
import { PAGES, renderPage } from "./pages/mod.ts";
import { colorSchemeChoiceOf } from "../utils/color_scheme.ts";
import {
  dashboard,
  DASHBOARD_QUERY,
  latencyHeatmap,
  ROLLUP_QUERY,
  SERIES_QUERY,
  serviceMap,
  traffic,
} from "./dashboards.ts";
import { type Context, Hono } from "hono";
import { compress } from "hono/compress";
import { ANY_HOST, type HostPolicy } from "../lib/security.ts";
import { jsonErrorHandler, pageErrorHandler } from "./errors.ts";
import { loginRoutes } from "./login.ts";
import { adminToken } from "./middleware/admin_token.ts";
import { apiToken } from "./middleware/api_token.ts";
import { corsPolicy } from "./middleware/cors.ts";
import { hostCheck } from "./middleware/host_check.ts";
import { nulCheck } from "./middleware/nul_check.ts";
import { originCheck } from "./middleware/origin_check.ts";
import { isApiPath, LIVE_PATH } from "./middleware/paths.ts";
import { queryDeadline } from "./middleware/query_deadline.ts";
import { securityHeaders } from "./middleware/security_headers.ts";

export interface AppDeps extends HealthDeps {
  /** The UI's built assets; without them only the API is served. */
  assets?: Assets;
  /** The live log stream served on `/ws`. */
  live?: Pick<LiveHub, "upgrade">;
  /** The Prometheus registry served on `/metrics`. */
  metrics?: Pick<ArgusMetrics, "text" | "contentType">;
  logger: Logger;
  queryMaxWindowMs: MetadataDeps["queryMaxWindowMs"];
  /** TRACE_MAX_SPANS: the most spans `GET /api/traces/{trace_id}` answers whole. */
  traceMaxSpans?: number;
  /**
   * TRACE_PAGE_INLINE_SPANS: the most spans whose structure a trace page carries in its HTML
   * (routes/pages/trace.tsx has the default).
   */
  tracePageInlineSpans?: number;
  /**
   * A huge trace page's structure read, kept for the page's own request for it
   * (routes/trace_snapshots.ts; TRACE_SNAPSHOTS, TRACE_SNAPSHOT_LIFETIME). `createApp` makes one
   * with the defaults when absent.
   */
  traceSnapshots?: TraceSnapshots;
  /** METRIC_MAX_STEPS: the most steps a metric chart may have (routes/instruments.ts). */
  metricMaxSteps?: number;
  /** METRIC_MAX_SERIES: the most series one metric chart or exemplar query reads. */
  metricMaxSeries?: number;
  /** METRIC_MAX_POINTS: the most metric points one chart reads. */
  metricMaxPoints?: number;
  /** The configuration as `GET /api/settings` and the Settings page show it (no token values). */
  configSummary?: () => ConfigSummary;
  /** Milliseconds after which a query is answered 503 (QUERY_TIMEOUT). */
  queryTimeoutMs?: number;
  /** Tokens, Host and Origin rules, CORS (routes/middleware/); without them, only the Origin check. */
  security?: SecurityOptions;
  /**
   * AI insight (`GET /api/logs/{id}/insight`, `GET /api/traces/{trace_id}/insight`); absent when
   * AI_ENABLED is false.
   */
  insight?: InsightService;
  /** MCP_MAX_OUTPUT_BYTES: the most bytes one MCP tool answers (routes/mcp.ts). */
  mcpMaxOutputBytes?: number;
  now?: () => number;
}

/** Who may use the app (each rule is a middleware of routes/middleware/). */
export interface SecurityOptions {
  /** API_TOKEN: required by everything but the public paths; null or absent when unset. */
  apiToken?: string | null;
  /** ADMIN_TOKEN: required (Bearer) by `/api/admin/*`; it also opens what API_TOKEN opens. */
  adminToken?: string | null;
  /** APP_ENV is production: without `adminToken`, the admin endpoints are refused. */
  production?: boolean;
  /** The Host names answered (default: any). */
  hosts?: HostPolicy;
  /** CORS_ORIGINS: origins whose pages may call the API, and act on it as its own pages do. */
  corsOrigins?: readonly string[];
  /** Shown as a banner on every page (e.g. listening beyond loopback without tokens). */
  warning?: string;
  /** LOGIN_RATE_LIMIT: login attempts a minute from one client address; 0 is no limit. */
  loginRateLimit?: number;
  /** HTTP_BODY_TIMEOUT: milliseconds the login form may take to arrive. */
  bodyTimeoutMs?: number;
  now?: () => number;
}

type Method = "GET" | "POST" | "DELETE";

/**
 * One route: a method, a path whose `{name}` segments match any one segment, the query parameters
 * it reads (their parsers, the 400s they answer, and what docs/api.md must list), and a handler.
 */
export interface Route {
  method: Method;
  path: string;
  query: QuerySchema;
  /** Whether QUERY_TIMEOUT applies (queries; not upgrades or maintenance). */
  timed: boolean;
  handle(c: Context): Response | Promise<Response>;
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

/** `/traces/{trace_id}` (the docs' form) as Hono's `/traces/:trace_id`. */
function honoPath(path: string): string {
  return path.replace(/\{([a-z_]+)\}/g, ":$1");
}

/**
 * The async context of no request, taken when this module loads: the MCP server's modules are
 * loaded in it (below), as they keep the context they were first evaluated in for work they do
 * later, and a request's would hand its QUERY_TIMEOUT deadline to every later request (seen: a
 * second app's tool read stopped at once by the first one's passed deadline).
 */
const OUTSIDE_REQUESTS = AsyncLocalStorage.snapshot();

/**
 * `/mcp`, the MCP server (routes/mcp.ts): POST for its messages; GET and DELETE are 405. Loaded
 * at its first request: the SDK, zod and ajv take ~360 ms to import, which no start should wait.
 */
function mcpRoutes(deps: AppDeps): Route[] {
  const toolDeps = { ...deps, now: deps.now ?? Date.now };
  let mcp: Promise<typeof import("./mcp.ts")> | undefined;
  return [{
    method: "POST",
    path: "/mcp",
    query: {},
    timed: true,
    handle: async (c) => {
      mcp ??= OUTSIDE_REQUESTS(() => import("./mcp.ts"));
      const { handleMcp } = await mcp;
      return handleMcp(c.req.raw, toolDeps, { maxOutputBytes: deps.mcpMaxOutputBytes });
    },
  }];
}

/** The API's routes (docs/api.md documents each; a test keeps the two in step). */
export function apiRoutes(deps: AppDeps): Route[] {
  const now = deps.now ?? Date.now;
  const d = { ...deps, now };
  const get = <S extends QuerySchema>(
    path: string,
    query: S,
    answer: (params: URLSearchParams, segments: Record<string, string>) => Promise<unknown>,
  ): Route => ({
    method: "GET",
    path,
    query,
    timed: true,
    handle: async (c) => json(await answer(new URL(c.req.url).searchParams, c.req.param())),
  });
  return [
    {
      method: "GET",
      path: "/api/health",
      query: {},
      timed: true,
      handle: async () => {
        const body = await health(deps);
        return json(body, body.status === "ok" ? 200 : 503);
      },
    },
    {
      method: "GET",
      path: "/metrics",
      query: {},
      timed: false,
      handle: () =>
        deps.metrics
          ? metricsResponse(deps.metrics)
          : json({ error: "Metrics are not collected in this process" }, 404),
    },
    {
      method: "GET",
      path: LIVE_PATH,
      query: LIVE_QUERY,
      timed: false,
      handle: (c) =>
        deps.live
          ? deps.live.upgrade(c.req.raw, parseQuery(LIVE_QUERY, new URL(c.req.url).searchParams))
          : json({ error: "The live stream is not served by this process" }, 404),
    },
    ...mcpRoutes(deps),
    get("/api/stats", STATS_QUERY, (params) => stats(params, d)),
    get("/api/traces", TRACE_LIST_QUERY, (params) => listTraces(params, d)),
    // `values` is parsed here and handed on: the functions' other callers (pages, MCP, AI) get plain.
    get(
      "/api/traces/{trace_id}",
      { values: VALUES },
      (params, segments) =>
        traceById(segments.trace_id!, deps.store, deps.traceMaxSpans, VALUES.parse(params)),
    ),
    get(
      "/api/traces/{trace_id}/structure",
      TRACE_STRUCTURE_QUERY,
      (params, s) => traceStructure(s.trace_id!, params, deps.store, deps.traceSnapshots),
    ),
    get(
      "/api/traces/{trace_id}/spans/{span_id}",
      { values: VALUES },
      (params, s) => traceSpan(s.trace_id!, s.span_id!, deps.store, VALUES.parse(params)),
    ),
    get(
      "/api/traces/{trace_id}/search",
      TRACE_SEARCH_QUERY,
      (params, s) => searchTrace(s.trace_id!, params, deps.store),
    ),
    {
      // AI_TIMEOUT bounds it (routes/insight.ts), not QUERY_TIMEOUT.
      method: "GET",
      path: "/api/traces/{trace_id}/insight",
      query: {},
      timed: false,
      handle: (c) =>
        insightResponse(c.req.raw, traceInsight(c.req.param("trace_id") ?? "", deps), deps.logger),
    },
    get(
      "/api/logs",
      { ...LOG_LIST_QUERY, values: VALUES },
      (params) => listLogs(params, d, VALUES.parse(params)),
    ),
    get(
      "/api/logs/context",
      { ...LOG_CONTEXT_QUERY, values: VALUES },
      (params) => logContext(params, d, VALUES.parse(params)),
    ),
    {
      method: "GET",
      path: "/api/logs/{id}/insight",
      query: {},
      timed: false,
      handle: (c) =>
        insightResponse(c.req.raw, logInsight(c.req.param("id") ?? "", deps), deps.logger),
    },
    get("/api/metrics/traffic", SERIES_QUERY, (params) => traffic(params, d)),
    get("/api/metrics/latency_heatmap", SERIES_QUERY, (params) => latencyHeatmap(params, d)),
    get("/api/metrics/dashboard", DASHBOARD_QUERY, (params) => dashboard(params, d)),
    get("/api/metrics/service-map", ROLLUP_QUERY, (params) => serviceMap(params, d)),
    get("/api/metrics/operations", OPERATIONS_QUERY, (params) => operations(params, d)),
    get("/api/instruments", INSTRUMENT_LIST_QUERY, (params) => listInstruments(params, d)),
    get(
      "/api/instruments/{key}",
      INSTRUMENT_QUERY,
      (params, s) => instrumentDetail(s.key!, params, d),
    ),
    get(
      "/api/instruments/{key}/chart",
      INSTRUMENT_CHART_QUERY,
      (params, s) => instrumentChart(s.key!, params, d),
    ),
    get(
      "/api/instruments/{key}/exemplars",
      INSTRUMENT_EXEMPLARS_QUERY,
      (params, s) => instrumentExemplars(s.key!, params, d),
    ),
    get("/api/metadata/services", SERVICES_QUERY, (params) => services(params, d)),
    get("/api/metadata/latest", {}, () => latest(d)),
    get("/api/settings", {}, () => settings({ config: deps.configSummary, store: deps.store })),
    {
      method: "DELETE",
      path: "/api/admin/purge",
      query: PURGE_QUERY,
      timed: false,
      handle: async (c) => json(await purge(new URL(c.req.url).searchParams, d)),
    },
    {
      method: "POST",
      path: "/api/admin/vacuum",
      query: {},
      timed: false,
      handle: async () => json(await vacuum(d)),
    },
  ];
}

/** A page's time settings: the zone its cookies choose (utils/time_zone.ts), the picker's limits. */
export function pageTime(deps: AppDeps, cookieHeader: string | undefined): PageTime {
  return {
    ...zoneFromCookies(cookieHeader),
    // RETENTION: the longest range the time-range picker offers (none known without a summary).
    retentionMs: deps.configSummary?.().retention.ms ?? null,
    maxWindowMs: deps.queryMaxWindowMs,
  };
}

/** The UI's pages and their assets. */
function pageRoutes(deps: AppDeps, assets: Assets): Route[] {
  const asset = (path: string): Route => ({
    method: "GET",
    path,
    query: {},
    timed: false,
    handle: (c) => serveAsset(assets, c.req.path.slice("/static/".length), c.req.raw),
  });
  const shell = {
    warning: deps.security?.warning,
    logout: Boolean(deps.security?.apiToken),
  };
  return [
    asset("/static/{file}"),
    asset("/static/build/{file}"),
    {
      // The header's trace-ID box (components/Layout.tsx): a form, so it works without JavaScript.
      method: "GET",
      path: "/lookup",
      query: {},
      timed: false,
      handle: (c) => {
        const text = new URL(c.req.url).searchParams.get("trace_id") ?? "";
        return c.redirect(`/traces/${parseTraceLookup("trace_id", text)}`, 303);
      },
    },
    ...PAGES.map((page): Route => ({
      method: "GET",
      path: page.path,
      // A page reads the query of the API endpoints it shows; docs/api.md lists the API's.
      query: {},
      timed: true,
      handle: async (c) => {
        const url = new URL(c.req.url);
        return renderPage(assets, {
          ...shell,
          active: page.active,
          search: url.search,
          time: pageTime(deps, c.req.header("cookie")),
          colorScheme: colorSchemeChoiceOf(c.req.header("cookie")),
          ...(await page.render({ ...deps, now: deps.now ?? Date.now }, url, c.req.param())),
        });
      },
    })),
  ];
}

/**
 * The HTTP app on `HTTP_PORT`, on Hono. Every request passes the edge's middlewares in this
 * order; a refusal is answered at once, before any route does work:
 *
 * 1. `compress`: gzip for pages, JSON, scripts and styles (Hono's).
 * 2. `securityHeaders`: nosniff everywhere, the page policy on HTML (Hono's `secureHeaders`).
 * 3. `hostCheck`: a Host not this server's, 403 (DNS rebinding).
 * 4. `corsPolicy`: preflights and CORS headers for CORS_ORIGINS (Hono's `cors`).
 * 5. `originCheck`: state changes and `/ws` from another origin's page, 403.
 * 6. `apiToken`: API_TOKEN or the session cookie; a page is sent to the login page.
 * 7. `adminToken`: ADMIN_TOKEN for `/api/admin/*`.
 * 8. `nulCheck`: a NUL in the path or a parameter, 400.
 * 9. per route: `queryDeadline` (QUERY_TIMEOUT) for the routes that query.
 *
 * Errors end in one of two handlers (routes/errors.ts): JSON for the API, `/ws` and `/metrics`, a
 * page inside the UI's shell for the rest. A path no route has is 404; a path served for other
 * methods is 405 with `Allow` (Hono itself answers 404 to both).
 */
export function createApp(appDeps: AppDeps): (request: Request) => Promise<Response> {
  // One keeper of trace pages' structure reads per app: its pages keep, its API takes.
  const deps = { ...appDeps, traceSnapshots: appDeps.traceSnapshots ?? new TraceSnapshots() };
  const queryTimeoutMs = deps.queryTimeoutMs ?? 10_000;
  const security = deps.security ?? {};
  const corsOrigins = security.corsOrigins ?? [];
  const now = security.now ?? Date.now;
  const apiTokenValue = security.apiToken || null;
  const adminTokenValue = security.adminToken || null;

  const app = new Hono({ strict: true });
  app.use(compress());
  app.use(securityHeaders());
  app.use(hostCheck(security.hosts ?? ANY_HOST));
  app.use(corsPolicy(corsOrigins));
  app.use(originCheck(corsOrigins));
  app.use(apiToken({ apiToken: apiTokenValue, adminToken: adminTokenValue, now }));
  app.use(
    "/api/admin/*",
    adminToken({ adminToken: adminTokenValue, production: security.production ?? false }),
  );
  app.use(nulCheck());

  const routes = [
    ...apiRoutes(deps),
    ...loginRoutes({
      apiToken: apiTokenValue,
      loginRateLimit: security.loginRateLimit ?? 10,
      bodyTimeoutMs: security.bodyTimeoutMs ?? 30_000,
      now,
    }),
    ...(deps.assets ? pageRoutes(deps, deps.assets) : []),
  ];
  const deadline = queryDeadline(queryTimeoutMs);
  for (const route of routes) {
    const path = honoPath(route.path);
    if (route.timed) app.on(route.method, path, deadline, route.handle);
    else app.on(route.method, path, route.handle);
  }
  if (deps.assets === undefined) app.get("/", (c) => c.redirect("/api/health", 302));

  const apiErrors = jsonErrorHandler(deps.logger);
  const pageErrors = deps.assets
    ? pageErrorHandler(deps.logger, {
      assets: deps.assets,
      warning: security.warning,
      logout: apiTokenValue !== null,
      time: (cookieHeader) => pageTime(deps, cookieHeader),
    })
    : apiErrors;
  const errorHandler = (error: Error, c: Context) =>
    isApiPath(c.req.path) ? apiErrors(error, c) : pageErrors(error, c);
  app.onError(errorHandler);

  // Which methods each path is served for, to tell 405 from 404.
  const patterns = routes.map((r) => ({
    method: r.method,
    pattern: new URLPattern({ pathname: honoPath(r.path) }),
  }));
  app.notFound((c) => {
    const { pathname } = new URL(c.req.url);
    const allowed = [
      ...new Set(patterns.filter((p) => p.pattern.test({ pathname })).map((p) => p.method)),
    ].join(", ");
    return errorHandler(
      allowed === ""
        ? new NotFoundError(`No route for ${c.req.method} ${pathname}`)
        : new HttpError(
          405,
          `Method ${c.req.method} is not allowed on ${pathname}: use ${allowed}`,
          { allow: allowed },
        ),
      c,
    );
  });

  return (request) => Promise.resolve(app.fetch(request));
}
