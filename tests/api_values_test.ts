/**
 * `values=plain|typed` (docs/api.md, "Value encodings") on the four endpoints that answer attribute
 * maps or log bodies, over a store holding a span and logs whose attributes and bodies carry every
 * AnyValue type in the stored lossless encoding (lib/any_value_json.ts): the plain form loses what
 * the docs say it loses, the typed form keeps every type, and nothing else differs; a bad `values`
 * is a 400 naming it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createStore, type Store } from "../store/mod.ts";
import { databaseConfig } from "./databases.ts";
import { getJson, testApp } from "./app.ts";
import { BASE_TIME_NS, buildLog, buildResource, buildSpan, random } from "./builders.ts";
import type { Json, TypedKeyValue, WireLog, WireSpan, WireTrace } from "../utils/wire.ts";

/** Every AnyValue type, as the store holds it. */
const STORED = '{"double":2.0,"negative_zero":-0.0,"nan":{"$double":"NaN"},' +
  '"infinity":{"$double":"Infinity"},"minus_infinity":{"$double":"-Infinity"},' +
  '"int_max":9223372036854775807,"int_min":-9223372036854775808,"int":42,' +
  '"bytes":{"$bytes":"AAH/"},"string":"2","bool":true,' +
  '"array":[1,2.5,"x",null,[false]],' +
  '"kvlist":{"inner":{"$bytes":"aGk="},"zero":[-0.0],"tag":{"$kvlist":{"$double":1}}},' +
  '"empty":null}';

/** STORED as plain JSON: 2.0 reads as 2, -0.0 as 0, NaN as a string, bytes as text. */
const PLAIN: Record<string, Json> = {
  double: 2,
  negative_zero: 0,
  nan: "NaN",
  infinity: "Infinity",
  minus_infinity: "-Infinity",
  int_max: "9223372036854775807",
  int_min: "-9223372036854775808",
  int: 42,
  bytes: "AAH/",
  string: "2",
  bool: true,
  array: [1, 2.5, "x", null, [false]],
  kvlist: { inner: "aGk=", zero: [0], tag: { $double: 1 } },
  empty: null,
};

/** STORED in the typed form, in stored order. */
const TYPED: TypedKeyValue[] = [
  { key: "double", value: { doubleValue: 2 } },
  { key: "negative_zero", value: { doubleValue: "-0" } },
  { key: "nan", value: { doubleValue: "NaN" } },
  { key: "infinity", value: { doubleValue: "Infinity" } },
  { key: "minus_infinity", value: { doubleValue: "-Infinity" } },
  { key: "int_max", value: { intValue: "9223372036854775807" } },
  { key: "int_min", value: { intValue: "-9223372036854775808" } },
  { key: "int", value: { intValue: "42" } },
  { key: "bytes", value: { bytesValue: "AAH/" } },
  { key: "string", value: { stringValue: "2" } },
  { key: "bool", value: { boolValue: true } },
  {
    key: "array",
    value: {
      arrayValue: {
        values: [
          { intValue: "1" },
          { doubleValue: 2.5 },
          { stringValue: "x" },
          {},
          { arrayValue: { values: [{ boolValue: false }] } },
        ],
      },
    },
  },
  {
    key: "kvlist",
    value: {
      kvlistValue: {
        values: [
          { key: "inner", value: { bytesValue: "aGk=" } },
          { key: "zero", value: { arrayValue: { values: [{ doubleValue: "-0" }] } } },
          {
            key: "tag",
            value: { kvlistValue: { values: [{ key: "$double", value: { intValue: "1" } }] } },
          },
        ],
      },
    },
  },
  { key: "empty", value: {} },
];

const RESOURCE = buildResource("values-svc", {
  attributes: '{"service.name":"values-svc","resource.double":1.0}',
});
const SPAN = buildSpan(RESOURCE, {
  attributes: STORED,
  scopeAttributes: '{"scope.bytes":{"$bytes":"AQ=="}}',
  events: '[{"timeUnixNano":"1795687200000500000","name":"retry","attributes":' + STORED +
    ',"droppedAttributesCount":1}]',
  links: '[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7",' +
    '"traceState":"","attributes":{"link.nan":{"$double":"NaN"}},"droppedAttributesCount":0,' +
    '"flags":1}]',
}, random(19));
/** The anchor: a kvlist body of every type; then a record with a double body, and an empty one. */
const ANCHOR = buildLog(RESOURCE, {
  timeUnixNano: BASE_TIME_NS,
  body: STORED,
  bodyType: "kvlist",
  attributes: STORED,
  scopeAttributes: '{"scope.int":9007199254740993}',
}, random(20));
const DOUBLE_BODY = buildLog(RESOURCE, {
  timeUnixNano: BASE_TIME_NS + 1_000n,
  body: "-0.0",
  bodyType: "double",
  attributes: "{}",
}, random(21));
const EMPTY_BODY = buildLog(RESOURCE, {
  timeUnixNano: BASE_TIME_NS + 2_000n,
  body: "",
  bodyType: "empty",
  attributes: "{}",
}, random(22));

/** `testApp` over an in-memory SQLite store holding SPAN and the three records. */
async function withApp(
  test: (app: (request: Request) => Promise<Response>) => Promise<void>,
): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "argus-values-" });
  let store: Store | undefined;
  try {
    store = await createStore(databaseConfig("sqlite", ":memory:"), { dataDir });
    await store.migrate();
    const written = await store.write({
      resources: [RESOURCE],
      spans: [SPAN],
      logs: [ANCHOR, DOUBLE_BODY, EMPTY_BODY],
    });
    assert.equal(written.logs.inserted, 3);
    const nowMs = Number(BASE_TIME_NS / 1_000_000n) + 60_000;
    await test(testApp(store, { now: () => nowMs }));
  } finally {
    await store?.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

const TRACE = `/api/traces/${SPAN.traceId}`;
const ONE_SPAN = `${TRACE}/spans/${SPAN.spanId}`;
const LOGS = "/api/logs?range=1h&order=asc";
const CONTEXT = `/api/logs/context?id=${ANCHOR.id}`;

/** `path` with `values=…` added to its query. */
function withValues(path: string, values: string): string {
  return `${path}${path.includes("?") ? "&" : "?"}values=${encodeURIComponent(values)}`;
}

/** A span without its attribute maps: what must not differ between the forms. */
function spanRest(span: WireSpan<"plain" | "typed">) {
  const { attributes: _a, resource_attributes: _r, scope, events, links, ...rest } = span;
  return {
    ...rest,
    scope: { ...scope, attributes: null },
    events: events.map((e) => ({ ...e, attributes: null })),
    links: links.map((l) => ({ ...l, attributes: null })),
  };
}

/** A record without its body and attribute maps. */
function logRest(log: WireLog<"plain" | "typed">) {
  const { body: _b, attributes: _a, resource_attributes: _r, scope, ...rest } = log;
  return { ...rest, scope: { ...scope, attributes: null } };
}

function checkPlainSpan(span: WireSpan) {
  assert.deepEqual(span.attributes, PLAIN);
  // The lossy cases, one by one, as the JSON text shows them.
  assert.equal(JSON.stringify(span.attributes.double), "2");
  assert.equal(JSON.stringify(span.attributes.negative_zero), "0");
  assert.deepEqual(span.resource_attributes, {
    "service.name": "values-svc",
    "resource.double": 1,
  });
  assert.deepEqual(span.scope.attributes, { "scope.bytes": "AQ==" });
  assert.deepEqual(span.events.map((e) => e.attributes), [PLAIN]);
  assert.deepEqual(span.links.map((l) => l.attributes), [{ "link.nan": "NaN" }]);
}

function checkTypedSpan(span: WireSpan<"typed">) {
  assert.deepEqual(span.attributes, TYPED);
  assert.deepEqual(span.resource_attributes, [
    { key: "service.name", value: { stringValue: "values-svc" } },
    { key: "resource.double", value: { doubleValue: 1 } },
  ]);
  assert.deepEqual(span.scope.attributes, [
    { key: "scope.bytes", value: { bytesValue: "AQ==" } },
  ]);
  assert.deepEqual(span.events.map((e) => e.attributes), [TYPED]);
  assert.deepEqual(span.links.map((l) => l.attributes), [[
    { key: "link.nan", value: { doubleValue: "NaN" } },
  ]]);
}

Deno.test("GET /api/traces/{trace_id} and …/spans/{span_id}: values=plain (default) and typed", async () => {
  await withApp(async (app) => {
    const plain = await getJson<WireTrace>(app, TRACE);
    assert.deepEqual(await getJson<WireTrace>(app, withValues(TRACE, "plain")), plain);
    const typed = await getJson<WireTrace<"typed">>(app, withValues(TRACE, "typed"));
    assert.equal(plain.spans.length, 1);
    checkPlainSpan(plain.spans[0]!);
    checkTypedSpan(typed.spans[0]!);
    assert.equal(typed.trace_id, plain.trace_id);
    assert.deepEqual(spanRest(typed.spans[0]!), spanRest(plain.spans[0]!));
    assert.equal(typed.spans[0]!.events[0]!.dropped_attributes_count, 1);

    const one = await getJson<WireSpan>(app, ONE_SPAN);
    assert.deepEqual(one, plain.spans[0]);
    assert.deepEqual(await getJson<WireSpan>(app, withValues(ONE_SPAN, "plain")), one);
    const typedOne = await getJson<WireSpan<"typed">>(app, withValues(ONE_SPAN, "typed"));
    assert.deepEqual(typedOne, typed.spans[0]);
  });
});

Deno.test("GET /api/logs and /api/logs/context: values=plain (default) and typed", async () => {
  await withApp(async (app) => {
    const plain = await getJson<{ items: WireLog[] }>(app, LOGS);
    assert.deepEqual(await getJson(app, withValues(LOGS, "plain")), plain);
    const typed = await getJson<{ items: WireLog<"typed">[] }>(app, withValues(LOGS, "typed"));
    assert.deepEqual(plain.items.map((l) => l.id), [ANCHOR.id, DOUBLE_BODY.id, EMPTY_BODY.id]);
    assert.deepEqual(typed.items.map(logRest), plain.items.map(logRest));

    const [anchor, doubleBody, emptyBody] = plain.items;
    assert.deepEqual(anchor!.body, PLAIN);
    assert.deepEqual(anchor!.attributes, PLAIN);
    assert.deepEqual(anchor!.resource_attributes, {
      "service.name": "values-svc",
      "resource.double": 1,
    });
    assert.deepEqual(anchor!.scope.attributes, { "scope.int": "9007199254740993" });
    assert.equal(doubleBody!.body, 0);
    assert.equal(emptyBody!.body, null);
    assert.deepEqual(doubleBody!.attributes, {});

    const [typedAnchor, typedDouble, typedEmpty] = typed.items;
    assert.deepEqual(typedAnchor!.body, { kvlistValue: { values: TYPED } });
    assert.deepEqual(typedAnchor!.attributes, TYPED);
    assert.deepEqual(typedAnchor!.resource_attributes, [
      { key: "service.name", value: { stringValue: "values-svc" } },
      { key: "resource.double", value: { doubleValue: 1 } },
    ]);
    assert.deepEqual(typedAnchor!.scope.attributes, [
      { key: "scope.int", value: { intValue: "9007199254740993" } },
    ]);
    assert.deepEqual(typedDouble!.body, { doubleValue: "-0" });
    assert.deepEqual(typedEmpty!.body, {});
    assert.deepEqual(typedDouble!.attributes, []);

    type Context<F extends "plain" | "typed"> = {
      anchor: WireLog<F>;
      before: WireLog<F>[];
      after: WireLog<F>[];
    };
    const context = await getJson<Context<"plain">>(app, CONTEXT);
    assert.deepEqual(await getJson(app, withValues(CONTEXT, "plain")), context);
    assert.deepEqual(context, { anchor, before: [], after: [doubleBody, emptyBody] });
    const typedContext = await getJson<Context<"typed">>(app, withValues(CONTEXT, "typed"));
    assert.deepEqual(typedContext, {
      anchor: typedAnchor,
      before: [],
      after: [typedDouble, typedEmpty],
    });
  });
});

Deno.test("values other than plain or typed are a 400 naming the parameter on each endpoint", async () => {
  await withApp(async (app) => {
    for (const path of [TRACE, ONE_SPAN, LOGS, CONTEXT]) {
      for (const bad of ["TYPED", "", "lossless"]) {
        const response = await app(new Request(`http://argus.test${withValues(path, bad)}`));
        assert.equal(response.status, 400, `${path} ${bad}`);
        assert.deepEqual(await response.json(), {
          error: `Cannot use 'values' as it must be plain or typed: current value is ${
            JSON.stringify(bad)
          }`,
        });
      }
    }
  });
});
