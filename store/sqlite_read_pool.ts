/**
 * SQLite reads off the main thread: a few reader threads (`DB_READ_WORKERS`), each with a
 * read-only connection of its own (WAL lets them read beside the writer thread), behind a Kysely
 * dialect, so that `Queries` and `RollupQueries` stay the one source of SQL.
 *
 * Why: `node:sqlite` is synchronous. On the main thread one slow read (a 24-hour attribute
 * search on 1.58 M spans took 30.9 s) froze everything with it: `/api/health` took 30.4 s and a
 * 1-span OTLP export 37.7 s. On a reader thread it only occupies that thread.
 *
 * Deadlines: each statement carries one, the earliest of its caller's (`withQueryDeadline`, set
 * per API request from QUERY_TIMEOUT) and `statementTimeoutMs` after it was asked for. At the
 * deadline the caller gets `QueryDeadlineError` at once, and the statement is stopped inside
 * SQLite (sqlite_reader_worker.js explains how): every SELECT with a FROM gets one more condition,
 * `argus_read_deadline_ok()` called for about one row in 1,024, which fails the statement past the
 * deadline. It costs 60–80 ns per row scanned (mostly `random()`; measured on 300 k spans: a
 * covering-index count 18 → ~50 ms, the attribute search 2.3 → 2.6–2.8 s), where calling the
 * function on every row cost 250 ns per row. A statement can still run on without scanning
 * (sorting or grouping what it has already read): a reader that has not answered `abandonAfterMs`
 * after its deadline is abandoned and replaced at once, so the pool keeps its readers; the
 * abandoned thread ends when its statement does (nothing in Deno 2.9.6 can end it earlier). At
 * most `maxAbandoned` (`workers`) threads are abandoned at a time: past that, reads wait for a
 * reader (and get their 503 at their deadline) rather than start ever more threads.
 *
 * Reads wait for a free reader in arrival order; a read whose deadline passes while it waits is
 * answered `QueryDeadlineError` and never started.
 *
 * @module
 */
import {
  AndNode,
  type CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  Kysely,
  type KyselyPlugin,
  OperationNodeTransformer,
  ParensNode,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryCompiler,
  type QueryId,
  type QueryResult,
  RawNode,
  type RootOperationNode,
  SelectQueryNode,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type UnknownRow,
  WhereNode,
} from "kysely";
import type { Database } from "./columns.ts";
import { READER_PRAGMAS, STATEMENT_CACHE_SIZE } from "./node_sqlite.ts";
import { currentQueryDeadline, QueryDeadlineError } from "./query_deadline.ts";

/**
 * The SQL function through which a reader's statement checks its deadline: registered by each
 * reader (sqlite_reader_worker.js), called by every statement sent (`ReadDeadlinePlugin`).
 */
export const READ_DEADLINE_FUNCTION = "argus_read_deadline_ok";

/** Messages to a reader thread (sqlite_reader_worker.js). */
export type ReaderRequest =
  | {
    kind: "open";
    id: number;
    path: string;
    pragmas: readonly string[];
    deadlineFunction: string;
    /** Prepared statements the reader keeps. */
    cacheSize: number;
  }
  | {
    kind: "query";
    id: number;
    sql: string;
    parameters: readonly unknown[];
    /** Epoch milliseconds at which the statement must stop; none when undefined. */
    deadlineMs?: number;
  }
  | { kind: "close"; id: number };

/**
 * A reader thread's answer to a query (or to close): rows as arrays of values in `columns` order
 * (the pool makes them objects, as Kysely expects, on this side: see sqlite_reader_worker.js).
 */
export type ReaderReply =
  | { id: number; ok: true; columns: string[]; rows: unknown[][] }
  | {
    id: number;
    ok: false;
    /** True when the statement was stopped by its deadline. */
    stopped: boolean;
    error: { name: string; message: string; code?: string };
  };

export interface SqliteReadPoolOptions {
  /** Reader threads (DB_READ_WORKERS), started on the first read. */
  workers: number;
  /**
   * Longest a statement may run, in milliseconds, when its caller set no earlier deadline
   * (QUERY_TIMEOUT); unbounded when unset.
   */
  statementTimeoutMs?: number;
  /**
   * Milliseconds past its deadline after which a reader whose statement has not stopped is
   * abandoned and replaced (1 s by default).
   */
  abandonAfterMs?: number;
  /**
   * Most abandoned threads still running their statement at a time (`workers` by default); past
   * it, an overdue reader stays in place and reads wait for it.
   */
  maxAbandoned?: number;
  /** Told when a reader is abandoned (for the log); the pool carries on. */
  onAbandoned?: (error: Error) => void;
}

/** A statement's rows as the reader sent them: arrays of values in `columns` order. */
export interface ReaderRows {
  columns: string[];
  rows: unknown[][];
}

/** What the pool is doing, for tests and diagnostics. */
export interface ReadPoolState {
  readers: number;
  /** Readers whose thread has not answered yet. */
  starting: number;
  busy: number;
  waiting: number;
  /** Threads abandoned past their deadline whose statement has not ended yet. */
  abandoned: number;
}

interface Job {
  sql: string;
  parameters: readonly unknown[];
  deadlineMs?: number;
  /** Milliseconds from the request to the deadline (for the error message). */
  budgetMs: number;
  reply: PromiseWithResolvers<ReaderRows>;
  settled: boolean;
  reader?: Reader;
  timer?: ReturnType<typeof setTimeout>;
}

interface Reader {
  worker: Worker;
  /** It answered "open": its thread runs (until then, no other reader is started). */
  ready: boolean;
  job?: Job;
  abandonTimer?: ReturnType<typeof setTimeout>;
  /** Its statement outlived the deadline and the grace: to abandon when the bound allows. */
  overdue?: boolean;
}

const DEFAULT_ABANDON_AFTER_MS = 1_000;
/** How long `close()` waits for an idle reader to close its connection before ending it. */
const CLOSE_WAIT_MS = 1_000;

export class SqliteReadPool {
  readonly #path: string;
  readonly #workers: number;
  readonly #statementTimeoutMs?: number;
  readonly #abandonAfterMs: number;
  readonly #maxAbandoned: number;
  readonly #onAbandoned: (error: Error) => void;
  readonly #readers: Reader[] = [];
  readonly #abandoned = new Set<Worker>();
  #waiting: Job[] = [];
  #nextId = 1;
  #closed = false;

  constructor(path: string, options: SqliteReadPoolOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new RangeError(
        `Cannot create the SQLite readers as 'workers' must be an integer of at least 1: ` +
          `current value is ${options.workers}`,
      );
    }
    this.#path = path;
    this.#workers = options.workers;
    this.#statementTimeoutMs = options.statementTimeoutMs;
    this.#abandonAfterMs = options.abandonAfterMs ?? DEFAULT_ABANDON_AFTER_MS;
    this.#maxAbandoned = options.maxAbandoned ?? options.workers;
    this.#onAbandoned = options.onAbandoned ?? (() => {});
  }

  state(): ReadPoolState {
    return {
      readers: this.#readers.length,
      starting: this.#readers.filter((r) => !r.ready).length,
      busy: this.#readers.filter((r) => r.job !== undefined).length,
      waiting: this.#waiting.length,
      abandoned: this.#abandoned.size,
    };
  }

  /** Runs one statement on a reader; its rows, or `QueryDeadlineError` at its deadline. */
  async execute(sql: string, parameters: readonly unknown[]): Promise<unknown[]> {
    const { columns, rows } = await this.executeRows(sql, parameters);
    return rowObjects(columns, rows);
  }

  /**
   * `execute()`'s rows as arrays, as the reader sent them: for a read of many rows whose caller
   * wants columns, without an object per row (store/trace_reads.ts's structure of a huge trace).
   */
  executeRows(sql: string, parameters: readonly unknown[]): Promise<ReaderRows> {
    if (this.#closed) return Promise.reject(new Error("The SQLite readers are closed"));
    const now = Date.now();
    const own = this.#statementTimeoutMs === undefined ? Infinity : now + this.#statementTimeoutMs;
    const earliest = Math.min(currentQueryDeadline() ?? Infinity, own);
    const deadlineMs = Number.isFinite(earliest) ? earliest : undefined;
    const job: Job = {
      sql,
      parameters,
      deadlineMs,
      budgetMs: deadlineMs === undefined ? Infinity : deadlineMs - now,
      reply: Promise.withResolvers<ReaderRows>(),
      settled: false,
    };
    if (deadlineMs !== undefined) {
      job.timer = setTimeout(() => this.#expire(job), Math.max(0, deadlineMs - now));
    }
    this.#waiting.push(job);
    this.#dispatch();
    return job.reply.promise;
  }

  /**
   * Starts every reader now rather than on demand, and resolves when their threads run (tests;
   * a caller that wants no first read to wait for a thread).
   */
  async start(): Promise<void> {
    while (!this.#closed && this.#readers.length < this.#workers) this.#spawn();
    while (!this.#closed && this.#readers.some((r) => !r.ready)) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Ends every reader thread; reads waiting or running are refused. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closed = new Error("The SQLite readers are closed");
    for (const job of this.#waiting) this.#settle(job, closed);
    this.#waiting = [];
    const readers = this.#readers.splice(0);
    await Promise.all(readers.map(async (reader) => {
      clearTimeout(reader.abandonTimer);
      if (reader.job !== undefined) {
        this.#settle(reader.job, closed);
      } else {
        // An idle reader closes its connection first, so that SQLite ends it cleanly.
        const answered = Promise.withResolvers<void>();
        reader.worker.onmessage = () => answered.resolve();
        reader.worker.onerror = (event) => {
          event.preventDefault();
          answered.resolve();
        };
        reader.worker.postMessage({ kind: "close", id: 0 } satisfies ReaderRequest);
        const timer = setTimeout(answered.resolve, CLOSE_WAIT_MS);
        await answered.promise;
        clearTimeout(timer);
      }
      reader.worker.terminate();
    }));
    for (const worker of this.#abandoned) worker.terminate();
    this.#abandoned.clear();
  }

  /**
   * Starts a reader thread. Threads start when a read finds every running one busy (up to
   * `workers`), one at a time, not all at once: an idle Argus keeps fewer, and a thread costs
   * ~25 MiB of memory once it has scanned.
   */
  #spawn(): Reader {
    const script = new URL("./sqlite_reader_worker.js", import.meta.url);
    if (script.protocol === "file:") {
      const permission = Deno.permissions.querySync({ name: "read", path: script });
      if (permission.state !== "granted") {
        throw new Deno.errors.NotCapable(
          `The SQLite reader threads cannot be loaded from ${script.pathname}: Argus needs read ` +
            "access to its own folder (deno task start grants --allow-read=. in it)",
        );
      }
    }
    const reader: Reader = { worker: new Worker(script, { type: "module" }), ready: false };
    reader.worker.onmessage = (event: MessageEvent<ReaderReply>) =>
      this.#answered(reader, event.data);
    reader.worker.onerror = (event) => {
      event.preventDefault();
      this.#failed(reader, new Error(`A SQLite reader thread failed: ${event.message}`));
    };
    reader.worker.postMessage(
      {
        kind: "open",
        id: 0,
        path: this.#path,
        pragmas: READER_PRAGMAS,
        deadlineFunction: READ_DEADLINE_FUNCTION,
        cacheSize: STATEMENT_CACHE_SIZE,
      } satisfies ReaderRequest,
    );
    this.#readers.push(reader);
    return reader;
  }

  /** Gives waiting reads to idle readers, oldest first, starting readers as needed. */
  #dispatch(): void {
    while (!this.#closed && this.#waiting.length > 0) {
      let reader = this.#readers.find((r) => r.job === undefined);
      if (reader === undefined) {
        // One thread starts at a time: reads wait for a starting one rather than start more,
        // and another starts only when every running one is busy.
        if (this.#readers.length >= this.#workers || this.#readers.some((r) => !r.ready)) return;
        try {
          reader = this.#spawn();
        } catch (error) {
          for (const job of this.#waiting.splice(0)) this.#settle(job, error);
          return;
        }
      }
      const job = this.#waiting.shift()!;
      if (job.settled) continue;
      reader.job = job;
      job.reader = reader;
      reader.worker.postMessage(
        {
          kind: "query",
          id: this.#nextId++,
          sql: job.sql,
          parameters: job.parameters,
          deadlineMs: job.deadlineMs,
        } satisfies ReaderRequest,
      );
    }
  }

  #answered(reader: Reader, reply: ReaderReply): void {
    if (!reader.ready) {
      // The answer to "open", which comes before any other.
      reader.ready = true;
      this.#dispatch();
      return;
    }
    const job = reader.job;
    reader.job = undefined;
    clearTimeout(reader.abandonTimer);
    reader.abandonTimer = undefined;
    reader.overdue = false;
    if (job !== undefined) {
      if (reply.ok) this.#settle(job, undefined, reply);
      else if (reply.stopped) this.#settle(job, new QueryDeadlineError(job.budgetMs));
      else this.#settle(job, rebuildError(reply.error));
    }
    this.#dispatch();
  }

  #failed(reader: Reader, error: Error): void {
    const index = this.#readers.indexOf(reader);
    if (index >= 0) this.#readers.splice(index, 1);
    clearTimeout(reader.abandonTimer);
    reader.worker.terminate();
    if (reader.job !== undefined) this.#settle(reader.job, error);
    this.#dispatch();
  }

  /** The deadline passed: the caller is answered now; a running statement stops by itself. */
  #expire(job: Job): void {
    this.#settle(job, new QueryDeadlineError(job.budgetMs));
    const reader = job.reader;
    if (reader === undefined) {
      this.#waiting = this.#waiting.filter((waiting) => waiting !== job);
      return;
    }
    if (reader.job !== job) return;
    reader.abandonTimer = setTimeout(() => {
      reader.abandonTimer = undefined;
      if (reader.job !== job) return;
      reader.overdue = true;
      this.#abandon(reader);
    }, this.#abandonAfterMs);
  }

  /** Replaces a reader whose statement outlived its deadline; the thread ends with it. */
  #abandon(reader: Reader): void {
    if (this.#abandoned.size >= this.#maxAbandoned) return; // it stays; reads wait for it
    const index = this.#readers.indexOf(reader);
    if (index < 0) return;
    this.#readers.splice(index, 1);
    const worker = reader.worker;
    this.#abandoned.add(worker);
    const ended = () => {
      worker.terminate();
      if (!this.#abandoned.delete(worker) || this.#closed) return;
      // A reader the bound kept in place is abandoned now that a place is free.
      const overdue = this.#readers.find((other) => other.overdue);
      if (overdue !== undefined) this.#abandon(overdue);
    };
    worker.onmessage = ended;
    worker.onerror = (event) => {
      event.preventDefault();
      ended();
    };
    this.#onAbandoned(
      new Error(
        `A SQLite reader did not stop ${this.#abandonAfterMs} ms after its read's deadline: ` +
          `it was replaced and ends when its statement does (${this.#abandoned.size} such)`,
      ),
    );
    this.#dispatch();
  }

  #settle(job: Job, error: unknown, rows?: ReaderRows): void {
    if (job.settled) return;
    job.settled = true;
    clearTimeout(job.timer);
    if (error === undefined) job.reply.resolve(rows ?? { columns: [], rows: [] });
    else job.reply.reject(error);
  }
}

/** Rows as objects keyed by column name; a later column of the same name wins, as node:sqlite's. */
function rowObjects(columns: readonly string[], rows: readonly unknown[][]): unknown[] {
  const out = new Array<Record<string, unknown>>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const values = rows[r]!;
    const row: Record<string, unknown> = {};
    for (let c = 0; c < columns.length; c++) row[columns[c]!] = values[c];
    out[r] = row;
  }
  return out;
}

/** Errors cross threads as their parts; the message and SQLite's code are what callers read. */
function rebuildError(parts: { name: string; message: string; code?: string }): Error {
  const error = new Error(parts.message);
  error.name = parts.name;
  if (parts.code !== undefined) Object.assign(error, { code: parts.code });
  return error;
}

// --- Kysely over the pool ------------------------------------------------------------------------

/**
 * The condition added to every SELECT with a FROM: true, and about once per 1,024 rows a call
 * of the deadline function. `random()` keeps the call rare and, being non-deterministic, makes
 * SQLite evaluate the condition per row rather than once per statement.
 */
const DEADLINE_CHECK_SQL =
  `(case when (random() & 1023) = 0 then ${READ_DEADLINE_FUNCTION}() else 1 end)`;
const DEADLINE_CHECK = RawNode.createWithSql(DEADLINE_CHECK_SQL);

class DeadlineCheckTransformer extends OperationNodeTransformer {
  protected override transformSelectQuery(
    node: SelectQueryNode,
    queryId?: QueryId,
  ): SelectQueryNode {
    const select = super.transformSelectQuery(node, queryId);
    if (select.from === undefined || hasDeadlineCheck(select)) return select;
    // The existing condition in parentheses: a raw `a or b` must not become `a or b and check`.
    const where = select.where === undefined
      ? WhereNode.create(DEADLINE_CHECK)
      : WhereNode.create(AndNode.create(ParensNode.create(select.where.where), DEADLINE_CHECK));
    return Object.freeze({ ...select, where });
  }
}

/**
 * True when the check is there already: a subquery built on the reader Kysely was transformed
 * when it was embedded, and is met again inside the outer query.
 */
function hasDeadlineCheck(select: SelectQueryNode): boolean {
  const condition = select.where?.where;
  const last = condition !== undefined && AndNode.is(condition) ? condition.right : condition;
  // Compared by text: the transformer copies every node it passes through.
  return last !== undefined && RawNode.is(last) &&
    last.sqlFragments.join("") === DEADLINE_CHECK_SQL;
}

/** Makes every statement of the reader Kysely stoppable at its deadline (see the module doc). */
export class ReadDeadlinePlugin implements KyselyPlugin {
  readonly #transformer = new DeadlineCheckTransformer();

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node, args.queryId);
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}

class ReadConnection implements DatabaseConnection {
  constructor(private readonly pool: SqliteReadPool) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const rows = await this.pool.execute(compiledQuery.sql, compiledQuery.parameters);
    return { rows: rows as R[] };
  }

  // deno-lint-ignore require-yield -- never streams
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new TypeError("Cannot stream from the SQLite readers as they answer whole results");
  }
}

class ReadDriver implements Driver {
  readonly #connection: ReadConnection;
  constructor(private readonly pool: SqliteReadPool) {
    this.#connection = new ReadConnection(pool);
  }
  async init(): Promise<void> {}
  // The pool hands statements to readers itself: one stateless connection serves every caller.
  acquireConnection(): Promise<DatabaseConnection> {
    return Promise.resolve(this.#connection);
  }
  beginTransaction(): Promise<void> {
    return Promise.reject(
      new TypeError(
        "Cannot begin a transaction on the SQLite readers as they only read: use the store's " +
          "own connection",
      ),
    );
  }
  commitTransaction(): Promise<void> {
    return this.beginTransaction();
  }
  rollbackTransaction(): Promise<void> {
    return this.beginTransaction();
  }
  async releaseConnection(): Promise<void> {}
  destroy(): Promise<void> {
    return this.pool.close();
  }
}

/** Kysely's SQLite dialect with statements run by a `SqliteReadPool`. */
export class SqliteReadDialect implements Dialect {
  constructor(private readonly pool: SqliteReadPool) {}
  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }
  createDriver(): Driver {
    return new ReadDriver(this.pool);
  }
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

/** A Kysely instance whose reads run on `pool`, each stoppable at its deadline. */
export function readerDatabase(pool: SqliteReadPool): Kysely<Database> {
  const db = new Kysely<Database>({
    dialect: new SqliteReadDialect(pool),
    plugins: [new ReadDeadlinePlugin()],
  });
  POOLS.set(db, pool);
  return db;
}

const POOLS = new WeakMap<Kysely<Database>, SqliteReadPool>();

/**
 * The pool behind a Kysely made by `readerDatabase()`, else undefined: for a read that compiles its
 * query with that Kysely (deadline check included) and wants the rows as arrays (`executeRows`).
 */
export function readerPoolOf(db: Kysely<Database>): SqliteReadPool | undefined {
  return POOLS.get(db);
}
