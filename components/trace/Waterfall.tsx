/**
 * The waterfall itself: a scrolled box with a sticky header (the row count and the time ruler,
 * components/trace/TimeRuler.tsx) over the spans in tree order, one `SpanRow` each, with the
 * ruler's grid lines behind them. Only the rows in view are in the DOM (@tanstack/virtual-core,
 * components/hooks/use_virtualizer.ts), so 80,000-span traces scroll like 8; keys on a row
 * navigate the tree (components/trace/use_trace_keyboard.ts).
 *
 * It reads the rows, the selection, the focus, the zoom and the critical path from the island's
 * signals, so it re-renders when one of those changes or the rows in view do, and maps them to
 * each row's plain props: the memoized rows whose props did not change are not re-rendered.
 * Nothing here does O(spans) work per scroll, hover, click or key.
 *
 * @module
 */
import { Text } from "@mantine/core";
import { useRef } from "preact/hooks";
import { formatCount } from "../../utils/format.ts";
import { useVirtualizer } from "../hooks/use_virtualizer.ts";
import { SpanRow } from "./SpanRow.tsx";
import { TimeRuler } from "./TimeRuler.tsx";
import { WATERFALL_LAYOUT } from "./trace_styles.ts";
import { useFocusReveal, useTraceKeyboard } from "./use_trace_keyboard.ts";
import type { TraceState } from "./use_trace_state.ts";

const { row: ROW, head: HEAD, initialViewport: INITIAL_VIEWPORT, minHeight: MIN_HEIGHT } =
  WATERFALL_LAYOUT;

export function Waterfall({ state }: { state: TraceState }) {
  const { model, zoom } = state;
  const { tree } = model;
  const rows = state.rows.value;
  const selected = state.selected.value;
  const focus = state.focus.value;
  const collapsed = state.collapsed.value;
  const critical = state.critical.value;
  const matched = state.matched.value;
  const current = state.matches.value[state.currentMatch.value] ?? -1;
  const view = zoom.view.value;
  const ticks = zoom.ticks.value;

  const scrollRef = useRef<HTMLDivElement>(null);
  const initialRow = selected >= 0 ? rows.rowOf(selected) : -1;
  const virtualizer = useVirtualizer<HTMLDivElement>({
    count: rows.count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW,
    overscan: 12,
    paddingStart: HEAD,
    scrollPaddingStart: HEAD,
    initialRect: { width: 1000, height: INITIAL_VIEWPORT },
    // A preselected span below the smallest viewport is scrolled to, a third of the way down.
    initialOffset: (initialRow + 1) * ROW + HEAD > MIN_HEIGHT
      ? Math.max(0, initialRow * ROW - INITIAL_VIEWPORT / 3)
      : 0,
  });
  useFocusReveal(state, virtualizer, scrollRef);
  const onKeyDown = useTraceKeyboard(state, scrollRef);

  const items = virtualizer.getVirtualItems();
  const total = virtualizer.getTotalSize();
  const focusRendered = items.some((item) => rows.positionAt(item.index) === focus);

  return (
    <div className="argus-wf" style={{ flex: "1 1 auto", minWidth: 0 }}>
      <div
        ref={scrollRef}
        className="argus-wf-scroll"
        style={{ height: total, maxHeight: `max(${MIN_HEIGHT}px, calc(100vh - 300px))` }}
        data-waterfall
        data-span-count={tree.size}
        data-row-count={rows.count}
      >
        <div className="argus-wf-head">
          <div>
            <span>Service &amp; operation</span>
            <Text span size="xs" c="dimmed">
              {`${formatCount(rows.count)} of ${formatCount(tree.size)} rows`}
            </Text>
          </div>
          <TimeRuler zoom={zoom} />
        </div>
        <div
          className="argus-wf-body"
          role="tree"
          aria-label="Spans"
          style={{ height: total - HEAD }}
          onKeyDown={onKeyDown}
        >
          {/* Inside the scrolled body, so that a scrollbar narrows it as it does the rows. */}
          <div className="argus-wf-grid" aria-hidden="true">
            {ticks.map((tick) => <div key={tick.ns} style={{ left: `${tick.fraction * 100}%` }} />)}
          </div>
          {items.map((item) => {
            const position = rows.positionAt(item.index);
            return (
              <SpanRow
                key={position}
                model={model}
                position={position}
                top={item.start - HEAD}
                view={view}
                critical={critical?.get(position)}
                collapsed={collapsed.has(position)}
                selected={position === selected}
                match={matched.has(position) ? (position === current ? "current" : "other") : null}
                tabbable={position === focus || (!focusRendered && item === items[0])}
                onSelect={state.select}
                onToggle={state.toggle}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
}
