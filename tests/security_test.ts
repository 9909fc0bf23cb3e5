/**
 * Security by default, against Argus as users run it: each token refused when missing or wrong
 * (before any work: bad requests get 401, not 400), taken when right, on the API, `/ws`,
 * `/metrics`, the admin endpoints and both OTLP receivers (raw requests and the OpenTelemetry
 * SDK's exporters with headers); foreign Origins and Host names refused; the login flow (plain
 * requests, then a browser); security headers on pages; CORS only as configured; the warnings of
 * an exposed or production Argus.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import { context, trace } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { OTLPTraceExporter as GrpcTraceExporter } from "@opentelemetry/exporter-trace-otlp-grpc";
import { OTLPTraceExporter as ProtoTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { statusMessage, TRACE_SERVICE } from "../ingest/grpc_gateway.ts";
import { type ArgusProcess, startArgus } from "./argus_process.ts";
import { runScenario } from "./browser.ts";
import { jsonSpans, postJson, traceRequest } from "./otlp_payloads.ts";

const API_TOKEN = "api-token-0123456789abcdef";
const ADMIN_TOKEN = "admin-token-0123456789abcdef";
const INGEST_TOKEN = "ingest-token-0123456789abcdef";
const WRONG = "wrong-token-0123456789abcdef";

/** An answer read off the socket: what a browser or a crafted client would get. */
interface RawAnswer {
  status: number;
  headers: Headers;
  body: string;
}

/**
 * One HTTP/1.1 request written by hand over TCP, so that its Host, Origin and Upgrade headers
 * are exactly ours (fetch sets Host itself). `headers` override the defaults, Host included.
 */
async function raw(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  try {
    const all: Record<string, string> = { host: `${hostname}:${port}`, connection: "close" };
    for (const [name, value] of Object.entries(headers)) all[name.toLowerCase()] = value;
    const head = [
      `${method} ${path} HTTP/1.1`,
      ...Object.entries(all).map(([n, v]) => `${n}: ${v}`),
    ];
    await conn.write(new TextEncoder().encode(head.join("\r\n") + "\r\n\r\n"));
    let bytes = new Uint8Array(0);
    const chunk = new Uint8Array(16_384);
    while (true) {
      const text = new TextDecoder("latin1").decode(bytes);
      const end = text.indexOf("\r\n\r\n");
      if (end >= 0) {
        // A 101 keeps the connection open: its head is the whole answer. Others end with their
        // Content-Length, or their last chunk (the connection may stay open after an upgrade
        // request that was refused).
        if (text.startsWith("HTTP/1.1 101")) break;
        const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))?.[1];
        if (length !== undefined && bytes.length >= end + 4 + Number(length)) break;
        if (length === undefined && text.endsWith("\r\n0\r\n\r\n")) break;
      }
      const n = await conn.read(chunk);
      if (n === null) break;
      const next = new Uint8Array(bytes.length + n);
      next.set(bytes);
      next.set(chunk.subarray(0, n), bytes.length);
      bytes = next;
    }
    const text = new TextDecoder().decode(bytes);
    const end = text.indexOf("\r\n\r\n");
    const lines = text.slice(0, end).split("\r\n");
    const parsed = new Headers();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      parsed.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    let body = text.slice(end + 4);
    if (/chunked/i.test(parsed.get("transfer-encoding") ?? "")) {
      // Good enough for the small bodies here: drop the chunk-size lines.
      body = body.split("\r\n").filter((_, i) => i % 2 === 1).join("");
    }
    return { status: Number(lines[0]!.slice(9, 12)), headers: parsed, body };
  } finally {
    conn.close();
  }
}

/** A WebSocket handshake's headers (the key is the RFC's sample). */
const UPGRADE = {
  connection: "Upgrade",
  upgrade: "websocket",
  "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
  "sec-websocket-version": "13",
};

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function get(argus: ArgusProcess, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${argus.baseUrl}${path}`, { headers, redirect: "manual" });
  return { response, text: await response.text() };
}

/** Spans recorded by the SDK (kept in memory), ready for any exporter. */
function sdkSpans(service: string, count: number): ReadableSpan[] {
  const recorded = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": service }),
    spanProcessors: [new SimpleSpanProcessor(recorded)],
  });
  const tracer = provider.getTracer("security-test");
  for (let i = 0; i < count; i++) tracer.startSpan(`op ${i}`, {}, context.active()).end();
  void trace;
  return recorded.getFinishedSpans();
}

/** The SDK exporter's verdict: 0 (SUCCESS) or 1 (FAILED) with its error. */
function exportWith(exporter: SpanExporter, spans: ReadableSpan[]) {
  return new Promise<{ code: number; error?: Error }>((resolve) => {
    exporter.export(spans, (result) => resolve(result));
  });
}

async function countSpans(argus: ArgusProcess, service: string): Promise<number> {
  const answer = await fetch(
    `${argus.baseUrl}/api/traces?range=1h&service=${service}&limit=1000`,
    { headers: bearer(API_TOKEN) },
  );
  assert.equal(answer.status, 200);
  const body = await answer.json();
  return body.items.reduce((n: number, t: { span_count: number }) => n + t.span_count, 0);
}

async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs = 5_000) {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test("Argus with API_TOKEN, ADMIN_TOKEN and INGEST_TOKEN refuses whoever lacks them", async (t) => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-security-" });
  const argus = await startArgus({
    API_TOKEN,
    ADMIN_TOKEN,
    INGEST_TOKEN,
    FLUSH_INTERVAL: "10ms",
  }, cwd);
  try {
    await t.step(
      "the API answers 401 with WWW-Authenticate, before reading parameters",
      async () => {
        for (const path of ["/api/stats", "/api/traces?limit=abc", "/api/nothing", "/metrics"]) {
          const { response, text } = await get(argus, path);
          assert.equal(response.status, 401, path);
          assert.equal(response.headers.get("www-authenticate"), 'Bearer realm="argus"');
          assert.match(JSON.parse(text).error, /requires API_TOKEN: send 'Authorization: Bearer/);
          const wrong = await get(argus, path, bearer(WRONG));
          assert.equal(wrong.response.status, 401, path);
          assert.match(JSON.parse(wrong.text).error, /^The token sent is not API_TOKEN/);
          assert.match(wrong.response.headers.get("www-authenticate")!, /error="invalid_token"/);
        }
        assert.equal((await get(argus, "/api/stats", bearer(API_TOKEN))).response.status, 200);
        // The admin token opens the API too (it is the stronger one).
        assert.equal((await get(argus, "/api/stats", bearer(ADMIN_TOKEN))).response.status, 200);
        // The ingest token does not.
        assert.equal((await get(argus, "/api/stats", bearer(INGEST_TOKEN))).response.status, 401);
      },
    );

    await t.step("/metrics takes API_TOKEN as a Bearer token, as Prometheus sends it", async () => {
      const { response, text } = await get(argus, "/metrics", bearer(API_TOKEN));
      assert.equal(response.status, 200);
      assert.match(text, /argus_otlp_requests_total/);
    });

    await t.step("/api/health and /static stay public, and say nothing secret", async () => {
      const health = await get(argus, "/api/health");
      assert.equal(health.response.status, 200);
      assert.equal(JSON.parse(health.text).status, "ok");
      for (const token of [API_TOKEN, ADMIN_TOKEN, INGEST_TOKEN]) {
        assert.ok(!health.text.includes(token));
      }
      assert.equal((await get(argus, "/static/app.css")).response.status, 200);
    });

    await t.step("/ws answers 401 before the upgrade, and upgrades with the token", async () => {
      const missing = await raw(argus.baseUrl, "GET", "/ws", UPGRADE);
      assert.equal(missing.status, 401);
      assert.match(JSON.parse(missing.body).error, /requires API_TOKEN/);
      // Not even an upgrade: still 401 rather than the hub's 400.
      assert.equal((await raw(argus.baseUrl, "GET", "/ws")).status, 401);
      const wrong = await raw(argus.baseUrl, "GET", "/ws", { ...UPGRADE, ...bearer(WRONG) });
      assert.equal(wrong.status, 401);
      const right = await raw(argus.baseUrl, "GET", "/ws", { ...UPGRADE, ...bearer(API_TOKEN) });
      assert.equal(right.status, 101);
    });

    await t.step("a foreign Origin gets 403 on /ws and on the admin endpoints", async () => {
      const origin = { origin: "https://evil.example" };
      const ws = await raw(argus.baseUrl, "GET", "/ws", {
        ...UPGRADE,
        ...bearer(API_TOKEN),
        ...origin,
      });
      assert.equal(ws.status, 403);
      assert.match(JSON.parse(ws.body).error, /^Origin https:\/\/evil\.example may not GET \/ws/);
      for (
        const [method, path] of [["DELETE", "/api/admin/purge"], ["POST", "/api/admin/vacuum"]]
      ) {
        const answer = await raw(argus.baseUrl, method!, path!, {
          ...bearer(ADMIN_TOKEN),
          ...origin,
        });
        assert.equal(answer.status, 403, path);
        assert.match(JSON.parse(answer.body).error, /only pages served by this Argus/);
      }
      // The page's own origin passes.
      const own = await raw(argus.baseUrl, "GET", "/ws", {
        ...UPGRADE,
        ...bearer(API_TOKEN),
        origin: argus.baseUrl,
      });
      assert.equal(own.status, 101);
    });

    await t.step("the admin endpoints need ADMIN_TOKEN as a Bearer token", async () => {
      const purge = (headers: Record<string, string>) =>
        fetch(`${argus.baseUrl}/api/admin/purge?older_than=30d`, { method: "DELETE", headers });
      const nothing = await purge({});
      assert.equal(nothing.status, 401);
      assert.match((await nothing.json()).error, /requires API_TOKEN/);
      const apiOnly = await purge(bearer(API_TOKEN));
      assert.equal(apiOnly.status, 401);
      assert.match((await apiOnly.json()).error, /^The token sent is not ADMIN_TOKEN/);
      const wrong = await purge(bearer(WRONG));
      assert.equal(wrong.status, 401);
      await wrong.body?.cancel();
      const right = await purge(bearer(ADMIN_TOKEN));
      assert.equal(right.status, 200);
      assert.deepEqual(Object.keys(await right.json()).sort(), [
        "cutoff_time",
        "deleted_logs",
        "deleted_spans",
        "older_than",
      ]);
      const vacuum = await fetch(`${argus.baseUrl}/api/admin/vacuum`, {
        method: "POST",
        headers: bearer(API_TOKEN),
      });
      assert.equal(vacuum.status, 401);
      await vacuum.body?.cancel();
    });

    await t.step(
      "OTLP/HTTP answers 401 in the request's format before reading the body",
      async () => {
        // An undecodable body: refused for the token, not for its content.
        const sent: Record<string, string>[] = [{}, bearer(WRONG), { "x-api-key": WRONG }];
        for (const headers of sent) {
          const answer = await fetch(`${argus.otlpHttpUrl}/v1/traces`, {
            method: "POST",
            headers: { "content-type": "application/x-protobuf", ...headers },
            body: new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]),
          });
          assert.equal(answer.status, 401, JSON.stringify(headers));
          assert.equal(answer.headers.get("content-type"), "application/x-protobuf");
          const body = new Uint8Array(await answer.arrayBuffer());
          assert.deepEqual([...body.subarray(0, 2)], [0x08, 16], "google.rpc.Status code 16");
          assert.match(statusMessage(body), /INGEST_TOKEN/);
        }
        const json = await postJson(argus.otlpHttpUrl, "traces", "{not json");
        assert.equal(json.status, 401);
        assert.equal(json.body.code, 16);
        assert.match(String(json.body.message), /^This Argus requires INGEST_TOKEN/);

        const spans = traceRequest(jsonSpans(3, 81), "raw-http");
        assert.equal(
          (await postJson(argus.otlpHttpUrl, "traces", spans, bearer(WRONG))).status,
          401,
        );
        assert.equal(
          (await postJson(argus.otlpHttpUrl, "traces", spans, bearer(INGEST_TOKEN))).status,
          200,
        );
        const viaKey = traceRequest(jsonSpans(2, 82), "raw-http");
        assert.equal(
          (await postJson(argus.otlpHttpUrl, "traces", viaKey, { "x-api-key": INGEST_TOKEN }))
            .status,
          200,
        );
        // The API token is not the ingest token.
        assert.equal(
          (await postJson(argus.otlpHttpUrl, "traces", spans, bearer(API_TOKEN))).status,
          401,
        );
      },
    );

    await t.step("OTLP/gRPC answers UNAUTHENTICATED before forwarding anything", async () => {
      const Client = grpc.makeGenericClientConstructor(TRACE_SERVICE, "TraceService");
      const client = new Client(argus.grpcAddress, grpc.credentials.createInsecure());
      const call = (bytes: Uint8Array, entries: Record<string, string>) =>
        new Promise<{ code: number; details: string }>((resolve) => {
          const metadata = new grpc.Metadata();
          for (const [name, value] of Object.entries(entries)) metadata.set(name, value);
          // deno-lint-ignore no-explicit-any -- a generic client has untyped methods
          (client as any).Export(
            Buffer.from(bytes),
            metadata,
            (error: { code: number; details: string } | null) =>
              resolve(error ?? { code: 0, details: "" }),
          );
        });
      try {
        const garbage = new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]);
        const missing = await call(garbage, {});
        assert.equal(missing.code, grpc.status.UNAUTHENTICATED);
        assert.match(missing.details, /^This Argus requires INGEST_TOKEN/);
        const wrong = await call(garbage, { "x-api-key": WRONG });
        assert.equal(wrong.code, grpc.status.UNAUTHENTICATED);
        assert.match(wrong.details, /^The ingest token sent is not INGEST_TOKEN/);
        // With the token, the same garbage reaches the decoder.
        const decoded = await call(garbage, { authorization: `Bearer ${INGEST_TOKEN}` });
        assert.equal(decoded.code, grpc.status.INVALID_ARGUMENT);
        assert.equal((await call(new Uint8Array(0), { "x-api-key": INGEST_TOKEN })).code, 0);
      } finally {
        client.close();
      }
    });

    await t.step(
      "the SDK's exporters send with the token in their headers, and fail without",
      async () => {
        const grpcUrl = `http://${argus.grpcAddress}`;
        const withToken = new grpc.Metadata();
        withToken.set("authorization", `Bearer ${INGEST_TOKEN}`);
        const exporters: [string, SpanExporter, SpanExporter][] = [
          [
            "sdk-grpc",
            new GrpcTraceExporter({ url: grpcUrl, metadata: withToken }),
            new GrpcTraceExporter({ url: grpcUrl }),
          ],
          [
            "sdk-http",
            new ProtoTraceExporter({
              url: `${argus.otlpHttpUrl}/v1/traces`,
              headers: { "x-api-key": INGEST_TOKEN },
            }),
            new ProtoTraceExporter({
              url: `${argus.otlpHttpUrl}/v1/traces`,
              headers: { authorization: `Bearer ${WRONG}` },
            }),
          ],
        ];
        for (const [service, good, bad] of exporters) {
          const refused = await exportWith(bad, sdkSpans(`${service}-refused`, 2));
          assert.equal(refused.code, 1, `${service} without the token`);
          const sent = await exportWith(good, sdkSpans(service, 4));
          assert.equal(sent.code, 0, `${service}: ${sent.error?.message}`);
          await good.shutdown();
          await bad.shutdown();
          await waitFor(`${service}'s spans`, async () => (await countSpans(argus, service)) === 4);
          assert.equal(await countSpans(argus, `${service}-refused`), 0);
        }
      },
    );

    await t.step("a Host that is not loopback or allowed gets 403 naming it", async () => {
      for (const url of [argus.baseUrl, argus.otlpHttpUrl]) {
        const answer = await raw(url, "GET", "/api/health", { host: "rebound.evil.example:8080" });
        assert.equal(answer.status, 403, url);
        const message = JSON.parse(answer.body).error ?? JSON.parse(answer.body).message;
        assert.match(
          message,
          /^Host "rebound\.evil\.example:8080" is not allowed: .*ALLOWED_HOSTS/,
        );
      }
      const port = new URL(argus.baseUrl).port;
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
        assert.equal((await raw(argus.baseUrl, "GET", "/api/health", { host })).status, 200, host);
      }
    });

    await t.step(
      "pages redirect to /login, which sets an HttpOnly SameSite=Strict cookie",
      async () => {
        const page = await get(argus, "/traces?range=1h");
        assert.equal(page.response.status, 303);
        assert.equal(page.response.headers.get("location"), "/login?next=%2Ftraces%3Frange%3D1h");
        const form = await get(argus, "/login?next=%2Ftraces%3Frange%3D1h");
        assert.equal(form.response.status, 200);
        assert.match(form.text, /<form method="post" action="\/login">/);
        assert.match(form.text, /name="next" value="\/traces\?range=1h"/);

        const login = (token: string, headers: Record<string, string> = {}) =>
          fetch(`${argus.baseUrl}/login`, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
            body: new URLSearchParams({ token, next: "/traces?range=1h" }),
            redirect: "manual",
          });
        const wrong = await login(WRONG);
        assert.equal(wrong.status, 401);
        assert.match(await wrong.text(), /That is not the API token/);
        assert.equal(wrong.headers.get("set-cookie"), null);
        const foreign = await login(API_TOKEN, { origin: "https://evil.example" });
        assert.equal(foreign.status, 403);
        await foreign.body?.cancel();

        const right = await login(API_TOKEN);
        assert.equal(right.status, 303);
        assert.equal(right.headers.get("location"), "/traces?range=1h");
        const cookie = right.headers.get("set-cookie")!;
        assert.match(
          cookie,
          /^argus_session=\d+\.[\w-]+; Path=\/; Max-Age=604800; HttpOnly; SameSite=Strict$/,
        );
        assert.ok(!cookie.includes(API_TOKEN));
        const session = cookie.split(";")[0]!;

        const traces = await get(argus, "/traces?range=1h", { cookie: session });
        assert.equal(traces.response.status, 200);
        assert.match(traces.text, /<title>Traces · Argus<\/title>/);
        assert.match(traces.text, /action="\/logout"/);
        assert.equal((await get(argus, "/api/stats", { cookie: session })).response.status, 200);
        const ws = await raw(argus.baseUrl, "GET", "/ws", { ...UPGRADE, cookie: session });
        assert.equal(ws.status, 101);
        // A forged or altered cookie is refused.
        const forged = session.replace(/=\d+/, "=9999999999");
        assert.equal((await get(argus, "/api/stats", { cookie: forged })).response.status, 401);

        // Behind an https proxy the cookie is Secure.
        const proxied = await login(API_TOKEN, { "x-forwarded-proto": "https" });
        assert.match(proxied.headers.get("set-cookie")!, /; Secure$/);
        await proxied.body?.cancel();

        const logout = await fetch(`${argus.baseUrl}/logout`, {
          method: "POST",
          headers: { cookie: session },
          redirect: "manual",
        });
        assert.equal(logout.status, 303);
        assert.equal(logout.headers.get("location"), "/login");
        assert.match(logout.headers.get("set-cookie")!, /^argus_session=; Path=\/; Max-Age=0;/);
        await logout.body?.cancel();
      },
    );

    await t.step(
      "pages carry the Content-Security-Policy and the other security headers",
      async () => {
        for (const path of ["/login", "/"]) {
          const { response } = await get(argus, path, bearer(API_TOKEN));
          assert.equal(response.status, 200, path);
          const csp = response.headers.get("content-security-policy") ?? "";
          for (
            const directive of [
              "script-src 'self'",
              "style-src 'self' 'unsafe-inline'",
              "img-src 'self' data:",
              "connect-src 'self'",
              "frame-ancestors 'none'",
            ]
          ) {
            assert.ok(csp.includes(directive), `${path}: ${directive} in ${csp}`);
          }
          assert.equal(response.headers.get("x-content-type-options"), "nosniff");
          assert.equal(response.headers.get("x-frame-options"), "DENY");
          assert.equal(response.headers.get("referrer-policy"), "same-origin");
        }
      },
    );

    await t.step("no CORS header is sent while CORS_ORIGINS is unset", async () => {
      const { response } = await get(argus, "/api/stats", {
        ...bearer(API_TOKEN),
        origin: "https://dash.example.com",
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("access-control-allow-origin"), null);
    });

    await t.step("in a browser: log in, purge with the admin token, log out", async () => {
      const { answer, problems } = await runScenario<{
        redirectedTo: string;
        wrong: string;
        session: { httpOnly: boolean; sameSite: string };
        confirmDisabled: boolean;
        result: string;
        afterLogout: string;
      }>("login", argus.baseUrl, { apiToken: API_TOKEN, adminToken: ADMIN_TOKEN });
      // The one error is the wrong token's 401 (Chromium logs it too); no CSP violation.
      assert.deepEqual(problems, [
        `HTTP 401: ${argus.baseUrl}/login`,
        "console: Failed to load resource: the server responded with a status of 401 (Unauthorized)",
      ]);
      assert.equal(answer.redirectedTo, "/login?next=%2Fsettings");
      assert.match(answer.wrong, /That is not the API token/);
      assert.deepEqual(answer.session, { httpOnly: true, sameSite: "Strict" });
      assert.equal(answer.confirmDisabled, true);
      assert.match(answer.result, /^Deleted \d+ logs and \d+ spans older than /);
      assert.equal(answer.afterLogout, "/login?next=%2F");
    });

    await t.step("no token reached the log", () => {
      for (const token of [API_TOKEN, ADMIN_TOKEN, INGEST_TOKEN]) {
        assert.ok(!argus.log().includes(token), "a token was logged");
      }
    });
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("Argus exposed beyond loopback in production warns, refuses admin, and does CORS as configured", async (t) => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-security-" });
  const argus = await startArgus({
    APP_ENV: "production",
    HOST: "0.0.0.0",
    CORS_ORIGINS: "https://dash.example.com",
  }, cwd);
  const base = argus.baseUrl.replace("0.0.0.0", "127.0.0.1");
  try {
    await t.step("it says so at start-up", async () => {
      // Said just after the "listening" line, which startArgus waits for.
      await waitFor("the warnings", () => Promise.resolve(/admin endpoints/.test(argus.log())));
      const log = argus.log();
      assert.match(
        log,
        /WARN +SECURITY: Argus listens on 0\.0\.0\.0, beyond this machine, without API_TOKEN .* and without INGEST_TOKEN/,
      );
      assert.match(log, /WARN +SECURITY: the admin endpoints \(\/api\/admin\/\*\) answer 403/);
    });

    await t.step("every page shows the warning as a banner", async () => {
      const page = await fetch(`${base}/settings`);
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.match(
        html,
        /data-security-warning="" role="alert"|role="alert"[^>]*data-security-warning/,
      );
      assert.match(html, /Argus listens on 0\.0\.0\.0, beyond this machine, without API_TOKEN/);
      // No token, no log-out button.
      assert.ok(!html.includes('action="/logout"'));
    });

    await t.step("the admin endpoints answer 403 naming ADMIN_TOKEN", async () => {
      for (
        const [method, path] of [["DELETE", "/api/admin/purge"], ["POST", "/api/admin/vacuum"]]
      ) {
        const answer = await fetch(`${base}${path}`, { method: method! });
        assert.equal(answer.status, 403, path);
        assert.match(
          (await answer.json()).error,
          /^Admin endpoints are off: APP_ENV is production and ADMIN_TOKEN is not set/,
        );
      }
    });

    await t.step("CORS headers go to the configured origin only", async () => {
      const listed = await fetch(`${base}/api/stats`, {
        headers: { origin: "https://dash.example.com" },
      });
      assert.equal(listed.status, 200);
      assert.equal(listed.headers.get("access-control-allow-origin"), "https://dash.example.com");
      assert.match(listed.headers.get("vary") ?? "", /Origin/);
      await listed.body?.cancel();
      const other = await fetch(`${base}/api/stats`, {
        headers: { origin: "https://evil.example" },
      });
      assert.equal(other.headers.get("access-control-allow-origin"), null);
      await other.body?.cancel();

      const preflight = await fetch(`${base}/api/traces`, {
        method: "OPTIONS",
        headers: {
          origin: "https://dash.example.com",
          "access-control-request-method": "GET",
          "access-control-request-headers": "authorization",
        },
      });
      assert.equal(preflight.status, 204);
      assert.equal(
        preflight.headers.get("access-control-allow-origin"),
        "https://dash.example.com",
      );
      assert.match(preflight.headers.get("access-control-allow-headers")!, /authorization/);
      assert.match(preflight.headers.get("access-control-allow-methods")!, /GET/);
      const refused = await fetch(`${base}/api/traces`, {
        method: "OPTIONS",
        headers: { origin: "https://evil.example", "access-control-request-method": "GET" },
      });
      assert.equal(refused.status, 403);
      assert.match((await refused.json()).error, /not in CORS_ORIGINS/);
      // Pages get no CORS headers.
      const page = await fetch(`${base}/`, { headers: { origin: "https://dash.example.com" } });
      assert.equal(page.headers.get("access-control-allow-origin"), null);
      await page.body?.cancel();
    });

    await t.step("a listed origin may open /ws like Argus's own pages", async () => {
      const answer = await raw(base, "GET", "/ws", {
        ...UPGRADE,
        origin: "https://dash.example.com",
      });
      assert.equal(answer.status, 101);
    });

    await t.step("any Host is answered beyond loopback while ALLOWED_HOSTS is empty", async () => {
      const answer = await raw(base, "GET", "/api/health", { host: "argus.example.com" });
      assert.equal(answer.status, 200);
    });
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
