import assert from "node:assert/strict";
import { cookieValue, preferenceCookie } from "./cookies.ts";

Deno.test("cookieValue() finds one cookie by name, decoded; absent or garbled is undefined", () => {
  const header = "a=1; argus_browser_zone=Asia%2FTokyo;argus_color_scheme=dark ; bad=%E0%A4%A";
  assert.equal(cookieValue(header, "argus_browser_zone"), "Asia/Tokyo");
  assert.equal(cookieValue(header, "argus_color_scheme"), "dark");
  assert.equal(cookieValue(header, "a"), "1");
  assert.equal(cookieValue(header, "bad"), undefined);
  assert.equal(cookieValue(header, "argus"), undefined);
  assert.equal(cookieValue(null, "a"), undefined);
});

Deno.test("preferenceCookie() is site-wide, kept a year, encoded", () => {
  assert.equal(
    preferenceCookie("argus_browser_zone", "America/New_York"),
    "argus_browser_zone=America%2FNew_York; Path=/; Max-Age=31536000; SameSite=Lax",
  );
});
