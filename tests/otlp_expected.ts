/**
 * The JS SDK's exporters as test clients, the fields raw requests of every signal share (what no
 * SDK sets), and what Argus should answer for what the SDK sent: its values as OTLP
 * AnyValues (as its OTLP transformer encodes them), and AnyValues in the API's two forms, plain and
 * typed, written from docs/api.md's "Value encodings" rather than from Argus's encoders, so that a
 * test comparing them checks the documentation too.
 *
 * @module
 */
import type { HrTime } from "@opentelemetry/api";
import type { SpanExporter } from "@opentelemetry/sdk-trace-base";
import type { LogRecordExporter } from "@opentelemetry/sdk-logs";
import type { PushMetricExporter } from "@opentelemetry/sdk-metrics";
import { OTLPTraceExporter as GrpcTraceExporter } from "@opentelemetry/exporter-trace-otlp-grpc";
import { OTLPTraceExporter as ProtoTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { OTLPTraceExporter as JsonTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPLogExporter as GrpcLogExporter } from "@opentelemetry/exporter-logs-otlp-grpc";
import { OTLPLogExporter as ProtoLogExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { OTLPLogExporter as JsonLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPMetricExporter as GrpcMetricExporter } from "@opentelemetry/exporter-metrics-otlp-grpc";
import { OTLPMetricExporter as ProtoMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { OTLPMetricExporter as JsonMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import type { AnyValue } from "../lib/any_value_json.ts";
import type { ArgusProcess } from "./argus_process.ts";

/** One of the JS SDK's OTLP exporters, pointed at a running Argus. */
export interface Transport {
  name: string;
  /** A short name for service names and file names. */
  key: string;
  traceExporter(argus: ArgusProcess): SpanExporter;
  logExporter(argus: ArgusProcess): LogRecordExporter;
  metricExporter(argus: ArgusProcess): PushMetricExporter;
}

/** The JS SDK's three exporters: gRPC, HTTP/protobuf, HTTP/JSON. */
export const SDK_TRANSPORTS: Transport[] = [
  {
    name: "OTLP/gRPC",
    key: "grpc",
    traceExporter: (a) => new GrpcTraceExporter({ url: `http://${a.grpcAddress}` }),
    logExporter: (a) => new GrpcLogExporter({ url: `http://${a.grpcAddress}` }),
    metricExporter: (a) => new GrpcMetricExporter({ url: `http://${a.grpcAddress}` }),
  },
  {
    name: "OTLP/HTTP protobuf",
    key: "http-protobuf",
    traceExporter: (a) => new ProtoTraceExporter({ url: `${a.otlpHttpUrl}/v1/traces` }),
    logExporter: (a) => new ProtoLogExporter({ url: `${a.otlpHttpUrl}/v1/logs` }),
    metricExporter: (a) => new ProtoMetricExporter({ url: `${a.otlpHttpUrl}/v1/metrics` }),
  },
  {
    name: "OTLP/HTTP JSON",
    key: "http-json",
    traceExporter: (a) => new JsonTraceExporter({ url: `${a.otlpHttpUrl}/v1/traces` }),
    logExporter: (a) => new JsonLogExporter({ url: `${a.otlpHttpUrl}/v1/logs` }),
    metricExporter: (a) => new JsonMetricExporter({ url: `${a.otlpHttpUrl}/v1/metrics` }),
  },
];

// ------------------------------------------------------------------------------------------------
// Raw requests: what no SDK sets, for every signal.

export const RESOURCE_SCHEMA = "https://opentelemetry.io/schemas/1.26.0";
export const SCOPE_SCHEMA = "https://opentelemetry.io/schemas/1.37.0";

/** A resource's entity refs as the API answers them (the second sent with a schema URL). */
export const ENTITY_REFS = [
  { type: "service", id_keys: ["service.name"], description_keys: ["service.version"] },
  { type: "host", id_keys: ["host.id"], description_keys: [], schema_url: RESOURCE_SCHEMA },
];

/**
 * A raw request's resource fields (`resource` and `schemaUrl` of a ResourceSpans, ResourceLogs or
 * ResourceMetrics): two attributes, a dropped count, entity refs, a schema URL.
 */
export function rawResource(service: string) {
  return {
    resource: {
      attributes: [
        { key: "service.name", value: { stringValue: service } },
        { key: "host.id", value: { stringValue: "h-1" } },
      ],
      droppedAttributesCount: 3,
      entityRefs: ENTITY_REFS.map((ref) => ({
        type: ref.type,
        idKeys: ref.id_keys,
        descriptionKeys: ref.description_keys,
        ...(ref.schema_url ? { schemaUrl: ref.schema_url } : {}),
      })),
    },
    schemaUrl: RESOURCE_SCHEMA,
  };
}

/** The API's `resource` of `rawResource` (its attributes are `resource_attributes`). */
export const RAW_RESOURCE = {
  schema_url: RESOURCE_SCHEMA,
  dropped_attributes_count: 3,
  entity_refs: ENTITY_REFS.map((ref) => ({ schema_url: "", ...ref })),
};

/** Text with a NUL, which PostgreSQL cannot hold, and U+E000, Argus's escape for it. */
export const NUL = (text: string) => `${text} \u0000 nul \uE000 escape`;

/**
 * `text` made longer than a column `width` characters wide (store/columns.ts COLUMN_WIDTHS), with
 * characters of two and four UTF-8 bytes (the second a surrogate pair) across its end.
 */
export const LONG = (text: string, width: number) =>
  `${text} ${"ü😀".repeat(Math.ceil(width / 3) + 1)}`;

/** What the OTLP transformer of the JS SDK makes of a JS attribute value or log body. */
export function expectedAnyValue(value: unknown): AnyValue {
  if (value === null || value === undefined) return { type: "empty" };
  if (typeof value === "string") return { type: "string", value };
  if (typeof value === "boolean") return { type: "bool", value };
  if (typeof value === "number") {
    return Number.isInteger(value)
      ? { type: "int", value: BigInt(value) }
      : { type: "double", value };
  }
  if (value instanceof Uint8Array) return { type: "bytes", value };
  if (Array.isArray(value)) return { type: "array", value: value.map(expectedAnyValue) };
  return {
    type: "kvlist",
    value: Object.entries(value as Record<string, unknown>).map(([key, v]) => ({
      key,
      value: expectedAnyValue(v),
    })),
  };
}

export function expectedAttributes(attributes: Record<string, unknown>) {
  return Object.entries(attributes).map(([key, value]) => ({
    key,
    value: expectedAnyValue(value),
  }));
}

export function ns(time: HrTime): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}

/** A span's or link's OTLP flags as the JS SDK sets them: W3C flags, "has is-remote", is-remote. */
export function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | 0x100 | (isRemote ? 0x200 : 0);
}

function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** The plain form: JSON's own types, lossy where docs/api.md says so. */
export function plainOf(value: AnyValue): unknown {
  switch (value.type) {
    case "empty":
      return null;
    case "string":
    case "bool":
      return value.value;
    case "int":
      return value.value <= MAX_EXACT && value.value >= -MAX_EXACT
        ? Number(value.value)
        : value.value.toString();
    case "double":
      // JSON has no NaN or infinities; -0 and 2.0 read back as 0 and 2.
      return Number.isFinite(value.value) ? (Object.is(value.value, -0) ? 0 : value.value) : String(
        value.value,
      );
    case "bytes":
      return base64(value.value);
    case "array":
      return value.value.map(plainOf);
    case "kvlist":
      return Object.fromEntries(value.value.map((kv) => [kv.key, plainOf(kv.value)]));
  }
}

/** The typed form: OTLP/JSON's AnyValue. */
export function typedOf(value: AnyValue): unknown {
  switch (value.type) {
    case "empty":
      return {};
    case "string":
      return { stringValue: value.value };
    case "bool":
      return { boolValue: value.value };
    case "int":
      return { intValue: value.value.toString() };
    case "double":
      return {
        doubleValue: Number.isNaN(value.value)
          ? "NaN"
          : value.value === Infinity
          ? "Infinity"
          : value.value === -Infinity
          ? "-Infinity"
          : Object.is(value.value, -0)
          ? "-0"
          : value.value,
      };
    case "bytes":
      return { bytesValue: base64(value.value) };
    case "array":
      return { arrayValue: { values: value.value.map(typedOf) } };
    case "kvlist":
      return {
        kvlistValue: {
          values: value.value.map((kv) => ({ key: kv.key, value: typedOf(kv.value) })),
        },
      };
  }
}

/** An attribute list in either form: an object (plain) or OTLP's KeyValue list (typed). */
export function attributesIn(
  form: "plain" | "typed",
  list: { key: string; value: AnyValue }[],
): unknown {
  return form === "plain"
    ? Object.fromEntries(list.map((kv) => [kv.key, plainOf(kv.value)]))
    : list.map((kv) => ({ key: kv.key, value: typedOf(kv.value) }));
}
