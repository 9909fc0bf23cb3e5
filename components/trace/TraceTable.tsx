/**
 * The trace list's results: a table of `/api/traces`' page (each row links to its trace's
 * waterfall, and a click anywhere on a row opens it), with sortable columns, the total, the page
 * size and the pages; or, when nothing matches, a message and a way out. The sort headers, the
 * pages and the messages read the query as a signal (utils/trace_query.ts); changes are reported
 * as patches.
 *
 * @module
 */
import {
  Anchor,
  Badge,
  Button,
  Card,
  Group,
  Pagination,
  Select,
  Stack,
  Table,
  Text,
} from "@mantine/core";
import { type ReadonlySignal, useComputed, useSignal } from "@preact/signals";
import { useMemo } from "preact/hooks";
import {
  formatClock,
  formatCount,
  formatDateTime,
  formatDuration,
  formatZone,
} from "../../utils/format.ts";
import { hasFilters, pageOf, type TraceQuery } from "../../utils/trace_query.ts";
import { windowPhrase } from "../../utils/time_window.ts";
import { serviceColors } from "../../utils/chart_style.ts";
import type { WireTracePage, WireTraceSummary } from "../../utils/wire.ts";
import { EmptyState } from "../EmptyState.tsx";
import { CompareCell, CompareHeader, type ComparePicks } from "./CompareSelection.tsx";

type Query = ReadonlySignal<TraceQuery>;
type OnChange = (patch: Partial<TraceQuery>) => void;

const PAGE_SIZES = ["20", "50", "100", "200"];

export interface TraceResultsProps {
  /** The API's answer to the query (or to the previous one, while `loading`). */
  page: WireTracePage;
  query: Query;
  loading: boolean;
  /** Whether the rows are dimmed: a load is under way or failed. */
  stale: boolean;
  onChange: OnChange;
  onSort(field: string): void;
  /** Removes every filter (utils/trace_query.ts's `clearFilters`). */
  onClear(): void;
}

export function TraceResults(props: TraceResultsProps) {
  const { page, query, onChange } = props;
  const inWindow = useComputed(() => windowPhrase(query.value));
  if (page.total === 0) {
    return props.loading ? null : <NoTraces query={query} onClear={props.onClear} />;
  }
  return (
    <>
      <Card withBorder padding={0}>
        <Group justify="space-between" px="md" py="sm">
          <Text
            size="sm"
            c="dimmed"
            data-total={page.total}
            data-total-capped={page.total_capped || undefined}
            title={page.total_capped
              ? `At least ${formatCount(page.total)} traces match: counting stops at ` +
                "TRACE_COUNT_LIMIT matches, or, for a text or attribute search, after the " +
                "window's newest traces (TRACE_COUNT_SCAN, TRACE_COUNT_CHECKS). The pages reach " +
                "that many: narrow the range or the filters to see the rest"
              : undefined}
          >
            {`${traceCount(page)} ${inWindow.value} · ${page.offset + 1}–${
              page.offset + page.items.length
            }`}
          </Text>
        </Group>
        <TraceTable items={page.items} query={query} stale={props.stale} onSort={props.onSort} />
        <TracePages total={page.total} query={query} onChange={onChange} />
      </Card>
      {page.items.length === 0 && (
        <Anchor size="sm" onClick={() => onChange({ offset: "0" })}>
          Back to the first page
        </Anchor>
      )}
    </>
  );
}

/** "1 trace", "1,234 traces", or "10,000+ traces" when the server stopped counting (at least). */
function traceCount({ total, total_capped }: WireTracePage): string {
  return total_capped
    ? `${formatCount(total)}+ traces`
    : `${formatCount(total)} trace${total === 1 ? "" : "s"}`;
}

/** An empty window, or filters that match nothing. */
function NoTraces({ query, onClear }: { query: Query; onClear(): void }) {
  const filtered = useComputed(() => hasFilters(query.value));
  const inWindow = useComputed(() => windowPhrase(query.value));
  if (!filtered.value) {
    return (
      <Stack gap="xs">
        <Text size="sm" c="dimmed">
          No traces {inWindow.value}: pick a longer range above, or send some.
        </Text>
        <EmptyState what="traces" />
      </Stack>
    );
  }
  return (
    <Card withBorder padding="xl" data-no-match>
      <Stack gap="xs" align="flex-start">
        <Text fw={600}>No traces match these filters {inWindow.value}</Text>
        <Text size="sm" c="dimmed">
          Widen the time range or remove a filter.
        </Text>
        <Button variant="light" size="xs" onClick={onClear}>
          Clear filters
        </Button>
      </Stack>
    </Card>
  );
}

export function TraceTable(
  { items, query, stale, onSort }: {
    items: WireTraceSummary[];
    query: Query;
    stale: boolean;
    onSort(field: string): void;
  },
) {
  const colors = useMemo(() => serviceColors(items.flatMap((item) => item.services)), [items]);
  const maxDuration = items.reduce((max, item) => Math.max(max, item.duration_ms), 0);
  const picks = useSignal<string[]>([]);
  return (
    <Table.ScrollContainer minWidth={860}>
      <Table
        className={`argus-tr-table${stale ? " argus-tr-loading" : ""}`}
        highlightOnHover
        verticalSpacing={6}
        data-trace-table
      >
        <Table.Thead>
          <Table.Tr>
            <SortHeader
              label={`Start (${formatZone()})`}
              field="start_time"
              query={query}
              onSort={onSort}
            />
            <Table.Th>Root service &amp; operation</Table.Th>
            <SortHeader label="Duration" field="duration" query={query} onSort={onSort} />
            <SortHeader label="Spans" field="span_count" query={query} onSort={onSort} />
            <Table.Th ta="right">Errors</Table.Th>
            <Table.Th>Services</Table.Th>
            <CompareHeader picks={picks} />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((item) => (
            <TraceRow
              key={item.trace_id}
              item={item}
              maxDuration={maxDuration}
              colors={colors}
              picks={picks}
            />
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** A column header that sorts by `field`: again flips the order. */
function SortHeader(
  { label, field, query, onSort }: {
    label: string;
    field: string;
    query: Query;
    onSort(field: string): void;
  },
) {
  const order = useComputed(() => query.value.sort === field ? query.value.order : "");
  const active = order.value !== "";
  const arrow = active ? (order.value === "asc" ? "▲" : "▼") : "↕";
  return (
    <Table.Th
      aria-sort={active ? (order.value === "asc" ? "ascending" : "descending") : "none"}
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
      data-service-badge={service}
      data-color={color}
    >
      {service}
    </Badge>
  );
}

function TraceRow(
  { item, maxDuration, colors, picks }: {
    item: WireTraceSummary;
    maxDuration: number;
    colors: Map<string, string>;
    picks: ComparePicks;
  },
) {
  const href = `/traces/${item.trace_id}`;
  const shown = item.services.slice(0, 3);
  const open = (event: MouseEvent) => {
    // The link itself, and modified clicks (new tab), are the browser's.
    if ((event.target as Element).closest("a, input") || event.metaKey || event.ctrlKey) return;
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
        {item.error_services.length > 0 && (
          <Text
            size="xs"
            c="red"
            style={{ whiteSpace: "nowrap" }}
            title={`The errors start in ${item.error_services.join(", ")}: a failing span ` +
              "with no failing child"}
            data-error-services={item.error_services.join(",")}
          >
            {`in ${item.error_services.join(", ")}`}
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        <Group gap={4}>
          {shown.map((service) => (
            <ServiceBadge key={service} service={service} color={colors.get(service)!} />
          ))}
          {item.services.length > shown.length && (
            <Badge
              variant="outline"
              color="gray"
              radius="sm"
              title={item.services.slice(shown.length).join(", ")}
            >
              +{item.services.length - shown.length}
            </Badge>
          )}
        </Group>
      </Table.Td>
      <CompareCell traceId={item.trace_id} picks={picks} />
    </Table.Tr>
  );
}

/** Rows per page and the pages: both in the query (`limit`, `offset`). */
function TracePages(
  { total, query, onChange }: { total: number; query: Query; onChange: OnChange },
) {
  const limitOf = useComputed(() => Number(query.value.limit) || 50);
  const offsetOf = useComputed(() => Number(query.value.offset) || 0);
  const limit = limitOf.value;
  const { page, pages } = pageOf(offsetOf.value, limit, total);
  return (
    <Group justify="space-between" px="md" py="sm">
      <Group gap="xs">
        <Text size="sm" c="dimmed">Rows per page</Text>
        <Select
          aria-label="Rows per page"
          data={PAGE_SIZES.includes(String(limit)) ? PAGE_SIZES : [String(limit), ...PAGE_SIZES]}
          value={String(limit)}
          onChange={(value: string | null) => onChange({ limit: value ?? "50" })}
          w={80}
          size="xs"
          allowDeselect={false}
          comboboxProps={{ withinPortal: true }}
        />
      </Group>
      <Pagination
        total={pages}
        value={page}
        onChange={(p: number) => onChange({ offset: String((p - 1) * limit) })}
        size="sm"
        data-pagination
        getControlProps={(control: string) => ({ "aria-label": `${control} page` })}
      />
    </Group>
  );
}
