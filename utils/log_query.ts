/**
 * The Logs page's filters: their URL keys and defaults, the `/api/logs` and `/ws` queries they
 * make, the same filters applied in the browser to streamed records (the stream filters by
 * service and severity only), and how a record's fields read as text. Pure; tested in
 * utils/log_query_test.ts.
 *
 * @module
 */
import { DEFAULT_RANGE } from "./time_window.ts";
import { SEVERITY_MINIMUMS, type WireLog } from "./wire.ts";
import type { Params } from "./api.ts";
import { formatClock } from "./format.ts";

/** A record as `/api/logs` and `/ws` serve it. */
export type LogItem = WireLog;

/** The filters, as kept in the URL (`""` when unset). */
export interface LogFilters {
  service: string;
  /** `5m`, `15m`, `1h`, `6h` or `24h`: the window of the API's list. */
  range: string;
  /** The minimum severity by name: `trace` … `fatal`. */
  severity: string;
  /** Text the body contains, ignoring case. */
  search: string;
  trace_id: string;
  span_id: string;
  /**
   * An absolute window instead of `range` (RFC 3339 or Unix ms, as the API reads them), e.g. from
   * a trace's "logs" link: its time with a minute either side.
   */
  start: string;
  end: string;
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
};

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

/** Whether any filter narrows the list (the time window does not count). */
export function hasFilters(filters: LogFilters): boolean {
  return Boolean(
    filters.service || filters.severity || filters.search || filters.trace_id || filters.span_id,
  );
}

/** Whether the window is absolute (`start`/`end`) rather than a range back from now. */
export function hasWindow(filters: LogFilters): boolean {
  return Boolean(filters.start || filters.end);
}

/** The window's query: `start`/`end` when set (the API refuses both forms at once), else `range`. */
export function windowParams(filters: LogFilters): Params {
  return hasWindow(filters) ? { start: filters.start, end: filters.end } : { range: filters.range };
}

/** `/api/logs`'s query for the filters: the newest `limit` records of the window. */
export function listParams(filters: LogFilters, limit: number): Params {
  return {
    ...windowParams(filters),
    service: filters.service,
    severity: filters.severity,
    search: filters.search,
    trace_id: filters.trace_id,
    span_id: filters.span_id,
    limit,
  };
}

/** A `start`/`end` value (RFC 3339 or Unix ms) in Unix ms; undefined when unset or unreadable. */
export function windowBoundMs(text: string): number | undefined {
  if (text === "") return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The filters as one string, equal for equal filters: what a change of filters is told by. */
export function filterKey(filters: LogFilters): string {
  return (Object.keys(LOG_FILTER_DEFAULTS) as (keyof LogFilters)[]).map((key) => filters[key])
    .join("\n");
}

/** `10:41:02 – 10:45:10` for an absolute window, in local time ("now" for an open end). */
export function windowLabel(filters: LogFilters): string {
  const at = (text: string) => {
    const ms = windowBoundMs(text);
    return ms === undefined ? (text || "now") : formatClock(new Date(ms).toISOString()).slice(0, 8);
  };
  return `${at(filters.start)} – ${at(filters.end)}`;
}

/** How the page names the window: `in the last 5m`, or `from 10:41:02 – 10:45:10`. */
export function windowWords(filters: LogFilters): string {
  return hasWindow(filters) ? `from ${windowLabel(filters)}` : `in the last ${filters.range}`;
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
  if (filters.service && item.service_name !== filters.service) return false;
  const minimum = SEVERITY_MINIMUMS[filters.severity.toLowerCase()];
  if (minimum !== undefined && item.severity_number < minimum) return false;
  if (filters.trace_id && item.trace_id !== filters.trace_id.toLowerCase()) return false;
  if (filters.span_id && item.span_id !== filters.span_id.toLowerCase()) return false;
  const end = windowBoundMs(filters.end);
  if (end !== undefined && Number(item.time_unix_nano.slice(0, -6) || "0") > end) return false;
  const start = windowBoundMs(filters.start);
  if (start !== undefined && Number(item.time_unix_nano.slice(0, -6) || "0") < start) return false;
  if (filters.search) {
    const needle = filters.search.toLowerCase();
    if (!bodyText(item.body).toLowerCase().includes(needle)) return false;
  }
  return true;
}

/** The trace page of a record, with its span highlighted; undefined outside a trace. */
export function traceHref(item: Pick<LogItem, "trace_id" | "span_id">): string | undefined {
  if (!item.trace_id) return undefined;
  const span = item.span_id ? `?span=${encodeURIComponent(item.span_id)}` : "";
  return `/traces/${encodeURIComponent(item.trace_id)}${span}`;
}
