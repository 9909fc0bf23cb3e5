/**
 * The headers every answer gets: `X-Content-Type-Options: nosniff` on all, and on every HTML
 * answer (pages, the login page, error pages) the page policy, set by Hono's `secureHeaders`: a
 * Content-Security-Policy (scripts and styles from Argus only; Mantine injects `<style>`
 * elements, hence 'unsafe-inline' for styles alone; data: images for charts; requests and the
 * WebSocket to the same origin; never framed), `X-Frame-Options: DENY` and
 * `Referrer-Policy: same-origin`, with the rest of Hono's defaults (Cross-Origin-Opener- and
 * -Resource-Policy same-origin, `X-XSS-Protection: 0`, …). Strict-Transport-Security is left to
 * the TLS proxy in front of Argus, which serves plain HTTP. The live stream's 101 is final and is
 * left alone.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";

/** The page policy's directives (exported for the tests). */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", "data:"],
  fontSrc: ["'self'", "data:"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

const pagePolicy = secureHeaders({
  contentSecurityPolicy: CONTENT_SECURITY_POLICY,
  xFrameOptions: "DENY",
  referrerPolicy: "same-origin",
  strictTransportSecurity: false,
});

const done = () => Promise.resolve();

export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.res.status === 101) return;
    if ((c.res.headers.get("content-type") ?? "").startsWith("text/html")) {
      // Hono's middleware sets its headers once what it wraps is done: here, nothing is left.
      await pagePolicy(c, done);
    } else {
      c.res.headers.set("x-content-type-options", "nosniff");
    }
  };
}
