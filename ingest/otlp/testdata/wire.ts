/**
 * A tiny protobuf wire writer and schema-aware tree for tests: building requests by hand (wrong
 * wire types, groups, unknown fields) and rewriting real ones (shuffled field order).
 *
 * @module
 */

export const VARINT = 0;
export const I64 = 1;
export const LEN = 2;
export const I32 = 5;

/** One field as found on the wire; LEN fields of known message type are parsed into `fields`. */
export interface WireField {
  number: number;
  wireType: number;
  /** varint value. */
  varint?: bigint;
  /** I64 / I32 / LEN (not a message) payload. */
  bytes?: Uint8Array;
  /** LEN payload of a known message type. */
  fields?: WireField[];
  /** The message type of `fields`. */
  message?: string;
}

/** For each message type: its known fields, and which of them are messages (and of what type). */
export const SCHEMA: Record<string, { known: number[]; messages: Record<number, string> }> = {
  ExportTraceServiceRequest: { known: [1], messages: { 1: "ResourceSpans" } },
  ExportLogsServiceRequest: { known: [1], messages: { 1: "ResourceLogs" } },
  ResourceSpans: { known: [1, 2, 3], messages: { 1: "Resource", 2: "ScopeSpans" } },
  ResourceLogs: { known: [1, 2, 3], messages: { 1: "Resource", 2: "ScopeLogs" } },
  Resource: { known: [1, 2], messages: { 1: "KeyValue" } },
  ScopeSpans: { known: [1, 2, 3], messages: { 1: "InstrumentationScope", 2: "Span" } },
  ScopeLogs: { known: [1, 2, 3], messages: { 1: "InstrumentationScope", 2: "LogRecord" } },
  InstrumentationScope: { known: [1, 2, 3, 4], messages: { 3: "KeyValue" } },
  Span: {
    known: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
    messages: { 9: "KeyValue", 11: "Span.Event", 13: "Span.Link", 15: "Status" },
  },
  "Span.Event": { known: [1, 2, 3, 4], messages: { 3: "KeyValue" } },
  "Span.Link": { known: [1, 2, 3, 4, 5, 6], messages: { 4: "KeyValue" } },
  Status: { known: [2, 3], messages: {} }, // 1 (deprecated_code) is unknown to both readers
  LogRecord: {
    known: [1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12],
    messages: { 5: "AnyValue", 6: "KeyValue" },
  },
  KeyValue: { known: [1, 2], messages: { 2: "AnyValue" } },
  AnyValue: { known: [1, 2, 3, 4, 5, 6, 7], messages: { 5: "ArrayValue", 6: "KeyValueList" } },
  ArrayValue: { known: [1], messages: { 1: "AnyValue" } },
  KeyValueList: { known: [1], messages: { 1: "KeyValue" } },
};

export function varintBytes(value: bigint | number): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

export function concat(parts: readonly (Uint8Array | number[])[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function tag(number: number, wireType: number): number[] {
  return varintBytes((BigInt(number) << 3n) | BigInt(wireType));
}

const encoder = new TextEncoder();

// Builders of single fields, for hand-written requests.
export function varint(number: number, value: bigint | number): Uint8Array {
  return concat([tag(number, VARINT), varintBytes(value)]);
}
export function len(number: number, payload: Uint8Array | string | readonly Uint8Array[]) {
  const bytes = typeof payload === "string"
    ? encoder.encode(payload)
    : payload instanceof Uint8Array
    ? payload
    : concat(payload);
  return concat([tag(number, LEN), varintBytes(bytes.length), bytes]);
}
export function fixed64(number: number, value: bigint): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
  return concat([tag(number, I64), bytes]);
}
export function double(number: number, value: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, value, true);
  return concat([tag(number, I64), bytes]);
}
export function fixed32(number: number, value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value >>> 0, true);
  return concat([tag(number, I32), bytes]);
}
export function message(...fields: Uint8Array[]): Uint8Array {
  return concat(fields);
}

/** Parses well-formed wire bytes of `type` into a tree (throws on malformed input). */
export function parseWire(bytes: Uint8Array, type: string): WireField[] {
  const schema = SCHEMA[type];
  const fields: WireField[] = [];
  let pos = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= bytes.length) throw new Error("truncated varint");
      const b = bytes[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
      shift += 7n;
    }
  };
  while (pos < bytes.length) {
    const key = readVarint();
    const number = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (wireType === VARINT) fields.push({ number, wireType, varint: readVarint() });
    else if (wireType === I64 || wireType === I32) {
      const size = wireType === I64 ? 8 : 4;
      if (pos + size > bytes.length) throw new Error("truncated fixed");
      fields.push({ number, wireType, bytes: bytes.slice(pos, pos + size) });
      pos += size;
    } else if (wireType === LEN) {
      const size = Number(readVarint());
      if (pos + size > bytes.length) throw new Error("truncated len");
      const payload = bytes.slice(pos, pos + size);
      pos += size;
      const sub = schema?.messages[number];
      if (sub !== undefined) {
        fields.push({ number, wireType, fields: parseWire(payload, sub), message: sub });
      } else fields.push({ number, wireType, bytes: payload });
    } else throw new Error(`wire type ${wireType} in test tree`);
  }
  return fields;
}

/** Serializes a tree back to wire bytes (wire type 3: an empty group, start and end). */
export function writeWire(fields: readonly WireField[]): Uint8Array {
  const parts: (Uint8Array | number[])[] = [];
  for (const field of fields) {
    parts.push(tag(field.number, field.wireType));
    if (field.wireType === 3) parts.push(tag(field.number, 4)); // an empty group
    else if (field.wireType === VARINT) parts.push(varintBytes(field.varint!));
    else if (field.wireType === LEN) {
      const payload = field.fields !== undefined ? writeWire(field.fields) : field.bytes!;
      parts.push(varintBytes(payload.length), payload);
    } else parts.push(field.bytes!);
  }
  return concat(parts);
}
