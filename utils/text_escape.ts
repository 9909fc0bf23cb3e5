/**
 * The escape of what a text column cannot hold: a NUL character (PostgreSQL refuses it in `text`,
 * SQLite cuts a string at it). OTLP allows it in any string, so the decoders (ingest/otlp/) store
 * the plain text fields of spans, records, scopes and resources escaped, after the ids are computed
 * from the text as sent, and the API unescapes them (routes/wire.ts): lossless on every database.
 *
 * U+E000 (the first private-use character) is the escape: NUL is stored as U+E000 "0", U+E000
 * itself as U+E000 U+E000. Text holding neither, all but always, is stored as it is, so indexes,
 * searches and rollups see the same text as before. Escaped once, at decoding: rows of the DLQ are
 * escaped already and are never escaped again.
 *
 * @module
 */
const ESCAPE = "\uE000";
const ESCAPED = /\uE000([0\uE000])/g;

/** `text` as stored: NUL and U+E000 escaped. */
export function escapeText(text: string): string {
  if (!text.includes("\u0000") && !text.includes(ESCAPE)) return text;
  return text.replaceAll(ESCAPE, ESCAPE + ESCAPE).replaceAll("\u0000", ESCAPE + "0");
}

/** Stored text as sent. */
export function unescapeText(text: string): string {
  if (!text.includes(ESCAPE)) return text;
  return text.replace(ESCAPED, (_, c: string) => (c === "0" ? "\u0000" : ESCAPE));
}
