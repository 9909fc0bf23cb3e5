/**
 * The dashboard endpoints, all read from rollups (store/rollups.ts), so that each costs the same
 * at any data size: `/api/metrics/traffic`, `/api/metrics/latency_heatmap`,
 * `/api/metrics/dashboard` and `/api/metrics/service-map`.
 *
 * Requests, errors and latencies are those of entry spans (SERVER or CONSUMER spans, and roots):
 * one per request a service receives. Figures cover the whole minutes the window overlaps. One
 * figure is not a rollup: the dashboard's `error_origins` (where errors start) reads the newest
 * failing spans of the window, at most `origin_limit` (store/error_origins.ts says why).
 *
 * @module
 */
import {
  LATENCY_BUCKET_BOUNDS_MS,
  LATENCY_BUCKET_COUNT,
  quantileMs,
  type RollupReads,
  type Store,
  type TimeWindow,
  windowMinutes,
} from "../store/mod.ts";
import { formatTimeNs } from "./wire.ts";
import { unescapeText as asSent } from "../utils/text_escape.ts";
import { BadRequestError } from "./http_error.ts";
import { integer, parseQuery, type QueryContext, SERVICE, WINDOW } from "./query_params.ts";
import { parseDurationMs } from "../lib/units.ts";
import type {
  WireDashboardFigures,
  WireLatencyHeatmap,
  WireServiceMap,
  WireTraffic,
} from "../utils/wire.ts";

export interface MetricsDeps {
  store: { rollups: RollupReads } & Pick<Store, "errorOrigins">;
  queryMaxWindowMs: number;
  now: () => number;
}

/** Steps a chart may use, in minutes (rollups are per minute). */
const NICE_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440];
/** Points a default step aims at, at most (24 h in hours reads the hourly rollups). */
const TARGET_POINTS = 40;
/** Most steps a chosen `step` may cut the window into. */
export const MAX_POINTS = 1440;

const round = (value: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

/** `step`: seconds (`300`) or a duration (`5m`), a whole number of minutes; else from the window. */
export function parseStep(params: URLSearchParams, window: TimeWindow): number {
  const { first, end } = windowMinutes(window);
  const minutes = end - first;
  const text = params.get("step");
  if (text === null) {
    return NICE_STEPS.find((s) => minutes / s <= TARGET_POINTS) ?? NICE_STEPS.at(-1)!;
  }
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : parseDurationMs(text);
  if (ms === undefined || ms < 60_000 || ms % 60_000 !== 0) {
    throw new BadRequestError(
      `Cannot use 'step' as it must be a whole number of minutes, in seconds (60, 300) or as a ` +
        `duration (1m, 5m, 1h): current value is ${JSON.stringify(text)}`,
    );
  }
  const step = ms / 60_000;
  if (Math.ceil(minutes / step) > MAX_POINTS) {
    throw new BadRequestError(
      `Cannot use 'step' ${JSON.stringify(text)} as it would cut the ${minutes}-minute window ` +
        `into more than ${MAX_POINTS} points: use a step of at least ${
          Math.ceil(minutes / MAX_POINTS)
        }m`,
    );
  }
  return step;
}

/** The query of `GET /api/metrics/service-map` (and, with `origin_limit`, the dashboard's). */
export const ROLLUP_QUERY = { window: WINDOW, service: SERVICE };

/** Failing spans `error_origins` examines by default, and at most (`origin_limit`). */
export const ORIGIN_LIMIT = { fallback: 2_000, max: 20_000 };

/** The query of `GET /api/metrics/dashboard`. */
export const DASHBOARD_QUERY = {
  ...ROLLUP_QUERY,
  // How many of the window's newest failing spans `error_origins` examines.
  originLimit: integer("origin_limit", ORIGIN_LIMIT.fallback, 1, ORIGIN_LIMIT.max),
};

/** The query of `GET /api/metrics/traffic` and `/api/metrics/latency_heatmap`. */
export const SERIES_QUERY = {
  ...ROLLUP_QUERY,
  // The step depends on the window it cuts: parsed against the same clock.
  step: {
    names: ["step"],
    parse: (params: URLSearchParams, context?: QueryContext) =>
      parseStep(params, WINDOW.parse(params, context)),
  },
};

const contextOf = (deps: MetricsDeps): QueryContext => ({
  nowMs: deps.now(),
  maxWindowMs: deps.queryMaxWindowMs,
});

function seriesOf(params: URLSearchParams, deps: MetricsDeps) {
  const { window, service, step } = parseQuery(SERIES_QUERY, params, contextOf(deps));
  return { window, step, filter: { ...window, serviceName: service } };
}

/** The start of each step of the window, as Unix minutes. */
/**
 * The start of each step of the window, as Unix minutes: multiples of the step since the epoch
 * (rollup_queries.ts groups the same way), the first one at or before the window's start.
 */
function stepStarts(window: TimeWindow, step: number): number[] {
  const { first, end } = windowMinutes(window);
  const starts: number[] = [];
  for (let m = first - (first % step); m < end; m += step) starts.push(m);
  return starts;
}

const minuteTime = (minute: number) => formatTimeNs(BigInt(minute) * 60_000_000_000n);

/**
 * `GET /api/metrics/traffic`: requests and errors per step and service, zeros included;
 * `partial_time` is the last step's start when that step is still in progress (it ends after now),
 * so that a chart does not draw its incomplete counts as a drop.
 */
export async function traffic(params: URLSearchParams, deps: MetricsDeps): Promise<WireTraffic> {
  const { window, filter, step } = seriesOf(params, deps);
  const rows = await deps.store.rollups.trafficSeries(filter, step);
  const starts = stepStarts(window, step);
  const last = starts.at(-1);
  const partial = last !== undefined && (last + step) * 60_000 > deps.now();
  const services = [...new Set(rows.map((r) => r.serviceName))].sort();
  const byKey = new Map(rows.map((r) => [`${r.minute}\u0000${r.serviceName}`, r]));
  const points = starts.flatMap((minute) =>
    services.map((service) => {
      const row = byKey.get(`${minute}\u0000${service}`);
      return {
        time: minuteTime(minute),
        service_name: asSent(service),
        requests: row?.requests ?? 0,
        errors: row?.errors ?? 0,
      };
    })
  );
  return {
    step_seconds: step * 60,
    points,
    partial_time: partial ? minuteTime(last) : null,
  };
}

/**
 * `GET /api/metrics/latency_heatmap`: entry spans per step and latency bucket.
 * `latency_buckets_ms` are the buckets' upper bounds; the last bucket has none (null).
 */
export async function latencyHeatmap(
  params: URLSearchParams,
  deps: MetricsDeps,
): Promise<WireLatencyHeatmap> {
  const { window, filter, step } = seriesOf(params, deps);
  const starts = stepStarts(window, step);
  const index = new Map(starts.map((m, i) => [m, i]));
  const rows = await deps.store.rollups.latencySeries(filter, step);
  const cells = rows
    .filter((r) => index.has(r.minute) && r.spans > 0)
    .map((r) => [index.get(r.minute)!, r.bucket, r.spans])
    .sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  return {
    step_seconds: step * 60,
    times: starts.map(minuteTime),
    latency_buckets_ms: [...LATENCY_BUCKET_BOUNDS_MS.map((b) => round(b, 3)), null],
    cells,
  };
}

/** Histograms (counts per bucket) of entry spans, per service. */
async function histograms(deps: MetricsDeps, filter: TimeWindow & { serviceName?: string }) {
  const byService = new Map<string, number[]>();
  const all = new Array<number>(LATENCY_BUCKET_COUNT).fill(0);
  for (const row of await deps.store.rollups.latencyBuckets(filter)) {
    let counts = byService.get(row.serviceName);
    if (counts === undefined) {
      byService.set(row.serviceName, counts = new Array<number>(LATENCY_BUCKET_COUNT).fill(0));
    }
    counts[row.bucket] = (counts[row.bucket] ?? 0) + row.spans;
    all[row.bucket] = (all[row.bucket] ?? 0) + row.spans;
  }
  return { byService, all };
}

/** Top failing services shown on the dashboard. */
const TOP_FAILING = 5;

/**
 * `GET /api/metrics/dashboard`, in the seed's shape: `error_rate` is a percentage, each top
 * failing service's `error_rate` a fraction, `p99_latency` microseconds, `avg_latency_ms`
 * milliseconds; figures of an empty window are 0. Beside them, what a failure is counted as:
 * `failed_requests` (traces whose root span failed), `error_spans` (failing spans of every
 * service and kind) and `error_origins` (the services where failed traces' errors start).
 */
export async function dashboard(
  params: URLSearchParams,
  deps: MetricsDeps,
): Promise<WireDashboardFigures> {
  const { window, service, originLimit } = parseQuery(DASHBOARD_QUERY, params, contextOf(deps));
  const filter = { ...window, serviceName: service };
  const [totals, requests, services, latency, origins] = await Promise.all([
    deps.store.rollups.totals(filter),
    deps.store.rollups.serviceRequests(filter),
    deps.store.rollups.services(filter),
    histograms(deps, filter),
    deps.store.errorOrigins(window, originLimit),
  ]);
  const sum = (f: (r: typeof requests[number]) => number) =>
    requests.reduce((total, r) => total + f(r), 0);
  const total = sum((r) => r.requests);
  const errors = sum((r) => r.errors);
  const p99Ms = quantileMs(latency.all, 0.99);
  return {
    total_traces: totals.traces,
    total_logs: totals.logs,
    total_errors: errors,
    failed_requests: totals.failedTraces,
    error_spans: totals.errorSpans,
    avg_latency_ms: total === 0 ? 0 : round(sum((r) => r.durationSumNs) / total / 1e6, 2),
    error_rate: total === 0 ? 0 : round((errors / total) * 100, 2),
    active_services: services.length,
    p99_latency: p99Ms === null ? 0 : Math.round(p99Ms * 1000),
    top_failing_services: requests
      .filter((r) => r.errors > 0)
      .sort((a, b) => b.errors - a.errors || b.errors / b.requests - a.errors / a.requests)
      .slice(0, TOP_FAILING)
      .map((r) => ({
        service_name: asSent(r.serviceName),
        error_count: r.errors,
        total_count: r.requests,
        error_rate: round(r.errors / r.requests, 4),
      })),
    error_origins: {
      // With a service: the failed traces whose errors start in it (among all traces examined).
      services: origins.services
        .filter((o) => service === undefined || o.serviceName === service)
        .map((o) => ({ service_name: asSent(o.serviceName), traces: o.traces })),
      failed_traces: origins.failedTraces,
      examined_spans: origins.examinedSpans,
      limited: origins.limited,
    },
  };
}

/**
 * `GET /api/metrics/service-map`: services with their requests, errors and latencies, and the
 * calls between them (a parent span in one service whose child is in another). With `service`,
 * that service, the calls it makes and receives, and the services at their other ends.
 */
export async function serviceMap(
  params: URLSearchParams,
  deps: MetricsDeps,
): Promise<WireServiceMap> {
  const { window, service } = parseQuery(ROLLUP_QUERY, params, contextOf(deps));
  const [requests, edges, latency] = await Promise.all([
    deps.store.rollups.serviceRequests(window),
    deps.store.rollups.edges({ ...window, serviceName: service }),
    histograms(deps, window),
  ]);
  const names = new Set<string>(edges.flatMap((e) => [e.caller, e.callee]));
  if (service === undefined) { for (const r of requests) names.add(r.serviceName); }
  else names.add(service);
  const byName = new Map(requests.map((r) => [r.serviceName, r]));
  const nodes = [...names].sort().map((name) => {
    const r = byName.get(name);
    const p99 = quantileMs(latency.byService.get(name) ?? [], 0.99);
    return {
      id: asSent(name),
      name: asSent(name),
      requests: r?.requests ?? 0,
      errors: r?.errors ?? 0,
      error_rate: r && r.requests > 0 ? round(r.errors / r.requests, 4) : 0,
      avg_latency_ms: r && r.requests > 0 ? round(r.durationSumNs / r.requests / 1e6, 2) : 0,
      p99_latency_ms: p99 === null ? 0 : round(p99, 2),
    };
  });
  return {
    nodes,
    edges: edges.map((e) => ({
      source: asSent(e.caller),
      target: asSent(e.callee),
      calls: e.calls,
      errors: e.errors,
      error_rate: e.calls > 0 ? round(e.errors / e.calls, 4) : 0,
      avg_latency_ms: e.calls > 0 ? round(e.durationSumNs / e.calls / 1e6, 2) : 0,
    })),
  };
}
