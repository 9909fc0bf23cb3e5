import assert from "node:assert/strict";
import { createGuard, type SecurityOptions, SESSION_COOKIE } from "./auth.ts";
import {
  AttemptLimiter,
  clientKey,
  hostPolicy,
  sameSitePath,
  sessionValue,
} from "../lib/security.ts";

const API_TOKEN = "api-token-0123456789abcdef";
const ADMIN_TOKEN = "admin-token-0123456789abcdef";
const NOW = 1_800_000_000_000;

/** The guard's answer to a request: its refusal, or the route's (a plain 200) when it passes. */
async function answer(
  options: SecurityOptions,
  path: string,
  init: RequestInit & { headers?: Record<string, string> } = {},
): Promise<Response> {
  const guard = createGuard({ now: () => NOW, ...options });
  const request = new Request(`http://127.0.0.1:8080${path}`, {
    ...init,
    headers: { host: "127.0.0.1:8080", ...init.headers },
  });
  const url = new URL(request.url);
  const route = guard.routes.find((r) =>
    r.path === url.pathname && r.method === (request.method === "HEAD" ? "GET" : request.method)
  );
  const refused = guard.check(request, url);
  const response = refused ??
    (route ? await route.handle(request, url, {}) : new Response("routed", { status: 200 }));
  return guard.finish(request, url, response);
}

Deno.test("createGuard() changes nothing without options but the Origin check and headers", async () => {
  const ok = await answer({}, "/api/stats");
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get("x-content-type-options"), "nosniff");
  assert.equal(ok.headers.get("content-security-policy"), null, "not a page");
  const foreign = await answer({}, "/api/admin/vacuum", {
    method: "POST",
    headers: { origin: "https://evil.example" },
  });
  assert.equal(foreign.status, 403);
  // Any Host is answered unless a policy says otherwise (unit tests use http://argus/).
  assert.equal((await answer({}, "/api/stats", { headers: { host: "argus" } })).status, 200);
});

Deno.test("createGuard() sends the browser back only to a path of this server after login", async () => {
  const session = `${SESSION_COOKIE}=${sessionValue(API_TOKEN, NOW / 1000 + 60)}`;
  for (
    const [next, location] of [
      ["/traces?range=1h", "/traces?range=1h"],
      ["//evil.example/x", "/"],
      ["/\\evil.example", "/"],
      ["https://evil.example/", "/"],
      ["/login?next=/", "/"],
      // Browsers drop tabs and newlines, which would turn these into //evil.example.
      ["/\t/evil.example", "/"],
      ["/\n/evil.example", "/"],
      ["/\r\n/evil.example", "/"],
      ["/%2F/x", "/%2F/x"],
      ["/./traces", "/traces"],
    ]
  ) {
    const response = await answer({ apiToken: API_TOKEN }, "/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: API_TOKEN, next: next! }),
    });
    assert.equal(response.status, 303, next);
    assert.equal(response.headers.get("location"), location, next);
  }
  // Logged in, a page passes; a session of another token or an expired one does not.
  assert.equal(
    (await answer({ apiToken: API_TOKEN }, "/", { headers: { cookie: session } })).status,
    200,
  );
  const expired = `${SESSION_COOKIE}=${sessionValue(API_TOKEN, NOW / 1000 - 1)}`;
  const redirected = await answer({ apiToken: API_TOKEN }, "/logs", {
    headers: { cookie: expired },
  });
  assert.equal(redirected.status, 303);
  assert.equal(redirected.headers.get("location"), "/login?next=%2Flogs");
});

Deno.test("createGuard() refuses a login body that is not a small form", async () => {
  const json = await answer({ apiToken: API_TOKEN }, "/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token: API_TOKEN }),
  });
  assert.equal(json.status, 400);
  const huge = await answer({ apiToken: API_TOKEN }, "/login", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: `token=${API_TOKEN}&pad=${"x".repeat(10_000)}`,
  });
  assert.equal(huge.status, 400);
});

Deno.test("createGuard() without API_TOKEN sends /login on to the page asked for", async () => {
  const response = await answer({}, "/login?next=%2Flogs");
  assert.equal(response.status, 303);
  assert.equal(response.headers.get("location"), "/logs");
});

Deno.test("createGuard() opens the admin endpoints in production with ADMIN_TOKEN only", async () => {
  const production = { production: true, adminToken: ADMIN_TOKEN };
  const purge = (headers: Record<string, string>) =>
    answer(production, "/api/admin/purge", { method: "DELETE", headers });
  assert.equal((await purge({ authorization: `Bearer ${ADMIN_TOKEN}` })).status, 200);
  assert.equal((await purge({})).status, 401);
  assert.equal(
    (await answer({ production: true }, "/api/admin/purge", { method: "DELETE" })).status,
    403,
  );
  // Outside production, without ADMIN_TOKEN, the endpoints stay open (as before tokens existed).
  assert.equal((await answer({}, "/api/admin/purge", { method: "DELETE" })).status, 200);
});

Deno.test("createGuard() refuses a Host beyond loopback before anything else", async () => {
  const hosts = hostPolicy("127.0.0.1");
  const response = await answer({ hosts, apiToken: API_TOKEN }, "/api/stats", {
    headers: { host: "evil.example" },
  });
  assert.equal(response.status, 403);
  assert.match((await response.json()).error, /^Host "evil\.example" is not allowed/);
});

Deno.test("sameSitePath() takes only paths of this server", () => {
  for (
    const [next, path] of [
      [null, "/"],
      ["/logs?service=a", "/logs?service=a"],
      ["/traces#top", "/traces#top"],
      ["//evil.example", "/"],
      ["/\\evil.example", "/"],
      ["/\t/evil.example", "/"],
      ["/\u0000/x", "/"],
      ["/\u007f", "/"],
      ["https://evil.example", "/"],
      ["javascript:alert(1)", "/"],
      ["logs", "/"],
      ["/a/../..//evil.example", "/"],
    ] as const
  ) {
    assert.equal(sameSitePath(next), path, JSON.stringify(next));
  }
});

Deno.test("createGuard() limits login attempts per client address, before reading the form", async () => {
  const guard = createGuard({ apiToken: API_TOKEN, loginRateLimit: 3, now: () => NOW });
  const route = guard.routes.find((r) => r.path === "/login" && r.method === "POST")!;
  const attempt = async (token: string) => {
    const request = new Request("http://127.0.0.1:8080/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token }),
    });
    return await route.handle(request, new URL(request.url), {});
  };
  for (let i = 0; i < 3; i++) assert.equal((await attempt("wrong-token-0123456789")).status, 401);
  const limited = await attempt(API_TOKEN);
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get("retry-after"), "60");
  assert.match(await limited.text(), /Too many login attempts from this address/);
  // Off with 0.
  const open = createGuard({ apiToken: API_TOKEN, loginRateLimit: 0 });
  const openRoute = open.routes.find((r) => r.path === "/login" && r.method === "POST")!;
  for (let i = 0; i < 20; i++) {
    const request = new Request("http://127.0.0.1:8080/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "token=nope-0123456789abcdef",
    });
    assert.equal((await openRoute.handle(request, new URL(request.url), {})).status, 401);
  }
});

Deno.test("createGuard() answers 408 to a login form that does not arrive in time", async () => {
  const guard = createGuard({ apiToken: API_TOKEN, bodyTimeoutMs: 100 });
  const route = guard.routes.find((r) => r.path === "/login" && r.method === "POST")!;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode("token="));
      // and nothing more
    },
  });
  const request = new Request("http://127.0.0.1:8080/login", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body,
  });
  const response = await route.handle(request, new URL(request.url), {});
  assert.equal(response.status, 408);
  assert.match((await response.json()).error, /HTTP_BODY_TIMEOUT \(100 ms\)/);
});

Deno.test("AttemptLimiter counts per window and remembers a bounded number of clients", () => {
  const limiter = new AttemptLimiter(2, 60_000, 3);
  assert.equal(limiter.attempt("a", 0), undefined);
  assert.equal(limiter.attempt("a", 1_000), undefined);
  assert.equal(limiter.attempt("a", 1_500), 59);
  assert.equal(limiter.attempt("a", 60_000), undefined, "a new window");
  for (const client of ["b", "c", "d", "e"]) limiter.attempt(client, 61_000);
  assert.equal(limiter.size, 3);
});

Deno.test("clientKey() counts IPv4 addresses alone and IPv6 ones by their /64", () => {
  assert.equal(clientKey({ hostname: "192.0.2.7" }), "192.0.2.7");
  assert.equal(clientKey({ hostname: "::ffff:192.0.2.7" }), "192.0.2.7");
  assert.equal(clientKey({ hostname: "2001:db8:1:2:aaaa::1" }), "2001:db8:1:2::/64");
  assert.equal(clientKey({ hostname: "2001:db8:1:2::9" }), "2001:db8:1:2::/64");
  assert.equal(clientKey({ hostname: "2001:db8::1" }), "2001:db8:0:0::/64");
  assert.equal(clientKey({ hostname: "::1" }), "0:0:0:0::/64");
  assert.equal(clientKey(undefined), "unknown");
});
