import { Buffer } from "node:buffer";
import assert from "node:assert/strict";
import { Http2GoawayFilter } from "./grpc_connections.ts";

const PREFACE = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

function frame(type: number, payloadLength: number, fill = 0xab): Uint8Array {
  const bytes = new Uint8Array(9 + payloadLength).fill(fill);
  bytes.set([payloadLength >> 16, (payloadLength >> 8) & 0xff, payloadLength & 0xff, type, 0]);
  bytes.set([0, 0, 0, 0], 5); // stream 0
  return bytes;
}

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** Feeds `bytes` in chunks of the given sizes (cycled) and joins what comes out. */
function filtered(filter: Http2GoawayFilter, bytes: Uint8Array, sizes: number[]): Uint8Array {
  const out: Uint8Array[] = [];
  for (let i = 0, n = 0; i < bytes.length; n++) {
    const size = sizes[n % sizes.length]!;
    out.push(...filter.feed(bytes.subarray(i, i + size)).map((piece) => piece.slice()));
    i += size;
  }
  return concat(out);
}

Deno.test("Http2GoawayFilter passes a client's bytes on less its GOAWAY frames, however they are cut", () => {
  const settings = frame(0x4, 6, 1);
  const headers = frame(0x1, 40, 2);
  const data = frame(0x0, 300, 3);
  const goaway = frame(0x7, 8, 4);
  const emptyGoaway = frame(0x7, 0);
  const ping = frame(0x6, 8, 5);
  const sent = concat([PREFACE, settings, headers, data, goaway, ping, emptyGoaway, data, goaway]);
  const expected = concat([PREFACE, settings, headers, data, ping, data]);
  for (const sizes of [[sent.length], [1], [9], [7, 3], [24, 9, 1, 40], [5, 11, 2, 300]]) {
    const filter = new Http2GoawayFilter();
    assert.deepEqual(filtered(filter, sent, sizes), expected, `chunks of ${sizes}`);
    assert.equal(filter.goaways, 3, `chunks of ${sizes}`);
  }
});

Deno.test("Http2GoawayFilter keeps whole chunks as they are when they hold no GOAWAY", () => {
  const filter = new Http2GoawayFilter();
  const chunk = concat([PREFACE, frame(0x4, 0), frame(0x1, 20)]);
  const pieces = filter.feed(chunk);
  assert.equal(pieces.length, 1);
  assert.equal(pieces[0]!.buffer, chunk.buffer, "no copy");
});

Deno.test("Http2GoawayFilter is settled by the client's first SETTINGS frame, not by the preface", () => {
  const filter = new Http2GoawayFilter();
  filter.feed(PREFACE);
  assert.equal(filter.settled, false);
  const settings = frame(0x4, 0);
  filter.feed(settings.subarray(0, 5));
  assert.equal(filter.settled, false, "half a frame header");
  filter.feed(settings.subarray(5));
  assert.equal(filter.settled, true);
});

Deno.test("Http2GoawayFilter matches a random frame stream cut at random", () => {
  let seed = 12;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < 300; round++) {
    const sent: Uint8Array[] = [PREFACE];
    const expected: Uint8Array[] = [PREFACE];
    for (let i = 0; i < 1 + random() * 12; i++) {
      const type = random() < 0.3 ? 0x7 : Math.floor(random() * 10);
      const bytes = frame(type, random() < 0.2 ? 0 : Math.floor(random() * 70), i);
      sent.push(bytes);
      if (type !== 0x7) expected.push(bytes);
    }
    const sizes = Array.from({ length: 8 }, () => 1 + Math.floor(random() * 40));
    assert.deepEqual(
      filtered(new Http2GoawayFilter(), concat(sent), sizes),
      concat(expected),
      `round ${round}`,
    );
  }
});
