/**
 * The Dashboard's data turned into what it shows: stat cards with units, the traffic chart's
 * series, the latency heatmap with its empty bucket rows trimmed. Pure (no DOM, no ECharts), so
 * tested in utils/dashboard_data_test.ts; the ECharts options are plain objects built here.
 *
 * Units as the API sends them (docs/api.md): `error_rate` a percentage, `p99_latency`
 * MICROseconds, `avg_latency_ms` milliseconds, heatmap bounds milliseconds.
 *
 * @module
 */
import type { WireDashboardFigures, WireLatencyHeatmap, WireTraffic } from "./wire.ts";
import { formatClock, formatCount, formatDuration, formatPercent } from "./format.ts";
import { escapeHtml, serviceColor } from "./chart_style.ts";

export type DashboardFigures = WireDashboardFigures;
export type TrafficBody = WireTraffic;
export type HeatmapBody = WireLatencyHeatmap;

/** Everything the Dashboard shows for one filter. */
export interface DashboardData {
  figures: DashboardFigures;
  traffic: TrafficBody;
  heatmap: HeatmapBody;
  /** Services with data in the window, for the filter bar. */
  services: string[];
}

/** True when the window holds nothing at all: the page shows how to send data instead. */
export function isEmptyWindow(data: DashboardData): boolean {
  const f = data.figures;
  return f.active_services === 0 && f.total_traces === 0 && f.total_logs === 0 &&
    data.traffic.points.every((p) => p.requests === 0);
}

export interface StatCard {
  /** Stable key, also the card's `data-figure`. */
  key: string;
  label: string;
  /** As shown, with its unit. */
  value: string;
  /** The API's number, unformatted (for the title and tests). */
  raw: number;
  hint: string;
  /** Colour of the value: red for errors when there are some. */
  tone?: "red" | "orange";
}

/**
 * The six stat cards, each saying what it counts. A failure is counted two ways, side by side:
 * failed requests (traces whose root span failed: one per failed request, wherever it failed) and
 * error spans (a failure that crosses three services is three of them). Latencies of a window
 * without requests are "–", not "0 ms".
 */
export function statCards(f: DashboardFigures): StatCard[] {
  const anyRequests = f.avg_latency_ms > 0 || f.p99_latency > 0;
  const failedPercent = f.total_traces > 0 ? (f.failed_requests / f.total_traces) * 100 : 0;
  return [
    {
      key: "traces",
      label: "Traces",
      value: formatCount(f.total_traces),
      raw: f.total_traces,
      hint: "requests received (root spans)",
    },
    {
      key: "failed-requests",
      label: "Failed requests",
      value: formatCount(f.failed_requests),
      raw: f.failed_requests,
      hint: `${formatPercent(failedPercent)} of traces: the root span failed`,
      tone: failedPercent >= 5 ? "red" : failedPercent > 0 ? "orange" : undefined,
    },
    {
      key: "error-spans",
      label: "Error spans",
      value: formatCount(f.error_spans),
      raw: f.error_spans,
      hint: "failed spans, all services",
      tone: f.error_spans > 0 ? "red" : undefined,
    },
    {
      key: "logs",
      label: "Logs",
      value: formatCount(f.total_logs),
      raw: f.total_logs,
      hint: "log records",
    },
    {
      key: "avg-latency",
      label: "Avg latency",
      value: anyRequests ? formatDuration(f.avg_latency_ms) : "–",
      raw: f.avg_latency_ms,
      hint: "per request",
    },
    {
      key: "p99-latency",
      label: "p99 latency",
      // p99_latency is in microseconds.
      value: anyRequests ? formatDuration(f.p99_latency / 1000) : "–",
      raw: f.p99_latency,
      // Read from a histogram whose buckets are √2 apart: the value is within ±19% of the truth.
      hint: "99th percentile, ±19% (√2-wide buckets)",
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Traffic

export interface TrafficSeries {
  /** Step starts, Unix milliseconds, ascending. */
  times: number[];
  services: string[];
  /** Per service, one value per `times` entry. */
  requests: Record<string, number[]>;
  errors: Record<string, number[]>;
}

/**
 * The traffic points regrouped per service, one value per step (missing ones are 0). The step in
 * progress (`partial_time`) is left out: its counts are incomplete, and drawn they look like a
 * drop in traffic.
 */
export function trafficSeries(body: TrafficBody): TrafficSeries {
  const partial = body.partial_time === null ? NaN : Date.parse(body.partial_time);
  const points = body.points.filter((p) => Date.parse(p.time) !== partial);
  const times = [...new Set(points.map((p) => Date.parse(p.time)))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const services = [...new Set(body.points.map((p) => p.service_name))].sort();
  const requests: Record<string, number[]> = {};
  const errors: Record<string, number[]> = {};
  for (const s of services) {
    requests[s] = new Array<number>(times.length).fill(0);
    errors[s] = new Array<number>(times.length).fill(0);
  }
  for (const p of points) {
    const i = index.get(Date.parse(p.time))!;
    requests[p.service_name]![i] = p.requests;
    errors[p.service_name]![i] = p.errors;
  }
  return { times, services, requests, errors };
}

/** A step as words: `1 min`, `10 min`, `1 h`. */
export function stepLabel(stepSeconds: number): string {
  if (stepSeconds % 3600 === 0) return `${stepSeconds / 3600} h`;
  return `${Math.round(stepSeconds / 60)} min`;
}

/**
 * The traffic chart: requests per service as stacked areas (top grid) and errors per service as
 * stacked bars (bottom grid), on one time axis. Both series of a service share its name, so one legend
 * entry toggles both.
 */
export function trafficOption(body: TrafficBody) {
  const s = trafficSeries(body);
  const step = stepLabel(body.step_seconds);
  const stepMs = body.step_seconds * 1000;
  const pairs = (values: number[]) => values.map((v, i) => [s.times[i]!, v]);
  const axisLabel = { color: "#868e96", fontSize: 11 };
  const splitLine = { lineStyle: { color: "#f1f3f5" } };
  return {
    animationDuration: 300,
    color: s.services.map(serviceColor),
    legend: {
      // One line, paged when the services do not fit (the axis name is below it).
      type: "scroll",
      top: 0,
      right: 0,
      icon: "roundRect",
      itemWidth: 12,
      itemHeight: 8,
      textStyle: { fontSize: 12, color: "#495057" },
    },
    tooltip: {
      trigger: "axis",
      axisPointer: { type: "line", link: [{ xAxisIndex: "all" }] },
      formatter: (
        items: Array<
          { seriesId: string; seriesName: string; value: [number, number]; color: string }
        >,
      ) => trafficTooltip(items, step),
    },
    axisPointer: { link: [{ xAxisIndex: "all" }] },
    grid: [
      { left: 44, right: 12, top: 46, bottom: "40%" },
      { left: 44, right: 12, top: "70%", bottom: 24 },
    ],
    // One extent for both time axes (half a step either side, for the bars), so that the axis
    // pointer meets the same step in both grids.
    xAxis: [0, 1].map((gridIndex) => ({
      type: "time",
      gridIndex,
      min: s.times.length ? s.times[0]! - stepMs / 2 : undefined,
      max: s.times.length ? s.times.at(-1)! + stepMs / 2 : undefined,
      // Labels in the page's zone (ECharts' own are in the browser's); dated past hourly steps.
      axisLabel: gridIndex === 0 ? { show: false } : {
        ...axisLabel,
        formatter: (ms: number) =>
          formatClock(new Date(ms).toISOString(), { date: stepMs >= 3_600_000 }).slice(
            0,
            stepMs >= 3_600_000 ? 11 : 5,
          ),
      },
      axisTick: { show: gridIndex === 1 },
      splitLine: { show: false },
      axisLine: { lineStyle: { color: "#dee2e6" } },
    })),
    yAxis: [
      {
        type: "value",
        gridIndex: 0,
        name: `requests / ${step}`,
        nameTextStyle: { color: "#868e96", fontSize: 11, align: "left" },
        minInterval: 1,
        axisLabel,
        splitLine,
      },
      {
        type: "value",
        gridIndex: 1,
        name: `errors / ${step}`,
        nameTextStyle: { color: "#e03131", fontSize: 11, align: "left" },
        minInterval: 1,
        splitNumber: 2,
        axisLabel,
        splitLine,
      },
    ],
    series: s.services.flatMap((name) => [
      {
        id: `requests:${name}`,
        name,
        type: "line",
        xAxisIndex: 0,
        yAxisIndex: 0,
        // Stacked: each service a band, the top line all requests.
        stack: "requests",
        showSymbol: s.times.length <= 1,
        symbolSize: 5,
        // Straight segments: a smoothed line invents values between the steps.
        lineStyle: { width: 1.5 },
        areaStyle: { opacity: 0.22 },
        data: pairs(s.requests[name]!),
      },
      {
        id: `errors:${name}`,
        name,
        type: "bar",
        xAxisIndex: 1,
        yAxisIndex: 1,
        stack: "errors",
        barMaxWidth: 14,
        emphasis: { focus: "series" },
        data: pairs(s.errors[name]!),
      },
    ]),
  };
}

/** The axis tooltip: the step's time, then each service's requests and errors. */
export function trafficTooltip(
  items: Array<{ seriesId: string; seriesName: string; value: [number, number]; color: string }>,
  step: string,
): string {
  const first = items[0];
  if (first === undefined) return "";
  const rows = new Map<string, { color: string; requests: number; errors: number }>();
  for (const item of items) {
    const row = rows.get(item.seriesName) ?? { color: item.color, requests: 0, errors: 0 };
    if (item.seriesId.startsWith("errors:")) row.errors = item.value[1];
    else row.requests = item.value[1];
    rows.set(item.seriesName, row);
  }
  const time = formatClock(new Date(first.value[0]).toISOString()).slice(0, 5);
  return [
    `<div style="font-weight:600;margin-bottom:4px">${time} <span style="color:#868e96;font-weight:400">per ${
      escapeHtml(step)
    }</span></div>`,
    ...[...rows].map(([name, r]) =>
      `<div style="display:flex;gap:12px;justify-content:space-between"><span><span style="display:inline-block;width:8px;height:8px;border-radius:2px;background:${r.color};margin-right:6px"></span>${
        escapeHtml(name)
      }</span><span>${r.requests} req${
        r.errors > 0 ? ` · <b style="color:#e03131">${r.errors} err</b>` : ""
      }</span></div>`
    ),
  ].join("");
}

// ---------------------------------------------------------------------------------------------
// Latency heatmap

/** A bucket bound in milliseconds as a short label: `0.35 ms`, `22.6 ms`, `362 ms`, `1.45 s`. */
export function formatBound(ms: number): string {
  const trim = (text: string) => text.replace(/\.?0+$/, "");
  if (ms < 10) return `${trim(ms.toFixed(2))} ms`;
  if (ms < 100) return `${trim(ms.toFixed(1))} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${trim((ms / 1000).toPrecision(3))} s`;
}

/** A bucket's label by its upper bound: `≤ 362 ms`; the last one (no bound) `> 65.5 s`. */
export function bucketLabel(bounds: readonly (number | null)[], index: number): string {
  const upper = bounds[index];
  if (upper === null || upper === undefined) {
    const last = bounds[index - 1];
    return last == null ? "more" : `> ${formatBound(last)}`;
  }
  return `≤ ${formatBound(upper)}`;
}

/** A bucket's range for the tooltip: `256 ms – 362 ms`. */
export function bucketRange(bounds: readonly (number | null)[], index: number): string {
  const upper = bounds[index];
  const lower = index === 0 ? null : bounds[index - 1];
  if (upper == null) return bucketLabel(bounds, index);
  if (lower == null) return `≤ ${formatBound(upper)}`;
  return `${formatBound(lower)} – ${formatBound(upper)}`;
}

export interface TrimmedHeatmap {
  /** The kept buckets, slowest last: their index in the API's `latency_buckets_ms`. */
  buckets: number[];
  /** `[timeIndex, row, count]`, `row` indexing `buckets`. */
  cells: [number, number, number][];
  /** The largest count (0 when there are no cells). */
  max: number;
}

/**
 * Keeps the bucket rows that matter: from the fastest bucket with requests to the slowest, with
 * `pad` empty rows either side for context, widened to at least `minRows` (within the 38 buckets)
 * so that a narrow spread does not draw a few huge rows. No cells: no rows.
 */
export function trimHeatmap(body: HeatmapBody, minRows = 8, pad = 1): TrimmedHeatmap {
  const bucketCount = body.latency_buckets_ms.length;
  if (body.cells.length === 0 || bucketCount === 0) return { buckets: [], cells: [], max: 0 };
  let low = Infinity;
  let high = -Infinity;
  let max = 0;
  for (const [, bucket, count] of body.cells as [number, number, number][]) {
    low = Math.min(low, bucket);
    high = Math.max(high, bucket);
    max = Math.max(max, count);
  }
  low = Math.max(0, low - pad);
  high = Math.min(bucketCount - 1, high + pad);
  while (high - low + 1 < Math.min(minRows, bucketCount)) {
    // Widen towards the slow side first: latency worth seeing is above, not below.
    if (high < bucketCount - 1) high++;
    if (high - low + 1 < minRows && low > 0) low--;
  }
  const buckets = Array.from({ length: high - low + 1 }, (_, i) => low + i);
  const cells = (body.cells as [number, number, number][]).map((
    [time, bucket, count],
  ): [number, number, number] => [time, bucket - low, count]);
  return { buckets, cells, max };
}

/** The heatmap: steps across, latency buckets up (slowest at the top), requests as colour. */
export function heatmapOption(body: HeatmapBody) {
  const trimmed = trimHeatmap(body);
  const bounds = body.latency_buckets_ms;
  // Hourly steps span days: their labels carry the date (`12-03 14:00`).
  const dated = body.step_seconds >= 3600;
  const times = body.times.map((t) => formatClock(t, { date: dated }).slice(0, dated ? 11 : 5));
  const labels = trimmed.buckets.map((b) => bucketLabel(bounds, b));
  const step = stepLabel(body.step_seconds);
  return {
    animation: false,
    tooltip: {
      position: "top",
      formatter: (p: { value: [number, number, number] }) => {
        const [time, row, count] = p.value;
        const bucket = trimmed.buckets[row]!;
        return `<div style="font-weight:600">${
          times[time] ?? ""
        } <span style="color:#868e96;font-weight:400">+ ${escapeHtml(step)}</span></div><div>${
          escapeHtml(bucketRange(bounds, bucket))
        }</div><div><b>${count}</b> request${count === 1 ? "" : "s"}</div>`;
      },
    },
    grid: { left: 72, right: 72, top: 12, bottom: 28 },
    xAxis: {
      type: "category",
      data: times,
      splitArea: { show: false },
      axisTick: { show: false },
      axisLine: { lineStyle: { color: "#dee2e6" } },
      axisLabel: { color: "#868e96", fontSize: 11 },
    },
    yAxis: {
      type: "category",
      data: labels,
      splitArea: { show: false },
      axisTick: { show: false },
      axisLine: { show: false },
      axisLabel: { color: "#868e96", fontSize: 11, interval: labels.length > 14 ? 1 : 0 },
    },
    visualMap: {
      type: "continuous",
      min: 0,
      max: Math.max(1, trimmed.max),
      calculable: false,
      orient: "vertical",
      right: 4,
      top: "middle",
      itemHeight: 120,
      itemWidth: 10,
      text: [String(Math.max(1, trimmed.max)), "0"],
      textStyle: { color: "#868e96", fontSize: 11 },
      inRange: { color: ["#edf2ff", "#91a7ff", "#4c6ef5", "#364fc7", "#1b2a78"] },
    },
    series: [{
      id: "latency",
      name: "Requests",
      type: "heatmap",
      data: trimmed.cells,
      itemStyle: { borderColor: "#fff", borderWidth: 1, borderRadius: 2 },
      emphasis: { itemStyle: { borderColor: "#212529", borderWidth: 1 } },
    }],
  };
}
