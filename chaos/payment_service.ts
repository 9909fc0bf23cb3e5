/**
 * Payment service (`payment-service`, port 9002): `POST /payments` continues the order's trace,
 * reserves the stock through the inventory service, then charges the card. Chaos: 10% of charges
 * answer HTTP 500 "Gateway Timeout".
 *
 * Run: `OTEL_DENO=true OTEL_SERVICE_NAME=payment-service deno run --allow-net --allow-env
 * chaos/payment_service.ts` (all settings in chaos/README.md).
 *
 * @module
 */
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { annotate, json, readJsonObject, type Route, runService, sleep } from "./_service.ts";

let payments = 0;

export const paymentsRoute: Route = {
  method: "POST",
  path: "/payments",
  async handle(request, { config, log, tracer, chance, latency, call }) {
    const input = await readJsonObject(request);
    payments += 1;
    const orderId = typeof input.order_id === "string" ? input.order_id : `pay-${payments}`;
    const sku = typeof input.sku === "string" ? input.sku : "SKU-0001";
    const quantity = Number.isInteger(input.quantity) ? input.quantity as number : 1;
    const amountCents = Number.isInteger(input.amount_cents) ? input.amount_cents as number : 0;
    annotate({ "order.id": orderId, "payment.amount_cents": amountCents });

    const reservation = await call("/reservations", { order_id: orderId, sku, quantity });
    if (!reservation.ok) {
      log.error(
        `Payment for order ${orderId} refused: inventory-service answered ` +
          `${reservation.status || "nothing"} (${reservation.failedService}: ${reservation.error})`,
        { "order.id": orderId },
      );
      return json(502, {
        order_id: orderId,
        error: reservation.error,
        failed_service: reservation.failedService,
      }, "Bad Gateway");
    }

    return await tracer.startActiveSpan("charge card", {
      kind: SpanKind.INTERNAL,
      attributes: { "order.id": orderId, "payment.amount_cents": amountCents },
    }, async (charge) => {
      try {
        await sleep(latency("charge-ms", orderId, 20, 60));
        if (chance("gateway-timeout", orderId) < config.probability) {
          charge.setAttribute("error.type", "gateway_timeout");
          charge.setStatus({ code: SpanStatusCode.ERROR, message: "Gateway Timeout" });
          log.error(
            `Payment for order ${orderId} failed: Gateway Timeout from the card processor`,
            {
              "order.id": orderId,
            },
          );
          return json(500, {
            order_id: orderId,
            error: "Gateway Timeout",
            failed_service: config.name,
          }, "Gateway Timeout");
        }
        const paymentId = `pay-${orderId.replace(/^ord-/, "")}`;
        log.info(`Payment ${paymentId} for order ${orderId} captured: ${amountCents / 100} EUR`, {
          "order.id": orderId,
        });
        return json(200, { order_id: orderId, payment_id: paymentId, amount_cents: amountCents });
      } finally {
        charge.end();
      }
    });
  },
};

if (import.meta.main) Deno.exitCode = await runService("payment", [paymentsRoute]);
