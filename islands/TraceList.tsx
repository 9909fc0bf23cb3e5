/**
 * The trace explorer's list: `/api/traces` with filters (service, time range, status, span name
 * text, duration bounds, attribute chips), sortable columns and pages, all kept in the URL
 * (utils/trace_query.ts). Each row links to the trace's waterfall. Refreshes itself every
 * 15 s while the tab is visible, unless paused.
 *
 * The query is one signal, kept in the URL by components/hooks/url_state.ts; the API's query
 * string is computed from it, and the filter card (components/trace/TraceFilters.tsx) and the
 * results (components/trace/TraceTable.tsx) read only the parts they show.
 *
 * @module
 */
import { Alert, Stack } from "@mantine/core";
import { useComputed } from "@preact/signals";
import { useCallback } from "preact/hooks";
import { useAutoRefresh } from "../components/hooks/auto_refresh.ts";
import { useUrlSignal } from "../components/hooks/url_state.ts";
import { IslandProvider } from "../components/IslandProvider.tsx";
import { RefreshControl } from "../components/page/RefreshControl.tsx";
import { TraceFilters } from "../components/trace/TraceFilters.tsx";
import { TraceResults } from "../components/trace/TraceTable.tsx";
import { DurationScatter } from "../components/trace/DurationScatter.tsx";
import { getJson } from "../utils/api.ts";
import {
  clearFilters,
  sortBy,
  TRACE_QUERY_URL,
  type TraceQuery,
  traceQueryString,
  withChange,
} from "../utils/trace_query.ts";
import type { WireTracePage, WireTraceSummary } from "../utils/wire.ts";

/** An item of `GET /api/traces`. */
export type TraceListItem = WireTraceSummary;
/** A page of `GET /api/traces`. */
export type TraceListPage = WireTracePage;

export interface TraceListProps extends Record<string, unknown> {
  /** The query of the page's URL, as the server read it. */
  query: TraceQuery;
  /** The server's answer to it, or null with `error`. */
  initial: TraceListPage | null;
  /** The API's error sentence for a query it refused. */
  error: string | null;
  /** The services of the query's window, for the service filter. */
  services: string[];
  /** When the server loaded `initial` (Unix milliseconds). */
  loadedAt: number;
  /** Milliseconds between refreshes. */
  refreshMs?: number;
}

export default function TraceList(props: TraceListProps) {
  const refreshMs = props.refreshMs ?? 15_000;
  const [query, navigate] = useUrlSignal(props.query, TRACE_QUERY_URL);
  // The API takes the page's own query string: a new one loads at once.
  const search = useComputed(() => traceQueryString(query.value));
  const list = useAutoRefresh<TraceListPage>({
    key: search.value,
    load: (signal) => getJson<TraceListPage>(`/api/traces${search.peek()}`, {}, { signal }),
    intervalMs: refreshMs,
    initial: props.initial,
    initialError: props.error,
    initialAt: props.loadedAt,
  });
  const { data: page, error, loading } = list;

  const change = useCallback(
    (patch: Partial<TraceQuery>) => navigate((current) => withChange(current, patch)),
    [navigate],
  );
  const sort = useCallback(
    (field: string) => navigate((current) => sortBy(current, field)),
    [navigate],
  );
  const clear = useCallback(() => navigate(clearFilters), [navigate]);

  return (
    <IslandProvider>
      <Stack gap="md" data-trace-list>
        <TraceFilters query={query} services={props.services} onChange={change} onClear={clear}>
          <RefreshControl
            updatedAt={list.updatedAt}
            loading={loading}
            paused={list.paused}
            intervalMs={refreshMs}
            onPausedChange={list.setPaused}
            onRefresh={list.refresh}
          />
        </TraceFilters>
        {error !== null && (
          <Alert color="red" variant="light" title="Cannot list traces" data-error>
            {error}
          </Alert>
        )}
        {page !== null && page.items.length > 0 && (
          <DurationScatter items={page.items} stale={loading || error !== null} />
        )}
        {page !== null && (
          <TraceResults
            page={page}
            query={query}
            loading={loading}
            stale={loading || error !== null}
            onChange={change}
            onSort={sort}
            onClear={clear}
          />
        )}
      </Stack>
    </IslandProvider>
  );
}
