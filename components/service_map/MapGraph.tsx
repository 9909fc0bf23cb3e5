/**
 * The Service Map's graph (islands/ServiceMap.tsx): services as nodes (sized by requests, coloured
 * by error rate) and the calls between them as arrows coloured by the share that failed, in a
 * force-directed ECharts graph; clicking a service opens its traces. Its legend says what the
 * colours and sizes mean. The graph's div carries `data-nodes`, `data-edges` and, once drawn,
 * `data-node-positions` (`{name: [x, y]}` in pixels within the div) for browser tests.
 *
 * @module
 */
import { Group, Text } from "@mantine/core";
import type { EChartsType } from "echarts/core";
import { useMemo } from "preact/hooks";
import { ChartBox } from "../charts/ChartBox.tsx";
import { useECharts } from "../charts/charts.ts";
import type { WindowFilter } from "../../utils/time_window.ts";
import {
  EDGE_ERROR_LEVELS,
  ERROR_RATE_STOPS,
  graphHeight,
  graphMinWidth,
  type MapLayout,
  mapLayout,
  type ServiceMapBody,
  serviceMapOption,
} from "../../utils/service_map_graph.ts";
import { tracesOf } from "./MapTables.tsx";

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

export function Graph({ map, window }: { map: ServiceMapBody; window: WindowFilter }) {
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
export function Legend() {
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
