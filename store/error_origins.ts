/**
 * Where errors start: in a trace, a failing span none of whose children fails is where the
 * failure began (an "origin"); the failing spans above it only passed the error on (in the chaos
 * demo, payment-service fails and order-service's spans fail because of it). One definition, used
 * by the Dashboard's "Where errors start" (counted per service over a window) and by the trace
 * list's failing services (per trace).
 *
 * Not a rollup: whether a span's children failed is known only once the trace's spans have all
 * arrived, from several processes, in any order; counting it at ingest would need the edge
 * resolver's pairing for every span, with counts to take back when a failing child arrives after
 * its parent. The window's read is bounded instead: the newest `limit` failing spans of the
 * window (the spans' start-time index, failing spans kept), then the failing spans of their traces
 * by trace id (the primary key's prefix). Measured in ARCHITECTURE.md ("Rollups").
 *
 * @module
 */
import type { Kysely } from "kysely";
import type { Database } from "./columns.ts";
import type { DialectCapabilities } from "./dialects/mod.ts";
import type { TimeWindow } from "./types.ts";
import type { DbDriver } from "../lib/config.ts";
import { spansOfTraces } from "./trace_keys.ts";

/** A failing span, as origins are found from. */
export interface FailingSpan {
  traceId: string;
  spanId: string;
  /** "" for a root. */
  parentSpanId: string;
  serviceName: string;
}

/** Of a trace's (or several traces') failing spans, those with no failing child. */
export function originSpans(failing: readonly FailingSpan[]): FailingSpan[] {
  const failingParents = new Set(failing.map((s) => s.traceId + s.parentSpanId));
  return failing.filter((s) => !failingParents.has(s.traceId + s.spanId));
}

/** Per trace id, the services of its origin spans, sorted. */
export function originServicesByTrace(failing: readonly FailingSpan[]): Map<string, string[]> {
  const byTrace = new Map<string, Set<string>>();
  for (const span of originSpans(failing)) {
    let services = byTrace.get(span.traceId);
    if (services === undefined) byTrace.set(span.traceId, services = new Set());
    services.add(span.serviceName);
  }
  return new Map([...byTrace].map(([id, services]) => [id, [...services].sort()]));
}

/** One service's share of where a window's errors start. */
export interface ErrorOriginCount {
  serviceName: string;
  /** Failed traces in which a failing span of this service has no failing child. */
  traces: number;
}

export interface ErrorOrigins {
  /** Services by the failed traces whose errors start in them, most first. */
  services: ErrorOriginCount[];
  /** Distinct traces among the failing spans examined. */
  failedTraces: number;
  /** Failing spans of the window examined (at most `limit`, the newest). */
  examinedSpans: number;
  /** Whether the window holds more failing spans than were examined. */
  limited: boolean;
}

/** Keys per look-up statement: under SQL Server's 2100 parameters. */
const LOOKUP_CHUNK = 1000;

type Db = Kysely<Database>;

/** Failing spans of the given traces, whenever they started. */
export async function failingSpansOf(
  db: Db,
  driver: DbDriver,
  traceIds: readonly string[],
): Promise<FailingSpan[]> {
  const spans: FailingSpan[] = [];
  for (let i = 0; i < traceIds.length; i += LOOKUP_CHUNK) {
    const rows = await db.selectFrom("spans")
      .select(["trace_id", "span_id", "parent_span_id", "service_name"])
      .where(spansOfTraces(driver, traceIds.slice(i, i + LOOKUP_CHUNK)))
      .where("status_code", "=", 2)
      .execute();
    for (const r of rows) {
      spans.push({
        traceId: r.trace_id,
        spanId: r.span_id,
        parentSpanId: r.parent_span_id,
        serviceName: r.service_name,
      });
    }
  }
  return spans;
}

/**
 * Where the errors of the window's failed traces start, per service, from the newest `limit`
 * failing spans that started in the window (and every failing span of their traces).
 */
export async function errorOrigins(
  db: Db,
  caps: DialectCapabilities,
  window: TimeWindow,
  limit: number,
): Promise<ErrorOrigins> {
  const newest = await caps.paginate(
    db.selectFrom("spans").select("trace_id")
      .where("start_time_unix_nano", ">=", caps.int64(window.startNs))
      .where("start_time_unix_nano", "<", caps.int64(window.endNs))
      .where("status_code", "=", 2)
      .orderBy("start_time_unix_nano", "desc").orderBy("trace_id"),
    // One more than the limit tells whether there were more.
    { limit: limit + 1, offset: 0 },
  ).execute();
  const examined = newest.slice(0, limit);
  const traceIds = [...new Set(examined.map((r) => r.trace_id))];
  const byTrace = originServicesByTrace(await failingSpansOf(db, caps.driver, traceIds));
  const counts = new Map<string, number>();
  for (const services of byTrace.values()) {
    for (const service of services) counts.set(service, (counts.get(service) ?? 0) + 1);
  }
  return {
    services: [...counts].map(([serviceName, traces]) => ({ serviceName, traces }))
      .sort((a, b) => b.traces - a.traces || (a.serviceName < b.serviceName ? -1 : 1)),
    failedTraces: traceIds.length,
    examinedSpans: examined.length,
    limited: newest.length > limit,
  };
}
