import assert from "node:assert/strict";
import { prefixOf } from "./text_prefix.ts";
import { escapeText, unescapeText } from "./text_escape.ts";

Deno.test("prefixOf() keeps text that fits and cuts longer text at its width", () => {
  assert.equal(prefixOf("checkout", 8), "checkout");
  assert.equal(prefixOf("checkout", 5), "check");
  assert.equal(prefixOf("", 5), "");
});

Deno.test("prefixOf() never ends in half of a surrogate pair or of a NUL escape", () => {
  // "ab" then 😀 (two UTF-16 units): a cut after its first unit drops it whole.
  assert.equal(prefixOf("ab\u{1F600}c", 3), "ab");
  assert.equal(prefixOf("ab\u{1F600}c", 4), "ab\u{1F600}");
  // NUL is stored as U+E000 "0", U+E000 as U+E000 U+E000 (text_escape.ts).
  const stored = escapeText("ab\u0000c");
  assert.equal(prefixOf(stored, 3), "ab");
  assert.equal(unescapeText(prefixOf(stored, 4)), "ab\u0000");
  const escapes = escapeText("a\uE000\uE000");
  assert.equal(escapes, "a\uE000\uE000\uE000\uE000");
  assert.equal(prefixOf(escapes, 4), "a\uE000\uE000");
  assert.equal(prefixOf(escapes, 3), "a\uE000\uE000");
  assert.equal(prefixOf(escapes, 2), "a");
  assert.equal(prefixOf("\uE0000", 1), "");
});
