import assert from "node:assert/strict";
import { jaegerConfig, metricSum } from "./_peers_systems.ts";
import { program } from "./_peers_process.ts";

const PORTS = { otlp: 40001, queryHttp: 40002, queryGrpc: 40003, metrics: 40004 };

Deno.test("jaegerConfig() listens on 127.0.0.1 only, with Jaeger's own tracing off", () => {
  for (const storage of ["badger", "memory"] as const) {
    const yaml = jaegerConfig(storage, "/tmp/x", PORTS, 100_000);
    const addresses = [...yaml.matchAll(/^\s*(?:endpoint|host):\s*(\S+)/gm)].map((m) => m[1]);
    assert.deepEqual(addresses, [
      "127.0.0.1",
      "127.0.0.1:40002",
      "127.0.0.1:40003",
      "127.0.0.1:40001",
    ]);
    assert.match(yaml, /^\s+port: 40004$/m);
    assert.match(yaml, /^\s+enable_tracing: false$/m);
  }
});

Deno.test("jaegerConfig() keeps Badger on disk in the run's folder, memory in its ring", () => {
  const badger = jaegerConfig("badger", "/tmp/run", PORTS, 100_000);
  assert.match(badger, /ephemeral: false/);
  assert.match(badger, /keys: "\/tmp\/run\/badger\/keys"/);
  assert.match(badger, /values: "\/tmp\/run\/badger\/values"/);
  assert.match(jaegerConfig("memory", "/tmp/run", PORTS, 1234), /max_traces: 1234/);
});

Deno.test("metricSum() adds a counter's samples whose labels match, with or without _total", () => {
  const text = [
    "# HELP otelcol_receiver_accepted_spans_total Number of spans accepted",
    'otelcol_receiver_accepted_spans_total{receiver="otlp",transport="grpc"} 1500',
    'otelcol_receiver_accepted_spans_total{receiver="jaeger",transport="grpc"} 25',
    'otelcol_receiver_accepted_spans_created{receiver="otlp"} 1.7e9',
    'otelcol_receiver_accepted_spans_per_batch{receiver="otlp"} 99',
    'argus_ingestion_rate{signal="spans"} 3e3',
    'argus_ingestion_rate{signal="logs"} 40',
  ].join("\n");
  assert.equal(metricSum(text, "otelcol_receiver_accepted_spans"), 1525);
  assert.equal(metricSum(text, "otelcol_receiver_accepted_spans", /receiver="otlp"/), 1500);
  assert.equal(metricSum(text, "argus_ingestion_rate", /signal="spans"/), 3000);
  assert.equal(metricSum(text, "argus_ingestion_rate", /signal="logs"/), 40);
  assert.equal(metricSum(text, "missing"), 0);
});

Deno.test("program() names a process by the file it runs", () => {
  assert.equal(program("/root/.cache/esbuild/bin/esbuild --service=0.25.0 --ping"), "esbuild");
  assert.equal(program("/usr/bin/deno run --allow-net ingest/grpc_gateway.ts"), "deno");
  assert.equal(program("jaeger --config /tmp/x/jaeger.yaml"), "jaeger");
});
