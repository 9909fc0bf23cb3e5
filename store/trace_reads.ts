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
import { readerPoolOf } from "./sqlite_read_pool.ts";
import { RESOURCE_COLUMNS } from "./queries.ts";
import type { DialectCapabilities } from "./dialects/mod.ts";
import type { StoredSpan } from "./types.ts";

/**
 * What the waterfall draws of a trace's spans (`traceStructure`), column by column: element `i` of
 * each is span `i`, in start order. Columns rather than an object per span: a huge trace's 80,000
 * objects, on top of the rows read, cost Argus's small heap (192 MB, 8 MB young generation) more
 * garbage collection than the read itself took.
 */
export interface TraceOutline {
  spanId: string[];
  /** `""` for a root. */
  parentSpanId: string[];
  name: string[];
  serviceName: string[];
  /** OTLP's SpanKind numbers. */
  kind: number[];
  /** OTLP's status codes: 0 unset, 1 ok, 2 error. */
  statusCode: number[];
  startTimeUnixNano: bigint[];
  endTimeUnixNano: bigint[];
}

/** The structure's columns, in the order the outline's query selects them. */
const OUTLINE_COLUMNS = [
  "span_id",
  "parent_span_id",
  "name",
  "service_name",
  "kind",
  "status_code",
  "start_time_unix_nano",
  "end_time_unix_nano",
] as const;

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

  /**
   * Every span of one trace in start order, structure only; no span when the trace is unknown.
   * On SQLite's reader threads the rows come as arrays (`executeRows`), not objects; SQLite reads
   * them from the `spans_trace_outline` index alone (migration 2026-12-09), already in order.
   */
  async traceStructure(traceId: string): Promise<TraceOutline> {
    const query = this.db.selectFrom("spans")
      .select([...OUTLINE_COLUMNS])
      .where("trace_id", "=", traceId)
      .orderBy("start_time_unix_nano")
      .orderBy("span_id");
    const pool = readerPoolOf(this.db);
    let rows: ArrayLike<unknown>[];
    if (pool === undefined) {
      rows = (await query.execute()).map((row) => OUTLINE_COLUMNS.map((column) => row[column]));
    } else {
      const compiled = query.compile();
      rows = (await pool.executeRows(compiled.sql, compiled.parameters)).rows;
    }
    const n = rows.length;
    const outline: TraceOutline = {
      spanId: new Array(n),
      parentSpanId: new Array(n),
      name: new Array(n),
      serviceName: new Array(n),
      kind: new Array(n),
      statusCode: new Array(n),
      startTimeUnixNano: new Array(n),
      endTimeUnixNano: new Array(n),
    };
    for (let i = 0; i < n; i++) {
      const row = rows[i]!;
      outline.spanId[i] = row[0] as string;
      outline.parentSpanId[i] = row[1] as string;
      outline.name[i] = row[2] as string;
      outline.serviceName[i] = row[3] as string;
      outline.kind[i] = Number(row[4]);
      outline.statusCode[i] = Number(row[5]);
      outline.startTimeUnixNano[i] = BigInt(row[6] as bigint | number | string);
      outline.endTimeUnixNano[i] = BigInt(row[7] as bigint | number | string);
    }
    return outline;
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
