import assert from "node:assert/strict";
import { fastHash128, logId, RequestLogIds } from "./ids.ts";
import { buildLog, buildResource, random } from "../tests/builders.ts";

Deno.test("fastHash128() is 32 hex characters, stable, and tells parts apart", () => {
  const a = fastHash128(["ab", "c"]);
  assert.match(a, /^[0-9a-f]{32}$/);
  assert.equal(fastHash128(["ab", "c"]), a);
  assert.notEqual(fastHash128(["a", "bc"]), a);
  assert.notEqual(fastHash128(["abc"]), a);
  assert.notEqual(fastHash128(["ab", "c", ""]), a);
});

Deno.test("fastHash128() has no collision over 200,000 near-identical inputs", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200_000; i++) seen.add(fastHash128(["order accepted", String(i), "INFO"]));
  assert.equal(seen.size, 200_000);
});

Deno.test("logId() changes with every field of the record", () => {
  const rand = random(1);
  const log = buildLog(buildResource("svc"), {}, rand);
  const { id, ...fields } = log;
  assert.equal(logId(fields), id);
  // serviceName is part of the resource, which resourceId identifies.
  for (const [key, value] of Object.entries(fields).filter(([k]) => k !== "serviceName")) {
    const changed = typeof value === "bigint"
      ? value + 1n
      : typeof value === "number"
      ? value + 1
      : `${value}x`;
    assert.notEqual(logId({ ...fields, [key]: changed }), id, key);
  }
});

Deno.test("RequestLogIds gives a record its logId, and each repeat of it in the request its own id", () => {
  const rand = random(2);
  const { id: _, ...fields } = buildLog(buildResource("svc"), {}, rand);
  const { id: __, ...other } = buildLog(buildResource("svc"), {}, rand);
  const request = [fields, other, fields, fields];
  const ids = new RequestLogIds();
  const first = request.map((log) => ids.next(log));
  assert.equal(first[0], logId(fields));
  assert.equal(first[1], logId(other));
  assert.equal(new Set(first).size, 4);
  // The same request again (a retry) gets the same ids.
  const retry = new RequestLogIds();
  assert.deepEqual(request.map((log) => retry.next(log)), first);
});
