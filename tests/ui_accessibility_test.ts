/**
 * Accessibility and the colour schemes, in headless Chromium (tests/browser/scenarios/
 * accessibility.mjs): axe-core finds no WCAG 2.0/2.1 A or AA violation on any page (the login
 * page, Dashboard, Service Map, Logs, Traces, a trace, two traces compared, a service's operations,
 * Settings and its purge dialog, the time-range picker open, an unknown address), light and
 * dark, with data on them; the header's toggle shows a choice at once and the server renders it
 * after a reload, and "auto" follows the browser's preference, from the first paint.
 */
import assert from "node:assert/strict";
import { startArgus } from "./argus_process.ts";
import { runScenario } from "./browser.ts";
import { seedChain } from "./ui_data.ts";

const API_TOKEN = "accessibility-token-0123456789";

interface Violation {
  id: string;
  impact: string;
  help: string;
  nodes: string[];
}

interface Step {
  name: string;
  scheme: string;
  pressed: string[];
}

interface AccessibilityAnswer {
  violations: Record<string, Violation[]>;
  toggle: {
    steps: Step[];
    cookie?: { value: string; path: string; expires: boolean };
    serverRendered: { scheme?: string; choice?: string };
    chartInk: { light: number; darkChosen: number; darkReloaded: number };
  };
}

Deno.test("every page passes axe's WCAG A/AA checks in light and dark, and the colour scheme is chosen and remembered", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-ui-a11y-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms", API_TOKEN }, cwd);
  try {
    const seeded = await seedChain(argus, { chains: 30 });
    const { answer, problems } = await runScenario<AccessibilityAnswer>(
      "accessibility",
      argus.baseUrl,
      { apiToken: API_TOKEN, traceId: seeded.traceIds[0], otherTraceId: seeded.traceIds[1] },
    );
    // The unknown address answers 404 on purpose (once light, once dark); nothing else may fail.
    const notFound = [
      `HTTP 404: ${argus.baseUrl}/no-such-page`,
      "console: Failed to load resource: the server responded with a status of 404 (Not Found)",
    ];
    assert.deepEqual(problems, [...notFound, ...notFound]);

    const pages = Object.keys(answer.violations);
    // 11 pages (the 404's included), a dialog and a picker, in both schemes.
    assert.equal(pages.length, 26, `checked: ${pages.join(", ")}`);
    const failures = Object.entries(answer.violations).filter(([, found]) => found.length > 0);
    assert.deepEqual(
      failures,
      [],
      failures.map(([page, found]) =>
        `${page}:\n${
          found.map((v) => `  ${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.join("\n    ")}`)
            .join("\n")
        }`
      ).join("\n"),
    );

    const { steps, cookie, serverRendered, chartInk } = answer.toggle;
    assert.deepEqual(steps, [
      { name: "auto, browser light", scheme: "light", pressed: ["auto"] },
      { name: "dark chosen", scheme: "dark", pressed: ["dark"] },
      { name: "dark, reloaded", scheme: "dark", pressed: ["dark"] },
      { name: "auto chosen, browser light", scheme: "light", pressed: ["auto"] },
      { name: "auto, browser now dark", scheme: "dark", pressed: ["auto"] },
      { name: "light chosen, browser dark", scheme: "light", pressed: ["light"] },
      { name: "light, reloaded, browser dark", scheme: "light", pressed: ["light"] },
    ]);
    assert.deepEqual(cookie, { value: "dark", path: "/", expires: true });
    // The reload's HTML is dark as it arrives: no light flash before any script.
    assert.deepEqual(serverRendered, { scheme: "dark", choice: "dark" });
    // The traffic chart's light inks (near-white grid lines) are gone in dark, at once and after
    // a reload, and it draws on the card's colour (no white background).
    assert.ok(chartInk.light > 0, `light grid lines: ${chartInk.light} pixels`);
    assert.deepEqual({ ...chartInk, light: 0 }, { light: 0, darkChosen: 0, darkReloaded: 0 });
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
