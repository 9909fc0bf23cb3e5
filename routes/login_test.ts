import assert from "node:assert/strict";
import { Hono } from "hono";
import { type LoginOptions, loginRoutes } from "./login.ts";
import { apiToken, SESSION_COOKIE } from "./middleware/api_token.ts";
import { jsonErrorHandler } from "./errors.ts";
import { createLogger } from "../lib/logger.ts";
import { AttemptLimiter, clientKey, sameSitePath, sessionValue } from "../lib/security.ts";

const API_TOKEN = "api-token-0123456789abcdef";
const NOW = 1_800_000_000_000;

/** The login routes behind the API_TOKEN middleware, with a page answering every other path. */
function app(options: Partial<LoginOptions> = {}) {
  const settings: LoginOptions = {
    apiToken: null,
    loginRateLimit: 10,
    bodyTimeoutMs: 30_000,
    now: () => NOW,
    ...options,
  };
  const hono = new Hono();
  hono.use(apiToken({ apiToken: settings.apiToken, adminToken: null, now: settings.now }));
  for (const route of loginRoutes(settings)) hono.on(route.method, route.path, route.handle);
  hono.all("*", () => new Response("routed", { status: 200 }));
  hono.onError(jsonErrorHandler(createLogger("error", () => {})));
  return (path: string, init: RequestInit = {}) =>
    Promise.resolve(hono.fetch(new Request(`http://127.0.0.1:8080${path}`, init)));
}

/** One request to a fresh app with `options`. */
function answer(options: Partial<LoginOptions>, path: string, init: RequestInit = {}) {
  return app(options)(path, init);
}

Deno.test("loginRoutes() send the browser back only to a path of this server after login", async () => {
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

Deno.test("loginRoutes() refuse a login body that is not a small form", async () => {
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

Deno.test("loginRoutes() without API_TOKEN send /login on to the page asked for", async () => {
  const response = await answer({}, "/login?next=%2Flogs");
  assert.equal(response.status, 303);
  assert.equal(response.headers.get("location"), "/logs");
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

Deno.test("loginRoutes() limit login attempts per client address, before reading the form", async () => {
  const login = (request: ReturnType<typeof app>, token: string) =>
    request("/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token }),
    });
  const limited = app({ apiToken: API_TOKEN, loginRateLimit: 3 });
  for (let i = 0; i < 3; i++) {
    const refused = await login(limited, "wrong-token-0123456789");
    assert.equal(refused.status, 401);
    await refused.body?.cancel();
  }
  const tooMany = await login(limited, API_TOKEN);
  assert.equal(tooMany.status, 429);
  assert.equal(tooMany.headers.get("retry-after"), "60");
  assert.match(await tooMany.text(), /Too many login attempts from this address/);
  // Off with 0.
  const open = app({ apiToken: API_TOKEN, loginRateLimit: 0 });
  for (let i = 0; i < 20; i++) {
    const refused = await login(open, "nope-0123456789abcdef");
    assert.equal(refused.status, 401);
    await refused.body?.cancel();
  }
});

Deno.test("loginRoutes() answer 408 to a login form that does not arrive in time", async () => {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode("token="));
      // and nothing more
    },
  });
  const response = await answer({ apiToken: API_TOKEN, bodyTimeoutMs: 100 }, "/login", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body,
  });
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
