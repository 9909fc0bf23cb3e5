/**
 * The app's two error handlers: one answers the API (`/api/*`, `/ws`, `/metrics`) in JSON, the
 * other answers a page's request with a page, inside the UI's shell. Both map the same errors to
 * the same statuses: an `HttpError` to its status, message and headers (400, 401, 403, 404, …); a
 * database that cannot be reached, or a query past QUERY_TIMEOUT, to 503 with Retry-After;
 * anything else to a 500 that names no internals and is logged whole.
 *
 * @module
 */
import type { Context } from "hono";
import { h } from "preact";
import type { Logger } from "../lib/logger.ts";
import { QueryDeadlineError, StoreUnavailableError } from "../store/mod.ts";
import { HttpError, QueryTimeoutError, RETRY_QUERY_AFTER_S } from "./http_error.ts";
import type { Assets } from "./_assets.ts";
import { renderPage } from "./pages/mod.ts";
import type { PageTime } from "../components/Layout.tsx";
import { DatabaseUnavailable } from "../components/DatabaseUnavailable.tsx";
import { ErrorPage } from "../components/ErrorPage.tsx";
import { colorSchemeChoiceOf } from "../utils/color_scheme.ts";
import { type LayoutProps, NAVIGATION } from "../components/Layout.tsx";

const JSON_TYPE = "application/json; charset=utf-8";

/** What an error comes to for the client: status, message, headers, and how it is logged. */
interface Answer {
  status: number;
  message: string;
  headers: Record<string, string>;
  /** The store could not be reached: the page shows the database's state. */
  unavailable: boolean;
}

const INTERNAL = "Internal server error: see the Argus log";

function answerFor(error: unknown, c: Context, logger: Logger): Answer {
  const path = c.req.path;
  if (error instanceof HttpError) {
    if (error instanceof QueryTimeoutError) {
      logger.warn("query timed out", { path, query: new URL(c.req.url).search });
    }
    return {
      status: error.status,
      message: error.message,
      headers: { ...error.headers },
      unavailable: false,
    };
  }
  if (error instanceof StoreUnavailableError) {
    logger.warn("request answered 503: the database is not available", {
      path,
      error: error.message,
    });
    return {
      status: 503,
      message: error.message,
      headers: { "retry-after": String(RETRY_QUERY_AFTER_S) },
      unavailable: true,
    };
  }
  if (error instanceof QueryDeadlineError) {
    // A read of an untimed route (the AI insight's) stopped by the store's own bound,
    // QUERY_TIMEOUT per statement.
    logger.warn("query timed out", { path, query: new URL(c.req.url).search });
    return {
      status: 503,
      message: error.message,
      headers: { "retry-after": String(RETRY_QUERY_AFTER_S) },
      unavailable: false,
    };
  }
  logger.error("request failed", { path, error });
  return { status: 500, message: INTERNAL, headers: {}, unavailable: false };
}

/** The API's error answer: `{"error": message}` with the error's status and headers. */
export function jsonErrorHandler(logger: Logger) {
  return (error: Error, c: Context): Response => {
    const answer = answerFor(error, c, logger);
    return new Response(JSON.stringify({ error: answer.message }), {
      status: answer.status,
      headers: { "content-type": JSON_TYPE, ...answer.headers },
    });
  };
}

/** What a page's error answer needs of the app: its assets and the shell's state. */
export interface PageShell {
  assets: Assets;
  warning?: string;
  logout: boolean;
  /** The page's time settings for a request's `Cookie` header (routes/mod.ts `pageTime`). */
  time?: (cookieHeader: string | undefined) => PageTime;
}

/** The active navigation entry of a page path, so that an error page keeps the user's place. */
function activeOf(path: string): LayoutProps["active"] {
  const entry = NAVIGATION.find((item) => item.href !== "/" && path.startsWith(item.href));
  return entry?.href ?? "/";
}

/** A page's error answer: the UI's shell around the reason, with the error's status. */
export function pageErrorHandler(logger: Logger, shell: PageShell) {
  return (error: Error, c: Context): Response => {
    const answer = answerFor(error, c, logger);
    const response = renderPage(shell.assets, {
      title: answer.unavailable ? "Database unavailable" : `Error ${answer.status}`,
      active: activeOf(c.req.path),
      search: new URL(c.req.url).search,
      status: answer.status,
      warning: shell.warning,
      logout: shell.logout,
      time: shell.time?.(c.req.header("cookie")),
      colorScheme: colorSchemeChoiceOf(c.req.header("cookie")),
      body: answer.unavailable
        ? h(DatabaseUnavailable, { message: answer.message })
        : h(ErrorPage, { status: answer.status, message: answer.message }),
    });
    for (const [name, value] of Object.entries(answer.headers)) response.headers.set(name, value);
    return response;
  };
}
