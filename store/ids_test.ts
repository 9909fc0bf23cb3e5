import assert from "node:assert/strict";
import { fastHash128, logId, RequestLogIds, resourceId } from "./ids.ts";
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
  // serviceName is part of the resource, which resourceId identifies; the scope's schema URL and
  // dropped count, `timeUnset` (the time sent is, as 0) and `longText` (the whole text of fields
  // that are themselves part of it) are not part of a record's identity.
  const outside = [
    "serviceName",
    "scopeSchemaUrl",
    "scopeDroppedAttributesCount",
    "timeUnset",
    "longText",
  ];
  for (const [key, value] of Object.entries(fields).filter(([k]) => !outside.includes(k))) {
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

Deno.test("fastHash128() and log ids are frozen: stored ids must never change", () => {
  // Computed by the first version of fastHash128 (as of commit f7bc23f); databases hold these ids, so a
  // faster implementation must give exactly the same ones.
  const pinned: [string[], string][] = [
    [[], "027ae52ecfc796215593990d4b41437c"],
    [[""], "6fbc182f6020d1711f41c9589f93023a"],
    [["a"], "3e2c7c8458689a00b28a3eef93628da2"],
    [["ab"], "f2ddf32d85b75cc2495b33fefc9521fe"],
    [["abc"], "f25a40e2c0fbd3dd6a71b7ac5365d912"],
    [["ab", "c"], "75c09461549b7c3d26720bb9d827b907"],
    [["a", "bc"], "a13c80c199131902ba692e649fffddf0"],
    [["é", "日本語", "😀x"], "843f3235e5a9d397178f023000f0cd7f"],
    [["\uD83D"], "3cd5ad026212135fd4d0df683a450e1a"],
    [["x".repeat(1001)], "4abdae3e6d8a71ffb03d82e78e3b0313"],
    [["order 0 accepted", "1796534166826000000", "9", "INFO"], "2a359ad9b0b63dc44dafffb621d5e6a9"],
  ];
  for (const [parts, id] of pinned) assert.equal(fastHash128(parts), id, JSON.stringify(parts));
  const log = {
    resourceId: "b0f52c146fc34d698c10508d3ad54661",
    scopeName: "bench",
    scopeVersion: "1.0.0",
    scopeAttributes: "{}",
    timeUnixNano: 1796534166826000000n,
    observedTimeUnixNano: 1796534166826000001n,
    severityNumber: 9,
    severityText: "INFO",
    bodyType: "string" as const,
    body: "order 0 accepted for customer 0 with 0 items",
    eventName: "",
    traceId: "6b110be9ba3bf86075dc04ca70dc68b7",
    spanId: "8c4017cb3e6fb567",
    flags: 1,
    serviceName: "svc",
    attributes: '{"http.request.method":"POST","n":200}',
    droppedAttributesCount: 0,
    scopeSchemaUrl: "",
    scopeDroppedAttributesCount: 0,
    longText: "",
    timeUnset: false,
  };
  assert.equal(logId(log), "e2d52aade2323407e18029a5af2e886d");
  // The scope's schema URL and dropped count (kept since issue 19) are not part of the identity.
  assert.equal(
    logId({ ...log, scopeSchemaUrl: "https://opentelemetry.io/schemas/1.37.0" }),
    "e2d52aade2323407e18029a5af2e886d",
  );
  assert.equal(
    logId({ ...log, observedTimeUnixNano: log.timeUnixNano }),
    "28cc5ae97b3a8a8e6aa7bbc0f8d43478",
  );
  const ids = new RequestLogIds();
  assert.deepEqual([ids.next(log), ids.next(log), ids.next(log)], [
    "e2d52aade2323407e18029a5af2e886d",
    "5d50cc392fd5b629a00a19ee7463b017",
    "b933911726a29476bb4eeeabf4d97e8f",
  ]);
  assert.equal(
    resourceId({
      serviceName: "svc",
      attributes: '{"service.name":"svc"}',
      droppedAttributesCount: 0,
      schemaUrl: "",
      entityRefs: "",
    }),
    "85078f25b6027ce0f27020a36b2101f4",
  );
  // Entity refs, when there are some, make another resource.
  assert.notEqual(
    resourceId({
      serviceName: "svc",
      attributes: '{"service.name":"svc"}',
      droppedAttributesCount: 0,
      schemaUrl: "",
      entityRefs:
        '[{"type":"service","id_keys":["service.name"],"description_keys":[],"schema_url":""}]',
    }),
    "85078f25b6027ce0f27020a36b2101f4",
  );
});

/** fastHash128 as first written (the definition of stored log ids), kept to check rewrites. */
function referenceHash128(parts: readonly string[]): string {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (const part of parts) {
    const n = part.length;
    for (let i = 0; i < n; i += 2) {
      const k = part.charCodeAt(i) | ((i + 1 < n ? part.charCodeAt(i + 1) : 0) << 16);
      h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
      h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
      h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
      h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
    }
    const k = n ^ 0x5bd1e995;
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  const hex8 = (h: number) => (h >>> 0).toString(16).padStart(8, "0");
  return hex8(h1) + hex8(h2) + hex8(h3) + hex8(h4);
}

Deno.test("fastHash128() equals its first definition over random text of any UTF-16 units", () => {
  const rand = random(3);
  for (let n = 0; n < 3_000; n++) {
    const parts = Array.from({ length: Math.floor(rand() * 6) }, () => {
      const length = Math.floor(rand() * 40);
      // Mostly ASCII, sometimes any unit (lone surrogates included).
      return String.fromCharCode(
        ...Array.from({ length }, () => rand() < 0.8 ? 32 + rand() * 95 : rand() * 0x10000),
      );
    });
    assert.equal(fastHash128(parts), referenceHash128(parts), JSON.stringify(parts));
  }
});
