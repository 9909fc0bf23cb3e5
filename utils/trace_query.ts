/**
 * The trace list's filters, sort and page as one value that lives in the URL: the page's query
 * string uses the API's own parameter names (`/traces?status=error&sort=duration` asks
 * `/api/traces?status=error&sort=duration`), so a view can be shared, the back button works, and
 * the server renders the same list the island then keeps. `attr` repeats (one per chip), which
 * flat one-value-per-key state cannot hold, hence this module and its codec (`TRACE_QUERY_URL`)
 * for components/hooks/url_state.ts. Pure; tested in utils/trace_query_test.ts.
 *
 * Values are kept as typed, not validated: the API validates them and its error sentence is
 * shown as is.
 *
 * @module
 */
import { DEFAULT_RANGE } from "./time_window.ts";

export interface TraceQuery {
  service: string;
  /** A range (utils/time_window.ts); ignored by the API while `start` is set. */
  range: string;
  /** A custom window (RFC 3339 or Unix ms), e.g. from a link: replaces `range`. */
  start: string;
  end: string;
  /** "", `ok` or `error`. */
  status: string;
  search: string;
  min_duration_ms: string;
  max_duration_ms: string;
  /** `key=value` each. */
  attr: string[];
  sort: string;
  order: string;
  limit: string;
  offset: string;
}

export const TRACE_QUERY_DEFAULTS: Readonly<TraceQuery> = Object.freeze({
  service: "",
  range: DEFAULT_RANGE,
  start: "",
  end: "",
  status: "",
  search: "",
  min_duration_ms: "",
  max_duration_ms: "",
  attr: [],
  sort: "start_time",
  order: "desc",
  limit: "50",
  offset: "0",
});

/** Keys in the order they are written, so equal queries give equal URLs. */
const KEYS = Object.keys(TRACE_QUERY_DEFAULTS) as (keyof TraceQuery)[];

export function parseTraceQuery(search: string | URLSearchParams): TraceQuery {
  const params = typeof search === "string" ? new URLSearchParams(search) : search;
  const query = { ...TRACE_QUERY_DEFAULTS, attr: params.getAll("attr") };
  for (const key of KEYS) {
    if (key === "attr") continue;
    const value = params.get(key);
    if (value !== null) query[key] = value;
  }
  return query;
}

/**
 * The query string (`?…`, or `""`) of a query: defaults and empty values left out, `range` left
 * out while a custom window is set.
 */
export function traceQueryString(query: TraceQuery): string {
  const params = new URLSearchParams();
  for (const key of KEYS) {
    if (key === "attr") {
      for (const attr of query.attr) params.append("attr", attr);
      continue;
    }
    const value = query[key];
    if (value === "" || value === TRACE_QUERY_DEFAULTS[key]) continue;
    if (key === "range" && (query.start !== "" || query.end !== "")) continue;
    params.set(key, value);
  }
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}

/**
 * The query in the URL, for components/hooks/url_state.ts's `useUrlSignal`: the page's query
 * string is the query's own (other keys are dropped), so equal queries give equal URLs.
 */
export const TRACE_QUERY_URL = {
  parse: (search: string): TraceQuery => parseTraceQuery(search),
  serialize: (query: TraceQuery): string => traceQueryString(query),
};

/**
 * The query's time window as a query string for `/api/metadata/services`: the custom window's
 * bounds when one is set, else the range.
 */
export function traceWindowSearch(query: TraceQuery): string {
  const params = new URLSearchParams();
  if (query.start !== "" || query.end !== "") {
    if (query.start !== "") params.set("start", query.start);
    if (query.end !== "") params.set("end", query.end);
  } else {
    params.set("range", query.range);
  }
  return `?${params}`;
}

/**
 * A change of filters: back to the first page (the old offset may lie past the new total), unless
 * the change is the page itself.
 */
export function withChange(query: TraceQuery, patch: Partial<TraceQuery>): TraceQuery {
  const next = { ...query, ...patch };
  if (!("offset" in patch)) next.offset = "0";
  // A range chosen replaces an absolute window (unless the patch is that window).
  if ("range" in patch && !patch.start) {
    next.start = "";
    next.end = "";
  }
  return next;
}

/** Sorting by a column: the same column flips the order; another one starts descending. */
export function sortBy(query: TraceQuery, field: string): TraceQuery {
  const order = query.sort === field && query.order === "desc" ? "asc" : "desc";
  return withChange(query, { sort: field, order });
}

/** Whether any filter narrows the list (the time window aside). */
export function hasFilters(query: TraceQuery): boolean {
  return query.service !== "" || query.status !== "" || query.search !== "" ||
    query.min_duration_ms !== "" || query.max_duration_ms !== "" || query.attr.length > 0;
}

/** The query without filters, keeping the window, sort and page size. */
export function clearFilters(query: TraceQuery): TraceQuery {
  return withChange(query, {
    service: "",
    status: "",
    search: "",
    min_duration_ms: "",
    max_duration_ms: "",
    attr: [],
  });
}

/**
 * A chip's text as an `attr` filter: `key=value` with a non-empty key (the first `=` splits;
 * spaces around the key are trimmed). Undefined when it is not one.
 */
export function parseAttributeChip(text: string): string | undefined {
  const at = text.indexOf("=");
  if (at < 0) return undefined;
  const key = text.slice(0, at).trim();
  if (key === "") return undefined;
  return `${key}=${text.slice(at + 1)}`;
}

/** The page a list is on, 1-based, and how many pages it has (at least 1). */
export function pageOf(offset: number, limit: number, total: number): {
  page: number;
  pages: number;
} {
  const size = Math.max(1, limit);
  return {
    page: Math.floor(Math.max(0, offset) / size) + 1,
    pages: Math.max(1, Math.ceil(total / size)),
  };
}
