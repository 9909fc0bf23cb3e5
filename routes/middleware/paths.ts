/**
 * Which kind of path a request is for, the one fact several middlewares and both error
 * handlers decide by.
 *
 * @module
 */

/** Paths anyone may fetch: health checks, the UI's static files, logging in and out. */
export function isPublicPath(pathname: string): boolean {
  return pathname === "/api/health" || pathname === "/login" || pathname === "/logout" ||
    pathname.startsWith("/static/");
}

/**
 * Paths of machines (JSON, the WebSocket, Prometheus, MCP): refused with 401 rather than a redirect to
 * the login page, and answered in JSON when they fail. Every other path is a page's.
 */
export function isApiPath(pathname: string): boolean {
  return pathname.startsWith("/api/") || pathname === "/ws" || pathname === "/metrics" ||
    pathname === "/mcp";
}

/** The live log stream: its 101 answer is final, no middleware may touch it. */
export const LIVE_PATH = "/ws";
