/**
 * The colour scheme in the browser, started by the client entry (routes/_assets.ts) on every page:
 * the header's toggle (components/Layout.tsx) remembers the choice in its cookie and shows it at
 * once, and "auto" follows the browser's preference as it changes. The first paint's scheme is
 * the server's and static/color-scheme.js's; what the attributes mean is utils/color_scheme.ts.
 *
 * @module
 */
import {
  CHOICE_ATTRIBUTE,
  type ColorSchemeChoice,
  colorSchemeCookie,
  isColorSchemeChoice,
  resolveColorScheme,
  SCHEME_ATTRIBUTE,
} from "../utils/color_scheme.ts";

const CHOICE_BUTTON = "[data-color-scheme-choice]";

export function followColorScheme(): void {
  const root = document.documentElement;
  const prefersDark = matchMedia("(prefers-color-scheme: dark)");
  const choice = (): ColorSchemeChoice => {
    const value = root.getAttribute(CHOICE_ATTRIBUTE);
    return isColorSchemeChoice(value) ? value : "auto";
  };
  const show = () => {
    const scheme = resolveColorScheme(choice(), prefersDark.matches);
    if (root.getAttribute(SCHEME_ATTRIBUTE) !== scheme) root.setAttribute(SCHEME_ATTRIBUTE, scheme);
  };
  prefersDark.addEventListener("change", show);
  addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest(CHOICE_BUTTON) : null;
    const chosen = button?.getAttribute("data-color-scheme-choice");
    if (!isColorSchemeChoice(chosen)) return;
    document.cookie = colorSchemeCookie(chosen);
    root.setAttribute(CHOICE_ATTRIBUTE, chosen);
    for (const other of document.querySelectorAll(CHOICE_BUTTON)) {
      other.setAttribute("aria-pressed", String(other === button));
    }
    show();
  });
  // A page restored from the back/forward cache, or whose preference changed meanwhile.
  show();
}
