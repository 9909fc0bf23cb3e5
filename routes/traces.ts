/**
 * `GET /api/traces`: a searchable, sortable, paginated list of traces; and
 * `GET /api/traces/{trace_id}`: every span of one trace with all its fields, in start order (404
 * when no span of it is stored); and for the trace page, which must stay fast on 80,000-span traces:
 * `GET /api/traces/{trace_id}/structure` (what the waterfall draws, in its compact form),
 * `GET /api/traces/{trace_id}/spans/{span_id}` (one span's fields, when it is opened) and
 * `GET /api/traces/{trace_id}/search?q=` (the spans whose name, service or attribute or event
 * values contain a text: trace_search.ts).
 *
 * @module
 */
import type { AttributeMatch, Store, TraceFilter, TraceSummary } from "../store/mod.ts";
import { BadRequestError, NotFoundError } from "./http_error.ts";
import {
  integer,
  MAX_FILTER_TEXT,
  optionalHexId,
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
import {
  MAX_ATTRIBUTE_FILTERS,
  type ValueForm,
  type WireSpan,
  type WireTrace,
  type WireTracePage,
  type WireTraceSearch,
  type WireTraceStructure,
  type WireTraceSummary,
} from "../utils/wire.ts";
import { compactColumns } from "../utils/waterfall.ts";
import { candidateText, spanMatches } from "./trace_search.ts";
import type { TraceSnapshots } from "./trace_snapshots.ts";
import { unescapeText } from "../utils/text_escape.ts";

export interface TracesDeps {
  store: Pick<Store, "traces">;
  queryMaxWindowMs: number;
  now: () => number;
}

export const TRACE_SORT_FIELDS = ["start_time", "duration", "span_count"] as const;
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
    root_service: unescapeText(trace.rootService),
    root_name: unescapeText(trace.rootName),
    start_time: formatTimeNs(trace.startTimeUnixNano),
    start_time_unix_nano: trace.startTimeUnixNano.toString(),
    duration_ms: Number(ns) / 1e6,
    span_count: trace.spanCount,
    error_count: trace.errorCount,
    services: trace.services.map(unescapeText),
    error_services: trace.errorServices.map(unescapeText),
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
  const { items, total, totalCapped } = await deps.store.traces(filter, sort, page);
  const answer: WireTracePage = {
    items: items.map(wireTraceSummary),
    total,
    total_capped: totalCapped,
    limit: page.limit,
    offset: page.offset,
  };
  return answer;
}

/** TRACE_MAX_SPANS by default: the most spans a trace is answered with whole. */
export const DEFAULT_TRACE_MAX_SPANS = 10_000;

/**
 * `GET /api/traces/{trace_id}`: every span with every field, up to `maxSpans` (TRACE_MAX_SPANS);
 * a larger trace is refused with the way to read it (its structure, then span by span), since
 * holding it whole would take more memory than Argus's ceiling allows. Attribute maps in form
 * `values` (the route's `values`; plain for every other caller).
 */
export async function traceById<F extends ValueForm = "plain">(
  traceId: string,
  store: Pick<Store, "traceSpans">,
  maxSpans: number = DEFAULT_TRACE_MAX_SPANS,
  values?: F,
): Promise<WireTrace<F>> {
  const id = parseHexId("trace_id", traceId, 32);
  const spans = await store.traceSpans(id, maxSpans + 1);
  if (spans.length === 0) throw new NotFoundError(`No trace ${id} is stored`);
  if (spans.length > maxSpans) {
    throw new BadRequestError(
      `Cannot answer trace ${id} whole as it has more than ${maxSpans} spans (TRACE_MAX_SPANS): ` +
        `read GET /api/traces/${id}/structure, then GET /api/traces/${id}/spans/{span_id} for ` +
        "the spans you need",
    );
  }
  return { trace_id: id, spans: spans.map((span) => wireSpan(span, values)) };
}

/** A trace's structure (see `WireTraceStructure`), read without attributes, events or links. */
export async function readTraceStructure(
  traceId: string,
  store: Pick<Store, "traceStructure">,
): Promise<WireTraceStructure> {
  const id = parseHexId("trace_id", traceId, 32);
  const spans = await store.traceStructure(id);
  if (spans.spanId.length === 0) throw new NotFoundError(`No trace ${id} is stored`);
  const trace = compactColumns(id, spans);
  // Names and services are stored escaped (utils/text_escape.ts): answered as sent.
  trace.services = trace.services.map(unescapeText);
  trace.names = trace.names.map(unescapeText);
  return trace;
}

/** The query of `GET /api/traces/{trace_id}/structure`. */
export const TRACE_STRUCTURE_QUERY = {
  /** A trace page's read of the structure (routes/trace_snapshots.ts), taken once. */
  snapshot: optionalHexId("snapshot", 32),
};

/**
 * `GET /api/traces/{trace_id}/structure`: the page's read named by `snapshot` when it is still
 * kept (once), else a read of the trace.
 */
export async function traceStructure(
  traceId: string,
  params: URLSearchParams,
  store: Pick<Store, "traceStructure">,
  snapshots?: TraceSnapshots,
): Promise<WireTraceStructure> {
  const id = parseHexId("trace_id", traceId, 32);
  const { snapshot } = parseQuery(TRACE_STRUCTURE_QUERY, params);
  const kept = snapshot === undefined ? undefined : snapshots?.take(snapshot, id);
  return kept ?? await readTraceStructure(id, store);
}

/**
 * One span of a trace with all its fields, as in `GET /api/traces/{trace_id}`; attribute maps in
 * form `values` (plain by default).
 */
export async function traceSpan<F extends ValueForm = "plain">(
  traceId: string,
  spanId: string,
  store: Pick<Store, "traceSpan">,
  values?: F,
): Promise<WireSpan<F>> {
  const trace = parseHexId("trace_id", traceId, 32);
  const span = parseHexId("span_id", spanId, 16);
  const stored = await store.traceSpan(trace, span);
  if (stored === undefined) throw new NotFoundError(`No span ${span} of trace ${trace} is stored`);
  return wireSpan(stored, values);
}

export const DEFAULT_TRACE_SEARCH_LIMIT = 1000;
export const MAX_TRACE_SEARCH_LIMIT = 10_000;
/**
 * Candidates read per match asked for: the database's LIKE also matches keys and JSON syntax,
 * which the values check then drops (trace_search.ts).
 */
const CANDIDATES_PER_MATCH = 4;

/** `q`: required, 1 to `MAX_FILTER_TEXT` characters. */
function parseSearchText(params: URLSearchParams): string {
  const q = params.get("q") ?? "";
  if (q.trim() === "" || q.length > MAX_FILTER_TEXT) {
    throw new BadRequestError(
      `Cannot use 'q' as it must be a text of 1 to ${MAX_FILTER_TEXT} characters, not only ` +
        `spaces: current value is ${JSON.stringify(q.slice(0, 80))}`,
    );
  }
  return q;
}

/** The query of `GET /api/traces/{trace_id}/search` (`limit` first: `q` is required). */
export const TRACE_SEARCH_QUERY = {
  limit: integer("limit", DEFAULT_TRACE_SEARCH_LIMIT, 1, MAX_TRACE_SEARCH_LIMIT),
  q: parameter("q", parseSearchText),
};

export async function searchTrace(
  traceId: string,
  params: URLSearchParams,
  store: Pick<Store, "traceSearchCandidates">,
): Promise<WireTraceSearch> {
  const id = parseHexId("trace_id", traceId, 32);
  const { q, limit } = parseQuery(TRACE_SEARCH_QUERY, params);
  const read = limit * CANDIDATES_PER_MATCH;
  const wanted = candidateText(q);
  const candidates = await store.traceSearchCandidates(id, wanted.text, wanted.stored, read);
  if (candidates === null) throw new NotFoundError(`No trace ${id} is stored`);
  const matches = candidates.filter((span) => spanMatches(span, q)).map((span) => span.spanId);
  return {
    q,
    span_ids: matches.slice(0, limit),
    truncated: matches.length > limit || candidates.length === read,
  };
}
