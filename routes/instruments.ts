/**
 * Stored OTLP metrics (issue 16) under `/api/instruments`: the `/api/metrics/*` paths are the
 * span dashboards, so here a metric is an "instrument" and its data "metric points".
 *
 * - `GET /api/instruments`: instruments with points in the window, by service and name.
 * - `GET /api/instruments/{key}`: one instrument and its series' attribute keys and values.
 * - `GET /api/instruments/{key}/chart`: the window cut into steps, the series (filtered by
 *   `attr`) merged per group (`group_by`), each step's values as the metric math computes them
 *   (utils/metric_math.ts): gauges last/avg/min/max/sum, counters and delta sums rate and
 *   increase, histograms count/sum/avg/rate and p50/p90/p99, summaries count/sum/avg/rate and
 *   their quantiles.
 * - `GET /api/instruments/{key}/exemplars`: the exemplars of the window's points.
 *
 * The step: `step` when given (a 400 past METRIC_MAX_STEPS steps), else one of a ladder of round
 * steps giving about 240 steps, never shorter than the series' export interval and preferably a
 * whole number of them: each increase goes whole to the step of the point that closes it (no
 * extrapolation, utils/metric_sums.ts), so a 15 s step over a 10 s exporter would alternate one
 * and two increases and draw a saw. The export interval is the median gap between a few series'
 * recent points (a few index seeks). Steps are aligned to whole multiples of the step since the
 * epoch (the first may start before `from`).
 *
 * The points: a step of whole minutes reads the rollups of the coarsest level it is a whole
 * number of (60 s, 600 s, 3600 s: store/metric_rollups.ts), which chart exactly as the raw points
 * do, so a 24 h chart of a 10 s exporter reads about 2 points per 10-minute bucket instead of
 * 60; the recent part not rolled up yet, and buckets with late points, are read raw. Other steps
 * read raw points: METRIC_MAX_POINTS bounds them (counted first, which costs little).
 * METRIC_MAX_SERIES bounds the series one query reads.
 *
 * @module
 */
import {
  type AttributeMatch,
  exponentialHistogramPoints,
  histogramPoints,
  type InstrumentReads,
  METRIC_ROLLUP_LEVELS,
  type MetricRollupLevel,
  type MetricWindow,
  numberPoints,
  seriesAttributeValues,
  type SeriesPoints,
  type StoredMetricExemplar,
  type StoredMetricInstrument,
  type StoredMetricInstrumentWithResource,
  type StoredMetricSeries,
  summaryPoints,
  type TimeWindow,
  TooManyPointsError,
} from "../store/mod.ts";
import {
  counterSteps,
  deltaSumSteps,
  exponentialHistogramStats,
  exponentialHistogramSteps,
  finiteOrNull,
  gaugeSteps,
  histogramStats,
  histogramSteps,
  mergeExponentialHistogramSteps,
  mergeHistogramSteps,
  stepSeconds,
  stepStartUnixNano,
  type StepWindow,
  summarySteps,
} from "../utils/metric_math.ts";
import { encodeAnyValueJson, parseAttributesJson } from "../lib/any_value_json.ts";
import { DURATION_FORMAT, formatDurationMs, parseDurationMs } from "../lib/units.ts";
import { BadRequestError, NotFoundError } from "./http_error.ts";
import {
  integer,
  parameter,
  parseHexId,
  parseQuery,
  type QueryContext,
  SERVICE,
  text,
  WINDOW,
} from "./query_params.ts";
import { parseAttributeFilters } from "./traces.ts";
import { formatTimeNs, plainAttributes, wireResource, wireScope } from "./wire.ts";
import { escapeText, unescapeText as asSent } from "../utils/text_escape.ts";
import { wholeText } from "../store/long_text.ts";
import type {
  Json,
  WireChartGroup,
  WireChartShape,
  WireExemplar,
  WireExemplars,
  WireInstrument,
  WireInstrumentChart,
  WireInstrumentDetail,
  WireInstrumentList,
} from "../utils/wire.ts";

export interface InstrumentsDeps {
  store: { instruments: InstrumentReads };
  queryMaxWindowMs: number;
  now: () => number;
  /** METRIC_MAX_STEPS (default 11,000). */
  metricMaxSteps?: number;
  /** METRIC_MAX_SERIES (default 500). */
  metricMaxSeries?: number;
  /** METRIC_MAX_POINTS (default 1,000,000). */
  metricMaxPoints?: number;
}

export const DEFAULT_METRIC_MAX_STEPS = 11_000;
export const DEFAULT_METRIC_MAX_SERIES = 500;
/** About 1 to 5 s and a few hundred MB of rows on SQLite (bench/metric_chart.ts). */
export const DEFAULT_METRIC_MAX_POINTS = 1_000_000;
/** Steps a chart aims at when no `step` is given. */
export const TARGET_STEPS = 240;
/** Most series one instrument's attribute listing reads. */
const DETAIL_SERIES_READ = 10_000;
/**
 * Most series of one instrument a chart looks through for its `attr` filters: at least
 * MAX_SERIES_PER_INSTRUMENT's highest value, so that a chart sees every series ingest admits.
 */
const CHART_SERIES_SCAN = 100_000;

const NS_PER_SECOND = 1_000_000_000n;
const MIN_STEP_MS = 1_000;
const MAX_STEP_MS = 31 * 86_400_000;

/** Round steps, in seconds, the default step is chosen from (then whole days). */
const STEP_LADDER = [
  1,
  2,
  5,
  10,
  15,
  30,
  60,
  120,
  300,
  600,
  900,
  1800,
  3600,
  7200,
  10800,
  21600,
  43200,
  86400,
];

/** The aggregations each shape offers, the default first. */
export const CHART_AGGS: Readonly<Record<WireChartShape, readonly string[]>> = {
  gauge: ["last", "avg", "min", "max", "sum"],
  counter: ["rate", "increase"],
  histogram: ["p50", "p90", "p99", "avg", "count", "sum", "rate"],
  exponential_histogram: ["p50", "p90", "p99", "avg", "count", "sum", "rate"],
  summary: ["avg", "count", "sum", "rate"],
};

const ALL_AGGS = [...new Set(Object.values(CHART_AGGS).flat())];

// --- Query parameters ---------------------------------------------------------------------------

/** `step`: a duration (`30s`, `5m`) or a number of seconds, from 1 s to 31 days, in ms. */
function parseStep(params: URLSearchParams): number | undefined {
  const value = params.get("step");
  if (value === null || value === "") return undefined;
  const ms = /^\d{1,9}(\.\d{1,3})?$/.test(value) ? Number(value) * 1000 : parseDurationMs(value);
  if (ms === undefined || !(ms >= MIN_STEP_MS && ms <= MAX_STEP_MS)) {
    throw new BadRequestError(
      `Cannot use 'step' as it must be ${DURATION_FORMAT} or a number of seconds, from 1s to ` +
        `31d: current value is ${JSON.stringify(value.slice(0, 80))}`,
    );
  }
  return Math.round(ms);
}

function parseGroupBy(params: URLSearchParams): string | undefined {
  const value = params.get("group_by");
  if (value === null || value === "") return undefined;
  if (value.length > 256) {
    throw new BadRequestError(
      `Cannot use 'group_by' as it must be an attribute key of at most 256 characters: current ` +
        `value has ${value.length}`,
    );
  }
  return value;
}

function parseAgg(params: URLSearchParams): string | undefined {
  const value = params.get("agg");
  if (value === null || value === "") return undefined;
  if (!ALL_AGGS.includes(value)) {
    throw new BadRequestError(
      `Cannot use 'agg' as it must be one of ${ALL_AGGS.join(", ")}: current value is ${
        JSON.stringify(value.slice(0, 80))
      }`,
    );
  }
  return value;
}

const ATTR = parameter("attr", parseAttributeFilters);

/** The query of `GET /api/instruments`. */
export const INSTRUMENT_LIST_QUERY = {
  window: WINDOW,
  service: SERVICE,
  q: text("q"),
  limit: integer("limit", 500, 1, 1000),
};

/** The query of `GET /api/instruments/{key}`. */
export const INSTRUMENT_QUERY = { window: WINDOW };

/** The query of `GET /api/instruments/{key}/chart`. */
export const INSTRUMENT_CHART_QUERY = {
  window: WINDOW,
  step: parameter("step", parseStep),
  attributes: ATTR,
  groupBy: parameter("group_by", parseGroupBy),
  agg: parameter("agg", parseAgg),
};

/** The query of `GET /api/instruments/{key}/exemplars`. */
export const INSTRUMENT_EXEMPLARS_QUERY = {
  window: WINDOW,
  attributes: ATTR,
  limit: integer("limit", 500, 1, 10_000),
};

function context(deps: InstrumentsDeps): QueryContext {
  return { nowMs: deps.now(), maxWindowMs: deps.queryMaxWindowMs };
}

function metricWindow(window: TimeWindow): MetricWindow {
  return { fromNs: window.startNs, toNs: window.endNs };
}

// --- Wire ---------------------------------------------------------------------------------------

/**
 * An instrument as answered: its plain text fields, stored escaped (utils/text_escape.ts), as sent,
 * and whole where longer than their columns (store/long_text.ts); its service as listed.
 */
export function wireInstrument(row: StoredMetricInstrument, seriesCount: number): WireInstrument {
  const whole = wholeText(row);
  const scope = wireScope(row, "plain", whole);
  return {
    key: row.key,
    service_name: asSent(row.serviceName),
    scope_name: scope.name,
    scope_version: scope.version,
    scope,
    name: asSent(whole("name")),
    description: asSent(row.description),
    unit: asSent(whole("unit")),
    type: row.type,
    temporality: row.temporality,
    monotonic: row.monotonic,
    first_seen: formatTimeNs(row.firstSeenUnixNano),
    last_seen: formatTimeNs(row.lastSeenUnixNano),
    series_count: seriesCount,
  };
}

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

function wireExemplar(exemplar: StoredMetricExemplar, series: StoredMetricSeries): WireExemplar {
  const { value } = exemplar;
  return {
    time: formatTimeNs(exemplar.timeUnixNano),
    point_time: formatTimeNs(exemplar.pointTimeUnixNano),
    value: typeof value === "bigint"
      ? (value <= MAX_EXACT && value >= -MAX_EXACT ? Number(value) : value.toString())
      : finiteOrNull(value),
    trace_id: exemplar.traceId === "" ? null : exemplar.traceId,
    span_id: exemplar.spanId === "" ? null : exemplar.spanId,
    attributes: plainAttributes(exemplar.filteredAttributes),
    series_attributes: plainAttributes(series.attributes) as Record<string, Json>,
  };
}

// --- Handlers -----------------------------------------------------------------------------------

/** `GET /api/instruments`. */
export async function listInstruments(
  params: URLSearchParams,
  deps: InstrumentsDeps,
): Promise<WireInstrumentList> {
  const query = parseQuery(INSTRUMENT_LIST_QUERY, params, context(deps));
  const window = metricWindow(query.window);
  // Compared with the stored text, which is escaped (utils/text_escape.ts; `service` is already).
  const rows = await deps.store.instruments.instruments({
    serviceName: query.service,
    nameContains: query.q === undefined ? undefined : escapeText(query.q),
    window,
    limit: query.limit + 1,
  });
  const page = rows.slice(0, query.limit);
  const counts = await deps.store.instruments.seriesCounts(page.map((r) => r.key), window);
  return {
    instruments: page.map((row) => wireInstrument(row, counts.get(row.key) ?? 0)),
    limited: rows.length > query.limit,
  };
}

async function instrumentOf(
  key: string,
  deps: InstrumentsDeps,
): Promise<StoredMetricInstrumentWithResource> {
  const id = parseHexId("key", key, 32);
  const row = await deps.store.instruments.instrument(id);
  if (row === undefined) throw new NotFoundError(`No instrument has key ${id}`);
  return row;
}

/** `GET /api/instruments/{key}`. */
export async function instrumentDetail(
  key: string,
  params: URLSearchParams,
  deps: InstrumentsDeps,
): Promise<WireInstrumentDetail> {
  const query = parseQuery(INSTRUMENT_QUERY, params, context(deps));
  const instrument = await instrumentOf(key, deps);
  const window = metricWindow(query.window);
  const series = await deps.store.instruments.series(instrument.key, {
    window,
    limit: DETAIL_SERIES_READ + 1,
  });
  const limited = series.length > DETAIL_SERIES_READ;
  const count = limited
    ? (await deps.store.instruments.seriesCounts([instrument.key], window)).get(instrument.key) ?? 0
    : series.length;
  const { resource } = instrument;
  return {
    instrument: wireInstrument(instrument, count),
    resource_attributes: resource === undefined ? null : plainAttributes(resource.attributes),
    resource: resource === undefined ? null : wireResource(resource),
    attributes: seriesAttributeValues(series.slice(0, DETAIL_SERIES_READ)),
    limited,
  };
}

/** A series' attributes as text by key (strings as they are, others as AnyValue JSON). */
function attributeTexts(series: StoredMetricSeries): Map<string, string> {
  return new Map(
    parseAttributesJson(series.attributes).map(({ key, value }) => [
      key,
      value.type === "string" ? value.value : encodeAnyValueJson(value),
    ]),
  );
}

/**
 * The instrument's series in the window that match every `attr` filter, at most
 * METRIC_MAX_SERIES (a 400 beyond, naming the setting and the keys to filter by).
 */
async function matchingSeries(
  instrument: StoredMetricInstrument,
  window: MetricWindow,
  filters: readonly AttributeMatch[],
  deps: InstrumentsDeps,
): Promise<{ series: StoredMetricSeries; texts: Map<string, string> }[]> {
  const all = await deps.store.instruments.series(instrument.key, {
    window,
    limit: CHART_SERIES_SCAN,
  });
  const matching = all.map((series) => ({ series, texts: attributeTexts(series) }))
    .filter(({ texts }) => filters.every((f) => texts.get(f.key) === f.value));
  const max = deps.metricMaxSeries ?? DEFAULT_METRIC_MAX_SERIES;
  if (matching.length > max) {
    const keys = seriesAttributeValues(matching.slice(0, 1000).map((m) => m.series))
      .map((a) => a.key);
    throw new BadRequestError(
      `Cannot read ${matching.length} series of ${
        asSent(instrument.name)
      } as at most ${max} are read ` +
        `per query (METRIC_MAX_SERIES): narrow it with 'attr' filters${
          keys.length > 0 ? ` on ${keys.slice(0, 10).join(", ")}` : ""
        }`,
    );
  }
  return matching;
}

/** How the chart reads the instrument's points. */
export function chartShape(instrument: StoredMetricInstrument): WireChartShape {
  switch (instrument.type) {
    case "gauge":
      return "gauge";
    case "sum":
      // An up-down counter's value is a level, not a count of events.
      return instrument.temporality === "delta" || instrument.monotonic ? "counter" : "gauge";
    default:
      return instrument.type;
  }
}

/**
 * The default step, in seconds: the first round step giving at most TARGET_STEPS steps (and at
 * most `maxSteps`), no shorter than the export interval, and a whole number of intervals where
 * one of the next few round steps is (within 5%); past a day, whole days.
 */
export function defaultStepSeconds(
  windowSeconds: number,
  intervalSeconds: number | null,
  maxSteps: number,
): number {
  const least = Math.max(
    windowSeconds / TARGET_STEPS,
    windowSeconds / maxSteps,
    intervalSeconds ?? 0,
    1,
  );
  const ladder = [...STEP_LADDER];
  const lastDay = Math.ceil(least / 86_400) + 1;
  for (let days = 2; days <= lastDay; days++) ladder.push(days * 86_400);
  const candidates = ladder.filter((step) => step >= least);
  if (intervalSeconds !== null && intervalSeconds > 0) {
    const whole = candidates.slice(0, 4).find((step) => {
      const ratio = step / intervalSeconds;
      return Math.abs(ratio - Math.round(ratio)) <= 0.05 * Math.round(ratio);
    });
    if (whole !== undefined) return whole;
  }
  return candidates[0] ?? ladder[ladder.length - 1]!;
}

/** The step as the chart uses it, in ns: `step` checked against METRIC_MAX_STEPS, or a default. */
function chooseStepNs(
  window: MetricWindow,
  stepMs: number | undefined,
  intervalNs: bigint | null,
  maxSteps: number,
): bigint {
  const length = window.toNs - window.fromNs;
  if (stepMs !== undefined) {
    const step = BigInt(stepMs) * 1_000_000n;
    const steps = (length + step - 1n) / step;
    if (steps > BigInt(maxSteps)) {
      const leastMs = Math.ceil(Number(length / 1_000_000n) / maxSteps);
      throw new BadRequestError(
        `Cannot use 'step' as it must cut the window into at most ${maxSteps} steps ` +
          `(METRIC_MAX_STEPS), i.e. be at least ${formatDurationMs(Math.max(leastMs, 1000))}: ` +
          `current value is ${JSON.stringify(formatDurationMs(stepMs))} (${steps} steps)`,
      );
    }
    return step;
  }
  const seconds = defaultStepSeconds(
    Number(length) / 1e9,
    intervalNs === null ? null : Number(intervalNs) / 1e9,
    maxSteps,
  );
  return BigInt(seconds) * NS_PER_SECOND;
}

/**
 * The window the chart's steps cover: its start moved back to a whole multiple of the step since
 * the Unix epoch, so that steps fall at the same instants whatever the window (an auto-refreshed
 * chart does not shift its points) and a step of whole minutes is whole rollup buckets.
 */
export function alignedWindow(window: MetricWindow, stepNs: bigint): MetricWindow {
  return { fromNs: window.fromNs - window.fromNs % stepNs, toNs: window.toNs };
}

/**
 * The rollup level a chart of this step reads (store/metric_rollups.ts): the coarsest level the
 * step is a whole number of, or null (raw points) for a step that is not whole minutes.
 */
export function rollupLevel(stepNs: bigint): MetricRollupLevel | null {
  const levels = [...METRIC_ROLLUP_LEVELS].sort((a, b) => b - a);
  return levels.find((level) => stepNs % (BigInt(level) * NS_PER_SECOND) === 0n) ?? null;
}

/** Points of a series with its baseline first (the cumulative math's predecessor). */
function withBaseline(series: SeriesPoints) {
  return series.baseline === undefined ? series.points : [series.baseline, ...series.points];
}

type Steps = (number | null)[];

/** Per step, `pick` over the series' steps that have data (null when none has). */
function combine<T extends object>(
  series: readonly (readonly (T | null)[])[],
  length: number,
  pick: (steps: T[], index: number) => number | null,
): Steps {
  return Array.from({ length }, (_, index) => {
    const present = series.map((steps) => steps[index] ?? null).filter((s): s is T => s !== null);
    return present.length === 0 ? null : finiteOrNull(pick(present, index) ?? undefined);
  });
}

const total = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** One group's chart values (its series' points merged), by shape. */
function groupValues(
  shape: WireChartShape,
  instrument: StoredMetricInstrument,
  series: readonly SeriesPoints[],
  window: StepWindow,
  length: number,
  maxSteps: number,
): Omit<WireChartGroup, "attributes" | "series" | "values"> {
  const temporality = instrument.temporality === "delta" ? "delta" : "cumulative";
  const seconds = (index: number) => stepSeconds(window, index);
  switch (shape) {
    case "gauge": {
      const steps = series.map((s) => gaugeSteps(numberPoints(withBaseline(s)), window, maxSteps));
      return {
        stats: {
          // Several series: the mean of their last values; `sum` adds them (e.g. stock per item).
          last: combine(steps, length, (s) => total(s.map((g) => g.last)) / s.length),
          avg: combine(
            steps,
            length,
            (s) => total(s.map((g) => g.avg * g.points)) / total(s.map((g) => g.points)),
          ),
          min: combine(steps, length, (s) => Math.min(...s.map((g) => g.min))),
          max: combine(steps, length, (s) => Math.max(...s.map((g) => g.max))),
          sum: combine(steps, length, (s) => total(s.map((g) => g.last))),
        },
      };
    }
    case "counter": {
      const steps = series.map((s) => {
        const points = numberPoints(withBaseline(s));
        return temporality === "delta"
          ? deltaSumSteps(points, window, maxSteps)
          : counterSteps(points, window, maxSteps);
      });
      const increase = combine(steps, length, (s) => total(s.map((c) => c.increase)));
      return {
        stats: {
          rate: increase.map((v, i) => (v === null ? null : v / seconds(i))),
          increase,
        },
      };
    }
    case "histogram":
    case "exponential_histogram": {
      const stats = shape === "histogram"
        ? mergeHistogramSteps(
          series.map((s) =>
            histogramSteps(histogramPoints(withBaseline(s)), window, temporality, maxSteps)
          ),
        ).map(histogramStats)
        : mergeExponentialHistogramSteps(
          series.map((s) =>
            exponentialHistogramSteps(
              exponentialHistogramPoints(withBaseline(s)),
              window,
              temporality,
              maxSteps,
            )
          ),
        ).map((step) => {
          const s = exponentialHistogramStats(step);
          if (s === null) return null;
          const unavailable = s.count > 0 && s.percentiles === null ? "no bounded bucket" : null;
          return { ...s, unavailable } as const;
        });
      const field = (f: (s: NonNullable<typeof stats[number]>, i: number) => number | null) =>
        stats.map((s, i) => (s === null ? null : finiteOrNull(f(s, i) ?? undefined)));
      return {
        stats: {
          p50: field((s) => s.percentiles?.p50 ?? null),
          p90: field((s) => s.percentiles?.p90 ?? null),
          p99: field((s) => s.percentiles?.p99 ?? null),
          avg: field((s) => s.avg),
          count: field((s) => s.count),
          sum: field((s) => s.sum),
          rate: field((s, i) => s.count / seconds(i)),
        },
        unavailable: stats.map((s) => s?.unavailable ?? null),
      };
    }
    case "summary": {
      const steps = series.map((s) =>
        summarySteps(summaryPoints(withBaseline(s)), window, maxSteps)
      );
      const count = combine(steps, length, (s) => total(s.map((x) => x.count)));
      const sum = combine(steps, length, (s) => total(s.map((x) => x.sum)));
      // A producer's quantiles cannot be merged across series: shown for a lone series only.
      let quantiles: WireChartGroup["quantiles"] = null;
      if (steps.length === 1) {
        const only = steps[0]!;
        const qs = [...new Set(only.flatMap((s) => s?.quantiles.map((q) => q.quantile) ?? []))]
          .sort((a, b) => a - b);
        quantiles = qs.map((quantile) => ({
          quantile,
          values: only.map((s) =>
            finiteOrNull(s?.quantiles.find((q) => q.quantile === quantile)?.value)
          ),
        }));
      }
      return {
        stats: {
          avg: count.map((c, i) => (c === null || c === 0 ? null : finiteOrNull(sum[i]! / c))),
          count,
          sum,
          rate: count.map((c, i) => (c === null ? null : c / seconds(i))),
        },
        quantiles,
      };
    }
  }
}

/** `GET /api/instruments/{key}/chart`. */
export async function instrumentChart(
  key: string,
  params: URLSearchParams,
  deps: InstrumentsDeps,
): Promise<WireInstrumentChart> {
  const query = parseQuery(INSTRUMENT_CHART_QUERY, params, context(deps));
  const instrument = await instrumentOf(key, deps);
  const shape = chartShape(instrument);
  const aggs = CHART_AGGS[shape];
  const agg = query.agg ?? aggs[0]!;
  if (!aggs.includes(agg)) {
    throw new BadRequestError(
      `Cannot use 'agg' for ${asSent(instrument.name)} (a ${shape}) as it must be one of ` +
        `${aggs.join(", ")}: current value is ${JSON.stringify(agg)}`,
    );
  }
  const maxSteps = deps.metricMaxSteps ?? DEFAULT_METRIC_MAX_STEPS;
  const asked = metricWindow(query.window);
  // A given step is checked before any point is read.
  if (query.step !== undefined) chooseStepNs(asked, query.step, null, maxSteps);
  const matching = await matchingSeries(instrument, asked, query.attributes, deps);
  const seriesKeys = matching.map((m) => m.series.seriesKey);
  const intervalNs = await deps.store.instruments.exportIntervalNs(seriesKeys, asked);
  const stepNs = chooseStepNs(asked, query.step, intervalNs, maxSteps);
  const window = alignedWindow(asked, stepNs);
  const level = rollupLevel(stepNs);
  const maxPoints = deps.metricMaxPoints ?? DEFAULT_METRIC_MAX_POINTS;
  const tooMany = (count: number) =>
    new BadRequestError(
      `Cannot read ${count} points of ${
        asSent(instrument.name)
      } as at most ${maxPoints} are read per ` +
        `chart (METRIC_MAX_POINTS): shorten the window, ` +
        (level === null
          ? `choose a 'step' of a whole number of minutes (read from rollups) `
          : `wait for the rollups of older points to be built (METRIC_ROLLUP_EVERY) `) +
        `or narrow it with 'attr' filters`,
    );
  let points: SeriesPoints[];
  if (level === null) {
    const count = await deps.store.instruments.pointCount(seriesKeys, window);
    if (count > maxPoints) throw tooMany(count);
    points = await deps.store.instruments.points(seriesKeys, window);
  } else {
    try {
      points = await deps.store.instruments.chartPoints(seriesKeys, window, level, maxPoints);
    } catch (error) {
      if (error instanceof TooManyPointsError) throw tooMany(error.points);
      throw error;
    }
  }
  const stepWindow: StepWindow = {
    fromUnixNano: window.fromNs,
    toUnixNano: window.toNs,
    stepNano: stepNs,
  };
  const length = Number((window.toNs - window.fromNs + stepNs - 1n) / stepNs);

  // Groups by the group_by attribute's text (null: series without it), in value order.
  const groups = new Map<string | null, SeriesPoints[]>();
  const textsByKey = new Map(matching.map((m) => [m.series.seriesKey, m.texts]));
  for (const series of points) {
    const value = query.groupBy === undefined
      ? null
      : textsByKey.get(series.seriesKey)?.get(query.groupBy) ?? null;
    let list = groups.get(value);
    if (list === undefined) groups.set(value, list = []);
    list.push(series);
  }
  const order = (a: string | null, b: string | null) =>
    a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1;
  const wireGroups = [...groups.keys()].sort(order).map((value): WireChartGroup => {
    const members = groups.get(value)!;
    // The aligned window may have one step more than the one asked for.
    const computed = groupValues(shape, instrument, members, stepWindow, length, maxSteps + 1);
    return {
      attributes: query.groupBy === undefined ? {} : { [query.groupBy]: value },
      series: members.length,
      values: computed.stats[agg]!,
      ...computed,
    };
  });
  return {
    instrument: wireInstrument(instrument, matching.length),
    shape,
    agg,
    aggs: [...aggs],
    step_seconds: Number(stepNs) / 1e9,
    interval_seconds: intervalNs === null ? null : Number(intervalNs) / 1e9,
    times: Array.from({ length }, (_, i) => formatTimeNs(stepStartUnixNano(stepWindow, i))),
    series: matching.length,
    groups: wireGroups,
  };
}

/** `GET /api/instruments/{key}/exemplars`. */
export async function instrumentExemplars(
  key: string,
  params: URLSearchParams,
  deps: InstrumentsDeps,
): Promise<WireExemplars> {
  const query = parseQuery(INSTRUMENT_EXEMPLARS_QUERY, params, context(deps));
  const instrument = await instrumentOf(key, deps);
  const window = metricWindow(query.window);
  const matching = await matchingSeries(instrument, window, query.attributes, deps);
  const byKey = new Map(matching.map((m) => [m.series.seriesKey, m.series]));
  const rows = await deps.store.instruments.exemplars([...byKey.keys()], window, query.limit + 1);
  return {
    exemplars: rows.slice(0, query.limit).map((row) =>
      wireExemplar(row, byKey.get(row.seriesKey)!)
    ),
    limited: rows.length > query.limit,
  };
}
