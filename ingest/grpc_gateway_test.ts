import assert from "node:assert/strict";
import { retryInfoDetails, startGateway, statusMessage, toGrpcStatus } from "./grpc_gateway.ts";
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
    const { port, server } = await startGateway({
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
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
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
      server.forceShutdown();
    }
  },
});
