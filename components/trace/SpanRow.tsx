/**
 * One row of the waterfall: a span's toggle, service colour, service (where a call crosses into
 * another service), operation and markers (depth past the indentation's limit, hidden
 * descendants, a doubtful parent, an error), then its bar over the time in view, with the
 * critical path's stretches and the duration beside it. An ARIA `treeitem`.
 *
 * Memoized on plain props (numbers, booleans, the view, the row's critical segments, and the
 * trace model and handlers, which never change): moving the focus or selecting a span re-renders
 * only the rows whose focus or selection changed; scrolling renders only the rows coming in.
 *
 * @module
 */
import { memo } from "preact/compat";
import { formatCount, formatDuration } from "../../utils/format.ts";
import {
  barGeometry,
  type CriticalSegment,
  FLAG_ERROR,
  formatOffset,
  hasChildren,
  showsService,
  spanWarning,
  type TimeView,
  type WaterfallModel,
} from "../../utils/waterfall.ts";
import { WATERFALL_LAYOUT } from "./trace_styles.ts";

export interface SpanRowProps {
  model: WaterfallModel;
  /** Tree position of the span. */
  position: number;
  /** Offset from the body's top, px. */
  top: number;
  view: TimeView;
  /** The row's stretches of the critical path while it is drawn. */
  critical: CriticalSegment[] | undefined;
  collapsed: boolean;
  selected: boolean;
  /** Whether the in-trace search matches the span, and whether it is the match shown. */
  match: "current" | "other" | null;
  /** The tree's tab stop. */
  tabbable: boolean;
  onSelect(position: number): void;
  onToggle(position: number): void;
}

/** Where the duration goes: after the bar, before it, or over it when neither has room. */
function labelStyle(bar: { left: number; width: number }) {
  const right = bar.left + bar.width;
  return right <= 0.78
    ? { left: `${right * 100}%` }
    : bar.left >= 0.22
    ? { right: `${(1 - bar.left) * 100}%` }
    : {
      left: `calc(${bar.left * 100}% + 4px)`,
      background: "var(--argus-label-bg)",
      borderRadius: 3,
      top: 7,
      bottom: 7,
    };
}

export const SpanRow = memo(function SpanRow(
  {
    model,
    position,
    top,
    view,
    critical,
    collapsed,
    selected,
    match,
    tabbable,
    onSelect,
    onToggle,
  }: SpanRowProps,
) {
  const { trace, tree } = model;
  const index = tree.span[position]!;
  const parentIndex = trace.parent[index]!;
  const depth = tree.depth[position]!;
  const flags = tree.flags[position]!;
  const error = (flags & FLAG_ERROR) !== 0;
  const parent = hasChildren(tree, position);
  const service = trace.services[trace.service[index]!]!;
  const name = trace.names[trace.name[index]!]!;
  const start = trace.start_ns[index]!;
  const duration = trace.duration_ns_of[index]!;
  const bar = barGeometry(start, duration, view);
  const label = formatDuration(duration / 1e6);
  const color = model.colorOf(index);
  const hidden = tree.subtreeEnd[position]! - position - 1;
  const warning = spanWarning(flags);
  const { indent, maxIndentDepth, row } = WATERFALL_LAYOUT;
  return (
    <div
      role="treeitem"
      className="argus-wf-row"
      style={{ top, height: row }}
      tabIndex={tabbable ? 0 : -1}
      aria-level={depth + 1}
      aria-expanded={parent ? !collapsed : undefined}
      aria-selected={selected}
      // Holds its visible text in order (WCAG 2.5.3, for speech input), then what only marks show.
      aria-label={`${
        [
          service,
          name,
          depth > maxIndentDepth ? `depth ${depth}` : "",
          collapsed ? `+${formatCount(hidden)}` : "",
        ].filter(Boolean).join(" ")
      }, ${label}${error ? ", error" : ""}`}
      data-position={position}
      data-span-id={trace.span_id[index]}
      data-parent-span-id={parentIndex >= 0 ? trace.span_id[parentIndex] : undefined}
      data-depth={depth}
      data-error={error ? "" : undefined}
      data-collapsed={collapsed ? "" : undefined}
      data-match={match ?? undefined}
      title={`${service} · ${name}\n${label} from +${
        formatOffset(start, Math.max(1, start / 1000))
      }${warning ? `\n${warning}` : ""}`}
      onClick={() => onSelect(position)}
    >
      <div
        className="argus-wf-name"
        style={{ paddingLeft: 6 + Math.min(depth, maxIndentDepth) * indent }}
      >
        <button
          type="button"
          tabIndex={-1}
          className="argus-wf-toggle"
          data-leaf={parent ? undefined : ""}
          aria-label={collapsed ? "Expand" : "Collapse"}
          data-toggle
          onClick={(event: MouseEvent) => {
            event.stopPropagation();
            onToggle(position);
          }}
        >
          {/* A glyph, not text: the button's name is its label (and the row's, its own). */}
          <span aria-hidden="true">{collapsed ? "▶" : "▼"}</span>
        </button>
        <span className="argus-wf-swatch" style={{ background: color }} />
        {/* Spaces between the flex items: none shows, but the row's text reads as words. */}
        {showsService(trace, tree, position) && <span className="argus-wf-service">{service}</span>}
        {" "}
        <span className="argus-wf-op">{name}</span>{" "}
        {depth > maxIndentDepth && <span className="argus-wf-count">{`depth ${depth}`}</span>}{" "}
        {collapsed && (
          <span className="argus-wf-count" data-hidden-count={hidden}>
            {`+${formatCount(hidden)}`}
          </span>
        )} {warning && (
          <span
            className="argus-wf-warn"
            aria-label={warning}
            title={`${warning}: select the span for what this means`}
            data-span-warning
          >
            ⚠
          </span>
        )}
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
            {critical?.map((segment) => {
              const g = barGeometry(segment.fromNs, segment.toNs - segment.fromNs, view);
              return g.visible && g.width > 0 && (
                <div
                  key={segment.fromNs}
                  className="argus-wf-critical"
                  data-critical
                  style={{ left: `${g.left * 100}%`, width: `${g.width * 100}%` }}
                />
              );
            })}
            <span className="argus-wf-label" style={labelStyle(bar)}>{label}</span>
          </>
        )}
      </div>
    </div>
  );
});
