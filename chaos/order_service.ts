/**
 * Order service (`order-service`, port 9001): `POST /orders` starts a trace and pays through the
 * payment service. Chaos: 30% of orders are slowed by 100–800 ms before paying.
 *
 * Run: `OTEL_DENO=true OTEL_SERVICE_NAME=order-service deno run --allow-net --allow-env
 * chaos/order_service.ts` (all settings in chaos/README.md).
 *
 * @module
 */
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

/** Unit price in cents of a SKU: any stable number will do. */
function priceCents(sku: string): number {
  let sum = 0;
  for (const c of sku) sum = (sum * 31 + c.charCodeAt(0)) % 9000;
  return 500 + sum;
}

export const ordersRoute: Route = {
  method: "POST",
  path: "/orders",
  async handle(request, { config, log, chance, latency, call }) {
    const input = await readJsonObject(request);
    const sku = typeof input.sku === "string" && input.sku !== "" ? input.sku : "SKU-0001";
    const quantity = input.quantity ?? 1;
    if (
      typeof quantity !== "number" || !Number.isInteger(quantity) || quantity < 1 || quantity > 100
    ) {
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
