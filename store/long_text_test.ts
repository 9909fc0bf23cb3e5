import assert from "node:assert/strict";
import { fitColumns, LOG_WIDTHS, prefixOf, SPAN_WIDTHS, wholeText } from "./long_text.ts";
import { escapeText, unescapeText } from "./text_escape.ts";
import { buildLog, buildResource, buildSpan } from "../tests/builders.ts";
import { COLUMN_WIDTHS } from "./columns.ts";

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

Deno.test("fitColumns() cuts each long field to its column and keeps it whole in longText", () => {
  const resource = buildResource("checkout");
  const name = "n".repeat(COLUMN_WIDTHS.name) + " and more";
  const version = "v".repeat(COLUMN_WIDTHS.scopeVersion + 1);
  const span = buildSpan(resource, { name, scopeVersion: version, scopeName: "short" });
  assert.equal(fitColumns(span, SPAN_WIDTHS, 1 << 20), undefined);
  assert.equal(span.name, "n".repeat(COLUMN_WIDTHS.name));
  assert.equal(span.scopeVersion, "v".repeat(COLUMN_WIDTHS.scopeVersion));
  assert.equal(span.scopeName, "short");
  assert.deepEqual(JSON.parse(span.longText), { name, scopeVersion: version });
  const whole = wholeText(span);
  assert.equal(whole("name"), name);
  assert.equal(whole("scopeVersion"), version);
  assert.equal(whole("scopeName"), "short");

  // Fitting again changes nothing (the store screens what ingest screened).
  const once = { ...span };
  assert.equal(fitColumns(span, SPAN_WIDTHS, 1 << 20), undefined);
  assert.deepEqual(span, once);
});

Deno.test("fitColumns() leaves a row whose texts fit as it is, its longText empty", () => {
  const log = buildLog(buildResource("checkout"), {
    severityText: "WARN",
    eventName: "checkout.done",
  });
  const before = { ...log };
  assert.equal(fitColumns(log, LOG_WIDTHS, 1 << 20), undefined);
  assert.deepEqual(log, before);
  assert.equal(log.longText, "");
  assert.equal(wholeText(log)("severityText"), "WARN");
});

Deno.test("fitColumns() refuses long texts that together pass the byte limit, naming them", () => {
  const log = buildLog(buildResource("checkout"), {
    severityText: "s".repeat(700),
    eventName: "e".repeat(1_500),
  });
  assert.equal(
    fitColumns(log, LOG_WIDTHS, 2_048),
    "severity text, event name longer than their columns must together take at most 2048 " +
      "bytes (MAX_FIELD_BYTES): they take 2234",
  );
});
