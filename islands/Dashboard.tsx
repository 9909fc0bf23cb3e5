/**
 * The Dashboard: stat cards, requests and errors over time, the latency heatmap, where errors
 * start and the failing requests per service of a time window, for all services or one
 * (components/dashboard/: the charts, the failure panels). Filters live in the URL; the data
 * refreshes itself every 15 s (pausable). The server renders the first data (routes/pages/
 * dashboard.tsx); the charts are drawn once ECharts has loaded.
 *
 * @module
 */
import { Anchor, Center, Grid, Loader, SimpleGrid, Stack, Text } from "@mantine/core";
import { Figure } from "../components/page/Figure.tsx";
import { IslandProvider } from "../components/IslandProvider.tsx";
import { EmptyState } from "../components/EmptyState.tsx";
import { useLatestData } from "../components/hooks/use_latest_data.ts";
import { type UrlState, useUrlState } from "../components/hooks/url_state.ts";
import { useAutoRefresh } from "../components/hooks/auto_refresh.ts";
import { RefreshedHeader } from "../components/page/RefreshedHeader.tsx";
import { LatencyHeatmap, TrafficChart } from "../components/dashboard/DashboardCharts.tsx";
import { ErrorOrigins, Panel, TopFailing } from "../components/dashboard/FailurePanels.tsx";
import { apiUrl, getJson } from "../utils/api.ts";
import { DEFAULT_RANGE, windowParams, windowWords } from "../utils/time_window.ts";
import {
  type DashboardData,
  type DashboardFigures,
  type HeatmapBody,
  isEmptyWindow,
  statCards,
  type TrafficBody,
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
              {filters.service && (
                <>
                  {" · "}
                  <Anchor
                    href={apiUrl("/instruments", {
                      service: filters.service,
                      ...windowParams(filters),
                    })}
                    inherit
                    data-service-metrics={filters.service}
                  >
                    its metrics
                  </Anchor>
                </>
              )}
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
