import assert from "node:assert/strict";
import {
  chartOptionFor,
  DARK_INKS,
  escapeHtml,
  SERVICE_PALETTE,
  serviceColor,
  serviceColors,
} from "./chart_style.ts";

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

Deno.test("chartOptionFor() draws light inks dark, in values, nested options and formatters", () => {
  const option = {
    legend: { textStyle: { color: "#495057" } },
    yAxis: [{ splitLine: { lineStyle: { color: "#F1F3F5" } } }],
    series: [{ color: "#4c6ef5", data: [[1, 2]], itemStyle: { borderColor: "#fff" } }],
    tooltip: { formatter: (n: number) => `<span style="color:#868e96">${n}</span>` },
  };
  const dark = chartOptionFor(option, "dark") as typeof option & { backgroundColor: string };
  assert.equal(dark.backgroundColor, "transparent");
  assert.equal(dark.legend.textStyle.color, DARK_INKS["#495057"]);
  assert.equal(dark.yAxis[0]!.splitLine.lineStyle.color, DARK_INKS["#f1f3f5"]);
  assert.equal(dark.series[0]!.itemStyle.borderColor, DARK_INKS["#fff"]);
  // A service's colour is no ink: it is the same in both schemes.
  assert.equal(dark.series[0]!.color, "#4c6ef5");
  assert.deepEqual(dark.series[0]!.data, [[1, 2]]);
  assert.equal(dark.tooltip.formatter(3), `<span style="color:${DARK_INKS["#868e96"]}">3</span>`);
  // The option itself is left as it was, and light draws it as written.
  assert.equal(option.legend.textStyle.color, "#495057");
  const light = chartOptionFor(option, "light") as typeof option;
  assert.equal(light.legend, option.legend);
  assert.equal(light.tooltip.formatter(3), `<span style="color:#868e96">3</span>`);
});

Deno.test("DARK_INKS keep text readable on the dark cards", () => {
  const luminance = (hex: string) => {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) =>
      c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
    );
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const card = luminance(DARK_INKS["#fff"]!);
  for (const text of ["#212529", "#495057", "#868e96"]) {
    const ratio = (luminance(DARK_INKS[text]!) + 0.05) / (card + 0.05);
    assert.ok(ratio >= 4.5, `${text} as ${DARK_INKS[text]}: ${ratio.toFixed(2)}:1`);
  }
});
