import assert from "node:assert/strict";
import {
  LOG_COLUMNS,
  logToDb,
  pushLogValues,
  pushSpanValues,
  SPAN_COLUMNS,
  spanToDb,
  type SqlValue,
} from "./columns.ts";
import { buildBatch } from "../tests/builders.ts";

const asString = (value: bigint) => value.toString();

Deno.test("pushSpanValues() writes spanToDb()'s values in SPAN_COLUMNS order", () => {
  const batch = buildBatch(20, 0);
  // An end before the start (duration 0) and flags past 2^31 as well.
  batch.spans[1]!.endTimeUnixNano = batch.spans[1]!.startTimeUnixNano - 5n;
  batch.spans[2]!.flags = 2 ** 32 - 1;
  for (const int64 of [(v: bigint) => v, asString]) {
    const out: SqlValue[] = [];
    for (const span of batch.spans) pushSpanValues(out, span, int64);
    const expected = batch.spans.flatMap((span) => {
      const row = spanToDb(span, int64);
      assert.deepEqual(Object.keys(row), SPAN_COLUMNS);
      return Object.values(row);
    });
    assert.deepEqual(out, expected);
  }
});

Deno.test("pushLogValues() writes logToDb()'s values in LOG_COLUMNS order", () => {
  const batch = buildBatch(0, 20);
  batch.logs[3]!.flags = 2 ** 32 - 1;
  for (const int64 of [(v: bigint) => v, asString]) {
    const out: SqlValue[] = [];
    for (const log of batch.logs) pushLogValues(out, log, int64);
    const expected = batch.logs.flatMap((log) => {
      const row = logToDb(log, int64);
      assert.deepEqual(Object.keys(row), LOG_COLUMNS);
      return Object.values(row);
    });
    assert.deepEqual(out, expected);
  }
});
