/**
 * The static list of migrations, in order. Names carry an ISO date prefix so that Kysely's
 * alphabetical ordering is their historical order; nothing is discovered from the file system,
 * which keeps `deno compile` able to follow every import.
 *
 * @module
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator } from "kysely";
import type { DbDriver } from "../../lib/config.ts";
import { initialSchema } from "./2026_11_26_initial_schema.ts";
import { rollupsSchema } from "./2026_11_26_rollups.ts";
import { hourlyRollupsSchema } from "./2026_11_26_rollups_hourly.ts";
import { operationLatencyRollupsSchema } from "./2026_12_06_operation_latency_rollups.ts";
import { rootErrorsSchema } from "./2026_12_06_root_errors.ts";
import { traceSummariesSchema } from "./2026_12_06_trace_summaries.ts";
import { logTextIndexSchema } from "./2026_12_07_log_text_index.ts";
import { attributeIndexSchema } from "./2026_12_08_attribute_index.ts";
import { traceOutlineIndexSchema } from "./2026_12_09_trace_outline_index.ts";
import { traceSpanNamesSchema } from "./2026_12_10_trace_span_names.ts";
import { metricsSchema } from "./2026_12_11_metrics.ts";
import { metricRollupsSchema } from "./2026_12_12_metric_rollups.ts";
import { metricPointsByInstrumentSchema } from "./2026_12_13_metric_points_by_instrument.ts";
import { replicasSchema } from "./2026_12_14_replicas.ts";
import { timePartitionsSchema } from "./2026_12_15_time_partitions.ts";
import { otlpFidelitySchema } from "./2026_12_16_otlp_fidelity.ts";
import { longTextSchema } from "./2026_12_17_long_text.ts";
import { metricFidelitySchema } from "./2026_12_18_metric_fidelity.ts";
import { metricPartitionsSchema } from "./2026_12_19_metric_partitions.ts";
import { traceKeysSchema } from "./2026_12_20_trace_keys.ts";
import { spansByTraceKeySchema } from "./2026_12_21_spans_by_trace_key.ts";

export function migrationsFor(driver: DbDriver): Record<string, Migration> {
  return {
    "2026-11-26_initial_schema": initialSchema(driver),
    "2026-11-26_rollups": rollupsSchema(driver),
    "2026-11-26_rollups_hourly": hourlyRollupsSchema(driver),
    "2026-12-06_operation_latency_rollups": operationLatencyRollupsSchema(driver),
    "2026-12-06_root_errors": rootErrorsSchema(driver),
    "2026-12-06_trace_summaries": traceSummariesSchema(driver),
    "2026-12-07_log_text_index": logTextIndexSchema(driver),
    "2026-12-08_attribute_index": attributeIndexSchema(driver),
    "2026-12-09_trace_outline_index": traceOutlineIndexSchema(driver),
    "2026-12-10_trace_span_names": traceSpanNamesSchema(driver),
    "2026-12-11_metrics": metricsSchema(driver),
    "2026-12-12_metric_rollups": metricRollupsSchema(driver),
    "2026-12-13_metric_points_by_instrument": metricPointsByInstrumentSchema(driver),
    "2026-12-14_replicas": replicasSchema(driver),
    "2026-12-15_time_partitions": timePartitionsSchema(driver),
    "2026-12-16_otlp_fidelity": otlpFidelitySchema(driver),
    "2026-12-17_long_text": longTextSchema(driver),
    "2026-12-18_metric_fidelity": metricFidelitySchema(driver),
    "2026-12-19_metric_partitions": metricPartitionsSchema(driver),
    "2026-12-20_trace_keys": traceKeysSchema(driver),
    "2026-12-21_spans_by_trace_key": spansByTraceKeySchema(driver),
  };
}

export class StaticMigrationProvider implements MigrationProvider {
  constructor(private readonly driver: DbDriver) {}
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(migrationsFor(this.driver));
  }
}

/** Kysely's bookkeeping tables, named so they cannot clash with another application's. */
export const MIGRATION_TABLE = "argus_migration";
export const MIGRATION_LOCK_TABLE = "argus_migration_lock";

/** A Migrator of Argus's migrations on `db` (the store's `migrate()`, and tests and benchmarks that stop at an earlier one). */
// deno-lint-ignore no-explicit-any -- any schema: the migrations create it
export function argusMigrator(db: Kysely<any>, driver: DbDriver): Migrator {
  return new Migrator({
    db,
    provider: new StaticMigrationProvider(driver),
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
}
