/**
 * Whether the database is ready for Argus: reached and migrated. Argus starts without it (ingest
 * then acknowledges through the dead-letter queue, and the API answers 503 naming the reason), and
 * this keeps trying, every `retryIntervalMs`, until a migration succeeds; then `onReady` runs once
 * (the dead-letter replay starts there).
 *
 * @module
 */
import type { Logger } from "../lib/logger.ts";
import type { MigrationReport } from "./mod.ts";

export interface DatabaseReadinessOptions {
  migrate: () => Promise<MigrationReport>;
  /** Milliseconds between attempts (`DB_RETRY_INTERVAL`). */
  retryIntervalMs: number;
  logger: Pick<Logger, "info" | "warn">;
  /** Runs once, after the first successful migration. */
  onReady?: (report: MigrationReport) => void;
}

export class DatabaseReadiness {
  readonly #options: DatabaseReadinessOptions;
  #ready = false;
  #lastError: unknown;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #attempt: Promise<boolean> | undefined;
  #loggedReason = "";
  #loggedAt = 0;

  constructor(options: DatabaseReadinessOptions) {
    this.#options = options;
  }

  /** True once the schema is migrated. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Why the database is not ready (the last attempt's error), while it is not. */
  get lastError(): unknown {
    return this.#ready ? undefined : this.#lastError;
  }

  /**
   * One attempt to migrate (a running one is joined); answers whether the database is ready.
   * Never throws: a failure is kept as `lastError`.
   */
  tryNow(): Promise<boolean> {
    if (this.#ready) return Promise.resolve(true);
    this.#attempt ??= this.#try().finally(() => {
      this.#attempt = undefined;
    });
    return this.#attempt;
  }

  async #try(): Promise<boolean> {
    try {
      const report = await this.#options.migrate();
      this.#ready = true;
      this.#lastError = undefined;
      this.#options.onReady?.(report);
      return true;
    } catch (error) {
      this.#lastError = error;
      return false;
    }
  }

  /** Retries every `retryIntervalMs` until ready or `stop()`; logs each failure. */
  retryUntilReady(): void {
    if (this.#ready || this.#stopped || this.#timer !== undefined) return;
    this.#timer = setTimeout(async () => {
      this.#timer = undefined;
      if (this.#stopped) return;
      if (await this.tryNow()) {
        this.#options.logger.info("the database is back: Argus stores data in it again");
        return;
      }
      // Once a minute, or when the reason changes: a long outage should not flood the log.
      const reason = String(this.#lastError);
      if (reason !== this.#loggedReason || Date.now() - this.#loggedAt >= 60_000) {
        this.#loggedReason = reason;
        this.#loggedAt = Date.now();
        this.#options.logger.warn("the database is still not available", {
          error: this.#lastError,
          retry_in_ms: this.#options.retryIntervalMs,
        });
      }
      this.retryUntilReady();
    }, this.#options.retryIntervalMs);
    Deno.unrefTimer(this.#timer as unknown as number);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
