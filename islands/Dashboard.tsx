/**
 * The Dashboard: stat cards, requests and errors over time, the latency heatmap, where errors
 * start and the failing requests per service of a time window, for all services or one. Filters live in the URL; the data
 * refreshes itself every 15 s (pausable). The server renders the first data (routes/pages/
 * dashboard.tsx); the charts are drawn once ECharts has loaded.
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
  Progress,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from "@mantine/core";
import { useMemo } from "preact/hooks";
import type { ComponentChildren } from "preact";
import { Figure } from "../components/page/Figure.tsx";
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
import {
  cellPositions,
  heatmapCells,
  heatmapLinkAt,
  stepPositions,
  trafficLinkAt,
  trafficSteps,
} from "../components/charts/dashboard_clicks.ts";
import { heatmapClickHint, trafficClickHint, withTooltipFooter } from "../utils/chart_links.ts";
import { serviceColor } from "../utils/chart_style.ts";
import { formatCount, fractionPercent } from "../utils/format.ts";
import {
  type DashboardData,
  type DashboardFigures,
  type HeatmapBody,
  heatmapOption,
  isEmptyWindow,
  statCards,
  type TrafficBody,
  trafficOption,
} from "../utils/dashboard_data.ts";

/** `service` ("" for all services) and the window (`range`, or `start` and `end`), as in the URL. */
export type DashboardFilters = UrlState<"service" | "range" | "start" | "end">;

export interface DashboardProps extends Record<string, unknown> {
  /** The server's data for `filters` (null when it could not load it). */
  initial: DashboardData | null;
  /** The server's error sentence when it could not. */
  initialError: string | null;
  filters: DashboardFilters;
  /** When `initial` was loaded, Unix milliseconds. */
  loadedAt: number;
  /** When `initial`'s window is empty: the newest data's minute, null when Argus holds none. */
  latest?: string | null;
  /** Milliseconds between refreshes; 15 s by default. */
  refreshMs?: number;
}

const DEFAULTS: DashboardFilters = { service: "", range: DEFAULT_RANGE, start: "", end: "" };

async function loadDashboard(filters: DashboardFilters, signal: AbortSignal) {
  const params = { service: filters.service, ...windowParams(filters) };
  const [figures, traffic, heatmap, services] = await Promise.all([
    getJson<DashboardFigures>("/api/metrics/dashboard", params, { signal }),
    getJson<TrafficBody>("/api/metrics/traffic", params, { signal }),
    getJson<HeatmapBody>("/api/metrics/latency_heatmap", params, { signal }),
    getJson<{ services: string[] }>("/api/metadata/services", windowParams(filters), {
      signal,
    }),
  ]);
  return { figures, traffic, heatmap, services: services.services };
}

function Panel(
  { title, hint, children, ...rest }: {
    title: string;
    hint?: string;
    children: ComponentChildren;
    [data: `data-${string}`]: string;
  },
) {
  return (
    <Card withBorder padding="md" h="100%" {...rest}>
      <Group justify="space-between" mb="xs" wrap="nowrap">
        <Title order={4} fz="md">{title}</Title>
        {hint && <Text size="xs" c="dimmed">{hint}</Text>}
      </Group>
      {children}
    </Card>
  );
}

/** Requests and errors over time; a click on a step lists its traces (its failed ones below). */
function TrafficChart({ traffic, service }: { traffic: TrafficBody; service: string }) {
  const steps = useMemo(() => trafficSteps(traffic), [traffic]);
  const option = useMemo(
    () =>
      withTooltipFooter(
        trafficOption(traffic),
        (items: { value: [number, number] }[]) =>
          items[0] ? trafficClickHint(items[0].value[0], traffic.step_seconds) : "",
      ),
    [traffic],
  );
  const { ref, status } = useECharts(option, {
    linkAt: (chart, pixel) => trafficLinkAt(chart, pixel, steps, service),
    onDrawn(chart) {
      chart.getDom().dataset.stepPositions = JSON.stringify(stepPositions(chart, steps));
    },
  });
  return (
    <ChartBox
      chart="traffic"
      chartRef={ref}
      status={status}
      height={260}
      data={{
        "data-points": String(traffic.points.length),
        // Each service's colour, as drawn (a service keeps it on every page).
        "data-series-colors": JSON.stringify(
          Object.fromEntries(
            traffic.points.map((p) => [p.service_name, serviceColor(p.service_name)]),
          ),
        ),
      }}
      label="Requests and errors per service over time; click a time to list its traces"
      note={traffic.points.length === 0 ? "No requests in this window" : undefined}
    />
  );
}

/** Requests per latency bucket over time; a click on a cell lists its traces. */
function LatencyHeatmap({ heatmap, service }: { heatmap: HeatmapBody; service: string }) {
  const cells = useMemo(() => heatmapCells(heatmap), [heatmap]);
  const option = useMemo(
    () =>
      withTooltipFooter(
        heatmapOption(heatmap),
        ({ value: [time, row] }: { value: [number, number, number] }) =>
          heatmapClickHint(heatmap, time, cells.buckets[row]!),
      ),
    [heatmap, cells],
  );
  const { ref, status } = useECharts(option, {
    linkAt: (chart, pixel) => heatmapLinkAt(chart, pixel, heatmap, cells, service),
    onDrawn(chart) {
      chart.getDom().dataset.cellPositions = JSON.stringify(cellPositions(chart, heatmap, cells));
    },
  });
  return (
    <ChartBox
      chart="latency-heatmap"
      chartRef={ref}
      status={status}
      height={240}
      data={{ "data-points": String(heatmap.cells.length) }}
      label="Requests per latency bucket over time; click a cell to list its traces"
      note={heatmap.cells.length === 0 ? "No requests in this window" : undefined}
    />
  );
}

/** A service's name, linking to its failed traces of the window. */
function FailedTracesLink({ service, window }: { service: string; window: WindowFilter }) {
  return (
    <Anchor
      href={apiUrl("/traces", { service, status: "error", ...windowParams(window) })}
      size="sm"
      fw={500}
      title={`Failed traces of ${service}`}
    >
      {service}
    </Anchor>
  );
}

/** A fraction as a short red bar and a percentage. */
function ShareBar({ fraction }: { fraction: number }) {
  return (
    <Group gap={6} wrap="nowrap">
      <Progress
        value={Math.min(100, fraction * 100)}
        color="red"
        size="sm"
        w={44}
        aria-hidden="true"
      />
      <Text size="sm">{fractionPercent(fraction)}</Text>
    </Group>
  );
}

/**
 * Where errors start: per service, the failed traces in which a failing span of it has no failing
 * child (the deepest failure), so a service that only passes errors on is not blamed for them.
 */
function ErrorOrigins(
  { origins, window }: { origins: DashboardFigures["error_origins"]; window: WindowFilter },
) {
  if (origins.services.length === 0) {
    return (
      <Center h={120} data-error-origins="none">
        <Stack gap={4} align="center">
          <Text fz={28} c="teal" aria-hidden="true">✓</Text>
          <Text size="sm" c="dimmed">No failed traces in this window</Text>
        </Stack>
      </Center>
    );
  }
  return (
    <Stack gap="xs">
      <Table verticalSpacing={8} horizontalSpacing="xs" data-error-origins>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Service</Table.Th>
            <Table.Th ta="right">Failed traces</Table.Th>
            <Table.Th w={110}>Share</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {origins.services.slice(0, 5).map((s) => {
            const share = origins.failed_traces > 0 ? s.traces / origins.failed_traces : 0;
            return (
              <Table.Tr key={s.service_name} data-service={s.service_name}>
                <Table.Td maw={160} style={{ overflowWrap: "anywhere" }}>
                  <FailedTracesLink service={s.service_name} window={window} />
                </Table.Td>
                <Table.Td ta="right" data-traces={s.traces}>
                  <Text span size="sm" c="red" fw={600}>{formatCount(s.traces)}</Text>
                </Table.Td>
                <Table.Td>
                  <ShareBar fraction={share} />
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
      <Text size="xs" c="dimmed" data-error-origins-note>
        The deepest failing service of each failed trace: its failing span has no failing child.
        {origins.limited
          ? ` From the newest ${formatCount(origins.examined_spans)} failing spans of the window.`
          : ""}
      </Text>
    </Stack>
  );
}

function TopFailing(
  { services, window }: {
    services: DashboardFigures["top_failing_services"];
    window: WindowFilter;
  },
) {
  if (services.length === 0) {
    return (
      <Center h={200} data-top-failing="none">
        <Stack gap={4} align="center">
          <Text fz={28} c="teal" aria-hidden="true">✓</Text>
          <Text size="sm" c="dimmed">No failed requests in this window</Text>
        </Stack>
      </Center>
    );
  }
  return (
    <Table verticalSpacing={8} horizontalSpacing="xs" data-top-failing>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Service</Table.Th>
          <Table.Th ta="right">Errors</Table.Th>
          <Table.Th w={120}>Error rate</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {services.map((s) => (
          <Table.Tr key={s.service_name} data-service={s.service_name}>
            <Table.Td maw={160} style={{ overflowWrap: "anywhere" }}>
              <FailedTracesLink service={s.service_name} window={window} />
              <Anchor
                href={serviceHref(s.service_name, windowParams(window))}
                size="xs"
                ml={6}
                aria-label={`Operations of ${s.service_name}`}
                data-service-operations={s.service_name}
              >
                operations
              </Anchor>
            </Table.Td>
            <Table.Td ta="right" style={{ whiteSpace: "nowrap" }}>
              <Text span size="sm" c="red" fw={600}>{s.error_count}</Text>
              <Text span size="xs" c="dimmed">{` / ${s.total_count}`}</Text>
            </Table.Td>
            <Table.Td>
              <ShareBar fraction={s.error_rate} />
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export default function Dashboard(
  { initial, initialError, filters: initialFilters, loadedAt, latest, refreshMs = 15_000 }:
    DashboardProps,
) {
  const [filters, setFilters] = useUrlState(DEFAULTS, initialFilters);
  const refresh = useAutoRefresh<DashboardData>({
    load: (signal) => loadDashboard(filters, signal),
    key: [filters.service, filters.range, filters.start, filters.end].join("\u0000"),
    intervalMs: refreshMs,
    initial,
    initialError,
    initialAt: loadedAt,
  });
  const { data, loading } = refresh;
  const newest = useLatestData(data !== null && isEmptyWindow(data), latest);
  const services = data?.services ?? [];
  const figures = data?.figures;
  return (
    <IslandProvider>
      <Stack gap="md" data-dashboard data-loading={loading ? "true" : "false"}>
        <RefreshedHeader
          title="Dashboard"
          subtitle={
            <>
              {filters.service || "All services"} · {windowWords(filters)}
              {figures && !filters.service
                ? ` · ${figures.active_services} active service${
                  figures.active_services === 1 ? "" : "s"
                }`
                : ""}
            </>
          }
          services={services}
          filters={filters}
          onFilters={(patch: Partial<DashboardFilters>) => setFilters(patch)}
          refresh={refresh}
          intervalMs={refreshMs}
          errorTitle="Cannot load the dashboard"
        />
        {data === null
          ? (
            <Center h={200}>
              {loading ? <Loader /> : <Text c="dimmed">No data loaded</Text>}
            </Center>
          )
          : isEmptyWindow(data)
          ? (
            <EmptyState
              window={filters}
              latest={newest}
              onRange={(range: string) => setFilters({ range, start: "", end: "" })}
            />
          )
          : (
            <Stack
              gap="md"
              style={{ opacity: loading ? 0.6 : 1, transition: "opacity 150ms" }}
            >
              <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }} spacing="md">
                {statCards(data.figures).map((card) => (
                  <Figure
                    key={card.key}
                    framed
                    size="hero"
                    figure={card.key}
                    raw={card.raw}
                    label={card.label}
                    value={card.value}
                    hint={card.hint}
                    color={card.tone}
                  />
                ))}
              </SimpleGrid>
              <Grid gutter="md">
                <Grid.Col span={{ base: 12, lg: 8 }}>
                  <Panel
                    title="Traffic"
                    hint={data.traffic.partial_time === null
                      ? "requests and errors per service"
                      : "requests and errors per service · the step in progress is not drawn"}
                    data-panel="traffic"
                  >
                    <TrafficChart traffic={data.traffic} service={filters.service} />
                  </Panel>
                </Grid.Col>
                <Grid.Col span={{ base: 12, lg: 4 }}>
                  <Stack gap="md">
                    <Panel
                      title="Where errors start"
                      hint="failed traces by origin"
                      data-panel="origins"
                    >
                      <ErrorOrigins
                        origins={data.figures.error_origins}
                        window={filters}
                      />
                    </Panel>
                    <Panel
                      title="Failing requests by service"
                      hint="errors passed on included"
                      data-panel="top"
                    >
                      <TopFailing
                        services={data.figures.top_failing_services}
                        window={filters}
                      />
                    </Panel>
                  </Stack>
                </Grid.Col>
              </Grid>
              <Panel
                title="Latency"
                hint="requests per latency bucket (scale at the right) · click a cell for its traces"
                data-panel="latency"
              >
                <LatencyHeatmap heatmap={data.heatmap} service={filters.service} />
              </Panel>
            </Stack>
          )}
      </Stack>
    </IslandProvider>
  );
}
