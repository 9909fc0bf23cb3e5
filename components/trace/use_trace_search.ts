/**
 * The in-trace search's fetching: the text typed, debounced, is sent to
 * `GET /api/traces/{trace_id}/search` (span names, services, attribute and event values: the
 * values are not in the waterfall's structure, so the server answers); the span ids it returns
 * become the state's matches in tree order, and the first is shown. An answer to an older text
 * is dropped.
 *
 * @module
 */
import { type ReadonlySignal, useSignal } from "@preact/signals";
import { useEffect, useMemo, useRef } from "preact/hooks";
import { getJson } from "../../utils/api.ts";
import { errorMessage } from "../../utils/errors.ts";
import type { WireTraceSearch } from "../../utils/wire.ts";
import type { TraceState } from "./use_trace_state.ts";

/** Typing pause before a search is sent, ms. */
export const TRACE_SEARCH_DEBOUNCE_MS = 250;

export interface TraceSearch {
  text: ReadonlySignal<string>;
  /** A search is on its way. */
  busy: ReadonlySignal<boolean>;
  /** More spans may match than are listed (the API's limit). */
  truncated: ReadonlySignal<boolean>;
  error: ReadonlySignal<string | null>;
  setText(text: string): void;
  /** Shows the next (+1) or previous (-1) match, wrapping around. */
  step(delta: 1 | -1): void;
}

export function useTraceSearch(state: TraceState): TraceSearch {
  const text = useSignal("");
  const busy = useSignal(false);
  const truncated = useSignal(false);
  const error = useSignal<string | null>(null);
  const sequence = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);

  return useMemo(() => {
    const run = async (q: string, id: number) => {
      try {
        const answer = await getJson<WireTraceSearch>(
          `/api/traces/${state.model.trace.trace_id}/search?q=${encodeURIComponent(q)}`,
        );
        if (id !== sequence.current) return;
        const positions = answer.span_ids.map((span) => state.model.positionOf(span))
          .filter((position) => position >= 0)
          .sort((a, b) => a - b);
        state.matches.value = positions;
        truncated.value = answer.truncated;
        error.value = null;
        state.showMatch(positions.length > 0 ? 0 : -1);
      } catch (e) {
        if (id === sequence.current) error.value = errorMessage(e);
      } finally {
        if (id === sequence.current) busy.value = false;
      }
    };
    return {
      text,
      busy,
      truncated,
      error,
      setText(value: string) {
        text.value = value;
        clearTimeout(timer.current);
        const id = ++sequence.current;
        if (value.trim() === "") {
          busy.value = false;
          error.value = null;
          truncated.value = false;
          state.matches.value = [];
          state.currentMatch.value = -1;
          return;
        }
        busy.value = true;
        timer.current = setTimeout(() => run(value, id), TRACE_SEARCH_DEBOUNCE_MS);
      },
      step(delta: 1 | -1) {
        const count = state.matches.peek().length;
        if (count === 0) return;
        state.showMatch((state.currentMatch.peek() + delta + count) % count);
      },
    };
  }, [state]);
}
