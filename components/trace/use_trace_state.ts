/**
 * The TraceView island's state, in signals: the collapsed spans and the rows they leave visible,
 * the selected span (whose details are open), the focused row, whether `?span=` named a span the
 * trace lacks, the zoom, and whether the critical path is drawn. Each value changes in one place
 * and re-renders only the components that read it: selecting a span re-renders the waterfall's
 * rows (of which only those whose props changed) and the panel, not the toolbar.
 *
 * The actions (select, toggle, move the focus, expand or collapse all) read the signals when they
 * run, so they are created once and never change: the memoized rows keep their props.
 *
 * @module
 */
import { batch, type ReadonlySignal, type Signal, useComputed, useSignal } from "@preact/signals";
import { useMemo } from "preact/hooks";
import {
  ancestors,
  type CompactTrace,
  type CriticalSegment,
  parentsOf,
  type VisibleRows,
  visibleRows,
  type WaterfallModel,
  waterfallModel,
} from "../../utils/waterfall.ts";
import { type TraceZoom, useTraceZoom } from "./use_trace_zoom.ts";

/**
 * A row to scroll to and focus: scrolled to once the rows that show it are laid out (revealing
 * it may have changed them), focused once it is rendered (components/trace/use_trace_keyboard.ts).
 * A search match is scrolled to without taking the focus, which stays in the search box.
 */
export interface RevealRequest {
  position: number;
  align: "auto" | "center";
  takeFocus: boolean;
  scrolled: boolean;
  focused: boolean;
}

export interface TraceState {
  model: WaterfallModel;
  zoom: TraceZoom;
  collapsed: Signal<ReadonlySet<number>>;
  rows: ReadonlySignal<VisibleRows>;
  /** Tree position of the span whose details are open, -1 for none. */
  selected: Signal<number>;
  /** Tree position of the row that takes the focus (the tree's one tab stop). */
  focus: Signal<number>;
  /** `?span=` named a span this trace does not have (yet). */
  missing: Signal<boolean>;
  showCritical: Signal<boolean>;
  /** The critical path's segments by position while it is drawn, else null. */
  critical: ReadonlySignal<Map<number, CriticalSegment[]> | null>;
  /** The latest request to bring a row into view and focus it. */
  reveal: Signal<RevealRequest | null>;
  /** The in-trace search's matches, as tree positions in tree order (use_trace_search.ts). */
  matches: Signal<readonly number[]>;
  /** Index in `matches` of the current match, -1 for none. */
  currentMatch: Signal<number>;
  /** `matches` as a set, for the rows. */
  matched: ReadonlySignal<ReadonlySet<number>>;
  /** Opens a span's details (-1 closes them) and records it in the URL's `?span=`. */
  select(position: number, options?: { scroll?: boolean }): void;
  toggle(position: number): void;
  /** Focuses a row, expanding its collapsed ancestors and scrolling it into view. */
  moveFocus(position: number, align?: "auto" | "center"): void;
  /** Makes `matches[index]` the current match: expands its ancestors and scrolls to it. */
  showMatch(index: number): void;
  expandAll(): void;
  collapseAll(): void;
}

/** `built`: the trace's model when the caller has it already (the server, for a huge trace). */
export function useTraceState(
  trace: CompactTrace,
  initialSpanId: string | null,
  built?: WaterfallModel,
): TraceState {
  const model = useMemo(() => built ?? waterfallModel(trace), [trace]);
  const { tree } = model;
  const initial = model.positionOf(initialSpanId);
  const zoom = useTraceZoom(trace.duration_ns);
  const collapsed = useSignal<ReadonlySet<number>>(new Set());
  const rows = useComputed(() => visibleRows(tree, collapsed.value));
  const selected = useSignal(initial);
  const focus = useSignal(Math.max(0, initial));
  const missing = useSignal(initialSpanId !== null && initial < 0);
  const showCritical = useSignal(true);
  const critical = useComputed(() => showCritical.value ? model.criticalByPosition : null);
  const reveal = useSignal<RevealRequest | null>(null);
  const matches = useSignal<readonly number[]>([]);
  const currentMatch = useSignal(-1);
  const matched = useComputed(() => new Set(matches.value));

  return useMemo(() => {
    const bringIntoView = (position: number, align: "auto" | "center", takeFocus: boolean) =>
      batch(() => {
        // Expand collapsed ancestors; only walk them when one hides the span (depth may be the
        // trace's size).
        if (rows.value.rowOf(position) < 0) {
          const next = new Set(collapsed.value);
          for (const a of ancestors(tree, position)) next.delete(a);
          collapsed.value = next;
        }
        focus.value = position;
        // A new request each time, so that the waterfall re-renders and acts on it.
        reveal.value = { position, align, takeFocus, scrolled: false, focused: false };
      });
    const moveFocus = (position: number, align: "auto" | "center" = "auto") =>
      bringIntoView(position, align, true);
    return {
      model,
      zoom,
      collapsed,
      rows,
      selected,
      focus,
      missing,
      showCritical,
      critical,
      reveal,
      matches,
      currentMatch,
      matched,
      moveFocus,
      showMatch(index) {
        const position = matches.peek()[index];
        currentMatch.value = position === undefined ? -1 : index;
        if (position !== undefined) bringIntoView(position, "center", false);
      },
      select(position, options = {}) {
        batch(() => {
          selected.value = position;
          missing.value = false;
          if (position >= 0) {
            if (options.scroll) moveFocus(position, "center");
            else focus.value = position;
          }
        });
        const url = new URL(location.href);
        if (position >= 0) url.searchParams.set("span", trace.span_id[tree.span[position]!]!);
        else url.searchParams.delete("span");
        history.replaceState(history.state, "", url);
      },
      toggle(position) {
        const next = new Set(collapsed.value);
        if (next.has(position)) next.delete(position);
        else next.add(position);
        collapsed.value = next;
      },
      expandAll() {
        collapsed.value = new Set();
      },
      collapseAll() {
        collapsed.value = new Set(parentsOf(tree));
      },
    };
  }, [model]);
}
