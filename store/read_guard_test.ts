import assert from "node:assert/strict";
import { guardReads } from "./read_guard.ts";
import { type Store, StoreUnavailableError } from "./mod.ts";

/** A store whose reads answer `answer()`, counting calls by method. */
function fakeStore(answer: () => Promise<unknown>) {
  const calls: string[] = [];
  const method = (name: string) => () => {
    calls.push(name);
    return answer();
  };
  const store = {
    driver: "postgres",
    traceSpans: method("traceSpans"),
    spans: method("spans"),
    countSpans: method("countSpans"),
    traces: method("traces"),
    logs: method("logs"),
    countLogs: method("countLogs"),
    logById: method("logById"),
    rollups: { totals: method("rollups.totals"), edges: method("rollups.edges") },
    maintenance: {},
    ping: method("ping"),
    migrate: method("migrate"),
    write: method("write"),
    waitingChildSpans: () => 0,
    close: method("close"),
  } as unknown as Store;
  return { store, calls };
}

Deno.test("guardReads() times each read and passes everything else through", async () => {
  const { store, calls } = fakeStore(() => Promise.resolve([]));
  const timed: number[] = [];
  const guarded = guardReads(store, {
    readiness: { ready: true, lastError: undefined },
    timeRead: (run) => {
      timed.push(1);
      return run();
    },
  });
  await guarded.logs({ startNs: 0n, endNs: 1n }, { limit: 1, offset: 0 });
  await guarded.rollups.totals({ startNs: 0n, endNs: 1n });
  await guarded.ping();
  await guarded.write({ resources: [], spans: [], logs: [] });
  assert.deepEqual(calls, ["logs", "rollups.totals", "ping", "write"]);
  assert.equal(timed.length, 2, "the reads only");
  assert.equal(guarded.driver, "postgres");
});

Deno.test("guardReads() refuses reads while the database is not ready, naming why", async () => {
  const { store, calls } = fakeStore(() => Promise.resolve([]));
  const guarded = guardReads(store, {
    readiness: { ready: false, lastError: new Error("connect ECONNREFUSED 127.0.0.1:5432") },
    timeRead: (run) => run(),
  });
  await assert.rejects(
    guarded.traces({ startNs: 0n, endNs: 1n }, { field: "start_time", order: "desc" }, {
      limit: 1,
      offset: 0,
    }),
    (error: unknown) =>
      error instanceof StoreUnavailableError && /ECONNREFUSED/.test(error.message) &&
      /dead-letter queue/.test(error.message),
  );
  assert.deepEqual(calls, [], "nothing reached the database");
});

Deno.test("guardReads() turns an unreachable database into StoreUnavailableError, other errors not", async () => {
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), {
    code: "ECONNREFUSED",
  });
  const down = guardReads(fakeStore(() => Promise.reject(refused)).store, {
    readiness: { ready: true, lastError: undefined },
    timeRead: (run) => run(),
  });
  await assert.rejects(down.logById("a".repeat(32)), StoreUnavailableError);
  const bug = new TypeError("cannot read properties of undefined");
  const broken = guardReads(fakeStore(() => Promise.reject(bug)).store, {
    readiness: { ready: true, lastError: undefined },
    timeRead: (run) => run(),
  });
  await assert.rejects(broken.logById("a".repeat(32)), (error: unknown) => error === bug);
});
