/**
 * Deterministic ids. The same resource, or the same log record, always gets the same id, so a
 * retried request or a replayed dead-letter file is stored once (no auto-increment anywhere).
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { LogRow, ResourceRow } from "./types.ts";

/** Field separator that cannot be confused with content (validation refuses NUL in text). */
const SEP = "\u0000";

function digest128(parts: readonly string[]): string {
  // 128 bits of SHA-256: collisions are out of reach for any telemetry volume.
  return createHash("sha256").update(parts.join(SEP)).digest("hex").slice(0, 32);
}

/**
 * A 128-bit non-cryptographic hash of the parts (four 32-bit lanes mixed with multiplications,
 * after bryc's public-domain cyrb128), without joining them into one string first. Used for log
 * ids, computed for every record: SHA-256 through node:crypto cost about 4 µs per record in
 * Deno, this about a fifth of that. Accidental collisions are as unlikely as with 128 bits of
 * SHA-256; a deliberately crafted one could at worst make Argus take a sender's record for a
 * copy of one it holds already.
 *
 * Frozen: stored log ids are these hashes (ids_test.ts pins them, and keeps the first version to
 * compare with). `Hash128` computes the same hash part by part.
 */
export function fastHash128(parts: readonly string[]): string {
  const hash = SHARED.reset();
  for (let p = 0; p < parts.length; p++) hash.text(parts[p]!);
  return hash.digest();
}

/**
 * `fastHash128` fed one part at a time, from a string or from bytes that are each one UTF-16
 * unit (ASCII text as UTF-8): the protobuf reader hashes a record's text where it decoded it, in
 * its output buffer, which costs about a third of reading the same characters back from the
 * slices of one large string (`charCodeAt` on a sliced string resolves the slice at every call).
 * A state can be copied, so that a prefix shared by many records (resource and scope) is hashed
 * once.
 *
 * Written for V8: lanes are int32 (the constants above 2^31 as their int32 bit patterns, which
 * `Math.imul` and `^` read the same) and kept in locals inside each loop; an odd-length part's
 * last unit is mixed after its loop rather than tested in it.
 */
export class Hash128 {
  h1 = 1779033703;
  h2 = -1150833019;
  h3 = 1013904242;
  h4 = -1521486534;

  reset(): this {
    this.h1 = 1779033703;
    this.h2 = -1150833019;
    this.h3 = 1013904242;
    this.h4 = -1521486534;
    return this;
  }

  copyFrom(other: Hash128): this {
    this.h1 = other.h1;
    this.h2 = other.h2;
    this.h3 = other.h3;
    this.h4 = other.h4;
    return this;
  }

  /** Adds a part: its UTF-16 code units, two per 32-bit word, then a word carrying its length. */
  text(part: string): this {
    let h1 = this.h1, h2 = this.h2, h3 = this.h3, h4 = this.h4;
    const n = part.length;
    const even = n & ~1;
    for (let i = 0; i < even; i += 2) {
      const k = part.charCodeAt(i) | (part.charCodeAt(i + 1) << 16);
      h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
      h2 = h3 ^ Math.imul(h2 ^ k, -1425107063);
      h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
      h4 = h1 ^ Math.imul(h4 ^ k, -1578923117);
    }
    this.h1 = h1, this.h2 = h2, this.h3 = h3, this.h4 = h4;
    // The last unit of an odd length has 0 above it; the length word tells ["ab", "c"] from
    // ["a", "bc"].
    if (even < n) this.#mix(part.charCodeAt(even));
    this.#mix(n ^ 0x5bd1e995);
    return this;
  }

  /**
   * Adds a part whose UTF-16 units are the bytes `bytes[from, to)`, one unit per byte (ASCII
   * text in UTF-8): the same as `text()` of the string they spell.
   */
  asciiBytes(bytes: Uint8Array, from: number, to: number): this {
    let h1 = this.h1, h2 = this.h2, h3 = this.h3, h4 = this.h4;
    const n = to - from;
    const even = from + (n & ~1);
    for (let i = from; i < even; i += 2) {
      const k = bytes[i]! | (bytes[i + 1]! << 16);
      h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
      h2 = h3 ^ Math.imul(h2 ^ k, -1425107063);
      h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
      h4 = h1 ^ Math.imul(h4 ^ k, -1578923117);
    }
    this.h1 = h1, this.h2 = h2, this.h3 = h3, this.h4 = h4;
    if (even < to) this.#mix(bytes[even]!);
    this.#mix(n ^ 0x5bd1e995);
    return this;
  }

  #mix(k: number): void {
    this.h1 = this.h2 ^ Math.imul(this.h1 ^ k, 597399067);
    this.h2 = this.h3 ^ Math.imul(this.h2 ^ k, -1425107063);
    this.h3 = this.h4 ^ Math.imul(this.h3 ^ k, 951274213);
    this.h4 = this.h1 ^ Math.imul(this.h4 ^ k, -1578923117);
  }

  /** The hash of the parts added since the last reset, as 32 lower-case hex characters. */
  digest(): string {
    let h1 = this.h1, h2 = this.h2, h3 = this.h3, h4 = this.h4;
    h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
    h2 = Math.imul(h4 ^ (h2 >>> 22), -1425107063);
    h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
    h4 = Math.imul(h2 ^ (h4 >>> 19), -1578923117);
    h1 ^= h2 ^ h3 ^ h4;
    h2 ^= h1;
    h3 ^= h1;
    h4 ^= h1;
    return hex128(h1, h2, h3, h4);
  }
}

/** The state `fastHash128` and `logId` use (ids are made one at a time). */
const SHARED = new Hash128();

/** Character codes of the lower-case hex digits. */
const HEX_CODES = new Uint8Array([..."0123456789abcdef"].map((c) => c.charCodeAt(0)));
/** The 32 character codes of the id being written (ids are made one at a time). */
const ID_CODES: number[] = new Array(32).fill(0);

/** 32 lower-case hex digits of four 32-bit words, most significant first. */
function hex128(a: number, b: number, c: number, d: number): string {
  // Codes first, then one string: Number.toString(16) + padStart per word cost ~1 µs per id, and
  // concatenated pieces made a string tree that a Map key then had to flatten.
  let at = 0;
  for (const word of [a, b, c, d]) {
    for (let shift = 28; shift >= 0; shift -= 4) ID_CODES[at++] = HEX_CODES[(word >>> shift) & 15]!;
  }
  return String.fromCharCode.apply(null, ID_CODES);
}

/** Id of a resource from everything that identifies it. */
export function resourceId(resource: Omit<ResourceRow, "id" | "longText">): string {
  const parts = [
    resource.serviceName,
    resource.attributes,
    String(resource.droppedAttributesCount),
    resource.schemaUrl,
  ];
  // Only when present, so that a resource without entity refs keeps the id it had before they
  // were stored (issue 19): a retry across the upgrade finds its rows.
  if (resource.entityRefs !== "") parts.push(resource.entityRefs);
  return digest128(parts);
}

/**
 * Id of a log record from all of its content, including its resource and scope. Its
 * `timeUnixNano` must be the time the client sent (the observed time when it sent only that, 0
 * when it sent neither), never an arrival time: see `RequestLogIds`.
 */
export function logId(log: Omit<LogRow, "id" | "longText">): string {
  const hash = SHARED.reset()
    .text(log.resourceId)
    .text(log.scopeName)
    .text(log.scopeVersion)
    .text(log.scopeAttributes);
  return logIdAfterScope(hash, log).digest();
}

/**
 * Adds a log record's parts after its resource and scope to `hash` (which holds those four:
 * resource id, scope name, version and attributes), for `logId` and the protobuf reader.
 */
export function logIdAfterScope(
  hash: Hash128,
  log: Pick<
    LogRow,
    | "timeUnixNano"
    | "observedTimeUnixNano"
    | "severityNumber"
    | "severityText"
    | "bodyType"
    | "body"
    | "eventName"
    | "traceId"
    | "spanId"
    | "flags"
    | "attributes"
    | "droppedAttributesCount"
  >,
): Hash128 {
  const time = log.timeUnixNano.toString();
  return hash
    .text(time)
    // SDKs mostly send both times equal: one bigint-to-text conversion then serves both.
    .text(
      log.observedTimeUnixNano === log.timeUnixNano ? time : log.observedTimeUnixNano.toString(),
    )
    .text(String(log.severityNumber))
    .text(log.severityText)
    .text(log.bodyType)
    .text(log.body)
    .text(log.eventName)
    .text(log.traceId)
    .text(log.spanId)
    .text(String(log.flags))
    .text(log.attributes)
    .text(String(log.droppedAttributesCount));
}

/**
 * The content ids of the log records of one request, in the request's order (the decoders then
 * bind them to the request: `bindLogIdsToRequest`). A record's content id is its `logId`.
 * Records identical in all of that (same time, body, attributes…: common with millisecond
 * clocks) are told apart by their occurrence among the request's identical records: the first
 * keeps the content id; the n-th after it gets the hash of the content id and n. A retry repeats
 * the same occurrences, so it still stores each record once.
 */
export class RequestLogIds {
  /** How many records of each content id this request had so far. */
  readonly #seen = new Map<string, number>();

  /** The id of the request's next record, whose time is as `logId` says. */
  next(log: Omit<LogRow, "id">): string {
    return this.nextOf(logId(log));
  }

  /** The id of the request's next record, given its `logId`. */
  nextOf(id: string): string {
    const before = this.#seen.get(id);
    if (before === undefined) {
      this.#seen.set(id, 1);
      return id;
    }
    this.#seen.set(id, before + 1);
    return fastHash128([id, String(before)]);
  }
}

/** What `bindLogIdsToRequest` reads of a log record. */
export interface RequestLogId {
  id: string;
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
}

/**
 * Binds the ids of one request's log records (as `RequestLogIds` made them, in the request's
 * order) to the request, and puts their time in front:
 *
 * - The request: each id becomes the hash of its id and of the request's digest, the hash of all
 *   of the request's ids in order. A retry of the request (the same records in the same order:
 *   what every exporter resends) gets the same ids, so it stores each record once; an identical
 *   record in another request (telemetrygen's records differ only by their time, and two of its
 *   workers can read the same clock value) gets another id, so distinct items are never merged.
 *   Only two requests whose records are all identical, in the same order, cannot be told apart,
 *   as no receiver could tell them from a retry.
 * - The time: the first 12 hex digits are the record's time as sent, in milliseconds (0 for a
 *   record sent without any time, which `arrivalNs` stamps), the other 20 (80 bits) the hash.
 *   Records arrive roughly in time order, so their ids land at the end of the primary key's index
 *   instead of on random pages: with a random id, SQLite wrote 12.3 KiB per log record (WAL and
 *   checkpoint) and inserted 33k rows/s; with the time in front, 5.9 KiB and 59k rows/s
 *   (`bench/log_ids.ts`, docs/benchmarks.md).
 */
export function bindLogIdsToRequest(logs: RequestLogId[], arrivalNs: bigint): void {
  if (logs.length === 0) return;
  const request = SHARED.reset();
  for (let i = 0; i < logs.length; i++) request.text(logs[i]!.id);
  const digest = request.digest();
  for (let i = 0; i < logs.length; i++) {
    const log = logs[i]!;
    // A record sent without any time was stamped with its arrival (by the reader, after its
    // content id was made): its id must not depend on it.
    const sent = log.observedTimeUnixNano === 0n && log.timeUnixNano === arrivalNs
      ? 0n
      : log.timeUnixNano;
    const hash = SHARED.reset().text(log.id).text(digest).digest();
    log.id = BigInt.asUintN(48, sent / 1_000_000n).toString(16).padStart(12, "0") +
      hash.slice(12);
  }
}
