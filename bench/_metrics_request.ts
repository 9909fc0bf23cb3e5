/**
 * The ingest benchmarks' metrics request, built once and sent over and over with its times moved
 * forward (bench/ingest_load_client.mjs): 10 services, each exporting 5 instruments of 10 series
 * (a monotonic counter, a double sum, a gauge and two histograms of 15 buckets), so 500 data points
 * a request, as an SDK's periodic reader exports them. All points carry the time `TIME_NS` and the
 * start `START_NS`, so the load client finds every time by its value and rewrites it.
 *
 * @module
 */
import { encodeMetrics, stringAttr } from "../ingest/otlp/testdata/metrics_payloads.ts";

/** The data points' time and start time (Unix nanoseconds) as the request is encoded. */
export const TIME_NS = 1_795_687_210_000_000_000n;
export const START_NS = 1_795_687_200_000_000_000n;

export const SERVICES = 10;
export const SERIES = 10;
/** Data points in one request. */
export const POINTS_PER_REQUEST = SERVICES * 5 * SERIES;

const BOUNDS = [5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

function series(s: number) {
  return [
    stringAttr("http.route", `/api/route-${s}`),
    stringAttr("http.request.method", s % 2 === 0 ? "GET" : "POST"),
    { key: "http.response.status_code", value: { intValue: 200 + (s % 3) } },
  ];
}

function points(value: (s: number) => Record<string, unknown>) {
  return Array.from({ length: SERIES }, (_, s) => ({
    attributes: series(s),
    startTimeUnixNano: START_NS.toString(),
    timeUnixNano: TIME_NS.toString(),
    ...value(s),
  }));
}

function histogram(name: string, unit: string) {
  return {
    name,
    unit,
    description: `${name} of the requests served`,
    histogram: {
      aggregationTemporality: 2,
      dataPoints: points((s) => {
        const bucketCounts = Array.from({ length: BOUNDS.length + 1 }, (_, b) => (s + b) % 7);
        const count = bucketCounts.reduce((a, b) => a + b, 0);
        return {
          count,
          sum: count * 41.5,
          bucketCounts,
          explicitBounds: BOUNDS,
          min: 1.5,
          max: 9000,
        };
      }),
    },
  };
}

/** The request as OTLP protobuf (`ExportMetricsServiceRequest`). */
export function metricsRequest(): Uint8Array {
  return encodeMetrics({
    resourceMetrics: Array.from({ length: SERVICES }, (_, r) => ({
      resource: {
        attributes: [
          stringAttr("service.name", `service-${r}`),
          stringAttr("service.version", "1.4.2"),
          stringAttr("host.name", "bench-host"),
        ],
      },
      scopeMetrics: [{
        scope: { name: "bench.meter", version: "1.0.0" },
        metrics: [
          {
            name: "http.server.requests",
            unit: "{request}",
            sum: {
              aggregationTemporality: 2,
              isMonotonic: true,
              dataPoints: points((s) => ({ asInt: 1000 + s })),
            },
          },
          {
            name: "http.server.response.body.size.total",
            unit: "By",
            sum: {
              aggregationTemporality: 2,
              isMonotonic: true,
              dataPoints: points((s) => ({ asDouble: 51234.5 + s })),
            },
          },
          {
            name: "http.server.active_requests",
            unit: "{request}",
            gauge: { dataPoints: points((s) => ({ asDouble: s * 1.5 })) },
          },
          histogram("http.server.request.duration", "ms"),
          histogram("http.server.response.body.size", "By"),
        ],
      }],
    })),
  });
}

if (import.meta.main) {
  // `deno run bench/_metrics_request.ts FILE`: writes the request for the load client.
  await Deno.writeFile(Deno.args[0]!, metricsRequest());
}
