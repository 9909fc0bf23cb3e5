/**
 * Payment service (`payment-service`, port 9002): `POST /payments` continues the order's trace,
 * reserves the stock through the inventory service, then charges the card. Chaos: 10% of charges
 * answer HTTP 500 "Gateway Timeout". Metrics: the histogram `payment.amount` by `outcome` and the
 * up-down counter `payment.active_charges`.
 *
 * Run: `OTEL_DENO=true OTEL_SERVICE_NAME=payment-service deno run --allow-net --allow-env
 * chaos/payment_service.ts` (all settings in chaos/README.md).
 *
 * @module
 */
import {
  type Histogram,
  type Meter,
  SpanKind,
  SpanStatusCode,
  type UpDownCounter,
} from "@opentelemetry/api";
import { annotate, json, readJsonObject, type Route, runService, sleep } from "./_service.ts";

let payments = 0;

/**
 * Bucket bounds of `payment.amount` in euros. An order costs 5 to 95 EUR a unit, 1 to 3 units in
 * the simulation (up to 100 by hand): 5 to 285 EUR, spread over the middle buckets.
 */
export const PAYMENT_AMOUNT_BUCKETS_EUR = [5, 10, 25, 50, 75, 100, 150, 200, 300, 500, 1000, 5000];

let instruments: { amount: Histogram; active: UpDownCounter } | undefined;

/** The service's instruments, made on first use (once the meter provider is registered). */
function paymentInstruments(meter: Meter) {
  return instruments ??= {
    amount: meter.createHistogram("payment.amount", {
      description: "Amounts charged to cards, by outcome (captured or declined).",
      unit: "{EUR}",
      advice: { explicitBucketBoundaries: PAYMENT_AMOUNT_BUCKETS_EUR },
    }),
    active: meter.createUpDownCounter("payment.active_charges", {
      description: "Card charges in progress.",
      unit: "{charge}",
    }),
  };
}

export const paymentsRoute: Route = {
  method: "POST",
  path: "/payments",
  async handle(request, { config, log, tracer, meter, chance, latency, call }) {
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
      const { amount, active } = paymentInstruments(meter);
      active.add(1);
      try {
        await sleep(latency("charge-ms", orderId, 20, 60));
        if (chance("gateway-timeout", orderId) < config.probability) {
          amount.record(amountCents / 100, { outcome: "declined" });
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
        amount.record(amountCents / 100, { outcome: "captured" });
        const paymentId = `pay-${orderId.replace(/^ord-/, "")}`;
        log.info(`Payment ${paymentId} for order ${orderId} captured: ${amountCents / 100} EUR`, {
          "order.id": orderId,
        });
        return json(200, { order_id: orderId, payment_id: paymentId, amount_cents: amountCents });
      } finally {
        active.add(-1);
        charge.end();
      }
    });
  },
};

if (import.meta.main) Deno.exitCode = await runService("payment", [paymentsRoute]);
