/**
 * The Metrics page (issue 16, item 6) in headless Chromium, against Argus with metrics of every
 * chart kind sent as hand-built OTLP/JSON: a cumulative counter over two outcomes (an exemplar on
 * one), a gauge of another service, a delta histogram carrying an exemplar of a trace that was
 * sent too, a delta exponential histogram and a cumulative summary with its quantiles
 * (tests/browser/scenarios/metrics.mjs). Its empty state first; then the list, the search and
 * service filters, each chart, group-by, attribute filters (chips, the URL, a reload), a refused
 * chart query, the exemplar opening its trace, and the links of the Service page, the Dashboard
 * (a failed request of the service) and the Service Map. Saves docs/screenshots/metrics.png.
 */
import assert from "node:assert/strict";
import { startArgus } from "./argus_process.ts";
import { runScenario } from "./browser.ts";
import { hex, random } from "./builders.ts";
import { postJson, stringAttribute, traceRequest } from "./otlp_payloads.ts";

const MS = 1_000_000n;
const STEP_MS = 20_000n;
/** Points per series: one every 20 s over the last 4 minutes. */
const POINTS = 12;

function metricsRequest(service: string, metrics: unknown[]) {
  return {
    resourceMetrics: [{
      resource: { attributes: [stringAttribute("service.name", service)] },
      scopeMetrics: [{ scope: { name: "argus-ui-tests", version: "1" }, metrics }],
    }],
  };
}

Deno.test("the Metrics page lists instruments by service and charts each kind, grouped and filtered, with an exemplar opening its trace", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-ui-metrics-" });
  const argus = await startArgus({ FLUSH_INTERVAL: "10ms" }, cwd);
  try {
    const empty = await runScenario("metrics", argus.baseUrl, { empty: true });
    assert.deepEqual(empty.problems, []);

    const rand = random(16);
    const traceId = hex(rand, 32);
    const spanId = hex(rand, 16);
    const failedTraceId = hex(rand, 32);
    const now = BigInt(Date.now()) * MS;
    const first = now - BigInt(POINTS) * STEP_MS * MS;
    const at = (i: number) => (first + BigInt(i) * STEP_MS * MS).toString();
    const times = [...Array(POINTS).keys()];
    const sent = await postJson(
      argus.otlpHttpUrl,
      "traces",
      traceRequest([{
        traceId,
        spanId,
        name: "POST /pay",
        kind: 2,
        startTimeUnixNano: at(6),
        endTimeUnixNano: (BigInt(at(6)) + 30n * MS).toString(),
        status: { code: 0 },
      }, {
        // A failed request of checkout: the Dashboard lists the service, linking to its metrics.
        traceId: failedTraceId,
        spanId: hex(rand, 16),
        name: "POST /pay",
        kind: 2,
        startTimeUnixNano: at(8),
        endTimeUnixNano: (BigInt(at(8)) + 40n * MS).toString(),
        status: { code: 2, message: "declined" },
      }], "checkout"),
    );
    assert.equal(sent.status, 200);
    const counter = {
      name: "orders.placed",
      description: "Orders placed, by outcome",
      unit: "{order}",
      sum: {
        aggregationTemporality: 2,
        isMonotonic: true,
        dataPoints: ["ok", "failed"].flatMap((outcome, o) =>
          times.map((i) => ({
            attributes: [stringAttribute("outcome", outcome)],
            startTimeUnixNano: first.toString(),
            timeUnixNano: at(i),
            asInt: String((o + 1) * 3 * i),
            // One exemplar, on the failed outcome: an `attr` filter on `ok` leaves it out.
            exemplars: outcome === "failed" && i === 6
              ? [{ timeUnixNano: at(6), asInt: "1", traceId, spanId }]
              : [],
          }))
        ),
      },
    };
    const histogram = {
      name: "payment.amount",
      description: "Amount charged",
      unit: "USD",
      histogram: {
        aggregationTemporality: 1,
        dataPoints: times.map((i) => ({
          startTimeUnixNano: i === 0 ? first.toString() : at(i - 1),
          timeUnixNano: at(i),
          count: "10",
          sum: 250,
          // p50 40, p90 175, p99 242.5 (interpolated within the buckets).
          explicitBounds: [10, 50, 100, 250],
          bucketCounts: ["2", "4", "2", "2", "0"],
          exemplars: i === 6 ? [{ timeUnixNano: at(6), asDouble: 120, traceId, spanId }] : [],
        })),
      },
    };
    // Two series whose bucket bounds differ: no percentiles merged, and a note that says why.
    const unmerged = {
      name: "queue.wait",
      unit: "ms",
      histogram: {
        aggregationTemporality: 1,
        dataPoints: [[1, 2], [5, 10]].flatMap((bounds, s) =>
          times.map((i) => ({
            attributes: [stringAttribute("shard", `s${s}`)],
            startTimeUnixNano: i === 0 ? first.toString() : at(i - 1),
            timeUnixNano: at(i),
            count: "4",
            sum: 12,
            explicitBounds: bounds,
            bucketCounts: ["1", "2", "1"],
          }))
        ),
      },
    };
    // An exponential histogram (scale 0: buckets (2, 4], (4, 8], (8, 16]), delta.
    const exponential = {
      name: "payment.latency",
      unit: "ms",
      exponentialHistogram: {
        aggregationTemporality: 1,
        dataPoints: times.map((i) => ({
          startTimeUnixNano: i === 0 ? first.toString() : at(i - 1),
          timeUnixNano: at(i),
          count: "6",
          sum: 40,
          scale: 0,
          zeroCount: "0",
          positive: { offset: 1, bucketCounts: ["1", "2", "3"] },
        })),
      },
    };
    // A summary (cumulative count and sum) with the producer's p50 and p99.
    const summary = {
      name: "checkout.latency",
      unit: "s",
      summary: {
        dataPoints: times.map((i) => ({
          startTimeUnixNano: first.toString(),
          timeUnixNano: at(i),
          count: String(5 * i),
          sum: 2 * 5 * i,
          quantileValues: [{ quantile: 0.5, value: 1.5 }, { quantile: 0.99, value: 3 }],
        })),
      },
    };
    const gauge = {
      name: "stock.level",
      description: "Items in stock",
      unit: "{item}",
      gauge: {
        dataPoints: times.map((i) => ({
          attributes: [stringAttribute("item", "widget")],
          timeUnixNano: at(i),
          asDouble: 100 - i,
        })),
      },
    };
    for (
      const request of [
        metricsRequest("checkout", [counter, histogram, unmerged, exponential, summary]),
        metricsRequest("inventory", [gauge]),
      ]
    ) {
      const answer = await postJson(argus.otlpHttpUrl, "metrics", request);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.partialSuccess, undefined, JSON.stringify(answer.body));
    }
    // Committed before the browser looks: the instruments, and the failed request.
    const committed = async () => {
      const list = await (await fetch(`${argus.baseUrl}/api/instruments?range=15m`)).json();
      const dashboard = await (await fetch(`${argus.baseUrl}/api/metrics/dashboard?range=15m`))
        .json();
      return list.instruments.length === 6 && dashboard.top_failing_services.length === 1;
    };
    for (let tries = 0; tries < 100 && !(await committed()); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(await committed(), "the metrics and traces sent are committed");
    const { answer, problems } = await runScenario<{ trace: string; violations: string[] }>(
      "metrics",
      argus.baseUrl,
      {
        traceId,
        screenshot: "docs/screenshots/metrics.png",
      },
    );
    assert.deepEqual(problems, []);
    assert.equal(answer.trace, `/traces/${traceId}`);
    assert.deepEqual(answer.violations, []);
  } finally {
    assert.equal(await argus.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
