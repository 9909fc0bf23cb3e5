/**
 * What went wrong, as a sentence: an `Error`'s message, or anything else thrown as text. The one
 * place that turns a caught value into words, on the server and in the browser.
 *
 * @module
 */

/** `error.message` for an `Error`, `String(error)` for anything else thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
