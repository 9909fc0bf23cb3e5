/**
 * The Origin check of state changes (CSRF) and of the live stream (cross-site WebSocket
 * hijacking): a browser page of another origin than this server's, or one CORS_ORIGINS lists, may
 * not POST or DELETE, nor open `/ws`: 403 naming the origin.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { originAllowed } from "../../lib/security.ts";
import { HttpError } from "../http_error.ts";
import { LIVE_PATH } from "./paths.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function originCheck(corsOrigins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(corsOrigins);
  return async (c, next) => {
    const { path, method } = c.req;
    const origin = c.req.header("origin");
    const acts = path === LIVE_PATH || !SAFE_METHODS.has(method);
    if (acts && origin !== undefined) {
      const host = c.req.header("host") ?? new URL(c.req.url).host;
      if (!originAllowed(origin, host, allowed)) {
        throw new HttpError(
          403,
          `Origin ${origin} may not ${method} ${path}: only pages served by this Argus ` +
            `(${host}) or listed in CORS_ORIGINS may ` +
            (path === LIVE_PATH ? "open the live stream" : "change data"),
        );
      }
    }
    await next();
  };
}
