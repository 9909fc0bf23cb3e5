/**
 * What the charts draw with, free of ECharts and of any framework so that the pure chart options
 * (utils/dashboard_data.ts, utils/service_map_graph.ts) and the chart hook share it: series
 * colours, a colour per service (the trace list and the waterfall), and telemetry made safe for
 * ECharts's HTML tooltips.
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
 * A colour per service: each service's own slot of the palette (by a hash of its name, so it
 * tends to keep its colour from page to page), the next free one when taken. Distinct within a
 * set of up to 12 services; after that colours repeat. Deterministic for a set, in any order.
 */
export function serviceColors(services: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<number>();
  const size = SERVICE_PALETTE.length;
  for (const service of [...new Set(services)].sort()) {
    let slot = hash(service) % size;
    if (taken.size < size) { while (taken.has(slot)) slot = (slot + 1) % size; }
    taken.add(slot);
    out.set(service, SERVICE_PALETTE[slot]!);
  }
  return out;
}
