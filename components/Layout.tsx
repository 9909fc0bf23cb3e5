/**
 * The page shell, rendered on the server: the document head (Mantine's stylesheet, Argus's, the
 * colour scheme's first-paint script, the client entry), and Mantine's AppShell with the header
 * (navigation, trace lookup, colour scheme toggle). Pages put their content, islands included,
 * inside it.
 *
 * The colour scheme (utils/color_scheme.ts) is rendered from the remembered choice, so a page
 * chosen dark is dark from its first paint; "auto" is resolved by static/color-scheme.js before
 * the body is painted, and the toggle and later changes of preference by the client entry.
 *
 * @module
 */
import {
  Alert,
  AppShell,
  Box,
  Button,
  Container,
  Group,
  MantineProvider,
  Text,
} from "@mantine/core";
import type { ComponentChildren } from "preact";
import { cssVariablesResolver, theme } from "./theme.ts";
import { carryWindow } from "../utils/time_window.ts";
import {
  CHOICE_ATTRIBUTE,
  COLOR_SCHEME_CHOICES,
  type ColorSchemeChoice,
  SCHEME_ATTRIBUTE,
} from "../utils/color_scheme.ts";

export const NAVIGATION = [
  { href: "/", label: "Dashboard" },
  { href: "/service-map", label: "Service Map" },
  { href: "/logs", label: "Logs" },
  { href: "/traces", label: "Traces" },
  { href: "/instruments", label: "Metrics" },
  { href: "/settings", label: "Settings" },
] as const;

export interface LayoutProps {
  title: string;
  /** The navigation entry to highlight, by `href`. */
  active: typeof NAVIGATION[number]["href"];
  /**
   * The page's query string: the navigation's links carry its time window (utils/time_window.ts),
   * and the client entry keeps them carrying it as the page changes its URL.
   */
  search: string;
  /** `/static/build/client-….js`. */
  clientEntry: string;
  version: string;
  /** A security warning shown above every page (listening beyond loopback without tokens). */
  warning?: string;
  /** Whether the header offers to log out (API_TOKEN is set). */
  logout?: boolean;
  /**
   * The zone the page's times are shown in (utils/time_zone.ts), the user's choice of it, and the
   * limits of the time-range picker (RETENTION, QUERY_MAX_WINDOW): on `<html>` for the client.
   */
  time: PageTime;
  /** The remembered colour scheme choice (the request's cookie); default "auto". */
  colorScheme?: ColorSchemeChoice;
  children: ComponentChildren;
}

/** The page's time settings (LayoutProps.time). */
export interface PageTime {
  zone: string;
  choice: "local" | "utc";
  retentionMs: number | null;
  maxWindowMs: number;
}

/** The content's widest, in CSS pixels: wide screens show long messages and tables whole. */
export const CONTENT_MAX_WIDTH = 1920;

function Logo() {
  return (
    <svg width="26" height="26" viewBox="0 0 32 32" aria-hidden="true">
      <circle cx="16" cy="16" r="14" fill="#4c6ef5" />
      <circle cx="16" cy="16" r="7" fill="#fff" />
      <circle cx="16" cy="16" r="3.5" fill="#364fc7" />
    </svg>
  );
}

/** `<html>`'s colour scheme attributes for a remembered choice (utils/color_scheme.ts). */
export function colorSchemeAttributes(choice: ColorSchemeChoice): Record<string, string> {
  return {
    // "auto" is rendered light and resolved before the first paint (static/color-scheme.js).
    [SCHEME_ATTRIBUTE]: choice === "dark" ? "dark" : "light",
    [CHOICE_ATTRIBUTE]: choice,
  };
}

/** In `<head>`, after the stylesheets: blocking on purpose, it sets "auto" before the body paints. */
export function ColorSchemeScript() {
  return <script src="/static/color-scheme.js" />;
}

const SCHEME_ICONS: Record<ColorSchemeChoice, ComponentChildren> = {
  light: (
    <>
      <circle cx="8" cy="8" r="3" />
      <path d="M8 1v2M8 13v2M1 8h2M13 8h2M3 3l1.4 1.4M11.6 11.6 13 13M3 13l1.4-1.4M11.6 4.4 13 3" />
    </>
  ),
  dark: <path d="M13.5 9.5A5.5 5.5 0 0 1 6.5 2.5a5.5 5.5 0 1 0 7 7z" />,
  auto: (
    <>
      <circle cx="8" cy="8" r="6" />
      <path d="M8 2a6 6 0 0 1 0 12z" fill="currentColor" />
    </>
  ),
};

const SCHEME_LABELS: Record<ColorSchemeChoice, string> = {
  light: "Light",
  dark: "Dark",
  auto: "Auto: as the browser prefers",
};

/**
 * Light, dark or auto: plain buttons that the client entry acts on
 * (components/color_scheme_toggle.ts), which remember the choice and show it at once.
 */
function ColorSchemeToggle({ choice }: { choice: ColorSchemeChoice }) {
  return (
    <div role="group" aria-label="Colour scheme" className="argus-scheme">
      {COLOR_SCHEME_CHOICES.map((option) => (
        <button
          key={option}
          type="button"
          data-color-scheme-choice={option}
          aria-pressed={option === choice ? "true" : "false"}
          aria-label={SCHEME_LABELS[option]}
          title={SCHEME_LABELS[option]}
        >
          <svg
            width="16"
            height="16"
            viewBox="0 0 16 16"
            fill="none"
            stroke="currentColor"
            stroke-width="1.5"
            stroke-linecap="round"
            aria-hidden="true"
          >
            {SCHEME_ICONS[option]}
          </svg>
        </button>
      ))}
    </div>
  );
}

export function Layout(
  {
    title,
    active,
    search,
    clientEntry,
    version,
    warning,
    logout,
    time,
    colorScheme = "auto",
    children,
  }: LayoutProps,
) {
  return (
    <html
      lang="en"
      {...colorSchemeAttributes(colorScheme)}
      data-time-zone={time.zone}
      data-time-zone-choice={time.choice}
      data-retention-ms={time.retentionMs ?? undefined}
      data-max-window-ms={time.maxWindowMs}
    >
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · Argus`}</title>
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/static/mantine.css" />
        <link rel="stylesheet" href="/static/app.css" />
        <ColorSchemeScript />
        <script type="module" src={`/static/${clientEntry}`} />
      </head>
      <body>
        <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver}>
          <AppShell header={{ height: 56 }} padding="md">
            <AppShell.Header className="argus-header">
              <Group h="100%" px="lg" justify="space-between" wrap="nowrap">
                <Group gap="xl" wrap="nowrap">
                  <a
                    href={carryWindow("/", search)}
                    data-keep-window="/"
                    className="argus-brand"
                    aria-label="Argus home"
                  >
                    <Logo />
                    <Text fw={700} size="lg">Argus</Text>
                  </a>
                  <nav aria-label="Main" className="argus-nav">
                    {NAVIGATION.map((item) => (
                      <a
                        key={item.href}
                        href={carryWindow(item.href, search)}
                        data-keep-window={item.href}
                        className="argus-nav-link"
                        aria-current={item.href === active ? "page" : undefined}
                      >
                        {item.label}
                      </a>
                    ))}
                  </nav>
                </Group>
                <Group gap="sm" wrap="nowrap">
                  {/* A plain form: it opens a trace before any JavaScript runs (GET /lookup). */}
                  <form method="get" action="/lookup" role="search" className="argus-lookup">
                    <input
                      type="search"
                      name="trace_id"
                      placeholder="Trace ID"
                      aria-label="Open a trace by its ID"
                      title="A trace ID: 32 (or 16) hex characters; Enter opens the trace"
                      autoComplete="off"
                      spellcheck={false}
                      required
                    />
                  </form>
                  <ColorSchemeToggle choice={colorScheme} />
                  <Text size="xs" c="dimmed">v{version}</Text>
                  {logout && (
                    // A form, so that logging out is a POST (no cross-site GET logs anyone out).
                    <form method="post" action="/logout">
                      <Button type="submit" size="compact-xs" variant="subtle" color="gray">
                        Log out
                      </Button>
                    </form>
                  )}
                </Group>
              </Group>
            </AppShell.Header>
            <AppShell.Main>
              {/* The width of the screen, up to a line length still readable. */}
              <Container fluid maw={CONTENT_MAX_WIDTH} py="md">
                {warning && (
                  <Alert color="red" variant="filled" mb="md" role="alert" data-security-warning="">
                    {warning}
                  </Alert>
                )}
                {/* AppShell.Main is the page's <main>: one main landmark. */}
                <Box>{children}</Box>
              </Container>
            </AppShell.Main>
          </AppShell>
        </MantineProvider>
      </body>
    </html>
  );
}
