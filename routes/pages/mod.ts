/**
 * The UI's pages: server-rendered with preact-render-to-string inside the shell
 * (components/Layout.tsx), with islands hydrated in the browser (routes/_assets.ts). Each page's
 * first data comes from the same functions as the API, so a page shows its data before any
 * JavaScript runs, and its filters come from the URL, so a view can be shared.
 *
 * Each page module exports a `PageDef`; `PAGES` lists them.
 *
 * @module
 */
import { h, type VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import { Layout, type LayoutProps, type PageTime } from "../../components/Layout.tsx";
import { setDisplayZone } from "../../utils/time_zone.ts";
import { VERSION } from "../../lib/version.ts";
import type { Assets } from "../_assets.ts";
import type { AppDeps } from "../mod.ts";
import { dashboardPage } from "./dashboard.tsx";
import { serviceMapPage } from "./service_map.tsx";
import { logsPage } from "./logs.tsx";
import { tracesPage } from "./traces.tsx";
import { tracePage } from "./trace.tsx";
import { comparePage } from "./compare.tsx";
import { servicePage } from "./service.tsx";
import { settingsPage } from "./settings.tsx";
import { metricsPage } from "./metrics.tsx";

/** What a page handler needs: the app's dependencies with a clock. */
export type PageDeps = AppDeps & { now: () => number };

export interface PageDef {
  /** Route pattern, e.g. `/traces/{trace_id}`. */
  path: string;
  /** The navigation entry it highlights. */
  active: LayoutProps["active"];
  /**
   * The page's title and body for a request, and its status (200 unless given: a page for an
   * unknown id renders inside the shell with 404).
   */
  render(
    deps: PageDeps,
    url: URL,
    segments: Record<string, string>,
    // deno-lint-ignore no-explicit-any -- any page component's element
  ): Promise<{ title: string; body: VNode<any>; status?: number }>;
}

export const PAGES: PageDef[] = [
  dashboardPage,
  serviceMapPage,
  logsPage,
  tracesPage,
  // Before `/traces/{trace_id}`, which would take "compare" for an id.
  comparePage,
  tracePage,
  servicePage,
  metricsPage,
  settingsPage,
];

const DEFAULT_TIME: PageTime = {
  zone: "UTC",
  choice: "local",
  retentionMs: null,
  maxWindowMs: 31 * 86_400_000,
};

/** The page's HTML document. */
export function renderPage(
  assets: Assets,
  page: {
    title: string;
    active: LayoutProps["active"];
    /** The request's query string: its time window is carried by the navigation's links. */
    search?: string;
    // deno-lint-ignore no-explicit-any -- any page component's element
    body: VNode<any>;
    status?: number;
    /** A security warning shown as a banner (LayoutProps.warning). */
    warning?: string;
    /** Whether the header offers to log out (API_TOKEN is set). */
    logout?: boolean;
    /** The zone to show times in and the picker's limits (UTC and no limits when absent). */
    time?: PageTime;
    /** The remembered colour scheme choice (LayoutProps.colorScheme). */
    colorScheme?: LayoutProps["colorScheme"];
  },
): Response {
  const time = page.time ?? DEFAULT_TIME;
  // Rendering is synchronous: the zone set here is the one every time of this page is shown in.
  setDisplayZone(time.zone);
  const html = renderToString(
    h(Layout, {
      title: page.title,
      active: page.active,
      search: page.search ?? "",
      clientEntry: assets.clientEntry,
      version: VERSION,
      warning: page.warning,
      logout: page.logout,
      time,
      colorScheme: page.colorScheme,
      children: page.body,
    }),
  );
  return new Response(`<!DOCTYPE html>${html}`, {
    status: page.status ?? 200,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "referrer-policy": "same-origin",
    },
  });
}
