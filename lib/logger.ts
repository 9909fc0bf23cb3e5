/**
 * The one logger: leveled, one line per event, `key=value` fields after the message, written to
 * stderr so stdout stays free for tools. Honours `LOG_LEVEL`.
 *
 * @module
 */
import type { LogLevel } from "./config.ts";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line, e.g. `{ module: "store" }`. */
  with(fields: LogFields): Logger;
}

/** Where finished lines go; tests pass an array's push. */
export type LogSink = (level: LogLevel, line: string) => void;

const stderrSink: LogSink = (_level, line) => {
  // deno-lint-ignore no-console -- this is the logger
  console.error(line);
};

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === "string") return /^[\w.:/@+-]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === "bigint" || typeof value === "number") return String(value);
  // Nanosecond timestamps are bigints, also inside objects; plain JSON.stringify throws on them.
  const json = JSON.stringify(value, (_key, v) => typeof v === "bigint" ? v.toString() : v);
  return json ?? String(value);
}

export function formatLine(level: LogLevel, message: string, fields: LogFields, now: Date): string {
  let line = `${now.toISOString()} ${level.toUpperCase().padEnd(5)} ${message}`;
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) line += ` ${key}=${formatValue(value)}`;
  }
  return line;
}

export function createLogger(
  level: LogLevel,
  sink: LogSink = stderrSink,
  base: LogFields = {},
): Logger {
  const threshold = RANK[level];
  const emit = (at: LogLevel, message: string, fields?: LogFields) => {
    if (RANK[at] < threshold) return;
    sink(at, formatLine(at, message, { ...base, ...fields }, new Date()));
  };
  return {
    debug: (message, fields) => emit("debug", message, fields),
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
    with: (fields) => createLogger(level, sink, { ...base, ...fields }),
  };
}
