import assert from "node:assert/strict";
import { errorSentence, formatAgo } from "./auto_refresh.ts";
import { ApiError } from "../../utils/api.ts";

Deno.test("formatAgo() says how long ago in seconds, minutes or hours", () => {
  assert.equal(formatAgo(0), "just now");
  assert.equal(formatAgo(-3000), "just now"); // the server's clock ahead of the browser's
  assert.equal(formatAgo(4999), "just now");
  assert.equal(formatAgo(12_400), "12 s ago");
  assert.equal(formatAgo(185_000), "3 min ago");
  assert.equal(formatAgo(7_300_000), "2 h ago");
});

Deno.test("errorSentence() shows the API's own sentence, and says when Argus is unreachable", () => {
  const sentence =
    `Cannot use 'range' as it must be one of 5m, 15m, 1h, 6h, 24h: current value is "7d"`;
  assert.equal(errorSentence(new ApiError(400, sentence)), sentence);
  assert.equal(
    errorSentence(new TypeError("Failed to fetch")),
    "Cannot reach Argus: Failed to fetch",
  );
  assert.equal(errorSentence("odd"), "odd");
});
