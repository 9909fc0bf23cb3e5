/**
 * `GET /services/{service}`: one service's operations (span names) in the page's window, from the
 * same `operations` as `GET /api/metrics/operations`: requests, errors, error rate, average and
 * p50/p95/p99 per operation, sortable by any column (`sort`, `order` in the URL, so a view can be
 * shared and the page needs no JavaScript), each operation linking to the traces that hold it.
 * Reached from the Service Map's node panel and the Dashboard's failing services.
 *
 * @module
 */
import { Anchor, Badge, Breadcrumbs, Card, Group, Stack, Table, Text, Title } from "@mantine/core";
import { serviceColor } from "../../utils/chart_style.ts";
import { formatCount, formatDuration, fractionPercent } from "../../utils/format.ts";
import {
  compareOperations,
  isOperationSortField,
  type OperationSortField,
} from "../../utils/operation_sort.ts";
import {
  presetsUpTo,
  rangeParams,
  rangeWords,
  windowOf,
  windowParams,
} from "../../utils/time_window.ts";
import type { WireOperation, WireOperations } from "../../utils/wire.ts";
import { serviceHref } from "../../utils/service_link.ts";
import { BadRequestError } from "../http_error.ts";
import { operations } from "../operations.ts";
import type { PageDef } from "./mod.ts";

interface Column {
  field: OperationSortField;
  label: string;
  /** The order a first click sorts in: figures biggest first, names A to Z. */
  first: "asc" | "desc";
}

const COLUMNS: Column[] = [
  { field: "operation", label: "Operation", first: "asc" },
  { field: "requests", label: "Requests", first: "desc" },
  { field: "errors", label: "Errors", first: "desc" },
  { field: "error_rate", label: "Error rate", first: "desc" },
  { field: "avg_ms", label: "Avg", first: "desc" },
  { field: "p50_ms", label: "p50", first: "desc" },
  { field: "p95_ms", label: "p95", first: "desc" },
  { field: "p99_ms", label: "p99", first: "desc" },
];

const ms = (value: number | null) => value === null ? "–" : formatDuration(value);

function SortHeader(
  { column, sort, order, hrefOf }: {
    column: Column;
    sort: OperationSortField;
    order: "asc" | "desc";
    hrefOf(sort: OperationSortField, order: "asc" | "desc"): string;
  },
) {
  const active = column.field === sort;
  const next = active ? (order === "asc" ? "desc" : "asc") : column.first;
  return (
    <Table.Th
      ta={column.field === "operation" ? undefined : "right"}
      aria-sort={active ? (order === "asc" ? "ascending" : "descending") : "none"}
      data-sort-field={column.field}
    >
      <a
        href={hrefOf(column.field, next)}
        className="argus-op-sort"
        title={`Sort by ${column.label.toLowerCase()}`}
      >
        {column.label}
        <span aria-hidden="true">{active ? (order === "asc" ? " ▲" : " ▼") : " ↕"}</span>
      </a>
    </Table.Th>
  );
}

function OperationRow(
  { op, tracesHref }: { op: WireOperation; tracesHref: string },
) {
  return (
    <Table.Tr data-operation={op.operation} data-requests={op.requests} data-errors={op.errors}>
      <Table.Td style={{ maxWidth: 420 }}>
        <Group gap={6} wrap="nowrap">
          <a href={tracesHref} data-operation-traces title="Traces with this operation">
            <Text size="sm" fw={600} truncate="end" component="span">{op.operation}</Text>
          </a>
          {op.entry && (
            <Badge
              size="xs"
              variant="light"
              color="gray"
              title="Requests this service received (SERVER, CONSUMER or root spans)"
            >
              entry
            </Badge>
          )}
        </Group>
      </Table.Td>
      <Table.Td ta="right" data-cell="requests">{formatCount(op.requests)}</Table.Td>
      <Table.Td ta="right" data-cell="errors">
        {op.errors > 0
          ? <Text size="sm" c="red" fw={600} component="span">{formatCount(op.errors)}</Text>
          : "0"}
      </Table.Td>
      <Table.Td ta="right" data-cell="error_rate">
        {fractionPercent(op.error_rate)}
      </Table.Td>
      <Table.Td ta="right" data-cell="avg_ms">{ms(op.avg_ms)}</Table.Td>
      <Table.Td ta="right" data-cell="p50_ms">{ms(op.p50_ms)}</Table.Td>
      <Table.Td ta="right" data-cell="p95_ms">{ms(op.p95_ms)}</Table.Td>
      <Table.Td ta="right" data-cell="p99_ms">{ms(op.p99_ms)}</Table.Td>
    </Table.Tr>
  );
}

/** The page's stylesheet: sort links that look like headers. */
const SERVICE_CSS = `.argus-op-sort{color:inherit;text-decoration:none;white-space:nowrap}
.argus-op-sort:hover,.argus-op-sort:focus-visible{text-decoration:underline}`;

export const servicePage: PageDef = {
  path: "/services/{service}",
  active: "/service-map",
  async render(deps, url, segments) {
    const service = segments.service ?? "";
    const window = windowOf(url);
    const carried = windowParams(window);
    const sortText = url.searchParams.get("sort") ?? "requests";
    const sort: OperationSortField = isOperationSortField(sortText) ? sortText : "requests";
    const order = url.searchParams.get("order") === "asc" ? "asc" : "desc";
    let answer: WireOperations | null = null;
    let error: string | null = null;
    try {
      answer = await operations(
        new URLSearchParams({ ...carried, service, limit: "1000" }),
        deps,
      );
    } catch (e) {
      if (!(e instanceof BadRequestError)) throw e;
      error = e.message;
    }
    const rows = [...(answer?.operations ?? [])].sort(compareOperations(sort, order));
    const withWindow = (path: string, extra: Record<string, string>) =>
      `${path}?${new URLSearchParams({ ...extra, ...carried })}`;
    const hrefOf = (s: OperationSortField, o: "asc" | "desc") =>
      serviceHref(service, {
        ...carried,
        ...(s === "requests" ? {} : { sort: s }),
        ...(o === "desc" ? {} : { order: o }),
      });
    const words = window.start === ""
      ? `in the last ${rangeWords(window.range)}`
      : "in this window";
    return {
      title: `${service} · Service`,
      body: (
        <Stack gap="md" data-service-page={service}>
          <style dangerouslySetInnerHTML={{ __html: SERVICE_CSS }} />
          <Breadcrumbs>
            <Anchor href={withWindow("/service-map", {})} size="sm">Service Map</Anchor>
            <Text size="sm" c="dimmed">{service}</Text>
          </Breadcrumbs>
          <Group justify="space-between" align="center">
            <Group gap="xs">
              <span
                aria-hidden="true"
                data-service-color={serviceColor(service)}
                style={{
                  width: 12,
                  height: 12,
                  borderRadius: 6,
                  display: "inline-block",
                  background: serviceColor(service),
                }}
              />
              <Title order={2}>{service}</Title>
            </Group>
            <Group gap="md">
              <Anchor href={withWindow("/traces", { service })} size="sm" data-service-traces>
                Traces
              </Anchor>
              <Anchor href={withWindow("/logs", { service })} size="sm" data-service-logs>
                Logs
              </Anchor>
              <Anchor href={withWindow("/instruments", { service })} size="sm" data-service-metrics>
                Metrics
              </Anchor>
              <Anchor href={withWindow("/service-map", { service })} size="sm">
                Calls on the map
              </Anchor>
            </Group>
          </Group>
          <Group gap={6} aria-label="Time range">
            <Text size="sm" c="dimmed">Range:</Text>
            {presetsUpTo(deps.configSummary?.().retention.ms).map((range) => (
              <Anchor
                key={range}
                size="sm"
                href={serviceHref(service, {
                  ...rangeParams(range),
                  ...(sort === "requests" ? {} : { sort }),
                  ...(order === "desc" ? {} : { order }),
                })}
                fw={window.start === "" && window.range === range ? 700 : undefined}
                aria-current={window.start === "" && window.range === range ? "true" : undefined}
                data-range={range}
              >
                {range}
              </Anchor>
            ))}
          </Group>
          {error !== null && (
            <Card withBorder padding="md" data-service-error>
              <Text size="sm" c="red">{error}</Text>
            </Card>
          )}
          {answer !== null && rows.length === 0 && (
            <Card withBorder padding="xl" data-no-operations>
              <Text size="sm">
                No spans of {service}{" "}
                {words}. Pick a longer range above, or check the service's name on the{" "}
                <Anchor href={withWindow("/service-map", {})}>Service Map</Anchor>.
              </Text>
            </Card>
          )}
          {rows.length > 0 && (
            <Card withBorder padding={0}>
              <Text size="sm" c="dimmed" px="md" py="sm" data-operations-total={answer!.total}>
                {`${formatCount(answer!.total)} operation${
                  answer!.total === 1 ? "" : "s"
                } ${words}`}
                {" · every span counted; percentiles within ±19% (a latency histogram)"}
              </Text>
              <Table.ScrollContainer minWidth={760}>
                <Table highlightOnHover verticalSpacing={6} data-operations-table>
                  <Table.Thead>
                    <Table.Tr>
                      {COLUMNS.map((column) => (
                        <SortHeader
                          key={column.field}
                          column={column}
                          sort={sort}
                          order={order}
                          hrefOf={hrefOf}
                        />
                      ))}
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {rows.map((op) => (
                      <OperationRow
                        key={op.operation}
                        op={op}
                        tracesHref={withWindow("/traces", { service, search: op.operation })}
                      />
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            </Card>
          )}
        </Stack>
      ),
    };
  },
};
