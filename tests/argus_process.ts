/**
 * Starts Argus (`main.ts`) as a child process the way `deno task start` does, with the given
 * environment, and finds the port it listens on from its start-up log (ports are 0: any free one).
 *
 * @module
 */

import assert from "node:assert/strict";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/**
 * The permission flags and V8 flags of `deno task start`, read from deno.json: tests get no more
 * than users, and the same heap ceiling.
 */
export const START_PERMISSIONS: string[] = await (async () => {
  const denoJson = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  );
  const command: string = denoJson.tasks.start.command;
  // Its permissions and its V8 flags (the heap's ceiling), so that tests run Argus as users do.
  const flags = command.split(/\s+/).filter((word) =>
    word.startsWith("--allow-") || word.startsWith("--v8-flags=")
  );
  const explicit = flags.some((flag) => flag.startsWith("--allow-"));
  if (command.includes(" -A") || command.includes("--allow-all") || !explicit) {
    throw new Error(`deno.json's start task must list explicit --allow-* flags: ${command}`);
  }
  // `deno task start` runs in the project folder, so "." is both the code and the data; tests run
  // Argus in a temporary folder, so the project folder (read for the SQLite writer thread's
  // module) is named as well.
  const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  return flags.map((flag) => flag === "--allow-read=." ? `--allow-read=.,${root}` : flag);
})();

export interface ArgusProcess {
  /** The UI and API, e.g. http://127.0.0.1:41234 */
  baseUrl: string;
  /** The OTLP/HTTP receiver, e.g. http://127.0.0.1:41235 */
  otlpHttpUrl: string;
  /** The OTLP/gRPC receiver as host:port (the gateway's address). */
  grpcAddress: string;
  /** The gateway's pid, as last logged (it changes when the gateway restarts). */
  grpcPid(): number;
  child: Deno.ChildProcess;
  /** Everything Argus wrote to stderr so far. */
  log(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
}

/** Runs Argus to completion (for start-up failures) and returns its exit code and output. */
export async function runArgus(
  env: Record<string, string>,
  cwd: string,
): Promise<{ code: number; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...START_PERMISSIONS, MAIN],
    env: { ...env, NO_COLOR: "1" },
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
}

/**
 * Starts Argus and resolves once it listens. `prefix` is a command line Argus runs under, such as
 * `["prlimit", "--nofile=1024:1024"]` (it must exec Deno, so that the child's pid is Argus's).
 */
export async function startArgus(
  env: Record<string, string>,
  cwd: string,
  timeoutMs = 20_000,
  prefix: readonly string[] = [],
): Promise<ArgusProcess> {
  const argv = ["run", ...START_PERMISSIONS, MAIN];
  const child = new Deno.Command(prefix[0] ?? Deno.execPath(), {
    args: prefix.length === 0 ? argv : [...prefix.slice(1), Deno.execPath(), ...argv],
    env: { HTTP_PORT: "0", GRPC_PORT: "0", OTLP_HTTP_PORT: "0", ...env, NO_COLOR: "1" },
    cwd,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let text = "";
  const listening = Promise.withResolvers<string>();
  (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      text += decoder.decode(chunk, { stream: true });
      const app = /Argus \S+ is listening url=(http:\/\/\S+?)\/?(\s|$)/.exec(text);
      if (app) listening.resolve(app[1]!);
    }
    listening.reject(new Error(`Argus exited before listening:\n${text}`));
  })();
  const timer = setTimeout(
    () => listening.reject(new Error(`Argus did not listen within ${timeoutMs} ms:\n${text}`)),
    timeoutMs,
  );
  try {
    const baseUrl = await listening.promise;
    const otlp = /OTLP\/HTTP receiver is listening url=(http:\/\/\S+?)\/?(\s|$)/.exec(text);
    const grpc = /OTLP\/gRPC gateway is listening .*?url=(\S+)/.exec(text);
    if (!otlp || !grpc) throw new Error(`Argus did not log its OTLP receivers:\n${text}`);
    return {
      baseUrl,
      otlpHttpUrl: otlp[1]!,
      grpcAddress: grpc[1]!,
      grpcPid: () =>
        Number([...text.matchAll(/OTLP\/gRPC gateway is listening .*pid=(\d+)/g)].at(-1)?.[1]),
      child,
      log: () => text,
      async stop(signal = "SIGTERM") {
        try {
          child.kill(signal);
        } catch {
          // already exited
        }
        return (await child.status).code;
      },
    };
  } catch (error) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await child.status;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** GETs `path` from `argus`'s HTTP API, asserts a 200 and answers the JSON body. */
export async function getJson<T = unknown>(argus: ArgusProcess, path: string): Promise<T> {
  const response = await fetch(`${argus.baseUrl}${path}`);
  const body = await response.json();
  assert.equal(response.status, 200, `${path}: ${JSON.stringify(body)}`);
  return body as T;
}
