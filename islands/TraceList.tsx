/**
 * The trace explorer's list: `/api/traces` with filters (service, time range, status, span name
 * text, duration bounds, attribute chips), sortable columns and pages, all kept in the URL
 * (utils/trace_query.ts). Each row links to the trace's waterfall. Refreshes itself every
 * 15 s while the tab is visible, unless paused.
 *
 * @module
 */
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Group,
  Pagination,
  Pill,
  SegmentedControl,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Tooltip,
} from "@mantine/core";
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { EmptyState } from "../components/EmptyState.tsx";
import { useTypedValue } from "../components/hooks/use_typed_value.ts";
import { IslandProvider } from "../components/IslandProvider.tsx";
import { getJson } from "../utils/api.ts";
import { useAutoRefresh } from "../components/hooks/auto_refresh.ts";
import { FilterBar } from "../components/page/FilterBar.tsx";
import { formatClock, formatCount, formatDateTime, formatDuration } from "../utils/format.ts";
import { RefreshControl } from "../components/page/RefreshControl.tsx";
import {
  clearFilters,
  hasFilters,
  pageOf,
  parseAttributeChip,
  parseTraceQuery,
  sortBy,
  type TraceQuery,
  traceQueryString,
  withChange,
} from "../utils/trace_query.ts";
import { TRACE_LIST_CSS } from "../components/trace/trace_styles.ts";
import { serviceColors } from "../utils/waterfall.ts";
import type { WirePage, WireTraceSummary } from "../utils/wire.ts";

/** An item of `GET /api/traces`. */
export type TraceListItem = WireTraceSummary;
/** A page of `GET /api/traces`. */
export type TraceListPage = WirePage<WireTraceSummary>;

export interface TraceListProps extends Record<string, unknown> {
  /** The query of the page's URL, as the server read it. */
  query: TraceQuery;
  /** The server's answer to it, or null with `error`. */
  initial: TraceListPage | null;
  /** The API's error sentence for a query it refused. */
  error: string | null;
  services: string[];
  /** When the server loaded `initial` (Unix milliseconds). */
  loadedAt: number;
  /** Milliseconds between refreshes. */
  refreshMs?: number;
}

const PAGE_SIZES = ["20", "50", "100", "200"];

/** The query in the URL, with history: `navigate` pushes an entry, the back button pops one. */
function useTraceQuery(initial: TraceQuery): [TraceQuery, (next: TraceQuery) => void] {
  const [query, setQuery] = useState(initial);
  useEffect(() => {
    const onPop = () => setQuery(parseTraceQuery(location.search));
    addEventListener("popstate", onPop);
    return () => removeEventListener("popstate", onPop);
  }, []);
  const navigate = useCallback((next: TraceQuery) => {
    const search = traceQueryString(next);
    if (search !== traceQueryString(parseTraceQuery(location.search))) {
      history.pushState(null, "", `${location.pathname}${search}`);
    }
    setQuery(next);
  }, []);
  return [query, navigate];
}

function SortHeader(
  { label, field, query, onSort, children }: {
    label: string;
    field: string;
    query: TraceQuery;
    onSort(field: string): void;
    children?: ComponentChildren;
  },
) {
  const active = query.sort === field;
  const arrow = active ? (query.order === "asc" ? "▲" : "▼") : "↕";
  return (
    <Table.Th
      aria-sort={active ? (query.order === "asc" ? "ascending" : "descending") : "none"}
      data-sort-field={field}
    >
      <button
        type="button"
        className="argus-tr-sort"
        data-active={active ? "" : undefined}
        onClick={() => onSort(field)}
        title={`Sort by ${label.toLowerCase()}`}
      >
        {label}
        <span aria-hidden="true" style={{ fontSize: 10, opacity: active ? 1 : 0.45 }}>{arrow}</span>
      </button>
      {children}
    </Table.Th>
  );
}

function ServiceBadge({ service, color }: { service: string; color: string }) {
  return (
    <Badge
      variant="light"
      color="gray"
      radius="sm"
      tt="none"
      fw={500}
      leftSection={<span className="argus-tr-dot" style={{ background: color }} />}
    >
      {service}
    </Badge>
  );
}

function TraceRow(
  { item, maxDuration, colors }: {
    item: TraceListItem;
    maxDuration: number;
    colors: Map<string, string>;
  },
) {
  const href = `/traces/${item.trace_id}`;
  const shown = item.services.slice(0, 3);
  const open = (event: MouseEvent) => {
    // The link itself, and modified clicks (new tab), are the browser's.
    if ((event.target as Element).closest("a") || event.metaKey || event.ctrlKey) return;
    location.assign(href);
  };
  const share = maxDuration > 0 ? Math.max(0.01, item.duration_ms / maxDuration) : 0;
  return (
    <Table.Tr
      data-trace-id={item.trace_id}
      data-duration-ms={item.duration_ms}
      data-span-count={item.span_count}
      data-error-count={item.error_count}
      onClick={open}
    >
      <Table.Td style={{ whiteSpace: "nowrap" }}>
        <Text size="sm" className="argus-mono">{formatClock(item.start_time)}</Text>
        <Text size="xs" c="dimmed">{formatDateTime(item.start_time).slice(0, 10)}</Text>
      </Table.Td>
      <Table.Td style={{ maxWidth: 380 }}>
        <a href={href} className="argus-tr-link" data-trace-link>
          <Group gap={6} wrap="nowrap">
            <span
              className="argus-tr-dot"
              style={{ background: colors.get(item.root_service) ?? "#adb5bd" }}
            />
            <Text size="sm" fw={600} style={{ whiteSpace: "nowrap" }}>{item.root_service}</Text>
            <Text size="sm" className="argus-tr-op" truncate="end">{item.root_name}</Text>
          </Group>
          <Text size="xs" c="dimmed" className="argus-mono">{item.trace_id.slice(0, 16)}…</Text>
        </a>
      </Table.Td>
      <Table.Td style={{ whiteSpace: "nowrap" }}>
        <Text size="sm" fw={500} data-duration>{formatDuration(item.duration_ms)}</Text>
        <div className="argus-tr-durbar" data-error={item.error_count > 0 ? "" : undefined}>
          <div style={{ width: `${(share * 100).toFixed(1)}%` }} />
        </div>
      </Table.Td>
      <Table.Td ta="right">
        <Text size="sm">{formatCount(item.span_count)}</Text>
      </Table.Td>
      <Table.Td ta="right">
        {item.error_count > 0
          ? <Badge color="red" variant="filled" size="sm" data-errors>{item.error_count}</Badge>
          : <Text size="sm" c="dimmed">0</Text>}
      </Table.Td>
      <Table.Td>
        <Group gap={4}>
          {shown.map((service) => (
            <ServiceBadge key={service} service={service} color={colors.get(service)!} />
          ))}
          {item.services.length > shown.length && (
            <Tooltip label={item.services.slice(shown.length).join(", ")} withinPortal>
              <Badge variant="outline" color="gray" radius="sm">
                +{item.services.length - shown.length}
              </Badge>
            </Tooltip>
          )}
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}

function describeWindow(query: TraceQuery): string {
  if (query.start !== "" || query.end !== "") {
    const show = (t: string) =>
      /^\d+$/.test(t) ? formatDateTime(new Date(Number(t)).toISOString()) : formatDateTime(t);
    return `from ${query.start ? show(query.start) : "the start"} to ${
      query.end ? show(query.end) : "now"
    }`;
  }
  return `in the last ${query.range}`;
}

export default function TraceList(
  {
    query: initialQuery,
    initial,
    error: initialError,
    services: initialServices,
    loadedAt,
    refreshMs = 15_000,
  }: TraceListProps,
) {
  const [query, navigate] = useTraceQuery(initialQuery);
  const [services, setServices] = useState(initialServices);
  const [attrText, setAttrText] = useState("");
  const [attrError, setAttrError] = useState<string | null>(null);
  const search = traceQueryString(query);
  const list = useAutoRefresh<TraceListPage>({
    key: search,
    load: (signal) => getJson<TraceListPage>(`/api/traces${search}`, {}, { signal }),
    intervalMs: refreshMs,
    initial,
    initialError,
    initialAt: loadedAt,
  });
  const { data: page, error, loading } = list;

  // The services of the window, for the service filter.
  const windowKey = `${query.range}|${query.start}|${query.end}`;
  const firstWindow = useRef(windowKey);
  useEffect(() => {
    if (firstWindow.current === windowKey) return;
    firstWindow.current = "";
    const params = query.start || query.end
      ? { start: query.start, end: query.end }
      : { range: query.range };
    getJson<{ services: string[] }>("/api/metadata/services", params)
      .then((body) => setServices(body.services))
      .catch(() => {/* the filter keeps the services it had */});
    // The window's parts are all in windowKey.
  }, [windowKey]);

  const change = (patch: Partial<TraceQuery>) => navigate(withChange(query, patch));
  const [searchText, setSearchText] = useTypedValue(query.search, (v) => change({ search: v }));
  const [minText, setMinText] = useTypedValue(
    query.min_duration_ms,
    (v) => change({ min_duration_ms: v.trim() }),
  );
  const [maxText, setMaxText] = useTypedValue(
    query.max_duration_ms,
    (v) => change({ max_duration_ms: v.trim() }),
  );

  const addAttribute = () => {
    const chip = parseAttributeChip(attrText);
    if (chip === undefined) {
      setAttrError("Use key=value, e.g. http.response.status_code=500");
      return;
    }
    setAttrError(null);
    setAttrText("");
    if (!query.attr.includes(chip)) change({ attr: [...query.attr, chip] });
  };

  const items = page?.items ?? [];
  const colors = useMemo(
    () => serviceColors(items.flatMap((item) => item.services)),
    [items],
  );
  const maxDuration = items.reduce((max, item) => Math.max(max, item.duration_ms), 0);
  const limit = Number(query.limit) || 50;
  const offset = Number(query.offset) || 0;
  const { page: pageNumber, pages } = pageOf(offset, limit, page?.total ?? 0);
  const filtered = hasFilters(query);

  return (
    <IslandProvider>
      <style dangerouslySetInnerHTML={{ __html: TRACE_LIST_CSS }} />
      <Stack gap="md" data-trace-list>
        <Card withBorder padding="md">
          <Stack gap="sm">
            <FilterBar
              services={services}
              service={query.service}
              range={query.range}
              onChange={(patch: { service?: string; range?: string }) => change(patch)}
            >
              <SegmentedControl
                aria-label="Status"
                data-status-filter
                data={[
                  { value: "", label: "All" },
                  { value: "ok", label: "OK" },
                  { value: "error", label: "Errors" },
                ]}
                value={query.status}
                onChange={(value: string) => change({ status: value })}
              />
              <Group ml="auto" align="center">
                <RefreshControl
                  updatedAt={list.updatedAt}
                  loading={loading}
                  paused={list.paused}
                  intervalMs={refreshMs}
                  onPausedChange={list.setPaused}
                  onRefresh={list.refresh}
                />
              </Group>
            </FilterBar>
            <Group gap="sm" align="end" wrap="wrap">
              <TextInput
                label="Span name"
                placeholder="Search span names"
                aria-label="Search span names"
                value={searchText}
                onChange={(event: Event) =>
                  setSearchText((event.currentTarget as HTMLInputElement).value)}
                w={240}
                data-search
              />
              <TextInput
                label="Min duration (ms)"
                placeholder="0"
                inputMode="decimal"
                aria-label="Minimum duration in milliseconds"
                value={minText}
                onChange={(event: Event) =>
                  setMinText((event.currentTarget as HTMLInputElement).value)}
                w={140}
                data-min-duration
              />
              <TextInput
                label="Max duration (ms)"
                placeholder="∞"
                inputMode="decimal"
                aria-label="Maximum duration in milliseconds"
                value={maxText}
                onChange={(event: Event) =>
                  setMaxText((event.currentTarget as HTMLInputElement).value)}
                w={140}
                data-max-duration
              />
              <TextInput
                label="Attribute"
                placeholder="key=value, then Enter"
                aria-label="Attribute filter key=value"
                value={attrText}
                error={attrError}
                onChange={(event: Event) => {
                  setAttrText((event.currentTarget as HTMLInputElement).value);
                  setAttrError(null);
                }}
                onKeyDown={(event: KeyboardEvent) => {
                  if (event.key === "Enter") {
                    event.preventDefault();
                    addAttribute();
                  }
                }}
                w={280}
                data-attr-input
              />
              {filtered && (
                <Button
                  variant="subtle"
                  size="sm"
                  onClick={() => navigate(clearFilters(query))}
                  data-clear-filters
                >
                  Clear filters
                </Button>
              )}
            </Group>
            {(query.attr.length > 0 || query.start !== "" || query.end !== "") && (
              <Group gap={6} data-chips>
                {(query.start !== "" || query.end !== "") && (
                  <Pill
                    withRemoveButton
                    onRemove={() => change({ range: query.range })}
                    removeButtonProps={{ "aria-label": "Back to a time range" }}
                  >
                    {describeWindow(query)}
                  </Pill>
                )}
                {query.attr.map((attr) => (
                  <Pill
                    key={attr}
                    withRemoveButton
                    data-attr-chip={attr}
                    onRemove={() =>
                      change({ attr: query.attr.filter((a) => a !== attr) })}
                    removeButtonProps={{ "aria-label": `Remove filter ${attr}` }}
                  >
                    <span className="argus-mono">{attr}</span>
                  </Pill>
                ))}
              </Group>
            )}
          </Stack>
        </Card>

        {error !== null && (
          <Alert color="red" variant="light" title="Cannot list traces" data-error>
            {error}
          </Alert>
        )}

        {page !== null && page.total === 0 && !loading && (
          filtered
            ? (
              <Card withBorder padding="xl" data-no-match>
                <Stack gap="xs" align="flex-start">
                  <Text fw={600}>No traces match these filters {describeWindow(query)}</Text>
                  <Text size="sm" c="dimmed">
                    Widen the time range or remove a filter.
                  </Text>
                  <Button variant="light" size="xs" onClick={() => navigate(clearFilters(query))}>
                    Clear filters
                  </Button>
                </Stack>
              </Card>
            )
            : (
              <Stack gap="xs">
                <Text size="sm" c="dimmed">
                  No traces {describeWindow(query)}: pick a longer range above, or send some.
                </Text>
                <EmptyState what="traces" />
              </Stack>
            )
        )}

        {page !== null && page.total > 0 && (
          <Card withBorder padding={0}>
            <Group justify="space-between" px="md" py="sm">
              <Text size="sm" c="dimmed" data-total={page.total}>
                {`${formatCount(page.total)} trace${page.total === 1 ? "" : "s"} ${
                  describeWindow(query)
                } · ${page.offset + 1}–${page.offset + page.items.length}`}
              </Text>
            </Group>
            <Table.ScrollContainer minWidth={860}>
              <Table
                className={`argus-tr-table${loading || error ? " argus-tr-loading" : ""}`}
                highlightOnHover
                verticalSpacing={6}
                data-trace-table
              >
                <Table.Thead>
                  <Table.Tr>
                    <SortHeader
                      label="Start"
                      field="start_time"
                      query={query}
                      onSort={(f) => navigate(sortBy(query, f))}
                    />
                    <Table.Th>Root service &amp; operation</Table.Th>
                    <SortHeader
                      label="Duration"
                      field="duration"
                      query={query}
                      onSort={(f) => navigate(sortBy(query, f))}
                    />
                    <SortHeader
                      label="Spans"
                      field="span_count"
                      query={query}
                      onSort={(f) => navigate(sortBy(query, f))}
                    />
                    <Table.Th ta="right">Errors</Table.Th>
                    <Table.Th>Services</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {page.items.map((item) => (
                    <TraceRow
                      key={item.trace_id}
                      item={item}
                      maxDuration={maxDuration}
                      colors={colors}
                    />
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <Group justify="space-between" px="md" py="sm">
              <Group gap="xs">
                <Text size="sm" c="dimmed">Rows per page</Text>
                <Select
                  aria-label="Rows per page"
                  data={PAGE_SIZES.includes(String(limit))
                    ? PAGE_SIZES
                    : [String(limit), ...PAGE_SIZES]}
                  value={String(limit)}
                  onChange={(value: string | null) => change({ limit: value ?? "50" })}
                  w={80}
                  size="xs"
                  allowDeselect={false}
                  comboboxProps={{ withinPortal: true }}
                />
              </Group>
              <Pagination
                total={pages}
                value={pageNumber}
                onChange={(p: number) => change({ offset: String((p - 1) * limit) })}
                size="sm"
                data-pagination
                getControlProps={(control: string) => ({ "aria-label": `${control} page` })}
              />
            </Group>
          </Card>
        )}
        {page !== null && page.total > 0 && page.items.length === 0 && (
          <Anchor
            size="sm"
            onClick={() => change({ offset: "0" })}
          >
            Back to the first page
          </Anchor>
        )}
      </Stack>
    </IslandProvider>
  );
}
