/**
 * `@tanstack/virtual-core` for Preact islands (what `@tanstack/react-virtual` does for React):
 * one `Virtualizer` per component, re-rendering it when the visible range changes. Rows have a
 * fixed height here, so nothing is measured.
 *
 * On the server no effect runs and no element exists: the virtualizer lays out the first
 * `initialRect.height` pixels from `initialOffset`, and the browser's first render does the same,
 * so hydration matches; then the scroll element takes over.
 *
 * @module
 */
import {
  elementScroll,
  observeElementOffset,
  observeElementRect,
  Virtualizer,
  type VirtualizerOptions,
} from "@tanstack/virtual-core";
import { useLayoutEffect, useState } from "preact/hooks";

export type VirtualListOptions<S extends Element> =
  & Omit<
    VirtualizerOptions<S, Element>,
    "observeElementRect" | "observeElementOffset" | "scrollToFn" | "anchorTo"
  >
  & {
    /**
     * Once scrolled away from the top, keep the row in view still when rows are merged in above
     * it (virtual-core's key anchoring, `anchorTo: "end"`); at the top, new rows push the list
     * down and the first ones stay in view. Off by default.
     */
    anchorAwayFromTop?: boolean;
  };

export function useVirtualizer<S extends Element>(
  { anchorAwayFromTop = false, ...options }: VirtualListOptions<S>,
): Virtualizer<S, Element> {
  const [, setTick] = useState(0);
  const resolve = (instance?: Virtualizer<S, Element>): VirtualizerOptions<S, Element> => ({
    observeElementRect,
    observeElementOffset,
    scrollToFn: elementScroll,
    ...options,
    anchorTo: anchorAwayFromTop && (instance?.scrollOffset ?? 0) > 1 ? "end" : "start",
    onChange: (instance, sync) => {
      setTick((tick) => tick + 1);
      options.onChange?.(instance, sync);
    },
  });
  const [instance] = useState(() => new Virtualizer<S, Element>(resolve()));
  instance.setOptions(resolve(instance));
  // Once: the instance lives as long as the island.
  useLayoutEffect(() => instance._didMount(), []);
  useLayoutEffect(() => {
    instance._willUpdate();
  });
  return instance;
}
