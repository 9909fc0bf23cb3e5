/**
 * What a database error means for the data being written, decided by what to do about it:
 *
 * - `unreachable`: the database cannot be reached (connection refused, reset or timed out, server
 *   shutting down, too many connections). Keep the data (dead-letter queue) and try again later.
 * - `refused`: the database answered but cannot take writes now, for reasons that are not the data's
 *   (read-only, permissions, a full disk, a statement or lock timeout, a deadlock, a missing table,
 *   lack of memory). Keep the data and try again later, exactly as when it is unreachable.
 * - `content`: the error names a fault of the values written (a data exception, a constraint, a
 *   value too long or of the wrong type). Only these may reject an item, and only the item that
 *   caused it (the writer retries the batch row by row to find it).
 * - `unknown`: anything else. The writer retries row by row; a row is rejected for an unknown error
 *   only when another row of the same batch was stored after it (the database was taking writes,
 *   so the refusal was about that row); otherwise the batch is kept and retried.
 *
 * Read-only PostgreSQL (`25006`) once fell through a list of "unavailable" codes and was taken for
 * bad content: every row was rejected and acknowledged data was deleted. Classifying by what to do,
 * with "keep the data" as the answer to everything not proved to be the data's fault, closes that
 * class of loss.
 *
 * Which codes and messages of each database mean which class is that database's dialect's
 * `classifyError` (dialects/); this module holds what is the same for every database.
 *
 * @module
 */
import type { DbDriver } from "../lib/config.ts";
import { CAPABILITIES } from "./dialects/mod.ts";

export type DbErrorClass = "unreachable" | "refused" | "content" | "unknown";

/**
 * The database cannot take the data now (unreachable, or refusing writes for reasons not of the
 * data): nothing of the batch is rejected; the caller keeps it (dead-letter queue) and retries.
 * `kind` says which.
 */
export class StoreUnavailableError extends Error {
  readonly kind: "unreachable" | "refused";
  constructor(message: string, options?: ErrorOptions & { kind?: "unreachable" | "refused" }) {
    super(message, options);
    this.name = "StoreUnavailableError";
    this.kind = options?.kind ?? "unreachable";
  }
}

/** What an error of `driver` means for the data (see the module's documentation). */
export function classifyDbError(driver: DbDriver, error: unknown): DbErrorClass {
  if (error instanceof StoreUnavailableError) return error.kind;
  return CAPABILITIES[driver].classifyError(error);
}
