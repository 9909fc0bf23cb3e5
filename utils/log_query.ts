/**
 * The Logs page's filters: their URL keys and defaults, the `/api/logs` and `/ws` queries they
 * make, the same filters applied in the browser to streamed records (the stream filters by
 * service and severity only), and how a record's fields read as text. Pure; tested in
 * utils/log_query_test.ts.
 *
 * @module
 */
import { DEFAULT_RANGE, instantMs, rangeMs, windowParams } from "./time_window.ts";
import { formatDateTime } from "./format.ts";
import { SEVERITY_MINIMUMS, type WireLog } from "./wire.ts";
import type { Params } from "./api.ts";
import { logCursor } from "./log_cursor.ts";
import { listedService } from "./text_prefix.ts";
import { matchesTextQuery, parseTextQuery, type TextQuery } from "./text_query.ts";

/** A record as `/api/logs` and `/ws` serve it. */
export type LogItem = WireLog;

/** The filters, as kept in the URL (`""` when unset). */
export interface LogFilters {
  service: string;
  /** A range (utils/time_window.ts): the window of the API's list. */
  range: string;
  /** The minimum severity by name: `trace` … `fatal`. */
  severity: string;
  /** A text query on the body (utils/text_query.ts): words, "phrases", -exclusions. */
  search: string;
  trace_id: string;
  span_id: string;
  /**
   * An absolute window instead of `range` (RFC 3339 or Unix ms, as the API reads them), e.g. from
   * a trace's "logs" link: its time with a minute either side.
   */
  start: string;
  end: string;
  /** `desc` (newest first, the default) or `asc` (oldest first). */
  order: string;
}

export const LOG_FILTER_DEFAULTS: LogFilters = {
  service: "",
  range: DEFAULT_RANGE,
  severity: "",
  search: "",
  trace_id: "",
  span_id: "",
  start: "",
  end: "",
  order: "desc",
};

export const ORDER_OPTIONS = [
  { value: "desc", label: "Newest first" },
  { value: "asc", label: "Oldest first" },
];

/** Whether the list reads oldest first (`order=asc`); anything else is newest first. */
export function oldestFirst(filters: Pick<LogFilters, "order">): boolean {
  return filters.order === "asc";
}

export { SEVERITY_MINIMUMS };

export const SEVERITY_OPTIONS = [
  { value: "trace", label: "Trace and above" },
  { value: "debug", label: "Debug and above" },
  { value: "info", label: "Info and above" },
  { value: "warn", label: "Warn and above" },
  { value: "error", label: "Error and above" },
  { value: "fatal", label: "Fatal only" },
];

/** The filters as the URL reads them: keys of `LOG_FILTER_DEFAULTS` only, defaults filled in. */
export function filtersFrom(params: URLSearchParams): LogFilters {
  const filters = { ...LOG_FILTER_DEFAULTS };
  for (const key of Object.keys(filters) as (keyof LogFilters)[]) {
    const value = params.get(key);
    if (value !== null) filters[key] = value;
  }
  return filters;
}

/** Whether any filter narrows the list (the time window and the order do not count). */
export function hasFilters(filters: LogFilters): boolean {
  return Boolean(
    filters.service || filters.severity || filters.search || filters.trace_id || filters.span_id,
  );
}

/** Whether the window is absolute (`start`/`end`) rather than a range back from now. */
export function hasWindow(filters: LogFilters): boolean {
  return Boolean(filters.start || filters.end);
}

/** A page past a listed record: the records just `before` or just `after` it in time. */
export interface PageCursor {
  side: "before" | "after";
  item: LogItem;
}

/**
 * `/api/logs`'s query for the filters: the first `limit` records of the window in its order
 * (the newest, or the oldest), or those nearest a listed record on one side (`cursor`).
 */
export function listParams(filters: LogFilters, limit: number, cursor?: PageCursor): Params {
  return {
    ...windowParams(filters),
    service: filters.service,
    severity: filters.severity,
    search: filters.search,
    trace_id: filters.trace_id,
    span_id: filters.span_id,
    order: filters.order,
    limit,
    ...(cursor ? { [cursor.side]: logCursor(cursor.item) } : {}),
  };
}

/** The filters as one string, equal for equal filters: what a change of filters is told by. */
export function filterKey(filters: LogFilters): string {
  return (Object.keys(LOG_FILTER_DEFAULTS) as (keyof LogFilters)[]).map((key) => filters[key])
    .join("\n");
}

/**
 * Whether the list's times need their date: a range of a day or more, or records of more than one
 * day (in the page's zone) in the list (sorted by time, either way).
 */
export function datedList(filters: LogFilters, items: readonly LogItem[]): boolean {
  if (!hasWindow(filters) && (rangeMs(filters.range) ?? 0) >= 86_400_000) return true;
  if (items.length < 2) return false;
  const day = (item: LogItem) => formatDateTime(item.timestamp).slice(0, 10);
  return day(items[0]!) !== day(items[items.length - 1]!);
}

/** `/ws`'s query: the filters the stream applies itself. */
export function liveParams(filters: LogFilters): Record<string, string> {
  return { service: filters.service, severity: filters.severity };
}

/** A body as one line of text: a string as sent, anything else as JSON, none as "". */
export function bodyText(body: unknown): string {
  if (body === null || body === undefined) return "";
  return typeof body === "string" ? body : JSON.stringify(body);
}

/** An attribute value as text: strings as they are, anything else as JSON. */
export function valueText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Whether a streamed record passes the filters: `search` and `trace_id`, which the stream does not
 * apply, and the service and severity again (cheap, and right while a new socket is opening).
 */
export function matchesFilters(item: LogItem, filters: LogFilters): boolean {
  // A service is listed, and filtered, by as much of its name as its column holds.
  if (filters.service && listedService(item.service_name) !== listedService(filters.service)) {
    return false;
  }
  const minimum = SEVERITY_MINIMUMS[filters.severity.toLowerCase()];
  if (minimum !== undefined && item.severity_number < minimum) return false;
  if (filters.trace_id && item.trace_id !== filters.trace_id.toLowerCase()) return false;
  if (filters.span_id && item.span_id !== filters.span_id.toLowerCase()) return false;
  const end = instantMs(filters.end);
  const listedMs = Number(item.listed_time_unix_nano.slice(0, -6) || "0");
  if (end !== undefined && listedMs > end) return false;
  const start = instantMs(filters.start);
  if (start !== undefined && listedMs < start) return false;
  if (filters.search) {
    // As the API reads it; a query it refuses (400) lets no streamed record through either.
    const query = searchQuery(filters.search);
    if (query === undefined || !matchesTextQuery(query, bodyText(item.body))) return false;
  }
  return true;
}

/** The parsed search, the last one remembered (the stream tests every record against it). */
let lastSearch: { text: string; query: TextQuery | undefined } | undefined;

/** `search` as a text query (utils/text_query.ts); undefined when it does not parse. */
export function searchQuery(search: string): TextQuery | undefined {
  if (lastSearch?.text !== search) {
    let query: TextQuery | undefined;
    try {
      query = parseTextQuery(search);
    } catch {
      query = undefined;
    }
    lastSearch = { text: search, query };
  }
  return lastSearch.query;
}

/** A part of a text, and whether it is a match of the search. */
export interface TextPart {
  text: string;
  match: boolean;
}

/** Characters with a meaning in a regular expression. */
const REGEXP_SPECIALS = /[.*+?^${}()|[\]\\/]/g;

/**
 * `text` cut where a term the search includes occurs (its words and phrases, not its exclusions),
 * ignoring case (as the API's search does), so that a view can mark the matches as elements:
 * never as HTML. One part, not a match, when there is none.
 */
export function matchParts(text: string, search: string): TextPart[] {
  const terms = search === "" ? [] : searchQuery(search)?.include ?? [];
  if (terms.length === 0 || text === "") return [{ text, match: false }];
  // The longest first, so that a term inside another does not cut it.
  const alternatives = [...terms].sort((a, b) => b.length - a.length)
    .map((term) => term.replace(REGEXP_SPECIALS, "\\$&"));
  const pattern = new RegExp(alternatives.join("|"), "giu");
  const parts: TextPart[] = [];
  let last = 0;
  for (const found of text.matchAll(pattern)) {
    const at = found.index;
    if (at > last) parts.push({ text: text.slice(last, at), match: false });
    parts.push({ text: found[0], match: true });
    last = at + found[0].length;
  }
  if (last < text.length || parts.length === 0) {
    parts.push({ text: text.slice(last), match: false });
  }
  return parts;
}

/** The trace page of a record, with its span highlighted; undefined outside a trace. */
export function traceHref(item: Pick<LogItem, "trace_id" | "span_id">): string | undefined {
  if (!item.trace_id) return undefined;
  const span = item.span_id ? `?span=${encodeURIComponent(item.span_id)}` : "";
  return `/traces/${encodeURIComponent(item.trace_id)}${span}`;
}
