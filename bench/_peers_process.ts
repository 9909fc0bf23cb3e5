/**
 * What a process tree costs, read from outside: CPU time and peak resident memory of a process and
 * every descendant it starts (Argus's core, its gRPC gateway, any helper; Jaeger's one process),
 * and the bytes a folder takes on disk. Reads go through `ps`, `cat /proc/…` and `du` (Deno asks
 * for --allow-all to read another process's /proc; --allow-run is enough for these).
 *
 * @module
 */

const decoder = new TextDecoder();

async function stdout(command: string, args: string[]): Promise<string> {
  // `cat` of several files exits 1 when one of them has gone (a process ended): keep the others.
  const output = await new Deno.Command(command, { args, stdout: "piped", stderr: "null" })
    .output();
  return decoder.decode(output.stdout);
}

/** Clock ticks per second of /proc/<pid>/stat's CPU times (100 on Linux). */
export const CLOCK_TICKS = Number((await stdout("getconf", ["CLK_TCK"])).trim()) || 100;

interface Row {
  ppid: number;
  rssKb: number;
  /** The command line, e.g. "/usr/bin/deno run … ingest/grpc_gateway.ts". */
  args: string;
}

async function processTable(): Promise<Map<number, Row>> {
  const table = new Map<number, Row>();
  for (const line of (await stdout("ps", ["-e", "-o", "pid=,ppid=,rss=,args="])).split("\n")) {
    const match = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (match) {
      table.set(Number(match[1]), {
        ppid: Number(match[2]),
        rssKb: Number(match[3]),
        args: match[4]!.trim(),
      });
    }
  }
  return table;
}

function descendants(table: Map<number, Row>, root: number): number[] {
  const out = table.has(root) ? [root] : [];
  for (let i = 0; i < out.length; i++) {
    for (const [pid, row] of table) if (row.ppid === out[i] && !out.includes(pid)) out.push(pid);
  }
  return out;
}

/** CPU seconds (user + system) of each pid that is still there. */
export async function cpuSeconds(pids: readonly number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (pids.length === 0) return out;
  const text = await stdout("cat", pids.map((pid) => `/proc/${pid}/stat`));
  for (const line of text.split("\n")) {
    // "pid (comm) state ppid …": comm may hold spaces, so split after its closing parenthesis.
    const close = line.lastIndexOf(")");
    if (close < 0) continue;
    const pid = Number(line.slice(0, line.indexOf(" ")));
    const fields = line.slice(close + 2).split(" ");
    // Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after the comm.
    out.set(pid, (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS);
  }
  return out;
}

/** VmHWM (the kernel's peak resident set) of each pid that is still there, in KiB. */
async function highWaterKb(pids: readonly number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (pids.length === 0) return out;
  const text = await stdout("cat", pids.map((pid) => `/proc/${pid}/status`));
  let pid = 0;
  for (const line of text.split("\n")) {
    const pidMatch = /^Pid:\s+(\d+)/.exec(line);
    if (pidMatch) pid = Number(pidMatch[1]);
    const hwm = /^VmHWM:\s+(\d+) kB/.exec(line);
    if (hwm && pid) out.set(pid, Number(hwm[1]));
  }
  return out;
}

export interface ProcessFigures {
  pid: number;
  /** What the process is, e.g. "core", "gRPC gateway", "jaeger", "esbuild". */
  role: string;
  peakRssMb: number;
}

/**
 * Watches a process tree: every 250 ms it lists the root's descendants with their resident memory
 * and CPU time; `peaks()` also reads the kernel's exact peak (VmHWM) of the living ones. A process
 * that ended between samples (a gateway that aborted and was restarted) keeps its largest RSS and
 * its last CPU time seen, so what it spent before it ended still counts.
 */
export class ProcessWatch {
  readonly #root: number;
  readonly #role: (pid: number, args: string) => string;
  readonly #peaksKb = new Map<number, number>();
  readonly #cpu = new Map<number, number>();
  readonly #roles = new Map<number, string>();
  #pids: number[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;
  #sampling: Promise<void> | undefined;

  constructor(root: number, role: (pid: number, args: string) => string) {
    this.#root = root;
    this.#role = role;
  }

  async start(): Promise<void> {
    await this.#sample();
    this.#timer = setInterval(() => {
      // One sample at a time: `ps` can take longer than the period on a busy machine.
      this.#sampling ??= this.#sample().catch(() => {}).finally(() => this.#sampling = undefined);
    }, 250);
  }

  async #sample(): Promise<void> {
    const table = await processTable();
    const pids = descendants(table, this.#root);
    const cpu = await cpuSeconds(pids);
    this.#pids = pids;
    for (const pid of pids) {
      const row = table.get(pid)!;
      this.#roles.set(pid, this.#role(pid, row.args));
      this.#peaksKb.set(pid, Math.max(this.#peaksKb.get(pid) ?? 0, row.rssKb));
      const seconds = cpu.get(pid);
      if (seconds !== undefined) this.#cpu.set(pid, seconds);
    }
  }

  /** CPU seconds of every process seen so far: now for the living, last seen for the ended. */
  async cpu(): Promise<Map<number, number>> {
    await this.#sampling;
    await this.#sample();
    return new Map(this.#cpu);
  }

  /** What a pid seen so far is. */
  roleOf(pid: number): string {
    return this.#roles.get(pid) ?? "?";
  }

  /** Every process seen so far with its peak RSS, the root first. */
  async peaks(): Promise<ProcessFigures[]> {
    await this.#sampling;
    await this.#sample();
    for (const [pid, kb] of await highWaterKb(this.#pids)) {
      this.#peaksKb.set(pid, Math.max(this.#peaksKb.get(pid) ?? 0, kb));
    }
    return [...this.#peaksKb].map(([pid, kb]) => ({
      pid,
      role: this.#roles.get(pid) ?? "?",
      peakRssMb: Math.round(kb / 1024),
    }));
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#sampling;
  }
}

/** The program of a command line: "esbuild" for "/x/esbuild --service=0.25.0 --ping". */
export function program(args: string): string {
  return (args.split(" ")[0] ?? "").split("/").at(-1) ?? "";
}

/** Bytes a folder takes on disk (allocated blocks, as `du` counts them). */
export async function diskBytes(dir: string): Promise<number> {
  const text = await stdout("du", ["-s", "--block-size=1", dir]);
  return Number(text.trim().split(/\s+/)[0] ?? 0);
}
