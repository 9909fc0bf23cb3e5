/**
 * The Host check against DNS rebinding: a request whose Host is not this server's (loopback, the
 * address it listens on, ALLOWED_HOSTS) is answered 403 naming it, before any other work.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { hostAllowed, type HostPolicy, hostRefusedMessage } from "../../lib/security.ts";
import { HttpError } from "../http_error.ts";

export function hostCheck(hosts: HostPolicy): MiddlewareHandler {
  return async (c, next) => {
    const host = c.req.header("host") ?? new URL(c.req.url).host;
    if (!hostAllowed(host, hosts)) throw new HttpError(403, hostRefusedMessage(host, hosts));
    await next();
  };
}
