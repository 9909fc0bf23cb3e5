import assert from "node:assert/strict";
import { errorMessage } from "./errors.ts";

Deno.test("errorMessage() gives an Error's message and anything else as text", () => {
  assert.equal(errorMessage(new TypeError("bad input")), "bad input");
  assert.equal(errorMessage("plain"), "plain");
  assert.equal(errorMessage(42), "42");
  assert.equal(errorMessage(undefined), "undefined");
});
