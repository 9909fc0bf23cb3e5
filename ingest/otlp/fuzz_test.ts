/**
 * Fuzzing the protobuf reader against the generated reference decoder: rewritten real requests
 * (field order, unknown fields, groups, wrong wire types), every truncation, mutated bytes, random
 * bytes and deep nesting. The reader must match the reference or throw OtlpDecodeError; never
 * another exception, never a hang. Deterministic seeds; a few seconds in all.
 */
import assert from "node:assert/strict";
import {
  type Decoded,
  decodeRequest,
  DEFAULT_DECODE_LIMITS,
  OtlpDecodeError,
  type Signal,
} from "./mod.ts";
import {
  edgeLogsRequest,
  edgeTracesRequest,
  logsProtobuf,
  random,
  sdkLogs,
  sdkSpans,
  tracesProtobuf,
} from "./testdata/payloads.ts";
import { encodeReference, referenceDecode } from "./testdata/reference.ts";
import {
  concat,
  I32,
  I64,
  LEN,
  len,
  message,
  parseWire,
  SCHEMA,
  tag,
  VARINT,
  varint,
  varintBytes,
  type WireField,
  writeWire,
} from "./testdata/wire.ts";

const NOW = 1_795_700_000_000_000_000n;
const LIMITS = DEFAULT_DECODE_LIMITS;
const ROOT: Record<Signal, string> = {
  traces: "ExportTraceServiceRequest",
  logs: "ExportLogsServiceRequest",
};

function paths(decoded: Decoded): Decoded {
  return {
    ...decoded,
    rejected: decoded.rejected.map((r) => ({ index: r.index, reason: r.reason.split(": ")[0]! })),
  };
}

function ours(signal: Signal, body: Uint8Array): Decoded | OtlpDecodeError {
  try {
    return decodeRequest(signal, "protobuf", body, LIMITS, NOW);
  } catch (error) {
    if (error instanceof OtlpDecodeError) return error;
    throw new Error(`not an OtlpDecodeError: ${error}`, { cause: error });
  }
}

function reference(signal: Signal, body: Uint8Array): Decoded | Error {
  try {
    return referenceDecode(signal, body, LIMITS, NOW);
  } catch (error) {
    return error as Error;
  }
}

/** The contract: our result equals the reference's, or ours is an OtlpDecodeError. */
function assertContract(signal: Signal, body: Uint8Array, label: string): Decoded | undefined {
  const mine = ours(signal, body);
  if (mine instanceof OtlpDecodeError) return undefined;
  const theirs = reference(signal, body);
  if (theirs instanceof Error) {
    // The SDK payloads carry the clock's timestamps, so print the body to reproduce a failure.
    assert.fail(
      `${label}: we decoded what the reference refuses (${theirs.message}); body (base64): ` +
        btoa(String.fromCharCode(...body)),
    );
  }
  assert.deepEqual(paths(mine), theirs, label);
  return mine;
}

const PAYLOADS: [Signal, Uint8Array][] = [
  ["traces", new Uint8Array(tracesProtobuf(sdkSpans({ count: 12, seed: 5 })))],
  ["traces", encodeReference("traces", edgeTracesRequest())],
  ["logs", new Uint8Array(logsProtobuf(sdkLogs({ count: 12, seed: 6 })))],
  ["logs", encodeReference("logs", edgeLogsRequest())],
];

const UNKNOWN_NUMBERS = [17, 19, 42, 99, 2047, 536870911];

function randomUnknown(rand: () => number): WireField {
  const number = UNKNOWN_NUMBERS[Math.floor(rand() * UNKNOWN_NUMBERS.length)]!;
  const kind = Math.floor(rand() * 4);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
  if (kind === 0) {
    return { number, wireType: VARINT, varint: BigInt(Math.floor(rand() * 2 ** 32)) << 31n };
  }
  if (kind === 1) return { number, wireType: I64, bytes: bytes(8) };
  if (kind === 2) return { number, wireType: I32, bytes: bytes(4) };
  return { number, wireType: LEN, bytes: bytes(Math.floor(rand() * 20)) };
}

/**
 * Rewrites a tree: fields of different numbers interleaved at random (the order of a repeated
 * field kept, as protobuf requires), unknown fields inserted with probability `unknowns`.
 */
function shuffle(fields: WireField[], rand: () => number, unknowns: number): WireField[] {
  const queues = new Map<number, WireField[]>();
  for (const field of fields) {
    const copy = field.fields ? { ...field, fields: shuffle(field.fields, rand, unknowns) } : field;
    queues.set(field.number, [...(queues.get(field.number) ?? []), copy]);
  }
  const out: WireField[] = [];
  const live = [...queues.values()];
  while (live.length > 0) {
    const i = Math.floor(rand() * live.length);
    out.push(live[i]!.shift()!);
    if (live[i]!.length === 0) live.splice(i, 1);
    if (rand() < unknowns) out.push(randomUnknown(rand));
  }
  return out;
}

/** Every known field of the tree, with the message type it belongs to. */
function knownFields(fields: WireField[], type: string, out: [WireField, string][] = []) {
  for (const field of fields) {
    if (SCHEMA[type]!.known.includes(field.number)) out.push([field, type]);
    if (field.fields) knownFields(field.fields, field.message!, out);
  }
  return out;
}

Deno.test("any field order and unknown fields of every wire type decode as the original", () => {
  const rand = random(11);
  for (const [signal, body] of PAYLOADS) {
    const original = decodeRequest(signal, "protobuf", body, LIMITS, NOW);
    const tree = parseWire(body, ROOT[signal]);
    for (let i = 0; i < 25; i++) {
      const rewritten = writeWire(shuffle(tree, rand, i % 2 === 0 ? 0 : 0.3));
      const mine = assertContract(signal, rewritten, `${signal} rewrite ${i}`);
      assert.deepEqual(mine, original, `${signal} rewrite ${i}`);
    }
  }
});

Deno.test("a group anywhere is refused as an OtlpDecodeError naming it", () => {
  const rand = random(12);
  for (const [signal, body] of PAYLOADS) {
    const tree = parseWire(body, ROOT[signal]);
    const messages: WireField[][] = [tree];
    const walk = (fields: WireField[]) =>
      fields.forEach((f) => f.fields && (messages.push(f.fields), walk(f.fields)));
    walk(tree);
    for (let i = 0; i < 20; i++) {
      const target = messages[Math.floor(rand() * messages.length)]!;
      const at = Math.floor(rand() * (target.length + 1));
      target.splice(at, 0, { number: 99, wireType: 3 });
      const result = ours(signal, writeWire(tree));
      target.splice(at, 1);
      assert.ok(result instanceof OtlpDecodeError, `${signal} group ${i}`);
      assert.match(result.message, /field 99 of \S+ has wire type 3 \(group\)/);
    }
  }
});

Deno.test("a known field with the wrong wire type is an OtlpDecodeError naming the field", () => {
  const rand = random(13);
  for (const [signal, body] of PAYLOADS) {
    const tree = parseWire(body, ROOT[signal]);
    const known = knownFields(tree, ROOT[signal]);
    for (let i = 0; i < 40; i++) {
      const [field, type] = known[Math.floor(rand() * known.length)]!;
      const saved = { ...field };
      const wrong = [VARINT, I64, LEN, I32].filter((t) => t !== field.wireType);
      const wireType = wrong[Math.floor(rand() * wrong.length)]!;
      // Content that is well-formed for the wrong type, so the tag is what is wrong.
      Object.assign(field, {
        wireType,
        varint: 1n,
        bytes: new Uint8Array(wireType === I64 ? 8 : wireType === I32 ? 4 : 1),
        fields: undefined,
      });
      const result = ours(signal, writeWire(tree));
      Object.assign(field, saved);
      assert.ok(result instanceof OtlpDecodeError, `${type}.${field.number} as ${wireType}`);
      assert.match(
        result.message,
        new RegExp(
          `field ${field.number} of ${type.replace(".", "\\.")} has wire type ${wireType}`,
        ),
      );
    }
  }
});

Deno.test("every truncation of a real request matches the reference or is refused", () => {
  // One span of the edge request: every kind of value, in 1.3 KB.
  const edge = edgeTracesRequest() as { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] };
  const first = edge.resourceSpans[0]!;
  first.scopeSpans = [{ ...first.scopeSpans[0]!, spans: first.scopeSpans[0]!.spans.slice(0, 1) }];
  const small: [Signal, Uint8Array][] = [
    ["traces", new Uint8Array(tracesProtobuf(sdkSpans({ count: 4, seed: 8 })))],
    ["traces", encodeReference("traces", { resourceSpans: [first] })],
    ["logs", new Uint8Array(logsProtobuf(sdkLogs({ count: 4, seed: 9 })))],
  ];
  for (const [signal, body] of small) {
    let decoded = 0;
    for (let n = 0; n < body.length; n++) {
      const mine = assertContract(signal, body.subarray(0, n), `${signal} cut at ${n}`);
      if (mine) decoded++;
    }
    // Cuts between resources are valid requests (at least the empty one, n = 0).
    assert.ok(decoded >= 1);
  }
});

Deno.test("mutated requests match the reference or are refused", () => {
  const rand = random(14);
  for (const [signal, body] of PAYLOADS) {
    for (let i = 0; i < 400; i++) {
      const mutated = body.slice();
      const changes = 1 + Math.floor(rand() * 3);
      for (let c = 0; c < changes; c++) {
        const at = Math.floor(rand() * mutated.length);
        mutated[at] = rand() < 0.5 ? mutated[at]! ^ (1 << Math.floor(rand() * 8)) : rand() * 256;
      }
      assertContract(signal, mutated, `${signal} mutation ${i}`);
    }
  }
});

Deno.test("random bytes match the reference or are refused", () => {
  const rand = random(15);
  for (let i = 0; i < 3000; i++) {
    const signal: Signal = i % 2 === 0 ? "traces" : "logs";
    const length = Math.floor(rand() * 48);
    const bytes = Uint8Array.from({ length }, () => Math.floor(rand() * 256));
    // Half start like a request, to get past the first field.
    if (i % 4 < 2 && length > 2) bytes[0] = 0x0a;
    assertContract(signal, bytes, `random ${i}`);
  }
});

/** An AnyValue of arrays nested `depth` deep around a string, built in linear time. */
function nestedArrays(depth: number): Uint8Array {
  // Each level is AnyValue{array_value(5): ArrayValue{values(1): <inner>}}: only prefixes.
  const leaf = len(1, "leaf");
  const prefixes: number[][] = [];
  let size = leaf.length;
  for (let i = 0; i < depth; i++) {
    const inner = [...tag(1, LEN), ...varintBytes(size)];
    size += inner.length;
    const outer = [...tag(5, LEN), ...varintBytes(size)];
    size += outer.length;
    prefixes.push(inner, outer);
  }
  return concat([...prefixes.reverse(), leaf]);
}

function spanWith(attribute: Uint8Array): Uint8Array {
  const span = message(
    len(1, new Uint8Array(16).fill(1)),
    len(2, new Uint8Array(8).fill(2)),
    len(5, "deep"),
    len(9, attribute),
  );
  return len(1, len(2, len(2, span)));
}

Deno.test("deep nesting is refused per item, never overflowing the stack", () => {
  const ok = decodeRequest(
    "traces",
    "protobuf",
    spanWith(message(len(1, "k"), len(2, nestedArrays(16)))),
    LIMITS,
    NOW,
  );
  assert.equal(ok.batch.spans.length, 1);
  for (const depth of [17, 1000, 100_000]) {
    const decoded = decodeRequest(
      "traces",
      "protobuf",
      spanWith(message(len(1, "k"), len(2, nestedArrays(depth)))),
      LIMITS,
      NOW,
    );
    assert.equal(decoded.batch.spans.length, 0, `depth ${depth}`);
    assert.match(
      decoded.rejected[0]!.reason,
      /spans\[0\]: attributes must nest arrays and kvlists at most 16 levels deep/,
    );
  }
  // With a limit above what the stack guard allows, the request as a whole is refused.
  assert.throws(
    () =>
      decodeRequest(
        "traces",
        "protobuf",
        spanWith(message(len(1, "k"), len(2, nestedArrays(1000)))),
        { ...LIMITS, maxValueDepth: 10_000 },
        NOW,
      ),
    (error) => error instanceof OtlpDecodeError && /nesting deeper than 64/.test(error.message),
  );
  // Nesting inside an unknown field is skipped without being read.
  const unknownDeep = concat([len(77, nestedArrays(100_000)), spanWith(len(1, "k"))]);
  assert.equal(decodeRequest("traces", "protobuf", unknownDeep, LIMITS, NOW).items, 1);
});

Deno.test("varints of more than 10 bytes, oversized tags and field number 0 are refused", () => {
  const long = concat([tag(99, VARINT), new Array(10).fill(0x80), [0]]);
  assert.throws(
    () => decodeRequest("traces", "protobuf", long, LIMITS, NOW),
    /varint longer than 10 bytes at byte 2/,
  );
  // Ten bytes is allowed: a negative int64 takes ten.
  assert.equal(decodeRequest("traces", "protobuf", varint(99, -1n), LIMITS, NOW).items, 0);
  assert.throws(
    () =>
      decodeRequest(
        "traces",
        "protobuf",
        new Uint8Array([0x88, 0x80, 0x80, 0x80, 0x80, 0]),
        LIMITS,
        NOW,
      ),
    /tag longer than 32 bits at byte 0/,
  );
  assert.throws(
    () => decodeRequest("logs", "protobuf", new Uint8Array([0x00, 0x00]), LIMITS, NOW),
    /field number 0 at byte 0/,
  );
});
