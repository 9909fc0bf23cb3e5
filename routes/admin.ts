/**
 * Operations: `DELETE /api/admin/purge` deletes data older than a duration, `POST
 * /api/admin/vacuum` compacts the database. Both run in the request (a purge deletes in bounded
 * chunks, so ingest goes on meanwhile).
 *
 * @module
 */
import { purgeCutoffNs, type PurgeSignal, type StoreMaintenance } from "../store/mod.ts";
import { DURATION_FORMAT, formatDurationMs, parseDurationMs } from "../lib/units.ts";
import { BadRequestError } from "./http_error.ts";
import { formatTimeNs } from "./wire.ts";
import { parameter, parseQuery } from "./query_params.ts";

export interface AdminDeps {
  store: { maintenance: StoreMaintenance };
  now: () => number;
}

export const DEFAULT_OLDER_THAN = "24h";
export const MIN_OLDER_THAN_MS = 60_000;
export const MAX_OLDER_THAN_MS = 3650 * 86_400_000;
const SIGNALS: readonly PurgeSignal[] = ["logs", "traces", "all"];

const NS_PER_MS = 1_000_000n;

function refuse(name: string, allowed: string, value: string): never {
  throw new BadRequestError(
    `Cannot use '${name}' as it must be ${allowed}: current value is ${JSON.stringify(value)}`,
  );
}

/** `older_than`: a duration from 1m to 3650d, default 24h; its text and milliseconds. */
export function parseOlderThan(params: URLSearchParams): { text: string; ms: number } {
  const text = params.get("older_than") ?? DEFAULT_OLDER_THAN;
  const ms = parseDurationMs(text);
  if (ms === undefined || ms < MIN_OLDER_THAN_MS || ms > MAX_OLDER_THAN_MS) {
    refuse(
      "older_than",
      `${DURATION_FORMAT}, from ${formatDurationMs(MIN_OLDER_THAN_MS)} to ${
        formatDurationMs(MAX_OLDER_THAN_MS)
      }`,
      text,
    );
  }
  return { text, ms };
}

/** `signal`: logs (default), traces or all. */
export function parsePurgeSignal(params: URLSearchParams): PurgeSignal {
  const text = params.get("signal") ?? "logs";
  if (!(SIGNALS as readonly string[]).includes(text)) {
    refuse("signal", `one of ${SIGNALS.join(", ")}`, text);
  }
  return text as PurgeSignal;
}

/**
 * `DELETE /api/admin/purge`. The cutoff is now minus `older_than`, rounded down to a whole hour
 * (`purgeCutoffNs`) so that the rollups (dashboards) lose exactly the periods whose rows go.
 */
/** The query of `DELETE /api/admin/purge`. */
export const PURGE_QUERY = {
  olderThan: parameter("older_than", parseOlderThan),
  signal: parameter("signal", parsePurgeSignal),
};

export async function purge(params: URLSearchParams, deps: AdminDeps) {
  const { olderThan, signal } = parseQuery(PURGE_QUERY, params);
  const cutoffNs = purgeCutoffNs(BigInt(deps.now() - olderThan.ms) * NS_PER_MS);
  const result = await deps.store.maintenance.purge({ olderThanNs: cutoffNs, signal });
  return {
    deleted_logs: result.deletedLogs,
    deleted_spans: result.deletedSpans,
    older_than: olderThan.text,
    cutoff_time: formatTimeNs(cutoffNs),
    ...(result.droppedPartitions === undefined
      ? {}
      : { dropped_partitions: result.droppedPartitions }),
  };
}

/**
 * `POST /api/admin/vacuum`: sizes are those of Argus's tables, where the database reports them;
 * `warning` says why the database could not be compacted, when it could not.
 */
export async function vacuum(deps: Pick<AdminDeps, "store">) {
  const result = await deps.store.maintenance.vacuum();
  return {
    ok: result.ok,
    duration_ms: result.durationMs,
    ...(result.sizeBeforeBytes === undefined ? {} : { size_before_bytes: result.sizeBeforeBytes }),
    ...(result.sizeAfterBytes === undefined ? {} : { size_after_bytes: result.sizeAfterBytes }),
    ...(result.warning === undefined ? {} : { warning: result.warning }),
  };
}
