/**
 * Runs the Argus that a simulation started, and ties its life to the simulation's: when this
 * process's standard input ends (the simulation closed it, or died, even by SIGKILL) or it gets
 * SIGINT/SIGTERM, it stops Argus (SIGTERM, then SIGKILL after 30 s) and removes Argus's temporary
 * data folder. Argus itself keeps running when its parent dies, hence this guard.
 *
 * Usage: `deno run --allow-run --allow-read=DIR --allow-write=DIR chaos/_argus_guard.ts DIR --
 * <deno arguments of Argus>`; Argus inherits the environment and the output streams.
 *
 * @module
 */

const STOP_GRACE_MS = 30_000;

async function guard(args: string[]): Promise<number> {
  const separator = args.indexOf("--");
  const dataDir = args[0];
  if (separator !== 1 || dataDir === undefined || args.length < 3) {
    Deno.stderr.writeSync(
      new TextEncoder().encode("Usage: _argus_guard.ts DATA_DIR -- <deno arguments>\n"),
    );
    return 2;
  }
  const argus = new Deno.Command(Deno.execPath(), {
    args: args.slice(separator + 1),
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  try {
    // The simulation reports this pid (and tests check that it ends).
    Deno.stderr.writeSync(new TextEncoder().encode(`argus guard: Argus pid=${argus.pid}\n`));
  } catch {
    // the simulation is gone already; stdin says so below
  }

  const stop = Promise.withResolvers<void>();
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT", "SIGBREAK"]
    : ["SIGINT", "SIGTERM", "SIGHUP"];
  // The first signal stops Argus gracefully, a second one at once.
  let signalled = false;
  const listener = () => {
    if (signalled) {
      try {
        argus.kill("SIGKILL");
      } catch {
        // exited
      }
    }
    signalled = true;
    stop.resolve();
  };
  for (const signal of signals) Deno.addSignalListener(signal, listener);
  const stdin = Deno.stdin.readable.getReader();
  (async () => {
    try {
      while (!(await stdin.read()).done) { /* nothing is sent */ }
    } catch {
      // closed: the same as its end
    }
    stop.resolve();
  })();

  let exited = false;
  const status = argus.status.finally(() => exited = true);
  await Promise.race([status, stop.promise]);
  if (!exited) {
    try {
      argus.kill("SIGTERM");
    } catch {
      // exited meanwhile
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      status,
      new Promise((resolve) => timer = setTimeout(resolve, STOP_GRACE_MS)),
    ]);
    clearTimeout(timer);
    if (!exited) argus.kill("SIGKILL");
  }
  const { code } = await status;
  await Deno.remove(dataDir, { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  for (const signal of signals) Deno.removeSignalListener(signal, listener);
  await stdin.cancel().catch(() => {});
  return code;
}

if (import.meta.main) Deno.exitCode = await guard(Deno.args);
