/**
 * The page shell, rendered on the server: the document head (Mantine's stylesheet, Argus's, the
 * client entry), and Mantine's AppShell with the header and navigation. Pages put their content,
 * islands included, inside it.
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
import { theme } from "./theme.ts";
import { carryWindow } from "../utils/time_window.ts";

export const NAVIGATION = [
  { href: "/", label: "Dashboard" },
  { href: "/service-map", label: "Service Map" },
  { href: "/logs", label: "Logs" },
  { href: "/traces", label: "Traces" },
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
  children: ComponentChildren;
}

function Logo() {
  return (
    <svg width="26" height="26" viewBox="0 0 32 32" aria-hidden="true">
      <circle cx="16" cy="16" r="14" fill="#4c6ef5" />
      <circle cx="16" cy="16" r="7" fill="#fff" />
      <circle cx="16" cy="16" r="3.5" fill="#364fc7" />
    </svg>
  );
}

export function Layout(
  { title, active, search, clientEntry, version, warning, logout, children }: LayoutProps,
) {
  return (
    <html lang="en" data-mantine-color-scheme="light">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · Argus`}</title>
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/static/mantine.css" />
        <link rel="stylesheet" href="/static/app.css" />
        <script type="module" src={`/static/${clientEntry}`} />
      </head>
      <body>
        <MantineProvider theme={theme} forceColorScheme="light">
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
              <Container size="xl" py="md">
                {warning && (
                  <Alert color="red" variant="filled" mb="md" role="alert" data-security-warning="">
                    {warning}
                  </Alert>
                )}
                <Box component="main">{children}</Box>
              </Container>
            </AppShell.Main>
          </AppShell>
        </MantineProvider>
      </body>
    </html>
  );
}
