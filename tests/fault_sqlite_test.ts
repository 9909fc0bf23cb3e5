/**
 * Faults of Argus's own disk and folders on the default SQLite store: the disk holding the
 * database and the dead-letter queue fills up (exports get 503, the health check says why, and
 * everything acknowledged is stored once when space returns), and a second Argus started on the
 * same dead-letter folder or SQLite file refuses to start.
 */
import assert from "node:assert/strict";
import { createStore } from "../store/mod.ts";
import { runArgus, startArgus } from "./argus_process.ts";
import { databaseConfig } from "./databases.ts";
import {
  AckLedger,
  assertStoredExactlyOnce,
  fillDisk,
  probeLiveness,
  run,
  sampleMemory,
  sleep,
  Traffic,
  waitUntil,
} from "./fault_harness.ts";

Deno.test("a full disk under SQLite and the DLQ: 503s, a health check that says so, nothing acknowledged lost", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-diskfull-" });
  const dataDir = `${cwd}/data`;
  await Deno.mkdir(dataDir);
  await run("mount", ["-t", "tmpfs", "-o", "size=48m", "tmpfs", dataDir]);
  const service = "disk-service";
  const ledger = new AckLedger();
  const argus = await startArgus({ FLUSH_INTERVAL: "20ms", DLQ_REPLAY_INTERVAL: "300ms" }, cwd);
  const memory = sampleMemory(() => [argus.child.pid, argus.grpcPid()]);
  const liveness = probeLiveness(`${argus.baseUrl}/api/health`, 250, 3_000);
  try {
    const traffic = new Traffic(argus.otlpHttpUrl, ledger, service);
    await waitUntil("some data stored", () => ledger.spans.size >= 100);
    const free = await fillDisk(dataDir);
    await waitUntil("exports to be refused with 503", () => traffic.report.retryable > 5, 15_000);
    const health = await fetch(`${argus.baseUrl}/api/health`);
    const body = await health.json();
    assert.equal(health.status, 503, JSON.stringify(body));
    assert.equal(body.status, "degraded");
    assert.match(body.ingest_error, /nothing can be stored .*exports get 503/);
    await sleep(1_000);
    await free();
    await waitUntil("health to recover", async () => {
      const answer = await fetch(`${argus.baseUrl}/api/health`);
      await answer.body?.cancel();
      return answer.status === 200;
    }, 20_000);
    await sleep(500);
    const report = await traffic.stop();
    assert.deepEqual(report.other, [], "only successes and retryable refusals");
    await waitUntil(
      "the DLQ to be replayed",
      () => [...Deno.readDirSync(`${dataDir}/dlq`)].every((e) => !e.name.startsWith("batch_")),
      30_000,
    );
    const reader = await createStore(databaseConfig("sqlite", `${dataDir}/argus.db`), {
      dataDir,
    });
    try {
      await assertStoredExactlyOnce(reader, ledger, [service]);
    } finally {
      await reader.close();
    }
  } finally {
    const { peakMiB } = memory.stop();
    const alive = await liveness.stop();
    const code = await argus.stop();
    await run("umount", ["-l", dataDir]).catch(() => {});
    await Deno.remove(cwd, { recursive: true }).catch(() => {});
    assert.equal(code, 0, argus.log().slice(-2000));
    assert.equal(alive.unanswered, 0, `health unanswered: ${JSON.stringify(alive)}`);
    assert.ok(peakMiB < 600, `peak RSS ${peakMiB} MiB`);
  }
});

Deno.test("a second Argus on the same DLQ folder or SQLite file refuses to start, naming it", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-twice-" });
  const first = await startArgus({}, cwd);
  try {
    const same = await runArgus({ HTTP_PORT: "0", GRPC_PORT: "0", OTLP_HTTP_PORT: "0" }, cwd);
    assert.equal(same.code, 1);
    assert.match(
      same.stderr,
      /Argus cannot start: Cannot start as another Argus process is using \.\/data\/dlq \(DLQ_DIR\): stop it, or give this one its own DLQ_DIR/,
    );
    const sameFile = await runArgus({
      HTTP_PORT: "0",
      GRPC_PORT: "0",
      OTLP_HTTP_PORT: "0",
      DLQ_DIR: "./other-dlq",
    }, cwd);
    assert.equal(sameFile.code, 1);
    assert.match(sameFile.stderr, /is using data\/argus\.db\.lock \(DB_DSN\)/);
    // The first one is untouched and still answers.
    assert.equal((await fetch(`${first.baseUrl}/api/health`)).status, 200);
  } finally {
    assert.equal(await first.stop(), 0);
  }
  // Once it has stopped, the folder is free again (a crash frees it as well: the lock is the
  // kernel's, held by the process).
  const again = await startArgus({}, cwd);
  assert.equal(await again.stop("SIGKILL"), 137);
  const afterKill = await startArgus({}, cwd);
  try {
    assert.equal((await fetch(`${afterKill.baseUrl}/api/health`)).status, 200);
  } finally {
    assert.equal(await afterKill.stop(), 0);
    await Deno.remove(cwd, { recursive: true });
  }
});
