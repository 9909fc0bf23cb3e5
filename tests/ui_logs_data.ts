/**
 * Log records for the Logs page's browser tests and screenshots, as OTLP/JSON requests sent
 * through the real OTLP/HTTP path: three services' records over the last minutes (every
 * severity, multi-line and structured bodies, attributes, resource attributes, trace and span
 * ids), and fresh records to stream while the page is live. Deterministic for a seed and clock.
 *
 * @module
 */
import { hex, random } from "./builders.ts";
import {
  type JsonLog,
  type JsonSpan,
  logsRequest,
  postJson,
  stringAttribute,
  traceRequest,
} from "./otlp_payloads.ts";

export const LOG_SERVICES = ["order-service", "payment-service", "inventory-service"] as const;
type Service = typeof LOG_SERVICES[number];

const SEVERITIES = {
  DEBUG: 5,
  INFO: 9,
  WARN: 13,
  ERROR: 17,
  FATAL: 21,
} as const;

function intAttribute(key: string, value: number) {
  return { key, value: { intValue: String(value) } };
}

function doubleAttribute(key: string, value: number) {
  return { key, value: { doubleValue: value } };
}

/** One service's export request, with the resource attributes an SDK sends. */
export function serviceLogsRequest(logs: JsonLog[], service: Service) {
  const request = logsRequest(logs, service);
  const resource = request.resourceLogs[0]!.resource;
  resource.attributes.push(
    stringAttribute("service.version", "1.4.2"),
    stringAttribute("deployment.environment", "staging"),
    stringAttribute("host.name", `${service.split("-")[0]}-7f9c4`),
    stringAttribute("telemetry.sdk.language", "nodejs"),
  );
  const scope = request.resourceLogs[0]!.scopeLogs[0]! as { scope: Record<string, string> };
  scope.scope = { name: `@shop/${service}`, version: "1.4.2" };
  return request;
}

export interface LogFixture {
  logs: Record<Service, JsonLog[]>;
  /** Records with a trace, by body, for assertions. */
  traced: { body: string; traceId: string; spanId: string; service: Service; atMs: number }[];
  count: number;
}

/** ~70 records of an order flow over the `spreadMs` before `nowMs`, oldest first. */
export function logFixture(nowMs = Date.now(), seed = 7, spreadMs = 200_000): LogFixture {
  const rand = random(seed);
  const logs: Record<Service, JsonLog[]> = {
    "order-service": [],
    "payment-service": [],
    "inventory-service": [],
  };
  const traced: LogFixture["traced"] = [];
  const ns = (ms: number) => (BigInt(Math.round(ms)) * 1_000_000n).toString();
  const add = (
    service: Service,
    atMs: number,
    severity: keyof typeof SEVERITIES,
    body: unknown,
    attributes: unknown[],
    trace?: { traceId: string; spanId: string },
  ) => {
    logs[service].push({
      timeUnixNano: ns(atMs),
      severityNumber: SEVERITIES[severity],
      severityText: severity,
      body: typeof body === "string" ? { stringValue: body } : body,
      attributes,
      ...(trace ?? {}),
    });
    if (trace && typeof body === "string") traced.push({ body, service, atMs, ...trace });
  };
  const start = nowMs - spreadMs;
  add("order-service", start, "INFO", "Listening on :8080 (order-service 1.4.2)", [
    stringAttribute("server.address", "0.0.0.0"),
    intAttribute("server.port", 8080),
  ]);
  const orders = 16;
  for (let i = 0; i < orders; i++) {
    const at = start + 4_000 + (i * (spreadMs - 8_000)) / orders;
    const order = `ord-${1040 + i}`;
    const traceId = hex(rand, 32);
    const span = () => ({ traceId, spanId: hex(rand, 16) });
    const amount = Math.round(2_000 + rand() * 18_000) / 100;
    const orderSpan = span();
    add("order-service", at, "INFO", `Order ${order} received: ${1 + (i % 4)} items`, [
      stringAttribute("order.id", order),
      stringAttribute("http.route", "/orders"),
      stringAttribute("user.id", `u-${3000 + ((i * 37) % 500)}`),
    ], orderSpan);
    add("order-service", at + 1, "DEBUG", `Validated cart for ${order} in ${2 + (i % 5)} ms`, [
      stringAttribute("order.id", order),
    ], orderSpan);
    const paymentSpan = span();
    add("payment-service", at + 12, "INFO", `Charging ${order}: ${amount.toFixed(2)} EUR`, [
      stringAttribute("order.id", order),
      stringAttribute("payment.provider", "stripe"),
      doubleAttribute("payment.amount", amount),
    ], paymentSpan);
    const inventorySpan = span();
    if (i % 5 === 0) {
      add(
        "inventory-service",
        at + 30,
        "ERROR",
        `Database lock timeout after 800 ms reserving ${order}\n` +
          "    at reserveStock (inventory/reserve.ts:88:13)\n" +
          "    at async handle (inventory/http.ts:41:5)",
        [
          stringAttribute("order.id", order),
          stringAttribute("db.system", "postgresql"),
          intAttribute("db.lock_wait_ms", 800),
          stringAttribute("exception.type", "LockTimeoutError"),
        ],
        inventorySpan,
      );
      add("order-service", at + 860, "ERROR", `Order ${order} failed: inventory unavailable`, [
        stringAttribute("order.id", order),
        intAttribute("http.response.status_code", 503),
      ], orderSpan);
    } else if (i % 5 === 3) {
      add("payment-service", at + 40, "ERROR", `Card declined for ${order} (insufficient_funds)`, [
        stringAttribute("order.id", order),
        stringAttribute("payment.decline_code", "insufficient_funds"),
      ], paymentSpan);
    } else {
      add("inventory-service", at + 25, "DEBUG", `Reserved stock for ${order} in 12 ms`, [
        stringAttribute("order.id", order),
      ], inventorySpan);
      add("payment-service", at + 60, "INFO", `Payment captured for ${order}`, [
        stringAttribute("order.id", order),
        stringAttribute("payment.provider", "stripe"),
      ], paymentSpan);
    }
    if (i % 4 === 1) {
      add(
        "inventory-service",
        at + 26,
        "WARN",
        `Stock below reorder level: sku-${8800 + i} (3 left)`,
        [
          stringAttribute("sku", `sku-${8800 + i}`),
          intAttribute("stock.remaining", 3),
        ],
        inventorySpan,
      );
    }
    if (i % 6 === 0) {
      add(
        "inventory-service",
        at + 24,
        "DEBUG",
        {
          kvlistValue: {
            values: [
              { key: "event", value: { stringValue: "cache.miss" } },
              { key: "sku", value: { stringValue: `sku-${8800 + i}` } },
              { key: "latency_ms", value: { intValue: "3" } },
            ],
          },
        },
        [stringAttribute("cache.name", "stock")],
        inventorySpan,
      );
    }
  }
  add(
    "payment-service",
    nowMs - 6_000,
    "FATAL",
    "Connection pool exhausted: 50 of 50 in use, worker 3 restarting",
    [intAttribute("db.pool.size", 50), stringAttribute("worker.id", "3")],
  );
  const count = LOG_SERVICES.reduce((sum, s) => sum + logs[s].length, 0);
  return { logs, traced, count };
}

/** A span for each traced record's span (so that its trace exists), per service. */
function fixtureSpans(fixture: LogFixture): Record<Service, JsonSpan[]> {
  const spans: Record<Service, JsonSpan[]> = {
    "order-service": [],
    "payment-service": [],
    "inventory-service": [],
  };
  const seen = new Set<string>();
  for (const record of fixture.traced) {
    if (seen.has(record.spanId)) continue;
    seen.add(record.spanId);
    const start = BigInt(Math.round(record.atMs)) * 1_000_000n;
    spans[record.service].push({
      traceId: record.traceId,
      spanId: record.spanId,
      name: record.service === "order-service" ? "POST /orders" : "POST /internal",
      kind: 2,
      startTimeUnixNano: (start - 1_000_000n).toString(),
      endTimeUnixNano: (start + 40_000_000n).toString(),
    });
  }
  return spans;
}

/**
 * Sends a fixture, one request per service and signal (the records' spans too); throws when
 * Argus refuses one. Argus answers after the commit, so the records are listed when it resolves.
 */
export async function sendLogFixture(otlpHttpUrl: string, fixture: LogFixture): Promise<void> {
  const spans = fixtureSpans(fixture);
  for (const service of LOG_SERVICES) {
    const sentSpans = await postJson(otlpHttpUrl, "traces", traceRequest(spans[service], service));
    if (sentSpans.status !== 200) {
      throw new Error(`Argus refused ${service}'s spans: ${sentSpans.status}`);
    }
    const sent = await postJson(
      otlpHttpUrl,
      "logs",
      serviceLogsRequest(fixture.logs[service], service),
    );
    if (sent.status !== 200) {
      throw new Error(
        `Argus refused ${service}'s logs: ${sent.status} ${JSON.stringify(sent.body)}`,
      );
    }
  }
}

/** Fresh records to stream while live, each with a unique body starting `live record`. */
export function liveRecords(count: number, tag: string, nowMs = Date.now()) {
  const logs: JsonLog[] = Array.from({ length: count }, (_, i) => ({
    timeUnixNano: (BigInt(nowMs + i) * 1_000_000n).toString(),
    severityNumber: i % 3 === 2 ? 17 : 9,
    severityText: i % 3 === 2 ? "ERROR" : "INFO",
    body: { stringValue: `live record ${tag}-${i}` },
    attributes: [stringAttribute("live.tag", tag)],
  }));
  return serviceLogsRequest(logs, "order-service");
}

/** Records of `pagingRecords`: the paging scenario's count, and how many share a nanosecond. */
export const PAGING_RECORDS = 2_500;
export const PAGING_SAME_TIME = 5;
/** The record whose body holds markup, which must be shown as text. */
export const PAGING_MARKUP_RECORD = 7;

/** `paging record 0001` (the oldest) … `paging record 2500` (the newest). */
export function pagingBody(n: number): string {
  const body = `paging record ${String(n).padStart(4, "0")}`;
  return n === PAGING_MARKUP_RECORD
    ? `${body} <b>bold</b> <img src=x onerror="window.__argusInjected=true">`
    : body;
}

/**
 * `PAGING_RECORDS` records of one service, five to a nanosecond (so that pages cut through
 * records of equal times), 40 ms apart over the `spreadMs` before `nowMs`, as export requests of
 * 500 records each.
 */
export function pagingRequests(nowMs = Date.now(), spreadMs = 100_000) {
  const groups = PAGING_RECORDS / PAGING_SAME_TIME;
  const logs: JsonLog[] = Array.from({ length: PAGING_RECORDS }, (_, i) => {
    const group = Math.floor(i / PAGING_SAME_TIME);
    const atNs = BigInt(nowMs - spreadMs) * 1_000_000n +
      BigInt(Math.floor((group * spreadMs) / groups)) * 1_000_000n;
    return {
      timeUnixNano: atNs.toString(),
      severityNumber: SEVERITIES.INFO,
      severityText: "INFO",
      body: { stringValue: pagingBody(i + 1) },
      attributes: [intAttribute("seq", i + 1)],
    };
  });
  const requests = [];
  for (let i = 0; i < logs.length; i += 500) {
    requests.push(serviceLogsRequest(logs.slice(i, i + 500), "order-service"));
  }
  return requests;
}
