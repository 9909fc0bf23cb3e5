/**
 * A text with the matches of the search marked (`<mark>`), as elements: the text is never read
 * as HTML, so a record's body cannot inject any (utils/log_query.ts's `matchParts` cuts it).
 *
 * @module
 */
import { matchParts } from "../../utils/log_query.ts";

export function Marked({ text, search }: { text: string; search: string }) {
  if (search === "") return <>{text}</>;
  return (
    <>
      {matchParts(text, search).map((part, i) =>
        part.match ? <mark key={i} class="argus-match">{part.text}</mark> : part.text
      )}
    </>
  );
}
