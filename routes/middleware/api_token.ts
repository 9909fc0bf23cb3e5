/**
 * API_TOKEN (when set): every path but the public ones needs it, as `Authorization: Bearer`
 * (ADMIN_TOKEN opens it too) or as the login page's session cookie. Without it a page is
 * redirected to the login page; the API, `/ws` and `/metrics` answer 401 with
 * `WWW-Authenticate`.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { bearerToken, cookieValue, sessionValid, tokenMatches } from "../../lib/security.ts";
import { HttpError } from "../http_error.ts";
import { isApiPath, isPublicPath } from "./paths.ts";

/** The session cookie's name and lifetime (seconds). */
export const SESSION_COOKIE = "argus_session";
export const SESSION_MAX_AGE_S = 7 * 86_400;

export interface ApiTokenOptions {
  apiToken: string | null;
  adminToken: string | null;
  now: () => number;
}

/** True when the request carries API_TOKEN or ADMIN_TOKEN as Bearer, or a live session. */
function authenticated(c: Context, { apiToken, adminToken, now }: ApiTokenOptions): boolean {
  if (apiToken === null) return true;
  const bearer = bearerToken(c.req.header("authorization"));
  if (bearer !== undefined) {
    // Both compared, so the time taken does not tell which token it is.
    const api = tokenMatches(bearer, apiToken);
    const admin = adminToken !== null && tokenMatches(bearer, adminToken);
    if (api || admin) return true;
  }
  const session = cookieValue(c.req.header("cookie") ?? null, SESSION_COOKIE);
  return sessionValid(session, apiToken, now());
}

export function apiToken(options: ApiTokenOptions): MiddlewareHandler {
  return async (c, next) => {
    const { path, method } = c.req;
    if (isPublicPath(path) || authenticated(c, options)) return await next();
    if (!isApiPath(path) && (method === "GET" || method === "HEAD")) {
      const url = new URL(c.req.url);
      const next = encodeURIComponent(url.pathname + url.search);
      return c.redirect(`/login?next=${next}`, 303);
    }
    const sent = bearerToken(c.req.header("authorization")) !== undefined;
    throw new HttpError(
      401,
      sent
        ? "The token sent is not API_TOKEN: check the 'Authorization: Bearer' header"
        : "This Argus requires API_TOKEN: send 'Authorization: Bearer <token>', or log in at " +
          "/login in a browser",
      {
        "www-authenticate": sent
          ? 'Bearer realm="argus", error="invalid_token"'
          : 'Bearer realm="argus"',
      },
    );
  };
}
