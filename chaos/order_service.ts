/**
 * Order service (`order-service`, port 9001): `POST /orders` starts a trace and pays through the
 * payment service. Chaos: 30% of orders are slowed by 100–800 ms before paying. Metric: the counter
 * `orders.placed` by `outcome`.
 *
 * Run: `OTEL_DENO=true OTEL_SERVICE_NAME=order-service deno run --allow-net --allow-env
 * chaos/order_service.ts` (all settings in chaos/README.md).
 *
 * @module
 */
import type { Counter, Meter } from "@opentelemetry/api";
import {
  activeTraceId,
  annotate,
  json,
  readJsonObject,
  type Route,
  runService,
  sleep,
} from "./_service.ts";

let orders = 0;

/** How an order ended, the `outcome` of `orders.placed`. */
export type OrderOutcome = "confirmed" | "payment_failed" | "inventory_failed" | "invalid";

let placed: Counter | undefined;

/**
 * `orders.placed` (`{order}`, a monotonic counter): every order answered, by `outcome`. Made on
 * first use, once the instrumentation's meter provider is registered.
 */
function countOrder(meter: Meter, outcome: OrderOutcome): void {
  placed ??= meter.createCounter("orders.placed", {
    description: "Orders answered, by outcome.",
    unit: "{order}",
  });
  placed.add(1, { outcome });
}

/**
 * Unit price in cents of a SKU: a stable 5.00 to 94.99 EUR from an FNV-1a hash of its name, so
 * that neighbouring SKUs (`SKU-0001`, `SKU-0002`) cost quite different amounts and the
 * `payment.amount` histogram spreads over its buckets.
 */
export function priceCents(sku: string): number {
  let hash = 0x811c9dc5;
  for (const c of sku) hash = Math.imul(hash ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return 500 + hash % 9000;
}

export const ordersRoute: Route = {
  method: "POST",
  path: "/orders",
  async handle(request, { config, log, meter, chance, latency, call }) {
    let input: Record<string, unknown>;
    try {
      input = await readJsonObject(request);
    } catch (error) {
      countOrder(meter, "invalid");
      throw error;
    }
    const sku = typeof input.sku === "string" && input.sku !== "" ? input.sku : "SKU-0001";
    const quantity = input.quantity ?? 1;
    if (
      typeof quantity !== "number" || !Number.isInteger(quantity) || quantity < 1 || quantity > 100
    ) {
      countOrder(meter, "invalid");
      throw new RangeError(
        "Cannot use quantity as it must be an integer from 1 to 100: current value is " +
          JSON.stringify(quantity),
      );
    }
    // Numbered by arrival; the chaos is keyed by this id, so a seed fails the same orders.
    orders += 1;
    const orderId = `ord-${String(orders).padStart(6, "0")}`;
    const amountCents = priceCents(sku) * quantity;
    annotate({ "order.id": orderId, "order.sku": sku, "order.quantity": quantity });

    let injectedLatencyMs = 0;
    if (chance("latency", orderId) < config.probability) {
      injectedLatencyMs = latency("latency-ms", orderId, 100, 800);
      annotate({ "chaos.injected_latency_ms": injectedLatencyMs });
      log.warn(`Order ${orderId} is slow: ${injectedLatencyMs} ms of injected latency`, {
        "order.id": orderId,
      });
      await sleep(injectedLatencyMs);
    }

    const payment = await call("/payments", {
      order_id: orderId,
      sku,
      quantity,
      amount_cents: amountCents,
    });
    const traceId = activeTraceId();
    if (!payment.ok) {
      countOrder(
        meter,
        payment.failedService === "inventory-service" ? "inventory_failed" : "payment_failed",
      );
      log.error(
        `Order ${orderId} failed: payment-service answered ${payment.status || "nothing"} ` +
          `(${payment.failedService}: ${payment.error})`,
        { "order.id": orderId },
      );
      return json(502, {
        order_id: orderId,
        status: "failed",
        error: payment.error,
        failed_service: payment.failedService,
        injected_latency_ms: injectedLatencyMs,
        trace_id: traceId,
      }, "Bad Gateway");
    }
    countOrder(meter, "confirmed");
    log.info(`Order ${orderId} confirmed: ${quantity} x ${sku}, ${amountCents / 100} EUR`, {
      "order.id": orderId,
    });
    return json(201, {
      order_id: orderId,
      status: "confirmed",
      payment_id: payment.body.payment_id,
      amount_cents: amountCents,
      injected_latency_ms: injectedLatencyMs,
      trace_id: traceId,
    });
  },
};

if (import.meta.main) Deno.exitCode = await runService("order", [ordersRoute]);
