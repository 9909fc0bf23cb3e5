/**
 * The stored form of a span's events and links (the `events` and `links` columns): JSON arrays,
 * one object per event or link, with the keys in the order below. Both OTLP decoders write them
 * (ingest/otlp/protobuf_reader.ts from these fragments as bytes, json_reader.ts with `eventJson`
 * and `linkJson`), and the API reads them with `parseEvents` and `parseLinks`: this module is the
 * format's one definition.
 *
 * Attribute objects inside are in the lossless encoding of lib/any_value_json.ts (a kvlist as
 * `{"$kvlist": …}`, bytes as `{"$bytes": …}`); a reader that needs them typed re-reads that text.
 *
 * @module
 */

/** An event's JSON, between its values: `{"timeUnixNano":"…","name":…,"attributes":…,…}`. */
export const EVENT_JSON = {
  time: '{"timeUnixNano":"',
  name: '","name":',
  attributes: ',"attributes":',
  dropped: ',"droppedAttributesCount":',
  end: "}",
} as const;

/** A link's JSON, between its values. */
export const LINK_JSON = {
  traceId: '{"traceId":"',
  spanId: '","spanId":"',
  traceState: '","traceState":',
  attributes: ',"attributes":',
  dropped: ',"droppedAttributesCount":',
  flags: ',"flags":',
  end: "}",
} as const;

export interface StoredEvent {
  /** Unix nanoseconds, as decimal text. */
  timeUnixNano: string;
  name: string;
  attributes: Record<string, unknown>;
  droppedAttributesCount: number;
}

export interface StoredLink {
  /** Hex of the bytes sent (normally 32 characters). */
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: Record<string, unknown>;
  droppedAttributesCount: number;
  flags: number;
}

/**
 * One event as stored. `attributesJson` is already JSON text (an object in the lossless
 * encoding); the name is escaped here.
 */
export function eventJson(
  timeUnixNano: bigint | string,
  name: string,
  attributesJson: string,
  droppedAttributesCount: number,
): string {
  const e = EVENT_JSON;
  return e.time + timeUnixNano + e.name + JSON.stringify(name) + e.attributes + attributesJson +
    e.dropped + droppedAttributesCount + e.end;
}

/** One link as stored; ids are hex text, `attributesJson` JSON text as for `eventJson`. */
export function linkJson(
  traceId: string,
  spanId: string,
  traceState: string,
  attributesJson: string,
  droppedAttributesCount: number,
  flags: number,
): string {
  const l = LINK_JSON;
  return l.traceId + traceId + l.spanId + spanId + l.traceState + JSON.stringify(traceState) +
    l.attributes + attributesJson + l.dropped + droppedAttributesCount + l.flags + flags + l.end;
}

/** The events of a stored `events` column. */
export function parseEvents(json: string): StoredEvent[] {
  return JSON.parse(json) as StoredEvent[];
}

/** The links of a stored `links` column. */
export function parseLinks(json: string): StoredLink[] {
  return JSON.parse(json) as StoredLink[];
}
