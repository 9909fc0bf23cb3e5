/**
 * Reads of the rollup tables (see rollups.ts). Every read is a range of whole minutes on the
 * tables' leading key column, so its cost follows the window's length and the number of services,
 * never the number of spans.
 *
 * A window [start, end) covers the minutes that overlap it: floor(start) to ceil(end). Figures of
 * a window are therefore those of whole minutes, which is what a dashboard shows anyway.
 *
 * @module
 */
import { type Kysely, type RawBuilder, sql } from "kysely";
import type { Database } from "./columns.ts";
import { NS_PER_MINUTE } from "./rollups.ts";
import type { TimeWindow } from "./types.ts";

type Db = Kysely<Database>;

/** A window and an optional service, as rollup reads take them. */
export interface RollupFilter extends TimeWindow {
  serviceName?: string;
}

/** Totals over all spans and logs of a window. */
export interface RollupTotals {
  spans: number;
  /** Spans with status ERROR. */
  errorSpans: number;
  /** Root spans: one per trace that started in the window. */
  traces: number;
  logs: number;
}

/** One service's entry spans (its requests) in a window. */
export interface ServiceRequests {
  serviceName: string;
  requests: number;
  errors: number;
  durationSumNs: number;
}

export interface EdgeTotals {
  caller: string;
  callee: string;
  calls: number;
  errors: number;
  durationSumNs: number;
}

/** The first minute of a window and the minute after its last. */
export function windowMinutes(window: TimeWindow): { first: number; end: number } {
  const first = window.startNs / NS_PER_MINUTE;
  const end = (window.endNs + NS_PER_MINUTE - 1n) / NS_PER_MINUTE;
  return { first: Number(first), end: Number(end) };
}

function n(value: unknown): number {
  return value === null || value === undefined ? 0 : Number(value);
}

/** What the rest of Argus reads from rollups (`Store.rollups`). */
export type RollupReads = Pick<
  RollupQueries,
  | "totals"
  | "services"
  | "serviceRequests"
  | "latencyBuckets"
  | "latencySeries"
  | "trafficSeries"
  | "edges"
>;

export class RollupQueries {
  constructor(private readonly db: Db) {}

  async totals(filter: RollupFilter): Promise<RollupTotals> {
    const spans = await this.#span(filter)
      .select((eb) => [
        eb.fn.sum("spans").as("spans"),
        eb.fn.sum("errors").as("errors"),
        eb.fn.sum("roots").as("roots"),
      ])
      .executeTakeFirstOrThrow();
    const logs = await this.#log(filter)
      .select((eb) => eb.fn.sum("logs").as("logs"))
      .executeTakeFirstOrThrow();
    return {
      spans: n(spans.spans),
      errorSpans: n(spans.errors),
      traces: n(spans.roots),
      logs: n(logs.logs),
    };
  }

  /** Services with spans or logs in the window, sorted. */
  async services(filter: RollupFilter): Promise<string[]> {
    const fromSpans = await this.#span(filter).select("service_name").distinct().execute();
    const fromLogs = await this.#log(filter).select("service_name").distinct().execute();
    return [...new Set([...fromSpans, ...fromLogs].map((r) => r.service_name))].sort();
  }

  /** Requests (entry spans), errors and duration sums per service. */
  async serviceRequests(filter: RollupFilter): Promise<ServiceRequests[]> {
    const rows = await this.#span(filter)
      .where("entry", "=", 1)
      .select((eb) => [
        "service_name",
        eb.fn.sum("spans").as("requests"),
        eb.fn.sum("errors").as("errors"),
        eb.fn.sum("duration_sum_ns").as("duration"),
      ])
      .groupBy("service_name")
      .execute();
    return rows.map((r) => ({
      serviceName: r.service_name,
      requests: n(r.requests),
      errors: n(r.errors),
      durationSumNs: n(r.duration),
    })).sort((a, b) => (a.serviceName < b.serviceName ? -1 : 1));
  }

  /** Entry spans per latency bucket, per service. */
  async latencyBuckets(
    filter: RollupFilter,
  ): Promise<{ serviceName: string; bucket: number; spans: number }[]> {
    const rows = await this.#latency(filter)
      .select((eb) => ["service_name", "bucket", eb.fn.sum("spans").as("spans")])
      .groupBy(["service_name", "bucket"])
      .execute();
    return rows.map((r) => ({
      serviceName: r.service_name,
      bucket: Number(r.bucket),
      spans: n(r.spans),
    }));
  }

  /** Entry spans per step (its first minute) and latency bucket. */
  async latencySeries(
    filter: RollupFilter,
    stepMinutes: number,
  ): Promise<{ minute: number; bucket: number; spans: number }[]> {
    const step = this.#step(filter, stepMinutes);
    const rows = await this.#latency(filter)
      .select((eb) => [step.as("step"), "bucket", eb.fn.sum("spans").as("spans")])
      .groupBy([step, "bucket"])
      .execute();
    return rows.map((r) => ({ minute: n(r.step), bucket: Number(r.bucket), spans: n(r.spans) }));
  }

  /** Requests (entry spans) and errors per step (its first minute) and service. */
  async trafficSeries(
    filter: RollupFilter,
    stepMinutes: number,
  ): Promise<{ minute: number; serviceName: string; requests: number; errors: number }[]> {
    const step = this.#step(filter, stepMinutes);
    const rows = await this.#span(filter)
      .where("entry", "=", 1)
      .select((eb) => [
        step.as("step"),
        "service_name",
        eb.fn.sum("spans").as("requests"),
        eb.fn.sum("errors").as("errors"),
      ])
      .groupBy([step, "service_name"])
      .execute();
    return rows.map((r) => ({
      minute: n(r.step),
      serviceName: r.service_name,
      requests: n(r.requests),
      errors: n(r.errors),
    }));
  }

  /** Calls between services; with a service, those it makes or receives. */
  async edges(filter: RollupFilter): Promise<EdgeTotals[]> {
    const { first, end } = windowMinutes(filter);
    let query = this.db.selectFrom("edge_rollups")
      .where("minute", ">=", first).where("minute", "<", end);
    const service = filter.serviceName;
    if (service !== undefined) {
      query = query.where((eb) => eb.or([eb("caller", "=", service), eb("callee", "=", service)]));
    }
    const rows = await query
      .select((eb) => [
        "caller",
        "callee",
        eb.fn.sum("calls").as("calls"),
        eb.fn.sum("errors").as("errors"),
        eb.fn.sum("duration_sum_ns").as("duration"),
      ])
      .groupBy(["caller", "callee"])
      .execute();
    return rows.map((r) => ({
      caller: r.caller,
      callee: r.callee,
      calls: n(r.calls),
      errors: n(r.errors),
      durationSumNs: n(r.duration),
    })).sort((a, b) => (a.caller + "\u0000" + a.callee < b.caller + "\u0000" + b.callee ? -1 : 1));
  }

  /**
   * The first minute of the step a row's minute falls in, steps counted from the window's first
   * minute. Literals rather than parameters: PostgreSQL matches a GROUP BY expression to the
   * SELECT's only when they are the same text, and both are integers computed here.
   */
  #step(filter: RollupFilter, stepMinutes: number): RawBuilder<number> {
    const { first } = windowMinutes(filter);
    const minute = sql.ref("minute");
    return sql<number>`(${minute} - ((${minute} - ${sql.lit(first)}) % ${sql.lit(stepMinutes)}))`;
  }

  #span(filter: RollupFilter) {
    const { first, end } = windowMinutes(filter);
    let q = this.db.selectFrom("span_rollups")
      .where("minute", ">=", first).where("minute", "<", end);
    if (filter.serviceName !== undefined) q = q.where("service_name", "=", filter.serviceName);
    return q;
  }

  #latency(filter: RollupFilter) {
    const { first, end } = windowMinutes(filter);
    let q = this.db.selectFrom("latency_rollups")
      .where("minute", ">=", first).where("minute", "<", end);
    if (filter.serviceName !== undefined) q = q.where("service_name", "=", filter.serviceName);
    return q;
  }

  #log(filter: RollupFilter) {
    const { first, end } = windowMinutes(filter);
    let q = this.db.selectFrom("log_rollups")
      .where("minute", ">=", first).where("minute", "<", end);
    if (filter.serviceName !== undefined) q = q.where("service_name", "=", filter.serviceName);
    return q;
  }
}
