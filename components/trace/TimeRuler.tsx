/**
 * The waterfall's time ruler, in its sticky header: ticks over the stretch of time in view, and
 * the brush drawn while dragging across it to zoom (components/trace/use_time_brush.ts). Memoized
 * and fed signals, it re-renders when the view or the brush changes, not when the rows scroll.
 *
 * @module
 */
import { memo } from "preact/compat";
import type { TraceZoom } from "./use_trace_zoom.ts";
import { useTimeBrush } from "./use_time_brush.ts";

export const TimeRuler = memo(function TimeRuler({ zoom }: { zoom: TraceZoom }) {
  const { ref, brush, onMouseDown } = useTimeBrush(zoom.zoomTo);
  const ticks = zoom.ticks.value;
  const drag = brush.value;
  return (
    <div
      ref={ref}
      className="argus-wf-ruler"
      onMouseDown={onMouseDown}
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
      {drag && (
        <div
          className="argus-wf-brush"
          style={{
            left: `${Math.min(drag.from, drag.to) * 100}%`,
            width: `${Math.abs(drag.to - drag.from) * 100}%`,
          }}
        />
      )}
    </div>
  );
});
