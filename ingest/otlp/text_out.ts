/**
 * A growable UTF-8 output buffer for the protobuf reader, which writes every string of a request
 * into it (names verbatim, attributes as JSON text) and decodes it once at the end: one native
 * decode per request instead of one per string, and rows hold slices of the one string.
 *
 * Positions handed out are UTF-16 indexes into that final string: `index = pos - extra`, where
 * `extra` counts the UTF-8 bytes that do not become a UTF-16 unit of their own.
 *
 * @module
 */

export class TextOut {
  buf: Uint8Array;
  /** Bytes written. */
  pos = 0;
  /** Bytes written minus the UTF-16 units they decode to. */
  extra = 0;

  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(capacity, 64));
  }

  /** Index in the decoded string of the next character written. */
  get index(): number {
    return this.pos - this.extra;
  }

  reset(): void {
    this.pos = 0;
    this.extra = 0;
  }

  /** Makes room for `n` more bytes and returns the (possibly new) buffer. */
  ensure(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
      next.set(this.buf.subarray(0, this.pos));
      this.buf = next;
    }
    return this.buf;
  }
}

const HEX_DIGITS = new TextEncoder().encode("0123456789abcdef");
const ESCAPES: number[] = []; // second byte of a two-character escape, or 0
ESCAPES[0x08] = 0x62; // \b
ESCAPES[0x09] = 0x74; // \t
ESCAPES[0x0a] = 0x6e; // \n
ESCAPES[0x0c] = 0x66; // \f
ESCAPES[0x0d] = 0x72; // \r
ESCAPES[0x22] = 0x22; // \"
ESCAPES[0x5c] = 0x5c; // \\

export function putByte(o: TextOut, byte: number): void {
  const buf = o.pos < o.buf.length ? o.buf : o.ensure(1);
  buf[o.pos++] = byte;
}

/** Writes an ASCII string (numbers, constants). */
export function putAscii(o: TextOut, text: string): void {
  const buf = o.ensure(text.length);
  let p = o.pos;
  for (let i = 0; i < text.length; i++) buf[p++] = text.charCodeAt(i);
  o.pos = p;
}

/** Writes pre-encoded ASCII bytes. */
export function putConstant(o: TextOut, bytes: Uint8Array): void {
  const buf = o.ensure(bytes.length);
  let p = o.pos;
  for (let i = 0; i < bytes.length; i++) buf[p++] = bytes[i]!;
  o.pos = p;
}

/** Appends everything written to `other`. */
export function putOut(o: TextOut, other: TextOut): void {
  const length = other.pos;
  const buf = o.ensure(length);
  // Below a few dozen bytes a loop beats the call and the subarray view.
  if (length <= 48) {
    const src = other.buf;
    let p = o.pos;
    for (let i = 0; i < length; i++) buf[p++] = src[i]!;
  } else buf.set(other.buf.subarray(0, length), o.pos);
  o.pos += length;
  o.extra += other.extra;
}

/** Lower-case hex of `src[from, to)`. */
export function putHex(o: TextOut, src: Uint8Array, from: number, to: number): void {
  const buf = o.ensure((to - from) * 2);
  let p = o.pos;
  for (let i = from; i < to; i++) {
    const b = src[i]!;
    buf[p++] = HEX_DIGITS[b >> 4]!;
    buf[p++] = HEX_DIGITS[b & 15]!;
  }
  o.pos = p;
}

/** Bytes written as they are inside a JSON string: printable ASCII but `"` and `\\`. */
const PLAIN = new Uint8Array(256);
for (let c = 0x20; c < 0x80; c++) PLAIN[c] = c === 0x22 || c === 0x5c ? 0 : 1;

/**
 * Writes the UTF-8 text `src[from, to)` after checking it (overlong forms, surrogates and code
 * points past U+10FFFF are invalid): verbatim, or with `json` as a JSON string written exactly
 * as `JSON.stringify` writes it. Returns false, having written nothing, if it is not UTF-8.
 *
 * The hot loop of the whole reader: printable ASCII is copied four bytes at a time, everything
 * else (escapes, multibyte sequences) one character at a time.
 */
export function putText(
  o: TextOut,
  src: Uint8Array,
  from: number,
  to: number,
  json: boolean,
): boolean {
  const startPos = o.pos;
  const startExtra = o.extra;
  let buf = o.ensure(to - from + 2);
  let p = o.pos;
  if (json) buf[p++] = 0x22;
  let i = from;
  for (;;) {
    while (i + 4 <= to) {
      const c0 = src[i]!;
      const c1 = src[i + 1]!;
      const c2 = src[i + 2]!;
      const c3 = src[i + 3]!;
      if ((PLAIN[c0]! & PLAIN[c1]! & PLAIN[c2]! & PLAIN[c3]!) !== 1) break;
      buf[p] = c0;
      buf[p + 1] = c1;
      buf[p + 2] = c2;
      buf[p + 3] = c3;
      p += 4;
      i += 4;
    }
    while (i < to) {
      const c = src[i]!;
      if (PLAIN[c] !== 1) break;
      buf[p++] = c;
      i++;
    }
    if (i >= to) break;
    const c = src[i]!;
    if (c < 0x80) {
      i++;
      if (!json) {
        buf[p++] = c;
        continue;
      }
      o.pos = p;
      buf = o.ensure(6 + (to - i) + 1);
      buf[p++] = 0x5c;
      const short = ESCAPES[c];
      if (short !== undefined) buf[p++] = short;
      else {
        buf[p++] = 0x75; // \u00XX
        buf[p++] = 0x30;
        buf[p++] = 0x30;
        buf[p++] = HEX_DIGITS[c >> 4]!;
        buf[p++] = HEX_DIGITS[c & 15]!;
      }
      continue;
    }
    const n = sequenceLength(src, i, to);
    if (n === 0) {
      o.pos = startPos;
      o.extra = startExtra;
      return false;
    }
    for (let k = 0; k < n; k++) buf[p++] = src[i + k]!;
    i += n;
    // 2 and 3 bytes make one UTF-16 unit, 4 bytes a surrogate pair.
    o.extra += n === 4 ? 2 : n - 1;
  }
  if (json) buf[p++] = 0x22;
  o.pos = p;
  return true;
}

/** Length of the valid UTF-8 sequence starting at `src[i]` (a byte >= 0x80), or 0. */
function sequenceLength(src: Uint8Array, i: number, to: number): number {
  const c = src[i]!;
  if (c < 0xc2) return 0; // a continuation byte, or an overlong 2-byte lead
  if (c < 0xe0) return i + 1 < to && (src[i + 1]! & 0xc0) === 0x80 ? 2 : 0;
  if (c < 0xf0) {
    if (i + 2 >= to) return 0;
    const c1 = src[i + 1]!;
    const c2 = src[i + 2]!;
    if ((c1 & 0xc0) !== 0x80 || (c2 & 0xc0) !== 0x80) return 0;
    const cp = ((c & 0x0f) << 12) | ((c1 & 0x3f) << 6) | (c2 & 0x3f);
    return cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff) ? 3 : 0;
  }
  if (c >= 0xf5 || i + 3 >= to) return 0;
  const c1 = src[i + 1]!;
  const c2 = src[i + 2]!;
  const c3 = src[i + 3]!;
  if ((c1 & 0xc0) !== 0x80 || (c2 & 0xc0) !== 0x80 || (c3 & 0xc0) !== 0x80) return 0;
  const cp = ((c & 0x07) << 18) | ((c1 & 0x3f) << 12) | ((c2 & 0x3f) << 6) | (c3 & 0x3f);
  return cp >= 0x10000 && cp <= 0x10ffff ? 4 : 0;
}

const decoder = new TextDecoder();

/** The text of everything written (valid UTF-8 by construction). */
export function decodeOut(o: TextOut): string {
  const text = decoder.decode(o.buf.subarray(0, o.pos));
  if (text.length !== o.index) {
    throw new Error(`TextOut decoded to ${text.length} UTF-16 units, expected ${o.index}`);
  }
  return text;
}
