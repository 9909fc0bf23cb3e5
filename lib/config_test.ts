import assert from "node:assert/strict";
import { type Config, parseConfig, redactDsn, VARIABLES } from "./config.ts";

type Env = Record<string, string | undefined>;

/** The configuration of `env`, failing the test with the reported problems when there are any. */
function parseOk(env: Env): Config {
  const result = parseConfig(env);
  assert.ok(result.ok, `expected a valid configuration, got: ${JSON.stringify(result)}`);
  return result.config;
}

/** The problems reported for `env`, failing the test when it is accepted. */
function parseErrors(env: Env): string[] {
  const result = parseConfig(env);
  assert.ok(!result.ok, `expected configuration problems, got: ${JSON.stringify(result)}`);
  return result.errors;
}

const DURATIONS = "a duration such as 500ms, 30s, 5m, 1h30m or 7d";
const SIZES = "a size in bytes such as 1048576, 512KiB, 64MiB or 1GB";
const PORTS = "a port number from 1 to 65535 (or 0 for any free port)";
const HOSTS = "an IP address or host name such as 127.0.0.1, 0.0.0.0 or ::1";
const TOKENS = "16 to 1024 visible ASCII characters without spaces, such as the output of " +
  "'openssl rand -hex 32'";
const ALLOWED_HOSTS = "a comma-separated list of host names or IP addresses without ports, such " +
  "as argus.example.com,10.0.0.7";
const CORS = "a comma-separated list of origins (scheme, host and optional port; no path, no *), " +
  "such as https://dash.example.com,http://localhost:3000";
const AI_ON = {
  AI_ENABLED: "true",
  AZURE_OPENAI_ENDPOINT: "https://argus.openai.azure.com",
  AZURE_OPENAI_API_KEY: "key-123",
  AZURE_OPENAI_DEPLOYMENT: "gpt-4o-mini",
};

/** AI on with a local OpenAI-compatible model. */
const AI_OPENAI = { AI_ENABLED: "true", AI_PROVIDER: "openai", AI_MODEL: "llama3.2" };

const DEFAULTS: Config = {
  appEnv: "development",
  logLevel: "info",
  host: "127.0.0.1",
  httpPort: 8080,
  grpcPort: 4317,
  grpcGatewayHeapBytes: 67_108_864,
  otlpHttpPort: 4318,
  http: {
    maxConnections: 2048,
    headerTimeoutMs: 10_000,
    bodyTimeoutMs: 30_000,
    inflightMaxBytes: 33_554_432,
    loginRateLimit: 10,
  },
  security: {
    apiToken: null,
    adminToken: null,
    ingestToken: null,
    allowedHosts: [],
    corsOrigins: [],
  },
  dataDir: "./data",
  dlqDir: "./data/dlq",
  db: {
    driver: "sqlite",
    dsn: "argus.db",
    pool: {
      maxOpen: 50,
      maxIdle: 10,
      maxLifetimeMs: 3_600_000,
      idleTimeoutMs: 300_000,
      connectTimeoutMs: 10_000,
      statementTimeoutMs: 10_000,
    },
    maxFieldBytes: 1_048_576,
    writeTimeoutMs: 5_000,
    writesInFlight: 3,
    pingTimeoutMs: 2_000,
    retryIntervalMs: 5_000,
    maintenanceTimeoutMs: 3_600_000,
    readWorkers: 2,
    traceCountLimit: 10_000,
    traceCountScan: 50_000,
    traceCountChecks: 500,
    logSearchLimit: 10_000,
    logCountScan: 50_000,
    attributeIndexKeys: { include: "*", skip: [] },
    attributeIndexPostings: 32,
    attributeIndexTracked: 100_000,
    attributeIndexCandidates: 10_000,
    partitions: { intervalMs: 86_400_000, ahead: 3, lockTimeoutMs: 2_000 },
  },
  batch: { size: 1000, flushIntervalMs: 0 },
  queue: { maxRows: 100_000, maxBytes: 33_554_432 },
  dlqReplayIntervalMs: 300_000,
  dlqMaxBytes: 1_073_741_824,
  dlqMaxFileBytes: 67_108_864,
  shutdownTimeoutMs: 20_000,
  ingest: {
    maxRequestBytes: 8_388_608,
    maxAttributes: 128,
    maxEvents: 128,
    maxLinks: 128,
    maxValueDepth: 16,
    maxSeriesPerInstrument: 2_000,
    seriesReloadIntervalMs: 60_000,
    seriesIdleMs: 3_600_000,
  },
  queryMaxWindowMs: 2_678_400_000,
  traceMaxSpans: 10_000,
  mcpMaxOutputBytes: 65_536,
  tracePageInlineSpans: 5_000,
  traceSnapshots: 2,
  traceSnapshotLifetimeMs: 10_000,
  metricMaxSteps: 11_000,
  metricMaxSeries: 500,
  metricMaxPoints: 1_000_000,
  queryTimeoutMs: 10_000,
  edges: { pendingWindowMs: 30_000, maxRecentSpans: 200_000 },
  live: {
    maxBufferedBytes: 65_536,
    maxQueuedPerClient: 10_000,
    stallTimeoutMs: 30_000,
    closeTimeoutMs: 5_000,
    clusterMaxIds: 10_000,
  },
  retentionMs: 604_800_000,
  metricRollups: { everyMs: 30_000, lagMs: 120_000, budgetPoints: 500_000 },
  replicas: { name: null, heartbeatMs: 10_000, leaseTtlMs: 30_000 },
  ai: null,
};

Deno.test("parseConfig() returns the documented defaults for an empty environment", () => {
  assert.deepEqual(parseConfig({}), { ok: true, config: DEFAULTS });
});

Deno.test("parseConfig() treats blank variables as unset", () => {
  for (const blank of ["", "   ", "\t\n"]) {
    const env = Object.fromEntries(VARIABLES.map((v) => [v.name, blank]));
    assert.deepEqual(parseConfig(env), { ok: true, config: DEFAULTS }, JSON.stringify(blank));
  }
});

Deno.test("parseConfig() ignores variables it does not know", () => {
  assert.deepEqual(parseConfig({ PATH: "/usr/bin", PORT: "abc", argus_http_port: "1" }), {
    ok: true,
    config: DEFAULTS,
  });
});

Deno.test("VARIABLES documents the defaults parseConfig() applies", () => {
  for (const variable of VARIABLES) {
    const value = variable.default.replace("$DATA_DIR", DEFAULTS.dataDir);
    assert.deepEqual(
      parseConfig({ [variable.name]: value }),
      { ok: true, config: DEFAULTS },
      `${variable.name}=${JSON.stringify(value)}`,
    );
  }
});

Deno.test("VARIABLES lists each variable once, with a description", () => {
  const names = VARIABLES.map((v) => v.name);
  assert.equal(new Set(names).size, names.length);
  for (const variable of VARIABLES) {
    assert.match(variable.name, /^[A-Z][A-Z0-9_]*$/);
    assert.notEqual(variable.description.trim(), "", variable.name);
  }
});

Deno.test("parseConfig() reads no variable missing from VARIABLES, and every one listed", () => {
  const read = new Set<string>();
  const recording = (env: Env): Env =>
    new Proxy(env, {
      get(target, key, receiver) {
        if (typeof key === "string") read.add(key);
        return Reflect.get(target, key, receiver);
      },
      has(target, key) {
        if (typeof key === "string") read.add(key);
        return Reflect.has(target, key);
      },
    });
  // Several shapes, so a variable read only on some branch (a driver, AI on) is seen too.
  for (
    const env of [
      {},
      AI_ON,
      { DB_DRIVER: "postgres", DB_DSN: "postgres://argus@db/argus" },
      { DB_DRIVER: "mysql" },
      { DB_DRIVER: "sqlserver", DB_DSN: "nonsense", RETENTION: "off", DATA_DIR: "/srv" },
    ]
  ) {
    parseConfig(recording(env));
  }
  assert.deepEqual([...read].sort(), VARIABLES.map((v) => v.name).sort());
});

interface ValidCase {
  variable: string;
  env: Env;
  pick: (config: Config) => unknown;
  expected: unknown;
}

const VALID_CASES: ValidCase[] = [
  {
    variable: "HTTP_MAX_CONNECTIONS",
    env: { HTTP_MAX_CONNECTIONS: "500" },
    pick: (c) => c.http.maxConnections,
    expected: 500,
  },
  {
    variable: "HTTP_HEADER_TIMEOUT",
    env: { HTTP_HEADER_TIMEOUT: "2s" },
    pick: (c) => c.http.headerTimeoutMs,
    expected: 2_000,
  },
  {
    variable: "HTTP_BODY_TIMEOUT",
    env: { HTTP_BODY_TIMEOUT: "1m" },
    pick: (c) => c.http.bodyTimeoutMs,
    expected: 60_000,
  },
  {
    variable: "GRPC_GATEWAY_HEAP",
    env: { GRPC_GATEWAY_HEAP: "128MiB" },
    pick: (c) => c.grpcGatewayHeapBytes,
    expected: 134_217_728,
  },
  {
    variable: "INFLIGHT_MAX_BYTES",
    env: { INFLIGHT_MAX_BYTES: "16MiB" },
    pick: (c) => c.http.inflightMaxBytes,
    expected: 16_777_216,
  },
  {
    variable: "LOGIN_RATE_LIMIT",
    env: { LOGIN_RATE_LIMIT: "0" },
    pick: (c) => c.http.loginRateLimit,
    expected: 0,
  },
  {
    variable: "QUERY_TIMEOUT",
    env: { QUERY_TIMEOUT: "2500ms" },
    pick: (c) => c.queryTimeoutMs,
    expected: 2500,
  },
  {
    variable: "EDGE_PENDING_WINDOW",
    env: { EDGE_PENDING_WINDOW: "2m" },
    pick: (c) => c.edges.pendingWindowMs,
    expected: 120_000,
  },
  {
    variable: "LIVE_MAX_BUFFERED_BYTES",
    env: { LIVE_MAX_BUFFERED_BYTES: "512KiB" },
    pick: (c) => c.live.maxBufferedBytes,
    expected: 524_288,
  },
  {
    variable: "LIVE_MAX_QUEUED",
    env: { LIVE_MAX_QUEUED: "2500" },
    pick: (c) => c.live.maxQueuedPerClient,
    expected: 2_500,
  },
  {
    variable: "LIVE_STALL_TIMEOUT",
    env: { LIVE_STALL_TIMEOUT: "2m" },
    pick: (c) => c.live.stallTimeoutMs,
    expected: 120_000,
  },
  {
    variable: "LIVE_CLOSE_TIMEOUT",
    env: { LIVE_CLOSE_TIMEOUT: "500ms" },
    pick: (c) => c.live.closeTimeoutMs,
    expected: 500,
  },
  {
    variable: "LIVE_CLUSTER_MAX_IDS",
    env: { LIVE_CLUSTER_MAX_IDS: "0" },
    pick: (c) => c.live.clusterMaxIds,
    expected: 0,
  },
  {
    variable: "EDGE_MEMORY_SPANS",
    env: { EDGE_MEMORY_SPANS: "5000" },
    pick: (c) => c.edges.maxRecentSpans,
    expected: 5000,
  },
  {
    variable: "QUERY_MAX_WINDOW",
    env: { QUERY_MAX_WINDOW: "90d" },
    pick: (c) => c.queryMaxWindowMs,
    expected: 7_776_000_000,
  },
  {
    variable: "DLQ_MAX_BYTES",
    env: { DLQ_MAX_BYTES: "10GiB" },
    pick: (c) => c.dlqMaxBytes,
    expected: 10_737_418_240,
  },
  {
    variable: "DLQ_MAX_FILE_BYTES",
    env: { DLQ_MAX_FILE_BYTES: "16MiB" },
    pick: (c) => c.dlqMaxFileBytes,
    expected: 16_777_216,
  },
  {
    variable: "MAX_REQUEST_BYTES",
    env: { MAX_REQUEST_BYTES: "4MiB" },
    pick: (c) => c.ingest.maxRequestBytes,
    expected: 4_194_304,
  },
  {
    variable: "MAX_SERIES_PER_INSTRUMENT",
    env: { MAX_SERIES_PER_INSTRUMENT: "5" },
    pick: (c) => c.ingest.maxSeriesPerInstrument,
    expected: 5,
  },
  {
    variable: "METRIC_SERIES_RELOAD",
    env: { METRIC_SERIES_RELOAD: "30s" },
    pick: (c) => c.ingest.seriesReloadIntervalMs,
    expected: 30_000,
  },
  {
    variable: "METRIC_SERIES_IDLE",
    env: { METRIC_SERIES_IDLE: "2h" },
    pick: (c) => c.ingest.seriesIdleMs,
    expected: 7_200_000,
  },
  {
    variable: "MAX_ATTRIBUTES",
    env: { MAX_ATTRIBUTES: "64" },
    pick: (c) => c.ingest.maxAttributes,
    expected: 64,
  },
  {
    variable: "MAX_EVENTS",
    env: { MAX_EVENTS: "0" },
    pick: (c) => c.ingest.maxEvents,
    expected: 0,
  },
  {
    variable: "MAX_LINKS",
    env: { MAX_LINKS: "1000" },
    pick: (c) => c.ingest.maxLinks,
    expected: 1000,
  },
  {
    variable: "MAX_VALUE_DEPTH",
    env: { MAX_VALUE_DEPTH: "8" },
    pick: (c) => c.ingest.maxValueDepth,
    expected: 8,
  },
  {
    variable: "APP_ENV",
    env: { APP_ENV: "production" },
    pick: (c) => c.appEnv,
    expected: "production",
  },
  { variable: "APP_ENV", env: { APP_ENV: "test" }, pick: (c) => c.appEnv, expected: "test" },
  {
    variable: "APP_ENV",
    env: { APP_ENV: "Production" },
    pick: (c) => c.appEnv,
    expected: "production",
  },
  {
    variable: "LOG_LEVEL",
    env: { LOG_LEVEL: "debug" },
    pick: (c) => c.logLevel,
    expected: "debug",
  },
  { variable: "LOG_LEVEL", env: { LOG_LEVEL: "WARN" }, pick: (c) => c.logLevel, expected: "warn" },
  {
    variable: "LOG_LEVEL",
    env: { LOG_LEVEL: "Error" },
    pick: (c) => c.logLevel,
    expected: "error",
  },
  { variable: "HOST", env: { HOST: "0.0.0.0" }, pick: (c) => c.host, expected: "0.0.0.0" },
  {
    variable: "HOST",
    env: { HOST: "192.168.10.254" },
    pick: (c) => c.host,
    expected: "192.168.10.254",
  },
  { variable: "HOST", env: { HOST: "::1" }, pick: (c) => c.host, expected: "::1" },
  { variable: "HOST", env: { HOST: "::" }, pick: (c) => c.host, expected: "::" },
  {
    variable: "HOST",
    env: { HOST: "fe80::1:abcd" },
    pick: (c) => c.host,
    expected: "fe80::1:abcd",
  },
  { variable: "HOST", env: { HOST: "localhost" }, pick: (c) => c.host, expected: "localhost" },
  {
    variable: "HOST",
    env: { HOST: "argus-1.internal" },
    pick: (c) => c.host,
    expected: "argus-1.internal",
  },
  { variable: "HTTP_PORT", env: { HTTP_PORT: "9090" }, pick: (c) => c.httpPort, expected: 9090 },
  { variable: "HTTP_PORT", env: { HTTP_PORT: "1" }, pick: (c) => c.httpPort, expected: 1 },
  { variable: "HTTP_PORT", env: { HTTP_PORT: "65535" }, pick: (c) => c.httpPort, expected: 65535 },
  { variable: "HTTP_PORT", env: { HTTP_PORT: "0" }, pick: (c) => c.httpPort, expected: 0 },
  { variable: "GRPC_PORT", env: { GRPC_PORT: "14317" }, pick: (c) => c.grpcPort, expected: 14317 },
  {
    variable: "OTLP_HTTP_PORT",
    env: { OTLP_HTTP_PORT: "14318" },
    pick: (c) => c.otlpHttpPort,
    expected: 14318,
  },
  {
    variable: "API_TOKEN",
    env: { API_TOKEN: "api-0123456789abcdef" },
    pick: (c) => c.security.apiToken,
    expected: "api-0123456789abcdef",
  },
  {
    variable: "API_TOKEN",
    env: { API_TOKEN: "  sixteen-chars-!!  " },
    pick: (c) => c.security.apiToken,
    expected: "sixteen-chars-!!",
  },
  {
    variable: "ADMIN_TOKEN",
    env: { ADMIN_TOKEN: "admin-0123456789abcdef" },
    pick: (c) => c.security.adminToken,
    expected: "admin-0123456789abcdef",
  },
  {
    variable: "INGEST_TOKEN",
    env: { INGEST_TOKEN: "ingest-0123456789abcdef", API_TOKEN: "ingest-0123456789abcdef" },
    pick: (c) => c.security.ingestToken,
    expected: "ingest-0123456789abcdef",
  },
  {
    variable: "ALLOWED_HOSTS",
    env: { ALLOWED_HOSTS: "Argus.Example.com, 10.0.0.7,[fd00::7],,argus.example.com" },
    pick: (c) => c.security.allowedHosts,
    expected: ["argus.example.com", "10.0.0.7", "fd00::7"],
  },
  {
    variable: "CORS_ORIGINS",
    env: { CORS_ORIGINS: "https://dash.example.com, http://localhost:3000/,HTTPS://X.example:443" },
    pick: (c) => c.security.corsOrigins,
    expected: ["https://dash.example.com", "http://localhost:3000", "https://x.example"],
  },
  {
    variable: "DATA_DIR",
    env: { DATA_DIR: "/var/lib/argus" },
    pick: (c) => c.dataDir,
    expected: "/var/lib/argus",
  },
  {
    variable: "DLQ_DIR",
    env: { DLQ_DIR: "/mnt/dlq" },
    pick: (c) => c.dlqDir,
    expected: "/mnt/dlq",
  },
  {
    variable: "DB_DRIVER",
    env: { DB_DRIVER: "sqlite" },
    pick: (c) => c.db.driver,
    expected: "sqlite",
  },
  {
    variable: "DB_DRIVER",
    env: { DB_DRIVER: "postgres", DB_DSN: "postgres://argus@db/argus" },
    pick: (c) => c.db.driver,
    expected: "postgres",
  },
  {
    variable: "DB_DRIVER",
    env: { DB_DRIVER: "mysql", DB_DSN: "mysql://argus@db/argus" },
    pick: (c) => c.db.driver,
    expected: "mysql",
  },
  {
    variable: "DB_DRIVER",
    env: { DB_DRIVER: "sqlserver", DB_DSN: "sqlserver://argus@db/argus" },
    pick: (c) => c.db.driver,
    expected: "sqlserver",
  },
  { variable: "DB_DSN", env: { DB_DSN: ":memory:" }, pick: (c) => c.db.dsn, expected: ":memory:" },
  {
    variable: "DB_DSN",
    env: { DB_DSN: "/srv/argus.db" },
    pick: (c) => c.db.dsn,
    expected: "/srv/argus.db",
  },
  {
    variable: "DB_MAX_OPEN_CONNS",
    env: { DB_MAX_OPEN_CONNS: "100" },
    pick: (c) => c.db.pool.maxOpen,
    expected: 100,
  },
  {
    variable: "DB_MAX_OPEN_CONNS",
    env: { DB_MAX_OPEN_CONNS: "1000" },
    pick: (c) => c.db.pool.maxOpen,
    expected: 1000,
  },
  {
    variable: "DB_MAX_OPEN_CONNS",
    env: { DB_MAX_OPEN_CONNS: "1", DB_MAX_IDLE_CONNS: "0" },
    pick: (c) => c.db.pool.maxOpen,
    expected: 1,
  },
  {
    variable: "DB_MAX_IDLE_CONNS",
    env: { DB_MAX_IDLE_CONNS: "0" },
    pick: (c) => c.db.pool.maxIdle,
    expected: 0,
  },
  {
    variable: "DB_MAX_IDLE_CONNS",
    env: { DB_MAX_IDLE_CONNS: "50" },
    pick: (c) => c.db.pool.maxIdle,
    expected: 50,
  },
  {
    variable: "DB_CONN_MAX_LIFETIME",
    env: { DB_CONN_MAX_LIFETIME: "30m" },
    pick: (c) => c.db.pool.maxLifetimeMs,
    expected: 1_800_000,
  },
  {
    variable: "DB_CONN_MAX_LIFETIME",
    env: { DB_CONN_MAX_LIFETIME: "30d" },
    pick: (c) => c.db.pool.maxLifetimeMs,
    expected: 2_592_000_000,
  },
  {
    variable: "DB_CONN_MAX_LIFETIME",
    env: { DB_CONN_MAX_LIFETIME: "1s" },
    pick: (c) => c.db.pool.maxLifetimeMs,
    expected: 1_000,
  },
  {
    variable: "DB_CONN_IDLE_TIMEOUT",
    env: { DB_CONN_IDLE_TIMEOUT: "90s" },
    pick: (c) => c.db.pool.idleTimeoutMs,
    expected: 90_000,
  },
  {
    variable: "DB_CONN_IDLE_TIMEOUT",
    env: { DB_CONN_IDLE_TIMEOUT: "1d" },
    pick: (c) => c.db.pool.idleTimeoutMs,
    expected: 86_400_000,
  },
  {
    variable: "DB_CONNECT_TIMEOUT",
    env: { DB_CONNECT_TIMEOUT: "100ms" },
    pick: (c) => c.db.pool.connectTimeoutMs,
    expected: 100,
  },
  {
    variable: "DB_CONNECT_TIMEOUT",
    env: { DB_CONNECT_TIMEOUT: "10m" },
    pick: (c) => c.db.pool.connectTimeoutMs,
    expected: 600_000,
  },
  {
    variable: "DB_STATEMENT_TIMEOUT",
    env: { DB_STATEMENT_TIMEOUT: "30s" },
    pick: (c) => c.db.pool.statementTimeoutMs,
    expected: 30_000,
  },
  {
    variable: "DB_WRITE_TIMEOUT",
    env: { DB_WRITE_TIMEOUT: "750ms" },
    pick: (c) => c.db.writeTimeoutMs,
    expected: 750,
  },
  {
    variable: "DB_WRITES_IN_FLIGHT",
    env: { DB_WRITES_IN_FLIGHT: "8" },
    pick: (c) => c.db.writesInFlight,
    expected: 8,
  },
  {
    variable: "DB_PING_TIMEOUT",
    env: { DB_PING_TIMEOUT: "1s" },
    pick: (c) => c.db.pingTimeoutMs,
    expected: 1_000,
  },
  {
    variable: "DB_MAINTENANCE_TIMEOUT",
    env: { DB_MAINTENANCE_TIMEOUT: "2h" },
    pick: (c) => c.db.maintenanceTimeoutMs,
    expected: 7_200_000,
  },
  {
    variable: "DB_RETRY_INTERVAL",
    env: { DB_RETRY_INTERVAL: "1m" },
    pick: (c) => c.db.retryIntervalMs,
    expected: 60_000,
  },
  {
    variable: "DB_READ_WORKERS",
    env: { DB_READ_WORKERS: "4" },
    pick: (c) => c.db.readWorkers,
    expected: 4,
  },
  {
    variable: "MCP_MAX_OUTPUT_BYTES",
    env: { MCP_MAX_OUTPUT_BYTES: "16KiB" },
    pick: (c) => c.mcpMaxOutputBytes,
    expected: 16_384,
  },
  {
    variable: "TRACE_MAX_SPANS",
    env: { TRACE_MAX_SPANS: "50000" },
    pick: (c) => c.traceMaxSpans,
    expected: 50_000,
  },
  {
    variable: "TRACE_PAGE_INLINE_SPANS",
    env: { TRACE_PAGE_INLINE_SPANS: "0" },
    pick: (c) => c.tracePageInlineSpans,
    expected: 0,
  },
  {
    variable: "TRACE_SNAPSHOTS",
    env: { TRACE_SNAPSHOTS: "0" },
    pick: (c) => c.traceSnapshots,
    expected: 0,
  },
  {
    variable: "TRACE_SNAPSHOT_LIFETIME",
    env: { TRACE_SNAPSHOT_LIFETIME: "2s" },
    pick: (c) => c.traceSnapshotLifetimeMs,
    expected: 2_000,
  },
  {
    variable: "METRIC_MAX_STEPS",
    env: { METRIC_MAX_STEPS: "2000" },
    pick: (c) => c.metricMaxSteps,
    expected: 2_000,
  },
  {
    variable: "METRIC_MAX_SERIES",
    env: { METRIC_MAX_SERIES: "50" },
    pick: (c) => c.metricMaxSeries,
    expected: 50,
  },
  {
    variable: "METRIC_MAX_POINTS",
    env: { METRIC_MAX_POINTS: "5000" },
    pick: (c) => c.metricMaxPoints,
    expected: 5_000,
  },
  {
    variable: "METRIC_ROLLUP_EVERY",
    env: { METRIC_ROLLUP_EVERY: "5s" },
    pick: (c) => c.metricRollups.everyMs,
    expected: 5_000,
  },
  {
    variable: "METRIC_ROLLUP_LAG",
    env: { METRIC_ROLLUP_LAG: "5m" },
    pick: (c) => c.metricRollups.lagMs,
    expected: 300_000,
  },
  {
    variable: "METRIC_ROLLUP_BUDGET",
    env: { METRIC_ROLLUP_BUDGET: "20000" },
    pick: (c) => c.metricRollups.budgetPoints,
    expected: 20_000,
  },
  {
    variable: "REPLICA_NAME",
    env: { REPLICA_NAME: " argus-eu-1 " },
    pick: (c) => c.replicas.name,
    expected: "argus-eu-1",
  },
  {
    variable: "REPLICA_HEARTBEAT",
    env: { REPLICA_HEARTBEAT: "2s" },
    pick: (c) => c.replicas.heartbeatMs,
    expected: 2_000,
  },
  {
    variable: "LEASE_TTL",
    env: { LEASE_TTL: "1m" },
    pick: (c) => c.replicas.leaseTtlMs,
    expected: 60_000,
  },
  {
    variable: "TRACE_COUNT_LIMIT",
    env: { TRACE_COUNT_LIMIT: "500" },
    pick: (c) => c.db.traceCountLimit,
    expected: 500,
  },
  {
    variable: "TRACE_COUNT_SCAN",
    env: { TRACE_COUNT_SCAN: "20000" },
    pick: (c) => c.db.traceCountScan,
    expected: 20_000,
  },
  {
    variable: "TRACE_COUNT_CHECKS",
    env: { TRACE_COUNT_CHECKS: "2000" },
    pick: (c) => c.db.traceCountChecks,
    expected: 2_000,
  },
  {
    variable: "ATTRIBUTE_INDEX_KEYS",
    env: { ATTRIBUTE_INDEX_KEYS: "order.id, http.route" },
    pick: (c) => c.db.attributeIndexKeys,
    expected: { include: ["order.id", "http.route"], skip: [] },
  },
  {
    variable: "ATTRIBUTE_INDEX_SKIP",
    env: { ATTRIBUTE_INDEX_KEYS: "-", ATTRIBUTE_INDEX_SKIP: "user.id" },
    pick: (c) => c.db.attributeIndexKeys,
    expected: { include: [], skip: ["user.id"] },
  },
  {
    variable: "ATTRIBUTE_INDEX_POSTINGS",
    env: { ATTRIBUTE_INDEX_POSTINGS: "8" },
    pick: (c) => c.db.attributeIndexPostings,
    expected: 8,
  },
  {
    variable: "ATTRIBUTE_INDEX_TRACKED",
    env: { ATTRIBUTE_INDEX_TRACKED: "0" },
    pick: (c) => c.db.attributeIndexTracked,
    expected: 0,
  },
  {
    variable: "PARTITION_INTERVAL",
    env: { PARTITION_INTERVAL: "6h" },
    pick: (c) => c.db.partitions.intervalMs,
    expected: 21_600_000,
  },
  {
    variable: "PARTITIONS_AHEAD",
    env: { PARTITIONS_AHEAD: "7" },
    pick: (c) => c.db.partitions.ahead,
    expected: 7,
  },
  {
    variable: "PARTITION_LOCK_TIMEOUT",
    env: { PARTITION_LOCK_TIMEOUT: "500ms" },
    pick: (c) => c.db.partitions.lockTimeoutMs,
    expected: 500,
  },
  {
    variable: "ATTRIBUTE_INDEX_CANDIDATES",
    env: { ATTRIBUTE_INDEX_CANDIDATES: "500" },
    pick: (c) => c.db.attributeIndexCandidates,
    expected: 500,
  },
  {
    variable: "LOG_SEARCH_LIMIT",
    env: { LOG_SEARCH_LIMIT: "2000" },
    pick: (c) => c.db.logSearchLimit,
    expected: 2_000,
  },
  {
    variable: "LOG_COUNT_SCAN",
    env: { LOG_COUNT_SCAN: "200000" },
    pick: (c) => c.db.logCountScan,
    expected: 200_000,
  },
  {
    variable: "SHUTDOWN_TIMEOUT",
    env: { SHUTDOWN_TIMEOUT: "45s" },
    pick: (c) => c.shutdownTimeoutMs,
    expected: 45_000,
  },
  {
    variable: "MAX_FIELD_BYTES",
    env: { MAX_FIELD_BYTES: "64KiB" },
    pick: (c) => c.db.maxFieldBytes,
    expected: 65_536,
  },
  {
    variable: "MAX_FIELD_BYTES",
    env: { MAX_FIELD_BYTES: "1024" },
    pick: (c) => c.db.maxFieldBytes,
    expected: 1_024,
  },
  {
    variable: "MAX_FIELD_BYTES",
    env: { MAX_FIELD_BYTES: "8MiB" },
    pick: (c) => c.db.maxFieldBytes,
    expected: 8_388_608,
  },
  { variable: "BATCH_SIZE", env: { BATCH_SIZE: "500" }, pick: (c) => c.batch.size, expected: 500 },
  {
    variable: "BATCH_SIZE",
    env: { BATCH_SIZE: "100000" },
    pick: (c) => c.batch.size,
    expected: 100_000,
  },
  {
    variable: "FLUSH_INTERVAL",
    env: { FLUSH_INTERVAL: "1ms" },
    pick: (c) => c.batch.flushIntervalMs,
    expected: 1,
  },
  {
    variable: "FLUSH_INTERVAL",
    env: { FLUSH_INTERVAL: "2s" },
    pick: (c) => c.batch.flushIntervalMs,
    expected: 2_000,
  },
  {
    variable: "FLUSH_INTERVAL",
    env: { FLUSH_INTERVAL: "1m" },
    pick: (c) => c.batch.flushIntervalMs,
    expected: 60_000,
  },
  {
    variable: "QUEUE_MAX_ROWS",
    env: { QUEUE_MAX_ROWS: "5000" },
    pick: (c) => c.queue.maxRows,
    expected: 5_000,
  },
  {
    variable: "QUEUE_MAX_ROWS",
    env: { QUEUE_MAX_ROWS: "100000000" },
    pick: (c) => c.queue.maxRows,
    expected: 100_000_000,
  },
  {
    variable: "QUEUE_MAX_BYTES",
    env: { QUEUE_MAX_BYTES: "1MiB" },
    pick: (c) => c.queue.maxBytes,
    expected: 1_048_576,
  },
  {
    variable: "QUEUE_MAX_BYTES",
    env: { QUEUE_MAX_BYTES: "1GB" },
    pick: (c) => c.queue.maxBytes,
    expected: 1_000_000_000,
  },
  {
    variable: "QUEUE_MAX_BYTES",
    env: { QUEUE_MAX_BYTES: "64GiB" },
    pick: (c) => c.queue.maxBytes,
    expected: 68_719_476_736,
  },
  {
    variable: "DLQ_REPLAY_INTERVAL",
    env: { DLQ_REPLAY_INTERVAL: "30s" },
    pick: (c) => c.dlqReplayIntervalMs,
    expected: 30_000,
  },
  {
    variable: "DLQ_REPLAY_INTERVAL",
    env: { DLQ_REPLAY_INTERVAL: "100ms" },
    pick: (c) => c.dlqReplayIntervalMs,
    expected: 100,
  },
  {
    variable: "RETENTION",
    env: { RETENTION: "30d" },
    pick: (c) => c.retentionMs,
    expected: 2_592_000_000,
  },
  { variable: "RETENTION", env: { RETENTION: "1m" }, pick: (c) => c.retentionMs, expected: 60_000 },
  {
    variable: "RETENTION",
    env: { RETENTION: "12h30m" },
    pick: (c) => c.retentionMs,
    expected: 45_000_000,
  },
  { variable: "RETENTION", env: { RETENTION: "off" }, pick: (c) => c.retentionMs, expected: null },
  { variable: "RETENTION", env: { RETENTION: "OFF" }, pick: (c) => c.retentionMs, expected: null },
  { variable: "RETENTION", env: { RETENTION: "none" }, pick: (c) => c.retentionMs, expected: null },
  { variable: "RETENTION", env: { RETENTION: "0" }, pick: (c) => c.retentionMs, expected: null },
  ...["false", "0", "no", "off", "FALSE"].map((value): ValidCase => ({
    variable: "AI_ENABLED",
    env: { ...AI_ON, AI_ENABLED: value },
    pick: (c) => c.ai,
    expected: null,
  })),
  ...["true", "1", "yes", "on", "True"].map((value): ValidCase => ({
    variable: "AI_ENABLED",
    env: { ...AI_ON, AI_ENABLED: value },
    pick: (c) => c.ai !== null,
    expected: true,
  })),
  {
    variable: "AZURE_OPENAI_ENDPOINT",
    env: AI_ON,
    pick: (c) => c.ai?.endpoint,
    expected: "https://argus.openai.azure.com",
  },
  {
    variable: "AZURE_OPENAI_ENDPOINT",
    env: { ...AI_ON, AZURE_OPENAI_ENDPOINT: "http://127.0.0.1:8081/openai" },
    pick: (c) => c.ai?.endpoint,
    expected: "http://127.0.0.1:8081/openai",
  },
  { variable: "AZURE_OPENAI_API_KEY", env: AI_ON, pick: (c) => c.ai?.apiKey, expected: "key-123" },
  {
    variable: "AZURE_OPENAI_DEPLOYMENT",
    env: AI_ON,
    pick: (c) => c.ai?.deployment,
    expected: "gpt-4o-mini",
  },
  {
    variable: "AZURE_OPENAI_API_VERSION",
    env: { ...AI_ON, AZURE_OPENAI_API_VERSION: "2025-01-01-preview" },
    pick: (c) => c.ai?.apiVersion,
    expected: "2025-01-01-preview",
  },
  {
    variable: "AZURE_OPENAI_API_VERSION",
    env: AI_ON,
    pick: (c) => c.ai?.apiVersion,
    expected: "2024-10-21",
  },
  { variable: "AI_PROVIDER", env: AI_ON, pick: (c) => c.ai?.provider, expected: "azure" },
  {
    variable: "AI_PROVIDER",
    env: { AI_ENABLED: "true", AI_PROVIDER: "OpenAI", AI_MODEL: "gpt-4o-mini" },
    pick: (c) => c.ai?.provider,
    expected: "openai",
  },
  {
    variable: "AI_BASE_URL",
    env: { ...AI_OPENAI, AI_BASE_URL: "http://127.0.0.1:11434/v1" },
    pick: (c) => c.ai?.baseUrl,
    expected: "http://127.0.0.1:11434/v1",
  },
  { variable: "AI_MODEL", env: AI_OPENAI, pick: (c) => c.ai?.model, expected: "llama3.2" },
  {
    variable: "AI_API_KEY",
    env: { ...AI_OPENAI, AI_API_KEY: "sk-test" },
    pick: (c) => c.ai?.apiKey,
    expected: "sk-test",
  },
  { variable: "AI_TIMEOUT", env: AI_ON, pick: (c) => c.ai?.timeoutMs, expected: 30_000 },
  {
    variable: "AI_TIMEOUT",
    env: { ...AI_ON, AI_TIMEOUT: "250ms" },
    pick: (c) => c.ai?.timeoutMs,
    expected: 250,
  },
  {
    variable: "AI_PROMPT_MAX_BYTES",
    env: AI_ON,
    pick: (c) => c.ai?.promptMaxBytes,
    expected: 16_384,
  },
  {
    variable: "AI_PROMPT_MAX_BYTES",
    env: { ...AI_ON, AI_PROMPT_MAX_BYTES: "64KiB" },
    pick: (c) => c.ai?.promptMaxBytes,
    expected: 65_536,
  },
  { variable: "AI_MAX_TOKENS", env: AI_ON, pick: (c) => c.ai?.maxTokens, expected: 800 },
  {
    variable: "AI_MAX_TOKENS",
    env: { ...AI_ON, AI_MAX_TOKENS: "2000" },
    pick: (c) => c.ai?.maxTokens,
    expected: 2000,
  },
  { variable: "AI_CACHE_ENTRIES", env: AI_ON, pick: (c) => c.ai?.cacheEntries, expected: 1000 },
  {
    variable: "AI_CACHE_ENTRIES",
    env: { ...AI_ON, AI_CACHE_ENTRIES: "0" },
    pick: (c) => c.ai?.cacheEntries,
    expected: 0,
  },
];

Deno.test("parseConfig() reads every variable when it holds a valid value", () => {
  for (const { variable, env, pick, expected } of VALID_CASES) {
    assert.deepEqual(pick(parseOk(env)), expected, `${variable} in ${JSON.stringify(env)}`);
  }
  // Drift guard: a variable added to VARIABLES needs a row above.
  assert.deepEqual(
    [...new Set(VALID_CASES.map((c) => c.variable))].sort(),
    VARIABLES.map((v) => v.name).sort(),
  );
});

Deno.test("parseConfig() trims the whitespace around a value", () => {
  const config = parseOk({ HTTP_PORT: " 9090\n", LOG_LEVEL: "\tdebug ", DATA_DIR: " /srv/argus " });
  assert.equal(config.httpPort, 9090);
  assert.equal(config.logLevel, "debug");
  assert.equal(config.dataDir, "/srv/argus");
  assert.equal(config.dlqDir, "/srv/argus/dlq");
});

Deno.test("parseConfig() matches LOG_LEVEL, APP_ENV and DB_DRIVER values in any case", () => {
  const config = parseOk({
    LOG_LEVEL: "DEBUG",
    APP_ENV: "PrOdUcTiOn",
    DB_DRIVER: "PostgreS",
    DB_DSN: "postgres://argus@db/argus",
  });
  assert.equal(config.logLevel, "debug");
  assert.equal(config.appEnv, "production");
  assert.equal(config.db.driver, "postgres");
  assert.equal(parseOk({ DB_DRIVER: "SQLITE" }).db.driver, "sqlite");
});

/** A variable set to a refused value, and the one message expected for it. */
interface InvalidCase {
  variable: string;
  env: Env;
  error: string;
}

function invalid(variable: string, value: string, allowed: string): InvalidCase {
  return {
    variable,
    env: { [variable]: value },
    error: `${variable} must be ${allowed}: current value is ${JSON.stringify(value)}`,
  };
}

const INVALID_CASES: InvalidCase[] = [
  invalid("QUERY_MAX_WINDOW", "30s", `${DURATIONS}, from 1m to 3660d`),
  invalid("QUERY_TIMEOUT", "1h", `${DURATIONS}, from 100ms to 10m`),
  invalid("EDGE_PENDING_WINDOW", "0s", `${DURATIONS}, from 1s to 1h`),
  invalid("EDGE_MEMORY_SPANS", "10", "an integer from 1000 to 100000000"),
  invalid("LIVE_MAX_BUFFERED_BYTES", "1KiB", `${SIZES}, from 65536 to 1073741824 bytes`),
  invalid("LIVE_MAX_QUEUED", "5", "an integer from 100 to 10000000"),
  invalid("LIVE_CLUSTER_MAX_IDS", "-1", "an integer from 0 to 10000000"),
  invalid("LIVE_STALL_TIMEOUT", "10ms", `${DURATIONS}, from 100ms to 1h`),
  invalid("LIVE_CLOSE_TIMEOUT", "1h", `${DURATIONS}, from 100ms to 10m`),
  invalid("DLQ_MAX_BYTES", "1KiB", `${SIZES}, from 1048576 to 1099511627776 bytes`),
  invalid("DLQ_MAX_FILE_BYTES", "1GiB", `${SIZES}, from 1048576 to 268435456 bytes`),
  invalid("MAX_REQUEST_BYTES", "1GiB", `${SIZES}, from 65536 to 268435456 bytes`),
  invalid("MAX_ATTRIBUTES", "0", "an integer from 1 to 10000"),
  invalid("MAX_SERIES_PER_INSTRUMENT", "0", "an integer from 1 to 100000"),
  invalid("METRIC_SERIES_RELOAD", "500ms", `${DURATIONS}, from 1s to 1d`),
  invalid("METRIC_SERIES_IDLE", "30s", `${DURATIONS}, from 1m to 30d`),
  invalid("MAX_EVENTS", "-1", "an integer from 0 to 10000"),
  invalid("MAX_LINKS", "many", "an integer from 0 to 10000"),
  invalid("MAX_VALUE_DEPTH", "65", "an integer from 1 to 64"),
  invalid("APP_ENV", "staging", "one of development, production, test"),
  invalid("APP_ENV", "prod", "one of development, production, test"),
  invalid("LOG_LEVEL", "verbose", "one of debug, info, warn, error"),
  invalid("LOG_LEVEL", "warning", "one of debug, info, warn, error"),
  invalid("HOST", "not a host", HOSTS),
  invalid("HOST", "http://example.com", HOSTS),
  invalid("HOST", "-argus", HOSTS),
  invalid("HOST", "argus_1", HOSTS),
  invalid("HOST", "[::1]", HOSTS),
  invalid("HTTP_PORT", "65536", PORTS),
  invalid("HTTP_PORT", "-1", PORTS),
  invalid("HTTP_PORT", "80a", PORTS),
  invalid("HTTP_PORT", "8080.5", PORTS),
  invalid("HTTP_PORT", "0x50", PORTS),
  invalid("GRPC_PORT", "grpc", PORTS),
  invalid("GRPC_PORT", "100000", PORTS),
  invalid("OTLP_HTTP_PORT", "4318/tcp", PORTS),
  invalid("HTTP_MAX_CONNECTIONS", "8", "an integer from 16 to 1000000"),
  invalid("HTTP_HEADER_TIMEOUT", "10ms", `${DURATIONS}, from 100ms to 1h`),
  invalid("HTTP_BODY_TIMEOUT", "forever", `${DURATIONS}, from 100ms to 1h`),
  invalid("GRPC_GATEWAY_HEAP", "8MiB", `${SIZES}, from 16777216 to 68719476736 bytes`),
  invalid("INFLIGHT_MAX_BYTES", "64KiB", `${SIZES}, from 1048576 to 68719476736 bytes`),
  invalid("LOGIN_RATE_LIMIT", "-1", "an integer from 0 to 1000000"),
  ...["API_TOKEN", "ADMIN_TOKEN", "INGEST_TOKEN"].map((variable): InvalidCase => ({
    variable,
    env: { [variable]: "short-secret" },
    error: `${variable} must be ${TOKENS}: current value is 12 characters long (not shown)`,
  })),
  {
    variable: "API_TOKEN",
    env: { API_TOKEN: "Bearer 0123456789abcdef" },
    error: `API_TOKEN must be ${TOKENS}: current value is 23 characters long with a space or a ` +
      "non-ASCII character (not shown)",
  },
  invalid("ALLOWED_HOSTS", "argus.example.com:8080", ALLOWED_HOSTS),
  invalid("ALLOWED_HOSTS", "ok.example, https://argus.example.com", ALLOWED_HOSTS),
  invalid("ALLOWED_HOSTS", "*", ALLOWED_HOSTS),
  invalid("CORS_ORIGINS", "*", CORS),
  invalid("CORS_ORIGINS", "dash.example.com", CORS),
  invalid("CORS_ORIGINS", "https://dash.example.com/app", CORS),
  invalid("CORS_ORIGINS", "https://ok.example,ftp://files.example", CORS),
  invalid("DB_DRIVER", "oracle", "one of sqlite, postgres, mysql, sqlserver"),
  invalid("DB_DRIVER", "postgresql", "one of sqlite, postgres, mysql, sqlserver"),
  {
    variable: "DB_DSN",
    env: { DB_DRIVER: "postgres" },
    error: "DB_DSN is required when DB_DRIVER is postgres: set it to a URL such as " +
      "postgres://user:password@127.0.0.1:5432/argus",
  },
  {
    variable: "DB_DSN",
    env: { DB_DRIVER: "postgres", DB_DSN: "mysql://argus@db:3306/argus" },
    error: "DB_DSN must be a postgres:// or postgresql:// URL with a host when DB_DRIVER is " +
      "postgres, such as postgres://user:password@127.0.0.1:5432/argus: current value is " +
      '"mysql://argus@db:3306/argus"',
  },
  invalid("DB_MAX_OPEN_CONNS", "0", "an integer from 1 to 1000"),
  invalid("DB_MAX_OPEN_CONNS", "1001", "an integer from 1 to 1000"),
  invalid("DB_MAX_OPEN_CONNS", "ten", "an integer from 1 to 1000"),
  invalid("DB_MAX_OPEN_CONNS", "-5", "an integer from 1 to 1000"),
  invalid("DB_MAX_OPEN_CONNS", "12.5", "an integer from 1 to 1000"),
  invalid("DB_MAX_OPEN_CONNS", "1e2", "an integer from 1 to 1000"),
  invalid("DB_MAX_IDLE_CONNS", "1001", "an integer from 0 to 1000"),
  invalid("DB_MAX_IDLE_CONNS", "-1", "an integer from 0 to 1000"),
  invalid("DB_CONN_MAX_LIFETIME", "3600", `${DURATIONS}, from 1s to 30d`),
  invalid("DB_CONN_MAX_LIFETIME", "500ms", `${DURATIONS}, from 1s to 30d`),
  invalid("DB_CONN_MAX_LIFETIME", "31d", `${DURATIONS}, from 1s to 30d`),
  invalid("DB_CONN_IDLE_TIMEOUT", "1h 30m", `${DURATIONS}, from 1s to 1d`),
  invalid("DB_CONN_IDLE_TIMEOUT", "25h", `${DURATIONS}, from 1s to 1d`),
  invalid("DB_CONNECT_TIMEOUT", "99ms", `${DURATIONS}, from 100ms to 10m`),
  invalid("DB_CONNECT_TIMEOUT", "10m1ms", `${DURATIONS}, from 100ms to 10m`),
  invalid("DB_CONNECT_TIMEOUT", "5 seconds", `${DURATIONS}, from 100ms to 10m`),
  invalid("DB_STATEMENT_TIMEOUT", "99ms", `${DURATIONS}, from 100ms to 1h`),
  invalid("DB_WRITE_TIMEOUT", "2h", `${DURATIONS}, from 100ms to 1h`),
  invalid("DB_WRITES_IN_FLIGHT", "0", "an integer from 1 to 64"),
  invalid("DB_PING_TIMEOUT", "0s", `${DURATIONS}, from 100ms to 10m`),
  invalid("DB_RETRY_INTERVAL", "soon", `${DURATIONS}, from 100ms to 1h`),
  invalid("DB_MAINTENANCE_TIMEOUT", "500ms", `${DURATIONS}, from 1s to 1d`),
  invalid("DB_READ_WORKERS", "0", "an integer from 1 to 64"),
  invalid("TRACE_COUNT_LIMIT", "0", "an integer from 1 to 100000000"),
  invalid("LOG_SEARCH_LIMIT", "0", "an integer from 1 to 100000000"),
  invalid("TRACE_COUNT_SCAN", "0", "an integer from 1 to 100000000"),
  invalid("TRACE_COUNT_CHECKS", "-5", "an integer from 1 to 100000000"),
  invalid("LOG_COUNT_SCAN", "1e5", "an integer from 1 to 100000000"),
  invalid("MCP_MAX_OUTPUT_BYTES", "512", `${SIZES}, from 1024 to 16777216 bytes`),
  invalid("TRACE_MAX_SPANS", "99", "an integer from 100 to 1000000"),
  invalid("TRACE_PAGE_INLINE_SPANS", "-1", "an integer from 0 to 1000000"),
  invalid("TRACE_SNAPSHOTS", "65", "an integer from 0 to 64"),
  invalid("TRACE_SNAPSHOT_LIFETIME", "1h", `${DURATIONS}, from 100ms to 10m`),
  invalid("METRIC_MAX_STEPS", "9", "an integer from 10 to 1000000"),
  invalid("METRIC_MAX_SERIES", "0", "an integer from 1 to 100000"),
  invalid("METRIC_MAX_POINTS", "999", "an integer from 1000 to 100000000"),
  invalid("METRIC_ROLLUP_EVERY", "500ms", `${DURATIONS}, from 1s to 1d`),
  invalid("METRIC_ROLLUP_LAG", "30s", `${DURATIONS}, from 1m to 1d`),
  invalid("METRIC_ROLLUP_BUDGET", "999", "an integer from 1000 to 100000000"),
  invalid("SHUTDOWN_TIMEOUT", "500ms", `${DURATIONS}, from 1s to 1h`),
  invalid("MAX_FIELD_BYTES", "1023", `${SIZES}, from 1024 to 8388608 bytes`),
  invalid("MAX_FIELD_BYTES", "9MiB", `${SIZES}, from 1024 to 8388608 bytes`),
  invalid("MAX_FIELD_BYTES", "1TB", `${SIZES}, from 1024 to 8388608 bytes`),
  invalid("MAX_FIELD_BYTES", "1.5MiB", `${SIZES}, from 1024 to 8388608 bytes`),
  invalid("BATCH_SIZE", "0", "an integer from 1 to 100000"),
  invalid("BATCH_SIZE", "100001", "an integer from 1 to 100000"),
  invalid("FLUSH_INTERVAL", "-1ms", `${DURATIONS}, from 0s to 1m`),
  invalid("FLUSH_INTERVAL", "2m", `${DURATIONS}, from 0s to 1m`),
  invalid("FLUSH_INTERVAL", "200", `${DURATIONS}, from 0s to 1m`),
  invalid("QUEUE_MAX_ROWS", "0", "an integer from 1 to 100000000"),
  invalid("QUEUE_MAX_ROWS", "100000001", "an integer from 1 to 100000000"),
  invalid("QUEUE_MAX_BYTES", "1KiB", `${SIZES}, from 1048576 to 68719476736 bytes`),
  invalid("QUEUE_MAX_BYTES", "65GiB", `${SIZES}, from 1048576 to 68719476736 bytes`),
  invalid("QUEUE_MAX_BYTES", "lots", `${SIZES}, from 1048576 to 68719476736 bytes`),
  invalid("DLQ_REPLAY_INTERVAL", "50ms", `${DURATIONS}, from 100ms to 1d`),
  invalid("DLQ_REPLAY_INTERVAL", "2d", `${DURATIONS}, from 100ms to 1d`),
  invalid("DLQ_REPLAY_INTERVAL", "-5m", `${DURATIONS}, from 100ms to 1d`),
  invalid("RETENTION", "30s", `off or ${DURATIONS}, at least 1m`),
  invalid("RETENTION", "forever", `off or ${DURATIONS}, at least 1m`),
  invalid("RETENTION", "7", `off or ${DURATIONS}, at least 1m`),
  invalid(
    "REPLICA_NAME",
    "argus\u0007",
    "1 to 256 characters without control characters, such as argus-1",
  ),
  invalid(
    "REPLICA_NAME",
    "a".repeat(257),
    "1 to 256 characters without control characters, such as argus-1",
  ),
  invalid("REPLICA_HEARTBEAT", "500ms", `${DURATIONS}, from 1s to 10m`),
  invalid("LEASE_TTL", "1s", `${DURATIONS}, from 3s to 1h`),
  invalid("PARTITION_INTERVAL", "30m", `${DURATIONS}, from 1h to 31d`),
  invalid("PARTITION_INTERVAL", "90m", "a whole number of hours, from 1h to 31d"),
  invalid("PARTITIONS_AHEAD", "0", "an integer from 1 to 366"),
  invalid("PARTITION_LOCK_TIMEOUT", "10ms", `${DURATIONS}, from 100ms to 10m`),
  invalid("AI_ENABLED", "maybe", "true or false (also 1/0, yes/no, on/off)"),
  invalid("AI_ENABLED", "enabled", "true or false (also 1/0, yes/no, on/off)"),
  invalid(
    "AZURE_OPENAI_ENDPOINT",
    "argus.openai.azure.com",
    "an http(s) URL such as https://NAME.openai.azure.com",
  ),
  invalid(
    "AZURE_OPENAI_ENDPOINT",
    "https://",
    "an http(s) URL such as https://NAME.openai.azure.com",
  ),
  invalid("AI_PROVIDER", "ollama", "one of azure, openai"),
  invalid(
    "AI_BASE_URL",
    "localhost:11434",
    "an http(s) URL up to /chat/completions, such as https://api.openai.com/v1 or " +
      "http://127.0.0.1:11434/v1",
  ),
  {
    variable: "AI_MODEL",
    env: { ...AI_OPENAI, AI_MODEL: "" },
    error: "AI_MODEL is required when AI_ENABLED is true and AI_PROVIDER is openai: it is not set",
  },
  invalid("AZURE_OPENAI_API_VERSION", "latest", "a date-shaped version such as 2024-10-21"),
  invalid("AZURE_OPENAI_API_VERSION", "2024-10", "a date-shaped version such as 2024-10-21"),
  {
    variable: "AZURE_OPENAI_API_KEY",
    env: { ...AI_ON, AZURE_OPENAI_API_KEY: undefined },
    error: "AZURE_OPENAI_API_KEY is required when AI_ENABLED is true: it is not set",
  },
  {
    variable: "AZURE_OPENAI_DEPLOYMENT",
    env: { ...AI_ON, AZURE_OPENAI_DEPLOYMENT: "" },
    error: "AZURE_OPENAI_DEPLOYMENT is required when AI_ENABLED is true: it is not set",
  },
  invalid("AI_TIMEOUT", "50ms", `${DURATIONS}, from 100ms to 10m`),
  invalid("AI_TIMEOUT", "30", `${DURATIONS}, from 100ms to 10m`),
  invalid("AI_PROMPT_MAX_BYTES", "1KiB", `${SIZES}, from 2048 to 1048576 bytes`),
  invalid("AI_PROMPT_MAX_BYTES", "2MiB", `${SIZES}, from 2048 to 1048576 bytes`),
  invalid("AI_MAX_TOKENS", "0", "an integer from 16 to 32768"),
  invalid("AI_CACHE_ENTRIES", "-1", "an integer from 0 to 1000000"),
  invalid("AI_CACHE_ENTRIES", "lots", "an integer from 0 to 1000000"),
  invalid("ATTRIBUTE_INDEX_POSTINGS", "0", "an integer from 1 to 1000000"),
  invalid("ATTRIBUTE_INDEX_TRACKED", "-1", "an integer from 0 to 100000000"),
  invalid("ATTRIBUTE_INDEX_CANDIDATES", "0", "an integer from 1 to 1000000"),
];

/** Free-form values: any text is a valid folder, any list of keys a valid list. */
const NEVER_INVALID = [
  "DATA_DIR",
  "DLQ_DIR",
  "ATTRIBUTE_INDEX_KEYS",
  "ATTRIBUTE_INDEX_SKIP",
  // Optional even when used: a local model takes no key.
  "AI_API_KEY",
];

Deno.test("parseConfig() names the variable, what is allowed and the value for a bad value", () => {
  for (const { variable, env, error } of INVALID_CASES) {
    assert.deepEqual(parseConfig(env), { ok: false, errors: [error] }, variable);
  }
  assert.deepEqual(
    [...new Set([...INVALID_CASES.map((c) => c.variable), ...NEVER_INVALID])].sort(),
    VARIABLES.map((v) => v.name).sort(),
  );
});

Deno.test("parseConfig() quotes the trimmed value it refused", () => {
  assert.deepEqual(parseErrors({ LOG_LEVEL: '  "loud"\n' }), [
    'LOG_LEVEL must be one of debug, info, warn, error: current value is "\\"loud\\""',
  ]);
});

Deno.test("parseConfig() reports every invalid variable together", () => {
  assert.deepEqual(
    parseErrors({
      APP_ENV: "staging",
      LOG_LEVEL: "verbose",
      HOST: "not a host",
      HTTP_PORT: "http",
      GRPC_PORT: "70000",
      OTLP_HTTP_PORT: "-1",
      DB_DRIVER: "oracle",
      DB_MAX_OPEN_CONNS: "0",
      DB_MAX_IDLE_CONNS: "many",
      DB_CONN_MAX_LIFETIME: "forever",
      DB_CONN_IDLE_TIMEOUT: "0s",
      DB_CONNECT_TIMEOUT: "1h",
      MAX_FIELD_BYTES: "1",
      BATCH_SIZE: "none",
      FLUSH_INTERVAL: "5",
      QUEUE_MAX_ROWS: "0",
      QUEUE_MAX_BYTES: "1TiB",
      DLQ_REPLAY_INTERVAL: "1w",
      RETENTION: "1s",
      AI_ENABLED: "perhaps",
      AZURE_OPENAI_ENDPOINT: "ftp://example.com",
      AZURE_OPENAI_API_VERSION: "v1",
    }),
    [
      'APP_ENV must be one of development, production, test: current value is "staging"',
      'LOG_LEVEL must be one of debug, info, warn, error: current value is "verbose"',
      `HOST must be ${HOSTS}: current value is "not a host"`,
      `HTTP_PORT must be ${PORTS}: current value is "http"`,
      `GRPC_PORT must be ${PORTS}: current value is "70000"`,
      `OTLP_HTTP_PORT must be ${PORTS}: current value is "-1"`,
      'DB_DRIVER must be one of sqlite, postgres, mysql, sqlserver: current value is "oracle"',
      'DB_MAX_OPEN_CONNS must be an integer from 1 to 1000: current value is "0"',
      'DB_MAX_IDLE_CONNS must be an integer from 0 to 1000: current value is "many"',
      `DB_CONN_MAX_LIFETIME must be ${DURATIONS}, from 1s to 30d: current value is "forever"`,
      `DB_CONN_IDLE_TIMEOUT must be ${DURATIONS}, from 1s to 1d: current value is "0s"`,
      `DB_CONNECT_TIMEOUT must be ${DURATIONS}, from 100ms to 10m: current value is "1h"`,
      `MAX_FIELD_BYTES must be ${SIZES}, from 1024 to 8388608 bytes: current value is "1"`,
      'BATCH_SIZE must be an integer from 1 to 100000: current value is "none"',
      `FLUSH_INTERVAL must be ${DURATIONS}, from 0s to 1m: current value is "5"`,
      'QUEUE_MAX_ROWS must be an integer from 1 to 100000000: current value is "0"',
      `QUEUE_MAX_BYTES must be ${SIZES}, from 1048576 to 68719476736 bytes: ` +
      'current value is "1TiB"',
      `DLQ_REPLAY_INTERVAL must be ${DURATIONS}, from 100ms to 1d: current value is "1w"`,
      `RETENTION must be off or ${DURATIONS}, at least 1m: current value is "1s"`,
      'AI_ENABLED must be true or false (also 1/0, yes/no, on/off): current value is "perhaps"',
      "AZURE_OPENAI_ENDPOINT must be an http(s) URL such as https://NAME.openai.azure.com: " +
      'current value is "ftp://example.com"',
      'AZURE_OPENAI_API_VERSION must be a date-shaped version such as 2024-10-21: current value is "v1"',
    ],
  );
});

Deno.test("parseConfig() reports bad values and broken cross-field rules together", () => {
  assert.deepEqual(
    parseErrors({
      HTTP_PORT: "4318",
      DB_DRIVER: "mysql",
      DB_MAX_OPEN_CONNS: "5",
      DB_MAX_IDLE_CONNS: "6",
      QUEUE_MAX_ROWS: "999",
      AI_ENABLED: "yes",
      LOG_LEVEL: "trace",
    }),
    [
      'LOG_LEVEL must be one of debug, info, warn, error: current value is "trace"',
      "OTLP_HTTP_PORT and HTTP_PORT must differ: both are 4318",
      "DB_DSN is required when DB_DRIVER is mysql: set it to a URL such as " +
      "mysql://user:password@127.0.0.1:3306/argus",
      'DB_MAX_IDLE_CONNS must be at most DB_MAX_OPEN_CONNS (5): current value is "6"',
      'QUEUE_MAX_ROWS must be at least BATCH_SIZE (1000): current value is "999"',
      "AZURE_OPENAI_ENDPOINT is required when AI_ENABLED is true: it is not set",
      "AZURE_OPENAI_API_KEY is required when AI_ENABLED is true: it is not set",
      "AZURE_OPENAI_DEPLOYMENT is required when AI_ENABLED is true: it is not set",
    ],
  );
});

Deno.test("parseConfig() refuses more idle than open database connections", () => {
  assert.deepEqual(parseErrors({ DB_MAX_OPEN_CONNS: "10", DB_MAX_IDLE_CONNS: "11" }), [
    'DB_MAX_IDLE_CONNS must be at most DB_MAX_OPEN_CONNS (10): current value is "11"',
  ]);
  assert.deepEqual(parseErrors({ DB_MAX_IDLE_CONNS: "51" }), [
    'DB_MAX_IDLE_CONNS must be at most DB_MAX_OPEN_CONNS (50): current value is "51"',
  ]);
  const pool = parseOk({ DB_MAX_OPEN_CONNS: "10", DB_MAX_IDLE_CONNS: "10" }).db.pool;
  assert.equal(pool.maxOpen, 10);
  assert.equal(pool.maxIdle, 10);
});

Deno.test("parseConfig() keeps batches in flight within the connection pool", () => {
  assert.deepEqual(parseErrors({ DB_MAX_OPEN_CONNS: "4", DB_WRITES_IN_FLIGHT: "5" }), [
    "DB_WRITES_IN_FLIGHT must be at most DB_MAX_OPEN_CONNS (4), of which each batch in flight " +
    'holds one: current value is "5"',
  ]);
  // The default shrinks with a smaller pool rather than refusing it.
  assert.equal(parseOk({ DB_MAX_OPEN_CONNS: "2", DB_MAX_IDLE_CONNS: "2" }).db.writesInFlight, 2);
  assert.equal(parseOk({ DB_WRITES_IN_FLIGHT: "1" }).db.writesInFlight, 1);
});

Deno.test("parseConfig() refuses a queue smaller than one batch", () => {
  assert.deepEqual(parseErrors({ QUEUE_MAX_ROWS: "500" }), [
    'QUEUE_MAX_ROWS must be at least BATCH_SIZE (1000): current value is "500"',
  ]);
  assert.deepEqual(parseErrors({ BATCH_SIZE: "5000", QUEUE_MAX_ROWS: "4999" }), [
    'QUEUE_MAX_ROWS must be at least BATCH_SIZE (5000): current value is "4999"',
  ]);
  const config = parseOk({ BATCH_SIZE: "5000", QUEUE_MAX_ROWS: "5000" });
  assert.equal(config.batch.size, 5000);
  assert.equal(config.queue.maxRows, 5000);
});

Deno.test("parseConfig() refuses two ports that are equal", () => {
  assert.deepEqual(parseErrors({ HTTP_PORT: "4317" }), [
    "GRPC_PORT and HTTP_PORT must differ: both are 4317",
  ]);
  assert.deepEqual(parseErrors({ OTLP_HTTP_PORT: "8080" }), [
    "OTLP_HTTP_PORT and HTTP_PORT must differ: both are 8080",
  ]);
  assert.deepEqual(parseErrors({ GRPC_PORT: "4318" }), [
    "OTLP_HTTP_PORT and GRPC_PORT must differ: both are 4318",
  ]);
  assert.deepEqual(parseErrors({ HTTP_PORT: "9000", GRPC_PORT: "9000", OTLP_HTTP_PORT: "9000" }), [
    "GRPC_PORT and HTTP_PORT must differ: both are 9000",
    "OTLP_HTTP_PORT and GRPC_PORT must differ: both are 9000",
  ]);
});

Deno.test("parseConfig() allows port 0 on several receivers, as each gets a free port", () => {
  const config = parseOk({ HTTP_PORT: "0", GRPC_PORT: "0", OTLP_HTTP_PORT: "0" });
  assert.deepEqual([config.httpPort, config.grpcPort, config.otlpHttpPort], [0, 0, 0]);
  assert.equal(parseOk({ GRPC_PORT: "0", OTLP_HTTP_PORT: "0" }).httpPort, 8080);
});

Deno.test("parseConfig() checks cross-field rules only against values it accepted", () => {
  // A refused value falls back to its default; comparing that default would report a
  // problem with a value the operator never set.
  assert.deepEqual(parseErrors({ HTTP_PORT: "4317", GRPC_PORT: "grpc" }), [
    `GRPC_PORT must be ${PORTS}: current value is "grpc"`,
  ]);
  assert.deepEqual(parseErrors({ DB_MAX_OPEN_CONNS: "many", DB_MAX_IDLE_CONNS: "60" }), [
    'DB_MAX_OPEN_CONNS must be an integer from 1 to 1000: current value is "many"',
  ]);
  assert.deepEqual(parseErrors({ DB_MAX_OPEN_CONNS: "5", DB_MAX_IDLE_CONNS: "lots" }), [
    'DB_MAX_IDLE_CONNS must be an integer from 0 to 1000: current value is "lots"',
  ]);
  assert.deepEqual(parseErrors({ BATCH_SIZE: "big", QUEUE_MAX_ROWS: "500" }), [
    'BATCH_SIZE must be an integer from 1 to 100000: current value is "big"',
  ]);
  assert.deepEqual(parseErrors({ BATCH_SIZE: "500", QUEUE_MAX_ROWS: "0" }), [
    'QUEUE_MAX_ROWS must be an integer from 1 to 100000000: current value is "0"',
  ]);
});

Deno.test("parseConfig() requires DB_DSN for each server database", () => {
  const examples = {
    postgres: "postgres://user:password@127.0.0.1:5432/argus",
    mysql: "mysql://user:password@127.0.0.1:3306/argus",
    sqlserver: "sqlserver://user:password@127.0.0.1:1433/argus?trustServerCertificate=true",
  };
  for (const [driver, example] of Object.entries(examples)) {
    const message =
      `DB_DSN is required when DB_DRIVER is ${driver}: set it to a URL such as ${example}`;
    assert.deepEqual(parseErrors({ DB_DRIVER: driver }), [message]);
    assert.deepEqual(parseErrors({ DB_DRIVER: driver, DB_DSN: " " }), [message]);
    // The example in the message is itself accepted.
    assert.equal(parseOk({ DB_DRIVER: driver, DB_DSN: example }).db.dsn, example);
  }
});

Deno.test("parseConfig() accepts each server database's URL schemes", () => {
  const accepted: [string, string][] = [
    ["postgres", "postgres://argus:secret@db.internal:5432/argus"],
    ["postgres", "postgresql://argus@db/argus?sslmode=require"],
    ["mysql", "mysql://argus:secret@10.0.0.7:3306/argus"],
    ["mysql", "mariadb://argus@db/argus"],
    ["sqlserver", "sqlserver://sa:secret@db:1433/argus?encrypt=true"],
    ["sqlserver", "mssql://sa@db/argus"],
  ];
  for (const [driver, dsn] of accepted) {
    const db = parseOk({ DB_DRIVER: driver, DB_DSN: dsn }).db;
    assert.deepEqual([db.driver, db.dsn], [driver, dsn]);
  }
});

Deno.test("parseConfig() refuses a DB_DSN of another scheme or without a host", () => {
  const refused: [string, string, string][] = [
    ["postgres", "mysql://argus@db/argus", "postgres:// or postgresql://"],
    ["postgres", "postgres:///argus", "postgres:// or postgresql://"],
    ["postgres", "db.internal:5432/argus", "postgres:// or postgresql://"],
    ["mysql", "postgres://argus@db/argus", "mysql:// or mariadb://"],
    ["mysql", "argus.db", "mysql:// or mariadb://"],
    ["sqlserver", "mssql:argus", "sqlserver:// or mssql://"],
    ["sqlserver", "Server=db;Database=argus", "sqlserver:// or mssql://"],
  ];
  const examples: Record<string, string> = {
    postgres: "postgres://user:password@127.0.0.1:5432/argus",
    mysql: "mysql://user:password@127.0.0.1:3306/argus",
    sqlserver: "sqlserver://user:password@127.0.0.1:1433/argus?trustServerCertificate=true",
  };
  for (const [driver, dsn, schemes] of refused) {
    assert.deepEqual(parseErrors({ DB_DRIVER: driver, DB_DSN: dsn }), [
      `DB_DSN must be a ${schemes} URL with a host when DB_DRIVER is ${driver}, such as ` +
      `${examples[driver]}: current value is ${JSON.stringify(dsn)}`,
    ]);
  }
});

Deno.test("parseConfig() hides the DB_DSN password in its error message", () => {
  const cases: [string, string][] = [
    ["mysql://argus:s3cret@db:3306/argus", "mysql://argus:***@db:3306/argus"],
    [
      "postgres://db/argus?user=argus&password=s3cret",
      "postgres://db/argus?user=argus&password=***",
    ],
    ["argus:s3cret@db:5432/argus", "argus:***@db:5432/argus"],
    ["Server=db;User Id=sa;Password=s3cret;", "Server=db;User Id=sa;Password=***;"],
  ];
  for (const [dsn, shown] of cases) {
    const errors = parseErrors({ DB_DRIVER: "sqlserver", DB_DSN: dsn });
    assert.equal(errors.length, 1);
    assert.ok(errors[0]!.endsWith(`current value is ${JSON.stringify(shown)}`), errors[0]);
    assert.ok(!errors[0]!.includes("s3cret"), errors[0]);
  }
});

Deno.test("parseConfig() takes any DB_DSN as the SQLite file", () => {
  assert.equal(parseOk({ DB_DSN: "telemetry.sqlite" }).db.dsn, "telemetry.sqlite");
  assert.equal(parseOk({ DB_DRIVER: "sqlite", DB_DSN: ":memory:" }).db.dsn, ":memory:");
});

Deno.test("parseConfig() puts DLQ_DIR under DATA_DIR unless it is set", () => {
  assert.equal(parseOk({ DATA_DIR: "/var/lib/argus" }).dlqDir, "/var/lib/argus/dlq");
  assert.equal(parseOk({ DATA_DIR: "/var/lib/argus/" }).dlqDir, "/var/lib/argus/dlq");
  assert.equal(parseOk({ DATA_DIR: "state" }).dlqDir, "state/dlq");
  const config = parseOk({ DATA_DIR: "/var/lib/argus", DLQ_DIR: "/mnt/spool/dlq" });
  assert.equal(config.dataDir, "/var/lib/argus");
  assert.equal(config.dlqDir, "/mnt/spool/dlq");
  assert.equal(parseOk({ DATA_DIR: "/var/lib/argus", DLQ_DIR: "" }).dlqDir, "/var/lib/argus/dlq");
});

Deno.test("parseConfig() reads an OpenAI-style provider: AI_MODEL required, the key optional", () => {
  const openai = { AI_ENABLED: "true", AI_PROVIDER: "openai", AI_MODEL: "llama3.2" };
  const local = parseOk({ ...openai, AI_BASE_URL: "http://127.0.0.1:11434/v1" }).ai!;
  assert.equal(local.provider, "openai");
  assert.equal(local.baseUrl, "http://127.0.0.1:11434/v1");
  assert.equal(local.model, "llama3.2");
  assert.equal(local.apiKey, "");
  const cloud = parseOk({ ...openai, AI_API_KEY: "sk-1" }).ai!;
  assert.equal(cloud.baseUrl, "https://api.openai.com/v1");
  assert.equal(cloud.apiKey, "sk-1");
  // The Azure settings are not asked for, nor used.
  assert.equal(cloud.endpoint, "");
  assert.deepEqual(parseErrors({ ...openai, AI_MODEL: "" }), [
    "AI_MODEL is required when AI_ENABLED is true and AI_PROVIDER is openai: it is not set",
  ]);
  assert.deepEqual(parseErrors({ ...openai, AI_PROVIDER: "ollama" }), [
    'AI_PROVIDER must be one of azure, openai: current value is "ollama"',
  ]);
  assert.deepEqual(parseErrors({ ...openai, AI_BASE_URL: "localhost:11434" }), [
    "AI_BASE_URL must be an http(s) URL up to /chat/completions, such as " +
    'https://api.openai.com/v1 or http://127.0.0.1:11434/v1: current value is "localhost:11434"',
  ]);
  // Azure stays the default provider.
  assert.equal(parseOk(AI_ON).ai!.provider, "azure");
});

Deno.test("parseConfig() requires the three AZURE_OPENAI_* values when AI_ENABLED is true", () => {
  assert.deepEqual(parseErrors({ AI_ENABLED: "true" }), [
    "AZURE_OPENAI_ENDPOINT is required when AI_ENABLED is true: it is not set",
    "AZURE_OPENAI_API_KEY is required when AI_ENABLED is true: it is not set",
    "AZURE_OPENAI_DEPLOYMENT is required when AI_ENABLED is true: it is not set",
  ]);
  assert.deepEqual(parseErrors({ ...AI_ON, AZURE_OPENAI_ENDPOINT: "  " }), [
    "AZURE_OPENAI_ENDPOINT is required when AI_ENABLED is true: it is not set",
  ]);
  assert.deepEqual(parseOk(AI_ON).ai, {
    provider: "azure",
    baseUrl: "",
    model: "",
    endpoint: "https://argus.openai.azure.com",
    apiKey: "key-123",
    deployment: "gpt-4o-mini",
    apiVersion: "2024-10-21",
    timeoutMs: 30_000,
    promptMaxBytes: 16_384,
    maxTokens: 800,
    cacheEntries: 1000,
  });
});

Deno.test("parseConfig() leaves AI off, and its settings unused, unless AI_ENABLED is true", () => {
  const { AI_ENABLED: _, ...settings } = AI_ON;
  assert.equal(parseOk(settings).ai, null);
  assert.equal(parseOk({}).ai, null);
  // Malformed settings are reported even while AI is off, so turning it on later just works.
  assert.deepEqual(parseErrors({ AZURE_OPENAI_API_VERSION: "latest" }), [
    'AZURE_OPENAI_API_VERSION must be a date-shaped version such as 2024-10-21: current value is "latest"',
  ]);
});

Deno.test("parseConfig() turns retention off for RETENTION=off", () => {
  for (const value of ["off", "Off", "none", "NONE", "0"]) {
    assert.equal(parseOk({ RETENTION: value }).retentionMs, null, value);
  }
  assert.equal(parseOk({}).retentionMs, 7 * 86_400_000);
});

Deno.test("parseConfig() does not mutate the environment it is given", () => {
  const env = Object.freeze({ HTTP_PORT: "9090", DB_DRIVER: "postgres" });
  parseConfig(env);
  assert.deepEqual(env, { HTTP_PORT: "9090", DB_DRIVER: "postgres" });
});

Deno.test("redactDsn() hides the password of a database URL", () => {
  assert.equal(
    redactDsn("postgres://argus:s3cret@db:5432/argus?sslmode=require"),
    "postgres://argus:***@db:5432/argus?sslmode=require",
  );
  assert.equal(
    redactDsn("mysql://root:p%40ss@127.0.0.1/argus"),
    "mysql://root:***@127.0.0.1/argus",
  );
  assert.equal(redactDsn("mysql://root:p@ss@127.0.0.1/argus"), "mysql://root:***@127.0.0.1/argus");
});

Deno.test("redactDsn() hides a password given as a query parameter", () => {
  assert.equal(
    redactDsn("postgresql://db/argus?user=argus&password=s3cret&sslmode=require"),
    "postgresql://db/argus?user=argus&password=***&sslmode=require",
  );
  assert.equal(
    redactDsn("sqlserver://db:1433/argus?PWD=s3cret"),
    "sqlserver://db:1433/argus?PWD=***",
  );
});

Deno.test("redactDsn() hides the password of a connection string", () => {
  assert.equal(
    redactDsn("Server=tcp:db,1433;User Id=sa;Password=s3cret;Encrypt=true"),
    "Server=tcp:db,1433;User Id=sa;Password=***;Encrypt=true",
  );
  assert.equal(redactDsn("host=db user=argus password=s3cret"), "host=db user=argus password=***");
});

Deno.test("redactDsn() hides the password of a URL the parser refuses", () => {
  // Unencoded `/`, `#` or `?` in the password, or the scheme forgotten.
  assert.equal(redactDsn("postgres://argus:ab/cd@db/argus"), "postgres://argus:***@db/argus");
  assert.equal(redactDsn("postgres://argus:ab#cd@db/argus"), "postgres://argus:***@db/argus");
  assert.equal(redactDsn("postgres://argus:ab?cd@db/argus"), "postgres://argus:***@db/argus");
  assert.equal(redactDsn("argus:s3cret@db:5432/argus"), "argus:***@db:5432/argus");
});

Deno.test("redactDsn() leaves a DSN without a password unchanged", () => {
  for (
    const dsn of [
      "argus.db",
      ":memory:",
      "/var/lib/argus/argus.db",
      "postgres://argus@db:5432/argus",
      "mysql://db/argus?ssl=true",
    ]
  ) {
    assert.equal(redactDsn(dsn), dsn);
  }
});

Deno.test("parseConfig() refuses dotted numbers that are not IPv4 addresses as HOST", () => {
  const result = parseConfig({ HOST: "256.1.1.1" });
  assert.deepEqual(result, {
    ok: false,
    errors: [
      'HOST must be an IP address or host name such as 127.0.0.1, 0.0.0.0 or ::1: current value is "256.1.1.1"',
    ],
  });
});

Deno.test("parseConfig() lowers the idle connections to a smaller pool unless they are set", () => {
  const small = parseConfig({ DB_MAX_OPEN_CONNS: "5" });
  assert.ok(small.ok);
  assert.equal(small.config.db.pool.maxIdle, 5);
  const explicit = parseConfig({ DB_MAX_OPEN_CONNS: "5", DB_MAX_IDLE_CONNS: "6" });
  assert.ok(!explicit.ok);
});

Deno.test("parseConfig() refuses an AZURE_OPENAI_ENDPOINT with a space", () => {
  const result = parseConfig({ AZURE_OPENAI_ENDPOINT: "https://a b" });
  assert.ok(!result.ok);
  assert.match(result.errors[0]!, /^AZURE_OPENAI_ENDPOINT must be an http\(s\) URL/);
});

Deno.test("parseConfig() refuses a DLQ_DIR that is DATA_DIR or holds it", () => {
  for (
    const env of [{ DATA_DIR: "./data", DLQ_DIR: "data" }, {
      DATA_DIR: "/srv/argus/data",
      DLQ_DIR: "/srv/argus",
    }]
  ) {
    const result = parseConfig(env);
    assert.ok(!result.ok, JSON.stringify(env));
    assert.match(
      result.errors[0]!,
      /^DLQ_DIR must be a folder of its own, not DATA_DIR or a folder holding it/,
    );
  }
  assert.ok(parseConfig({ DATA_DIR: "/srv/argus", DLQ_DIR: "/srv/argus/dlq" }).ok);
});

Deno.test("parseConfig() never shows a refused token in its error message", () => {
  const secret = "s3cr3t with space";
  const errors = parseErrors({ API_TOKEN: secret, INGEST_TOKEN: "tiny" });
  assert.equal(errors.length, 2);
  for (const error of errors) {
    assert.ok(!error.includes("s3cr3t") && !error.includes("tiny"), error);
    assert.match(error, /\(not shown\)$/);
  }
});

Deno.test("parseConfig() refuses an ADMIN_TOKEN equal to API_TOKEN or INGEST_TOKEN", () => {
  const token = "the-same-token-0123456789";
  assert.deepEqual(parseErrors({ API_TOKEN: token, ADMIN_TOKEN: token }), [
    "ADMIN_TOKEN must differ from API_TOKEN, or everyone holding API_TOKEN may purge data: " +
    "both have the same value (not shown)",
  ]);
  assert.deepEqual(parseErrors({ INGEST_TOKEN: token, ADMIN_TOKEN: token }), [
    "ADMIN_TOKEN must differ from INGEST_TOKEN, or everyone holding INGEST_TOKEN may purge data: " +
    "both have the same value (not shown)",
  ]);
  // One token for the UI and ingest is the operator's choice.
  assert.equal(parseOk({ API_TOKEN: token, INGEST_TOKEN: token }).security.ingestToken, token);
});
