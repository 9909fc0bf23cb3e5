/**
 * A schema-specific protobuf reader for `ExportTraceServiceRequest` and `ExportLogsServiceRequest`
 * (opentelemetry-proto v1.x): it walks the wire format once and builds store rows directly, with
 * attribute-like fields as the JSON text of `lib/any_value_json.ts`, instead of building
 * generated message objects first.
 *
 * Speed comes from writing every string of the request (names verbatim, attributes, events and
 * links as JSON) as UTF-8 into one buffer, checked on the way, and decoding it once at the end;
 * rows then hold slices of that one string. Nothing is allocated per attribute.
 *
 * Wire rules: fields in any order; unknown fields of wire types 0, 1, 2 and 5 skipped; groups
 * (3, 4), wire types 6 and 7, field number 0, a known field with the wrong wire type, a varint
 * over 10 bytes, a tag or length over 5 bytes (32 bits), and any read past the end of its
 * message are errors (`OtlpDecodeError`). Messages nest at most 64 deep. For a
 * repeated scalar or string field the last one wins; `resource`, `scope` and `status` merge
 * across repetitions as protobuf specifies; an AnyValue field (`KeyValue.value`, a log's `body`)
 * repeated: the last one wins, as protobufjs does. Within one AnyValue the last member of the
 * oneof wins, and repeated `array_value` or `kvlist_value` members merge.
 *
 * Strings and AnyValues overwritten later are not decoded, so their content cannot refuse an
 * item. Attributes, events and links past the limits are skipped unread (only their length is
 * checked) and counted as dropped; so is an AnyValue past `maxValueDepth`, which refuses its item.
 * Ids: a span's trace_id/span_id must be 16/8 bytes and not all zero, a parent_span_id 8 bytes or
 * empty (all zero counts as empty: a root span); a log's ids may be empty, and all zero counts as
 * empty; link ids are kept as sent.
 *
 * @module
 */
import { jsonBytes, jsonDouble } from "../../lib/any_value_json.ts";
import { Hash128, logId, RequestLogIds, resourceId } from "../../store/ids.ts";
import { escapeText } from "../../utils/text_escape.ts";
import { EVENT_JSON, LINK_JSON } from "../../store/events_links.ts";
import { BODY_TYPES } from "../../store/types.ts";
import type { Batch, BodyType, LogRow, ResourceRow, SpanRow } from "../../store/types.ts";
import {
  emptyEntityRef,
  type EntityRef,
  entityRefsText,
  setEntityRefField,
  UNKNOWN_SERVICE,
} from "./batch_assembler.ts";
import {
  decodeOut,
  putAscii,
  putByte,
  putConstant,
  putHex,
  putOut,
  putText,
  TextOut,
} from "./text_out.ts";
import { type Decoded, type DecodeLimits, OtlpDecodeError } from "./types.ts";

// Wire types.
const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

// AnyValue kinds, indexes into BODY_TYPE_OF; ARRAY and KVLIST are their field number + 1.
const EMPTY = 0;
const STRING = 1;
const BOOL = 2;
const INT = 3;
const DOUBLE = 4;
const BYTES = 5;
const ARRAY = 6;
const KVLIST = 7;
// The store lists the body types in this same order.
const BODY_TYPE_OF: readonly BodyType[] = BODY_TYPES;

/**
 * Messages may nest at most this deep. Above the first AnyValue there are at most 7 levels
 * (request, ResourceSpans, ScopeSpans, Span, Event, KeyValue, AnyValue) and each array or kvlist
 * adds 2, so this only bites when `maxValueDepth` is set above 28; it keeps recursion far from
 * the JavaScript stack's limit.
 */
const MAX_MESSAGE_DEPTH = 64;
const MAX_VALUE_RECURSION = (MAX_MESSAGE_DEPTH - 7) >> 1;

const ascii = (text: string) => new TextEncoder().encode(text);
// The stored events' and links' JSON (store/events_links.ts), as bytes.
const EVENT_TIME = ascii(EVENT_JSON.time);
const EVENT_NAME = ascii(EVENT_JSON.name);
const EVENT_ATTRIBUTES = ascii(EVENT_JSON.attributes);
const EVENT_DROPPED = ascii(EVENT_JSON.dropped);
const LINK_TRACE_ID = ascii(LINK_JSON.traceId);
const LINK_SPAN_ID = ascii(LINK_JSON.spanId);
const LINK_TRACE_STATE = ascii(LINK_JSON.traceState);
const LINK_ATTRIBUTES = ascii(LINK_JSON.attributes);
const LINK_DROPPED = ascii(LINK_JSON.dropped);
const LINK_FLAGS = ascii(LINK_JSON.flags);
const OBJECT_END = ascii(EVENT_JSON.end);
const KVLIST_TAG = ascii('{"$kvlist":');
const NULL = ascii("null");
const EMPTY_STRING = ascii('""');
const SERVICE_NAME = ascii("service.name");

/**
 * The entries of one JSON object being written (an attribute list or a kvlist): where each key is
 * in the request and where each entry is in the output, so that repeated keys can be removed
 * (the later one wins) when the object is complete.
 */
class Entries {
  objectPos = 0;
  objectExtra = 0;
  keyPos: number[] = [];
  keyLen: number[] = [];
  start: number[] = [];
  end: number[] = [];
  startExtra: number[] = [];
  endExtra: number[] = [];
  /** Entries written. */
  count = 0;
  /** Entries on the wire, written or dropped over the limit. */
  seen = 0;

  /** Starts an object at the current end of `o`. */
  begin(o: TextOut): void {
    this.objectPos = o.pos;
    this.objectExtra = o.extra;
    this.count = 0;
    this.seen = 0;
    putByte(o, 0x7b); // {
  }
}

/**
 * Output buffers, reused from request to request (decoding is synchronous, so one set per
 * isolate is enough): allocating and zeroing them per request cost a few percent.
 */
const WORKSPACE = {
  text: new TextOut(1 << 16),
  resourceAttrs: new TextOut(1024),
  scopeAttrs: new TextOut(256),
  itemAttrs: new TextOut(4096),
  eventAttrs: new TextOut(1024),
  linkAttrs: new TextOut(1024),
  events: new TextOut(4096),
  links: new TextOut(1024),
  body: new TextOut(1024),
  resourceEntries: new Entries(),
  scopeEntries: new Entries(),
  itemEntries: new Entries(),
  eventEntries: new Entries(),
  linkEntries: new Entries(),
};

/** A buffer grown past this by a huge request is let go afterwards rather than kept. */
const KEEP_BYTES = 8 << 20;

function releaseLargeBuffers(): void {
  for (const value of Object.values(WORKSPACE)) {
    if (value instanceof TextOut && value.buf.length > KEEP_BYTES) {
      value.reset();
      value.buf = new Uint8Array(1 << 16);
    }
  }
}

/** Reader state. One per request; fields rather than closures keep the hot loop allocation-free. */
class ProtoReader {
  readonly buf: Uint8Array;
  readonly view: DataView;
  pos = 0;
  /** The last varint64, as unsigned 32-bit halves. */
  lo = 0;
  hi = 0;
  /** Why the item (or resource, or scope) being decoded is refused; "; "-joined. */
  problem: string | undefined = undefined;
  /** Kind of the last AnyValue decoded, and where its text is when it is a string. */
  valueType = EMPTY;
  valueStringPos = 0;
  valueStringLen = 0;

  readonly maxAttributes: number;
  readonly maxEvents: number;
  readonly maxLinks: number;
  readonly maxValueDepth: number;

  /** Every string of the batch; rows refer to it by UTF-16 index. */
  readonly text = WORKSPACE.text;
  /** Scratch outputs, one per role, each holding one list while it is read. */
  readonly resourceAttrs = WORKSPACE.resourceAttrs;
  readonly scopeAttrs = WORKSPACE.scopeAttrs;
  readonly itemAttrs = WORKSPACE.itemAttrs;
  readonly eventAttrs = WORKSPACE.eventAttrs;
  readonly linkAttrs = WORKSPACE.linkAttrs;
  readonly events = WORKSPACE.events;
  readonly links = WORKSPACE.links;
  readonly body = WORKSPACE.body;
  readonly resourceEntries = WORKSPACE.resourceEntries;
  readonly scopeEntries = WORKSPACE.scopeEntries;
  readonly itemEntries = WORKSPACE.itemEntries;
  readonly eventEntries = WORKSPACE.eventEntries;
  readonly linkEntries = WORKSPACE.linkEntries;

  // The resource and scope being decoded: they merge when repeated, so they live here.
  resourceDropped = 0;
  resourceProblem: string | undefined = undefined;
  /** The resource's `entity_refs` so far (repeated: each appends). */
  entityRefs: EntityRef[] = [];
  /** Where the last `service.name` attribute's string is (-1: none, or not a string). */
  servicePos = -1;
  serviceLen = 0;
  scopeNamePos = 0;
  scopeNameLen = 0;
  scopeVersionPos = 0;
  scopeVersionLen = 0;
  scopeDropped = 0;
  scopeSchemaPos = 0;
  scopeSchemaLen = 0;
  scopeProblem: string | undefined = undefined;
  // Status of the span being decoded (merges when repeated).
  statusCode = 0;
  statusMessagePos = 0;
  statusMessageLen = 0;

  // What the rows are made of at the end: tables of resources, scopes and items, with strings
  // as [start, end) indexes into `text`.
  readonly resources: number[] = [];
  readonly resourceProblems: (string | undefined)[] = [];
  /** Each resource's entity refs as stored (`entityRefsText`), by resource index. */
  readonly resourceEntityRefs: string[] = [];
  readonly scopes: number[] = [];
  readonly scopeProblems: (string | undefined)[] = [];
  readonly items: number[] = [];
  readonly times: bigint[] = [];
  readonly itemProblems: (string | undefined)[] = [];

  constructor(buf: Uint8Array, limits: DecodeLimits) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.maxAttributes = limits.maxAttributes;
    this.maxEvents = limits.maxEvents;
    this.maxLinks = limits.maxLinks;
    this.maxValueDepth = limits.maxValueDepth;
    this.text.reset();
  }
}

// Wire primitives. Every read is bounded by the end of the enclosing message, not just the buffer.

function truncated(r: ProtoReader, at: number, end: number): never {
  if (end === r.buf.length) throw new OtlpDecodeError(`truncated message at byte ${at}`);
  throw new OtlpDecodeError(
    `field at byte ${at} runs past the end of its enclosing message at byte ${end}`,
  );
}

/** A varint's low 32 bits, unsigned; up to 10 bytes are consumed as protobuf allows. */
function varint32(r: ProtoReader, end: number): number {
  const buf = r.buf;
  let pos = r.pos;
  if (pos < end) {
    const b = buf[pos]!;
    if (b < 0x80) {
      r.pos = pos + 1;
      return b;
    }
  }
  const start = pos;
  let value = 0;
  for (let shift = 0; shift < 70; shift += 7) {
    if (pos >= end) truncated(r, start, end);
    const b = buf[pos++]!;
    if (shift < 32) value |= (b & 0x7f) << shift;
    if (b < 0x80) {
      r.pos = pos;
      return value >>> 0;
    }
  }
  throw new OtlpDecodeError(`varint longer than 10 bytes at byte ${start}`);
}

/** A varint's 64 bits into `r.lo` and `r.hi`. */
function varint64(r: ProtoReader, end: number): void {
  const buf = r.buf;
  const start = r.pos;
  let pos = start;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) truncated(r, start, end);
    const b = buf[pos++]! & 0xff;
    const bits = b & 0x7f;
    if (i < 4) lo |= bits << (7 * i);
    else if (i === 4) {
      lo |= bits << 28;
      hi |= bits >>> 4;
    } else hi |= bits << (7 * i - 32);
    if (b < 0x80) {
      r.pos = pos;
      r.lo = lo >>> 0;
      r.hi = hi >>> 0;
      return;
    }
  }
  throw new OtlpDecodeError(`varint longer than 10 bytes at byte ${start}`);
}

/**
 * A tag or a length: a varint of at most 32 bits and 5 bytes. (Longer padded forms are legal
 * protobuf, but no encoder writes them and protobufjs misreads them; refusing them keeps every
 * reader agreeing on where fields are.)
 */
function varintU32(r: ProtoReader, end: number, what: string): number {
  const buf = r.buf;
  const start = r.pos;
  let pos = start;
  let value = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= end) truncated(r, start, end);
    const b = buf[pos++]!;
    if (shift === 28 && b > 0x0f) break;
    value |= (b & 0x7f) << shift;
    if (b < 0x80) {
      r.pos = pos;
      return value >>> 0;
    }
  }
  throw new OtlpDecodeError(`${what} longer than 32 bits at byte ${start}`);
}

/** Reads a tag; refuses field number 0. */
function readTag(r: ProtoReader, end: number): number {
  const at = r.pos;
  let tag: number;
  const b = at < end ? r.buf[at]! : 0x80;
  if (b < 0x80) {
    r.pos = at + 1;
    tag = b;
  } else tag = varintU32(r, end, "tag");
  if (tag >>> 3 === 0) throw new OtlpDecodeError(`field number 0 at byte ${at}`);
  return tag;
}

/** Reads a length prefix and returns where the field's content ends. */
function lengthEnd(r: ProtoReader, end: number): number {
  const at = r.pos;
  let length: number;
  const b = at < end ? r.buf[at]! : 0x80;
  if (b < 0x80) {
    r.pos = at + 1;
    length = b;
  } else length = varintU32(r, end, "length");
  if (length > end - r.pos) truncated(r, at, end);
  return r.pos + length;
}

function fixed32(r: ProtoReader, end: number): number {
  const pos = r.pos;
  if (end - pos < 4) truncated(r, pos, end);
  r.pos = pos + 4;
  return r.view.getUint32(pos, true);
}

function fixed64(r: ProtoReader, end: number): bigint {
  const pos = r.pos;
  if (end - pos < 8) truncated(r, pos, end);
  r.pos = pos + 8;
  return r.view.getBigUint64(pos, true);
}

function double(r: ProtoReader, end: number): number {
  const pos = r.pos;
  if (end - pos < 8) truncated(r, pos, end);
  r.pos = pos + 8;
  return r.view.getFloat64(pos, true);
}

const WIRE_TYPE_NAMES = ["varint", "i64", "len", "group start", "group end", "i32", "6", "7"];

function wrongWireType(r: ProtoReader, tag: number, message: string, expected: number): never {
  throw new OtlpDecodeError(
    `field ${tag >>> 3} of ${message} has wire type ${tag & 7}, expected ${expected} ` +
      `(${WIRE_TYPE_NAMES[expected]}) near byte ${r.pos}`,
  );
}

/** Skips an unknown field. */
function skipField(r: ProtoReader, tag: number, end: number, message: string): void {
  const at = r.pos;
  switch (tag & 7) {
    case VARINT:
      varint64(r, end);
      return;
    case I64:
      if (end - at < 8) truncated(r, at, end);
      r.pos = at + 8;
      return;
    case LEN:
      r.pos = lengthEnd(r, end);
      return;
    case I32:
      if (end - at < 4) truncated(r, at, end);
      r.pos = at + 4;
      return;
    case 3:
    case 4:
      throw new OtlpDecodeError(
        `field ${tag >>> 3} of ${message} has wire type ${tag & 7} (group), which OTLP does ` +
          `not use, before byte ${at}`,
      );
    default:
      throw new OtlpDecodeError(
        `field ${tag >>> 3} of ${message} has invalid wire type ${tag & 7} before byte ${at}`,
      );
  }
}

function addProblem(r: ProtoReader, message: string): void {
  if (r.problem === undefined) r.problem = message;
  else if (!r.problem.includes(message)) r.problem += "; " + message;
}

/** Writes the string field found at `pos` to `o` (as JSON with `json`); `""` if not UTF-8. */
function putField(
  r: ProtoReader,
  o: TextOut,
  pos: number,
  len: number,
  json: boolean,
  field: string,
): void {
  if (!putText(o, r.buf, pos, pos + len, json)) {
    addProblem(r, `${field} must be valid UTF-8`);
    if (json) putConstant(o, EMPTY_STRING);
  }
}

/** Writes a string field verbatim to the batch text; pushes its [start, end) to `refs`. */
function textRef(r: ProtoReader, refs: number[], pos: number, len: number, field: string) {
  const text = r.text;
  refs.push(text.index);
  if (len > 0) putField(r, text, pos, len, false, field);
  refs.push(text.index);
}

/** Appends a finished scratch output to the batch text; pushes its [start, end) to `refs`. */
function outRef(r: ProtoReader, refs: number[], o: TextOut) {
  const text = r.text;
  refs.push(text.index);
  putOut(text, o);
  refs.push(text.index);
}

// ---------------------------------------------------------------------------------------------
// AnyValue, KeyValue, attribute lists, all written as JSON into a scratch output.

/** Writes an AnyValue as JSON to `o`; `depth` counts the arrays and kvlists around it. */
function anyValue(r: ProtoReader, end: number, o: TextOut, depth: number, field: string): void {
  if (depth > MAX_VALUE_RECURSION) {
    throw new OtlpDecodeError(
      `message nesting deeper than ${MAX_MESSAGE_DEPTH} levels at byte ${r.pos}`,
    );
  }
  // Fast paths for what every SDK writes: one short string, one int, one double.
  const buf = r.buf;
  const p = r.pos;
  const first = buf[p];
  if (first === 0x0a) {
    const len = buf[p + 1]!;
    if (len < 0x80 && p + 2 + len === end) {
      r.pos = end;
      putField(r, o, p + 2, len, true, field);
      r.valueType = STRING;
      r.valueStringPos = p + 2;
      r.valueStringLen = len;
      return;
    }
  } else if (first === 0x18) {
    r.pos = p + 1;
    varint64(r, end);
    if (r.pos === end) {
      putAscii(o, int64Text(r.lo, r.hi));
      r.valueType = INT;
      return;
    }
    r.pos = p;
  } else if (first === 0x21 && p + 9 === end) {
    r.pos = end;
    putAscii(o, jsonDouble(r.view.getFloat64(p + 1, true)));
    r.valueType = DOUBLE;
    return;
  }
  // A later oneof member replaces an earlier one: what was written for it and its problems.
  const problemBefore = r.problem;
  const startPos = o.pos;
  const startExtra = o.extra;
  let type = EMPTY;
  let bytesPos = 0;
  let bytesLen = 0;
  let lo = 0;
  let hi = 0;
  let number = 0;
  let items = 0;
  let entries: Entries | undefined;
  while (r.pos < end) {
    const tag = readTag(r, end);
    const number_ = tag >>> 3;
    if (type >= ARRAY && number_ <= 7 && number_ !== type - 1) {
      o.pos = startPos;
      o.extra = startExtra;
      r.problem = problemBefore;
    }
    switch (number_) {
      case 1:
      case 7: {
        if ((tag & 7) !== LEN) wrongWireType(r, tag, "AnyValue", LEN);
        const sub = lengthEnd(r, end);
        type = number_ === 1 ? STRING : BYTES;
        bytesPos = r.pos;
        bytesLen = sub - r.pos;
        r.pos = sub;
        break;
      }
      case 2:
      case 3:
        if ((tag & 7) !== VARINT) wrongWireType(r, tag, "AnyValue", VARINT);
        varint64(r, end);
        type = number_ === 2 ? BOOL : INT;
        lo = r.lo;
        hi = r.hi;
        break;
      case 4:
        if ((tag & 7) !== I64) wrongWireType(r, tag, "AnyValue", I64);
        type = DOUBLE;
        number = double(r, end);
        break;
      case 5: {
        if ((tag & 7) !== LEN) wrongWireType(r, tag, "AnyValue", LEN);
        const sub = lengthEnd(r, end);
        if (type !== ARRAY) {
          putByte(o, 0x5b); // [
          items = 0;
        }
        type = ARRAY;
        if (depth + 1 > r.maxValueDepth) {
          addProblem(r, tooDeep(r, field));
          r.pos = sub;
        } else items = arrayValue(r, sub, o, depth + 1, field, items);
        break;
      }
      case 6: {
        if ((tag & 7) !== LEN) wrongWireType(r, tag, "AnyValue", LEN);
        const sub = lengthEnd(r, end);
        if (type !== KVLIST || entries === undefined) {
          entries = new Entries();
          entries.begin(o);
        }
        type = KVLIST;
        if (depth + 1 > r.maxValueDepth) {
          addProblem(r, tooDeep(r, field));
          r.pos = sub;
        } else keyValueList(r, sub, o, entries, depth + 1, field);
        break;
      }
      default:
        skipField(r, tag, end, "AnyValue");
    }
  }
  switch (type) {
    case EMPTY:
      putConstant(o, NULL);
      break;
    case STRING:
      putField(r, o, bytesPos, bytesLen, true, field);
      r.valueStringPos = bytesPos;
      r.valueStringLen = bytesLen;
      break;
    case BOOL:
      putAscii(o, (lo | hi) !== 0 ? "true" : "false");
      break;
    case INT:
      putAscii(o, int64Text(lo, hi));
      break;
    case DOUBLE:
      putAscii(o, jsonDouble(number));
      break;
    case BYTES:
      putAscii(o, jsonBytes(r.buf.subarray(bytesPos, bytesPos + bytesLen)));
      break;
    case ARRAY:
      putByte(o, 0x5d); // ]
      break;
    default:
      finishObject(r, o, entries!, true);
  }
  r.valueType = type;
}

function tooDeep(r: ProtoReader, field: string): string {
  return `${field} must nest arrays and kvlists at most ${r.maxValueDepth} levels deep`;
}

/** Writes the values of an ArrayValue after the `items` already written; returns the count. */
function arrayValue(
  r: ProtoReader,
  end: number,
  o: TextOut,
  depth: number,
  field: string,
  items: number,
): number {
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag >>> 3 === 1) {
      if ((tag & 7) !== LEN) wrongWireType(r, tag, "ArrayValue", LEN);
      const sub = lengthEnd(r, end);
      if (items++ > 0) putByte(o, 0x2c); // ,
      anyValue(r, sub, o, depth, field);
    } else skipField(r, tag, end, "ArrayValue");
  }
  return items;
}

function keyValueList(
  r: ProtoReader,
  end: number,
  o: TextOut,
  entries: Entries,
  depth: number,
  field: string,
) {
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag >>> 3 === 1) {
      if ((tag & 7) !== LEN) wrongWireType(r, tag, "KeyValueList", LEN);
      const sub = lengthEnd(r, end);
      keyValue(r, sub, o, entries, depth, field, false);
    } else skipField(r, tag, end, "KeyValueList");
  }
}

const REPLACED = new TextOut(1024);

/**
 * Reads an AnyValue that a later occurrence of its field replaces, for its wire format only: a
 * protobuf parser reads every occurrence, so a malformed one makes the request undecodable even
 * though its value is not kept. What it writes and any item problem it finds are discarded.
 */
function checkReplacedValue(
  r: ProtoReader,
  pos: number,
  end: number,
  depth: number,
  field: string,
) {
  const resume = r.pos;
  const problem = r.problem;
  REPLACED.reset();
  r.pos = pos;
  anyValue(r, end, REPLACED, depth, field);
  r.pos = resume;
  r.problem = problem;
}

/** Writes a KeyValue as an object entry; with `resource`, also notes service.name. */
function keyValue(
  r: ProtoReader,
  end: number,
  o: TextOut,
  entries: Entries,
  depth: number,
  field: string,
  resource: boolean,
): void {
  let keyPos = 0;
  let keyLen = 0;
  let valuePos = -1;
  let valueEnd = 0;
  // Fast path for what every SDK writes: key (short), then value (short), nothing else.
  const buf = r.buf;
  const p = r.pos;
  if (buf[p] === 0x0a && end - p >= 2) {
    const k = buf[p + 1]!;
    const q = p + 2 + k;
    if (k < 0x80 && q <= end) {
      if (q === end) {
        keyPos = p + 2;
        keyLen = k;
        r.pos = end;
      } else if (buf[q] === 0x12 && end - q >= 2) {
        const v = buf[q + 1]!;
        if (v < 0x80 && q + 2 + v === end) {
          keyPos = p + 2;
          keyLen = k;
          valuePos = q + 2;
          valueEnd = end;
          r.pos = end;
        }
      }
    }
  }
  while (r.pos < end) {
    const tag = readTag(r, end);
    const number = tag >>> 3;
    if (number === 1 || number === 2) {
      if ((tag & 7) !== LEN) wrongWireType(r, tag, "KeyValue", LEN);
      const sub = lengthEnd(r, end);
      if (number === 1) {
        keyPos = r.pos;
        keyLen = sub - r.pos;
      } else {
        if (valuePos >= 0) checkReplacedValue(r, valuePos, valueEnd, depth, field);
        valuePos = r.pos;
        valueEnd = sub;
      }
      r.pos = sub;
    } else skipField(r, tag, end, "KeyValue");
  }
  const i = entries.count++;
  if (i > 0) putByte(o, 0x2c); // ,
  entries.keyPos[i] = keyPos;
  entries.keyLen[i] = keyLen;
  entries.start[i] = o.pos;
  entries.startExtra[i] = o.extra;
  putField(r, o, keyPos, keyLen, true, field);
  putByte(o, 0x3a); // :
  r.valueType = EMPTY;
  if (valuePos >= 0) {
    r.pos = valuePos;
    anyValue(r, valueEnd, o, depth, field);
    r.pos = end;
  } else putConstant(o, NULL);
  entries.end[i] = o.pos;
  entries.endExtra[i] = o.extra;
  if (resource && sameBytes(r.buf, keyPos, keyLen, SERVICE_NAME)) {
    r.servicePos = r.valueType === STRING ? r.valueStringPos : -1;
    r.serviceLen = r.valueStringLen;
  }
}

function sameBytes(buf: Uint8Array, pos: number, len: number, bytes: Uint8Array): boolean {
  if (len !== bytes.length) return false;
  for (let i = 0; i < len; i++) if (buf[pos + i] !== bytes[i]) return false;
  return true;
}

/** One `repeated KeyValue attributes` entry: written while under the limit, else skipped. */
function attribute(
  r: ProtoReader,
  tag: number,
  end: number,
  o: TextOut,
  entries: Entries,
  message: string,
  field: string,
  resource: boolean,
): void {
  if ((tag & 7) !== LEN) wrongWireType(r, tag, message, LEN);
  const sub = lengthEnd(r, end);
  if (entries.seen++ < r.maxAttributes) keyValue(r, sub, o, entries, 0, field, resource);
  r.pos = sub;
}

/** The dropped count to store: as sent, plus the entries over the limit. */
function dropped(sent: number, entries: Entries): number {
  return sent + (entries.seen - entries.count);
}

/**
 * Closes the object being written to `o`: removes entries whose key comes again later (JSON
 * objects cannot repeat a key; the later one wins), and with `asKvlist` wraps a lone key starting
 * with `$` as `{"$kvlist":{...}}` so that it is never read as a tag of the encoding.
 */
function finishObject(r: ProtoReader, o: TextOut, e: Entries, asKvlist: boolean): void {
  const count = e.count;
  let last = count - 1;
  let kept = count;
  if (count > 1) {
    const drop = repeatedKeys(r.buf, e);
    if (drop !== undefined) {
      const base = e.objectPos;
      const saved = o.buf.slice(base, o.pos);
      o.pos = base + 1;
      o.extra = e.objectExtra;
      kept = 0;
      for (let i = 0; i < count; i++) {
        if (drop[i]) continue;
        if (kept++ > 0) putByte(o, 0x2c);
        const length = e.end[i]! - e.start[i]!;
        o.ensure(length).set(saved.subarray(e.start[i]! - base, e.end[i]! - base), o.pos);
        o.pos += length;
        o.extra += e.endExtra[i]! - e.startExtra[i]!;
        last = i;
      }
    }
  }
  putByte(o, 0x7d); // }
  if (asKvlist && kept === 1 && e.keyLen[last]! > 0 && r.buf[e.keyPos[last]!] === 0x24) {
    const buf = o.ensure(KVLIST_TAG.length + 1);
    buf.copyWithin(e.objectPos + KVLIST_TAG.length, e.objectPos, o.pos);
    buf.set(KVLIST_TAG, e.objectPos);
    o.pos += KVLIST_TAG.length;
    putByte(o, 0x7d);
  }
}

/** Which entries have a key repeated later, or undefined when none does (the usual case). */
function repeatedKeys(buf: Uint8Array, e: Entries): boolean[] | undefined {
  const count = e.count;
  let drop: boolean[] | undefined;
  if (count <= 32) {
    for (let i = 0; i < count - 1; i++) {
      for (let j = i + 1; j < count; j++) {
        if (sameKey(buf, e, i, j)) {
          (drop ??= new Array<boolean>(count).fill(false))[i] = true;
          break;
        }
      }
    }
    return drop;
  }
  // Long lists (a kvlist is unbounded): an open-addressing table of the last index per key.
  const hashes = new Int32Array(count);
  for (let i = 0; i < count; i++) hashes[i] = hashKey(buf, e.keyPos[i]!, e.keyLen[i]!);
  const size = 1 << (32 - Math.clz32(count * 2));
  const table = new Int32Array(size).fill(-1);
  for (let j = 0; j < count; j++) {
    let slot = hashes[j]! & (size - 1);
    for (;;) {
      const i = table[slot]!;
      if (i === -1) {
        table[slot] = j;
        break;
      }
      if (hashes[i] === hashes[j] && sameKey(buf, e, i, j)) {
        (drop ??= new Array<boolean>(count).fill(false))[i] = true;
        table[slot] = j;
        break;
      }
      slot = (slot + 1) & (size - 1);
    }
  }
  return drop;
}

/** Whether entries i and j have the same key; keys that differ mostly differ in length or at the end. */
function sameKey(buf: Uint8Array, e: Entries, i: number, j: number): boolean {
  const length = e.keyLen[i]!;
  if (e.keyLen[j] !== length) return false;
  const a = e.keyPos[i]!;
  const b = e.keyPos[j]!;
  for (let k = length - 1; k >= 0; k--) if (buf[a + k] !== buf[b + k]) return false;
  return true;
}

function hashKey(buf: Uint8Array, pos: number, len: number): number {
  let h = 0x811c9dc5;
  for (let i = pos; i < pos + len; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h;
}

const TWO_POW_32 = 4294967296;

/** Decimal text of the int64 whose two's complement halves are `lo` and `hi` (unsigned). */
function int64Text(lo: number, hi: number): string {
  if (hi < 0x200000) return String(hi * TWO_POW_32 + lo); // 0 .. 2^53-1
  if (hi >= 0xffe00000) return String((hi - TWO_POW_32) * TWO_POW_32 + lo); // -2^53 .. -1
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)).toString();
}

// ---------------------------------------------------------------------------------------------
// Resource and scope (shared by both signals).

function resource(r: ProtoReader, end: number): void {
  r.problem = undefined;
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag >>> 3) {
      case 1:
        attribute(
          r,
          tag,
          end,
          r.resourceAttrs,
          r.resourceEntries,
          "Resource",
          "resource attributes",
          true,
        );
        break;
      case 2:
        if ((tag & 7) !== VARINT) wrongWireType(r, tag, "Resource", VARINT);
        r.resourceDropped = varint32(r, end);
        break;
      case 3: {
        if ((tag & 7) !== LEN) wrongWireType(r, tag, "Resource", LEN);
        const sub = lengthEnd(r, end);
        entityRef(r, sub);
        r.pos = sub;
        break;
      }
      default:
        skipField(r, tag, end, "Resource");
    }
  }
  if (r.problem !== undefined) {
    r.resourceProblem = r.resourceProblem === undefined
      ? r.problem
      : r.resourceProblem + "; " + r.problem;
  }
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * One `EntityRef` of a resource (schema_url 1, type 2, id_keys 3, description_keys 4), appended
 * to `r.entityRefs`. A rare field: its strings are decoded on their own, not into the batch text.
 */
function entityRef(r: ProtoReader, end: number): void {
  const ref = emptyEntityRef();
  while (r.pos < end) {
    const tag = readTag(r, end);
    const field = tag >>> 3;
    if (field < 1 || field > 4) {
      skipField(r, tag, end, "EntityRef");
      continue;
    }
    if ((tag & 7) !== LEN) wrongWireType(r, tag, "EntityRef", LEN);
    const sub = lengthEnd(r, end);
    let text = "";
    try {
      text = STRICT_UTF8.decode(r.buf.subarray(r.pos, sub));
    } catch {
      addProblem(r, "resource entity_refs must be valid UTF-8");
    }
    r.pos = sub;
    setEntityRefField(ref, field, text);
  }
  r.entityRefs.push(ref);
}

function scope(r: ProtoReader, end: number): void {
  r.problem = undefined;
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag >>> 3) {
      case 1:
      case 2: {
        if ((tag & 7) !== LEN) wrongWireType(r, tag, "InstrumentationScope", LEN);
        const sub = lengthEnd(r, end);
        if (tag >>> 3 === 1) {
          r.scopeNamePos = r.pos;
          r.scopeNameLen = sub - r.pos;
        } else {
          r.scopeVersionPos = r.pos;
          r.scopeVersionLen = sub - r.pos;
        }
        r.pos = sub;
        break;
      }
      case 3:
        attribute(
          r,
          tag,
          end,
          r.scopeAttrs,
          r.scopeEntries,
          "InstrumentationScope",
          "scope attributes",
          false,
        );
        break;
      case 4:
        if ((tag & 7) !== VARINT) wrongWireType(r, tag, "InstrumentationScope", VARINT);
        r.scopeDropped = varint32(r, end);
        break;
      default:
        skipField(r, tag, end, "InstrumentationScope");
    }
  }
  if (r.problem !== undefined) {
    r.scopeProblem = r.scopeProblem === undefined ? r.problem : r.scopeProblem + "; " + r.problem;
  }
}

const RESOURCE_MESSAGES = ["ResourceSpans", "ResourceLogs"];
const RESOURCE_FIELDS = ["resourceSpans", "resourceLogs"];
const SCOPE_MESSAGES = ["ScopeSpans", "ScopeLogs"];
const SCOPE_FIELDS = ["scopeSpans", "scopeLogs"];
const ITEM_FIELDS = ["spans", "logRecords"];

// Layout of the tables in ProtoReader (numbers per entry).
const RESOURCE_STRIDE = 7; // service [s, e) or [-1, -1], attributes [s, e), schema [s, e), dropped
const SCOPE_STRIDE = 10; // resource, name, version, attributes, schema [s, e), dropped
const SPAN_STRIDE = 25; // scope, 9 strings [s, e), kind, status, flags, 3 dropped counts
const LOG_STRIDE = 17; // scope, 6 strings [s, e), severity, flags, dropped, body type

/** ResourceSpans (`logs` 0) or ResourceLogs (`logs` 1). */
function resourceItems(r: ProtoReader, end: number, ri: number, logs: 0 | 1): void {
  const message = RESOURCE_MESSAGES[logs]!;
  r.resourceAttrs.reset();
  r.resourceEntries.begin(r.resourceAttrs);
  r.resourceDropped = 0;
  r.resourceProblem = undefined;
  r.entityRefs = [];
  r.servicePos = -1;
  let schemaPos = 0;
  let schemaLen = 0;
  let si = 0;
  const resourceIndex = r.resourceProblems.length;
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag >>> 3) {
      case 1: {
        if ((tag & 7) !== LEN) wrongWireType(r, tag, message, LEN);
        const sub = lengthEnd(r, end);
        resource(r, sub);
        break;
      }
      case 2: {
        if ((tag & 7) !== LEN) wrongWireType(r, tag, message, LEN);
        const sub = lengthEnd(r, end);
        scopeItems(r, sub, resourceIndex, ri, si++, logs);
        break;
      }
      case 3: {
        if ((tag & 7) !== LEN) wrongWireType(r, tag, message, LEN);
        const sub = lengthEnd(r, end);
        schemaPos = r.pos;
        schemaLen = sub - r.pos;
        r.pos = sub;
        break;
      }
      default:
        skipField(r, tag, end, message);
    }
  }
  r.problem = r.resourceProblem;
  const refs = r.resources;
  if (r.servicePos >= 0) textRef(r, refs, r.servicePos, r.serviceLen, "service.name");
  else refs.push(-1, -1);
  finishObject(r, r.resourceAttrs, r.resourceEntries, false);
  outRef(r, refs, r.resourceAttrs);
  textRef(r, refs, schemaPos, schemaLen, "schema_url");
  refs.push(dropped(r.resourceDropped, r.resourceEntries));
  r.resourceEntityRefs.push(entityRefsText(r.entityRefs));
  const problem = r.problem;
  r.resourceProblems.push(
    problem === undefined ? undefined : `${RESOURCE_FIELDS[logs]}[${ri}].resource: ${problem}`,
  );
}

/** ScopeSpans or ScopeLogs. */
function scopeItems(
  r: ProtoReader,
  end: number,
  resourceIndex: number,
  ri: number,
  si: number,
  logs: 0 | 1,
): void {
  const message = SCOPE_MESSAGES[logs]!;
  r.scopeAttrs.reset();
  r.scopeEntries.begin(r.scopeAttrs);
  r.scopeNamePos =
    r.scopeNameLen =
    r.scopeVersionPos =
    r.scopeVersionLen =
    r.scopeSchemaPos =
    r.scopeSchemaLen =
    r.scopeDropped =
      0;
  r.scopeProblem = undefined;
  const scopeIndex = r.scopeProblems.length;
  let ii = 0;
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag >>> 3) {
      case 1: {
        if ((tag & 7) !== LEN) wrongWireType(r, tag, message, LEN);
        const sub = lengthEnd(r, end);
        scope(r, sub);
        break;
      }
      case 2: {
        if ((tag & 7) !== LEN) wrongWireType(r, tag, message, LEN);
        const sub = lengthEnd(r, end);
        if (logs === 0) span(r, sub, scopeIndex);
        else logRecord(r, sub, scopeIndex);
        const problem = r.problem;
        r.itemProblems.push(
          problem === undefined
            ? undefined
            : `${RESOURCE_FIELDS[logs]}[${ri}].${SCOPE_FIELDS[logs]}[${si}].${
              ITEM_FIELDS[logs]
            }[${ii}]: ${problem}`,
        );
        ii++;
        break;
      }
      case 3: {
        if ((tag & 7) !== LEN) wrongWireType(r, tag, message, LEN);
        const sub = lengthEnd(r, end);
        r.scopeSchemaPos = r.pos;
        r.scopeSchemaLen = sub - r.pos;
        r.pos = sub;
        break;
      }
      default:
        skipField(r, tag, end, message);
    }
  }
  r.problem = r.scopeProblem;
  const refs = r.scopes;
  refs.push(resourceIndex);
  textRef(r, refs, r.scopeNamePos, r.scopeNameLen, "scope name");
  textRef(r, refs, r.scopeVersionPos, r.scopeVersionLen, "scope version");
  finishObject(r, r.scopeAttrs, r.scopeEntries, false);
  outRef(r, refs, r.scopeAttrs);
  textRef(r, refs, r.scopeSchemaPos, r.scopeSchemaLen, "schema_url");
  refs.push(dropped(r.scopeDropped, r.scopeEntries));
  const problem = r.problem;
  r.scopeProblems.push(
    problem === undefined
      ? undefined
      : `${RESOURCE_FIELDS[logs]}[${ri}].${SCOPE_FIELDS[logs]}[${si}].scope: ${problem}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Traces.

/** Decodes a Span into the item table; `r.problem` says why it is refused, if it is. */
function span(r: ProtoReader, end: number, scopeIndex: number): void {
  r.problem = undefined;
  let traceIdPos = 0;
  let traceIdLen = 0;
  let spanIdPos = 0;
  let spanIdLen = 0;
  let parentPos = 0;
  let parentLen = 0;
  let traceStatePos = 0;
  let traceStateLen = 0;
  let namePos = 0;
  let nameLen = 0;
  let kind = 0;
  let start = 0n;
  let finish = 0n;
  let droppedAttributes = 0;
  let droppedEvents = 0;
  let droppedLinks = 0;
  let flags = 0;
  let eventsSeen = 0;
  let linksSeen = 0;
  const attrs = r.itemAttrs;
  const entries = r.itemEntries;
  attrs.reset();
  entries.begin(attrs);
  r.events.reset();
  r.links.reset();
  r.statusCode = 0;
  r.statusMessagePos = r.statusMessageLen = 0;
  while (r.pos < end) {
    const tag = readTag(r, end);
    const number = tag >>> 3;
    switch (number) {
      case 1:
      case 2:
      case 3:
      case 4:
      case 5: {
        if ((tag & 7) !== LEN) wrongWireType(r, tag, "Span", LEN);
        const sub = lengthEnd(r, end);
        const len = sub - r.pos;
        if (number === 1) {
          traceIdPos = r.pos;
          traceIdLen = len;
        } else if (number === 2) {
          spanIdPos = r.pos;
          spanIdLen = len;
        } else if (number === 3) {
          traceStatePos = r.pos;
          traceStateLen = len;
        } else if (number === 4) {
          parentPos = r.pos;
          parentLen = len;
        } else {
          namePos = r.pos;
          nameLen = len;
        }
        r.pos = sub;
        break;
      }
      case 6:
        if ((tag & 7) !== VARINT) wrongWireType(r, tag, "Span", VARINT);
        kind = varint32(r, end) | 0;
        break;
      case 7:
        if ((tag & 7) !== I64) wrongWireType(r, tag, "Span", I64);
        start = fixed64(r, end);
        break;
      case 8:
        if ((tag & 7) !== I64) wrongWireType(r, tag, "Span", I64);
        finish = fixed64(r, end);
        break;
      case 9:
        attribute(r, tag, end, attrs, entries, "Span", "attributes", false);
        break;
      case 10:
        if ((tag & 7) !== VARINT) wrongWireType(r, tag, "Span", VARINT);
        droppedAttributes = varint32(r, end);
        break;
      case 11: {
        if ((tag & 7) !== LEN) wrongWireType(r, tag, "Span", LEN);
        const sub = lengthEnd(r, end);
        if (eventsSeen++ < r.maxEvents) spanEvent(r, sub, eventsSeen > 1);
        r.pos = sub;
        break;
      }
      case 12:
        if ((tag & 7) !== VARINT) wrongWireType(r, tag, "Span", VARINT);
        droppedEvents = varint32(r, end);
        break;
      case 13: {
        if ((tag & 7) !== LEN) wrongWireType(r, tag, "Span", LEN);
        const sub = lengthEnd(r, end);
        if (linksSeen++ < r.maxLinks) spanLink(r, sub, linksSeen > 1);
        r.pos = sub;
        break;
      }
      case 14:
        if ((tag & 7) !== VARINT) wrongWireType(r, tag, "Span", VARINT);
        droppedLinks = varint32(r, end);
        break;
      case 15: {
        if ((tag & 7) !== LEN) wrongWireType(r, tag, "Span", LEN);
        const sub = lengthEnd(r, end);
        status(r, sub);
        break;
      }
      case 16:
        if ((tag & 7) !== I32) wrongWireType(r, tag, "Span", I32);
        flags = fixed32(r, end);
        break;
      default:
        skipField(r, tag, end, "Span");
    }
  }
  const buf = r.buf;
  const text = r.text;
  const refs = r.items;
  refs.push(scopeIndex);
  refs.push(text.index);
  if (traceIdLen !== 16) addProblem(r, `trace_id must be 16 bytes: got ${traceIdLen}`);
  else if (allZero(buf, traceIdPos, 16)) addProblem(r, "trace_id must not be all zeros");
  else putHex(text, buf, traceIdPos, traceIdPos + 16);
  refs.push(text.index);
  refs.push(text.index);
  if (spanIdLen !== 8) addProblem(r, `span_id must be 8 bytes: got ${spanIdLen}`);
  else if (allZero(buf, spanIdPos, 8)) addProblem(r, "span_id must not be all zeros");
  else putHex(text, buf, spanIdPos, spanIdPos + 8);
  refs.push(text.index);
  // An all-zero parent is the invalid span id, which means "no parent": a root span.
  refs.push(text.index);
  if (parentLen === 8) {
    if (!allZero(buf, parentPos, 8)) putHex(text, buf, parentPos, parentPos + 8);
  } else if (parentLen !== 0) {
    addProblem(r, `parent_span_id must be 8 bytes or empty: got ${parentLen}`);
  }
  refs.push(text.index);
  textRef(r, refs, traceStatePos, traceStateLen, "trace_state");
  textRef(r, refs, namePos, nameLen, "name");
  textRef(r, refs, r.statusMessagePos, r.statusMessageLen, "status message");
  finishObject(r, attrs, entries, false);
  outRef(r, refs, attrs);
  refs.push(text.index);
  putByte(text, 0x5b);
  putOut(text, r.events);
  putByte(text, 0x5d);
  refs.push(text.index);
  refs.push(text.index);
  putByte(text, 0x5b);
  putOut(text, r.links);
  putByte(text, 0x5d);
  refs.push(text.index);
  refs.push(
    kind,
    r.statusCode,
    flags,
    dropped(droppedAttributes, entries),
    droppedEvents + (eventsSeen > r.maxEvents ? eventsSeen - r.maxEvents : 0),
    droppedLinks + (linksSeen > r.maxLinks ? linksSeen - r.maxLinks : 0),
  );
  r.times.push(start, finish);
}

function allZero(bytes: Uint8Array, from: number, length: number): boolean {
  for (let i = from; i < from + length; i++) if (bytes[i] !== 0) return false;
  return true;
}

function status(r: ProtoReader, end: number): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag >>> 3) {
      case 2: {
        if ((tag & 7) !== LEN) wrongWireType(r, tag, "Status", LEN);
        const sub = lengthEnd(r, end);
        r.statusMessagePos = r.pos;
        r.statusMessageLen = sub - r.pos;
        r.pos = sub;
        break;
      }
      case 3:
        if ((tag & 7) !== VARINT) wrongWireType(r, tag, "Status", VARINT);
        r.statusCode = varint32(r, end) | 0;
        break;
      default:
        skipField(r, tag, end, "Status");
    }
  }
}

/** Writes an event's JSON to `r.events`. */
function spanEvent(r: ProtoReader, end: number, comma: boolean): void {
  let time = 0n;
  let namePos = 0;
  let nameLen = 0;
  let droppedAttributes = 0;
  const attrs = r.eventAttrs;
  const entries = r.eventEntries;
  attrs.reset();
  entries.begin(attrs);
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag >>> 3) {
      case 1:
        if ((tag & 7) !== I64) wrongWireType(r, tag, "Span.Event", I64);
        time = fixed64(r, end);
        break;
      case 2: {
        if ((tag & 7) !== LEN) wrongWireType(r, tag, "Span.Event", LEN);
        const sub = lengthEnd(r, end);
        namePos = r.pos;
        nameLen = sub - r.pos;
        r.pos = sub;
        break;
      }
      case 3:
        attribute(r, tag, end, attrs, entries, "Span.Event", "event attributes", false);
        break;
      case 4:
        if ((tag & 7) !== VARINT) wrongWireType(r, tag, "Span.Event", VARINT);
        droppedAttributes = varint32(r, end);
        break;
      default:
        skipField(r, tag, end, "Span.Event");
    }
  }
  finishObject(r, attrs, entries, false);
  const o = r.events;
  if (comma) putByte(o, 0x2c);
  putConstant(o, EVENT_TIME);
  putAscii(o, time.toString());
  putConstant(o, EVENT_NAME);
  putField(r, o, namePos, nameLen, true, "event name");
  putConstant(o, EVENT_ATTRIBUTES);
  putOut(o, attrs);
  putConstant(o, EVENT_DROPPED);
  putAscii(o, String(dropped(droppedAttributes, entries)));
  putConstant(o, OBJECT_END);
}

/** Writes a link's JSON to `r.links`. Its ids are kept as sent: hex of whatever bytes came. */
function spanLink(r: ProtoReader, end: number, comma: boolean): void {
  let traceIdPos = 0;
  let traceIdLen = 0;
  let spanIdPos = 0;
  let spanIdLen = 0;
  let traceStatePos = 0;
  let traceStateLen = 0;
  let droppedAttributes = 0;
  let flags = 0;
  const attrs = r.linkAttrs;
  const entries = r.linkEntries;
  attrs.reset();
  entries.begin(attrs);
  while (r.pos < end) {
    const tag = readTag(r, end);
    const number = tag >>> 3;
    switch (number) {
      case 1:
      case 2:
      case 3: {
        if ((tag & 7) !== LEN) wrongWireType(r, tag, "Span.Link", LEN);
        const sub = lengthEnd(r, end);
        if (number === 1) {
          traceIdPos = r.pos;
          traceIdLen = sub - r.pos;
        } else if (number === 2) {
          spanIdPos = r.pos;
          spanIdLen = sub - r.pos;
        } else {
          traceStatePos = r.pos;
          traceStateLen = sub - r.pos;
        }
        r.pos = sub;
        break;
      }
      case 4:
        attribute(r, tag, end, attrs, entries, "Span.Link", "link attributes", false);
        break;
      case 5:
        if ((tag & 7) !== VARINT) wrongWireType(r, tag, "Span.Link", VARINT);
        droppedAttributes = varint32(r, end);
        break;
      case 6:
        if ((tag & 7) !== I32) wrongWireType(r, tag, "Span.Link", I32);
        flags = fixed32(r, end);
        break;
      default:
        skipField(r, tag, end, "Span.Link");
    }
  }
  finishObject(r, attrs, entries, false);
  const o = r.links;
  if (comma) putByte(o, 0x2c);
  putConstant(o, LINK_TRACE_ID);
  putHex(o, r.buf, traceIdPos, traceIdPos + traceIdLen);
  putConstant(o, LINK_SPAN_ID);
  putHex(o, r.buf, spanIdPos, spanIdPos + spanIdLen);
  putConstant(o, LINK_TRACE_STATE);
  putField(r, o, traceStatePos, traceStateLen, true, "link trace_state");
  putConstant(o, LINK_ATTRIBUTES);
  putOut(o, attrs);
  putConstant(o, LINK_DROPPED);
  putAscii(o, String(dropped(droppedAttributes, entries)));
  putConstant(o, LINK_FLAGS);
  putAscii(o, String(flags));
  putConstant(o, OBJECT_END);
}

// ---------------------------------------------------------------------------------------------
// Logs.

/** Decodes a LogRecord into the item table; `r.problem` says why it is refused, if it is. */
function logRecord(r: ProtoReader, end: number, scopeIndex: number): void {
  r.problem = undefined;
  let time = 0n;
  let observed = 0n;
  let severityNumber = 0;
  let severityTextPos = 0;
  let severityTextLen = 0;
  let bodyPos = -1;
  let bodyEnd = 0;
  let droppedAttributes = 0;
  let flags = 0;
  let traceIdPos = 0;
  let traceIdLen = 0;
  let spanIdPos = 0;
  let spanIdLen = 0;
  let eventNamePos = 0;
  let eventNameLen = 0;
  const attrs = r.itemAttrs;
  const entries = r.itemEntries;
  attrs.reset();
  entries.begin(attrs);
  while (r.pos < end) {
    const tag = readTag(r, end);
    const number = tag >>> 3;
    switch (number) {
      case 1:
        if ((tag & 7) !== I64) wrongWireType(r, tag, "LogRecord", I64);
        time = fixed64(r, end);
        break;
      case 11:
        if ((tag & 7) !== I64) wrongWireType(r, tag, "LogRecord", I64);
        observed = fixed64(r, end);
        break;
      case 2:
        if ((tag & 7) !== VARINT) wrongWireType(r, tag, "LogRecord", VARINT);
        severityNumber = varint32(r, end) | 0;
        break;
      case 3:
      case 5:
      case 9:
      case 10:
      case 12: {
        if ((tag & 7) !== LEN) wrongWireType(r, tag, "LogRecord", LEN);
        const sub = lengthEnd(r, end);
        const len = sub - r.pos;
        if (number === 3) {
          severityTextPos = r.pos;
          severityTextLen = len;
        } else if (number === 5) {
          if (bodyPos >= 0) checkReplacedValue(r, bodyPos, bodyEnd, 0, "body");
          bodyPos = r.pos;
          bodyEnd = sub;
        } else if (number === 9) {
          traceIdPos = r.pos;
          traceIdLen = len;
        } else if (number === 10) {
          spanIdPos = r.pos;
          spanIdLen = len;
        } else {
          eventNamePos = r.pos;
          eventNameLen = len;
        }
        r.pos = sub;
        break;
      }
      case 6:
        attribute(r, tag, end, attrs, entries, "LogRecord", "attributes", false);
        break;
      case 7:
        if ((tag & 7) !== VARINT) wrongWireType(r, tag, "LogRecord", VARINT);
        droppedAttributes = varint32(r, end);
        break;
      case 8:
        if ((tag & 7) !== I32) wrongWireType(r, tag, "LogRecord", I32);
        flags = fixed32(r, end);
        break;
      default:
        skipField(r, tag, end, "LogRecord");
    }
  }
  const buf = r.buf;
  const text = r.text;
  const refs = r.items;
  refs.push(scopeIndex);
  textRef(r, refs, severityTextPos, severityTextLen, "severity_text");
  // The body: a string verbatim, anything else as JSON text, absent as "".
  let bodyType = EMPTY;
  if (bodyPos >= 0) {
    const body = r.body;
    body.reset();
    r.pos = bodyPos;
    anyValue(r, bodyEnd, body, 0, "body");
    r.pos = end;
    bodyType = r.valueType;
    if (bodyType === STRING) textRef(r, refs, r.valueStringPos, r.valueStringLen, "body");
    else if (bodyType !== EMPTY) outRef(r, refs, body);
  }
  if (bodyType === EMPTY) refs.push(text.index, text.index);
  textRef(r, refs, eventNamePos, eventNameLen, "event_name");
  // Logs need not be in a trace; an all-zero id is the invalid id, i.e. none (logs.proto).
  refs.push(text.index);
  if (traceIdLen === 16) {
    if (!allZero(buf, traceIdPos, 16)) putHex(text, buf, traceIdPos, traceIdPos + 16);
  } else if (traceIdLen !== 0) {
    addProblem(r, `trace_id must be 16 bytes or empty: got ${traceIdLen}`);
  }
  refs.push(text.index);
  refs.push(text.index);
  if (spanIdLen === 8) {
    if (!allZero(buf, spanIdPos, 8)) putHex(text, buf, spanIdPos, spanIdPos + 8);
  } else if (spanIdLen !== 0) {
    addProblem(r, `span_id must be 8 bytes or empty: got ${spanIdLen}`);
  }
  refs.push(text.index);
  finishObject(r, attrs, entries, false);
  outRef(r, refs, attrs);
  refs.push(severityNumber, flags, dropped(droppedAttributes, entries), bodyType);
  r.times.push(time, observed);
}

// ---------------------------------------------------------------------------------------------
// Rows, once the whole request is read.

/**
 * Hash states for log ids made from the reader's output bytes: the resource and scope prefix
 * (shared by the records of a scope) and the record being hashed. See `buildBatch`.
 */
const SCOPE_HASH = new Hash128();
const RECORD_HASH = new Hash128();

/**
 * The `logId` of the log record whose refs start at `at` (its scope's prefix is in SCOPE_HASH),
 * hashed from the output bytes: valid only when the whole text is ASCII, where a byte is a
 * UTF-16 unit and a UTF-16 index a byte offset. Feeds the parts `logIdAfterScope` feeds, in the
 * same order (decode_test.ts checks that the ids agree).
 */
function asciiLogId(
  bytes: Uint8Array,
  refs: readonly number[],
  at: number,
  time: bigint,
  observed: bigint,
  bodyType: string,
): string {
  const timeText = time.toString();
  return RECORD_HASH.copyFrom(SCOPE_HASH)
    .text(timeText)
    .text(observed === time ? timeText : observed.toString())
    .text(String(refs[at + 13]!))
    .asciiBytes(bytes, refs[at + 1]!, refs[at + 2]!)
    .text(bodyType)
    .asciiBytes(bytes, refs[at + 3]!, refs[at + 4]!)
    .asciiBytes(bytes, refs[at + 5]!, refs[at + 6]!)
    .asciiBytes(bytes, refs[at + 7]!, refs[at + 8]!)
    .asciiBytes(bytes, refs[at + 9]!, refs[at + 10]!)
    .text(String(refs[at + 14]!))
    .asciiBytes(bytes, refs[at + 11]!, refs[at + 12]!)
    .text(String(refs[at + 15]!))
    .digest();
}

function buildBatch(r: ProtoReader, logs: 0 | 1, nowNs: bigint): Decoded {
  // The request's text, all ASCII in the common case: log ids are then hashed from its bytes.
  const ascii = r.text.extra === 0;
  const bytes = r.text.buf;
  const text = decodeOut(r.text);
  const batch: Batch = { resources: [], spans: [], logs: [] };
  const rejected: { index: number; reason: string }[] = [];
  const res = r.resources;
  const scopes = r.scopes;
  const refs = r.items;
  const times = r.times;
  const resourceRows: (ResourceRow | undefined)[] = [];
  const resourceIds = new Set<string>();
  const itemCount = r.itemProblems.length;
  const stride = logs === 0 ? SPAN_STRIDE : LOG_STRIDE;
  const logIds = new RequestLogIds();
  let lastScope = -1;
  let scopeName = "";
  let scopeVersion = "";
  let scopeAttributes = "";
  let scopeSchemaUrl = "";
  let scopeDroppedAttributesCount = 0;
  // The scope's texts as stored (utils/text_escape.ts); a log's id is computed from them as sent.
  let storedScopeName = "";
  let storedScopeVersion = "";
  let resourceRow: ResourceRow | undefined;
  for (let k = 0; k < itemCount; k++) {
    const at = k * stride;
    const s = refs[at]!;
    const ri = scopes[s * SCOPE_STRIDE]!;
    const reason = r.resourceProblems[ri] ?? r.scopeProblems[s] ?? r.itemProblems[k];
    if (reason !== undefined) {
      rejected.push({ index: k, reason });
      continue;
    }
    if (s !== lastScope) {
      lastScope = s;
      const sa = s * SCOPE_STRIDE;
      scopeName = text.slice(scopes[sa + 1], scopes[sa + 2]);
      scopeVersion = text.slice(scopes[sa + 3], scopes[sa + 4]);
      scopeAttributes = text.slice(scopes[sa + 5], scopes[sa + 6]);
      scopeSchemaUrl = escapeText(text.slice(scopes[sa + 7], scopes[sa + 8]));
      scopeDroppedAttributesCount = scopes[sa + 9]!;
      storedScopeName = escapeText(scopeName);
      storedScopeVersion = escapeText(scopeVersion);
      resourceRow = resourceRows[ri];
      if (resourceRow === undefined) {
        const ra = ri * RESOURCE_STRIDE;
        const fields = {
          serviceName: res[ra]! < 0 ? UNKNOWN_SERVICE : text.slice(res[ra], res[ra + 1]),
          attributes: text.slice(res[ra + 2], res[ra + 3]),
          droppedAttributesCount: res[ra + 6]!,
          schemaUrl: text.slice(res[ra + 4], res[ra + 5]),
          entityRefs: r.resourceEntityRefs[ri]!,
        };
        resourceRow = {
          id: resourceId(fields),
          ...fields,
          serviceName: escapeText(fields.serviceName),
          schemaUrl: escapeText(fields.schemaUrl),
          longText: "",
        };
        resourceRows[ri] = resourceRow;
        if (!resourceIds.has(resourceRow.id)) {
          resourceIds.add(resourceRow.id);
          batch.resources.push(resourceRow);
        }
      }
      if (logs === 1 && ascii) {
        SCOPE_HASH.reset()
          .text(resourceRow.id)
          .asciiBytes(bytes, scopes[sa + 1]!, scopes[sa + 2]!)
          .asciiBytes(bytes, scopes[sa + 3]!, scopes[sa + 4]!)
          .asciiBytes(bytes, scopes[sa + 5]!, scopes[sa + 6]!);
      }
    }
    const resource = resourceRow!;
    if (logs === 0) {
      const row: SpanRow = {
        traceId: text.slice(refs[at + 1], refs[at + 2]),
        spanId: text.slice(refs[at + 3], refs[at + 4]),
        parentSpanId: text.slice(refs[at + 5], refs[at + 6]),
        traceState: escapeText(text.slice(refs[at + 7], refs[at + 8])),
        name: escapeText(text.slice(refs[at + 9], refs[at + 10])),
        kind: refs[at + 19]!,
        startTimeUnixNano: times[k * 2]!,
        endTimeUnixNano: times[k * 2 + 1]!,
        statusCode: refs[at + 20]!,
        statusMessage: escapeText(text.slice(refs[at + 11], refs[at + 12])),
        resourceId: resource.id,
        serviceName: resource.serviceName,
        scopeName: storedScopeName,
        scopeVersion: storedScopeVersion,
        scopeAttributes,
        attributes: text.slice(refs[at + 13], refs[at + 14]),
        events: text.slice(refs[at + 15], refs[at + 16]),
        links: text.slice(refs[at + 17], refs[at + 18]),
        droppedAttributesCount: refs[at + 22]!,
        droppedEventsCount: refs[at + 23]!,
        droppedLinksCount: refs[at + 24]!,
        flags: refs[at + 21]!,
        scopeSchemaUrl,
        scopeDroppedAttributesCount,
        longText: "",
      };
      batch.spans.push(row);
    } else {
      const time = times[k * 2]!;
      const observed = times[k * 2 + 1]!;
      const row: LogRow = {
        id: "",
        // The time sent (see RequestLogIds); the arrival time replaces a missing one below.
        timeUnixNano: time !== 0n ? time : observed,
        timeUnset: time === 0n,
        observedTimeUnixNano: observed,
        severityNumber: refs[at + 13]!,
        severityText: text.slice(refs[at + 1], refs[at + 2]),
        body: text.slice(refs[at + 3], refs[at + 4]),
        bodyType: BODY_TYPE_OF[refs[at + 16]!]!,
        eventName: text.slice(refs[at + 5], refs[at + 6]),
        traceId: text.slice(refs[at + 7], refs[at + 8]),
        spanId: text.slice(refs[at + 9], refs[at + 10]),
        flags: refs[at + 14]!,
        resourceId: resource.id,
        serviceName: resource.serviceName,
        scopeName,
        scopeVersion,
        scopeAttributes,
        attributes: text.slice(refs[at + 11], refs[at + 12]),
        droppedAttributesCount: refs[at + 15]!,
        scopeSchemaUrl,
        scopeDroppedAttributesCount,
        longText: "",
      };
      row.id = logIds.nextOf(
        ascii ? asciiLogId(bytes, refs, at, row.timeUnixNano, observed, row.bodyType) : logId(row),
      );
      if (row.timeUnixNano === 0n) row.timeUnixNano = nowNs;
      // Stored escaped, once the id is computed from the text as sent.
      row.severityText = escapeText(row.severityText);
      if (row.bodyType === "string") row.body = escapeText(row.body);
      row.eventName = escapeText(row.eventName);
      row.scopeName = storedScopeName;
      row.scopeVersion = storedScopeVersion;
      batch.logs.push(row);
    }
  }
  return { batch, items: itemCount, rejected };
}

// ---------------------------------------------------------------------------------------------

/** Decodes an `ExportTraceServiceRequest` (`logs` 0) or `ExportLogsServiceRequest` (`logs` 1). */
export function decodeProtobuf(
  logs: 0 | 1,
  body: Uint8Array,
  limits: DecodeLimits,
  nowNs: bigint,
): Decoded {
  // A plain Uint8Array view (not a Buffer or other subclass) keeps every byte access monomorphic.
  const bytes = Object.getPrototypeOf(body) === Uint8Array.prototype
    ? body
    : new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  try {
    const r = new ProtoReader(bytes, limits);
    const message = logs === 0 ? "ExportTraceServiceRequest" : "ExportLogsServiceRequest";
    const end = bytes.length;
    let ri = 0;
    while (r.pos < end) {
      const tag = readTag(r, end);
      if (tag >>> 3 === 1) {
        if ((tag & 7) !== LEN) wrongWireType(r, tag, message, LEN);
        const sub = lengthEnd(r, end);
        resourceItems(r, sub, ri++, logs);
      } else skipField(r, tag, end, message);
    }
    return buildBatch(r, logs, nowNs);
  } finally {
    releaseLargeBuffers();
  }
}
