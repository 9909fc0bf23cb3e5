/**
 * `GET /api/traces`: a searchable, sortable, paginated list of traces; and
 * `GET /api/traces/{trace_id}`: every span of one trace with all its fields, in start order, for
 * the waterfall (404 when no span of it is stored).
 *
 * @module
 */
import type { AttributeMatch, Store, TraceFilter, TraceSummary } from "../store/mod.ts";
import { BadRequestError, NotFoundError } from "./http_error.ts";
import {
  MAX_FILTER_TEXT,
  PAGE,
  parameter,
  parseHexId,
  parseQuery,
  SERVICE,
  sortBy,
  text,
  WINDOW,
} from "./query_params.ts";
import { formatTimeNs, wireSpan } from "./wire.ts";
import type { WireTraceSummary } from "../utils/wire.ts";

export interface TracesDeps {
  store: Pick<Store, "traces">;
  queryMaxWindowMs: number;
  now: () => number;
}

export const TRACE_SORT_FIELDS = ["start_time", "duration", "span_count"] as const;
/** Most `attr` filters one request may carry. */
export const MAX_ATTRIBUTE_FILTERS = 10;
/** `min_duration_ms` or `max_duration_ms`: milliseconds, as nanoseconds. */
function parseDurationNs(params: URLSearchParams, name: string): bigint | undefined {
  const text = params.get(name);
  if (text === null) return undefined;
  const ms = /^\d+(\.\d{1,6})?$/.test(text) ? Number(text) : NaN;
  if (!(ms >= 0 && ms <= 86_400_000 * 365)) {
    throw new BadRequestError(
      `Cannot use '${name}' as it must be a number of milliseconds from 0 to 31536000000 ` +
        `(e.g. 250 or 0.5): current value is ${JSON.stringify(text.slice(0, 80))}`,
    );
  }
  return BigInt(Math.round(ms * 1e6));
}

/** `attr=key=value`, repeatable: the first `=` separates key and value. */
export function parseAttributeFilters(params: URLSearchParams): AttributeMatch[] {
  const all = params.getAll("attr");
  if (all.length > MAX_ATTRIBUTE_FILTERS) {
    throw new BadRequestError(
      `Cannot use ${all.length} 'attr' filters as at most ${MAX_ATTRIBUTE_FILTERS} are allowed`,
    );
  }
  return all.map((text) => {
    const at = text.indexOf("=");
    if (at <= 0 || text.length > 2 * MAX_FILTER_TEXT) {
      throw new BadRequestError(
        `Cannot use 'attr' as it must be key=value (e.g. http.request.method=GET), key and value ` +
          `at most ${MAX_FILTER_TEXT} characters each: current value is ${
            JSON.stringify(text.slice(0, 80))
          }`,
      );
    }
    return { key: text.slice(0, at), value: text.slice(at + 1) };
  });
}

function wireTraceSummary(trace: TraceSummary): WireTraceSummary {
  const ns = trace.endTimeUnixNano > trace.startTimeUnixNano
    ? trace.endTimeUnixNano - trace.startTimeUnixNano
    : 0n;
  return {
    trace_id: trace.traceId,
    root_service: trace.rootService,
    root_name: trace.rootName,
    start_time: formatTimeNs(trace.startTimeUnixNano),
    start_time_unix_nano: trace.startTimeUnixNano.toString(),
    duration_ms: Number(ns) / 1e6,
    span_count: trace.spanCount,
    error_count: trace.errorCount,
    services: trace.services,
    error_services: trace.errorServices,
  };
}

/** `status`: ok or error. */
function parseStatus(params: URLSearchParams): "ok" | "error" | undefined {
  const status = params.get("status");
  if (status === null || status === "ok" || status === "error") return status ?? undefined;
  throw new BadRequestError(
    `Cannot use 'status' as it must be ok or error: current value is ${
      JSON.stringify(status.slice(0, 80))
    }`,
  );
}

/** The query of `GET /api/traces`: what docs/api.md lists and what the handler reads. */
export const TRACE_LIST_QUERY = {
  window: WINDOW,
  page: PAGE,
  sort: sortBy(TRACE_SORT_FIELDS, "start_time"),
  service: SERVICE,
  status: parameter("status", parseStatus),
  search: text("search"),
  minDurationNs: parameter("min_duration_ms", (p) => parseDurationNs(p, "min_duration_ms")),
  maxDurationNs: parameter("max_duration_ms", (p) => parseDurationNs(p, "max_duration_ms")),
  attributes: parameter("attr", parseAttributeFilters),
};

export async function listTraces(params: URLSearchParams, deps: TracesDeps) {
  const { window, page, sort, service, ...filters } = parseQuery(TRACE_LIST_QUERY, params, {
    nowMs: deps.now(),
    maxWindowMs: deps.queryMaxWindowMs,
  });
  const filter: TraceFilter = { ...window, serviceName: service, ...filters };
  const { items, total } = await deps.store.traces(filter, sort, page);
  return { items: items.map(wireTraceSummary), total, limit: page.limit, offset: page.offset };
}

export async function traceById(traceId: string, store: Pick<Store, "traceSpans">) {
  const id = parseHexId("trace_id", traceId, 32);
  const spans = await store.traceSpans(id);
  if (spans.length === 0) throw new NotFoundError(`No trace ${id} is stored`);
  return { trace_id: id, spans: spans.map(wireSpan) };
}
