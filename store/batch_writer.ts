/**
 * Writing a batch: validate every item, drop repeated keys, commit the rest in one transaction,
 * and, when the database refuses the batch for a reason other than being unavailable, find the
 * poison rows one by one so that their neighbours are still stored.
 *
 * Two ways to commit, chosen by the dialect: Kysely statements (PostgreSQL, MySQL, SQL Server,
 * and SQLite in benchmarks), or, for SQLite, prepared statements on a writer thread
 * (sqlite_writer.ts), since SQLite's single writer is Argus's ceiling.
 *
 * @module
 */
import type { Kysely } from "kysely";
import type { Database, LogsTable, ResourcesTable, SpansTable } from "./columns.ts";
import { logToDb, resourceToDb, spanToDb, TABLE_KEYS } from "./columns.ts";
import type { DialectCapabilities } from "./dialects.ts";
import { screenBatch, type ScreenedBatch, type ValidationLimits } from "./row_validation.ts";
import type { Batch, Rejection, SignalWriteResult, WriteResult } from "./types.ts";

/** The database cannot be reached now: the caller keeps the batch (dead-letter queue) and retries. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StoreUnavailableError";
  }
}

/** Rows ready for the database, all valid and with distinct keys. */
export interface DbRows {
  resources: ResourcesTable[];
  spans: SpansTable[];
  logs: LogsTable[];
}

/** Commits rows in one transaction and returns how many spans and logs were newly inserted. */
export interface RowCommitter {
  commit(rows: DbRows): Promise<{ spans: number; logs: number }>;
}

/** Commits through Kysely, chunking statements to the dialect's parameter and size limits. */
export class KyselyCommitter implements RowCommitter {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  async commit(rows: DbRows): Promise<{ spans: number; logs: number }> {
    const caps = this.capabilities;
    return await this.db.transaction().execute(async (trx) => {
      for (const chunk of chunks(rows.resources, caps)) {
        await caps.insertIfAbsent(trx, "resources", TABLE_KEYS.resources, chunk);
      }
      let spans = 0;
      for (const chunk of chunks(rows.spans, caps)) {
        spans += await caps.insertIfAbsent(trx, "spans", TABLE_KEYS.spans, chunk);
      }
      let logs = 0;
      for (const chunk of chunks(rows.logs, caps)) {
        logs += await caps.insertIfAbsent(trx, "logs", TABLE_KEYS.logs, chunk);
      }
      return { spans, logs };
    });
  }
}

/** Splits rows so that each statement stays under the dialect's parameter and byte limits. */
export function* chunks<T extends object>(
  rows: readonly T[],
  caps: Pick<DialectCapabilities, "maxParameters" | "maxStatementBytes">,
): Generator<T[]> {
  if (rows.length === 0) return;
  const perRow = Object.keys(rows[0]!).length;
  const maxRows = Math.max(1, Math.floor(caps.maxParameters / perRow));
  let chunk: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = approximateBytes(row);
    if (chunk.length > 0 && (chunk.length >= maxRows || bytes + size > caps.maxStatementBytes)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(row);
    bytes += size;
  }
  yield chunk;
}

function approximateBytes(row: object): number {
  let bytes = 0;
  for (const value of Object.values(row)) {
    // Strings may be sent as UTF-8 (3 bytes per UTF-16 unit at most) and escaped.
    bytes += typeof value === "string" ? value.length * 3 + 8 : 16;
  }
  return bytes;
}

/** Prepared rows of one signal: what goes to the database and what was refused. */
interface Prepared<Row> {
  rows: Row[];
  /** Index in the batch of each entry of `rows`. */
  indexes: number[];
  rejected: Rejection[];
  /** Items skipped because an earlier item of the same batch has the same key. */
  repeated: number;
}

/**
 * Maps items to table rows. Where the dialect cannot take a key twice in one statement, items
 * whose key an earlier item has are dropped here; elsewhere the database skips them itself (the
 * second insert of a key conflicts with the first), which costs less than a set of keys.
 */
function prepare<In, Row>(
  items: readonly In[],
  indexes: readonly number[],
  rejected: Rejection[],
  key: ((item: In) => string) | undefined,
  toDb: (item: In) => Row,
): Prepared<Row> {
  if (key === undefined) {
    return { rows: items.map(toDb), indexes: [...indexes], rejected, repeated: 0 };
  }
  const prepared: Prepared<Row> = { rows: [], indexes: [], rejected, repeated: 0 };
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const k = key(item);
    if (seen.has(k)) {
      prepared.repeated++;
      return;
    }
    seen.add(k);
    prepared.rows.push(toDb(item));
    prepared.indexes.push(indexes[i]!);
  });
  return prepared;
}

function result(prepared: Prepared<unknown>, inserted: number): SignalWriteResult {
  return {
    inserted,
    duplicates: prepared.repeated + (prepared.rows.length - inserted),
    rejected: prepared.rejected.sort((a, b) => a.index - b.index),
  };
}

/** A batch the caller screened already, in the shape screenBatch gives. */
function trusted(batch: Batch): ScreenedBatch {
  const seen = new Set<string>();
  return {
    batch: {
      resources: batch.resources.filter((r) => !seen.has(r.id) && seen.add(r.id)),
      spans: batch.spans,
      logs: batch.logs,
    },
    spanIndexes: batch.spans.map((_, i) => i),
    logIndexes: batch.logs.map((_, i) => i),
    rejected: { spans: [], logs: [] },
  };
}

/** Validates, deduplicates and commits batches; isolates rows the database refuses. */
export class BatchWriter {
  constructor(
    private readonly committer: RowCommitter,
    private readonly capabilities: DialectCapabilities,
    private readonly limits: ValidationLimits,
  ) {}

  /** See `Store.write`; `prescreened` skips validation the caller already did (ingest). */
  async write(batch: Batch, prescreened = false): Promise<WriteResult> {
    const int64 = this.capabilities.int64;
    const screened = prescreened ? trusted(batch) : screenBatch(batch, this.limits);
    const unique = this.capabilities.repeatedKeysFail;
    const spans = prepare(
      screened.batch.spans,
      screened.spanIndexes,
      screened.rejected.spans,
      unique ? (s) => `${s.traceId}/${s.spanId}` : undefined,
      (s) => spanToDb(s, int64),
    );
    const logs = prepare(
      screened.batch.logs,
      screened.logIndexes,
      screened.rejected.logs,
      unique ? (l) => l.id : undefined,
      (l) => logToDb(l, int64),
    );
    const resources = screened.batch.resources.map(resourceToDb);
    const counts = await this.#commitOrIsolate(resources, spans, logs);
    return { spans: result(spans, counts.spans), logs: result(logs, counts.logs) };
  }

  async #commitOrIsolate(
    resources: ResourcesTable[],
    spans: Prepared<SpansTable>,
    logs: Prepared<LogsTable>,
  ): Promise<{ spans: number; logs: number }> {
    if (spans.rows.length === 0 && logs.rows.length === 0) return { spans: 0, logs: 0 };
    try {
      return await this.committer.commit({ resources, spans: spans.rows, logs: logs.rows });
    } catch (error) {
      this.#throwIfUnavailable(error);
    }
    // The database refused the batch for its content: commit row by row so that only the rows
    // it refuses are rejected. Slow, but only ever reached with data validation did not foresee.
    return {
      spans: await this.#isolate(spans, (row) => ({ resources, spans: [row], logs: [] }), "spans"),
      logs: await this.#isolate(logs, (row) => ({ resources, spans: [], logs: [row] }), "logs"),
    };
  }

  /** Commits each row alone; rows the database refuses move to `prepared.rejected`. */
  async #isolate<Row>(
    prepared: Prepared<Row>,
    alone: (row: Row) => DbRows,
    signal: "spans" | "logs",
  ): Promise<number> {
    let inserted = 0;
    const kept: Row[] = [];
    const keptIndexes: number[] = [];
    for (const [i, row] of prepared.rows.entries()) {
      try {
        inserted += (await this.committer.commit(alone(row)))[signal];
        kept.push(row);
        keptIndexes.push(prepared.indexes[i]!);
      } catch (error) {
        this.#throwIfUnavailable(error);
        prepared.rejected.push({
          index: prepared.indexes[i]!,
          reason: `the database refused it: ${error instanceof Error ? error.message : error}`,
        });
      }
    }
    prepared.rows = kept;
    prepared.indexes = keptIndexes;
    return inserted;
  }

  #throwIfUnavailable(error: unknown): void {
    if (this.capabilities.isUnavailable(error)) {
      throw new StoreUnavailableError(
        `The ${this.capabilities.driver} database is unavailable: ${
          error instanceof Error ? error.message : error
        }`,
        { cause: error },
      );
    }
  }
}
