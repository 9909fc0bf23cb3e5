import assert from "node:assert/strict";
import { fitColumns, LOG_WIDTHS, SPAN_WIDTHS, wholeText } from "./long_text.ts";
import { buildLog, buildResource, buildSpan } from "../tests/builders.ts";
import { COLUMN_WIDTHS } from "./columns.ts";

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
