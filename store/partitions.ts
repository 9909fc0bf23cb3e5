/**
 * PostgreSQL's time partitions of spans, logs and their attribute index (the tables migration
 * 2026_12_15_time_partitions made partitioned) and of metric points, exemplars and rollup points
 * (2026_12_19_metric_partitions): creating them ahead of time, and dropping whole partitions for
 * retention instead of deleting their rows.
 *
 * Layout of each table: one partition per `PARTITION_INTERVAL` (a day by default, aligned on UTC
 * midnight, so on the Unix epoch), named `<table>_p<YYYYMMDDHH>` after its first hour; a DEFAULT
 * partition (`<table>_default`) holding rows no other partition covers (times far behind or ahead
 * of now); after a migration, `<table>_legacy`, the table as it was, covering every time before the
 * migration's next midnight. Bounds are in the table's time column: nanoseconds for spans, logs
 * and metric points, 10-minute buckets for the attribute index.
 *
 * Creating (`ensureAhead`): the partitions of the current interval and of `PARTITIONS_AHEAD` more
 * exist after each call, at start and every so often in every replica; a transaction-level
 * advisory lock makes concurrent calls wait for each other, and a range some partition covers
 * already (the legacy one, or one of another interval length) is not created again. A new
 * partition is made as a table of the parent's shape and then attached, which takes a SHARE
 * UPDATE EXCLUSIVE lock on the parent (reads and inserts go on) and an ACCESS EXCLUSIVE lock on
 * the default partition while it is checked; rows the default partition holds in the new range
 * (stored while Argus was down past the partitions it had made) are moved into the new one.
 *
 * Dropping (`dropBefore`): each partition whose range ends at or before the cutoff is locked,
 * counted (for the purge's figures) and dropped. DROP takes an ACCESS EXCLUSIVE lock on the
 * parent, which waits for the statements running on it and holds back those that come after:
 * the wait is bounded by `PARTITION_LOCK_TIMEOUT` (2 s by default) and retried a few times, then
 * the purge fails (the next pass tries again) rather than stall ingest behind it. Rows before the
 * cutoff in partitions that are not wholly before it (the default and legacy ones, the interval
 * the cutoff falls in) are then deleted by the purge's chunked DELETE, as on the other databases;
 * the retention worker rounds its cutoff down to an interval boundary so that it deletes none
 * in the daily partitions.
 *
 * @module
 */
import { type Kysely, sql } from "kysely";
import type { Database } from "./columns.ts";
import { BUCKET_NS } from "./attribute_index.ts";

/** The tables partitioned by time, their partition column and its unit in nanoseconds. */
export const PARTITIONED_TABLES = {
  spans: { column: "start_time_unix_nano", unitNs: 1n },
  logs: { column: "time_unix_nano", unitNs: 1n },
  span_attributes: { column: "bucket", unitNs: BUCKET_NS },
  log_attributes: { column: "bucket", unitNs: BUCKET_NS },
  metric_points: { column: "time_unix_nano", unitNs: 1n },
  metric_exemplars: { column: "point_time_unix_nano", unitNs: 1n },
  metric_rollup_points: { column: "time_unix_nano", unitNs: 1n },
} as const;

export type PartitionedTable = keyof typeof PARTITIONED_TABLES;

export const DEFAULT_PARTITION_INTERVAL_MS = 86_400_000;
export const DEFAULT_PARTITIONS_AHEAD = 3;
export const DEFAULT_PARTITION_LOCK_TIMEOUT_MS = 2_000;
/** Attempts at dropping one partition before the purge gives up (each waits the lock timeout). */
const DROP_ATTEMPTS = 3;
/** The advisory lock serialising `ensureAhead` across replicas ("argus_partitions" as a number). */
const ADVISORY_LOCK = 7_214_853_369_041n;

export interface PartitionOptions {
  /** Length of one partition in milliseconds: a whole number of hours (PARTITION_INTERVAL). */
  intervalMs?: number;
  /** Partitions made after the current one (PARTITIONS_AHEAD). */
  ahead?: number;
  /** Longest wait for the lock a partition's creation or drop takes (PARTITION_LOCK_TIMEOUT). */
  lockTimeoutMs?: number;
}

/** One partition: its range in the table's unit, `from` and `to` absent for MINVALUE/MAXVALUE. */
export interface Partition {
  name: string;
  isDefault: boolean;
  from?: bigint;
  to?: bigint;
}

/** [from, to) in a table's unit; undefined ends are unbounded. */
export interface Range {
  from?: bigint;
  to?: bigint;
}

/** A partition's bound as `pg_get_expr` prints it, or undefined for DEFAULT. */
export function parseBound(expression: string): Range | "default" {
  if (/^DEFAULT$/i.test(expression.trim())) return "default";
  const match = /FROM \((MINVALUE|'?(-?\d+)'?)\) TO \((MAXVALUE|'?(-?\d+)'?)\)/i.exec(expression);
  if (match === null) {
    throw new Error(`Cannot read the partition bound ${JSON.stringify(expression)}`);
  }
  return {
    ...(match[2] === undefined ? {} : { from: BigInt(match[2]) }),
    ...(match[4] === undefined ? {} : { to: BigInt(match[4]) }),
  };
}

/** The parts of `wanted` that no range of `covered` holds. */
export function missingRanges(
  wanted: Required<Range>,
  covered: readonly Range[],
): Required<Range>[] {
  let gaps: Required<Range>[] = [wanted];
  for (const c of covered) {
    const next: Required<Range>[] = [];
    for (const gap of gaps) {
      const from = c.from ?? gap.from;
      const to = c.to ?? gap.to;
      if (to <= gap.from || from >= gap.to) {
        next.push(gap);
        continue;
      }
      if (from > gap.from) next.push({ from: gap.from, to: from });
      if (to < gap.to) next.push({ from: to, to: gap.to });
    }
    gaps = next;
  }
  return gaps;
}

/** The partitions of `table`, or undefined when it is not partitioned. */
export async function partitionsOf(
  db: Kysely<Database>,
  table: PartitionedTable,
): Promise<Partition[] | undefined> {
  const { rows: kind } = await sql<{ relkind: string }>`
    select relkind from pg_class where oid = to_regclass(${table})`.execute(db);
  if (kind[0]?.relkind !== "p") return undefined;
  const { rows } = await sql<{ name: string; bound: string }>`
    select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
    from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = to_regclass(${table})`.execute(db);
  return rows.map(({ name, bound }) => {
    const range = parseBound(bound);
    return range === "default" ? { name, isDefault: true } : { name, isDefault: false, ...range };
  });
}

/** `<table>_p<YYYYMMDDHH>` of the partition starting at `fromNs`. */
export function partitionName(table: PartitionedTable, fromNs: bigint): string {
  const iso = new Date(Number(fromNs / 1_000_000n)).toISOString();
  return `${table}_p${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}`;
}

/** Creates and drops the time partitions of one PostgreSQL database. */
export class Partitions {
  readonly #db: Kysely<Database>;
  readonly intervalNs: bigint;
  readonly #ahead: number;
  readonly #lockTimeoutMs: number;

  constructor(db: Kysely<Database>, options: PartitionOptions = {}) {
    const intervalMs = options.intervalMs ?? DEFAULT_PARTITION_INTERVAL_MS;
    if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0 || intervalMs % 3_600_000 !== 0) {
      throw new RangeError(
        `Cannot use 'intervalMs' as it must be a whole number of hours: current value is ${intervalMs}`,
      );
    }
    this.#db = db;
    this.intervalNs = BigInt(intervalMs) * 1_000_000n;
    this.#ahead = options.ahead ?? DEFAULT_PARTITIONS_AHEAD;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_PARTITION_LOCK_TIMEOUT_MS;
  }

  /** The interval boundary at or before `ns`. */
  alignDown(ns: bigint): bigint {
    const rest = ((ns % this.intervalNs) + this.intervalNs) % this.intervalNs;
    return ns - rest;
  }

  /**
   * Makes the partitions of the interval holding `nowNs` and of the `ahead` following ones, for
   * every partitioned table; answers the names of those it created.
   */
  async ensureAhead(nowNs: bigint): Promise<string[]> {
    const created: string[] = [];
    const first = this.alignDown(nowNs);
    await this.#db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${ADVISORY_LOCK.toString()}::bigint)`.execute(trx);
      await sql.raw(`set local lock_timeout = ${this.#lockTimeoutMs}`).execute(trx);
      for (const table of Object.keys(PARTITIONED_TABLES) as PartitionedTable[]) {
        const partitions = await partitionsOf(trx, table);
        if (partitions === undefined) continue;
        const { unitNs } = PARTITIONED_TABLES[table];
        const covered = partitions.filter((p) => !p.isDefault);
        const fallback = partitions.find((p) => p.isDefault);
        for (let k = 0; k <= this.#ahead; k++) {
          const fromNs = first + BigInt(k) * this.intervalNs;
          const wanted = { from: fromNs / unitNs, to: (fromNs + this.intervalNs) / unitNs };
          for (const gap of missingRanges(wanted, covered)) {
            const name = partitionName(table, gap.from * unitNs);
            await createPartition(trx, table, name, gap, fallback?.name);
            covered.push({ name, isDefault: false, ...gap });
            created.push(name);
          }
        }
      }
    });
    return created;
  }

  /**
   * Drops the partitions of `table` whose whole range is before `below` (in the table's unit);
   * answers how many rows they held and their names.
   */
  async dropBefore(
    table: PartitionedTable,
    below: bigint,
    abort?: AbortSignal,
  ): Promise<{ rows: number; dropped: string[] }> {
    const partitions = await partitionsOf(this.#db, table);
    const out = { rows: 0, dropped: [] as string[] };
    if (partitions === undefined) return out;
    const gone = partitions.filter((p) => !p.isDefault && p.to !== undefined && p.to <= below)
      .sort((a, b) => (a.to! < b.to! ? -1 : 1));
    for (const partition of gone) {
      abort?.throwIfAborted();
      out.rows += await this.#drop(partition.name);
      out.dropped.push(partition.name);
    }
    return out;
  }

  async #drop(name: string): Promise<number> {
    for (let attempt = 1;; attempt++) {
      try {
        return await this.#db.transaction().execute(async (trx) => {
          await sql.raw(`set local lock_timeout = ${this.#lockTimeoutMs}`).execute(trx);
          // Locked first: rows stored into it meanwhile are counted before they go.
          await sql`lock table ${sql.table(name)} in access exclusive mode`.execute(trx);
          const { rows } = await sql<{ n: string }>`select count(*) as n from ${sql.table(name)}`
            .execute(trx);
          await sql`drop table ${sql.table(name)}`.execute(trx);
          return Number(rows[0]?.n ?? 0);
        });
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code !== "55P03" || attempt >= DROP_ATTEMPTS) {
          throw new Error(
            `Cannot drop the partition ${name}${
              code === "55P03"
                ? ` as its table stayed busy past PARTITION_LOCK_TIMEOUT (${this.#lockTimeoutMs} ms) ` +
                  `${DROP_ATTEMPTS} times; the next purge tries again`
                : ""
            }: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          );
        }
      }
    }
  }
}

/**
 * Makes partition `name` of `table` for `range`: a table of the parent's shape, the rows the
 * default partition holds in that range moved into it, then attached.
 */
async function createPartition(
  trx: Kysely<Database>,
  table: PartitionedTable,
  name: string,
  range: Required<Range>,
  defaultName: string | undefined,
): Promise<void> {
  const { column } = PARTITIONED_TABLES[table];
  const from = range.from.toString(), to = range.to.toString();
  await sql`create table ${sql.table(name)} (like ${sql.table(table)} including all)`.execute(trx);
  // Proves the range to ATTACH, which then does not scan the table.
  await sql`alter table ${sql.table(name)} add constraint ${sql.ref(`${name}_range`)}
    check (${sql.ref(column)} >= ${sql.lit(from)} and ${sql.ref(column)} < ${sql.lit(to)})`
    .execute(trx);
  if (defaultName !== undefined) {
    await sql`with moved as (
        delete from ${sql.table(defaultName)}
        where ${sql.ref(column)} >= ${from} and ${sql.ref(column)} < ${to} returning *)
      insert into ${sql.table(name)} select * from moved`.execute(trx);
  }
  await sql`alter table ${sql.table(table)} attach partition ${sql.table(name)}
    for values from (${sql.lit(from)}) to (${sql.lit(to)})`.execute(trx);
}
