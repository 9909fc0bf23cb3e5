/**
 * One trace: a header (root service and operation, start, duration, span and error counts,
 * services), a legend, and the waterfall: spans in tree order, indented by depth, collapsible,
 * over a time ruler that zooms by dragging, with bars coloured per service, errors marked red
 * and the critical path underlined. Only the rows in view are in the DOM
 * (@tanstack/virtual-core), so 80,000-span traces scroll like 8. A click or Enter opens a span's
 * details beside it (components/trace/SpanPanel.tsx); `?span=<span_id>` opens one and scrolls to it.
 *
 * The layout (tree order, visible rows, time scale, critical path) is pure and tested in
 * utils/waterfall.ts; this island only maps the visible rows to elements. Nothing here does
 * O(spans) work per scroll, hover, click or key; collapsing costs O(collapsed) here and O(rows)
 * in the virtualizer's offsets.
 *
 * @module
 */
import { Badge, Button, Card, Group, SimpleGrid, Stack, Switch, Text, Title } from "@mantine/core";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { Figure } from "../components/page/Figure.tsx";
import { IslandProvider } from "../components/IslandProvider.tsx";
import { getJson } from "../utils/api.ts";
import { formatCount, formatDateTime, formatDuration } from "../utils/format.ts";
import { logsHref, type SpanDetail, SpanPanel } from "../components/trace/SpanPanel.tsx";
import { WATERFALL_CSS } from "../components/trace/trace_styles.ts";
import { useVirtualizer } from "../components/hooks/use_virtualizer.ts";
import {
  ancestors,
  barGeometry,
  buildSpanTree,
  type CompactTrace,
  criticalPath,
  type CriticalSegment,
  FLAG_CYCLE,
  FLAG_ERROR,
  FLAG_ORPHAN,
  FLAG_OUTSIDE_PARENT,
  formatOffset,
  hasChildren,
  parentsOf,
  serviceColors,
  type SpanTree,
  timeTicks,
  type TimeView,
  visibleRows,
  zoomView,
} from "../utils/waterfall.ts";
import { SPAN_KINDS, STATUS_CODES } from "../utils/wire.ts";
import { errorMessage } from "../utils/errors.ts";

export interface TraceViewProps extends Record<string, unknown> {
  trace: CompactTrace;
  /**
   * Each span's full fields, in the compact trace's column order; null for large traces, whose
   * details are fetched from `/api/traces/{trace_id}` when a span is first opened.
   */
  details: SpanDetail[] | null;
  /** `?span=`: the span to open and scroll to. */
  selected: string | null;
}

/** Row height in pixels; rows are fixed-height, so the virtualizer measures nothing. */
const ROW = 30;
/** The sticky ruler's height. */
const HEAD = 34;
/** What the server lays out (and the browser's first render, so hydration matches). */
const INITIAL_VIEWPORT = 640;
/** Indentation stops growing here: a chain of 80,000 spans stays readable. */
const MAX_INDENT_DEPTH = 24;
const INDENT = 12;
/** The waterfall's smallest height (CSS): rows above it are in view without scrolling. */
const MIN_HEIGHT = 360;

function traceTimes(trace: CompactTrace) {
  const startNs = BigInt(trace.start_unix_nano);
  const startMs = Number(startNs / 1_000_000n);
  const fraction = (startNs % 1_000_000_000n).toString().padStart(9, "0");
  const iso = `${new Date(startMs).toISOString().slice(0, 19)}.${fraction}Z`;
  return { startMs, endMs: startMs + trace.duration_ns / 1e6, iso };
}

export default function TraceView({ trace, details: inline, selected: initial }: TraceViewProps) {
  const tree = useMemo(() => buildSpanTree(trace), [trace]);
  const colors = useMemo(() => serviceColors(trace.services), [trace]);
  const colorOf = (index: number) => colors.get(trace.services[trace.service[index]!]!)!;
  const indexOfId = useMemo(() => {
    const map = new Map<string, number>();
    trace.span_id.forEach((id, i) => map.has(id) || map.set(id, i));
    return map;
  }, [trace]);
  const positionOfId = (id: string | null) => {
    const index = id === null ? undefined : indexOfId.get(id);
    return index === undefined ? -1 : tree.position[index]!;
  };
  /** Spans per service, for the legend: counted once per trace. */
  const perService = useMemo(() => {
    const counts = new Array<number>(trace.services.length).fill(0);
    for (const s of trace.service) counts[s]!++;
    return counts;
  }, [trace]);
  const times = useMemo(() => traceTimes(trace), [trace]);

  const [collapsed, setCollapsed] = useState<ReadonlySet<number>>(() => new Set());
  const rows = useMemo(() => visibleRows(tree, collapsed), [tree, collapsed]);
  const [selected, setSelected] = useState(() => positionOfId(initial));
  /** `?span=` named a span this trace does not have (yet). */
  const [missing, setMissing] = useState(() => initial !== null && positionOfId(initial) < 0);
  const [focus, setFocus] = useState(() => Math.max(0, positionOfId(initial)));
  const full: TimeView = { fromNs: 0, toNs: trace.duration_ns };
  const [view, setView] = useState<TimeView>(full);
  const zoomed = view.fromNs !== full.fromNs || view.toNs !== full.toNs;
  const [brush, setBrush] = useState<{ from: number; to: number } | null>(null);
  const [showCritical, setShowCritical] = useState(true);
  // Once per trace (O(n log n)), not per toggle.
  const criticalByPosition = useMemo(() => {
    const byPosition = new Map<number, CriticalSegment[]>();
    for (const segment of criticalPath(trace, tree)) {
      const list = byPosition.get(segment.position);
      if (list) list.push(segment);
      else byPosition.set(segment.position, [segment]);
    }
    return byPosition;
  }, [trace, tree]);
  const critical = showCritical ? criticalByPosition : null;

  // Details: inline for small traces, else fetched once when a span is first opened.
  const [fetched, setFetched] = useState<Map<string, SpanDetail> | null>(null);
  const [detailsError, setDetailsError] = useState<string | null>(null);
  const fetching = useRef(false);
  useEffect(() => {
    if (inline !== null || selected < 0 || fetched !== null || fetching.current) return;
    fetching.current = true;
    setDetailsError(null);
    getJson<{ spans: SpanDetail[] }>(`/api/traces/${trace.trace_id}`)
      .then((body) => setFetched(new Map(body.spans.map((span) => [span.span_id, span]))))
      .catch((e) => setDetailsError(errorMessage(e)))
      .finally(() => (fetching.current = false));
  }, [inline, selected, fetched, trace.trace_id]);
  const detailOf = (index: number) =>
    inline !== null ? inline[index] : fetched?.get(trace.span_id[index]!);

  const scrollRef = useRef<HTMLDivElement>(null);
  const rulerRef = useRef<HTMLDivElement>(null);
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

  /**
   * A row to scroll to and focus: scrolled to once the rows that show it are laid out (revealing
   * it may have changed them), focused once it is rendered.
   */
  const [, rerender] = useState(0);
  const pending = useRef<{ position: number; align: "auto" | "center"; scrolled: boolean } | null>(
    null,
  );
  useLayoutEffect(() => {
    const target = pending.current;
    if (target === null) return;
    if (!target.scrolled) {
      target.scrolled = true;
      virtualizer.scrollToIndex(rows.rowOf(target.position), { align: target.align });
    }
    const element = scrollRef.current?.querySelector<HTMLElement>(
      `[data-position="${target.position}"]`,
    );
    if (element) {
      element.focus({ preventScroll: true });
      pending.current = null;
    }
  });

  const moveFocus = (position: number, align: "auto" | "center" = "auto") => {
    // Expand collapsed ancestors; only walk them when one hides the span (depth may be the
    // trace's size).
    if (rows.rowOf(position) < 0) {
      const next = new Set(collapsed);
      for (const a of ancestors(tree, position)) next.delete(a);
      setCollapsed(next);
    }
    setFocus(position);
    pending.current = { position, align, scrolled: false };
    rerender((n) => n + 1); // even when nothing else changed, so that the effect runs
  };
  const select = (position: number, options: { scroll?: boolean } = {}) => {
    setSelected(position);
    setMissing(false);
    if (position >= 0) {
      if (options.scroll) moveFocus(position, "center");
      else setFocus(position);
    }
    const url = new URL(location.href);
    if (position >= 0) url.searchParams.set("span", trace.span_id[tree.span[position]!]!);
    else url.searchParams.delete("span");
    history.replaceState(history.state, "", url);
  };
  const toggle = (position: number) => {
    const next = new Set(collapsed);
    if (next.has(position)) next.delete(position);
    else next.add(position);
    setCollapsed(next);
  };

  const onKeyDown = (event: KeyboardEvent) => {
    const element = (event.target as HTMLElement).closest<HTMLElement>("[data-position]");
    if (!element) return;
    const position = Number(element.dataset.position);
    const row = rows.rowOf(position);
    const page = Math.max(1, Math.floor(((scrollRef.current?.clientHeight ?? 600) - HEAD) / ROW));
    const at = (r: number) => rows.positionAt(Math.min(rows.count - 1, Math.max(0, r)));
    switch (event.key) {
      case "ArrowDown":
        moveFocus(at(row + 1));
        break;
      case "ArrowUp":
        moveFocus(at(row - 1));
        break;
      case "PageDown":
        moveFocus(at(row + page));
        break;
      case "PageUp":
        moveFocus(at(row - page));
        break;
      case "Home":
        moveFocus(at(0));
        break;
      case "End":
        moveFocus(at(rows.count - 1));
        break;
      case "ArrowRight":
        if (collapsed.has(position)) toggle(position);
        else if (hasChildren(tree, position)) moveFocus(position + 1);
        break;
      case "ArrowLeft":
        if (hasChildren(tree, position) && !collapsed.has(position)) toggle(position);
        else if (tree.parent[position]! >= 0) moveFocus(tree.parent[position]!);
        break;
      case "Enter":
      case " ":
        select(position === selected && event.key === " " ? -1 : position);
        break;
      case "Escape":
        select(-1);
        break;
      default:
        return;
    }
    event.preventDefault();
  };

  const startBrush = (event: MouseEvent) => {
    const ruler = rulerRef.current;
    if (!ruler || event.button !== 0) return;
    event.preventDefault();
    const rect = ruler.getBoundingClientRect();
    const fraction = (x: number) => Math.min(1, Math.max(0, (x - rect.left) / rect.width));
    const from = fraction(event.clientX);
    setBrush({ from, to: from });
    const move = (e: MouseEvent) => setBrush({ from, to: fraction(e.clientX) });
    const up = (e: MouseEvent) => {
      removeEventListener("mousemove", move);
      removeEventListener("mouseup", up);
      setBrush(null);
      const to = fraction(e.clientX);
      if (Math.abs(to - from) > 0.005) setView((v) => zoomView(v, from, to));
    };
    addEventListener("mousemove", move);
    addEventListener("mouseup", up);
  };

  const root = tree.span[0]!;
  const rootService = trace.services[trace.service[root]!]!;
  const rootName = trace.names[trace.name[root]!]!;
  const rootMissing = (tree.flags[0]! & FLAG_ORPHAN) !== 0;
  const ticks = timeTicks(view, 6);
  const items = virtualizer.getVirtualItems();
  const total = virtualizer.getTotalSize();
  const focusRendered = items.some((item) => rows.positionAt(item.index) === focus);
  const selectedIndex = selected >= 0 ? tree.span[selected]! : -1;

  return (
    <IslandProvider>
      <style dangerouslySetInnerHTML={{ __html: WATERFALL_CSS }} />
      <Stack gap="md" data-trace-view={trace.trace_id}>
        <Card withBorder padding="md">
          <Stack gap="sm">
            <Group justify="space-between" align="flex-start" wrap="nowrap">
              <Stack gap={4} style={{ minWidth: 0 }}>
                <Group gap={8} wrap="nowrap">
                  <span
                    className="argus-wf-swatch"
                    style={{ background: colorOf(root), width: 12, height: 12 }}
                  />
                  <Title order={3} style={{ overflowWrap: "anywhere" }} data-trace-title>
                    <span style={{ fontWeight: 700 }}>{rootService}</span>
                    <span style={{ fontWeight: 400, color: "#495057" }}>{`  ${rootName}`}</span>
                  </Title>
                  {tree.errorCount > 0 && (
                    <Badge color="red" variant="light" style={{ flex: "none" }}>
                      {`${tree.errorCount} error span${tree.errorCount === 1 ? "" : "s"}`}
                    </Badge>
                  )}
                </Group>
                <Text size="xs" c="dimmed" className="argus-mono" data-trace-id>
                  {`trace ${trace.trace_id}`}
                  {rootMissing && " · root span not received: the earliest span is shown first"}
                </Text>
              </Stack>
              <Group gap="xs" wrap="nowrap">
                <Button
                  component="a"
                  href={logsHref(trace.trace_id, times)}
                  variant="light"
                  size="sm"
                  data-trace-logs-link
                >
                  Logs of this trace
                </Button>
                <Button component="a" href="/traces" variant="default" size="sm">
                  All traces
                </Button>
              </Group>
            </Group>
            <SimpleGrid cols={{ base: 3, sm: 6 }} spacing="md">
              <Figure label="Start" value={formatDateTime(times.iso)} />
              <Figure label="Duration" value={formatDuration(trace.duration_ns / 1e6)} />
              <Figure label="Spans" value={formatCount(tree.size)} />
              <Figure
                label="Errors"
                value={String(tree.errorCount)}
                color={tree.errorCount > 0 ? "red.7" : undefined}
              />
              <Figure label="Depth" value={String(tree.maxDepth + 1)} />
              <Figure label="Services" value={String(trace.services.length)} />
            </SimpleGrid>
          </Stack>
        </Card>

        {missing && (
          <Text size="sm" c="orange.8" data-missing-span>
            {`Span ${initial} is not in this trace: its service may not have sent it yet.`}
          </Text>
        )}
        <Group justify="space-between" align="center" wrap="wrap" gap="sm">
          <div className="argus-wf-legend" data-legend>
            {trace.services.map((service, i) => (
              <span key={service} data-legend-service={service}>
                <span className="argus-wf-swatch" style={{ background: colors.get(service) }} />
                {service}
                <Text span size="xs" c="dimmed">{perService[i]}</Text>
              </span>
            ))}
          </div>
          <Group gap="xs">
            <Switch
              size="xs"
              label="Critical path"
              checked={showCritical}
              onChange={(event: Event) =>
                setShowCritical((event.currentTarget as HTMLInputElement).checked)}
            />
            {zoomed && (
              <Button
                size="xs"
                variant="light"
                onClick={() => setView(full)}
                data-reset-zoom
              >
                {`Reset zoom (${formatOffset(view.fromNs)}–${formatOffset(view.toNs)})`}
              </Button>
            )}
            <Button size="xs" variant="default" onClick={() => setCollapsed(new Set())}>
              Expand all
            </Button>
            <Button
              size="xs"
              variant="default"
              onClick={() => setCollapsed(new Set(parentsOf(tree)))}
            >
              Collapse all
            </Button>
          </Group>
        </Group>

        <div style={{ display: "flex", gap: 12, alignItems: "flex-start" }}>
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
                <div
                  ref={rulerRef}
                  className="argus-wf-ruler"
                  onMouseDown={startBrush}
                  title="Drag to zoom into a stretch of time"
                  data-ruler
                >
                  {ticks.map((tick, i) => (
                    <div
                      key={tick.ns}
                      className="argus-wf-tick"
                      data-last={i === ticks.length - 1 && tick.fraction > 0.9 ? "" : undefined}
                      style={{ left: `${tick.fraction * 100}%` }}
                      data-tick={tick.label}
                    >
                      {tick.label}
                    </div>
                  ))}
                  {brush && (
                    <div
                      className="argus-wf-brush"
                      style={{
                        left: `${Math.min(brush.from, brush.to) * 100}%`,
                        width: `${Math.abs(brush.to - brush.from) * 100}%`,
                      }}
                    />
                  )}
                </div>
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
                  {ticks.map((tick) => (
                    <div key={tick.ns} style={{ left: `${tick.fraction * 100}%` }} />
                  ))}
                </div>
                {items.map((item) => {
                  const position = rows.positionAt(item.index);
                  const index = tree.span[position]!;
                  const depth = tree.depth[position]!;
                  const flags = tree.flags[position]!;
                  const error = (flags & FLAG_ERROR) !== 0;
                  const parent = hasChildren(tree, position);
                  const isCollapsed = collapsed.has(position);
                  const service = trace.services[trace.service[index]!]!;
                  const name = trace.names[trace.name[index]!]!;
                  const start = trace.start_ns[index]!;
                  const duration = trace.duration_ns_of[index]!;
                  const bar = barGeometry(start, duration, view);
                  const right = bar.left + bar.width;
                  const label = formatDuration(duration / 1e6);
                  const labelStyle = right <= 0.78
                    ? { left: `${right * 100}%` }
                    : bar.left >= 0.22
                    ? { right: `${(1 - bar.left) * 100}%` }
                    : {
                      left: `calc(${bar.left * 100}% + 4px)`,
                      background: "rgba(255,255,255,0.85)",
                      borderRadius: 3,
                      top: 7,
                      bottom: 7,
                    };
                  const color = colorOf(index);
                  const hidden = tree.subtreeEnd[position]! - position - 1;
                  const warning = (flags & FLAG_ORPHAN) !== 0
                    ? "Its parent span is not in this trace"
                    : (flags & FLAG_CYCLE) !== 0
                    ? "Its parent ids form a loop"
                    : (flags & FLAG_OUTSIDE_PARENT) !== 0
                    ? "Starts before or ends after its parent (clock skew?)"
                    : null;
                  return (
                    <div
                      key={position}
                      role="treeitem"
                      className="argus-wf-row"
                      style={{ top: item.start - HEAD, height: ROW }}
                      tabIndex={position === focus || (!focusRendered && item === items[0])
                        ? 0
                        : -1}
                      aria-level={depth + 1}
                      aria-expanded={parent ? !isCollapsed : undefined}
                      aria-selected={position === selected}
                      aria-label={`${service} ${name}, ${label}${error ? ", error" : ""}`}
                      data-position={position}
                      data-span-id={trace.span_id[index]}
                      data-parent-span-id={trace.parent_id[index] || undefined}
                      data-depth={depth}
                      data-error={error ? "" : undefined}
                      data-collapsed={isCollapsed ? "" : undefined}
                      title={`${service} · ${name}\n${label} from +${
                        formatOffset(start, Math.max(1, start / 1000))
                      }${warning ? `\n${warning}` : ""}`}
                      onClick={() => select(position)}
                    >
                      <div
                        className="argus-wf-name"
                        style={{
                          paddingLeft: 6 + Math.min(depth, MAX_INDENT_DEPTH) * INDENT,
                        }}
                      >
                        <button
                          type="button"
                          tabIndex={-1}
                          className="argus-wf-toggle"
                          data-leaf={parent ? undefined : ""}
                          aria-label={isCollapsed ? "Expand" : "Collapse"}
                          data-toggle
                          onClick={(event: MouseEvent) => {
                            event.stopPropagation();
                            toggle(position);
                          }}
                        >
                          {isCollapsed ? "▶" : "▼"}
                        </button>
                        <span className="argus-wf-swatch" style={{ background: color }} />
                        {showsService(trace, tree, position) && (
                          <span className="argus-wf-service">{service}</span>
                        )}
                        <span className="argus-wf-op">{name}</span>
                        {depth > MAX_INDENT_DEPTH && (
                          <span className="argus-wf-count">{`depth ${depth}`}</span>
                        )}
                        {isCollapsed && (
                          <span className="argus-wf-count" data-hidden-count={hidden}>
                            {`+${formatCount(hidden)}`}
                          </span>
                        )}
                        {warning && <span className="argus-wf-warn" aria-label={warning}>⚠</span>}
                        {error && <span className="argus-wf-err" aria-hidden="true">!</span>}
                      </div>
                      <div className="argus-wf-lane">
                        {bar.visible && (
                          <>
                            <div
                              className="argus-wf-bar"
                              data-error={error ? "" : undefined}
                              style={{
                                left: `${bar.left * 100}%`,
                                width: `${bar.width * 100}%`,
                                background: error ? "#ff6b6b" : color,
                              }}
                            />
                            {critical?.get(position)?.map((segment) => {
                              const g = barGeometry(
                                segment.fromNs,
                                segment.toNs - segment.fromNs,
                                view,
                              );
                              return g.visible && g.width > 0 && (
                                <div
                                  key={segment.fromNs}
                                  className="argus-wf-critical"
                                  data-critical
                                  style={{ left: `${g.left * 100}%`, width: `${g.width * 100}%` }}
                                />
                              );
                            })}
                            <span className="argus-wf-label" style={labelStyle}>{label}</span>
                          </>
                        )}
                      </div>
                    </div>
                  );
                })}
              </div>
            </div>
          </div>
          {selected >= 0 && (
            <div
              className="argus-wf-panel"
              style={{
                flex: "0 0 380px",
                maxWidth: "40%",
                maxHeight: `max(${MIN_HEIGHT}px, calc(100vh - 120px))`,
                position: "sticky",
                top: 72,
              }}
            >
              <SpanPanel
                traceId={trace.trace_id}
                summary={{
                  spanId: trace.span_id[selectedIndex]!,
                  service: trace.services[trace.service[selectedIndex]!]!,
                  name: trace.names[trace.name[selectedIndex]!]!,
                  color: colorOf(selectedIndex),
                  offsetNs: trace.start_ns[selectedIndex]!,
                  durationNs: trace.duration_ns_of[selectedIndex]!,
                  status: STATUS_CODES[trace.status[selectedIndex]!] ?? "unset",
                  kind: SPAN_KINDS[trace.kind[selectedIndex]!] ?? "unspecified",
                  depth: tree.depth[selected]!,
                  childCount: tree.childCount[selected]!,
                }}
                detail={detailOf(selectedIndex)}
                loading={inline === null && fetched === null && detailsError === null}
                error={detailsError}
                window={times}
                onClose={() => select(-1)}
                onSelect={(id: string) => select(positionOfId(id), { scroll: true })}
                inTrace={(id: string) => indexOfId.has(id)}
              />
            </div>
          )}
        </div>
      </Stack>
    </IslandProvider>
  );
}

/**
 * Whether a row names its service: roots and spans whose service differs from their parent's
 * (where a call crosses into another service). Other rows show the colour only, leaving the
 * column to the operation.
 */
function showsService(trace: CompactTrace, tree: SpanTree, position: number): boolean {
  const parent = tree.parent[position]!;
  return parent < 0 || trace.service[tree.span[parent]!] !== trace.service[tree.span[position]!];
}
