/**
 * The log text search's query syntax, parsed in one place for the server (`GET /api/logs?search=`,
 * routes/logs.ts, whose store reads it through a text index: store/log_search.ts) and the browser
 * (the live stream's filter and the marks of matches, utils/log_query.ts), so that listed and
 * streamed records agree:
 *
 * - `word`: the body contains it (every term must match: AND);
 * - `"a phrase"`: the body contains it as written, spaces included. It ends at a quote followed
 *   by a space or the end; a quote followed by anything else is part of it (`"status":"failed"`
 *   is `status":"failed`), and `\"` is a quote in any place, `\\` a backslash;
 * - `-word`, `-"a phrase"`: the body does not contain it.
 *
 * Terms are separated by spaces. Matching is by substring, ignoring case, so that `%`, `_`,
 * quotes and any other character are literal; a quote inside a word (`key="v"`) is part of it.
 * A query of exclusions alone is allowed. Pure; tested in utils/text_query_test.ts.
 *
 * @module
 */

/** A parsed query: texts the body must contain, and texts it must not. */
export interface TextQuery {
  include: string[];
  exclude: string[];
}

/** The syntax in a few words, as error messages and the search box's help name it. */
export const TEXT_QUERY_SYNTAX =
  'words (each contained), "a phrase" (contained as written), -word or -"a phrase" (not ' +
  "contained)";

const SPACE = /\s/;

/**
 * `text` as a query. Throws SyntaxError saying what is wrong and naming the syntax (for a message
 * such as "Cannot use 'search' as …") when a quote is not closed, a phrase is empty, a `-` has
 * nothing after it, or there is no term at all.
 */
export function parseTextQuery(text: string): TextQuery {
  const query: TextQuery = { include: [], exclude: [] };
  const refuse = (problem: string) =>
    new SyntaxError(`${problem} (the syntax: ${TEXT_QUERY_SYNTAX})`);
  let i = 0;
  while (i < text.length) {
    if (SPACE.test(text[i]!)) {
      i++;
      continue;
    }
    const excluded = text[i] === "-";
    if (excluded) i++;
    let term = "";
    if (text[i] === '"') {
      const opened = i++;
      let closed = false;
      while (i < text.length) {
        const c = text[i]!;
        if (c === "\\" && (text[i + 1] === '"' || text[i + 1] === "\\")) {
          term += text[i + 1];
          i += 2;
        } else if (c === '"' && (i + 1 === text.length || SPACE.test(text[i + 1]!))) {
          closed = true;
          i++;
          break;
        } else {
          term += c;
          i++;
        }
      }
      if (!closed) throw refuse(`the quote at character ${opened + 1} is not closed`);
      if (term === "") throw refuse(`the phrase at character ${opened + 1} is empty`);
    } else {
      while (i < text.length && !SPACE.test(text[i]!)) term += text[i++];
      if (term === "") throw refuse(`the "-" at character ${i} has no word or phrase after it`);
    }
    (excluded ? query.exclude : query.include).push(term);
  }
  if (query.include.length + query.exclude.length === 0) throw refuse("it has no term");
  return query;
}

/** Whether `text` matches: contains every included term and no excluded one, ignoring case. */
export function matchesTextQuery(query: TextQuery, text: string): boolean {
  const lower = text.toLowerCase();
  return query.include.every((term) => lower.includes(term.toLowerCase())) &&
    !query.exclude.some((term) => lower.includes(term.toLowerCase()));
}

/** `query` written back in the syntax: what `parseTextQuery` reads as the same query. */
export function formatTextQuery(query: TextQuery): string {
  const term = (t: string) =>
    /^[^\s"-][^\s]*$/.test(t) ? t : `"${t.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
  return [...query.include.map(term), ...query.exclude.map((t) => `-${term(t)}`)].join(" ");
}
