/**
 * The Dashboard: stat cards, requests and errors over time, the latency heatmap and the top
 * failing services of a time window, for all services or one. Filters live in the URL; the data
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
import { type UrlState, useUrlState } from "../components/hooks/url_state.ts";
import { DEFAULT_RANGE, rangeParams, rangeWords } from "../utils/time_window.ts";
import { useAutoRefresh } from "../components/hooks/auto_refresh.ts";
import { RefreshedHeader } from "../components/page/RefreshedHeader.tsx";
import { useECharts } from "../components/charts/charts.ts";
import { serviceColor } from "../utils/chart_style.ts";
import {
  type DashboardData,
  type DashboardFigures,
  fractionPercent,
  type HeatmapBody,
  heatmapOption,
  isEmptyWindow,
  statCards,
  type TrafficBody,
  trafficOption,
} from "../utils/dashboard_data.ts";

/** `service` ("" for all services) and `range`, as in the URL. */
export type DashboardFilters = UrlState<"service" | "range">;

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

const DEFAULTS: DashboardFilters = { service: "", range: DEFAULT_RANGE };

async function loadDashboard(filters: DashboardFilters, signal: AbortSignal) {
  const params = { service: filters.service, range: filters.range };
  const [figures, traffic, heatmap, services] = await Promise.all([
    getJson<DashboardFigures>("/api/metrics/dashboard", params, { signal }),
    getJson<TrafficBody>("/api/metrics/traffic", params, { signal }),
    getJson<HeatmapBody>("/api/metrics/latency_heatmap", params, { signal }),
    getJson<{ services: string[] }>("/api/metadata/services", { range: filters.range }, {
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

function TrafficChart({ traffic }: { traffic: TrafficBody }) {
  const option = useMemo(() => trafficOption(traffic), [traffic]);
  const { ref, status } = useECharts(option);
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
      label="Requests and errors per service over time"
      note={traffic.points.length === 0 ? "No requests in this window" : undefined}
    />
  );
}

function LatencyHeatmap({ heatmap }: { heatmap: HeatmapBody }) {
  const option = useMemo(() => heatmapOption(heatmap), [heatmap]);
  const { ref, status } = useECharts(option);
  return (
    <ChartBox
      chart="latency-heatmap"
      chartRef={ref}
      status={status}
      height={240}
      data={{ "data-points": String(heatmap.cells.length) }}
      label="Requests per latency bucket over time"
      note={heatmap.cells.length === 0 ? "No requests in this window" : undefined}
    />
  );
}

function TopFailing(
  { services, range }: { services: DashboardFigures["top_failing_services"]; range: string },
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
              <Anchor
                href={apiUrl("/traces", {
                  service: s.service_name,
                  status: "error",
                  ...rangeParams(range),
                })}
                size="sm"
                fw={500}
                title={`Failed traces of ${s.service_name}`}
              >
                {s.service_name}
              </Anchor>
            </Table.Td>
            <Table.Td ta="right" style={{ whiteSpace: "nowrap" }}>
              <Text span size="sm" c="red" fw={600}>{s.error_count}</Text>
              <Text span size="xs" c="dimmed">{` / ${s.total_count}`}</Text>
            </Table.Td>
            <Table.Td>
              <Group gap={6} wrap="nowrap">
                <Progress
                  value={Math.min(100, s.error_rate * 100)}
                  color="red"
                  size="sm"
                  w={48}
                  aria-hidden="true"
                />
                <Text size="sm">{fractionPercent(s.error_rate)}</Text>
              </Group>
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
    key: `${filters.service}\u0000${filters.range}`,
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
              {filters.service || "All services"} · last {rangeWords(filters.range)}
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
              range={filters.range}
              latest={newest}
              onRange={(range: string) => setFilters({ range })}
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
                    hint="requests and errors per service"
                    data-panel="traffic"
                  >
                    <TrafficChart traffic={data.traffic} />
                  </Panel>
                </Grid.Col>
                <Grid.Col span={{ base: 12, lg: 4 }}>
                  <Panel title="Top failing services" hint="most errors first" data-panel="top">
                    <TopFailing
                      services={data.figures.top_failing_services}
                      range={filters.range}
                    />
                  </Panel>
                </Grid.Col>
              </Grid>
              <Panel
                title="Latency"
                hint="requests per latency bucket, darker is more"
                data-panel="latency"
              >
                <LatencyHeatmap heatmap={data.heatmap} />
              </Panel>
            </Stack>
          )}
      </Stack>
    </IslandProvider>
  );
}
