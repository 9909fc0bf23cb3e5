import assert from "node:assert/strict";
import { logCursor, parseLogCursor } from "./log_cursor.ts";

const ID = "0195d1c2a3b4c5d6e7f8091a2b3c4d5e";

Deno.test("logCursor() names a record by its time and id, and parseLogCursor() reads it back", () => {
  const cursor = logCursor({ listed_time_unix_nano: "1795687200000000001", id: ID });
  assert.equal(cursor, `1795687200000000001_${ID}`);
  assert.deepEqual(parseLogCursor(cursor), {
    listed_time_unix_nano: "1795687200000000001",
    id: ID,
  });
});

Deno.test("parseLogCursor() lower-cases the id and drops leading zeros of the time", () => {
  assert.deepEqual(parseLogCursor(`007_${ID.toUpperCase()}`), {
    listed_time_unix_nano: "7",
    id: ID,
  });
});

Deno.test("parseLogCursor() refuses what is not a cursor", () => {
  for (
    const text of [
      "",
      ID,
      "1795687200000000000",
      `1795687200000000000-${ID}`,
      `1795687200000000000_${ID.slice(1)}`,
      `1795687200000000000_${ID}0`,
      `-1_${ID}`,
      `1.5_${ID}`,
      `9223372036854775808_${ID}`,
      `1795687200000000000_${"g".repeat(32)}`,
    ]
  ) {
    assert.equal(parseLogCursor(text), undefined, text);
  }
  assert.ok(parseLogCursor(`9223372036854775807_${ID}`));
});
