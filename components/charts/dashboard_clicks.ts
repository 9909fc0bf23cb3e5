/**
 * What is under the pointer on the Dashboard's charts, as the Traces page it opens
 * (utils/chart_links.ts builds the URLs): for `useECharts`'s `linkAt` hook. The traffic chart
 * links each step, anywhere in its column (the requests grid: every trace of the step; the errors
 * grid: the failed ones); the latency heatmap each cell that counts requests.
 *
 * Browser tests click where the charts draw: `stepPositions` and `cellPositions` say where, in
 * pixels within the chart's div, as the service map's node positions do.
 *
 * @module
 */
import type { EChartsType } from "echarts/core";
import { heatmapCellLink, stepAt, trafficStepLink } from "../../utils/chart_links.ts";
import {
  type HeatmapBody,
  type TrafficBody,
  trafficSeries,
  trimHeatmap,
} from "../../utils/dashboard_data.ts";

/** The traffic chart's grids, as `trafficOption` lays them out: requests above, errors below. */
const TRAFFIC_GRIDS = [{ gridIndex: 0, errors: false }, { gridIndex: 1, errors: true }] as const;

/** The traffic step's start times (Unix ms, ascending) and length, as the chart draws them. */
export interface TrafficSteps {
  starts: number[];
  /** Each step's requests, all services together. */
  requests: number[];
  stepSeconds: number;
}

export function trafficSteps(traffic: TrafficBody): TrafficSteps {
  const series = trafficSeries(traffic);
  const requests = series.times.map((_, i) =>
    series.services.reduce((sum, s) => sum + series.requests[s]![i]!, 0)
  );
  return { starts: series.times, requests, stepSeconds: traffic.step_seconds };
}

/** The traces of the traffic step under `pixel` of `service` ("" for all), if it is on a grid. */
export function trafficLinkAt(
  chart: EChartsType,
  pixel: [number, number],
  steps: TrafficSteps,
  service: string,
): string | undefined {
  for (const { gridIndex, errors } of TRAFFIC_GRIDS) {
    if (!chart.containPixel({ gridIndex }, pixel)) continue;
    const [atMs] = chart.convertFromPixel({ gridIndex }, pixel) as number[];
    const index = stepAt(steps.starts, steps.stepSeconds * 1000, atMs!);
    if (index === undefined) return undefined;
    return trafficStepLink(steps.starts[index]!, steps.stepSeconds, { service, errors });
  }
  return undefined;
}

/**
 * Where to click each traffic step, by its start (RFC 3339): in the requests grid halfway up the
 * step's stack (just above the axis when it has none), in the errors grid just above the axis.
 */
export function stepPositions(
  chart: EChartsType,
  steps: TrafficSteps,
): Record<string, { requests: [number, number]; errors: [number, number] }> {
  const positions: Record<string, { requests: [number, number]; errors: [number, number] }> = {};
  const pixel = (gridIndex: number, at: number, value: number) =>
    chart.convertToPixel({ gridIndex }, [at, value]) as [number, number];
  steps.starts.forEach((at, i) => {
    const [x, zero] = pixel(0, at, 0);
    const [, middle] = pixel(0, at, steps.requests[i]! / 2);
    const [, errorsZero] = pixel(1, at, 0);
    positions[new Date(at).toISOString()] = {
      requests: [Math.round(x), Math.round(Math.min(middle, zero - 4))],
      errors: [Math.round(x), Math.round(errorsZero - 4)],
    };
  });
  return positions;
}

/** The heatmap as drawn: its kept buckets and which of its cells count requests. */
export interface HeatmapCells {
  /** The kept buckets, bottom up: their index in the API's `latency_buckets_ms`. */
  buckets: number[];
  /** `time index:row` of each cell drawn, `row` indexing `buckets`. */
  drawn: Set<string>;
}

export function heatmapCells(heatmap: HeatmapBody): HeatmapCells {
  const trimmed = trimHeatmap(heatmap);
  return {
    buckets: trimmed.buckets,
    drawn: new Set(trimmed.cells.map(([time, row]) => `${time}:${row}`)),
  };
}

/** The traces of the heatmap cell under `pixel` of `service` ("" for all), if it counts any. */
export function heatmapLinkAt(
  chart: EChartsType,
  pixel: [number, number],
  heatmap: HeatmapBody,
  cells: HeatmapCells,
  service: string,
): string | undefined {
  if (!chart.containPixel({ seriesIndex: 0 }, pixel)) return undefined;
  // Category axes: a band's centre is its index, its edges ±0.5.
  const [time, row] = (chart.convertFromPixel({ seriesIndex: 0 }, pixel) as number[])
    .map(Math.round);
  if (!cells.drawn.has(`${time}:${row}`)) return undefined;
  return heatmapCellLink(heatmap, time!, cells.buckets[row!]!, service);
}

/**
 * Each drawn heatmap cell's centre, by `step start|bucket`: the step's start as the API sends it
 * (RFC 3339), the bucket's index in the API's `latency_buckets_ms`.
 */
export function cellPositions(
  chart: EChartsType,
  heatmap: HeatmapBody,
  cells: HeatmapCells,
): Record<string, [number, number]> {
  const positions: Record<string, [number, number]> = {};
  for (const cell of cells.drawn) {
    const [time, row] = cell.split(":").map(Number) as [number, number];
    const [x, y] = chart.convertToPixel({ seriesIndex: 0 }, [time, row]) as number[];
    positions[`${heatmap.times[time]}|${cells.buckets[row]}`] = [Math.round(x!), Math.round(y!)];
  }
  return positions;
}
