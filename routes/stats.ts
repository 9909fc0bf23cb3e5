/**
 * `GET /api/stats`: counts of the window (traces, spans, logs, error spans, services), from the
 * rollups, so that a 24-hour window costs what a 5-minute one does. A trace counts in the window
 * its root span started in.
 *
 * @module
 */
import type { RollupReads } from "../store/mod.ts";
import { parseQuery, SERVICE, WINDOW } from "./query_params.ts";

export interface StatsDeps {
  store: { rollups: RollupReads };
  queryMaxWindowMs: number;
  now: () => number;
}

/** The query of `GET /api/stats`. */
export const STATS_QUERY = { window: WINDOW, service: SERVICE };

export async function stats(params: URLSearchParams, deps: StatsDeps) {
  const { window, service } = parseQuery(STATS_QUERY, params, {
    nowMs: deps.now(),
    maxWindowMs: deps.queryMaxWindowMs,
  });
  const filter = { ...window, serviceName: service };
  const [totals, services] = await Promise.all([
    deps.store.rollups.totals(filter),
    deps.store.rollups.services(filter),
  ]);
  return {
    total_traces: totals.traces,
    total_spans: totals.spans,
    total_logs: totals.logs,
    total_errors: totals.errorSpans,
    active_services: services.length,
  };
}
