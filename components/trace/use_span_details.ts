/**
 * The selected span's full fields for the panel beside the waterfall. A small trace's details
 * come with the page (`inline`, in the compact trace's column order); a large trace's are fetched
 * from `GET /api/traces/{trace_id}` once, when a span is first opened, and kept. A failed fetch
 * is said in the panel and retried when another span is opened.
 *
 * @module
 */
import { type ReadonlySignal, useComputed, useSignal, useSignalEffect } from "@preact/signals";
import { useMemo, useRef } from "preact/hooks";
import { getJson } from "../../utils/api.ts";
import { errorMessage } from "../../utils/errors.ts";
import type { CompactTrace } from "../../utils/waterfall.ts";
import type { SpanDetail } from "./SpanPanel.tsx";

export interface SpanDetails {
  /** The details of the span at an input index, once known (a signal read: call it in render). */
  of(index: number): SpanDetail | undefined;
  /** The details are being fetched (or not yet asked for). */
  loading: ReadonlySignal<boolean>;
  /** Why the fetch failed, or null. */
  error: ReadonlySignal<string | null>;
}

export function useSpanDetails(
  trace: CompactTrace,
  inline: SpanDetail[] | null,
  selected: ReadonlySignal<number>,
): SpanDetails {
  const fetched = useSignal<ReadonlyMap<string, SpanDetail> | null>(null);
  const error = useSignal<string | null>(null);
  const fetching = useRef(false);
  const loading = useComputed(() =>
    inline === null && fetched.value === null && error.value === null
  );
  useSignalEffect(() => {
    if (inline !== null || selected.value < 0 || fetched.value !== null || fetching.current) {
      return;
    }
    fetching.current = true;
    error.value = null;
    getJson<{ spans: SpanDetail[] }>(`/api/traces/${trace.trace_id}`)
      .then((body) => (fetched.value = new Map(body.spans.map((span) => [span.span_id, span]))))
      .catch((e) => (error.value = errorMessage(e)))
      .finally(() => (fetching.current = false));
  });
  return useMemo(() => ({
    of: (index: number) =>
      inline !== null ? inline[index] : fetched.value?.get(trace.span_id[index]!),
    loading,
    error,
  }), [trace, inline]);
}
