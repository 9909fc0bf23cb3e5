/**
 * When the newest data Argus holds is from (`/api/metadata/latest`), for a page whose window is
 * empty: the server's answer at first, asked again each time the page's data turns empty (data
 * may have arrived, or been purged, since).
 *
 * @module
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { getJson } from "../../utils/api.ts";
import type { WireLatest } from "../../utils/wire.ts";

/** The newest data's minute (RFC 3339), null when none is stored, undefined while not known. */
export function useLatestData(empty: boolean, initial?: string | null): string | null | undefined {
  const [latest, setLatest] = useState(initial);
  // The server's answer stands for the first render's empty window.
  const asked = useRef(initial !== undefined && empty);
  useEffect(() => {
    if (!empty) {
      asked.current = false;
      return;
    }
    if (asked.current) return;
    asked.current = true;
    const abort = new AbortController();
    getJson<WireLatest>("/api/metadata/latest", {}, { signal: abort.signal })
      .then((body) => setLatest(body.latest_time))
      .catch(() => {}); // unknown: the page keeps what it said
    return () => abort.abort();
  }, [empty]);
  return latest;
}
