/**
 * The metric rollup job (issue 16, item 4): builds `metric_rollup_points` (migration
 * 2026_12_12_metric_rollups.ts) so that a chart over a long window reads a few points per bucket
 * instead of every raw point (metric_reads.ts `chartPoints`). A bucket `[b, b + L)` of level
 * L = 60, 600 or 3600 s is rolled up by `rollUpBucket` (metric_rollup_points.ts): 60 s buckets from
 * the raw points, 600 s ones from the 60 s rollups, 3600 s ones from the 600 s rollups.
 *
 * Each run (every METRIC_ROLLUP_EVERY, at most METRIC_ROLLUP_BUDGET points read):
 * 1. Marks first: a mark (series, 60 s bucket) says a point came into a bucket whose rollups may
 *    be built (metric_table_rows.ts `lateMarks`, written with the point). In one transaction:
 *    delete the mark, rebuild the 60 s bucket from the raw points, then the enclosing 600 s and
 *    3600 s buckets from the finer rollups, each only where its level's `done_until` covers it.
 * 2. Advance each level over `[done_until, floor((now - LAG) / L) · L)` (600 s: up to the 60 s
 *    level's done_until, 3600 s: up to the 600 s one's), one bucket per transaction: move
 *    done_until, delete the bucket's rollup rows (and at 60 s its marks, which this read settles:
 *    a backfill marks every point, and is built once), read its points SERIES_PER_READ series at a
 *    time (memory holds those series' points, whatever the number of series), insert their
 *    rollups. On SQLite the transaction holds the write lock: a minute of points at a high rate
 *    (a million and more) delays point commits for its read, which the queue absorbs.
 *    Empty stretches are skipped with one index seek. On a new database a level starts at the
 *    first point's bucket (or at now - LAG).
 *
 * Races with point commits (the mark is the guard; a reader takes a marked bucket raw):
 * - SQLite: every transaction here starts with a write (the state update, the mark delete), so it
 *   holds the one write lock from before its read until its commit; a point commit is wholly
 *   before it (read by it) or wholly after, with its now (taken inside its transaction) past the
 *   job's, so at least LAG after the bucket's end: marked.
 * - PostgreSQL (READ COMMITTED) and MySQL (REPEATABLE READ): a point committed after the job's
 *   read of its bucket and not marked took its now before the bucket's end + 30 s
 *   (`LATE_AFTER_NS`), while the job read at or after the end + LAG: that transaction stayed open
 *   LAG - 30 s (90 s by default, at least 30 s) between inserting its points and committing, which
 *   DB_STATEMENT_TIMEOUT (10 s) per statement makes unlikely, not impossible. A mark inserted by
 *   a commit concurrent with the marks pass either waits for the pass's delete of it (then
 *   survives it) or is deleted by it before the pass's read (which then sees its point).
 * - One job per database: main.ts starts it gated by the `maintenance` lease (store/replicas.ts),
 *   so among replicas on one database only the lease's holder runs it. Two jobs at once (a run
 *   under way when its replica loses the lease) each rebuild: the result is the same, and
 *   done_until moves only from the value read, so a chunk is not skipped.
 *
 * @module
 */
import type { Kysely } from "kysely";
import { type Database, type MetricRollupPointsTable, TABLE_KEYS } from "./columns.ts";
import type { DialectCapabilities } from "./dialects/mod.ts";
import { chunks } from "./batch_writer.ts";
import {
  byPointKey,
  LAST_SEEN_SLACK_NS,
  metricPointFromDb,
  metricRollupPointFromDb,
  metricRollupPointToDb,
  type StoredMetricPoint,
} from "./metric_columns.ts";
import { rollUpBucket, type RollupStream } from "./metric_rollup_points.ts";
import { pointKeysPerStatement, pointsOf } from "./metric_points_of.ts";
import type { MetricType, Temporality } from "./metric_types.ts";
import type { Logger } from "../lib/logger.ts";

type Db = Kysely<Database>;

/** The rollup levels, in seconds: each a multiple of the one before. */
export const ROLLUP_LEVELS = [60, 600, 3600] as const;
export type RollupLevel = (typeof ROLLUP_LEVELS)[number];

const NS_PER_SECOND = 1_000_000_000n;
/**
 * Buckets per transaction when a level advances: one, so that a transaction (which holds SQLite's
 * write lock, and so delays point commits) covers one minute of points at the 60 s level.
 */
const CHUNK_BUCKETS = 1n;
/** Marks handled per run at most (each its own transaction), oldest first. */
const MARKS_PER_RUN = 1_000;
/** Series whose points one read of the job holds (see `rebuild`). */
const SERIES_PER_READ = 200;

export const DEFAULT_ROLLUP_EVERY_MS = 30_000;
export const DEFAULT_ROLLUP_LAG_MS = 120_000;
export const MIN_ROLLUP_LAG_MS = 60_000;
export const DEFAULT_ROLLUP_BUDGET = 500_000;

export interface MetricRollupOptions {
  /** Milliseconds from the end of a run to the next (METRIC_ROLLUP_EVERY). */
  everyMs?: number;
  /** Milliseconds after a bucket's end before it is built (METRIC_ROLLUP_LAG, at least 1 min). */
  lagMs?: number;
  /** Points (raw and rolled) read per run (METRIC_ROLLUP_BUDGET); at least one chunk is built. */
  budgetPoints?: number;
  logger?: Logger;
  /** Unix milliseconds (tests). */
  now?: () => number;
}

/** What one run did. */
export interface RollupRunResult {
  /** Buckets (of one series and one level) written, by level. */
  built: Record<RollupLevel, number>;
  marks: number;
  pointsRead: number;
  /** Per level, every bucket ending at or before it is built (Unix ns). */
  doneUntilNs: Record<RollupLevel, bigint>;
  /** False when the budget or the marks' cap stopped the run before all work was done. */
  caughtUp: boolean;
  durationMs: number;
}

function floorTo(ns: bigint, step: bigint): bigint {
  return ns - (((ns % step) + step) % step);
}

function levelNs(level: RollupLevel): bigint {
  return BigInt(level) * NS_PER_SECOND;
}

const int64 = (value: bigint | string | number) =>
  typeof value === "bigint" ? value : BigInt(value);

/** A point row with its instrument's stream kind. */
type StreamRow<T> = T & { type: string; temporality: string; monotonic: number | bigint };

function streamOf(row: StreamRow<unknown>): RollupStream {
  return {
    type: row.type as MetricType,
    temporality: row.temporality as Temporality,
    monotonic: Number(row.monotonic) === 1,
  };
}

/** The per-level `done_until` as stored (absent for a level not started). */
export async function rollupState(db: Db): Promise<Map<number, bigint>> {
  const rows = await db.selectFrom("metric_rollup_state").selectAll().execute();
  return new Map(rows.map((r) => [Number(r.level_seconds), int64(r.done_until_unix_nano)]));
}

/**
 * Rolls up the buckets of points read sorted by series, time and start: grouped by series and
 * the bucket of `level` their time falls in, each group given to `rollUpBucket`.
 */
function rollUp(
  points: readonly { point: StoredMetricPoint; stream: RollupStream }[],
  level: RollupLevel,
): { bucketNs: bigint; points: StoredMetricPoint[] }[] {
  const step = levelNs(level);
  const out: { bucketNs: bigint; points: StoredMetricPoint[] }[] = [];
  let i = 0;
  while (i < points.length) {
    const first = points[i]!;
    const bucketNs = floorTo(first.point.timeUnixNano, step);
    let j = i + 1;
    while (
      j < points.length && points[j]!.point.seriesKey === first.point.seriesKey &&
      floorTo(points[j]!.point.timeUnixNano, step) === bucketNs
    ) j++;
    const group = points.slice(i, j).map((p) => p.point);
    out.push({ bucketNs, points: rollUpBucket(first.stream, group) });
    i = j;
  }
  return out;
}

/**
 * The source points of level `level` in `[fromNs, toNs)` (of one series when `seriesKey` is
 * given), with their streams, sorted by series, time and start: raw points for 60 s, else the
 * rollups of the level below.
 */
async function sourcePoints(
  trx: Db,
  caps: DialectCapabilities,
  level: RollupLevel,
  fromNs: bigint,
  toNs: bigint,
  seriesKeys: readonly string[],
): Promise<{ point: StoredMetricPoint; stream: RollupStream }[]> {
  const from = caps.int64(fromNs) as bigint;
  const to = caps.int64(toNs) as bigint;
  if (level === 60) {
    // By the points' key (instrument, time, series, start: metric_reads.ts `pointsOf`), each
    // instrument's stream read once; sorted by series here, which the database would do the same.
    const rows = await pointsOf(trx, seriesKeys).selectAll()
      .where("time_unix_nano", ">=", from)
      .where("time_unix_nano", "<", to)
      .execute();
    const streams = await instrumentStreams(trx, rows.map((r) => r.instrument_key));
    return rows.map((row) => ({
      point: metricPointFromDb(row),
      stream: streams.get(row.instrument_key)!,
    })).sort((a, b) => byPointKey(a.point, b.point));
  }
  const below = level === 600 ? 60 : 600;
  const query = trx.selectFrom("metric_rollup_points as p")
    .innerJoin("metric_series as s", "s.series_key", "p.series_key")
    .innerJoin("metric_instruments as i", "i.key", "s.instrument_key")
    .selectAll("p")
    .select(["i.type", "i.temporality", "i.monotonic"])
    .where("p.level_seconds", "=", below)
    .where("p.time_unix_nano", ">=", from)
    .where("p.time_unix_nano", "<", to);
  const rows = await query.where("p.series_key", "in", seriesKeys)
    .orderBy("p.series_key").orderBy("p.time_unix_nano")
    .orderBy("p.start_time_unix_nano").execute();
  return rows.map((row) => ({
    point: metricRollupPointFromDb(row as MetricRollupPointsTable),
    stream: streamOf(row),
  }));
}

/** The rollup streams of the instruments `keys` (their type, temporality and monotonic). */
async function instrumentStreams(
  trx: Db,
  keys: readonly string[],
): Promise<Map<string, RollupStream>> {
  const unique = [...new Set(keys)];
  const streams = new Map<string, RollupStream>();
  if (unique.length === 0) return streams;
  const rows = await trx.selectFrom("metric_instruments")
    .select(["key", "type", "temporality", "monotonic"])
    .where("key", "in", unique).execute();
  for (const row of rows) streams.set(row.key, streamOf(row));
  return streams;
}

/**
 * Rebuilds the buckets of `level` in `[fromNs, toNs)` (of one series, or all): deletes their
 * rollup rows, reads the source points, inserts the rollups. In the caller's transaction, after
 * its first write. Answers the buckets written and the points read.
 */
async function rebuild(
  trx: Db,
  caps: DialectCapabilities,
  level: RollupLevel,
  fromNs: bigint,
  toNs: bigint,
  seriesKey?: string,
): Promise<{ built: number; read: number }> {
  let del = trx.deleteFrom("metric_rollup_points")
    .where("level_seconds", "=", level)
    .where("time_unix_nano", ">=", caps.int64(fromNs) as bigint)
    .where("time_unix_nano", "<", caps.int64(toNs) as bigint);
  if (seriesKey !== undefined) del = del.where("series_key", "=", seriesKey);
  await del.execute();
  // The series are read SERIES_PER_READ at a time (each a key range of the points or rollups), so
  // that memory holds a few series' points of the chunk whatever the number of series.
  const keys = seriesKey !== undefined ? [seriesKey] : await seriesSeenSince(trx, caps, fromNs);
  let built = 0;
  let read = 0;
  const perRead = Math.min(SERIES_PER_READ, pointKeysPerStatement(caps));
  for (let i = 0; i < keys.length; i += perRead) {
    const source = await sourcePoints(trx, caps, level, fromNs, toNs, keys.slice(i, i + perRead));
    const buckets = rollUp(source, level);
    const rows = buckets.flatMap((b) =>
      b.points.map((p) => metricRollupPointToDb(p, level, caps.int64))
    );
    for (const chunk of chunks(rows, caps)) {
      await trx.insertInto("metric_rollup_points").values(chunk).execute();
    }
    built += buckets.length;
    read += source.length;
  }
  return { built, read };
}

/**
 * The series that may have points at or after `fromNs`: those last seen since (last seen is a
 * point's time rounded down to the minute, so a minute earlier), by the last-seen index.
 */
async function seriesSeenSince(
  trx: Db,
  caps: DialectCapabilities,
  fromNs: bigint,
): Promise<string[]> {
  // By instrument, so that a read of SERIES_PER_READ series names few instruments, whose
  // points it then reads (see `sourcePoints`).
  const rows = await trx.selectFrom("metric_series").select("series_key")
    .where("last_seen_unix_nano", ">=", caps.int64(fromNs - LAST_SEEN_SLACK_NS) as bigint)
    .orderBy("instrument_key").orderBy("series_key").execute();
  return rows.map((r) => r.series_key);
}

/** Builds and keeps the metric rollups of one database (see the module's comment). */
export class MetricRollupJob {
  readonly #db: Db;
  readonly #caps: DialectCapabilities;
  readonly #everyMs: number;
  readonly #lagNs: bigint;
  readonly #budget: number;
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<RollupRunResult | undefined> | undefined;
  #stopped = false;
  #started = false;
  #shouldRun: () => boolean = () => true;

  constructor(db: Db, caps: DialectCapabilities, options: MetricRollupOptions = {}) {
    const everyMs = options.everyMs ?? DEFAULT_ROLLUP_EVERY_MS;
    const lagMs = options.lagMs ?? DEFAULT_ROLLUP_LAG_MS;
    const budget = options.budgetPoints ?? DEFAULT_ROLLUP_BUDGET;
    if (!Number.isSafeInteger(everyMs) || everyMs < 1) {
      throw new RangeError(
        `Cannot use 'everyMs' as it must be a positive integer: current value is ${everyMs}`,
      );
    }
    if (!Number.isSafeInteger(lagMs) || lagMs < MIN_ROLLUP_LAG_MS) {
      throw new RangeError(
        `Cannot use 'lagMs' as it must be an integer of at least ${MIN_ROLLUP_LAG_MS}: ` +
          `current value is ${lagMs}`,
      );
    }
    if (!Number.isSafeInteger(budget) || budget < 1) {
      throw new RangeError(
        `Cannot use 'budgetPoints' as it must be a positive integer: current value is ${budget}`,
      );
    }
    this.#db = db;
    this.#caps = caps;
    this.#everyMs = everyMs;
    this.#lagNs = BigInt(lagMs) * 1_000_000n;
    this.#budget = budget;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Schedules runs: the first after one interval, each next one an interval after a run ends.
   * `shouldRun` is checked before each: false skips that run (another replica holds the lease).
   */
  start(options: { shouldRun?: () => boolean } = {}): void {
    if (this.#stopped || this.#started) return;
    this.#started = true;
    if (options.shouldRun) this.#shouldRun = options.shouldRun;
    this.#schedule(this.#everyMs);
  }

  /** Cancels the next run and waits for a running one (each transaction of it commits whole). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /**
   * Runs now, or answers the run under way. Resolves with what it did, or undefined when it
   * failed (logged; the next run tries again) or the job is stopped.
   */
  runOnce(): Promise<RollupRunResult | undefined> {
    if (this.#running) return this.#running;
    if (this.#stopped) return Promise.resolve(undefined);
    const run = this.#logged().finally(() => {
      this.#running = undefined;
    });
    this.#running = run;
    return run;
  }

  /**
   * Runs until every level is built up to now - LAG and no mark is left (for the benchmark and
   * tests), answering the totals of its runs; throws what a run threw.
   */
  async catchUp(): Promise<RollupRunResult> {
    await this.#running?.catch(() => {});
    const started = performance.now();
    const built: Record<RollupLevel, number> = { 60: 0, 600: 0, 3600: 0 };
    let marks = 0;
    let pointsRead = 0;
    for (;;) {
      const result = await this.#run();
      for (const level of ROLLUP_LEVELS) built[level] += result.built[level];
      marks += result.marks;
      pointsRead += result.pointsRead;
      // What all the runs did together, and where the last one left each level.
      if (result.caughtUp) {
        return {
          ...result,
          built,
          marks,
          pointsRead,
          durationMs: Math.round(performance.now() - started),
        };
      }
    }
  }

  #schedule(delayMs: number): void {
    const timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#shouldRun()) {
        if (!this.#stopped) this.#schedule(this.#everyMs);
        return;
      }
      void this.runOnce().then(() => {
        if (!this.#stopped && this.#timer === undefined) this.#schedule(this.#everyMs);
      });
    }, delayMs);
    Deno.unrefTimer(timer as unknown as number);
    this.#timer = timer;
  }

  async #logged(): Promise<RollupRunResult | undefined> {
    try {
      const result = await this.#run();
      const fields = {
        built_60s: result.built[60],
        built_600s: result.built[600],
        built_3600s: result.built[3600],
        marks: result.marks,
        points_read: result.pointsRead,
        done_until: new Date(Number(result.doneUntilNs[60] / 1_000_000n)).toISOString(),
        caught_up: result.caughtUp,
        duration_ms: result.durationMs,
      };
      const any = result.built[60] + result.built[600] + result.built[3600] + result.marks > 0;
      if (any) this.#logger?.info("metric rollups", fields);
      else this.#logger?.debug("metric rollups", fields);
      return result;
    } catch (error) {
      this.#logger?.warn("metric rollups failed; they are tried again at the next run", {
        error,
      });
      return undefined;
    }
  }

  async #run(): Promise<RollupRunResult> {
    const started = performance.now();
    const nowNs = BigInt(this.#now()) * 1_000_000n;
    const built: Record<RollupLevel, number> = { 60: 0, 600: 0, 3600: 0 };
    let read = 0;
    let caughtUp = true;
    const done = await this.#initialState(nowNs);
    // 1. Marks, oldest first.
    const marks = await this.#caps.paginate(
      this.#db.selectFrom("metric_rollup_marks").selectAll()
        .orderBy("bucket_unix_nano").orderBy("series_key"),
      { limit: MARKS_PER_RUN, offset: 0 },
    ).execute();
    if (marks.length === MARKS_PER_RUN) caughtUp = false;
    let handled = 0;
    for (const mark of marks) {
      if (read >= this.#budget) {
        caughtUp = false;
        break;
      }
      const r = await this.#rebuildMark(mark.series_key, int64(mark.bucket_unix_nano), done);
      built[60] += r.built[60];
      built[600] += r.built[600];
      built[3600] += r.built[3600];
      read += r.read;
      handled++;
    }
    // 2. Each level in turn, up to its target.
    for (const level of ROLLUP_LEVELS) {
      const step = levelNs(level);
      const target = level === 60
        ? floorTo(nowNs - this.#lagNs, step)
        : floorTo(done.get(level === 600 ? 60 : 600)!, step);
      while (done.get(level)! < target) {
        if (read >= this.#budget) {
          caughtUp = false;
          break;
        }
        const r = await this.#advance(level, done.get(level)!, target);
        done.set(level, r.doneUntilNs);
        built[level] += r.built;
        read += r.read;
      }
    }
    return {
      built,
      marks: handled,
      pointsRead: read,
      doneUntilNs: { 60: done.get(60)!, 600: done.get(600)!, 3600: done.get(3600)! },
      caughtUp,
      durationMs: Math.round(performance.now() - started),
    };
  }

  /** The stored done_until of each level; a level not started starts at the first point. */
  async #initialState(nowNs: bigint): Promise<Map<number, bigint>> {
    const done = await rollupState(this.#db);
    if (ROLLUP_LEVELS.every((l) => done.has(l))) return done;
    const first = await this.#db.selectFrom("metric_points")
      .select((eb) => eb.fn.min("time_unix_nano").as("first")).executeTakeFirst();
    const firstNs = first?.first === null || first?.first === undefined
      ? nowNs - this.#lagNs
      : int64(first.first as bigint);
    for (const level of ROLLUP_LEVELS) {
      if (done.has(level)) continue;
      const start = floorTo(firstNs, levelNs(level));
      // Insert-if-absent: another instance may have started it meanwhile.
      await this.#caps.insertIfAbsent(
        this.#db,
        "metric_rollup_state",
        TABLE_KEYS.metric_rollup_state,
        [{
          level_seconds: level,
          done_until_unix_nano: this.#caps.int64(start),
        }],
      );
      done.set(level, start);
    }
    return rollupState(this.#db);
  }

  /**
   * One mark in one transaction: delete it, rebuild its series' 60 s bucket from the raw points
   * and the enclosing 600 s and 3600 s buckets from the finer rollups, each where built.
   */
  async #rebuildMark(
    seriesKey: string,
    bucketNs: bigint,
    done: ReadonlyMap<number, bigint>,
  ): Promise<{ built: Record<RollupLevel, number>; read: number }> {
    const caps = this.#caps;
    const built: Record<RollupLevel, number> = { 60: 0, 600: 0, 3600: 0 };
    let read = 0;
    await this.#db.transaction().execute(async (trx) => {
      // First a write: SQLite's write lock is held from here to the commit.
      await trx.deleteFrom("metric_rollup_marks")
        .where("series_key", "=", seriesKey)
        .where("bucket_unix_nano", "=", caps.int64(bucketNs) as bigint)
        .execute();
      for (const level of ROLLUP_LEVELS) {
        const step = levelNs(level);
        const from = floorTo(bucketNs, step);
        // Only buckets at or below the level's done_until; the others are built as it advances.
        if (from + step > done.get(level)!) break;
        const r = await rebuild(trx, caps, level, from, from + step, seriesKey);
        built[level] += r.built;
        read += r.read;
      }
    });
    return { built, read };
  }

  /**
   * One chunk of a level in one transaction: from `doneNs` to at most CHUNK_BUCKETS buckets
   * further (and `targetNs`), first skipping a stretch without source points.
   */
  async #advance(
    level: RollupLevel,
    doneNs: bigint,
    targetNs: bigint,
  ): Promise<{ doneUntilNs: bigint; built: number; read: number }> {
    const caps = this.#caps;
    const step = levelNs(level);
    const next = await this.#nextSourceTime(level, doneNs);
    const from = next === undefined || next >= targetNs
      ? targetNs
      : floorTo(next, step) > doneNs
      ? floorTo(next, step)
      : doneNs;
    const to = from >= targetNs ? targetNs : (() => {
      const end = from + CHUNK_BUCKETS * step;
      return end < targetNs ? end : targetNs;
    })();
    let result = { built: 0, read: 0 };
    await this.#db.transaction().execute(async (trx) => {
      // First a write (SQLite's lock), and only from the value read: a chunk is never skipped.
      const moved = await trx.updateTable("metric_rollup_state")
        .set({ done_until_unix_nano: caps.int64(to) })
        .where("level_seconds", "=", level)
        .where("done_until_unix_nano", "=", caps.int64(doneNs) as bigint)
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) {
        throw new Error(
          `Cannot advance the ${level} s metric rollups as their done_until must be ${doneNs}: ` +
            `another writer moved it`,
        );
      }
      if (to > from && level === 60) {
        // The chunk's points are read whole below: their marks (points written late, or before
        // their minute was first built, as a backfill's) are settled by it, not rebuilt again.
        await trx.deleteFrom("metric_rollup_marks")
          .where("bucket_unix_nano", ">=", caps.int64(from) as bigint)
          .where("bucket_unix_nano", "<", caps.int64(to) as bigint)
          .execute();
      }
      if (to > from) result = await rebuild(trx, caps, level, from, to);
    });
    return { doneUntilNs: to, ...result };
  }

  /** The time of the first source point of `level` at or after `fromNs`, if any (an index seek). */
  async #nextSourceTime(level: RollupLevel, fromNs: bigint): Promise<bigint | undefined> {
    const from = this.#caps.int64(fromNs) as bigint;
    const row = level === 60
      ? await this.#db.selectFrom("metric_points")
        .select((eb) => eb.fn.min("time_unix_nano").as("next"))
        .where("time_unix_nano", ">=", from).executeTakeFirst()
      : await this.#db.selectFrom("metric_rollup_points")
        .select((eb) => eb.fn.min("time_unix_nano").as("next"))
        .where("time_unix_nano", ">=", from)
        .where("level_seconds", "=", level === 600 ? 60 : 600).executeTakeFirst();
    const next = row?.next as bigint | string | number | null | undefined;
    return next === null || next === undefined ? undefined : int64(next);
  }
}
