/**
 * SQLite's one writer, on a worker thread of its own.
 *
 * `node:sqlite` is synchronous: on the main thread every insert, and every checkpoint's fsync,
 * would stop the event loop, and with it the decoding of the next requests. On a worker the
 * writer inserts (and waits for the disk) while the main thread decodes and queues; measured on
 * this project's machine, that took end-to-end ingest from about half of the raw insert rate to
 * most of it (docs/benchmarks.md). Reads use the main thread's own connection: WAL lets them run
 * beside the writer.
 *
 * The inserts are prepared statements of 16 rows (single-row ones for the rest) whose SQL Kysely
 * compiles once (the dialect layer stays the one source of SQL); only their execution bypasses
 * the query builder, which cost up to half the throughput when it built every statement.
 *
 * @module
 */
import { SQLITE_LOG_TEXT } from "./log_search.ts";
import { SQLITE_SPAN_KEY, SQLITE_TRACE_KEYS, sqliteServicesInsert } from "./trace_keys.ts";
import { type Kysely, type RawBuilder, sql, type SqlBool } from "kysely";
import type {
  Database,
  DbRollups,
  InsertTable,
  MetricExemplarsTable,
  MetricInstrumentsTable,
  MetricPointsTable,
  MetricSeriesTable,
} from "./columns.ts";
import { LOG_COLUMNS, resourceToDb, SPAN_COLUMNS, TABLE_KEYS } from "./columns.ts";
import {
  insertOnConflictDoNothing,
  upsertAddOnConflict,
  upsertSelectOnConflict,
} from "./dialects/mod.ts";
import { refreshStatements, SERVICE_COLUMNS, SUMMARY_COLUMNS } from "./trace_summaries.ts";
import { ROLLUP_TABLES, type RollupTable } from "./rollups.ts";
import type { DbRows, RowCommitter } from "./batch_writer.ts";
import type { NodeSqliteDatabase } from "./node_sqlite.ts";
import { ALL_KEYS, AttributeIndexer } from "./attribute_index.ts";
import { AttributeIndexWriter } from "./attribute_postings.ts";
import {
  type CommitCounts,
  commitPrepared,
  flattenRows,
  type InsertStatements,
  rollupColumns,
  type WriterReply,
  type WriterRequest,
} from "./sqlite_commit.ts";

/**
 * Rows per multi-row insert statement: fewer calls into SQLite per row (prototypes measured a
 * 16-row statement about 15% faster than single-row ones), and far under its parameter limit.
 */
const ROWS_PER_STATEMENT = 16;

/**
 * Compiles `INSERT OR FAIL … ON CONFLICT (key) DO NOTHING` for each table, with one `?` per
 * column, for one row and for ROWS_PER_STATEMENT rows.
 *
 * `OR FAIL` rather than SQLite's default `OR ABORT`: a multi-row statement that may abort (every
 * column is NOT NULL) makes SQLite keep a statement journal, a copy of every page the statement
 * changes, so that it can undo the statement alone; past 64 KiB that copy is written to a
 * temporary file. It tripled the bytes written per row (17.6 against 5.6 KiB per log record) and
 * cost a fifth of the writer's CPU. A failing statement here always rolls its whole transaction
 * back (commitPrepared), so undoing the statement alone is never needed, and the key conflicts
 * are still skipped by `ON CONFLICT … DO NOTHING`.
 */
export function compileInsertStatements(db: Kysely<Database>): InsertStatements {
  const insert = <T extends InsertTable>(
    table: T,
    columns: readonly string[],
    keyColumns: readonly string[] = TABLE_KEYS[table],
  ) => {
    const placeholders = Object.fromEntries(columns.map((c) => [c, sql`?`]));
    const key = keyColumns as unknown as readonly (keyof Database[T] & string)[];
    const compile = (rows: number) =>
      // deno-lint-ignore no-explicit-any -- one placeholder per column of the table
      insertOnConflictDoNothing(db, table, key, Array(rows).fill(placeholders as any)).orFail()
        .compile().sql;
    return { sql: compile(1), sqlMany: compile(ROWS_PER_STATEMENT), columns: [...columns] };
  };
  const upsert = (table: RollupTable) => {
    const columns = rollupColumns(table);
    const row = Object.fromEntries(columns.map((c) => [c, sql`?`]));
    const compile = (rows: number) =>
      // deno-lint-ignore no-explicit-any -- one placeholder per column of the table
      upsertAddOnConflict(db, table, Array(rows).fill(row as any)).orFail().compile().sql;
    return { sql: compile(1), sqlMany: compile(ROWS_PER_STATEMENT), columns };
  };
  // The trace ids arrive as one JSON array, bound to each `?` (any count of traces, one statement).
  const ids = (column: RawBuilder<unknown>) =>
    sql<SqlBool>`${column} in (select value from json_each(${sql.raw("?")}))`;
  const compileRaw = (statement: RawBuilder<unknown>) => {
    const compiled = statement.compile(db);
    if (compiled.parameters.length > 0) throw new Error("A summary statement took a parameter");
    return compiled.sql;
  };
  // New traces' summaries: a plain insert (`OR FAIL` as above), since a conflict would mean that
  // the trace was not new, and its summary not exact.
  const insertSummaries = () => {
    const placeholders = Object.fromEntries(SUMMARY_COLUMNS.map((c) => [c, sql`?`]));
    const compile = (rows: number) =>
      db.insertInto("trace_summaries")
        // deno-lint-ignore no-explicit-any -- one placeholder per column of the table
        .values(Array(rows).fill(placeholders as any)).orFail().compile().sql;
    return { sql: compile(1), sqlMany: compile(ROWS_PER_STATEMENT), columns: [...SUMMARY_COLUMNS] };
  };
  const traceId = sql.ref("trace_id");
  const summaries = {
    known: compileRaw(
      sql`select ${traceId} from ${sql.table("trace_summaries")} where ${ids(traceId)}`,
    ),
    refresh: refreshStatements({ upsertSelect: upsertSelectOnConflict, driver: "sqlite" }, ids).map(
      compileRaw,
    ),
    insertSummaries: insertSummaries(),
    // Keyed by the trace's key (trace_keys.ts), which the summary just inserted holds.
    insertServices: {
      sql: sqliteServicesInsert(1),
      sqlMany: sqliteServicesInsert(ROWS_PER_STATEMENT),
      columns: [...SERVICE_COLUMNS],
    },
  };
  // Metric rows: every column of the table, in the order of the table's rows (metric_columns.ts).
  // Instruments and series are upserted: inserted if absent, else their seen times moved where
  // the batch's go past them (a row is written only then: at most once a minute, see
  // metric_writes.ts). One statement per 16 rows: an insert-if-absent and two updates a row (each
  // a key look-up) took 3.4-4.4 µs CPU a data point of the ~20 of a 1000-point commit of the bench's
  // request (500 series), the upserts 1.2.
  // The writer holds SQLite's one write lock, so the order of metric_writes.ts (updates first, for
  // the row locks of the other databases) is not needed here.
  const seenUpsert = <T extends "metric_instruments" | "metric_series">(
    table: T,
    columns: readonly string[],
  ) => {
    const placeholders = Object.fromEntries(columns.map((c) => [c, sql`?`]));
    const [key] = TABLE_KEYS[table];
    const stored = (column: string) => sql.ref(`${table}.${column}`);
    const excluded = (column: string) => sql.ref(`excluded.${column}`);
    const first = "first_seen_unix_nano";
    const last = "last_seen_unix_nano";
    // deno-lint-ignore no-explicit-any -- the seen columns of `table`
    const moved: any = {
      [first]: sql`min(${stored(first)}, ${excluded(first)})`,
      [last]: sql`max(${stored(last)}, ${excluded(last)})`,
    };
    const compile = (rows: number) =>
      db.insertInto(table)
        // deno-lint-ignore no-explicit-any -- one placeholder per column of the table
        .values(Array(rows).fill(placeholders as any))
        .onConflict((oc) =>
          // deno-lint-ignore no-explicit-any -- the key column of `table`
          oc.column(key as any)
            .doUpdateSet(moved)
            .where(
              sql<SqlBool>`${excluded(first)} < ${stored(first)} or ${excluded(last)} > ${
                stored(last)
              }`,
            )
        ).orFail().compile().sql;
    return { sql: compile(1), sqlMany: compile(ROWS_PER_STATEMENT), columns: [...columns] };
  };
  const metrics = {
    instruments: seenUpsert("metric_instruments", METRIC_COLUMNS.instruments),
    series: seenUpsert("metric_series", METRIC_COLUMNS.series),
    points: insert("metric_points", METRIC_COLUMNS.points),
    exemplars: insert("metric_exemplars", METRIC_COLUMNS.exemplars),
  };
  return {
    summaries,
    metrics,
    logText: { ...SQLITE_LOG_TEXT },
    traceKeys: { ...SQLITE_TRACE_KEYS },
    resources: insert("resources", RESOURCE_COLUMNS),
    // Each span with its trace's key, by which it is stored once (trace_keys.ts).
    spans: insert("spans", [...SPAN_COLUMNS, "trace_key"], SQLITE_SPAN_KEY),
    logs: insert("logs", LOG_COLUMNS),
    spanAttributes: insert("span_attributes", TABLE_KEYS.span_attributes),
    logAttributes: insert("log_attributes", TABLE_KEYS.log_attributes),
    rollups: Object.fromEntries(
      (Object.keys(ROLLUP_TABLES) as RollupTable[]).map((t) => [t, upsert(t)]),
    ) as InsertStatements["rollups"],
  };
}

/**
 * How much longer than DB_STATEMENT_TIMEOUT a commit may take before the writer thread is given
 * up on (SQLite itself waits at most its busy timeout for a lock; a thread this late is stuck in
 * the file system, e.g. a frozen network disk).
 */
const WRITER_GRACE_MS = 5_000;

/**
 * Sends commits to the writer thread, one at a time in order, and gets their results. A commit
 * without an answer within `deadlineMs` fails; the thread is then replaced by a new one with its
 * own connection (the old one may still commit: its rows are then found stored by the retry).
 */
export class WorkerSqliteCommitter implements RowCommitter {
  readonly #path: string;
  readonly #statements: InsertStatements;
  readonly #deadlineMs: number;
  readonly #pending = new Map<number, PromiseWithResolvers<WriterReply>>();
  #worker!: Worker;
  #opened!: Promise<WriterReply>;
  #nextId = 0;
  #closed = false;

  readonly #index: AttributeIndexWriter;

  constructor(
    path: string,
    statements: InsertStatements,
    statementTimeoutMs = 10_000,
    index = new AttributeIndexWriter(new AttributeIndexer(ALL_KEYS)),
  ) {
    this.#index = index;
    this.#path = path;
    this.#statements = statements;
    this.#deadlineMs = statementTimeoutMs + WRITER_GRACE_MS;
    const script = new URL("./sqlite_writer_worker.ts", import.meta.url);
    if (script.protocol === "file:") {
      const permission = Deno.permissions.querySync({ name: "read", path: script });
      if (permission.state !== "granted") {
        throw new Deno.errors.NotCapable(
          `The SQLite writer thread cannot be loaded from ${script.pathname}: Argus needs read ` +
            "access to its own folder (deno task start grants --allow-read=. in it)",
        );
      }
    }
    this.#start();
  }

  #start(): void {
    const worker = new Worker(new URL("./sqlite_writer_worker.ts", import.meta.url), {
      type: "module",
    });
    worker.onmessage = (event: MessageEvent<WriterReply>) => {
      const pending = this.#pending.get(event.data.id);
      this.#pending.delete(event.data.id);
      pending?.resolve(event.data);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      this.#failAll(new Error(`The SQLite writer thread failed: ${event.message}`));
    };
    this.#worker = worker;
    this.#opened = this.#send({
      kind: "open",
      id: 0,
      path: this.#path,
      statements: this.#statements,
    });
  }

  #failAll(error: Error): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }

  #send(request: WriterRequest): Promise<WriterReply> {
    const id = this.#nextId++;
    const reply = Promise.withResolvers<WriterReply>();
    this.#pending.set(id, reply);
    this.#worker.postMessage({ ...request, id });
    return reply.promise;
  }

  /** `#send`, replacing the thread when it does not answer in time. */
  async #sendWithDeadline(request: WriterRequest): Promise<WriterReply> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new Error(
          `The SQLite writer thread did not answer within ${this.#deadlineMs} ms ` +
            "(DB_STATEMENT_TIMEOUT and a grace): it is replaced",
        );
        reject(error);
        this.#worker.terminate();
        this.#failAll(error);
        if (!this.#closed) this.#start();
      }, this.#deadlineMs);
    });
    try {
      return await Promise.race([this.#send(request), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async commit(rows: DbRows, rollups: DbRollups, force: boolean): Promise<CommitCounts> {
    if (this.#closed) throw new Error("The SQLite writer is closed");
    throwIfFailed(await this.#opened);
    const plan = this.#index.plan(rows.spans, rows.logs);
    const reply = throwIfFailed(
      await this.#sendWithDeadline({
        kind: "commit",
        id: 0,
        rows: flattenRows(this.#statements, rows, rollups, SQLITE_INT64, plan),
        force,
      }),
    );
    if (reply.inserted!.complete) plan.committed();
    return reply.inserted!;
  }

  /** Closes the writer's connection (after the commits already sent) and ends the thread. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#sendWithDeadline({ kind: "close", id: 0 });
    } catch {
      // Ended below either way.
    } finally {
      this.#worker.terminate();
    }
  }
}

/** SQLite binds int64 values as bigint (the dialect's `int64`). */
const SQLITE_INT64 = (value: bigint) => value;

function throwIfFailed(reply: WriterReply): Extract<WriterReply, { ok: true }> {
  if (reply.ok) return reply;
  // Rebuilt from its parts: errors do not cross threads with their class, and the dialect's
  // classifyError() reads the message and code.
  const error = new Error(reply.error.message);
  error.name = reply.error.name;
  if (reply.error.code !== undefined) Object.assign(error, { code: reply.error.code });
  throw error;
}

/** The metric tables' columns, in the order of their table rows (sorted: any order would do). */
const METRIC_COLUMNS = {
  instruments: [
    "key",
    "resource_id",
    "service_name",
    "scope_name",
    "scope_version",
    "scope_attributes",
    "name",
    "description",
    "unit",
    "type",
    "temporality",
    "monotonic",
    "scope_schema_url",
    "scope_dropped_attributes_count",
    "long_text",
    "first_seen_unix_nano",
    "last_seen_unix_nano",
  ],
  series: [
    "series_key",
    "instrument_key",
    "attributes",
    "dropped_attributes_count",
    "first_seen_unix_nano",
    "last_seen_unix_nano",
  ],
  points: [
    "instrument_key",
    "series_key",
    "time_unix_nano",
    "start_time_unix_nano",
    "flags",
    "kind",
    "int_value",
    "double_value",
    "count_value",
    "sum_value",
    "data",
  ],
  exemplars: [
    "series_key",
    "point_time_unix_nano",
    "point_start_unix_nano",
    "ordinal",
    "time_unix_nano",
    "value_kind",
    "value",
    "trace_id",
    "span_id",
    "filtered_attributes",
    "dropped_attributes_count",
  ],
} as const satisfies {
  instruments: readonly (keyof MetricInstrumentsTable)[];
  series: readonly (keyof MetricSeriesTable)[];
  points: readonly (keyof MetricPointsTable)[];
  exemplars: readonly (keyof MetricExemplarsTable)[];
};

// A sample gives the resource columns their order (resourceToDb's); the values are never written.
const RESOURCE_COLUMNS = Object.keys(
  resourceToDb({
    id: "",
    serviceName: "",
    attributes: "",
    droppedAttributesCount: 0,
    schemaUrl: "",
    entityRefs: "",
    longText: "",
  }),
);

/**
 * Commits on the calling thread, holding Kysely's one connection so that no Kysely transaction
 * interleaves. For `:memory:` databases, which another thread's connection cannot see.
 */
export class InThreadSqliteCommitter implements RowCommitter {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly sqlite: NodeSqliteDatabase,
    private readonly statements: InsertStatements,
    private readonly index = new AttributeIndexWriter(new AttributeIndexer(ALL_KEYS)),
  ) {}

  async commit(rows: DbRows, rollups: DbRollups, force: boolean): Promise<CommitCounts> {
    const plan = this.index.plan(rows.spans, rows.logs);
    const counts = await this.db.connection().execute(() =>
      Promise.resolve(
        commitPrepared(
          this.sqlite,
          this.statements,
          flattenRows(this.statements, rows, rollups, SQLITE_INT64, plan),
          force,
        ),
      )
    );
    if (counts.complete) plan.committed();
    return counts;
  }
}
