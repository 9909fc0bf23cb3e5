import assert from "node:assert/strict";
import { parseSimulationArgs } from "./_simulation_options.ts";

Deno.test("parseSimulationArgs() gives the seed's defaults", () => {
  const result = parseSimulationArgs([]);
  assert.ok(result.ok);
  assert.deepEqual(result.options, {
    requests: 300,
    intervalMs: 200,
    concurrency: 50,
    seed: undefined,
    protocol: "http",
    startArgus: false,
    wait: true,
    argusUrl: "http://127.0.0.1:8080",
    otlpEndpoint: undefined,
    ports: { order: 9001, payment: 9002, inventory: 9003 },
    probabilities: { order: 0.3, payment: 0.1, inventory: 0.05 },
    latencyScale: 1,
    metricIntervalMs: 5_000,
    json: false,
    verbose: false,
    help: false,
  });
});

Deno.test("parseSimulationArgs() reads both option forms", () => {
  const result = parseSimulationArgs([
    "--requests=50",
    "--interval",
    "0",
    "--seed",
    "9",
    "--protocol",
    "grpc",
    "--start-argus",
    "--argus-url",
    "http://localhost:18080/",
    "--inventory-lock-probability",
    "0.5",
    "--latency-scale",
    "0.01",
    "--metric-interval=500",
    "-h",
  ]);
  assert.ok(result.ok);
  assert.equal(result.options.requests, 50);
  assert.equal(result.options.intervalMs, 0);
  assert.equal(result.options.seed, 9);
  assert.equal(result.options.protocol, "grpc");
  assert.equal(result.options.startArgus, true);
  assert.equal(result.options.argusUrl, "http://localhost:18080");
  assert.equal(result.options.probabilities.inventory, 0.5);
  assert.equal(result.options.latencyScale, 0.01);
  assert.equal(result.options.metricIntervalMs, 500);
  assert.equal(result.options.help, true);
});

Deno.test("parseSimulationArgs() reports every problem at once", () => {
  const result = parseSimulationArgs([
    "--concurrency",
    "0",
    "--seed",
    "1.5",
    "--payment-failure-probability",
    "2",
    "--argus-url",
    "127.0.0.1:8080",
    "--json=yes",
    "--order-port",
    "9100",
    "--payment-port",
    "9100",
    "--metric-interval",
    "50",
    "--interval",
  ]);
  assert.ok(!result.ok);
  assert.deepEqual(result.errors, [
    "Cannot give --json a value: it is a switch",
    "Cannot use --interval without a value",
    'Cannot use --concurrency as it must be an integer from 1 to 10000: current value is "0"',
    "Cannot use --seed as it must be an integer from 0 to 9007199254740991: current value is " +
    '"1.5"',
    "Cannot use --argus-url as it must be an http:// or https:// URL without a path, such as " +
    'http://127.0.0.1:8080: current value is "127.0.0.1:8080"',
    "Cannot use --payment-failure-probability as it must be a number from 0 to 1: current value " +
    'is "2"',
    "Cannot use --metric-interval as it must be an integer from 100 to 3600000: current value " +
    'is "50"',
    "Cannot use --payment-port 9100 as another service has that port",
  ]);
});
