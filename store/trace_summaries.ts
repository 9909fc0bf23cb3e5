/**
 * Trace summaries: one row per trace (`trace_summaries`: start, end, duration, span and error
 * counts, root service and name) and one per trace × service (`trace_services`), kept at ingest in
 * the transaction that stores the spans, so that the trace list's filters and sorts read indexes
 * of them instead of grouping every span of the window by trace.
 *
 * They are never added to: each write *recomputes* the summaries of the traces it touched from
 * the spans stored (theirs and those stored before, by the primary key's trace_id prefix; on
 * SQLite by the trace key, from the outline index: trace_keys.ts, `keyedSpans`). So a
 * summary is exact by construction under retries and replays (duplicate spans are not stored
 * twice), late spans, out-of-order arrival and a trace written through several requests.
 *
 * SQLite's writer thread skips the re-read for new traces (sqlite_commit.ts): when every span of a
 * commit was inserted, a trace without a summary row has no other span stored (spans and their
 * summary are written in one transaction, and the migration filled the summaries of older
 * spans), so its rows are computed from the commit's spans in memory, with the same rules, and
 * inserted; only traces that had a summary are recomputed here. SQLite's one writer makes "had a
 * summary" a fact of the transaction. PostgreSQL learns it from the claim: its claim inserts the
 * summaries computed the same way in memory and claims the rows that were there
 * (`bulkClaimSummaries`), so only those are recomputed. MySQL and SQL Server recompute every
 * trace.
 *
 * Replicas (several Argus on one PostgreSQL, MySQL or SQL Server): a recompute reads only the
 * spans committed before it (or its own), so two writers storing spans of one trace at once
 * could each miss the other's. Every writer therefore first *claims* the summary rows of its
 * traces (an upsert, which locks the row, in trace-id order so that writers never deadlock on
 * them) before it inserts their spans, and holds them to its commit: writers of one trace take
 * turns, and the last one recomputes from everything the others committed. SQLite has one writer,
 * which needs no claim.
 *
 * PostgreSQL runs the claim and the recompute as statements of its own (postgres_bulk.ts, through
 * the optional `claimSummaries` and `refreshSummaries` of its DialectCapabilities): the trace ids
 * bound as one `text[]` rather than one parameter each, the spans read once, and the services
 * upserted, with the rows of `refreshStatements` (its test compares them). The two functions
 * below are the one place that chooses.
 *
 * The root is the earliest span without a parent (ties by span id); while none is stored, the
 * earliest span stands in, as the trace list always showed. `failed` is 1 when a span has status
 * ERROR (error_count > 0), kept as a column so that indexes can lead with it. `span_names` holds
 * the trace's distinct span names as one text (span_names.ts), which the list's span-name search
 * reads (`spanNamesContain`) instead of probing each summary's spans.
 *
 * @module
 */
import { type Kysely, type RawBuilder, sql, type SqlBool } from "kysely";
import type { DbDriver } from "../lib/config.ts";
import type { Database } from "./columns.ts";
import type { SpanRow } from "./types.ts";
import type { DialectCapabilities } from "./dialects/mod.ts";
import { SPAN_NAME_SEPARATOR, SPAN_NAMES_MAX_LENGTH } from "./span_names.ts";
import { servicesOfTraces, spansOfSummary } from "./trace_keys.ts";

type Db = Kysely<Database>;

/** The summary's columns, in the order the recompute selects them. */
export const SUMMARY_COLUMNS = [
  "trace_id",
  "start_time_unix_nano",
  "end_time_unix_nano",
  "duration_ns",
  "span_count",
  "error_count",
  "failed",
  "root_service",
  "root_name",
  "span_names",
] as const;

/** The summary's columns that a claim sets (`span_names` is left as it is, NULL when new). */
const CLAIM_COLUMNS = SUMMARY_COLUMNS.filter((c) => c !== "span_names");

/** The columns of `trace_services`. */
export const SERVICE_COLUMNS = [
  "trace_id",
  "service_name",
  "start_time_unix_nano",
  "failed",
] as const;

/** A condition on a trace-id column: that it is one of the traces being summarized. */
export type TraceIdsCondition = (column: RawBuilder<unknown>) => RawBuilder<SqlBool>;

/** The condition `column in (ids…)`, with the ids bound as parameters. */
export function traceIdsIn(ids: readonly string[]): TraceIdsCondition {
  return (column) => sql<SqlBool>`${column} in (${sql.join(ids)})`;
}

const ref = (name: string) => sql.ref(name);

/** How each database computes `span_names` (span_names.ts) exactly as the others do. */
interface SpanNamesSql {
  /** A name's length in the unit of SPAN_NAMES_MAX_LENGTH. */
  length(name: RawBuilder<unknown>): RawBuilder<unknown>;
  /** The name as `select distinct` must compare it: byte for byte (MySQL and SQL Server pad). */
  distinct(name: RawBuilder<unknown>): RawBuilder<unknown>;
  /** The aggregate joining `names` (NULLs skipped) by the separator, in binary order of `name`. */
  join(names: RawBuilder<unknown>, name: RawBuilder<unknown>): RawBuilder<unknown>;
  /** `text` between two separators; NULL when `text` is. */
  enclose(text: RawBuilder<unknown>): RawBuilder<unknown>;
}

/** The separator as a literal: the writer thread's statements take no parameters. */
const SEPARATOR = sql.lit(SPAN_NAME_SEPARATOR);

const SPAN_NAMES_SQL: Record<DbDriver, SpanNamesSql> = {
  sqlite: {
    length: (name) => sql`length(cast(${name} as blob))`,
    distinct: (name) => name,
    join: (names, name) => sql`group_concat(${names}, ${SEPARATOR} order by ${name})`,
    enclose: (text) => sql`${SEPARATOR} || ${text} || ${SEPARATOR}`,
  },
  postgres: {
    length: (name) => sql`octet_length(${name})`,
    distinct: (name) => name,
    join: (names, name) => sql`string_agg(${names}, ${SEPARATOR} order by ${name} collate "C")`,
    enclose: (text) => sql`${SEPARATOR} || ${text} || ${SEPARATOR}`,
  },
  // utf8mb4_bin pads: 'a' and 'a ' are one value to DISTINCT (their lengths tell them apart) and
  // tie in an ORDER BY (their bytes do not).
  mysql: {
    length: (name) => sql`length(${name})`,
    distinct: (name) => name,
    join: (names, name) =>
      sql`group_concat(${names} order by cast(${name} as binary) separator ${SEPARATOR})`,
    enclose: (text) => sql`concat(char(31 using utf8mb4), ${text}, char(31 using utf8mb4))`,
  },
  // Case-insensitive and padding by default: a binary collation and the length keep names apart.
  // STRING_AGG has no DISTINCT, hence the distinct names below; the order is UTF-16's.
  sqlserver: {
    length: (name) => sql`datalength(${name}) / 2`,
    distinct: (name) => sql`${name} collate Latin1_General_100_BIN2`,
    join: (names, name) =>
      sql`string_agg(${names}, ${
        sql.raw(`N'${SPAN_NAME_SEPARATOR}'`)
      }) within group (order by ${name})`,
    enclose: (text) =>
      sql`${sql.raw(`N'${SPAN_NAME_SEPARATOR}'`)} + ${text} + ${
        sql.raw(`N'${SPAN_NAME_SEPARATOR}'`)
      }`,
  },
};

/**
 * The `span_names` of the traces `ids` selects, from their stored spans. When a trace's names
 * pass the cap (`total`, by a window over its distinct names), each is left out of the aggregate,
 * which is then NULL, rather than aggregated and cut: MySQL's GROUP_CONCAT would cut the text
 * silently at group_concat_max_len, and SQL Server's STRING_AGG fails past 8,000 bytes.
 */
function spanNamesSelect(
  driver: DbDriver,
  ids: TraceIdsCondition,
  spans: RawBuilder<unknown>,
): RawBuilder<unknown> {
  const names = SPAN_NAMES_SQL[driver];
  const traceId = ref("trace_id");
  const name = ref("name");
  return sql`select w.trace_id as trace_id, ${
    names.enclose(
      names.join(
        sql`case when w.total <= ${sql.lit(SPAN_NAMES_MAX_LENGTH)} then w.name end`,
        sql.ref("w.name"),
      ),
    )
  } as span_names
    from (
      select d.trace_id as trace_id, d.name as name,
        sum(d.name_length + 1) over (partition by d.trace_id) + 1 as total
      from (
        select distinct ${traceId} as trace_id, ${names.distinct(name)} as name,
          ${names.length(name)} as name_length
        from ${spans} where ${ids(traceId)}
      ) d
    ) w
    group by w.trace_id`;
}

/**
 * The summaries of the traces `ids` selects, computed from their stored spans (or from `spans`, a
 * relation with the spans' columns: PostgreSQL's recompute reads the spans once).
 */
export function summarySelect(
  driver: DbDriver,
  ids: TraceIdsCondition,
  spans: RawBuilder<unknown> = sql.table("spans"),
): RawBuilder<unknown> {
  const traceId = ref("trace_id");
  const start = ref("start_time_unix_nano");
  return sql`select g.trace_id as trace_id, g.start_ns as start_time_unix_nano,
      g.end_ns as end_time_unix_nano, g.end_ns - g.start_ns as duration_ns,
      g.span_count as span_count, g.error_count as error_count,
      case when g.error_count > 0 then 1 else 0 end as failed,
      f.service_name as root_service, f.name as root_name, n.span_names as span_names
    from (
      select ${traceId} as trace_id, min(${start}) as start_ns,
        max(${ref("end_time_unix_nano")}) as end_ns, count(*) as span_count,
        sum(case when ${ref("status_code")} = 2 then 1 else 0 end) as error_count
      from ${spans} where ${ids(traceId)} group by ${traceId}
    ) g
    inner join (
      select ${traceId} as trace_id, ${ref("service_name")} as service_name, ${ref("name")} as name,
        row_number() over (partition by ${traceId} order by case when ${
    ref("parent_span_id")
  } = '' then 0 else 1 end, ${start}, ${ref("span_id")}) as n
      from ${spans} where ${ids(traceId)}
    ) f on f.trace_id = g.trace_id
    inner join (${spanNamesSelect(driver, ids, spans)}) n on n.trace_id = g.trace_id
    where f.n = 1`;
}

/**
 * The trace list's span-name search: whether a span name of the trace of the summary `ts` (its
 * alias) contains `text`, ignoring case (`%` and `_` literal). Read from `span_names`, which
 * contains the text exactly when one of the names does; only the traces whose names it could not
 * hold (NULL) have their spans probed, and every trace when the text holds the separator.
 *
 * The probe stays a per-summary look-up by the spans' key: on PostgreSQL, `offset 0` keeps the
 * planner from making it a "hashed SubPlan", which would read every span of the database once
 * the first NULL summary is met. SQL Server probes its matches too: its collations may give
 * control characters no weight, so that a text could match across the separator ("ab" in
 * `\x1fa\x1fb\x1f`); MySQL's and MariaDB's LIKE compare character by character, as the tests
 * check.
 */
export function spanNamesContain(
  caps: Pick<DialectCapabilities, "driver" | "containsIgnoringCase">,
  ts: string,
  text: string,
): RawBuilder<SqlBool> {
  const keepCorrelated = caps.driver === "postgres" ? sql` offset 0` : sql``;
  const probe = sql<SqlBool>`exists (select 1 from ${sql.table("spans")} s where ${
    spansOfSummary(caps.driver, ts, "s")
  } and ${caps.containsIgnoringCase("s.name", text)}${keepCorrelated})`;
  if (text.includes(SPAN_NAME_SEPARATOR)) return probe;
  const names = ref(`${ts}.span_names`);
  const inNames = caps.containsIgnoringCase(`${ts}.span_names`, text);
  return caps.driver === "sqlserver"
    ? sql<SqlBool>`((${names} is null or ${inNames}) and ${probe})`
    : sql<SqlBool>`(${inNames} or (${names} is null and ${probe}))`;
}

/**
 * The statements that bring the summaries of the traces `ids` selects up to date with their
 * stored spans, in order: upsert the summaries, then replace their services. (A trace without
 * stored spans keeps its summary row: `removeEmptyStatement` deletes those, for the purge.)
 */
export function refreshStatements(
  caps: Pick<DialectCapabilities, "upsertSelect" | "driver">,
  ids: TraceIdsCondition,
): RawBuilder<unknown>[] {
  const sqlite = caps.driver === "sqlite";
  const spans = sqlite ? keyedSpans(ids) : sql.table("spans");
  const services = sqlite
    ? [ref("trace_key"), ...SERVICE_COLUMNS.map((c) => ref(c))]
    : SERVICE_COLUMNS.map((c) => ref(c));
  return [
    caps.upsertSelect(
      "trace_summaries",
      ["trace_id"],
      SUMMARY_COLUMNS,
      summarySelect(caps.driver, ids, spans),
    ),
    sql`delete from ${sql.table("trace_services")} where ${servicesOfTraces(caps.driver, ids)}`,
    sql`insert into ${sql.table("trace_services")} (${sql.join(services)})
      select distinct ${sqlite ? sql`ts.trace_key, ` : sql``}sp.trace_id, sp.service_name,
        ts.start_time_unix_nano, ts.failed
      from ${spans} sp
      inner join ${sql.table("trace_summaries")} ts on ts.trace_id = sp.trace_id
      where ${ids(sql.ref("sp.trace_id"))}`,
  ];
}

/**
 * SQLite: the spans of the traces `ids` selects, with the columns the recompute reads, found by
 * their trace's key (migration 2026-12-20, trace_keys.ts) in the outline index, which holds every
 * one of them: a trace's spans are adjacent there and no table row is read. Every span and summary
 * the recompute reads has its key (the commit gives them before it recomputes).
 */
function keyedSpans(ids: TraceIdsCondition): RawBuilder<unknown> {
  return sql`(select t.trace_id as trace_id, s.start_time_unix_nano as start_time_unix_nano,
      s.end_time_unix_nano as end_time_unix_nano, s.status_code as status_code,
      s.parent_span_id as parent_span_id, s.span_id as span_id,
      s.service_name as service_name, s.name as name
    from ${sql.table("trace_summaries")} t
    inner join ${sql.table("spans")} s on s.trace_key = t.trace_key
    where ${ids(sql.ref("t.trace_id"))})`;
}

/** Deletes the summaries (and services) of the traces `ids` selects that have no span stored. */
export function removeEmptyStatements(
  ids: TraceIdsCondition,
  driver: DbDriver,
): RawBuilder<unknown>[] {
  // On SQLite `table` is the summaries (`t`), whose key finds the spans; elsewhere its trace id.
  const spanless = (table: string) =>
    sql<SqlBool>`not exists (select 1 from ${sql.table("spans")} s where ${
      spansOfSummary(driver, table, "s")
    })`;
  // The services first, found through their summaries (`t`) on SQLite, which go next.
  const of = driver === "sqlite" ? "t" : "trace_services";
  return [
    sql`delete from ${sql.table("trace_services")} where ${
      servicesOfTraces(driver, ids, spanless(of))
    }`,
    sql`delete from ${sql.table("trace_summaries")} where ${
      ids(sql.ref("trace_summaries.trace_id"))
    } and ${spanless("trace_summaries")}`,
  ];
}

/**
 * Claims the summary rows of `traceIds` (sorted, distinct) for this transaction: inserts an empty
 * one where there is none, and locks each (see the module's comment on replicas). Its values are
 * replaced by the refresh later in the same transaction.
 */
export function claimStatement(
  caps: Pick<DialectCapabilities, "upsertSelect">,
  traceIds: readonly string[],
): RawBuilder<unknown> {
  const rows = traceIds.map((id, i) =>
    i === 0
      ? sql`select ${id} as trace_id, 0 as start_time_unix_nano, 0 as end_time_unix_nano,
          0 as duration_ns, 0 as span_count, 0 as error_count, 0 as failed, '' as root_service,
          '' as root_name`
      : sql`select ${id}, 0, 0, 0, 0, 0, 0, '', ''`
  );
  return caps.upsertSelect(
    "trace_summaries",
    ["trace_id"],
    CLAIM_COLUMNS,
    sql`select * from (${sql.join(rows, sql` union all `)}) claimed where 1 = 1`,
  );
}

/**
 * Trace ids per statement: the list appears three times in the recompute (SQL Server: 2,000
 * parameters).
 */
export function idsPerStatement(caps: Pick<DialectCapabilities, "maxParameters">): number {
  return Math.max(1, Math.min(1_000, Math.floor(caps.maxParameters / 3) - 10));
}

/** The distinct trace ids of `spans`, sorted (the order claims lock them in). */
export function traceIdsOf(spans: readonly { traceId: string }[]): string[] {
  return [...new Set(spans.map((s) => s.traceId))].sort();
}

function* slices<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/**
 * Claims the summaries of `traceIds` (sorted) inside the transaction `trx` (not on SQLite), and
 * answers those `refreshSummaries` must recompute: all of them, or, on PostgreSQL given the
 * `spans` about to be inserted, those that had a summary (the others' are written from `spans`
 * by the claim itself: postgres_bulk.ts `bulkClaimSummaries`).
 */
export async function claimSummaries(
  trx: Db,
  caps: DialectCapabilities,
  traceIds: readonly string[],
  spans?: readonly SpanRow[],
): Promise<readonly string[]> {
  if (caps.driver === "sqlite") return traceIds;
  if (caps.claimSummaries !== undefined) {
    return await caps.claimSummaries(trx, traceIds, spans) ?? traceIds;
  }
  for (const ids of slices(traceIds, idsPerStatement(caps))) {
    await claimStatement(caps, ids).execute(trx);
  }
  return traceIds;
}

/**
 * Recomputes the summaries of `traceIds` from their stored spans, inside `trx`; with
 * `removeEmpty`, deletes those of traces without a stored span (the purge).
 */
export async function refreshSummaries(
  trx: Db,
  caps: DialectCapabilities,
  traceIds: readonly string[],
  removeEmpty = false,
): Promise<void> {
  if (caps.refreshSummaries !== undefined) {
    return await caps.refreshSummaries(trx, traceIds, removeEmpty);
  }
  for (const ids of slices(traceIds, idsPerStatement(caps))) {
    const condition = traceIdsIn(ids);
    for (const statement of refreshStatements(caps, condition)) await statement.execute(trx);
    if (removeEmpty) {
      for (const statement of removeEmptyStatements(condition, caps.driver)) {
        await statement.execute(trx);
      }
    }
  }
}
