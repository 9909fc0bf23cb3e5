/**
 * Logging in and out of an Argus with API_TOKEN: `GET /login` (the form), `POST /login` (the
 * token in, a session cookie out), `POST /logout`. Without API_TOKEN each only redirects.
 *
 * Logging in is rate-limited per client address (LOGIN_RATE_LIMIT attempts a minute, 429 with
 * Retry-After beyond, before the form is read), its form must arrive within HTTP_BODY_TIMEOUT,
 * and it returns only to a path of this server (`sameSitePath`).
 *
 * @module
 */
import type { Context } from "hono";
import {
  AttemptLimiter,
  clientKey,
  sameSitePath,
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
import { colorSchemeChoiceOf } from "../utils/color_scheme.ts";
import { BadRequestError, HttpError } from "./http_error.ts";
import { SESSION_COOKIE, SESSION_MAX_AGE_S } from "./middleware/api_token.ts";
import type { Route } from "./mod.ts";

export interface LoginOptions {
  apiToken: string | null;
  /** LOGIN_RATE_LIMIT: login attempts a minute from one client address; 0 is no limit. */
  loginRateLimit: number;
  /** HTTP_BODY_TIMEOUT: milliseconds the login form may take to arrive. */
  bodyTimeoutMs: number;
  now: () => number;
}

/** A path of this server to return to after logging in; anything else becomes `/`. */
function safeNext(next: string | null | undefined): string {
  const path = sameSitePath(next ?? null);
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

/** `Set-Cookie` for the session (or its removal), Secure when the browser came over https. */
function sessionCookie(c: Context, value: string, maxAgeS: number): string {
  const https = new URL(c.req.url).protocol === "https:" ||
    c.req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase() === "https";
  return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAgeS}; HttpOnly; SameSite=Strict` +
    (https ? "; Secure" : "");
}

function redirect(location: string, cookie?: string): Response {
  return new Response(null, {
    status: 303,
    headers: {
      location,
      "cache-control": "no-store",
      ...(cookie ? { "set-cookie": cookie } : {}),
    },
  });
}

export function loginRoutes(options: LoginOptions): Route[] {
  const { apiToken, loginRateLimit, bodyTimeoutMs, now } = options;
  const logins = loginRateLimit > 0 ? new AttemptLimiter(loginRateLimit) : undefined;

  const form = (c: Context) => {
    const next = safeNext(c.req.query("next"));
    const colorScheme = colorSchemeChoiceOf(c.req.header("cookie"));
    return apiToken === null ? redirect(next) : renderLoginPage({ next, colorScheme });
  };

  const logIn = async (c: Context) => {
    const request = c.req.raw;
    // Counted before the form is read: a guesser gets nothing more for its bytes.
    const waitS = apiToken === null
      ? undefined
      : logins?.attempt(clientKey(remoteAddressOf(request)), now());
    if (waitS !== undefined) {
      await request.body?.cancel().catch(() => {});
      const page = renderLoginPage({
        next: safeNext(c.req.query("next")),
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
      throw new HttpError(
        408,
        `Cannot log in as the form must arrive within HTTP_BODY_TIMEOUT (${bodyTimeoutMs} ms)`,
      );
    }
    const next = safeNext(form?.get("next"));
    if (apiToken === null) return redirect(next);
    if (form === undefined) {
      throw new BadRequestError(
        "Cannot log in as the body must be a form (application/x-www-form-urlencoded, at " +
          "most 8 KiB) with a 'token' field",
      );
    }
    const token = form.get("token") ?? "";
    if (!tokenMatches(token, apiToken)) {
      return renderLoginPage(
        {
          next,
          error: token === "" ? "Enter the API token." : "That is not the API token.",
          colorScheme: colorSchemeChoiceOf(c.req.header("cookie")),
        },
        401,
      );
    }
    const expiresS = Math.floor(now() / 1000) + SESSION_MAX_AGE_S;
    return redirect(next, sessionCookie(c, sessionValue(apiToken, expiresS), SESSION_MAX_AGE_S));
  };

  const logOut = (c: Context) =>
    redirect(apiToken === null ? "/" : "/login", sessionCookie(c, "", 0));

  const route = (method: Route["method"], path: string, handle: Route["handle"]): Route => ({
    method,
    path,
    query: {},
    timed: false,
    handle,
  });
  return [
    route("GET", "/login", form),
    route("POST", "/login", logIn),
    route("POST", "/logout", logOut),
  ];
}
