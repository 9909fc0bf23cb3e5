import assert from "node:assert/strict";
import { escapeText, unescapeText } from "./text_escape.ts";

Deno.test("escapeText() keeps text without NUL or U+E000 as it is, and unescapeText() undoes it", () => {
  for (const text of ["", "GET /orders", "ünïcödé ✓ 😀", "a\\0b", "E000", "\uE001"]) {
    assert.equal(escapeText(text), text);
    assert.equal(unescapeText(text), text);
  }
  const cases: [string, string][] = [
    ["\u0000", "\uE0000"],
    ["a\u0000b", "a\uE0000b"],
    ["\uE000", "\uE000\uE000"],
    ["\uE0000", "\uE000\uE0000"],
    ["\u0000\uE000\u0000", "\uE0000\uE000\uE000\uE0000"],
  ];
  for (const [sent, stored] of cases) {
    assert.equal(escapeText(sent), stored, JSON.stringify(sent));
    assert.equal(unescapeText(stored), sent, JSON.stringify(stored));
    assert.ok(!escapeText(sent).includes("\u0000"));
  }
  // Round trips of every mix of the three characters up to length 6.
  const alphabet = ["\u0000", "\uE000", "0", "x"];
  const all = (n: number): string[] =>
    n === 0 ? [""] : all(n - 1).flatMap((s) => alphabet.map((c) => s + c));
  const seen = new Set<string>();
  for (let n = 0; n <= 6; n++) {
    for (const text of all(n)) {
      const stored = escapeText(text);
      assert.equal(unescapeText(stored), text);
      assert.ok(!stored.includes("\u0000"));
      seen.add(stored);
    }
  }
  // Distinct texts stay distinct.
  assert.equal(seen.size, (4 ** 7 - 1) / 3);
});
