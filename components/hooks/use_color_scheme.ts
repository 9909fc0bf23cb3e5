/**
 * The colour scheme the page shows (Mantine's attribute on `<html>`, utils/color_scheme.ts), as
 * state that follows it: for what CSS cannot colour, the charts' canvases. On the server, and in
 * the first render (so that hydration matches), "light".
 *
 * @module
 */
import { useEffect, useState } from "preact/hooks";
import { type ColorScheme, SCHEME_ATTRIBUTE } from "../../utils/color_scheme.ts";

/** The scheme shown now (browser only). */
function shownColorScheme(): ColorScheme {
  return document.documentElement.getAttribute(SCHEME_ATTRIBUTE) === "dark" ? "dark" : "light";
}

export function useColorScheme(): ColorScheme {
  const [scheme, setScheme] = useState<ColorScheme>("light");
  useEffect(() => {
    const observer = new MutationObserver(() => setScheme(shownColorScheme()));
    observer.observe(document.documentElement, { attributeFilter: [SCHEME_ATTRIBUTE] });
    setScheme(shownColorScheme());
    return () => observer.disconnect();
  }, []);
  return scheme;
}
