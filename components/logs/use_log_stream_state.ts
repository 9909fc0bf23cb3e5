/**
 * The Logs island's hook around its state (utils/log_stream_state.ts): one state per island,
 * reading `/api/logs`, told of the URL's filters, with its timers running while mounted, and the
 * live stream's one WebSocket (components/hooks/live_socket.ts), open while Live is on and reopened
 * when a filter the stream applies (service, severity) changes. Components read the state's
 * signals; `@preact/signals`, imported here, re-renders only those that read a changed one.
 *
 * @module
 */
import "@preact/signals";
import { useEffect, useLayoutEffect, useState } from "preact/hooks";
import { errorSentence, getJson } from "../../utils/api.ts";
import {
  filterKey,
  listParams,
  liveParams,
  type LogFilters,
  type LogItem,
} from "../../utils/log_query.ts";
import {
  createLogStreamState,
  type LogPage,
  type LogStreamState,
} from "../../utils/log_stream_state.ts";
import { type LiveStatus, liveUrl, useLiveSocket } from "../hooks/live_socket.ts";

export interface LogStreamSetup {
  /** The server's first page, or null when it could not be read. */
  initial: LogPage | null;
  /** Why `initial` is null. */
  error: string | null;
  /** When the server read `initial` (Unix ms). */
  fetchedAt: number;
  limit: number;
  capacity: number;
  refreshMs: number;
}

/** The island's state, following `filters` (the URL's), and its live stream's status. */
export function useLogStreamState(
  setup: LogStreamSetup,
  filters: LogFilters,
): { state: LogStreamState; status: LiveStatus } {
  const [state] = useState(() =>
    createLogStreamState({
      ...setup,
      filters,
      read: (filters, limit, signal, cursor) =>
        getJson<LogPage>("/api/logs", listParams(filters, limit, cursor), { signal }),
      describe: errorSentence,
      visible: () => !document.hidden,
    })
  );
  // Before the socket's effect below, so that a reopened stream's records meet the new filters.
  const key = filterKey(filters);
  useLayoutEffect(() => state.setFilters(filters), [key]);
  useEffect(() => state.start(), []);
  const url = state.live.value ? liveUrl(location, liveParams(filters)) : null;
  const status = useLiveSocket<LogItem>(url, {
    onItems: state.receive,
    onOpen: () => void state.opened(),
  });
  return { state, status };
}
