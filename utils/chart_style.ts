/**
 * What the charts draw with, free of ECharts and of any framework so that the pure chart options
 * (utils/dashboard_data.ts, utils/service_map_graph.ts) and the chart hook share it: series
 * colours, and telemetry made safe for ECharts's HTML tooltips.
 *
 * @module
 */

/** Series colours (Mantine's indigo, teal, orange, grape, cyan, pink, lime, yellow). */
export const SERIES_COLORS = [
  "#4c6ef5",
  "#12b886",
  "#fd7e14",
  "#be4bdb",
  "#15aabf",
  "#e64980",
  "#82c91e",
  "#fab005",
] as const;

/** Text for ECharts's HTML tooltips: telemetry (service names!) must not become markup. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
