/**
 * The Logs page's records: the virtualized list (components/logs/LogList.tsx) with the rows the
 * user opened and their details, or why there is none; the "±1 min context" dialog; and the
 * hidden counters that benchmarks read (`data-log-stream-stats`: records appended by the stream,
 * records listed). While live this is what re-renders, once per animation frame.
 *
 * A record's details and the dialog are loaded when first needed (no server render has either),
 * which keeps them out of the page's initial JavaScript.
 *
 * @module
 */
import { Button, Card, Stack, Text } from "@mantine/core";
import { lazy, memo, Suspense } from "preact/compat";
import { useCallback, useEffect, useState } from "preact/hooks";
import { EmptyState } from "../EmptyState.tsx";
import { useLatestData } from "../hooks/use_latest_data.ts";
import type { SetFilters } from "./LogFilters.tsx";
import { LogList } from "./LogList.tsx";
import {
  datedList,
  hasFilters,
  hasWindow,
  type LogItem,
  oldestFirst,
} from "../../utils/log_query.ts";
import { rangeWords, type WindowFilter, windowPhrase } from "../../utils/time_window.ts";
import type { LogStreamState } from "../../utils/log_stream_state.ts";

const LogDetails = lazy(() =>
  import("./LogDetails.tsx").then((module) => ({ default: module.LogDetails }))
);

const LogContextModal = lazy(() =>
  import("./LogContext.tsx").then((module) => ({ default: module.LogContextModal }))
);

const CLEARED = { service: "", severity: "", search: "", trace_id: "", span_id: "" };

/** No records in the window: since when Argus holds nothing newer, or that it holds nothing. */
function NoLogs(
  { window, latest, onFilters }: {
    window: WindowFilter;
    latest: string | null | undefined;
    onFilters: SetFilters;
  },
) {
  const newest = useLatestData(true, latest);
  return (
    <EmptyState
      what="logs"
      window={window}
      latest={newest}
      onRange={(wider: string) => onFilters({ range: wider, start: "", end: "" })}
    />
  );
}

/** No records: waiting for the stream, none matching the filters, or none at all. */
function NoRecords(
  { state, onFilters, latest }: {
    state: LogStreamState;
    onFilters: SetFilters;
    latest: string | null | undefined;
  },
) {
  if (state.live.value) {
    return (
      <Card withBorder padding="xl" data-waiting>
        <Text size="sm" c="dimmed">Waiting for new log records…</Text>
      </Card>
    );
  }
  const filters = state.filters.value;
  if (hasFilters(filters)) {
    return (
      <Card withBorder padding="xl" data-no-match>
        <Stack gap="xs" align="flex-start">
          <Text fw={600}>No logs match these filters {windowPhrase(filters)}</Text>
          <Button size="xs" variant="light" onClick={() => onFilters(CLEARED)}>
            Clear the filters
          </Button>
        </Stack>
      </Card>
    );
  }
  if (state.error.value !== null) return null;
  if (hasWindow(filters)) {
    return (
      <Card withBorder padding="xl" data-no-match>
        <Stack gap="xs" align="flex-start">
          <Text fw={600}>No logs {windowPhrase(filters)}</Text>
          <Button size="xs" variant="light" onClick={() => onFilters({ start: "", end: "" })}>
            {`Show the last ${rangeWords(filters.range)}`}
          </Button>
        </Stack>
      </Card>
    );
  }
  return <NoLogs window={filters} latest={latest} onFilters={onFilters} />;
}

/**
 * "Load older" or "Load newer": the page past the list's end on that side, offered while not live
 * and while the window holds records there (by the last read).
 */
function PageButton(
  { state, side, place }: {
    state: LogStreamState;
    side: "older" | "newer";
    place: "head" | "foot";
  },
) {
  const more = side === "older" ? state.olderMore.value : state.newerMore.value;
  if (state.live.value || !more) return null;
  const reading = state.paging.value === side;
  return (
    <div class={`argus-logs-page-${place}`}>
      <Button
        size="compact-sm"
        variant="light"
        loading={reading}
        onClick={() => void (side === "older" ? state.loadOlder() : state.loadNewer())}
        {...{ [`data-load-${side}`]: true }}
      >
        {side === "older" ? "Load older" : "Load newer"}
      </Button>
    </div>
  );
}

export const LogRecords = memo(function LogRecords(
  { state, onFilters, aiEnabled, latest }: {
    state: LogStreamState;
    onFilters: SetFilters;
    /** Whether Argus explains records with AI. */
    aiEnabled?: boolean;
    /** The server's newest data's minute, when its first page was empty (EmptyState). */
    latest?: string | null;
  },
) {
  const items = state.items.value;
  const loading = state.loading.value;
  const search = state.filters.value.search;
  const ascending = oldestFirst(state.filters.value);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set());
  /** The context dialog's record; undefined until first opened (the dialog is not loaded). */
  const [contextFor, setContextFor] = useState<LogItem | null | undefined>(undefined);

  // Forget expansions of records no longer held.
  useEffect(() => {
    if (expanded.size === 0) return;
    if ([...expanded].some((id) => !state.has(id))) {
      setExpanded(new Set([...expanded].filter((id) => state.has(id))));
    }
  }, [items, expanded, state]);

  const toggleRow = useCallback((id: string) => {
    setExpanded((current) => {
      const next = new Set(current);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  }, []);
  const closeContext = useCallback(() => setContextFor(null), []);
  const details = useCallback(
    (item: LogItem) => (
      <Suspense fallback={null}>
        <LogDetails
          item={item}
          search={search}
          onContext={setContextFor}
          onTraceFilter={(traceId: string) => onFilters({ trace_id: traceId })}
          aiEnabled={aiEnabled}
        />
      </Suspense>
    ),
    [onFilters, aiEnabled, search],
  );

  return (
    <>
      {items.length === 0 && !loading
        ? <NoRecords state={state} onFilters={onFilters} latest={latest} />
        : (
          <LogList
            items={items}
            expanded={expanded}
            onToggle={toggleRow}
            details={details}
            busy={loading}
            onAwayChange={state.setAway}
            newer={state.newer}
            search={search}
            oldestFirst={ascending}
            dated={datedList(state.filters.value, items)}
            head={<PageButton state={state} side={ascending ? "older" : "newer"} place="head" />}
            foot={<PageButton state={state} side={ascending ? "newer" : "older"} place="foot" />}
          />
        )}
      <div
        hidden
        data-log-stream-stats
        data-appended={state.appended.value}
        data-rows={items.length}
      />
      {contextFor !== undefined && (
        <Suspense fallback={null}>
          <LogContextModal anchor={contextFor} onClose={closeContext} />
        </Suspense>
      )}
    </>
  );
});
