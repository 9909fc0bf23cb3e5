/**
 * `GET /api/traces/{trace_id}`: every span of one trace with all its fields, in start order, for
 * the waterfall; 404 when no span of it is stored.
 *
 * @module
 */
import type { Store } from "../store/mod.ts";
import { NotFoundError, parseHexId } from "./query_params.ts";
import { wireSpan } from "./wire.ts";

export async function traceById(traceId: string, store: Pick<Store, "traceSpans">) {
  const id = parseHexId("trace_id", traceId, 32);
  const spans = await store.traceSpans(id);
  if (spans.length === 0) throw new NotFoundError(`No trace ${id} is stored`);
  return { trace_id: id, spans: spans.map(wireSpan) };
}
