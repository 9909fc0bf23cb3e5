import assert from "node:assert/strict";
import { acceptsGzip, compress } from "./_compression.ts";

const request = (encoding?: string, method = "GET") =>
  new Request("http://argus/x", {
    method,
    headers: encoding === undefined ? {} : { "accept-encoding": encoding },
  });

Deno.test("acceptsGzip() reads Accept-Encoding, q=0 refusing", () => {
  assert.equal(acceptsGzip(request("gzip, deflate, br")), true);
  assert.equal(acceptsGzip(request("br;q=1.0, gzip;q=0.5")), true);
  assert.equal(acceptsGzip(request("*")), true);
  assert.equal(acceptsGzip(request("gzip;q=0")), false);
  assert.equal(acceptsGzip(request("br")), false);
  assert.equal(acceptsGzip(request()), false);
});

Deno.test("compress() gzips pages and JSON for clients that take gzip, and nothing else", async () => {
  const body = JSON.stringify({
    items: Array.from({ length: 500 }, (_, i) => ({ i, s: "x".repeat(20) })),
  });
  const json = () =>
    new Response(body, {
      headers: { "content-type": "application/json; charset=utf-8", etag: '"a"' },
    });
  const gzipped = compress(request("gzip"), json());
  assert.equal(gzipped.headers.get("content-encoding"), "gzip");
  assert.equal(gzipped.headers.get("vary"), "Accept-Encoding");
  assert.equal(gzipped.headers.get("etag"), 'W/"a"');
  const bytes = new Uint8Array(await gzipped.arrayBuffer());
  assert.ok(bytes.length < body.length / 5, `${bytes.length} of ${body.length} bytes`);
  const back = await new Response(
    new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip")),
  ).text();
  assert.equal(back, body);

  assert.equal(compress(request(), json()).headers.get("content-encoding"), null);
  assert.equal(compress(request("gzip", "HEAD"), json()).headers.get("content-encoding"), null);
  const png = new Response(new Uint8Array(100), { headers: { "content-type": "image/png" } });
  assert.equal(compress(request("gzip"), png), png);
  const notModified = new Response(null, { status: 304 });
  assert.equal(compress(request("gzip"), notModified), notModified);
  for (const response of [json(), png, notModified]) await response.body?.cancel();
});
