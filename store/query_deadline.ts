/**
 * The deadline of the reads a caller makes (an API request's QUERY_TIMEOUT), carried along its
 * async calls rather than through every `Store` method: the HTTP app runs a request's handler in
 * `withQueryDeadline`, and the SQLite readers (sqlite_read_pool.ts) stop each statement of that
 * request when the request's time is up, so no work outlives the 503 it was answered with.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";

const deadlines = new AsyncLocalStorage<number>();

/**
 * Runs `work` with reads bounded by `deadlineMs` (epoch milliseconds, as `Date.now()`); a nested
 * call can only shorten the deadline, never extend it.
 */
export function withQueryDeadline<T>(deadlineMs: number, work: () => Promise<T>): Promise<T> {
  const outer = deadlines.getStore();
  return deadlines.run(outer === undefined ? deadlineMs : Math.min(outer, deadlineMs), work);
}

/** The deadline (epoch milliseconds) of the caller's reads, or undefined when it has none. */
export function currentQueryDeadline(): number | undefined {
  return deadlines.getStore();
}

/** A read stopped because its deadline passed: the statement no longer runs. */
export class QueryDeadlineError extends Error {
  /** Milliseconds the read had, from when it was asked for to its deadline. */
  readonly budgetMs: number;
  constructor(budgetMs: number, options?: ErrorOptions) {
    super(
      `Cannot finish the read as it must end within ${Math.max(0, Math.round(budgetMs))} ms ` +
        "(QUERY_TIMEOUT): it was stopped",
      options,
    );
    this.name = "QueryDeadlineError";
    this.budgetMs = budgetMs;
  }
}
