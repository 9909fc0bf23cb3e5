import assert from "node:assert/strict";
import type { LogLevel } from "./config.ts";
import { createLogger } from "./logger.ts";
import { type RetentionPurge, RetentionWorker } from "./retention.ts";

/** 2026-11-26T10:00:30Z: half a minute past, so the cutoff's rounding shows. */
const NOW_MS = Date.UTC(2026, 10, 26, 10, 0, 30);
const DAY_MS = 86_400_000;

function recorded() {
  const lines: [LogLevel, string][] = [];
  const logger = createLogger("debug", (at, line) => lines.push([at, line]));
  return { logger, lines };
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A purge that records its calls, takes `ms` to run, and notices overlapping calls. */
function fakePurge(ms = 0, deleted = { deletedLogs: 3, deletedSpans: 5 }) {
  const calls: Parameters<RetentionPurge>[0][] = [];
  let running = 0, maxRunning = 0;
  const purge: RetentionPurge = async (request) => {
    calls.push(request);
    running++;
    maxRunning = Math.max(maxRunning, running);
    try {
      await delay(ms);
      request.abort?.throwIfAborted();
      return deleted;
    } finally {
      running--;
    }
  };
  return { purge, calls, maxRunning: () => maxRunning };
}

Deno.test("RetentionWorker purges everything before now minus retention, rounded down to an hour", async () => {
  const { purge, calls } = fakePurge();
  const { logger, lines } = recorded();
  const worker = new RetentionWorker({ retentionMs: 7 * DAY_MS, purge, logger, now: () => NOW_MS });
  const result = await worker.runOnce();
  const cutoffNs = BigInt(Date.UTC(2026, 10, 19, 10, 0, 0)) * 1_000_000n;
  assert.equal(calls.length, 1);
  assert.equal(calls[0]!.olderThanNs, cutoffNs);
  assert.equal(calls[0]!.signal, "all");
  assert.equal(result?.cutoffNs, cutoffNs);
  assert.equal(result?.deletedSpans, 5);
  const [level, line] = lines.at(-1)!;
  assert.equal(level, "info");
  assert.match(
    line,
    /retention purge deleted_spans=5 deleted_logs=3 cutoff=2026-11-19T10:00:00.000Z retention=7d/,
  );
  await worker.stop();
});

Deno.test("RetentionWorker runs shortly after start, then every interval, never two passes at once", async () => {
  const { purge, calls, maxRunning } = fakePurge(15);
  const { logger } = recorded();
  const worker = new RetentionWorker({
    retentionMs: DAY_MS,
    purge,
    logger,
    firstPassDelayMs: 5,
    intervalMs: 10,
  });
  worker.start();
  worker.start(); // a second start schedules nothing more
  await delay(150);
  // A manual pass while one runs answers the running one.
  const [a, b] = [worker.runOnce(), worker.runOnce()];
  assert.equal(a, b);
  await worker.stop();
  assert.ok(calls.length >= 3, `${calls.length} passes in 150 ms`);
  // Each pass takes 15 ms and the next starts 10 ms after: at most 6 in 150 ms (+ the manual one).
  assert.ok(calls.length <= 8, `${calls.length} passes in 150 ms`);
  assert.equal(maxRunning(), 1);
  const after = calls.length;
  await delay(40);
  assert.equal(calls.length, after, "no pass after stop()");
});

Deno.test("RetentionWorker.stop() waits for the running pass and stops it between chunks", async () => {
  const { purge, calls } = fakePurge(30);
  const { logger, lines } = recorded();
  const worker = new RetentionWorker({ retentionMs: DAY_MS, purge, logger, firstPassDelayMs: 0 });
  worker.start();
  await delay(5);
  assert.equal(calls.length, 1);
  const started = performance.now();
  await worker.stop();
  assert.ok(performance.now() - started >= 15, "stop() returned before the pass ended");
  assert.ok(calls[0]!.abort?.aborted, "the purge was asked to stop");
  assert.match(lines.at(-1)![1], /retention purge stopped/);
  assert.equal(await worker.runOnce(), undefined, "a stopped worker runs no pass");
  assert.equal(calls.length, 1);
});

Deno.test("RetentionWorker logs a failed pass and tries again at the next interval", async () => {
  let attempts = 0;
  const purge: RetentionPurge = () => {
    attempts++;
    return attempts === 1
      ? Promise.reject(new Error("database is locked"))
      : Promise.resolve({ deletedLogs: 0, deletedSpans: 0 });
  };
  const { logger, lines } = recorded();
  const worker = new RetentionWorker({
    retentionMs: DAY_MS,
    purge,
    logger,
    firstPassDelayMs: 0,
    intervalMs: 5,
  });
  worker.start();
  await delay(60);
  await worker.stop();
  assert.ok(attempts >= 2, `${attempts} attempts`);
  const warning = lines.find(([level]) => level === "warn");
  assert.match(warning![1], /retention purge failed.*error="database is locked"/);
  // Nothing deleted: logged at debug, not info.
  assert.ok(lines.some(([level, line]) => level === "debug" && /deleted_spans=0/.test(line)));
});

Deno.test("RetentionWorker refuses a retention under a minute", () => {
  const { purge } = fakePurge();
  const { logger } = recorded();
  assert.throws(
    () => new RetentionWorker({ retentionMs: 1000, purge, logger }),
    /Cannot use 'retentionMs' as it must be an integer of at least 60000: current value is 1000/,
  );
});
