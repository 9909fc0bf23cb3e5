/**
 * What the Metrics page shows (islands/Metrics.tsx), loaded by the island from the API and by
 * the page (routes/pages/metrics.tsx) from the same functions: every instrument of the window and,
 * when one is selected, its attributes, chart and exemplars.
 *
 * @module
 */
import type { UrlState } from "../hooks/url_state.ts";
import type {
  WireExemplars,
  WireInstrumentChart,
  WireInstrumentDetail,
  WireInstrumentList,
} from "../../utils/wire.ts";
import { windowParams } from "../../utils/time_window.ts";

/**
 * The page's URL state: `service` and `q` filter the list (on the page: the list holds every
 * instrument of the window), `instrument` is the selected key, `agg` and `group_by` its chart's.
 */
export type MetricsFilters = UrlState<
  "service" | "q" | "instrument" | "agg" | "group_by" | "range" | "start" | "end"
>;

export interface SelectedInstrument {
  detail: WireInstrumentDetail;
  chart: WireInstrumentChart;
  exemplars: WireExemplars;
}

export interface MetricsData {
  list: WireInstrumentList;
  selected: SelectedInstrument | null;
  /**
   * Why the selected instrument could not be shown (the API's 400 or 404 sentence: a key unknown,
   * e.g. purged, or an `agg` it does not offer), while the list still is.
   */
  selectedError?: string;
}

/** The most instruments listed (the API's own limit). */
export const LIST_LIMIT = "1000";

/** The query of each request, as both the page and the island send them. */
export function metricsQueries(filters: MetricsFilters) {
  const window = windowParams(filters);
  const chart: Record<string, string> = { ...window };
  if (filters.agg !== "") chart.agg = filters.agg;
  if (filters.group_by !== "") chart.group_by = filters.group_by;
  return { list: { ...window, limit: LIST_LIMIT }, window, chart };
}
