/**
 * The colour scheme's vocabulary, for the server (which renders the remembered choice on first
 * paint) and the browser (the header's toggle, in the client entry): what a user may choose, the
 * cookie that remembers it, and what a choice comes to for a browser's preference.
 *
 * The scheme itself is one attribute, Mantine's `data-mantine-color-scheme` on `<html>`
 * ("light" or "dark"); every colour of the UI follows it (Mantine's variables, static/app.css,
 * the islands' stylesheets, the charts). Beside it, `data-argus-color-scheme` holds the choice
 * ("light", "dark" or "auto"), which static/color-scheme.js resolves before the first paint when it
 * is "auto" (the server cannot know the browser's preference).
 *
 * @module
 */
import { cookieValue, preferenceCookie } from "./cookies.ts";

export const COLOR_SCHEME_CHOICES = ["light", "dark", "auto"] as const;
/** What the user chose: a scheme, or "auto" (the browser's `prefers-color-scheme`). */
export type ColorSchemeChoice = typeof COLOR_SCHEME_CHOICES[number];
/** What the page shows. */
export type ColorScheme = "light" | "dark";

/** The cookie that remembers the choice (a cookie, not storage: the server renders with it). */
export const COLOR_SCHEME_COOKIE = "argus_color_scheme";
/** The attribute on `<html>` that holds the choice. */
export const CHOICE_ATTRIBUTE = "data-argus-color-scheme";
/** Mantine's attribute on `<html>`: the scheme shown. */
export const SCHEME_ATTRIBUTE = "data-mantine-color-scheme";

export function isColorSchemeChoice(value: unknown): value is ColorSchemeChoice {
  return (COLOR_SCHEME_CHOICES as readonly unknown[]).includes(value);
}

/** The choice a `Cookie` header remembers: "auto" without one, or with a value Argus never set. */
export function colorSchemeChoiceOf(cookieHeader: string | null | undefined): ColorSchemeChoice {
  const value = cookieValue(cookieHeader, COLOR_SCHEME_COOKIE);
  return isColorSchemeChoice(value) ? value : "auto";
}

/** What a choice shows, given whether the browser prefers dark. */
export function resolveColorScheme(choice: ColorSchemeChoice, prefersDark: boolean): ColorScheme {
  if (choice === "auto") return prefersDark ? "dark" : "light";
  return choice;
}

/** The `document.cookie` assignment that remembers a choice for the whole site. */
export function colorSchemeCookie(choice: ColorSchemeChoice): string {
  return preferenceCookie(COLOR_SCHEME_COOKIE, choice);
}
