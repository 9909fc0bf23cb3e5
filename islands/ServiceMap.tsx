/**
 * The Service Map: services as nodes (sized by requests, coloured by error rate) and the calls
 * between them as arrows (red and thicker when some failed), in a force-directed ECharts graph;
 * clicking a service opens its traces. Below, the same as tables with links, for the keyboard and
 * screen readers. Range and service in the URL; refreshed every 30 s (pausable), redrawn only
 * when the figures change so the layout stays put.
 *
 * The graph's div carries `data-nodes`, `data-edges` and, once drawn, `data-node-positions`
 * (`{name: [x, y]}` in pixels within the div) for browser tests.
 *
 * @module
 */
import {
  Anchor,
  Card,
  Center,
  Grid,
  Group,
  Loader,
  Stack,
  Table,
  Text,
  Title,
} from "@mantine/core";
import type { EChartsType } from "echarts/core";
import { useMemo } from "preact/hooks";
import { ChartBox } from "../components/charts/ChartBox.tsx";
import { IslandProvider } from "../components/IslandProvider.tsx";
import { EmptyState } from "../components/EmptyState.tsx";
import { useLatestData } from "../components/hooks/use_latest_data.ts";
import { apiUrl, getJson } from "../utils/api.ts";
import { serviceHref } from "../utils/service_link.ts";
import { type UrlState, useUrlState } from "../components/hooks/url_state.ts";
import {
  DEFAULT_RANGE,
  type WindowFilter,
  windowParams,
  windowWords,
} from "../utils/time_window.ts";
import { useAutoRefresh } from "../components/hooks/auto_refresh.ts";
import { RefreshedHeader } from "../components/page/RefreshedHeader.tsx";
import { useECharts } from "../components/charts/charts.ts";
import { formatCount, formatDuration } from "../utils/format.ts";
import { fractionPercent } from "../utils/format.ts";
import {
  EDGE_ERROR_LEVELS,
  ERROR_RATE_STOPS,
  errorRateColor,
  graphHeight,
  graphMinWidth,
  type MapEdge,
  type MapLayout,
  mapLayout,
  type MapNode,
  type ServiceMapBody,
  serviceMapOption,
} from "../utils/service_map_graph.ts";

/** `service` ("" for all) and the window (`range`, or `start` and `end`), as in the URL. */
export type ServiceMapFilters = UrlState<"service" | "range" | "start" | "end">;

export interface ServiceMapData {
  map: ServiceMapBody;
  /** Services with data in the window, for the filter bar. */
  services: string[];
}

export interface ServiceMapProps extends Record<string, unknown> {
  initial: ServiceMapData | null;
  initialError: string | null;
  filters: ServiceMapFilters;
  /** When `initial` was loaded, Unix milliseconds. */
  loadedAt: number;
  /** When `initial`'s map is empty: the newest data's minute, null when Argus holds none. */
  latest?: string | null;
  /** Milliseconds between refreshes; 30 s by default. */
  refreshMs?: number;
}

const DEFAULTS: ServiceMapFilters = { service: "", range: DEFAULT_RANGE, start: "", end: "" };

/** A service's traces (or failed traces) and logs, over the map's window. */
const tracesOf = (service: string, window: WindowFilter, status?: string) =>
  apiUrl("/traces", { service, status, ...windowParams(window) });
const logsOf = (service: string, window: WindowFilter) =>
  apiUrl("/logs", { service, ...windowParams(window) });

async function loadServiceMap(filters: ServiceMapFilters, signal: AbortSignal) {
  const [map, services] = await Promise.all([
    getJson<ServiceMapBody>("/api/metrics/service-map", {
      service: filters.service,
      ...windowParams(filters),
    }, { signal }),
    getJson<{ services: string[] }>("/api/metadata/services", windowParams(filters), {
      signal,
    }),
  ]);
  return { map, services: services.services };
}

/** Where each service is drawn, in pixels within the chart's div. */
function nodePositions(
  chart: EChartsType,
  layout: MapLayout,
): Record<string, [number, number]> {
  const positions: Record<string, [number, number]> = {};
  for (const [id, { x, y }] of layout.positions) {
    const [px, py] = chart.convertToPixel({ seriesIndex: 0 }, [x, y]) as number[];
    positions[id] = [Math.round(px!), Math.round(py!)];
  }
  return positions;
}

function Graph({ map, window }: { map: ServiceMapBody; window: WindowFilter }) {
  const layout = useMemo(() => mapLayout(map.nodes, map.edges), [map]);
  const option = useMemo(() => serviceMapOption(map, layout), [map, layout]);
  const { ref, status } = useECharts(option, {
    on: {
      click(params: { dataType?: string; data?: { id?: string }; event?: { event?: MouseEvent } }) {
        if (params.dataType !== "node" || !params.data?.id) return;
        const url = tracesOf(params.data.id, window);
        const event = params.event?.event;
        if (event && (event.ctrlKey || event.metaKey)) open(url, "_blank", "noopener");
        else location.assign(url);
      },
    },
    onDrawn(chart) {
      chart.getDom().dataset.nodePositions = JSON.stringify(nodePositions(chart, layout));
    },
  });
  return (
    // Narrow screens scroll the graph sideways rather than pile the services on each other.
    <div style={{ overflowX: "auto" }}>
      <ChartBox
        chart="service-map"
        chartRef={ref}
        status={status}
        noun="graph"
        height={graphHeight(layout)}
        minWidth={graphMinWidth(layout)}
        data={{
          "data-nodes": String(map.nodes.length),
          "data-edges": String(map.edges.length),
          // Each call's line colour as handed to ECharts (by its error rate).
          "data-edge-colors": JSON.stringify(
            Object.fromEntries(
              option.series[0]!.links.map((l) => [`${l.source}→${l.target}`, l.lineStyle.color]),
            ),
          ),
        }}
        label={`Service map: ${map.nodes.length} services and ${map.edges.length} calls between them; the tables below list them`}
      />
    </div>
  );
}

/** What the colours and sizes mean. */
function Legend() {
  const gradient = ERROR_RATE_STOPS.map((s) => `${s.color} ${(s.rate / 0.2) * 100}%`).join(", ");
  return (
    <Group gap="lg" px="xs" pt="xs" wrap="wrap" data-legend>
      <Group gap={8} wrap="nowrap">
        <Text size="xs" c="dimmed">Error rate</Text>
        <Text size="xs">0%</Text>
        <div
          aria-hidden="true"
          style={{
            width: 96,
            height: 8,
            borderRadius: 4,
            background: `linear-gradient(90deg, ${gradient})`,
          }}
        />
        <Text size="xs">≥ 20%</Text>
      </Group>
      <Text size="xs" c="dimmed">Node size: requests</Text>
      <Group gap="sm" wrap="wrap" data-edge-legend>
        <Text size="xs" c="dimmed">Calls</Text>
        {EDGE_ERROR_LEVELS.map((l) => (
          <Group key={l.level} gap={6} wrap="nowrap" data-edge-level={l.level}>
            <div aria-hidden="true" style={{ width: 22, height: 3, background: l.color }} />
            <Text size="xs" c="dimmed">{l.label}</Text>
          </Group>
        ))}
      </Group>
      <Text size="xs" c="dimmed">Click a service to open its traces · drag to move</Text>
    </Group>
  );
}

/** An error rate with its colour on the map. */
function Rate({ rate }: { rate: number }) {
  return (
    <Group gap={6} wrap="nowrap">
      <span
        aria-hidden="true"
        style={{
          display: "inline-block",
          width: 9,
          height: 9,
          borderRadius: 5,
          background: errorRateColor(rate),
        }}
      />
      <Text span size="sm">{fractionPercent(rate)}</Text>
    </Group>
  );
}

/**
 * Names wrap only when one is longer than the cell (never at their hyphens); figures never wrap.
 * A call wraps between its two names (inline blocks), not inside one.
 */
const NAME_CELL = { whiteSpace: "normal", overflowWrap: "anywhere" } as const;
const NAME = { display: "inline-block", whiteSpace: "nowrap" } as const;

function ServicesTable({ nodes, window }: { nodes: MapNode[]; window: WindowFilter }) {
  return (
    <Table.ScrollContainer minWidth={560} type="native">
      <Table
        verticalSpacing={6}
        horizontalSpacing="xs"
        highlightOnHover
        styles={{ td: { whiteSpace: "nowrap" }, th: { whiteSpace: "nowrap" } }}
        aria-label="Services in the window"
        data-services-table
      >
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Service</Table.Th>
            <Table.Th ta="right">Requests</Table.Th>
            <Table.Th ta="right">Errors</Table.Th>
            <Table.Th>Error rate</Table.Th>
            <Table.Th ta="right">Avg</Table.Th>
            <Table.Th ta="right">p99</Table.Th>
            <Table.Th>Open</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {nodes.map((n) => (
            <Table.Tr key={n.id} data-service={n.id}>
              <Table.Td fw={500}>{n.name}</Table.Td>
              <Table.Td ta="right">{formatCount(n.requests)}</Table.Td>
              <Table.Td ta="right" c={n.errors > 0 ? "red" : undefined}>
                {formatCount(n.errors)}
              </Table.Td>
              <Table.Td>
                <Rate rate={n.error_rate} />
              </Table.Td>
              <Table.Td ta="right">
                {n.requests > 0 ? formatDuration(n.avg_latency_ms) : "–"}
              </Table.Td>
              <Table.Td ta="right">
                {n.requests > 0 ? formatDuration(n.p99_latency_ms) : "–"}
              </Table.Td>
              <Table.Td>
                <Anchor href={tracesOf(n.id, window)} size="sm" aria-label={`Traces of ${n.name}`}>
                  Traces
                </Anchor>
                <Text span size="sm" c="dimmed" mx={6}>·</Text>
                <Anchor href={logsOf(n.id, window)} size="sm" aria-label={`Logs of ${n.name}`}>
                  Logs
                </Anchor>
                <Text span size="sm" c="dimmed" mx={6}>·</Text>
                <Anchor
                  href={serviceHref(n.id, windowParams(window))}
                  size="sm"
                  aria-label={`Operations of ${n.name}`}
                  data-service-operations={n.id}
                >
                  Operations
                </Anchor>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function CallsTable({ edges, window }: { edges: MapEdge[]; window: WindowFilter }) {
  if (edges.length === 0) {
    return <Text size="sm" c="dimmed" p="xs">No calls between services in this window</Text>;
  }
  return (
    <Table.ScrollContainer minWidth={440} type="native">
      <Table
        verticalSpacing={6}
        horizontalSpacing="xs"
        highlightOnHover
        styles={{ td: { whiteSpace: "nowrap" }, th: { whiteSpace: "nowrap" } }}
        aria-label="Calls between services, caller to callee"
        data-edges-table
      >
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Call</Table.Th>
            <Table.Th ta="right">Calls</Table.Th>
            <Table.Th ta="right">Errors</Table.Th>
            <Table.Th>Error rate</Table.Th>
            <Table.Th ta="right">Avg</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {edges.map((e) => (
            <Table.Tr key={`${e.source}→${e.target}`} data-edge={`${e.source}→${e.target}`}>
              <Table.Td style={NAME_CELL}>
                <Anchor href={tracesOf(e.source, window)} size="sm" style={NAME}>{e.source}</Anchor>
                <Text span size="sm" c="dimmed" mx={4} style={NAME}>→</Text>
                <Anchor href={tracesOf(e.target, window)} size="sm" style={NAME}>{e.target}</Anchor>
              </Table.Td>
              <Table.Td ta="right">{formatCount(e.calls)}</Table.Td>
              <Table.Td ta="right" c={e.errors > 0 ? "red" : undefined}>
                {e.errors > 0
                  ? (
                    <Anchor href={tracesOf(e.target, window, "error")} size="sm" c="red">
                      {formatCount(e.errors)}
                    </Anchor>
                  )
                  : "0"}
              </Table.Td>
              <Table.Td>
                <Rate rate={e.error_rate} />
              </Table.Td>
              <Table.Td ta="right">{formatDuration(e.avg_latency_ms)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

export default function ServiceMap(
  { initial, initialError, filters: initialFilters, loadedAt, latest, refreshMs = 30_000 }:
    ServiceMapProps,
) {
  const [filters, setFilters] = useUrlState(DEFAULTS, initialFilters);
  const refresh = useAutoRefresh<ServiceMapData>({
    load: (signal) => loadServiceMap(filters, signal),
    key: [filters.service, filters.range, filters.start, filters.end].join("\u0000"),
    intervalMs: refreshMs,
    initial,
    initialError,
    initialAt: loadedAt,
    keepEqual: true,
  });
  const { data, loading } = refresh;
  const map = data?.map;
  const newest = useLatestData(map !== undefined && map.nodes.length === 0, latest);
  return (
    <IslandProvider>
      <Stack gap="md" data-service-map data-loading={loading ? "true" : "false"}>
        <RefreshedHeader
          title="Service Map"
          subtitle={
            <>
              {filters.service ? `${filters.service} and its neighbours` : "All services"} ·{" "}
              {windowWords(filters)}
              {map
                ? ` · ${map.nodes.length} service${
                  map.nodes.length === 1 ? "" : "s"
                }, ${map.edges.length} call path${map.edges.length === 1 ? "" : "s"}`
                : ""}
            </>
          }
          services={data?.services ?? []}
          filters={filters}
          onFilters={(patch: Partial<ServiceMapFilters>) => setFilters(patch)}
          refresh={refresh}
          intervalMs={refreshMs}
          errorTitle="Cannot load the service map"
        />
        {map === undefined
          ? (
            <Center h={200}>
              {loading ? <Loader /> : <Text c="dimmed">No data loaded</Text>}
            </Center>
          )
          : map.nodes.length === 0
          ? (
            <EmptyState
              what="services"
              window={filters}
              latest={newest}
              onRange={(range: string) => setFilters({ range, start: "", end: "" })}
            />
          )
          : (
            <Stack gap="md" style={{ opacity: loading ? 0.6 : 1, transition: "opacity 150ms" }}>
              <Card withBorder padding="xs">
                <Graph map={map} window={filters} />
                <Legend />
              </Card>
              <Grid gutter="md">
                <Grid.Col span={{ base: 12, lg: 7 }}>
                  <Card withBorder padding="sm" h="100%">
                    <Title order={4} fz="md" mb="xs">Services</Title>
                    <ServicesTable nodes={map.nodes} window={filters} />
                  </Card>
                </Grid.Col>
                <Grid.Col span={{ base: 12, lg: 5 }}>
                  <Card withBorder padding="sm" h="100%">
                    <Title order={4} fz="md" mb="xs">Calls</Title>
                    <CallsTable edges={map.edges} window={filters} />
                  </Card>
                </Grid.Col>
              </Grid>
            </Stack>
          )}
      </Stack>
    </IslandProvider>
  );
}
