/**
 * The partial-success message of IngestService: each reason names its item by its index in the
 * request, in the request's order, whichever stage refused it (decoding, screening, the series
 * limit of metrics, database).
 */
import assert from "node:assert/strict";
import { createLogger } from "../lib/logger.ts";
import type { Batch, Rejection } from "../store/mod.ts";
import type { SubmitResult } from "./batcher.ts";
import { IngestService } from "./ingest_service.ts";
import { DEFAULT_DECODE_LIMITS } from "./otlp/mod.ts";
import { jsonLogs, jsonSpans, stringAttribute } from "../tests/otlp_payloads.ts";
import {
  afterT0,
  gaugeMetric,
  intPoint,
  oneScope,
  stringAttrs,
  toOtlpJson,
} from "../tests/metric_requests.ts";
import type { MetricPointRow } from "../store/metric_types.ts";

const quiet = createLogger("error", () => {});
const encoder = new TextEncoder();

/** A batcher that stores everything but the rows `refuse` names, as a database would refuse them. */
function service(refuse: (batch: Batch) => { spans: Rejection[]; logs: Rejection[] }) {
  return new IngestService({
    batcher: {
      submit: (batch: Batch): Promise<SubmitResult> =>
        Promise.resolve({ rejected: { ...refuse(batch), metrics: [] }, deadLettered: false }),
    },
    decodeLimits: DEFAULT_DECODE_LIMITS,
    validation: { maxFieldBytes: 4096 },
    logger: quiet,
  });
}

const none = () => ({ spans: [], logs: [] });

/** Two resources: the first with scopes of 3 and 2 items, the second with one scope of 2. */
function request(kind: "spans" | "logs", items: unknown[]) {
  const resources = kind === "spans" ? "resourceSpans" : "resourceLogs";
  const scopes = kind === "spans" ? "scopeSpans" : "scopeLogs";
  const list = kind === "spans" ? "spans" : "logRecords";
  const resource = (name: string) => ({ attributes: [stringAttribute("service.name", name)] });
  return encoder.encode(JSON.stringify({
    [resources]: [
      {
        resource: resource("a"),
        [scopes]: [{ scope: { name: "s0" }, [list]: items.slice(0, 3) }, {
          scope: { name: "s1" },
          [list]: items.slice(3, 5),
        }],
      },
      { resource: resource("b"), [scopes]: [{ scope: { name: "s0" }, [list]: items.slice(5) }] },
    ],
  }));
}

Deno.test("the message names each refused span by its index in the request, in its order", async () => {
  const spans = jsonSpans(7, 1);
  spans[1]!.name = "n".repeat(5000); // over MAX_FIELD_BYTES: refused by screening
  spans[3]!.traceId = "abc"; // refused while decoding
  spans[5]!.name = "refused by the database";
  const outcome = await service((batch) => ({
    spans: batch.spans.flatMap((s, index) =>
      s.name === "refused by the database" ? [{ index, reason: "the database refused it" }] : []
    ),
    logs: [],
  })).export("traces", "json", request("spans", spans));
  assert.equal(outcome.accepted, 4);
  assert.equal(outcome.rejected, 3);
  assert.equal(
    outcome.message,
    "3 spans rejected: " +
      "span 1: span name must be at most 4096 bytes: it has 5000; " +
      "span 3: resourceSpans[0].scopeSpans[1].spans[0]: trace_id must be 32 hex characters: " +
      'got "abc"; ' +
      "span 5: the database refused it",
  );
});

Deno.test("the message names each refused log record by its index in the request", async () => {
  const logs = jsonLogs(7, 2);
  logs[6]!.traceId = "1234"; // refused while decoding
  logs[2]!.severityText = "x".repeat(5000); // over MAX_FIELD_BYTES: refused by screening
  const outcome = await service(none).export("logs", "json", request("logs", logs));
  assert.equal(outcome.accepted, 5);
  assert.equal(outcome.rejected, 2);
  assert.equal(
    outcome.message,
    "2 log records rejected: " +
      "log record 2: severity text must be at most 4096 bytes: it has 5000; " +
      "log record 6: resourceLogs[1].scopeLogs[0].logRecords[1]: trace_id must be 32 hex " +
      'characters or empty: got "1234"',
  );
});

Deno.test("the message quotes the first 5 reasons and says how many more there are", async () => {
  const spans = jsonSpans(10, 3);
  for (const i of [0, 2, 3, 5, 6, 8, 9]) spans[i]!.spanId = "0".repeat(16);
  const outcome = await service(none).export("traces", "json", request("spans", spans));
  assert.equal(outcome.rejected, 7);
  const quoted = [...outcome.message.matchAll(/span (\d+): /g)].map((m) => Number(m[1]));
  assert.deepEqual(quoted, [0, 2, 3, 5, 6]);
  assert.match(outcome.message, /^7 spans rejected: .*; and 2 more$/);
});

Deno.test("the message names each refused data point by its index in the request, whichever stage refused it", async () => {
  const point = (n: number, value = String(n)) =>
    intPoint(afterT0(n), n, { attributes: stringAttrs({ n: value }) });
  const points = [
    point(0),
    point(0), // an exact duplicate of point 0: folded into it, neither a row nor refused
    intPoint("0", 2), // refused while decoding
    point(3, "v".repeat(5000)), // refused by screening
    point(4, "over the limit"), // refused by the series limit
    point(5, "refused by the database"),
    point(6),
  ];
  const refusedFor = (value: string) => (p: MetricPointRow, index: number) =>
    p.attributes.includes(value) ? [{ index, reason: value }] : [];
  const outcome = await new IngestService({
    batcher: {
      submit: (batch: Batch): Promise<SubmitResult> =>
        Promise.resolve({
          rejected: {
            spans: [],
            logs: [],
            metrics: (batch.metrics ?? []).flatMap(refusedFor("refused by the database")),
          },
          deadLettered: false,
        }),
    },
    decodeLimits: DEFAULT_DECODE_LIMITS,
    validation: { maxFieldBytes: 4096 },
    logger: quiet,
    seriesLimit: {
      admit: (points: readonly MetricPointRow[]) => {
        const refused = points.flatMap(refusedFor("over the limit"));
        return Promise.resolve({
          admitted: points.filter((_, i) => !refused.some((r) => r.index === i)),
          refused,
          release: () => {},
        });
      },
    },
  }).export("metrics", "json", toOtlpJson(oneScope([gaugeMetric("g", points)])));
  assert.equal(outcome.accepted, 3);
  assert.equal(outcome.rejected, 4);
  assert.equal(
    outcome.message,
    "4 data points rejected: " +
      "data point 2: resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[2]: " +
      "time_unix_nano must be a Unix time in nanoseconds above 0: got 0; " +
      "data point 3: attributes must be at most 4096 bytes: it has 5008; " +
      "data point 4: over the limit; " +
      "data point 5: refused by the database",
  );
});

Deno.test("a metric's name and service longer than their columns are kept whole, its instrument listed under the service column's part", async () => {
  const serviceName = "s".repeat(300);
  const name = "m".repeat(300);
  let written: Batch | undefined;
  const outcome = await new IngestService({
    batcher: {
      submit: (batch: Batch): Promise<SubmitResult> => {
        written = batch;
        return Promise.resolve({
          rejected: { spans: [], logs: [], metrics: [] },
          deadLettered: false,
        });
      },
    },
    decodeLimits: DEFAULT_DECODE_LIMITS,
    validation: { maxFieldBytes: 4096 },
    logger: quiet,
  }).export(
    "metrics",
    "json",
    toOtlpJson(oneScope([gaugeMetric(name, [intPoint(afterT0(1), 1)])], serviceName)),
  );
  assert.deepEqual([outcome.accepted, outcome.rejected], [1, 0]);
  const [resource] = written!.resources;
  assert.equal(resource!.serviceName, "s".repeat(256));
  assert.deepEqual(JSON.parse(resource!.longText), { serviceName });
  const instrument = written!.metrics![0]!.instrument;
  assert.equal(instrument.serviceName, "s".repeat(256));
  assert.equal(instrument.name, "m".repeat(256));
  assert.deepEqual(JSON.parse(instrument.longText), { name });
});
