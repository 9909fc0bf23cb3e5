/**
 * `GET /api/metadata/services`: the services that sent spans or logs in the window, sorted (from
 * the rollups: whole minutes). `GET /api/metadata/latest`: when the newest data Argus holds is
 * from, so that a page whose window is empty can say whether Argus ever received anything.
 *
 * @module
 */
import type { RollupReads } from "../store/mod.ts";
import { parseQuery, WINDOW } from "./query_params.ts";
import type { WireLatest } from "../utils/wire.ts";
import { unescapeText as asSent } from "../utils/text_escape.ts";

export interface MetadataDeps {
  store: { rollups: RollupReads };
  queryMaxWindowMs: number;
  now: () => number;
}

/** The query of `GET /api/metadata/services`. */
export const SERVICES_QUERY = { window: WINDOW };

export async function services(
  params: URLSearchParams,
  deps: MetadataDeps,
): Promise<{ services: string[] }> {
  const { window } = parseQuery(SERVICES_QUERY, params, {
    nowMs: deps.now(),
    maxWindowMs: deps.queryMaxWindowMs,
  });
  // Stored escaped (utils/text_escape.ts): answered as sent.
  return { services: (await deps.store.rollups.services(window)).map(asSent) };
}

/** `GET /api/metadata/latest`: the minute of the newest span or log stored, or null. */
export async function latest(deps: MetadataDeps): Promise<WireLatest> {
  const minute = await deps.store.rollups.latestMinute();
  return { latest_time: minute === null ? null : new Date(minute * 60_000).toISOString() };
}
