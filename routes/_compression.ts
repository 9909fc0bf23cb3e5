/**
 * gzip for the answers that are worth it: pages, JSON, JavaScript, CSS and SVG, when the client
 * accepts gzip. Streamed (a large trace's JSON is compressed as it is written), so it holds no
 * whole body in memory. Deno.serve does not compress on its own here.
 *
 * @module
 */

const COMPRESSIBLE = /^(text\/(html|css|javascript|plain)|application\/json|image\/svg\+xml)/;

/** True when the request's Accept-Encoding takes gzip (and does not refuse it with q=0). */
export function acceptsGzip(request: Request): boolean {
  const header = request.headers.get("accept-encoding");
  if (header === null) return false;
  return header.split(",").some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    if (coding !== "gzip" && coding !== "*") return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** The response gzip-compressed when the request accepts it and its type is worth it. */
export function compress(request: Request, response: Response): Response {
  const type = response.headers.get("content-type") ?? "";
  if (
    request.method === "HEAD" || response.body === null || response.status === 101 ||
    response.status === 204 || response.status === 304 ||
    response.headers.has("content-encoding") || !COMPRESSIBLE.test(type) ||
    !acceptsGzip(request)
  ) {
    return response;
  }
  const headers = new Headers(response.headers);
  headers.set("content-encoding", "gzip");
  headers.delete("content-length");
  headers.append("vary", "Accept-Encoding");
  // The bytes differ from the identity body's: the validator becomes weak (RFC 9110 8.8.3).
  const etag = headers.get("etag");
  if (etag !== null && !etag.startsWith("W/")) headers.set("etag", `W/${etag}`);
  return new Response(response.body.pipeThrough(new CompressionStream("gzip")), {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}
