/**
 * Shared builders of store rows for tests and benchmarks: realistic by default (a dozen
 * attributes, three services), every field overridable, deterministic for a given seed.
 *
 * @module
 */
import { logId, resourceId } from "../store/mod.ts";
import type { Batch, LogRow, ResourceRow, SpanRow } from "../store/mod.ts";

/** Deterministic pseudo-random numbers (mulberry32), so figures and failures are repeatable. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function hex(rand: () => number, chars: number): string {
  let out = "";
  while (out.length < chars) out += Math.floor(rand() * 0x100000000).toString(16).padStart(8, "0");
  return out.slice(0, chars);
}

export const SERVICES = ["order-service", "payment-service", "inventory-service"] as const;

/** One resource for each of SERVICES, by service name (what `buildCallChain` takes). */
export function buildServiceResources(): Record<typeof SERVICES[number], ResourceRow> {
  return Object.fromEntries(SERVICES.map((s) => [s, buildResource(s)])) as Record<
    typeof SERVICES[number],
    ResourceRow
  >;
}

export function buildResource(
  serviceName: string,
  overrides: Partial<Omit<ResourceRow, "id">> = {},
): ResourceRow {
  const fields = {
    serviceName,
    attributes: JSON.stringify({
      "service.name": serviceName,
      "service.version": "1.4.2",
      "deployment.environment": "test",
      "host.name": "argus-test-host",
      "telemetry.sdk.language": "nodejs",
      "telemetry.sdk.name": "opentelemetry",
      "telemetry.sdk.version": "2.2.0",
    }),
    droppedAttributesCount: 0,
    schemaUrl: "https://opentelemetry.io/schemas/1.26.0",
    entityRefs: "",
    longText: "",
    ...overrides,
  };
  return { id: resourceId(fields), ...fields };
}

/** 2026-11-26T10:00:00Z in nanoseconds: a fixed base so tests do not depend on the clock. */
export const BASE_TIME_NS = 1_795_687_200_000_000_000n;

export function buildSpan(
  resource: ResourceRow,
  overrides: Partial<SpanRow> = {},
  rand: () => number = Math.random,
): SpanRow {
  const start = BASE_TIME_NS + BigInt(Math.floor(rand() * 60_000_000_000));
  const durationNs = BigInt(Math.floor(rand() * 800_000_000));
  return {
    traceId: hex(rand, 32),
    spanId: hex(rand, 16),
    parentSpanId: "",
    traceState: "",
    name: "POST /orders",
    kind: 2,
    startTimeUnixNano: start,
    endTimeUnixNano: start + durationNs,
    statusCode: 0,
    statusMessage: "",
    resourceId: resource.id,
    serviceName: resource.serviceName,
    scopeName: "@opentelemetry/instrumentation-http",
    scopeVersion: "0.57.0",
    scopeAttributes: "{}",
    attributes: JSON.stringify({
      "http.request.method": "POST",
      "http.response.status_code": 200,
      "url.path": "/orders",
      "url.scheme": "http",
      "server.address": "127.0.0.1",
      "server.port": 9001,
      "network.protocol.version": "1.1",
      "user_agent.original": "argus-test/1.0",
      "client.address": "127.0.0.1",
      "http.route": "/orders",
      "order.id": hex(rand, 12),
      "order.items": Math.floor(rand() * 10),
    }),
    events: "[]",
    links: "[]",
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
    flags: 1,
    scopeSchemaUrl: "",
    scopeDroppedAttributesCount: 0,
    longText: "",
    ...overrides,
  };
}

export function buildLog(
  resource: ResourceRow,
  overrides: Partial<Omit<LogRow, "id">> = {},
  rand: () => number = Math.random,
): LogRow {
  const time = BASE_TIME_NS + BigInt(Math.floor(rand() * 60_000_000_000));
  const fields: Omit<LogRow, "id"> = {
    timeUnixNano: time,
    timeUnset: false,
    observedTimeUnixNano: time + 1_000n,
    severityNumber: 9,
    severityText: "INFO",
    body: `order ${hex(rand, 12)} accepted`,
    bodyType: "string",
    eventName: "",
    traceId: hex(rand, 32),
    spanId: hex(rand, 16),
    flags: 1,
    resourceId: resource.id,
    serviceName: resource.serviceName,
    scopeName: "order-logger",
    scopeVersion: "1.0.0",
    scopeAttributes: "{}",
    attributes: JSON.stringify({
      "code.function": "acceptOrder",
      "code.filepath": "chaos/order_service.ts",
      "order.total": Math.round(rand() * 10000) / 100,
    }),
    droppedAttributesCount: 0,
    scopeSchemaUrl: "",
    scopeDroppedAttributesCount: 0,
    longText: "",
    ...overrides,
  };
  return { id: logId(fields), ...fields };
}

/**
 * A batch of `spans` spans and `logs` logs spread over the three services, in time order (a
 * millisecond apart, from `BASE_TIME_NS` plus `seed` seconds) as live telemetry arrives.
 */
export function buildBatch(spans: number, logs: number, seed = 1): Batch {
  const rand = random(seed);
  const resources = SERVICES.map((s) => buildResource(s));
  const at = (i: number) => BASE_TIME_NS + BigInt(seed) * 1_000_000_000n + BigInt(i) * 1_000_000n;
  return {
    resources,
    spans: Array.from({ length: spans }, (_, i) => {
      const start = at(i);
      return buildSpan(resources[i % 3]!, {
        startTimeUnixNano: start,
        endTimeUnixNano: start + BigInt(Math.floor(rand() * 800_000_000)),
      }, rand);
    }),
    logs: Array.from({ length: logs }, (_, i) => {
      const time = at(i);
      return buildLog(resources[i % 3]!, {
        timeUnixNano: time,
        observedTimeUnixNano: time + 1_000n,
      }, rand);
    }),
  };
}

/**
 * One request through the chaos chain as three SDKs would report it: order-service's SERVER span
 * (the root) and its CLIENT call, payment-service's SERVER span and its CLIENT call, and
 * inventory-service's SERVER span. `failing` marks inventory (and the spans above it) as errors.
 * Starts `offsetMs` after `BASE_TIME_NS`; server spans last 400, 300 and 200 ms.
 */
export function buildCallChain(
  resources: Record<typeof SERVICES[number], ResourceRow>,
  offsetMs: number,
  rand: () => number,
  failing = false,
): SpanRow[] {
  const traceId = hex(rand, 32);
  const t0 = BASE_TIME_NS + BigInt(offsetMs) * 1_000_000n;
  const ms = (n: number) => BigInt(n) * 1_000_000n;
  const status = failing ? 2 : 0;
  const span = (
    service: typeof SERVICES[number],
    name: string,
    kind: number,
    parentSpanId: string,
    startMs: number,
    durationMs: number,
  ) =>
    buildSpan(resources[service], {
      traceId,
      parentSpanId,
      name,
      kind,
      startTimeUnixNano: t0 + ms(startMs),
      endTimeUnixNano: t0 + ms(startMs + durationMs),
      statusCode: status,
    }, rand);
  const orderServer = span("order-service", "POST /orders", 2, "", 0, 400);
  const orderClient = span("order-service", "POST", 3, orderServer.spanId, 10, 380);
  const paymentServer = span("payment-service", "POST /pay", 2, orderClient.spanId, 20, 300);
  const paymentClient = span("payment-service", "POST", 3, paymentServer.spanId, 30, 280);
  const inventoryServer = span(
    "inventory-service",
    "POST /reserve",
    2,
    paymentClient.spanId,
    40,
    200,
  );
  return [orderServer, orderClient, paymentServer, paymentClient, inventoryServer];
}

const DAY_NS = 86_400_000_000_000n;

/**
 * Data for purges: a resource per service; 12 call chains a minute apart from BASE_TIME_NS (60
 * spans, 24 calls between services) and 4 a day later (20 spans); 20 logs 30 s apart from
 * BASE_TIME_NS and 9 a day later.
 */
export function oldAndRecent(): {
  resources: Record<typeof SERVICES[number], ResourceRow>;
  spans: { old: SpanRow[]; recent: SpanRow[] };
  logs: { old: LogRow[]; recent: LogRow[] };
} {
  const resources = buildServiceResources();
  const spanRand = random(11);
  const oldChains = Array.from(
    { length: 12 },
    (_, i) => buildCallChain(resources, i * 60_000, spanRand),
  );
  const recentChains = Array.from(
    { length: 4 },
    (_, i) => buildCallChain(resources, 86_400_000 + i * 1000, spanRand, i === 0),
  );
  const logRand = random(12);
  const log = (time: bigint, i: number) =>
    buildLog(resources[SERVICES[i % 3]!], {
      timeUnixNano: time,
      observedTimeUnixNano: time,
      severityNumber: i % 2 === 0 ? 9 : 17,
    }, logRand);
  return {
    resources,
    spans: { old: oldChains.flat(), recent: recentChains.flat() },
    logs: {
      old: Array.from({ length: 20 }, (_, i) => log(BASE_TIME_NS + BigInt(i) * 30_000_000_000n, i)),
      recent: Array.from(
        { length: 9 },
        (_, i) => log(BASE_TIME_NS + DAY_NS + BigInt(i) * 1_000_000n, i),
      ),
    },
  };
}
