/**
 * The time window every page shows, one vocabulary for the API and the UI: the ranges a user picks
 * (`range`: the last 5 minutes to 24 hours, default 5), or a custom window (`start`, `end`), all
 * in the URL. `carryWindow()` keeps the window across links between pages, so that a drill-down
 * from a 15-minute dashboard lands on the same 15 minutes.
 *
 * @module
 */

/** The ranges a user picks, by name, in milliseconds. */
export const RANGES: Readonly<Record<string, number>> = {
  "5m": 5 * 60_000,
  "15m": 15 * 60_000,
  "1h": 3_600_000,
  "6h": 6 * 3_600_000,
  "24h": 24 * 3_600_000,
};

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

const RANGE_WORDS: Record<string, string> = {
  "5m": "5 minutes",
  "15m": "15 minutes",
  "1h": "hour",
  "6h": "6 hours",
  "24h": "24 hours",
};

/** A range as words after "last": `5 minutes`, `hour`; an unknown one as is. */
export function rangeWords(range: string): string {
  return RANGE_WORDS[range] ?? range;
}

/**
 * The smallest range that shows data of the minute `latestMs` at `nowMs` (that minute whole), or
 * undefined when it is older than the largest range.
 */
export function rangeReaching(latestMs: number, nowMs: number): string | undefined {
  const needed = nowMs - latestMs;
  return Object.keys(RANGES).find((range) => RANGES[range]! >= needed);
}
