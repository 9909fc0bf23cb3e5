/**
 * The Service Map: services as nodes (sized by requests, coloured by error rate) and the calls
 * between them as arrows (coloured by the share that failed), in a force-directed ECharts graph;
 * clicking a service opens its traces (components/service_map/MapGraph.tsx). Below, the same as
 * tables with links, for the keyboard and screen readers (MapTables.tsx). Range and service in
 * the URL; refreshed every 30 s (pausable), redrawn only when the figures change so the layout
 * stays put.
 *
 * @module
 */
import { Card, Center, Grid, Loader, Stack, Text, Title } from "@mantine/core";
import { IslandProvider } from "../components/IslandProvider.tsx";
import { EmptyState } from "../components/EmptyState.tsx";
import { useLatestData } from "../components/hooks/use_latest_data.ts";
import { getJson } from "../utils/api.ts";
import { type UrlState, useUrlState } from "../components/hooks/url_state.ts";
import { DEFAULT_RANGE, windowParams, windowWords } from "../utils/time_window.ts";
import { useAutoRefresh } from "../components/hooks/auto_refresh.ts";
import { RefreshedHeader } from "../components/page/RefreshedHeader.tsx";
import { Graph, Legend } from "../components/service_map/MapGraph.tsx";
import { CallsTable, ServicesTable } from "../components/service_map/MapTables.tsx";
import type { ServiceMapBody } from "../utils/service_map_graph.ts";

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
