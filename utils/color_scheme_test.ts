import assert from "node:assert/strict";
import {
  COLOR_SCHEME_COOKIE,
  colorSchemeChoiceOf,
  colorSchemeCookie,
  resolveColorScheme,
} from "./color_scheme.ts";

Deno.test("colorSchemeChoiceOf() reads the remembered choice among other cookies", () => {
  assert.equal(colorSchemeChoiceOf(`a=1; ${COLOR_SCHEME_COOKIE}=dark; b=2`), "dark");
  assert.equal(colorSchemeChoiceOf(`${COLOR_SCHEME_COOKIE}=light`), "light");
  assert.equal(colorSchemeChoiceOf(`${COLOR_SCHEME_COOKIE}=auto`), "auto");
});

Deno.test("colorSchemeChoiceOf() is auto without the cookie or with a value Argus never set", () => {
  assert.equal(colorSchemeChoiceOf(null), "auto");
  assert.equal(colorSchemeChoiceOf(""), "auto");
  assert.equal(colorSchemeChoiceOf("other=dark"), "auto");
  assert.equal(colorSchemeChoiceOf(`${COLOR_SCHEME_COOKIE}=purple`), "auto");
  assert.equal(colorSchemeChoiceOf(`x${COLOR_SCHEME_COOKIE}=dark`), "auto");
});

Deno.test("resolveColorScheme() follows the browser only for auto", () => {
  assert.equal(resolveColorScheme("auto", true), "dark");
  assert.equal(resolveColorScheme("auto", false), "light");
  assert.equal(resolveColorScheme("light", true), "light");
  assert.equal(resolveColorScheme("dark", false), "dark");
});

Deno.test("colorSchemeCookie() is read back by colorSchemeChoiceOf()", () => {
  const cookie = colorSchemeCookie("dark");
  assert.match(cookie, /; Path=\/; Max-Age=\d+; SameSite=Lax$/);
  assert.equal(colorSchemeChoiceOf(cookie.split(";")[0]), "dark");
});
