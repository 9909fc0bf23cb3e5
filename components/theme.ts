/**
 * The one Mantine theme of Argus (light, a modern SaaS look), shared by the server-rendered shell
 * and every island's provider.
 *
 * @module
 */
import { createTheme } from "@mantine/core";

export const theme = createTheme({
  primaryColor: "indigo",
  defaultRadius: "md",
  fontFamily:
    "Inter, ui-sans-serif, system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif",
  fontFamilyMonospace:
    "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace",
  headings: { fontWeight: "650" },
});

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
