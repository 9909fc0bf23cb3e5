import assert from "node:assert/strict";
import { parseServiceConfig } from "./_config.ts";

Deno.test("parseServiceConfig() gives each service the seed's port and probability", () => {
  const result = parseServiceConfig("payment", {
    OTEL_DENO: "true",
    OTEL_SERVICE_NAME: "payment-service",
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
  });
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
  });
  assert.ok(!result.ok);
  assert.deepEqual(result.errors, [
    'Cannot use PORT as it must be an integer from 0 to 65535: current value is "70000"',
    'Cannot use CHAOS_PROBABILITY as it must be a number from 0 to 1: current value is "1.5"',
    "Cannot use CHAOS_SEED as it must be an integer from 0 to 9007199254740991: current value " +
    'is "-1"',
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
