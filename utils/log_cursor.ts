/**
 * The keyset cursor of `GET /api/logs` (`before`, `after`): a record's place in the logs' time
 * order, written `<listed_time_unix_nano>_<id>` (e.g. `1795687200000000000_0195d1c2a3b4…`): its time,
 * then its id, which orders records of the same nanosecond. Made by the browser from a listed
 * record, read by the server; one format, here.
 *
 * @module
 */

/** What a cursor names: a record's listed time (Unix ns, decimal) and id (32 lower-case hex). */
export interface LogCursorKey {
  listed_time_unix_nano: string;
  id: string;
}

/** Largest int64: no stored time is later. */
const MAX_TIME = 9_223_372_036_854_775_807n;

/** The cursor of a record. */
export function logCursor(item: LogCursorKey): string {
  return `${item.listed_time_unix_nano}_${item.id}`;
}

/** A cursor's key (the id lower-cased), or undefined when `text` is not a cursor. */
export function parseLogCursor(text: string): LogCursorKey | undefined {
  const match = /^(\d{1,19})_([0-9a-fA-F]{32})$/.exec(text);
  if (match === null) return undefined;
  const time = BigInt(match[1]!);
  if (time > MAX_TIME) return undefined;
  return { listed_time_unix_nano: time.toString(), id: match[2]!.toLowerCase() };
}
