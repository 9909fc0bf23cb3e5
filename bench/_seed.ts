// deno-lint-ignore-file no-console -- a benchmark prints its progress
/**
 * The data set of the query benchmark (bench/queries.ts): `spans` spans and one log record per
 * five spans, spread evenly over the 24 hours before the seeding began, written through
 * `Store.write` exactly as ingest writes them (so rollups and service-map edges are those of
 * ingest), and cached between runs in a SQLite file or a PostgreSQL database (`SeedTarget`).
 *
 * The shape: 8 services, 36 span names, traces of 5 spans down a chain of three services
 * (server, client, server, client, server, as `buildCallChain` in tests/builders.ts) plus 0–3
 * internal or database spans (6 per trace on average); 7 request routes with their own error
 * rates, an error marking the chain from the failing service up. Every item is a deterministic
 * function of the seed parameters and its index: trace `i` always has the same ids, so the
 * benchmark can pick known trace ids without reading them, and a seeding cut short resumes where
 * its last committed batch ended (batches are transactions; roots in `span_rollups` count them).
 *
 * A row of the table `argus_bench_seed` beside the data records the parameters, the time the data
 * ends at (the benchmark's "now", so that a cached file keeps answering the same windows) and
 * whether the seeding completed.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { dirname } from "node:path";
import pg from "pg";
import { type DatabaseConfig, parseConfig, redactDsn } from "../lib/config.ts";
import { createStore, logId } from "../store/mod.ts";
import type { Batch, LogRow, ResourceRow, SpanRow } from "../store/mod.ts";
import { buildResource, random } from "../tests/builders.ts";

/** Bump when the generated data changes, so that cached files of the old shape are rebuilt. */
export const SEED_VERSION = 3;
/** Traces per `Store.write` call: ~2,000 spans and ~400 logs. */
export const TRACES_PER_BATCH = 333;
export const DAY_NS = 86_400_000_000_000n;
const NS_PER_MS = 1_000_000n;

export interface SeedParams {
  version: number;
  spans: number;
  /** Salt of every id and random choice. */
  salt: number;
}

export interface SeedMarker extends SeedParams {
  status: "seeding" | "complete";
  /** Unix ms at which the data ends: the seeding's start, to the minute. */
  endMs: number;
  traces: number;
  logs?: number;
  seedSeconds?: number;
  seededAt?: string;
}

// ---------------------------------------------------------------------------------------------
// The shape of the data.

export const SERVICES = [
  "frontend",
  "api-gateway",
  "order-service",
  "payment-service",
  "inventory-service",
  "catalog-service",
  "user-service",
  "notification-service",
] as const;
type Service = typeof SERVICES[number];

interface Hop {
  service: Service;
  /** The entry span's name (an HTTP route, or a consumer's operation). */
  operation: string;
  method: "GET" | "POST";
  /** OTLP kind of the entry span: 2 server, 5 consumer. */
  kind: 2 | 5;
  /** Typical own work in ms. */
  selfMs: number;
}

interface Route {
  hops: [Hop, Hop, Hop];
  weight: number;
  /** Share of the route's requests that fail (in the last hop, or in a middle one). */
  errorRate: number;
}

const hop = (
  service: Service,
  method: "GET" | "POST",
  operation: string,
  selfMs: number,
  kind: 2 | 5 = 2,
): Hop => ({ service, method, operation, selfMs, kind });

export const ROUTES: Route[] = [
  {
    hops: [
      hop("frontend", "GET", "GET /products/{id}", 8),
      hop("catalog-service", "GET", "GET /catalog/items/{id}", 12),
      hop("inventory-service", "GET", "GET /stock/{id}", 6),
    ],
    weight: 30,
    errorRate: 0.005,
  },
  {
    hops: [
      hop("frontend", "POST", "POST /checkout", 15),
      hop("order-service", "POST", "POST /orders", 25),
      hop("payment-service", "POST", "POST /payments", 120),
    ],
    weight: 10,
    errorRate: 0.06,
  },
  {
    hops: [
      hop("api-gateway", "POST", "POST /api/orders", 4),
      hop("order-service", "POST", "POST /orders", 25),
      hop("inventory-service", "POST", "POST /reservations", 18),
    ],
    weight: 12,
    errorRate: 0.03,
  },
  {
    hops: [
      hop("api-gateway", "GET", "GET /api/users/{id}", 3),
      hop("user-service", "GET", "GET /users/{id}", 9),
      hop("order-service", "GET", "GET /orders", 14),
    ],
    weight: 15,
    errorRate: 0.01,
  },
  {
    hops: [
      hop("frontend", "POST", "POST /login", 10),
      hop("user-service", "POST", "POST /sessions", 35),
      hop("notification-service", "POST", "POST /notifications", 20),
    ],
    weight: 8,
    errorRate: 0.02,
  },
  {
    hops: [
      hop("api-gateway", "GET", "GET /api/search", 3),
      hop("catalog-service", "GET", "GET /catalog/search", 40),
      hop("inventory-service", "GET", "GET /stock", 8),
    ],
    weight: 15,
    errorRate: 0.008,
  },
  {
    hops: [
      hop("order-service", "POST", "process orders.created", 6, 5),
      hop("payment-service", "POST", "POST /payments/capture", 60),
      hop("notification-service", "POST", "POST /notifications", 20),
    ],
    weight: 10,
    errorRate: 0.04,
  },
];
const TOTAL_WEIGHT = ROUTES.reduce((sum, r) => sum + r.weight, 0);

/** Internal and database spans of each service: name, OTLP kind (1 internal, 3 client, 4 producer). */
const INTERNAL: Record<Service, { name: string; kind: number; db?: string }[]> = {
  "frontend": [{ name: "render page", kind: 1 }, { name: "validate cart", kind: 1 }],
  "api-gateway": [{ name: "authenticate", kind: 1 }, { name: "rate limit", kind: 1 }],
  "order-service": [
    { name: "SELECT orders", kind: 3, db: "postgresql" },
    { name: "INSERT orders", kind: 3, db: "postgresql" },
    { name: "publish orders.created", kind: 4 },
  ],
  "payment-service": [
    { name: "charge card", kind: 1 },
    { name: "SELECT payments", kind: 3, db: "postgresql" },
  ],
  "inventory-service": [
    { name: "SELECT stock", kind: 3, db: "mysql" },
    { name: "UPDATE stock", kind: 3, db: "mysql" },
  ],
  "catalog-service": [
    { name: "SELECT products", kind: 3, db: "postgresql" },
    { name: "GET", kind: 3, db: "redis" },
  ],
  "user-service": [
    { name: "SELECT users", kind: 3, db: "postgresql" },
    { name: "SET", kind: 3, db: "redis" },
  ],
  "notification-service": [{ name: "send email", kind: 1 }],
};

/** Extra spans of trace i: EXTRA[i % 8] (one per trace on average, so 6 spans per trace). */
const EXTRA = [0, 1, 0, 2, 0, 1, 3, 1];
const CYCLE_SPANS = EXTRA.reduce((sum, e) => sum + 5 + e, 0);

/** Spans of the first `traces` traces (before any truncation of the last one). */
function spansBefore(traces: number): number {
  const cycles = Math.floor(traces / EXTRA.length);
  let spans = cycles * CYCLE_SPANS;
  for (let i = cycles * EXTRA.length; i < traces; i++) spans += 5 + EXTRA[i % EXTRA.length]!;
  return spans;
}

/** Traces needed for `spans` spans (the last one cut short to fit), and the last one's size. */
export function traceCount(spans: number): { traces: number; lastTraceSpans: number } {
  let traces = Math.max(1, Math.floor(spans / (CYCLE_SPANS / EXTRA.length)) - EXTRA.length);
  while (spansBefore(traces) < spans) traces++;
  return { traces, lastTraceSpans: spans - spansBefore(traces - 1) };
}

// ---------------------------------------------------------------------------------------------
// Deterministic ids: murmur3's finalizer is a bijection on 32 bits, so distinct trace indexes
// get distinct trace ids, spread like random ones.

function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const hex8 = (n: number) => n.toString(16).padStart(8, "0");

function traceHash(salt: number, trace: number): number {
  return fmix32((trace ^ fmix32(salt)) >>> 0);
}

/** The trace id of trace `trace` (0-based) of a data set. */
export function traceIdOf(salt: number, trace: number): string {
  const h = traceHash(salt, trace);
  let id = hex8(h);
  for (let k = 1; k < 4; k++) id += hex8(fmix32((h + Math.imul(k, 0x9e3779b9)) >>> 0));
  return id;
}

function spanIdOf(traceHashValue: number, span: number): string {
  const a = fmix32((traceHashValue + Math.imul(span + 1, 0x27d4eb2f)) >>> 0);
  return hex8(a) + hex8(fmix32((a ^ 0x165667b1) >>> 0));
}

// ---------------------------------------------------------------------------------------------
// Items.

export interface Dataset {
  params: SeedParams;
  endNs: bigint;
  traces: number;
  lastTraceSpans: number;
  resources: Record<Service, ResourceRow>;
}

export function dataset(params: SeedParams, endMs: number): Dataset {
  const { traces, lastTraceSpans } = traceCount(params.spans);
  const resources = Object.fromEntries(
    SERVICES.map((
      s,
    ) => [s, buildResource(s, { schemaUrl: "https://opentelemetry.io/schemas/1.26.0" })]),
  ) as Record<Service, ResourceRow>;
  return { params, endNs: BigInt(endMs) * NS_PER_MS, traces, lastTraceSpans, resources };
}

/** Start of trace `trace`: evenly spaced over the 24 hours before the end. */
export function traceStartNs(data: Dataset, trace: number): bigint {
  return data.endNs - DAY_NS + (DAY_NS * BigInt(trace)) / BigInt(data.traces);
}

const SCOPE_ATTRIBUTES = "{}";
const ms = (n: number) => BigInt(Math.round(n * 1_000_000));

/** An exponential-ish duration around `typical` ms with a long tail. */
function durationMs(rand: () => number, typical: number): number {
  const base = typical * (0.3 + -Math.log(1 - rand() * 0.999) * 0.7);
  return rand() < 0.01 ? base * (5 + rand() * 20) : base;
}

/** The order id a trace's entry span carries (`attr=order.id=…` searches): one per trace. */
export function orderIdOf(trace: number): string {
  return `ord-${String(trace).padStart(6, "0")}`;
}

function serverAttributes(hop: Hop, path: string, status: number, orderId?: string): string {
  const order = orderId === undefined ? {} : { "order.id": orderId };
  if (hop.kind === 5) {
    return JSON.stringify({
      ...order,
      "messaging.system": "kafka",
      "messaging.operation.type": "process",
      "messaging.destination.name": "orders.created",
      "messaging.consumer.group.name": hop.service,
      "messaging.kafka.message.offset": Number(path.length),
    });
  }
  return JSON.stringify({
    ...order,
    "http.request.method": hop.method,
    "http.response.status_code": status,
    "http.route": hop.operation.slice(hop.method.length + 1),
    "url.path": path,
    "url.scheme": "http",
    "server.address": `${hop.service}.internal`,
    "server.port": 8080,
    "network.protocol.version": "1.1",
    "user_agent.original": "Mozilla/5.0 (X11; Linux x86_64) argus-bench/1.0",
    "client.address": "10.0.3.17",
  });
}

function clientAttributes(to: Hop, path: string, status: number): string {
  return JSON.stringify({
    "http.request.method": to.method,
    "http.response.status_code": status,
    "url.full": `http://${to.service}.internal:8080${path}`,
    "server.address": `${to.service}.internal`,
    "server.port": 8080,
    "network.protocol.version": "1.1",
  });
}

function concretePath(operation: string, rand: () => number): string {
  const path = operation.slice(operation.indexOf(" ") + 1);
  return path.replace("{id}", String(1000 + Math.floor(rand() * 90_000)));
}

/** The spans of trace `trace`, parents before children. */
function traceSpans(data: Dataset, trace: number, rand: () => number): SpanRow[] {
  const salt = data.params.salt;
  const traceId = traceIdOf(salt, trace);
  const h = traceHash(salt, trace);
  let pick = rand() * TOTAL_WEIGHT;
  const route = ROUTES.find((r) => (pick -= r.weight) < 0) ?? ROUTES[0]!;
  const failing = rand() < route.errorRate;
  // The failing hop: mostly the last one, sometimes the middle one (its callee still answered).
  const failingHop = failing ? (rand() < 0.75 ? 2 : 1) : 3;
  const t0 = traceStartNs(data, trace);
  let spanIndex = 0;
  const spans: SpanRow[] = [];
  const make = (
    hopOf: Hop,
    name: string,
    kind: number,
    parentSpanId: string,
    startMs: number,
    lengthMs: number,
    error: boolean,
    attributes: string,
    scope: string,
  ): SpanRow => {
    const resource = data.resources[hopOf.service];
    const row: SpanRow = {
      traceId,
      spanId: spanIdOf(h, spanIndex++),
      parentSpanId,
      traceState: "",
      name,
      kind,
      startTimeUnixNano: t0 + ms(startMs),
      endTimeUnixNano: t0 + ms(startMs + lengthMs),
      statusCode: error ? 2 : 0,
      statusMessage: error ? "upstream request failed" : "",
      resourceId: resource.id,
      serviceName: resource.serviceName,
      scopeName: scope,
      scopeVersion: "0.57.0",
      scopeAttributes: SCOPE_ATTRIBUTES,
      attributes,
      events: error
        ? JSON.stringify([{
          name: "exception",
          time_unix_nano: (t0 + ms(startMs + lengthMs)).toString(),
          attributes: { "exception.type": "Error", "exception.message": "request failed" },
        }])
        : "[]",
      links: "[]",
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
      flags: 1,
      scopeSchemaUrl: "",
      scopeDroppedAttributesCount: 0,
      longText: "",
    };
    spans.push(row);
    return row;
  };
  // Durations bottom-up: each server span covers its client call, which covers the callee.
  const own = route.hops.map((x) => durationMs(rand, x.selfMs));
  const net = [1 + rand() * 2, 1 + rand() * 2];
  const serverLength = [0, 0, own[2]!];
  serverLength[1] = own[1]! + net[1]! + serverLength[2]!;
  serverLength[0] = own[0]! + net[0]! + serverLength[1]!;
  let parentId = "";
  let at = 0;
  const servers: { row: SpanRow; hop: Hop; startMs: number; lengthMs: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const x = route.hops[i]!;
    const path = concretePath(x.operation, rand);
    const error = failing && i <= failingHop;
    const status = error ? 500 : x.method === "POST" && i === 0 ? 201 : 200;
    const server = make(
      x,
      x.operation,
      i === 0 ? x.kind : 2,
      parentId,
      at,
      serverLength[i]!,
      error,
      serverAttributes(x, path, status, i === 0 ? orderIdOf(trace) : undefined),
      x.kind === 5
        ? "@opentelemetry/instrumentation-kafkajs"
        : "@opentelemetry/instrumentation-http",
    );
    servers.push({ row: server, hop: x, startMs: at, lengthMs: serverLength[i]! });
    if (i === 2) break;
    const callee = route.hops[i + 1]!;
    const calleePath = concretePath(callee.operation, rand);
    const clientStart = at + own[i]! / 2;
    const clientLength = net[i]! + serverLength[i + 1]!;
    const client = make(
      x,
      callee.method,
      3,
      server.spanId,
      clientStart,
      clientLength,
      failing && i + 1 <= failingHop,
      clientAttributes(callee, calleePath, failing && i + 1 <= failingHop ? 500 : 200),
      "@opentelemetry/instrumentation-undici",
    );
    parentId = client.spanId;
    at = clientStart + net[i]! / 2;
  }
  for (let e = 0; e < EXTRA[trace % EXTRA.length]!; e++) {
    const parent = servers[Math.floor(rand() * 3)]!;
    const choices = INTERNAL[parent.hop.service];
    const op = choices[Math.floor(rand() * choices.length)]!;
    const start = parent.startMs + rand() * parent.lengthMs * 0.3;
    const length = Math.max(0.05, rand() * parent.lengthMs * 0.4);
    make(
      parent.hop,
      op.name,
      op.kind,
      parent.row.spanId,
      start,
      length,
      false,
      op.db === undefined
        ? JSON.stringify({ "code.function": op.name.replace(/ /g, "_"), "thread.name": "main" })
        : JSON.stringify({
          "db.system.name": op.db,
          "db.namespace": parent.hop.service.replace("-service", ""),
          "db.operation.name": op.name.split(" ")[0],
          "db.query.text": op.db === "redis"
            ? `${op.name} ${parent.hop.service}:${Math.floor(rand() * 1e6)}`
            : `${op.name} WHERE id = $1`,
          "server.address": `${op.db}.internal`,
          "server.port": op.db === "redis" ? 6379 : op.db === "mysql" ? 3306 : 5432,
        }),
      op.db === undefined ? "app" : `@opentelemetry/instrumentation-${op.db}`,
    );
  }
  return trace === data.traces - 1 ? spans.slice(0, data.lastTraceSpans) : spans;
}

const SEVERITY = {
  debug: [5, "DEBUG"],
  info: [9, "INFO"],
  warn: [13, "WARN"],
  error: [17, "ERROR"],
};

function logFor(span: SpanRow, rand: () => number): LogRow {
  const r = rand();
  const [severityNumber, severityText] = span.statusCode === 2
    ? SEVERITY.error
    : r < 0.1
    ? SEVERITY.debug
    : r < 0.15
    ? SEVERITY.warn
    : SEVERITY.info;
  const time = span.startTimeUnixNano + 100_000n;
  const tookMs = Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e6;
  const fields: Omit<LogRow, "id"> = {
    timeUnixNano: time,
    timeUnset: false,
    observedTimeUnixNano: time + 2_000n,
    severityNumber: severityNumber as number,
    severityText: severityText as string,
    body: span.statusCode === 2
      ? `${span.name} failed after ${tookMs.toFixed(1)} ms: upstream request failed`
      : severityNumber === 13
      ? `${span.name} slow: ${tookMs.toFixed(1)} ms`
      : `${span.name} handled in ${tookMs.toFixed(1)} ms`,
    bodyType: "string",
    eventName: "",
    traceId: span.traceId,
    spanId: span.spanId,
    flags: 1,
    resourceId: span.resourceId,
    serviceName: span.serviceName,
    scopeName: `${span.serviceName}.logger`,
    scopeVersion: "1.0.0",
    scopeAttributes: "{}",
    attributes: JSON.stringify({
      "code.function": span.name.replace(/[^A-Za-z]+/g, "_"),
      "thread.name": "main",
    }),
    droppedAttributesCount: 0,
    scopeSchemaUrl: "",
    scopeDroppedAttributesCount: 0,
    longText: "",
  };
  return { id: logId(fields), ...fields };
}

/** Batch `b`: its traces' spans and a log for every fifth of them. */
export function buildSeedBatch(data: Dataset, b: number): Batch {
  const rand = random(fmix32((data.params.salt ^ Math.imul(b + 1, 0x9e3779b1)) >>> 0));
  const spans: SpanRow[] = [];
  const first = b * TRACES_PER_BATCH;
  const end = Math.min(data.traces, first + TRACES_PER_BATCH);
  for (let t = first; t < end; t++) {
    for (const span of traceSpans(data, t, rand)) spans.push(span);
  }
  const logs: LogRow[] = [];
  for (let i = 0; i < spans.length; i += 5) logs.push(logFor(spans[i]!, rand));
  return { resources: Object.values(data.resources), spans, logs };
}

export function batchCount(data: Dataset): number {
  return Math.ceil(data.traces / TRACES_PER_BATCH);
}

// ---------------------------------------------------------------------------------------------
// The cached data set: a SQLite file, or a PostgreSQL database (`--driver postgres`).

const MARKER_TABLE = "argus_bench_seed";

/** Where a seeded data set lives, and the few reads and writes seeding needs besides the store. */
export interface SeedTarget {
  /** The file's path or the database's URL, for messages. */
  readonly name: string;
  /** The store's configuration (lib/config.ts). */
  readonly config: DatabaseConfig;
  /** The store's data directory (SQLite: the file's). */
  readonly dataDir: string;
  readMarker(): Promise<SeedMarker | undefined>;
  writeMarker(marker: SeedMarker): Promise<void>;
  /** Removes everything stored, leaving an empty file or database. */
  reset(): Promise<void>;
  /** Root spans counted by the rollups: the batches stored, times TRACES_PER_BATCH. */
  roots(): Promise<number>;
  /** Spans and logs stored, from the rollups (cheap) rather than counting millions of rows. */
  counts(): Promise<{ spans: number; logs: number }>;
  /** Bytes the data set takes on disk. */
  bytes(): Promise<number>;
}

function configOf(driver: "sqlite" | "postgres", dsn: string): DatabaseConfig {
  const parsed = parseConfig({ DB_DRIVER: driver, DB_DSN: dsn });
  if (!parsed.ok) throw new Error(parsed.errors.join("; "));
  return parsed.config.db;
}

/** A SQLite file at `path`. */
export function sqliteTarget(path: string): SeedTarget {
  const read = <T>(use: (db: DatabaseSync) => T): T => {
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      return use(db);
    } finally {
      db.close();
    }
  };
  return {
    name: path,
    config: configOf("sqlite", path),
    dataDir: dirname(path),
    readMarker() {
      try {
        Deno.statSync(path);
      } catch {
        return Promise.resolve(undefined);
      }
      return Promise.resolve(read((db) => {
        const exists = db.prepare("select 1 from sqlite_master where type = 'table' and name = ?")
          .get(MARKER_TABLE);
        if (exists === undefined) return undefined;
        const row = db.prepare(`select value from ${MARKER_TABLE} where key = 'seed'`).get();
        return row === undefined ? undefined : JSON.parse(String(row.value)) as SeedMarker;
      }));
    },
    writeMarker(marker) {
      const db = new DatabaseSync(path);
      try {
        db.exec("pragma busy_timeout = 5000");
        db.exec("pragma journal_mode = WAL");
        db.exec(
          `create table if not exists ${MARKER_TABLE} (key text primary key, value text not null)`,
        );
        db.prepare(`insert into ${MARKER_TABLE} (key, value) values ('seed', ?)
          on conflict (key) do update set value = excluded.value`).run(JSON.stringify(marker));
      } finally {
        db.close();
      }
      return Promise.resolve();
    },
    async reset() {
      await removeDatabase(path);
      await Deno.mkdir(dirname(path), { recursive: true });
    },
    roots: () =>
      Promise.resolve(read((db) =>
        Number(
          db.prepare("select coalesce(sum(roots), 0) as n from span_rollups").get()?.n ?? 0,
        )
      )),
    counts: () =>
      Promise.resolve(read((db) => {
        const spans = db.prepare("select coalesce(sum(spans), 0) as n from span_rollups").get();
        const logs = db.prepare("select coalesce(sum(logs), 0) as n from log_rollups").get();
        return { spans: Number(spans?.n ?? 0), logs: Number(logs?.n ?? 0) };
      })),
    bytes() {
      let total = 0;
      for (const suffix of ["", "-wal"]) {
        try {
          total += Deno.statSync(path + suffix).size;
        } catch { /* absent */ }
      }
      return Promise.resolve(total);
    },
  };
}

/**
 * A PostgreSQL database at `url` (created when missing, through the server's `postgres`
 * database); `reset` drops and recreates it.
 */
export function postgresTarget(url: string): SeedTarget {
  const database = new URL(url).pathname.slice(1);
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) {
    throw new RangeError(`The bench database name must be a plain identifier, not ${database}`);
  }
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const withClient = async <T>(target: string, use: (c: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: target });
    await client.connect();
    try {
      return await use(client);
    } finally {
      await client.end();
    }
  };
  const ensureDatabase = () =>
    withClient(admin.toString(), async (c) => {
      const found = await c.query("select 1 from pg_database where datname = $1", [database]);
      if (found.rowCount === 0) await c.query(`create database ${database}`);
    });
  const number = async (query: string) =>
    Number((await withClient(url, (c) => c.query(query))).rows[0]?.n ?? 0);
  return {
    name: redactDsn(url),
    config: configOf("postgres", url),
    dataDir: ".",
    async readMarker() {
      await ensureDatabase();
      return await withClient(url, async (c) => {
        const exists = await c.query("select to_regclass($1) as t", [MARKER_TABLE]);
        if (exists.rows[0]?.t === null) return undefined;
        const row = await c.query(`select value from ${MARKER_TABLE} where key = 'seed'`);
        return row.rows.length === 0 ? undefined : JSON.parse(row.rows[0].value) as SeedMarker;
      });
    },
    writeMarker: (marker) =>
      withClient(url, async (c) => {
        await c.query(
          `create table if not exists ${MARKER_TABLE} (key text primary key, value text not null)`,
        );
        await c.query(
          `insert into ${MARKER_TABLE} (key, value) values ('seed', $1)
            on conflict (key) do update set value = excluded.value`,
          [JSON.stringify(marker)],
        );
      }),
    reset: () =>
      withClient(admin.toString(), async (c) => {
        await c.query(`drop database if exists ${database} with (force)`);
        await c.query(`create database ${database}`);
      }),
    roots: () => number("select coalesce(sum(roots), 0) as n from span_rollups"),
    async counts() {
      return {
        spans: await number("select coalesce(sum(spans), 0) as n from span_rollups"),
        logs: await number("select coalesce(sum(logs), 0) as n from log_rollups"),
      };
    },
    bytes: () => number("select pg_database_size(current_database()) as n"),
  };
}

export async function removeDatabase(path: string): Promise<void> {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) {
    await Deno.remove(path + suffix).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
}

const sameParams = (a: SeedParams, b: SeedParams) =>
  a.version === b.version && a.spans === b.spans && a.salt === b.salt;

function fmtCount(n: number): string {
  return n.toLocaleString("en-US");
}

/**
 * A seeded data set for `params` in `target`: reused when its marker says it is complete with the
 * same parameters, resumed when it was cut short, rebuilt otherwise (or with `reseed`).
 */
export async function ensureSeeded(
  target: SeedTarget,
  params: SeedParams,
  options: { reseed: boolean; signal?: AbortSignal },
): Promise<SeedMarker> {
  let marker = options.reseed ? undefined : await target.readMarker();
  if (marker !== undefined && sameParams(marker, params) && marker.status === "complete") {
    console.error(
      `seed: reusing ${target.name} (${fmtCount(marker.spans)} spans, ${
        fmtCount(marker.logs ?? 0)
      } logs, ending ${new Date(marker.endMs).toISOString()}; --reseed rebuilds it)`,
    );
    return marker;
  }
  if (marker === undefined || !sameParams(marker, params)) {
    await target.reset();
    // A whole minute, so that the benchmark's windows are whole minutes: rollups then cover
    // exactly the rows of the window, and the raw scan must find the same figures.
    const endMs = Math.floor(Date.now() / 60_000) * 60_000;
    marker = { ...params, status: "seeding", endMs, traces: traceCount(params.spans).traces };
    await target.writeMarker(marker);
    console.error(`seed: new data set ${target.name}`);
  }
  const data = dataset(params, marker.endMs);

  const store = await createStore(target.config, { dataDir: target.dataDir });
  const started = performance.now();
  let spansWritten = 0;
  let logsWritten = 0;
  let completed = false;
  try {
    await store.migrate();
    // Batches are transactions, each with TRACES_PER_BATCH root spans: the roots counted in the
    // rollups say how many batches are stored.
    const rootsRow = await target.roots();
    const batches = batchCount(data);
    const firstBatch = Math.min(batches, Math.floor(rootsRow / TRACES_PER_BATCH));
    if (firstBatch > 0) {
      console.error(`seed: resuming at batch ${fmtCount(firstBatch)} of ${fmtCount(batches)}`);
    }
    console.error(
      `seed: ${fmtCount(params.spans)} spans in ${fmtCount(data.traces)} traces over 24 h ` +
        `ending ${new Date(marker.endMs).toISOString()}, ${fmtCount(batches)} batches of ` +
        `${TRACES_PER_BATCH} traces`,
    );
    let lastReport = performance.now();
    const inFlight: Promise<unknown>[] = [];
    for (let b = firstBatch; b < batches; b++) {
      options.signal?.throwIfAborted();
      const batch = buildSeedBatch(data, b);
      // Two writes in flight: the next batch is built while the writer thread commits one.
      inFlight.push(
        store.write(batch, { prescreened: true }).then((result) => {
          if (result.spans.rejected.length > 0 || result.logs.rejected.length > 0) {
            throw new Error(
              `seed: batch ${b} had rejected items: ${
                JSON.stringify([...result.spans.rejected, ...result.logs.rejected].slice(0, 3))
              }`,
            );
          }
          spansWritten += result.spans.inserted;
          logsWritten += result.logs.inserted;
        }),
      );
      if (inFlight.length >= 2) await inFlight.shift();
      const now = performance.now();
      if (now - lastReport >= 5_000 || b === batches - 1) {
        lastReport = now;
        const seconds = (now - started) / 1000;
        const rate = spansWritten / seconds;
        const done = (b + 1) / batches;
        const left = (batches - b - 1) * TRACES_PER_BATCH * 6;
        console.error(
          `seed: ${(100 * done).toFixed(1)}% batch ${fmtCount(b + 1)}/${fmtCount(batches)}, ` +
            `${fmtCount(spansWritten)} spans and ${fmtCount(logsWritten)} logs in ` +
            `${seconds.toFixed(0)} s, ${fmtCount(Math.round(rate))} spans/s, ETA ${
              rate > 0 ? Math.round(left / rate) : "?"
            } s, rss ${Math.round(Deno.memoryUsage().rss / 1e6)} MB`,
        );
      }
    }
    await Promise.all(inFlight);
    completed = true;
  } finally {
    await store.close();
  }
  if (!completed) throw new Error("seed: not completed");
  const seconds = (performance.now() - started) / 1000;
  const counts = await target.counts();
  if (counts.spans !== params.spans) {
    throw new Error(`seed: expected ${params.spans} spans, ${target.name} holds ${counts.spans}`);
  }
  const done: SeedMarker = {
    ...marker,
    status: "complete",
    logs: counts.logs,
    // A resumed seeding reports the time of its last part only.
    seedSeconds: Math.round(seconds),
    seededAt: new Date().toISOString(),
  };
  await target.writeMarker(done);
  console.error(
    `seed: done in ${seconds.toFixed(0)} s (${fmtCount(spansWritten)} spans, ` +
      `${fmtCount(logsWritten)} logs written now; it holds ${fmtCount(counts.spans)} spans ` +
      `and ${fmtCount(counts.logs)} logs)`,
  );
  return done;
}
