/**
 * ADMIN_TOKEN for `/api/admin/*`: sent as `Authorization: Bearer`, else 401. Without
 * ADMIN_TOKEN the admin endpoints are open to whoever passed API_TOKEN, except in production
 * (APP_ENV=production), where they answer 403 until it is set.
 *
 * Not Hono's `bearerAuth`: it answers 400 to a header that is no Bearer token, where Argus
 * answers every missing or wrong credential 401 with the same realm, and it has no production
 * rule.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { bearerToken, tokenMatches } from "../../lib/security.ts";
import { HttpError } from "../http_error.ts";

export interface AdminTokenOptions {
  adminToken: string | null;
  production: boolean;
}

export function adminToken({ adminToken, production }: AdminTokenOptions): MiddlewareHandler {
  return async (c, next) => {
    if (adminToken === null) {
      if (production) {
        throw new HttpError(
          403,
          "Admin endpoints are off: APP_ENV is production and ADMIN_TOKEN is not set. Set " +
            "ADMIN_TOKEN and send it as 'Authorization: Bearer <token>'",
        );
      }
      return await next();
    }
    const bearer = bearerToken(c.req.header("authorization"));
    if (tokenMatches(bearer, adminToken)) return await next();
    throw new HttpError(
      401,
      bearer === undefined
        ? "Admin endpoints require ADMIN_TOKEN: send 'Authorization: Bearer <admin token>'"
        : "The token sent is not ADMIN_TOKEN: check the 'Authorization: Bearer' header",
      {
        "www-authenticate": bearer === undefined
          ? 'Bearer realm="argus-admin"'
          : 'Bearer realm="argus-admin", error="invalid_token"',
      },
    );
  };
}
