/**
 * `GET /api/logs`: log records of a window, filtered by service, minimum severity, trace and span,
 * text in the body (`search`, ignoring case), paginated, sorted by `timestamp`.
 *
 * @module
 */
import { SEVERITY_MINIMUMS } from "../utils/wire.ts";
import type { LogFilter, Store } from "../store/mod.ts";
import { BadRequestError, NotFoundError } from "./http_error.ts";
import {
  hexId,
  optionalHexId,
  PAGE,
  parameter,
  parseQuery,
  SERVICE,
  sortBy,
  text,
  WINDOW,
} from "./query_params.ts";
import { wireLog } from "./wire.ts";
import { parseDurationMs } from "../lib/units.ts";

export interface LogsDeps {
  store: Pick<Store, "logs" | "countLogs">;
  queryMaxWindowMs: number;
  now: () => number;
}

/** `severity`: a name (case-insensitive) or a SeverityNumber from 1 to 24; the minimum shown. */
export function parseSeverity(params: URLSearchParams): number | undefined {
  const text = params.get("severity");
  if (text === null) return undefined;
  const byName = SEVERITY_MINIMUMS[text.toLowerCase()];
  if (byName !== undefined) return byName;
  const number = /^\d+$/.test(text) ? Number(text) : NaN;
  if (number >= 1 && number <= 24) return number;
  throw new BadRequestError(
    `Cannot use 'severity' as it must be one of ${
      Object.keys(SEVERITY_MINIMUMS).join(", ")
    } or a number from 1 to 24: current value is ${JSON.stringify(text)}`,
  );
}

/** The query of `GET /api/logs`: what docs/api.md lists and what the handler reads. */
export const LOG_LIST_QUERY = {
  window: WINDOW,
  page: PAGE,
  sort: sortBy(["timestamp"] as const, "timestamp"),
  service: SERVICE,
  minSeverity: parameter("severity", parseSeverity),
  traceId: optionalHexId("trace_id", 32),
  spanId: optionalHexId("span_id", 16),
  search: text("search"),
};

export async function listLogs(params: URLSearchParams, deps: LogsDeps) {
  const { window, page, sort, service, ...filters } = parseQuery(LOG_LIST_QUERY, params, {
    nowMs: deps.now(),
    maxWindowMs: deps.queryMaxWindowMs,
  });
  const filter: LogFilter = { ...window, serviceName: service, ...filters };
  const [logs, total] = await Promise.all([
    deps.store.logs(filter, { ...page, order: sort.order }),
    deps.store.countLogs(filter),
  ]);
  return { items: logs.map(wireLog), total, limit: page.limit, offset: page.offset };
}

/** The query of `GET /ws`, the live stream: its client's filters. */
export const LIVE_QUERY = {
  service: SERVICE,
  minSeverity: parameter("severity", parseSeverity),
};

/** Longest `window` of `/api/logs/context` on each side of the anchor. */
export const MAX_CONTEXT_MS = 3_600_000;
/** Records on each side of the anchor, at most. */
export const CONTEXT_LIMIT = 500;

export interface ContextDeps {
  store: Pick<Store, "logById" | "logs">;
}

/**
 * `GET /api/logs/context?id=…&window=1m`: the anchor record and its service's records within
 * ±window of it, in time order (at most CONTEXT_LIMIT on each side, the nearest ones). Records
 * at the anchor's very nanosecond are listed after it.
 */
/** `window` of `/api/logs/context`: a duration from 1ms to 1h, default 1m; in milliseconds. */
function parseContextWindow(params: URLSearchParams): number {
  const windowText = params.get("window") ?? "1m";
  const windowMs = parseDurationMs(windowText);
  if (windowMs === undefined || windowMs < 1 || windowMs > MAX_CONTEXT_MS) {
    throw new BadRequestError(
      `Cannot use 'window' as it must be a duration from 1ms to 1h such as 30s or 1m: current ` +
        `value is ${JSON.stringify(windowText)}`,
    );
  }
  return windowMs;
}

/** The query of `GET /api/logs/context`. */
export const LOG_CONTEXT_QUERY = {
  id: hexId("id", 32),
  windowMs: parameter("window", parseContextWindow),
};

export async function logContext(params: URLSearchParams, deps: ContextDeps) {
  const { id, windowMs } = parseQuery(LOG_CONTEXT_QUERY, params);
  const anchor = await deps.store.logById(id);
  if (anchor === undefined) throw new NotFoundError(`No log record ${id} is stored`);
  const spanNs = BigInt(windowMs) * 1_000_000n;
  const at = anchor.timeUnixNano;
  const base = { serviceName: anchor.serviceName };
  const [before, after] = await Promise.all([
    deps.store.logs({ ...base, startNs: at - spanNs < 0n ? 0n : at - spanNs, endNs: at }, {
      limit: CONTEXT_LIMIT + 1,
      offset: 0,
      order: "desc",
    }),
    deps.store.logs({ ...base, startNs: at, endNs: at + spanNs + 1n }, {
      limit: CONTEXT_LIMIT + 1,
      offset: 0,
      order: "asc",
    }),
  ]);
  const others = (logs: typeof before) => logs.filter((l) => l.id !== id).slice(0, CONTEXT_LIMIT);
  return {
    anchor: wireLog(anchor),
    before: others(before).reverse().map(wireLog),
    after: others(after).map(wireLog),
  };
}
