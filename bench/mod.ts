// deno-lint-ignore-file no-console
/**
 * Insert benchmarks, run by `deno task bench`: rows/s of batch writes through the Argus store on
 * each available database, beside a raw `node:sqlite` prepared-statement baseline measured in the
 * same run, so that a figure reads as a share of what SQLite itself does on the same machine.
 * On SQLite also metric data points (the ingest benchmark's request, bench/_metrics_request.ts),
 * raw and through the store. On PostgreSQL and MySQL the store commits one batch at a time, then
 * up to `DB_WRITES_IN_FLIGHT`'s default at once (written as the batcher writes at full load), each
 * with the cores of the machine that were busy during it (the servers share them with Argus).
 *
 * Environment (all optional):
 * - `ARGUS_BENCH_DATABASES`: comma-separated list of sqlite, postgres, mysql (default: all three).
 *   The raw SQLite baseline always runs, as every percentage refers to it.
 * - `ARGUS_BENCH_POSTGRES_URL`, `ARGUS_BENCH_MYSQL_URL`: admin connections through which a fresh
 *   `argus_bench_*` database is created and dropped again (defaults: the local servers).
 *
 * @module
 */
import { PRAGMAS } from "../store/node_sqlite.ts";
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { join } from "node:path";
import { cpus } from "node:os";
import pg from "pg";
import * as mysql from "mysql2/promise";
import { type DatabaseConfig, type DbDriver, parseConfig, redactDsn } from "../lib/config.ts";
import { type Batch, createStore, type Store, type StoreOptions } from "../store/mod.ts";
import { logToDb, resourceToDb, spanToDb } from "../store/columns.ts";
import { buildBatch } from "../tests/builders.ts";
import { metricBatches, rawMetricInsert } from "./_metric_inserts.ts";
import {
  cells,
  markdownTable,
  type Measurement,
  type Result,
  rowsPerSecond,
  seconds,
  summarize,
  type Summary,
} from "./_report.ts";

const BATCH_ROWS = 1_000;
/** Rows per signal in each SQLite measurement: 1–6 s each at the rates seen on 2 cores. */
const SQLITE_ROWS = 60_000;
/** Rows per signal in each server measurement: the servers are slower (~10k rows/s). */
const SERVER_ROWS = 20_000;
/**
 * Every measurement runs this many times, on a fresh database each time, in rounds (so that a
 * slow spell of the machine's disk hits all paths alike); the table shows the median run.
 * Single runs of the same measurement differed by a third or more on the shared 2-core machine.
 */
const ROUNDS = 3;
/** Untimed batches written first, so the timed loop runs warm (JIT-compiled) code. */
const WARMUP_BATCHES = 3;
const CONNECT_TIMEOUT_MS = 5_000;

const BENCH_DATABASES = ["sqlite", "postgres", "mysql"] as const;
type BenchDatabase = typeof BENCH_DATABASES[number];
type ServerDriver = Exclude<BenchDatabase, "sqlite">;

const SIGNALS = ["spans", "logs"] as const;
type Signal = typeof SIGNALS[number];

const RAW = "raw node:sqlite (baseline)";
const RAW_NO_INDEXES = "raw node:sqlite, no secondary indexes";
const STORE_PREPARED = "store, prepared statements";
const STORE_KYSELY = "store, Kysely";
/** The store's SQLite path without rollups: what rollups at ingest cost, in the same run. */
const STORE_NO_ROLLUPS = "store, prepared statements, no rollups";

interface BenchOptions {
  databases: BenchDatabase[];
  adminUrls: Record<ServerDriver, string>;
}

function readOptions(env: Readonly<Record<string, string | undefined>>): BenchOptions {
  const text = env.ARGUS_BENCH_DATABASES?.trim() || BENCH_DATABASES.join(",");
  const names = text.split(",").map((s) => s.trim().toLowerCase()).filter((s) => s !== "");
  const unknown = names.filter((n) => !(BENCH_DATABASES as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new RangeError(
      `Cannot read ARGUS_BENCH_DATABASES as it must list some of ${BENCH_DATABASES.join(", ")}: ` +
        `current value is ${JSON.stringify(text)}`,
    );
  }
  return {
    databases: BENCH_DATABASES.filter((d) => names.includes(d)),
    adminUrls: {
      postgres: env.ARGUS_BENCH_POSTGRES_URL?.trim() ||
        "postgres://postgres@127.0.0.1:5432/postgres",
      mysql: env.ARGUS_BENCH_MYSQL_URL?.trim() || "mysql://root@127.0.0.1:3306/",
    },
  };
}

/** Set on Ctrl-C: the write loops stop at the next batch so that `finally` blocks clean up. */
const interrupted = new AbortController();

function onInterrupt(): void {
  if (interrupted.signal.aborted) Deno.exit(130);
  console.error("Interrupted: cleaning up (Ctrl-C again quits at once, leaving databases behind)");
  interrupted.abort(new Error("Interrupted"));
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------
// Workload: pre-built batches of one signal each, built before any timing starts.

type SignalBatches = Record<Signal, Batch[]>;

/** `rows` spans and `rows` logs (three services), as batches of BATCH_ROWS rows of one signal. */
function buildSignalBatches(rows: number, seed: number): SignalBatches {
  const all = buildBatch(rows, rows, seed);
  const batches: SignalBatches = { spans: [], logs: [] };
  for (let i = 0; i < rows; i += BATCH_ROWS) {
    const resources = all.resources;
    batches.spans.push({ resources, spans: all.spans.slice(i, i + BATCH_ROWS), logs: [] });
    batches.logs.push({ resources, spans: [], logs: all.logs.slice(i, i + BATCH_ROWS) });
  }
  return batches;
}

interface Workload {
  timed: SignalBatches;
  /** Distinct rows (another seed), written untimed before each measurement. */
  warmup: SignalBatches;
}

function rowsIn(batches: readonly Batch[], signal: Signal): number {
  return batches.reduce((sum, b) => sum + b[signal].length, 0);
}

/** Average characters of the column values of a stored row (ids, JSON text, numbers as text). */
function averageRowChars(batches: readonly Batch[], signal: Signal): number {
  const rows = batches.flatMap((batch) => dbRows(batch, signal));
  const chars = rows.reduce(
    (sum, row) => Object.values(row).reduce((n: number, v) => n + String(v).length, sum),
    0,
  );
  return Math.round(chars / rows.length);
}

// ---------------------------------------------------------------------------------------------
// Raw baseline: node:sqlite prepared single-row inserts, no store code in the timed loop.

type DbRow = Record<string, SQLInputValue>;

/** A batch's rows as the store binds them on SQLite (bigint times, computed duration). */
function dbRows(batch: Batch, signal: Signal): DbRow[] {
  const same = (value: bigint) => value;
  const rows = signal === "spans"
    ? batch.spans.map((s) => spanToDb(s, same))
    : batch.logs.map((l) => logToDb(l, same));
  return rows as unknown as DbRow[];
}

/** Parameters of each insert of a batch, in column order. */
interface PositionalBatch {
  resources: SQLInputValue[][];
  rows: SQLInputValue[][];
}

class RawSqliteWriter {
  readonly #db: DatabaseSync;
  readonly #inserts: Record<"resources" | Signal, { statement: StatementSync; columns: string[] }>;

  /** Opens a file whose tables the store's migration created. */
  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    for (const pragma of PRAGMAS) this.#db.exec(`pragma ${pragma}`);
    const insert = (table: string) => {
      const columns = this.#db.prepare("select name from pragma_table_info(?)").all(table)
        .map((r) => String(r.name));
      const statement = this.#db.prepare(
        `insert into ${table} (${columns.join(", ")}) values (${columns.map(() => "?").join(", ")})
         on conflict do nothing`,
      );
      return { statement, columns };
    };
    this.#inserts = {
      resources: insert("resources"),
      spans: insert("spans"),
      logs: insert("logs"),
    };
  }

  /** A batch as positional parameters, built before timing as the store's rows are. */
  positional(batch: Batch, signal: Signal): PositionalBatch {
    const order = (columns: string[], rows: DbRow[]) =>
      rows.map((row) => columns.map((c) => row[c]!));
    const resources = batch.resources.map(resourceToDb) as unknown as DbRow[];
    return {
      resources: order(this.#inserts.resources.columns, resources),
      rows: order(this.#inserts[signal].columns, dbRows(batch, signal)),
    };
  }

  dropSecondaryIndexes(): void {
    // Explicitly created indexes have SQL text; the primary keys' automatic indexes do not.
    const indexes = this.#db.prepare(
      "select name from sqlite_master where type = 'index' and sql is not null",
    ).all();
    for (const { name } of indexes) this.#db.exec(`drop index "${String(name)}"`);
  }

  /** One transaction: the batch's resources, then its rows; returns the rows inserted. */
  write(batch: PositionalBatch, signal: Signal): number {
    const db = this.#db;
    db.exec("begin immediate");
    try {
      for (const values of batch.resources) this.#inserts.resources.statement.run(...values);
      const { statement } = this.#inserts[signal];
      let inserted = 0;
      for (const values of batch.rows) inserted += Number(statement.run(...values).changes);
      db.exec("commit");
      return inserted;
    } catch (error) {
      if (db.isTransaction) db.exec("rollback");
      throw error;
    }
  }

  close(): void {
    this.#db.close();
  }
}

type Expected = "inserted" | "duplicates";

function checkCount(path: string, signal: Signal, expected: Expected, rows: number, got: number) {
  if (got !== rows) {
    throw new Error(
      `Expected ${path} to report ${rows} ${signal} as ${expected}: it reported ${got}`,
    );
  }
}

/** Creates a SQLite file with the store's schema, as the store's own migration makes it. */
async function migratedSqliteFile(dir: string, name: string): Promise<string> {
  const path = join(dir, name);
  const store = await createStore(databaseConfig("sqlite", path), { dataDir: dir });
  try {
    await store.migrate();
  } finally {
    await store.close();
  }
  return path;
}

async function benchRawSqlite(
  dir: string,
  path: string,
  work: Workload,
  options: { dropIndexes: boolean; duplicates: boolean },
): Promise<Measurement[]> {
  const file = await migratedSqliteFile(dir, options.dropIndexes ? "raw_no_indexes.db" : "raw.db");
  const writer = new RawSqliteWriter(file);
  const results: Measurement[] = [];
  try {
    if (options.dropIndexes) writer.dropSecondaryIndexes();
    const run = (batches: Batch[], signal: Signal, expected: Expected) => {
      const prepared = batches.map((b) => writer.positional(b, signal));
      const rows = rowsIn(batches, signal);
      let counted = 0;
      const start = performance.now();
      for (const batch of prepared) counted += writer.write(batch, signal);
      const elapsed = (performance.now() - start) / 1000;
      // Raw inserts count only new rows: duplicates show as none inserted.
      checkCount(path, signal, "inserted", expected === "inserted" ? rows : 0, counted);
      return { rows, seconds: elapsed };
    };
    for (const signal of SIGNALS) {
      run(work.warmup[signal], signal, "inserted");
      results.push(
        report({
          database: "sqlite",
          path,
          signal,
          ...run(work.timed[signal], signal, "inserted"),
        }),
      );
    }
    if (options.duplicates) {
      for (const signal of SIGNALS) {
        const measured = run(work.timed[signal], signal, "duplicates");
        results.push(
          report({ database: "sqlite", path, signal: `${signal}, duplicates`, ...measured }),
        );
      }
    }
  } finally {
    writer.close();
  }
  await removeSqliteFiles(file);
  return results;
}

async function removeSqliteFiles(path: string): Promise<void> {
  for (const suffix of ["", "-wal", "-shm"]) {
    await Deno.remove(path + suffix).catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// The Argus store, on any database.

function databaseConfig(driver: DbDriver, dsn: string): DatabaseConfig {
  const parsed = parseConfig({ DB_DRIVER: driver, DB_DSN: dsn });
  if (!parsed.ok) throw new TypeError(`Cannot configure ${driver}: ${parsed.errors.join("; ")}`);
  return parsed.config.db;
}

/** Writes every batch and returns the seconds taken; checks that each row counted as expected. */
async function writeAll(
  store: Store,
  path: string,
  batches: readonly Batch[],
  signal: Signal,
  expected: Expected,
): Promise<number> {
  let counted = 0;
  let next = 0;
  const elapsed = await seconds(async () => {
    // As the batcher at full load: as many writes waiting as the store commits at once.
    const lanes = Array.from({ length: store.writesInFlight }, async () => {
      while (next < batches.length) {
        interrupted.signal.throwIfAborted();
        const written = await store.write(batches[next++]!);
        counted += written[signal][expected];
      }
    });
    await Promise.all(lanes);
  });
  checkCount(path, signal, expected, rowsIn(batches, signal), counted);
  return elapsed;
}

/** Cores of the machine busy (all processes) from now to the call of the answer. */
function machineBusy(): () => number {
  // node:os's counters (/proc/stat, which Deno reads only with --allow-all).
  const read = () => {
    let total = 0;
    let idle = 0;
    for (const cpu of cpus()) {
      const t = cpu.times;
      total += t.user + t.nice + t.sys + t.idle + t.irq;
      idle += t.idle;
    }
    return { total, idle };
  };
  const start = read();
  return () => {
    const end = read();
    const total = end.total - start.total;
    return total === 0 ? 0 : navigator.hardwareConcurrency * (1 - (end.idle - start.idle) / total);
  };
}

async function benchStore(
  database: BenchDatabase,
  path: string,
  config: DatabaseConfig,
  storeOptions: StoreOptions,
  work: Workload,
  duplicates: boolean,
): Promise<Measurement[]> {
  const store = await createStore(config, storeOptions);
  const results: Measurement[] = [];
  try {
    await store.migrate();
    for (const signal of SIGNALS) {
      await writeAll(store, path, work.warmup[signal], signal, "inserted");
      const batches = work.timed[signal];
      const busy = machineBusy();
      const elapsed = await writeAll(store, path, batches, signal, "inserted");
      // What the 2 cores had left: the server databases share them with Argus.
      console.error(
        `${database}, ${path}, ${signal}: cores of the machine busy ${busy().toFixed(2)} ` +
          `of ${navigator.hardwareConcurrency}`,
      );
      results.push(report({
        database,
        path,
        signal,
        rows: rowsIn(batches, signal),
        seconds: elapsed,
      }));
    }
    if (duplicates) {
      for (const signal of SIGNALS) {
        const batches = work.timed[signal];
        results.push(report({
          database,
          path,
          signal: `${signal}, duplicates`,
          rows: rowsIn(batches, signal),
          seconds: await writeAll(store, path, batches, signal, "duplicates"),
        }));
      }
    }
  } finally {
    await store.close();
  }
  return results;
}

async function benchStoreOnSqlite(
  dir: string,
  path: string,
  work: Workload,
  options: { throughKysely: boolean; duplicates: boolean; rollups?: boolean },
): Promise<Measurement[]> {
  const file = join(dir, `store_${path.replace(/\W+/g, "_")}.db`);
  const results = await benchStore(
    "sqlite",
    path,
    databaseConfig("sqlite", file),
    {
      dataDir: dir,
      sqliteWritesThroughKysely: options.throughKysely,
      rollups: options.rollups ?? true,
    },
    work,
    options.duplicates,
  );
  await removeSqliteFiles(file);
  return results;
}

// ---------------------------------------------------------------------------------------------
// Metrics on SQLite: the ingest benchmark's request (bench/_metrics_request.ts), 500 data points
// of 5 instruments (histograms of 15 buckets) x 10 series x 10 services, request after request.

const METRIC_POINTS = "metric points";

interface MetricWorkload {
  timed: Batch[];
  warmup: Batch[];
}

function buildMetricWorkload(): MetricWorkload {
  const now = BigInt(Date.now()) * 1_000_000n;
  return {
    // The warm-up's points a day before the timed ones: distinct, and the same series.
    warmup: metricBatches(WARMUP_BATCHES * BATCH_ROWS, BATCH_ROWS, now - 86_400_000_000_000n),
    timed: metricBatches(SQLITE_ROWS, BATCH_ROWS, now),
  };
}

async function benchRawMetrics(dir: string, work: MetricWorkload): Promise<Measurement[]> {
  const file = await migratedSqliteFile(dir, "raw_metrics.db");
  rawMetricInsert(file, work.warmup);
  const { points, seconds } = rawMetricInsert(file, work.timed);
  checkCount(RAW, "spans", "inserted", metricPointsIn(work.timed), points);
  await removeSqliteFiles(file);
  return [report({ database: "sqlite", path: RAW, signal: METRIC_POINTS, rows: points, seconds })];
}

function metricPointsIn(batches: readonly Batch[]): number {
  return batches.reduce((sum, b) => sum + (b.metrics?.length ?? 0), 0);
}

async function benchStoreMetrics(
  dir: string,
  path: string,
  work: MetricWorkload,
  throughKysely: boolean,
): Promise<Measurement[]> {
  const file = join(dir, `store_metrics_${path.replace(/\W+/g, "_")}.db`);
  const store = await createStore(databaseConfig("sqlite", file), {
    dataDir: dir,
    sqliteWritesThroughKysely: throughKysely,
  });
  let inserted = 0;
  let elapsed = 0;
  try {
    await store.migrate();
    for (const batch of work.warmup) await store.write(batch);
    elapsed = await seconds(async () => {
      for (const batch of work.timed) {
        interrupted.signal.throwIfAborted();
        inserted += (await store.write(batch)).metrics?.inserted ?? 0;
      }
    });
  } finally {
    await store.close();
  }
  await removeSqliteFiles(file);
  const rows = metricPointsIn(work.timed);
  if (inserted !== rows) {
    throw new Error(
      `Expected ${path} to report ${rows} metric points as inserted: it reported ${inserted}`,
    );
  }
  return [report({ database: "sqlite", path, signal: METRIC_POINTS, rows, seconds: elapsed })];
}

// ---------------------------------------------------------------------------------------------
// Server databases: a fresh database per run, created and dropped through an admin connection.

interface ServerDatabase {
  dsn: string;
  version: string;
  drop(): Promise<void>;
}

function freshDatabaseName(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return `argus_bench_${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function withDatabase(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function createPostgresDatabase(adminUrl: string): Promise<ServerDatabase> {
  const admin = new pg.Client({
    connectionString: adminUrl,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  const name = freshDatabaseName();
  try {
    await admin.connect();
    const version = (await admin.query("show server_version")).rows[0]?.server_version;
    await admin.query(`create database ${name}`);
    return {
      dsn: withDatabase(adminUrl, name),
      version: `PostgreSQL ${version}`,
      drop: async () => {
        try {
          await admin.query(`drop database if exists ${name} with (force)`);
        } finally {
          await admin.end();
        }
      },
    };
  } catch (error) {
    await admin.end().catch(() => {});
    throw error;
  }
}

async function createMysqlDatabase(adminUrl: string): Promise<ServerDatabase> {
  const admin = await mysql.createConnection({ uri: adminUrl, connectTimeout: CONNECT_TIMEOUT_MS });
  const name = freshDatabaseName();
  try {
    const [rows] = await admin.query("select version() as version");
    const version = (rows as { version: string }[])[0]?.version ?? "unknown version";
    await admin.query(`create database ${name}`);
    return {
      dsn: withDatabase(adminUrl, name),
      version: /mariadb/i.test(version) ? `MariaDB ${version}` : `MySQL ${version}`,
      drop: async () => {
        try {
          await admin.query(`drop database if exists ${name}`);
        } finally {
          await admin.end();
        }
      },
    };
  } catch (error) {
    await admin.end().catch(() => {});
    throw error;
  }
}

/** Batches committing at once in the in-flight measurement: DB_WRITES_IN_FLIGHT's default. */
const WRITES_IN_FLIGHT = 3;

/** The server path's name with `inFlight` batches committing at once. */
function serverPath(inFlight: number): string {
  return inFlight === 1 ? STORE_KYSELY : `${STORE_KYSELY}, ${inFlight} in flight`;
}

async function benchServer(
  driver: ServerDriver,
  adminUrl: string,
  work: Workload,
  inFlight: number,
): Promise<Result[]> {
  const path = serverPath(inFlight);
  let database: ServerDatabase;
  try {
    database = driver === "postgres"
      ? await createPostgresDatabase(adminUrl)
      : await createMysqlDatabase(adminUrl);
  } catch (error) {
    const note = `skipped: ${redactDsn(adminUrl)}: ${message(error) || String(error)}`;
    console.error(`${driver}: ${note}`);
    return [{ database: driver, path, note }];
  }
  console.error(`${driver}: ${database.version}, database ${redactDsn(database.dsn)}`);
  try {
    return await benchStore(
      driver,
      path,
      { ...databaseConfig(driver, database.dsn), writesInFlight: inFlight },
      { dataDir: "." },
      work,
      false,
    );
  } catch (error) {
    if (interrupted.signal.aborted) throw error;
    console.error(`${driver}: failed:`, error);
    Deno.exitCode = 1;
    return [{ database: driver, path, note: `failed: ${message(error)}` }];
  } finally {
    await database.drop();
  }
}

// ---------------------------------------------------------------------------------------------

function report(m: Measurement): Measurement {
  console.error(
    `${m.database}, ${m.path}, ${m.signal}: ${m.rows} rows in ${m.seconds.toFixed(2)} s, ` +
      `${Math.round(rowsPerSecond(m))} rows/s`,
  );
  return m;
}

function slice(work: Workload, rows: number): Workload {
  const batches = Math.ceil(rows / BATCH_ROWS);
  return {
    timed: { spans: work.timed.spans.slice(0, batches), logs: work.timed.logs.slice(0, batches) },
    warmup: work.warmup,
  };
}

/** Other work on the machine lowers the figures and widens their range: show how much ran. */
function loadAverage(): string {
  return `load average ${Deno.loadavg().map((n) => n.toFixed(2)).join(", ")}`;
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}

function machine(): string {
  // node:os rather than /proc/cpuinfo, which Deno reads only with --allow-all.
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const memory = new DatabaseSync(":memory:");
  const sqlite = memory.prepare("select sqlite_version() as v").get()?.v;
  memory.close();
  return `${navigator.hardwareConcurrency} cores (${cpu}), ${Deno.build.os} ${Deno.osRelease()}; ` +
    `Deno ${Deno.version.deno}, V8 ${Deno.version.v8}, SQLite ${sqlite}`;
}

async function main(): Promise<void> {
  const options = readOptions(Deno.env.toObject());
  const started = performance.now();
  console.log(`Argus insert benchmark, ${new Date().toISOString()}`);
  console.log(`machine: ${machine()}; ${loadAverage()}`);
  console.log(
    `rows: ${count(SQLITE_ROWS)} spans and ${count(SQLITE_ROWS)} logs per SQLite measurement, ` +
      `${count(SERVER_ROWS)} per server measurement, in batches of ${count(BATCH_ROWS)} ` +
      `(one transaction each; on the servers one at a time, then ${WRITES_IN_FLIGHT} in flight ` +
      `as DB_WRITES_IN_FLIGHT's default), after ${WARMUP_BATCHES} untimed warm-up batches; ` +
      `${ROUNDS} rounds, each measurement on a fresh database`,
  );

  const built = performance.now();
  const work: Workload = {
    timed: buildSignalBatches(Math.max(SQLITE_ROWS, SERVER_ROWS), 1),
    warmup: buildSignalBatches(WARMUP_BATCHES * BATCH_ROWS, 2),
  };
  console.log(
    `workload: 3 services, spans with 12 attributes (~${
      averageRowChars(work.timed.spans.slice(0, 5), "spans")
    } characters of values per row), logs ~${
      averageRowChars(work.timed.logs.slice(0, 5), "logs")
    }; built in ${((performance.now() - built) / 1000).toFixed(1)} s before timing`,
  );

  const metrics = buildMetricWorkload();
  const dir = await Deno.makeTempDir({ prefix: "argus-bench-" });
  const sqlite = slice(work, SQLITE_ROWS);
  const servers = slice(work, SERVER_ROWS);
  const steps: { name: string; run: () => Promise<Result[]> }[] = [
    // Always: every percentage refers to it.
    {
      name: RAW,
      run: () => benchRawSqlite(dir, RAW, sqlite, { dropIndexes: false, duplicates: true }),
    },
  ];
  if (options.databases.includes("sqlite")) {
    steps.push(
      {
        name: RAW_NO_INDEXES,
        run: () =>
          benchRawSqlite(dir, RAW_NO_INDEXES, sqlite, { dropIndexes: true, duplicates: false }),
      },
      {
        name: STORE_PREPARED,
        run: () =>
          benchStoreOnSqlite(dir, STORE_PREPARED, sqlite, {
            throughKysely: false,
            duplicates: true,
          }),
      },
      {
        name: STORE_NO_ROLLUPS,
        run: () =>
          benchStoreOnSqlite(dir, STORE_NO_ROLLUPS, sqlite, {
            throughKysely: false,
            duplicates: false,
            rollups: false,
          }),
      },
      {
        name: STORE_KYSELY,
        run: () =>
          benchStoreOnSqlite(dir, STORE_KYSELY, sqlite, { throughKysely: true, duplicates: false }),
      },
      { name: `${RAW}, metrics`, run: () => benchRawMetrics(dir, metrics) },
      {
        name: `${STORE_PREPARED}, metrics`,
        run: () => benchStoreMetrics(dir, STORE_PREPARED, metrics, false),
      },
      {
        name: `${STORE_KYSELY}, metrics`,
        run: () => benchStoreMetrics(dir, STORE_KYSELY, metrics, true),
      },
    );
  }
  for (const driver of ["postgres", "mysql"] as const) {
    if (!options.databases.includes(driver)) continue;
    for (const inFlight of [1, WRITES_IN_FLIGHT]) {
      steps.push({
        name: `${driver}, ${serverPath(inFlight)}`,
        run: () => benchServer(driver, options.adminUrls[driver], servers, inFlight),
      });
    }
  }

  const results: Result[] = [];
  /** Steps skipped once (a server that is not there) are not tried again in later rounds. */
  const skipped = new Set<string>();
  Deno.addSignalListener("SIGINT", onInterrupt);
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      console.error(`round ${round} of ${ROUNDS}`);
      for (const step of steps) {
        if (skipped.has(step.name)) continue;
        const stepResults = await step.run();
        if (stepResults.some((r) => "note" in r && r.note.startsWith("skipped"))) {
          skipped.add(step.name);
        }
        results.push(...stepResults);
      }
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
    await Deno.remove(dir, { recursive: true });
  }

  const summaries = summarize(results);
  const baseline = (result: Summary) =>
    summaries.find((s): s is Summary =>
      !("note" in s) && s.database === "sqlite" && s.path === RAW && s.signal === result.signal
    );
  console.log();
  console.log(
    `rows/s: median of ${ROUNDS} runs (range: all runs); seconds: of the median run; ` +
      `% of raw: of the raw node:sqlite baseline's median for the same signal`,
  );
  console.log(
    markdownTable(summaries.map((s) => cells(s, "note" in s ? undefined : baseline(s)))),
  );
  console.log();
  console.log(
    `whole bench: ${
      ((performance.now() - started) / 1000).toFixed(0)
    } s; at the end ${loadAverage()}`,
  );
}

if (import.meta.main) await main();
