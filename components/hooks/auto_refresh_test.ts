import assert from "node:assert/strict";
import { formatAgo } from "./auto_refresh.ts";

Deno.test("formatAgo() says how long ago in seconds, minutes or hours", () => {
  assert.equal(formatAgo(0), "just now");
  assert.equal(formatAgo(-3000), "just now"); // the server's clock ahead of the browser's
  assert.equal(formatAgo(4999), "just now");
  assert.equal(formatAgo(12_400), "12 s ago");
  assert.equal(formatAgo(185_000), "3 min ago");
  assert.equal(formatAgo(7_300_000), "2 h ago");
});
