import assert from "node:assert/strict";
import { type Instance, LOADS, type Phase, type Run, systemsToRun, tables } from "./peers.ts";

function instance(tool: Phase["tool"], perSecond: number, extra: Partial<Phase> = {}) {
  return {
    tool,
    seconds: 10,
    accepted: perSecond * 10,
    itemsPerSecond: perSecond,
    cpuSeconds: 1,
    cpuSecondsByRole: { core: 1 },
    cpuSecondsPerMillion: 50,
    stored: perSecond * 10,
    diskBytes: perSecond * 10 * 400,
    processes: [
      { pid: 1, role: "core", peakRssMb: 300 },
      { pid: 2, role: "gRPC gateway", peakRssMb: 90 },
      { pid: 3, role: "gRPC gateway", peakRssMb: 110 },
      { pid: 4, role: "esbuild", peakRssMb: 0 },
    ],
    notes: [],
    ...extra,
  } satisfies Phase & Instance;
}

function run(round: number, perSecond: number): Run {
  return {
    round,
    load: "traces-1",
    signal: "traces",
    system: "argus",
    startedAt: "",
    telemetrygen: instance("telemetrygen", perSecond, {
      generated: perSecond * 30,
      generatorCpuSeconds: 8,
    }),
    client: instance("client", 2000, { latencyMs: { p50: 5, p99: 40, max: 50 } }),
    search: { ms: [10, 12], medianMs: 10, results: 50, itemsStoredBefore: perSecond * 10 },
  };
}

Deno.test("tables() shows each system's median round with the range of all rounds", () => {
  const text = tables([run(1, 3000), run(2, 1000), run(3, 2000)], LOADS, ["argus"], 100_000);
  const row = text.split("\n").find((line) => line.startsWith("| traces, 1 worker"))!;
  const cells = row.split(" | ");
  assert.equal(cells[2], "2,000 (1,000–3,000)");
  assert.equal(cells[3], "6,000 (0.8 cores)");
  assert.equal(cells[4], "20,000 / 20,000");
  // The largest of a role's processes (a restarted gateway); a process that read 0 is left out.
  assert.equal(cells[6], "core 300, gRPC gateway 110 (core + gateway 410)");
  assert.equal(cells[7], "400");
  assert.equal(cells[8], "5 / 40");
  assert.match(
    text,
    /\| traces, 1 worker, 100 per request \| Argus \(SQLite\) \| 20,000 \| 10 ms \(2\) \| 50 \|/,
  );
});

Deno.test("tables() names our client as the load when telemetrygen did not run", () => {
  const { telemetrygen: _, search: __, ...rest } = run(1, 3000);
  const text = tables([rest], LOADS, ["argus"], 100_000);
  assert.match(text, /\| 2,000 \(our client\) \|/);
  assert.doesNotMatch(text, /trace search/);
});

Deno.test("tables() reports a failed run and marks Jaeger's memory ring", () => {
  const failed: Run = { ...run(1, 1), system: "jaeger-badger", error: "Jaeger did not start\nlog" };
  const memory: Run = { ...run(1, 5000), system: "jaeger-memory" };
  const text = tables([failed, memory], LOADS, ["jaeger-badger", "jaeger-memory"], 100_000);
  assert.match(text, /\| Jaeger \+ Badger \| failed: Jaeger did not start \|/);
  assert.match(text, /\| Jaeger \+ memory \| 50,000 \(ring of 100,000 traces\) \|/);
  assert.match(text, /\| \(memory\) \|/);
});

Deno.test("systemsToRun() puts the baseline commit beside this tree's Argus only with --baseline", () => {
  assert.deepEqual(systemsToRun(undefined, false), ["argus", "jaeger-badger", "jaeger-memory"]);
  assert.deepEqual(systemsToRun(undefined, true), [
    "argus",
    "argus-baseline",
    "jaeger-badger",
    "jaeger-memory",
  ]);
  assert.deepEqual(systemsToRun(["jaeger-badger", "argus"], true), [
    "jaeger-badger",
    "argus",
    "argus-baseline",
  ]);
  assert.deepEqual(systemsToRun(["jaeger-badger"], true), ["argus-baseline", "jaeger-badger"]);
  assert.throws(
    () => systemsToRun(["argus", "argus-baseline"], false),
    /argus-baseline only with --baseline=<ref>/,
  );
});
