/**
 * The virtualized log list: only the rows in view (and a few either side) are in the DOM, laid
 * out by `@tanstack/virtual-core`, whatever the number of records held.
 *
 * - Rows are 34 px, exactly (ROW_HEIGHT); only expanded rows are measured (a ResizeObserver each),
 *   so the virtualizer's size cache holds an entry per row the user opened, not per row shown.
 * - Newest first. At the top, new records push the list down and the newest stay in view. Scrolled
 *   away from the top, the row in view stays put when records are merged in above it (a refresh, a
 *   reconnection's catch-up): virtual-core's key anchoring, `anchorTo: "end"`, switched on only
 *   then. (Live records wait meanwhile: `onAwayChange` tells the page, which pauses them.)
 * - The server renders the first rows with the virtualizer's initial size, and the browser's first
 *   render is the same, so hydration matches; the real size is read after mounting.
 *
 * @module
 */
import type { ReadonlySignal } from "@preact/signals";
import type { ComponentChildren } from "preact";
import { memo } from "preact/compat";
import { useEffect, useRef, useState } from "preact/hooks";
import { useVirtualizer } from "../hooks/use_virtualizer.ts";
import { severityColor, severityName } from "../theme.ts";
import { formatClock, formatCount, formatZone } from "../../utils/format.ts";
import { bodyText, type LogItem, traceHref } from "../../utils/log_query.ts";
import { ROW_HEIGHT } from "./log_styles.ts";
import { Marked } from "./Marked.tsx";

interface RowProps {
  item: LogItem;
  index: number;
  /** Offset from the list's top, in px. */
  start: number;
  expanded: boolean;
  measure?: (element: HTMLDivElement | null) => void;
  onToggle(item: LogItem, index: number, expanded: boolean): void;
  details?: ComponentChildren;
  /** The search, whose matches are marked in the body. */
  search: string;
  /** Times with their date (`12-03 10:41:02.123`). */
  dated: boolean;
}

/** One record: a summary button (Enter or Space expands it), its trace link, and its details. */
const LogRow = memo(function LogRow(
  { item, index, start, expanded, measure, onToggle, details, search, dated }: RowProps,
) {
  const color = severityColor(item.severity_number);
  const href = traceHref(item);
  const detailsId = `log-details-${item.id}`;
  return (
    <div
      class="argus-log"
      data-log-row
      data-log-id={item.id}
      data-index={index}
      data-color={color}
      data-expanded={expanded ? "" : undefined}
      ref={measure}
      style={{ transform: `translateY(${start}px)` }}
    >
      <div class="argus-log-line">
        <button
          type="button"
          class="argus-log-summary"
          aria-expanded={expanded}
          aria-controls={expanded ? detailsId : undefined}
          onClick={() => onToggle(item, index, expanded)}
        >
          <span class="argus-log-chevron" aria-hidden="true">▶</span>
          <time class="argus-log-time" dateTime={item.timestamp} title={item.timestamp}>
            {formatClock(item.timestamp, { date: dated })}
          </time>
          <span
            class="argus-log-sev"
            data-color={color}
            title={item.severity_text || undefined}
          >
            {item.severity_number === 0 && item.severity_text
              ? item.severity_text.slice(0, 5).toUpperCase()
              : severityName(item.severity_number)}
          </span>
          <span class="argus-log-service" title={item.service_name}>{item.service_name}</span>
          <span class="argus-log-body">
            {item.body === null
              ? "(no body)"
              : <Marked text={bodyText(item.body)} search={search} />}
          </span>
        </button>
        {href
          ? (
            <a class="argus-log-trace" href={href} title={`Trace ${item.trace_id}`}>
              Trace ↗
            </a>
          )
          : <span class="argus-log-notrace" aria-hidden="true" />}
      </div>
      {expanded && (
        <div class="argus-log-details" id={detailsId}>
          {details}
        </div>
      )}
    </div>
  );
});

export interface LogListProps {
  items: readonly LogItem[];
  expanded: ReadonlySet<string>;
  onToggle(id: string): void;
  /** The inline details of an expanded record. */
  details(item: LogItem): ComponentChildren;
  /** Dimmed while a new list is loading. */
  busy?: boolean;
  /** Told when the list is scrolled away from its top (the newest records), and back. */
  onAwayChange?(away: boolean): void;
  /**
   * Newer records waiting above, shown on the "newest" button (which alone re-renders when it
   * changes).
   */
  newer?: ReadonlySignal<number>;
  /** The search, whose matches are marked in the bodies. */
  search?: string;
  /** Newest first (the default) or oldest first: how the list is named. */
  oldestFirst?: boolean;
  /** Times with their date: the list spans days (`datedList` in utils/log_query.ts). */
  dated?: boolean;
  /** Above the rows, outside the scrolling (e.g. "Load newer"). */
  head?: ComponentChildren;
  /** Below the last row, at the end of the scrolling (e.g. "Load older"). */
  foot?: ComponentChildren;
}

/** Back to the top, where the newest records are, with how many wait there. */
function NewestButton(
  { newer, onClick, label }: {
    newer: ReadonlySignal<number> | undefined;
    onClick(): void;
    label: string;
  },
) {
  const count = newer?.value ?? 0;
  return (
    <button type="button" class="argus-logs-newest" onClick={onClick} data-newest>
      {count > 0 ? `↑ ${formatCount(count)} new` : `↑ ${label}`}
    </button>
  );
}

export function LogList(
  {
    items,
    expanded,
    onToggle,
    details,
    busy,
    onAwayChange,
    newer,
    search = "",
    oldestFirst = false,
    dated = false,
    head,
    foot,
  }: LogListProps,
) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer<HTMLDivElement>({
    anchorAwayFromTop: true,
    count: items.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    getItemKey: (index: number) => items[index]?.id ?? index,
    overscan: 8,
    initialRect: { width: 1200, height: 640 },
  });
  const latestToggle = useRef(onToggle);
  latestToggle.current = onToggle;
  // One function for every row and render, so memoized rows skip re-rendering.
  const [toggle] = useState(() => (item: LogItem, index: number, wasExpanded: boolean) => {
    // Back to the exact collapsed height at once, not after the next ResizeObserver round.
    if (wasExpanded) virtualizer.resizeItem(index, ROW_HEIGHT);
    latestToggle.current(item.id);
  });
  const awayFromTop = (virtualizer.scrollOffset ?? 0) > 1;
  useEffect(() => onAwayChange?.(awayFromTop), [awayFromTop, onAwayChange]);
  const virtualItems = virtualizer.getVirtualItems();
  return (
    <div
      class="argus-logs-frame"
      data-log-list
      data-busy={busy ? "" : undefined}
      data-dated={dated ? "" : undefined}
    >
      <div class="argus-logs-headrow" aria-hidden="true">
        <div class="argus-logs-head">
          <span />
          <span data-time-zone-label>{`Time (${formatZone()})`}</span>
          <span>Level</span>
          <span>Service</span>
          <span>Message</span>
        </div>
        <span class="argus-log-notrace" />
      </div>
      {head}
      <div
        class="argus-logs-scroll"
        ref={scroller}
        style={busy ? { opacity: 0.55 } : undefined}
        aria-label={`Log records, ${oldestFirst ? "oldest" : "newest"} first`}
        role="region"
        tabIndex={0}
      >
        <div class="argus-logs-canvas" style={{ height: `${virtualizer.getTotalSize()}px` }}>
          {virtualItems.map((virtual) => {
            const item = items[virtual.index];
            if (item === undefined) return null;
            const open = expanded.has(item.id);
            return (
              <LogRow
                key={item.id}
                item={item}
                index={virtual.index}
                start={virtual.start}
                expanded={open}
                measure={open ? virtualizer.measureElement : undefined}
                onToggle={toggle}
                details={open ? details(item) : undefined}
                search={search}
                dated={dated}
              />
            );
          })}
        </div>
        {foot}
      </div>
      {awayFromTop && items.length > 0 && (
        <NewestButton
          newer={newer}
          onClick={() => virtualizer.scrollToOffset(0)}
          label={oldestFirst ? "Oldest" : "Newest"}
        />
      )}
    </div>
  );
}
