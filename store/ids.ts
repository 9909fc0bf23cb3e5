/**
 * Deterministic ids. The same resource, or the same log record, always gets the same id, so a
 * retried request or a replayed dead-letter file is stored once (no auto-increment anywhere).
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { LogRow, ResourceRow } from "./types.ts";

/** Field separator that cannot be confused with content (validation refuses NUL in text). */
const SEP = "\u0000";

function digest128(parts: readonly string[]): string {
  // 128 bits of SHA-256: collisions are out of reach for any telemetry volume.
  return createHash("sha256").update(parts.join(SEP)).digest("hex").slice(0, 32);
}

/** Id of a resource from everything that identifies it. */
export function resourceId(resource: Omit<ResourceRow, "id">): string {
  return digest128([
    resource.serviceName,
    resource.attributes,
    String(resource.droppedAttributesCount),
    resource.schemaUrl,
  ]);
}

/** Id of a log record from all of its content, including its resource and scope. */
export function logId(log: Omit<LogRow, "id">): string {
  return digest128([
    log.resourceId,
    log.scopeName,
    log.scopeVersion,
    log.scopeAttributes,
    log.timeUnixNano.toString(),
    log.observedTimeUnixNano.toString(),
    String(log.severityNumber),
    log.severityText,
    log.bodyType,
    log.body,
    log.eventName,
    log.traceId,
    log.spanId,
    String(log.flags),
    log.attributes,
    String(log.droppedAttributesCount),
  ]);
}
