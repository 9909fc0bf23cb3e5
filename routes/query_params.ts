/**
 * The query parameters every API endpoint shares (docs: ../shared/spec/api.md, "Conventions"):
 * the time window, pagination and sorting. Each parser throws `BadRequestError` with a message
 * naming the parameter, what is allowed and the value received; nothing here ever reaches SQL
 * other than as a bound value or an allow-listed name.
 *
 * @module
 */
import type { Page, TimeWindow } from "../store/mod.ts";
import { formatDurationMs } from "../lib/units.ts";
import { BadRequestError } from "./http_error.ts";
import { DEFAULT_RANGE, RANGE_FORMS, rangeMs } from "../utils/time_window.ts";
import type { ValueForm } from "../utils/wire.ts";
import { listedService, prefixOf } from "../utils/text_prefix.ts";

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;
/** Deep offsets cost a scan of every skipped row: past this, narrow the window instead. */
export const MAX_OFFSET = 100_000;

function fail(name: string, allowed: string, value: string): never {
  throw new BadRequestError(
    `Cannot use '${name}' as it must be ${allowed}: current value is ${JSON.stringify(value)}`,
  );
}

/** RFC 3339 (`2026-11-26T10:00:00Z`, with an offset or `Z`) or Unix milliseconds, to ms. */
function parseInstant(name: string, text: string): number {
  if (/^\d{1,16}$/.test(text)) return Number(text);
  const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;
  const ms = rfc3339.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) {
    fail(name, "an RFC 3339 time such as 2026-11-26T10:00:00Z or Unix milliseconds", text);
  }
  return ms;
}

const NS_PER_MS = 1_000_000n;

/**
 * The half-open window `[start, end)` in Unix nanoseconds: `range` (default 5m) back from now, or
 * `start` and `end` (default now). Both forms at once, an end before the start, or a window longer
 * than `maxWindowMs` are refused.
 */
export function parseWindow(
  params: URLSearchParams,
  nowMs: number,
  maxWindowMs: number,
): TimeWindow {
  const range = params.get("range");
  const start = params.get("start");
  const end = params.get("end");
  if (range !== null && (start !== null || end !== null)) {
    throw new BadRequestError(
      "Cannot use 'range' together with 'start' or 'end': give either a range or a start and end",
    );
  }
  if (start === null) {
    if (end !== null) fail("start", "given when 'end' is (RFC 3339 or Unix milliseconds)", "");
    const name = range ?? DEFAULT_RANGE;
    const length = rangeMs(name);
    if (length === undefined) fail("range", RANGE_FORMS, name);
    if (length > maxWindowMs) {
      fail("range", `at most ${formatDurationMs(maxWindowMs)} (QUERY_MAX_WINDOW)`, name);
    }
    return {
      startNs: BigInt(nowMs - length) * NS_PER_MS,
      endNs: BigInt(nowMs) * NS_PER_MS,
    };
  }
  const startMs = parseInstant("start", start);
  const endMs = end === null ? nowMs : parseInstant("end", end);
  if (endMs <= startMs) {
    fail("end", `after 'start' (${new Date(startMs).toISOString()})`, end ?? "now");
  }
  if (endMs - startMs > maxWindowMs) {
    throw new BadRequestError(
      `Cannot use a window of ${formatDurationMs(endMs - startMs)} as it must be at most ` +
        `${formatDurationMs(maxWindowMs)} (QUERY_MAX_WINDOW): narrow 'start' and 'end'`,
    );
  }
  return { startNs: BigInt(startMs) * NS_PER_MS, endNs: BigInt(endMs) * NS_PER_MS };
}

function parseInteger(
  params: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = params.get(name);
  if (text === null) return fallback;
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) fail(name, `an integer from ${min} to ${max}`, text);
  return value;
}

/** `limit` (default 50, 1 to 1000) and `offset` (default 0). */
export function parsePage(params: URLSearchParams): Page {
  return {
    limit: parseInteger(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
    offset: parseInteger(params, "offset", 0, 0, MAX_OFFSET),
  };
}

export interface Sort<F extends string> {
  field: F;
  order: "asc" | "desc";
}

/** `sort`, one of an endpoint's allowed fields, and `order` (`asc` or `desc`, default `desc`). */
export function parseSort<F extends string>(
  params: URLSearchParams,
  allowed: readonly F[],
  fallback: F,
): Sort<F> {
  const field = params.get("sort") ?? fallback;
  if (!(allowed as readonly string[]).includes(field)) {
    fail("sort", `one of ${allowed.join(", ")}`, field);
  }
  const order = params.get("order") ?? "desc";
  if (order !== "asc" && order !== "desc") fail("order", "asc or desc", order);
  return { field: field as F, order };
}

/** An id as `chars` hex characters (any case), lower-cased; `name` is the parameter's. */
export function parseHexId(name: string, text: string, chars: 16 | 32): string {
  const id = text.toLowerCase();
  if (id.length !== chars || !/^[0-9a-f]+$/.test(id)) {
    fail(name, `${chars} hex characters`, text.slice(0, 80));
  }
  return id;
}

/**
 * A trace id typed or pasted by a user (the header's lookup box): spaces around it and the case
 * ignored, and a 64-bit id (16 hex characters, as Jaeger and Zipkin clients may show) padded to
 * OTLP's 128 bits with leading zeros, as the OpenTelemetry specification says.
 */
export function parseTraceLookup(name: string, text: string): string {
  const id = text.trim().toLowerCase();
  if (!/^[0-9a-f]+$/.test(id) || (id.length !== 16 && id.length !== 32)) {
    fail(name, "a trace id of 32 (or 16) hex characters", text.slice(0, 80));
  }
  return id.padStart(32, "0");
}

/**
 * `service`: a service name as sent, or undefined when absent; returned as its rows hold it, to
 * compare with them: escaped (utils/text_escape.ts) and, when longer than its column, its first
 * `SERVICE_NAME_WIDTH` characters (store/long_text.ts), which is how services are listed.
 */
export function parseService(params: URLSearchParams): string | undefined {
  const service = params.get("service");
  if (service === null) return undefined;
  if (service === "") fail("service", "a service name, not empty", service);
  return listedService(service);
}

/** Longest text filter (`search`), and longest attribute key or value in `attr`. */
export const MAX_FILTER_TEXT = 256;

/** A text filter such as `search`: undefined when absent or empty. */
export function parseText(params: URLSearchParams, name: string): string | undefined {
  const text = params.get(name);
  if (text === null || text === "") return undefined;
  if (text.length > MAX_FILTER_TEXT) {
    throw new BadRequestError(
      `Cannot use '${name}' as it must be at most ${MAX_FILTER_TEXT} characters: current value ` +
        `has ${text.length}`,
    );
  }
  return text;
}

/**
 * Refuses a NUL character (`%00`) anywhere in the query (names and values) or the path, for every
 * route and `/ws` at once: node:sqlite cuts a string at its first NUL, so a filter would match
 * every row, and PostgreSQL refuses the string outright. Throws BadRequestError naming the
 * parameter. `service` is the exception: its parser escapes a NUL, so that a service named with
 * one, as OTLP allows, can be filtered by.
 */
export function refuseNul(url: URL): void {
  for (const [name, value] of url.searchParams) {
    // A service name may hold one: `parseService` escapes it as its rows do (utils/text_escape.ts).
    if (name === "service") continue;
    if (name.includes("\0") || value.includes("\0")) {
      // A NUL in the name is shown escaped, as the value is.
      fail(JSON.stringify(name).slice(1, -1), "free of NUL characters (%00)", prefixOf(value, 80));
    }
  }
  let path = url.pathname;
  try {
    path = decodeURIComponent(path);
  } catch {
    // not valid percent-encoding: the routes answer it
  }
  if (path.includes("\0")) {
    throw new BadRequestError(
      `Cannot use the path as it must be free of NUL characters (%00): current value is ${
        JSON.stringify(prefixOf(path, 80))
      }`,
    );
  }
}

// --- Declared parameters ------------------------------------------------------------------------

/** The clock and the longest window a request's time window is parsed against. */
export interface QueryContext {
  nowMs: number;
  maxWindowMs: number;
}

/**
 * One query parameter of an endpoint, or a group read together (the window's `range`, `start`
 * and `end`): the names it reads, as docs/api.md lists them, and its parser, which throws
 * BadRequestError naming the parameter, what is allowed and the value received.
 */
export interface QueryParameter<T> {
  readonly names: readonly string[];
  parse(params: URLSearchParams, context?: QueryContext): T;
}

/** An endpoint's query: every parameter it reads, by the name its handler uses. */
export type QuerySchema = Readonly<Record<string, QueryParameter<unknown>>>;

/** What a schema parses to. */
export type QueryOf<S extends QuerySchema> = {
  [K in keyof S]: S[K] extends QueryParameter<infer T> ? T : never;
};

/** Parses `params` by `schema`; the first parameter refused throws its BadRequestError. */
export function parseQuery<S extends QuerySchema>(
  schema: S,
  params: URLSearchParams,
  context?: QueryContext,
): QueryOf<S> {
  const parsed: Record<string, unknown> = {};
  for (const [key, parameter] of Object.entries(schema)) {
    parsed[key] = parameter.parse(params, context);
  }
  return parsed as QueryOf<S>;
}

/** The names a schema reads, sorted: what docs/api.md must list for the endpoint. */
export function parameterNames(schema: QuerySchema): string[] {
  return [...new Set(Object.values(schema).flatMap((p) => p.names))].sort();
}

/** A parameter read by one name with `parse`. */
export function parameter<T>(
  name: string,
  parse: (params: URLSearchParams) => T,
): QueryParameter<T> {
  return { names: [name], parse };
}

/** An integer parameter from `min` to `max`, `fallback` when absent (a `limit`, `origin_limit`). */
export function integer(
  name: string,
  fallback: number,
  min: number,
  max: number,
): QueryParameter<number> {
  return parameter(name, (params) => parseInteger(params, name, fallback, min, max));
}

/** `range`, or `start` and `end`: the time window (see `parseWindow`). */
export const WINDOW: QueryParameter<TimeWindow> = {
  names: ["range", "start", "end"],
  parse(params, context) {
    if (context === undefined) throw new Error("A time window is parsed against a clock");
    return parseWindow(params, context.nowMs, context.maxWindowMs);
  },
};

/** `limit` and `offset` (see `parsePage`). */
export const PAGE: QueryParameter<Page> = { names: ["limit", "offset"], parse: parsePage };

/** `sort` among `allowed` fields and `order` (see `parseSort`). */
export function sortBy<F extends string>(
  allowed: readonly F[],
  fallback: F,
): QueryParameter<Sort<F>> {
  return { names: ["sort", "order"], parse: (params) => parseSort(params, allowed, fallback) };
}

/** `service` (see `parseService`). */
export const SERVICE: QueryParameter<string | undefined> = parameter("service", parseService);

/** A text filter such as `search` (see `parseText`). */
export function text(name: string): QueryParameter<string | undefined> {
  return parameter(name, (params) => parseText(params, name));
}

/** An optional id of `chars` hex characters (see `parseHexId`). */
export function optionalHexId(name: string, chars: 16 | 32): QueryParameter<string | undefined> {
  return parameter(name, (params) => {
    const value = params.get(name);
    return value === null ? undefined : parseHexId(name, value, chars);
  });
}

/** A required id of `chars` hex characters (see `parseHexId`). */
export function hexId(name: string, chars: 16 | 32): QueryParameter<string> {
  return parameter(name, (params) => parseHexId(name, params.get(name) ?? "", chars));
}

/** `values`: `plain` (default) or `typed`, how attribute maps and log bodies are written. */
export function parseValueForm(params: URLSearchParams): ValueForm {
  const values = params.get("values") ?? "plain";
  if (values !== "plain" && values !== "typed") {
    fail("values", "plain or typed", values.slice(0, 80));
  }
  return values;
}

/**
 * `values` (see `parseValueForm`), read by the endpoints that answer attributes or log bodies: their
 * route parses it and hands it to the endpoint's function, whose other callers get plain values.
 */
export const VALUES: QueryParameter<ValueForm> = parameter("values", parseValueForm);
