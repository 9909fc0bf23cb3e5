/**
 * One trace's waterfall, below its header (components/trace/TraceHeader.tsx, rendered by the
 * server outside this island): a toolbar (legend, critical path, zoom reset, expand and collapse
 * all), a search box (span names, attribute values: matches highlighted, jumped to), the waterfall (spans in tree order, indented by depth, collapsible, over a time ruler that
 * zooms by dragging, bars coloured per service, errors marked red, the critical path underlined),
 * and a selected span's details beside it. A click or Enter opens a span's details;
 * `?span=<span_id>` opens one and scrolls to it.
 *
 * The island only wires the parts together, as jaeger-ui splits its trace timeline: the layout
 * (tree order, visible rows, time scale, critical path, keys) is pure and tested in
 * utils/waterfall.ts and utils/waterfall_keys.ts; the state is in signals
 * (components/trace/use_trace_state.ts), so a change re-renders only what reads it and this
 * component renders once; the parts are in components/trace/.
 *
 * @module
 */
import { Stack, Text } from "@mantine/core";
import { IslandProvider } from "../components/IslandProvider.tsx";
import type { SpanDetail } from "../components/trace/SpanPanel.tsx";
import { SelectedSpanPanel } from "../components/trace/SelectedSpanPanel.tsx";
import { TraceSearch } from "../components/trace/TraceSearch.tsx";
import { useSpanDetails } from "../components/trace/use_span_details.ts";
import { type TraceState, useTraceState } from "../components/trace/use_trace_state.ts";
import { Waterfall } from "../components/trace/Waterfall.tsx";
import { WaterfallToolbar } from "../components/trace/WaterfallToolbar.tsx";
import type { CompactTrace } from "../utils/waterfall.ts";

export interface TraceViewProps extends Record<string, unknown> {
  trace: CompactTrace;
  /**
   * Each span's full fields, in the compact trace's column order; null for large traces, whose
   * span details are fetched from `/api/traces/{trace_id}/spans/{span_id}` when a span is opened.
   */
  details: SpanDetail[] | null;
  /** `?span=`: the span to open and scroll to. */
  selected: string | null;
}

/** Said while `?span=` names a span this trace does not have. */
function MissingSpan({ state, spanId }: { state: TraceState; spanId: string | null }) {
  if (!state.missing.value) return null;
  return (
    <Text size="sm" c="orange.8" data-missing-span>
      {`Span ${spanId} is not in this trace: its service may not have sent it yet.`}
    </Text>
  );
}

export default function TraceView({ trace, details, selected }: TraceViewProps) {
  const state = useTraceState(trace, selected);
  const spanDetails = useSpanDetails(trace, state.model, details, state.selected);
  const { model } = state;
  return (
    <IslandProvider>
      <Stack gap="md" data-trace-view={trace.trace_id}>
        <MissingSpan state={state} spanId={selected} />
        <WaterfallToolbar
          services={trace.services}
          colors={model.colors}
          counts={model.perService}
          showCritical={state.showCritical}
          zoom={state.zoom}
          onExpandAll={state.expandAll}
          onCollapseAll={state.collapseAll}
        />
        <TraceSearch state={state} />
        <div style={{ display: "flex", gap: 12, alignItems: "flex-start" }}>
          <Waterfall state={state} />
          <SelectedSpanPanel state={state} details={spanDetails} />
        </div>
      </Stack>
    </IslandProvider>
  );
}
