/**
 * Picking two traces of the trace list to compare (routes/pages/compare.tsx): a checkbox on each
 * row and, in the column's header, a link to the comparison once two are ticked. A third tick
 * replaces the older of the two. The picks are a signal the table owns; only these cells read it.
 *
 * @module
 */
import { Table } from "@mantine/core";
import { type Signal, useComputed } from "@preact/signals";

/** Trace ids ticked, oldest first, at most two. */
export type ComparePicks = Signal<string[]>;

/** The comparison of two traces. */
export function compareHref(a: string, b: string): string {
  return `/traces/compare?${new URLSearchParams({ a, b })}`;
}

/** The column's header: how to compare, or the link once two traces are ticked. */
export function CompareHeader({ picks }: { picks: ComparePicks }) {
  const ready = useComputed(() => picks.value.length === 2);
  const [a, b] = picks.value;
  return (
    <Table.Th w={80} data-compare-header>
      {ready.value
        ? <a href={compareHref(a!, b!)} data-compare-link>Compare</a>
        : <span title="Tick two traces to compare them">Compare</span>}
    </Table.Th>
  );
}

/** A row's checkbox. */
export function CompareCell({ traceId, picks }: { traceId: string; picks: ComparePicks }) {
  const checked = useComputed(() => picks.value.includes(traceId));
  const toggle = () => {
    const current = picks.peek();
    picks.value = current.includes(traceId)
      ? current.filter((id) => id !== traceId)
      : [...current, traceId].slice(-2);
  };
  return (
    <Table.Td>
      <input
        type="checkbox"
        checked={checked.value}
        onChange={toggle}
        aria-label={`Compare trace ${traceId.slice(0, 16)}`}
        data-compare-pick={traceId}
      />
    </Table.Td>
  );
}
