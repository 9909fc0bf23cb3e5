/**
 * CORS for the API, for the origins CORS_ORIGINS lists (none by default: then nothing here
 * runs): Hono's `cors` answers their preflights and marks their answers readable, refusals
 * included; a preflight from any other origin is answered 403 naming CORS_ORIGINS. `/ws` and the
 * pages are not for other origins and get no CORS headers.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { HttpError } from "../http_error.ts";
import { isApiPath, LIVE_PATH } from "./paths.ts";

/** Seconds a browser may keep a preflight's answer. */
const PREFLIGHT_MAX_AGE_S = 600;

export function corsPolicy(corsOrigins: readonly string[]): MiddlewareHandler {
  const origins = new Set(corsOrigins);
  const listed = cors({
    origin: (origin) => origins.has(origin) ? origin : null,
    allowMethods: ["GET", "POST", "DELETE"],
    allowHeaders: ["authorization", "content-type"],
    exposeHeaders: ["retry-after", "www-authenticate"],
    maxAge: PREFLIGHT_MAX_AGE_S,
  });
  return async (c, next) => {
    const { path } = c.req;
    if (origins.size === 0 || !isApiPath(path) || path === LIVE_PATH) return await next();
    const origin = c.req.header("origin");
    if (c.req.method === "OPTIONS" && origin !== undefined && !origins.has(origin)) {
      throw new HttpError(
        403,
        `Origin ${origin} may not call this API: it is not in CORS_ORIGINS`,
        {
          vary: "Origin",
        },
      );
    }
    return await listed(c, next);
  };
}
