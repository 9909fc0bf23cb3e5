/**
 * `GET /instruments`: the Metrics page (islands/Metrics.tsx; `/metrics` is the Prometheus
 * exposition): instruments by service and the selected one's chart and exemplars, with the first data from the functions behind
 * `/api/instruments`, `/api/instruments/{key}`, `…/chart` and `…/exemplars`. A query the API
 * refuses (an unknown key, an `agg` the instrument does not offer) shows the API's sentence.
 *
 * @module
 */
import { Island } from "../../components/Island.tsx";
import Metrics from "../../islands/Metrics.tsx";
import {
  type MetricsData,
  type MetricsFilters,
  metricsQueries,
} from "../../components/metrics/metrics_data.ts";
import { windowOf } from "../../utils/time_window.ts";
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
  const get = (key: string) => url.searchParams.get(key) ?? "";
  return {
    service: get("service"),
    q: get("q"),
    instrument: get("instrument"),
    agg: get("agg"),
    group_by: get("group_by"),
    ...windowOf(url),
  };
}

/** The page's data, as the island loads it from the API. */
export async function metricsData(deps: PageDeps, filters: MetricsFilters): Promise<MetricsData> {
  const queries = metricsQueries(filters);
  const key = filters.instrument;
  const params = (query: Record<string, string>) => new URLSearchParams(query);
  let selectedError: string | undefined;
  const [list, selected] = await Promise.all([
    listInstruments(params(queries.list), deps),
    key === "" ? null : Promise.all([
      instrumentDetail(key, params(queries.window), deps),
      instrumentChart(key, params(queries.chart), deps),
      instrumentExemplars(key, params(queries.window), deps),
    ]).then(([detail, chart, exemplars]) => ({ detail, chart, exemplars })).catch((error) => {
      if (!(error instanceof BadRequestError || error instanceof NotFoundError)) throw error;
      selectedError = error.message;
      return null;
    }),
  ]);
  return selectedError === undefined ? { list, selected } : { list, selected, selectedError };
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
