import assert from "node:assert/strict";
import { formatTimeNs, plainAnyValue, plainAttributes, wireSpan } from "./wire.ts";
import { buildResource, buildSpan, random } from "../tests/builders.ts";

Deno.test("formatTimeNs() keeps all nine fraction digits in UTC", () => {
  assert.equal(formatTimeNs(1_795_687_200_123_456_789n), "2026-11-26T10:00:00.123456789Z");
  assert.equal(formatTimeNs(0n), "1970-01-01T00:00:00.000000000Z");
  assert.equal(formatTimeNs(1_795_687_200_000_000_001n), "2026-11-26T10:00:00.000000001Z");
});

Deno.test("plainAttributes() turns stored attribute JSON into plain JSON values", () => {
  const text = '{"s":"x","b":true,"i":42,"big":9007199254740993,"d":5.0,"nan":{"$double":"NaN"},' +
    '"bytes":{"$bytes":"AAH/"},"a":[1,"two"],"m":{"k":{"$kvlist":{"$x":1}}},"e":null}';
  assert.deepEqual(plainAttributes(text), {
    s: "x",
    b: true,
    i: 42,
    big: "9007199254740993",
    d: 5,
    nan: "NaN",
    bytes: "AAH/",
    a: [1, "two"],
    m: { k: { $x: 1 } },
    e: null,
  });
  assert.deepEqual(plainAnyValue('{"k":[true]}'), { k: [true] });
});

Deno.test("wireSpan() gives the API's names, units and nested attributes", () => {
  const resource = buildResource("svc");
  const span = buildSpan(resource, {
    kind: 3,
    statusCode: 2,
    statusMessage: "boom",
    startTimeUnixNano: 1_795_687_200_000_000_000n,
    endTimeUnixNano: 1_795_687_200_001_500_000n,
    events: '[{"timeUnixNano":"1795687200000500000","name":"retry","attributes":{"attributes":' +
      '{"nested":1},"n":9007199254740993},"droppedAttributesCount":0},{"timeUnixNano":' +
      '"1795687200000600000","name":"second","attributes":{"x":"y"},"droppedAttributesCount":2}]',
    links: '[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7",' +
      '"traceState":"","attributes":{"w":1},"droppedAttributesCount":0,"flags":257}]',
  }, random(1));
  const wire = wireSpan({ ...span, resource });
  assert.equal(wire.kind, "client");
  assert.equal(wire.status_code, "error");
  assert.equal(wire.duration_ms, 1.5);
  assert.equal(wire.start_time, "2026-11-26T10:00:00.000000000Z");
  assert.equal(wire.end_time_unix_nano, "1795687200001500000");
  assert.deepEqual(wire.events.map((e) => e.attributes), [
    { attributes: { nested: 1 }, n: "9007199254740993" },
    { x: "y" },
  ]);
  assert.equal(wire.events[1]!.dropped_attributes_count, 2);
  assert.equal(wire.events[0]!.time, "2026-11-26T10:00:00.000500000Z");
  assert.deepEqual(wire.links, [{
    trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
    span_id: "00f067aa0ba902b7",
    trace_state: "",
    attributes: { w: 1 },
    dropped_attributes_count: 0,
    flags: 257,
  }]);
  assert.equal(wire.resource_attributes["service.name"], "svc");
  assert.equal(wire.scope.name, "@opentelemetry/instrumentation-http");
});
