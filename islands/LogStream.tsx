/**
 * The Logs page's island: the newest records of the window from `/api/logs` (refreshed every 10
 * s), or the oldest first (`order=asc`), filtered by service, minimum severity, body text (its
 * matches marked) and trace (all in the URL), in a virtualized list whose rows expand inline, with
 * "Load older" and "Load newer" to page through the whole window; a "±1 min context" dialog; and a
 * Live toggle, off by default, that streams new records from `/ws` into the list.
 *
 * The state (what is listed, how it is read, live, paused while scrolled away, the records
 * waiting meanwhile) is utils/log_stream_state.ts, in signals; `useLogStreamState` keeps it for
 * the island with its WebSocket (components/hooks/live_socket.ts). The view's parts
 * (components/logs/) each read the signals they show, so while live only the list and the count
 * re-render, once per animation frame; this component renders again only when the URL's
 * filters, Live or the stream's connection change.
 *
 * @module
 */
import { IslandProvider } from "../components/IslandProvider.tsx";
import { LiveControls } from "../components/logs/LiveControls.tsx";
import { LinkFilters, LogFilterBar } from "../components/logs/LogFilters.tsx";
import { LogRecords } from "../components/logs/LogRecords.tsx";
import { LogError, LogStatusLine } from "../components/logs/LogStatus.tsx";
import { useLogStreamState } from "../components/logs/use_log_stream_state.ts";
import { useUrlState } from "../components/hooks/url_state.ts";
import { LOG_FILTER_DEFAULTS, type LogFilters } from "../utils/log_query.ts";
import type { LogPage } from "../utils/log_stream_state.ts";

export type { LogPage };

export interface LogStreamProps extends Record<string, unknown> {
  /** The server's first page for `filters`, or null when it could not be read. */
  initial: LogPage | null;
  /** Why `initial` is null (e.g. a bad filter in the URL). */
  error: string | null;
  /** Services of the window, for the service filter. */
  services: string[];
  /** The filters of the page's URL. */
  filters: LogFilters;
  /** When the server read `initial` (Unix ms). */
  fetchedAt: number;
  /** Records asked of `/api/logs` (1 to 1000). Default 1000. */
  limit?: number;
  /** Records the list keeps at most; the oldest are dropped first. Default 2000. */
  capacity?: number;
  /** Milliseconds between refreshes while not live. Default 10,000. */
  refreshMs?: number;
  /** Whether Argus explains records with AI (AI_ENABLED). */
  aiEnabled?: boolean;
  /** When `initial` is empty: the newest data's minute, null when Argus holds none. */
  latest?: string | null;
}

/** The island: the provider around the view, so that the view's renders skip the provider. */
export default function LogStream(props: LogStreamProps) {
  return (
    <IslandProvider>
      <LogStreamView {...props} />
    </IslandProvider>
  );
}

function LogStreamView(props: LogStreamProps) {
  const [filters, setFilters] = useUrlState<keyof LogFilters>(LOG_FILTER_DEFAULTS, props.filters);
  const { state, status } = useLogStreamState({
    initial: props.initial,
    error: props.error,
    fetchedAt: props.fetchedAt,
    limit: props.limit ?? 1000,
    capacity: props.capacity ?? 2000,
    refreshMs: props.refreshMs ?? 10_000,
  }, filters);
  return (
    <div class="argus-logs-page">
      <LiveControls state={state} status={status} onFilters={setFilters} />
      <LogFilterBar services={props.services} filters={state.filters} onFilters={setFilters} />
      <div class="argus-logs-status">
        <LinkFilters filters={state.filters} onFilters={setFilters} />
        <LogStatusLine state={state} />
      </div>
      <LogError state={state} hadPage={props.initial !== null} />
      <LogRecords
        state={state}
        onFilters={setFilters}
        aiEnabled={props.aiEnabled}
        latest={props.latest}
      />
    </div>
  );
}
