/**
 * The selected span's full fields for the panel beside the waterfall. A small trace's details
 * come with the page (`inline`, in the compact trace's column order); a large trace's are fetched
 * span by span from `GET /api/traces/{trace_id}/spans/{span_id}` when a span is opened, and kept,
 * so the page never downloads the whole trace. A failed fetch is said in the panel and retried
 * when the span is opened again.
 *
 * @module
 */
import { type ReadonlySignal, useComputed, useSignal, useSignalEffect } from "@preact/signals";
import { useMemo } from "preact/hooks";
import { getJson } from "../../utils/api.ts";
import { errorMessage } from "../../utils/errors.ts";
import type { CompactTrace } from "../../utils/waterfall.ts";
import type { WaterfallModel } from "../../utils/waterfall.ts";
import type { SpanDetail } from "./SpanPanel.tsx";

export interface SpanDetails {
  /** The details of the span at an input index, once known (a signal read: call it in render). */
  of(index: number): SpanDetail | undefined;
  /** The selected span's details are being fetched. */
  loading: ReadonlySignal<boolean>;
  /** Why the selected span's fetch failed, or null. */
  error: ReadonlySignal<string | null>;
}

export function useSpanDetails(
  trace: CompactTrace,
  model: WaterfallModel,
  inline: SpanDetail[] | null,
  selected: ReadonlySignal<number>,
): SpanDetails {
  /** Fetched details by span id (a new map on each arrival, so readers re-render). */
  const fetched = useSignal<ReadonlyMap<string, SpanDetail>>(new Map());
  /** Failed fetches by span id. */
  const failed = useSignal<ReadonlyMap<string, string>>(new Map());
  const selectedId = useComputed(() =>
    selected.value < 0 ? null : trace.span_id[model.tree.span[selected.value]!] ?? null
  );
  const loading = useComputed(() => {
    const id = selectedId.value;
    return inline === null && id !== null && !fetched.value.has(id) && !failed.value.has(id);
  });
  const error = useComputed(() =>
    selectedId.value === null ? null : failed.value.get(selectedId.value) ?? null
  );
  const pending = useMemo(() => new Set<string>(), [trace]);
  useSignalEffect(() => {
    const id = selectedId.value;
    if (inline !== null || id === null || fetched.peek().has(id) || pending.has(id)) return;
    pending.add(id);
    if (failed.peek().has(id)) {
      const rest = new Map(failed.peek());
      rest.delete(id);
      failed.value = rest;
    }
    getJson<SpanDetail>(`/api/traces/${trace.trace_id}/spans/${id}`)
      .then((span) => (fetched.value = new Map(fetched.peek()).set(id, span)))
      .catch((e) => (failed.value = new Map(failed.peek()).set(id, errorMessage(e))))
      .finally(() => pending.delete(id));
  });
  return useMemo(() => ({
    of: (index: number) =>
      inline !== null ? inline[index] : fetched.value.get(trace.span_id[index]!),
    loading,
    error,
  }), [trace, inline]);
}
