import assert from "node:assert/strict";
import {
  attrFilterChoices,
  loadMetricsData,
  METRICS_DEFAULTS,
  METRICS_URL,
  type MetricsFilters,
  type MetricsLoaders,
  metricsQueries,
  parseMetricsFilters,
  withAttrFilter,
} from "./metrics_data.ts";
import { urlChange } from "../hooks/url_state.ts";
import type { WireInstrumentChart, WireInstrumentDetail } from "../../utils/wire.ts";

const KEY = "a".repeat(32);

const filters = (patch: Partial<MetricsFilters>): MetricsFilters => ({
  ...METRICS_DEFAULTS,
  attr: [],
  ...patch,
});

Deno.test("parseMetricsFilters() reads the flat filters and every attr, in order", () => {
  assert.deepEqual(
    parseMetricsFilters(`?instrument=${KEY}&attr=outcome%3Dok&range=1h&attr=a%3Db%3Dc&other=x`),
    filters({ instrument: KEY, range: "1h", attr: ["outcome=ok", "a=b=c"] }),
  );
  assert.deepEqual(parseMetricsFilters(""), filters({}));
  assert.equal(parseMetricsFilters("?range=").range, METRICS_DEFAULTS.range);
});

Deno.test("METRICS_URL writes one attr per filter, keeps other keys, and round-trips", () => {
  const state = filters({ service: "checkout", instrument: KEY, attr: ["outcome=ok", "k=a&b"] });
  const search = METRICS_URL.serialize(state, "?other=x&attr=old%3D1");
  assert.equal(
    search,
    `?other=x&service=checkout&instrument=${KEY}&attr=outcome%3Dok&attr=k%3Da%26b`,
  );
  assert.deepEqual(METRICS_URL.parse(search), state);
  // Removing the last filter removes attr from the URL; the default range is left out.
  assert.equal(
    METRICS_URL.serialize({ ...state, attr: [], range: "5m" }, search),
    `?other=x&service=checkout&instrument=${KEY}`,
  );
  // The same filters: no history entry.
  assert.equal(urlChange(METRICS_URL, search, state), undefined);
});

Deno.test("withAttrFilter() adds a filter, replacing one on the same key", () => {
  assert.deepEqual(withAttrFilter([], "outcome=ok"), ["outcome=ok"]);
  assert.deepEqual(withAttrFilter(["outcome=ok", "route=/pay"], "outcome=failed"), [
    "route=/pay",
    "outcome=failed",
  ]);
  // A key holding "=" is cut at the first one, as the API reads it.
  assert.deepEqual(withAttrFilter(["a=b=c"], "a=d"), ["a=d"]);
});

Deno.test("attrFilterChoices() offers each key=value not filtered on, grouped by key", () => {
  const attributes: WireInstrumentDetail["attributes"] = [
    { key: "outcome", values: ["failed", "ok"] },
    { key: "route", values: ["/pay"] },
  ];
  assert.deepEqual(attrFilterChoices(attributes, ["route=/pay", "outcome=ok"]), [
    { group: "outcome", items: [{ value: "outcome=failed", label: "outcome=failed" }] },
  ]);
  assert.deepEqual(attrFilterChoices([], []), []);
});

Deno.test("metricsQueries() sends attr to the chart and the exemplars, not to the list or detail", () => {
  const queries = metricsQueries(
    filters({ instrument: KEY, agg: "increase", group_by: "route", attr: ["outcome=ok", "x=1"] }),
  );
  assert.equal(queries.list.toString(), "limit=1000");
  assert.equal(queries.window.toString(), "");
  assert.equal(
    queries.chart.toString(),
    "attr=outcome%3Dok&attr=x%3D1&agg=increase&group_by=route",
  );
  assert.equal(queries.exemplars.toString(), "attr=outcome%3Dok&attr=x%3D1");
  assert.equal(metricsQueries(filters({ range: "1h" })).chart.toString(), "range=1h");
});

class Refused extends Error {}

function loaders(fail: { detail?: Error; chart?: Error }): MetricsLoaders {
  const detail = { instrument: { key: KEY }, attributes: [], limited: false };
  return {
    list: () => Promise.resolve({ instruments: [], limited: false }),
    detail: () => fail.detail ? Promise.reject(fail.detail) : Promise.resolve(detail as never),
    chart: () =>
      fail.chart ? Promise.reject(fail.chart) : Promise.resolve({} as WireInstrumentChart),
    exemplars: () => Promise.resolve({ exemplars: [], limited: false }),
    refusal: (error) => error instanceof Refused ? error.message : undefined,
  };
}

Deno.test("loadMetricsData() keeps the instrument's pickers when its chart query is refused", async () => {
  const selected = filters({ instrument: KEY });
  const ok = await loadMetricsData(selected, loaders({}));
  assert.ok(ok.selected?.chart !== null && ok.selectedError === undefined);
  const refused = await loadMetricsData(selected, loaders({ chart: new Refused("too many") }));
  assert.equal(refused.selected?.chart, null);
  assert.equal(refused.selected?.exemplars, null);
  assert.equal(refused.selected?.chartError, "too many");
  assert.equal(refused.selected?.detail.instrument.key, KEY);
  const unknown = await loadMetricsData(selected, loaders({ detail: new Refused("no such key") }));
  assert.deepEqual([unknown.selected, unknown.selectedError], [null, "no such key"]);
  await assert.rejects(loadMetricsData(selected, loaders({ chart: new Error("down") })), /down/);
  assert.equal((await loadMetricsData(filters({}), loaders({}))).selected, null);
});
