/**
 * The composition root: configuration → store (and migrations) → dead-letter queue and batcher →
 * OTLP receivers (HTTP here, gRPC in its supervised gateway) → HTTP app. The only module that reads
 * the environment or wires modules together. On SIGINT/SIGTERM it stops taking data, writes every
 * queued batch to the database or the dead-letter queue, then exits.
 *
 * @module
 */
import { parseConfig, redactDsn } from "./lib/config.ts";
import { createLogger } from "./lib/logger.ts";
import { VERSION } from "./lib/version.ts";
import { createStore, type Store } from "./store/mod.ts";
import { createApp } from "./routes/mod.ts";
import { insightService } from "./routes/insight.ts";
import { RateMeter } from "./lib/rate_meter.ts";
import { Batcher } from "./ingest/batcher.ts";
import { DeadLetterQueue } from "./ingest/dead_letter_queue.ts";
import { GrpcSupervisor } from "./ingest/grpc_supervisor.ts";
import { IngestService } from "./ingest/ingest_service.ts";
import { createOtlpHttpHandler } from "./ingest/otlp_http.ts";
import { ArgusMetrics } from "./lib/metrics.ts";
import { LiveHub } from "./live/mod.ts";
import { RetentionWorker } from "./lib/retention.ts";
import { loadAssets } from "./routes/_assets.ts";
import { wireLog } from "./routes/wire.ts";
import { exposureWarning, hostPolicy } from "./lib/security.ts";

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
  const { security } = config;
  // Logged once listening (the last lines an operator sees) and shown on every page.
  const exposed = exposureWarning(config.host, security);
  const hosts = hostPolicy(config.host, security.allowedHosts);

  let store: Store;
  try {
    store = await createStore(config.db, {
      dataDir: config.dataDir,
      onBackgroundError: (error) => logger.warn("database connection error", { error }),
      edges: config.edges,
    });
  } catch (error) {
    logger.error("Argus cannot start: the database cannot be opened", {
      error,
      hint: error instanceof Deno.errors.NotCapable
        ? "DATA_DIR must be inside the folder deno task start may write (the project folder); " +
          "elsewhere, run main.ts with --allow-read and --allow-write naming DATA_DIR"
        : undefined,
    });
    return 1;
  }
  try {
    const { applied } = await store.migrate();
    logger.info("database ready", {
      driver: config.db.driver,
      dsn: redactDsn(config.db.dsn),
      migrations_applied: applied.length,
    });
  } catch (error) {
    logger.error("Argus cannot start: the database is not usable", {
      driver: config.db.driver,
      dsn: redactDsn(config.db.dsn),
      error,
    });
    await store.close();
    return 1;
  }

  const metrics = new ArgusMetrics();
  const reads = timeReads(store, metrics);
  const dlq = new DeadLetterQueue({
    dir: config.dlqDir,
    maxBytes: config.dlqMaxBytes,
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
    await store.close();
    return 1;
  }
  // Batches left by an earlier run are replayed now rather than after a whole interval.
  if (dlq.size() > 0) {
    void dlq.replayOnce(store).catch((error) => logger.warn("DLQ replay failed", { error }));
  }
  dlq.startReplay(store, config.dlqReplayIntervalMs);

  const hub = new LiveHub({
    logger: logger.with({ module: "live" }),
    observer: metrics,
    allowedOrigins: security.corsOrigins,
    maxBufferedBytes: config.live.maxBufferedBytes,
    maxQueuedPerClient: config.live.maxQueuedPerClient,
  });
  const ingestionRate = new RateMeter();
  const batcher = new Batcher({
    store,
    dlq,
    logger: logger.with({ module: "batcher" }),
    batchRows: config.batch.size,
    flushIntervalMs: config.batch.flushIntervalMs,
    maxQueueRows: config.queue.maxRows,
    maxQueueBytes: config.queue.maxBytes,
    onFlush: (flush) => {
      if (flush.outcome !== "failed") ingestionRate.mark(flush.spans + flush.logs);
    },
    observer: metrics,
    onLogsAccepted: (logs, resources) => {
      if (hub.clientCount() === 0) return;
      const byId = new Map(resources.map((r) => [r.id, r]));
      hub.publish(logs, (log) => wireLog({ ...log, resource: byId.get(log.resourceId)! }));
    },
  });
  const ingest = new IngestService({
    batcher,
    decodeLimits: config.ingest,
    validation: { maxFieldBytes: config.db.maxFieldBytes },
    logger: logger.with({ module: "ingest" }),
    observer: metrics,
  });
  metrics.collectFrom({
    liveClients: () => hub.clientCount(),
    queueDepth: () => batcher.depth(),
    dlqSize: () => dlq.size(),
    dlqBytes: () => dlq.bytes(),
  });

  let otlpServer: Deno.HttpServer<Deno.NetAddr> | undefined;
  let grpc: GrpcSupervisor | undefined;
  let server: Deno.HttpServer<Deno.NetAddr> | undefined;
  let retention: RetentionWorker | undefined;
  try {
    otlpServer = listen(
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
      }),
    );
    const otlpPort = otlpServer.addr.port;
    logger.info("OTLP/HTTP receiver is listening", { url: `http://${config.host}:${otlpPort}/` });

    grpc = new GrpcSupervisor({
      host: config.host,
      port: config.grpcPort,
      coreUrl: `http://${loopbackFor(config.host)}:${otlpPort}`,
      maxRequestBytes: config.ingest.maxRequestBytes,
      ingestToken: security.ingestToken,
      logger: logger.with({ module: "grpc" }),
    });
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
      logger,
      queryMaxWindowMs: config.queryMaxWindowMs,
      queryTimeoutMs: config.queryTimeoutMs,
      security: {
        apiToken: security.apiToken,
        adminToken: security.adminToken,
        production: config.appEnv === "production",
        hosts,
        corsOrigins: security.corsOrigins,
        warning: exposed,
      },
      insight: insightService(config.ai, { store: reads, logger: logger.with({ module: "ai" }) }),
      ingest: {
        ingestionRate: () => ingestionRate.perSecond(),
        dlqSize: () => dlq.size(),
        queueDepth: () => batcher.depth().rows,
      },
    });
    server = listen("HTTP_PORT", config.host, config.httpPort, app);
    logger.info(`Argus ${VERSION} is listening`, {
      url: `http://${config.host}:${server.addr.port}/`,
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
      retention = new RetentionWorker({
        retentionMs: config.retentionMs,
        purge: (request) => store.maintenance.purge(request),
        logger: logger.with({ module: "retention" }),
      });
      retention.start();
    }
  } catch (error) {
    logger.error("Argus cannot start: a receiver cannot listen", { error });
    await grpc?.stop();
    await otlpServer?.shutdown();
    await batcher.drain();
    await dlq.stop();
    await store.close();
    return 1;
  }

  const stopped = Promise.withResolvers<string>();
  Deno.addSignalListener("SIGINT", () => stopped.resolve("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => stopped.resolve("SIGTERM"));
  logger.info("stopping", { signal: await stopped.promise });
  await retention?.stop();
  // Stop taking data first; calls in flight still reach the OTLP/HTTP receiver and are answered.
  await grpc.stop();
  await otlpServer.shutdown();
  await batcher.drain();
  await dlq.stop();
  hub.close();
  await server.shutdown();
  await store.close();
  logger.info("stopped");
  return 0;
}

/** Serves `handler` on a port, or throws an error naming the setting when the port is taken. */
function listen(
  setting: string,
  hostname: string,
  port: number,
  handler: Deno.ServeHandler<Deno.NetAddr>,
): Deno.HttpServer<Deno.NetAddr> {
  try {
    return Deno.serve({ hostname, port, onListen: () => {} }, handler);
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

/** The store with each read timed as `argus_db_latency{op="query"}`; writes are timed by ingest. */
function timeReads(store: Store, metrics: ArgusMetrics): Store {
  const untimed = new Set(["migrate", "write", "ping", "close", "driver", "waitingChildSpans"]);
  const timed = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(object, name, receiver) {
        const value = Reflect.get(object, name, receiver);
        if (name === "rollups") return timed(value as object);
        if (typeof value !== "function" || untimed.has(String(name))) {
          return typeof value === "function" ? value.bind(object) : value;
        }
        return (...args: unknown[]) => metrics.timeDb("query", () => value.apply(object, args));
      },
    });
  return timed(store);
}

/** Where the gateway reaches the core: the loopback when the receiver listens on every address. */
function loopbackFor(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

Deno.exit(await main());
