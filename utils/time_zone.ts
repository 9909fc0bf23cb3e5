/**
 * The time zone the UI shows times in: the browser's own ("local") or UTC, as the user chose in the
 * time-range picker, remembered in a cookie so that the server renders the first paint in that
 * zone and hydration changes nothing.
 *
 * Two cookies: `argus_time_zone` holds the choice (`local` or `utc`, local when absent), and
 * `argus_browser_zone` the browser's IANA zone, which the client entry writes on every page, since
 * a server cannot know it otherwise. Until the browser has told it (its first page), "local" is
 * rendered as UTC, and labelled so.
 *
 * The zone is one per page: the server sets it before it renders a page (rendering is synchronous,
 * so requests never see each other's), the client entry before it hydrates the islands, and a
 * change of zone reloads the page. Every time the UI shows goes through utils/format.ts, which reads
 * it here. Pure but for that one setting; tested in utils/time_zone_test.ts.
 *
 * @module
 */
import { cookieValue } from "./cookies.ts";

/** The cookie that holds the user's choice: `local` or `utc`. */
export const ZONE_CHOICE_COOKIE = "argus_time_zone";
/** The cookie the client entry writes with the browser's IANA zone. */
export const BROWSER_ZONE_COOKIE = "argus_browser_zone";

export type ZoneChoice = "local" | "utc";

let current = "UTC";

/** Whether `name` is a time zone this runtime knows (`UTC`, `Asia/Tokyo`). */
export function isTimeZone(name: string): boolean {
  if (name === "" || name.length > 64) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Sets the zone of the page being rendered (an unknown zone is UTC). */
export function setDisplayZone(name: string | undefined): void {
  current = name !== undefined && isTimeZone(name) ? name : "UTC";
}

/** The zone times are shown in. */
export function displayZone(): string {
  return current;
}

/** The choice and the zone it gives, from a request's `Cookie` header. */
export function zoneFromCookies(cookieHeader: string | null | undefined): {
  choice: ZoneChoice;
  zone: string;
} {
  const choice: ZoneChoice = cookieValue(cookieHeader, ZONE_CHOICE_COOKIE) === "utc"
    ? "utc"
    : "local";
  const browser = cookieValue(cookieHeader, BROWSER_ZONE_COOKIE) ?? "";
  return { choice, zone: choice === "local" && isTimeZone(browser) ? browser : "UTC" };
}

export interface WallClock {
  year: number;
  /** 1–12. */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** The wall clock of the instant `ms` in `zone` (the page's by default). */
export function wallClock(ms: number, zone: string = current): WallClock {
  const millisecond = ((ms % 1000) + 1000) % 1000;
  if (zone === "UTC") {
    const date = new Date(ms);
    return {
      year: date.getUTCFullYear(),
      month: date.getUTCMonth() + 1,
      day: date.getUTCDate(),
      hour: date.getUTCHours(),
      minute: date.getUTCMinutes(),
      second: date.getUTCSeconds(),
      millisecond,
    };
  }
  const parts: Record<string, number> = {};
  for (const part of formatterOf(zone).formatToParts(new Date(ms))) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
    millisecond,
  };
}

/** How far `zone`'s wall clock is ahead of UTC at the instant `ms`, in milliseconds. */
export function zoneOffsetMs(ms: number, zone: string = current): number {
  const c = wallClock(ms, zone);
  const asUtc = Date.UTC(c.year, c.month - 1, c.day, c.hour, c.minute, c.second, c.millisecond);
  return asUtc - ms;
}

/** The zone as a label: `UTC`, `UTC+09:00`, `UTC−05:00`, at the instant `ms`. */
export function zoneLabel(ms: number, zone: string = current): string {
  const offset = Math.round(zoneOffsetMs(ms, zone) / 60_000);
  if (offset === 0) return "UTC";
  const sign = offset > 0 ? "+" : "−";
  const abs = Math.abs(offset);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `UTC${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/**
 * The instant of a wall-clock time in `zone`: `2026-12-03T10:00` or `…T10:00:30` (as a
 * `datetime-local` input gives it); undefined when it is not one. A time that a clock change
 * skips is read with the offset before the change.
 */
export function instantOf(text: string, zone: string = current): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/.exec(
    text.trim(),
  );
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second = "0", fraction = "0"] = match.slice(1);
  const asUtc = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
    Number(fraction.padEnd(3, "0")),
  );
  const check = new Date(asUtc);
  if (check.getUTCMonth() !== Number(month) - 1 || check.getUTCDate() !== Number(day)) {
    return undefined;
  }
  // Two passes settle the offset of that wall-clock time (the zone's offset can change in between).
  let ms = asUtc - zoneOffsetMs(asUtc, zone);
  ms = asUtc - zoneOffsetMs(ms, zone);
  return ms;
}

/** The instant `ms` as a `datetime-local` input's value in `zone`: `2026-12-03T10:00:30`. */
export function wallClockText(ms: number, zone: string = current): string {
  const c = wallClock(ms, zone);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${c.year}-${pad(c.month)}-${pad(c.day)}T${pad(c.hour)}:${pad(c.minute)}:${pad(c.second)}`;
}
