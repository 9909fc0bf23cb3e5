/**
 * `GET /api/logs`: log records of a window, filtered by service, minimum severity, trace and span,
 * text in the body (`search`: words, "phrases" and -exclusions, ignoring case; utils/text_query.ts),
 * sorted by `timestamp`, paged by offset or by a record's cursor (`before`, `after`: exact, see
 * utils/log_cursor.ts).
 *
 * @module
 */
import { SEVERITY_MINIMUMS, type ValueForm, type WireLogPage } from "../utils/wire.ts";
import { parseLogCursor } from "../utils/log_cursor.ts";
import { parseTextQuery, type TextQuery } from "../utils/text_query.ts";
import { type LogKey, type Store, withThePage } from "../store/mod.ts";
import { BadRequestError, NotFoundError } from "./http_error.ts";
import {
  hexId,
  optionalHexId,
  PAGE,
  parameter,
  parseQuery,
  parseText,
  type QueryParameter,
  SERVICE,
  sortBy,
  WINDOW,
} from "./query_params.ts";
import { wireLog } from "./wire.ts";
import { parseAttributeFilters } from "./traces.ts";
import { parseDurationMs } from "../lib/units.ts";

export interface LogsDeps {
  store: Pick<Store, "planLogs" | "logs" | "logTotal">;
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

/** `search`: a text query (utils/text_query.ts); undefined when absent or empty. */
export function parseSearch(params: URLSearchParams): TextQuery | undefined {
  const text = parseText(params, "search");
  if (text === undefined) return undefined;
  try {
    return parseTextQuery(text);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new BadRequestError(
      `Cannot use 'search' as ${error.message}: current value is ${JSON.stringify(text)}`,
    );
  }
}

/** Where a keyset page of `GET /api/logs` starts: past the record `before` or `after` names. */
export interface LogCursors {
  before?: LogKey;
  after?: LogKey;
}

function parseCursor(params: URLSearchParams, name: "before" | "after"): LogKey | undefined {
  const text = params.get(name);
  if (text === null) return undefined;
  const key = parseLogCursor(text);
  if (key === undefined) {
    throw new BadRequestError(
      `Cannot use '${name}' as it must be a record's cursor, its listed_time_unix_nano and id joined by ` +
        `"_" such as 1795687200000000000_${"0".repeat(32)}: current value is ${
          JSON.stringify(text.slice(0, 80))
        }`,
    );
  }
  return { timeUnixNano: BigInt(key.listed_time_unix_nano), id: key.id };
}

/** `before` or `after` (not both): a record's cursor (utils/log_cursor.ts). */
export const LOG_CURSORS: QueryParameter<LogCursors> = {
  names: ["before", "after"],
  parse(params) {
    const before = parseCursor(params, "before");
    const after = parseCursor(params, "after");
    if (before !== undefined && after !== undefined) {
      throw new BadRequestError(
        "Cannot use 'before' together with 'after': give one cursor, the side to read from",
      );
    }
    return { before, after };
  },
};

/** The query of `GET /api/logs`: what docs/api.md lists and what the handler reads. */
export const LOG_LIST_QUERY = {
  window: WINDOW,
  page: PAGE,
  cursors: LOG_CURSORS,
  sort: sortBy(["timestamp"] as const, "timestamp"),
  service: SERVICE,
  minSeverity: parameter("severity", parseSeverity),
  traceId: optionalHexId("trace_id", 32),
  spanId: optionalHexId("span_id", 16),
  search: parameter("search", parseSearch),
  // Repeatable `attr=key=value`, matched as the trace list matches it (store/attribute_index.ts).
  attributes: parameter("attr", parseAttributeFilters),
};

/** `GET /api/logs`; bodies and attribute maps in form `values` (plain by default). */
export async function listLogs<F extends ValueForm = "plain">(
  params: URLSearchParams,
  deps: LogsDeps,
  values?: F,
): Promise<WireLogPage<F>> {
  const { window, page, cursors, sort, service, ...filters } = parseQuery(LOG_LIST_QUERY, params, {
    nowMs: deps.now(),
    maxWindowMs: deps.queryMaxWindowMs,
  });
  if ((cursors.before ?? cursors.after) !== undefined && page.offset > 0) {
    throw new BadRequestError(
      `Cannot use 'offset' together with '${cursors.before ? "before" : "after"}' as a cursor ` +
        `starts the page itself: current value is "${page.offset}"`,
    );
  }
  // Planned once (the indexes' candidates), for the page and the count alike.
  const filter = await deps.store.planLogs({ ...window, serviceName: service, ...filters });
  // One record past the page tells whether there are more.
  const [logs, counted] = await Promise.all([
    deps.store.logs(filter, { ...page, ...cursors, limit: page.limit + 1, order: sort.order }),
    deps.store.logTotal(filter),
  ]);
  // Read going away from the cursor, then listed in `order`: the extra record is the farthest
  // from the cursor, last unless the order lists the page towards the cursor.
  const more = logs.length > page.limit;
  const farthestLast = cursors.after
    ? sort.order === "asc"
    : cursors.before
    ? sort.order === "desc"
    : true;
  const items = !more ? logs : farthestLast ? logs.slice(0, page.limit) : logs.slice(1);
  // A capped count is at least what the page shows, and exact when the page ends the matches.
  const { total, totalCapped } = withThePage(counted, {
    offset: page.offset,
    shown: items.length,
    more,
    fromCursor: (cursors.before ?? cursors.after) !== undefined,
  });
  return {
    items: items.map((log) => wireLog(log, values)),
    total,
    total_capped: totalCapped,
    limit: page.limit,
    offset: page.offset,
    more,
  };
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

/** `GET /api/logs/context`; bodies and attribute maps in form `values` (plain by default). */
export async function logContext<F extends ValueForm = "plain">(
  params: URLSearchParams,
  deps: ContextDeps,
  values?: F,
) {
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
    anchor: wireLog(anchor, values),
    before: others(before).reverse().map((log) => wireLog(log, values)),
    after: others(after).map((log) => wireLog(log, values)),
  };
}
