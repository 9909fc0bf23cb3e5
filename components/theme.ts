/**
 * The one Mantine theme of Argus (a modern SaaS look, light and dark), shared by the
 * server-rendered shell and every island's provider, and the shell's CSS variables.
 *
 * @module
 */
import { createTheme, type CSSVariablesResolver } from "@mantine/core";

export const theme = createTheme({
  primaryColor: "indigo",
  // Filled buttons and badges carry white text: shade 6 gave 4.3:1 (indigo) and 3.3:1 (red),
  // under WCAG AA's 4.5; shade 8 gives 5.7:1 and 4.5:1.
  primaryShade: { light: 8, dark: 8 },
  defaultRadius: "md",
  fontFamily:
    "Inter, ui-sans-serif, system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif",
  fontFamilyMonospace:
    "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace",
  headings: { fontWeight: "650" },
});

/** WCAG's relative luminance of a `#rrggbb` colour. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) =>
    c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  );
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/** WCAG's contrast ratio of two `#rrggbb` colours. */
export function contrastRatio(a: string, b: string): number {
  const [high, low] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (high! + 0.05) / (low! + 0.05);
}

/** `#rrggbb`: `color` over `background` with opacity `alpha`. */
function mix(color: string, alpha: number, background: string): string {
  const channel = (hex: string, i: number) => parseInt(hex.slice(i, i + 2), 16);
  return `#${
    [1, 3, 5].map((i) =>
      Math.round(channel(color, i) * alpha + channel(background, i) * (1 - alpha))
        .toString(16).padStart(2, "0")
    ).join("")
  }`;
}

/** AA's ratio for text, with a margin for the backgrounds a colour meets beside those checked. */
const TEXT_CONTRAST = 4.6;

/**
 * `color`, darkened towards black (or lightened towards white) as little as reaches
 * TEXT_CONTRAST on every one of `backgrounds`.
 */
export function readableOn(color: string, backgrounds: string[], towards: "black" | "white") {
  for (let step = 0; step <= 20; step++) {
    const candidate = mix(towards === "black" ? "#000000" : "#ffffff", step / 20, color);
    if (backgrounds.every((bg) => contrastRatio(candidate, bg) >= TEXT_CONTRAST)) return candidate;
  }
  return towards;
}

/** The surfaces text sits on: cards, the page, a hovered or selected row (static/app.css). */
const SURFACES = {
  light: ["#ffffff", "#f8f9fb", "#f1f3f5", "#edf2ff"],
  dark: ["#242424", "#1a1a1a", "#2e2e2e", "#2a2f45"],
};
/** Mantine's "light" variants (badges, alerts, light buttons): shade 6 at 15 % on the surface. */
const LIGHT_VARIANT_ALPHA = 0.15;

/**
 * Mantine's variables where its defaults fail WCAG AA, so that every text passes 4.5:1 in both
 * schemes (tests/ui_accessibility_test.ts): secondary ("dimmed") text and placeholders (gray-6
 * gave 3.3:1, dark-2 4.0:1); each colour's text (`c="red"`) and the text of its light variant
 * (yellow-6 on its tint gave 2.8:1, indigo-4 in dark 4.5:1 at best), made as readable as needed
 * from the colour's own shades; links.
 */
export const cssVariablesResolver: CSSVariablesResolver = (current) => {
  const light: Record<string, string> = {
    "--mantine-color-dimmed": "#5c636a",
    "--mantine-color-placeholder": "#6c757d",
    "--mantine-color-anchor": "var(--mantine-color-indigo-9)",
  };
  const dark: Record<string, string> = {
    "--mantine-color-dimmed": "#a8a8a8",
    "--mantine-color-placeholder": "#9a9a9a",
  };
  for (const [name, shades] of Object.entries(current.colors)) {
    const tint = shades[6]!;
    const lightText = readableOn(
      shades[8]!,
      SURFACES.light.flatMap((bg) => [bg, mix(tint, LIGHT_VARIANT_ALPHA, bg)]),
      "black",
    );
    light[`--mantine-color-${name}-text`] = lightText;
    light[`--mantine-color-${name}-light-color`] = lightText;
    const darkText = readableOn(
      shades[4]!,
      SURFACES.dark.flatMap((bg) => [bg, mix(tint, LIGHT_VARIANT_ALPHA, bg)]),
      "white",
    );
    dark[`--mantine-color-${name}-text`] = darkText;
    dark[`--mantine-color-${name}-light-color`] = darkText;
  }
  return { variables: {}, light, dark };
};

/** Severity colours, by the lowest OTLP SeverityNumber of each range. */
export function severityColor(severityNumber: number): string {
  if (severityNumber >= 21) return "grape";
  if (severityNumber >= 17) return "red";
  if (severityNumber >= 13) return "yellow";
  if (severityNumber >= 9) return "blue";
  if (severityNumber >= 5) return "gray";
  return "dark";
}

/** The range names of OTLP severities, for labels. */
export function severityName(severityNumber: number): string {
  if (severityNumber >= 21) return "FATAL";
  if (severityNumber >= 17) return "ERROR";
  if (severityNumber >= 13) return "WARN";
  if (severityNumber >= 9) return "INFO";
  if (severityNumber >= 5) return "DEBUG";
  if (severityNumber >= 1) return "TRACE";
  return "UNSET";
}
