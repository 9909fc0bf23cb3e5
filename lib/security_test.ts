import assert from "node:assert/strict";
import {
  bearerToken,
  checkIngestToken,
  cookieValue,
  exposureWarning,
  hostAllowed,
  hostPolicy,
  isLoopbackHost,
  originAllowed,
  sessionValid,
  sessionValue,
  tokenMatches,
} from "./security.ts";

const TOKEN = "0123456789abcdef-token";

Deno.test("tokenMatches() takes only the exact token", () => {
  assert.equal(tokenMatches(TOKEN, TOKEN), true);
  for (const other of [undefined, null, "", TOKEN.slice(0, -1), TOKEN + "x", TOKEN.toUpperCase()]) {
    assert.equal(tokenMatches(other, TOKEN), false, String(other));
  }
  // An empty expected token matches nothing, not even an empty one.
  assert.equal(tokenMatches("", ""), false);
});

Deno.test("bearerToken() reads the Bearer scheme in any case", () => {
  assert.equal(bearerToken(`Bearer ${TOKEN}`), TOKEN);
  assert.equal(bearerToken(`bearer  ${TOKEN} `), TOKEN);
  assert.equal(bearerToken(`Basic ${TOKEN}`), undefined);
  assert.equal(bearerToken(TOKEN), undefined);
  assert.equal(bearerToken("Bearer a b"), undefined);
  assert.equal(bearerToken(null), undefined);
});

Deno.test("checkIngestToken() takes Authorization: Bearer or x-api-key", () => {
  const headers = (values: Record<string, string>) => (name: string) => values[name];
  assert.equal(checkIngestToken(headers({ authorization: `Bearer ${TOKEN}` }), TOKEN), "ok");
  assert.equal(checkIngestToken(headers({ "x-api-key": TOKEN }), TOKEN), "ok");
  assert.equal(
    checkIngestToken(headers({ authorization: "Bearer wrong", "x-api-key": TOKEN }), TOKEN),
    "ok",
  );
  assert.equal(checkIngestToken(headers({}), TOKEN), "missing");
  assert.equal(checkIngestToken(headers({ authorization: `Basic ${TOKEN}` }), TOKEN), "missing");
  assert.equal(checkIngestToken(headers({ "x-api-key": "wrong" }), TOKEN), "wrong");
});

Deno.test("isLoopbackHost() knows the loopback names and addresses in their forms", () => {
  for (const host of ["localhost", "LOCALHOST", "app.localhost", "127.0.0.1", "127.1.2.3", "::1"]) {
    assert.equal(isLoopbackHost(host), true, host);
  }
  for (const host of ["0.0.0.0", "::", "10.0.0.1", "argus.example.com", "localhost.evil.com"]) {
    assert.equal(isLoopbackHost(host), false, host);
  }
});

Deno.test("hostAllowed() refuses names that are not loopback or allowed while HOST is loopback", () => {
  const policy = hostPolicy("127.0.0.1", ["argus.example.com"]);
  for (
    const host of ["127.0.0.1:8080", "localhost:8080", "[::1]:8080", "Argus.Example.com", null]
  ) {
    assert.equal(hostAllowed(host, policy), true, String(host));
  }
  for (const host of ["evil.example:8080", "10.0.0.7", "argus.example.com.evil.example", "[::2]"]) {
    assert.equal(hostAllowed(host, policy), false, host);
  }
});

Deno.test("hostAllowed() takes any Host beyond loopback unless ALLOWED_HOSTS is set", () => {
  assert.equal(hostAllowed("evil.example", hostPolicy("0.0.0.0")), true);
  const listed = hostPolicy("0.0.0.0", ["argus.lan"]);
  assert.equal(hostAllowed("argus.lan:8080", listed), true);
  assert.equal(hostAllowed("localhost:8080", listed), true);
  assert.equal(hostAllowed("evil.example", listed), false);
  // The address Argus binds to is always its own name (its gRPC gateway uses it).
  assert.equal(hostAllowed("10.0.0.7:4318", hostPolicy("10.0.0.7", ["argus.lan"])), true);
});

Deno.test("originAllowed() takes the page of the request's own host, or a listed origin", () => {
  assert.equal(originAllowed("http://127.0.0.1:8080", "127.0.0.1:8080"), true);
  assert.equal(originAllowed("https://argus.example.com", "argus.example.com"), true);
  assert.equal(originAllowed("http://localhost:8080", "127.0.0.1:8080"), false);
  assert.equal(originAllowed("https://evil.example", "127.0.0.1:8080"), false);
  assert.equal(originAllowed("null", "127.0.0.1:8080"), false);
  const listed = new Set(["https://dash.example.com"]);
  assert.equal(originAllowed("https://dash.example.com", "127.0.0.1:8080", listed), true);
});

Deno.test("sessionValid() takes a session of the token until it expires", () => {
  const now = 1_800_000_000_000;
  const session = sessionValue(TOKEN, now / 1000 + 60);
  assert.ok(!session.includes(TOKEN));
  assert.equal(sessionValid(session, TOKEN, now), true);
  assert.equal(sessionValid(session, TOKEN, now + 60_000), false, "expired");
  assert.equal(sessionValid(session, "another-token-0123456789", now), false, "other token");
  const [expires, mac] = session.split(".");
  assert.equal(sessionValid(`${Number(expires) + 3600}.${mac}`, TOKEN, now), false, "extended");
  assert.equal(sessionValid(undefined, TOKEN, now), false);
  assert.equal(sessionValid("garbage", TOKEN, now), false);
});

Deno.test("cookieValue() finds one cookie among several", () => {
  assert.equal(cookieValue("a=1; argus_session=x.y; b=2", "argus_session"), "x.y");
  assert.equal(cookieValue("xargus_session=1", "argus_session"), undefined);
  assert.equal(cookieValue(null, "argus_session"), undefined);
});

Deno.test("exposureWarning() speaks only beyond loopback, naming each missing token", () => {
  const none = { apiToken: null, ingestToken: null };
  assert.equal(exposureWarning("127.0.0.1", none), undefined);
  assert.equal(exposureWarning("::1", none), undefined);
  assert.equal(exposureWarning("0.0.0.0", { apiToken: TOKEN, ingestToken: TOKEN }), undefined);
  const both = exposureWarning("0.0.0.0", none)!;
  assert.match(both, /^Argus listens on 0\.0\.0\.0, beyond this machine, without API_TOKEN/);
  assert.match(both, /INGEST_TOKEN/);
  const ingest = exposureWarning("10.0.0.7", { apiToken: TOKEN, ingestToken: null })!;
  assert.ok(!ingest.includes("API_TOKEN") && ingest.includes("INGEST_TOKEN"), ingest);
});
