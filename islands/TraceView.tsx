/**
 * One trace's waterfall, below its header (components/trace/TraceHeader.tsx, rendered by the
 * server outside this island): a toolbar (legend, critical path, zoom reset, expand and collapse
 * all), a search box (span names, attribute values: matches highlighted, jumped to), the
 * waterfall (spans in tree order, indented by depth, collapsible, over a time ruler that zooms by
 * dragging, bars coloured per service, errors marked red, the critical path underlined),
 * and a selected span's details beside it. A click or Enter opens a span's details;
 * `?span=<span_id>` opens one and scrolls to it.
 *
 * A huge trace's page (more spans than TRACE_PAGE_INLINE_SPANS) comes without the structure in
 * the island's props: the server renders the waterfall's first screen from the structure it read
 * (`ServerTrace`), the browser keeps that rendering as it is (a `dangerouslySetInnerHTML` element is
 * not hydrated: Preact leaves its content alone) and fetches the structure
 * (components/trace/use_trace_structure.ts, preloaded by the page), then draws the same waterfall,
 * interactive, in its place.
 *
 * The island only wires the parts together, as jaeger-ui splits its trace timeline: the layout
 * (tree order, visible rows, time scale, critical path, keys) is pure and tested in
 * utils/waterfall.ts and utils/waterfall_keys.ts; the state is in signals
 * (components/trace/use_trace_state.ts), so a change re-renders only what reads it and this
 * component renders once; the parts are in components/trace/.
 *
 * @module
 */
import { Alert, Stack, Text } from "@mantine/core";
import { useContext } from "preact/hooks";
import { IslandProvider } from "../components/IslandProvider.tsx";
import type { SpanDetail } from "../components/trace/SpanPanel.tsx";
import { SelectedSpanPanel } from "../components/trace/SelectedSpanPanel.tsx";
import { TraceSearch } from "../components/trace/TraceSearch.tsx";
import { useSpanDetails } from "../components/trace/use_span_details.ts";
import { type TraceState, useTraceState } from "../components/trace/use_trace_state.ts";
import { ServerTrace, useTraceStructure } from "../components/trace/use_trace_structure.ts";
import { Waterfall } from "../components/trace/Waterfall.tsx";
import { WaterfallToolbar } from "../components/trace/WaterfallToolbar.tsx";
import { formatCount } from "../utils/format.ts";
import type { CompactTrace, WaterfallModel } from "../utils/waterfall.ts";

export interface TraceViewProps extends Record<string, unknown> {
  traceId: string;
  /**
   * The trace's structure, or null when the page was served without it (a trace of more spans
   * than TRACE_PAGE_INLINE_SPANS): the island then fetches it.
   */
  trace: CompactTrace | null;
  /** Spans stored when the page was served: what the page says while the structure loads. */
  spanCount: number;
  /**
   * The key of the server's read of the structure for this page (routes/trace_snapshots.ts), which
   * the fetch names so as to take it; null when the structure is in `trace`.
   */
  snapshot: string | null;
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

export default function TraceView(
  { traceId, trace, spanCount, snapshot, details, selected }: TraceViewProps,
) {
  return (
    <IslandProvider>
      {trace !== null
        ? <TraceWaterfall trace={trace} details={details} selected={selected} />
        : (
          <FetchedTrace
            traceId={traceId}
            spanCount={spanCount}
            snapshot={snapshot}
            selected={selected}
          />
        )}
    </IslandProvider>
  );
}

/** Hydration leaves an element with this content as the server rendered it. */
const AS_RENDERED = { __html: "" };

/** A huge trace: the server's rendering of its waterfall until the structure is fetched. */
function FetchedTrace({ traceId, spanCount, snapshot, selected }: {
  traceId: string;
  spanCount: number;
  snapshot: string | null;
  selected: string | null;
}) {
  const rendered = useContext(ServerTrace);
  const { trace, error } = useTraceStructure(traceId, snapshot);
  if (trace !== null) return <TraceWaterfall trace={trace} details={null} selected={selected} />;
  if (error !== null) {
    return (
      <Alert color="red" title="The trace's spans could not be read" data-trace-load-error>
        {error}
      </Alert>
    );
  }
  if (rendered === null) {
    return <div data-trace-preview={spanCount} dangerouslySetInnerHTML={AS_RENDERED} />;
  }
  return (
    <div data-trace-preview={spanCount}>
      <Text size="xs" c="dimmed" mb={8}>
        {`Loading ${formatCount(spanCount)} spans: the waterfall responds once they are here.`}
      </Text>
      <TraceWaterfall
        trace={rendered.trace}
        model={rendered}
        details={null}
        selected={selected}
      />
    </div>
  );
}

function TraceWaterfall({ trace, model: built, details, selected }: {
  trace: CompactTrace;
  /** The trace's model, when it was built already. */
  model?: WaterfallModel;
  details: SpanDetail[] | null;
  selected: string | null;
}) {
  const state = useTraceState(trace, selected, built);
  const spanDetails = useSpanDetails(trace, state.model, details, state.selected);
  const { model } = state;
  return (
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
  );
}
