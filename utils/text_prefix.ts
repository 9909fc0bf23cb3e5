/**
 * A text's prefix as a bounded column holds it (store/long_text.ts): what lists, filters and
 * aggregates show of a text longer than its column. Pure and shared: the server and the browser
 * filter a streamed record by its service as the store does.
 *
 * @module
 */
import { escapeText } from "./text_escape.ts";

/** Width of the `service_name` columns, in UTF-16 units; a `service` filter is at most this long. */
export const SERVICE_NAME_WIDTH = 256;

/** The escape character of stored text (utils/text_escape.ts). */
const ESCAPE = 0xe000;

/**
 * The first at most `width` UTF-16 units of `text` that end on a whole character: never half of a
 * surrogate pair (not encodable as UTF-8) nor of a NUL escape (utils/text_escape.ts).
 */
export function prefixOf(text: string, width: number): string {
  if (text.length <= width) return text;
  let end = width;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  // An odd run of escape characters at the end leaves the last one's escaped character out.
  let run = 0;
  while (run < end && text.charCodeAt(end - 1 - run) === ESCAPE) run++;
  if (run % 2 === 1) end--;
  return text.slice(0, end);
}

/**
 * A service name as sent, as its rows hold it: escaped (text_escape.ts), then its first
 * `SERVICE_NAME_WIDTH` units. Two names are one service to the lists and filters when these agree.
 */
export function listedService(name: string): string {
  return prefixOf(escapeText(name), SERVICE_NAME_WIDTH);
}
