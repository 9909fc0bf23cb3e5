/**
 * The composition root: configuration → store (and migrations) → dead-letter queue and batcher →
 * OTLP receivers (HTTP here, gRPC in its supervised gateway) → HTTP app. The only module that reads
 * the environment or wires modules together. What it starts goes on one list of stops (lib/stops.ts),
 * run on a failed start and on SIGINT/SIGTERM: it stops taking data, writes every queued batch to
 * the database or the dead-letter queue, then stops the rest and exits.
 *
 * @module
 */
import { type Config, parseConfig, redactDsn } from "./lib/config.ts";
import { createLogger, type Logger } from "./lib/logger.ts";
import { VERSION } from "./lib/version.ts";
import { createStore, type Store } from "./store/mod.ts";
import { DatabaseReadiness } from "./store/readiness.ts";
import { guardReads } from "./store/read_guard.ts";
import { sqlitePath } from "./store/dialects/mod.ts";
import {
  type InstanceLock,
  InstanceLockedError,
  lockInstance,
  LockTargetError,
} from "./lib/instance_lock.ts";
import { createApp } from "./routes/mod.ts";
import { insightService } from "./routes/insight.ts";
import { TraceSnapshots } from "./routes/trace_snapshots.ts";
import { describeConfig } from "./routes/settings.ts";
import { RateMeter } from "./lib/rate_meter.ts";
import { Batcher } from "./ingest/batcher.ts";
import { DeadLetterQueue } from "./ingest/dead_letter_queue.ts";
import { GrpcSupervisor } from "./ingest/grpc_supervisor.ts";
import { IngestService } from "./ingest/ingest_service.ts";
import { MetricSeriesLimit } from "./ingest/metric_series_limit.ts";
import { createOtlpHttpHandler } from "./ingest/otlp_http.ts";
import {
  abortConnection,
  connectionCapFor,
  ConnectionPool,
  raiseFileLimit,
  serveHttp,
} from "./lib/http_listener.ts";
import { ArgusMetrics } from "./lib/metrics.ts";
import { ClusterFeed, LiveHub } from "./live/mod.ts";
import { RetentionWorker } from "./lib/retention.ts";
import { startReplicas } from "./store/replicas.ts";
import { loadAssets } from "./routes/_assets.ts";
import { wireLog } from "./routes/wire.ts";
import { exposureWarning, hostPolicy } from "./lib/security.ts";
import { Stops } from "./lib/stops.ts";
import { errorMessage } from "./utils/errors.ts";

async function main(): Promise<number> {
  const parsed = parseConfig(Deno.env.toObject());
  if (!parsed.ok) {
    const logger = createLogger("error");
    logger.error(`Argus cannot start: ${parsed.errors.length} configuration problem(s)`);
    for (const problem of parsed.errors) logger.error(`  ${problem}`);
    return 1;
  }
  const config = parsed.config;
  const logger = createLogger(config.logLevel);
  const startedAt = Date.now();
  // This process among the replicas that share its database: a new id at each start.
  const replicaId = crypto.randomUUID();
  const { security } = config;
  // Logged once listening (the last lines an operator sees) and shown on every page.
  const exposed = exposureWarning(config.host, security);
  const hosts = hostPolicy(config.host, security.allowedHosts);

  // One Argus per DLQ folder and per SQLite file (lib/instance_lock.ts).
  let lock: InstanceLock;
  try {
    lock = await lockInstance([
      { path: config.dlqDir, setting: "DLQ_DIR", kind: "folder" },
      ...(config.db.driver === "sqlite" && !isInMemory(config.db.dsn)
        ? [{
          path: `${sqlitePath(config.db.dsn, config.dataDir)}.lock`,
          setting: "DB_DSN",
          kind: "file" as const,
        }]
        : []),
    ]);
  } catch (error) {
    if (error instanceof InstanceLockedError) {
      logger.error(`Argus cannot start: ${error.message}`);
    } else {
      const dlq = error instanceof LockTargetError && error.target.setting === "DLQ_DIR";
      logger.error(
        dlq
          ? "Argus cannot start: the dead-letter queue folder cannot be used"
          : "Argus cannot start: the database file's folder cannot be used",
        { dir: dlq ? config.dlqDir : config.dataDir, error },
      );
    }
    return 1;
  }
  // Everything started from here on is stopped through this list, the last started first: on a
  // failed start and on SIGINT/SIGTERM alike.
  const stops = new Stops(logger);
  stops.add("instance lock", () => lock.release());

  let store: Store;
  try {
    store = await createStore(config.db, {
      dataDir: config.dataDir,
      onBackgroundError: (error) => logger.warn("database connection error", { error }),
      edges: config.edges,
      queryTimeoutMs: config.queryTimeoutMs,
      metricRollups: { ...config.metricRollups, logger: logger.with({ module: "rollups" }) },
    });
  } catch (error) {
    logger.error("Argus cannot start: the database cannot be opened", {
      error,
      hint: error instanceof Deno.errors.NotCapable
        ? "DATA_DIR must be inside the folder deno task start may write (the project folder); " +
          "elsewhere, run main.ts with --allow-read and --allow-write naming DATA_DIR"
        : undefined,
    });
    await stops.run();
    return 1;
  }
  stops.add("database", () => store.close());

  const metrics = new ArgusMetrics();
  // Argus runs without its database: ingest acknowledges through the DLQ, the API answers 503,
  // and the migration is retried until it succeeds; then the DLQ replay starts.
  const database = new DatabaseReadiness({
    migrate: () => store.migrate(),
    retryIntervalMs: config.db.retryIntervalMs,
    logger,
    onReady: ({ applied, logTextIndex }) => {
      logger.info("database ready", {
        driver: config.db.driver,
        dsn: redactDsn(config.db.dsn),
        migrations_applied: applied.length,
        log_text_index: logTextIndex,
      });
      if (config.db.driver === "postgres" && logTextIndex === "none") {
        logger.warn(
          "log text search scans the window: the pg_trgm extension could not be created (a " +
            "superuser can run: create extension pg_trgm; create index logs_body_trgm on logs " +
            "using gin (body gin_trgm_ops))",
        );
      }
      startReplay();
    },
  });
  stops.add("database retries", () => database.stop());
  const reads = guardReads(store, {
    readiness: database,
    timeRead: (run) => metrics.timeDb("query", run),
  });
  const dlq = new DeadLetterQueue({
    dir: config.dlqDir,
    maxBytes: config.dlqMaxBytes,
    maxFileBytes: config.dlqMaxFileBytes,
    // Replayed in batches of the size live ingest writes.
    replayChunkRows: config.batch.size,
    logger: logger.with({ module: "dlq" }),
    observer: metrics,
  });
  try {
    await dlq.init();
  } catch (error) {
    logger.error("Argus cannot start: the dead-letter queue folder cannot be used", {
      dir: config.dlqDir,
      error,
    });
    await stops.run();
    return 1;
  }
  stops.add("dead-letter queue", () => dlq.stop());
  let replaying = false;
  function startReplay() {
    if (replaying || stopping) return;
    replaying = true;
    // Batches left by an earlier run, or written while the database was away, are replayed now
    // rather than after a whole interval.
    if (dlq.size() > 0) {
      void dlq.replayOnce(store).catch((error) => logger.warn("DLQ replay failed", { error }));
    }
    dlq.startReplay(store, config.dlqReplayIntervalMs);
  }
  let stopping = false;
  if (!(await database.tryNow())) {
    logger.warn(
      "the database is not available: Argus starts anyway, acknowledges data through the " +
        "dead-letter queue and stores it once the database is back",
      {
        driver: config.db.driver,
        dsn: redactDsn(config.db.dsn),
        error: database.lastError,
        retry_in_ms: config.db.retryIntervalMs,
      },
    );
    database.retryUntilReady();
  }

  // Added before the live stream and the receivers: the UI and the API answer until ingest has
  // stopped and the live stream is closed.
  let server: Deno.HttpServer<Deno.NetAddr> | undefined;
  stops.add("HTTP_PORT", () => server?.shutdown());

  const hub = new LiveHub({
    logger: logger.with({ module: "live" }),
    observer: metrics,
    allowedOrigins: security.corsOrigins,
    maxBufferedBytes: config.live.maxBufferedBytes,
    maxQueuedPerClient: config.live.maxQueuedPerClient,
    stallTimeoutMs: config.live.stallTimeoutMs,
    closeTimeoutMs: config.live.closeTimeoutMs,
    // A dropped client that does not answer the close is released through its connection.
    abortConnection,
  });
  stops.add("live stream", () => hub.close());
  // PostgreSQL: the hub also gets the logs the other replicas commit (live/cluster_feed.ts).
  const clusterFeed = config.db.driver === "postgres" && config.live.clusterMaxIds > 0
    ? new ClusterFeed({
      replicaId,
      dsn: config.db.dsn,
      maxIds: config.live.clusterMaxIds,
      read: (ids, window) => store.logsByIds(ids, window),
      publish: (logs) => hub.publish(logs, wireLog),
      wanted: () => hub.clientCount() > 0,
      logger: logger.with({ module: "live" }),
    })
    : undefined;
  if (clusterFeed !== undefined) {
    // Not awaited: a database that is away is retried in the background, as the store's is.
    void clusterFeed.start();
    // Stopped after the ingest queue's drain (stops run last added first): its last batches are
    // announced too.
    stops.add("live stream across replicas", () => clusterFeed.stop());
  }
  const ingestionRate = new RateMeter();
  const batcher = new Batcher({
    store,
    dlq,
    logger: logger.with({ module: "batcher" }),
    batchRows: config.batch.size,
    flushIntervalMs: config.batch.flushIntervalMs,
    maxQueueRows: config.queue.maxRows,
    maxQueueBytes: config.queue.maxBytes,
    writesInFlight: store.writesInFlight,
    writeTimeoutMs: config.db.writeTimeoutMs,
    databaseReady: () => database.ready,
    onFlush: (flush) => {
      if (flush.outcome !== "failed") ingestionRate.mark(flush.spans + flush.logs);
    },
    observer: metrics,
    onLogsAccepted: (logs, resources, committed) => {
      // Only committed logs are announced to the other replicas: a dead-lettered batch is not
      // readable until the DLQ replays it.
      if (committed) clusterFeed?.committed(logs);
      if (hub.clientCount() === 0) return;
      const byId = new Map(resources.map((r) => [r.id, r]));
      hub.publish(logs, (log) => wireLog({ ...log, resource: byId.get(log.resourceId)! }));
    },
  });
  // Drained once the receivers have stopped: every request they acknowledged is durable then.
  stops.add("ingest queue", () => batcher.drain());
  const ingest = new IngestService({
    batcher,
    decodeLimits: config.ingest,
    validation: { maxFieldBytes: config.db.maxFieldBytes },
    logger: logger.with({ module: "ingest" }),
    observer: metrics,
    seriesLimit: new MetricSeriesLimit({
      limit: config.ingest.maxSeriesPerInstrument,
      reloadIntervalMs: config.ingest.seriesReloadIntervalMs,
      idleViewMs: config.ingest.seriesIdleMs,
      loadSeriesKeys: async (instrumentKey, max) =>
        (await store.instruments.series(instrumentKey, { limit: max })).map((s) => s.seriesKey),
      logger: logger.with({ module: "ingest" }),
    }),
  });
  metrics.collectFrom({
    liveClients: () => hub.clientCount(),
    queueDepth: () => batcher.depth(),
    dlqSize: () => dlq.size(),
    dlqBytes: () => dlq.bytes(),
    liveCluster: () => clusterFeed?.stats(),
  });
  // The heartbeat row and the `maintenance` lease, which gates retention and the rollup job to one
  // replica of those on a server database (store/replicas.ts); SQLite's one process holds it.
  const replicas = startReplicas(config.db, {
    self: {
      id: replicaId,
      name: config.replicas.name ?? (Deno.env.get("HOSTNAME")?.trim() || "argus"),
      pid: Deno.pid,
      version: VERSION,
      startedAtMs: startedAt,
    },
    figures: () => ({ queueRows: batcher.depth().rows, dlqFiles: dlq.size() }),
    heartbeatMs: config.replicas.heartbeatMs,
    leaseTtlMs: config.replicas.leaseTtlMs,
    ready: () => database.ready,
    dataDir: config.dataDir,
    onBackgroundError: (error) => logger.warn("database connection error", { error }),
    logger: logger.with({ module: "replicas" }),
  });
  stops.add("replica heartbeat and lease", () => replicas.stop());

  try {
    // One connection cap for both HTTP ports, under the open-file limit (raised first).
    const connections = connectionPool(config, logger);
    const otlpServer = listen(
      "OTLP_HTTP_PORT",
      config.host,
      config.otlpHttpPort,
      createOtlpHttpHandler({
        service: ingest,
        logger,
        maxRequestBytes: config.ingest.maxRequestBytes,
        observer: metrics,
        ingestToken: security.ingestToken,
        hosts,
        refusal: (bytes) => batcher.refusal(bytes),
        maxInflightBytes: config.http.inflightMaxBytes,
        bodyTimeoutMs: config.http.bodyTimeoutMs,
      }),
      connections,
      logger,
    );
    // Calls the gateway has in flight still reach it: the gateway is stopped first.
    stops.add("OTLP_HTTP_PORT", () => otlpServer.shutdown());
    const otlpPort = otlpServer.addr.port;
    logger.info("OTLP/HTTP receiver is listening", { url: `http://${config.host}:${otlpPort}/` });

    const grpc = new GrpcSupervisor({
      host: config.host,
      port: config.grpcPort,
      coreUrl: `http://${loopbackFor(config.host)}:${otlpPort}`,
      maxRequestBytes: config.ingest.maxRequestBytes,
      ingestToken: security.ingestToken,
      maxConnections: config.http.maxConnections,
      idleTimeoutMs: config.http.headerTimeoutMs,
      heapBytes: config.grpcGatewayHeapBytes,
      logger: logger.with({ module: "grpc" }),
    });
    stops.add("gRPC gateway", () => grpc.stop());
    await grpc.start();

    const assetsStarted = performance.now();
    const { assets, from, outdated } = await loadAssets();
    if (outdated !== undefined) {
      logger.warn("UI assets in dist/assets are out of date: built in memory instead", {
        reason: outdated,
        hint: "run deno task build again, or delete dist/assets",
      });
    }
    logger.info(from === "prebuilt" ? "UI assets loaded from build" : "UI assets built", {
      islands: assets.islands.length,
      ms: Math.round(performance.now() - assetsStarted),
    });
    const app = createApp({
      assets,
      store: reads,
      startedAt,
      metrics,
      live: hub,
      liveClients: () => hub.clientCount(),
      dbLatencyP99Ms: () => metrics.dbLatencyP99Ms(),
      timeDb: (op, fn) => metrics.timeDb(op, fn),
      pingTimeoutMs: config.db.pingTimeoutMs,
      database: () => ({ ready: database.ready, error: database.lastError }),
      ingestFailure: () => {
        const { failingSince, lastFailure } = batcher.health();
        if (failingSince === undefined) return undefined;
        return `since ${new Date(failingSince).toISOString()} nothing can be stored (the ` +
          `database and the dead-letter queue both fail; exports get 503): ${
            errorMessage(lastFailure)
          }`;
      },
      logger,
      replicas,
      queryMaxWindowMs: config.queryMaxWindowMs,
      traceMaxSpans: config.traceMaxSpans,
      tracePageInlineSpans: config.tracePageInlineSpans,
      traceSnapshots: new TraceSnapshots(config.traceSnapshotLifetimeMs, config.traceSnapshots),
      metricMaxSteps: config.metricMaxSteps,
      metricMaxSeries: config.metricMaxSeries,
      metricMaxPoints: config.metricMaxPoints,
      queryTimeoutMs: config.queryTimeoutMs,
      mcpMaxOutputBytes: config.mcpMaxOutputBytes,
      configSummary: () =>
        describeConfig(config, {
          httpPort: server?.addr.port ?? config.httpPort,
          otlpHttpPort: otlpPort,
          grpcPort: grpc.port,
        }),
      security: {
        apiToken: security.apiToken,
        adminToken: security.adminToken,
        production: config.appEnv === "production",
        hosts,
        corsOrigins: security.corsOrigins,
        warning: exposed,
        loginRateLimit: config.http.loginRateLimit,
        bodyTimeoutMs: config.http.bodyTimeoutMs,
      },
      insight: insightService(config.ai, {
        store: reads,
        logger: logger.with({ module: "ai" }),
        traceMaxSpans: config.traceMaxSpans,
      }),
      ingest: {
        ingestionRate: () => ingestionRate.perSecond(),
        dlqSize: () => dlq.size(),
        queueDepth: () => batcher.depth().rows,
      },
    });
    server = listen("HTTP_PORT", config.host, config.httpPort, app, connections, logger);
    logger.info(`Argus ${VERSION} is listening`, {
      url: `http://${config.host}:${server.addr.port}/`,
      replica: replicaId,
    });
    if (exposed !== undefined) logger.warn(`SECURITY: ${exposed}`);
    if (config.appEnv === "production" && security.adminToken === null) {
      logger.warn(
        "SECURITY: the admin endpoints (/api/admin/*) answer 403: APP_ENV is production and " +
          "ADMIN_TOKEN is not set",
      );
    }
    if (config.retentionMs === null) logger.info("retention is off (RETENTION=off)");
    else {
      const retention = new RetentionWorker({
        retentionMs: config.retentionMs,
        purge: (request) => store.maintenance.purge(request),
        logger: logger.with({ module: "retention" }),
        // One replica purges: the one holding the lease (store/replicas.ts).
        shouldRun: () => replicas.holdsMaintenance(),
      });
      retention.start();
      stops.add("retention", () => retention.stop());
    }
    store.metricRollups.start({ shouldRun: () => replicas.holdsMaintenance() });
    stops.add("metric rollups", () => store.metricRollups.stop());
  } catch (error) {
    logger.error("Argus cannot start: a receiver cannot listen", { error });
    await stops.run();
    return 1;
  }

  const stopped = Promise.withResolvers<string>();
  Deno.addSignalListener("SIGINT", () => stopped.resolve("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => stopped.resolve("SIGTERM"));
  logger.info("stopping", { signal: await stopped.promise });
  stopping = true;
  // Whatever the database or a client does, the stop ends in SHUTDOWN_TIMEOUT: everything
  // acknowledged is durable already (database or DLQ), and requests still in flight were not
  // acknowledged, so their clients retry.
  const watchdog = setTimeout(() => {
    logger.error("the graceful stop took longer than SHUTDOWN_TIMEOUT: exiting now", {
      timeout_ms: config.shutdownTimeoutMs,
    });
    Deno.exit(1);
  }, config.shutdownTimeoutMs);
  // Stop taking data first (the receivers were started last), then drain, then the rest.
  await stops.run();
  clearTimeout(watchdog);
  logger.info("stopped");
  return 0;
}

/**
 * The connections both HTTP ports share (lib/http_listener.ts): HTTP_MAX_CONNECTIONS, lowered to
 * fit under the open-file limit, which is first raised to the hard limit where the OS allows.
 */
function connectionPool(config: Config, logger: Logger): ConnectionPool {
  const log = logger.with({ module: "http" });
  const raised = raiseFileLimit(Deno.pid);
  if (raised.raisedFrom !== undefined) {
    log.info("open-file limit raised", { from: raised.raisedFrom, to: raised.limit?.soft });
  } else if (raised.limit === undefined) {
    log.info("the open-file limit cannot be read: HTTP_MAX_CONNECTIONS is used as set", {
      reason: raised.failure,
    });
  } else if (raised.failure !== undefined) {
    log.warn("the open-file limit could not be raised", {
      limit: raised.limit?.soft,
      reason: raised.failure,
    });
  }
  // Kept for all but client connections: the database pool, and about 50 for SQLite and
  // dead-letter files, the gateway's pipes and Deno's own, plus connections being closed (32)
  // and refused (16) at the moment (lib/http_listener.ts).
  const reserved = config.db.pool.maxOpen + 128;
  const cap = connectionCapFor(config.http.maxConnections, raised.limit, reserved);
  if (cap < config.http.maxConnections) {
    log.warn("HTTP_MAX_CONNECTIONS is lowered to fit under the open-file limit", {
      setting: config.http.maxConnections,
      used: cap,
      open_file_limit: raised.limit?.soft,
      reserved,
      hint: "raise the limit (ulimit -n, LimitNOFILE=, docker --ulimit nofile=) to use more",
    });
  }
  return new ConnectionPool({
    maxConnections: cap,
    headerTimeoutMs: config.http.headerTimeoutMs,
    logger: log,
  });
}

/**
 * Serves `handler` on a port with the pool's limits, or throws an error naming the setting when
 * the port is taken.
 */
function listen(
  setting: string,
  hostname: string,
  port: number,
  handler: (request: Request) => Promise<Response>,
  pool: ConnectionPool,
  logger: Logger,
): Deno.HttpServer<Deno.NetAddr> {
  try {
    const http = logger.with({ module: "http" });
    return serveHttp({ hostname, port, handler, pool, setting, logger: http });
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new Error(
        `${setting} ${port} is in use on ${hostname}: stop the program using it or set ${setting}`,
        { cause: error },
      );
    }
    throw error;
  }
}

function isInMemory(dsn: string): boolean {
  return dsn === ":memory:" || dsn.includes("mode=memory");
}

/** Where the gateway reaches the core: the loopback when the receiver listens on every address. */
function loopbackFor(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

Deno.exit(await main());
