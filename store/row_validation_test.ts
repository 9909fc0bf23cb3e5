import assert from "node:assert/strict";
import { logProblem, metricPointProblem, spanProblem } from "./row_validation.ts";
import type { MetricPointRow } from "./metric_types.ts";
import { buildBatch } from "../tests/builders.ts";

const limits = { maxFieldBytes: 1_048_576 };

Deno.test("spanProblem() takes ids of exactly 32 and 16 lower-case hex digits, and nothing else", () => {
  const span = buildBatch(1, 0).spans[0]!;
  assert.equal(spanProblem({ ...span, parentSpanId: "" }, limits), undefined);
  assert.equal(spanProblem({ ...span, traceId: "0123456789abcdef".repeat(2) }, limits), undefined);
  const refused = [
    "0123456789ABCDEF0123456789abcdef", // upper case
    "0123456789abcdef0123456789abcde", // 31
    "0123456789abcdef0123456789abcdef0", // 33
    "0123456789abcdeg0123456789abcdef", // g
    "0123456789abcde 0123456789abcdef",
    // A code unit above 255 whose low byte is a digit ("İ" is U+0130) or a letter (U+0161).
    "0123456789abcde\u01300123456789abcdef",
    "0123456789abcde\u01610123456789abcdef",
    "",
  ];
  for (const traceId of refused) {
    assert.match(
      spanProblem({ ...span, traceId }, limits) ?? "",
      /^trace_id must be 32 lower-case hex characters: current value is /,
      JSON.stringify(traceId),
    );
  }
  for (const spanId of ["0123456789ABCDEF", "0123456789abcde", "0123456789abcdef0", ""]) {
    assert.match(
      spanProblem({ ...span, spanId }, limits) ?? "",
      /^span_id must be 16 lower-case hex characters: current value is /,
    );
  }
  assert.match(
    spanProblem({ ...span, parentSpanId: "0123456789abcdeX" }, limits) ?? "",
    /^parent_span_id must be 16 lower-case hex characters or empty: current value is /,
  );
});

Deno.test("logProblem() takes empty trace and span ids, or hex ones of the right length", () => {
  const log = buildBatch(0, 1).logs[0]!;
  assert.equal(logProblem({ ...log, traceId: "", spanId: "" }, limits), undefined);
  assert.equal(logProblem(log, limits), undefined);
  assert.match(
    logProblem({ ...log, spanId: "0123456789abcdeF" }, limits) ?? "",
    /^span_id must be 16 lower-case hex characters or empty/,
  );
  assert.match(logProblem({ ...log, id: "x" }, limits) ?? "", /^log id must be 32 lower-case hex/);
});

Deno.test("metricPointProblem() names each text of a point past the store's limits", () => {
  const point: MetricPointRow = {
    pointKey: "0".repeat(32),
    seriesKey: "1".repeat(32),
    instrumentKey: "2".repeat(32),
    instrument: {
      key: "2".repeat(32),
      resourceId: "3".repeat(32),
      serviceName: "checkout",
      scopeName: "meter",
      scopeVersion: "1.0",
      scopeAttributes: "[]",
      scopeSchemaUrl: "https://opentelemetry.io/schemas/1.37.0",
      scopeDroppedAttributesCount: 2,
      name: "orders",
      description: "Orders placed",
      unit: "1",
      type: "sum",
      temporality: "cumulative",
      monotonic: true,
      longText: "",
    },
    attributes: '{"outcome":"ok"}',
    droppedAttributesCount: 0,
    startTimeUnixNano: 1n,
    timeUnixNano: 2n,
    flags: 0,
    value: { kind: "int", value: 3n },
    exemplars: [],
  };
  assert.equal(metricPointProblem(point, limits), undefined);
  const small = { maxFieldBytes: 64 };
  assert.equal(
    metricPointProblem({
      ...point,
      instrument: { ...point.instrument, scopeName: "s".repeat(65), description: "é".repeat(40) },
      attributes: `{"k":"${"v".repeat(70)}"}`,
    }, small),
    "scope name must be at most 64 bytes: it has 65; metric description must be at most " +
      "64 bytes: it has 80; attributes must be at most 64 bytes: it has 78",
  );
  // The scope's schema URL and dropped count, as a span's or record's.
  assert.equal(
    metricPointProblem({
      ...point,
      instrument: {
        ...point.instrument,
        scopeSchemaUrl: "u".repeat(65),
        scopeDroppedAttributesCount: -1,
      },
    }, small),
    "scope schema URL must be at most 64 bytes: it has 65; scope dropped attributes count must be " +
      "an integer from 0 to 2147483647: current value is -1",
  );
});
