/**
 * The trace list's duration scatter, as Jaeger's: one point per listed trace, its start time across
 * and its duration up (a log scale, so that a 5 ms and a 5 s trace both show), failed traces as red
 * diamonds drawn over the others, the others in their root service's colour (`serviceColor`), sized
 * by their span count. Pure (no DOM, no ECharts), tested in utils/duration_scatter_test.ts;
 * components/trace/DurationScatter.tsx draws it.
 *
 * @module
 */
import { escapeHtml, serviceColor } from "./chart_style.ts";
import { formatClock, formatCount, formatDateTime, formatDuration } from "./format.ts";
import type { WireTraceSummary } from "./wire.ts";

/** Failed traces' colour: the red the Dashboard draws errors in. */
export const FAILED_COLOR = "#e03131";

/** Durations below this (ms) are drawn at it: a log axis has no 0. */
const FLOOR_MS = 0.001;

export interface ScatterPoint {
  traceId: string;
  /** Start, Unix milliseconds. */
  startMs: number;
  /** Duration in milliseconds, at least `FLOOR_MS`. */
  durationMs: number;
  failed: boolean;
  color: string;
  /** Symbol size in pixels: 6 for one span, growing with the log of the span count, at most 16. */
  size: number;
}

export function scatterPoint(item: WireTraceSummary): ScatterPoint {
  const failed = item.error_count > 0;
  return {
    traceId: item.trace_id,
    startMs: Date.parse(item.start_time),
    durationMs: Math.max(FLOOR_MS, item.duration_ms),
    failed,
    color: failed ? FAILED_COLOR : serviceColor(item.root_service),
    size: Math.round(Math.min(16, 6 + 2 * Math.log2(Math.max(1, item.span_count)))),
  };
}

/** The point's tooltip: the trace's root, start, duration, spans and errors, and what a click does. */
export function scatterTooltip(item: WireTraceSummary): string {
  const errors = item.error_count > 0
    ? ` · <b style="color:${FAILED_COLOR}">${formatCount(item.error_count)} error${
      item.error_count === 1 ? "" : "s"
    }</b>`
    : "";
  return [
    `<div style="font-weight:600">${escapeHtml(item.root_service)} <span style="font-weight:400">${
      escapeHtml(item.root_name)
    }</span></div>`,
    `<div>${escapeHtml(formatDateTime(item.start_time))} · <b>${
      formatDuration(item.duration_ms)
    }</b></div>`,
    `<div>${formatCount(item.span_count)} span${item.span_count === 1 ? "" : "s"}${errors}</div>`,
    `<div style="margin-top:6px;color:#868e96;font-size:11px">Click to open the trace</div>`,
  ].join("");
}

/** The ECharts option: one series of the traces that did not fail, one of those that did, on top. */
export function durationScatterOption(items: readonly WireTraceSummary[]) {
  const byId = new Map(items.map((item) => [item.trace_id, item]));
  const points = items.map(scatterPoint);
  const axisLabel = { color: "#868e96", fontSize: 11 };
  const series = (id: string, failed: boolean) => ({
    id,
    type: "scatter",
    z: failed ? 3 : 2,
    symbol: failed ? "diamond" : "circle",
    itemStyle: { opacity: 0.85, borderColor: "#fff", borderWidth: 1 },
    emphasis: { scale: 1.4, itemStyle: { opacity: 1, borderColor: "#212529" } },
    data: points.filter((p) => p.failed === failed).map((p) => ({
      name: p.traceId,
      value: [p.startMs, p.durationMs],
      symbolSize: p.size,
      itemStyle: { color: p.color },
    })),
  });
  return {
    animation: false,
    tooltip: {
      trigger: "item",
      formatter: (params: { name: string }) => {
        const item = byId.get(params.name);
        return item === undefined ? "" : scatterTooltip(item);
      },
    },
    grid: { left: 60, right: 16, top: 14, bottom: 26 },
    xAxis: {
      type: "time",
      scale: true,
      splitLine: { show: false },
      axisLine: { lineStyle: { color: "#dee2e6" } },
      axisLabel: {
        ...axisLabel,
        hideOverlap: true,
        formatter: (ms: number) => formatClock(new Date(ms).toISOString()).slice(0, 8),
      },
    },
    yAxis: {
      type: "log",
      logBase: 10,
      axisLabel: { ...axisLabel, formatter: (ms: number) => formatDuration(ms) },
      splitLine: { lineStyle: { color: "#f1f3f5" } },
    },
    series: [series("traces", false), series("failed", true)],
  };
}
