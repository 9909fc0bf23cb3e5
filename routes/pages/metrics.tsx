/**
 * `GET /instruments`: the Metrics page (islands/Metrics.tsx; `/metrics` is the Prometheus
 * exposition): instruments by service and the selected one's chart and exemplars, with the first
 * data from the functions behind `/api/instruments`, `/api/instruments/{key}`, `…/chart` and
 * `…/exemplars`. A query the API refuses (an unknown key, an `agg` the instrument does not offer,
 * too many series) shows the API's sentence.
 *
 * @module
 */
import { Island } from "../../components/Island.tsx";
import Metrics from "../../islands/Metrics.tsx";
import {
  loadMetricsData,
  type MetricsData,
  type MetricsFilters,
  parseMetricsFilters,
} from "../../components/metrics/metrics_data.ts";
import { BadRequestError, NotFoundError } from "../http_error.ts";
import {
  instrumentChart,
  instrumentDetail,
  instrumentExemplars,
  listInstruments,
} from "../instruments.ts";
import type { PageDef, PageDeps } from "./mod.ts";

/** The page's filters from its URL (as the island reads them). */
export function metricsFiltersOf(url: URL): MetricsFilters {
  return parseMetricsFilters(url.search);
}

/** The page's data, as the island loads it from the API (the same calls, without HTTP). */
export function metricsData(deps: PageDeps, filters: MetricsFilters): Promise<MetricsData> {
  return loadMetricsData(filters, {
    list: (query) => listInstruments(query, deps),
    detail: (key, query) => instrumentDetail(key, query, deps),
    chart: (key, query) => instrumentChart(key, query, deps),
    exemplars: (key, query) => instrumentExemplars(key, query, deps),
    refusal: (error) =>
      error instanceof BadRequestError || error instanceof NotFoundError
        ? error.message
        : undefined,
  });
}

export const metricsPage: PageDef = {
  path: "/instruments",
  active: "/instruments",
  async render(deps, url) {
    const filters = metricsFiltersOf(url);
    const loadedAt = deps.now();
    let initial: MetricsData | null = null;
    let initialError: string | null = null;
    try {
      initial = await metricsData(deps, filters);
    } catch (error) {
      if (!(error instanceof BadRequestError || error instanceof NotFoundError)) throw error;
      initialError = error.message;
    }
    return {
      title: "Metrics",
      body: (
        <Island
          name="Metrics"
          component={Metrics}
          props={{ initial, initialError, filters, loadedAt }}
        />
      ),
    };
  },
};
