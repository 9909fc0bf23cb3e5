/**
 * From a metrics request as read (`MetricsRequestIn`, from either wire format) to the rows the
 * store writes: validation one data point at a time, instruments, series and point keys.
 *
 * ## Identity (what a retry or a replay must find again)
 * - **Instrument** (`instrumentKey`): hash of the resource id, scope name, version and attributes,
 *   metric name, type, unit, temporality and monotonicity, as sent. Not the description: it
 *   documents the instrument, and a corrected description should not start a new one (in one
 *   request, the first description seen is kept). Nor the scope's schema URL and dropped count, as
 *   for spans and records: they describe the scope, and keys stored before them must not change.
 *   The resource id covers its entity refs only when there are some (store/ids.ts).
 * - **Series** (`seriesKey`): hash of the instrument key and *all* of the point's attributes as
 *   canonical JSON: sorted by key (UTF-16 order, nested kvlists too, arrays kept in order), a
 *   repeated key's later value winning. Order-independent, and exact: the attribute limit
 *   (`maxAttributes`) trims what is stored (the first keys in canonical order; the rest counted in
 *   `droppedAttributesCount`), never what identifies the series, so two series that differ only
 *   past the limit are still two series.
 * - **Point** (`pointKey`): hash of the series key, start time and time. A retry of a request, or a
 *   dead letter replayed, gives the same keys; two points share one only if they claim the same
 *   series and interval. The store keeps the first point of a key and takes a later one for a
 *   retry (it cannot tell a retry from a correction without comparing values, and OTLP has no
 *   corrections).
 * - **Within one request** two points with the same key are either equal (value and flags: the
 *   second is folded into the first, not rejected) or in conflict: the later one is rejected,
 *   naming the earlier, and the first is kept, as the store would keep it.
 *
 * ## Validation (each refused point is one `rejected` entry; its neighbours are kept)
 * A problem of the resource, scope or metric refuses every point under it (the outermost reason
 * is given). A metric with no data field counts as one refused item, so the sender hears why.
 * - metric: `name` not empty; Sum, Histogram and ExponentialHistogram have
 *   `aggregation_temporality` 1 (delta) or 2 (cumulative).
 * - every point: `time_unix_nano` above 0; `start_time_unix_nano` 0 (not sent) or at most the time;
 *   valid UTF-8 and nesting within `maxValueDepth` in attributes; exemplars' ids 16 / 8 bytes or
 *   empty (all zeros: empty), and a value.
 * - a point with flags NO_RECORDED_VALUE (1) is a gap: kept with value `none`, its value fields
 *   not checked.
 * - number points: a value (as_int or as_double). **NaN and ±Infinity are kept in gauges** (a
 *   gauge reports what it read; OTLP allows any double) and **refused in sums** (rates and
 *   increases of them mean nothing).
 * - histogram: `explicit_bounds` finite and strictly increasing; `bucket_counts` one longer, or
 *   both empty; `count` the sum of the buckets when there are buckets.
 * - exponential histogram: `scale` from -10 to 20; `zero_threshold` finite and not negative;
 *   `count` = `zero_count` + all buckets.
 * - histogram and exponential histogram `sum`, `min`, `max` are optional: a NaN or ±Infinity
 *   there is stored as absent (null), not refused (an SDK with nothing observed may send its
 *   initial ±Infinity; the JS SDK's OTLP/JSON writes those as null anyway); `min` at most `max`.
 * - summary: `sum` finite; each quantile from 0 to 1, each value non-negative or NaN (Prometheus
 *   summaries report NaN quantiles when nothing was observed).
 * - counts are uint64 on the wire and stored as numbers: above 2^53 - 1 is refused.
 *
 * ## Text
 * The keys are computed from the text as sent; the rows then hold their plain text fields (service,
 * scope name, version and schema URL, metric name, description and unit) escaped
 * (utils/text_escape.ts: a NUL kept as U+E000 "0"), as the span and log decoders store theirs. Text
 * wider than its column is fitted by the store's screening (store/long_text.ts).
 *
 * @module
 */
import { type AnyValue, encodeAttributesJson, type KeyValue } from "../../lib/any_value_json.ts";
import { fastHash128, Hash128, resourceId } from "../../store/ids.ts";
import type { ResourceRow } from "../../store/types.ts";
import { escapeText } from "../../utils/text_escape.ts";
import { UNKNOWN_SERVICE } from "./batch_assembler.ts";
import {
  type ExemplarIn,
  type MetricExemplarRow,
  type MetricIn,
  type MetricInstrumentRow,
  type MetricPointValue,
  type MetricsDecoded,
  type MetricsRequestIn,
  type MetricType,
  NO_RECORDED_VALUE,
  type PointIn,
  type Temporality,
} from "./metrics_types.ts";
import type { DecodeLimits } from "./types.ts";

/** Metric.data members as OTLP/JSON names them (used in paths). */
const MEMBER_NAMES: Record<MetricType, string> = {
  gauge: "gauge",
  sum: "sum",
  histogram: "histogram",
  exponential_histogram: "exponentialHistogram",
  summary: "summary",
};

const TEMPORALITY_NAMES: Temporality[] = ["none", "delta", "cumulative"];
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SCALE = -10;
const MAX_SCALE = 20;
/** Versions the hashes, so that a change of what they cover cannot meet an old key. */
const INSTRUMENT_KEY_TAG = "argus.metric.instrument.v1";

// ---------------------------------------------------------------------------------------------
// Canonical attributes.

function canonicalValue(value: AnyValue): AnyValue {
  if (value.type === "kvlist") return { type: "kvlist", value: canonicalList(value.value) };
  if (value.type === "array") return { type: "array", value: value.value.map(canonicalValue) };
  return value;
}

/** Lists up to this long are sorted by insertion rather than through a Map (see below). */
const SMALL_LIST = 16;

/** Sorted by key (UTF-16 code units), one entry per key (the later wins), kvlists alike. */
export function canonicalList(list: readonly KeyValue[]): KeyValue[] {
  if (list.length <= SMALL_LIST) return canonicalSmallList(list);
  const byKey = new Map<string, AnyValue>();
  for (const { key, value } of list) {
    byKey.delete(key);
    byKey.set(key, value);
  }
  const keys = [...byKey.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return keys.map((key) => ({ key, value: canonicalValue(byKey.get(key)!) }));
}

/**
 * `canonicalList` of a short list: a stable insertion sort, then of each run of equal keys the
 * last (the later wins). A point's few attributes took 1.4 µs through a Map and a sort, this
 * about a fifth (bench/_metrics_request.ts's three attributes).
 */
function canonicalSmallList(list: readonly KeyValue[]): KeyValue[] {
  const sorted: KeyValue[] = [];
  for (let i = 0; i < list.length; i++) {
    const entry = list[i]!;
    let at = sorted.length;
    while (at > 0 && entry.key < sorted[at - 1]!.key) at--;
    sorted.splice(at, 0, entry);
  }
  const out: KeyValue[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const { key, value } = sorted[i]!;
    if (i + 1 < sorted.length && sorted[i + 1]!.key === key) continue;
    out.push(
      value.type === "kvlist" || value.type === "array"
        ? { key, value: canonicalValue(value) }
        : { key, value },
    );
  }
  return out;
}

/** A point's attributes as stored: all of them in canonical JSON, and the kept ones. */
interface CanonicalAttributes {
  /** All attributes, canonical, as JSON: what identifies the series. */
  all: string;
  /** The first `maxAttributes` of them in canonical order, as JSON: what is stored. */
  kept: string;
  dropped: number;
}

function canonicalAttributes(
  list: readonly KeyValue[],
  maxAttributes: number,
): CanonicalAttributes {
  const canonical = canonicalList(list);
  const all = encodeAttributesJson(canonical);
  if (canonical.length <= maxAttributes) return { all, kept: all, dropped: 0 };
  return {
    all,
    kept: encodeAttributesJson(canonical.slice(0, maxAttributes)),
    dropped: canonical.length - maxAttributes,
  };
}

// ---------------------------------------------------------------------------------------------
// Validation of values.

/** Collects the problems of one point; "; "-joined into its reason. */
class Problems {
  readonly list: string[] = [];
  add(message: string): void {
    this.list.push(message);
  }
  reset(): this {
    this.list.length = 0;
    return this;
  }
}

/** The one `Problems` of the point being made (points are made one at a time). */
const PROBLEMS = new Problems();

function shown(value: number): string {
  return Object.is(value, -0) ? "-0" : String(value);
}

function count(p: Problems, value: bigint, field: string): number {
  if (value > MAX_SAFE) {
    p.add(`${field} must be at most ${Number.MAX_SAFE_INTEGER}: got ${value}`);
    return 0;
  }
  return Number(value);
}

function counts(p: Problems, values: bigint[], field: string): { list: number[]; total: bigint } {
  // Summed as numbers while exact (below 2^53), as bigints only past that: a bigint sum of a
  // histogram's 15 buckets cost about half a microsecond.
  const list: number[] = new Array(values.length);
  let sum = 0;
  let exact = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const n = Number(v);
    list[i] = n;
    sum += n;
    if (!(sum <= Number.MAX_SAFE_INTEGER)) exact = false;
  }
  if (exact) return { list, total: BigInt(sum) };
  let total = 0n;
  let tooLarge = false;
  for (const v of values) {
    total += v;
    if (v > MAX_SAFE) tooLarge = true;
  }
  if (tooLarge) p.add(`${field} must each be at most ${Number.MAX_SAFE_INTEGER}`);
  return { list, total };
}

/** An optional double kept only when finite (see the module documentation). */
function finiteOrNull(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) ? value : null;
}

function listShown(values: readonly number[]): string {
  const head = values.slice(0, 20).map(shown).join(", ");
  return `[${head}${values.length > 20 ? ", …" : ""}]`;
}

function pointValue(p: Problems, type: MetricType, point: PointIn): MetricPointValue {
  if ((point.flags & NO_RECORDED_VALUE) !== 0) return { kind: "none" };
  switch (type) {
    case "gauge":
    case "sum": {
      if (point.valueCase === 0) {
        p.add(
          "value must be set as as_int or as_double, or flags must have NO_RECORDED_VALUE (1): " +
            "got neither",
        );
        return { kind: "none" };
      }
      if (point.valueCase === 2) return { kind: "int", value: point.asInt };
      if (type === "sum" && !Number.isFinite(point.asDouble)) {
        p.add(
          `as_double of a sum must be finite (NaN and ±Infinity are accepted in gauges only): ` +
            `got ${point.asDouble}`,
        );
      }
      return { kind: "double", value: point.asDouble };
    }
    case "histogram": {
      const bounds = point.explicitBounds;
      let increasing = true;
      for (let i = 0; i < bounds.length; i++) {
        if (!Number.isFinite(bounds[i]!) || (i > 0 && !(bounds[i]! > bounds[i - 1]!))) {
          increasing = false;
        }
      }
      if (!increasing) {
        p.add(`explicit_bounds must be finite and strictly increasing: got ${listShown(bounds)}`);
      }
      const buckets = counts(p, point.bucketCounts, "bucket_counts");
      if (buckets.list.length !== 0 && buckets.list.length !== bounds.length + 1) {
        p.add(
          `bucket_counts must have one entry more than explicit_bounds (${bounds.length + 1}), ` +
            `or both must be empty: got ${buckets.list.length}`,
        );
      } else if (buckets.list.length !== 0 && buckets.total !== point.count) {
        p.add(`count must equal the sum of bucket_counts (${buckets.total}): got ${point.count}`);
      } else if (buckets.list.length === 0 && bounds.length !== 0) {
        p.add(
          `bucket_counts must have one entry more than explicit_bounds (${bounds.length + 1}), ` +
            `or both must be empty: got 0`,
        );
      }
      const min = finiteOrNull(point.min);
      const max = finiteOrNull(point.max);
      if (min !== null && max !== null && min > max) {
        p.add(`min must be at most max (${shown(max)}): got ${shown(min)}`);
      }
      return {
        kind: "histogram",
        count: count(p, point.count, "count"),
        sum: finiteOrNull(point.sum),
        min,
        max,
        explicitBounds: bounds,
        bucketCounts: buckets.list,
      };
    }
    case "exponential_histogram": {
      if (!Number.isInteger(point.scale) || point.scale < MIN_SCALE || point.scale > MAX_SCALE) {
        p.add(`scale must be an integer from ${MIN_SCALE} to ${MAX_SCALE}: got ${point.scale}`);
      }
      if (!Number.isFinite(point.zeroThreshold) || point.zeroThreshold < 0) {
        p.add(
          `zero_threshold must be a finite number of at least 0: got ${shown(point.zeroThreshold)}`,
        );
      }
      const positive = counts(p, point.positiveBucketCounts, "positive.bucket_counts");
      const negative = counts(p, point.negativeBucketCounts, "negative.bucket_counts");
      const total = point.zeroCount + positive.total + negative.total;
      if (total !== point.count) {
        p.add(
          `count must equal zero_count plus the positive and negative bucket_counts (${total}): ` +
            `got ${point.count}`,
        );
      }
      const min = finiteOrNull(point.min);
      const max = finiteOrNull(point.max);
      if (min !== null && max !== null && min > max) {
        p.add(`min must be at most max (${shown(max)}): got ${shown(min)}`);
      }
      return {
        kind: "exponential_histogram",
        count: count(p, point.count, "count"),
        sum: finiteOrNull(point.sum),
        min,
        max,
        scale: point.scale,
        zeroCount: count(p, point.zeroCount, "zero_count"),
        zeroThreshold: point.zeroThreshold,
        positiveOffset: point.positiveOffset,
        positiveBucketCounts: positive.list,
        negativeOffset: point.negativeOffset,
        negativeBucketCounts: negative.list,
      };
    }
    case "summary": {
      const sum = point.sum ?? 0;
      if (!Number.isFinite(sum)) p.add(`sum must be finite: got ${sum}`);
      point.quantiles.forEach(({ quantile, value }, i) => {
        if (!(quantile >= 0 && quantile <= 1)) {
          p.add(`quantile_values[${i}].quantile must be from 0 to 1: got ${shown(quantile)}`);
        }
        if (!(value >= 0 && value < Infinity) && value === value) {
          p.add(
            `quantile_values[${i}].value must be a finite number of at least 0, or NaN: got ${
              shown(value)
            }`,
          );
        }
      });
      return {
        kind: "summary",
        count: count(p, point.count, "count"),
        sum,
        quantiles: point.quantiles.map(({ quantile, value }) => ({ quantile, value })),
      };
    }
  }
}

function exemplarRow(p: Problems, e: ExemplarIn, i: number): MetricExemplarRow {
  if (e.valueCase === 0) p.add(`exemplars[${i}]: value must be set as as_int or as_double`);
  return {
    timeUnixNano: e.timeUnixNano,
    value: e.valueCase === 2 ? e.asInt : e.asDouble,
    traceId: e.traceId,
    spanId: e.spanId,
    filteredAttributes: encodeAttributesJson(e.filteredAttributes),
    droppedAttributesCount: e.droppedAttributesCount,
  };
}

/** The first point of a point key in a request (`metricsRows`). */
interface FirstPoint {
  /** Its metric's `…dataPoints` path, and its index there. */
  path: string;
  index: number;
  value: MetricPointValue;
  flags: number;
}

/** The state series keys are hashed in (one at a time). */
const SERIES_HASH = new Hash128();

/**
 * Decimal text of point times, remembering the last two: the points of one export share their
 * time and mostly their start, and bigint's toString cost about 0.2 µs a call.
 */
class TimeText {
  #a = -1n;
  #aText = "";
  #b = -1n;
  #bText = "";
  of(value: bigint): string {
    if (value === this.#a) return this.#aText;
    if (value === this.#b) return this.#bText;
    this.#b = this.#a;
    this.#bText = this.#aText;
    this.#a = value;
    return this.#aText = value.toString();
  }
}

/** What two points with the same key are compared by: their value and flags, exactly. */
function fingerprint(value: MetricPointValue, flags: number): string {
  return JSON.stringify([flags, value], (_key, v) => {
    if (typeof v === "bigint") return `${v}n`;
    if (typeof v === "number") return Object.is(v, -0) ? "-0" : Number.isFinite(v) ? v : String(v);
    return v;
  });
}

// ---------------------------------------------------------------------------------------------

/** A metric's plain text fields as stored (utils/text_escape.ts). */
interface StoredTexts {
  name: string;
  description: string;
  unit: string;
}

function storedTexts(metric: MetricIn): StoredTexts {
  return {
    name: escapeText(metric.name),
    description: escapeText(metric.description),
    unit: escapeText(metric.unit),
  };
}

function metricProblem(metric: MetricIn): string | undefined {
  const problems: string[] = [];
  if (metric.problem !== undefined) problems.push(metric.problem);
  if (metric.name === "" && metric.problem === undefined) problems.push("name must not be empty");
  const type = metric.type;
  if (
    type !== undefined && type !== "gauge" && type !== "summary" &&
    metric.temporality !== 1 && metric.temporality !== 2
  ) {
    problems.push(
      `aggregation_temporality must be 1 (DELTA) or 2 (CUMULATIVE): got ${metric.temporality}`,
    );
  }
  return problems.length === 0 ? undefined : problems.join("; ");
}

/** Validates the request's points and makes their rows (see the module documentation). */
export function metricsRows(request: MetricsRequestIn, limits: DecodeLimits): MetricsDecoded {
  const out: MetricsDecoded = {
    resources: [],
    instruments: [],
    points: [],
    pointIndexes: [],
    items: 0,
    rejected: [],
  };
  /** Refuses the data point counted last (`out.items - 1`). */
  const reject = (reason: string) => out.rejected.push({ index: out.items - 1, reason });
  const resourceIds = new Set<string>();
  const instruments = new Map<string, MetricInstrumentRow>();
  /**
   * Point key → the first point of that key: where it is, its value and flags. Their fingerprint
   * is worked out only when a second point has the key: for every point it cost 5 µs of the
   * 13 µs a point took here (JSON.stringify with a replacer, of histograms above all).
   */
  const seen = new Map<string, FirstPoint>();
  /**
   * A point's canonical attributes by its attributes' wire bytes (`PointIn.attributesKey`): the
   * instruments of one export mostly share their attribute sets (bench/_metrics_request.ts: each
   * set 50 times), whose sorting and JSON then cost once (2.9 µs a point before).
   */
  const canonicalByKey = new Map<string, CanonicalAttributes>();
  const times = new TimeText();
  request.resources.forEach((rm, ri) => {
    const rPath = `resourceMetrics[${ri}]`;
    let serviceName = UNKNOWN_SERVICE;
    for (const { key, value } of rm.attributes) {
      if (key === "service.name") {
        serviceName = value.type === "string" ? value.value : UNKNOWN_SERVICE;
      }
    }
    const fields = {
      serviceName,
      attributes: encodeAttributesJson(rm.attributes),
      droppedAttributesCount: rm.droppedAttributesCount,
      schemaUrl: rm.schemaUrl,
      entityRefs: rm.entityRefs,
    };
    const resource: ResourceRow = {
      id: resourceId(fields),
      ...fields,
      serviceName: escapeText(serviceName),
      schemaUrl: escapeText(rm.schemaUrl),
      longText: "",
    };
    const resourceReason = rm.problem === undefined
      ? undefined
      : `${rPath}.resource: ${rm.problem}`;
    rm.scopes.forEach((sm, si) => {
      const sPath = `${rPath}.scopeMetrics[${si}]`;
      const scopeReason = sm.problem === undefined ? undefined : `${sPath}.scope: ${sm.problem}`;
      const scopeAttributes = encodeAttributesJson(sm.attributes);
      const scopeName = escapeText(sm.name);
      const scopeVersion = escapeText(sm.version);
      const scopeSchemaUrl = escapeText(sm.schemaUrl);
      sm.metrics.forEach((metric, mi) => {
        const mPath = `${sPath}.metrics[${mi}]`;
        const stored = storedTexts(metric);
        const problem = metricProblem(metric);
        const outer = resourceReason ?? scopeReason ??
          (problem === undefined ? undefined : `${mPath}: ${problem}`);
        const type = metric.type;
        if (type === undefined) {
          out.items++;
          reject(
            outer ??
              `${mPath}: data must be one of gauge, sum, histogram, exponentialHistogram or ` +
                `summary: none was sent`,
          );
          return;
        }
        const temporality: Temporality = type === "gauge" || type === "summary"
          ? "none"
          : TEMPORALITY_NAMES[metric.temporality] ?? "none";
        let instrument: MetricInstrumentRow | undefined;
        /** The hash state after the instrument key, which starts every series key of it. */
        let seriesPrefix: Hash128 | undefined;
        const member = MEMBER_NAMES[type];
        const pointsPath = `${mPath}.${member}.dataPoints`;
        metric.points.forEach((point, pi) => {
          out.items++;
          if (outer !== undefined) {
            reject(outer);
            return;
          }
          const p = PROBLEMS.reset();
          if (point.problem !== undefined) p.add(point.problem);
          if (point.timeUnixNano === 0n) {
            p.add("time_unix_nano must be a Unix time in nanoseconds above 0: got 0");
          } else if (point.startTimeUnixNano > point.timeUnixNano) {
            p.add(
              `start_time_unix_nano must be 0 or at most time_unix_nano ` +
                `(${point.timeUnixNano}): got ${point.startTimeUnixNano}`,
            );
          }
          const value = pointValue(p, type, point);
          const exemplars = point.exemplars.length === 0
            ? []
            : point.exemplars.map((e, i) => exemplarRow(p, e, i));
          if (p.list.length > 0) {
            reject(`${pointsPath}[${pi}]: ${p.list.join("; ")}`);
            return;
          }
          instrument ??= {
            key: fastHash128([
              INSTRUMENT_KEY_TAG,
              resource.id,
              sm.name,
              sm.version,
              scopeAttributes,
              metric.name,
              type,
              metric.unit,
              temporality,
              metric.monotonic ? "1" : "0",
            ]),
            resourceId: resource.id,
            serviceName: resource.serviceName,
            scopeName,
            scopeVersion,
            scopeAttributes,
            scopeSchemaUrl,
            scopeDroppedAttributesCount: sm.droppedAttributesCount,
            ...stored,
            type,
            temporality,
            monotonic: type === "sum" && metric.monotonic,
            longText: "",
          };
          const wireKey = point.attributesKey;
          let attributes = wireKey === undefined ? undefined : canonicalByKey.get(wireKey);
          if (attributes === undefined) {
            attributes = canonicalAttributes(point.attributes, limits.maxAttributes);
            if (wireKey !== undefined) canonicalByKey.set(wireKey, attributes);
          }
          // fastHash128([instrument key, attributes]), its first part hashed once per metric.
          seriesPrefix ??= new Hash128().text(instrument.key);
          const seriesKey = SERIES_HASH.copyFrom(seriesPrefix).text(attributes.all).digest();
          const pointKey = fastHash128([
            seriesKey,
            times.of(point.startTimeUnixNano),
            times.of(point.timeUnixNano),
          ]);
          const first = seen.get(pointKey);
          if (first !== undefined) {
            if (fingerprint(first.value, first.flags) !== fingerprint(value, point.flags)) {
              reject(
                `${pointsPath}[${pi}]: a series holds one point per ` +
                  `start_time_unix_nano and time_unix_nano: ${first.path}[${first.index}] has ` +
                  `this series' times (${point.startTimeUnixNano}, ${point.timeUnixNano}) with ` +
                  `another value`,
              );
            }
            return;
          }
          seen.set(pointKey, { path: pointsPath, index: pi, value, flags: point.flags });
          if (!resourceIds.has(resource.id)) {
            resourceIds.add(resource.id);
            out.resources.push(resource);
          }
          let shared = instruments.get(instrument.key);
          if (shared === undefined) {
            shared = instrument;
            instruments.set(instrument.key, instrument);
            out.instruments.push(instrument);
          }
          out.pointIndexes.push(out.items - 1);
          out.points.push({
            pointKey,
            seriesKey,
            instrumentKey: shared.key,
            instrument: shared,
            attributes: attributes.kept,
            droppedAttributesCount: attributes.dropped,
            startTimeUnixNano: point.startTimeUnixNano,
            timeUnixNano: point.timeUnixNano,
            flags: point.flags,
            value,
            exemplars,
          });
        });
      });
    });
  });
  return out;
}
