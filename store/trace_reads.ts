/**
 * Reads of one trace for its page, beside `Queries.traceSpans` (every column of every span):
 * its structure (the columns the waterfall draws, without attributes, events, links or the
 * resource, which are most of a span's bytes), one span's full fields, and the spans that may
 * match an in-trace search. Each reads the spans by the primary key's `trace_id` prefix.
 *
 * @module
 */
import { type Kysely, sql } from "kysely";
import { spanOf, spansOfTrace } from "./trace_keys.ts";
import { type Database, spanFromDb } from "./columns.ts";
import { readerPoolOf, type SqliteReadPool } from "./sqlite_read_pool.ts";
import { RESOURCE_COLUMNS } from "./queries.ts";
import type { DialectCapabilities } from "./dialects/mod.ts";
import type { StoredSpan } from "./types.ts";

/**
 * What the waterfall draws of a trace's spans (`traceStructure`), column by column: element `i` of
 * each is span `i`, in start order. Columns rather than an object per span: a huge trace's 80,000
 * objects, on top of the rows read, cost Argus's small heap (192 MB, 8 MB young generation) more
 * garbage collection than the read itself took. Times are numbers of nanoseconds from the trace's
 * earliest start rather than bigints: 80,000 × 2 bigints cost more to read, post from the reader
 * thread and subtract than the rest of the row.
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
  /** Unix nanoseconds from which `startNs` and `endNs` count (0 when there is no span). */
  baseUnixNano: bigint;
  /**
   * Nanoseconds from `baseUnixNano`, integers (exact within 2^53 ns, 104 days, of it); negative for
   * a span stored between the read of the base and the read of the rows with an earlier start.
   */
  startNs: number[];
  endNs: number[];
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

function emptyOutline(n: number, baseUnixNano: bigint): TraceOutline {
  return {
    spanId: new Array(n),
    parentSpanId: new Array(n),
    name: new Array(n),
    serviceName: new Array(n),
    kind: new Array(n),
    statusCode: new Array(n),
    baseUnixNano,
    startNs: new Array(n),
    endNs: new Array(n),
  };
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

  /**
   * Every span of one trace in start order, structure only; no span when the trace is unknown.
   * On SQLite's reader threads the rows come as arrays (`executeRows`), not objects, read from the
   * outline index alone (`spans_trace_key_outline`, led by the trace's key: migrations 2026-12-09
   * and 2026-12-20), already in order, with every number
   * a double (`#structureRows`). Elsewhere the times come as the driver gives them and are
   * subtracted here.
   */
  async traceStructure(traceId: string): Promise<TraceOutline> {
    const pool = readerPoolOf(this.db);
    if (pool !== undefined) return await this.#structureRows(pool, traceId);
    const rows = await this.db.selectFrom("spans")
      .select([...OUTLINE_COLUMNS])
      .where(spansOfTrace(this.caps.driver, traceId))
      .orderBy("start_time_unix_nano")
      .orderBy("span_id")
      .execute();
    const n = rows.length;
    // In start order: the first row's start is the earliest.
    const base = n === 0 ? 0n : BigInt(rows[0]!.start_time_unix_nano);
    const outline = emptyOutline(n, base);
    for (let i = 0; i < n; i++) {
      const row = rows[i]!;
      outline.spanId[i] = row.span_id;
      outline.parentSpanId[i] = row.parent_span_id;
      outline.name[i] = row.name;
      outline.serviceName[i] = row.service_name;
      outline.kind[i] = Number(row.kind);
      outline.statusCode[i] = Number(row.status_code);
      outline.startNs[i] = Number(BigInt(row.start_time_unix_nano) - base);
      outline.endNs[i] = Number(BigInt(row.end_time_unix_nano) - base);
    }
    return outline;
  }

  /**
   * SQLite's reader threads: the trace's earliest start (a look-up in the outline index), then the
   * rows with their times from it, subtracted as integers and cast to doubles by SQLite, and kind
   * and status as doubles too: the reader returns SQLite's integers as bigints, which for 80,000
   * spans cost a third more to read and post, and then to subtract (measured: docs/benchmarks.md).
   * A span of an earlier start stored between the two reads gets a negative time (the outline's
   * contract allows it).
   */
  async #structureRows(pool: SqliteReadPool, traceId: string): Promise<TraceOutline> {
    // The trace's spans by its key, which leads the outline index (migration 2026-12-20).
    const ofTrace = spansOfTrace("sqlite", traceId);
    const first = this.db.selectFrom("spans")
      .select(sql<bigint | null>`min(start_time_unix_nano)`.as("start"))
      .where(ofTrace)
      .compile();
    const start = (await pool.executeRows(first.sql, first.parameters)).rows[0]?.[0];
    if (start === null || start === undefined) return emptyOutline(0, 0n);
    const base = BigInt(start as bigint | number);
    const query = this.db.selectFrom("spans")
      .select([
        "span_id",
        "parent_span_id",
        "name",
        "service_name",
        sql<number>`cast(kind as real)`.as("kind"),
        sql<number>`cast(status_code as real)`.as("status_code"),
        sql<number>`cast(start_time_unix_nano - ${base} as real)`.as("start_ns"),
        sql<number>`cast(end_time_unix_nano - ${base} as real)`.as("end_ns"),
      ])
      .where(ofTrace)
      .orderBy("start_time_unix_nano")
      .orderBy("span_id")
      .compile();
    const { rows } = await pool.executeRows(query.sql, query.parameters);
    const n = rows.length;
    const outline = emptyOutline(n, base);
    for (let i = 0; i < n; i++) {
      const row = rows[i]!;
      outline.spanId[i] = row[0] as string;
      outline.parentSpanId[i] = row[1] as string;
      outline.name[i] = row[2] as string;
      outline.serviceName[i] = row[3] as string;
      outline.kind[i] = row[4] as number;
      outline.statusCode[i] = row[5] as number;
      outline.startNs[i] = row[6] as number;
      outline.endNs[i] = row[7] as number;
    }
    return outline;
  }

  /** One span with all its fields, by the primary key; undefined when it is not stored. */
  async traceSpan(traceId: string, spanId: string): Promise<StoredSpan | undefined> {
    const row = await this.db.selectFrom("spans")
      .innerJoin("resources", "resources.id", "spans.resource_id")
      .selectAll("spans")
      .select(RESOURCE_COLUMNS)
      .where(spanOf(this.caps.driver, traceId, spanId))
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
      .where(spansOfTrace(this.caps.driver, traceId))
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
      .where(spansOfTrace(this.caps.driver, traceId))
      .orderBy("span_id");
    return (await this.caps.paginate(query, { limit: 1, offset: 0 }).execute()).length > 0;
  }
}
