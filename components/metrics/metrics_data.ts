/**
 * What the Metrics page shows (islands/Metrics.tsx), loaded by the island from the API and by
 * the page (routes/pages/metrics.tsx) through the same function (`loadMetricsData`): every
 * instrument of the window and, when one is selected, its attributes, chart and exemplars. Also
 * the page's URL state (`METRICS_URL`: flat filters plus `attr`, which repeats, one per chip, as
 * on the Traces page) and the attribute filters' pure helpers. Tested in metrics_data_test.ts.
 *
 * @module
 */
import { readState, type UrlCodec, type UrlState, writeState } from "../hooks/url_state.ts";
import type {
  WireExemplars,
  WireInstrumentChart,
  WireInstrumentDetail,
  WireInstrumentList,
} from "../../utils/wire.ts";
import { DEFAULT_RANGE, windowParams } from "../../utils/time_window.ts";

type FlatKey = "service" | "q" | "instrument" | "agg" | "group_by" | "range" | "start" | "end";

/**
 * The page's URL state: `service` and `q` filter the list (on the page: the list holds every
 * instrument of the window), `instrument` is the selected key, `agg`, `group_by` and `attr`
 * (`key=value` each, every one must match) its chart's and exemplars'.
 */
export type MetricsFilters = UrlState<FlatKey> & { attr: string[] };

const FLAT_DEFAULTS: UrlState<FlatKey> = {
  service: "",
  q: "",
  instrument: "",
  agg: "",
  group_by: "",
  range: DEFAULT_RANGE,
  start: "",
  end: "",
};

export const METRICS_DEFAULTS: Readonly<MetricsFilters> = Object.freeze({
  ...FLAT_DEFAULTS,
  attr: [],
});

/** The filters a query string holds (`attr` repeated, in order). */
export function parseMetricsFilters(search: string): MetricsFilters {
  const flat = readState(search, FLAT_DEFAULTS);
  // `range=` (empty) reads as the default range, as utils/time_window.ts's `windowOf` does.
  return {
    ...flat,
    range: flat.range || DEFAULT_RANGE,
    attr: new URLSearchParams(search).getAll("attr"),
  };
}

/**
 * The page's state in its URL, for components/hooks/url_state.ts's `useUrlSignal`: the flat
 * filters as `useUrlState` writes them (other keys kept, defaults left out), then one `attr` per
 * filter.
 */
export const METRICS_URL: UrlCodec<MetricsFilters> = {
  parse: parseMetricsFilters,
  serialize(state, search) {
    const { attr, ...flat } = state;
    const params = new URLSearchParams(writeState(search, flat, FLAT_DEFAULTS));
    params.delete("attr");
    for (const filter of attr) params.append("attr", filter);
    const query = params.toString();
    return query === "" ? "" : `?${query}`;
  },
};

/** An `attr` filter's key: the text before its first `=`. */
export function attrKey(filter: string): string {
  const at = filter.indexOf("=");
  return at < 0 ? filter : filter.slice(0, at);
}

/**
 * The filters with `filter` added. A filter on a key already filtered replaces that one: every
 * filter must match, so two values of one key would match no series.
 */
export function withAttrFilter(attr: readonly string[], filter: string): string[] {
  const key = attrKey(filter);
  return [...attr.filter((f) => attrKey(f) !== key), filter];
}

/** One option group of the filter picker: an attribute key and its `key=value` choices. */
export interface AttrFilterGroup {
  group: string;
  items: { value: string; label: string }[];
}

/**
 * The filter picker's choices from the instrument's attributes (`GET /api/instruments/{key}`):
 * every `key=value` not filtered on already, grouped by key, keys and values in the API's order.
 */
export function attrFilterChoices(
  attributes: WireInstrumentDetail["attributes"],
  attr: readonly string[],
): AttrFilterGroup[] {
  const active = new Set(attr);
  const groups: AttrFilterGroup[] = [];
  for (const { key, values } of attributes) {
    const items = values.map((value) => `${key}=${value}`).filter((f) => !active.has(f))
      .map((f) => ({ value: f, label: f }));
    if (items.length > 0) groups.push({ group: key, items });
  }
  return groups;
}

export interface SelectedInstrument {
  detail: WireInstrumentDetail;
  /** null when the API refused the chart's query (`chartError` says why). */
  chart: WireInstrumentChart | null;
  exemplars: WireExemplars | null;
  /**
   * The API's refusal of the chart (a 400: too many series or points, too many filters), shown
   * in the panel, whose pickers and filters stay usable to narrow the query.
   */
  chartError?: string;
}

export interface MetricsData {
  list: WireInstrumentList;
  selected: SelectedInstrument | null;
  /**
   * Why the selected instrument could not be shown (the API's 400 or 404 sentence: a key unknown,
   * e.g. purged), while the list still is.
   */
  selectedError?: string;
}

/** The most instruments listed (the API's own limit). */
export const LIST_LIMIT = "1000";

/** The query of each request, as both the page and the island send them. */
export function metricsQueries(filters: MetricsFilters) {
  const window = windowParams(filters);
  const filtered = new URLSearchParams(window);
  for (const filter of filters.attr) filtered.append("attr", filter);
  const chart = new URLSearchParams(filtered);
  if (filters.agg !== "") chart.set("agg", filters.agg);
  if (filters.group_by !== "") chart.set("group_by", filters.group_by);
  return {
    list: new URLSearchParams({ ...window, limit: LIST_LIMIT }),
    window: new URLSearchParams(window),
    chart,
    exemplars: filtered,
  };
}

/** How the page and the island read the API: its four calls, and which errors are refusals. */
export interface MetricsLoaders {
  list(query: URLSearchParams): Promise<WireInstrumentList>;
  detail(key: string, query: URLSearchParams): Promise<WireInstrumentDetail>;
  chart(key: string, query: URLSearchParams): Promise<WireInstrumentChart>;
  exemplars(key: string, query: URLSearchParams): Promise<WireExemplars>;
  /** The sentence of the API's refusal of a query (400, 404); undefined for other failures. */
  refusal(error: unknown): string | undefined;
}

/**
 * The page's data for `filters`. A refused instrument (unknown key) is `selectedError`; a refused
 * chart query `chartError`, beside the instrument's attributes; any other failure throws.
 */
export async function loadMetricsData(
  filters: MetricsFilters,
  loaders: MetricsLoaders,
): Promise<MetricsData> {
  const queries = metricsQueries(filters);
  const key = filters.instrument;
  const refused = (error: unknown) => {
    const sentence = loaders.refusal(error);
    if (sentence === undefined) throw error;
    return sentence;
  };
  let selectedError: string | undefined;
  const [list, selected] = await Promise.all([
    loaders.list(queries.list),
    key === "" ? null : Promise.all([
      loaders.detail(key, queries.window),
      Promise.all([
        loaders.chart(key, queries.chart),
        loaders.exemplars(key, queries.exemplars),
      ]).then(
        ([chart, exemplars]) => ({ chart, exemplars }),
        (error) => ({ chart: null, exemplars: null, chartError: refused(error) }),
      ),
    ]).then(
      ([detail, chart]): SelectedInstrument => ({ detail, ...chart }),
      (error) => {
        selectedError = refused(error);
        return null;
      },
    ),
  ]);
  return selectedError === undefined ? { list, selected } : { list, selected, selectedError };
}
