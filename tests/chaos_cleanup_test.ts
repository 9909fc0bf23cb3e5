/**
 * The simulation cleans up after itself: when it is interrupted (Ctrl-C) or fails, no process it
 * started is left running (the services, Argus, Argus's gRPC gateway) and no file it made is left
 * behind (Argus's temporary database; the run's temporary folder and working folder end empty).
 */
import assert from "node:assert/strict";
import { type SimulationProcess, spawnSimulation } from "./chaos_process.ts";

/**
 * Whether `pid` is a live process (a zombie counts as ended). Asks `ps`: reading /proc needs more
 * than the test task's permissions.
 */
function isRunning(pid: number): boolean {
  const output = new Deno.Command("ps", { args: ["-o", "stat=", "-p", String(pid)] }).outputSync();
  const state = new TextDecoder().decode(output.stdout).trim();
  return output.success && state !== "" && !state.startsWith("Z");
}

async function refuses(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return false;
  } catch {
    return true;
  }
}

function entries(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

/** The processes a run reported: Argus, its guard and gRPC gateway, the services; their URLs. */
function startedProcesses(stderr: string) {
  const pids = [...stderr.matchAll(/\(pid (\d+)|guard pid (\d+)/g)].map((m) =>
    Number(m[1] ?? m[2])
  );
  const gateway = [...stderr.matchAll(/\[argus\] .*OTLP\/gRPC gateway is listening.* pid=(\d+)/g)]
    .map((m) => Number(m[1]));
  const urls = [...stderr.matchAll(/is listening on (http:\/\/[\d.:]+)/g)].map((m) => m[1]!);
  return { pids: [...pids, ...gateway], urls };
}

/** Interrupts a simulation a failed test left running, and waits for its cleanup. */
async function endSimulation(simulation: SimulationProcess) {
  try {
    simulation.child.kill("SIGINT");
  } catch {
    // ended
  }
  await simulation.done;
}

/** Kills what a failed test may have left (never anything else: only these pids). */
function killLeftovers(pids: number[]) {
  for (const pid of pids) {
    if (!isRunning(pid)) continue;
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // ended meanwhile
    }
  }
}

const FAST = ["--latency-scale", "0.01", "--order-port", "0", "--payment-port", "0"];

async function eventually(what: string, check: () => boolean | Promise<boolean>, ms = 60_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`${what} within ${ms / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

for (const signal of ["SIGINT", "SIGKILL"] as const) {
  Deno.test({
    name: `a simulation ended by ${signal} leaves no process running and no file behind`,
    ignore: Deno.build.os === "windows",
    async fn() {
      const cwd = await Deno.makeTempDir({ prefix: "argus-chaos-cwd-" });
      const tmp = await Deno.makeTempDir({ prefix: "argus-chaos-tmp-" });
      let simulation: SimulationProcess | undefined;
      let pids: number[] = [];
      try {
        simulation = spawnSimulation([
          "--start-argus",
          "--argus-url",
          "http://127.0.0.1:0",
          "--requests",
          "2000",
          "--interval",
          "10",
          ...FAST,
          "--inventory-port",
          "0",
          "--verbose",
          "--json",
        ], { cwd, env: { TMPDIR: tmp } });
        await simulation.waitFor(/\d+\/2000 orders answered/, 90_000);
        const started = startedProcesses(simulation.stderr());
        pids = started.pids;
        assert.equal(
          pids.length,
          6,
          `Argus, its guard and gateway, three services:\n${simulation.stderr()}`,
        );
        assert.deepEqual(pids.filter((pid) => !isRunning(pid)), [], simulation.stderr());
        assert.equal(entries(tmp).length, 1, "Argus's temporary database");

        simulation.child.kill(signal);
        const run = await simulation.done;
        if (signal === "SIGINT") {
          assert.equal(run.code, 130, run.stderr);
          const summary = JSON.parse(run.stdout);
          assert.equal(summary.interrupted, true);
          assert.ok(summary.total > 0 && summary.total < 2000);
          assert.deepEqual(pids.filter(isRunning), [], "no process of the run is left");
        } else {
          // No cleanup code ran: the services see their standard input end, and so does the
          // guard, which stops Argus and removes its data.
          await eventually("every process of the run ends", () => !pids.some(isRunning));
          await eventually("the temporary database is removed", () => entries(tmp).length === 0);
        }
        for (const url of started.urls) assert.ok(await refuses(url), `${url} is closed`);
        assert.deepEqual(entries(tmp), [], "the temporary database is removed");
        assert.deepEqual(entries(cwd), [], "nothing is written to the working folder");
      } finally {
        if (simulation) await endSimulation(simulation);
        killLeftovers(pids);
        await Deno.remove(cwd, { recursive: true });
        await Deno.remove(tmp, { recursive: true });
      }
    },
  });
}

Deno.test({
  name: "a simulation that cannot start a service stops what it started and says why",
  ignore: Deno.build.os === "windows",
  async fn() {
    const cwd = await Deno.makeTempDir({ prefix: "argus-chaos-cwd-" });
    const tmp = await Deno.makeTempDir({ prefix: "argus-chaos-tmp-" });
    const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    let pids: number[] = [];
    try {
      const run = await spawnSimulation([
        "--start-argus",
        "--argus-url",
        "http://127.0.0.1:0",
        ...FAST,
        "--inventory-port",
        String(taken.addr.port),
        "--verbose",
      ], { cwd, env: { TMPDIR: tmp } }).done;
      pids = startedProcesses(run.stderr).pids;
      assert.equal(run.code, 1, run.stderr);
      assert.match(
        run.stderr,
        new RegExp(`inventory-service cannot start: PORT ${taken.addr.port} is in use`),
      );
      assert.match(run.stderr, /The simulation failed: inventory-service exited with code 1/);
      assert.equal(pids.length, 3, `Argus, its guard and gateway were started:\n${run.stderr}`);
      assert.deepEqual(pids.filter(isRunning), []);
      assert.deepEqual(entries(tmp), []);
      assert.deepEqual(entries(cwd), []);
    } finally {
      taken.close();
      killLeftovers(pids);
      await Deno.remove(cwd, { recursive: true });
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test("a simulation without Argus says how to start it and starts nothing", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-chaos-cwd-" });
  // A port nobody listens on.
  const free = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = free.addr.port;
  free.close();
  try {
    const run = await spawnSimulation(["--argus-url", `http://127.0.0.1:${port}`], { cwd }).done;
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      new RegExp(
        `Argus does not answer at http://127.0.0.1:${port}/api/health: start it with ` +
          "`deno task start` in another terminal, or add --start-argus",
      ),
    );
    assert.doesNotMatch(run.stderr, /pid/);
    assert.equal(run.stdout, "");
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("the simulation refuses bad options, naming each one", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "argus-chaos-cwd-" });
  try {
    const run = await spawnSimulation(
      ["--requests", "many", "--protocol", "smtp", "--fast"],
      { cwd },
    ).done;
    assert.equal(run.code, 1);
    assert.deepEqual(run.stderr.trim().split("\n"), [
      'Cannot use "--fast" as it is not an option of deno task simulate (see --help)',
      'Cannot use --requests as it must be an integer from 1 to 1000000: current value is "many"',
      'Cannot use --protocol as it must be one of http, grpc: current value is "smtp"',
    ]);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
