/**
 * Argus as users start it: a child process with the permissions of `deno task start`.
 */
import assert from "node:assert/strict";
import { migrationsFor } from "../store/migrations/mod.ts";
import { runArgus, startArgus } from "./argus_process.ts";
import { jsonSpans, postJson, traceRequest } from "./otlp_payloads.ts";

Deno.test("Argus starts on the default SQLite file, answers /api/health and stops on SIGTERM", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-main-" });
  try {
    const argus = await startArgus({}, cwd);
    try {
      const response = await fetch(`${argus.baseUrl}/api/health`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
      const health = await response.json();
      assert.equal(health.status, "ok");
      assert.equal(health.db_driver, "sqlite");
      for (
        const field of [
          "ingestion_rate",
          "dlq_size",
          "active_connections",
          "queue_depth",
          "uptime_s",
        ]
      ) {
        assert.equal(typeof health[field], "number", field);
      }
      assert.equal(typeof health.version, "string");
      const missing = await fetch(`${argus.baseUrl}/api/nothing`);
      assert.equal(missing.status, 404);
      assert.match((await missing.json()).error, /^No route for GET \/api\/nothing$/);
    } finally {
      assert.equal(await argus.stop("SIGTERM"), 0);
    }
    // The embedded database is a file in DATA_DIR (./data by default), with the schema applied.
    const stat = await Deno.stat(`${cwd}/data/argus.db`);
    assert.ok(stat.isFile && stat.size > 0);
    const migrations = Object.keys(migrationsFor("sqlite")).length;
    assert.match(
      argus.log(),
      new RegExp(
        `database ready driver=sqlite dsn=argus.db migrations_applied=${migrations} ` +
          `log_text_index=fts5\\n`,
      ),
    );
    assert.match(argus.log(), /stopped/);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("Argus refuses to start with exit code 1 and lists every configuration problem", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-main-" });
  try {
    const { code, stderr } = await runArgus({
      HTTP_PORT: "eighty",
      DB_DRIVER: "oracle",
      FLUSH_INTERVAL: "5",
    }, cwd);
    assert.equal(code, 1);
    assert.match(stderr, /Argus cannot start: 3 configuration problem\(s\)/);
    assert.match(
      stderr,
      /HTTP_PORT must be a port number from 1 to 65535 \(or 0 for any free port\): current value is "eighty"/,
    );
    assert.match(
      stderr,
      /DB_DRIVER must be one of sqlite, postgres, mysql, sqlserver: current value is "oracle"/,
    );
    assert.match(
      stderr,
      /FLUSH_INTERVAL must be a duration such as 500ms, 30s, 5m, 1h30m or 7d, from 0s to 1m: current value is "5"/,
    );
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("Argus starts without its database, says why in the log and the health check, and hides the password", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-main-" });
  const argus = await startArgus({
    DB_DRIVER: "postgres",
    DB_DSN: "postgres://argus:hunter2@127.0.0.1:1/argus",
    DB_CONNECT_TIMEOUT: "2s",
  }, cwd);
  try {
    const health = await fetch(`${argus.baseUrl}/api/health`);
    assert.equal(health.status, 503);
    const body = await health.json();
    assert.equal(body.status, "degraded");
    assert.match(body.db_error, /^the database is not ready: .*ECONNREFUSED/);
    assert.match(argus.log(), /the database is not available: Argus starts anyway/);
  } finally {
    assert.equal(await argus.stop(), 0);
    assert.doesNotMatch(argus.log(), /hunter2/);
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("Argus refuses to start with exit code 1, naming the setting, when a port is taken", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-main-" });
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = String((taken.addr as Deno.NetAddr).port);
  try {
    for (const setting of ["HTTP_PORT", "OTLP_HTTP_PORT", "GRPC_PORT"]) {
      const ports: Record<string, string> = { HTTP_PORT: "0", OTLP_HTTP_PORT: "0", GRPC_PORT: "0" };
      const { code, stderr } = await runArgus({ ...ports, [setting]: port }, cwd);
      assert.equal(code, 1, setting);
      assert.match(stderr, /Argus cannot start: a receiver cannot listen/, setting);
      // The gRPC gateway is a child process: its bind error is reported as a question.
      assert.match(
        stderr,
        new RegExp(`${setting} ${port} is in use|is ${setting} ${port} in use`),
        setting,
      );
    }
  } finally {
    taken.close();
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("GET /api/metadata/services lists the services of the window, and refuses a bad window", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-main-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms" }, cwd);
  try {
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    for (const [seed, service] of ["payment-service", "order-service"].entries()) {
      // Different seeds: the same ids would be the same spans, stored once.
      const spans = jsonSpans(2, seed + 1, nowNs);
      const answer = await postJson(argus.otlpHttpUrl, "traces", traceRequest(spans, service));
      assert.equal(answer.status, 200);
    }
    const listed = await fetch(`${argus.baseUrl}/api/metadata/services`);
    assert.equal(listed.status, 200);
    assert.deepEqual(await listed.json(), { services: ["order-service", "payment-service"] });
    const past = await fetch(`${argus.baseUrl}/api/metadata/services?start=0&end=1000`);
    assert.deepEqual(await past.json(), { services: [] });
    const bad = await fetch(`${argus.baseUrl}/api/metadata/services?range=1y`);
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), {
      error:
        `Cannot use 'range' as it must be one of 5m, 15m, 1h, 6h, 24h, 2d, 7d, or a whole number of minutes, hours or days such as 90m, 12h or 3d: current value is "1y"`,
    });
    assert.equal(
      (await fetch(`${argus.baseUrl}/api/metadata/services`, { method: "POST" })).status,
      405,
    );
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("Argus refuses to start with exit code 1 when DLQ_DIR cannot be created", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-main-" });
  try {
    await Deno.writeTextFile(`${cwd}/a-file`, "not a folder");
    const { code, stderr } = await runArgus({ DLQ_DIR: "./a-file/dlq" }, cwd);
    assert.equal(code, 1);
    assert.match(
      stderr,
      /Argus cannot start: the dead-letter queue folder cannot be used dir=.\/a-file\/dlq/,
    );
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
