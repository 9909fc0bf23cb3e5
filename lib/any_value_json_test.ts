import assert from "node:assert/strict";
import { random } from "../tests/builders.ts";
import {
  type AnyValue,
  encodeAnyValueJson,
  encodeAttributesJson,
  jsonDouble,
  type KeyValue,
  parseAnyValueJson,
  parseAttributesJson,
} from "./any_value_json.ts";

const str = (value: string): AnyValue => ({ type: "string", value });
const int = (value: bigint): AnyValue => ({ type: "int", value });
const dbl = (value: number): AnyValue => ({ type: "double", value });
const kvlist = (...entries: [string, AnyValue][]): AnyValue => ({
  type: "kvlist",
  value: entries.map(([key, value]) => ({ key, value })),
});

Deno.test("encodeAnyValueJson() writes each kind as the documented JSON", () => {
  const cases: [AnyValue, string][] = [
    [str('a "quoted" \\ line\n'), '"a \\"quoted\\" \\\\ line\\n"'],
    [{ type: "bool", value: true }, "true"],
    [{ type: "bool", value: false }, "false"],
    [int(9007199254740993n), "9007199254740993"],
    [int(-5n), "-5"],
    [int(-(2n ** 63n)), "-9223372036854775808"],
    [int(2n ** 63n - 1n), "9223372036854775807"],
    [dbl(5), "5.0"],
    [dbl(-5), "-5.0"],
    [dbl(0), "0.0"],
    [dbl(-0), "-0.0"],
    [dbl(1.5), "1.5"],
    [dbl(1.5e300), "1.5e+300"],
    [dbl(1e21), "1e+21"],
    [dbl(1e20), "100000000000000000000.0"],
    [dbl(5e-324), "5e-324"],
    [dbl(NaN), '{"$double":"NaN"}'],
    [dbl(Infinity), '{"$double":"Infinity"}'],
    [dbl(-Infinity), '{"$double":"-Infinity"}'],
    [{ type: "bytes", value: new Uint8Array([0, 1, 254, 255]) }, '{"$bytes":"AAH+/w=="}'],
    [{ type: "bytes", value: new Uint8Array() }, '{"$bytes":""}'],
    [{ type: "array", value: [str("a"), int(1n), { type: "empty" }] }, '["a",1,null]'],
    [{ type: "array", value: [] }, "[]"],
    [kvlist(["a", int(1n)], ["b", dbl(2)]), '{"a":1,"b":2.0}'],
    [kvlist(), "{}"],
    [{ type: "empty" }, "null"],
  ];
  for (const [value, json] of cases) assert.equal(encodeAnyValueJson(value), json, json);
});

Deno.test("encodeAnyValueJson() wraps a kvlist whose only key starts with $", () => {
  assert.equal(
    encodeAnyValueJson(kvlist(["$double", str("NaN")])),
    '{"$kvlist":{"$double":"NaN"}}',
  );
  assert.equal(encodeAnyValueJson(kvlist(["$x", int(1n)])), '{"$kvlist":{"$x":1}}');
  // Two keys cannot be a tag, so they are not wrapped.
  assert.equal(encodeAnyValueJson(kvlist(["$a", int(1n)], ["$b", int(2n)])), '{"$a":1,"$b":2}');
  assert.equal(encodeAnyValueJson(kvlist(["x$", int(1n)])), '{"x$":1}');
});

Deno.test("encodeAnyValueJson() keeps the later of two equal keys, at the later position", () => {
  assert.equal(
    encodeAnyValueJson(kvlist(["a", int(1n)], ["b", int(2n)], ["a", int(3n)])),
    '{"b":2,"a":3}',
  );
  // After removing the repeat a single $ key remains: it is wrapped.
  assert.equal(
    encodeAnyValueJson(kvlist(["$a", int(1n)], ["$a", int(2n)])),
    '{"$kvlist":{"$a":2}}',
  );
});

Deno.test("encodeAnyValueJson() refuses an int outside int64", () => {
  assert.throws(() => encodeAnyValueJson(int(2n ** 63n)), RangeError);
});

Deno.test("encodeAttributesJson() writes an object and never wraps it", () => {
  const attributes: KeyValue[] = [
    { key: "service.name", value: str("checkout") },
    { key: "retries", value: int(3n) },
  ];
  assert.equal(encodeAttributesJson(attributes), '{"service.name":"checkout","retries":3}');
  assert.equal(encodeAttributesJson([{ key: "$bytes", value: str("x") }]), '{"$bytes":"x"}');
  assert.equal(encodeAttributesJson([]), "{}");
  assert.deepEqual(parseAttributesJson('{"$bytes":"x"}'), [{ key: "$bytes", value: str("x") }]);
});

Deno.test("jsonDouble() always writes a dot or an exponent", () => {
  for (const value of [0, 1, -1, 2 ** 53, 123456789, 1e15, 1e20, 0.1, 1 / 3, 1e-7, 1e300]) {
    const text = jsonDouble(value);
    assert.match(text, /[.e]/, text);
    assert.equal(Number(text), value);
  }
});

Deno.test("parseAnyValueJson() tells ints from doubles and keeps ints exact", () => {
  assert.deepEqual(parseAnyValueJson("9007199254740993"), int(9007199254740993n));
  assert.deepEqual(parseAnyValueJson("-9223372036854775808"), int(-(2n ** 63n)));
  assert.deepEqual(parseAnyValueJson("5.0"), dbl(5));
  assert.deepEqual(parseAnyValueJson("5e0"), dbl(5));
  assert.deepEqual(parseAnyValueJson("-0.0"), dbl(-0));
  assert.deepEqual(parseAnyValueJson("0"), int(0n));
});

Deno.test("parseAnyValueJson() keeps object keys in written order, integer-like ones too", () => {
  assert.deepEqual(
    parseAnyValueJson('{"b":1,"10":2,"2":3,"__proto__":4}'),
    kvlist(["b", int(1n)], ["10", int(2n)], ["2", int(3n)], ["__proto__", int(4n)]),
  );
});

Deno.test("parseAnyValueJson() reads the tags and the wrapped kvlist", () => {
  assert.ok(Number.isNaN((parseAnyValueJson('{"$double":"NaN"}') as { value: number }).value));
  assert.deepEqual(parseAnyValueJson('{"$double":"-Infinity"}'), dbl(-Infinity));
  assert.deepEqual(parseAnyValueJson('{"$bytes":"AAH+/w=="}'), {
    type: "bytes",
    value: new Uint8Array([0, 1, 254, 255]),
  });
  assert.deepEqual(
    parseAnyValueJson('{"$kvlist":{"$double":"NaN"}}'),
    kvlist(["$double", str("NaN")]),
  );
  assert.deepEqual(
    parseAnyValueJson(' { "a" : [ 1 , null ] } '),
    kvlist(["a", {
      type: "array",
      value: [int(1n), { type: "empty" }],
    }]),
  );
});

Deno.test("parseAnyValueJson() throws SyntaxError on what the encoding never writes", () => {
  const bad = [
    "",
    "{",
    "[1,]",
    "01",
    "1.",
    '"unterminated',
    '"bad \\x escape"',
    '"raw \n newline"',
    "nul",
    "1 2",
    '{"$double":"nan"}',
    '{"$double":5}',
    '{"$bytes":"not base64!"}',
    '{"$kvlist":[]}',
    '{"$unknown":1}',
    "9223372036854775808",
    "-9223372036854775809",
    "[".repeat(600) + "]".repeat(600),
  ];
  for (const text of bad) {
    assert.throws(() => parseAnyValueJson(text), SyntaxError, JSON.stringify(text.slice(0, 30)));
  }
  assert.throws(() => parseAttributesJson("[1]"), SyntaxError);
});

// ---------------------------------------------------------------------------------------------
// Property-based round trips over random trees (deterministic seeds).

const SPECIAL_DOUBLES = [0, -0, NaN, Infinity, -Infinity, 5e-324, -5e-324, 1e21, 2 ** 53, 0.1];
const CHARS = ['"', "\\", "\n", "\u0001", "\u007f", "é", "😀", "\u2028", "$", "a", "1", " "];

function randomString(rand: () => number): string {
  let out = "";
  const length = Math.floor(rand() * 8);
  for (let i = 0; i < length; i++) {
    out += rand() < 0.5
      ? CHARS[Math.floor(rand() * CHARS.length)]!
      : String.fromCodePoint(Math.floor(rand() * 0xd7ff) + 1);
  }
  return out;
}

function randomBits(rand: () => number): bigint {
  return (BigInt(Math.floor(rand() * 2 ** 32)) << 32n) | BigInt(Math.floor(rand() * 2 ** 32));
}

function randomKey(rand: () => number, taken: Set<string>): string {
  for (;;) {
    const key = rand() < 0.3 ? "$" + randomString(rand) : randomString(rand);
    if (!taken.has(key)) {
      taken.add(key);
      return key;
    }
  }
}

function randomValue(rand: () => number, depth: number): AnyValue {
  const kind = Math.floor(rand() * (depth > 3 ? 6 : 8));
  switch (kind) {
    case 0:
      return { type: "empty" };
    case 1:
      return str(randomString(rand));
    case 2:
      return { type: "bool", value: rand() < 0.5 };
    case 3:
      return int(BigInt.asIntN(64, randomBits(rand)));
    case 4: {
      if (rand() < 0.3) return dbl(SPECIAL_DOUBLES[Math.floor(rand() * SPECIAL_DOUBLES.length)]!);
      const view = new DataView(new ArrayBuffer(8));
      view.setBigUint64(0, randomBits(rand));
      return dbl(view.getFloat64(0));
    }
    case 5:
      return {
        type: "bytes",
        value: Uint8Array.from({ length: Math.floor(rand() * 6) }, () => Math.floor(rand() * 256)),
      };
    case 6:
      return {
        type: "array",
        value: Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1)),
      };
    default: {
      const taken = new Set<string>();
      return {
        type: "kvlist",
        value: Array.from({ length: Math.floor(rand() * 4) }, () => ({
          key: randomKey(rand, taken),
          value: randomValue(rand, depth + 1),
        })),
      };
    }
  }
}

Deno.test("parseAnyValueJson(encodeAnyValueJson(v)) is v for 5000 random trees", () => {
  const rand = random(42);
  for (let i = 0; i < 5000; i++) {
    const value = randomValue(rand, 0);
    const text = encodeAnyValueJson(value);
    JSON.parse(text); // always valid JSON
    assert.deepEqual(parseAnyValueJson(text), value, text);
    assert.equal(encodeAnyValueJson(parseAnyValueJson(text)), text);
  }
});

Deno.test("parseAttributesJson(encodeAttributesJson(list)) is list for 2000 random lists", () => {
  const rand = random(7);
  for (let i = 0; i < 2000; i++) {
    const taken = new Set<string>();
    const list: KeyValue[] = Array.from({ length: Math.floor(rand() * 5) }, () => ({
      key: randomKey(rand, taken),
      value: randomValue(rand, 0),
    }));
    const text = encodeAttributesJson(list);
    assert.deepEqual(parseAttributesJson(text), list, text);
  }
});

Deno.test("every double survives the round trip bit for bit", () => {
  const rand = random(3);
  const view = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < 20000; i++) {
    view.setBigUint64(0, randomBits(rand));
    const value = view.getFloat64(0);
    const back = parseAnyValueJson(jsonDouble(value));
    assert.equal(back.type, "double");
    assert.ok(Object.is((back as { value: number }).value, value) || Number.isNaN(value));
  }
});
