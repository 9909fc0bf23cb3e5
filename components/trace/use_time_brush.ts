/**
 * The ruler's drag-to-zoom: a mouse drag across the ruler draws a brush over the stretch of time
 * it covers and, on release, hands that stretch (as fractions of the ruler's width) to `onZoom`.
 * The brush is a signal read only by the ruler, so a drag re-renders the ruler alone.
 *
 * @module
 */
import { type ReadonlySignal, useSignal } from "@preact/signals";
import type { RefObject } from "preact";
import { useRef } from "preact/hooks";
import { fractionAcross } from "../../utils/waterfall.ts";

/** The brush's ends, as fractions of the ruler's width, in the order dragged. */
export interface Brush {
  from: number;
  to: number;
}

export interface TimeBrush {
  /** The ruler element. */
  ref: RefObject<HTMLDivElement>;
  /** The brush while dragging, else null. */
  brush: ReadonlySignal<Brush | null>;
  onMouseDown(event: MouseEvent): void;
}

export function useTimeBrush(onZoom: (from: number, to: number) => void): TimeBrush {
  const ref = useRef<HTMLDivElement>(null);
  const brush = useSignal<Brush | null>(null);
  const onMouseDown = (event: MouseEvent) => {
    const ruler = ref.current;
    if (!ruler || event.button !== 0) return;
    event.preventDefault();
    const rect = ruler.getBoundingClientRect();
    const fraction = (x: number) => fractionAcross(x, rect.left, rect.width);
    const from = fraction(event.clientX);
    brush.value = { from, to: from };
    const move = (e: MouseEvent) => (brush.value = { from, to: fraction(e.clientX) });
    const up = (e: MouseEvent) => {
      removeEventListener("mousemove", move);
      removeEventListener("mouseup", up);
      brush.value = null;
      onZoom(from, fraction(e.clientX));
    };
    addEventListener("mousemove", move);
    addEventListener("mouseup", up);
  };
  return { ref, brush, onMouseDown };
}
