/**
 * QUERY_TIMEOUT for the routes that query (not the WebSocket upgrade, the AI insight or
 * maintenance): the store stops the route's reads at the deadline, and the route is answered 503
 * with Retry-After then, whether or not its reads have stopped yet.
 *
 * Not Hono's `timeout`: the deadline must also reach the store (`withQueryDeadline`), so that a
 * query that is given up on stops using the database.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { QueryDeadlineError, withQueryDeadline } from "../../store/mod.ts";
import { QueryTimeoutError } from "../http_error.ts";

/**
 * Runs `work` with its reads bounded by a deadline `timeoutMs` from now (the store stops them
 * then), and resolves as it does, or rejects with QueryTimeoutError at the deadline.
 */
export async function withTimeout<T>(work: () => Promise<T>, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new QueryTimeoutError(timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([withQueryDeadline(Date.now() + timeoutMs, work), timeout]);
  } catch (error) {
    // A read the store stopped at the deadline, a moment before the timer above fired.
    throw error instanceof QueryDeadlineError ? new QueryTimeoutError(timeoutMs) : error;
  } finally {
    clearTimeout(timer);
  }
}

export function queryDeadline(timeoutMs: number): MiddlewareHandler {
  return async (_c, next) => {
    await withTimeout(next, timeoutMs);
  };
}
