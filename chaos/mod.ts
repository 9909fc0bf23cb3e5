/**
 * @module
 * The chaos services and their simulation (`deno task simulate`): three instrumented HTTP services
 * (order → payment → inventory) that fail in known ways, so that traces, errors, logs and metrics
 * flow into Argus. Entry points: `order_service.ts`, `payment_service.ts`, `inventory_service.ts`,
 * `simulate.ts`; chaos/README.md describes their settings and statistics. This module is what tests
 * and tools may import.
 */
export { type Instrumentation, type ServiceKey, SERVICES } from "./_config.ts";
export { chance } from "./_random.ts";
export { type SimulationSummary } from "./_summary.ts";
export { type Protocol, PROTOCOLS } from "./_simulation_options.ts";
export { PAYMENT_AMOUNT_BUCKETS_EUR } from "./payment_service.ts";
