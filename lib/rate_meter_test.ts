import assert from "node:assert/strict";
import { RateMeter } from "./rate_meter.ts";

Deno.test("RateMeter averages over its window and forgets what is older", () => {
  let now = 1_000_000;
  const meter = new RateMeter(60, () => now);
  meter.mark(600);
  assert.equal(meter.perSecond(), 10);
  now += 30_000;
  meter.mark(300);
  assert.equal(meter.perSecond(), 15);
  now += 31_000; // the first 600 are now older than 60 s
  assert.equal(meter.perSecond(), 5);
  now += 120_000;
  assert.equal(meter.perSecond(), 0);
});
