/**
 * How a service's operations table is sorted, one rule for the API (`GET /api/metrics/operations`,
 * routes/operations.ts) and the service page that re-sorts it in the browser: by a figure, with
 * operations lacking it (no spans) last in either order, and ties by name.
 *
 * @module
 */
import type { WireOperation } from "./wire.ts";

/** What the operations may be sorted by (`operation` alphabetically). */
export const OPERATION_SORT_FIELDS = [
  "requests",
  "errors",
  "error_rate",
  "avg_ms",
  "p50_ms",
  "p95_ms",
  "p99_ms",
  "operation",
] as const;
export type OperationSortField = typeof OPERATION_SORT_FIELDS[number];

export function isOperationSortField(text: string): text is OperationSortField {
  return (OPERATION_SORT_FIELDS as readonly string[]).includes(text);
}

const byName = (a: WireOperation, b: WireOperation) =>
  a.operation < b.operation ? -1 : a.operation > b.operation ? 1 : 0;

/** A comparator of operations by `field` in `order`. */
export function compareOperations(
  field: OperationSortField,
  order: "asc" | "desc",
): (a: WireOperation, b: WireOperation) => number {
  const sign = order === "asc" ? 1 : -1;
  return (a, b) => {
    if (field === "operation") return sign * byName(a, b);
    const x = a[field];
    const y = b[field];
    if (x === null || y === null) {
      if (x !== y) return x === null ? 1 : -1;
    } else if (x !== y) return sign * (x - y);
    return byName(a, b);
  };
}
