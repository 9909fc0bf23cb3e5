/**
 * What every fault test needs besides the fault itself: a ledger of what the client saw
 * acknowledged, the end check "every acknowledged item stored exactly once, rollups equal to the
 * rows", the core's (and the gateway's) memory sampled during the test, a health probe that
 * measures liveness throughout, and a PostgreSQL of the test's own on a spare port (to stop,
 * freeze, restart or make read-only without touching the machine's shared server).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import pg from "pg";
import type { Store } from "../store/mod.ts";
import {
  type JsonLog,
  jsonLogs,
  type JsonSpan,
  jsonSpans,
  logsRequest,
  traceRequest,
} from "./otlp_payloads.ts";

export const ALL_TIME = { startNs: 0n, endNs: (1n << 63n) - 1n };

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every 100 ms until it is true, or throws after `timeoutMs`. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}

// --- what the client saw acknowledged ------------------------------------------------------------

/**
 * The client's own record: the spans (trace id + span id) and log records (by the text of their
 * body, which tests make unique) of every request answered 200 without rejections.
 */
export class AckLedger {
  readonly spans = new Map<string, JsonSpan>();
  readonly logs = new Map<string, JsonLog>();
  /** Requests answered, by HTTP status. */
  readonly statuses = new Map<number, number>();

  count(status: number): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
  }

  ackSpans(spans: readonly JsonSpan[]): void {
    for (const span of spans) this.spans.set(spanKey(span.traceId, span.spanId), span);
  }

  ackLogs(logs: readonly JsonLog[]): void {
    for (const log of logs) this.logs.set(logBodyKey(log), log);
  }

  /** Statuses seen, e.g. `{"200": 40, "503": 3}`, for assertion messages. */
  describe(): string {
    return JSON.stringify(Object.fromEntries(this.statuses));
  }
}

function spanKey(traceId: string, spanId: string): string {
  return `${traceId.toLowerCase()}/${spanId.toLowerCase()}`;
}

function logBodyKey(log: JsonLog): string {
  const body = log.body as { stringValue?: string } | undefined;
  if (typeof body?.stringValue !== "string") {
    throw new TypeError("AckLedger needs log records with a unique string body");
  }
  return body.stringValue;
}

/** Result of one OTLP/HTTP JSON export as the ledger sees it. */
export interface Sent {
  status: number;
  /** True when the answer was 200 with nothing rejected: every item is then acknowledged. */
  acknowledged: boolean;
  body: Record<string, unknown>;
}

/**
 * Sends spans over OTLP/HTTP JSON and records them in the ledger when acknowledged. Network
 * errors count as status 0 (not acknowledged). `timeoutMs` bounds the whole request.
 */
export async function sendSpans(
  otlpHttpUrl: string,
  ledger: AckLedger,
  spans: JsonSpan[],
  service: string,
  timeoutMs = 30_000,
): Promise<Sent> {
  const sent = await post(otlpHttpUrl, "traces", traceRequest(spans, service), timeoutMs);
  ledger.count(sent.status);
  if (sent.acknowledged) ledger.ackSpans(spans);
  return sent;
}

/** As `sendSpans`, for log records (each with a unique string body). */
export async function sendLogs(
  otlpHttpUrl: string,
  ledger: AckLedger,
  logs: JsonLog[],
  service: string,
  timeoutMs = 30_000,
): Promise<Sent> {
  const sent = await post(otlpHttpUrl, "logs", logsRequest(logs, service), timeoutMs);
  ledger.count(sent.status);
  if (sent.acknowledged) ledger.ackLogs(logs);
  return sent;
}

async function post(
  baseUrl: string,
  signal: "traces" | "logs",
  request: unknown,
  timeoutMs: number,
): Promise<Sent> {
  try {
    const response = await fetch(`${baseUrl}/v1/${signal}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let body: Record<string, unknown> = {};
    try {
      body = text === "" ? {} : JSON.parse(text);
    } catch {
      body = { text };
    }
    const partial = body.partialSuccess as Record<string, unknown> | undefined;
    const rejected = Number(partial?.rejectedSpans ?? partial?.rejectedLogRecords ?? 0);
    return { status: response.status, acknowledged: response.status === 200 && !rejected, body };
  } catch (error) {
    return { status: 0, acknowledged: false, body: { error: String(error) } };
  }
}

/**
 * The end check of every fault test: each acknowledged span and log record is stored exactly
 * once (no loss, no duplicate), and the rollups count exactly the stored rows of `services`.
 * `store` is a reader opened by the test on Argus's database.
 */
export async function assertStoredExactlyOnce(
  store: Store,
  ledger: AckLedger,
  services: readonly string[],
): Promise<void> {
  const storedSpans = new Set<string>();
  const storedLogs = new Set<string>();
  for (const service of services) {
    const filter = { ...ALL_TIME, serviceName: service };
    const spans = await store.spans(filter, { limit: 10_000_000, offset: 0 });
    const logs = await store.logs(filter, { limit: 10_000_000, offset: 0 });
    const spanKeys = spans.map((s) => spanKey(s.traceId, s.spanId));
    const twice = (keys: string[]) => {
      const seen = new Set<string>();
      return keys.filter((key) => seen.has(key) || !seen.add(key));
    };
    assert.deepEqual(twice(spanKeys), [], `${service}: spans stored more than once`);
    assert.deepEqual(twice(logs.map((l) => l.body)), [], `${service}: logs stored more than once`);
    for (const key of spanKeys) storedSpans.add(key);
    for (const log of logs) storedLogs.add(log.body);
    const totals = await store.rollups.totals(filter);
    assert.equal(totals.spans, spans.length, `${service}: span rollups equal the span rows`);
    assert.equal(
      await store.rollups.logCount(filter),
      logs.length,
      `${service}: log rollups equal the log rows`,
    );
  }
  const lostSpans = [...ledger.spans.keys()].filter((key) => !storedSpans.has(key));
  const lostLogs = [...ledger.logs.keys()].filter((key) => !storedLogs.has(key));
  assert.equal(
    lostSpans.length,
    0,
    `${lostSpans.length} of ${ledger.spans.size} acknowledged spans are not stored ` +
      `(first: ${lostSpans.slice(0, 3).join(", ")}); answers: ${ledger.describe()}`,
  );
  assert.equal(
    lostLogs.length,
    0,
    `${lostLogs.length} of ${ledger.logs.size} acknowledged log records are not stored ` +
      `(first: ${lostLogs.slice(0, 3).join(", ")}); answers: ${ledger.describe()}`,
  );
}

/** What a `Traffic` run sent, by outcome. */
export interface TrafficReport {
  requests: number;
  acknowledged: number;
  /** Requests answered with a retryable status (429, 503) or not answered at all. */
  retryable: number;
  /** Requests answered otherwise (400, 500, partial success…): a fault test expects none. */
  other: { status: number; body: unknown }[];
  /** Slowest answer, in ms. */
  slowestMs: number;
}

/**
 * A client sending spans and log records without pause (one request in flight, like an SDK's
 * batch processor), each request with fresh ids and bodies, recording what was acknowledged in
 * `ledger`, until `stop()`.
 */
export class Traffic {
  readonly #report: TrafficReport = {
    requests: 0,
    acknowledged: 0,
    retryable: 0,
    other: [],
    slowestMs: 0,
  };
  #running = true;
  readonly #loop: Promise<void>;

  constructor(
    otlpHttpUrl: string,
    ledger: AckLedger,
    readonly service: string,
    options: { items?: number; pauseMs?: number; seed?: number; timeoutMs?: number } = {},
  ) {
    const items = options.items ?? 20;
    let seed = options.seed ?? Math.floor(Math.random() * 1e9);
    this.#loop = (async () => {
      while (this.#running) {
        seed++;
        const startNs = BigInt(Date.now()) * 1_000_000n;
        const sends = [
          () =>
            sendSpans(
              otlpHttpUrl,
              ledger,
              jsonSpans(items, seed, startNs),
              service,
              options.timeoutMs,
            ),
          () =>
            sendLogs(
              otlpHttpUrl,
              ledger,
              jsonLogs(items, seed, startNs),
              service,
              options.timeoutMs,
            ),
        ];
        for (const send of sends) {
          const started = performance.now();
          const sent = await send();
          this.#report.requests++;
          this.#report.slowestMs = Math.max(this.#report.slowestMs, performance.now() - started);
          if (sent.acknowledged) this.#report.acknowledged++;
          else if (sent.status === 0 || sent.status === 429 || sent.status === 503) {
            this.#report.retryable++;
          } else this.#report.other.push({ status: sent.status, body: sent.body });
        }
        if (options.pauseMs) await sleep(options.pauseMs);
      }
    })();
  }

  /** What was sent so far. */
  get report(): TrafficReport {
    return { ...this.#report, other: [...this.#report.other] };
  }

  async stop(): Promise<TrafficReport> {
    this.#running = false;
    await this.#loop;
    return this.report;
  }
}

// --- memory and liveness ------------------------------------------------------------------------

/**
 * Resident set size of a process in MiB, or undefined when it is gone: from `/proc` where this
 * test may read it (Deno 2.9 allows `/proc/<pid>` of another process only with `--allow-all`,
 * which the test task does not grant), else from `ps`.
 */
export function rssMiB(pid: number): number | undefined {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kib = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    if (kib !== undefined) return Number(kib) / 1024;
  } catch {
    // not readable here: ask ps
  }
  return psRssMiB(pid);
}

export interface MemoryReport {
  /** Highest sum of the processes' RSS seen, in MiB. */
  peakMiB: number;
  /** The sum at the last sample. */
  lastMiB: number;
  samples: number;
}

/**
 * Samples the summed RSS of `pids()` (e.g. the core and its gRPC gateway; a pid that changed,
 * such as a restarted gateway, is followed) every `intervalMs` until `stop()`.
 */
export function sampleMemory(
  pids: () => readonly number[],
  intervalMs = 200,
): { stop(): MemoryReport; now(): number } {
  const report: MemoryReport = { peakMiB: 0, lastMiB: 0, samples: 0 };
  const sample = () => {
    let sum = 0;
    let measured = false;
    for (const pid of pids()) {
      const mib = rssMiB(pid);
      if (mib !== undefined) measured = true;
      sum += mib ?? 0;
    }
    if (!measured) return;
    report.lastMiB = sum;
    report.peakMiB = Math.max(report.peakMiB, sum);
    report.samples++;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      // A ceiling checked against no sample would pass whatever the memory did.
      if (report.samples === 0) throw new Error("No RSS sample could be taken of the processes");
      return { ...report };
    },
    /** Samples now and answers the sum, in MiB. */
    now: () => (sample(), report.lastMiB),
  };
}

export interface LivenessReport {
  probes: number;
  /** Probes not answered (any status) within the probe's timeout. */
  unanswered: number;
  /** Slowest answer, in ms (a probe that timed out counts as its timeout). */
  slowestMs: number;
  /** Statuses seen, e.g. {200: 30, 503: 4}. */
  statuses: Record<number, number>;
}

/**
 * GETs `url` (e.g. `/api/health`) every `intervalMs` until `stop()`, each with `timeoutMs`; an
 * answer of any status counts as alive (a 503 "degraded" is an answer).
 */
export function probeLiveness(
  url: string,
  intervalMs = 250,
  timeoutMs = 5_000,
): { stop(): Promise<LivenessReport> } {
  const report: LivenessReport = { probes: 0, unanswered: 0, slowestMs: 0, statuses: {} };
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      report.probes++;
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
        await response.body?.cancel();
        report.statuses[response.status] = (report.statuses[response.status] ?? 0) + 1;
        report.slowestMs = Math.max(report.slowestMs, performance.now() - started);
      } catch {
        report.unanswered++;
        report.slowestMs = Math.max(report.slowestMs, performance.now() - started);
      }
      await sleep(intervalMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { ...report, statuses: { ...report.statuses } };
    },
  };
}

// --- a PostgreSQL of the test's own --------------------------------------------------------------

const PG_BIN = (() => {
  try {
    const versions = [...Deno.readDirSync("/usr/lib/postgresql")].map((e) => e.name).sort();
    const newest = versions.at(-1);
    return newest === undefined ? undefined : `/usr/lib/postgresql/${newest}/bin`;
  } catch {
    return undefined;
  }
})();

/** True when this machine can run a PostgreSQL of a test's own (initdb, pg_ctl, runuser). */
export function ownPostgresAvailable(): boolean {
  if (PG_BIN === undefined) return false;
  try {
    Deno.statSync(`${PG_BIN}/initdb`);
    Deno.statSync("/usr/sbin/runuser");
    return Deno.uid() === 0;
  } catch {
    return false;
  }
}

export async function run(
  command: string,
  args: string[],
  options: { asPostgres?: boolean; allowFailure?: boolean } = {},
): Promise<string> {
  const [cmd, argv] = options.asPostgres
    ? ["/usr/sbin/runuser", ["-u", "postgres", "--", command, ...args]]
    : [command, args];
  const output = await new Deno.Command(cmd, {
    args: argv,
    stdout: "piped",
    stderr: "piped",
    env: { LC_ALL: "C" },
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  if (!output.success && !options.allowFailure) {
    throw new Error(`${command} ${args.join(" ")} failed (${output.code}): ${text}`);
  }
  return text;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * A PostgreSQL server of one test: `initdb` into a temporary folder, `pg_ctl` on a spare port of
 * 127.0.0.1 (trust authentication), run as the `postgres` user. The test may stop, start,
 * restart, freeze (SIGSTOP every process of the server), thaw, or reconfigure it, and must
 * `destroy()` it at the end.
 */
export class OwnPostgres {
  private constructor(readonly dir: string, readonly port: number) {}

  static async start(settings: Record<string, string> = {}): Promise<OwnPostgres> {
    if (!ownPostgresAvailable()) {
      throw new Error(
        "A test PostgreSQL needs initdb and pg_ctl (/usr/lib/postgresql/*/bin), runuser and root",
      );
    }
    const dir = await Deno.makeTempDir({ prefix: "argus-pg-" });
    await run("chown", ["postgres:postgres", dir]);
    const port = freePort();
    await run(`${PG_BIN}/initdb`, [
      "-D",
      `${dir}/data`,
      "-A",
      "trust",
      "-U",
      "postgres",
      "--no-sync",
      "-E",
      "UTF8",
    ], { asPostgres: true });
    const conf = {
      listen_addresses: "'127.0.0.1'",
      port: String(port),
      unix_socket_directories: `'${dir}'`,
      fsync: "off",
      max_connections: "100",
      shared_buffers: "32MB",
      logging_collector: "off",
      ...settings,
    };
    await Deno.writeTextFile(
      `${dir}/data/postgresql.conf`,
      Object.entries(conf).map(([k, v]) => `${k} = ${v}`).join("\n") + "\n",
      { append: true },
    );
    const server = new OwnPostgres(dir, port);
    await server.startServer();
    return server;
  }

  /** A DSN of database `name` (default `postgres`) on this server. */
  dsn(name = "postgres"): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${name}`;
  }

  /** Runs SQL as the superuser on database `name`; answers the rows. */
  async sql(text: string, name = "postgres"): Promise<Record<string, unknown>[]> {
    const client = new pg.Client({
      connectionString: this.dsn(name),
      connectionTimeoutMillis: 5_000,
    });
    client.on("error", () => {});
    await client.connect();
    try {
      return (await client.query(text)).rows;
    } finally {
      await client.end().catch(() => {});
    }
  }

  async startServer(): Promise<void> {
    await run(`${PG_BIN}/pg_ctl`, [
      "-D",
      `${this.dir}/data`,
      "-l",
      `${this.dir}/server.log`,
      "-w",
      "-t",
      "30",
      "start",
    ], { asPostgres: true });
  }

  /** Stops the server: `fast` ends the sessions cleanly, `immediate` as a crash would. */
  async stopServer(mode: "fast" | "immediate" = "fast"): Promise<void> {
    await run(`${PG_BIN}/pg_ctl`, ["-D", `${this.dir}/data`, "-m", mode, "-w", "stop"], {
      asPostgres: true,
      allowFailure: true,
    });
  }

  /** The pids of the postmaster and every process it started (by `ps`: see `rssMiB`). */
  pids(): number[] {
    let postmaster: number;
    try {
      postmaster = Number(Deno.readTextFileSync(`${this.dir}/data/postmaster.pid`).split("\n")[0]);
    } catch {
      return [];
    }
    const output = new Deno.Command("ps", { args: ["-o", "pid=", "--ppid", String(postmaster)] })
      .outputSync();
    const children = new TextDecoder().decode(output.stdout).split("\n").map((line) => line.trim())
      .filter((line) => /^\d+$/.test(line)).map(Number);
    return [postmaster, ...children];
  }

  /** SIGSTOP every process of the server: connections stay open and nothing answers. */
  freeze(): void {
    for (const pid of this.pids()) {
      try {
        Deno.kill(pid, "SIGSTOP");
      } catch {
        // gone meanwhile
      }
    }
  }

  thaw(): void {
    for (const pid of this.pids()) {
      try {
        Deno.kill(pid, "SIGCONT");
      } catch {
        // gone meanwhile
      }
    }
  }

  /** Ends every session but the caller's, as `pg_terminate_backend` does after a failover. */
  async terminateSessions(): Promise<void> {
    await this.sql(
      "select pg_terminate_backend(pid) from pg_stat_activity " +
        "where pid <> pg_backend_pid() and backend_type = 'client backend'",
    );
  }

  /** Sets a server setting (`alter system`) and reloads the configuration. */
  async setting(name: string, value: string): Promise<void> {
    await this.sql(`alter system set ${name} = ${value}`);
    await this.sql("select pg_reload_conf()");
  }

  async destroy(): Promise<void> {
    this.thaw();
    await this.stopServer("immediate");
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }

  /** The server's log so far (for assertion messages). */
  log(): string {
    try {
      return Deno.readTextFileSync(join(this.dir, "server.log"));
    } catch {
      return "";
    }
  }
}

// --- a MariaDB of the test's own -----------------------------------------------------------------

/** True when this machine can run a MariaDB of a test's own (mariadb-install-db, mariadbd). */
export function ownMariaDbAvailable(): boolean {
  try {
    Deno.statSync("/usr/bin/mariadb-install-db");
    Deno.statSync("/usr/sbin/mariadbd");
    return Deno.uid() === 0;
  } catch {
    return false;
  }
}

/**
 * A MariaDB server of one test (`mariadb-install-db` into a temporary folder, `mariadbd` on a
 * spare port of 127.0.0.1, run as the `mysql` user), which the test may make read-only or lock.
 * Root connects without a password; `argus` (created by `start`) has every right on database
 * `argus` and no global ones, so `read_only` applies to it.
 */
export class OwnMariaDb {
  private constructor(readonly dir: string, readonly port: number) {}

  static async start(): Promise<OwnMariaDb> {
    if (!ownMariaDbAvailable()) {
      throw new Error("A test MariaDB needs mariadb-install-db, mariadbd and root");
    }
    const dir = await Deno.makeTempDir({ prefix: "argus-mariadb-" });
    await run("chown", ["mysql:mysql", dir]);
    await run("/usr/bin/mariadb-install-db", [
      "--user=mysql",
      `--datadir=${dir}/data`,
      "--auth-root-authentication-method=normal",
      "--skip-test-db",
    ]);
    const server = new OwnMariaDb(dir, freePort());
    await server.startServer();
    await server.sql("create database argus");
    await server.sql("create user 'argus'@'%'");
    await server.sql("grant all on argus.* to 'argus'@'%'");
    return server;
  }

  /** A DSN of database `argus` as user `argus`. */
  dsn(): string {
    return `mysql://argus@127.0.0.1:${this.port}/argus`;
  }

  async startServer(): Promise<void> {
    const child = new Deno.Command("/usr/sbin/runuser", {
      args: [
        "-u",
        "mysql",
        "--",
        "/usr/sbin/mariadbd",
        "--no-defaults",
        `--datadir=${this.dir}/data`,
        `--port=${this.port}`,
        "--bind-address=127.0.0.1",
        `--socket=${this.dir}/socket`,
        `--pid-file=${this.dir}/pid`,
        "--innodb-buffer-pool-size=32M",
        "--skip-log-bin",
        `--log-error=${this.dir}/server.log`,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    child.unref();
    await waitUntil("the test MariaDB to accept connections", async () => {
      try {
        await this.sql("select 1");
        return true;
      } catch {
        return false;
      }
    }, 30_000);
  }

  /** Runs SQL as root; answers the rows. */
  async sql(text: string): Promise<unknown> {
    const mysql = await import("mysql2/promise");
    const connection = await mysql.createConnection({
      host: "127.0.0.1",
      port: this.port,
      user: "root",
      connectTimeout: 5_000,
    });
    try {
      const [rows] = await connection.query(text);
      return rows;
    } finally {
      await connection.end().catch(() => {});
    }
  }

  async destroy(): Promise<void> {
    try {
      const pid = Number(Deno.readTextFileSync(`${this.dir}/pid`).trim());
      Deno.kill(pid, "SIGKILL");
      await waitUntil("the test MariaDB to exit", () => {
        try {
          Deno.kill(pid, "SIGCONT");
          return false;
        } catch {
          return true;
        }
      }, 10_000);
    } catch {
      // not running
    }
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/**
 * Resident set size of a process in MiB by `ps`, or undefined when it is gone. Deno 2.9 refuses
 * to read another process's `/proc/<pid>/*` without `--allow-all` (NotCapable), which the test
 * task does not grant, so `rssMiB` answers undefined there; `ps` needs only `--allow-run`.
 */
export function psRssMiB(pid: number): number | undefined {
  try {
    const output = new Deno.Command("ps", { args: ["-o", "rss=", "-p", String(pid)] })
      .outputSync();
    const kib = Number(new TextDecoder().decode(output.stdout).trim());
    return output.success && kib > 0 ? kib / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU time a process has used so far (user + system), in seconds, or undefined when it is gone:
 * from `/proc/<pid>/stat` read by `cat` (for the same reason as `psRssMiB`), at clock-tick
 * resolution (10 ms). Two readings show whether a process is idle or still working, e.g. on a
 * statement it was asked to stop.
 */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const output = new Deno.Command("cat", { args: [`/proc/${pid}/stat`], stderr: "null" })
      .outputSync();
    if (!output.success) return undefined;
    const stat = new TextDecoder().decode(output.stdout);
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * Fills the file system holding `dir` with one file until it reports no space left; answers a
 * function that frees the space again.
 */
export async function fillDisk(dir: string): Promise<() => Promise<void>> {
  const path = `${dir}/filler`;
  const file = await Deno.open(path, { write: true, create: true });
  try {
    const block = new Uint8Array(65_536);
    while (true) await file.write(block);
  } catch {
    // ENOSPC: the disk is full
  } finally {
    file.close();
  }
  return () => Deno.remove(path);
}

/** `error` with the end of Argus's log appended: what a failed fault test needs to be read. */
export function withArgusLog(error: unknown, argus: { log(): string } | undefined): Error {
  const log = argus?.log().slice(-4000) ?? "(Argus was not started)";
  return new Error(`${error}\n--- Argus log (end) ---\n${log}`, { cause: error });
}
