/**
 * The Logs page's island: the newest records of the window from `/api/logs` (refreshed every 10
 * s), filtered by service, minimum severity, body text and trace (all in the URL), in a
 * virtualized list whose rows expand inline; a "±1 min context" dialog; and a Live toggle, off by
 * default, that streams new records from `/ws` into the list.
 *
 * Live mode. One WebSocket (components/hooks/live_socket.ts), opened when the toggle is switched on and
 * closed when it is switched off or the page is left; a filter the stream applies (service,
 * severity) reopens it. Each (re)connection fills the gap from `/api/logs`. Records are merged
 * into a buffer of at most `capacity` (newest first, oldest dropped, each id once: a retried
 * request may be streamed twice) once per animation frame, so a burst costs one render. The
 * periodic refresh pauses while live: the stream is the source.
 *
 * @module
 */
import {
  Alert,
  Badge,
  Button,
  Card,
  CloseButton,
  Group,
  Loader,
  Select,
  Stack,
  Switch,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { memo } from "preact/compat";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { EmptyState } from "../components/EmptyState.tsx";
import { IslandProvider } from "../components/IslandProvider.tsx";
import { getJson } from "../utils/api.ts";
import { FilterBar } from "../components/page/FilterBar.tsx";
import { formatClock, formatCount } from "../utils/format.ts";
import { type LiveStatus, liveUrl, useLiveSocket } from "../components/hooks/live_socket.ts";
import { FrameQueue, LogBuffer } from "../utils/log_buffer.ts";
import { LogContextModal } from "../components/logs/LogContext.tsx";
import { LogDetails } from "../components/logs/LogDetails.tsx";
import { LogList } from "../components/logs/LogList.tsx";
import {
  hasFilters,
  hasWindow,
  listParams,
  liveParams,
  LOG_FILTER_DEFAULTS,
  type LogFilters,
  type LogItem,
  matchesFilters,
  SEVERITY_OPTIONS,
  windowBoundMs,
} from "../utils/log_query.ts";
import { LOG_LIST_CSS } from "../components/logs/log_styles.ts";
import { useUrlState } from "../components/hooks/url_state.ts";
import { errorMessage } from "../utils/errors.ts";

/** A page of `/api/logs`. */
export interface LogPage {
  items: LogItem[];
  total: number;
}

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
}

const FILTER_KEYS = Object.keys(LOG_FILTER_DEFAULTS) as (keyof LogFilters)[];

function filterKey(filters: LogFilters): string {
  return FILTER_KEYS.map((key) => filters[key]).join("\n");
}

function LiveBadge({ status, rate }: { status: LiveStatus; rate: number }) {
  switch (status.state) {
    case "open":
      return (
        <Badge color="teal" variant="light" tt="none" data-live-state="open">
          ● Live · {formatCount(rate)}/s
        </Badge>
      );
    case "connecting":
      return (
        <Badge color="gray" variant="light" tt="none" data-live-state="connecting">
          Connecting…
        </Badge>
      );
    case "waiting":
      return (
        <Group gap={6} wrap="nowrap">
          <Badge color="orange" variant="light" tt="none" data-live-state="waiting">
            Reconnecting in {Math.max(1, Math.round(status.retryInMs / 1000))} s
          </Badge>
          <Text size="xs" c="dimmed" lineClamp={1} maw={300}>{status.reason}</Text>
        </Group>
      );
    default:
      return null;
  }
}

// The parts of the page other than the list are memoized: while live, the view renders once per
// animation frame, and these only when what they show changes.

const Header = memo(function Header(
  { live, status, rate, onLive }: {
    live: boolean;
    status: LiveStatus;
    rate: number;
    onLive(on: boolean): void;
  },
) {
  return (
    <Group justify="space-between" align="center" wrap="nowrap">
      <Title order={2}>Logs</Title>
      <Group gap="sm" wrap="nowrap">
        <LiveBadge status={status} rate={rate} />
        <Switch
          label="Live"
          aria-label="Live"
          size="md"
          checked={live}
          onChange={(event: Event) => onLive((event.currentTarget as HTMLInputElement).checked)}
          data-live-toggle
        />
      </Group>
    </Group>
  );
});

type SetFilters = (patch: Partial<LogFilters>, replace?: boolean) => void;

/** A filter that came with the URL (a trace, a span, a window), shown with a way to drop it. */
function FilterChip(
  { label, title, clear, onClear, data }: {
    label: string;
    title?: string;
    clear: string;
    onClear(): void;
    data: "trace" | "span" | "window";
  },
) {
  return (
    <Badge
      size="md"
      variant="light"
      color="indigo"
      tt="none"
      title={title}
      {...{ [`data-${data}-filter`]: true }}
      rightSection={<CloseButton size="xs" aria-label={clear} onClick={onClear} />}
    >
      {label}
    </Badge>
  );
}

/** `10:41:02 – 10:45:10` for an absolute window (the date when it is not today). */
function windowLabel(filters: LogFilters): string {
  const at = (text: string) => {
    const ms = windowBoundMs(text);
    return ms === undefined ? (text || "now") : formatClock(new Date(ms).toISOString()).slice(0, 8);
  };
  return `${at(filters.start)} – ${at(filters.end)}`;
}

/** How the status line and the empty state name the window. */
function windowWords(filters: LogFilters): string {
  return hasWindow(filters) ? `from ${windowLabel(filters)}` : `in the last ${filters.range}`;
}

const Filters = memo(function Filters(
  { services, filters, searchDraft, onSearchDraft, onFilters }: {
    services: string[];
    filters: LogFilters;
    searchDraft: string;
    onSearchDraft(text: string): void;
    onFilters: SetFilters;
  },
) {
  return (
    <FilterBar
      services={services}
      service={filters.service}
      range={hasWindow(filters) ? "" : filters.range}
      onChange={(patch: { service?: string; range?: string }) =>
        // A range chosen replaces an absolute window.
        onFilters(patch.range ? { ...patch, start: "", end: "" } : patch)}
    >
      <Select
        label="Severity"
        placeholder="Any severity"
        aria-label="Minimum severity"
        data={SEVERITY_OPTIONS}
        value={filters.severity || null}
        onChange={(value: string | null) => onFilters({ severity: value ?? "" })}
        clearable
        w={180}
        comboboxProps={{ withinPortal: true }}
      />
      <TextInput
        label="Search"
        placeholder="Text in the message"
        aria-label="Search messages"
        value={searchDraft}
        onChange={(event: Event) => onSearchDraft((event.currentTarget as HTMLInputElement).value)}
        onKeyDown={(event: KeyboardEvent) => {
          if (event.key === "Enter") onFilters({ search: searchDraft }, true);
        }}
        rightSection={searchDraft
          ? (
            <CloseButton
              size="sm"
              aria-label="Clear the search"
              onClick={() => {
                onSearchDraft("");
                onFilters({ search: "" });
              }}
            />
          )
          : undefined}
        w={260}
      />
    </FilterBar>
  );
});

/** The filters that come with a link (a trace, a span, a window), each with a way to drop it. */
const LinkFilters = memo(function LinkFilters(
  { filters, onFilters }: { filters: LogFilters; onFilters: SetFilters },
) {
  if (!filters.trace_id && !filters.span_id && !hasWindow(filters)) return null;
  return (
    <Group gap={6} wrap="nowrap">
      {filters.trace_id && (
        <FilterChip
          label={`Trace ${filters.trace_id.slice(0, 8)}…`}
          title={filters.trace_id}
          clear="Show logs of every trace"
          onClear={() => onFilters({ trace_id: "", span_id: "" })}
          data="trace"
        />
      )}
      {filters.span_id && (
        <FilterChip
          label={`Span ${filters.span_id.slice(0, 8)}…`}
          title={filters.span_id}
          clear="Show logs of every span"
          onClear={() => onFilters({ span_id: "" })}
          data="span"
        />
      )}
      {hasWindow(filters) && (
        <FilterChip
          label={windowLabel(filters)}
          clear={`Back to the last ${filters.range}`}
          onClear={() => onFilters({ start: "", end: "" })}
          data="window"
        />
      )}
    </Group>
  );
});

const StatusLine = memo(function StatusLine(
  { count, total, live, window, fetchedAt, loading, note }: {
    count: number;
    total: number;
    live: boolean;
    /** E.g. "in the last 5m". */
    window: string;
    fetchedAt: number | null;
    loading: boolean;
    note: string | null;
  },
) {
  return (
    <Group gap="xs" justify="space-between" wrap="nowrap" style={{ flex: 1 }}>
      <Group gap="xs" wrap="nowrap">
        <Text size="sm" c="dimmed" data-log-count>
          {live
            ? `${count.toLocaleString("en-US")} records`
            : `${count.toLocaleString("en-US")} of ${
              total.toLocaleString("en-US")
            } records ${window}`}
          {!live && fetchedAt !== null &&
            ` · updated ${formatClock(new Date(fetchedAt).toISOString()).slice(0, 8)}`}
        </Text>
        {loading && <Loader size="xs" aria-label="Loading" />}
      </Group>
      {note && <Text size="sm" c="orange.8" data-cap-note>{note}</Text>}
    </Group>
  );
});

const NoRecords = memo(function NoRecords(
  { live, filtered, window, error, onClear }: {
    live: boolean;
    filtered: boolean;
    window: string;
    error: boolean;
    onClear(): void;
  },
) {
  if (live) {
    return (
      <Card withBorder padding="xl" data-waiting>
        <Text size="sm" c="dimmed">Waiting for new log records…</Text>
      </Card>
    );
  }
  if (filtered) {
    return (
      <Card withBorder padding="xl" data-no-match>
        <Stack gap="xs" align="flex-start">
          <Text fw={600}>No logs match these filters {window}</Text>
          <Button size="xs" variant="light" onClick={onClear}>Clear the filters</Button>
        </Stack>
      </Card>
    );
  }
  return error ? null : <EmptyState what="logs" />;
});

/**
 * The island: the provider around the view, so that the view's many renders (one per animation
 * frame while live) do not re-render the provider.
 */
export default function LogStream(props: LogStreamProps) {
  return (
    <IslandProvider>
      <LogStreamView {...props} />
    </IslandProvider>
  );
}

function LogStreamView(props: LogStreamProps) {
  const { limit = 1000, capacity = 2000, refreshMs = 10_000 } = props;
  const [filters, setFilters] = useUrlState<keyof LogFilters>(LOG_FILTER_DEFAULTS, props.filters);
  const filtersRef = useRef(filters);
  filtersRef.current = filters;

  const [buffer] = useState(() => {
    const made = new LogBuffer<LogItem>(capacity);
    if (props.initial) made.replace(props.initial.items);
    return made;
  });
  const [items, setItems] = useState(() => buffer.items);
  const [total, setTotal] = useState(props.initial?.total ?? 0);
  const [fetchedAt, setFetchedAt] = useState<number | null>(
    props.initial ? props.fetchedAt : null,
  );
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(props.error);
  const [live, setLive] = useState(false);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set());
  const [contextFor, setContextFor] = useState<LogItem | null>(null);
  const [searchDraft, setSearchDraft] = useState(filters.search);
  const [rate, setRate] = useState(0);
  /** Records streamed in (after the filters) since the page loaded: the rate shown. */
  const received = useRef(0);
  /** Records the stream added to the list shown since the page loaded (read by benchmarks). */
  const appended = useRef(0);
  // Scrolled away from the newest while live: the list holds still (a reader at 5,000 records/s
  // would otherwise see the row being read pushed out within a second); what streams in waits in
  // `pending`, bounded alike, and joins the list on return to the top.
  const [away, setAway] = useState(false);
  const paused = live && away;
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const [pending] = useState(() => new LogBuffer<LogItem>(capacity));
  const [pendingCount, setPendingCount] = useState(0);

  const request = useRef<AbortController | null>(null);
  /** Reads the newest page: in place of the list, or merged into it (live). */
  const load = useCallback(async (mode: "replace" | "merge", showLoading: boolean) => {
    request.current?.abort();
    const abort = new AbortController();
    request.current = abort;
    if (showLoading) setLoading(true);
    try {
      const page = await getJson<LogPage>(
        "/api/logs",
        listParams(filtersRef.current, limit),
        { signal: abort.signal },
      );
      if (abort.signal.aborted) return;
      if (mode === "replace") buffer.replace(page.items);
      else buffer.add(page.items);
      setItems(buffer.items);
      setTotal(page.total);
      setFetchedAt(Date.now());
      setError(null);
    } catch (e) {
      if (abort.signal.aborted) return;
      setError(errorMessage(e));
    } finally {
      if (request.current === abort) {
        request.current = null;
        setLoading(false);
      }
    }
  }, [buffer, limit]);

  const [queue] = useState(() =>
    new FrameQueue<LogItem>((batch) => {
      if (pausedRef.current) {
        // Records listed already (a retried request streamed again, or a record the API read
        // brought in before its stream message arrived) are not new: counted, they made the
        // "N new" button promise more than it shows.
        const fresh = batch.filter((item) => !buffer.has(item.id));
        if (fresh.length === 0) return;
        pending.add(fresh);
        setPendingCount(pending.size + pending.dropped);
      } else {
        appended.current += buffer.add(batch).added;
        setItems(buffer.items);
      }
    }, { maxPending: capacity })
  );

  const key = filterKey(filters);
  const previous = useRef<{ key: string; live: boolean } | null>(null);
  useEffect(() => {
    const before = previous.current;
    previous.current = { key, live };
    const filtersChanged = before !== null && before.key !== key;
    if (filtersChanged) {
      // Whatever no longer matches goes at once; the API's answer follows.
      const matching = (item: LogItem) => matchesFilters(item, filtersRef.current);
      buffer.replace(buffer.items.filter(matching));
      setItems(buffer.items);
      pending.replace(pending.items.filter(matching));
      setPendingCount(pending.size);
    }
    if (live) {
      // The socket's own opening fills the list; a filter it does not apply needs a read here.
      if (filtersChanged) void load("merge", true);
      return () => {
        request.current?.abort();
        queue.clear();
      };
    }
    if (before !== null || props.initial === null) void load("replace", filtersChanged);
    const timer = setInterval(() => {
      if (!document.hidden) void load("replace", false);
    }, refreshMs);
    return () => {
      clearInterval(timer);
      request.current?.abort();
    };
  }, [key, live, load, refreshMs]);

  const socketUrl = live ? liveUrl(location, liveParams(filters)) : null;
  const status = useLiveSocket<LogItem>(socketUrl, {
    onItems: (batch) => {
      const current = filtersRef.current;
      const matching = batch.filter((item) => matchesFilters(item, current));
      received.current += matching.length;
      queue.push(matching);
    },
    onOpen: () => void load("merge", false),
  });

  useEffect(() => {
    if (!live) return;
    let last = received.current;
    const timer = setInterval(() => {
      setRate(received.current - last);
      last = received.current;
    }, 1000);
    return () => {
      clearInterval(timer);
      setRate(0);
    };
  }, [live]);

  useEffect(() => {
    if (paused || pending.size === 0) return;
    if (live) {
      appended.current += buffer.add(pending.items).added;
      setItems(buffer.items);
    }
    pending.replace([]);
    setPendingCount(0);
  }, [paused, live, pending, buffer]);

  // Forget expansions of records no longer held.
  useEffect(() => {
    if (expanded.size === 0) return;
    if ([...expanded].some((id) => !buffer.has(id))) {
      setExpanded(new Set([...expanded].filter((id) => buffer.has(id))));
    }
  }, [items, expanded, buffer]);

  // The search box writes to the URL once typing pauses; the URL (back button) writes back.
  useEffect(() => {
    if (searchDraft === filtersRef.current.search) return;
    const timer = setTimeout(() => setFilters({ search: searchDraft }, true), 350);
    return () => clearTimeout(timer);
  }, [searchDraft, setFilters]);
  useEffect(() => setSearchDraft(filters.search), [filters.search]);

  const toggleRow = useCallback((id: string) => {
    setExpanded((current) => {
      const next = new Set(current);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  }, []);
  const openContext = useCallback((item: LogItem) => setContextFor(item), []);
  const closeContext = useCallback(() => setContextFor(null), []);
  const onlyTrace = useCallback((traceId: string) => setFilters({ trace_id: traceId }), [
    setFilters,
  ]);
  const details = useCallback(
    (item: LogItem) => (
      <LogDetails
        item={item}
        onContext={openContext}
        onTraceFilter={onlyTrace}
        aiEnabled={props.aiEnabled}
      />
    ),
    [openContext, onlyTrace],
  );

  const filtered = hasFilters(filters);
  const clearFilters = useCallback(() => {
    setSearchDraft("");
    setFilters({ service: "", severity: "", search: "", trace_id: "", span_id: "" });
  }, [setFilters]);
  const shown = (n: number) => n.toLocaleString("en-US");
  const capNote = paused
    ? `Paused while you scroll: ${shown(pendingCount)} new records waiting${
      pendingCount > capacity ? ` (the newest ${shown(capacity)} will be shown)` : ""
    }.`
    : live
    ? buffer.dropped > 0
      ? `Showing the newest ${shown(capacity)} records: older ones are dropped as new ones arrive.`
      : null
    : total > items.length
    ? `Showing the newest ${shown(items.length)} of ${
      shown(total)
    } records: narrow the filters or the range to see older ones.`
    : null;

  return (
    <div class="argus-logs-page">
      <style dangerouslySetInnerHTML={{ __html: LOG_LIST_CSS }} />
      <Header live={live} status={status} rate={rate} onLive={setLive} />
      <Filters
        services={props.services}
        filters={filters}
        searchDraft={searchDraft}
        onSearchDraft={setSearchDraft}
        onFilters={setFilters}
      />
      <div class="argus-logs-status">
        <LinkFilters filters={filters} onFilters={setFilters} />
        <StatusLine
          count={items.length}
          total={total}
          live={live}
          window={windowWords(filters)}
          fetchedAt={fetchedAt}
          loading={loading}
          note={capNote}
        />
      </div>
      {error && (
        <Alert color="red" variant="light" title="Cannot load logs" data-log-error>
          {error}
          {!live && (props.initial !== null || items.length > 0) ? " (retrying every 10 s)" : ""}
        </Alert>
      )}
      {items.length === 0 && !loading
        ? (
          <NoRecords
            live={live}
            filtered={filtered}
            window={windowWords(filters)}
            error={error !== null}
            onClear={clearFilters}
          />
        )
        : (
          <LogList
            items={items}
            expanded={expanded}
            onToggle={toggleRow}
            details={details}
            busy={loading}
            onAwayChange={setAway}
            newer={paused ? pendingCount : 0}
          />
        )}
      <div
        hidden
        data-log-stream-stats
        data-appended={appended.current}
        data-rows={items.length}
      />
      <LogContextModal anchor={contextFor} onClose={closeContext} />
    </div>
  );
}
