/**
 * The in-trace search of `GET /api/traces/{trace_id}/search`: which spans of one trace have the
 * searched text in their name, their service, or a value of their attributes or events (not a
 * key: "http" would match nearly every span), ignoring case.
 *
 * The database narrows the spans with LIKE over the columns as stored (store/trace_reads.ts),
 * which also matches keys and JSON syntax; this module then checks each candidate's parsed values,
 * so the answer is what a scan of the values would give. LIKE ignores the case of ASCII letters
 * only on SQLite, so the database is given the text's longest ASCII stretch (every match holds
 * it), not the text itself. Attribute values are not in the
 * waterfall's structure, which is why the server answers rather than the browser.
 *
 * @module
 */
import { parseEvents } from "../store/events_links.ts";
import type { SpanSearchCandidate } from "../store/mod.ts";
import type { Json } from "../utils/wire.ts";
import { plainAttributes } from "./wire.ts";

/**
 * What the database looks for: the longest stretch of ASCII characters of `text` (empty, which
 * matches every span, when it has none), as is and as the stored JSON writes it (quotes,
 * backslashes and controls escaped).
 */
export function candidateText(text: string): { text: string; stored: string } {
  const longest = (text.match(/[ -~\t\n\r]+/g) ?? []).reduce(
    (best, run) => run.length > best.length ? run : best,
    "",
  );
  return { text: longest, stored: JSON.stringify(longest).slice(1, -1) };
}

/** Whether a JSON value (not its keys) holds `needle`, already lower-cased. */
function valueHolds(value: Json | unknown, needle: string): boolean {
  if (value === null || value === undefined) return false;
  if (Array.isArray(value)) return value.some((item) => valueHolds(item, needle));
  if (typeof value === "object") {
    return Object.values(value as Record<string, unknown>).some((item) => valueHolds(item, needle));
  }
  return String(value).toLowerCase().includes(needle);
}

/** Whether the span matches the search for `text` (see the module's comment). */
export function spanMatches(span: SpanSearchCandidate, text: string): boolean {
  const needle = text.toLowerCase();
  if (span.name.toLowerCase().includes(needle)) return true;
  if (span.serviceName.toLowerCase().includes(needle)) return true;
  if (valueHolds(plainAttributes(span.attributes), needle)) return true;
  return parseEvents(span.events).some((event) =>
    event.name.toLowerCase().includes(needle) || valueHolds(event.attributes, needle)
  );
}
