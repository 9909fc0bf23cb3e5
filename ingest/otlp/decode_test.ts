import assert from "node:assert/strict";
import { encodeAttributesJson } from "../../lib/any_value_json.ts";
import { logProblem, resourceProblem, spanProblem } from "../../store/row_validation.ts";
import { bindLogIdsToRequest, RequestLogIds } from "../../store/ids.ts";
import { type DecodeLimits, decodeRequest, DEFAULT_DECODE_LIMITS, OtlpDecodeError } from "./mod.ts";
import { logsProtobuf, sdkLogs, sdkSpans, tracesProtobuf } from "./testdata/payloads.ts";
import { double, fixed32, fixed64, len, message, varint } from "./testdata/wire.ts";

const NOW = 1_795_700_000_000_000_000n;
/** The ids of the records of the pinned test below: never to change (databases hold them). */
const PINNED_LOG_IDS = [
  "0000000000007199c82f84362f0cf0a8",
  "00000000000079bc0968ed4531be9702",
  "01a2174c3501931c8875e63fe8f330dc",
  "000000000000fb14511ecfd65b762836",
];
const TRACE_ID = new Uint8Array([...Array(16).keys()].map((i) => i + 1));
const SPAN_ID = new Uint8Array([9, 8, 7, 6, 5, 4, 3, 2]);

// Hand-written protobuf, field numbers as in opentelemetry-proto.
const str = (value: string | Uint8Array) => len(1, value); // AnyValue.string_value
const kv = (key: string | Uint8Array, value?: Uint8Array) =>
  value === undefined ? message(len(1, key)) : message(len(1, key), len(2, value));
const resource = (...attributes: Uint8Array[]) => message(...attributes.map((a) => len(1, a)));
const scope = (name: string | Uint8Array, version = "") =>
  message(len(1, name), ...(version ? [len(2, version)] : []));
const span = (...fields: Uint8Array[]) =>
  message(len(1, TRACE_ID), len(2, SPAN_ID), len(5, "op"), ...fields);
/** ExportTraceServiceRequest with one ResourceSpans of the given fields. */
const traces = (...resourceSpansFields: Uint8Array[]) => len(1, message(...resourceSpansFields));
const scopeSpans = (...fields: Uint8Array[]) => len(2, message(...fields));
const logs = traces; // same shape: field 1 of the request, fields 1-3 of ResourceLogs
const scopeLogs = scopeSpans;

function decode(
  signal: "traces" | "logs",
  body: Uint8Array,
  limits: Partial<DecodeLimits> = {},
) {
  return decodeRequest(signal, "protobuf", body, { ...DEFAULT_DECODE_LIMITS, ...limits }, NOW);
}

const INVALID_UTF8 = new Uint8Array([0x61, 0xc3, 0x28]);

Deno.test("decodeRequest() maps a span's fields onto a row", () => {
  const body = traces(
    len(
      1,
      message(
        len(1, kv("service.name", str("checkout"))),
        len(1, kv("host", str("h1"))),
        // entity_refs: schema_url, type, id_keys, description_keys
        len(3, message(len(2, "service"), len(3, "service.name"), len(4, "host"))),
        len(3, message(len(1, "https://s/1"), len(2, "host"), len(3, "host"), len(3, "k2"))),
      ),
    ),
    len(3, "https://opentelemetry.io/schemas/1.26.0"),
    scopeSpans(
      // The scope with its dropped_attributes_count; the ScopeSpans' schema_url.
      len(1, message(len(1, "lib"), len(2, "1.2"), varint(4, 7))),
      len(3, "https://opentelemetry.io/schemas/1.37.0"),
      len(
        2,
        span(
          len(3, "k=v"),
          len(4, new Uint8Array([1, 1, 1, 1, 1, 1, 1, 1])),
          varint(6, 2),
          fixed64(7, 1_795_687_200_000_000_000n),
          fixed64(8, 1_795_687_200_000_000_500n),
          len(9, kv("http.status", message(varint(3, 200)))),
          varint(10, 1),
          len(11, message(fixed64(1, 5n), len(2, "ev"), len(3, kv("a", message(varint(2, 1)))))),
          varint(12, 2),
          len(13, message(len(1, TRACE_ID), len(2, SPAN_ID), len(3, "ts"), fixed32(6, 256))),
          varint(14, 3),
          len(15, message(len(2, "bad"), varint(3, 2))),
          fixed32(16, 0x101),
        ),
      ),
    ),
  );
  const decoded = decode("traces", body);
  assert.equal(decoded.items, 1);
  assert.deepEqual(decoded.rejected, []);
  const [resourceRow] = decoded.batch.resources;
  assert.deepEqual({ ...resourceRow, id: undefined }, {
    id: undefined,
    serviceName: "checkout",
    attributes: '{"service.name":"checkout","host":"h1"}',
    droppedAttributesCount: 0,
    schemaUrl: "https://opentelemetry.io/schemas/1.26.0",
    entityRefs: JSON.stringify([
      { type: "service", id_keys: ["service.name"], description_keys: ["host"], schema_url: "" },
      { type: "host", id_keys: ["host", "k2"], description_keys: [], schema_url: "https://s/1" },
    ]),
    longText: "",
  });
  assert.deepEqual(decoded.batch.spans[0], {
    traceId: "0102030405060708090a0b0c0d0e0f10",
    spanId: "0908070605040302",
    parentSpanId: "0101010101010101",
    traceState: "k=v",
    name: "op",
    kind: 2,
    startTimeUnixNano: 1_795_687_200_000_000_000n,
    endTimeUnixNano: 1_795_687_200_000_000_500n,
    statusCode: 2,
    statusMessage: "bad",
    resourceId: resourceRow!.id,
    serviceName: "checkout",
    scopeName: "lib",
    scopeVersion: "1.2",
    scopeAttributes: "{}",
    attributes: '{"http.status":200}',
    events: '[{"timeUnixNano":"5","name":"ev","attributes":{"a":true},"droppedAttributesCount":0}]',
    links: '[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0908070605040302",' +
      '"traceState":"ts","attributes":{},"droppedAttributesCount":0,"flags":256}]',
    droppedAttributesCount: 1,
    droppedEventsCount: 2,
    droppedLinksCount: 3,
    flags: 0x101,
    scopeSchemaUrl: "https://opentelemetry.io/schemas/1.37.0",
    scopeDroppedAttributesCount: 7,
    longText: "",
  });
  assert.equal(spanProblem(decoded.batch.spans[0]!, { maxFieldBytes: 1 << 20 }), undefined);
  assert.equal(resourceProblem(resourceRow!, { maxFieldBytes: 1 << 20 }), undefined);
});

Deno.test("decodeRequest() reads fields in any order: scope after spans, resource last", () => {
  const inOrder = traces(
    len(1, resource(kv("service.name", str("a")))),
    scopeSpans(len(1, scope("s")), len(2, span())),
  );
  const reversed = traces(
    scopeSpans(len(2, span()), len(1, scope("s"))),
    len(1, resource(kv("service.name", str("a")))),
  );
  assert.deepEqual(decode("traces", reversed), decode("traces", inOrder));
});

Deno.test("decodeRequest() uses unknown_service without a string service.name", () => {
  for (
    const attrs of [
      [],
      [kv("service.name", message(varint(3, 7)))],
      [kv("service.name")],
      [kv("service.name", str("x")), kv("service.name", message(varint(2, 1)))],
    ]
  ) {
    const decoded = decode(
      "traces",
      traces(len(1, resource(...attrs)), scopeSpans(len(2, span()))),
    );
    assert.equal(decoded.batch.resources[0]!.serviceName, "unknown_service");
    assert.equal(decoded.batch.spans[0]!.serviceName, "unknown_service");
  }
});

Deno.test("decodeRequest() stores a resource once for all its ResourceSpans", () => {
  const rs = message(len(1, resource(kv("service.name", str("a")))), scopeSpans(len(2, span())));
  const decoded = decode("traces", message(len(1, rs), len(1, rs)));
  assert.equal(decoded.batch.spans.length, 2);
  assert.equal(decoded.batch.resources.length, 1);
});

Deno.test("decodeRequest() merges a repeated resource, scope and status as protobuf does", () => {
  const decoded = decode(
    "traces",
    traces(
      len(1, resource(kv("a", str("1")))),
      len(1, resource(kv("service.name", str("svc")))),
      scopeSpans(
        len(1, scope("first", "1")),
        len(1, message(len(1, "second"))),
        len(2, span(len(15, message(varint(3, 2))), len(15, message(len(2, "msg"))))),
      ),
    ),
  );
  assert.equal(decoded.batch.resources[0]!.attributes, '{"a":"1","service.name":"svc"}');
  const row = decoded.batch.spans[0]!;
  assert.deepEqual([row.scopeName, row.scopeVersion], ["second", "1"]);
  assert.deepEqual([row.statusCode, row.statusMessage], [2, "msg"]);
});

Deno.test("decodeRequest() keeps the first attributes, events and links over the limits", () => {
  const attrs = Array.from({ length: 5 }, (_, i) => len(9, kv(`k${i}`, str("v"))));
  const events = Array.from({ length: 4 }, (_, i) => len(11, message(len(2, `e${i}`))));
  const links = Array.from({ length: 3 }, () => len(13, message(len(1, TRACE_ID))));
  const decoded = decode(
    "traces",
    traces(
      len(1, resource(kv("r1", str("v")), kv("r2", str("v")), kv("r3", str("v")))),
      scopeSpans(len(2, span(...attrs, varint(10, 10), ...events, varint(12, 1), ...links))),
    ),
    { maxAttributes: 2, maxEvents: 1, maxLinks: 2 },
  );
  const row = decoded.batch.spans[0]!;
  assert.equal(row.attributes, '{"k0":"v","k1":"v"}');
  assert.equal(row.droppedAttributesCount, 13);
  assert.equal(JSON.parse(row.events).length, 1);
  assert.equal(row.droppedEventsCount, 4);
  assert.equal(JSON.parse(row.links).length, 2);
  assert.equal(row.droppedLinksCount, 1);
  assert.equal(decoded.batch.resources[0]!.droppedAttributesCount, 1);
  assert.deepEqual(decoded.rejected, []);
});

Deno.test("decodeRequest() rejects only the span with a bad id, naming the field", () => {
  const cases: [Uint8Array, string][] = [
    [message(len(1, new Uint8Array(3)), len(2, SPAN_ID)), "trace_id must be 16 bytes: got 3"],
    [message(len(2, SPAN_ID)), "trace_id must be 16 bytes: got 0"],
    [message(len(1, new Uint8Array(16)), len(2, SPAN_ID)), "trace_id must not be all zeros"],
    [message(len(1, TRACE_ID), len(2, new Uint8Array(8))), "span_id must not be all zeros"],
    [message(len(1, TRACE_ID), len(2, SPAN_ID), len(4, SPAN_ID.slice(0, 2))), "parent_span_id"],
  ];
  for (const [bad, reason] of cases) {
    const decoded = decode(
      "traces",
      traces(scopeSpans(len(2, span()), len(2, bad), len(2, span()))),
    );
    assert.equal(decoded.items, 3);
    assert.equal(decoded.batch.spans.length, 2);
    assert.equal(decoded.rejected.length, 1);
    assert.match(decoded.rejected[0]!.reason, /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[1\]: /);
    assert.ok(decoded.rejected[0]!.reason.includes(reason), decoded.rejected[0]!.reason);
  }
  // An all-zero parent is no parent.
  const root = decode("traces", traces(scopeSpans(len(2, span(len(4, new Uint8Array(8)))))));
  assert.equal(root.batch.spans[0]!.parentSpanId, "");
});

Deno.test("decodeRequest() rejects an item with invalid UTF-8, naming the field", () => {
  const cases: [Uint8Array, RegExp][] = [
    [span(len(5, INVALID_UTF8)), /spans\[0\]: name must be valid UTF-8$/],
    [span(len(9, kv(INVALID_UTF8, str("v")))), /spans\[0\]: attributes must be valid UTF-8$/],
    [span(len(9, kv("k", str(INVALID_UTF8)))), /spans\[0\]: attributes must be valid UTF-8$/],
    [span(len(11, message(len(2, INVALID_UTF8)))), /event name must be valid UTF-8$/],
    [span(len(15, message(len(2, INVALID_UTF8)))), /status message must be valid UTF-8$/],
  ];
  for (const [bad, reason] of cases) {
    const decoded = decode("traces", traces(scopeSpans(len(2, bad), len(2, span()))));
    assert.equal(decoded.batch.spans.length, 1);
    assert.match(decoded.rejected[0]!.reason, reason);
  }
  // A string overwritten by a later one is never read, so it refuses nothing.
  const overwritten = decode(
    "traces",
    traces(scopeSpans(len(2, span(len(5, INVALID_UTF8), len(5, "ok"))))),
  );
  assert.equal(overwritten.batch.spans[0]!.name, "ok");
});

Deno.test("decodeRequest() rejects every item under a resource or scope with invalid UTF-8", () => {
  const badResource = decode(
    "traces",
    message(
      len(
        1,
        message(
          len(1, resource(kv("k", str(INVALID_UTF8)))),
          scopeSpans(len(2, span()), len(2, span())),
        ),
      ),
      len(1, message(scopeSpans(len(2, span())))),
    ),
  );
  assert.equal(badResource.items, 3);
  assert.equal(badResource.batch.spans.length, 1);
  assert.deepEqual(badResource.rejected.map((r) => [r.index, r.reason]), [
    [0, "resourceSpans[0].resource: resource attributes must be valid UTF-8"],
    [1, "resourceSpans[0].resource: resource attributes must be valid UTF-8"],
  ]);
  assert.equal(badResource.batch.resources.length, 1);

  const badScope = decode(
    "traces",
    traces(scopeSpans(len(2, span())), scopeSpans(len(1, scope(INVALID_UTF8)), len(2, span()))),
  );
  assert.equal(badScope.batch.spans.length, 1);
  assert.deepEqual(badScope.rejected, [{
    index: 1,
    reason: "resourceSpans[0].scopeSpans[1].scope: scope name must be valid UTF-8",
  }]);
});

Deno.test("decodeRequest() rejects an item whose value nests deeper than maxValueDepth", () => {
  let value = str("leaf");
  for (let i = 0; i < 3; i++) value = message(len(6, message(len(1, kv("k", value)))));
  const body = traces(scopeSpans(len(2, span(len(9, kv("deep", value))))));
  assert.equal(decode("traces", body, { maxValueDepth: 3 }).batch.spans.length, 1);
  const refused = decode("traces", body, { maxValueDepth: 2 });
  assert.equal(refused.batch.spans.length, 0);
  assert.match(refused.rejected[0]!.reason, /attributes must nest arrays and kvlists at most 2/);
});

Deno.test("decodeRequest() maps log records, their bodies and times", () => {
  const record = (...fields: Uint8Array[]) => len(2, message(...fields));
  const decoded = decode(
    "logs",
    logs(
      len(1, resource(kv("service.name", str("api")))),
      scopeLogs(
        len(1, scope("logger")),
        record(
          fixed64(1, 10n),
          fixed64(11, 20n),
          varint(2, 17),
          len(3, "ERROR"),
          len(5, str('disk "full"')),
          len(6, kv("k", message(double(4, 1.5)))),
          varint(7, 2),
          fixed32(8, 1),
          len(9, TRACE_ID),
          len(10, SPAN_ID),
          len(12, "app.crash"),
        ),
        record(fixed64(11, 20n), len(5, message(varint(3, -3n)))),
        record(len(5, message())),
        record(len(9, new Uint8Array(16)), len(10, new Uint8Array(8))),
        record(len(9, new Uint8Array(4))),
      ),
    ),
  );
  assert.equal(decoded.items, 5);
  const [full, intBody, empty, zeroIds] = decoded.batch.logs;
  assert.deepEqual({ ...full, id: undefined, resourceId: undefined }, {
    id: undefined,
    timeUnixNano: 10n,
    timeUnset: false,
    observedTimeUnixNano: 20n,
    severityNumber: 17,
    severityText: "ERROR",
    body: 'disk "full"',
    bodyType: "string",
    eventName: "app.crash",
    traceId: "0102030405060708090a0b0c0d0e0f10",
    spanId: "0908070605040302",
    flags: 1,
    resourceId: undefined,
    serviceName: "api",
    scopeName: "logger",
    scopeVersion: "",
    scopeAttributes: "{}",
    attributes: '{"k":1.5}',
    droppedAttributesCount: 2,
    scopeSchemaUrl: "",
    scopeDroppedAttributesCount: 0,
    longText: "",
  });
  assert.match(full!.id, /^[0-9a-f]{32}$/);
  assert.equal(logProblem(full!, { maxFieldBytes: 1 << 20 }), undefined);
  assert.deepEqual([intBody!.timeUnixNano, intBody!.body, intBody!.bodyType], [20n, "-3", "int"]);
  // Without a time: listed at the observed time, else the arrival, and kept as unset.
  assert.equal(intBody!.timeUnset, true);
  assert.deepEqual([empty!.timeUnixNano, empty!.body, empty!.bodyType], [NOW, "", "empty"]);
  assert.equal(empty!.timeUnset, true);
  assert.equal(empty!.observedTimeUnixNano, 0n);
  assert.deepEqual([zeroIds!.traceId, zeroIds!.spanId], ["", ""]);
  assert.deepEqual(decoded.rejected, [{
    index: 4,
    reason: "resourceLogs[0].scopeLogs[0].logRecords[4]: trace_id must be 16 bytes or empty: got 4",
  }]);
});

Deno.test("decodeRequest() gives log records ids from their time, content and request, pinned", () => {
  // Pinned: databases hold these ids, so a retry of a request must find its rows.
  const withTime = len(2, message(fixed64(1, 10n), len(5, str("x"))));
  const observedOnly = len(2, message(fixed64(11, 12n), len(5, str("x"))));
  const now = len(2, message(fixed64(1, 1_795_687_200_001_000_000n), len(5, str("x"))));
  const timeless = len(2, message(len(5, str("x"))));
  const decoded = decode("logs", logs(scopeLogs(withTime, observedOnly, now, timeless)));
  const ids = decoded.batch.logs.map((l) => l.id);
  assert.deepEqual(ids, PINNED_LOG_IDS);
  // The time as sent, in milliseconds, leads (a record without one: 0, not its arrival).
  assert.deepEqual(ids.map((id) => id.slice(0, 12)), [
    "000000000000",
    "000000000000",
    (1_795_687_200_001).toString(16).padStart(12, "0"),
    "000000000000",
  ]);
  assert.equal(decoded.batch.logs[3]!.timeUnixNano, NOW);
  // The rest is the content id (ids_test.ts pins those) bound to the request.
  const contentIds = new RequestLogIds();
  const expected = decoded.batch.logs.map(({ id: _, ...log }) => ({
    ...log,
    id: contentIds.next({ ...log, timeUnixNano: log.timeUnixNano === NOW ? 0n : log.timeUnixNano }),
  }));
  assert.equal(expected[0]!.id, "6b257cd138786f79578e401a5d02e6b2");
  assert.equal(expected[1]!.id, "b23db00db5a5be6675033e12d17faa65");
  bindLogIdsToRequest(expected, NOW);
  assert.deepEqual(ids, expected.map((l) => l.id));
  assert.deepEqual(decoded.batch.logs.map((l) => l.timeUnixNano).slice(0, 3), [
    10n,
    12n,
    1_795_687_200_001_000_000n,
  ]);
});

Deno.test("decodeRequest() gives identical log records of a request their own ids, the same on a retry", () => {
  const record = len(2, message(fixed64(1, 10n), len(5, str("x"))));
  const other = len(2, message(fixed64(1, 11n)));
  const body = logs(scopeLogs(record, other, record, record));
  const decoded = decode("logs", body);
  const [a, c, b, d] = decoded.batch.logs.map((l) => l.id);
  assert.equal(new Set([a, b, c, d]).size, 4, "four records, four ids");
  // A retry gives every record the same id.
  assert.deepEqual(decode("logs", body).batch.logs.map((l) => l.id), [a, c, b, d]);
});

Deno.test("decodeRequest() keeps an identical log record of another request apart, and a retry of each together", () => {
  // telemetrygen's records differ only by their time: two requests can carry the same one.
  const shared = len(2, message(fixed64(1, 10n), len(5, str("x"))));
  const first = logs(scopeLogs(shared, len(2, message(fixed64(1, 11n)))));
  const second = logs(scopeLogs(len(2, message(fixed64(1, 12n))), shared));
  const one = decode("logs", first).batch.logs[0]!.id;
  const two = decode("logs", second).batch.logs[1]!.id;
  assert.notEqual(one, two, "the same record in two requests is two records");
  assert.equal(decode("logs", first).batch.logs[0]!.id, one);
  assert.equal(decode("logs", second).batch.logs[1]!.id, two);
  // The JSON reader binds the same way.
  const json = (timeUnixNano: string) => ({ timeUnixNano, body: { stringValue: "x" } });
  const jsonIds = (records: unknown[]) =>
    decodeRequest(
      "logs",
      "json",
      new TextEncoder().encode(
        JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: records }] }] }),
      ),
      DEFAULT_DECODE_LIMITS,
      NOW,
    ).batch.logs.map((l) => l.id);
  const [jsonOne] = jsonIds([json("10"), json("11")]);
  const [, jsonTwo] = jsonIds([json("12"), json("10")]);
  assert.notEqual(jsonOne, jsonTwo);
  assert.equal(jsonIds([json("10"), json("11")])[0], jsonOne);
});

Deno.test("decodeRequest() gives protobuf log records the ids RequestLogIds makes from their fields", () => {
  // The reader hashes ASCII requests from its own bytes (asciiLogId); other requests, and every
  // other reader, through the rows' strings. Both must give the same ids, repeats included.
  const ascii = sdkLogs({ count: 8, attributes: 3 });
  const nonAscii = sdkLogs({ count: 30, attributes: 3 });
  for (
    const records of [ascii, [...ascii, ...ascii.slice(0, 3)], nonAscii, [...nonAscii, ...nonAscii]]
  ) {
    const decoded = decode("logs", new Uint8Array(logsProtobuf(records)));
    const ids = new RequestLogIds();
    const expected = decoded.batch.logs.map(({ id: _, ...log }) => ({ ...log, id: ids.next(log) }));
    bindLogIdsToRequest(expected, NOW);
    assert.equal(decoded.batch.logs.length, records.length);
    assert.deepEqual(decoded.batch.logs.map((l) => l.id), expected.map((l) => l.id));
  }
});

Deno.test("decodeRequest() stores a log record without times at arrival, with an id that does not depend on it", () => {
  const body = logs(scopeLogs(len(2, message(len(5, str("no time")))), len(2, message())));
  const first = decodeRequest("logs", "protobuf", body, DEFAULT_DECODE_LIMITS, NOW);
  const retry = decodeRequest("logs", "protobuf", body, DEFAULT_DECODE_LIMITS, NOW + 5_000n);
  assert.deepEqual(first.batch.logs.map((l) => l.timeUnixNano), [NOW, NOW]);
  assert.deepEqual(retry.batch.logs.map((l) => l.timeUnixNano), [NOW + 5_000n, NOW + 5_000n]);
  assert.deepEqual(retry.batch.logs.map((l) => l.id), first.batch.logs.map((l) => l.id));
  assert.notEqual(first.batch.logs[0]!.id, first.batch.logs[1]!.id);
});

Deno.test("decodeRequest() says what is wrong with an undecodable body, and where", () => {
  const cases: [Uint8Array, RegExp][] = [
    [traces(scopeSpans(len(2, span()))).subarray(0, 20), /^truncated message at byte \d+$/],
    [len(1, varint(1, 5)), /^field 1 of ResourceSpans has wire type 0, expected 2 \(len\)/],
    [
      traces(scopeSpans(len(2, message(varint(1, 1))))),
      /^field 1 of Span has wire type 0, expected 2/,
    ],
    [
      traces(scopeSpans(len(2, message(len(7, "x"))))),
      /^field 7 of Span has wire type 2, expected 1/,
    ],
    [new Uint8Array([0x17]), /field 2 of ExportTraceServiceRequest has invalid wire type 7/],
    [
      new Uint8Array([0x13, 0x14]),
      /field 2 of ExportTraceServiceRequest has wire type 3 \(group\)/,
    ],
    [
      message(len(1, message(len(2, new Uint8Array([0x12, 0x05, 0x0a])))), len(1, message())),
      /^field at byte 5 runs past the end of its enclosing message at byte 7$/,
    ],
  ];
  for (const [body, pattern] of cases) {
    assert.throws(
      () => decode("traces", body),
      (error) =>
        error instanceof OtlpDecodeError && error instanceof SyntaxError &&
        pattern.test(error.message),
      String(pattern),
    );
  }
});

Deno.test("decodeRequest() reads an empty body as an empty request", () => {
  assert.deepEqual(decode("logs", new Uint8Array()), {
    batch: { resources: [], spans: [], logs: [] },
    items: 0,
    rejected: [],
  });
});

Deno.test("decodeRequest() refuses limits that are not non-negative integers", () => {
  assert.throws(
    () => decode("traces", new Uint8Array(), { maxAttributes: -1, maxEvents: 1.5 }),
    (error) =>
      error instanceof RangeError && /'maxAttributes'/.test(error.message) &&
      /'maxEvents'/.test(error.message),
  );
});

Deno.test("rows decoded from real SDK requests pass the store's validation", () => {
  const limits = { maxFieldBytes: 1 << 20 };
  const spans = decode("traces", tracesProtobuf(sdkSpans({ count: 60 })));
  for (const row of spans.batch.spans) assert.equal(spanProblem(row, limits), undefined);
  for (const row of spans.batch.resources) assert.equal(resourceProblem(row, limits), undefined);
  const logRows = decode("logs", logsProtobuf(sdkLogs({ count: 60 })));
  for (const row of logRows.batch.logs) assert.equal(logProblem(row, limits), undefined);
});

Deno.test("decodeRequest() keeps the last member of an AnyValue, merging repeated lists", () => {
  const attribute = (value: Uint8Array) =>
    decode("traces", traces(scopeSpans(len(2, span(len(9, kv("k", value)))))));
  // An array with bad UTF-8, replaced by a string: the array is gone, and so is its problem.
  const replaced = attribute(message(len(5, message(len(1, str(INVALID_UTF8)))), len(1, "s")));
  assert.equal(replaced.batch.spans[0]!.attributes, '{"k":"s"}');
  assert.deepEqual(replaced.rejected, []);
  const arrays = attribute(
    message(len(5, message(len(1, str("a")))), len(5, message(len(1, message(varint(3, 1)))))),
  );
  assert.equal(arrays.batch.spans[0]!.attributes, '{"k":["a",1]}');
  const kvlists = attribute(
    message(len(6, message(len(1, kv("$a")))), len(6, message(len(1, kv("b"))))),
  );
  assert.equal(kvlists.batch.spans[0]!.attributes, '{"k":{"$a":null,"b":null}}');
  const wrapped = attribute(message(len(6, message(len(1, kv("$a"))))));
  assert.equal(wrapped.batch.spans[0]!.attributes, '{"k":{"$kvlist":{"$a":null}}}');
});

Deno.test("decodeRequest() writes repeated keys as lib/any_value_json does, in long lists too", () => {
  const keys = Array.from({ length: 40 }, (_, i) => `key.${i % 37}`);
  const attrs = keys.map((key, i) => len(9, kv(key, message(varint(3, i)))));
  const row = decode("traces", traces(scopeSpans(len(2, span(...attrs))))).batch.spans[0]!;
  assert.equal(
    row.attributes,
    encodeAttributesJson(keys.map((key, i) => ({ key, value: { type: "int", value: BigInt(i) } }))),
  );
  assert.equal(Object.keys(JSON.parse(row.attributes)).length, 37);
  assert.equal(JSON.parse(row.attributes)["key.0"], 37);
});
