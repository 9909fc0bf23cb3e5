/**
 * The Dashboard's two charts (islands/Dashboard.tsx): requests and errors over time, and the
 * latency heatmap; a click on a step or a cell opens the Traces page listing its traces
 * (components/charts/dashboard_clicks.ts, utils/chart_links.ts).
 *
 * @module
 */
import { useMemo } from "preact/hooks";
import { ChartBox } from "../charts/ChartBox.tsx";
import { useECharts } from "../charts/charts.ts";
import {
  cellPositions,
  heatmapCells,
  heatmapLinkAt,
  stepPositions,
  trafficLinkAt,
  trafficSteps,
} from "../charts/dashboard_clicks.ts";
import { heatmapClickHint, trafficClickHint, withTooltipFooter } from "../../utils/chart_links.ts";
import { serviceColor } from "../../utils/chart_style.ts";
import {
  type HeatmapBody,
  heatmapOption,
  type TrafficBody,
  trafficOption,
} from "../../utils/dashboard_data.ts";

/** Requests and errors over time; a click on a step lists its traces (its failed ones below). */
export function TrafficChart({ traffic, service }: { traffic: TrafficBody; service: string }) {
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
export function LatencyHeatmap({ heatmap, service }: { heatmap: HeatmapBody; service: string }) {
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
