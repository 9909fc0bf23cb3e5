/**
 * One check for every parameter of every route, `/ws` included: a NUL character in the path or
 * the query string is answered 400 naming the parameter (see `refuseNul`).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { refuseNul } from "../query_params.ts";

export function nulCheck(): MiddlewareHandler {
  return async (c, next) => {
    refuseNul(new URL(c.req.url));
    await next();
  };
}
