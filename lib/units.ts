/**
 * Parsing of the human-written quantities used in configuration and query parameters:
 * durations (`500ms`, `5m`, `1h30m`, `7d`) and byte sizes (`512KiB`, `64MiB`, `1048576`).
 *
 * @module
 */

const DURATION_UNITS_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Accepted duration units, for error messages. */
export const DURATION_FORMAT = "a duration such as 500ms, 30s, 5m, 1h30m or 7d";

/**
 * Parses a duration into milliseconds, or returns undefined when the text is not one.
 * A bare number is refused on purpose: "5" could mean seconds or minutes.
 */
export function parseDurationMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^(\d+(ms|s|m|h|d))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)(ms|s|m|h|d)/g)) {
    total += Number(amount) * DURATION_UNITS_MS[unit!]!;
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Formats milliseconds back into the shortest duration text `parseDurationMs` accepts. */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return "0s";
  for (const unit of ["d", "h", "m", "s"] as const) {
    const size = DURATION_UNITS_MS[unit]!;
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

const BYTE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1_000,
  mb: 1_000_000,
  gb: 1_000_000_000,
  kib: 1_024,
  mib: 1_048_576,
  gib: 1_073_741_824,
};

/** Accepted byte-size units, for error messages. */
export const BYTES_FORMAT = "a size in bytes such as 1048576, 512KiB, 64MiB or 1GB";

/** Parses a byte size (case-insensitive unit, binary or decimal), or returns undefined. */
export function parseBytes(text: string): number | undefined {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(text.trim());
  if (!match) return undefined;
  const unit = BYTE_UNITS[match[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  const total = Number(match[1]) * unit;
  return Number.isSafeInteger(total) ? total : undefined;
}
