/**
 * Lossless JSON text for OTLP `AnyValue`s and attribute lists: the encoding of Argus's
 * attribute-like columns (attributes, events, links, scope and resource attributes, non-string
 * log bodies), and its parser back to a typed tree.
 *
 * The encoding, chosen so that JSON tools read it naturally and a round trip is exact:
 *
 * | AnyValue | JSON |
 * | --- | --- |
 * | string | string |
 * | bool | `true` / `false` |
 * | int (int64) | integer literal, exact (`9007199254740993`, `-5`) |
 * | double | number that always has a `.` or an exponent (`5.0`, `1.5e+300`, `-0.0`); NaN and ±Infinity as `{"$double":"NaN"}`, `{"$double":"Infinity"}`, `{"$double":"-Infinity"}` |
 * | bytes | `{"$bytes":"<base64>"}` |
 * | array | array |
 * | kvlist | object; a kvlist whose only key starts with `$` is `{"$kvlist":{...}}`, so it is never read as one of these tags |
 * | empty | `null` |
 *
 * An attribute list is an object of key → encoded value. JSON objects cannot hold a key twice, so
 * in a list or kvlist with a repeated key the later one wins (at the later one's position); this
 * is the only loss, and OTLP forbids repeated keys anyway.
 *
 * @module
 */

/** An OTLP AnyValue as a typed tree; `type` names match the store's log body types. */
export type AnyValue =
  | { type: "empty" }
  | { type: "string"; value: string }
  | { type: "bool"; value: boolean }
  | { type: "int"; value: bigint }
  | { type: "double"; value: number }
  | { type: "bytes"; value: Uint8Array }
  | { type: "array"; value: AnyValue[] }
  | { type: "kvlist"; value: KeyValue[] };

/** One entry of an attribute list or kvlist. */
export interface KeyValue {
  key: string;
  value: AnyValue;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

// ---------------------------------------------------------------------------------------------
// Encoding. The primitives are exported so that streaming decoders (ingest/otlp) write exactly
// the same text without building a tree first.

/** A double as JSON: always with a `.` or an exponent, so it never reads back as an int. */
export function jsonDouble(value: number): string {
  if (value !== value) return '{"$double":"NaN"}';
  if (value === Infinity) return '{"$double":"Infinity"}';
  if (value === -Infinity) return '{"$double":"-Infinity"}';
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  // String() gives the shortest text that reads back to the same double; it has neither `.` nor
  // an exponent exactly for integers below 1e21.
  const text = String(value);
  return Number.isInteger(value) && Math.abs(value) < 1e21 ? text + ".0" : text;
}

/** Bytes as JSON: `{"$bytes":"<standard base64 with padding>"}`. */
export function jsonBytes(bytes: Uint8Array): string {
  return '{"$bytes":"' + bytes.toBase64() + '"}';
}

/**
 * An object from quoted keys (`"k"`, as JSON.stringify writes them) and encoded values, the first
 * `count` of each. A later repeated key wins. With `asKvlist`, a single key starting with `$` is
 * wrapped as `{"$kvlist":{...}}` (attribute lists are never wrapped: they are always objects).
 */
export function jsonObject(
  quotedKeys: readonly string[],
  values: readonly string[],
  count: number,
  asKvlist: boolean,
): string {
  if (count === 0) return "{}";
  // Repeated keys are rare: a scan for short lists, a map for long ones (a kvlist is unbounded).
  let lastIndex: Map<string, number> | undefined;
  if (count > 16) {
    lastIndex = new Map();
    for (let i = 0; i < count; i++) lastIndex.set(quotedKeys[i]!, i);
  }
  let out = "{";
  let first = true;
  let kept = 0;
  let lastKept = 0;
  for (let i = 0; i < count; i++) {
    const key = quotedKeys[i]!;
    if (
      lastIndex === undefined
        ? count > 1 && laterHasKey(quotedKeys, key, i + 1, count)
        : lastIndex.get(key) !== i
    ) continue;
    out += first ? key + ":" + values[i]! : "," + key + ":" + values[i]!;
    first = false;
    kept++;
    lastKept = i;
  }
  out += "}";
  // A quoted key starting with `$` begins `"$`.
  if (asKvlist && kept === 1 && quotedKeys[lastKept]!.charCodeAt(1) === 36) {
    return '{"$kvlist":' + out + "}";
  }
  return out;
}

function laterHasKey(keys: readonly string[], key: string, from: number, count: number): boolean {
  for (let j = from; j < count; j++) if (keys[j] === key) return true;
  return false;
}

/** An AnyValue as JSON text (see the module documentation for the encoding). */
export function encodeAnyValueJson(value: AnyValue): string {
  switch (value.type) {
    case "empty":
      return "null";
    case "string":
      return JSON.stringify(value.value);
    case "bool":
      return value.value ? "true" : "false";
    case "int":
      if (value.value < INT64_MIN || value.value > INT64_MAX) {
        throw new RangeError(
          `Cannot encode an int AnyValue as it must be an int64: current value is ${value.value}`,
        );
      }
      return value.value.toString();
    case "double":
      return jsonDouble(value.value);
    case "bytes":
      return jsonBytes(value.value);
    case "array": {
      let out = "[";
      for (let i = 0; i < value.value.length; i++) {
        if (i > 0) out += ",";
        out += encodeAnyValueJson(value.value[i]!);
      }
      return out + "]";
    }
    case "kvlist":
      return encodeEntries(value.value, true);
  }
}

/** An attribute list as a JSON object of key → encoded value (a later repeated key wins). */
export function encodeAttributesJson(attributes: readonly KeyValue[]): string {
  return encodeEntries(attributes, false);
}

function encodeEntries(entries: readonly KeyValue[], asKvlist: boolean): string {
  const keys = entries.map((entry) => JSON.stringify(entry.key));
  const values = entries.map((entry) => encodeAnyValueJson(entry.value));
  return jsonObject(keys, values, entries.length, asKvlist);
}

// ---------------------------------------------------------------------------------------------
// Parsing. A small JSON parser of our own rather than JSON.parse: it keeps object keys in their
// written order (JSON.parse puts integer-like keys first) and tells integer literals from
// doubles without a reviver.

/** Generic JSON as written: integers and doubles apart, objects as ordered entries. */
type Json =
  | { t: "null" }
  | { t: "bool"; v: boolean }
  | { t: "int"; v: bigint }
  | { t: "double"; v: number }
  | { t: "string"; v: string }
  | { t: "array"; v: Json[] }
  | { t: "object"; v: [string, Json][] };

/** Deeper documents are refused rather than risk the stack (decoders cap nesting far lower). */
const MAX_PARSE_DEPTH = 512;

class JsonParser {
  pos = 0;
  constructor(readonly text: string) {}

  fail(what: string): never {
    throw new SyntaxError(
      `Cannot parse AnyValue JSON as ${what} at offset ${this.pos}: ` +
        `current text is ${JSON.stringify(this.text.slice(this.pos, this.pos + 20))}`,
    );
  }

  space(): void {
    const text = this.text;
    let pos = this.pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
    this.pos = pos;
  }

  document(): Json {
    this.space();
    const value = this.value(0);
    this.space();
    if (this.pos !== this.text.length) this.fail("the document must end after one value");
    return value;
  }

  value(depth: number): Json {
    if (depth > MAX_PARSE_DEPTH) this.fail(`nesting must be at most ${MAX_PARSE_DEPTH} levels`);
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case 0x7b: // {
        return this.object(depth);
      case 0x5b: // [
        return this.array(depth);
      case 0x22: // "
        return { t: "string", v: this.string() };
      case 0x74: // t
        return this.literal("true", { t: "bool", v: true });
      case 0x66: // f
        return this.literal("false", { t: "bool", v: false });
      case 0x6e: // n
        return this.literal("null", { t: "null" });
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
        return this.fail("a value was expected");
    }
  }

  literal(word: string, value: Json): Json {
    if (!this.text.startsWith(word, this.pos)) this.fail(`a value was expected`);
    this.pos += word.length;
    return value;
  }

  number(): Json {
    const match = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
    match.lastIndex = this.pos;
    const found = match.exec(this.text);
    if (found === null) return this.fail("a number was expected");
    this.pos += found[0].length;
    if (found[1] === undefined && found[2] === undefined) {
      const v = BigInt(found[0]);
      if (v < INT64_MIN || v > INT64_MAX) this.fail("an integer must fit in an int64");
      return { t: "int", v };
    }
    return { t: "double", v: Number(found[0]) };
  }

  string(): string {
    const text = this.text;
    const start = this.pos;
    let pos = start + 1;
    let escaped = false;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x22) break;
      if (c !== c) this.fail("a string must be closed");
      if (c < 0x20) {
        this.pos = pos;
        this.fail("a control character must be escaped in a string");
      }
      if (c === 0x5c) {
        escaped = true;
        pos++;
      }
      pos++;
    }
    this.pos = pos + 1;
    if (!escaped) return text.slice(start + 1, pos);
    try {
      return JSON.parse(text.slice(start, pos + 1));
    } catch {
      this.pos = start;
      return this.fail("a string has an invalid escape");
    }
  }

  array(depth: number): Json {
    this.pos++;
    const items: Json[] = [];
    this.space();
    if (this.text.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return { t: "array", v: items };
    }
    for (;;) {
      this.space();
      items.push(this.value(depth + 1));
      this.space();
      const c = this.text.charCodeAt(this.pos++);
      if (c === 0x5d) return { t: "array", v: items };
      if (c !== 0x2c) {
        this.pos--;
        this.fail("`,` or `]` was expected");
      }
    }
  }

  object(depth: number): Json {
    this.pos++;
    const entries: [string, Json][] = [];
    this.space();
    if (this.text.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return { t: "object", v: entries };
    }
    for (;;) {
      this.space();
      if (this.text.charCodeAt(this.pos) !== 0x22) this.fail("a key was expected");
      const key = this.string();
      this.space();
      if (this.text.charCodeAt(this.pos) !== 0x3a) this.fail("`:` was expected");
      this.pos++;
      this.space();
      entries.push([key, this.value(depth + 1)]);
      this.space();
      const c = this.text.charCodeAt(this.pos++);
      if (c === 0x7d) return { t: "object", v: entries };
      if (c !== 0x2c) {
        this.pos--;
        this.fail("`,` or `}` was expected");
      }
    }
  }
}

const DOUBLE_TAGS: Record<string, number> = {
  "NaN": NaN,
  "Infinity": Infinity,
  "-Infinity": -Infinity,
};

function toAnyValue(json: Json): AnyValue {
  switch (json.t) {
    case "null":
      return { type: "empty" };
    case "bool":
      return { type: "bool", value: json.v };
    case "int":
      return { type: "int", value: json.v };
    case "double":
      return { type: "double", value: json.v };
    case "string":
      return { type: "string", value: json.v };
    case "array":
      return { type: "array", value: json.v.map(toAnyValue) };
    case "object": {
      const only = json.v.length === 1 ? json.v[0]! : undefined;
      if (only === undefined || !only[0].startsWith("$")) {
        return { type: "kvlist", value: toEntries(json.v) };
      }
      const [tag, inner] = only;
      if (tag === "$double" && inner.t === "string" && Object.hasOwn(DOUBLE_TAGS, inner.v)) {
        return { type: "double", value: DOUBLE_TAGS[inner.v]! };
      }
      if (tag === "$bytes" && inner.t === "string") {
        try {
          return { type: "bytes", value: Uint8Array.fromBase64(inner.v) };
        } catch {
          throw new SyntaxError(
            `Cannot parse AnyValue JSON as $bytes must be base64: current value is ${
              JSON.stringify(inner.v.slice(0, 40))
            }`,
          );
        }
      }
      if (tag === "$kvlist" && inner.t === "object") {
        return { type: "kvlist", value: toEntries(inner.v) };
      }
      throw new SyntaxError(
        `Cannot parse AnyValue JSON as an object with one key starting with "$" must be ` +
          `{"$double":"NaN"|"Infinity"|"-Infinity"}, {"$bytes":"<base64>"} or ` +
          `{"$kvlist":{...}}: current key is ${JSON.stringify(tag)} with a ${inner.t} value`,
      );
    }
  }
}

function toEntries(entries: [string, Json][]): KeyValue[] {
  return entries.map(([key, value]) => ({ key, value: toAnyValue(value) }));
}

/** Parses the JSON text of one AnyValue; throws SyntaxError when it is not one. */
export function parseAnyValueJson(text: string): AnyValue {
  return toAnyValue(new JsonParser(text).document());
}

/** Parses the JSON text of an attribute list (an object); throws SyntaxError when it is not. */
export function parseAttributesJson(text: string): KeyValue[] {
  const json = new JsonParser(text).document();
  if (json.t !== "object") {
    throw new SyntaxError(
      `Cannot parse attributes JSON as it must be an object: current value is a ${json.t}`,
    );
  }
  return toEntries(json.v);
}
