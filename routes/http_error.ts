/**
 * The errors a request handler throws to answer a client: one base class, `HttpError`, with the
 * status and the headers of its answer. The app's two error handlers (routes/errors.ts) turn it
 * into JSON for the API and into a page for the UI; anything else thrown is a 500 that is logged
 * and never shown.
 *
 * @module
 */

/** An answer to the client: its status, a message naming the problem, and extra headers. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "HttpError";
  }
}

/** A client error, answered as 400 with `{"error": message}`. */
export class BadRequestError extends HttpError {
  constructor(message: string) {
    super(400, message);
    this.name = "BadRequestError";
  }
}

/** A well-formed id of something not stored, answered as 404 with `{"error": message}`. */
export class NotFoundError extends HttpError {
  constructor(message: string) {
    super(404, message);
    this.name = "NotFoundError";
  }
}

/** Seconds a client is told to wait before retrying a query Argus could not answer now. */
export const RETRY_QUERY_AFTER_S = 5;

/**
 * A query that outlasted QUERY_TIMEOUT: answered 503. SQLite's readers stop its statements at the
 * same deadline; server databases bound each statement by DB_STATEMENT_TIMEOUT.
 */
export class QueryTimeoutError extends HttpError {
  constructor(timeoutMs: number) {
    super(
      503,
      `The query took longer than QUERY_TIMEOUT (${timeoutMs} ms): narrow the time window or ` +
        "the filters, or retry later",
      { "retry-after": String(RETRY_QUERY_AFTER_S) },
    );
    this.name = "QueryTimeoutError";
  }
}
