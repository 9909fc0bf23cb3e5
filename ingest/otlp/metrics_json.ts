/**
 * The OTLP/JSON reader of `ExportMetricsServiceRequest`: a JSON body into `MetricsRequestIn`,
 * exactly what metrics_protobuf.ts makes of the same request in protobuf.
 *
 * The JSON rules are json_reader.ts's, whose value readers it uses: lowerCamelCase or snake_case
 * field names, `null` as absent, int64 and fixed64 as decimal strings or numbers, doubles as
 * numbers or "NaN", "Infinity", "-Infinity", enums by number or name
 * (`AGGREGATION_TEMPORALITY_DELTA`), trace and span ids as hex. A field of the wrong JSON type is
 * an `OtlpDecodeError` for the whole request; well-formed content that cannot be stored (bad ids,
 * lone surrogates, nesting too deep) refuses its item. In a oneof (`Metric.data`, a point's or an
 * exemplar's value) the last member in document order wins.
 *
 * @module
 */
import type { KeyValue } from "../../lib/any_value_json.ts";
import { errorMessage } from "../../utils/errors.ts";
import {
  array,
  doubleOf,
  entityRefsOf,
  enumValue,
  fixed64,
  get,
  id,
  integer,
  isAllZero,
  type JsonObject,
  keyValue,
  object,
  parse,
  string,
  uint32,
  type ValueContext,
  wrongType,
} from "./json_reader.ts";
import {
  emptyPoint,
  type ExemplarIn,
  type MetricIn,
  type MetricsRequestIn,
  type MetricType,
  type PointIn,
  type ResourceMetricsIn,
  type ScopeMetricsIn,
} from "./metrics_types.ts";
import { type DecodeLimits, OtlpDecodeError } from "./types.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const INT32_MIN = -(1n << 31n);
const INT32_MAX = (1n << 31n) - 1n;

const TEMPORALITIES = new Map([
  ["AGGREGATION_TEMPORALITY_UNSPECIFIED", 0],
  ["AGGREGATION_TEMPORALITY_DELTA", 1],
  ["AGGREGATION_TEMPORALITY_CUMULATIVE", 2],
]);

/** Metric.data members: JSON name, snake_case name, type. */
const DATA_MEMBERS: Record<string, MetricType> = {
  gauge: "gauge",
  sum: "sum",
  histogram: "histogram",
  exponentialHistogram: "exponential_histogram",
  exponential_histogram: "exponential_histogram",
  summary: "summary",
};

class Ctx implements ValueContext {
  problem: string | undefined = undefined;
  constructor(readonly limits: DecodeLimits) {}

  addProblem(message: string): void {
    if (this.problem === undefined) this.problem = message;
    else if (!this.problem.includes(message)) this.problem += "; " + message;
  }
}

/** The first `limit` entries of an attribute list; `seen` is how many were sent. */
function attributeList(
  c: Ctx,
  value: unknown,
  where: string,
  field: string,
  limit: number,
): { list: KeyValue[]; seen: number } {
  const items = array(value, where);
  const kept = Math.min(items.length, limit);
  const list: KeyValue[] = new Array(kept);
  for (let i = 0; i < kept; i++) list[i] = keyValue(c, items[i], `${where}[${i}]`, 0, field);
  return { list, seen: items.length };
}

function sint32(value: unknown, where: string): number {
  if (value === undefined) return 0;
  return Number(integer(value, where, INT32_MIN, INT32_MAX));
}

function optionalDouble(value: unknown, where: string): number | undefined {
  return value === undefined ? undefined : doubleOf(value, where);
}

function boolean(value: unknown, where: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") wrongType(where, "a boolean", value);
  return value;
}

// ---------------------------------------------------------------------------------------------

function resourceMetrics(c: Ctx, value: unknown, where: string): ResourceMetricsIn {
  const rm = object(value, where) ?? {};
  c.problem = undefined;
  const resource = object(get(rm, "resource", "resource"), `${where}.resource`) ?? {};
  const attrs = attributeList(
    c,
    get(resource, "attributes", "attributes"),
    `${where}.resource.attributes`,
    "resource attributes",
    c.limits.maxAttributes,
  );
  const droppedAttributesCount = uint32(
    get(resource, "droppedAttributesCount", "dropped_attributes_count"),
    `${where}.resource.droppedAttributesCount`,
  ) + attrs.seen - attrs.list.length;
  const schemaUrl = string(
    c,
    get(rm, "schemaUrl", "schema_url"),
    `${where}.schemaUrl`,
    "schema_url",
  );
  const entityRefs = entityRefsOf(
    c,
    get(resource, "entityRefs", "entity_refs"),
    `${where}.resource.entityRefs`,
  );
  const problem = c.problem;
  const scopes = array(get(rm, "scopeMetrics", "scope_metrics"), `${where}.scopeMetrics`);
  return {
    attributes: attrs.list,
    droppedAttributesCount,
    schemaUrl,
    entityRefs,
    problem,
    scopes: scopes.map((s, i) => scopeMetrics(c, s, `${where}.scopeMetrics[${i}]`)),
  };
}

function scopeMetrics(c: Ctx, value: unknown, where: string): ScopeMetricsIn {
  const sm = object(value, where) ?? {};
  c.problem = undefined;
  const scope = object(get(sm, "scope", "scope"), `${where}.scope`) ?? {};
  const name = string(c, get(scope, "name", "name"), `${where}.scope.name`, "scope name");
  const version = string(
    c,
    get(scope, "version", "version"),
    `${where}.scope.version`,
    "scope version",
  );
  const attrs = attributeList(
    c,
    get(scope, "attributes", "attributes"),
    `${where}.scope.attributes`,
    "scope attributes",
    c.limits.maxAttributes,
  );
  const droppedAttributesCount = uint32(
    get(scope, "droppedAttributesCount", "dropped_attributes_count"),
    `${where}.scope.droppedAttributesCount`,
  ) + attrs.seen - attrs.list.length;
  const schemaUrl = string(
    c,
    get(sm, "schemaUrl", "schema_url"),
    `${where}.schemaUrl`,
    "schema_url",
  );
  const problem = c.problem;
  const metrics = array(get(sm, "metrics", "metrics"), `${where}.metrics`);
  return {
    name,
    version,
    attributes: attrs.list,
    droppedAttributesCount,
    schemaUrl,
    problem,
    metrics: metrics.map((m, i) => metric(c, m, `${where}.metrics[${i}]`)),
  };
}

function metric(c: Ctx, value: unknown, where: string): MetricIn {
  const m = object(value, where) ?? {};
  c.problem = undefined;
  const out: MetricIn = {
    name: string(c, get(m, "name", "name"), `${where}.name`, "name"),
    description: string(
      c,
      get(m, "description", "description"),
      `${where}.description`,
      "description",
    ),
    unit: string(c, get(m, "unit", "unit"), `${where}.unit`, "unit"),
    type: undefined,
    temporality: 0,
    monotonic: false,
    problem: undefined,
    points: [],
  };
  out.problem = c.problem;
  let member: string | undefined;
  for (const key in m) {
    if (Object.hasOwn(DATA_MEMBERS, key) && m[key] !== null) member = key;
  }
  if (member === undefined) return out;
  const type = DATA_MEMBERS[member]!;
  const at = `${where}.${member}`;
  const data = object(m[member], at) ?? {};
  out.type = type;
  if (type !== "gauge" && type !== "summary") {
    out.temporality = enumValue(
      get(data, "aggregationTemporality", "aggregation_temporality"),
      `${at}.aggregationTemporality`,
      TEMPORALITIES,
    );
  }
  if (type === "sum") out.monotonic = boolean(get(data, "isMonotonic", "is_monotonic"), at);
  const points = array(get(data, "dataPoints", "data_points"), `${at}.dataPoints`);
  out.points = points.map((p, i) => point(c, p, `${at}.dataPoints[${i}]`, type));
  return out;
}

function counts(value: unknown, where: string): bigint[] {
  return array(value, where).map((v, i) => fixed64(v, `${where}[${i}]`));
}

function point(c: Ctx, value: unknown, where: string, type: MetricType): PointIn {
  const source = object(value, where) ?? {};
  const p = emptyPoint();
  c.problem = undefined;
  p.attributes = attributeList(
    c,
    get(source, "attributes", "attributes"),
    `${where}.attributes`,
    "attributes",
    Infinity,
  ).list;
  p.startTimeUnixNano = fixed64(
    get(source, "startTimeUnixNano", "start_time_unix_nano"),
    `${where}.startTimeUnixNano`,
  );
  p.timeUnixNano = fixed64(get(source, "timeUnixNano", "time_unix_nano"), `${where}.timeUnixNano`);
  p.flags = uint32(get(source, "flags", "flags"), `${where}.flags`);
  if (type === "gauge" || type === "sum") {
    const v = numberValue(source, where);
    p.valueCase = v.valueCase;
    p.asDouble = v.asDouble;
    p.asInt = v.asInt;
  } else {
    p.count = fixed64(get(source, "count", "count"), `${where}.count`);
    p.sum = optionalDouble(get(source, "sum", "sum"), `${where}.sum`);
  }
  if (type === "histogram") {
    p.bucketCounts = counts(get(source, "bucketCounts", "bucket_counts"), `${where}.bucketCounts`);
    p.explicitBounds = array(
      get(source, "explicitBounds", "explicit_bounds"),
      `${where}.explicitBounds`,
    ).map((v, i) => doubleOf(v, `${where}.explicitBounds[${i}]`));
  }
  if (type === "histogram" || type === "exponential_histogram") {
    p.min = optionalDouble(get(source, "min", "min"), `${where}.min`);
    p.max = optionalDouble(get(source, "max", "max"), `${where}.max`);
  }
  if (type === "exponential_histogram") {
    p.scale = sint32(get(source, "scale", "scale"), `${where}.scale`);
    p.zeroCount = fixed64(get(source, "zeroCount", "zero_count"), `${where}.zeroCount`);
    p.zeroThreshold = optionalDouble(
      get(source, "zeroThreshold", "zero_threshold"),
      `${where}.zeroThreshold`,
    ) ?? 0;
    for (const side of ["positive", "negative"] as const) {
      const buckets = object(get(source, side, side), `${where}.${side}`) ?? {};
      const offset = sint32(get(buckets, "offset", "offset"), `${where}.${side}.offset`);
      const bucketCounts = array(
        get(buckets, "bucketCounts", "bucket_counts"),
        `${where}.${side}.bucketCounts`,
      ).map((v, i) => integer(v, `${where}.${side}.bucketCounts[${i}]`, 0n, (1n << 64n) - 1n));
      if (side === "positive") {
        p.positiveOffset = offset;
        p.positiveBucketCounts = bucketCounts;
      } else {
        p.negativeOffset = offset;
        p.negativeBucketCounts = bucketCounts;
      }
    }
  }
  if (type === "summary") {
    const quantiles = array(
      get(source, "quantileValues", "quantile_values"),
      `${where}.quantileValues`,
    );
    p.quantiles = quantiles.map((q, i) => {
      const qWhere = `${where}.quantileValues[${i}]`;
      const entry = object(q, qWhere) ?? {};
      return {
        quantile: optionalDouble(get(entry, "quantile", "quantile"), `${qWhere}.quantile`) ?? 0,
        value: optionalDouble(get(entry, "value", "value"), `${qWhere}.value`) ?? 0,
      };
    });
  }
  if (type !== "summary") {
    const exemplars = array(get(source, "exemplars", "exemplars"), `${where}.exemplars`);
    const pointProblem = c.problem;
    const problems: string[] = [];
    p.exemplars = exemplars.map((e, i) => {
      const exemplarIn = exemplar(c, e, `${where}.exemplars[${i}]`);
      if (exemplarIn.problem !== undefined) problems.push(`exemplars[${i}]: ${exemplarIn.problem}`);
      return exemplarIn;
    });
    c.problem = pointProblem;
    for (const problem of problems) c.addProblem(problem);
  }
  p.problem = c.problem;
  return p;
}

/** A NumberDataPoint's or Exemplar's value oneof: the last of asDouble / asInt present wins. */
function numberValue(
  source: JsonObject,
  where: string,
): { valueCase: 0 | 1 | 2; asDouble: number; asInt: bigint } {
  let key: string | undefined;
  for (const name in source) {
    if (
      (name === "asDouble" || name === "as_double" || name === "asInt" || name === "as_int") &&
      source[name] !== null
    ) key = name;
  }
  if (key === undefined) return { valueCase: 0, asDouble: 0, asInt: 0n };
  const raw = source[key];
  if (key === "asDouble" || key === "as_double") {
    return { valueCase: 1, asDouble: doubleOf(raw, `${where}.${key}`), asInt: 0n };
  }
  return {
    valueCase: 2,
    asDouble: 0,
    asInt: integer(raw, `${where}.${key}`, INT64_MIN, INT64_MAX),
  };
}

function exemplar(c: Ctx, value: unknown, where: string): ExemplarIn {
  const source = object(value, where) ?? {};
  c.problem = undefined;
  const attrs = attributeList(
    c,
    get(source, "filteredAttributes", "filtered_attributes"),
    `${where}.filteredAttributes`,
    "filtered_attributes",
    c.limits.maxAttributes,
  );
  const v = numberValue(source, where);
  const traceId = id(
    c,
    get(source, "traceId", "trace_id"),
    `${where}.traceId`,
    "trace_id",
    16,
    true,
  );
  const spanId = id(c, get(source, "spanId", "span_id"), `${where}.spanId`, "span_id", 8, true);
  return {
    filteredAttributes: attrs.list,
    droppedAttributesCount: attrs.seen - attrs.list.length,
    timeUnixNano: fixed64(
      get(source, "timeUnixNano", "time_unix_nano"),
      `${where}.timeUnixNano`,
    ),
    ...v,
    traceId: traceId === undefined || isAllZero(traceId) ? "" : traceId,
    spanId: spanId === undefined || isAllZero(spanId) ? "" : spanId,
    problem: c.problem,
  };
}

/** Reads an OTLP/JSON `ExportMetricsServiceRequest`; throws OtlpDecodeError when it is not one. */
export function readMetricsJson(body: Uint8Array, limits: DecodeLimits): MetricsRequestIn {
  let root: unknown;
  try {
    root = parse(utf8.decode(body));
  } catch (error) {
    const what = error instanceof TypeError ? "not valid UTF-8" : "not valid JSON";
    throw new OtlpDecodeError(`request body is ${what}: ${errorMessage(error)}`, { cause: error });
  }
  const top = object(root, "request") ?? wrongType("request", "an object", root);
  const c = new Ctx(limits);
  const resources = array(get(top, "resourceMetrics", "resource_metrics"), "resourceMetrics");
  return {
    resources: resources.map((rm, i) => resourceMetrics(c, rm, `resourceMetrics[${i}]`)),
  };
}
