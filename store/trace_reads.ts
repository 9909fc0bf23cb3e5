/**
 * Reads of one trace for its page, beside `Queries.traceSpans` (every column of every span):
 * its structure (the columns the waterfall draws, without attributes, events, links or the
 * resource, which are most of a span's bytes), one span's full fields, and the spans that may
 * match an in-trace search. Each reads the spans by the primary key's `trace_id` prefix.
 *
 * @module
 */
import { type Kysely, sql } from "kysely";
import { type Database, spanFromDb } from "./columns.ts";
import { RESOURCE_COLUMNS } from "./queries.ts";
import type { DialectCapabilities } from "./dialects/mod.ts";
import type { StoredSpan } from "./types.ts";

/** What the waterfall draws of a span (`traceStructure`). */
export interface SpanOutline {
  spanId: string;
  /** `""` for a root. */
  parentSpanId: string;
  name: string;
  serviceName: string;
  /** OTLP's SpanKind number. */
  kind: number;
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
}

/**
 * A span whose name, service, attributes or events contain the searched text, as stored (the
 * attribute-like columns in lib/any_value_json.ts's encoding): the caller decides whether the text
 * is in a value rather than a key.
 */
export interface SpanSearchCandidate {
  spanId: string;
  name: string;
  serviceName: string;
  attributes: string;
  events: string;
}

export class TraceReads {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly caps: DialectCapabilities,
  ) {}

  /** Every span of one trace in start order, structure only; empty when the trace is unknown. */
  async traceStructure(traceId: string): Promise<SpanOutline[]> {
    const rows = await this.db.selectFrom("spans")
      .select([
        "span_id",
        "parent_span_id",
        "name",
        "service_name",
        "kind",
        "status_code",
        "start_time_unix_nano",
        "end_time_unix_nano",
      ])
      .where("trace_id", "=", traceId)
      .orderBy("start_time_unix_nano")
      .orderBy("span_id")
      .execute();
    return rows.map((row) => ({
      spanId: row.span_id,
      parentSpanId: row.parent_span_id,
      name: row.name,
      serviceName: row.service_name,
      kind: Number(row.kind),
      statusCode: Number(row.status_code),
      startTimeUnixNano: BigInt(row.start_time_unix_nano),
      endTimeUnixNano: BigInt(row.end_time_unix_nano),
    }));
  }

  /** One span with all its fields, by the primary key; undefined when it is not stored. */
  async traceSpan(traceId: string, spanId: string): Promise<StoredSpan | undefined> {
    const row = await this.db.selectFrom("spans")
      .innerJoin("resources", "resources.id", "spans.resource_id")
      .selectAll("spans")
      .select(RESOURCE_COLUMNS)
      .where("spans.trace_id", "=", traceId)
      .where("spans.span_id", "=", spanId)
      .executeTakeFirst();
    return row === undefined ? undefined : spanFromDb(row);
  }

  /**
   * The first `limit` spans of the trace (in start order) whose name or service contains `text`,
   * or whose attributes or events contain `storedText` (the text as the stored JSON writes it),
   * ignoring case as the database's LIKE does (SQLite: ASCII letters only); null when the trace
   * has no span at all.
   */
  async traceSearchCandidates(
    traceId: string,
    text: string,
    storedText: string,
    limit: number,
  ): Promise<SpanSearchCandidate[] | null> {
    const contains = this.caps.containsIgnoringCase;
    const query = this.db.selectFrom("spans")
      .select(["span_id", "name", "service_name", "attributes", "events"])
      .where("trace_id", "=", traceId)
      .where((eb) =>
        eb.or([
          contains("spans.name", text),
          contains("spans.service_name", text),
          contains("spans.attributes", storedText),
          contains("spans.events", storedText),
        ])
      )
      .orderBy("start_time_unix_nano")
      .orderBy("span_id");
    const rows = await this.caps.paginate(query, { limit, offset: 0 }).execute();
    if (rows.length === 0 && !(await this.#exists(traceId))) return null;
    return rows.map((row) => ({
      spanId: row.span_id,
      name: row.name,
      serviceName: row.service_name,
      attributes: row.attributes,
      events: row.events,
    }));
  }

  async #exists(traceId: string): Promise<boolean> {
    const query = this.db.selectFrom("spans")
      .select(sql<number>`1`.as("one"))
      .where("trace_id", "=", traceId)
      .orderBy("span_id");
    return (await this.caps.paginate(query, { limit: 1, offset: 0 }).execute()).length > 0;
  }
}
