/**
 * Child processes of the simulation, and the cleanup that undoes everything it started or made.
 *
 * A child is stopped politely first so that it flushes its telemetry (the chaos services stop at
 * the end of their standard input, which is also what happens when the simulation itself dies;
 * Argus stops on SIGTERM), then with SIGTERM, then with SIGKILL.
 *
 * @module
 */

/** How many of a child's last output lines are kept for error messages. */
const TAIL_LINES = 60;

export interface ChildOptions {
  name: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** `stdin`: close standard input first (the chaos services, Argus's guard); else signal first. */
  politeStop: "stdin" | "SIGTERM";
  /** What `kill()` sends: SIGKILL, or SIGTERM for a guard that must still stop its own child. */
  killSignal?: Deno.Signal;
  /** Called with each output line (for `--verbose`). */
  onLine?: (line: string) => void;
}

export class Child {
  readonly name: string;
  readonly pid: number;
  readonly status: Promise<Deno.CommandStatus>;
  #process: Deno.ChildProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #tail: string[] = [];
  #waiters: { pattern: RegExp; resolve(match: RegExpExecArray): void }[] = [];
  #politeStop: "stdin" | "SIGTERM";
  #killSignal: Deno.Signal;
  #exited = false;

  constructor(options: ChildOptions) {
    this.name = options.name;
    this.#politeStop = options.politeStop;
    this.#killSignal = options.killSignal ?? "SIGKILL";
    const process = new Deno.Command(Deno.execPath(), {
      args: options.args,
      env: options.env,
      cwd: options.cwd,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#process = process;
    this.pid = process.pid;
    this.#stdin = process.stdin.getWriter();
    const pumps = [process.stdout, process.stderr].map((stream) =>
      this.#pump(stream, options.onLine)
    );
    this.status = (async () => {
      const status = await process.status;
      await Promise.allSettled(pumps);
      this.#exited = true;
      return status;
    })();
  }

  get exited(): boolean {
    return this.#exited;
  }

  async #pump(stream: ReadableStream<Uint8Array>, onLine?: (line: string) => void) {
    let pending = "";
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      pending += decoder.decode(chunk, { stream: true });
      let newline;
      while ((newline = pending.indexOf("\n")) >= 0) {
        this.#line(pending.slice(0, newline).replace(/\r$/, ""), onLine);
        pending = pending.slice(newline + 1);
      }
    }
    if (pending !== "") this.#line(pending, onLine);
  }

  #line(line: string, onLine?: (line: string) => void) {
    this.#tail.push(line);
    if (this.#tail.length > TAIL_LINES) this.#tail.shift();
    onLine?.(line);
    this.#waiters = this.#waiters.filter((waiter) => {
      const match = waiter.pattern.exec(line);
      if (match) waiter.resolve(match);
      return !match;
    });
  }

  /** The last lines the child wrote (stdout and stderr interleaved). */
  tail(): string {
    return this.#tail.join("\n");
  }

  /**
   * Resolves with the first output line matching `pattern` (earlier lines count too); rejects when
   * the child exits first, after `timeoutMs`, or when `signal` aborts.
   */
  async waitForLine(
    pattern: RegExp,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<RegExpExecArray> {
    for (const line of this.#tail) {
      const match = pattern.exec(line);
      if (match) return match;
    }
    const found = Promise.withResolvers<RegExpExecArray>();
    this.#waiters.push({ pattern, resolve: found.resolve });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => found.reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      return await Promise.race([
        found.promise,
        this.status.then((status) => {
          throw new Error(
            `${this.name} exited with code ${status.code} before it was ready; its last output:\n` +
              this.tail(),
          );
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(
                  `${this.name} was not ready within ${timeoutMs / 1000} s; its last output:\n` +
                    this.tail(),
                ),
              ),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    }
  }

  async #exitWithin(ms: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const exited = await Promise.race([
      this.status.then(() => true),
      new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms)),
    ]);
    clearTimeout(timer);
    return exited;
  }

  #signal(signal: Deno.Signal) {
    try {
      this.#process.kill(signal);
    } catch {
      // already exited
    }
  }

  /** Stops the child, politely first, and resolves once it has exited. */
  async stop(graceMs: number): Promise<void> {
    if (this.#politeStop === "stdin") await this.#stdin.close().catch(() => {});
    else this.#signal("SIGTERM");
    if (await this.#exitWithin(graceMs)) return;
    this.#signal("SIGTERM");
    if (await this.#exitWithin(5_000)) return;
    this.#signal("SIGKILL");
    await this.status;
  }

  /** Stops at once (a second Ctrl-C). */
  kill(): void {
    this.#signal(this.#killSignal);
  }
}

/**
 * Undo steps, run last-registered first, each once, each whatever the others did; the first
 * failure is reported after all have run.
 */
export class Cleanup {
  #steps: { what: string; run(): Promise<void> }[] = [];

  add(what: string, run: () => Promise<void>): void {
    this.#steps.push({ what, run });
  }

  async run(): Promise<string[]> {
    const problems: string[] = [];
    while (this.#steps.length > 0) {
      const step = this.#steps.pop()!;
      try {
        await step.run();
      } catch (error) {
        problems.push(`Cannot ${step.what}: ${error instanceof Error ? error.message : error}`);
      }
    }
    return problems;
  }
}
