import assert from "node:assert/strict";
import { trace } from "@opentelemetry/api";
import { extractTraceparent } from "./_sdk_telemetry.ts";

Deno.test("extractTraceparent() continues a W3C trace context", () => {
  const context = extractTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  assert.deepEqual(trace.getSpanContext(context), {
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    spanId: "00f067aa0ba902b7",
    traceFlags: 1,
    isRemote: true,
  });
});

Deno.test("extractTraceparent() starts a new trace from an invalid header", () => {
  for (
    const header of [
      null,
      "",
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
      "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
    ]
  ) {
    assert.equal(trace.getSpanContext(extractTraceparent(header)), undefined, String(header));
  }
});
