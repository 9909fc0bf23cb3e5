import assert from "node:assert/strict";
import { parseServiceConfig } from "./_config.ts";

Deno.test("parseServiceConfig() gives each service the seed's port and probability", () => {
  const result = parseServiceConfig("payment", {
    OTEL_DENO: "true",
    OTEL_SERVICE_NAME: "payment-service",
    OTEL_METRIC_EXPORT_INTERVAL: "10000",
  }, () => 5);
  assert.ok(result.ok);
  assert.deepEqual(result.warnings, []);
  assert.deepEqual(result.config, {
    service: "payment",
    name: "payment-service",
    host: "127.0.0.1",
    port: 9002,
    probability: 0.1,
    seed: 5,
    latencyScale: 1,
    instrumentation: "deno",
    otlpEndpoint: "http://127.0.0.1:4317",
    downstreamUrl: "http://127.0.0.1:9003",
    stopOnStdinEof: false,
    downstreamTimeoutMs: 30_000,
    metricExportIntervalMs: 10_000,
  });
});

Deno.test("parseServiceConfig() exports metrics every 10 s by default, and warns that Deno's default is 60 s", () => {
  const sdk = parseServiceConfig("order", { CHAOS_INSTRUMENTATION: "sdk" });
  assert.ok(sdk.ok);
  assert.equal(sdk.config.metricExportIntervalMs, 10_000);
  assert.deepEqual(sdk.warnings, []);
  const deno = parseServiceConfig("order", {
    OTEL_DENO: "true",
    OTEL_SERVICE_NAME: "order-service",
  });
  assert.ok(deno.ok);
  assert.deepEqual(deno.warnings, [
    "OTEL_METRIC_EXPORT_INTERVAL is not set, so Deno exports metrics every 60 s: set it " +
    "(milliseconds, e.g. 10000) for charts that fill sooner",
  ]);
  const short = parseServiceConfig("order", {
    CHAOS_INSTRUMENTATION: "sdk",
    OTEL_METRIC_EXPORT_INTERVAL: "500",
  });
  assert.ok(short.ok);
  assert.equal(short.config.metricExportIntervalMs, 500);
});

Deno.test("parseServiceConfig() warns when Deno's OpenTelemetry is off or misnamed", () => {
  const off = parseServiceConfig("order", {});
  assert.ok(off.ok);
  assert.match(off.warnings[0]!, /^OTEL_DENO is not true, so this service sends no telemetry/);
  const misnamed = parseServiceConfig("order", { OTEL_DENO: "true" });
  assert.ok(misnamed.ok);
  assert.match(misnamed.warnings[0]!, /^OTEL_SERVICE_NAME should be order-service/);
});

Deno.test("parseServiceConfig() reports every problem at once", () => {
  const result = parseServiceConfig("order", {
    PORT: "70000",
    CHAOS_PROBABILITY: "1.5",
    CHAOS_SEED: "-1",
    CHAOS_INSTRUMENTATION: "otel",
    PAYMENT_URL: "payment:9002",
    CHAOS_STOP_ON_STDIN_EOF: "yes",
    OTEL_METRIC_EXPORT_INTERVAL: "10s",
  });
  assert.ok(!result.ok);
  assert.deepEqual(result.errors, [
    'Cannot use PORT as it must be an integer from 0 to 65535: current value is "70000"',
    'Cannot use CHAOS_PROBABILITY as it must be a number from 0 to 1: current value is "1.5"',
    "Cannot use CHAOS_SEED as it must be an integer from 0 to 9007199254740991: current value " +
    'is "-1"',
    "Cannot use OTEL_METRIC_EXPORT_INTERVAL as it must be an integer from 100 to 3600000: " +
    'current value is "10s"',
    'Cannot use CHAOS_INSTRUMENTATION as it must be one of deno, sdk: current value is "otel"',
    "Cannot use PAYMENT_URL as it must be an http:// or https:// URL such as " +
    'http://127.0.0.1:9002: current value is "payment:9002"',
    'Cannot use CHAOS_STOP_ON_STDIN_EOF as it must be true or false: current value is "yes"',
  ]);
});

Deno.test("parseServiceConfig() refuses the SDK under OTEL_DENO, which would record spans twice", () => {
  const result = parseServiceConfig("inventory", {
    CHAOS_INSTRUMENTATION: "sdk",
    OTEL_DENO: "true",
  });
  assert.ok(!result.ok);
  assert.match(result.errors[0]!, /^Cannot use CHAOS_INSTRUMENTATION=sdk with OTEL_DENO=true/);
});
