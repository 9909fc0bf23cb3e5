/**
 * Who may use the HTTP app, decided before any route does work: the Host check (DNS rebinding),
 * CORS preflights, the Origin check of state changes and of `/ws`, API_TOKEN (Bearer or the login
 * cookie) and ADMIN_TOKEN. Also the login and logout routes, and the headers every answer gets
 * (a Content-Security-Policy and friends on pages, CORS where CORS_ORIGINS lists the origin).
 *
 * Order of the checks: Host → preflight → Origin → API token → admin token. A request refused by
 * one gets its answer at once; none reaches a handler, a database or the WebSocket upgrade.
 *
 * Logging in is rate-limited per client address (LOGIN_RATE_LIMIT attempts a minute, 429 with
 * Retry-After beyond, before the form is read), its form must arrive within HTTP_BODY_TIMEOUT,
 * and it returns only to a path of this server (`sameSitePath`).
 *
 * @module
 */
import {
  ANY_HOST,
  AttemptLimiter,
  bearerToken,
  clientKey,
  cookieValue,
  hostAllowed,
  type HostPolicy,
  hostRefusedMessage,
  originAllowed,
  sameSitePath,
  sessionValid,
  sessionValue,
  tokenMatches,
} from "../lib/security.ts";
import {
  BodyTimeoutError,
  BodyTooLargeError,
  readBody,
  remoteAddressOf,
} from "../lib/http_listener.ts";
import { renderLoginPage } from "./pages/login.tsx";
import type { Route } from "./mod.ts";

export interface SecurityOptions {
  /** API_TOKEN: required by everything but the public paths; null or absent when unset. */
  apiToken?: string | null;
  /** ADMIN_TOKEN: required (Bearer) by `/api/admin/*`; it also opens what API_TOKEN opens. */
  adminToken?: string | null;
  /** APP_ENV is production: without `adminToken`, the admin endpoints are refused. */
  production?: boolean;
  /** The Host names answered (default: any). */
  hosts?: HostPolicy;
  /** CORS_ORIGINS: origins whose pages may call the API, and act on it as its own pages do. */
  corsOrigins?: readonly string[];
  /** Shown as a banner on every page (e.g. listening beyond loopback without tokens). */
  warning?: string;
  /** LOGIN_RATE_LIMIT: login attempts a minute from one client address; 0 is no limit. */
  loginRateLimit?: number;
  /** HTTP_BODY_TIMEOUT: milliseconds the login form may take to arrive. */
  bodyTimeoutMs?: number;
  now?: () => number;
}

/** The session cookie's name and lifetime (seconds). */
export const SESSION_COOKIE = "argus_session";
export const SESSION_MAX_AGE_S = 7 * 86_400;

/** Paths anyone may fetch: health checks, the UI's static files, logging in and out. */
function isPublic(pathname: string): boolean {
  return pathname === "/api/health" || pathname === "/login" || pathname === "/logout" ||
    pathname.startsWith("/static/");
}

/** Paths of machines (JSON, WebSocket, Prometheus): refused with 401 rather than a redirect. */
function isApi(pathname: string): boolean {
  return pathname.startsWith("/api/") || pathname === "/ws" || pathname === "/metrics";
}

const JSON_TYPE = "application/json; charset=utf-8";

function refuse(status: number, error: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ error }), {
    status,
    headers: { "content-type": JSON_TYPE, ...headers },
  });
}

/**
 * The policy of the pages: scripts and styles from Argus only (Mantine injects `<style>`
 * elements, hence 'unsafe-inline' for styles alone), data: images (charts), requests and the
 * WebSocket to the same origin, never framed.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const PAGE_HEADERS: Record<string, string> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
};

/** `response` with `headers` set (a copy when its headers are immutable, e.g. a redirect). */
function withHeaders(response: Response, headers: Record<string, string>): Response {
  let target = response;
  try {
    response.headers.set("x-content-type-options", "nosniff");
  } catch {
    target = new Response(response.body, response);
  }
  for (const [name, value] of Object.entries(headers)) {
    if (name === "vary") target.headers.append(name, value);
    else target.headers.set(name, value);
  }
  target.headers.set("x-content-type-options", "nosniff");
  return target;
}

/** A path of this server to return to after logging in; anything else becomes `/`. */
function safeNext(next: string | null): string {
  const path = sameSitePath(next);
  return /^\/log(in|out)(\/|\?|#|$)/.test(path) ? "/" : path;
}

/** The largest login form read (anyone may post to /login). */
const MAX_FORM_BYTES = 8_192;

/**
 * A login form's fields; undefined when the body is no form or over MAX_FORM_BYTES. Throws
 * BodyTimeoutError when it does not arrive within `timeoutMs`.
 */
async function readForm(request: Request, timeoutMs: number): Promise<URLSearchParams | undefined> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("application/x-www-form-urlencoded")) return undefined;
  if (request.body === null) return new URLSearchParams();
  try {
    const bytes = await readBody(request.body, { maxBytes: MAX_FORM_BYTES, timeoutMs });
    return new URLSearchParams(new TextDecoder().decode(bytes));
  } catch (error) {
    if (error instanceof BodyTooLargeError) return undefined;
    throw error;
  }
}

export interface AccessGuard {
  /** The answer refusing `request` before any work, or undefined when it may go on. */
  check(request: Request, url: URL): Response | undefined;
  /** `response` with the headers every answer gets (page security headers, CORS). */
  finish(request: Request, url: URL, response: Response): Response;
  /** `GET`/`POST /login` and `POST /logout`. */
  routes: Route[];
}

export function createGuard(options: SecurityOptions = {}): AccessGuard {
  const apiToken = options.apiToken || null;
  const adminToken = options.adminToken || null;
  const hosts = options.hosts ?? ANY_HOST;
  const corsOrigins = new Set(options.corsOrigins ?? []);
  const now = options.now ?? Date.now;
  const loginRateLimit = options.loginRateLimit ?? 10;
  const logins = loginRateLimit > 0 ? new AttemptLimiter(loginRateLimit) : undefined;
  const bodyTimeoutMs = options.bodyTimeoutMs ?? 30_000;

  const hostOf = (request: Request) => request.headers.get("host") ?? new URL(request.url).host;

  /** True when the request carries API_TOKEN or ADMIN_TOKEN as Bearer, or a live session. */
  function authenticated(request: Request): boolean {
    if (apiToken === null) return true;
    const bearer = bearerToken(request.headers.get("authorization"));
    if (bearer !== undefined) {
      // Both compared, so the time taken does not tell which token it is.
      const api = tokenMatches(bearer, apiToken);
      const admin = adminToken !== null && tokenMatches(bearer, adminToken);
      if (api || admin) return true;
    }
    const session = cookieValue(request.headers.get("cookie"), SESSION_COOKIE);
    return sessionValid(session, apiToken, now());
  }

  function unauthenticated(request: Request, url: URL): Response {
    const method = request.method;
    if (!isApi(url.pathname) && (method === "GET" || method === "HEAD")) {
      const next = encodeURIComponent(url.pathname + url.search);
      return new Response(null, { status: 303, headers: { location: `/login?next=${next}` } });
    }
    const sent = bearerToken(request.headers.get("authorization")) !== undefined;
    return refuse(
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
  }

  function adminRefusal(request: Request): Response | undefined {
    if (adminToken === null) {
      if (!options.production) return undefined;
      return refuse(
        403,
        "Admin endpoints are off: APP_ENV is production and ADMIN_TOKEN is not set. Set " +
          "ADMIN_TOKEN and send it as 'Authorization: Bearer <token>'",
      );
    }
    const bearer = bearerToken(request.headers.get("authorization"));
    if (tokenMatches(bearer, adminToken)) return undefined;
    return refuse(
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
  }

  function preflight(request: Request, url: URL): Response | undefined {
    const origin = request.headers.get("origin");
    if (
      request.method !== "OPTIONS" || corsOrigins.size === 0 || origin === null ||
      !isApi(url.pathname) || url.pathname === "/ws"
    ) return undefined;
    if (!corsOrigins.has(origin)) {
      return refuse(403, `Origin ${origin} may not call this API: it is not in CORS_ORIGINS`, {
        vary: "Origin",
      });
    }
    return new Response(null, {
      status: 204,
      headers: {
        "access-control-allow-origin": origin,
        "access-control-allow-methods": "GET, POST, DELETE",
        "access-control-allow-headers": "authorization, content-type",
        "access-control-max-age": "600",
        vary: "Origin",
      },
    });
  }

  function check(request: Request, url: URL): Response | undefined {
    const { pathname } = url;
    const host = hostOf(request);
    if (!hostAllowed(host, hosts)) return refuse(403, hostRefusedMessage(host, hosts));
    const answer = preflight(request, url);
    if (answer) return answer;
    const method = request.method;
    const origin = request.headers.get("origin");
    const acts = pathname === "/ws" || !["GET", "HEAD", "OPTIONS"].includes(method);
    if (acts && origin !== null && !originAllowed(origin, host, corsOrigins)) {
      return refuse(
        403,
        `Origin ${origin} may not ${method} ${pathname}: only pages served by this Argus ` +
          `(${host}) or listed in CORS_ORIGINS may ` +
          (pathname === "/ws" ? "open the live stream" : "change data"),
      );
    }
    if (isPublic(pathname)) return undefined;
    if (!authenticated(request)) return unauthenticated(request, url);
    if (pathname.startsWith("/api/admin/")) return adminRefusal(request);
    return undefined;
  }

  function finish(request: Request, url: URL, response: Response): Response {
    // After Deno.upgradeWebSocket the request can no longer be read, and its 101 is final.
    if (response.status === 101) return response;
    const headers: Record<string, string> = {};
    const type = response.headers.get("content-type") ?? "";
    if (type.startsWith("text/html")) Object.assign(headers, PAGE_HEADERS);
    if (corsOrigins.size > 0 && isApi(url.pathname) && url.pathname !== "/ws") {
      const origin = request.headers.get("origin");
      headers.vary = "Origin";
      if (
        origin !== null && corsOrigins.has(origin) &&
        !response.headers.has("access-control-allow-origin")
      ) {
        headers["access-control-allow-origin"] = origin;
        headers["access-control-expose-headers"] = "retry-after, www-authenticate";
      }
    }
    return withHeaders(response, headers);
  }

  /** `Set-Cookie` for the session (or its removal), Secure when the browser came over https. */
  function sessionCookie(request: Request, url: URL, value: string, maxAgeS: number): string {
    const https = url.protocol === "https:" ||
      request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase() === "https";
    return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAgeS}; HttpOnly; SameSite=Strict` +
      (https ? "; Secure" : "");
  }

  const redirect = (location: string, cookie?: string) =>
    new Response(null, {
      status: 303,
      headers: {
        location,
        "cache-control": "no-store",
        ...(cookie ? { "set-cookie": cookie } : {}),
      },
    });

  const routes: Route[] = [
    {
      method: "GET",
      path: "/login",
      timed: false,
      handle: (_request, url) => {
        const next = safeNext(url.searchParams.get("next"));
        return Promise.resolve(apiToken === null ? redirect(next) : renderLoginPage({ next }));
      },
    },
    {
      method: "POST",
      path: "/login",
      timed: false,
      handle: async (request, url) => {
        // Counted before the form is read: a guesser gets nothing more for its bytes.
        const waitS = apiToken === null
          ? undefined
          : logins?.attempt(clientKey(remoteAddressOf(request)), now());
        if (waitS !== undefined) {
          await request.body?.cancel().catch(() => {});
          const page = renderLoginPage({
            next: safeNext(url.searchParams.get("next")),
            error: `Too many login attempts from this address (LOGIN_RATE_LIMIT is ` +
              `${loginRateLimit} a minute): try again in ${waitS} s.`,
          }, 429);
          page.headers.set("retry-after", String(waitS));
          return page;
        }
        let form: URLSearchParams | undefined;
        try {
          form = await readForm(request, bodyTimeoutMs);
        } catch (error) {
          if (!(error instanceof BodyTimeoutError)) throw error;
          return refuse(
            408,
            `Cannot log in as the form must arrive within HTTP_BODY_TIMEOUT (${bodyTimeoutMs} ms)`,
          );
        }
        const next = safeNext(form?.get("next") ?? null);
        if (apiToken === null) return redirect(next);
        if (form === undefined) {
          return refuse(
            400,
            "Cannot log in as the body must be a form (application/x-www-form-urlencoded, at " +
              "most 8 KiB) with a 'token' field",
          );
        }
        const token = form.get("token") ?? "";
        if (!tokenMatches(token, apiToken)) {
          return renderLoginPage(
            { next, error: token === "" ? "Enter the API token." : "That is not the API token." },
            401,
          );
        }
        const expiresS = Math.floor(now() / 1000) + SESSION_MAX_AGE_S;
        return redirect(
          next,
          sessionCookie(request, url, sessionValue(apiToken, expiresS), SESSION_MAX_AGE_S),
        );
      },
    },
    {
      method: "POST",
      path: "/logout",
      timed: false,
      handle: (request, url) =>
        Promise.resolve(
          redirect(apiToken === null ? "/" : "/login", sessionCookie(request, url, "", 0)),
        ),
    },
  ];

  return { check, finish, routes };
}
