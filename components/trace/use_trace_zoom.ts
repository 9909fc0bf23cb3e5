/**
 * The waterfall's zoom: the stretch of the trace's time in view, as a signal, with the ruler's
 * ticks computed from it. Dragging across the ruler zooms in (components/trace/TimeRuler.tsx);
 * the toolbar's button resets. Only what reads the view (the ruler, the rows, the toolbar)
 * re-renders when it changes.
 *
 * @module
 */
import { type ReadonlySignal, type Signal, useComputed, useSignal } from "@preact/signals";
import { useMemo } from "preact/hooks";
import { brushedView, type Tick, timeTicks, type TimeView } from "../../utils/waterfall.ts";

/** Ticks on the ruler (and grid lines under the rows), at most. */
const MAX_TICKS = 6;

export interface TraceZoom {
  /** The stretch of time in view, ns from the trace's start. */
  view: Signal<TimeView>;
  /** The whole trace. */
  full: TimeView;
  zoomed: ReadonlySignal<boolean>;
  ticks: ReadonlySignal<Tick[]>;
  /** Zooms to the fractions [from, to] of the view; a click-sized stretch does nothing. */
  zoomTo(from: number, to: number): void;
  reset(): void;
}

export function useTraceZoom(durationNs: number): TraceZoom {
  const full = useMemo<TimeView>(() => ({ fromNs: 0, toNs: durationNs }), [durationNs]);
  const view = useSignal<TimeView>(full);
  const zoomed = useComputed(() =>
    view.value.fromNs !== full.fromNs || view.value.toNs !== full.toNs
  );
  const ticks = useComputed(() => timeTicks(view.value, MAX_TICKS));
  return useMemo(() => ({
    view,
    full,
    zoomed,
    ticks,
    zoomTo(from: number, to: number) {
      const next = brushedView(view.value, from, to);
      if (next) view.value = next;
    },
    reset() {
      view.value = full;
    },
  }), [full]);
}
