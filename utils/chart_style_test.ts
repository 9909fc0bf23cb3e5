import assert from "node:assert/strict";
import { escapeHtml, SERVICE_PALETTE, serviceColors } from "./chart_style.ts";

Deno.test("serviceColors() gives distinct colours, whatever the order", () => {
  const services = Array.from({ length: 12 }, (_, i) => `service-${i}`);
  const colors = serviceColors(services);
  assert.equal(new Set(colors.values()).size, 12);
  assert.deepEqual(serviceColors([...services].reverse()), colors);
  assert.ok([...colors.values()].every((c) => (SERVICE_PALETTE as readonly string[]).includes(c)));
  assert.equal(serviceColors([...services, "one-more"]).size, 13);
});

Deno.test("escapeHtml() leaves no markup in a tooltip", () => {
  assert.equal(escapeHtml(`<b a="1">&'`), "&#60;b a=&#34;1&#34;&#62;&#38;&#39;");
});
