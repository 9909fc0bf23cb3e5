/**
 * Runs `chaos/simulate.ts` as `deno task simulate` does (its permissions read from deno.json, so
 * tests get no more than users), with a deadline after which it is interrupted, then killed.
 *
 * @module
 */

const SIMULATE = new URL("../chaos/simulate.ts", import.meta.url).pathname;

/** The permission flags of `deno task simulate`. */
export const SIMULATE_PERMISSIONS: string[] = await (async () => {
  const denoJson = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const command: string = denoJson.tasks.simulate.command;
  const flags = command.split(/\s+/).filter((word) => word.startsWith("--allow-"));
  if (command.includes(" -A") || command.includes("--allow-all") || flags.length === 0) {
    throw new Error(`deno.json's simulate task must list explicit --allow-* flags: ${command}`);
  }
  return flags;
})();

export interface SimulationRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A running simulation whose output can be watched. */
export interface SimulationProcess {
  child: Deno.ChildProcess;
  stderr(): string;
  /** Resolves with the first stderr match of `pattern` (rejects if the process ends first). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves when the process has ended. */
  done: Promise<SimulationRun>;
}

export function spawnSimulation(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; deadlineMs?: number },
): SimulationProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...SIMULATE_PERMISSIONS, SIMULATE, ...args],
    cwd: options.cwd,
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "", err = "";
  const read = async (stream: ReadableStream<Uint8Array>, add: (text: string) => void) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) add(decoder.decode(chunk, { stream: true }));
  };
  const reading = Promise.all([
    read(child.stdout, (t) => out += t),
    read(child.stderr, (t) => err += t),
  ]);
  // A hung simulation must not hang the suite: interrupt it, then kill it.
  const deadline = setTimeout(() => {
    try {
      child.kill("SIGINT");
      setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // ended
        }
      }, 30_000);
    } catch {
      // ended
    }
  }, options.deadlineMs ?? 120_000);
  const done = (async () => {
    const status = await child.status;
    await reading;
    clearTimeout(deadline);
    return { code: status.code, stdout: out, stderr: err };
  })();
  return {
    child,
    stderr: () => err,
    async waitFor(pattern, timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      let ended = false;
      done.then(() => ended = true);
      while (true) {
        const match = pattern.exec(err);
        if (match) return match;
        if (ended) throw new Error(`The simulation ended without printing ${pattern}:\n${err}`);
        if (Date.now() > until) throw new Error(`The simulation did not print ${pattern}:\n${err}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    done,
  };
}

/** Runs a simulation to its end. */
export function runSimulation(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; deadlineMs?: number },
): Promise<SimulationRun> {
  return spawnSimulation(args, options).done;
}
