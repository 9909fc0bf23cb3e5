/**
 * Deno's built-in OpenTelemetry (OTEL_DENO=true) as a client: zero-code traces and logs of a Deno
 * service arrive over OTLP/HTTP protobuf, its metrics are acknowledged, and all of it lands.
 */
import assert from "node:assert/strict";
import { createStore } from "../store/mod.ts";
import { startArgus } from "./argus_process.ts";
import { databaseConfig } from "./databases.ts";

const ALL = { startNs: 0n, endNs: (1n << 63n) - 1n };

Deno.test("Deno's built-in OpenTelemetry sends a service's traces and logs to Argus", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-deno-otel-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "20ms" }, cwd);
  try {
    const app = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        new URL("./fixtures/deno_otel_app.ts", import.meta.url).pathname,
      ],
      env: {
        OTEL_DENO: "true",
        OTEL_SERVICE_NAME: "deno-app",
        OTEL_EXPORTER_OTLP_ENDPOINT: argus.otlpHttpUrl,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(app.code, 0, new TextDecoder().decode(app.stderr));

    const store = await createStore(databaseConfig("sqlite", `${cwd}/data/argus.db`), {
      dataDir: cwd,
    });
    try {
      const spans = await store.spans({ ...ALL, serviceName: "deno-app" }, {
        limit: 10,
        offset: 0,
      });
      const server = spans.find((s) => s.kind === 2);
      const client = spans.find((s) => s.kind === 3);
      assert.ok(
        server && client,
        `a server and a client span: ${JSON.stringify(spans.map((s) => s.kind))}`,
      );
      assert.equal(server.traceId, client.traceId, "fetch propagated the trace context");
      assert.equal(server.parentSpanId, client.spanId);
      assert.equal(server.name, "GET");
      const attributes = JSON.parse(server.attributes);
      assert.equal(attributes["http.request.method"], "GET");
      assert.equal(attributes["url.path"], "/hello");

      const logs = await store.logs({ ...ALL, serviceName: "deno-app" }, { limit: 10, offset: 0 });
      assert.equal(logs.length, 1);
      assert.equal(logs[0]!.body.trim(), "hello from deno otel");
      assert.equal(logs[0]!.traceId, server.traceId, "the log is correlated with its span");
      assert.equal(logs[0]!.spanId, server.spanId);
      assert.equal(logs[0]!.resource.serviceName, "deno-app");
    } finally {
      await store.close();
    }
    assert.doesNotMatch(argus.log(), /ERROR/);
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
