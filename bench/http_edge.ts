// deno-lint-ignore-file no-console
/**
 * What Hono costs in front of Argus's HTTP handlers: `deno task bench:http-edge`. In one process,
 * in rounds that alternate, the same requests are answered by:
 *
 * - the OTLP/HTTP receiver's handler as `Deno.serve` calls it on OTLP_HTTP_PORT
 *   (`createOtlpHttpHandler`), and the same handler behind a Hono route; requests of 100 spans
 *   made by the OpenTelemetry SDK (12 attributes each), decoded and screened for real, the
 *   database replaced by a queue that accepts at once, so that the edge is as large a share of
 *   the work as it can be;
 * - the app on HTTP_PORT (`createApp`, every middleware of the edge) answering `GET /api/health`
 *   against a store that answers at once, beside a bare handler that answers the same JSON.
 *
 * Prints requests per CPU-second of each (median of the rounds) and the same-run ratios. No
 * sockets: what is measured is the handlers, not Deno's HTTP server, which is the same either way.
 *
 * @module
 */
import process from "node:process";
import { Hono } from "hono";
import { createLogger } from "../lib/logger.ts";
import { createOtlpHttpHandler } from "../ingest/otlp_http.ts";
import { IngestService } from "../ingest/ingest_service.ts";
import { DEFAULT_DECODE_LIMITS } from "../ingest/otlp/mod.ts";
import { sdkSpans, tracesProtobuf } from "../ingest/otlp/testdata/payloads.ts";
import { createApp } from "../routes/mod.ts";
import type { Store } from "../store/mod.ts";

const ROUNDS = Number(Deno.env.get("ARGUS_BENCH_ROUNDS") ?? 7);
const REQUESTS_PER_ROUND = Number(Deno.env.get("ARGUS_BENCH_REQUESTS") ?? 2_000);

const logger = createLogger("error", () => {});
const body = new Uint8Array(tracesProtobuf(sdkSpans({ count: 100, attributes: 12 })));
const service = new IngestService({
  batcher: {
    submit: () => Promise.resolve({ rejected: { spans: [], logs: [] }, deadLettered: false }),
  },
  decodeLimits: DEFAULT_DECODE_LIMITS,
  validation: { maxFieldBytes: 1 << 20 },
  logger,
});
const otlp = createOtlpHttpHandler({ service, logger, maxRequestBytes: 16 << 20 });
const otlpOnHono = new Hono().post("/v1/traces", (c) => otlp(c.req.raw));

const store = {
  driver: "sqlite",
  ping: () => Promise.resolve(),
} as unknown as Store;
const health = {
  store,
  startedAt: 0,
  logger,
  queryMaxWindowMs: 86_400_000,
  ingest: { ingestionRate: () => 0, dlqSize: () => 0, queueDepth: () => 0 },
};
const app = createApp(health);
const sample = await (await app(new Request("http://127.0.0.1:8080/api/health"))).text();
const bare = () =>
  Promise.resolve(
    new Response(sample, { headers: { "content-type": "application/json; charset=utf-8" } }),
  );

type Handler = (request: Request) => Response | Promise<Response>;
interface Contender {
  name: string;
  handler: Handler;
  request: () => Request;
}

const otlpRequest = () =>
  new Request("http://127.0.0.1:4318/v1/traces", {
    method: "POST",
    headers: { "content-type": "application/x-protobuf" },
    body,
  });
const healthRequest = () =>
  new Request("http://127.0.0.1:8080/api/health", { headers: { host: "127.0.0.1:8080" } });

const contenders: Contender[] = [
  { name: "OTLP/HTTP handler, as on Deno.serve", handler: otlp, request: otlpRequest },
  {
    name: "OTLP/HTTP handler behind a Hono route",
    handler: (r) => otlpOnHono.fetch(r),
    request: otlpRequest,
  },
  { name: "GET /api/health: bare handler", handler: bare, request: healthRequest },
  { name: "GET /api/health: createApp (Hono edge)", handler: app, request: healthRequest },
];

/** Requests per CPU-second of this process over one round. */
async function round({ handler, request }: Contender): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < REQUESTS_PER_ROUND; i++) {
    const response = await handler(request());
    if (response.status !== 200) throw new Error(`answered ${response.status}`);
    await response.arrayBuffer();
  }
  const used = process.cpuUsage(start);
  return REQUESTS_PER_ROUND / ((used.user + used.system) / 1e6);
}

const results = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
for (const contender of contenders) await round(contender); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  for (const contender of r % 2 === 0 ? contenders : [...contenders].reverse()) {
    results.get(contender.name)!.push(await round(contender));
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
console.log(
  `HTTP edge: ${ROUNDS} rounds of ${REQUESTS_PER_ROUND} requests each (median requests per CPU-second)`,
);
for (const [name, values] of results) {
  console.log(
    `  ${name.padEnd(42)} ${Math.round(median(values)).toLocaleString("en-US").padStart(9)}`,
  );
}
const ratio = (a: string, b: string) =>
  (median(results.get(a)!) / median(results.get(b)!)).toFixed(3);
console.log(
  `  OTLP/HTTP behind Hono / as on Deno.serve: ${
    ratio(contenders[1]!.name, contenders[0]!.name)
  } (100 spans of 12 attributes per request)`,
);
console.log(
  `  /api/health through the edge / bare:      ${ratio(contenders[3]!.name, contenders[2]!.name)}`,
);
