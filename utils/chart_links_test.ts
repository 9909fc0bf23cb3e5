import assert from "node:assert/strict";
import {
  durationBand,
  durationParam,
  heatmapCellLink,
  heatmapClickHint,
  stepAt,
  stepWindow,
  trafficClickHint,
  trafficStepLink,
  withTooltipFooter,
} from "./chart_links.ts";
import { LATENCY_BUCKET_BOUNDS_MS, latencyBucket } from "../store/rollups.ts";
import { parseTraceQuery } from "./trace_query.ts";

/** The API's 38 bounds as it sends them: 0.25 ms × √2ⁱ rounded to the microsecond, then null. */
const BOUNDS = [...LATENCY_BUCKET_BOUNDS_MS.map((b) => Math.round(b * 1000) / 1000), null];

const HEATMAP = {
  step_seconds: 60,
  times: ["2026-12-01T10:00:00.000Z", "2026-12-01T10:01:00.000Z"],
  latency_buckets_ms: BOUNDS,
};

Deno.test("durationParam() writes milliseconds to the nanosecond, without an exponent", () => {
  assert.equal(durationParam(256), "256");
  assert.equal(durationParam(256 + 1e-6), "256.000001");
  assert.equal(durationParam(0.354), "0.354");
  assert.equal(durationParam(1 / 3), "0.333333");
});

Deno.test("durationBand() gives a bucket's (lower, upper] as inclusive filters", () => {
  assert.deepEqual(durationBand(BOUNDS, 0), { max_duration_ms: "0.25" });
  // Bucket 21 is (256, 362]: 256 itself belongs to bucket 20, so the lower filter is past it.
  assert.deepEqual(durationBand(BOUNDS, 21), {
    min_duration_ms: "256.000001",
    max_duration_ms: "362.039",
  });
  assert.deepEqual(durationBand(BOUNDS, 37), { min_duration_ms: "65536.000001" });
});

Deno.test("durationBand() lists a duration with the bucket the heatmap counts it in", () => {
  const toNs = (ms: string | undefined) =>
    ms === undefined ? undefined : Math.round(Number(ms) * 1e6);
  // Bounds themselves and their neighbours, in nanoseconds, as the API compares them.
  for (const ns of [250_000, 250_001, 1_000_000, 1_000_001, 256_000_000, 256_000_001, 777_777]) {
    const bucket = latencyBucket(BigInt(ns));
    const listedIn = BOUNDS.flatMap((_, b) => {
      const band = durationBand(BOUNDS, b);
      const min = toNs(band.min_duration_ms) ?? 0;
      const max = toNs(band.max_duration_ms) ?? Infinity;
      return ns >= min && ns <= max ? [b] : [];
    });
    assert.deepEqual(listedIn, [bucket], `${ns} ns`);
  }
});

Deno.test("heatmapCellLink() opens the Traces page on the cell's step and duration band", () => {
  const link = heatmapCellLink(HEATMAP, 1, 21, "payment-service")!;
  const url = new URL(link, "http://argus");
  assert.equal(url.pathname, "/traces");
  assert.deepEqual(Object.fromEntries(url.searchParams), {
    service: "payment-service",
    start: "2026-12-01T10:01:00.000Z",
    end: "2026-12-01T10:02:00.000Z",
    min_duration_ms: "256.000001",
    max_duration_ms: "362.039",
  });
  // The trace list reads it as its own query: a custom window, no range.
  const query = parseTraceQuery(url.search);
  assert.equal(query.start, "2026-12-01T10:01:00.000Z");
  assert.equal(query.min_duration_ms, "256.000001");
  // All services: no service filter.
  assert.equal(
    new URL(heatmapCellLink(HEATMAP, 0, 0, "")!, "http://argus").search,
    "?start=2026-12-01T10%3A00%3A00.000Z&end=2026-12-01T10%3A01%3A00.000Z&max_duration_ms=0.25",
  );
  assert.equal(heatmapCellLink(HEATMAP, 2, 21, ""), undefined);
  assert.equal(heatmapCellLink(HEATMAP, 0, 38, ""), undefined);
});

Deno.test("trafficStepLink() opens the step's traces, the failed ones from the errors", () => {
  const at = Date.parse("2026-12-01T10:05:00Z");
  assert.equal(
    trafficStepLink(at, 300, { service: "", errors: false }),
    "/traces?start=2026-12-01T10%3A05%3A00.000Z&end=2026-12-01T10%3A10%3A00.000Z",
  );
  assert.equal(
    trafficStepLink(at, 60, { service: "order-service", errors: true }),
    "/traces?service=order-service&status=error&start=2026-12-01T10%3A05%3A00.000Z&end=2026-12-01T10%3A06%3A00.000Z",
  );
  assert.deepEqual(stepWindow(at, 60), {
    start: "2026-12-01T10:05:00.000Z",
    end: "2026-12-01T10:06:00.000Z",
  });
});

Deno.test("stepAt() finds the step drawn at a time, within half a step of its start", () => {
  const starts = [0, 60_000, 120_000];
  assert.equal(stepAt(starts, 60_000, 0), 0);
  assert.equal(stepAt(starts, 60_000, 29_000), 0);
  assert.equal(stepAt(starts, 60_000, 31_000), 1);
  assert.equal(stepAt(starts, 60_000, 150_000), 2);
  assert.equal(stepAt(starts, 60_000, -30_000), 0);
  assert.equal(stepAt(starts, 60_000, -31_000), undefined);
  assert.equal(stepAt(starts, 60_000, 151_000), undefined);
  assert.equal(stepAt([], 60_000, 0), undefined);
  assert.equal(stepAt(starts, 60_000, NaN), undefined);
});

Deno.test("the click hints say what a click lists", () => {
  // The display zone is UTC in tests (utils/time_zone.ts).
  assert.match(
    heatmapClickHint(HEATMAP, 1, 21),
    /Click: the traces started 10:01–10:02 that took 256 ms – 362 ms/,
  );
  assert.equal(heatmapClickHint(HEATMAP, 5, 21), "");
  assert.match(
    trafficClickHint(Date.parse("2026-12-01T10:05:00Z"), 300),
    /Click: the traces started 10:05–10:10; on the error bars, the failed ones/,
  );
});

Deno.test("withTooltipFooter() adds to what the formatter writes, keeping the rest", () => {
  const option = {
    animation: false,
    tooltip: { position: "top", formatter: (p: { n: number }) => `<b>${p.n}</b>` },
  };
  const footed = withTooltipFooter(option, (p) => `<i>${p.n + 1}</i>`);
  assert.equal(footed.tooltip.formatter({ n: 1 }), "<b>1</b><i>2</i>");
  assert.equal(footed.tooltip.position, "top");
  assert.equal(footed.animation, false);
  assert.equal(option.tooltip.formatter({ n: 1 }), "<b>1</b>", "the option is not changed");
});
