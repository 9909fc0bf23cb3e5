/**
 * OTLP fidelity of metrics through the API (issue 19), on each test database: the official
 * OpenTelemetry JS SDK's metric exporters (gRPC, HTTP/protobuf, HTTP/JSON), and raw requests
 * (OTLP/JSON, and the same request as protobuf) carrying what no SDK sets: resource entity refs,
 * scope and resource dropped counts, and NUL characters and the escape character U+E000 in the
 * metric's name, description and unit and its scope's name, version and schema URL. Each
 * instrument is found through `GET /api/instruments` (by its service and a part of its name that
 * holds U+E000), read through `GET /api/instruments/{key}` and its chart, and compared field by
 * field with what was sent, as docs/api.md ("Every OTLP field", "Stored metrics") says it is
 * answered.
 */
import assert from "node:assert/strict";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { type ArgusProcess, getJson } from "./argus_process.ts";
import { selectedDrivers } from "./databases.ts";
import { withArgusOn } from "./argus_on_database.ts";
import { encodeAs, type MetricsFormat, postMetrics } from "./metric_requests.ts";
import {
  attributesIn,
  expectedAttributes,
  LONG,
  NUL,
  RAW_RESOURCE,
  rawResource,
  RESOURCE_SCHEMA,
  SCOPE_SCHEMA,
  SDK_TRANSPORTS,
  type Transport,
} from "./otlp_expected.ts";

// deno-lint-ignore no-explicit-any
type WireItem = any;

/**
 * The instruments of `service` whose name contains `q`, through `GET /api/instruments`, once
 * there are some.
 */
async function instrumentsOf(argus: ArgusProcess, service: string, q: string) {
  const path = `/api/instruments?range=1h&service=${encodeURIComponent(service)}&q=${
    encodeURIComponent(q)
  }`;
  for (let attempt = 0;; attempt++) {
    const list = await getJson<WireItem>(argus, path);
    if (list.instruments.length > 0 || attempt === 100) return list.instruments as WireItem[];
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One instrument through its detail and its chart: the same instrument, and its resource. */
async function readBack(argus: ArgusProcess, listed: WireItem) {
  const detail = await getJson<WireItem>(argus, `/api/instruments/${listed.key}?range=1h`);
  const chart = await getJson<WireItem>(argus, `/api/instruments/${listed.key}/chart?range=1h`);
  assert.deepEqual(detail.instrument, listed);
  assert.deepEqual(chart.instrument, listed);
  return detail;
}

/** The instrument as answered, without its seen times (minutes, not sent). */
function withoutTimes(instrument: WireItem) {
  return { ...instrument, first_seen: undefined, last_seen: undefined };
}

// ------------------------------------------------------------------------------------------------
// The SDK.

const SDK_RESOURCE = {
  "service.version": "2.3.1",
  "host.name": "hôte-01",
};

/** One counter recorded by the JS SDK for `service`, exported through `transport`. */
async function sendWithSdk(argus: ArgusProcess, transport: Transport, service: string) {
  const resource = resourceFromAttributes(
    { "service.name": service, ...SDK_RESOURCE },
    { schemaUrl: RESOURCE_SCHEMA },
  );
  const provider = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({
        exporter: transport.metricExporter(argus),
        exportIntervalMillis: 3_600_000,
      }),
    ],
  });
  const meter = provider.getMeter("fidelity-meter", "7.8.9", { schemaUrl: SCOPE_SCHEMA });
  const counter = meter.createCounter("orders.placed", {
    description: "Orders placed ✓",
    unit: "{order}",
  });
  counter.add(3, { "order.kind": "express" });
  // Exports, and throws when the export failed.
  await provider.forceFlush();
  await provider.shutdown();
  return resource;
}

async function checkSdk(argus: ArgusProcess, transport: Transport) {
  const service = `sdk-metrics-${transport.key}`;
  const resource = await sendWithSdk(argus, transport, service);
  const [listed, ...others] = await instrumentsOf(argus, service, "orders");
  assert.ok(listed, `${transport.key}: the counter is listed`);
  assert.deepEqual(others, []);
  assert.deepEqual(withoutTimes(listed), {
    key: listed.key,
    service_name: service,
    scope_name: "fidelity-meter",
    scope_version: "7.8.9",
    scope: {
      name: "fidelity-meter",
      version: "7.8.9",
      attributes: {},
      dropped_attributes_count: 0,
      schema_url: SCOPE_SCHEMA,
    },
    name: "orders.placed",
    description: "Orders placed ✓",
    unit: "{order}",
    type: "sum",
    temporality: "cumulative",
    monotonic: true,
    first_seen: undefined,
    last_seen: undefined,
    series_count: 1,
  }, transport.key);
  const detail = await readBack(argus, listed);
  assert.deepEqual({
    resource_attributes: detail.resource_attributes,
    resource: detail.resource,
    attributes: detail.attributes,
  }, {
    resource_attributes: attributesIn("plain", expectedAttributes(resource.attributes)),
    resource: { schema_url: RESOURCE_SCHEMA, dropped_attributes_count: 0, entity_refs: [] },
    attributes: [{ key: "order.kind", values: ["express"] }],
  }, transport.key);
}

// ------------------------------------------------------------------------------------------------
// Raw requests: what no SDK sets.

const BASE_NS = BigInt(Date.now() - 60_000) * 1_000_000n;

// Texts with a NUL, and wider than their columns (kept whole: store/long_text.ts).
const RAW_SCOPE_NAME = LONG(NUL("raw-meter"), 1024);
const RAW_SCOPE_VERSION = LONG(NUL("0.1"), 256);
const RAW_NAME = LONG(NUL("raw.gauge"), 256);
const RAW_UNIT = LONG(NUL("{unit}"), 256);

function rawMetrics(service: string) {
  return {
    resourceMetrics: [{
      ...rawResource(service),
      scopeMetrics: [{
        scope: {
          name: RAW_SCOPE_NAME,
          version: RAW_SCOPE_VERSION,
          attributes: [{ key: "scope.kind", value: { stringValue: "raw" } }],
          droppedAttributesCount: 5,
        },
        schemaUrl: NUL(SCOPE_SCHEMA),
        metrics: [{
          name: RAW_NAME,
          description: NUL("described"),
          unit: RAW_UNIT,
          gauge: {
            dataPoints: [{
              timeUnixNano: String(BASE_NS),
              asInt: "7",
              attributes: [{ key: "probe", value: { stringValue: "p-1" } }],
            }],
          },
        }],
      }],
    }],
  };
}

async function checkRaw(argus: ArgusProcess, format: MetricsFormat) {
  // U+E000 in the service: a filter by it finds the stored (escaped) text too.
  const service = `raw-metrics-${format} \uE000`;
  const response = await postMetrics(
    argus.otlpHttpUrl,
    encodeAs(rawMetrics(service), format),
    format,
  );
  const text = await response.text();
  assert.equal(response.status, 200, text);
  assert.doesNotMatch(text, /rejected/i);
  // A part of the name with U+E000 (a NUL cannot be in a query: a 400).
  const [listed, ...others] = await instrumentsOf(argus, service, "nul \uE000 escape");
  assert.ok(listed, `${format}: the gauge is listed by a part of its name`);
  assert.deepEqual(others, []);
  assert.deepEqual(withoutTimes(listed), {
    key: listed.key,
    service_name: service,
    scope_name: RAW_SCOPE_NAME,
    scope_version: RAW_SCOPE_VERSION,
    scope: {
      name: RAW_SCOPE_NAME,
      version: RAW_SCOPE_VERSION,
      attributes: { "scope.kind": "raw" },
      dropped_attributes_count: 5,
      schema_url: NUL(SCOPE_SCHEMA),
    },
    name: RAW_NAME,
    description: NUL("described"),
    unit: RAW_UNIT,
    type: "gauge",
    temporality: "none",
    monotonic: false,
    first_seen: undefined,
    last_seen: undefined,
    series_count: 1,
  }, format);
  const detail = await readBack(argus, listed);
  assert.deepEqual({
    resource_attributes: detail.resource_attributes,
    resource: detail.resource,
    attributes: detail.attributes,
  }, {
    resource_attributes: { "service.name": service, "host.id": "h-1" },
    resource: RAW_RESOURCE,
    attributes: [{ key: "probe", values: ["p-1"] }],
  }, format);
}

for (const driver of selectedDrivers()) {
  Deno.test(`[${driver}] every OTLP field of a metric comes back through the API: the JS SDK over gRPC, HTTP/protobuf and HTTP/JSON, and raw OTLP/JSON and protobuf`, async () => {
    await withArgusOn(driver, { FLUSH_INTERVAL: "20ms" }, async (argus) => {
      for (const transport of SDK_TRANSPORTS) await checkSdk(argus, transport);
      await checkRaw(argus, "json");
      await checkRaw(argus, "protobuf");
    });
  });
}
