/**
 * Data for UI tests, sent through the real OTLP/HTTP path: call chains order-service →
 * payment-service → inventory-service (each SDK exporting its own spans, callees first), some
 * failing, with a few logs, spread over the last minutes so that every page's default 5-minute
 * window shows them. Deterministic for a given seed and `nowMs`.
 *
 * ```ts
 * const seeded = await seedChain(argus, { chains: 30 });
 * seeded.expected.errors["payment-service"]; // failed requests the API should count
 * ```
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

export const CHAIN_SERVICES = ["order-service", "payment-service", "inventory-service"] as const;
export type ChainService = typeof CHAIN_SERVICES[number];

export interface ChainOptions {
  /** Requests through the chain; default 30. */
  chains?: number;
  /** The clock the chains end before (Unix milliseconds); default now. */
  nowMs?: number;
  /** Chains start evenly over this span, ending 5 s before `nowMs`; default 4 minutes. */
  spreadMs?: number;
  seed?: number;
  /**
   * Where chain `i` fails, if it does: that service's request errors, and so does every span
   * above it (its callers' CLIENT and SERVER spans). By default every tenth chain fails in
   * inventory-service (from the first) and every fifteenth in payment-service (from the eighth).
   */
  failAt?: (i: number) => ChainService | undefined;
  /** Log records beside the spans (default true). */
  logs?: boolean;
}

export interface ChainData {
  spans: Record<ChainService, JsonSpan[]>;
  logs: Record<ChainService, JsonLog[]>;
  /** Each chain's trace id, in start order. */
  traceIds: string[];
  /** What the API should count for the data (requests are SERVER spans: one per service each). */
  expected: {
    traces: number;
    spans: number;
    logs: number;
    requests: Record<ChainService, number>;
    errors: Record<ChainService, number>;
    /** Failed requests of all services. */
    totalErrors: number;
    /** Chain i's services' SERVER span durations in milliseconds. */
    durationsMs: Record<ChainService, number>[];
  };
}

const MESSAGES: Record<ChainService, string> = {
  "order-service": "Validation failed",
  "payment-service": "Card declined",
  "inventory-service": "Database Lock",
};

const defaultFailAt = (i: number): ChainService | undefined =>
  i % 10 === 0 ? "inventory-service" : i % 15 === 7 ? "payment-service" : undefined;

/** The chains' spans and logs as OTLP/JSON, per service, with what the API should count. */
export function chainData(options: ChainOptions = {}): ChainData {
  const chains = options.chains ?? 30;
  const nowMs = options.nowMs ?? Date.now();
  const spreadMs = options.spreadMs ?? 240_000;
  const failAt = options.failAt ?? defaultFailAt;
  const withLogs = options.logs ?? true;
  const rand = random(options.seed ?? 2026);
  const ns = (ms: number) => BigInt(Math.round(ms * 1000)) * 1000n;
  const empty = <T>() => ({
    "order-service": [] as T[],
    "payment-service": [] as T[],
    "inventory-service": [] as T[],
  });
  const spans = empty<JsonSpan>();
  const logs = empty<JsonLog>();
  const traceIds: string[] = [];
  const errors = { "order-service": 0, "payment-service": 0, "inventory-service": 0 };
  const durationsMs: Record<ChainService, number>[] = [];
  const depth = (s: ChainService) => CHAIN_SERVICES.indexOf(s);

  for (let i = 0; i < chains; i++) {
    const traceId = hex(rand, 32);
    traceIds.push(traceId);
    const startMs = nowMs - 5_000 - spreadMs + (i * spreadMs) / chains;
    const failing = failAt(i);
    // Fails at `failing` and above: a span is an error when its service is at or above it.
    const fails = (service: ChainService) =>
      failing !== undefined && depth(service) <= depth(failing);
    const inventory = failing === "inventory-service"
      ? 800 + rand() * 700 // a lock wait
      : 15 + rand() * 120;
    const payment = inventory + 20 + 20 + rand() * 80;
    const order = payment + 20 + 10 + rand() * 40;
    durationsMs.push({
      "order-service": order,
      "payment-service": payment,
      "inventory-service": inventory,
    });
    let parent = "";
    const add = (
      service: ChainService,
      name: string,
      kind: 2 | 3,
      atMs: number,
      durationMs: number,
      error: boolean,
    ) => {
      const span: JsonSpan = {
        traceId,
        spanId: hex(rand, 16),
        parentSpanId: parent,
        name,
        kind,
        startTimeUnixNano: ns(startMs + atMs).toString(),
        endTimeUnixNano: ns(startMs + atMs + durationMs).toString(),
        attributes: [
          stringAttribute("http.request.method", "POST"),
          { key: "http.response.status_code", value: { intValue: error ? "500" : "200" } },
        ],
        status: error ? { code: 2, message: MESSAGES[failing!] } : { code: 0 },
      };
      spans[service].push(span);
      parent = span.spanId;
      return span;
    };
    const orderServer = add("order-service", "POST /orders", 2, 0, order, fails("order-service"));
    add("order-service", "POST /pay", 3, 5, payment + 10, fails("payment-service"));
    const paymentServer = add(
      "payment-service",
      "POST /pay",
      2,
      10,
      payment,
      fails("payment-service"),
    );
    add("payment-service", "POST /reserve", 3, 15, inventory + 10, fails("inventory-service"));
    const inventoryServer = add(
      "inventory-service",
      "POST /reserve",
      2,
      20,
      inventory,
      fails("inventory-service"),
    );
    for (const service of CHAIN_SERVICES) if (fails(service)) errors[service]++;

    if (withLogs) {
      const log = (
        service: ChainService,
        atMs: number,
        severityNumber: number,
        severityText: string,
        body: string,
        span: JsonSpan,
      ) =>
        logs[service].push({
          timeUnixNano: ns(startMs + atMs).toString(),
          severityNumber,
          severityText,
          body: { stringValue: body },
          traceId,
          spanId: span.spanId,
          attributes: [stringAttribute("order.id", `ord-${1000 + i}`)],
        });
      log("order-service", 1, 9, "INFO", `Order ord-${1000 + i} received`, orderServer);
      log("payment-service", 11, 9, "INFO", `Charging order ord-${1000 + i}`, paymentServer);
      if (failing !== undefined) {
        const at = failing === "inventory-service" ? inventoryServer : paymentServer;
        log(failing, 20 + inventory, 17, "ERROR", `${MESSAGES[failing]}: ord-${1000 + i}`, at);
      } else if (i % 3 === 1) {
        log("inventory-service", 21, 13, "WARN", "Stock below reorder level", inventoryServer);
      }
    }
  }
  const count = (r: Record<ChainService, unknown[]>) =>
    CHAIN_SERVICES.reduce((sum, s) => sum + r[s].length, 0);
  return {
    spans,
    logs,
    traceIds,
    expected: {
      traces: chains,
      spans: count(spans),
      logs: count(logs),
      requests: { "order-service": chains, "payment-service": chains, "inventory-service": chains },
      errors,
      totalErrors: CHAIN_SERVICES.reduce((sum, s) => sum + errors[s], 0),
      durationsMs,
    },
  };
}

/**
 * Sends `chainData(options)` to a running Argus over OTLP/HTTP (spans of each service in one
 * request, callees first, then logs) and returns it; throws when Argus refuses a request. Argus
 * answers after the commit, so the data is queryable when this resolves.
 */
export async function seedChain(
  argus: { otlpHttpUrl: string },
  options: ChainOptions = {},
): Promise<ChainData> {
  const data = chainData(options);
  for (const service of [...CHAIN_SERVICES].reverse()) {
    const sent = await postJson(
      argus.otlpHttpUrl,
      "traces",
      traceRequest(data.spans[service], service),
    );
    if (sent.status !== 200) {
      throw new Error(
        `Argus refused ${service}'s spans: ${sent.status} ${JSON.stringify(sent.body)}`,
      );
    }
    if (data.logs[service].length > 0) {
      const logged = await postJson(
        argus.otlpHttpUrl,
        "logs",
        logsRequest(data.logs[service], service),
      );
      if (logged.status !== 200) {
        throw new Error(
          `Argus refused ${service}'s logs: ${logged.status} ${JSON.stringify(logged.body)}`,
        );
      }
    }
  }
  return data;
}
