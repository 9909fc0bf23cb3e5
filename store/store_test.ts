/**
 * The storage suite, run against every selected database (see tests/databases.ts): migrations,
 * full-fidelity round trips, idempotent writes, per-row rejection and the reads.
 */
import assert from "node:assert/strict";
import { createStore, type Store, StoreUnavailableError } from "./mod.ts";
import type { LogRow, ResourceRow, SpanRow, StoredLog, StoredSpan } from "./mod.ts";
import { COLUMN_WIDTHS } from "./mod.ts";
import { wholeText } from "./long_text.ts";
import {
  BASE_TIME_NS,
  buildBatch,
  buildLog,
  buildResource,
  buildSpan,
  random,
} from "../tests/builders.ts";
import {
  databaseConfig,
  freshDatabase,
  selectedDrivers,
  type TestableDriver,
} from "../tests/databases.ts";

const ALL_TIME = { startNs: 0n, endNs: (1n << 63n) - 1n };
const PAGE = { limit: 1000, offset: 0 };

/** Runs `fn` with a migrated store on a fresh database, and drops the database afterwards. */
async function withStore(driver: TestableDriver, fn: (store: Store) => Promise<void>) {
  const database = await freshDatabase(driver);
  const store = await createStore(database.config, { dataDir: database.dataDir });
  try {
    await store.migrate();
    await fn(store);
  } finally {
    await store.close();
    await database.drop();
  }
}

function withoutResource<T extends StoredSpan | StoredLog>(row: T): Omit<T, "resource"> {
  const { resource: _, ...rest } = row;
  return rest;
}

for (const driver of selectedDrivers()) {
  Deno.test(`[${driver}] migrate() creates the schema once and is safe to run again`, async () => {
    const database = await freshDatabase(driver);
    try {
      const first = await createStore(database.config, { dataDir: database.dataDir });
      assert.deepEqual((await first.migrate()).applied, [
        "2026-11-26_initial_schema",
        "2026-11-26_rollups",
        "2026-11-26_rollups_hourly",
        "2026-12-06_operation_latency_rollups",
        "2026-12-06_root_errors",
        "2026-12-06_trace_summaries",
        "2026-12-07_log_text_index",
        "2026-12-08_attribute_index",
        "2026-12-09_trace_outline_index",
        "2026-12-10_trace_span_names",
        "2026-12-11_metrics",
        "2026-12-12_metric_rollups",
        "2026-12-13_metric_points_by_instrument",
        "2026-12-14_replicas",
        "2026-12-15_time_partitions",
        "2026-12-16_otlp_fidelity",
        "2026-12-17_long_text",
        "2026-12-18_metric_fidelity",
        "2026-12-19_metric_partitions",
        "2026-12-20_trace_keys",
        "2026-12-21_spans_by_trace_key",
      ]);
      assert.deepEqual((await first.migrate()).applied, []);
      const batch = buildBatch(3, 3);
      await first.write(batch);
      await first.close();

      // A second process starting on the existing database: nothing to apply, data intact.
      const second = await createStore(database.config, { dataDir: database.dataDir });
      assert.deepEqual((await second.migrate()).applied, []);
      assert.equal(await second.countSpans(ALL_TIME), 3);
      assert.equal(await second.countLogs(ALL_TIME), 3);
      await second.close();
    } finally {
      await database.drop();
    }
  });

  Deno.test(`[${driver}] migrate() from several processes at once applies the schema once`, async () => {
    const database = await freshDatabase(driver);
    try {
      const runs = [1, 2, 3].map(() =>
        new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            new URL("../tests/fixtures/migrate_once.ts", import.meta.url).pathname,
            driver,
            database.config.dsn,
            database.dataDir,
          ],
          stdout: "piped",
          stderr: "piped",
        }).output()
      );
      const outputs = await Promise.all(runs);
      const applied = outputs.flatMap((o) => {
        assert.equal(o.code, 0, new TextDecoder().decode(o.stderr));
        return JSON.parse(new TextDecoder().decode(o.stdout)) as string[];
      });
      assert.deepEqual(applied, [
        "2026-11-26_initial_schema",
        "2026-11-26_rollups",
        "2026-11-26_rollups_hourly",
        "2026-12-06_operation_latency_rollups",
        "2026-12-06_root_errors",
        "2026-12-06_trace_summaries",
        "2026-12-07_log_text_index",
        "2026-12-08_attribute_index",
        "2026-12-09_trace_outline_index",
        "2026-12-10_trace_span_names",
        "2026-12-11_metrics",
        "2026-12-12_metric_rollups",
        "2026-12-13_metric_points_by_instrument",
        "2026-12-14_replicas",
        "2026-12-15_time_partitions",
        "2026-12-16_otlp_fidelity",
        "2026-12-17_long_text",
        "2026-12-18_metric_fidelity",
        "2026-12-19_metric_partitions",
        "2026-12-20_trace_keys",
        "2026-12-21_spans_by_trace_key",
      ]);
    } finally {
      await database.drop();
    }
  });

  Deno.test(`[${driver}] a batch round trip preserves every field`, async () => {
    await withStore(driver, async (store) => {
      const rand = random(7);
      const resource = buildResource("café-сервис-服务-🚀", {
        attributes: JSON.stringify({ "service.name": "café-сервис-服务-🚀", "emoji": "👩‍💻", n: 1 }),
        droppedAttributesCount: 3,
        schemaUrl: "",
      });
      const plain = buildResource("plain");
      const maxTime = (1n << 63n) - 1n;
      const spans: SpanRow[] = [
        buildSpan(resource, {
          // Past 2^53 and odd: a JS number would round it.
          startTimeUnixNano: 9_007_199_254_740_993n,
          endTimeUnixNano: 9_007_199_254_740_993n + 123_456_789n,
          name: "ünïcödé ✓ 名前 " + "n".repeat(COLUMN_WIDTHS.name - 13),
          parentSpanId: "00f067aa0ba902b7",
          traceState: "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7",
          kind: 5,
          statusCode: 2,
          statusMessage: "boom: 'quotes' \"double\" \\ backslash\nnewline\ttab",
          scopeName: "s".repeat(COLUMN_WIDTHS.scopeName),
          scopeVersion: "v".repeat(COLUMN_WIDTHS.scopeVersion),
          scopeAttributes: JSON.stringify({ "scope.attr": true }),
          events: JSON.stringify([{ name: "exception", timeUnixNano: "1795687200000000001" }]),
          links: JSON.stringify([{
            traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
            spanId: "00f067aa0ba902b7",
          }]),
          attributes: "x".repeat(200_000),
          droppedAttributesCount: 2_147_483_647,
          droppedEventsCount: 1,
          droppedLinksCount: 2,
          flags: 0xffffffff,
        }, rand),
        buildSpan(plain, {
          startTimeUnixNano: 0n,
          endTimeUnixNano: maxTime,
          name: "",
          statusMessage: "",
          attributes: "{}",
          flags: 0,
        }, rand),
      ];
      const logs: LogRow[] = [
        buildLog(resource, {
          // The last nanosecond a half-open window [0, 2^63-1) still includes.
          timeUnixNano: maxTime - 1n,
          observedTimeUnixNano: 9_007_199_254_740_993n,
          severityNumber: 24,
          severityText: "F".repeat(COLUMN_WIDTHS.severityText),
          body: "Zürich → 東京 🚄 «quoted» 'single' \"double\" % _ \\",
          eventName: "order.accepted",
          spanId: "00f067aa0ba902b7",
          flags: 0xffffffff,
          droppedAttributesCount: 5,
        }, rand),
        buildLog(plain, {
          body: JSON.stringify({ kvlistValue: { values: [] } }),
          bodyType: "kvlist",
          traceId: "",
          spanId: "",
          severityNumber: 0,
          severityText: "",
          timeUnixNano: 0n,
          observedTimeUnixNano: 0n,
        }, rand),
      ];
      const written = await store.write({ resources: [resource, plain], spans, logs });
      assert.deepEqual(written, {
        spans: { inserted: 2, duplicates: 0, rejected: [] },
        logs: { inserted: 2, duplicates: 0, rejected: [] },
      });

      const resources = new Map<string, ResourceRow>([[resource.id, resource], [plain.id, plain]]);
      for (const span of spans) {
        const [stored] = await store.traceSpans(span.traceId);
        assert.ok(stored, `span ${span.spanId} is stored`);
        assert.deepEqual(withoutResource(stored), span);
        assert.deepEqual(stored.resource, resources.get(span.resourceId));
      }
      const storedLogs = await store.logs(ALL_TIME, PAGE);
      assert.equal(storedLogs.length, 2);
      for (const log of logs) {
        const stored = storedLogs.find((l) => l.id === log.id);
        assert.ok(stored, `log ${log.id} is stored`);
        assert.deepEqual(withoutResource(stored), log);
        assert.deepEqual(stored.resource, resources.get(log.resourceId));
      }
    });
  });

  Deno.test(`[${driver}] a batch written twice is stored once`, async () => {
    await withStore(driver, async (store) => {
      const batch = buildBatch(250, 250, 11);
      const first = await store.write(batch);
      assert.equal(first.spans.inserted, 250);
      assert.equal(first.logs.inserted, 250);
      const second = await store.write(batch);
      assert.deepEqual(second, {
        spans: { inserted: 0, duplicates: 250, rejected: [] },
        logs: { inserted: 0, duplicates: 250, rejected: [] },
      });
      // Repeats inside one batch, mixed with new rows.
      const more = buildBatch(10, 10, 12);
      const mixed = await store.write({
        resources: [...batch.resources, ...more.resources],
        spans: [...more.spans, batch.spans[0]!, more.spans[0]!],
        logs: [...more.logs, batch.logs[0]!, more.logs[0]!],
      });
      assert.deepEqual(mixed.spans, { inserted: 10, duplicates: 2, rejected: [] });
      assert.deepEqual(mixed.logs, { inserted: 10, duplicates: 2, rejected: [] });
      assert.equal(await store.countSpans(ALL_TIME), 260);
      assert.equal(await store.countLogs(ALL_TIME), 260);
      // A repeat inside one multi-row statement (SQLite writes 16 rows per statement).
      const block = buildBatch(40, 40, 13);
      block.spans[5] = block.spans[2]!;
      block.logs[7] = block.logs[3]!;
      const blockResult = await store.write(block);
      assert.deepEqual(blockResult.spans, { inserted: 39, duplicates: 1, rejected: [] });
      assert.deepEqual(blockResult.logs, { inserted: 39, duplicates: 1, rejected: [] });
    });
  });

  Deno.test(`[${driver}] bad values are rejected one by one and their neighbours stored`, async () => {
    await withStore(driver, async (store) => {
      const rand = random(3);
      const resource = buildResource("checkout");
      const badResource = buildResource("lone \udc00 service");
      const good = () => buildSpan(resource, {}, rand);
      const spans = [
        good(),
        buildSpan(resource, { name: "nul\u0000byte" }, rand),
        good(),
        buildSpan(resource, { attributes: JSON.stringify({ big: "y".repeat(1_048_577) }) }, rand),
        buildSpan(resource, { statusMessage: "lone \ud800 surrogate" }, rand),
        buildSpan(resource, { traceId: "NOT-HEX" }, rand),
        buildSpan(badResource, {}, rand),
        good(),
      ];
      const logs = [
        buildLog(resource, { body: "ok" }, rand),
        buildLog(resource, { body: "bad\u0000body" }, rand),
        buildLog(resource, { severityNumber: 99 }, rand),
      ];
      const result = await store.write({ resources: [resource, badResource], spans, logs });
      assert.equal(result.spans.inserted, 3);
      assert.deepEqual(result.spans.rejected.map((r) => r.index), [1, 3, 4, 5, 6]);
      const reasons = result.spans.rejected.map((r) => r.reason);
      assert.match(reasons[0]!, /^span name must not contain a NUL character \(U\+0000\)$/);
      assert.match(reasons[1]!, /^attributes must be at most 1048576 bytes: it has 10485\d\d$/);
      assert.match(
        reasons[2]!,
        /^status message must be valid Unicode: it contains a lone surrogate$/,
      );
      assert.match(
        reasons[3]!,
        /^trace_id must be 32 lower-case hex characters: current value is "NOT-HEX"$/,
      );
      assert.match(
        reasons[4]!,
        /^its resource cannot be stored: service.name must be valid Unicode: it contains a lone surrogate$/,
      );
      assert.equal(result.logs.inserted, 1);
      assert.deepEqual(result.logs.rejected.map((r) => r.index), [1, 2]);
      assert.match(
        result.logs.rejected[1]!.reason,
        /^severity number must be an integer from 0 to 24: current value is 99$/,
      );

      const stored = await store.spans(ALL_TIME, PAGE);
      assert.deepEqual(
        stored.map((s) => s.spanId).sort(),
        [spans[0]!, spans[2]!, spans[7]!].map((s) => s.spanId).sort(),
      );
      assert.equal(await store.countLogs(ALL_TIME), 1);
    });
  });

  Deno.test(`[${driver}] text wider than its column is stored cut to it and kept whole`, async () => {
    await withStore(driver, async (store) => {
      const rand = random(4);
      const long = (c: string, width: number) => c.repeat(width - 2) + "é😀" + c.repeat(50);
      const serviceName = long("s", COLUMN_WIDTHS.serviceName);
      const resource = buildResource(serviceName);
      const span = buildSpan(resource, {
        serviceName,
        name: long("n", COLUMN_WIDTHS.name),
        scopeName: long("c", COLUMN_WIDTHS.scopeName),
        scopeVersion: long("v", COLUMN_WIDTHS.scopeVersion),
      }, rand);
      const log = buildLog(resource, {
        serviceName,
        severityText: long("t", COLUMN_WIDTHS.severityText),
        eventName: long("e", COLUMN_WIDTHS.eventName),
      }, rand);
      const sent = { span: { ...span }, log: { ...log } };
      const result = await store.write({ resources: [resource], spans: [span], logs: [log] });
      assert.deepEqual(result.spans, { inserted: 1, duplicates: 0, rejected: [] });
      assert.deepEqual(result.logs, { inserted: 1, duplicates: 0, rejected: [] });

      const [stored] = await store.spans(ALL_TIME, PAGE);
      const whole = wholeText(stored!);
      for (const field of ["name", "serviceName", "scopeName", "scopeVersion"] as const) {
        assert.equal(whole(field), sent.span[field], field);
        // The column holds whole characters only: "é" fits, the surrogate pair after it does not.
        assert.equal(
          stored![field],
          sent.span[field].slice(0, COLUMN_WIDTHS[field] - 1),
          field,
        );
      }
      assert.equal(whole("serviceName"), wholeText(stored!.resource)("serviceName"));
      const [storedLog] = await store.logs(ALL_TIME, PAGE);
      const wholeLog = wholeText(storedLog!);
      for (const field of ["severityText", "eventName", "serviceName"] as const) {
        assert.equal(wholeLog(field), sent.log[field], field);
      }
      // Filters and aggregates see the column's text.
      assert.equal(await store.countSpans({ ...ALL_TIME, serviceName: stored!.serviceName }), 1);
      // A retry stores nothing twice.
      const again = await store.write({
        resources: [resource],
        spans: [sent.span],
        logs: [sent.log],
      });
      assert.deepEqual(again.spans, { inserted: 0, duplicates: 1, rejected: [] });
      assert.deepEqual(again.logs, { inserted: 0, duplicates: 1, rejected: [] });
    });
  });

  Deno.test(`[${driver}] reads are bounded by the window and honour every filter`, async () => {
    await withStore(driver, async (store) => {
      const rand = random(5);
      const order = buildResource("order-service");
      const payment = buildResource("payment-service");
      const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
      const second = 1_000_000_000n;
      const at = (s: number) => BASE_TIME_NS + BigInt(s) * second;
      const spans = [
        buildSpan(order, {
          traceId,
          spanId: "0000000000000001",
          startTimeUnixNano: at(0),
          endTimeUnixNano: at(3),
        }, rand),
        buildSpan(payment, {
          traceId,
          spanId: "0000000000000002",
          parentSpanId: "0000000000000001",
          startTimeUnixNano: at(1),
          endTimeUnixNano: at(2),
        }, rand),
        buildSpan(order, { startTimeUnixNano: at(10), endTimeUnixNano: at(11) }, rand),
        buildSpan(payment, { startTimeUnixNano: at(20), endTimeUnixNano: at(21) }, rand),
      ];
      const logs = [
        buildLog(order, {
          timeUnixNano: at(0),
          severityNumber: 9,
          traceId,
          spanId: "0000000000000001",
        }, rand),
        buildLog(payment, {
          timeUnixNano: at(1),
          severityNumber: 17,
          traceId,
          spanId: "0000000000000002",
        }, rand),
        buildLog(payment, { timeUnixNano: at(15), severityNumber: 13 }, rand),
        buildLog(order, { timeUnixNano: at(30), severityNumber: 5 }, rand),
      ];
      await store.write({ resources: [order, payment], spans, logs });

      const trace = await store.traceSpans(traceId);
      assert.deepEqual(trace.map((s) => s.spanId), ["0000000000000001", "0000000000000002"]);
      assert.equal(trace[1]!.resource.serviceName, "payment-service");
      assert.deepEqual(await store.traceSpans("ffffffffffffffffffffffffffffffff"), []);

      // The window is half-open: [start, end).
      const window = { startNs: at(1), endNs: at(20) };
      assert.deepEqual((await store.spans(window, PAGE)).map((s) => s.startTimeUnixNano), [
        at(10),
        at(1),
      ]);
      assert.equal(await store.countSpans(window), 2);
      // The dashboards' counts come from the rollups written with the rows.
      const totals = await store.rollups.totals(ALL_TIME);
      assert.deepEqual([totals.spans, totals.errorSpans, totals.logs], [4, 0, 4]);
      assert.deepEqual(await store.rollups.totals({ startNs: at(100), endNs: at(200) }), {
        spans: 0,
        errorSpans: 0,
        traces: 0,
        failedTraces: 0,
        logs: 0,
      });
      assert.equal(await store.countSpans({ ...window, serviceName: "order-service" }), 1);
      assert.equal(await store.countSpans({ ...ALL_TIME, traceId }), 2);
      const newestFirst = await store.spans(ALL_TIME, { limit: 2, offset: 1 });
      assert.deepEqual(newestFirst.map((s) => s.startTimeUnixNano), [at(10), at(1)]);

      assert.deepEqual((await store.logs(ALL_TIME, PAGE)).map((l) => l.timeUnixNano), [
        at(30),
        at(15),
        at(1),
        at(0),
      ]);
      assert.equal(await store.countLogs({ ...ALL_TIME, minSeverity: 13 }), 2);
      assert.equal(await store.countLogs({ ...ALL_TIME, serviceName: "payment-service" }), 2);
      assert.equal(await store.countLogs({ ...ALL_TIME, traceId }), 2);
      assert.equal(await store.countLogs({ ...ALL_TIME, traceId, spanId: "0000000000000002" }), 1);
      assert.equal(await store.countLogs({ startNs: at(0), endNs: at(15) }), 2);
      assert.deepEqual(
        (await store.logs(ALL_TIME, { limit: 1, offset: 3 })).map((l) => l.timeUnixNano),
        [at(0)],
      );
      assert.deepEqual(
        (await store.logs(ALL_TIME, { limit: 2, offset: 0, order: "asc" })).map((l) =>
          l.timeUnixNano
        ),
        [at(0), at(1)],
      );
      assert.deepEqual(
        (await store.spans(ALL_TIME, { limit: 1, offset: 0, order: "asc" })).map((s) =>
          s.startTimeUnixNano
        ),
        [at(0)],
      );

      assert.deepEqual(await store.rollups.services(ALL_TIME), [
        "order-service",
        "payment-service",
      ]);
      assert.deepEqual(await store.rollups.services({ startNs: at(100), endNs: at(200) }), []);
    });
  });

  if (driver !== "sqlite") {
    Deno.test(`[${driver}] an unreachable database fails writes with StoreUnavailableError`, async () => {
      const dsn = driver === "postgres"
        ? "postgres://postgres@127.0.0.1:1/none"
        : "mysql://root@127.0.0.1:1/none";
      const store = await createStore({ ...databaseConfig(driver, dsn) }, { dataDir: "." });
      try {
        await assert.rejects(store.write(buildBatch(2, 2)), (error: unknown) => {
          assert.ok(error instanceof StoreUnavailableError, String(error));
          assert.match(error.message, new RegExp(`^The ${driver} database is unavailable: `));
          return true;
        });
        await assert.rejects(store.ping());
      } finally {
        await store.close();
      }
    });
  }
}
