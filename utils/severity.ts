/**
 * OTLP severities by name: the lowest SeverityNumber of each range (TRACE 1–4, DEBUG 5–8, INFO
 * 9–12, WARN 13–16, ERROR 17–20, FATAL 21–24). Shared by the API's `severity` parameter
 * (routes/logs.ts) and the Logs page (utils/log_query.ts), so the two read names alike.
 *
 * @module
 */
export const SEVERITY_MINIMUMS: Readonly<Record<string, number>> = {
  trace: 1,
  debug: 5,
  info: 9,
  warn: 13,
  error: 17,
  fatal: 21,
};
