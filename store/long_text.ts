/**
 * Text longer than its column. OTLP bounds no string, but the columns that are indexed, grouped
 * and rolled up (names, services, scopes, severity text) have widths (store/columns.ts
 * `COLUMN_WIDTHS`): MySQL and SQL Server index only bounded columns, and PostgreSQL's B-tree takes
 * entries of about 2.7 KB at most. So a row keeps, in such a column, the text's first `width`
 * UTF-16 units (its _prefix_), and the whole text in its `longText`: JSON of each field that did
 * not fit, by field name; "" when all did, all but always.
 *
 * Lists, searches and aggregates (the trace list, operations, the service map, rollups) see the
 * prefix: two texts that share one are counted together there, while their items stay distinct
 * (a span is keyed by its ids, a record, a resource and an instrument by ids computed from the
 * whole text). An item's own fields are answered whole (routes/wire.ts, routes/instruments.ts,
 * with `wholeText`).
 *
 * The cut is `prefixOf` (utils/text_prefix.ts), which the browser shares. Fitted once the row is
 * valid (row_validation.ts `screenBatch`, `fitInstrument`), after the NUL escape
 * (utils/text_escape.ts): the widths count stored units. Fitting a fitted row changes nothing.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { prefixOf } from "../utils/text_prefix.ts";
import { COLUMN_WIDTHS } from "./columns.ts";
import type { LogRow, ResourceRow, SpanRow } from "./types.ts";
import type { MetricInstrumentRow } from "./metric_types.ts";

/** The bounded text fields of a row: its field, its column's width, and how a reason names it. */
type Widths<Row> = readonly (readonly [field: keyof Row & string, width: number, label: string])[];

export const SPAN_WIDTHS: Widths<SpanRow> = [
  ["name", COLUMN_WIDTHS.name, "span name"],
  ["serviceName", COLUMN_WIDTHS.serviceName, "service.name"],
  ["scopeName", COLUMN_WIDTHS.scopeName, "scope name"],
  ["scopeVersion", COLUMN_WIDTHS.scopeVersion, "scope version"],
];

export const LOG_WIDTHS: Widths<LogRow> = [
  ["severityText", COLUMN_WIDTHS.severityText, "severity text"],
  ["eventName", COLUMN_WIDTHS.eventName, "event name"],
  ["serviceName", COLUMN_WIDTHS.serviceName, "service.name"],
  ["scopeName", COLUMN_WIDTHS.scopeName, "scope name"],
  ["scopeVersion", COLUMN_WIDTHS.scopeVersion, "scope version"],
];

export const RESOURCE_WIDTHS: Widths<ResourceRow> = [
  ["serviceName", COLUMN_WIDTHS.serviceName, "service.name"],
];

/**
 * An instrument's own texts. Its service name, a copy of its resource's (which keeps it whole), is
 * only cut: lists and filters of instruments go by the column's part, as a span's service does.
 */
export const INSTRUMENT_WIDTHS: Widths<MetricInstrumentRow> = [
  ["name", COLUMN_WIDTHS.metricName, "metric name"],
  ["unit", COLUMN_WIDTHS.metricUnit, "metric unit"],
  ["scopeName", COLUMN_WIDTHS.scopeName, "scope name"],
  ["scopeVersion", COLUMN_WIDTHS.scopeVersion, "scope version"],
];

/**
 * Fits `row`'s fields in `widths` into their columns: each longer one is cut to its prefix and kept
 * whole in `row.longText`. Returns why the whole texts cannot be kept (together more than
 * `maxBytes` in UTF-8, a limit for the one value that holds them all), else undefined.
 */
export function fitColumns<Row extends { longText: string }>(
  row: Row,
  widths: Widths<Row>,
  maxBytes: number,
): string | undefined {
  let long: Record<string, string> | undefined;
  let labels: string[] | undefined;
  for (const [field, width, label] of widths) {
    const text = row[field];
    if (typeof text !== "string" || text.length <= width) continue;
    long ??= row.longText === "" ? {} : JSON.parse(row.longText);
    long![field] = text;
    (labels ??= []).push(label);
    (row as Record<string, unknown>)[field] = prefixOf(text, width);
  }
  if (long === undefined) return undefined;
  row.longText = JSON.stringify(long);
  const bytes = Buffer.byteLength(row.longText, "utf8");
  if (bytes <= maxBytes) return undefined;
  return `${labels!.join(", ")} longer than their columns must together take at most ` +
    `${maxBytes} bytes (MAX_FIELD_BYTES): they take ${bytes}`;
}

/** A reader of `row`'s fields whole: the text kept in `longText` for those cut to a prefix. */
export function wholeText<Row extends { longText: string }>(
  row: Row,
): (field: keyof Row & string) => string {
  if (row.longText === "") return (field) => row[field] as string;
  const long = JSON.parse(row.longText) as Record<string, string>;
  return (field) => long[field] ?? (row[field] as string);
}
