/**
 * The time window every page shows, one vocabulary for the API and the UI: a range back from now
 * (`range`: a preset from 5 minutes to 7 days, or any "last N" length such as `90m`, `12h`, `3d`;
 * default 5 minutes), or an absolute window (`start`, `end`), all in the URL. `carryWindow()` keeps
 * the window across links between pages, so that a drill-down from a 15-minute dashboard lands on
 * the same 15 minutes. The zone times are shown in is utils/time_zone.ts's.
 *
 * @module
 */
import { formatDateTime, formatZone } from "./format.ts";

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** The ranges the picker offers, by name, in milliseconds. */
export const RANGES: Readonly<Record<string, number>> = {
  "5m": 5 * MINUTE_MS,
  "15m": 15 * MINUTE_MS,
  "1h": HOUR_MS,
  "6h": 6 * HOUR_MS,
  "24h": 24 * HOUR_MS,
  "2d": 2 * DAY_MS,
  "7d": 7 * DAY_MS,
};

const UNIT_MS: Record<string, number> = { m: MINUTE_MS, h: HOUR_MS, d: DAY_MS };

/** What `range` accepts, in words, for error sentences. */
export const RANGE_FORMS = `one of ${
  Object.keys(RANGES).join(", ")
}, or a whole number of minutes, hours or days such as 90m, 12h or 3d`;

/** A range's length in milliseconds (`15m`, `90m`, `3d`), or undefined when it is not a range. */
export function rangeMs(range: string): number | undefined {
  const match = /^([1-9]\d{0,5})([mhd])$/.exec(range);
  return match === null ? undefined : Number(match[1]) * UNIT_MS[match[2]!]!;
}

/** The shortest name of a length of whole minutes: `30d`, `12h`, `90m`. */
export function rangeOf(ms: number): string {
  const minutes = Math.max(1, Math.round(ms / MINUTE_MS));
  if (minutes % 1440 === 0) return `${minutes / 1440}d`;
  if (minutes % 60 === 0) return `${minutes / 60}h`;
  return `${minutes}m`;
}

/**
 * The presets a picker offers under a limit (retention, or the longest window a query may ask
 * for): those no longer than it, then the limit itself when it is not one of them.
 */
export function presetsUpTo(limitMs: number | null | undefined): string[] {
  const names = Object.keys(RANGES);
  if (limitMs === null || limitMs === undefined || !(limitMs > 0)) return names;
  const within = names.filter((name) => RANGES[name]! <= limitMs);
  const limit = rangeOf(limitMs);
  return within.some((name) => RANGES[name] === rangeMs(limit)) ? within : [...within, limit];
}

/** The range of a page whose URL names none. */
export const DEFAULT_RANGE = "5m";

/** The URL parameters that say a page's time window. */
export const WINDOW_PARAMS = ["range", "start", "end"] as const;

/**
 * `href` with the time window of the query string `search` (its `range`, `start` and `end`),
 * unless `href` names a window of its own; the default range is left out, as the pages leave it
 * out of their own URLs.
 */
export function carryWindow(href: string, search: string): string {
  const from = new URLSearchParams(search);
  const url = new URL(href, "http://argus.invalid");
  if (WINDOW_PARAMS.some((name) => url.searchParams.has(name))) return href;
  let carried = false;
  for (const name of WINDOW_PARAMS) {
    const value = from.get(name);
    if (value === null || value === "" || (name === "range" && value === DEFAULT_RANGE)) continue;
    url.searchParams.set(name, value);
    carried = true;
  }
  return carried ? `${url.pathname}${url.search}${url.hash}` : href;
}

/** The window parameters of a page's range for a link it makes (none for the default range). */
export function rangeParams(range: string): { range?: string } {
  return range === DEFAULT_RANGE ? {} : { range };
}

const UNIT_WORDS: Record<string, string> = { m: "minute", h: "hour", d: "day" };

/** A range as words after "last": `5 minutes`, `hour`, `7 days`; an unknown one as is. */
export function rangeWords(range: string): string {
  if (range === "24h") return "24 hours";
  const match = /^(\d+)([mhd])$/.exec(range);
  if (match === null) return range;
  const unit = UNIT_WORDS[match[2]!]!;
  return match[1] === "1" ? unit : `${match[1]} ${unit}s`;
}

/** A page's window as its URL says it: a range, or `start` and `end` (which replace the range). */
export interface WindowFilter {
  range: string;
  /** RFC 3339 or Unix milliseconds, as the API reads them; "" for none. */
  start: string;
  end: string;
}

/** The window a page's URL names. */
export function windowOf(url: URL): WindowFilter {
  const get = (name: string) => url.searchParams.get(name) ?? "";
  return { range: get("range") || DEFAULT_RANGE, start: get("start"), end: get("end") };
}

/** Whether the window is absolute (`start` given). */
export function isAbsolute(window: WindowFilter): boolean {
  return window.start !== "";
}

/**
 * The window parameters of a page's window for a link it makes or an API call: its `start` and
 * `end` when absolute, else its range (none for the default range).
 */
export function windowParams(window: WindowFilter): Record<string, string> {
  if (!isAbsolute(window)) return rangeParams(window.range);
  return window.end === "" ? { start: window.start } : { start: window.start, end: window.end };
}

/** A `start`/`end` value (RFC 3339 or Unix ms) in Unix ms; undefined when unset or unreadable. */
export function instantMs(text: string): number | undefined {
  if (text === "") return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

function instantText(text: string): string {
  const ms = instantMs(text);
  return ms === undefined ? text : formatDateTime(new Date(ms).toISOString()).slice(0, 16);
}

/**
 * A window in words, in the page's zone: `last 15 minutes`, or
 * `2026-12-03 10:00 – 2026-12-03 12:00 (UTC+09:00)`.
 */
export function windowWords(window: WindowFilter): string {
  if (!isAbsolute(window)) return `last ${rangeWords(window.range)}`;
  return `${instantText(window.start)} – ${
    window.end === "" ? "now" : instantText(window.end)
  } (${formatZone()})`;
}

/** The window after a noun: `in the last 15 minutes`, `from 2026-12-03 10:00 – … (UTC)`. */
export function windowPhrase(window: WindowFilter): string {
  return `${isAbsolute(window) ? "from" : "in the"} ${windowWords(window)}`;
}

/**
 * The smallest range that shows data of the minute `latestMs` at `nowMs` (that minute whole), or
 * undefined when it is older than the largest range.
 */
export function rangeReaching(latestMs: number, nowMs: number): string | undefined {
  const needed = nowMs - latestMs;
  return Object.keys(RANGES).find((range) => RANGES[range]! >= needed);
}
