/**
 * The UI's preference cookies (the time zone, utils/time_zone.ts; the colour scheme,
 * utils/color_scheme.ts): read from a request's `Cookie` header by the server, which renders the
 * first paint with them, and written by the browser with `document.cookie`. Pure; tested in
 * utils/cookies_test.ts.
 *
 * @module
 */

/** How long a preference is remembered, in seconds (a year). */
export const PREFERENCE_MAX_AGE_S = 365 * 24 * 3600;

/** The value of cookie `name` in a `Cookie` header, URI-decoded; undefined when absent or garbled. */
export function cookieValue(
  cookieHeader: string | null | undefined,
  name: string,
): string | undefined {
  for (const part of (cookieHeader ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at < 0 || part.slice(0, at).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(at + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The `document.cookie` assignment that remembers a preference for the whole site. */
export function preferenceCookie(name: string, value: string): string {
  return `${name}=${
    encodeURIComponent(value)
  }; Path=/; Max-Age=${PREFERENCE_MAX_AGE_S}; SameSite=Lax`;
}
