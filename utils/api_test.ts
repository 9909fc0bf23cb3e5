import assert from "node:assert/strict";
import { ApiError, apiUrl, errorSentence } from "./api.ts";

Deno.test("apiUrl() leaves out empty parameters", () => {
  assert.equal(
    apiUrl("/api/logs", { service: "a b", limit: 5, search: "", trace_id: null }),
    "/api/logs?service=a+b&limit=5",
  );
  assert.equal(apiUrl("/api/health"), "/api/health");
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
