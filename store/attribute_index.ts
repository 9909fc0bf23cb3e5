/**
 * The attribute index: which traces and log records hold an attribute, so that `attr=key=value`
 * (the trace list, the log list) looks its few candidates up instead of scanning the window's
 * JSON. Written at ingest, in the transaction that stores the rows (attribute_postings.ts), into
 * `span_attributes(bucket, h, trace_id)` and `log_attributes(bucket, h, log_id)`:
 *
 * - `h` is a 53-bit hash of the key and the value's canonical text (`attributeHash`);
 * - `bucket` is the row's time (a span's start, a record's time) in `BUCKET_NS` units (10 min),
 *   first in the key, so that ingest appends near the end of the B-tree and a purge deletes a
 *   key range; a query lists the buckets of its window (`bucket in (…) and h in (…)`: one seek
 *   each);
 * - one row per trace (not per span) per bucket;
 * - capped postings: a writer writes at most `postings` (ATTRIBUTE_INDEX_POSTINGS) ids per
 *   (bucket, h), then one overflow row, the empty id (`OVERFLOW_ID`), and no more. The index
 *   serves rare values; a common one (`http.request.method=GET`) is answered by the scan the
 *   list does without the index (newest first, the exact check per trace, stopping when the page
 *   is full), which its overflow rows send it to.
 *
 * Exactness: a query reads the ids of its buckets (at most `candidates`,
 * ATTRIBUTE_INDEX_CANDIDATES); when one is the overflow id or there are more, it scans; else it
 * applies the exact check it always applied (`attributeFragments`, a JSON text fragment) to the
 * candidates alone. For each (bucket, h), either every trace or record holding it is listed, or
 * the overflow row is there:
 * a writer skips ids only after its overflow row is committed, so the index is a superset of what
 * the check passes, and the answer is the scan's.
 *
 * What is indexed, read from the stored JSON text (lib/any_value_json.ts) token by token: every
 * `"key": value` whose value is a string, a number or a bool, at any depth (keys of kvlist values
 * and of kvlists inside arrays too, since the fragment scan matches those). Canonical values:
 * strings as they are; numbers as written, without a trailing `.0` (an int `200` and a double
 * `200.0` both as `200`, which the scan's `200` matches both of); `true` / `false`. A stored key
 * containing a quote (`a"b`) is also indexed under each tail after a quote (`b`): the scan's
 * fragment `"b":…` matches inside its JSON text (`"a\"b":…`). Keys are hashed, not stored, so no
 * value is too long for the index.
 *
 * Which keys: ATTRIBUTE_INDEX_KEYS (`*` or a list) less ATTRIBUTE_INDEX_SKIP. A query on a key
 * not indexed scans, as before. Rows stored before the index existed, before the keys setting
 * last grew, or before the last purge's cutoff (late rows there may lack their index rows, whose
 * buckets went) are not in it: `attribute_index_state` records, per signal, the time below which
 * rows may be missing (`indexed_from_ns`), and the part of a window before that time is scanned.
 *
 * Known difference from the scan, by design: the scan's fragment can also match text that crosses
 * JSON tokens (a value `x` followed by a key starting with `:200,`), which the index does not
 * follow; no real attribute looks like that.
 *
 * @module
 */
import { type Kysely, type RawBuilder, sql, type SqlBool } from "kysely";
import type { AttributeIndexKeys } from "../lib/config.ts";
import type { Database } from "./columns.ts";
import type { DialectCapabilities } from "./dialects/mod.ts";
import type { AttributeMatch } from "./types.ts";

export type { AttributeIndexKeys } from "../lib/config.ts";

/** Every key indexed (the default). */
export const ALL_KEYS: AttributeIndexKeys = { include: "*", skip: [] };
/** No key indexed: every attribute search scans (the reference in tests and benchmarks). */
export const NO_KEYS: AttributeIndexKeys = { include: [], skip: [] };

/** The signals with an index table, as `attribute_index_state.signal_name` names them. */
export type IndexedSignal = "spans" | "logs";

/** The width of an index bucket: 10 minutes, in nanoseconds. */
export const BUCKET_NS = 600_000_000_000n;

/**
 * Most buckets a query lists (about 34 days, past QUERY_MAX_WINDOW's default): a longer list
 * (future-dated spans stretch a trace window's) scans instead.
 */
export const MOST_BUCKETS = 5_000;

/** The id of a (bucket, h)'s overflow row: more ids hold it than were written. */
export const OVERFLOW_ID = "";

/** The bucket of a time (ns since the epoch; times are not negative). */
export function bucketOf(timeNs: bigint): number {
  return Number((timeNs < 0n ? 0n : timeNs) / BUCKET_NS);
}

/**
 * A 53-bit hash (cyrb53) of a key and a canonical value: a JavaScript-safe integer, stored as
 * int64. The key's length goes in first, so that no (key, value) pair hashes as another's text.
 */
export function attributeHash(key: string, value: string): number {
  let h1 = 0xdeadbeef ^ key.length, h2 = 0x41c6ce57 ^ key.length;
  for (let i = 0; i < key.length; i++) {
    const ch = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  for (let i = 0; i < value.length; i++) {
    const ch = value.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** A number's canonical text: as written, less a trailing `.0` (`200.0` → `200`). */
function canonicalNumber(text: string): string {
  return text.endsWith(".0") ? text.slice(0, -2) : text;
}

/** Whether a setting covers `key`. */
export function keyIndexed(keys: AttributeIndexKeys, key: string): boolean {
  return (keys.include === "*" || keys.include.includes(key)) && !keys.skip.includes(key);
}

/**
 * Whether every key `next` covers, `previous` covered: then rows stored under `previous` are in
 * the index for every key `next` looks up, and its `indexed_from_ns` still holds.
 */
export function keysWithin(next: AttributeIndexKeys, previous: AttributeIndexKeys): boolean {
  if (next.include === "*") {
    return previous.include === "*" && previous.skip.every((k) => next.skip.includes(k));
  }
  return next.include.every((k) => next.skip.includes(k) || keyIndexed(previous, k));
}

/** A setting as `attribute_index_state.index_keys` stores it (JSON; stable for equal settings). */
export function keysText(keys: AttributeIndexKeys): string {
  const include = keys.include === "*" ? "*" : [...keys.include].sort();
  return JSON.stringify({ include, skip: [...keys.skip].sort() });
}

function parseKeysText(text: string): AttributeIndexKeys {
  try {
    const parsed = JSON.parse(text) as { include: "*" | string[]; skip: string[] };
    return { include: parsed.include, skip: parsed.skip };
  } catch {
    // Unreadable: nothing can be assumed indexed.
    return NO_KEYS;
  }
}

/** Computes the hashes a row's attributes JSON is indexed under, for the configured keys. */
export class AttributeIndexer {
  readonly #all: boolean;
  readonly #include: ReadonlySet<string>;
  readonly #skip: ReadonlySet<string>;
  /** False when no key is indexed: nothing is computed. */
  readonly enabled: boolean;

  constructor(readonly keys: AttributeIndexKeys) {
    this.#all = keys.include === "*";
    this.#include = new Set(keys.include === "*" ? [] : keys.include);
    this.#skip = new Set(keys.skip);
    this.enabled = this.#all || this.#include.size > 0;
  }

  #indexed(key: string): boolean {
    return (this.#all || this.#include.has(key)) && !this.#skip.has(key);
  }

  /**
   * Appends to `out` the distinct hashes of the attributes JSON `text` (see the module comment)
   * and answers how many it appended. Tolerant: text that is not JSON yields what its tokens
   * yield, and never throws.
   */
  pushHashes(out: number[], text: string): number {
    if (!this.enabled || text.length <= 2) return 0;
    const before = out.length;
    let seen: Set<number> | undefined;
    const emit = (key: string, value: string) => {
      const h = attributeHash(key, value);
      // Repeats are rare and lists short: a scan of this row's hashes until there are many.
      if (seen === undefined) {
        for (let i = before; i < out.length; i++) if (out[i] === h) return;
        if (out.length - before >= 32) seen = new Set(out.slice(before));
      } else if (seen.has(h)) return;
      seen?.add(h);
      out.push(h);
    };
    const length = text.length;
    let pos = 0;
    // Quote to quote (indexOf, rather than a character at a time: this runs on every span).
    while ((pos = text.indexOf('"', pos)) >= 0) {
      // A string token: is it a key (followed by `:`)?
      const keyEnd = stringEnd(text, pos);
      if (keyEnd < 0) return out.length - before;
      let next = keyEnd + 1;
      while (next < length && isSpace(text.charCodeAt(next))) next++;
      if (text.charCodeAt(next) !== 0x3a) {
        pos = keyEnd + 1;
        continue;
      }
      next++;
      while (next < length && isSpace(text.charCodeAt(next))) next++;
      const key = decodeString(text, pos, keyEnd);
      const c = text.charCodeAt(next);
      let value: string | undefined;
      if (c === 0x22) {
        const valueEnd = stringEnd(text, next);
        if (valueEnd < 0) return out.length - before;
        value = decodeString(text, next, valueEnd);
        pos = valueEnd + 1;
      } else {
        // A literal: up to the next delimiter. Numbers and bools are indexed; null and nested
        // values are not (the scan matches neither), and the scan goes on inside the latter.
        let end = next;
        while (end < length) {
          const d = text.charCodeAt(end);
          if (d === 0x2c || d === 0x7d || d === 0x5d || d === 0x7b || d === 0x5b) break;
          if (d === 0x22 || isSpace(d)) break;
          end++;
        }
        const literal = text.slice(next, end);
        if (literal === "true" || literal === "false") value = literal;
        else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) value = canonicalNumber(literal);
        pos = end > next ? end : next;
      }
      if (key === undefined || value === undefined) continue;
      if (this.#indexed(key)) emit(key, value);
      // `"b":…` is also found inside the JSON of a key `a"b` (see the module comment).
      for (let q = key.indexOf('"'); q >= 0; q = key.indexOf('"', q + 1)) {
        const tail = key.slice(q + 1);
        if (this.#indexed(tail)) emit(tail, value);
      }
    }
    return out.length - before;
  }
}

/** Index of the closing quote of the JSON string opening at `start`, or -1. */
function stringEnd(text: string, start: number): number {
  for (let i = text.indexOf('"', start + 1); i >= 0; i = text.indexOf('"', i + 1)) {
    // Escaped when an odd number of backslashes precede it.
    let slashes = 0;
    while (text.charCodeAt(i - 1 - slashes) === 0x5c) slashes++;
    if (slashes % 2 === 0) return i;
  }
  return -1;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** The JSON string from `start` to `end` (its quotes) decoded, or undefined if it is not valid. */
function decodeString(text: string, start: number, end: number): string | undefined {
  const inner = text.slice(start + 1, end);
  if (!inner.includes("\\")) return inner;
  try {
    return JSON.parse(text.slice(start, end + 1)) as string;
  } catch {
    return undefined;
  }
}

/**
 * The hashes a match's stored rows may be indexed under: its value as a string, and as a number
 * written with a `.0` (the scan's `200.0` matches a stored `200.0`, indexed as `200`).
 */
export function lookupHashes(match: AttributeMatch): number[] {
  const forms = new Set([match.value, canonicalNumber(match.value)]);
  return [...forms].map((value) => attributeHash(match.key, value));
}

/** Where the index stands for one signal, as a query reads it. */
export interface IndexState {
  /** Rows with a time at or past this (ns) are in the index, for the keys `keys` covers. */
  indexedFromNs: bigint;
  keys: AttributeIndexKeys;
}

/** The state of both signals' indexes (a signal without a row is not indexed). */
export async function readIndexState(
  db: Kysely<Database>,
): Promise<Partial<Record<IndexedSignal, IndexState>>> {
  const rows = await db.selectFrom("attribute_index_state")
    .select(["signal_name", "indexed_from_ns", "index_keys"]).execute();
  const state: Partial<Record<IndexedSignal, IndexState>> = {};
  for (const row of rows) {
    const signal = row.signal_name;
    if (signal !== "spans" && signal !== "logs") continue;
    state[signal] = {
      indexedFromNs: BigInt(row.indexed_from_ns),
      keys: parseKeysText(row.index_keys),
    };
  }
  return state;
}

/** Each signal's table, its time column, and its index table and id column. */
const TABLES = {
  spans: { table: "spans", time: "start_time_unix_nano", index: "span_attributes", id: "trace_id" },
  logs: { table: "logs", time: "time_unix_nano", index: "log_attributes", id: "log_id" },
} as const;

/**
 * Brings `attribute_index_state` in line with the keys this process indexes (run at each start,
 * after the migrations): a setting that covers a key the stored one did not makes every row
 * stored so far count as not indexed (`indexed_from_ns` moves past the newest row's time); a
 * narrower one keeps the time. Answers the signals whose time moved.
 */
export async function reconcileIndexKeys(
  db: Kysely<Database>,
  caps: DialectCapabilities,
  keys: AttributeIndexKeys,
): Promise<IndexedSignal[]> {
  const moved: IndexedSignal[] = [];
  const state = await readIndexState(db);
  for (const signal of ["spans", "logs"] as const) {
    const stored = state[signal];
    if (stored !== undefined && keysText(stored.keys) === keysText(keys)) continue;
    const update: { index_keys: string; indexed_from_ns?: bigint | string } = {
      index_keys: keysText(keys),
    };
    if (stored === undefined || !keysWithin(keys, stored.keys)) {
      const { table, time } = TABLES[signal];
      const row = await sql<{ newest: bigint | string | number | null }>`select max(${
        sql.ref(time)
      }) as newest from ${sql.table(table)}`.execute(db);
      const newest = row.rows[0]?.newest;
      update.indexed_from_ns = caps.int64(
        newest === null || newest === undefined ? 0n : BigInt(newest) + 1n,
      );
      moved.push(signal);
    }
    if (stored === undefined) {
      await db.insertInto("attribute_index_state").values({
        signal_name: signal,
        index_keys: update.index_keys,
        indexed_from_ns: update.indexed_from_ns!,
      }).execute();
    } else {
      await db.updateTable("attribute_index_state").set(update).where("signal_name", "=", signal)
        .execute();
    }
  }
  return moved;
}

/**
 * Before a purge deletes a signal's index rows of the buckets wholly before `cutoffNs`: rows of
 * those buckets stored later (late spans, behind the purge) may lack theirs, or be counted under
 * an overflow row that went, so queries scan that part of a window from now on (it holds only
 * such rows). Answers the first bucket kept.
 */
export async function indexPurgeStarts(
  db: Kysely<Database>,
  caps: DialectCapabilities,
  signal: IndexedSignal,
  cutoffNs: bigint,
): Promise<number> {
  const bucket = bucketOf(cutoffNs);
  const from = caps.int64(BigInt(bucket) * BUCKET_NS);
  await db.updateTable("attribute_index_state").set({ indexed_from_ns: from })
    .where("signal_name", "=", signal).where("indexed_from_ns", "<", from).execute();
  return bucket;
}

/** What a query asks of the index for one match. */
export interface CandidateTarget {
  signal: IndexedSignal;
  /** The candidate rows' id expression (a summary's trace id, a record's id). */
  idColumn: string;
  /** The candidate rows' time expression (a summary's start, or the record's time). */
  time: RawBuilder<unknown>;
  /** The window (ns): a trace window has no end here, its spans may start past the window's. */
  from: bigint;
  to?: bigint;
  /** Most ids read before the index is given up for the scan (ATTRIBUTE_INDEX_CANDIDATES). */
  candidates: number;
}

/**
 * How a query narrows `match` with the index: the condition that a row's id is among the index's
 * candidates, or its time is before `indexed_from_ns` (rows the index may miss are left to the
 * exact check alone); undefined when the index cannot serve it, and the exact check scans: the
 * key is not indexed, the window spans more than MOST_BUCKETS buckets, or the buckets hold an
 * overflow row or more than `target.candidates` ids.
 *
 * Reads the state and the index's first and last bucket (a seek each), then the ids (at most
 * `candidates` + 1); the condition reads them once more, in a subquery, rather than binding
 * thousands of parameters.
 */
export async function attributeCandidates(
  db: Kysely<Database>,
  caps: DialectCapabilities,
  keys: AttributeIndexKeys,
  match: AttributeMatch,
  target: CandidateTarget,
): Promise<RawBuilder<SqlBool> | undefined> {
  if (!keyIndexed(keys, match.key)) return undefined;
  const { index, id } = TABLES[target.signal];
  const bounds = await sql<
    {
      indexed_from_ns: bigint | string | number;
      index_keys: string;
      lo: number | string | null;
      hi: number | string | null;
    }
  >`select indexed_from_ns, index_keys, (select min(bucket) from ${sql.table(index)}) as lo,
    (select max(bucket) from ${sql.table(index)}) as hi from attribute_index_state
    where signal_name = ${target.signal}`.execute(db).catch(() => undefined);
  const state = bounds?.rows[0];
  if (state === undefined || !keyIndexed(parseKeysText(state.index_keys), match.key)) {
    return undefined;
  }
  const indexedFromNs = BigInt(state.indexed_from_ns);
  const from = target.from > indexedFromNs ? target.from : indexedFromNs;
  const lo = Math.max(bucketOf(from), Number(state.lo ?? Infinity));
  // A trace's spans start at or after it, up to the newest bucket; a record is in its window.
  const last = target.to === undefined ? Infinity : bucketOf(target.to - 1n);
  const hi = Math.min(last, Number(state.hi ?? -Infinity));
  const predating = indexedFromNs > target.from
    ? sql<SqlBool>`${target.time} < ${caps.int64(indexedFromNs)}`
    : undefined;
  const none = sql<SqlBool>`1 = 0`;
  if (hi < lo || (target.to !== undefined && from >= target.to)) return predating ?? none;
  if (hi - lo + 1 > MOST_BUCKETS) return undefined;
  const buckets = Array.from({ length: hi - lo + 1 }, (_, k) => sql.lit(lo + k));
  const hashes = lookupHashes(match).map((h) => caps.int64(BigInt(h)));
  const where = sql`bucket in (${sql.join(buckets)}) and h in (${sql.join(hashes)})`;
  // SQL Server has no LIMIT.
  const probe = caps.driver === "sqlserver"
    ? sql<{ id: string }>`select top ${sql.lit(target.candidates + 1)} ${sql.ref(id)} as id from ${
      sql.table(index)
    } where ${where}`
    : sql<{ id: string }>`select ${sql.ref(id)} as id from ${sql.table(index)} where ${where}
      limit ${sql.lit(target.candidates + 1)}`;
  const ids = (await probe.execute(db)).rows;
  if (ids.length > target.candidates || ids.some((row) => row.id === OVERFLOW_ID)) {
    return undefined;
  }
  if (ids.length === 0) return predating ?? none;
  const candidates = sql<SqlBool>`${sql.ref(target.idColumn)} in (select ${sql.ref(id)} from ${
    sql.table(index)
  } where ${where})`;
  return predating === undefined ? candidates : sql<SqlBool>`(${predating} or ${candidates})`;
}
