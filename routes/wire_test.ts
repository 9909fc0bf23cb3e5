import assert from "node:assert/strict";
import {
  formatTimeNs,
  plainAnyValue,
  plainAttributes,
  plainValue,
  typedAnyValue,
  typedAttributes,
  typedValue,
  wireLog,
  wireScope,
  wireSpan,
} from "./wire.ts";
import { buildLog, buildResource, buildSpan, random } from "../tests/builders.ts";
import type { AnyValue } from "../lib/any_value_json.ts";

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

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const double = (value: number): AnyValue => ({ type: "double", value });

Deno.test("typedValue() writes each AnyValue type as OTLP/JSON does", () => {
  const cases: [AnyValue, string][] = [
    [{ type: "empty" }, "{}"],
    [{ type: "string", value: "" }, '{"stringValue":""}'],
    [{ type: "string", value: 'say "hi"' }, '{"stringValue":"say \\"hi\\""}'],
    [{ type: "bool", value: false }, '{"boolValue":false}'],
    [{ type: "int", value: 0n }, '{"intValue":"0"}'],
    [{ type: "int", value: -5n }, '{"intValue":"-5"}'],
    [{ type: "int", value: INT64_MAX }, '{"intValue":"9223372036854775807"}'],
    [{ type: "int", value: INT64_MIN }, '{"intValue":"-9223372036854775808"}'],
    [{ type: "int", value: 9007199254740993n }, '{"intValue":"9007199254740993"}'],
    [double(2), '{"doubleValue":2}'],
    [double(2.5), '{"doubleValue":2.5}'],
    [double(0), '{"doubleValue":0}'],
    [double(-0), '{"doubleValue":"-0"}'],
    [double(NaN), '{"doubleValue":"NaN"}'],
    [double(Infinity), '{"doubleValue":"Infinity"}'],
    [double(-Infinity), '{"doubleValue":"-Infinity"}'],
    [double(1.5e300), '{"doubleValue":1.5e+300}'],
    [double(-Number.MIN_VALUE), '{"doubleValue":-5e-324}'],
    [{ type: "bytes", value: new Uint8Array() }, '{"bytesValue":""}'],
    [{ type: "bytes", value: new Uint8Array([0, 1, 255]) }, '{"bytesValue":"AAH/"}'],
    [{ type: "array", value: [] }, '{"arrayValue":{"values":[]}}'],
    [{ type: "kvlist", value: [] }, '{"kvlistValue":{"values":[]}}'],
  ];
  for (const [value, text] of cases) {
    assert.equal(JSON.stringify(typedValue(value)), text, text);
  }
});

Deno.test("typedValue() nests arrays and kvlists, keeping every inner type", () => {
  const value: AnyValue = {
    type: "array",
    value: [
      { type: "int", value: 1n },
      double(1),
      {
        type: "kvlist",
        value: [
          { key: "z", value: { type: "bytes", value: new Uint8Array([104, 105]) } },
          { key: "a", value: { type: "array", value: [{ type: "empty" }, double(-0)] } },
          { key: "$x", value: { type: "string", value: "tag-like" } },
        ],
      },
    ],
  };
  assert.deepEqual(typedValue(value), {
    arrayValue: {
      values: [
        { intValue: "1" },
        { doubleValue: 1 },
        {
          kvlistValue: {
            values: [
              { key: "z", value: { bytesValue: "aGk=" } },
              { key: "a", value: { arrayValue: { values: [{}, { doubleValue: "-0" }] } } },
              { key: "$x", value: { stringValue: "tag-like" } },
            ],
          },
        },
      ],
    },
  });
  // The plain form of the same value: the types that read alike are lost.
  assert.deepEqual(plainValue(value), [1, 1, { z: "aGk=", a: [null, -0], $x: "tag-like" }]);
});

Deno.test("typedAttributes() reads the stored encoding into KeyValues in stored order", () => {
  // Integer-like keys stay where they were written (a plain object would put them first).
  const text = '{"s":"x","2":true,"1":2.0,"neg":-0.0,"nan":{"$double":"NaN"},' +
    '"inf":{"$double":"Infinity"},"ninf":{"$double":"-Infinity"},"max":9223372036854775807,' +
    '"min":-9223372036854775808,"b":{"$bytes":"AAH/"},"a":[1,[2.5]],' +
    '"m":{"k":{"$kvlist":{"$y":1}}},"e":null}';
  assert.deepEqual(typedAttributes(text), [
    { key: "s", value: { stringValue: "x" } },
    { key: "2", value: { boolValue: true } },
    { key: "1", value: { doubleValue: 2 } },
    { key: "neg", value: { doubleValue: "-0" } },
    { key: "nan", value: { doubleValue: "NaN" } },
    { key: "inf", value: { doubleValue: "Infinity" } },
    { key: "ninf", value: { doubleValue: "-Infinity" } },
    { key: "max", value: { intValue: "9223372036854775807" } },
    { key: "min", value: { intValue: "-9223372036854775808" } },
    { key: "b", value: { bytesValue: "AAH/" } },
    {
      key: "a",
      value: {
        arrayValue: {
          values: [{ intValue: "1" }, { arrayValue: { values: [{ doubleValue: 2.5 }] } }],
        },
      },
    },
    {
      key: "m",
      value: {
        kvlistValue: {
          values: [{
            key: "k",
            value: { kvlistValue: { values: [{ key: "$y", value: { intValue: "1" } }] } },
          }],
        },
      },
    },
    { key: "e", value: {} },
  ]);
  assert.deepEqual(typedAttributes("{}"), []);
  assert.deepEqual(typedAnyValue('{"$bytes":""}'), { bytesValue: "" });
  assert.deepEqual(typedAnyValue("5.0"), { doubleValue: 5 });
  assert.deepEqual(typedAnyValue("5"), { intValue: "5" });
  assert.throws(() => typedAttributes("[1]"), SyntaxError);
});

Deno.test("wireSpan() and wireLog() write every attribute map and the body in the asked form", () => {
  const resource = buildResource("svc", { attributes: '{"service.name":"svc","r":1.0}' });
  const span = {
    ...buildSpan(resource, {
      attributes: '{"d":2.0}',
      scopeAttributes: '{"s":{"$bytes":"AQ=="}}',
      events: '[{"timeUnixNano":"1795687200000500000","name":"e","attributes":{"i":7},' +
        '"droppedAttributesCount":0}]',
      links: '[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7",' +
        '"traceState":"","attributes":{"n":{"$double":"NaN"}},"droppedAttributesCount":0,' +
        '"flags":0}]',
    }, random(2)),
    resource,
  };
  const plain = wireSpan(span);
  const typed = wireSpan(span, "typed");
  assert.deepEqual(plain.attributes, { d: 2 });
  assert.deepEqual(typed.attributes, [{ key: "d", value: { doubleValue: 2 } }]);
  assert.deepEqual(typed.resource_attributes, [
    { key: "service.name", value: { stringValue: "svc" } },
    { key: "r", value: { doubleValue: 1 } },
  ]);
  assert.deepEqual(typed.scope.attributes, [{ key: "s", value: { bytesValue: "AQ==" } }]);
  assert.deepEqual(typed.events[0]!.attributes, [{ key: "i", value: { intValue: "7" } }]);
  assert.deepEqual(typed.links[0]!.attributes, [{ key: "n", value: { doubleValue: "NaN" } }]);
  // Everything else is the same in both forms.
  const { attributes: _a, resource_attributes: _r, scope: _s, events: _e, links: _l, ...rest } =
    typed;
  const {
    attributes: _pa,
    resource_attributes: _pr,
    scope: _ps,
    events: _pe,
    links: _pl,
    ...same
  } = plain;
  assert.deepEqual(rest, same);
  assert.deepEqual({ ...typed.events[0]!, attributes: null }, {
    ...plain.events[0]!,
    attributes: null,
  });

  const stored = (body: string, bodyType: "string" | "empty" | "kvlist" | "double") => ({
    ...buildLog(resource, { body, bodyType, attributes: '{"big":9007199254740993}' }, random(3)),
    resource,
  });
  assert.equal(wireLog(stored("hi", "string")).body, "hi");
  assert.deepEqual(wireLog(stored("hi", "string"), "typed").body, { stringValue: "hi" });
  assert.equal(wireLog(stored("", "empty")).body, null);
  assert.deepEqual(wireLog(stored("", "empty"), "typed").body, {});
  assert.deepEqual(wireLog(stored('{"k":-0.0}', "kvlist")).body, { k: -0 });
  assert.deepEqual(wireLog(stored('{"k":-0.0}', "kvlist"), "typed").body, {
    kvlistValue: { values: [{ key: "k", value: { doubleValue: "-0" } }] },
  });
  assert.equal(wireLog(stored("3.0", "double")).body, 3);
  assert.deepEqual(wireLog(stored("3.0", "double"), "typed").body, { doubleValue: 3 });
  const log = wireLog(stored("hi", "string"), "typed");
  assert.deepEqual(log.attributes, [{ key: "big", value: { intValue: "9007199254740993" } }]);
  assert.deepEqual(wireLog(stored("hi", "string")).attributes, { big: "9007199254740993" });
  assert.deepEqual(log.resource_attributes[1], { key: "r", value: { doubleValue: 1 } });
  assert.deepEqual(log.scope.attributes, []);
});

Deno.test("wireScope() answers a span's, record's or instrument's scope as sent, attributes in the asked form", () => {
  const scope = {
    scopeName: "meter \uE0000 nul",
    scopeVersion: "1.0 \uE000\uE000",
    scopeAttributes: '{"n":2.0}',
    scopeSchemaUrl: "https://opentelemetry.io/schemas/1.37.0",
    scopeDroppedAttributesCount: 4,
  };
  assert.deepEqual(wireScope(scope), {
    name: "meter \u0000 nul",
    version: "1.0 \uE000",
    attributes: { n: 2 },
    dropped_attributes_count: 4,
    schema_url: "https://opentelemetry.io/schemas/1.37.0",
  });
  assert.deepEqual(wireScope(scope, "typed").attributes, [
    { key: "n", value: { doubleValue: 2 } },
  ]);
});
