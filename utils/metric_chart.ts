/**
 * The Metrics page's chart (components/metrics/InstrumentChart.tsx) as an ECharts option, from
 * `GET /api/instruments/{key}/chart` and its exemplars: one line per group of the chosen
 * aggregation, or for histograms on a percentile the p50, p90 and p99 lines of each group, for
 * summaries on `avg` the producer's quantiles too; the exemplars with a trace as scatter points
 * (their `trace_id` in each point, for the click). Pure, so it is tested without a browser.
 *
 * @module
 */
import type { WireChartGroup, WireExemplar, WireInstrumentChart } from "./wire.ts";
import { escapeHtml } from "./chart_style.ts";

/** Percentile aggregations, drawn together for histograms. */
const PERCENTILES = ["p50", "p90", "p99"];

/** A group's name in the legend: its group-by value, or the instrument's name. */
export function groupLabel(group: WireChartGroup, fallback: string): string {
  const entries = Object.entries(group.attributes);
  if (entries.length === 0) return fallback;
  return entries.map(([key, value]) => `${key}=${value ?? "(none)"}`).join(", ");
}

export interface MetricLine {
  /** The legend's name, e.g. "p99 · route=/pay". */
  name: string;
  /** [time ms, value or null] per step. */
  points: [number, number | null][];
}

/** A summary quantile's name: 0.5 is "p50", 0.999 "p99.9". */
export function quantileName(quantile: number): string {
  return `p${Number((quantile * 100).toFixed(4))}`;
}

/**
 * The lines to draw: the chosen `agg` per group, or every percentile of a histogram's group; a
 * summary's `avg` with the producer's own quantiles beside it (a group of one series has them:
 * they are observations' values, as the mean is, so they share its axis).
 */
export function metricLines(chart: WireInstrumentChart): MetricLine[] {
  const times = chart.times.map((t) => Date.parse(t));
  const aggs = PERCENTILES.includes(chart.agg)
    ? PERCENTILES.filter((p) => p in (chart.groups[0]?.stats ?? {}))
    : [chart.agg];
  const withQuantiles = chart.shape === "summary" && chart.agg === "avg";
  const named = chart.groups.length > 1;
  // Lines are named by what they draw when a group draws several (so all of them are).
  const several = aggs.length > 1 ||
    (withQuantiles && chart.groups.some((g) => (g.quantiles ?? []).length > 0));
  const lines: MetricLine[] = [];
  for (const group of chart.groups) {
    const label = groupLabel(group, chart.instrument.name);
    const quantiles = withQuantiles ? group.quantiles ?? [] : [];
    const nameOf = (what: string) =>
      !several
        ? label
        : named || Object.keys(group.attributes).length > 0
        ? `${what} · ${label}`
        : what;
    for (const agg of aggs) {
      const values = agg === chart.agg ? group.values : group.stats[agg] ?? [];
      lines.push({ name: nameOf(agg), points: times.map((time, i) => [time, values[i] ?? null]) });
    }
    for (const { quantile, values } of quantiles) {
      lines.push({
        name: nameOf(quantileName(quantile)),
        points: times.map((time, i) => [time, values[i] ?? null]),
      });
    }
  }
  return lines;
}

/** Whether any step's percentiles are missing because the series' bucket bounds differ. */
export function boundsDiffer(chart: WireInstrumentChart): boolean {
  return chart.groups.some((g) => (g.unavailable ?? []).includes("bounds differ"));
}

/** An exemplar's value as a number (int64 past 2^53 arrive as text), null when it has none. */
function exemplarValue(exemplar: WireExemplar): number | null {
  if (exemplar.value === null) return null;
  const value = Number(exemplar.value);
  return Number.isFinite(value) ? value : null;
}

/** The exemplars drawn: those with a trace and a value, as [time ms, value, trace id]. */
export function exemplarPoints(exemplars: readonly WireExemplar[]): [number, number, string][] {
  const points: [number, number, string][] = [];
  for (const exemplar of exemplars) {
    const value = exemplarValue(exemplar);
    if (exemplar.trace_id === null || value === null) continue;
    points.push([Date.parse(exemplar.time), value, exemplar.trace_id]);
  }
  return points;
}

/** The series id of the exemplars' scatter, which a click on the chart looks for. */
export const EXEMPLAR_SERIES = "exemplars";

/** The chart's ECharts option. */
export function metricChartOption(
  chart: WireInstrumentChart,
  exemplars: readonly WireExemplar[],
): Record<string, unknown> {
  const lines = metricLines(chart);
  const points = exemplarPoints(exemplars);
  const unit = chart.instrument.unit;
  const yName = chart.agg === "rate" ? `${unit ? unit + " " : ""}per second` : unit;
  const axisLabel = { color: "#868e96", fontSize: 11 };
  return {
    animationDuration: 300,
    legend: { type: "scroll", top: 0, right: 0, textStyle: { fontSize: 12, color: "#495057" } },
    tooltip: {
      trigger: "item",
      formatter: (item: { seriesName: string; value: [number, number, string?] }) =>
        `${escapeHtml(item.seriesName)}<br/>${new Date(item.value[0]).toISOString()}<br/>${
          item.value[1]
        }${item.value[2] ? `<br/>trace ${escapeHtml(item.value[2])} · click to open` : ""}`,
    },
    grid: { left: 56, right: 16, top: 40, bottom: 28 },
    xAxis: { type: "time", axisLabel, splitLine: { show: false } },
    yAxis: {
      type: "value",
      name: yName,
      nameTextStyle: { color: "#868e96", fontSize: 11, align: "left" },
      axisLabel,
      splitLine: { lineStyle: { color: "#f1f3f5" } },
    },
    series: [
      ...lines.map((line, i) => ({
        id: `line-${i}-${line.name}`,
        name: line.name,
        type: "line",
        showSymbol: line.points.length < 60,
        connectNulls: false,
        data: line.points,
      })),
      ...(points.length === 0 ? [] : [{
        id: EXEMPLAR_SERIES,
        name: "Exemplars",
        type: "scatter",
        symbol: "diamond",
        symbolSize: 10,
        cursor: "pointer",
        z: 5,
        data: points,
      }]),
    ],
  };
}
