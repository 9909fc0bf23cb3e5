/**
 * `GET /api/metadata/services`: the services that sent spans or logs in the window, sorted (from
 * the rollups: whole minutes).
 *
 * @module
 */
import type { RollupReads } from "../store/mod.ts";
import { parseWindow } from "./query_params.ts";

export interface MetadataDeps {
  store: { rollups: RollupReads };
  queryMaxWindowMs: number;
  now: () => number;
}

export async function services(
  params: URLSearchParams,
  deps: MetadataDeps,
): Promise<{ services: string[] }> {
  const window = parseWindow(params, deps.now(), deps.queryMaxWindowMs);
  return { services: await deps.store.rollups.services(window) };
}
