/**
 * `GET /api/metadata/services`: the services that sent spans or logs in the window, sorted (from
 * the rollups: whole minutes).
 *
 * @module
 */
import type { RollupReads } from "../store/mod.ts";
import { parseQuery, WINDOW } from "./query_params.ts";

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
  return { services: await deps.store.rollups.services(window) };
}
