/**
 * `GET /api/metrics/operations`: the operations (span names) of one service in a window, each with
 * its spans, errors and latency percentiles, read from the rollups (`span_rollups` for the counts
 * and duration sums, `operation_latency_rollups` for the histograms: store/rollups.ts), so that it
 * costs the same at any data size. Every span counts, entry or not: a service's outgoing calls and
 * internal steps are operations of it too, marked `entry: false`.
 *
 * @module
 */
import { quantileMs, type RollupReads } from "../store/mod.ts";
import { BadRequestError } from "./http_error.ts";
import { unescapeText as asSent } from "../utils/text_escape.ts";
import { integer, parameter, parseQuery, parseService, sortBy, WINDOW } from "./query_params.ts";
import type { WireOperation, WireOperations } from "../utils/wire.ts";
import { compareOperations, OPERATION_SORT_FIELDS } from "../utils/operation_sort.ts";

export interface OperationsDeps {
  store: { rollups: Pick<RollupReads, "operations"> };
  queryMaxWindowMs: number;
  now: () => number;
}

export const DEFAULT_OPERATIONS_LIMIT = 100;
export const MAX_OPERATIONS_LIMIT = 1000;

/** `service`: required here. */
function requiredService(params: URLSearchParams): string {
  const service = parseService(params);
  if (service === undefined) {
    throw new BadRequestError(
      "Cannot list operations without 'service': give a service name",
    );
  }
  return service;
}

/** The query of `GET /api/metrics/operations`. */
export const OPERATIONS_QUERY = {
  window: WINDOW,
  sort: sortBy(OPERATION_SORT_FIELDS, "requests"),
  limit: integer("limit", DEFAULT_OPERATIONS_LIMIT, 1, MAX_OPERATIONS_LIMIT),
  service: parameter("service", requiredService),
};

const round = (value: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

const roundOrNull = (value: number | null) => value === null ? null : round(value, 3);

export async function operations(
  params: URLSearchParams,
  deps: OperationsDeps,
): Promise<WireOperations> {
  const { window, service, sort, limit } = parseQuery(OPERATIONS_QUERY, params, {
    nowMs: deps.now(),
    maxWindowMs: deps.queryMaxWindowMs,
  });
  const rows = await deps.store.rollups.operations({ ...window, serviceName: service });
  const all = rows.filter((r) => r.spans > 0).map((r): WireOperation => ({
    operation: asSent(r.operation),
    entry: r.entrySpans > 0,
    requests: r.spans,
    errors: r.errors,
    error_rate: round(r.errors / r.spans, 4),
    avg_ms: round(r.durationSumNs / r.spans / 1e6, 3),
    p50_ms: roundOrNull(quantileMs(r.buckets, 0.5)),
    p95_ms: roundOrNull(quantileMs(r.buckets, 0.95)),
    p99_ms: roundOrNull(quantileMs(r.buckets, 0.99)),
  }));
  all.sort(compareOperations(sort.field, sort.order));
  return { service_name: asSent(service), operations: all.slice(0, limit), total: all.length };
}
