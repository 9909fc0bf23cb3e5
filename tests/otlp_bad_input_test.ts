/**
 * Bad input at the OTLP/HTTP receiver: every refusal names its problem, and valid neighbours of
 * an invalid item are stored.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { createStore, type Store } from "../store/mod.ts";
import { startArgus } from "./argus_process.ts";
import { TRACE_SERVICE } from "../ingest/grpc_gateway.ts";
import { databaseConfig } from "./databases.ts";
import {
  jsonLogs,
  jsonSpans,
  logsRequest,
  postJson,
  stringAttribute,
  traceRequest,
} from "./otlp_payloads.ts";

const ALL = { startNs: 0n, endNs: (1n << 63n) - 1n };

Deno.test("the OTLP/HTTP receiver refuses bad input clearly and keeps every valid item", async (t) => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-bad-input-" });
  const argus = await startArgus({
    FLUSH_INTERVAL: "10ms",
    MAX_REQUEST_BYTES: "256KiB",
    MAX_FIELD_BYTES: "4KiB",
    MAX_ATTRIBUTES: "4",
    MAX_VALUE_DEPTH: "3",
    HTTP_BODY_TIMEOUT: "1s",
  }, cwd);
  const store: Store = await createStore(databaseConfig("sqlite", `${cwd}/data/argus.db`), {
    dataDir: cwd,
  });
  const url = argus.otlpHttpUrl;
  try {
    await t.step(
      "an undecodable JSON body is a 400 with a google.rpc.Status naming the problem",
      async () => {
        const answer = await postJson(url, "traces", "{not json");
        assert.equal(answer.status, 400);
        assert.equal(answer.body.code, 3);
        assert.match(String(answer.body.message), /^The request cannot be decoded: /);
      },
    );

    await t.step("an undecodable protobuf body is a 400 with a protobuf Status", async () => {
      const response = await fetch(`${url}/v1/logs`, {
        method: "POST",
        headers: { "content-type": "application/x-protobuf" },
        body: new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]),
      });
      assert.equal(response.status, 400);
      assert.equal(response.headers.get("content-type"), "application/x-protobuf");
      const body = new Uint8Array(await response.arrayBuffer());
      assert.equal(body[0], 0x08); // Status.code
      assert.equal(body[1], 3); // INVALID_ARGUMENT
      assert.match(new TextDecoder().decode(body.subarray(4)), /cannot be decoded/);
    });

    await t.step(
      "an unknown content type or encoding is a 415 naming what is accepted",
      async () => {
        const wrongType = await postJson(url, "traces", "{}", { "content-type": "text/plain" });
        assert.equal(wrongType.status, 415);
        assert.match(
          String(wrongType.body.message),
          /^Content-Type must be application\/x-protobuf or application\/json: current value is "text\/plain"$/,
        );
        const wrongEncoding = await postJson(url, "traces", "{}", { "content-encoding": "br" });
        assert.equal(wrongEncoding.status, 415);
        assert.match(
          String(wrongEncoding.body.message),
          /^Content-Encoding must be gzip or identity: current value is "br"$/,
        );
      },
    );

    await t.step("GET and unknown paths are refused", async () => {
      assert.equal((await fetch(`${url}/v1/traces`)).status, 405);
      const missing = await postJson(url, "nothing" as "traces", {});
      assert.equal(missing.status, 404);
    });

    await t.step("a gzip body is accepted and answered in the request's format", async () => {
      const spans = jsonSpans(3, 101);
      const response = await fetch(`${url}/v1/traces`, {
        method: "POST",
        headers: { "content-type": "application/json", "content-encoding": "gzip" },
        body: gzipSync(JSON.stringify(traceRequest(spans, "gzip-service"))),
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "application/json");
      assert.deepEqual(await response.json(), {});
      assert.equal(await store.countSpans({ ...ALL, serviceName: "gzip-service" }), 3);
    });

    await t.step("a gzip bomb is cut off at MAX_REQUEST_BYTES after decompression", async () => {
      // 64 MiB of zeros compress to about 64 KiB: under the limit as sent, far over it inflated.
      const bomb = gzipSync(new Uint8Array(64 * 1_048_576));
      assert.ok(bomb.byteLength < 256 * 1024);
      const response = await fetch(`${url}/v1/traces`, {
        method: "POST",
        headers: { "content-type": "application/json", "content-encoding": "gzip" },
        body: bomb,
      });
      assert.equal(response.status, 413);
      assert.match(
        (await response.json()).message,
        /^The request body after decompression is larger than MAX_REQUEST_BYTES \(262144 bytes\)$/,
      );
    });

    await t.step("a body over MAX_REQUEST_BYTES is a 413", async () => {
      const big = JSON.stringify(traceRequest(jsonSpans(1, 1))).padEnd(300 * 1024, " ");
      const answer = await postJson(url, "traces", big);
      assert.equal(answer.status, 413);
      assert.match(String(answer.body.message), /MAX_REQUEST_BYTES \(262144 bytes\)/);
    });

    await t.step(
      "invalid spans are rejected one by one as partial success; neighbours stored",
      async () => {
        const spans = jsonSpans(7, 202);
        spans[1]!.traceId = "abc"; // wrong length
        spans[2]!.spanId = "0000000000000000"; // all zeros
        spans[3]!.name = "n".repeat(4097); // over MAX_FIELD_BYTES (a name wider than its column is kept)
        spans[4]!.attributes = [stringAttribute("big", "x".repeat(5000))]; // over MAX_FIELD_BYTES
        spans[5]!.attributes = [{
          key: "deep",
          value: {
            arrayValue: {
              values: [{
                arrayValue: {
                  values: [{ arrayValue: { values: [{ arrayValue: { values: [] } }] } }],
                },
              }],
            },
          },
        }]; // deeper than MAX_VALUE_DEPTH
        const answer = await postJson(url, "traces", traceRequest(spans, "partial-service"));
        assert.equal(answer.status, 200);
        const partial = answer.body.partialSuccess as {
          rejectedSpans: string;
          errorMessage: string;
        };
        assert.equal(Number(partial.rejectedSpans), 5);
        // Each reason after its span's index in the request, in the request's order.
        assert.match(
          partial.errorMessage,
          new RegExp(
            "^5 spans rejected: span 1: [^;]*trace_id[^;]*; span 2: [^;]*all zero[^;]*; " +
              "span 3: span name must be at most 4096 bytes[^;]*; span 4: [^;]*at most 4096 bytes[^;]*; " +
              "span 5: [^;]*(depth|deep|nest)[^;]*$",
          ),
        );
        const stored = await store.spans({ ...ALL, serviceName: "partial-service" }, {
          limit: 100,
          offset: 0,
        });
        assert.deepEqual(
          stored.map((s) => s.spanId).sort(),
          [spans[0]!.spanId, spans[6]!.spanId].sort(),
        );
      },
    );

    await t.step("invalid log records are rejected one by one; neighbours stored", async () => {
      const logs = jsonLogs(4, 303);
      logs[1]!.traceId = "1234";
      logs[2]!.body = { stringValue: "b".repeat(5000) }; // over MAX_FIELD_BYTES
      const answer = await postJson(url, "logs", logsRequest(logs, "partial-logs"));
      assert.equal(answer.status, 200);
      const partial = answer.body.partialSuccess as {
        rejectedLogRecords: string;
        errorMessage: string;
      };
      assert.equal(Number(partial.rejectedLogRecords), 2);
      assert.match(
        partial.errorMessage,
        /^2 log records rejected: log record 1: [^;]*trace_id[^;]*; log record 2: [^;]*4096 bytes[^;]*$/,
      );
      assert.equal(await store.countLogs({ ...ALL, serviceName: "partial-logs" }), 2);
    });

    await t.step(
      "each reason names its item by its index in the request, across resources and scopes",
      async () => {
        // Items 0-2 in resource 0 scope 0, 3-4 in resource 0 scope 1, 5-6 in resource 1 scope 0.
        const request = (kind: "spans" | "logs", items: unknown[], service: string) => {
          const [resources, scopes, list] = kind === "spans"
            ? ["resourceSpans", "scopeSpans", "spans"]
            : ["resourceLogs", "scopeLogs", "logRecords"];
          const resource = { attributes: [stringAttribute("service.name", service)] };
          return {
            [resources]: [
              {
                resource,
                [scopes]: [
                  { scope: { name: "first" }, [list]: items.slice(0, 3) },
                  { scope: { name: "second" }, [list]: items.slice(3, 5) },
                ],
              },
              { resource, [scopes]: [{ scope: { name: "third" }, [list]: items.slice(5) }] },
            ],
          };
        };

        // Span 2 is refused by the store's rules (its name is too long), span 5 while decoding (its
        // trace_id): the store's refusal, checked later, still comes first, as in the request.
        const spans = jsonSpans(7, 505);
        spans[2]!.name = "n".repeat(4097);
        spans[5]!.traceId = "abc";
        const traces = await postJson(url, "traces", request("spans", spans, "indexed-spans"));
        assert.equal(traces.status, 200);
        const tracesPartial = traces.body.partialSuccess as Record<string, string>;
        assert.equal(Number(tracesPartial.rejectedSpans), 2);
        assert.equal(
          tracesPartial.errorMessage,
          "2 spans rejected: span 2: span name must be at most 4096 bytes: it has 4097; " +
            "span 5: resourceSpans[1].scopeSpans[0].spans[0]: trace_id must be 32 hex " +
            'characters: got "abc"',
        );
        assert.equal(await store.countSpans({ ...ALL, serviceName: "indexed-spans" }), 5);

        const logs = jsonLogs(7, 606);
        logs[4]!.body = { stringValue: "b".repeat(5000) };
        logs[0]!.spanId = "12";
        const answer = await postJson(url, "logs", request("logs", logs, "indexed-logs"));
        assert.equal(answer.status, 200);
        const logsPartial = answer.body.partialSuccess as Record<string, string>;
        assert.equal(Number(logsPartial.rejectedLogRecords), 2);
        assert.equal(
          logsPartial.errorMessage,
          "2 log records rejected: log record 0: resourceLogs[0].scopeLogs[0].logRecords[0]: " +
            'span_id must be 16 hex characters or empty: got "12"; ' +
            "log record 4: body must be at most 4096 bytes: it has 5000",
        );
        assert.equal(await store.countLogs({ ...ALL, serviceName: "indexed-logs" }), 5);
      },
    );

    await t.step(
      "attributes beyond MAX_ATTRIBUTES are dropped and counted, not rejected",
      async () => {
        const [span] = jsonSpans(1, 404);
        span!.attributes = Array.from(
          { length: 10 },
          (_, i) => stringAttribute(`k${i}`, String(i)),
        );
        const answer = await postJson(url, "traces", traceRequest([span!], "capped-service"));
        assert.deepEqual(answer.body, {});
        const [stored] = await store.traceSpans(span!.traceId);
        assert.equal(Object.keys(JSON.parse(stored!.attributes)).length, 4);
        assert.equal(stored!.droppedAttributesCount, 6);
      },
    );

    await t.step(
      "a body that does not arrive within HTTP_BODY_TIMEOUT is a 408, a gzip one too",
      async () => {
        for (const encoding of ["identity", "gzip"]) {
          const conn = await Deno.connect({
            hostname: "127.0.0.1",
            port: Number(new URL(url).port),
          });
          const started = Date.now();
          const whole = JSON.stringify(traceRequest(jsonSpans(20, 505)));
          const body = encoding === "gzip" ? gzipSync(whole) : new TextEncoder().encode(whole);
          await conn.write(new TextEncoder().encode(
            "POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n" +
              `content-encoding: ${encoding}\r\ncontent-length: ${body.length}\r\n\r\n`,
          ));
          // The first half of the body, and no more.
          await conn.write(body.subarray(0, body.length >> 1));
          const buffer = new Uint8Array(4096);
          const read = await conn.read(buffer);
          conn.close();
          const answer = new TextDecoder().decode(buffer.subarray(0, read ?? 0));
          assert.match(answer, /^HTTP\/1.1 408 /, encoding);
          assert.match(answer, /"code":4,/);
          assert.match(answer, /did not arrive within HTTP_BODY_TIMEOUT \(1000 ms\)/);
          assert.ok(Date.now() - started < 3_000, `answered after ${Date.now() - started} ms`);
        }
      },
    );

    await t.step("/v1/metrics is acknowledged so SDKs sending metrics do not fail", async () => {
      const answer = await postJson(url, "metrics", { resourceMetrics: [] });
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body, {});
    });
  } finally {
    await store.close();
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("the OTLP/gRPC receiver refuses undecodable requests and gzip bombs", async () => {
  const grpc = await import("@grpc/grpc-js");
  const cwd = await Deno.makeTempDir({ prefix: "argus-grpc-bad-" });
  const argus = await startArgus({ MAX_REQUEST_BYTES: "256KiB" }, cwd);
  const Client = grpc.makeGenericClientConstructor(TRACE_SERVICE, "TraceService");
  // gzip-compressed messages, as exporters configured with compression send them.
  const client = new Client(argus.grpcAddress, grpc.credentials.createInsecure(), {
    "grpc.default_compression_algorithm": 2,
  });
  const call = (bytes: Uint8Array) =>
    new Promise<{ code: number; details: string }>((resolve) => {
      // deno-lint-ignore no-explicit-any -- a generic client has untyped methods
      (client as any).Export(
        Buffer.from(bytes),
        (error: { code: number; details: string } | null) =>
          resolve(error ?? { code: 0, details: "" }),
      );
    });
  try {
    const bad = await call(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    assert.equal(bad.code, grpc.status.INVALID_ARGUMENT);
    assert.match(bad.details, /^The request cannot be decoded: /);
    const empty = await call(new Uint8Array(0)); // an empty request is valid: nothing to store
    assert.equal(empty.code, grpc.status.OK);
    // 50 MB of zeros compress to ~50 KB; the limit applies to the decompressed size.
    const bomb = await call(new Uint8Array(50_000_000));
    assert.equal(bomb.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(bomb.details, /decompresses to a size larger than 262144/);
  } finally {
    client.close();
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
