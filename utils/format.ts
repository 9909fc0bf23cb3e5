/**
 * Formatting for islands: durations, counts, times. Pure; tested in utils/format_test.ts.
 *
 * @module
 */

/** `0.42 ms`, `12.3 ms`, `850 ms`, `2.35 s`, `1m 05s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "–";
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes}m ${String(seconds).padStart(2, "0")}s`;
}

const DURATION_UNITS_MS: Record<string, number> = {
  us: 0.001,
  "µs": 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
};

/**
 * A duration as users type it in a search filter, in milliseconds: `250` (milliseconds), `250ms`,
 * `1.2s`, `2m`, `1h`, `500us`; undefined for anything else. Looser than configuration durations
 * (lib/units.ts), which refuse a bare number and fractions so that "5" is never ambiguous there.
 */
export function parseDurationFilterMs(text: string): number | undefined {
  const match = /^(\d+(?:\.\d*)?|\.\d+)\s*([a-zµ]*)$/i.exec(text.trim());
  if (match === null) return undefined;
  const unit = DURATION_UNITS_MS[match[2]!.toLowerCase() || "ms"];
  if (unit === undefined) return undefined;
  // Rounded to the nanosecond, so that 1.1s is 1100 and not 1100.0000000000002.
  return Math.round(Number(match[1]) * unit * 1e6) / 1e6;
}

/** `999`, `1.2k`, `3.4M`. */
export function formatCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** An RFC 3339 time as the local `HH:MM:SS.mmm`. */
export function formatClock(rfc3339: string): string {
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return rfc3339;
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${
    pad(date.getMilliseconds(), 3)
  }`;
}

/** An RFC 3339 time as the local `YYYY-MM-DD HH:MM:SS`. */
export function formatDateTime(rfc3339: string): string {
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return rfc3339;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${
    pad(date.getHours())
  }:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** How long ago, in words: `just now`, `12 s ago`, `3 min ago`, `2 h ago`, `3 d ago`. */
export function formatAgo(ms: number): string {
  if (!(ms >= 5_000)) return "just now";
  if (ms < 60_000) return `${Math.floor(ms / 1000)} s ago`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ago`;
  if (ms < 2 * 86_400_000) return `${Math.floor(ms / 3_600_000)} h ago`;
  return `${Math.floor(ms / 86_400_000)} d ago`;
}
