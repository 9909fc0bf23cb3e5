/**
 * `GET /api/stats`: counts of the window (traces, spans, logs, error spans, services).
 *
 * @module
 */
import type { Store } from "../store/mod.ts";
import { parseService, parseWindow } from "./query_params.ts";

export interface StatsDeps {
  store: Pick<Store, "spanCounts" | "countLogs" | "services">;
  queryMaxWindowMs: number;
  now: () => number;
}

export async function stats(params: URLSearchParams, deps: StatsDeps) {
  const window = parseWindow(params, deps.now(), deps.queryMaxWindowMs);
  const filter = { ...window, serviceName: parseService(params) };
  const [spans, logs, services] = await Promise.all([
    deps.store.spanCounts(filter),
    deps.store.countLogs(filter),
    deps.store.services(window),
  ]);
  return {
    total_traces: spans.traces,
    total_spans: spans.spans,
    total_logs: logs,
    total_errors: spans.errors,
    active_services: filter.serviceName === undefined
      ? services.length
      : Number(services.includes(filter.serviceName)),
  };
}
