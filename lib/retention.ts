/**
 * The retention worker: deletes spans and logs older than `RETENTION` (with their rollups), once
 * shortly after start and then every interval. Passes never overlap: the next one is scheduled
 * when the previous one ends. Timers are unref'd, so the worker never keeps the process alive.
 *
 * It knows the store only as a purge function (lib/ imports nothing of store/). With `shouldRun`
 * (several replicas on one database: the `maintenance` lease, store/replicas.ts) a scheduled pass
 * runs only while the gate is open; while it is closed the gate is checked again every
 * `firstPassDelayMs`, so a replica that takes the lease over runs a pass soon after.
 *
 * @module
 */
import type { Logger } from "./logger.ts";
import { formatDurationMs } from "./units.ts";

/** The store's purge, as the worker calls it (store/maintenance.ts `StoreMaintenance.purge`). */
export type RetentionPurge = (request: {
  olderThanNs: bigint;
  signal: "all";
  abort?: AbortSignal;
  /** Round the cutoff down to a partition boundary where the tables are partitioned by time. */
  partitionAligned: true;
}) => Promise<{ deletedLogs: number; deletedSpans: number; cutoffNs?: bigint }>;

export interface RetentionOptions {
  /** Age in milliseconds after which items are deleted (`Config.retentionMs`). */
  retentionMs: number;
  purge: RetentionPurge;
  logger: Logger;
  /** Milliseconds between the end of a pass and the start of the next (default 1 h). */
  intervalMs?: number;
  /** Milliseconds from `start()` to the first pass (default 10 s, out of start-up's way). */
  firstPassDelayMs?: number;
  /** Checked before each scheduled pass: false skips it (another replica does the work). */
  shouldRun?: () => boolean;
  now?: () => number;
}

export interface RetentionPassResult {
  deletedLogs: number;
  deletedSpans: number;
  /** Unix nanoseconds; items before it were deleted. */
  cutoffNs: bigint;
  durationMs: number;
}

export const DEFAULT_RETENTION_INTERVAL_MS = 3_600_000;
export const DEFAULT_FIRST_PASS_DELAY_MS = 10_000;

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;

export class RetentionWorker {
  readonly #options: Required<RetentionOptions>;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<RetentionPassResult | undefined> | undefined;
  #abort = new AbortController();
  #stopped = false;

  constructor(options: RetentionOptions) {
    if (!(Number.isSafeInteger(options.retentionMs) && options.retentionMs >= MS_PER_MINUTE)) {
      throw new RangeError(
        `Cannot use 'retentionMs' as it must be an integer of at least ${MS_PER_MINUTE}: ` +
          `current value is ${options.retentionMs}`,
      );
    }
    this.#options = {
      intervalMs: DEFAULT_RETENTION_INTERVAL_MS,
      firstPassDelayMs: DEFAULT_FIRST_PASS_DELAY_MS,
      shouldRun: () => true,
      now: Date.now,
      ...options,
    };
  }

  /** Schedules the first pass; later ones follow each pass's end by the interval. */
  start(): void {
    if (this.#stopped || this.#timer !== undefined || this.#running) return;
    this.#schedule(this.#options.firstPassDelayMs);
  }

  /**
   * Runs a pass now, or answers the one running. Resolves with what it deleted, or undefined when
   * it failed (logged) or the worker is stopped.
   */
  runOnce(): Promise<RetentionPassResult | undefined> {
    if (this.#running) return this.#running;
    if (this.#stopped) return Promise.resolve(undefined);
    const pass = this.#pass().finally(() => {
      this.#running = undefined;
    });
    this.#running = pass;
    return pass;
  }

  /**
   * Cancels the next pass and stops a running one between two of its delete chunks; resolves when
   * it has ended (what it deleted until then stays deleted).
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort.abort(new Error("The retention worker is stopping"));
    await this.#running;
  }

  #schedule(delayMs: number): void {
    const timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#options.shouldRun()) {
        // At least 100 ms apart: a first-pass delay of 0 must not spin.
        if (!this.#stopped) this.#schedule(Math.max(this.#options.firstPassDelayMs, 100));
        return;
      }
      void this.runOnce().then(() => {
        if (!this.#stopped && this.#timer === undefined) this.#schedule(this.#options.intervalMs);
      });
    }, delayMs);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  async #pass(): Promise<RetentionPassResult | undefined> {
    const { retentionMs, purge, logger, now } = this.#options;
    // Rounded down to a whole hour, as the store does it (store/maintenance.ts purgeCutoffNs).
    const cutoffMs = Math.floor((now() - retentionMs) / MS_PER_HOUR) * MS_PER_HOUR;
    const started = performance.now();
    try {
      const deleted = await purge({
        olderThanNs: BigInt(cutoffMs) * 1_000_000n,
        signal: "all",
        abort: this.#abort.signal,
        partitionAligned: true,
      });
      // The store's cutoff: PostgreSQL's partitioned tables round it down to a partition's start.
      const cutoffNs = deleted.cutoffNs ?? BigInt(cutoffMs) * 1_000_000n;
      const result = {
        deletedSpans: deleted.deletedSpans,
        deletedLogs: deleted.deletedLogs,
        cutoffNs,
        durationMs: Math.round(performance.now() - started),
      };
      const fields = {
        deleted_spans: result.deletedSpans,
        deleted_logs: result.deletedLogs,
        cutoff: new Date(Number(cutoffNs / 1_000_000n)).toISOString(),
        retention: formatDurationMs(retentionMs),
        duration_ms: result.durationMs,
      };
      if (result.deletedSpans + result.deletedLogs > 0) logger.info("retention purge", fields);
      else logger.debug("retention purge", fields);
      return result;
    } catch (error) {
      if (this.#stopped) {
        logger.info("retention purge stopped", { reason: "shutdown" });
      } else {
        logger.warn("retention purge failed; it is tried again at the next interval", { error });
      }
      return undefined;
    }
  }
}
