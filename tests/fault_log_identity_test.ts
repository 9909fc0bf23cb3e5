/**
 * Log record identity (issue 11, item 9), end to end through Argus as users run it, on SQLite and
 * on PostgreSQL: a record's id depends on what the client sent, never on its arrival, so an
 * exporter's retry of records without times stores each once; and two identical records of one
 * request (same time, body and attributes: common with millisecond clocks) are two rows, still
 * two after a retry; an identical record in two different requests is two rows (issue 12: the
 * second was taken for a retry), still two after retries of both. Rollups count exactly the rows.
 *
 * Before the fix: the retry stored the timeless records twice (their ids held the arrival time),
 * and the two identical records were one row.
 */
import assert from "node:assert/strict";
import { createStore, type Store } from "../store/mod.ts";
import { startArgus } from "./argus_process.ts";
import { databaseConfig, freshDatabase, selectedDrivers, type TestDatabase } from "./databases.ts";
import { AckLedger, ALL_TIME, assertStoredExactlyOnce, sendLogs } from "./fault_harness.ts";
import { type JsonLog, stringAttribute } from "./otlp_payloads.ts";

/** Records as an exporter without a clock sends them: no time, no observed time. */
function timeless(count: number): JsonLog[] {
  return Array.from({ length: count }, (_, i) =>
    ({
      severityNumber: 9,
      body: { stringValue: `timeless ${i}` },
    }) as unknown as JsonLog);
}

/** Two records identical in everything, as two log calls in the same millisecond make. */
function twins(): JsonLog[] {
  const twin = (): JsonLog => ({
    timeUnixNano: "1795687200001000000",
    severityNumber: 13,
    severityText: "WARN",
    body: { stringValue: "cache miss" },
    attributes: [stringAttribute("cache", "sessions")],
  });
  return [twin(), twin()];
}

async function exactlyOnce(
  store: Store,
  service: string,
): Promise<{ rows: number; rollup: number }> {
  const filter = { ...ALL_TIME, serviceName: service };
  const rows = await store.logs(filter, { limit: 1_000, offset: 0 });
  return { rows: rows.length, rollup: await store.rollups.logCount(filter) };
}

for (const driver of selectedDrivers().filter((d) => d === "sqlite" || d === "postgres")) {
  Deno.test(`${driver}: a retry stores timeless log records once, identical records stay two in a request or in two`, async () => {
    const cwd = await Deno.makeTempDir({ prefix: "argus-logid-" });
    const database: TestDatabase | undefined = driver === "postgres"
      ? await freshDatabase("postgres")
      : undefined;
    const env: Record<string, string> = { FLUSH_INTERVAL: "20ms" };
    if (database) Object.assign(env, { DB_DRIVER: "postgres", DB_DSN: database.config.dsn });
    const argus = await startArgus(env, cwd);
    let store: Store | undefined;
    try {
      // (a) The same request twice, as an exporter retries one whose answer it did not see.
      const ledger = new AckLedger();
      const records = timeless(5);
      for (let attempt = 0; attempt < 2; attempt++) {
        const sent = await sendLogs(argus.otlpHttpUrl, ledger, records, "identity-retry");
        assert.ok(sent.acknowledged, `attempt ${attempt}: ${JSON.stringify(sent)}`);
      }
      // (b) A request with two identical records, then the same request again.
      for (let attempt = 0; attempt < 2; attempt++) {
        const sent = await sendLogs(argus.otlpHttpUrl, new AckLedger(), twins(), "identity-twins");
        assert.equal(sent.status, 200, JSON.stringify(sent.body));
        assert.equal(sent.acknowledged, true, JSON.stringify(sent.body));
      }
      // (c) Two requests that share one identical record (as telemetrygen's workers send when
      // they read the same clock value), each sent twice: the shared record is two records.
      const shared = (): JsonLog => ({ ...twins()[0]!, body: { stringValue: "shared" } });
      const own = (n: number): JsonLog => ({ ...twins()[0]!, body: { stringValue: `own ${n}` } });
      for (let attempt = 0; attempt < 2; attempt++) {
        for (const records of [[shared(), own(1)], [own(2), shared()]]) {
          const sent = await sendLogs(argus.otlpHttpUrl, new AckLedger(), records, "identity-two");
          assert.equal(sent.acknowledged, true, JSON.stringify(sent.body));
        }
      }

      store = await createStore(
        database?.config ?? databaseConfig("sqlite", `${cwd}/data/argus.db`),
        { dataDir: cwd },
      );
      await assertStoredExactlyOnce(store, ledger, ["identity-retry"]);
      assert.deepEqual(await exactlyOnce(store, "identity-retry"), { rows: 5, rollup: 5 });
      assert.deepEqual(await exactlyOnce(store, "identity-twins"), { rows: 2, rollup: 2 });
      assert.deepEqual(await exactlyOnce(store, "identity-two"), { rows: 4, rollup: 4 });
    } finally {
      await store?.close();
      await argus.stop();
      await database?.drop();
      await Deno.remove(cwd, { recursive: true });
    }
  });
}
