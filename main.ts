/**
 * The composition root: configuration → store (and migrations) → HTTP app. The only module that
 * reads the environment or wires modules together.
 *
 * @module
 */
import { parseConfig, redactDsn } from "./lib/config.ts";
import { createLogger } from "./lib/logger.ts";
import { VERSION } from "./lib/version.ts";
import { createStore, type Store } from "./store/mod.ts";
import { createApp } from "./routes/mod.ts";

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

  let store: Store;
  try {
    store = await createStore(config.db, {
      dataDir: config.dataDir,
      onBackgroundError: (error) => logger.warn("database connection error", { error }),
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

  const app = createApp({ store, startedAt, logger });
  const server = Deno.serve({
    hostname: config.host,
    port: config.httpPort,
    onListen: ({ hostname, port }) => {
      logger.info(`Argus ${VERSION} is listening`, { url: `http://${hostname}:${port}/` });
    },
  }, app);

  const stopped = Promise.withResolvers<void>();
  const stop = (signal: string) => {
    logger.info("stopping", { signal });
    stopped.resolve();
  };
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
  await stopped.promise;
  await server.shutdown();
  await store.close();
  logger.info("stopped");
  return 0;
}

Deno.exit(await main());
