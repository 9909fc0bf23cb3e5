/**
 * A huge trace's structure, fetched by the browser. The page of a trace over
 * TRACE_PAGE_INLINE_SPANS does not carry the structure in its HTML (80,000 spans are 5.4 MB of
 * island props to send, parse and hydrate before the first row shows): the server renders the
 * waterfall's first screen from the structure it read and laid out (`ServerTrace`, given only while
 * rendering),
 * and the browser keeps that rendering, unhydrated, until this hook has the structure, which the
 * page preloads (`traceStructurePath()` in a `<link rel="preload">`) so that it downloads while the
 * JavaScript loads. The URL names the server's read for the page (`snapshot`,
 * routes/trace_snapshots.ts), which the preload takes, so the spans are not read twice.
 *
 * @module
 */
import { createContext } from "preact";
import { useEffect, useState } from "preact/hooks";
import { errorSentence, getJson } from "../../utils/api.ts";
import type { CompactTrace, WaterfallModel } from "../../utils/waterfall.ts";

/**
 * The structure the server read, laid out (its header used the same tree), while it renders a
 * huge trace's page; null in the browser, which fetches it. Never in the island's props: that is
 * the point.
 */
export const ServerTrace = createContext<WaterfallModel | null>(null);

/**
 * `GET /api/traces/{trace_id}/structure`, with the page's read (`snapshot`) when there is one: the
 * page's preload and the island's fetch must name it alike, or the fetch does not take the preload.
 */
export function traceStructurePath(traceId: string, snapshot: string | null = null): string {
  const path = `/api/traces/${traceId}/structure`;
  return snapshot === null ? path : `${path}?snapshot=${snapshot}`;
}

export interface FetchedStructure {
  /** The structure once it arrived, else null. */
  trace: CompactTrace | null;
  /** Why it could not be read (the API's sentence), else null. */
  error: string | null;
}

export function useTraceStructure(traceId: string, snapshot: string | null): FetchedStructure {
  const [fetched, setFetched] = useState<FetchedStructure>({ trace: null, error: null });
  useEffect(() => {
    const abort = new AbortController();
    getJson<CompactTrace>(traceStructurePath(traceId, snapshot), {}, { signal: abort.signal })
      .then((trace) => setFetched({ trace, error: null }))
      .catch((e) => abort.signal.aborted || setFetched({ trace: null, error: errorSentence(e) }));
    return () => abort.abort();
  }, [traceId, snapshot]);
  return fetched;
}
