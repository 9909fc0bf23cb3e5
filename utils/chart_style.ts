/**
 * What the charts draw with, free of ECharts and of any framework so that the pure chart options
 * (utils/dashboard_data.ts, utils/service_map_graph.ts) and the chart hook share it: a colour per
 * service (the Dashboard's traffic, the trace list and the waterfall alike), and telemetry made
 * safe for ECharts's HTML tooltips.
 *
 * @module
 */

/** Text for ECharts's HTML tooltips: telemetry (service names!) must not become markup. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Distinct, readable colours for services (Mantine's palette, shade 6). */
export const SERVICE_PALETTE = [
  "#4c6ef5", // indigo
  "#12b886", // teal
  "#fab005", // yellow
  "#be4bdb", // grape
  "#fd7e14", // orange
  "#15aabf", // cyan
  "#82c91e", // lime
  "#e64980", // pink
  "#7950f2", // violet
  "#228be6", // blue
  "#40c057", // green
  "#868e96", // gray
] as const;

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/**
 * A service's colour, from its name alone: the same on every page (the Dashboard's traffic, the
 * trace list, the waterfall), whatever other services are shown and whatever the time range. With
 * 12 colours two services may share one; the name is always beside it.
 */
export function serviceColor(service: string): string {
  return SERVICE_PALETTE[hash(service) % SERVICE_PALETTE.length]!;
}

/** Each service's colour (`serviceColor`). */
export function serviceColors(services: readonly string[]): Map<string, string> {
  return new Map([...new Set(services)].map((service) => [service, serviceColor(service)]));
}
