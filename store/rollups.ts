/**
 * Rollups: what dashboards read instead of raw rows, so that a panel costs the same at 10 million
 * spans as at 10 thousand. Written at ingest, in the same transaction as the rows they count, and
 * only for rows newly stored (a retried or replayed item is counted once).
 *
 * Five tables, each keyed by the Unix minute of the item's start (`minute` = floor(ns / 60e9)):
 * - `span_rollups`: minute × service × operation (span name) × entry → spans, errors, roots,
 *   root errors (roots with status ERROR: failed requests at their entry point) and the sum of
 *   durations. An *entry* span is where a request enters a service: kind SERVER or
 *   CONSUMER, or a root span. Requests, error rates and latencies are about entry spans, as in
 *   Jaeger's SPM and SigNoz; client and internal spans would count each request several times.
 * - `latency_rollups`: minute × service × latency bucket → entry spans (the fixed log-scale
 *   histogram below), for p99s and the heatmap.
 * - `operation_latency_rollups`: minute × service × operation × latency bucket → spans (all of
 *   them, entry or not), for the percentiles of a service's operations table.
 * - `log_rollups`: minute × service × severity number → log records.
 * - `edge_rollups`: minute × caller service × callee service → calls, errors, duration sum of the
 *   callee's span (see edge_resolver.ts for how parents and children are paired).
 *
 * This module is pure: rows in, rollup rows out, and the bucket arithmetic.
 *
 * @module
 */
import type { LogRow, SpanRow } from "./types.ts";
import { prefixOf } from "../utils/text_prefix.ts";

export const NS_PER_MINUTE = 60_000_000_000n;

/** Longest operation (span name) a rollup keeps; longer names are cut to this many characters. */
export const OPERATION_WIDTH = 256;

/**
 * Upper bounds (inclusive, milliseconds) of the latency buckets: 0.25 ms × √2^i for i = 0…36, so
 * 0.25 ms to 65.5 s in steps of √2 (a p99 read from them is within ±19%, and is interpolated
 * inside its bucket). Bucket 37 holds everything slower. Frozen: stored rollups refer to buckets
 * by index, so changing these needs a migration of the data.
 */
export const LATENCY_BUCKET_BOUNDS_MS: readonly number[] = Array.from(
  { length: 37 },
  (_, i) => 0.25 * 2 ** (i / 2),
);
/** Number of buckets, the last one unbounded. */
export const LATENCY_BUCKET_COUNT = LATENCY_BUCKET_BOUNDS_MS.length + 1;

/** The bucket of a duration in nanoseconds. */
export function latencyBucket(durationNs: bigint): number {
  const ms = Number(durationNs) / 1e6;
  if (!(ms > LATENCY_BUCKET_BOUNDS_MS[0]!)) return 0;
  let i = Math.ceil(2 * Math.log2(ms / 0.25));
  // Floating point can land one off at the exact bounds; settle against the table.
  while (i > 0 && ms <= LATENCY_BUCKET_BOUNDS_MS[i - 1]!) i--;
  while (i < LATENCY_BUCKET_BOUNDS_MS.length && ms > LATENCY_BUCKET_BOUNDS_MS[i]!) i++;
  return Math.min(i, LATENCY_BUCKET_COUNT - 1);
}

/**
 * The q-quantile (0 < q ≤ 1) in milliseconds of a histogram given as counts per bucket,
 * interpolated log-linearly inside the bucket it falls in; null when the histogram is empty. In
 * the unbounded last bucket it answers that bucket's lower bound.
 */
export function quantileMs(counts: ArrayLike<number>, q: number): number | null {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i]!;
    if (count === 0 || seen + count < rank) {
      seen += count;
      continue;
    }
    const upper = LATENCY_BUCKET_BOUNDS_MS[i];
    if (upper === undefined) return LATENCY_BUCKET_BOUNDS_MS[LATENCY_BUCKET_BOUNDS_MS.length - 1]!;
    const lower = i === 0 ? 0 : LATENCY_BUCKET_BOUNDS_MS[i - 1]!;
    const fraction = (rank - seen) / count;
    return lower === 0 ? upper * fraction : lower * (upper / lower) ** fraction;
  }
  return LATENCY_BUCKET_BOUNDS_MS[LATENCY_BUCKET_BOUNDS_MS.length - 1]!;
}

export function minuteOf(timeNs: bigint): number {
  return Number(timeNs / NS_PER_MINUTE);
}

/** OTLP span kinds SERVER (2) and CONSUMER (5). */
export function isEntrySpan(span: Pick<SpanRow, "kind" | "parentSpanId">): boolean {
  return span.kind === 2 || span.kind === 5 || span.parentSpanId === "";
}

export interface SpanRollupRow {
  minute: number;
  service_name: string;
  operation: string;
  /** 1 for entry spans, 0 for the others. */
  entry: number;
  spans: number;
  errors: number;
  roots: number;
  /** Root spans with status ERROR: requests that failed at their entry point. */
  root_errors: number;
  duration_sum_ns: bigint;
}

export interface LatencyRollupRow {
  minute: number;
  service_name: string;
  bucket: number;
  spans: number;
}

export interface OperationLatencyRollupRow {
  minute: number;
  service_name: string;
  operation: string;
  bucket: number;
  spans: number;
}

export interface LogRollupRow {
  minute: number;
  service_name: string;
  severity_number: number;
  logs: number;
}

export interface EdgeRollupRow {
  minute: number;
  caller: string;
  callee: string;
  calls: number;
  errors: number;
  duration_sum_ns: bigint;
}

/** The rollup rows one commit adds to, by minute table; each list has distinct keys. */
export interface RollupDelta {
  span_rollups: SpanRollupRow[];
  latency_rollups: LatencyRollupRow[];
  operation_latency_rollups: OperationLatencyRollupRow[];
  log_rollups: LogRollupRow[];
  edge_rollups: EdgeRollupRow[];
}

/** The per-minute tables: the primary key of each, and the columns an upsert adds to. */
export const MINUTE_TABLES = {
  span_rollups: {
    key: ["minute", "service_name", "operation", "entry"],
    sums: ["spans", "errors", "roots", "root_errors", "duration_sum_ns"],
  },
  latency_rollups: { key: ["minute", "service_name", "bucket"], sums: ["spans"] },
  operation_latency_rollups: {
    key: ["minute", "service_name", "operation", "bucket"],
    sums: ["spans"],
  },
  log_rollups: { key: ["minute", "service_name", "severity_number"], sums: ["logs"] },
  edge_rollups: {
    key: ["minute", "caller", "callee"],
    sums: ["calls", "errors", "duration_sum_ns"],
  },
} as const;

export type MinuteTable = keyof typeof MINUTE_TABLES;

/**
 * The hourly tier of each minute table: the same columns, `minute` holding the hour's first
 * minute. Long windows read whole hours from it (60 times fewer rows) and only their partial
 * hours from the minute tables.
 */
export const HOURLY = {
  span_rollups: "span_rollups_hourly",
  latency_rollups: "latency_rollups_hourly",
  operation_latency_rollups: "operation_latency_rollups_hourly",
  log_rollups: "log_rollups_hourly",
  edge_rollups: "edge_rollups_hourly",
} as const satisfies Record<MinuteTable, string>;

/** Every rollup table, minute and hourly tiers. */
export const ROLLUP_TABLES = {
  ...MINUTE_TABLES,
  span_rollups_hourly: MINUTE_TABLES.span_rollups,
  latency_rollups_hourly: MINUTE_TABLES.latency_rollups,
  operation_latency_rollups_hourly: MINUTE_TABLES.operation_latency_rollups,
  log_rollups_hourly: MINUTE_TABLES.log_rollups,
  edge_rollups_hourly: MINUTE_TABLES.edge_rollups,
} as const;

export type RollupTable = keyof typeof ROLLUP_TABLES;

/** Rows of every rollup table, as one commit adds them. */
export type TieredRollups = { [T in RollupTable]: Record<string, unknown>[] };

/** The delta's rows, plus the same rows summed per hour for the hourly tier. */
export function withHourly(delta: RollupDelta): TieredRollups {
  const tiered = { ...delta } as unknown as TieredRollups;
  for (const table of Object.keys(MINUTE_TABLES) as MinuteTable[]) {
    const { key, sums } = MINUTE_TABLES[table];
    const hours = new Map<string, Record<string, unknown>>();
    for (const row of delta[table] as unknown as Record<string, unknown>[]) {
      const minute = row.minute as number;
      const hourRow: Record<string, unknown> = { ...row, minute: minute - (minute % 60) };
      const id = key.map((k) => String(hourRow[k])).join("\u0000");
      const found = hours.get(id);
      if (found === undefined) {
        hours.set(id, hourRow);
        continue;
      }
      for (const sum of sums) {
        found[sum] = typeof found[sum] === "bigint"
          ? (found[sum] as bigint) + (row[sum] as bigint)
          : (found[sum] as number) + (row[sum] as number);
      }
    }
    tiered[HOURLY[table]] = [...hours.values()];
  }
  return tiered;
}

/** One caller → callee call found by the edge resolver, counted in the callee's minute. */
export interface EdgeEvent {
  minute: number;
  caller: string;
  callee: string;
  error: boolean;
  durationNs: bigint;
}

/** Aggregates newly stored spans and logs, and resolved edges, into rollup rows. */
export function rollUp(
  spans: readonly SpanRow[],
  logs: readonly LogRow[],
  edges: readonly EdgeEvent[],
): RollupDelta {
  const spanRollups = new Map<string, SpanRollupRow>();
  const latency = new Map<string, LatencyRollupRow>();
  const operationLatency = new Map<string, OperationLatencyRollupRow>();
  for (const span of spans) {
    const minute = minuteOf(span.startTimeUnixNano);
    const entry = isEntrySpan(span) ? 1 : 0;
    // Whole characters only: half a surrogate pair is not UTF-8 (PostgreSQL would store U+FFFD).
    const operation = prefixOf(span.name, OPERATION_WIDTH);
    const durationNs = span.endTimeUnixNano > span.startTimeUnixNano
      ? span.endTimeUnixNano - span.startTimeUnixNano
      : 0n;
    const key = `${minute}\u0000${span.serviceName}\u0000${operation}\u0000${entry}`;
    let row = spanRollups.get(key);
    if (row === undefined) {
      row = {
        minute,
        service_name: span.serviceName,
        operation,
        entry,
        spans: 0,
        errors: 0,
        roots: 0,
        root_errors: 0,
        duration_sum_ns: 0n,
      };
      spanRollups.set(key, row);
    }
    row.spans++;
    if (span.statusCode === 2) row.errors++;
    if (span.parentSpanId === "") {
      row.roots++;
      if (span.statusCode === 2) row.root_errors++;
    }
    row.duration_sum_ns += durationNs;
    const bucket = latencyBucket(durationNs);
    const operationKey = `${minute}\u0000${span.serviceName}\u0000${operation}\u0000${bucket}`;
    const operationCell = operationLatency.get(operationKey);
    if (operationCell === undefined) {
      operationLatency.set(operationKey, {
        minute,
        service_name: span.serviceName,
        operation,
        bucket,
        spans: 1,
      });
    } else operationCell.spans++;
    if (entry === 1) {
      const bucketKey = `${minute}\u0000${span.serviceName}\u0000${bucket}`;
      const cell = latency.get(bucketKey);
      if (cell === undefined) {
        latency.set(bucketKey, { minute, service_name: span.serviceName, bucket, spans: 1 });
      } else cell.spans++;
    }
  }
  const logRollups = new Map<string, LogRollupRow>();
  for (const log of logs) {
    const minute = minuteOf(log.timeUnixNano);
    const key = `${minute}\u0000${log.serviceName}\u0000${log.severityNumber}`;
    const row = logRollups.get(key);
    if (row === undefined) {
      logRollups.set(key, {
        minute,
        service_name: log.serviceName,
        severity_number: log.severityNumber,
        logs: 1,
      });
    } else row.logs++;
  }
  const edgeRollups = new Map<string, EdgeRollupRow>();
  for (const edge of edges) {
    const key = `${edge.minute}\u0000${edge.caller}\u0000${edge.callee}`;
    let row = edgeRollups.get(key);
    if (row === undefined) {
      row = {
        minute: edge.minute,
        caller: edge.caller,
        callee: edge.callee,
        calls: 0,
        errors: 0,
        duration_sum_ns: 0n,
      };
      edgeRollups.set(key, row);
    }
    row.calls++;
    if (edge.error) row.errors++;
    row.duration_sum_ns += edge.durationNs;
  }
  // Sorted by key, so that concurrent writers (replicas) take row locks in the same order.
  const sorted = <T>(map: Map<string, T>) =>
    [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  return {
    span_rollups: sorted(spanRollups),
    latency_rollups: sorted(latency),
    operation_latency_rollups: sorted(operationLatency),
    log_rollups: sorted(logRollups),
    edge_rollups: sorted(edgeRollups),
  };
}
