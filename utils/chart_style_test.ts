import assert from "node:assert/strict";
import { escapeHtml, SERVICE_PALETTE, serviceColor, serviceColors } from "./chart_style.ts";

Deno.test("serviceColor() is the name's: the same whatever else is shown", () => {
  const services = ["order-service", "payment-service", "inventory-service"];
  const alone = services.map(serviceColor);
  assert.deepEqual([...serviceColors(services).values()], alone);
  assert.deepEqual([...serviceColors([...services].reverse()).values()].reverse(), alone);
  assert.equal(serviceColors(["a", ...services, "b"]).get("payment-service"), alone[1]);
  assert.ok(alone.every((c) => (SERVICE_PALETTE as readonly string[]).includes(c)));
  // The demo's three services have three colours.
  assert.equal(new Set(alone).size, 3);
});

Deno.test("escapeHtml() leaves no markup in a tooltip", () => {
  assert.equal(escapeHtml(`<b a="1">&'`), "&#60;b a=&#34;1&#34;&#62;&#38;&#39;");
});
