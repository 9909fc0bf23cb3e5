/**
 * Clickable charts and the duration scatter (issue 14, point 8), in headless Chromium
 * (tests/browser/scenarios/chart_clicks.mjs), against Argus with traces sent through OTLP/HTTP at
 * known times and durations, so that what each click must list is known beforehand: a
 * latency-heatmap cell lists the traces of its minute and duration band (and of the Dashboard's
 * service when one is chosen), a traffic step the traces of its minute (its failed ones from the
 * error bars), and the trace list's scatter draws a point per trace, failed ones red, a click
 * opening the trace.
 */
import assert from "node:assert/strict";
import { startArgus } from "./argus_process.ts";
import { runScenario } from "./browser.ts";
import { hex, random } from "./builders.ts";
import { type JsonSpan, postJson, traceRequest } from "./otlp_payloads.ts";
import { latencyBucket } from "../store/rollups.ts";
import { FAILED_COLOR } from "../utils/duration_scatter.ts";
import { serviceColor } from "../utils/chart_style.ts";

interface Sent {
  id: string;
  service: string;
  /** The minute it starts in, Unix ms. */
  minute: number;
  durationMs: number;
  failed: boolean;
}

/**
 * The traces: each a SERVER root span (the one request the Dashboard counts for it) with an
 * INTERNAL child inside it, 3 s apart within their minute so that no trace crosses a minute and
 * no two scatter points overlap. Minute A holds three traces of 256–362 ms (one of them failed)
 * and one of exactly 256 ms, which the heatmap counts in the bucket below.
 */
function plan(minuteA: number, minuteB: number) {
  const rows: [number, string, number, boolean][] = [
    [minuteA, "checkout", 40, false],
    [minuteA, "checkout", 42, false],
    [minuteA, "checkout", 300, false],
    [minuteA, "checkout", 310, true],
    [minuteA, "billing", 320, false],
    [minuteA, "checkout", 256, false],
    [minuteA, "billing", 45, true],
    [minuteB, "checkout", 41, false],
    [minuteB, "checkout", 330, true],
    [minuteB, "billing", 44, false],
  ];
  const rand = random(14);
  const spans: Record<string, JsonSpan[]> = { checkout: [], billing: [] };
  const sent: Sent[] = [];
  const ns = (ms: number) => (BigInt(ms) * 1_000_000n).toString();
  rows.forEach(([minute, service, durationMs, failed], i) => {
    const id = hex(rand, 32);
    const startMs = minute + 4_000 + (i % 7) * 3_000;
    const root = hex(rand, 16);
    spans[service]!.push(
      {
        traceId: id,
        spanId: root,
        name: "POST /checkout",
        kind: 2,
        startTimeUnixNano: ns(startMs),
        endTimeUnixNano: ns(startMs + durationMs),
        status: failed ? { code: 2, message: "Card declined" } : { code: 0 },
      },
      {
        traceId: id,
        spanId: hex(rand, 16),
        parentSpanId: root,
        name: "validate cart",
        kind: 1,
        startTimeUnixNano: ns(startMs + 1),
        endTimeUnixNano: ns(startMs + 1 + Math.floor(durationMs / 2)),
      },
    );
    sent.push({ id, service, minute, durationMs, failed });
  });
  return { spans, sent };
}

const ids = (traces: Sent[]) => traces.map((t) => t.id).sort();

Deno.test("chart clicks list the traces of a heatmap cell or a traffic minute, and the scatter opens a trace", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-ui-chart-clicks-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms" }, cwd);
  try {
    // Two whole minutes of the last 15, neither the one in progress.
    const minuteA = Math.floor(Date.now() / 60_000) * 60_000 - 6 * 60_000;
    const minuteB = minuteA + 2 * 60_000;
    const { spans, sent } = plan(minuteA, minuteB);
    for (const [service, list] of Object.entries(spans)) {
      const answer = await postJson(argus.otlpHttpUrl, "traces", traceRequest(list, service));
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    }
    const bucketOf = (ms: number) => latencyBucket(BigInt(ms) * 1_000_000n);
    const band = bucketOf(300);
    assert.equal(bucketOf(256), band - 1, "256 ms is on the bound, counted in the bucket below");
    const inCell = (t: Sent) => t.minute === minuteA && bucketOf(t.durationMs) === band;

    const { answer, problems } = await runScenario<Record<string, unknown>>(
      "chart_clicks",
      argus.baseUrl,
      {
        cell: { time: minuteA, bucket: band },
        fastBucket: bucketOf(40),
        expected: {
          cell: ids(sent.filter(inCell)),
          checkoutCell: ids(sent.filter((t) => inCell(t) && t.service === "checkout")),
          minuteB: ids(sent.filter((t) => t.minute === minuteB)),
          failedA: ids(sent.filter((t) => t.minute === minuteA && t.failed)),
        },
        minuteA,
        minuteB,
        traces: sent.map((t) => ({
          id: t.id,
          failed: t.failed,
          color: t.failed ? FAILED_COLOR : serviceColor(t.service),
        })),
        open: sent.find((t) => t.failed && t.minute === minuteB)!.id,
      },
    );
    assert.deepEqual(problems, []);
    // What the scenario saw, beside what was sent (the scenario asserts each on its own).
    assert.equal(sent.filter(inCell).length, 3);
    assert.deepEqual(answer.cellCount, 3);
    assert.deepEqual(answer.scatterPoints, sent.length);
    assert.deepEqual(answer.scatterFailed, sent.filter((t) => t.failed).length);
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
