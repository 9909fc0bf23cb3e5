/**
 * Reads of the rollup tables (see rollups.ts). Every read is a range of whole minutes on the
 * tables' leading key column, so its cost follows the window's length and the number of services,
 * never the number of spans.
 *
 * A window [start, end) covers the minutes that overlap it: floor(start) to ceil(end). Figures of
 * a window are therefore those of whole minutes, which is what a dashboard shows anyway. Whole
 * hours inside a window are read from the hourly tier, the rest from the minute tables.
 *
 * Steps of a series are computed in SQL with literals rather than parameters: PostgreSQL matches a
 * GROUP BY expression to the SELECT's only when they are the same text, and both are integers
 * computed here.
 *
 * @module
 */
import { type Kysely, type RawBuilder, type SelectQueryBuilder, sql } from "kysely";
import type { Database } from "./columns.ts";
import { HOURLY, LATENCY_BUCKET_COUNT, NS_PER_MINUTE } from "./rollups.ts";
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
  /** Root spans with status ERROR: traces whose entry point failed (failed requests). */
  failedTraces: number;
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

/** One operation (span name) of a service in a window: its spans and their latency histogram. */
export interface OperationFigures {
  operation: string;
  spans: number;
  /** Of `spans`, the entry spans (SERVER, CONSUMER or roots): requests the service received. */
  entrySpans: number;
  errors: number;
  durationSumNs: number;
  /** Spans per latency bucket (LATENCY_BUCKET_BOUNDS_MS), `LATENCY_BUCKET_COUNT` long. */
  buckets: number[];
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
  | "logCount"
  | "latestMinute"
  | "operations"
>;

/** A range of minutes read from one tier. */
interface Segment {
  hourly: boolean;
  first: number;
  end: number;
}

/**
 * The window cut into the tiers that answer it: whole hours from the hourly tables, the partial
 * hours at either end from the minute tables.
 */
export function segments(window: TimeWindow): Segment[] {
  const { first, end } = windowMinutes(window);
  const hourFirst = Math.ceil(first / 60) * 60;
  const hourEnd = Math.floor(end / 60) * 60;
  if (hourEnd <= hourFirst) return [{ hourly: false, first, end }];
  const parts: Segment[] = [];
  if (first < hourFirst) parts.push({ hourly: false, first, end: hourFirst });
  parts.push({ hourly: true, first: hourFirst, end: hourEnd });
  if (hourEnd < end) parts.push({ hourly: false, first: hourEnd, end });
  return parts;
}

/** Adds up rows of several segments that share a key. */
function merge<R>(rows: R[], key: (row: R) => string, add: (into: R, row: R) => void): R[] {
  const byKey = new Map<string, R>();
  for (const row of rows) {
    const k = key(row);
    const found = byKey.get(k);
    if (found === undefined) byKey.set(k, { ...row });
    else add(found, row);
  }
  return [...byKey.values()];
}

export class RollupQueries {
  constructor(private readonly db: Db) {}

  async totals(filter: RollupFilter): Promise<RollupTotals> {
    const totals: RollupTotals = { spans: 0, errorSpans: 0, traces: 0, failedTraces: 0, logs: 0 };
    for (const part of segments(filter)) {
      const spans = await this.#from("span_rollups", part, filter.serviceName)
        .select((eb) => [
          eb.fn.sum("spans").as("spans"),
          eb.fn.sum("errors").as("errors"),
          eb.fn.sum("roots").as("roots"),
          eb.fn.sum("root_errors").as("root_errors"),
        ])
        .executeTakeFirstOrThrow();
      const logs = await this.#from("log_rollups", part, filter.serviceName)
        .select((eb) => eb.fn.sum("logs").as("logs"))
        .executeTakeFirstOrThrow();
      totals.spans += n(spans.spans);
      totals.errorSpans += n(spans.errors);
      totals.traces += n(spans.roots);
      totals.failedTraces += n(spans.root_errors);
      totals.logs += n(logs.logs);
    }
    return totals;
  }

  /**
   * The newest minute any span or log was stored for (Unix minutes), or null when Argus holds
   * none: each table's largest key, an index lookup. The hourly tables answer for data whose
   * minutes were purged (their minute is the hour's first).
   */
  async latestMinute(): Promise<number | null> {
    let latest: number | null = null;
    for (
      const table of [
        "span_rollups",
        "log_rollups",
        "span_rollups_hourly",
        "log_rollups_hourly",
      ] as const
    ) {
      const row = await this.db.selectFrom(table)
        .select((eb) => eb.fn.max("minute").as("minute"))
        .executeTakeFirst();
      if (row?.minute === null || row?.minute === undefined) continue;
      latest = Math.max(latest ?? 0, Number(row.minute));
    }
    return latest;
  }

  /** Log records of the window's minutes, of a service and from a severity on. */
  async logCount(filter: RollupFilter & { minSeverity?: number }): Promise<number> {
    let total = 0;
    for (const part of segments(filter)) {
      let query = this.#from("log_rollups", part, filter.serviceName);
      if (filter.minSeverity !== undefined) {
        query = query.where("severity_number", ">=", filter.minSeverity);
      }
      const row = await query.select((eb) => eb.fn.sum("logs").as("logs"))
        .executeTakeFirstOrThrow();
      total += n(row.logs);
    }
    return total;
  }

  /** Services with spans or logs in the window, sorted. */
  async services(filter: RollupFilter): Promise<string[]> {
    const names = new Set<string>();
    for (const part of segments(filter)) {
      for (const table of ["span_rollups", "log_rollups"] as const) {
        const rows = await this.#from(table, part, filter.serviceName)
          .select("service_name").distinct().execute();
        for (const row of rows) names.add(row.service_name);
      }
    }
    return [...names].sort();
  }

  /** Requests (entry spans), errors and duration sums per service. */
  async serviceRequests(filter: RollupFilter): Promise<ServiceRequests[]> {
    const rows: ServiceRequests[] = [];
    for (const part of segments(filter)) {
      const found = await this.#from("span_rollups", part, filter.serviceName)
        .where("entry", "=", 1)
        .select((eb) => [
          "service_name",
          eb.fn.sum("spans").as("requests"),
          eb.fn.sum("errors").as("errors"),
          eb.fn.sum("duration_sum_ns").as("duration"),
        ])
        .groupBy("service_name")
        .execute();
      for (const r of found) {
        rows.push({
          serviceName: r.service_name,
          requests: n(r.requests),
          errors: n(r.errors),
          durationSumNs: n(r.duration),
        });
      }
    }
    return merge(rows, (r) => r.serviceName, (into, r) => {
      into.requests += r.requests;
      into.errors += r.errors;
      into.durationSumNs += r.durationSumNs;
    }).sort((a, b) => (a.serviceName < b.serviceName ? -1 : 1));
  }

  /** Entry spans per latency bucket, per service. */
  async latencyBuckets(
    filter: RollupFilter,
  ): Promise<{ serviceName: string; bucket: number; spans: number }[]> {
    const rows: { serviceName: string; bucket: number; spans: number }[] = [];
    for (const part of segments(filter)) {
      const found = await this.#from("latency_rollups", part, filter.serviceName)
        .select((eb) => ["service_name", "bucket", eb.fn.sum("spans").as("spans")])
        .groupBy(["service_name", "bucket"])
        .execute();
      for (const r of found) {
        rows.push({ serviceName: r.service_name, bucket: Number(r.bucket), spans: n(r.spans) });
      }
    }
    return merge(rows, (r) => `${r.serviceName}\u0000${r.bucket}`, (into, r) => {
      into.spans += r.spans;
    });
  }

  /**
   * Entry spans per step and latency bucket. Steps are aligned to multiples of `stepMinutes`
   * since the epoch (so they stay put as the window slides); `minute` is a step's first minute.
   */
  async latencySeries(
    filter: RollupFilter,
    stepMinutes: number,
  ): Promise<{ minute: number; bucket: number; spans: number }[]> {
    const step = stepOf(stepMinutes);
    const rows: { minute: number; bucket: number; spans: number }[] = [];
    for (const part of this.#seriesSegments(filter, stepMinutes)) {
      const found = await this.#from("latency_rollups", part, filter.serviceName)
        .select((eb) => [step.as("step"), "bucket", eb.fn.sum("spans").as("spans")])
        .groupBy([step, "bucket"])
        .execute();
      for (const r of found) {
        rows.push({ minute: n(r.step), bucket: Number(r.bucket), spans: n(r.spans) });
      }
    }
    return merge(rows, (r) => `${r.minute}\u0000${r.bucket}`, (into, r) => {
      into.spans += r.spans;
    });
  }

  /** Requests (entry spans) and errors per step (aligned as in `latencySeries`) and service. */
  async trafficSeries(
    filter: RollupFilter,
    stepMinutes: number,
  ): Promise<{ minute: number; serviceName: string; requests: number; errors: number }[]> {
    const step = stepOf(stepMinutes);
    const rows: { minute: number; serviceName: string; requests: number; errors: number }[] = [];
    for (const part of this.#seriesSegments(filter, stepMinutes)) {
      const found = await this.#from("span_rollups", part, filter.serviceName)
        .where("entry", "=", 1)
        .select((eb) => [
          step.as("step"),
          "service_name",
          eb.fn.sum("spans").as("requests"),
          eb.fn.sum("errors").as("errors"),
        ])
        .groupBy([step, "service_name"])
        .execute();
      for (const r of found) {
        rows.push({
          minute: n(r.step),
          serviceName: r.service_name,
          requests: n(r.requests),
          errors: n(r.errors),
        });
      }
    }
    return merge(rows, (r) => `${r.minute}\u0000${r.serviceName}`, (into, r) => {
      into.requests += r.requests;
      into.errors += r.errors;
    });
  }

  /** Calls between services; with a service, those it makes or receives. */
  async edges(filter: RollupFilter): Promise<EdgeTotals[]> {
    const rows: EdgeTotals[] = [];
    const service = filter.serviceName;
    for (const part of segments(filter)) {
      let query = this.#from("edge_rollups", part);
      if (service !== undefined) {
        query = query.where((eb) =>
          eb.or([eb("caller", "=", service), eb("callee", "=", service)])
        );
      }
      const found = await query
        .select((eb) => [
          "caller",
          "callee",
          eb.fn.sum("calls").as("calls"),
          eb.fn.sum("errors").as("errors"),
          eb.fn.sum("duration_sum_ns").as("duration"),
        ])
        .groupBy(["caller", "callee"])
        .execute();
      for (const r of found) {
        rows.push({
          caller: r.caller,
          callee: r.callee,
          calls: n(r.calls),
          errors: n(r.errors),
          durationSumNs: n(r.duration),
        });
      }
    }
    return merge(rows, (r) => `${r.caller}\u0000${r.callee}`, (into, r) => {
      into.calls += r.calls;
      into.errors += r.errors;
      into.durationSumNs += r.durationSumNs;
    }).sort((a, b) => (a.caller + "\u0000" + a.callee < b.caller + "\u0000" + b.callee ? -1 : 1));
  }

  /**
   * The operations (span names) of one service in the window, every span counted (entry or not),
   * with their latency histograms; unordered.
   */
  async operations(filter: TimeWindow & { serviceName: string }): Promise<OperationFigures[]> {
    const byName = new Map<string, OperationFigures>();
    const of = (operation: string) => {
      let found = byName.get(operation);
      if (found === undefined) {
        found = {
          operation,
          spans: 0,
          entrySpans: 0,
          errors: 0,
          durationSumNs: 0,
          buckets: new Array<number>(LATENCY_BUCKET_COUNT).fill(0),
        };
        byName.set(operation, found);
      }
      return found;
    };
    for (const part of segments(filter)) {
      const counted = await this.#from("span_rollups", part, filter.serviceName)
        .select((eb) => [
          "operation",
          "entry",
          eb.fn.sum("spans").as("spans"),
          eb.fn.sum("errors").as("errors"),
          eb.fn.sum("duration_sum_ns").as("duration"),
        ])
        .groupBy(["operation", "entry"])
        .execute();
      for (const r of counted) {
        const figures = of(r.operation);
        figures.spans += n(r.spans);
        if (Number(r.entry) === 1) figures.entrySpans += n(r.spans);
        figures.errors += n(r.errors);
        figures.durationSumNs += n(r.duration);
      }
      const histogram = await this.#from("operation_latency_rollups", part, filter.serviceName)
        .select((eb) => ["operation", "bucket", eb.fn.sum("spans").as("spans")])
        .groupBy(["operation", "bucket"])
        .execute();
      for (const r of histogram) {
        const buckets = of(r.operation).buckets;
        const bucket = Number(r.bucket);
        buckets[bucket] = (buckets[bucket] ?? 0) + n(r.spans);
      }
    }
    return [...byName.values()];
  }

  /** Hours fall inside one step only when steps are whole hours: else minutes only. */
  #seriesSegments(filter: RollupFilter, stepMinutes: number): Segment[] {
    if (stepMinutes % 60 === 0) return segments(filter);
    const { first, end } = windowMinutes(filter);
    return [{ hourly: false, first, end }];
  }

  /** A select over one tier of a rollup table, bounded to the segment (and a service). */
  #from<
    T extends
      | "span_rollups"
      | "latency_rollups"
      | "operation_latency_rollups"
      | "log_rollups"
      | "edge_rollups",
  >(
    table: T,
    part: Segment,
    serviceName?: string,
  ) {
    // The hourly twin has the same columns; Kysely's types name the minute table.
    const name = (part.hourly ? HOURLY[table] : table) as T;
    // deno-lint-ignore no-explicit-any -- a union of four tables' builders; columns are shared
    let q = (this.db.selectFrom(name) as any)
      .where("minute", ">=", part.first).where("minute", "<", part.end);
    if (serviceName !== undefined) q = q.where("service_name", "=", serviceName);
    // deno-lint-ignore ban-types -- Kysely's own type for a select with no columns yet
    return q as SelectQueryBuilder<Database, T, {}>;
  }
}

/** The first minute of the step a row's minute falls in (a literal: see the module's notes). */
function stepOf(stepMinutes: number): RawBuilder<number> {
  const minute = sql.ref("minute");
  return sql<number>`(${minute} - (${minute} % ${sql.lit(stepMinutes)}))`;
}
