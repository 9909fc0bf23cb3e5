// deno-lint-ignore-file no-console -- a benchmark prints its figures
/**
 * Layouts of the span tables and SQLite's writes at one exporter's pace (issue 12): commits of 50
 * new two-span traces (telemetrygen's 100 spans a request) into the spans, trace summaries and
 * trace services of each layout, on a file already holding the traces given, with Argus's pragmas;
 * prints spans/s, CPU per span and the bytes the process wrote to disk per span (WAL and
 * checkpoints, `/proc/self/io`). Layouts, interleaved:
 *
 * - `issue 15`: the tables before migration 2026-12-20: spans keyed (trace_id, span_id) with the
 *   outline index (trace_id, start, …), summaries keyed by trace_id, services by (trace_id,
 *   service). Four B-trees keyed by the random trace id: each new trace writes a page of each.
 * - `2026-12-20`: the tables migration 2026-12-20 made: issue 15's, the outline index led by the
 *   summary's `trace_key` (a column its trigger fills) and partial, the spans given their key by
 *   one update at the end of the commit, the services keyed by (trace key, service) `WITHOUT
 *   ROWID`. Two random trees.
 * - `today`: the tables as the migrations make them (2026-12-21): as `2026-12-20`, but the spans
 *   unique by (trace_key, span_id) instead of their primary key (trace_id, span_id), each span
 *   inserted with its key, read from its summary written just before (store/trace_keys.ts). One
 *   random tree (the summaries' trace id).
 * - `no outline`: issue 15's without the outline index.
 * - `trace key`: a summary's integer rowid (`trace_key`, given in arrival order) keys the
 *   outline index and the services; spans keep (trace_id, span_id). Two random trees.
 * - `clustered`: the same, and spans `WITHOUT ROWID` keyed (trace_key, span_id); a span's trace
 *   key is found through the summary's unique trace_id. One random tree (the summaries').
 * - `clustered, no outline`: the trace's spans are adjacent in the table itself.
 *
 * Only the inserts of new traces are modelled (no recompute of a known trace, no attribute index,
 * no rollups): the pages each layout writes, not Argus's whole commit.
 *
 *   deno run -A bench/span_layouts.ts [traces stored first, default 100000] [rounds, default 2]
 *
 * @module
 */
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { randomBytes } from "node:crypto";
import process from "node:process";
import { PRAGMAS } from "../store/node_sqlite.ts";

const COMMITS = 400;
const TRACES_PER_COMMIT = 50;

const SPAN_COLUMNS = "trace_id text not null, span_id text not null, " +
  "parent_span_id text not null, trace_state text not null, name text not null, " +
  "kind integer not null, start_time_unix_nano integer not null, " +
  "end_time_unix_nano integer not null, duration_ns integer not null, " +
  "status_code integer not null, status_message text not null, service_name text not null, " +
  "resource_id text not null, scope_name text not null, scope_version text not null, " +
  "scope_attributes text not null, attributes text not null, events text not null, " +
  "links text not null, dropped_attributes_count integer not null, " +
  "dropped_events_count integer not null, dropped_links_count integer not null, " +
  "flags integer not null, scope_schema_url text not null default '', " +
  "scope_dropped_attributes_count integer not null default 0, " +
  "long_text text not null default ''";
const OUTLINE = "start_time_unix_nano, span_id, parent_span_id, service_name, name, kind, " +
  "status_code, end_time_unix_nano";
const SUMMARY_COLUMNS = "start_time_unix_nano integer not null, " +
  "end_time_unix_nano integer not null, duration_ns integer not null, " +
  "span_count integer not null, error_count integer not null, failed integer not null, " +
  "root_service text not null, root_name text not null, span_names text";

interface Layout {
  name: string;
  /**
   * How spans and services get the trace's key: not at all, the summary's integer rowid bound to
   * each row, the trigger's key set on the commit's spans by one update at its end (`2026-12-20`),
   * or the trigger's key read back and bound to each span (`today`).
   */
  keys: "none" | "rowid" | "trigger" | "read";
  tables: string[];
}

const KEYED_SUMMARIES = `create table trace_summaries (trace_key integer primary key, ` +
  `trace_id text not null unique, ${SUMMARY_COLUMNS})`;
const SERVICE_COLUMNS = "service_name text not null, start_time_unix_nano integer not null, " +
  "failed integer not null";
const KEYED_SERVICES = `create table trace_services (trace_key integer not null, ` +
  `${SERVICE_COLUMNS}, primary key (trace_key, service_name)) without rowid`;
const TODAY_SUMMARIES =
  `create table trace_summaries (trace_id text not null primary key, ${SUMMARY_COLUMNS})`;
/** Migration 2026-12-20's summary keys: a column its trigger fills. */
const SUMMARY_KEYS = [
  "alter table trace_summaries add column trace_key integer",
  "create unique index trace_summaries_key on trace_summaries (trace_key)",
  "create trigger trace_summaries_key after insert on trace_summaries " +
  "when new.trace_key is null begin update trace_summaries set trace_key = " +
  "(select coalesce(max(trace_key), 0) + 1 from trace_summaries) where rowid = new.rowid; end",
];
const KEY_OUTLINE = `create index spans_trace_key_outline on spans (trace_key, ${
  "start_time_unix_nano, span_id, parent_span_id, service_name, name, kind, status_code, " +
  "end_time_unix_nano"
})`;
const KEYED_SERVICES_WITH_ID = "create table trace_services (trace_key integer not null, " +
  `trace_id text not null, ${SERVICE_COLUMNS}, primary key (trace_key, service_name)) ` +
  "without rowid";
/** Migration 2026-12-20's additions to issue 15's tables (the model's trace key). */
const TRIGGER_KEYS = [
  ...SUMMARY_KEYS,
  "alter table spans add column trace_key integer",
  `${KEY_OUTLINE} where trace_key is not null`,
  "drop table trace_services",
  KEYED_SERVICES_WITH_ID,
];
const TODAY_SERVICES = `create table trace_services (trace_id text not null, ` +
  `${SERVICE_COLUMNS}, primary key (trace_id, service_name))`;

/** The spans table keyed as today, or by the trace key (`clustered`, `WITHOUT ROWID`). */
const SPANS = {
  today: `create table spans (${SPAN_COLUMNS}, primary key (trace_id, span_id))`,
  keyed: `create table spans (${SPAN_COLUMNS}, trace_key integer not null, ` +
    `primary key (trace_id, span_id))`,
  clustered: `create table spans (${SPAN_COLUMNS}, trace_key integer not null, ` +
    `primary key (trace_key, span_id)) without rowid`,
  /** Migration 2026-12-21's: no primary key, unique by (trace_key, span_id). */
  byKey: `create table spans (${SPAN_COLUMNS}, trace_key integer not null)`,
};
const outline = (key: string) => `create index spans_trace_outline on spans (${key}, ${OUTLINE})`;

/** The layouts compared; the test holds `today`'s tables to the migrated schema. */
export const LAYOUTS: Layout[] = [
  {
    name: "issue 15",
    keys: "none",
    tables: [SPANS.today, outline("trace_id"), TODAY_SUMMARIES, TODAY_SERVICES],
  },
  {
    name: "2026-12-20",
    keys: "trigger",
    tables: [SPANS.today, TODAY_SUMMARIES, TODAY_SERVICES, ...TRIGGER_KEYS],
  },
  {
    name: "today",
    keys: "read",
    tables: [
      SPANS.byKey,
      "create unique index spans_key on spans (trace_key, span_id)",
      KEY_OUTLINE,
      TODAY_SUMMARIES,
      ...SUMMARY_KEYS,
      KEYED_SERVICES_WITH_ID,
    ],
  },
  { name: "no outline", keys: "none", tables: [SPANS.today, TODAY_SUMMARIES, TODAY_SERVICES] },
  {
    name: "trace key",
    keys: "rowid",
    tables: [SPANS.keyed, outline("trace_key"), KEYED_SUMMARIES, KEYED_SERVICES],
  },
  {
    name: "clustered",
    keys: "rowid",
    tables: [SPANS.clustered, outline("trace_key"), KEYED_SUMMARIES, KEYED_SERVICES],
  },
  {
    name: "clustered, no outline",
    keys: "rowid",
    tables: [SPANS.clustered, KEYED_SUMMARIES, KEYED_SERVICES],
  },
];

/**
 * The indexes every layout has: the time and service reads of spans, the trace list's. With
 * `today`'s tables, the schema Argus's migrations make (the test holds them to it).
 */
export const COMMON_INDEXES = [
  "create index spans_start_time on spans (start_time_unix_nano)",
  "create index spans_service_start_time on spans (service_name, start_time_unix_nano)",
  "create index trace_summaries_start on trace_summaries (start_time_unix_nano)",
  "create index trace_summaries_failed_start on trace_summaries (failed, start_time_unix_nano)",
  "create index trace_summaries_duration on trace_summaries (duration_ns)",
  "create index trace_summaries_span_count on trace_summaries (span_count)",
  "create index trace_services_service_failed_start on trace_services " +
  "(service_name, failed, start_time_unix_nano)",
];

const SERVICES = Array.from({ length: 8 }, (_, i) => `service-${i}`);
const ATTRIBUTES = JSON.stringify({
  "http.method": "GET",
  "http.route": "/api/orders/{id}",
  "net.peer.name": "orders.internal",
  "http.status_code": 200,
});
const hex = (bytes: number) => randomBytes(bytes).toString("hex");
/** Bytes this process wrote to disk; NaN where `/proc/self/io` cannot be read (Deno asks -A). */
const written = () => {
  try {
    return Number(Deno.readTextFileSync("/proc/self/io").match(/^write_bytes: (\d+)/m)![1]);
  } catch {
    return NaN;
  }
};
/** CPU time of this process (every thread), in ms. */
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1_000;
};

/** Inserts `count` new two-span traces starting at `startNs` in one transaction. */
function commit(
  db: DatabaseSync,
  layout: Layout,
  statements: Statements,
  startNs: bigint,
  count: number,
) {
  db.exec("begin");
  const lastSpan = layout.keys === "trigger"
    ? (statements.lastSpan.get() as { n: number | bigint }).n
    : 0;
  for (let t = 0; t < count; t++) {
    const traceId = hex(16);
    const service = SERVICES[t % SERVICES.length]!;
    const start = startNs + BigInt(t) * 1_000_000n;
    const root = hex(8);
    const summary: SQLInputValue[] = [
      traceId,
      start,
      start + 500_000n,
      500_000,
      2,
      0,
      0,
      service,
      "GET /api/orders",
      "\x1fGET /api/orders\x1f",
    ];
    const { lastInsertRowid } = statements.summary.run(...summary);
    const key = layout.keys === "rowid"
      ? lastInsertRowid
      : layout.keys === "read"
      ? (statements.readKey.get(lastInsertRowid) as { trace_key: number | bigint }).trace_key
      : undefined;
    for (const [spanId, parent, offset] of [[root, "", 0n], [hex(8), root, 1_000n]] as const) {
      const row: SQLInputValue[] = [
        traceId,
        spanId,
        parent,
        "",
        "GET /api/orders",
        2,
        start + offset,
        start + offset + 500_000n,
        500_000,
        0,
        "",
        service,
        hex(16),
        "scope",
        "1",
        "{}",
        ATTRIBUTES,
        "[]",
        "[]",
        0,
        0,
        0,
        1,
        "",
        0,
        "",
      ];
      if (key !== undefined) row.push(key);
      statements.span.run(...row);
    }
    if (layout.keys === "rowid") statements.service.run(key!, service, start, 0);
    else statements.service.run(traceId, service, start, 0);
  }
  if (layout.keys === "trigger") statements.assignKeys.run(lastSpan);
  db.exec("commit");
}

interface Statements {
  span: ReturnType<DatabaseSync["prepare"]>;
  summary: ReturnType<DatabaseSync["prepare"]>;
  service: ReturnType<DatabaseSync["prepare"]>;
  lastSpan: ReturnType<DatabaseSync["prepare"]>;
  assignKeys: ReturnType<DatabaseSync["prepare"]>;
  readKey: ReturnType<DatabaseSync["prepare"]>;
}

/** What one run of a layout measured, and the rows its tables hold at the end. */
export interface Measured {
  spansPerSecond: number;
  msPerCommit: number;
  cpuUsPerSpan: number;
  kibPerSpan: number;
  rows: { spans: number; summaries: number; services: number };
}

/**
 * Stores `stored` traces (in commits of 1,000), then times `commits` commits of 50 new traces, in
 * a new file of `dir` with `layout`'s tables.
 */
export function measure(dir: string, layout: Layout, stored: number, commits = COMMITS): Measured {
  const db = new DatabaseSync(`${dir}/${crypto.randomUUID()}.db`);
  try {
    for (const pragma of PRAGMAS) db.exec(`pragma ${pragma}`);
    for (const statement of [...layout.tables, ...COMMON_INDEXES]) db.exec(statement);
    const statements: Statements = {
      span: db.prepare(
        `insert or ignore into spans values (${
          Array(layout.keys === "rowid" || layout.keys === "read" ? 27 : 26).fill("?").join(", ")
        }${layout.keys === "trigger" ? ", null" : ""})`,
      ),
      summary: db.prepare(
        "insert into trace_summaries (trace_id, start_time_unix_nano, end_time_unix_nano, " +
          "duration_ns, span_count, error_count, failed, root_service, root_name, span_names) " +
          "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      // Today's as store/trace_keys.ts `sqliteServicesInsert` writes it (one row).
      service: db.prepare(
        layout.keys === "trigger" || layout.keys === "read"
          ? "insert into trace_services select t.trace_key, v.column1, v.column2, v.column3, " +
            "v.column4 from (values (?, ?, ?, ?)) v inner join trace_summaries t " +
            "on t.trace_id = v.column1"
          : "insert into trace_services values (?, ?, ?, ?)",
      ),
      // As store/trace_keys.ts SQLITE_TRACE_KEYS (the same statements, repeated: a model).
      lastSpan: db.prepare(
        layout.keys === "trigger" ? "select coalesce(max(rowid), 0) as n from spans" : "select 0",
      ),
      assignKeys: db.prepare(
        layout.keys === "trigger"
          ? "update spans set trace_key = (select t.trace_key from trace_summaries t " +
            "where t.trace_id = spans.trace_id) where rowid > ?"
          : "select ?",
      ),
      // As sqlite_commit.ts reads the keys back after writing the summaries (one at a time here).
      readKey: db.prepare(
        layout.keys === "read"
          ? "select trace_key from trace_summaries where rowid = ?"
          : "select ?",
      ),
    };
    let time = 1_795_687_200_000_000_000n;
    for (let done = 0; done < stored; done += 1_000) {
      commit(db, layout, statements, time, Math.min(1_000, stored - done));
      time += 1_000_000_000n;
    }
    db.exec("pragma wal_checkpoint(truncate)");
    const bytes = written();
    const cpu = cpuMs();
    const started = performance.now();
    for (let i = 0; i < commits; i++) {
      commit(db, layout, statements, time, TRACES_PER_COMMIT);
      time += 50_000_000n;
    }
    const seconds = (performance.now() - started) / 1_000;
    const spans = commits * TRACES_PER_COMMIT * 2;
    const count = (table: string) =>
      Number((db.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n);
    return {
      spansPerSecond: spans / seconds,
      msPerCommit: seconds * 1_000 / commits,
      cpuUsPerSpan: (cpuMs() - cpu) * 1_000 / spans,
      kibPerSpan: (written() - bytes) / spans / 1_024,
      rows: {
        spans: count("spans"),
        summaries: count("trace_summaries"),
        services: count("trace_services"),
      },
    };
  } finally {
    db.close();
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const format = (value: number, digits = 0) =>
  value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function main() {
  const stored = Number(Deno.args[0] ?? 100_000);
  const rounds = Number(Deno.args[1] ?? 2);
  const dir = await Deno.makeTempDir({ prefix: "argus-bench-span-layouts-" });
  try {
    console.log(
      `# ${stored} two-span traces stored first, then ${COMMITS} commits of ${TRACES_PER_COMMIT} ` +
        `new traces; ${rounds} round(s), layouts interleaved, medians; Deno ${Deno.version.deno}\n`,
    );
    const results = new Map<string, Measured[]>();
    for (let round = 0; round < rounds; round++) {
      for (const layout of LAYOUTS) {
        const result = measure(dir, layout, stored);
        results.set(layout.name, [...results.get(layout.name) ?? [], result]);
      }
    }
    const base = median(results.get("issue 15")!.map((r) => r.spansPerSecond));
    console.log(
      "| layout | spans/s | × issue 15 | ms per commit | CPU µs per span | KiB written per span |",
    );
    console.log("| --- | --: | --: | --: | --: | --: |");
    for (const layout of LAYOUTS) {
      const runs = results.get(layout.name)!;
      const rate = median(runs.map((r) => r.spansPerSecond));
      console.log(
        `| ${layout.name} | ${format(rate)} | ${format(rate / base, 2)} | ${
          format(median(runs.map((r) => r.msPerCommit)), 2)
        } | ${format(median(runs.map((r) => r.cpuUsPerSpan)), 1)} | ${
          format(median(runs.map((r) => r.kibPerSpan)), 1)
        } |`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await main();
