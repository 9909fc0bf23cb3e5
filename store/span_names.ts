/**
 * The span names of a trace as one text (`trace_summaries.span_names`), so that the trace list's
 * span-name search reads one column of the summary instead of probing every summary's spans
 * (issue 15). The format: the trace's distinct names in binary (code point) order, each followed
 * and the first also preceded by SPAN_NAME_SEPARATOR: `\x1fGET /orders\x1fSELECT orders\x1f`. A
 * text without the separator is then contained in the column exactly when it is contained in one
 * of the names.
 *
 * NULL when the text would be longer than SPAN_NAMES_MAX_LENGTH: the search then probes that
 * trace's spans as before. So a stored text is always complete, on every database.
 *
 * Free of Kysely: SQLite's writer thread (sqlite_commit.ts) joins new traces' names here, and
 * trace_summaries.ts's recompute must produce the same text (tests/trace_summaries_test.ts).
 *
 * @module
 */

/** Between names, and around them: a control character that span names do not normally hold. */
export const SPAN_NAME_SEPARATOR = "\u001f";

/**
 * The longest `span_names` stored, separators included, in UTF-8 bytes (in UTF-16 code units on
 * SQL Server, whose nvarchar has no UTF-8 length). Under MySQL's default `group_concat_max_len`
 * (1,024 bytes), which would otherwise cut the text silently, and within the column's width
 * (1,000 characters) on every database. Not a setting: the stored texts follow it (a change would
 * take effect only for traces written afterwards), and MySQL bounds it.
 */
export const SPAN_NAMES_MAX_LENGTH = 1_000;

/** The length of `text` in UTF-8 bytes (a lone surrogate counts as U+FFFD, as it is stored). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next < 0xe000) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** Code point order (SQLite's BINARY collation over UTF-8), not JavaScript's UTF-16 order. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** A UTF-16 code unit's rank in code point order: surrogates sort above U+E000–U+FFFF. */
function codePointRank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit;
}

/** The `span_names` of a trace whose distinct span names are `names` (NULL: too long). */
export function joinSpanNames(names: Iterable<string>): string | null {
  const distinct = [...new Set(names)];
  let length = 1;
  for (const name of distinct) length += utf8Length(name) + 1;
  if (length > SPAN_NAMES_MAX_LENGTH) return null;
  const sorted = distinct.sort(compareCodePoints);
  return SPAN_NAME_SEPARATOR + sorted.join(SPAN_NAME_SEPARATOR) + SPAN_NAME_SEPARATOR;
}
