/**
 * PostgreSQL's bulk writes: insert-if-absent and the additive rollup upsert as one statement per
 * table with ONE PARAMETER PER COLUMN, each an array of that column's values:
 *
 * ```sql
 * insert into "spans" ("trace_id", …, "flags")
 *   select * from unnest($1::text[], …, $23::int8[])
 *   on conflict ("trace_id", "span_id") do nothing
 * ```
 *
 * rather than a multi-row `VALUES ($1, …), (…)` with one parameter per value (23,000 for 1,000
 * spans), which PostgreSQL parses, binds and plans value by value. The statement's text depends
 * only on the table and its columns, so it is built once per shape and cached. The trace
 * summaries' claim and recompute (trace_summaries.ts) likewise bind a commit's trace ids as one
 * `text[]` (`bulkClaimSummaries`, `bulkRefreshSummaries`, at the end of this module).
 *
 * Semantics are those of the multi-row form (common.ts `ON_CONFLICT_WRITES`): rows whose key is
 * stored are skipped and not counted (the count is the INSERT's row count); a key repeated within
 * the statement is skipped as a conflict; `upsertAdd` adds each sum to the stored one. Rows are
 * inserted in the order given, so keys are locked in the callers' (sorted) order: `unnest` in FROM
 * yields its elements in array order and a plain `INSERT … SELECT` from it neither sorts nor
 * joins. NULL (and undefined) is NULL, NaN and ±Infinity reach float8 columns as such (pg writes
 * them into the array literal as `"NaN"`, `"Infinity"`), int64 columns take what
 * `DialectCapabilities.int64` gives (decimal strings), text of any length and content is quoted
 * and escaped by pg's array literal encoding. A value the database refuses fails the statement
 * with the same SQLSTATE as before (22001 too long, 23514 a CHECK, …), so db_errors.ts classifies
 * it alike and the batch writer's row-by-row retry names the row.
 *
 * Column types: a table in this module (`PG_COLUMN_TYPES`), not read from information_schema at
 * run time. The types are the migrations' (frozen: a database at a given schema version has these
 * types), so reading them would cost a round trip and a per-store cache with nothing to learn;
 * TypeScript makes the table list every column of `Database` (columns.ts), and
 * postgres_bulk_test.ts compares it with information_schema of a freshly migrated database, so a
 * migration that changes a type fails a test rather than a write. Only the array's element type
 * matters: varchar(n) columns take `text[]`, and the assignment cast to varchar(n) still refuses an
 * over-long value (22001) as the direct insert did.
 *
 * @module
 */
import {
  CompiledQuery,
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type RawBuilder,
  sql,
  type SqlBool,
} from "kysely";
import { type Database, type InsertTable, pushSpanValues, type SqlValue } from "../columns.ts";
import { summarizeNewTraces } from "../sqlite_commit.ts";
import type { SpanRow } from "../types.ts";
import { ROLLUP_TABLES, type RollupTable } from "../rollups.ts";
import {
  removeEmptyStatements,
  SERVICE_COLUMNS,
  SUMMARY_COLUMNS,
  summarySelect,
  type TraceIdsCondition,
} from "../trace_summaries.ts";
import { upsertSelectOnConflict } from "./common.ts";

/** The element type of the array a column's values are sent as. */
export type PgArrayType = "text" | "int4" | "int8" | "float8";

/** The tables written in bulk: insert-if-absent tables and rollup tables. */
export type BulkTable = InsertTable | RollupTable;

type ColumnTypes<T extends BulkTable> = { readonly [C in keyof Database[T] & string]: PgArrayType };

const T = "text", I4 = "int4", I8 = "int8", F8 = "float8";

const SPAN_ROLLUP: ColumnTypes<"span_rollups"> = {
  minute: I8,
  service_name: T,
  operation: T,
  entry: I4,
  spans: I8,
  errors: I8,
  roots: I8,
  root_errors: I8,
  duration_sum_ns: I8,
};
const LATENCY_ROLLUP: ColumnTypes<"latency_rollups"> = {
  minute: I8,
  service_name: T,
  bucket: I4,
  spans: I8,
};
const OPERATION_LATENCY_ROLLUP: ColumnTypes<"operation_latency_rollups"> = {
  minute: I8,
  service_name: T,
  operation: T,
  bucket: I4,
  spans: I8,
};
const LOG_ROLLUP: ColumnTypes<"log_rollups"> = {
  minute: I8,
  service_name: T,
  severity_number: I4,
  logs: I8,
};
const EDGE_ROLLUP: ColumnTypes<"edge_rollups"> = {
  minute: I8,
  caller: T,
  callee: T,
  calls: I8,
  errors: I8,
  duration_sum_ns: I8,
};

/**
 * The array element type of every column of the tables written in bulk (see the module comment
 * for why a table rather than information_schema).
 */
export const PG_COLUMN_TYPES: { readonly [Tb in BulkTable]: ColumnTypes<Tb> } = {
  resources: {
    id: T,
    service_name: T,
    attributes: T,
    dropped_attributes_count: I4,
    schema_url: T,
    entity_refs: T,
    long_text: T,
  },
  spans: {
    trace_id: T,
    span_id: T,
    parent_span_id: T,
    trace_state: T,
    name: T,
    kind: I4,
    start_time_unix_nano: I8,
    end_time_unix_nano: I8,
    duration_ns: I8,
    status_code: I4,
    status_message: T,
    service_name: T,
    resource_id: T,
    scope_name: T,
    scope_version: T,
    scope_attributes: T,
    attributes: T,
    events: T,
    links: T,
    dropped_attributes_count: I4,
    dropped_events_count: I4,
    dropped_links_count: I4,
    flags: I8,
    scope_schema_url: T,
    scope_dropped_attributes_count: I4,
    long_text: T,
  },
  logs: {
    id: T,
    time_unix_nano: I8,
    observed_time_unix_nano: I8,
    severity_number: I4,
    severity_text: T,
    body: T,
    body_type: T,
    event_name: T,
    trace_id: T,
    span_id: T,
    flags: I8,
    service_name: T,
    resource_id: T,
    scope_name: T,
    scope_version: T,
    scope_attributes: T,
    attributes: T,
    dropped_attributes_count: I4,
    scope_schema_url: T,
    scope_dropped_attributes_count: I4,
    long_text: T,
    time_unset: I4,
  },
  span_attributes: { bucket: I4, h: I8, trace_id: T },
  log_attributes: { bucket: I4, h: I8, log_id: T },
  metric_instruments: {
    key: T,
    resource_id: T,
    service_name: T,
    scope_name: T,
    scope_version: T,
    scope_attributes: T,
    name: T,
    description: T,
    unit: T,
    type: T,
    temporality: T,
    monotonic: I4,
    scope_schema_url: T,
    scope_dropped_attributes_count: I4,
    long_text: T,
    first_seen_unix_nano: I8,
    last_seen_unix_nano: I8,
  },
  metric_series: {
    series_key: T,
    instrument_key: T,
    attributes: T,
    dropped_attributes_count: I4,
    first_seen_unix_nano: I8,
    last_seen_unix_nano: I8,
  },
  metric_points: {
    instrument_key: T,
    series_key: T,
    time_unix_nano: I8,
    start_time_unix_nano: I8,
    flags: I4,
    kind: I4,
    int_value: I8,
    double_value: F8,
    count_value: I8,
    sum_value: F8,
    data: T,
  },
  metric_exemplars: {
    series_key: T,
    point_time_unix_nano: I8,
    point_start_unix_nano: I8,
    ordinal: I4,
    time_unix_nano: I8,
    value_kind: I4,
    value: T,
    trace_id: T,
    span_id: T,
    filtered_attributes: T,
    dropped_attributes_count: I4,
  },
  metric_rollup_marks: { series_key: T, bucket_unix_nano: I8 },
  metric_rollup_state: { level_seconds: I4, done_until_unix_nano: I8 },
  span_rollups: SPAN_ROLLUP,
  span_rollups_hourly: SPAN_ROLLUP,
  latency_rollups: LATENCY_ROLLUP,
  latency_rollups_hourly: LATENCY_ROLLUP,
  operation_latency_rollups: OPERATION_LATENCY_ROLLUP,
  operation_latency_rollups_hourly: OPERATION_LATENCY_ROLLUP,
  log_rollups: LOG_ROLLUP,
  log_rollups_hourly: LOG_ROLLUP,
  edge_rollups: EDGE_ROLLUP,
  edge_rollups_hourly: EDGE_ROLLUP,
};

/** What to do with a row whose key is stored: skip it, or add the given columns to it. */
export type OnConflict = { kind: "nothing" } | { kind: "add"; sums: readonly string[] };

/** A quoted identifier (Argus's names never hold a quote; doubled anyway, as SQL escapes it). */
function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * The statement inserting the rows of `columns` (one array parameter each, in order) into
 * `table`, and what happens on a conflict on `key`.
 */
export function bulkInsertSql(
  table: BulkTable,
  columns: readonly string[],
  key: readonly string[],
  onConflict: OnConflict,
): string {
  const types = PG_COLUMN_TYPES[table] as Readonly<Record<string, PgArrayType>>;
  const arrays = columns.map((column, i) => {
    const type = types[column];
    if (type === undefined) {
      throw new TypeError(
        `Cannot write column "${column}" of table "${table}" in bulk as its PostgreSQL type is ` +
          `not known: known columns are ${Object.keys(types).join(", ")}`,
      );
    }
    return `$${i + 1}::${type}[]`;
  });
  const action = onConflict.kind === "nothing"
    ? "do nothing"
    : `do update set ${
      onConflict.sums.map((c) => `${quote(c)} = ${quote(table)}.${quote(c)} + excluded.${quote(c)}`)
        .join(", ")
    }`;
  const time = TIME_PARTITIONED[table as InsertTable];
  if (time === undefined || key.includes(time.column)) {
    return `insert into ${quote(table)} (${columns.map(quote).join(", ")}) ` +
      `select * from unnest(${arrays.join(", ")}) ` +
      `on conflict (${key.map(quote).join(", ")}) ${action}`;
  }
  // Partitioned by time: the conflict target is the table's key, which holds the time column.
  const unique = ` where ${time.sure === undefined ? "" : `${time.sure} or `}not exists (` +
    `select 1 from ${quote(table)} s where ${
      key.map((c) => `s.${quote(c)} = u.${quote(c)}`).join(" and ")
    })`;
  return `insert into ${quote(table)} (${columns.map(quote).join(", ")}) ` +
    `select * from unnest(${arrays.join(", ")}) as u(${columns.map(quote).join(", ")})` +
    `${unique} on conflict (${[...key, time.column].map(quote).join(", ")}) ${action}`;
}

/**
 * The tables migration 2026_12_15 partitioned by time (partitions.ts), whose primary key is the
 * writers' key plus the time column. The writers' key must stay unique across partitions, which
 * the table's key no longer ensures, so a row whose key is stored under another time is skipped
 * as stored: a span's ids name it whatever its start; a log record's id hashes the time it was
 * sent, but one sent with no time at all (nor an observed time) is stored with its arrival time,
 * which differs at each retry. `sure`: rows whose time their key decides, which need no look-up
 * (a record with an observed time). The check is exact also between replicas: writers of a
 * trace's spans wait for each other on its summary row first (trace_summaries.ts), and writers
 * of records without an observed time on one advisory lock (`bulkInsertIfAbsent`).
 */
const TIME_PARTITIONED: Partial<Record<InsertTable, { column: string; sure?: string }>> = {
  spans: { column: "start_time_unix_nano" },
  logs: { column: "time_unix_nano", sure: `u."observed_time_unix_nano" <> 0` },
};

/** Statements built, by table, columns and conflict action. */
const statements = new Map<string, string>();

function cachedSql(
  table: BulkTable,
  columns: readonly string[],
  key: readonly string[],
  onConflict: OnConflict,
): string {
  const id = `${table}\u0000${columns.join(",")}\u0000${key.join(",")}\u0000${
    onConflict.kind === "add" ? onConflict.sums.join(",") : ""
  }`;
  let text = statements.get(id);
  if (text === undefined) {
    text = bulkInsertSql(table, columns, key, onConflict);
    statements.set(id, text);
  }
  return text;
}

/**
 * The columns of `rows` (those some row has a defined value for, in first-seen order: a column
 * no row sets is left to its default, as Kysely's `values()` does) and one array of values per
 * column, undefined written as NULL.
 */
export function columnArrays(
  rows: readonly object[],
): { columns: string[]; arrays: unknown[][] } {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const [column, value] of Object.entries(row)) {
      if (value !== undefined && !seen.has(column)) {
        seen.add(column);
        columns.push(column);
      }
    }
  }
  const arrays = columns.map((column) =>
    rows.map((row) => (row as Record<string, unknown>)[column] ?? null)
  );
  return { columns, arrays };
}

/** Runs the bulk statement for `rows` and answers the rows it inserted (or updated). */
async function bulkWrite(
  db: Kysely<Database>,
  table: BulkTable,
  key: readonly string[],
  rows: readonly object[],
  onConflict: OnConflict,
): Promise<number> {
  if (rows.length === 0) return 0;
  const { columns, arrays } = columnArrays(rows);
  const result = await db.executeQuery(
    CompiledQuery.raw(cachedSql(table, columns, key, onConflict), arrays),
  );
  return Number(result.numAffectedRows ?? 0n);
}

/**
 * Inserts rows, skipping those whose key is stored (or repeated among them), and answers how
 * many were inserted: `DialectCapabilities.insertIfAbsent` for PostgreSQL.
 */
export async function bulkInsertIfAbsent<Tb extends InsertTable>(
  db: Kysely<Database>,
  table: Tb,
  key: readonly (keyof Database[Tb] & string)[],
  rows: readonly Database[Tb][],
): Promise<number> {
  if (table === "logs" && (rows as readonly Database["logs"][]).some(arrivalStamped)) {
    // Records whose stored time may be their arrival (see TIME_PARTITIONED): writers of such
    // records take turns, so that each one's look-up sees what the others committed.
    await db.executeQuery(CompiledQuery.raw(`select pg_advisory_xact_lock(${ARRIVAL_LOCK})`));
  }
  return bulkWrite(db, table, key, rows as readonly object[], { kind: "nothing" });
}

/** The advisory lock of writers of records without an observed time ("argus_arrival"). */
const ARRIVAL_LOCK = "7214853369042";

function arrivalStamped(row: Database["logs"]): boolean {
  return BigInt(row.observed_time_unix_nano as string | number | bigint) === 0n;
}

/**
 * Adds rows to a rollup table (a stored key gets the row's sums added, a new key is inserted):
 * `DialectCapabilities.upsertAdd` for PostgreSQL. Rows must not repeat a key.
 */
export async function bulkUpsertAdd<Tb extends RollupTable>(
  db: Kysely<Database>,
  table: Tb,
  rows: readonly Database[Tb][],
): Promise<void> {
  const { key, sums } = ROLLUP_TABLES[table];
  await bulkWrite(db, table, key, rows as readonly object[], { kind: "add", sums });
}

/**
 * What a claimed summary holds until the recompute of the same transaction replaces it: the
 * values of trace_summaries.ts `claimStatement`, column by column (`span_names` is not claimed).
 */
const CLAIM_VALUES: Readonly<Record<string, string>> = {
  start_time_unix_nano: "0",
  end_time_unix_nano: "0",
  duration_ns: "0",
  span_count: "0",
  error_count: "0",
  failed: "0",
  root_service: "''",
  root_name: "''",
};

/** The claim of trace_summaries.ts `claimStatement`, the trace ids bound as one `text[]`. */
export function claimSql(): string {
  const columns = SUMMARY_COLUMNS.filter((c) => c !== "span_names" && c !== "trace_id");
  const values = columns.map((c) => {
    const value = CLAIM_VALUES[c];
    if (value === undefined) {
      throw new TypeError(
        `Cannot claim trace summaries in bulk as the value of column "${c}" is not known: ` +
          `known columns are ${Object.keys(CLAIM_VALUES).join(", ")}`,
      );
    }
    return value;
  });
  return `insert into "trace_summaries" ("trace_id", ${columns.map(quote).join(", ")}) ` +
    `select c.trace_id, ${values.join(", ")} from unnest($1::text[]) as c(trace_id) ` +
    `on conflict ("trace_id") do update set ${
      columns.map((c) => `${quote(c)} = excluded.${quote(c)}`).join(", ")
    }`;
}

let claimText: string | undefined;

/**
 * Claims the summary rows of `traceIds` (sorted, distinct) as trace_summaries.ts
 * `claimSummaries` does, in one statement whatever their number: its form, a `UNION ALL` of one
 * `SELECT` per trace, took PostgreSQL 0.4–2.4 s to *plan* for 1,000 traces (executing it, 40 ms),
 * which held span ingest to ~400 spans/s (docs/benchmarks.md, "PostgreSQL bulk ingest").
 * `unnest` yields the ids in order, so rows are locked in trace-id order as before.
 */
export async function bulkClaimSummaries(
  db: Kysely<Database>,
  traceIds: readonly string[],
  spans?: readonly SpanRow[],
): Promise<readonly string[] | void> {
  if (traceIds.length === 0) return;
  if (spans === undefined) {
    claimText ??= claimSql();
    await db.executeQuery(CompiledQuery.raw(claimText, [traceIds]));
    return;
  }
  // Every trace's summary as if `spans` were all it has: right for the traces without a summary
  // row, as they have no span stored (a trace's spans and its summary commit together, and the
  // migration summarized older spans). The statement inserts those, claims the others (the same
  // values as `claimSql`) and says which is which.
  const flat: SqlValue[] = [];
  for (const span of spans) pushSpanValues(flat, span, (v) => v);
  const fresh = summarizeNewTraces(flat, new Set());
  const summaries = fresh.summaries.sort((a, b) => (a.trace_id < b.trace_id ? -1 : 1));
  const arrays = SUMMARY_COLUMNS.map((c) => summaries.map((row) => textOf(row[c])));
  claimWithSummariesText ??= claimWithSummariesSql();
  const { rows } = await db.executeQuery<{ trace_id: string; inserted: boolean }>(
    CompiledQuery.raw(claimWithSummariesText, arrays),
  );
  const inserted = new Set(rows.filter((r) => r.inserted).map((r) => r.trace_id));
  const services = fresh.services.filter((s) => inserted.has(s.trace_id));
  if (services.length > 0) {
    const arrays = SERVICE_COLUMNS.map((c) => services.map((row) => textOf(row[c])));
    await db.executeQuery(CompiledQuery.raw(NEW_SERVICES_SQL, arrays));
  }
  return traceIds.filter((id) => !inserted.has(id));
}

/** A value as pg binds it in an array: int64 as decimal text, NULL as null. */
function textOf(value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value ?? null;
}

let claimWithSummariesText: string | undefined;

/** Inserts the services of new traces (SERVICE_COLUMNS, one array each); none is stored yet. */
const NEW_SERVICES_SQL =
  `insert into "trace_services" (${SERVICE_COLUMNS.map(quote).join(", ")}) ` +
  `select * from unnest($1::text[], $2::text[], $3::int8[], $4::int4[]) ` +
  `on conflict ("trace_id", "service_name") do nothing`;

/** The types of trace_summaries' columns as arrays (SUMMARY_COLUMNS order). */
const SUMMARY_TYPES: Readonly<Record<(typeof SUMMARY_COLUMNS)[number], PgArrayType>> = {
  trace_id: T,
  start_time_unix_nano: I8,
  end_time_unix_nano: I8,
  duration_ns: I8,
  span_count: I8,
  error_count: I8,
  failed: I4,
  root_service: T,
  root_name: T,
  span_names: T,
};

/**
 * Inserts the summaries given column by column (SUMMARY_COLUMNS order, one array each); a trace
 * that has a summary row is claimed instead (its row set to the values of `claimSql`, locked);
 * returns each trace id and whether it was inserted (`xmax = 0`: no earlier row version).
 */
export function claimWithSummariesSql(): string {
  const claimed = SUMMARY_COLUMNS.filter((c) => c !== "span_names" && c !== "trace_id");
  return `insert into "trace_summaries" (${SUMMARY_COLUMNS.map(quote).join(", ")}) ` +
    `select * from unnest(${
      SUMMARY_COLUMNS.map((c, i) => `$${i + 1}::${SUMMARY_TYPES[c]}[]`).join(", ")
    }) on conflict ("trace_id") do update set ${
      claimed.map((c) => `${quote(c)} = ${CLAIM_VALUES[c]}`).join(", ")
    } returning "trace_id", (xmax = 0) as "inserted"`;
}

/**
 * Compiles statements for PostgreSQL without a connection: the recompute's text is built once,
 * from trace_summaries.ts's own pieces, and bound to one array at each run.
 */
const compiler = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

/** `column = any($1::text[])`: `$1`, the statement's one parameter, holds the trace ids. */
const inTraceIds: TraceIdsCondition = (column) =>
  sql<SqlBool>`${column} = any(${sql.raw("$1")}::text[])`;

/** The text of `statement`, which must bind nothing but the `$1` written into it. */
function arrayStatementSql(statement: RawBuilder<unknown>): string {
  const { sql: text, parameters } = statement.compile(compiler);
  if (parameters.length > 0) {
    throw new TypeError(
      `Cannot bind the trace ids as the statement's one array as it binds ${parameters.length} ` +
        `other parameters: it must bind none but $1`,
    );
  }
  return text;
}

/** The spans' columns the recompute reads. */
const STORED_COLUMNS = [
  "trace_id",
  "span_id",
  "parent_span_id",
  "start_time_unix_nano",
  "end_time_unix_nano",
  "status_code",
  "service_name",
  "name",
] as const;

/**
 * trace_summaries.ts `refreshStatements` as one statement, the trace ids bound as one `text[]`:
 * the traces' spans are read once (`stored`, by the spans' primary key) for the summary's three
 * aggregates and the services; the summaries are upserted from them (`summarySelect`, the very
 * SQL of the other form); the services are upserted from the upsert's RETURNING (a row whose
 * values are unchanged is not rewritten), and those whose service has no span left (a purge) are
 * deleted. The data-modifying CTEs touch disjoint rows: the services upserted are those of a
 * stored span, the ones deleted those of none. Same rows as the delete-and-insert of the other
 * form, compared row for row by postgres_bulk_test.ts.
 */
export function refreshSql(): string {
  const ref = (name: string) => sql.ref(name);
  const stored = sql.table("stored");
  const summaries = upsertSelectOnConflict(
    "trace_summaries",
    ["trace_id"],
    SUMMARY_COLUMNS,
    summarySelect("postgres", () => sql<SqlBool>`true`, stored),
  );
  const changed = ["start_time_unix_nano", "failed"].map((c) =>
    sql`${ref(`trace_services.${c}`)} is distinct from ${ref(`excluded.${c}`)}`
  );
  return arrayStatementSql(
    sql`with ${stored} as materialized (
        select ${sql.join(STORED_COLUMNS.map(ref))} from ${sql.table("spans")}
        where ${inTraceIds(ref("trace_id"))}
      ),
      summary as (${summaries} returning trace_id, start_time_unix_nano, failed),
      gone as (
        delete from ${sql.table("trace_services")} t where ${inTraceIds(ref("t.trace_id"))}
          and not exists (select 1 from ${stored} s
            where s.trace_id = t.trace_id and s.service_name = t.service_name)
      )
      insert into ${sql.table("trace_services")} (${sql.join(SERVICE_COLUMNS.map(ref))})
      select distinct s.trace_id, s.service_name, summary.start_time_unix_nano, summary.failed
      from ${stored} s inner join summary on summary.trace_id = s.trace_id
      on conflict (trace_id, service_name) do update set ${
      sql.join(["start_time_unix_nano", "failed"].map((c) =>
        sql`${ref(c)} = ${ref(`excluded.${c}`)}`
      ))
    } where ${sql.join(changed, sql` or `)}`,
  );
}

/** trace_summaries.ts `removeEmptyStatements`, the trace ids bound as one `text[]`. */
export function removeEmptySql(): string[] {
  return removeEmptyStatements(inTraceIds, "postgres").map(arrayStatementSql);
}

let refreshText: string | undefined;
let removeEmptyTexts: string[] | undefined;

/**
 * Recomputes the summaries of `traceIds` as trace_summaries.ts `refreshSummaries` does (with
 * `removeEmpty`, the purge's, deleting those of traces without a stored span), in one statement
 * whatever their number. Its form, three statements of 1,000 ids bound one per parameter, took
 * PostgreSQL ~13 ms to plan per 1,000-span batch, read each trace's spans four times, and deleted
 * and re-inserted every service row (docs/benchmarks.md, "PostgreSQL bulk ingest").
 */
export async function bulkRefreshSummaries(
  db: Kysely<Database>,
  traceIds: readonly string[],
  removeEmpty: boolean,
): Promise<void> {
  if (traceIds.length === 0) return;
  refreshText ??= refreshSql();
  await db.executeQuery(CompiledQuery.raw(refreshText, [traceIds]));
  if (!removeEmpty) return;
  removeEmptyTexts ??= removeEmptySql();
  for (const text of removeEmptyTexts) await db.executeQuery(CompiledQuery.raw(text, [traceIds]));
}
