/**
 * `GET /api/settings`: how this Argus is configured, as the Settings page shows it: retention, the
 * ports and the endpoints to send OTLP to, the database (kind, where with its password hidden,
 * and its size) and which tokens are on. Token values are never part of it, only whether each is
 * set.
 *
 * The configuration part is fixed for the process (`describeConfig`, called by main.ts with the
 * ports really listened on); the database's size is read at each request.
 *
 * @module
 */
import { type Config, redactDsn } from "../lib/config.ts";
import { formatDurationMs } from "../lib/units.ts";
import { VERSION } from "../lib/version.ts";
import type { StoreMaintenance } from "../store/mod.ts";
import type { WireSettings } from "../utils/wire.ts";

/** What `GET /api/settings` answers, but the database's size, for a configuration. */
export interface ConfigSummary {
  version: string;
  retention: WireSettings["retention"];
  endpoints: NonNullable<WireSettings["endpoints"]>;
  database: { driver: string; dsn: string };
  tokens: NonNullable<WireSettings["tokens"]>;
  limits: NonNullable<WireSettings["limits"]>;
}

export interface SettingsDeps {
  /** The process's configuration as summarised by `describeConfig`; absent in some tests. */
  config?: () => ConfigSummary;
  store: { driver: string; maintenance: Pick<StoreMaintenance, "sizeBytes"> };
}

/** A host as it goes into a URL: IPv6 in brackets, any address as the loopback one. */
function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

/** The ports listened on: the configured ones, or those the system chose for a port 0. */
export interface ListeningPorts {
  httpPort: number;
  otlpHttpPort: number;
  grpcPort: number;
}

/** The summary of a configuration that `GET /api/settings` shows (no token values). */
export function describeConfig(config: Config, ports: ListeningPorts): ConfigSummary {
  const host = urlHost(config.host);
  return {
    version: VERSION,
    retention: {
      enabled: config.retentionMs !== null,
      duration: config.retentionMs === null ? null : formatDurationMs(config.retentionMs),
      ms: config.retentionMs,
    },
    endpoints: {
      host: config.host,
      http_port: ports.httpPort,
      otlp_http_port: ports.otlpHttpPort,
      grpc_port: ports.grpcPort,
      ui_url: `http://${host}:${ports.httpPort}/`,
      otlp_http_url: `http://${host}:${ports.otlpHttpPort}`,
      otlp_grpc_url: `http://${host}:${ports.grpcPort}`,
    },
    database: {
      driver: config.db.driver,
      dsn: redactDsn(config.db.dsn),
    },
    tokens: {
      api: config.security.apiToken !== null,
      admin: config.security.adminToken !== null,
      ingest: config.security.ingestToken !== null,
    },
    limits: {
      query_max_window: formatDurationMs(config.queryMaxWindowMs),
      query_timeout: formatDurationMs(config.queryTimeoutMs),
    },
  };
}

/**
 * The settings: the configuration's summary with the database's size now. Without a summary
 * (an app built without one), what the store knows: its kind and size.
 */
export async function settings(deps: SettingsDeps): Promise<WireSettings> {
  // The page must show the configuration while the database is away: its size is then unknown.
  const size = await deps.store.maintenance.sizeBytes().catch(() => undefined);
  const config = deps.config?.();
  return {
    version: config?.version ?? VERSION,
    retention: config?.retention ?? { enabled: false, duration: null, ms: null },
    endpoints: config?.endpoints ?? null,
    database: {
      driver: config?.database.driver ?? deps.store.driver,
      dsn: config?.database.dsn ?? null,
      size_bytes: size ?? null,
    },
    tokens: config?.tokens ?? null,
    limits: config?.limits ?? null,
  };
}
