/**
 * Formatting for islands: durations, counts, times (in the page's zone: utils/time_zone.ts). Pure but
 * for that zone; tested in utils/format_test.ts.
 *
 * @module
 */
import { wallClock, zoneLabel } from "./time_zone.ts";

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

/** `25%`, `4.98%`, `0.01%`, `0%`: a percentage with at most two decimals. */
export function formatPercent(percent: number): string {
  if (!Number.isFinite(percent)) return "–";
  return `${Number(percent.toFixed(2))}%`;
}

/** A fraction (`0.1667`: an error rate, a share) as a percentage: `16.67%`. */
export function fractionPercent(fraction: number): string {
  return formatPercent(fraction * 100);
}

/** `1.5 MB`, `812 KB`, `3.2 GB` (powers of 1,000, as disks are sold); `–` when unknown. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return "–";
  const units = ["bytes", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${Number(value.toPrecision(3))} ${units[unit]}`;
}

/** `999`, `1.2k`, `3.4M`. */
export function formatCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/**
 * An RFC 3339 time as `HH:MM:SS.mmm` in the page's zone (utils/time_zone.ts), or with the date,
 * `MM-DD HH:MM:SS.mmm`, for lists that span days.
 */
export function formatClock(rfc3339: string, options: { date?: boolean } = {}): string {
  const ms = Date.parse(rfc3339);
  if (Number.isNaN(ms)) return rfc3339;
  const c = wallClock(ms);
  const clock = `${pad(c.hour)}:${pad(c.minute)}:${pad(c.second)}.${pad(c.millisecond, 3)}`;
  return options.date ? `${pad(c.month)}-${pad(c.day)} ${clock}` : clock;
}

/** An RFC 3339 time as `YYYY-MM-DD HH:MM:SS` in the page's zone (utils/time_zone.ts). */
export function formatDateTime(rfc3339: string): string {
  const ms = Date.parse(rfc3339);
  if (Number.isNaN(ms)) return rfc3339;
  const c = wallClock(ms);
  return `${c.year}-${pad(c.month)}-${pad(c.day)} ${pad(c.hour)}:${pad(c.minute)}:${pad(c.second)}`;
}

/**
 * An RFC 3339 time whole, in the page's zone and labelled with it: `2026-12-06 18:05:07.042123
 * UTC+09:00` (the fraction as the time gives it, to the nanosecond).
 */
export function formatInstant(rfc3339: string): string {
  const ms = Date.parse(rfc3339);
  if (Number.isNaN(ms)) return rfc3339;
  const fraction = /\.(\d+)/.exec(rfc3339)?.[1] ?? "";
  return `${formatDateTime(rfc3339)}${fraction ? `.${fraction}` : ""} ${zoneLabel(ms)}`;
}

/** The page's zone as a label for the times it shows: `UTC`, `UTC+09:00` (now's offset). */
export function formatZone(atMs: number = Date.now()): string {
  return zoneLabel(atMs);
}

/** How long ago, in words: `just now`, `12 s ago`, `3 min ago`, `2 h ago`, `3 d ago`. */
export function formatAgo(ms: number): string {
  if (!(ms >= 5_000)) return "just now";
  if (ms < 60_000) return `${Math.floor(ms / 1000)} s ago`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ago`;
  if (ms < 2 * 86_400_000) return `${Math.floor(ms / 3_600_000)} h ago`;
  return `${Math.floor(ms / 86_400_000)} d ago`;
}
