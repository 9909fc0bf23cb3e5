/**
 * Each middleware of the HTTP edge on its own, in front of a route that answers "routed": what it
 * refuses, with which status, message and headers, and what it lets through untouched.
 */
import assert from "node:assert/strict";
import { Hono, type MiddlewareHandler } from "hono";
import { hostPolicy, sessionValue } from "../../lib/security.ts";
import { createLogger } from "../../lib/logger.ts";
import { jsonErrorHandler } from "../errors.ts";
import { adminToken } from "./admin_token.ts";
import { apiToken, SESSION_COOKIE } from "./api_token.ts";
import { corsPolicy } from "./cors.ts";
import { hostCheck } from "./host_check.ts";
import { nulCheck } from "./nul_check.ts";
import { originCheck } from "./origin_check.ts";
import { securityHeaders } from "./security_headers.ts";

const API_TOKEN = "api-token-0123456789abcdef";
const ADMIN_TOKEN = "admin-token-0123456789abcdef";
const NOW = 1_800_000_000_000;

/** `middleware` in front of a route answering every path and method with "routed". */
function behind(middleware: MiddlewareHandler, type = "text/plain") {
  const app = new Hono();
  app.use(middleware);
  app.all("*", () => new Response("routed", { headers: { "content-type": type } }));
  app.onError(jsonErrorHandler(createLogger("error", () => {})));
  return (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
    Promise.resolve(
      app.fetch(
        new Request(`http://127.0.0.1:8080${path}`, {
          ...init,
          headers: { host: "127.0.0.1:8080", ...init.headers },
        }),
      ),
    );
}

async function routed(response: Response): Promise<boolean> {
  return response.status === 200 && await response.text() === "routed";
}

Deno.test("hostCheck() refuses a Host beyond loopback and the listen address, naming it", async () => {
  const request = behind(hostCheck(hostPolicy("127.0.0.1")));
  const refused = await request("/api/stats", { headers: { host: "evil.example" } });
  assert.equal(refused.status, 403);
  assert.match((await refused.json()).error, /^Host "evil\.example" is not allowed/);
  assert.ok(await routed(await request("/api/stats", { headers: { host: "localhost:8080" } })));
  // Any Host is answered unless a policy says otherwise (unit tests use http://argus/).
  const open = behind(hostCheck(hostPolicy("0.0.0.0")));
  assert.ok(await routed(await open("/", { headers: { host: "argus" } })));
});

Deno.test("corsPolicy() answers listed origins' preflights, refuses others, and does nothing unset", async () => {
  const request = behind(corsPolicy(["https://dash.example.com"]), "application/json");
  const preflight = await request("/api/traces", {
    method: "OPTIONS",
    headers: {
      origin: "https://dash.example.com",
      "access-control-request-method": "GET",
      "access-control-request-headers": "authorization",
    },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get("access-control-allow-origin"), "https://dash.example.com");
  assert.match(preflight.headers.get("access-control-allow-methods")!, /GET/);
  assert.match(preflight.headers.get("access-control-allow-headers")!, /authorization/);
  assert.equal(preflight.headers.get("access-control-max-age"), "600");

  const foreign = await request("/api/traces", {
    method: "OPTIONS",
    headers: { origin: "https://evil.example", "access-control-request-method": "GET" },
  });
  assert.equal(foreign.status, 403);
  assert.match(foreign.headers.get("vary") ?? "", /Origin/);
  assert.match((await foreign.json()).error, /https:\/\/evil\.example .*CORS_ORIGINS/);

  const listed = await request("/api/traces", { headers: { origin: "https://dash.example.com" } });
  assert.ok(await routed(listed));
  assert.equal(listed.headers.get("access-control-allow-origin"), "https://dash.example.com");
  assert.match(listed.headers.get("access-control-expose-headers")!, /retry-after/);
  assert.match(listed.headers.get("vary") ?? "", /Origin/);
  const other = await request("/api/traces", { headers: { origin: "https://evil.example" } });
  assert.equal(other.headers.get("access-control-allow-origin"), null);
  await other.body?.cancel();
  for (const path of ["/", "/ws"]) {
    const page = await request(path, { headers: { origin: "https://dash.example.com" } });
    assert.equal(page.headers.get("access-control-allow-origin"), null, path);
    assert.ok(await routed(page), path);
  }

  const unset = behind(corsPolicy([]));
  const options = await unset("/api/traces", {
    method: "OPTIONS",
    headers: { origin: "https://dash.example.com", "access-control-request-method": "GET" },
  });
  assert.ok(await routed(options), "without CORS_ORIGINS the route answers OPTIONS");
});

Deno.test("originCheck() refuses state changes and /ws from other origins' pages", async () => {
  const request = behind(originCheck(["https://dash.example.com"]));
  const foreign = await request("/api/admin/vacuum", {
    method: "POST",
    headers: { origin: "https://evil.example" },
  });
  assert.equal(foreign.status, 403);
  assert.match((await foreign.json()).error, /Origin https:\/\/evil\.example may not POST/);
  const ws = await request("/ws", { headers: { origin: "https://evil.example" } });
  assert.equal(ws.status, 403);
  assert.match((await ws.json()).error, /open the live stream/);
  for (
    const [method, origin] of [
      ["POST", "http://127.0.0.1:8080"],
      ["POST", "https://dash.example.com"],
      ["GET", "https://evil.example"],
      ["DELETE", undefined],
    ]
  ) {
    const answer = await request("/api/admin/purge", {
      method,
      headers: origin === undefined ? {} : { origin },
    });
    assert.ok(await routed(answer), `${method} from ${origin}`);
  }
});

Deno.test("apiToken() takes API_TOKEN, ADMIN_TOKEN or a session; pages go to the login page", async () => {
  const request = behind(
    apiToken({ apiToken: API_TOKEN, adminToken: ADMIN_TOKEN, now: () => NOW }),
  );
  const missing = await request("/api/stats");
  assert.equal(missing.status, 401);
  assert.equal(missing.headers.get("www-authenticate"), 'Bearer realm="argus"');
  assert.match((await missing.json()).error, /^This Argus requires API_TOKEN/);
  const wrong = await request("/api/stats", { headers: { authorization: "Bearer nope-0123" } });
  assert.equal(wrong.status, 401);
  assert.match(wrong.headers.get("www-authenticate")!, /error="invalid_token"/);
  await wrong.body?.cancel();
  for (const token of [API_TOKEN, ADMIN_TOKEN]) {
    assert.ok(
      await routed(
        await request("/api/stats", {
          headers: { authorization: `Bearer ${token}` },
        }),
      ),
    );
  }
  const session = `${SESSION_COOKIE}=${sessionValue(API_TOKEN, NOW / 1000 + 60)}`;
  assert.ok(await routed(await request("/", { headers: { cookie: session } })));
  const expired = `${SESSION_COOKIE}=${sessionValue(API_TOKEN, NOW / 1000 - 1)}`;
  const redirected = await request("/logs", { headers: { cookie: expired } });
  assert.equal(redirected.status, 303);
  assert.equal(redirected.headers.get("location"), "/login?next=%2Flogs");
  for (const path of ["/api/health", "/login", "/static/app.css"]) {
    assert.ok(await routed(await request(path)), path);
  }
  for (const path of ["/ws", "/metrics"]) {
    const refused = await request(path);
    assert.equal(refused.status, 401, path);
    await refused.body?.cancel();
  }
  const open = behind(apiToken({ apiToken: null, adminToken: null, now: () => NOW }));
  assert.ok(await routed(await open("/api/stats")));
});

Deno.test("adminToken() opens the admin endpoints with ADMIN_TOKEN; in production only with it", async () => {
  const production = behind(adminToken({ adminToken: ADMIN_TOKEN, production: true }));
  const purge = (headers: Record<string, string>) =>
    production("/api/admin/purge", { method: "DELETE", headers });
  assert.ok(await routed(await purge({ authorization: `Bearer ${ADMIN_TOKEN}` })));
  const missing = await purge({});
  assert.equal(missing.status, 401);
  assert.equal(missing.headers.get("www-authenticate"), 'Bearer realm="argus-admin"');
  await missing.body?.cancel();
  const wrong = await purge({ authorization: `Bearer ${API_TOKEN}` });
  assert.equal(wrong.status, 401);
  assert.match((await wrong.json()).error, /^The token sent is not ADMIN_TOKEN/);
  const off = behind(adminToken({ adminToken: null, production: true }));
  const refused = await off("/api/admin/purge", { method: "DELETE" });
  assert.equal(refused.status, 403);
  assert.match((await refused.json()).error, /^Admin endpoints are off: APP_ENV is production/);
  // Outside production, without ADMIN_TOKEN, the endpoints stay open (as before tokens existed).
  const open = behind(adminToken({ adminToken: null, production: false }));
  assert.ok(await routed(await open("/api/admin/purge", { method: "DELETE" })));
});

Deno.test("securityHeaders() puts the page policy on HTML and nosniff on everything", async () => {
  const json = await behind(securityHeaders(), "application/json")("/api/stats");
  assert.equal(json.headers.get("x-content-type-options"), "nosniff");
  assert.equal(json.headers.get("content-security-policy"), null, "not a page");
  await json.body?.cancel();
  const page = await behind(securityHeaders(), "text/html; charset=utf-8")("/");
  assert.equal(page.headers.get("x-content-type-options"), "nosniff");
  assert.equal(page.headers.get("x-frame-options"), "DENY");
  assert.equal(page.headers.get("referrer-policy"), "same-origin");
  assert.equal(page.headers.get("strict-transport-security"), null);
  const csp = page.headers.get("content-security-policy")!;
  for (
    const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self' 'unsafe-inline'",
      "connect-src 'self'",
      "frame-ancestors 'none'",
    ]
  ) {
    assert.ok(csp.includes(directive), `${directive} in ${csp}`);
  }
  await page.body?.cancel();
});

Deno.test("nulCheck() refuses a NUL in a parameter or the path, naming it", async () => {
  const request = behind(nulCheck());
  const parameter = await request("/api/logs?search=a%00b");
  assert.equal(parameter.status, 400);
  assert.match((await parameter.json()).error, /^Cannot use 'search' as it must be free of NUL/);
  // A service may be named with one (OTLP allows it): its parser escapes it as its rows do.
  assert.ok(await routed(await request("/api/logs?service=a%00b")));
  const path = await request("/api/traces/ab%00cd");
  assert.equal(path.status, 400);
  assert.match((await path.json()).error, /^Cannot use the path as it must be free of NUL/);
  assert.ok(await routed(await request("/api/logs?service=a%20b")));
});
