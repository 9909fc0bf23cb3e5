/**
 * Inventory service (`inventory-service`, port 9003): `POST /reservations` continues the trace and
 * reserves stock in a (simulated) database. Chaos: 5% of reservations hit a "Database Lock": they
 * wait 2–5 s, then fail. Metric: the gauge `inventory.stock_level` by `sku`.
 *
 * Run: `OTEL_DENO=true OTEL_SERVICE_NAME=inventory-service deno run --allow-net --allow-env
 * chaos/inventory_service.ts` (all settings in chaos/README.md).
 *
 * @module
 */
import { type Gauge, type Meter, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { annotate, json, readJsonObject, type Route, runService, sleep } from "./_service.ts";

let reservations = 0;

/** Units a restock adds when a reservation would take more than what is left. */
export const RESTOCK_UNITS = 100;

/** Units in stock per SKU: a seeded 40 to 99 at first, then less what was reserved. */
const stock = new Map<string, number>();

let stockLevel: Gauge | undefined;

/**
 * Takes `quantity` units of `sku` out of stock (restocking first when too few are left, so that
 * an order never fails for want of stock: the chaos is the only cause of failure) and records the
 * level left. `inventory.stock_level` is a synchronous gauge rather than an observable one because
 * Deno 2.9.6 runs no observable callback for the export it makes when the process ends: the last
 * levels would be lost.
 */
function reserve(meter: Meter, sku: string, quantity: number, initial: () => number): number {
  let level = stock.get(sku) ?? initial();
  if (level < quantity) level += RESTOCK_UNITS;
  level -= quantity;
  stock.set(sku, level);
  stockLevel ??= meter.createGauge("inventory.stock_level", {
    description: "Units in stock after the last reservation, by SKU.",
    unit: "{item}",
  });
  stockLevel.record(level, { sku });
  return level;
}

export const reservationsRoute: Route = {
  method: "POST",
  path: "/reservations",
  async handle(request, { config, log, tracer, meter, chance, latency }) {
    const input = await readJsonObject(request);
    reservations += 1;
    const orderId = typeof input.order_id === "string" ? input.order_id : `res-${reservations}`;
    const sku = typeof input.sku === "string" ? input.sku : "SKU-0001";
    const quantity = Number.isInteger(input.quantity) ? input.quantity as number : 1;
    annotate({ "order.id": orderId });

    return await tracer.startActiveSpan("reserve stock", {
      kind: SpanKind.INTERNAL,
      attributes: { "order.id": orderId, "inventory.sku": sku, "inventory.quantity": quantity },
    }, async (span) => {
      try {
        if (chance("database-lock", orderId) < config.probability) {
          const waitedMs = latency("lock-ms", orderId, 2000, 5000);
          await sleep(waitedMs);
          span.setAttribute("error.type", "database_lock");
          span.recordException({
            name: "DatabaseLockError",
            message: `Lock wait timeout on the stock row of ${sku} after ${waitedMs} ms`,
          });
          span.setStatus({ code: SpanStatusCode.ERROR, message: "Database Lock" });
          log.error(
            `Reservation for order ${orderId} failed: Database Lock on ${sku} after ${waitedMs} ms`,
            { "order.id": orderId },
          );
          return json(500, {
            order_id: orderId,
            error: "Database Lock",
            failed_service: config.name,
          }, "Database Lock");
        }
        await sleep(latency("query-ms", orderId, 5, 20));
        const left = reserve(
          meter,
          sku,
          quantity,
          () => 40 + Math.floor(chance("stock", sku) * 60),
        );
        span.setAttribute("inventory.stock_level", left);
        log.info(`Reserved ${quantity} x ${sku} for order ${orderId}`, { "order.id": orderId });
        return json(200, {
          order_id: orderId,
          reservation_id: `res-${orderId.replace(/^ord-/, "")}`,
        });
      } finally {
        span.end();
      }
    });
  },
};

if (import.meta.main) Deno.exitCode = await runService("inventory", [reservationsRoute]);
