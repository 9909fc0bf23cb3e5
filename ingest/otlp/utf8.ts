/**
 * Validating UTF-8 decoding tuned for OTLP's many short strings (attribute keys, names, ids of
 * services): a JavaScript loop is about three times faster than `TextDecoder` below a few hundred
 * bytes, where the native call's fixed cost dominates.
 *
 * @module
 */

/** Longer strings go to the native decoder, whose fixed cost is then paid off. */
const NATIVE_FROM_BYTES = 256;
const fatalDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Whether the last string returned by `decodeUtf8` needs no escaping inside JSON quotes (no
 * control character, quote or backslash), so that `"` + text + `"` is its JSON text. Set by each
 * call; read it before the next one.
 */
export let lastStringIsPlainJson = true;

/**
 * The text of `bytes[from, to)`, or undefined when it is not valid UTF-8 (overlong forms,
 * surrogates and code points past U+10FFFF included). A BOM is kept, as protobuf does.
 */
export function decodeUtf8(bytes: Uint8Array, from: number, to: number): string | undefined {
  if (to - from > NATIVE_FROM_BYTES) {
    lastStringIsPlainJson = false;
    try {
      return fatalDecoder.decode(bytes.subarray(from, to));
    } catch {
      return undefined;
    }
  }
  // ASCII (nearly every key and most values): one scan, then one native call.
  let plain = true;
  let i = from;
  for (; i < to; i++) {
    const c = bytes[i]!;
    if (c >= 0x80) break;
    if (c < 0x20 || c === 0x22 || c === 0x5c) plain = false;
  }
  lastStringIsPlainJson = plain;
  if (i === to) {
    return String.fromCharCode.apply(null, bytes.subarray(from, to) as unknown as number[]);
  }
  return decodeMultibyte(bytes, from, to);
}

/** Code units of the string being decoded (a string of n bytes has at most n units). */
const units = new Uint16Array(NATIVE_FROM_BYTES);

function decodeMultibyte(bytes: Uint8Array, from: number, to: number): string | undefined {
  let plain = true;
  let n = 0;
  let i = from;
  while (i < to) {
    const c = bytes[i++]!;
    if (c < 0x80) {
      if (c < 0x20 || c === 0x22 || c === 0x5c) plain = false;
      units[n++] = c;
      continue;
    }
    if (c < 0xc2) return undefined; // continuation byte or overlong 2-byte lead
    if (c < 0xe0) {
      if (i >= to) return undefined;
      const c1 = bytes[i++]!;
      if ((c1 & 0xc0) !== 0x80) return undefined;
      units[n++] = ((c & 0x1f) << 6) | (c1 & 0x3f);
      continue;
    }
    if (c < 0xf0) {
      if (i + 1 >= to) return undefined;
      const c1 = bytes[i]!;
      const c2 = bytes[i + 1]!;
      i += 2;
      if ((c1 & 0xc0) !== 0x80 || (c2 & 0xc0) !== 0x80) return undefined;
      const cp = ((c & 0x0f) << 12) | ((c1 & 0x3f) << 6) | (c2 & 0x3f);
      if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
      units[n++] = cp;
      continue;
    }
    if (c > 0xf4 || i + 2 >= to) return undefined;
    const c1 = bytes[i]!;
    const c2 = bytes[i + 1]!;
    const c3 = bytes[i + 2]!;
    i += 3;
    if ((c1 & 0xc0) !== 0x80 || (c2 & 0xc0) !== 0x80 || (c3 & 0xc0) !== 0x80) return undefined;
    const cp = ((c & 0x07) << 18) | ((c1 & 0x3f) << 12) | ((c2 & 0x3f) << 6) | (c3 & 0x3f);
    if (cp < 0x10000 || cp > 0x10ffff) return undefined;
    units[n++] = 0xd800 + ((cp - 0x10000) >> 10);
    units[n++] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
  }
  lastStringIsPlainJson = plain;
  return String.fromCharCode.apply(null, units.subarray(0, n) as unknown as number[]);
}
