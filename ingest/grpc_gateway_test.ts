import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import {
  retryInfoDetails,
  startGateway,
  statusMessage,
  toGrpcStatus,
  TRACE_SERVICE,
} from "./grpc_gateway.ts";
import { encodeStatus, GrpcCode } from "./otlp_status.ts";

Deno.test("toGrpcStatus() maps the core's HTTP answers to the gRPC codes OTLP exporters expect", () => {
  const cases: [number, GrpcCode, boolean][] = [
    [400, GrpcCode.INVALID_ARGUMENT, false],
    [415, GrpcCode.INVALID_ARGUMENT, false],
    [413, GrpcCode.RESOURCE_EXHAUSTED, false],
    [401, GrpcCode.UNAUTHENTICATED, false],
    [429, GrpcCode.UNAVAILABLE, true],
    [503, GrpcCode.UNAVAILABLE, true],
    [500, GrpcCode.INTERNAL, false],
  ];
  for (const [http, code, retryInfo] of cases) {
    const status = toGrpcStatus(http, "why", 3);
    assert.equal(status.code, code, `HTTP ${http}`);
    assert.equal(status.details, "why");
    assert.equal(
      status.metadata!.get("grpc-status-details-bin").length,
      retryInfo ? 1 : 0,
      `HTTP ${http}`,
    );
  }
});

Deno.test("retryInfoDetails() encodes a google.rpc.Status carrying a RetryInfo delay", () => {
  const bytes = retryInfoDetails(GrpcCode.UNAVAILABLE, "busy", 5);
  // Status.code = 14, Status.message = "busy", then details (field 3) with the Any's type URL.
  assert.deepEqual([...bytes.subarray(0, 8)], [0x08, 14, 0x12, 4, 0x62, 0x75, 0x73, 0x79]);
  assert.equal(bytes[8], 0x1a);
  const text = new TextDecoder().decode(bytes);
  assert.match(text, /type\.googleapis\.com\/google\.rpc\.RetryInfo/);
  // RetryInfo { retry_delay = Duration { seconds = 5 } } at the end.
  assert.deepEqual([...bytes.subarray(-6)], [0x12, 4, 0x0a, 2, 0x08, 5]);
});

Deno.test("statusMessage() reads the message of the core's Status error bodies", () => {
  assert.equal(
    statusMessage(encodeStatus("protobuf", GrpcCode.INVALID_ARGUMENT, "bad ünïcode")),
    "bad ünïcode",
  );
  assert.equal(statusMessage(new Uint8Array(0)), "");
  assert.equal(statusMessage(new Uint8Array([0xff])), "");
});

/** Resolves with the ms until the peer closed `conn`, or undefined if it is open after `ms`. */
async function closedWithin(conn: Deno.Conn, ms: number): Promise<number | undefined> {
  const started = Date.now();
  const buffer = new Uint8Array(1024);
  while (Date.now() - started < ms) {
    const read = await Promise.race([
      conn.read(buffer).catch(() => null),
      new Promise<"open">((resolve) =>
        setTimeout(() => resolve("open"), ms - (Date.now() - started))
      ),
    ]);
    if (read === "open") return undefined;
    if (read === null) return Date.now() - started;
  }
  return undefined;
}

Deno.test({
  name: "startGateway() closes idle and slow connections and caps how many are open",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const gateway = await startGateway({
      host: "127.0.0.1",
      port: 0,
      coreUrl: "http://127.0.0.1:9",
      maxRequestBytes: 65_536,
      maxConnections: 3,
      idleTimeoutMs: 400,
    });
    const conns: Deno.TcpConn[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: gateway.port });
        // Half a preface and no more, as a slow client sends it.
        await conn.write(new TextEncoder().encode("PRI * HTTP/2.0\r\n"));
        conns.push(conn);
      }
      const closed = await Promise.all(conns.map((conn) => closedWithin(conn, 3_000)));
      // Beyond the cap: closed at once; the others by the idle timeout.
      assert.ok(closed.slice(3).every((ms) => ms !== undefined && ms < 300), String(closed));
      assert.ok(
        closed.slice(0, 3).every((ms) => ms !== undefined && ms >= 300 && ms < 2_500),
        String(closed),
      );
    } finally {
      for (const conn of conns) conn.close();
      await gateway.stop(0);
    }
  },
});

Deno.test({
  name: "startGateway() answers the calls in flight when it stops, then refuses connections",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const reached = Promise.withResolvers<void>();
    const core = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
      await request.arrayBuffer();
      reached.resolve();
      await new Promise((resolve) => setTimeout(resolve, 300)); // a commit taking its time
      return new Response(new Uint8Array(0), {
        headers: { "content-type": "application/x-protobuf" },
      });
    });
    const gateway = await startGateway({
      host: "127.0.0.1",
      port: 0,
      coreUrl: `http://127.0.0.1:${core.addr.port}`,
      maxRequestBytes: 65_536,
    });
    const Client = grpc.makeGenericClientConstructor(TRACE_SERVICE, "TraceService");
    const client = new Client(`127.0.0.1:${gateway.port}`, grpc.credentials.createInsecure());
    try {
      const answer = new Promise<grpc.ServiceError | null>((resolve) =>
        // deno-lint-ignore no-explicit-any -- a generic client has untyped methods
        (client as any).Export(Buffer.from([]), { deadline: Date.now() + 5_000 }, resolve)
      );
      await reached.promise;
      const stopped = gateway.stop(2_000);
      assert.equal(await answer, null, "the call in flight was answered");
      await stopped;
      await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: gateway.port }));
    } finally {
      client.close();
      await gateway.stop(0);
      await core.shutdown();
    }
  },
});
