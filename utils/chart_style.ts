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

/** The colour schemes the charts are drawn for (utils/color_scheme.ts's). */
export type ChartScheme = "light" | "dark";

/**
 * The charts' options are written in light inks (Mantine's grays for text, axes and surfaces; an
 * indigo scale for the heatmap); in dark, each is drawn as its counterpart here, chosen for the
 * dark cards (#242424): text stays readable, lines faint, the heatmap's scale runs from the card
 * towards white. Series colours (serviceColor, error reds and the map's health colours) are not
 * inks and keep their hue in both schemes; only the palette's gray, which is also the muted ink,
 * is drawn lighter in dark.
 */
export const DARK_INKS: Readonly<Record<string, string>> = {
  "#212529": "#c9c9c9",
  "#343a40": "#c9c9c9",
  "#495057": "#b8b8b8",
  "#868e96": "#a8a8a8",
  "#adb5bd": "#6b6b6b",
  "#dee2e6": "#424242",
  "#e9ecef": "#3b3b3b",
  "#f1f3f5": "#2e2e2e",
  "#f8f9fa": "#2a2a2a",
  "#fff": "#242424",
  "#ffffff": "#242424",
  "#edf2ff": "#27305c",
  "#91a7ff": "#3b5bdb",
  "#364fc7": "#91a7ff",
  "#1b2a78": "#dbe4ff",
  "rgba(33, 37, 41, 0.18)": "rgba(0, 0, 0, 0.5)",
};

const INK_IN_TEXT = /#[0-9a-f]{6}\b|#[0-9a-f]{3}\b|rgba\(33, 37, 41, 0\.18\)/gi;

/** Text with its light inks as the dark ones (a colour value, or a tooltip's HTML). */
function darkText(text: string): string {
  return text.replace(INK_IN_TEXT, (ink) => DARK_INKS[ink.toLowerCase()] ?? ink);
}

function darkValue(value: unknown): unknown {
  if (typeof value === "string") return darkText(value);
  if (typeof value === "function") {
    // Formatters (tooltips' HTML, labels) and colour callbacks: their results, recoloured.
    return (...args: unknown[]) => darkValue((value as (...a: unknown[]) => unknown)(...args));
  }
  if (Array.isArray(value)) return value.map(darkValue);
  if (
    value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype
  ) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, darkValue(v)]));
  }
  return value;
}

/**
 * A chart's option as drawn in `scheme`: on a transparent background (the card's), with the
 * light inks replaced by DARK_INKS in dark. The option itself is not changed.
 */
export function chartOptionFor(
  option: Record<string, unknown>,
  scheme: ChartScheme,
): Record<string, unknown> {
  const themed = scheme === "dark" ? darkValue(option) as Record<string, unknown> : option;
  return { ...themed, backgroundColor: "transparent" };
}
