/**
 * The HTTP application on `HTTP_PORT`: routing and the one error-to-response mapping.
 *
 * @module
 */
import type { Logger } from "../lib/logger.ts";
import { health, type HealthDeps } from "./health.ts";

export interface AppDeps extends HealthDeps {
  logger: Logger;
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

export function createApp(deps: AppDeps): (request: Request) => Promise<Response> {
  return async function handle(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    try {
      if (pathname === "/api/health") {
        if (request.method !== "GET" && request.method !== "HEAD") {
          return json(
            { error: `Method ${request.method} is not allowed on ${pathname}: use GET` },
            405,
          );
        }
        const body = await health(deps);
        return json(body, body.status === "ok" ? 200 : 503);
      }
      if (pathname === "/") {
        return new Response(null, { status: 302, headers: { location: "/api/health" } });
      }
      return json({ error: `No route for ${request.method} ${pathname}` }, 404);
    } catch (error) {
      deps.logger.error("request failed", { path: pathname, error });
      return json({ error: "Internal server error: see the Argus log" }, 500);
    }
  };
}
