/**
 * The raw-insert baseline of metrics, shared by bench/mod.ts and bench/ingest.ts: the data points
 * of the load client's request (bench/_metrics_request.ts) as a 10 s exporter sends them, request
 * after request, in batches of 1000 points, and a `node:sqlite` insert of the rows the SQLite
 * writer thread writes for them (store/metric_table_rows.ts), with no store code in the timed loop.
 *
 * @module
 */
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { decodeMetricsRequest, DEFAULT_DECODE_LIMITS } from "../ingest/otlp/mod.ts";
import type { Batch } from "../store/mod.ts";
import { PRAGMAS } from "../store/node_sqlite.ts";
import { fastHash128 } from "../store/ids.ts";
import { metricTableRows } from "../store/metric_table_rows.ts";
import { resourceToDb } from "../store/columns.ts";
import type { MetricPointRow } from "../store/metric_types.ts";
import { metricsRequest } from "./_metrics_request.ts";

/** An exporter's interval: each request's points are this much later than the last's. */
const INTERVAL_NS = 10_000_000_000n;

/**
 * Store batches of at least `points` data points, `batchPoints` a batch (a multiple of the
 * request's 500), the first request's points at `startNs` and each next one's an interval later.
 */
export function metricBatches(points: number, batchPoints: number, startNs: bigint): Batch[] {
  const decoded = decodeMetricsRequest("protobuf", metricsRequest(), DEFAULT_DECODE_LIMITS, 0n);
  const template = decoded.points;
  const batches: Batch[] = [];
  let request = 0;
  for (let made = 0; made < points; made += batchPoints) {
    const metrics: MetricPointRow[] = [];
    while (metrics.length < batchPoints) {
      const timeUnixNano = startNs + BigInt(request++) * INTERVAL_NS;
      for (const p of template) {
        const pointKey = fastHash128([
          p.seriesKey,
          p.startTimeUnixNano.toString(),
          timeUnixNano.toString(),
        ]);
        metrics.push({ ...p, timeUnixNano, pointKey });
      }
    }
    batches.push({ resources: decoded.resources, spans: [], logs: [], metrics });
  }
  return batches;
}

/** The raw baselines' insert of one row of `columns` into `table`, skipped if its key is stored. */
export function insertIfAbsentSql(table: string, columns: readonly string[]): string {
  return `insert into ${table} (${columns.join(", ")}) values (${
    columns.map(() => "?").join(", ")
  }) on conflict do nothing`;
}

/**
 * Inserts `batches` raw into the SQLite file at `path` (the store's schema, migrated), one
 * transaction a batch: resources, instruments, series, points and exemplars, insert-if-absent.
 * The rows are built before timing. Returns the points inserted and the seconds taken.
 */
export function rawMetricInsert(
  path: string,
  batches: readonly Batch[],
): { points: number; seconds: number } {
  const db = new DatabaseSync(path);
  try {
    for (const pragma of PRAGMAS) db.exec(`pragma ${pragma}`);
    const statements = new Map<string, ReturnType<DatabaseSync["prepare"]>>();
    const insertAll = (table: string, rows: readonly object[]) => {
      if (rows.length === 0) return 0;
      let statement = statements.get(table);
      if (statement === undefined) {
        statement = db.prepare(insertIfAbsentSql(table, Object.keys(rows[0]!)));
        statements.set(table, statement);
      }
      let changes = 0;
      for (const row of rows) {
        changes += Number(statement.run(...Object.values(row) as SQLInputValue[]).changes);
      }
      return changes;
    };
    const tables = batches.map((batch) => ({
      resources: batch.resources.map(resourceToDb),
      rows: metricTableRows(batch.metrics ?? [], (v) => v),
    }));
    const started = performance.now();
    let points = 0;
    for (const table of tables) {
      db.exec("begin immediate");
      insertAll("resources", table.resources);
      insertAll("metric_instruments", table.rows.instruments);
      insertAll("metric_series", table.rows.series);
      points += insertAll("metric_points", table.rows.points);
      insertAll("metric_exemplars", table.rows.exemplars);
      db.exec("commit");
    }
    return { points, seconds: (performance.now() - started) / 1000 };
  } finally {
    db.close();
  }
}
