/**
 * `GET /`: the Dashboard (islands/Dashboard.tsx), with its first data from the functions behind
 * `/api/metrics/dashboard`, `/traffic`, `/latency_heatmap` and `/api/metadata/services`, for the
 * URL's `service` and `range`. A filter the API refuses shows the API's sentence on the page, with
 * the filter bar to correct it.
 *
 * @module
 */
import { Island } from "../../components/Island.tsx";
import Dashboard, { type DashboardFilters } from "../../islands/Dashboard.tsx";
import type { DashboardData } from "../../utils/dashboard_data.ts";
import { windowOf, windowParams } from "../../utils/time_window.ts";
import { dashboard, latencyHeatmap, traffic } from "../dashboards.ts";
import { latest, services } from "../metadata.ts";
import { isEmptyWindow } from "../../utils/dashboard_data.ts";
import { BadRequestError } from "../http_error.ts";
import type { PageDef, PageDeps } from "./mod.ts";

/** The page's filters from its URL (as the island reads them). */
export function filtersOf(url: URL): DashboardFilters {
  return {
    service: url.searchParams.get("service") ?? "",
    ...windowOf(url),
  };
}

/** The Dashboard's data, as the island loads it from the API. */
export async function dashboardData(
  deps: PageDeps,
  filters: DashboardFilters,
): Promise<DashboardData> {
  const params = new URLSearchParams(windowParams(filters));
  if (filters.service !== "") params.set("service", filters.service);
  const [figures, series, heatmap, names] = await Promise.all([
    dashboard(params, deps),
    traffic(params, deps),
    latencyHeatmap(params, deps),
    services(new URLSearchParams(windowParams(filters)), deps),
  ]);
  return { figures, traffic: series, heatmap, services: names.services };
}

export const dashboardPage: PageDef = {
  path: "/",
  active: "/",
  async render(deps, url) {
    const filters = filtersOf(url);
    const loadedAt = deps.now();
    let initial: DashboardData | null = null;
    let initialError: string | null = null;
    try {
      initial = await dashboardData(deps, filters);
    } catch (error) {
      if (!(error instanceof BadRequestError)) throw error;
      initialError = error.message;
    }
    return {
      title: "Dashboard",
      body: (
        <Island
          name="Dashboard"
          component={Dashboard}
          props={{
            initial,
            initialError,
            filters,
            loadedAt,
            latest: initial !== null && isEmptyWindow(initial)
              ? (await latest(deps)).latest_time
              : undefined,
          }}
        />
      ),
    };
  },
};
