/**
 * The HTTP API's contract (../shared/spec/api.md and docs/api.md) on every selected database,
 * with data ingested through the real OTLP/HTTP path: shapes, units, filters, sorting,
 * pagination, windows, the service map of a three-service call chain, and hostile parameters.
 */
import assert from "node:assert/strict";
import { startArgus } from "./argus_process.ts";
import { argusDatabaseEnv, freshDatabase, selectedDrivers } from "./databases.ts";
import { hex, random } from "./builders.ts";
import {
  type JsonLog,
  type JsonSpan,
  logsRequest,
  postJson,
  stringAttribute,
  traceRequest,
} from "./otlp_payloads.ts";

const CHAINS = 12;
/** One chain in four fails: inventory errors, and every span above it. */
const FAILING = (i: number) => i % 4 === 0;
const QUOTED = `it's "quoted"`;

type Service = "order-service" | "payment-service" | "inventory-service";

/** 12 call chains order → payment → inventory, 5 s apart from two minutes ago, by service. */
function dataset(nowMs: number) {
  const rand = random(2026);
  const spans: Record<Service, JsonSpan[]> = {
    "order-service": [],
    "payment-service": [],
    "inventory-service": [],
  };
  const t0 = BigInt(nowMs - 120_000) * 1_000_000n;
  const ms = (n: number) => BigInt(n) * 1_000_000n;
  for (let i = 0; i < CHAINS; i++) {
    const traceId = hex(rand, 32);
    const start = t0 + ms(i * 5000);
    const failing = FAILING(i);
    let parent = "";
    const add = (service: Service, name: string, kind: number, at: number, duration: number) => {
      const span: JsonSpan = {
        traceId,
        spanId: hex(rand, 16),
        parentSpanId: parent,
        name,
        kind,
        startTimeUnixNano: (start + ms(at)).toString(),
        endTimeUnixNano: (start + ms(at + duration)).toString(),
        attributes: [
          stringAttribute("http.request.method", "POST"),
          { key: "http.response.status_code", value: { intValue: failing ? "500" : "200" } },
          stringAttribute("note", QUOTED),
        ],
        status: failing ? { code: 2, message: "Database Lock" } : { code: 0 },
      };
      spans[service].push(span);
      parent = span.spanId;
    };
    add("order-service", "POST /orders", 2, 0, 400);
    add("order-service", "POST", 3, 10, 380);
    add("payment-service", "POST /pay", 2, 20, 300);
    add("payment-service", "POST", 3, 30, 280);
    add("inventory-service", "POST /reserve", 2, 40, 200);
  }
  const first = spans["order-service"][0]!;
  const at = (n: number) => (t0 + ms(n)).toString();
  const logs: JsonLog[] = [
    { timeUnixNano: at(1000), severityNumber: 9, body: { stringValue: "100% off_sale applied" } },
    { timeUnixNano: at(2000), severityNumber: 9, body: { stringValue: "100 percent offXsale" } },
    { timeUnixNano: at(3000), severityNumber: 13, body: { stringValue: `O'Brien said "hi"` } },
    {
      timeUnixNano: at(4000),
      severityNumber: 17,
      body: { stringValue: "payment failed" },
      traceId: first.traceId,
      spanId: first.spanId,
    },
    { timeUnixNano: at(5000), severityNumber: 5, body: { stringValue: "cache warm" } },
  ];
  return { spans, logs };
}

for (const driver of selectedDrivers()) {
  Deno.test(`[${driver}] the HTTP API answers its contract over data ingested through OTLP`, async (t) => {
    const database = await freshDatabase(driver);
    const cwd = await Deno.makeTempDir({ prefix: "argus-contract-" });
    const env = argusDatabaseEnv(driver, database);
    const argus = await startArgus({ FLUSH_INTERVAL: "10ms", ...env }, cwd);
    const get = async (path: string) => {
      const response = await fetch(`${argus.baseUrl}${path}`);
      return { status: response.status, body: await response.json() };
    };
    const ok = async (path: string) => {
      const { status, body } = await get(path);
      assert.equal(status, 200, `${path}: ${JSON.stringify(body)}`);
      return body;
    };
    try {
      // Nothing received yet: no newest data (the pages then show how to send some).
      assert.deepEqual(await ok("/api/metadata/latest"), { latest_time: null });
      const { spans, logs } = dataset(Date.now());
      // Each service exports on its own schedule: callees first, as their spans end first.
      for (const service of ["inventory-service", "payment-service", "order-service"] as const) {
        const sent = await postJson(
          argus.otlpHttpUrl,
          "traces",
          traceRequest(spans[service], service),
        );
        assert.equal(sent.status, 200);
      }
      assert.equal(
        (await postJson(argus.otlpHttpUrl, "logs", logsRequest(logs, "order-service"))).status,
        200,
      );
      const orders = spans["order-service"].filter((s) => s.parentSpanId === "");

      await t.step("services and stats", async () => {
        assert.deepEqual(await ok("/api/metadata/services"), {
          services: ["inventory-service", "order-service", "payment-service"],
        });
        assert.deepEqual(await ok("/api/stats"), {
          total_traces: CHAINS,
          total_spans: CHAINS * 5,
          total_logs: logs.length,
          total_errors: 3 * 5,
          active_services: 3,
        });
        assert.equal((await ok("/api/stats?service=payment-service")).total_spans, CHAINS * 2);
        // The newest data's minute: a whole minute, among the dataset's.
        const newest = Date.parse((await ok("/api/metadata/latest")).latest_time);
        const times = [
          ...Object.values(spans).flat().map((s) =>
            Number(BigInt(s.startTimeUnixNano) / 1_000_000n)
          ),
          ...logs.map((l) => Number(BigInt(l.timeUnixNano) / 1_000_000n)),
        ];
        assert.equal(newest % 60_000, 0);
        assert.equal(newest, Math.floor(Math.max(...times) / 60_000) * 60_000);
      });

      await t.step("dashboard: the seed's shape and units", async () => {
        const body = await ok("/api/metrics/dashboard?range=15m");
        assert.deepEqual(Object.keys(body).sort(), [
          "active_services",
          "avg_latency_ms",
          "error_origins",
          "error_rate",
          "error_spans",
          "failed_requests",
          "p99_latency",
          "top_failing_services",
          "total_errors",
          "total_logs",
          "total_traces",
        ]);
        assert.equal(body.total_traces, CHAINS);
        assert.equal(body.total_logs, logs.length);
        assert.equal(body.total_errors, 9); // the failing requests of three services
        assert.equal(body.error_rate, 25); // a percentage
        assert.equal(body.avg_latency_ms, 300); // (400 + 300 + 200) / 3 ms
        assert.ok(
          body.p99_latency > 362_000 && body.p99_latency <= 512_000,
          `${body.p99_latency} µs`,
        );
        assert.equal(body.active_services, 3);
        assert.deepEqual(
          body.top_failing_services.map((s: Record<string, unknown>) => [
            s.service_name,
            s.error_count,
            s.total_count,
            s.error_rate,
          ]).sort(),
          [
            ["inventory-service", 3, 12, 0.25],
            ["order-service", 3, 12, 0.25],
            ["payment-service", 3, 12, 0.25],
          ],
        );
        // Each failed chain is one failed request (its root failed) and five error spans; its
        // errors start in inventory-service, the deepest failing span.
        assert.equal(body.failed_requests, 3);
        assert.equal(body.error_spans, 15);
        assert.deepEqual(body.error_origins, {
          services: [{ service_name: "inventory-service", traces: 3 }],
          failed_traces: 3,
          examined_spans: 15,
          limited: false,
        });
        const few = await ok("/api/metrics/dashboard?range=15m&origin_limit=4");
        assert.equal(few.error_origins.examined_spans, 4);
        assert.equal(few.error_origins.limited, true);
        const empty = await ok("/api/metrics/dashboard?start=0&end=60000");
        assert.equal(empty.total_traces, 0);
        assert.equal(empty.p99_latency, 0);
        assert.deepEqual(empty.top_failing_services, []);
      });

      await t.step("service map: nodes and the edges of the call chain", async () => {
        const map = await ok("/api/metrics/service-map");
        assert.deepEqual(
          map.nodes.map((n: Record<string, unknown>) => [n.id, n.requests, n.errors, n.error_rate]),
          [
            ["inventory-service", 12, 3, 0.25],
            ["order-service", 12, 3, 0.25],
            ["payment-service", 12, 3, 0.25],
          ],
        );
        assert.equal(map.nodes[0].avg_latency_ms, 200);
        assert.ok(map.nodes[0].p99_latency_ms > 181 && map.nodes[0].p99_latency_ms <= 256);
        assert.deepEqual(map.edges, [
          {
            source: "order-service",
            target: "payment-service",
            calls: 12,
            errors: 3,
            error_rate: 0.25,
            avg_latency_ms: 300,
          },
          {
            source: "payment-service",
            target: "inventory-service",
            calls: 12,
            errors: 3,
            error_rate: 0.25,
            avg_latency_ms: 200,
          },
        ]);
        const around = await ok("/api/metrics/service-map?service=inventory-service");
        assert.deepEqual(around.nodes.map((n: { id: string }) => n.id), [
          "inventory-service",
          "payment-service",
        ]);
        assert.equal(around.edges.length, 1);
      });

      await t.step("traffic and the latency heatmap", async () => {
        const traffic = await ok("/api/metrics/traffic");
        // The step holding now is still in progress; a window in the past has none.
        assert.equal(traffic.partial_time, traffic.points.at(-1).time);
        assert.equal((await ok("/api/metrics/traffic?start=0&end=600000")).partial_time, null);
        assert.equal(traffic.step_seconds, 60);
        const requests = (service: string, points: Record<string, unknown>[]) =>
          points.filter((p) => p.service_name === service)
            .reduce((sum, p) => sum + (p.requests as number), 0);
        assert.equal(requests("order-service", traffic.points), 12);
        assert.equal(
          traffic.points.reduce((sum: number, p: { errors: number }) => sum + p.errors, 0),
          9,
        );
        assert.match(traffic.points[0].time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000000000Z$/);
        const coarse = await ok("/api/metrics/traffic?range=1h&step=15m");
        assert.equal(coarse.step_seconds, 900);
        assert.equal(requests("payment-service", coarse.points), 12);
        assert.equal((await ok("/api/metrics/traffic?range=24h")).step_seconds, 3600);
        assert.equal((await ok("/api/metrics/traffic?range=1h")).step_seconds, 120);

        const heat = await ok("/api/metrics/latency_heatmap?service=order-service");
        assert.equal(heat.latency_buckets_ms.length, 38);
        assert.equal(heat.latency_buckets_ms.at(-1), null);
        // One step a minute over the 5 minutes back from now (6 when "now" is inside a minute).
        assert.equal(heat.step_seconds, 60);
        assert.ok(heat.times.length === 5 || heat.times.length === 6, `${heat.times.length} steps`);
        assert.equal(
          heat.cells.reduce((sum: number, c: number[]) => sum + c[2]!, 0),
          12,
        );
        for (const [time, bucket] of heat.cells) {
          assert.ok(time! < heat.times.length && heat.latency_buckets_ms[bucket!] >= 400);
        }
      });

      await t.step("trace list: filters, sorting and pagination", async () => {
        const all = await ok("/api/traces");
        assert.equal(all.total, CHAINS);
        assert.deepEqual(Object.keys(all).sort(), [
          "items",
          "limit",
          "offset",
          "total",
          "total_capped",
        ]);
        assert.equal(all.total_capped, false);
        const item = all.items.find((i: { trace_id: string }) => i.trace_id === orders[0]!.traceId);
        assert.deepEqual(
          { ...item, start_time: undefined, start_time_unix_nano: undefined },
          {
            trace_id: orders[0]!.traceId,
            root_service: "order-service",
            root_name: "POST /orders",
            start_time: undefined,
            start_time_unix_nano: undefined,
            duration_ms: 400,
            span_count: 5,
            error_count: 5,
            services: ["inventory-service", "order-service", "payment-service"],
            // Every span of this chain fails: its errors start at the deepest, inventory-service.
            error_services: ["inventory-service"],
          },
        );
        // Newest first by default; oldest first on request.
        const starts = all.items.map((i: { start_time_unix_nano: string }) =>
          BigInt(i.start_time_unix_nano)
        );
        assert.deepEqual(starts, [...starts].sort((a, b) => (a < b ? 1 : -1)));
        const asc = await ok("/api/traces?sort=start_time&order=asc&limit=1");
        assert.equal(asc.items[0].trace_id, orders[0]!.traceId);
        const page = await ok("/api/traces?limit=5&offset=10");
        assert.equal(page.items.length, 2);
        assert.equal(page.total, CHAINS);
        assert.equal((await ok("/api/traces?sort=span_count")).items.length, CHAINS);
        assert.equal((await ok("/api/traces?sort=duration&order=asc")).items[0].duration_ms, 400);

        const count = async (query: string) => (await ok(`/api/traces?${query}`)).total;
        assert.equal(await count("status=error"), 3);
        assert.equal(await count("status=ok"), 9);
        assert.equal(await count("service=inventory-service"), CHAINS);
        assert.equal(await count("search=RESERVE"), CHAINS);
        assert.equal(await count("search=%25"), 0); // a literal %
        assert.equal(await count("search=_"), 0); // a literal _
        assert.equal(await count("min_duration_ms=399.5"), CHAINS);
        assert.equal(await count("max_duration_ms=100"), 0);
        assert.equal(await count("attr=http.response.status_code=500"), 3);
        assert.equal(await count("attr=http.response.status_code=50"), 0);
        assert.equal(
          await count("attr=http.request.method=POST&attr=http.response.status_code=200"),
          9,
        );
        assert.equal(await count(`attr=note=${encodeURIComponent(QUOTED)}`), CHAINS);
        assert.equal(await count("search=' or 1=1 --"), 0);
      });

      await t.step("trace by id and 404", async () => {
        const trace = await ok(`/api/traces/${orders[1]!.traceId}`);
        assert.equal(trace.spans.length, 5);
        const ids = trace.spans.map((s: { span_id: string }) => s.span_id);
        for (const span of trace.spans.slice(1)) assert.ok(ids.includes(span.parent_span_id));
        assert.equal((await get(`/api/traces/${"0".repeat(32)}`)).status, 404);
      });

      await t.step("logs: search matches text literally, ignoring case", async () => {
        const search = async (text: string) =>
          (await ok(`/api/logs?search=${encodeURIComponent(text)}`)).items.map((
            l: { body: string },
          ) => l.body);
        assert.deepEqual(await search("100%"), ["100% off_sale applied"]);
        assert.deepEqual(await search("off_sale"), ["100% off_sale applied"]);
        assert.deepEqual(await search(`o'brien SAID "HI"`), [`O'Brien said "hi"`]);
        assert.deepEqual(await search("'; drop table logs; --"), []);
        const errors = await ok("/api/logs?severity=error");
        assert.equal(errors.total, 1);
        assert.equal(errors.items[0].trace_id, orders[0]!.traceId);
        const context = await ok(`/api/logs/context?id=${errors.items[0].id}`);
        assert.equal(context.anchor.id, errors.items[0].id);
        assert.equal(context.before.length + context.after.length, 4);
        assert.equal((await get(`/api/logs/context?id=${"a".repeat(32)}`)).status, 404);
      });

      await t.step("hostile parameters get a 400 that names them", async () => {
        const cases: [string, RegExp][] = [
          [
            "/api/traces?sort=start_time;drop%20table%20spans",
            /'sort'.*start_time, duration, span_count/,
          ],
          ["/api/traces?order=sideways", /'order' as it must be asc or desc/],
          ["/api/traces?limit=-1", /'limit' as it must be an integer from 1 to 1000/],
          ["/api/traces?limit=0", /'limit'/],
          ["/api/logs?limit=1001", /'limit'/],
          ["/api/logs?limit=99999999999999999999", /'limit'/],
          ["/api/logs?offset=-5", /'offset'/],
          [
            "/api/metrics/dashboard?range=1y",
            /'range' as it must be one of 5m, 15m, 1h, 6h, 24h, 2d, 7d, or a whole number/,
          ],
          ["/api/stats?start=0&end=99999999999999", /QUERY_MAX_WINDOW/],
          ["/api/traces?status=maybe", /'status' as it must be ok or error/],
          ["/api/traces?attr=novalue", /'attr' as it must be key=value/],
          ["/api/traces?min_duration_ms=-3", /'min_duration_ms'/],
          ["/api/metrics/traffic?step=90", /'step' as it must be a whole number of minutes/],
          [
            "/api/metrics/dashboard?origin_limit=0",
            /'origin_limit' as it must be an integer from 1 to 20000: current value is "0"/,
          ],
          ["/api/metrics/traffic?range=24h&step=1s", /'step'/],
          ["/api/logs?severity=loud", /'severity'/],
          ["/api/logs?search=" + "x".repeat(300), /'search' as it must be at most 256/],
        ];
        for (const [path, message] of cases) {
          const { status, body } = await get(path);
          assert.equal(status, 400, path);
          assert.match(body.error, message, path);
        }
        // Nothing was lost or changed by them.
        assert.equal((await ok("/api/stats")).total_spans, CHAINS * 5);
      });
    } finally {
      assert.equal(await argus.stop(), 0);
      await database.drop();
      await Deno.remove(cwd, { recursive: true });
    }
  });
}
