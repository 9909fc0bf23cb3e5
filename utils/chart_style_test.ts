import assert from "node:assert/strict";
import { escapeHtml } from "./chart_style.ts";

Deno.test("escapeHtml() turns markup in telemetry into text for ECharts's HTML tooltips", () => {
  assert.equal(
    escapeHtml(`<img src=x onerror="alert('1')">&`),
    "&#60;img src=x onerror=&#34;alert(&#39;1&#39;)&#34;&#62;&#38;",
  );
  assert.equal(escapeHtml("payment-service"), "payment-service");
});
