/**
 * Argus configuration: every environment variable, its default, and its validation.
 *
 * `parseConfig(env)` is pure: it reads only the object it is given (only `main.ts` reads the real
 * environment) and reports every problem at once, each naming the variable, what is allowed and
 * the value received, so an operator fixes a deployment in one round.
 *
 * @module
 */
import { resolve, sep } from "node:path";
import {
  BYTES_FORMAT,
  DURATION_FORMAT,
  formatDurationMs,
  parseBytes,
  parseDurationMs,
} from "./units.ts";

export const APP_ENVS = ["development", "production", "test"] as const;
export type AppEnv = typeof APP_ENVS[number];

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = typeof LOG_LEVELS[number];

export const DB_DRIVERS = ["sqlite", "postgres", "mysql", "sqlserver"] as const;
export type DbDriver = typeof DB_DRIVERS[number];

/** Connection pool limits for the server databases (the seed: 50 open, 10 idle, 1 h lifetime). */
export interface PoolConfig {
  maxOpen: number;
  maxIdle: number;
  /** Milliseconds after which a connection is closed and replaced. */
  maxLifetimeMs: number;
  /** Milliseconds an idle connection beyond the `maxIdle` kept ones lives before it is closed. */
  idleTimeoutMs: number;
  /** Milliseconds to wait for a new connection before giving up. */
  connectTimeoutMs: number;
  /**
   * Milliseconds one statement may run: the database cancels it (server-side, where the database
   * offers it) and the client gives up on it and drops its connection a little later (a frozen
   * or partitioned server answers nothing).
   */
  statementTimeoutMs: number;
}

export interface DatabaseConfig {
  driver: DbDriver;
  /**
   * sqlite: a file path (relative paths are resolved against `DATA_DIR`) or `:memory:`;
   * the others: a URL (`postgres://`, `mysql://`, `sqlserver://`).
   */
  dsn: string;
  pool: PoolConfig;
  /** Longest single text or JSON value (attributes, body, events, links) accepted, in bytes. */
  maxFieldBytes: number;
  /** Milliseconds one batch write may take before the batch goes to the dead-letter queue. */
  writeTimeoutMs: number;
  /**
   * Server databases: most batches committing at once, each on its own connection, when they
   * share no trace (store/write_schedule.ts). SQLite's single writer always takes one.
   */
  writesInFlight: number;
  /** Milliseconds the health check's ping may take before the database counts as unavailable. */
  pingTimeoutMs: number;
  /** Milliseconds between attempts to reach (and migrate) a database that was not there at start. */
  retryIntervalMs: number;
  /**
   * PostgreSQL: longest statement of a migration or of the time partitions' upkeep (creating,
   * counting and dropping one), in milliseconds; they run on a connection of their own.
   */
  maintenanceTimeoutMs: number;
  /** SQLite files: reader threads, each with a read-only connection (store/sqlite_read_pool.ts). */
  readWorkers: number;
  /**
   * Most traces a filtered trace list counts: past it, `/api/traces` answers this many and
   * `total_capped`, so that a list's cost does not grow with its window (store/queries.ts).
   */
  traceCountLimit: number;
  /**
   * Most trace summaries the count of a span-name search reads, newest first: past them
   * `/api/traces` answers the matches among them and `total_capped` (store/bounded_count.ts).
   */
  traceCountScan: number;
  /**
   * Most traces whose spans a filtered list's count checks, newest first, when the spans decide
   * the match (an `attr` value the attribute index cannot serve): past them, `total_capped`.
   */
  traceCountChecks: number;
  /**
   * A log text search reads through the text index when its terms have at most this many
   * candidate records, else scans the window (a common term fills the page at once); and counts
   * its matches up to this many, past which `/api/logs` says `total_capped` (store/log_search.ts).
   */
  logSearchLimit: number;
  /**
   * Most records a log search's count reads, newest first, when no index narrows them (a common
   * term, a database without a text index): past them `/api/logs` says `total_capped`.
   */
  logCountScan: number;
  /** Attribute keys kept in the attribute index (store/attribute_index.ts). */
  attributeIndexKeys: AttributeIndexKeys;
  /**
   * Ids a writer puts in the attribute index per attribute and 10-minute bucket, after which it
   * writes an overflow row and searches of that value scan (store/attribute_postings.ts).
   */
  attributeIndexPostings: number;
  /** Most (bucket, attribute) pairs whose ids a writer counts in memory for that cap. */
  attributeIndexTracked: number;
  /** Most ids an `attr` search reads from the attribute index; more: it scans the window. */
  attributeIndexCandidates: number;
  /** PostgreSQL's time partitions of spans, logs and their attribute index (store/partitions.ts). */
  partitions: {
    /** Milliseconds one partition covers: a whole number of hours (a day by default). */
    intervalMs: number;
    /** Partitions kept made ahead of the current one. */
    ahead: number;
    /** Longest wait, in milliseconds, for the lock that creating or dropping a partition takes. */
    lockTimeoutMs: number;
  };
}

/**
 * Which attribute keys the attribute index holds: `include` ("*": every key) less `skip`. A search
 * on a key it does not hold scans the window's attributes instead.
 */
export interface AttributeIndexKeys {
  include: "*" | readonly string[];
  skip: readonly string[];
}

/** Limits on what one OTLP request may carry. */
export interface IngestLimits {
  /** Largest request body, before and after decompression. */
  maxRequestBytes: number;
  /** Attributes kept per attribute list; the rest are counted as dropped. */
  maxAttributes: number;
  /** Events kept per span; the rest are counted as dropped. */
  maxEvents: number;
  /** Links kept per span; the rest are counted as dropped. */
  maxLinks: number;
  /** Deepest nesting of arrays and maps inside one attribute value or log body. */
  maxValueDepth: number;
  /**
   * Most series per metric instrument: a point of a new series past it is refused
   * (ingest/metric_series_limit.ts).
   */
  maxSeriesPerInstrument: number;
  /**
   * Least milliseconds between two re-reads of a full instrument's stored series, so that room
   * freed by retention is seen (METRIC_SERIES_RELOAD).
   */
  seriesReloadIntervalMs: number;
  /** Milliseconds after which an idle instrument's series are dropped from memory (METRIC_SERIES_IDLE). */
  seriesIdleMs: number;
}

export interface AzureOpenAiConfig {
  endpoint: string;
  apiKey: string;
  deployment: string;
  apiVersion: string;
}

/** The providers AI insight can ask (`AI_PROVIDER`). */
export const AI_PROVIDERS = ["azure", "openai"] as const;
export type AiProvider = typeof AI_PROVIDERS[number];

/** An OpenAI-style chat-completions API: OpenAI itself, or Ollama, vLLM, LM Studio… */
export interface OpenAiCompatibleConfig {
  /** `AI_BASE_URL`, up to the `/chat/completions` path (`https://api.openai.com/v1`). */
  baseUrl: string;
  /** `AI_MODEL`: the model named in each request. */
  model: string;
}

/**
 * AI log insight: the provider (`azure`: the Azure OpenAI resource; `openai`: an OpenAI-style API
 * at `baseUrl`, its key `apiKey` optional, a local model needing none) and the limits of each
 * explanation. The fields of the other provider are empty.
 */
export interface AiConfig extends AzureOpenAiConfig, OpenAiCompatibleConfig {
  provider: AiProvider;
  /** Milliseconds one explanation may take, database reads and the provider's answer together. */
  timeoutMs: number;
  /** Largest prompt (system and user messages), in UTF-8 bytes; context is trimmed to fit. */
  promptMaxBytes: number;
  /** Most tokens the model may answer with (`max_tokens`). */
  maxTokens: number;
  /** Explanations kept in memory, per log id (least recently used dropped first); 0 keeps none. */
  cacheEntries: number;
}

/** Tokens and the browser-facing rules (README, "Security"); a token is null when unset. */
export interface SecurityConfig {
  /** Required by the UI, the API, `/ws` and `/metrics` (Bearer, or the login cookie). */
  apiToken: string | null;
  /** Required (Bearer) by the admin endpoints, besides `apiToken`. */
  adminToken: string | null;
  /** Required by both OTLP receivers (Bearer or `x-api-key`). */
  ingestToken: string | null;
  /** Host names the HTTP receivers answer to besides loopback ones (lower case, no port). */
  allowedHosts: string[];
  /** Origins (`scheme://host[:port]`) whose pages may call the API cross-origin. */
  corsOrigins: string[];
}

/** What one client may hold of the listeners: connections, time, bytes (README, "Limits"). */
export interface HttpLimits {
  /**
   * Most connections open at once on HTTP_PORT and OTLP_HTTP_PORT together, and on GRPC_PORT in
   * the gateway; lowered at start to fit under the open-file limit.
   */
  maxConnections: number;
  /** Milliseconds a connection may take to send a request's headers, after opening or an answer. */
  headerTimeoutMs: number;
  /** Milliseconds a request body (OTLP, the login form) may take to arrive whole. */
  bodyTimeoutMs: number;
  /** Bytes of OTLP/HTTP request bodies held at once across all requests. */
  inflightMaxBytes: number;
  /** Login attempts (POST /login) per minute from one client address; 0 turns the limit off. */
  loginRateLimit: number;
}

export interface Config {
  appEnv: AppEnv;
  logLevel: LogLevel;
  host: string;
  httpPort: number;
  grpcPort: number;
  /** GRPC_GATEWAY_HEAP: the gateway process's V8 old-space limit, in bytes. */
  grpcGatewayHeapBytes: number;
  otlpHttpPort: number;
  /** Connection hygiene of every listener (lib/http_listener.ts, the gRPC gateway). */
  http: HttpLimits;
  security: SecurityConfig;
  dataDir: string;
  dlqDir: string;
  db: DatabaseConfig;
  batch: {
    /** Rows that make a batch flush at once. */
    size: number;
    /** Milliseconds after which a partly filled batch is flushed. */
    flushIntervalMs: number;
  };
  queue: {
    /** Rows waiting to be written, beyond which ingest answers "retry later". */
    maxRows: number;
    /** Bytes of decoded rows waiting to be written, beyond which ingest answers "retry later". */
    maxBytes: number;
  };
  /** Milliseconds between two passes of the dead-letter replay worker. */
  dlqReplayIntervalMs: number;
  /** Total bytes of dead-letter files beyond which batches are refused (clients retry). */
  dlqMaxBytes: number;
  /**
   * Largest dead-letter file: writes split a batch to stay under it; a larger file found in the
   * folder is quarantined unread (its size is checked before any read).
   */
  dlqMaxFileBytes: number;
  /** Milliseconds a graceful stop may take; Argus then exits anyway (nothing unacknowledged is kept). */
  shutdownTimeoutMs: number;
  ingest: IngestLimits;
  /** Longest time window an API query may ask for, in milliseconds. */
  queryMaxWindowMs: number;
  /**
   * Most spans `GET /api/traces/{trace_id}` answers whole (and AI insight reads of a trace); a
   * larger trace is read through its structure and span by span.
   */
  traceMaxSpans: number;
  /** Most bytes of JSON one tool of the MCP server (`/mcp`) answers; more is cut and flagged. */
  mcpMaxOutputBytes: number;
  /**
   * Most spans whose structure a trace page carries in its HTML (the island's props); a larger
   * trace's page shows the server's rendering of its first rows while the browser fetches the
   * structure (routes/pages/trace.tsx).
   */
  tracePageInlineSpans: number;
  /**
   * A larger trace's page keeps its structure read for the page's own request for it
   * (routes/trace_snapshots.ts): at most this many reads at once (0: none) ...
   */
  traceSnapshots: number;
  /** ... each for at most this long, ms. */
  traceSnapshotLifetimeMs: number;
  /** Most steps a metric chart's window may be cut into (`GET /api/instruments/{key}/chart`). */
  metricMaxSteps: number;
  /** Most series one metric chart or exemplar query reads (narrow it with `attr`). */
  metricMaxSeries: number;
  /** Most metric points one chart reads (counted before they are read). */
  metricMaxPoints: number;
  /**
   * Milliseconds after which an API query is answered 503; SQLite's readers stop its statements
   * then (the store's `queryTimeoutMs`).
   */
  queryTimeoutMs: number;
  /** Pairing of parent and child spans into service-map edges (store/edge_resolver.ts). */
  edges: {
    /** Milliseconds a child span waits in memory for its parent before a database look-up. */
    pendingWindowMs: number;
    /** Recently stored spans remembered as possible parents. */
    maxRecentSpans: number;
  };
  /** Bounds of one `/ws` client (live/hub.ts). */
  live: {
    /** Bytes its socket may hold unsent; past it, records wait in the client's queue. */
    maxBufferedBytes: number;
    /** Log records that may wait for it; past it, the client is disconnected. */
    maxQueuedPerClient: number;
    /** Milliseconds it may take nothing while records wait before it is disconnected. */
    stallTimeoutMs: number;
    /** Milliseconds a disconnected client has to close before its connection is released. */
    closeTimeoutMs: number;
    /**
     * PostgreSQL: log ids of other replicas that may wait to be read for the hub, and of this
     * one to be announced (live/cluster_feed.ts); 0 turns the feed across replicas off.
     */
    clusterMaxIds: number;
  };
  /** Age in milliseconds after which data is deleted, or null when retention is off. */
  retentionMs: number | null;
  /** This process among the replicas sharing its database (store/replicas.ts). */
  replicas: {
    /** REPLICA_NAME, or null when unset (main.ts then uses $HOSTNAME, else "argus"). */
    name: string | null;
    /** Milliseconds between two heartbeats; a replica silent for 3 is not alive. */
    heartbeatMs: number;
    /** Milliseconds a grant of the maintenance lease lasts; renewed every third of it. */
    leaseTtlMs: number;
  };
  /** The metric rollup job (store/metric_rollups.ts). */
  metricRollups: {
    /** Milliseconds from the end of a run to the next. */
    everyMs: number;
    /** Milliseconds after a bucket's end before it is rolled up (at least a minute). */
    lagMs: number;
    /** Points read per run. */
    budgetPoints: number;
  };
  /** Azure OpenAI settings and limits when `AI_ENABLED` is true, else null. */
  ai: AiConfig | null;
}

/** One documented variable: the README's configuration table is checked against this list. */
export interface VariableDoc {
  name: string;
  default: string;
  description: string;
}

export const VARIABLES: readonly VariableDoc[] = [
  { name: "APP_ENV", default: "development", description: "development, production or test" },
  { name: "LOG_LEVEL", default: "INFO", description: "DEBUG, INFO, WARN or ERROR" },
  { name: "HOST", default: "127.0.0.1", description: "Address every port binds to" },
  { name: "HTTP_PORT", default: "8080", description: "UI, API, /metrics and /ws" },
  { name: "GRPC_PORT", default: "4317", description: "OTLP/gRPC receiver" },
  {
    name: "GRPC_GATEWAY_HEAP",
    default: "64MiB",
    description: "JavaScript heap of the gRPC gateway process (V8's old space; RSS ~50 MiB more)",
  },
  { name: "OTLP_HTTP_PORT", default: "4318", description: "OTLP/HTTP receiver" },
  {
    name: "HTTP_MAX_CONNECTIONS",
    default: "2048",
    description: "Most open connections (HTTP ports together; gRPC apart), below the file limit",
  },
  {
    name: "HTTP_HEADER_TIMEOUT",
    default: "10s",
    description: "Time a connection may take to send a request's headers",
  },
  {
    name: "HTTP_BODY_TIMEOUT",
    default: "30s",
    description: "Time a request body may take to arrive whole",
  },
  {
    name: "INFLIGHT_MAX_BYTES",
    default: "32MiB",
    description: "OTLP/HTTP request bytes being received at once, across all requests",
  },
  {
    name: "LOGIN_RATE_LIMIT",
    default: "10",
    description: "Login attempts per minute from one address (0: no limit)",
  },
  { name: "API_TOKEN", default: "", description: "Token for the UI, API, /ws and /metrics" },
  { name: "ADMIN_TOKEN", default: "", description: "Token for the admin endpoints" },
  { name: "INGEST_TOKEN", default: "", description: "Token for OTLP ingest (gRPC and HTTP)" },
  {
    name: "ALLOWED_HOSTS",
    default: "",
    description: "Host names accepted besides loopback ones (comma-separated)",
  },
  {
    name: "CORS_ORIGINS",
    default: "",
    description: "Origins allowed to call the API cross-origin (comma-separated)",
  },
  { name: "DATA_DIR", default: "./data", description: "Folder for the SQLite file and the DLQ" },
  { name: "DLQ_DIR", default: "$DATA_DIR/dlq", description: "Dead-letter queue folder" },
  {
    name: "DB_DRIVER",
    default: "sqlite",
    description: "sqlite, postgres, mysql (MariaDB too) or sqlserver",
  },
  {
    name: "DB_DSN",
    default: "argus.db",
    description: "SQLite file (relative to DATA_DIR) or a database URL",
  },
  { name: "DB_MAX_OPEN_CONNS", default: "50", description: "Pool size for server databases" },
  { name: "DB_MAX_IDLE_CONNS", default: "10", description: "Idle connections kept in the pool" },
  {
    name: "DB_CONN_MAX_LIFETIME",
    default: "1h",
    description: "Age at which a connection is replaced",
  },
  {
    name: "DB_CONN_IDLE_TIMEOUT",
    default: "5m",
    description: "Idle time before a spare connection closes",
  },
  { name: "DB_CONNECT_TIMEOUT", default: "10s", description: "Time allowed to open a connection" },
  {
    name: "DB_STATEMENT_TIMEOUT",
    default: "10s",
    description: "Time one statement may run before it is cancelled",
  },
  {
    name: "DB_WRITE_TIMEOUT",
    default: "5s",
    description: "Time one batch write may take before the batch goes to the DLQ",
  },
  {
    name: "DB_WRITES_IN_FLIGHT",
    default: "3",
    description:
      "Server databases: most batches committing at once, each on a connection (SQLite: 1)",
  },
  {
    name: "DB_PING_TIMEOUT",
    default: "2s",
    description: "Time the health check's database ping may take",
  },
  {
    name: "DB_MAINTENANCE_TIMEOUT",
    default: "1h",
    description:
      "PostgreSQL: longest statement of a migration or partition upkeep (own connection)",
  },
  {
    name: "PARTITION_INTERVAL",
    default: "1d",
    description:
      "PostgreSQL: time one partition of spans, logs and metric points covers (whole hours)",
  },
  {
    name: "PARTITIONS_AHEAD",
    default: "3",
    description: "PostgreSQL: partitions of spans and logs made ahead of the current one",
  },
  {
    name: "PARTITION_LOCK_TIMEOUT",
    default: "2s",
    description: "PostgreSQL: longest wait for the lock to create or drop a partition (retried)",
  },
  {
    name: "DB_RETRY_INTERVAL",
    default: "5s",
    description: "Time between attempts to reach a database that was away at start",
  },
  {
    name: "DB_READ_WORKERS",
    default: "2",
    description: "SQLite: reader threads serving API reads beside the writer",
  },
  {
    name: "SHUTDOWN_TIMEOUT",
    default: "20s",
    description: "Longest graceful stop on SIGTERM/SIGINT before Argus exits anyway",
  },
  { name: "MAX_FIELD_BYTES", default: "1MiB", description: "Largest text/JSON value of one item" },
  { name: "BATCH_SIZE", default: "1000", description: "Rows that make a batch flush at once" },
  {
    name: "FLUSH_INTERVAL",
    default: "0ms",
    description: "Wait for more requests before a batch is written (0: none)",
  },
  {
    name: "QUEUE_MAX_ROWS",
    default: "100000",
    description: "Rows queued before ingest pushes back",
  },
  {
    name: "QUEUE_MAX_BYTES",
    default: "32MiB",
    description: "Bytes queued before ingest pushes back",
  },
  { name: "DLQ_REPLAY_INTERVAL", default: "5m", description: "Time between DLQ replay passes" },
  {
    name: "DLQ_MAX_BYTES",
    default: "1GiB",
    description: "DLQ size beyond which ingest pushes back",
  },
  {
    name: "DLQ_MAX_FILE_BYTES",
    default: "64MiB",
    description: "Largest DLQ file; larger ones are quarantined unread",
  },
  {
    name: "MAX_REQUEST_BYTES",
    default: "8MiB",
    description: "Largest OTLP request, before and after decompression",
  },
  { name: "MAX_ATTRIBUTES", default: "128", description: "Attributes kept per item" },
  { name: "MAX_EVENTS", default: "128", description: "Events kept per span" },
  { name: "MAX_LINKS", default: "128", description: "Links kept per span" },
  { name: "MAX_VALUE_DEPTH", default: "16", description: "Deepest nesting in one value" },
  {
    name: "MAX_SERIES_PER_INSTRUMENT",
    default: "2000",
    description: "Most series per metric instrument; points of new series past it are refused",
  },
  {
    name: "METRIC_SERIES_RELOAD",
    default: "1m",
    description: "Least time between two re-reads of a full instrument's stored series",
  },
  {
    name: "METRIC_SERIES_IDLE",
    default: "1h",
    description: "Time after which an idle instrument's series keys are dropped from memory",
  },
  { name: "RETENTION", default: "7d", description: "Age at which data is deleted, or off" },
  {
    name: "METRIC_ROLLUP_EVERY",
    default: "30s",
    description: "Time between runs of the metric rollup job",
  },
  {
    name: "METRIC_ROLLUP_LAG",
    default: "2m",
    description: "Age of a minute's metric points before they are rolled up (at least 1m)",
  },
  {
    name: "METRIC_ROLLUP_BUDGET",
    default: "500000",
    description: "Most metric points one rollup run reads (the rest waits for the next run)",
  },
  {
    name: "REPLICA_NAME",
    default: "",
    description: "Name shown for this replica (unset: $HOSTNAME, else argus)",
  },
  {
    name: "REPLICA_HEARTBEAT",
    default: "10s",
    description: "Time between heartbeats of this replica; one silent for 3 is not alive",
  },
  {
    name: "LEASE_TTL",
    default: "30s",
    description: "How long the maintenance lease (retention, rollups) outlives a dead holder",
  },
  {
    name: "QUERY_MAX_WINDOW",
    default: "31d",
    description: "Longest window an API query may ask for",
  },
  {
    name: "QUERY_TIMEOUT",
    default: "10s",
    description: "Time after which an API query gets 503 (SQLite stops it)",
  },
  {
    name: "MCP_MAX_OUTPUT_BYTES",
    default: "64KiB",
    description: "Most bytes one MCP tool answers at /mcp (more is cut, marked truncated)",
  },
  {
    name: "TRACE_MAX_SPANS",
    default: "10000",
    description: "Most spans a whole trace is answered with (more: its structure, span by span)",
  },
  {
    name: "TRACE_PAGE_INLINE_SPANS",
    default: "5000",
    description: "Most spans a trace page carries in its HTML (more: the browser fetches them)",
  },
  {
    name: "TRACE_SNAPSHOTS",
    default: "2",
    description: "Structure reads of larger trace pages kept for the pages' own fetch (0: none)",
  },
  {
    name: "TRACE_SNAPSHOT_LIFETIME",
    default: "10s",
    description: "How long a trace page's structure read waits for the page's fetch",
  },
  {
    name: "METRIC_MAX_STEPS",
    default: "11000",
    description:
      "Most steps a metric chart's window may be cut into (more: a 400 asking for a longer step)",
  },
  {
    name: "METRIC_MAX_SERIES",
    default: "500",
    description:
      "Most series one metric chart or exemplar query reads (more: a 400 asking for attr= filters)",
  },
  {
    name: "METRIC_MAX_POINTS",
    default: "1000000",
    description:
      "Most metric points one chart reads (more: a 400 asking for a shorter window or attr= filters)",
  },
  {
    name: "ATTRIBUTE_INDEX_KEYS",
    default: "*",
    description: "Attribute keys indexed for attr= searches: * (all), a comma-separated list, or -",
  },
  {
    name: "ATTRIBUTE_INDEX_SKIP",
    default: "",
    description: "Attribute keys left out of the index (comma-separated); searches on them scan",
  },
  {
    name: "ATTRIBUTE_INDEX_POSTINGS",
    default: "32",
    description:
      "Traces or records a writer indexes per attribute value and 10 minutes (more: the value " +
      "is marked common, and its searches scan)",
  },
  {
    name: "ATTRIBUTE_INDEX_TRACKED",
    default: "100000",
    description: "Most (10 minutes, attribute value) pairs a writer counts in memory for that cap",
  },
  {
    name: "ATTRIBUTE_INDEX_CANDIDATES",
    default: "10000",
    description: "Most ids an attr= search reads from the index (more: it scans the window)",
  },
  {
    name: "TRACE_COUNT_LIMIT",
    default: "10000",
    description: "Most traces a filtered trace list counts (more: shown as 10,000+)",
  },
  {
    name: "TRACE_COUNT_SCAN",
    default: "50000",
    description:
      "Most trace summaries a span-name search's count reads, newest first (more in the window: " +
      "shown as N+)",
  },
  {
    name: "TRACE_COUNT_CHECKS",
    default: "500",
    description:
      "Most traces whose spans a count checks, newest first, for an attr= value the index " +
      "cannot serve (more in the window: shown as N+)",
  },
  {
    name: "LOG_SEARCH_LIMIT",
    default: "10000",
    description:
      "Most candidates a log text search reads from the text index (more: it scans the window), " +
      "and most matches it counts (more: shown as 10,000+)",
  },
  {
    name: "LOG_COUNT_SCAN",
    default: "50000",
    description:
      "Most records a log search's count reads, newest first, when no index narrows them (more " +
      "in the window: shown as N+)",
  },
  {
    name: "EDGE_PENDING_WINDOW",
    default: "30s",
    description: "How long a child span waits in memory for its parent",
  },
  {
    name: "EDGE_MEMORY_SPANS",
    default: "200000",
    description: "Recent spans remembered as possible parents",
  },
  {
    name: "LIVE_MAX_BUFFERED_BYTES",
    default: "64KiB",
    description: "Unsent bytes of a /ws socket beyond which records wait in its queue",
  },
  {
    name: "LIVE_MAX_QUEUED",
    default: "10000",
    description: "Waiting log records beyond which a /ws client is disconnected",
  },
  {
    name: "LIVE_STALL_TIMEOUT",
    default: "30s",
    description: "Time a /ws client may take nothing while records wait",
  },
  {
    name: "LIVE_CLOSE_TIMEOUT",
    default: "5s",
    description: "Time a dropped /ws client has to close before it is cut off",
  },
  {
    name: "LIVE_CLUSTER_MAX_IDS",
    default: "10000",
    description:
      "PostgreSQL: ids of logs other replicas committed that may wait to be read for /ws (more " +
      "are dropped); 0 turns the live stream across replicas off",
  },
  {
    name: "AI_ENABLED",
    default: "false",
    description: "Enable AI insight of records and traces (true or false)",
  },
  {
    name: "AI_PROVIDER",
    default: "azure",
    description: "azure (AZURE_OPENAI_*) or openai (AI_BASE_URL, AI_MODEL, AI_API_KEY)",
  },
  {
    name: "AI_BASE_URL",
    default: "https://api.openai.com/v1",
    description: "openai: the OpenAI-style API (OpenAI, Ollama, vLLM, LM Studio…)",
  },
  { name: "AI_MODEL", default: "", description: "openai: the model to ask" },
  { name: "AI_API_KEY", default: "", description: "openai: the API key (none: local)" },
  { name: "AZURE_OPENAI_ENDPOINT", default: "", description: "https://NAME.openai.azure.com" },
  {
    name: "AZURE_OPENAI_API_KEY",
    default: "",
    description: "API key of the Azure OpenAI resource",
  },
  { name: "AZURE_OPENAI_DEPLOYMENT", default: "", description: "Deployment (model) name" },
  {
    name: "AZURE_OPENAI_API_VERSION",
    default: "2024-10-21",
    description: "Azure OpenAI API version",
  },
  {
    name: "AI_TIMEOUT",
    default: "30s",
    description: "Longest wait for progress of an AI explanation",
  },
  {
    name: "AI_PROMPT_MAX_BYTES",
    default: "16KiB",
    description: "Largest prompt sent to the model; context is trimmed to fit",
  },
  { name: "AI_MAX_TOKENS", default: "800", description: "Most tokens the model may answer" },
  {
    name: "AI_CACHE_ENTRIES",
    default: "1000",
    description: "Explanations cached per record or trace",
  },
];

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

type Env = Readonly<Record<string, string | undefined>>;

/** Collects problems while reading variables, so every one of them is reported together. */
class Reader {
  readonly errors: string[] = [];
  /** Variables whose value was refused: cross-field rules skip them, as they hold the fallback. */
  readonly invalid = new Set<string>();
  constructor(private readonly env: Env) {}

  /** The raw value, or undefined when unset or blank (blank counts as unset, as in most tools). */
  raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  }

  /** True when none of `names` was refused, so a rule across them compares the values set. */
  allValid(...names: string[]): boolean {
    return names.every((name) => !this.invalid.has(name));
  }

  fail(name: string, allowed: string, value: string): void {
    this.invalid.add(name);
    this.errors.push(`${name} must be ${allowed}: current value is ${JSON.stringify(value)}`);
  }

  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const found = values.find((v) => v === value.toLowerCase());
    if (found === undefined) this.fail(name, `one of ${values.join(", ")}`, value);
    return found ?? fallback;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!(parsed >= min && parsed <= max)) {
      this.fail(name, `an integer from ${min} to ${max}`, value);
      return fallback;
    }
    return parsed;
  }

  port(name: string, fallback: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!(parsed >= 0 && parsed <= 65535)) {
      this.fail(name, "a port number from 1 to 65535 (or 0 for any free port)", value);
      return fallback;
    }
    return parsed;
  }

  duration(name: string, fallback: string, minMs: number, maxMs: number): number {
    const text = this.raw(name) ?? fallback;
    const ms = parseDurationMs(text);
    if (ms === undefined || ms < minMs || ms > maxMs) {
      this.fail(
        name,
        `${DURATION_FORMAT}, from ${formatDurationMs(minMs)} to ${formatDurationMs(maxMs)}`,
        text,
      );
      return parseDurationMs(fallback)!;
    }
    return ms;
  }

  bytes(name: string, fallback: string, min: number, max: number): number {
    const text = this.raw(name) ?? fallback;
    const size = parseBytes(text);
    if (size === undefined || size < min || size > max) {
      this.fail(name, `${BYTES_FORMAT}, from ${min} to ${max} bytes`, text);
      return parseBytes(fallback)!;
    }
    return size;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const lower = value.toLowerCase();
    if (["true", "1", "yes", "on"].includes(lower)) return true;
    if (["false", "0", "no", "off"].includes(lower)) return false;
    this.fail(name, "true or false (also 1/0, yes/no, on/off)", value);
    return fallback;
  }
}

const DAY_MS = 86_400_000;
const DSN_SCHEMES: Record<Exclude<DbDriver, "sqlite">, { schemes: string[]; example: string }> = {
  postgres: {
    schemes: ["postgres:", "postgresql:"],
    example: "postgres://user:password@127.0.0.1:5432/argus",
  },
  mysql: {
    schemes: ["mysql:", "mariadb:"],
    example: "mysql://user:password@127.0.0.1:3306/argus",
  },
  sqlserver: {
    schemes: ["sqlserver:", "mssql:"],
    example: "sqlserver://user:password@127.0.0.1:1433/argus?trustServerCertificate=true",
  },
};

/** Hides the password of a URL-shaped DSN so it never reaches an error message or a log. */
export function redactDsn(dsn: string): string {
  const keyValuePassword = /(password|pwd)=([^;&]*)/gi;
  let url: URL | undefined;
  try {
    url = new URL(dsn);
  } catch {
    url = undefined;
  }
  if (url !== undefined && url.host !== "") {
    if (url.password) url.password = "***";
    // libpq and JDBC also take the password as a query parameter: `?user=argus&password=...`.
    return url.toString().replace(keyValuePassword, "$1=***");
  }
  // Not a URL with a host: ADO-style `Password=...;` pairs, a URL the parser refused (a password
  // holding an unencoded `/`, `?` or `#`) or one without its scheme (`user:password@host/db`).
  // Everything from the first `:` of the user info up to the last `@` is hidden.
  return dsn.replace(keyValuePassword, "$1=***")
    .replace(/^((?:[a-z][a-z0-9+.-]*:\/\/)?[^:/?#@;=\s]*:)\S*@/i, "$1***@");
}

function readDsn(r: Reader, driver: DbDriver): string {
  const dsn = r.raw("DB_DSN");
  if (driver === "sqlite") return dsn ?? "argus.db";
  const { schemes, example } = DSN_SCHEMES[driver];
  if (dsn === undefined) {
    r.errors.push(
      `DB_DSN is required when DB_DRIVER is ${driver}: set it to a URL such as ${example}`,
    );
    return "";
  }
  let url: URL | undefined;
  try {
    url = new URL(dsn);
  } catch {
    url = undefined;
  }
  if (url === undefined || !schemes.includes(url.protocol) || url.hostname === "") {
    r.errors.push(
      `DB_DSN must be a ${schemes.map((s) => s + "//").join(" or ")} URL with a host when ` +
        `DB_DRIVER is ${driver}, such as ${example}: current value is ${
          JSON.stringify(redactDsn(dsn))
        }`,
    );
  }
  return dsn;
}

/** True for an IPv4 or IPv6 address (without brackets) or a DNS host name. */
function isHostOrAddress(host: string): boolean {
  const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
  const ipv6 = /^[0-9a-f:]+$/i;
  const hostname = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
  // A name of digits and dots only must be an IPv4 address (256.1.1.1 is not a host name).
  const looksNumeric = /^[\d.]+$/.test(host);
  return looksNumeric ? ipv4.test(host) : (host.includes(":") && ipv6.test(host)) ||
    hostname.test(host);
}

function readHost(r: Reader): string {
  const host = r.raw("HOST") ?? "127.0.0.1";
  if (!isHostOrAddress(host)) {
    r.fail("HOST", "an IP address or host name such as 127.0.0.1, 0.0.0.0 or ::1", host);
  }
  return host;
}

/** Shortest token accepted: 16 random characters are beyond guessing, even online. */
export const MIN_TOKEN_LENGTH = 16;
const MAX_TOKEN_LENGTH = 1024;

/** A token variable, or null when unset; an error describes a bad one without showing it. */
function readToken(r: Reader, name: string): string | null {
  const token = r.raw(name);
  if (token === undefined) return null;
  // Visible ASCII only: a token travels in HTTP headers and gRPC metadata, and a space usually
  // means a pasted "Bearer " or a truncated quote.
  const visibleAscii = /^[\x21-\x7e]+$/.test(token);
  if (visibleAscii && token.length >= MIN_TOKEN_LENGTH && token.length <= MAX_TOKEN_LENGTH) {
    return token;
  }
  r.invalid.add(name);
  r.errors.push(
    `${name} must be ${MIN_TOKEN_LENGTH} to ${MAX_TOKEN_LENGTH} visible ASCII characters without ` +
      `spaces, such as the output of 'openssl rand -hex 32': current value is ${token.length} ` +
      `characters long${visibleAscii ? "" : " with a space or a non-ASCII character"} (not shown)`,
  );
  return null;
}

/** A comma-separated list; blank entries are ignored. */
function readList(r: Reader, name: string): string[] {
  return (r.raw(name) ?? "").split(",").map((entry) => entry.trim()).filter((e) => e !== "");
}

/** The origin an http(s) URL of an origin only (`/` as its path at most) names, else undefined. */
function originOfEntry(entry: string): string | undefined {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return undefined;
  }
  const bare = url.pathname === "/" && url.search === "" && url.hash === "" &&
    url.username === "" && url.password === "" && !entry.endsWith("?") && !entry.endsWith("#");
  return /^https?:$/.test(url.protocol) && bare ? url.origin : undefined;
}

function readSecurity(r: Reader): SecurityConfig {
  const apiToken = readToken(r, "API_TOKEN");
  const adminToken = readToken(r, "ADMIN_TOKEN");
  const ingestToken = readToken(r, "INGEST_TOKEN");
  // The admin token guards what the others do not: equal to one of them, it guards nothing.
  for (const [other, token] of [["API_TOKEN", apiToken], ["INGEST_TOKEN", ingestToken]] as const) {
    if (adminToken !== null && adminToken === token) {
      r.errors.push(
        `ADMIN_TOKEN must differ from ${other}, or everyone holding ${other} may purge data: ` +
          "both have the same value (not shown)",
      );
    }
  }

  const allowedHosts = readList(r, "ALLOWED_HOSTS").map((entry) =>
    entry.replace(/^\[(.*)\]$/, "$1")
  );
  if (!allowedHosts.every(isHostOrAddress)) {
    r.fail(
      "ALLOWED_HOSTS",
      "a comma-separated list of host names or IP addresses without ports, such as " +
        "argus.example.com,10.0.0.7",
      r.raw("ALLOWED_HOSTS")!,
    );
  }
  const corsOrigins = readList(r, "CORS_ORIGINS").map(originOfEntry);
  if (!corsOrigins.every((origin) => origin !== undefined)) {
    r.fail(
      "CORS_ORIGINS",
      "a comma-separated list of origins (scheme, host and optional port; no path, no *), such " +
        "as https://dash.example.com,http://localhost:3000",
      r.raw("CORS_ORIGINS")!,
    );
  }

  return {
    apiToken,
    adminToken,
    ingestToken,
    allowedHosts: [...new Set(allowedHosts.map((host) => host.toLowerCase()))],
    corsOrigins: [...new Set(corsOrigins.filter((origin) => origin !== undefined))],
  };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "https:" || url.protocol === "http:") && url.hostname !== "" &&
      !/\s/.test(text);
  } catch {
    return false;
  }
}

function readAi(r: Reader): AiConfig | null {
  const enabled = r.boolean("AI_ENABLED", false);
  const provider = r.oneOf("AI_PROVIDER", AI_PROVIDERS, "azure");
  const endpoint = r.raw("AZURE_OPENAI_ENDPOINT") ?? "";
  const azureKey = r.raw("AZURE_OPENAI_API_KEY") ?? "";
  const deployment = r.raw("AZURE_OPENAI_DEPLOYMENT") ?? "";
  const apiVersion = r.raw("AZURE_OPENAI_API_VERSION") ?? "2024-10-21";
  const baseUrl = r.raw("AI_BASE_URL") ?? "https://api.openai.com/v1";
  const model = r.raw("AI_MODEL") ?? "";
  const openAiKey = r.raw("AI_API_KEY") ?? "";
  if (!isHttpUrl(baseUrl)) {
    r.fail(
      "AI_BASE_URL",
      "an http(s) URL up to /chat/completions, such as https://api.openai.com/v1 or " +
        "http://127.0.0.1:11434/v1",
      baseUrl,
    );
  }
  const limits = {
    timeoutMs: r.duration("AI_TIMEOUT", "30s", 100, 600_000),
    // The floor leaves room for the instructions and the record itself.
    promptMaxBytes: r.bytes("AI_PROMPT_MAX_BYTES", "16KiB", 2_048, 1_048_576),
    maxTokens: r.integer("AI_MAX_TOKENS", 800, 16, 32_768),
    cacheEntries: r.integer("AI_CACHE_ENTRIES", 1000, 0, 1_000_000),
  };
  if (endpoint !== "" && !isHttpUrl(endpoint)) {
    r.fail(
      "AZURE_OPENAI_ENDPOINT",
      "an http(s) URL such as https://NAME.openai.azure.com",
      endpoint,
    );
  }
  if (!/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(apiVersion)) {
    r.fail("AZURE_OPENAI_API_VERSION", "a date-shaped version such as 2024-10-21", apiVersion);
  }
  // A provider not understood is reported alone: which settings it needs is not known.
  if (!enabled || r.invalid.has("AI_PROVIDER")) return null;
  const required: [string, string][] = provider === "azure"
    ? [
      ["AZURE_OPENAI_ENDPOINT", endpoint],
      ["AZURE_OPENAI_API_KEY", azureKey],
      ["AZURE_OPENAI_DEPLOYMENT", deployment],
    ]
    // The key is optional: a local model (Ollama, vLLM, LM Studio) takes none.
    : [["AI_MODEL", model]];
  for (const [name, value] of required) {
    if (value === "") {
      const when = provider === "azure" ? "" : ` and AI_PROVIDER is ${provider}`;
      r.errors.push(`${name} is required when AI_ENABLED is true${when}: it is not set`);
    }
  }
  return provider === "azure"
    ? {
      provider,
      endpoint,
      apiKey: azureKey,
      deployment,
      apiVersion,
      baseUrl: "",
      model: "",
      ...limits,
    }
    : {
      provider,
      endpoint: "",
      apiKey: openAiKey,
      deployment: "",
      apiVersion,
      baseUrl,
      model,
      ...limits,
    };
}

function readRetention(r: Reader): number | null {
  const text = r.raw("RETENTION") ?? "7d";
  if (["off", "none", "0"].includes(text.toLowerCase())) return null;
  const ms = parseDurationMs(text);
  if (ms === undefined || ms < 60_000) {
    r.fail("RETENTION", `off or ${DURATION_FORMAT}, at least 1m`, text);
    return null;
  }
  return ms;
}

/** Longest REPLICA_NAME, as `argus_replicas.name` stores it. */
const MAX_REPLICA_NAME = 256;

function readReplicaName(r: Reader): string | null {
  const name = r.raw("REPLICA_NAME");
  if (name === undefined) return null;
  if (name.length > MAX_REPLICA_NAME || /[\p{Cc}]/u.test(name)) {
    r.fail(
      "REPLICA_NAME",
      `1 to ${MAX_REPLICA_NAME} characters without control characters, such as argus-1`,
      name,
    );
    return null;
  }
  return name;
}

function checkDistinctPorts(r: Reader, ports: Record<string, number>): void {
  const seen = new Map<number, string>();
  for (const [name, port] of Object.entries(ports)) {
    if (port === 0 || !r.allValid(name)) continue;
    const other = seen.get(port);
    if (other !== undefined) {
      r.errors.push(`${name} and ${other} must differ: both are ${port}`);
    }
    seen.set(port, name);
  }
}

/** Reads and validates the whole configuration from an environment-like object. */
export function parseConfig(env: Env): ConfigResult {
  const r = new Reader(env);
  const appEnv = r.oneOf("APP_ENV", APP_ENVS, "development");
  const logLevel = r.oneOf("LOG_LEVEL", LOG_LEVELS, "info");
  const host = readHost(r);
  const httpPort = r.port("HTTP_PORT", 8080);
  const grpcPort = r.port("GRPC_PORT", 4317);
  const grpcGatewayHeapBytes = r.bytes(
    "GRPC_GATEWAY_HEAP",
    "64MiB",
    16 * 1_048_576,
    64 * 1_073_741_824,
  );
  const otlpHttpPort = r.port("OTLP_HTTP_PORT", 4318);
  checkDistinctPorts(r, { HTTP_PORT: httpPort, GRPC_PORT: grpcPort, OTLP_HTTP_PORT: otlpHttpPort });
  const http: HttpLimits = {
    maxConnections: r.integer("HTTP_MAX_CONNECTIONS", 2048, 16, 1_000_000),
    headerTimeoutMs: r.duration("HTTP_HEADER_TIMEOUT", "10s", 100, 3_600_000),
    bodyTimeoutMs: r.duration("HTTP_BODY_TIMEOUT", "30s", 100, 3_600_000),
    inflightMaxBytes: r.bytes("INFLIGHT_MAX_BYTES", "32MiB", 1_048_576, 64 * 1_073_741_824),
    loginRateLimit: r.integer("LOGIN_RATE_LIMIT", 10, 0, 1_000_000),
  };
  const security = readSecurity(r);

  const dataDir = r.raw("DATA_DIR") ?? "./data";
  const dlqDir = r.raw("DLQ_DIR") ?? joinPath(dataDir, "dlq");
  const dataPath = resolve(dataDir), dlqPath = resolve(dlqDir);
  if (dataPath === dlqPath || dataPath.startsWith(dlqPath + sep)) {
    r.fail(
      "DLQ_DIR",
      "a folder of its own, not DATA_DIR or a folder holding it (the replay worker moves " +
        "every foreign file of DLQ_DIR aside, the database's too)",
      dlqDir,
    );
  }

  const driver = r.oneOf("DB_DRIVER", DB_DRIVERS, "sqlite");
  const dsn = readDsn(r, driver);
  const maxOpen = r.integer("DB_MAX_OPEN_CONNS", 50, 1, 1000);
  // As Go's database/sql does: unless set, the idle count follows a smaller pool down.
  const maxIdle = r.integer("DB_MAX_IDLE_CONNS", Math.min(10, maxOpen), 0, 1000);
  if (maxIdle > maxOpen && r.allValid("DB_MAX_OPEN_CONNS", "DB_MAX_IDLE_CONNS")) {
    r.errors.push(
      `DB_MAX_IDLE_CONNS must be at most DB_MAX_OPEN_CONNS (${maxOpen}): current value is "${maxIdle}"`,
    );
  }
  const pool: PoolConfig = {
    maxOpen,
    maxIdle,
    maxLifetimeMs: r.duration("DB_CONN_MAX_LIFETIME", "1h", 1_000, 30 * DAY_MS),
    idleTimeoutMs: r.duration("DB_CONN_IDLE_TIMEOUT", "5m", 1_000, DAY_MS),
    connectTimeoutMs: r.duration("DB_CONNECT_TIMEOUT", "10s", 100, 600_000),
    statementTimeoutMs: r.duration("DB_STATEMENT_TIMEOUT", "10s", 100, 3_600_000),
  };
  const writeTimeoutMs = r.duration("DB_WRITE_TIMEOUT", "5s", 100, 3_600_000);
  // Each batch in flight holds a connection of the pool while it commits.
  const writesInFlight = r.integer("DB_WRITES_IN_FLIGHT", Math.min(3, maxOpen), 1, 64);
  if (writesInFlight > maxOpen) {
    r.fail(
      "DB_WRITES_IN_FLIGHT",
      `at most DB_MAX_OPEN_CONNS (${maxOpen}), of which each batch in flight holds one`,
      r.raw("DB_WRITES_IN_FLIGHT")!,
    );
  }
  const pingTimeoutMs = r.duration("DB_PING_TIMEOUT", "2s", 100, 600_000);
  const retryIntervalMs = r.duration("DB_RETRY_INTERVAL", "5s", 100, 3_600_000);
  const maintenanceTimeoutMs = r.duration("DB_MAINTENANCE_TIMEOUT", "1h", 1_000, DAY_MS);
  const readWorkers = r.integer("DB_READ_WORKERS", 2, 1, 64);
  const traceCountLimit = r.integer("TRACE_COUNT_LIMIT", 10_000, 1, 100_000_000);
  const logSearchLimit = r.integer("LOG_SEARCH_LIMIT", 10_000, 1, 100_000_000);
  const traceCountScan = r.integer("TRACE_COUNT_SCAN", 50_000, 1, 100_000_000);
  const traceCountChecks = r.integer("TRACE_COUNT_CHECKS", 500, 1, 100_000_000);
  const logCountScan = r.integer("LOG_COUNT_SCAN", 50_000, 1, 100_000_000);
  // `-` alone indexes no key.
  const indexKeys = readList(r, "ATTRIBUTE_INDEX_KEYS").filter((key) => key !== "-");
  const attributeIndexKeys: AttributeIndexKeys = {
    include: r.raw("ATTRIBUTE_INDEX_KEYS") === undefined || indexKeys.includes("*")
      ? "*"
      : indexKeys,
    skip: readList(r, "ATTRIBUTE_INDEX_SKIP"),
  };
  const attributeIndexPostings = r.integer("ATTRIBUTE_INDEX_POSTINGS", 32, 1, 1_000_000);
  const attributeIndexTracked = r.integer("ATTRIBUTE_INDEX_TRACKED", 100_000, 0, 100_000_000);
  const partitions = {
    intervalMs: r.duration("PARTITION_INTERVAL", "1d", 3_600_000, 31 * DAY_MS),
    ahead: r.integer("PARTITIONS_AHEAD", 3, 1, 366),
    lockTimeoutMs: r.duration("PARTITION_LOCK_TIMEOUT", "2s", 100, 600_000),
  };
  if (partitions.intervalMs % 3_600_000 !== 0) {
    r.fail(
      "PARTITION_INTERVAL",
      "a whole number of hours, from 1h to 31d",
      r.raw("PARTITION_INTERVAL")!,
    );
  }
  const attributeIndexCandidates = r.integer("ATTRIBUTE_INDEX_CANDIDATES", 10_000, 1, 1_000_000);
  const shutdownTimeoutMs = r.duration("SHUTDOWN_TIMEOUT", "20s", 1_000, 3_600_000);
  // The ceiling keeps one value, JSON-escaped, inside MySQL's MEDIUMTEXT and default packet size.
  const maxFieldBytes = r.bytes("MAX_FIELD_BYTES", "1MiB", 1_024, 8 * 1_048_576);

  const batchSize = r.integer("BATCH_SIZE", 1000, 1, 100_000);
  const flushIntervalMs = r.duration("FLUSH_INTERVAL", "0ms", 0, 60_000);
  const queueMaxRows = r.integer("QUEUE_MAX_ROWS", 100_000, 1, 100_000_000);
  const queueMaxBytes = r.bytes("QUEUE_MAX_BYTES", "32MiB", 1_048_576, 64 * 1_073_741_824);
  if (queueMaxRows < batchSize && r.allValid("QUEUE_MAX_ROWS", "BATCH_SIZE")) {
    r.errors.push(
      `QUEUE_MAX_ROWS must be at least BATCH_SIZE (${batchSize}): current value is "${queueMaxRows}"`,
    );
  }
  const dlqReplayIntervalMs = r.duration("DLQ_REPLAY_INTERVAL", "5m", 100, DAY_MS);
  const dlqMaxBytes = r.bytes("DLQ_MAX_BYTES", "1GiB", 1_048_576, 1_099_511_627_776);
  // At most 256 MiB: a version-1 file (written before issue 11) is read whole, at several times
  // its size in memory, and V8 strings stop short of 512 MiB; version-2 files are streamed.
  const dlqMaxFileBytes = r.bytes("DLQ_MAX_FILE_BYTES", "64MiB", 1_048_576, 268_435_456);
  const ingest: IngestLimits = {
    maxRequestBytes: r.bytes("MAX_REQUEST_BYTES", "8MiB", 65_536, 256 * 1_048_576),
    maxAttributes: r.integer("MAX_ATTRIBUTES", 128, 1, 10_000),
    maxEvents: r.integer("MAX_EVENTS", 128, 0, 10_000),
    maxLinks: r.integer("MAX_LINKS", 128, 0, 10_000),
    maxValueDepth: r.integer("MAX_VALUE_DEPTH", 16, 1, 64),
    maxSeriesPerInstrument: r.integer("MAX_SERIES_PER_INSTRUMENT", 2_000, 1, 100_000),
    seriesReloadIntervalMs: r.duration("METRIC_SERIES_RELOAD", "1m", 1_000, DAY_MS),
    seriesIdleMs: r.duration("METRIC_SERIES_IDLE", "1h", 60_000, 30 * DAY_MS),
  };
  const retentionMs = readRetention(r);
  const metricRollups = {
    everyMs: r.duration("METRIC_ROLLUP_EVERY", "30s", 1_000, DAY_MS),
    lagMs: r.duration("METRIC_ROLLUP_LAG", "2m", 60_000, DAY_MS),
    budgetPoints: r.integer("METRIC_ROLLUP_BUDGET", 500_000, 1_000, 100_000_000),
  };
  const replicas = {
    name: readReplicaName(r),
    heartbeatMs: r.duration("REPLICA_HEARTBEAT", "10s", 1_000, 600_000),
    leaseTtlMs: r.duration("LEASE_TTL", "30s", 3_000, 3_600_000),
  };
  const queryMaxWindowMs = r.duration("QUERY_MAX_WINDOW", "31d", 60_000, 3660 * DAY_MS);
  const traceMaxSpans = r.integer("TRACE_MAX_SPANS", 10_000, 100, 1_000_000);
  const mcpMaxOutputBytes = r.bytes("MCP_MAX_OUTPUT_BYTES", "64KiB", 1_024, 16 * 1_048_576);
  const tracePageInlineSpans = r.integer("TRACE_PAGE_INLINE_SPANS", 5_000, 0, 1_000_000);
  const traceSnapshots = r.integer("TRACE_SNAPSHOTS", 2, 0, 64);
  const traceSnapshotLifetimeMs = r.duration("TRACE_SNAPSHOT_LIFETIME", "10s", 100, 600_000);
  const metricMaxSteps = r.integer("METRIC_MAX_STEPS", 11_000, 10, 1_000_000);
  const metricMaxSeries = r.integer("METRIC_MAX_SERIES", 500, 1, 100_000);
  const metricMaxPoints = r.integer("METRIC_MAX_POINTS", 1_000_000, 1_000, 100_000_000);
  const queryTimeoutMs = r.duration("QUERY_TIMEOUT", "10s", 100, 600_000);
  const edges = {
    pendingWindowMs: r.duration("EDGE_PENDING_WINDOW", "30s", 1_000, 3_600_000),
    maxRecentSpans: r.integer("EDGE_MEMORY_SPANS", 200_000, 1_000, 100_000_000),
  };
  const live = {
    maxBufferedBytes: r.bytes("LIVE_MAX_BUFFERED_BYTES", "64KiB", 65_536, 1_073_741_824),
    maxQueuedPerClient: r.integer("LIVE_MAX_QUEUED", 10_000, 100, 10_000_000),
    stallTimeoutMs: r.duration("LIVE_STALL_TIMEOUT", "30s", 100, 3_600_000),
    closeTimeoutMs: r.duration("LIVE_CLOSE_TIMEOUT", "5s", 100, 600_000),
    clusterMaxIds: r.integer("LIVE_CLUSTER_MAX_IDS", 10_000, 0, 10_000_000),
  };
  const ai = readAi(r);

  if (r.errors.length > 0) return { ok: false, errors: r.errors };
  return {
    ok: true,
    config: {
      appEnv,
      logLevel,
      host,
      httpPort,
      grpcPort,
      grpcGatewayHeapBytes,
      otlpHttpPort,
      http,
      security,
      dataDir,
      dlqDir,
      db: {
        driver,
        dsn,
        pool,
        maxFieldBytes,
        writeTimeoutMs,
        writesInFlight,
        pingTimeoutMs,
        retryIntervalMs,
        maintenanceTimeoutMs,
        readWorkers,
        traceCountLimit,
        traceCountScan,
        traceCountChecks,
        logSearchLimit,
        logCountScan,
        attributeIndexKeys,
        attributeIndexPostings,
        attributeIndexTracked,
        attributeIndexCandidates,
        partitions,
      },
      shutdownTimeoutMs,
      batch: { size: batchSize, flushIntervalMs },
      queue: { maxRows: queueMaxRows, maxBytes: queueMaxBytes },
      dlqReplayIntervalMs,
      dlqMaxBytes,
      dlqMaxFileBytes,
      ingest,
      queryMaxWindowMs,
      traceMaxSpans,
      mcpMaxOutputBytes,
      tracePageInlineSpans,
      traceSnapshots,
      traceSnapshotLifetimeMs,
      metricMaxSteps,
      metricMaxSeries,
      metricMaxPoints,
      queryTimeoutMs,
      edges,
      live,
      retentionMs,
      replicas,
      metricRollups,
      ai,
    },
  };
}

function joinPath(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}
