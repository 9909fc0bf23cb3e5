/**
 * `GET /api/logs`: log records of a window, filtered by service, minimum severity, trace and span,
 * paginated, sorted by `timestamp`. (Text search in bodies, `search`, is not there yet.)
 *
 * @module
 */
import type { LogFilter, Store } from "../store/mod.ts";
import {
  BadRequestError,
  parsePage,
  parseService,
  parseSort,
  parseWindow,
} from "./query_params.ts";
import { wireLog } from "./wire.ts";

export interface LogsDeps {
  store: Pick<Store, "logs" | "countLogs">;
  queryMaxWindowMs: number;
  now: () => number;
}

/** The lowest SeverityNumber of each severity name (OTLP's ranges: TRACE 1–4, DEBUG 5–8, …). */
export const SEVERITY_NAMES: Record<string, number> = {
  trace: 1,
  debug: 5,
  info: 9,
  warn: 13,
  error: 17,
  fatal: 21,
};

/** `severity`: a name (case-insensitive) or a SeverityNumber from 1 to 24; the minimum shown. */
export function parseSeverity(params: URLSearchParams): number | undefined {
  const text = params.get("severity");
  if (text === null) return undefined;
  const byName = SEVERITY_NAMES[text.toLowerCase()];
  if (byName !== undefined) return byName;
  const number = /^\d+$/.test(text) ? Number(text) : NaN;
  if (number >= 1 && number <= 24) return number;
  throw new BadRequestError(
    `Cannot use 'severity' as it must be one of ${
      Object.keys(SEVERITY_NAMES).join(", ")
    } or a number from 1 to 24: current value is ${JSON.stringify(text)}`,
  );
}

function parseId(params: URLSearchParams, name: "trace_id" | "span_id"): string | undefined {
  const text = params.get(name);
  if (text === null) return undefined;
  const chars = name === "trace_id" ? 32 : 16;
  const id = text.toLowerCase();
  if (!new RegExp(`^[0-9a-f]{${chars}}$`).test(id)) {
    throw new BadRequestError(
      `Cannot use '${name}' as it must be ${chars} hex characters: current value is ${
        JSON.stringify(text.slice(0, 80))
      }`,
    );
  }
  return id;
}

export async function listLogs(params: URLSearchParams, deps: LogsDeps) {
  const window = parseWindow(params, deps.now(), deps.queryMaxWindowMs);
  const page = parsePage(params);
  const sort = parseSort(params, ["timestamp"] as const, "timestamp");
  const filter: LogFilter = {
    ...window,
    serviceName: parseService(params),
    minSeverity: parseSeverity(params),
    traceId: parseId(params, "trace_id"),
    spanId: parseId(params, "span_id"),
  };
  const [logs, total] = await Promise.all([
    deps.store.logs(filter, { ...page, order: sort.order }),
    deps.store.countLogs(filter),
  ]);
  return { items: logs.map(wireLog), total, limit: page.limit, offset: page.offset };
}
