/**
 * The trace page's "Explain this trace" button (components/InsightButton.tsx): an AI explanation
 * of the trace (`GET /api/traces/{trace_id}/insight`), streamed into a popover as the model writes
 * it. An island of its own beside the server-rendered header, shown only when AI_ENABLED is true.
 *
 * @module
 */
import { IslandProvider } from "../components/IslandProvider.tsx";
import { InsightButton } from "../components/InsightButton.tsx";

export interface TraceInsightProps extends Record<string, unknown> {
  traceId: string;
}

export default function TraceInsight({ traceId }: TraceInsightProps) {
  return (
    <IslandProvider>
      <InsightButton
        path={`/api/traces/${encodeURIComponent(traceId)}/insight`}
        subject="trace"
        label="Explain this trace"
        size="sm"
      />
    </IslandProvider>
  );
}
