/**
 * The waterfall's keyboard and focus. `useTraceKeyboard` turns a key pressed on a row into what
 * `waterfallKeyAction` (utils/waterfall_keys.ts) says it does: move the focus, collapse or expand,
 * open or close the details. `useFocusReveal` carries out a request to focus a row (from the
 * keyboard or the panel's links): it scrolls the row into view once the rows that show it are laid
 * out, then focuses it once it is rendered; only the rows in view exist, so this may take a render.
 *
 * @module
 */
import type { Virtualizer } from "@tanstack/virtual-core";
import type { RefObject } from "preact";
import { useLayoutEffect } from "preact/hooks";
import { waterfallKeyAction } from "../../utils/waterfall_keys.ts";
import { WATERFALL_LAYOUT } from "./trace_styles.ts";
import type { TraceState } from "./use_trace_state.ts";

/** The rows' `onKeyDown`: keys on a row (`[data-position]`) navigate the tree. */
export function useTraceKeyboard(
  state: TraceState,
  scrollRef: RefObject<HTMLElement>,
): (event: KeyboardEvent) => void {
  return (event: KeyboardEvent) => {
    const element = (event.target as HTMLElement).closest<HTMLElement>("[data-position]");
    if (!element) return;
    const height = scrollRef.current?.clientHeight ?? 600;
    const action = waterfallKeyAction(event.key, {
      tree: state.model.tree,
      rows: state.rows.value,
      collapsed: state.collapsed.value,
      position: Number(element.dataset.position),
      selected: state.selected.value,
      pageRows: Math.floor((height - WATERFALL_LAYOUT.head) / WATERFALL_LAYOUT.row),
    });
    if (action === null) return;
    if (action.kind === "focus") state.moveFocus(action.position);
    else if (action.kind === "toggle") state.toggle(action.position);
    else if (action.kind === "select") state.select(action.position);
    event.preventDefault();
  };
}

/**
 * Acts on the latest `state.reveal` request after each render of the waterfall until its row is
 * focused. Reads the request in render, so that a new one re-renders the waterfall.
 */
export function useFocusReveal(
  state: TraceState,
  virtualizer: Virtualizer<HTMLDivElement, Element>,
  scrollRef: RefObject<HTMLElement>,
): void {
  const target = state.reveal.value;
  useLayoutEffect(() => {
    if (target === null || target.focused) return;
    if (!target.scrolled) {
      target.scrolled = true;
      virtualizer.scrollToIndex(state.rows.peek().rowOf(target.position), {
        align: target.align,
      });
    }
    if (!target.takeFocus) {
      target.focused = true;
      return;
    }
    const element = scrollRef.current?.querySelector<HTMLElement>(
      `[data-position="${target.position}"]`,
    );
    if (element) {
      element.focus({ preventScroll: true });
      target.focused = true;
    }
  });
}
