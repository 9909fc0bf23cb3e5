import assert from "node:assert/strict";
import {
  type Decoded,
  decodeRequest,
  DEFAULT_DECODE_LIMITS,
  OtlpDecodeError,
  type Signal,
} from "./mod.ts";
import { edgeLogsRequest, edgeTracesRequest } from "./testdata/payloads.ts";
import { encodeReference, LogsRequest, TraceRequest } from "./testdata/reference.ts";

const NOW = 1_795_700_000_000_000_000n;
const encoder = new TextEncoder();

function json(signal: Signal, request: unknown): Decoded {
  const body = typeof request === "string" ? request : JSON.stringify(request);
  return decodeRequest(signal, "json", encoder.encode(body), DEFAULT_DECODE_LIMITS, NOW);
}

function protobuf(signal: Signal, body: Uint8Array): Decoded {
  return decodeRequest(signal, "protobuf", body, DEFAULT_DECODE_LIMITS, NOW);
}

const ID_FIELDS = new Set(["traceId", "spanId", "parentSpanId"]);

/** OTLP/JSON of a protobuf request, via the generated code's toObject (ids as hex, as OTLP says). */
function toOtlpJson(signal: Signal, body: Uint8Array): unknown {
  const type = signal === "traces" ? TraceRequest : LogsRequest;
  const object = type.toObject(type.decode(body), {
    longs: String,
    enums: Number,
    bytes: String,
    json: true,
  });
  const hexIds = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(hexIds);
    if (Object.is(value, -0)) return "-0"; // JSON.stringify would write 0
    if (value === null || typeof value !== "object") return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => [
        key,
        ID_FIELDS.has(key) && typeof v === "string"
          ? Array.from(Uint8Array.fromBase64(v), (b) => b.toString(16).padStart(2, "0")).join("")
          : hexIds(v),
      ]),
    );
  };
  return hexIds(object);
}

/** Rejections compared by path: the two readers word some reasons differently. */
function byPath(decoded: Decoded): Decoded {
  return {
    ...decoded,
    rejected: decoded.rejected.map((r) => ({ index: r.index, reason: r.reason.split(": ")[0]! })),
  };
}

Deno.test("OTLP/JSON of the edge requests decodes to the same rows as their protobuf", () => {
  for (
    const [signal, request] of [["traces", edgeTracesRequest()], [
      "logs",
      edgeLogsRequest(),
    ]] as const
  ) {
    const body = encodeReference(signal, request);
    const fromJson = json(signal, toOtlpJson(signal, body));
    assert.deepEqual(byPath(fromJson), byPath(protobuf(signal, body)), signal);
  }
});

const span = (fields: Record<string, unknown> = {}) => ({
  traceId: "0102030405060708090a0b0c0d0e0f10",
  spanId: "0908070605040302",
  name: "op",
  ...fields,
});
const traces = (...spans: unknown[]) => ({
  resourceSpans: [{
    resource: { attributes: [{ key: "service.name", value: { stringValue: "svc" } }] },
    scopeSpans: [{ scope: { name: "lib" }, spans }],
  }],
});

Deno.test("OTLP/JSON gives repeated and timeless log records the ids protobuf gives them", () => {
  const log = (body: string, time?: string) => ({
    ...(time === undefined ? {} : { timeUnixNano: time }),
    severityNumber: 9,
    body: { stringValue: body },
  });
  const request = {
    resourceLogs: [{
      resource: { attributes: [{ key: "service.name", value: { stringValue: "ids" } }] },
      scopeLogs: [{
        scope: { name: "ids" },
        logRecords: [
          log("same"),
          log("same"),
          log("tick", "1795687200000000000"),
          log("tick", "1795687200000000000"),
          log("tick", "1795687200000000000"),
          log("other"),
        ],
      }],
    }],
  };
  const fromJson = json("logs", request);
  const fromProtobuf = protobuf(
    "logs",
    LogsRequest.encode(LogsRequest.fromObject(request)).finish(),
  );
  assert.deepEqual(fromJson, fromProtobuf);
  const ids = fromJson.batch.logs.map((l) => l.id);
  assert.equal(new Set(ids).size, 6, "six records, six ids");
});

Deno.test("OTLP/JSON accepts snake_case names, enum names, upper-case hex and nulls", () => {
  const camel = json(
    "traces",
    traces(span({
      kind: 2,
      startTimeUnixNano: "1795687200000000000",
      parentSpanId: "0101010101010101",
      droppedAttributesCount: 3,
      status: { code: 2, message: "m" },
    })),
  );
  const other = json("traces", {
    resource_spans: [{
      resource: { attributes: [{ key: "service.name", value: { string_value: "svc" } }] },
      scope_spans: [{
        scope: { name: "lib", version: null },
        spans: [{
          trace_id: "0102030405060708090A0B0C0D0E0F10",
          span_id: "0908070605040302",
          parent_span_id: "0101010101010101",
          name: "op",
          kind: "SPAN_KIND_SERVER",
          start_time_unix_nano: 1795687200000000000,
          dropped_attributes_count: "3",
          status: { code: "STATUS_CODE_ERROR", message: "m" },
          attributes: null,
          someFutureField: { ignored: true },
        }],
      }],
    }],
  });
  assert.deepEqual(other, camel);
  assert.equal(camel.batch.spans[0]!.kind, 2);
});

Deno.test("OTLP/JSON reads integers past 2^53 exactly, as numbers or strings", () => {
  const decoded = json(
    "traces",
    '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10",' +
      '"spanId":"0908070605040302","startTimeUnixNano":1795687200000000001,' +
      '"endTimeUnixNano":"18446744073709551615","attributes":[' +
      '{"key":"n","value":{"intValue":9007199254740993}},' +
      '{"key":"s","value":{"intValue":"-9223372036854775808"}},' +
      '{"key":"d","value":{"doubleValue":"NaN"}},' +
      '{"key":"e","value":{"doubleValue":5}}]}]}]}]}',
  );
  const row = decoded.batch.spans[0]!;
  assert.equal(row.startTimeUnixNano, 1795687200000000001n);
  assert.equal(row.endTimeUnixNano, 18446744073709551615n);
  assert.equal(
    row.attributes,
    '{"n":9007199254740993,"s":-9223372036854775808,"d":{"$double":"NaN"},"e":5.0}',
  );
});

Deno.test("OTLP/JSON accepts bytesValue as base64 and as the JS SDK's byte object", () => {
  const bodies = [
    { bytesValue: "AAH+/w==" },
    { bytesValue: "AAH-_w" },
    { bytesValue: { "0": 0, "1": 1, "2": 254, "3": 255 } },
  ];
  for (const body of bodies) {
    const decoded = json("logs", { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body }] }] }] });
    assert.equal(decoded.batch.logs[0]!.body, '{"$bytes":"AAH+/w=="}', JSON.stringify(body));
  }
  const bad = json("logs", {
    resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { bytesValue: "@@@" } }] }] }],
  });
  assert.match(bad.rejected[0]!.reason, /body must be base64 in bytesValue/);
});

Deno.test("OTLP/JSON rejects only the item with a bad id or a lone surrogate", () => {
  const decoded = json(
    "traces",
    traces(
      span({ traceId: "abc" }),
      span({ spanId: "zz08070605040302" }),
      span({ spanId: "0000000000000000" }),
      span({ name: "lone \ud800 surrogate" }),
      span(),
    ),
  );
  assert.equal(decoded.items, 5);
  assert.equal(decoded.batch.spans.length, 1);
  assert.deepEqual(decoded.rejected.map((r) => r.reason), [
    'resourceSpans[0].scopeSpans[0].spans[0]: trace_id must be 32 hex characters: got "abc"',
    'resourceSpans[0].scopeSpans[0].spans[1]: span_id must be 16 hex characters: got "zz08070605040302"',
    "resourceSpans[0].scopeSpans[0].spans[2]: span_id must not be all zeros",
    "resourceSpans[0].scopeSpans[0].spans[3]: name must be valid Unicode: it contains a lone surrogate",
  ]);
});

Deno.test("OTLP/JSON that is not a request is an OtlpDecodeError saying where", () => {
  const cases: [string | Uint8Array, RegExp][] = [
    ["{", /^request body is not valid JSON/],
    [new Uint8Array([0x7b, 0xff, 0x7d]), /^request body is not valid UTF-8/],
    ["[]", /^request must be an object: got array/],
    ['{"resourceSpans":{}}', /^resourceSpans must be an array: got object/],
    [JSON.stringify(traces(span({ name: 5 }))), /spans\[0\]\.name must be a string: got number$/],
    [JSON.stringify(traces(span({ kind: "SERVER" }))), /spans\[0\]\.kind must be an integer/],
    [
      JSON.stringify(traces(span({ startTimeUnixNano: "-1" }))),
      /startTimeUnixNano must be an integer from 0/,
    ],
    [
      JSON.stringify(traces(span({ attributes: [{ key: "k", value: { intValue: 1.5 } }] }))),
      /attributes\[0\]\.value\.intValue must be an integer/,
    ],
  ];
  for (const [body, pattern] of cases) {
    const bytes = typeof body === "string" ? encoder.encode(body) : body;
    assert.throws(
      () => decodeRequest("traces", "json", bytes, DEFAULT_DECODE_LIMITS, NOW),
      (error) => error instanceof OtlpDecodeError && pattern.test(error.message),
      String(pattern),
    );
  }
});

Deno.test("OTLP/JSON applies the limits like protobuf", () => {
  let value: unknown = { stringValue: "leaf" };
  for (let i = 0; i < 20; i++) value = { arrayValue: { values: [value] } };
  const attributes = Array.from(
    { length: 4 },
    (_, i) => ({ key: `k${i}`, value: { intValue: i } }),
  );
  const decoded = decodeRequest(
    "traces",
    "json",
    encoder.encode(JSON.stringify(traces(
      span({ attributes, events: [{ name: "a" }, { name: "b" }], droppedEventsCount: 1 }),
      span({ attributes: [{ key: "deep", value }] }),
    ))),
    { ...DEFAULT_DECODE_LIMITS, maxAttributes: 2, maxEvents: 1 },
    NOW,
  );
  const row = decoded.batch.spans[0]!;
  assert.equal(row.attributes, '{"k0":0,"k1":1}');
  assert.equal(row.droppedAttributesCount, 2);
  assert.equal(row.droppedEventsCount, 2);
  assert.match(
    decoded.rejected[0]!.reason,
    /spans\[1\]: attributes must nest arrays and kvlists at most 16/,
  );
});
