/**
 * The panel beside the waterfall while a span is selected: the span's drill-down
 * (components/trace/SpanPanel.tsx), with what the compact trace knows shown at once and the full
 * details when they are known (components/trace/use_span_details.ts). It reads the selection and
 * the details from signals, so it re-renders when they change, not when the waterfall scrolls.
 *
 * @module
 */
import { SPAN_KINDS, STATUS_CODES } from "../../utils/wire.ts";
import { outsideParent, SpanPanel } from "./SpanPanel.tsx";
import { WATERFALL_LAYOUT } from "./trace_styles.ts";
import type { SpanDetails } from "./use_span_details.ts";
import type { TraceState } from "./use_trace_state.ts";

export function SelectedSpanPanel({ state, details }: { state: TraceState; details: SpanDetails }) {
  const selected = state.selected.value;
  if (selected < 0) return null;
  const { model } = state;
  const { trace, tree } = model;
  const index = tree.span[selected]!;
  const parent = tree.parent[selected]!;
  const timesOf = (i: number) => ({
    startNs: trace.start_ns[i]!,
    durationNs: trace.duration_ns_of[i]!,
  });
  return (
    <div
      className="argus-wf-panel"
      style={{
        flex: "0 0 380px",
        maxWidth: "40%",
        maxHeight: `max(${WATERFALL_LAYOUT.minHeight}px, calc(100vh - 120px))`,
        position: "sticky",
        top: 72,
      }}
    >
      <SpanPanel
        traceId={trace.trace_id}
        summary={{
          spanId: trace.span_id[index]!,
          service: trace.services[trace.service[index]!]!,
          name: trace.names[trace.name[index]!]!,
          color: model.colorOf(index),
          offsetNs: trace.start_ns[index]!,
          durationNs: trace.duration_ns_of[index]!,
          status: STATUS_CODES[trace.status[index]!] ?? "unset",
          kind: SPAN_KINDS[trace.kind[index]!] ?? "unspecified",
          depth: tree.depth[selected]!,
          childCount: tree.childCount[selected]!,
          outsideParent: parent < 0
            ? null
            : outsideParent(timesOf(index), timesOf(tree.span[parent]!)),
        }}
        detail={details.of(index)}
        loading={details.loading.value}
        error={details.error.value}
        window={model.times}
        onClose={() => state.select(-1)}
        onSelect={(id: string) => state.select(model.positionOf(id), { scroll: true })}
        inTrace={(id: string) => model.indexOf(id) !== undefined}
      />
    </div>
  );
}
