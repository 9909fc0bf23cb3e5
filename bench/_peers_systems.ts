/**
 * The systems the peer benchmark compares, each started fresh in a folder of its own, listening on
 * 127.0.0.1 only: Argus as `deno task start` starts it (SQLite, every default), and Jaeger v2 with
 * Badger (durable, on disk) or with memory storage, configured after Jaeger's own examples
 * (cmd/jaeger/config-badger.yaml, internal/all-in-one.yaml) with every port on 127.0.0.1, its own
 * tracing off (`enable_tracing: false`: otherwise it sends its traces to :4317) and only the OTLP
 * gRPC receiver, the query API and its Prometheus metrics open.
 *
 * Each system answers the same questions: how many items its receiver accepted (its own counter),
 * how many it stored, and how long a trace search by service over the last 15 minutes takes.
 *
 * @module
 */
import { startArgus } from "../tests/argus_process.ts";
import { createStore } from "../store/mod.ts";
import { databaseConfig } from "../tests/databases.ts";
import { program } from "./_peers_process.ts";

/** `argus-baseline` is the commit given by `--baseline=<ref>` (bench/_baseline.ts). */
export type SystemName = "argus" | "argus-baseline" | "jaeger-badger" | "jaeger-memory";
export type Signal = "traces" | "logs";

export const SYSTEMS: Record<SystemName, string> = {
  "argus": "Argus (SQLite)",
  "argus-baseline": "Argus baseline (SQLite)",
  "jaeger-badger": "Jaeger + Badger",
  "jaeger-memory": "Jaeger + memory",
};

/** An Argus (this tree or the baseline commit): it takes logs too and needs no Go. */
export function isArgus(name: SystemName): boolean {
  return name === "argus" || name === "argus-baseline";
}

export interface Search {
  /** Wall time of each search, in milliseconds, in order. */
  ms: number[];
  /** Traces the last search returned. */
  results: number;
}

export interface RunningSystem {
  name: SystemName;
  /** The OTLP/gRPC receiver as host:port. */
  otlpGrpc: string;
  /** The process whose tree is measured (Argus's core, which starts the gateway; Jaeger). */
  rootPid: number;
  /** What a process of the tree is, for the report. */
  role(pid: number, args: string): string;
  /** Items of a signal the receiver has accepted since start (the system's own counter). */
  accepted(signal: Signal): Promise<number>;
  /**
   * Resolves once every accepted item is written to storage, or after `timeoutMs`. Argus answers
   * only after the commit; Jaeger answers once its batch processor has queued the items and writes
   * them afterwards.
   */
  settle(signal: Signal, timeoutMs?: number): Promise<void>;
  /** Times `count` trace searches by service over the last 15 minutes, within `budgetMs`. */
  search(service: string, count: number, budgetMs: number): Promise<Search>;
  /** Stops the system and resolves with the items of `signal` it stored. */
  stop(signal: Signal): Promise<number>;
  /** Anything the report should mention (e.g. a restarted gateway). */
  notes(): string[];
}

/** Sums every sample of a Prometheus metric whose name starts with `name` (labels ignored). */
export function metricSum(text: string, name: string, labels: RegExp = /.*/): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name) || line.startsWith(`${name}_created`)) continue;
    const match = /^(\S+?)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (
      match && (match[1] === name || match[1] === `${name}_total`) && labels.test(match[2] ?? "")
    ) {
      total += Number(match[3]);
    }
  }
  return total;
}

async function text(url: string): Promise<string> {
  const response = await fetch(url);
  const body = await response.text();
  if (!response.ok) {
    throw new Error(`GET ${url} answered ${response.status}: ${body.slice(0, 300)}`);
  }
  return body;
}

async function timeSearches(
  url: () => string,
  count: number,
  budgetMs: number,
  results: (body: unknown) => number,
): Promise<Search> {
  const ms: number[] = [];
  let last = 0;
  const deadline = performance.now() + budgetMs;
  while (ms.length < count && (ms.length < 3 || performance.now() < deadline)) {
    const started = performance.now();
    const body = JSON.parse(await text(url()));
    ms.push(performance.now() - started);
    last = results(body);
  }
  return { ms, results: last };
}

/**
 * Argus on a fresh SQLite file in `dir`, started as `deno task start` starts it: this tree's, or
 * the baseline commit's with its own `start` (bench/_baseline.ts).
 */
export async function startArgusSystem(
  dir: string,
  name: "argus" | "argus-baseline" = "argus",
  start: typeof startArgus = startArgus,
): Promise<RunningSystem> {
  const argus = await start({ LOG_LEVEL: "info" }, dir, 60_000);
  const metrics = async () => await text(`${argus.baseUrl}/metrics`);
  return {
    name,
    otlpGrpc: argus.grpcAddress,
    rootPid: argus.child.pid,
    // By command line: a restarted gateway is named before it logs that it listens.
    role: (pid, args) =>
      pid === argus.child.pid
        ? "core"
        : /grpc_gateway\.ts/.test(args)
        ? "gRPC gateway"
        : program(args),
    accepted: async (signal) =>
      metricSum(
        await metrics(),
        "argus_ingestion_rate",
        new RegExp(`signal="${signal === "traces" ? "spans" : "logs"}"`),
      ),
    settle: async () => {},
    search: (service, count, budgetMs) =>
      timeSearches(
        () => `${argus.baseUrl}/api/traces?service=${encodeURIComponent(service)}&range=15m`,
        count,
        budgetMs,
        (body) => (body as { items: unknown[] }).items.length,
      ),
    async stop(signal) {
      await argus.stop();
      // Counted in the file once Argus has stopped: what it committed, nothing in flight.
      const store = await createStore(databaseConfig("sqlite", `${dir}/data/argus.db`), {
        dataDir: dir,
      });
      try {
        const all = { startNs: 0n, endNs: (1n << 63n) - 1n };
        return signal === "traces" ? await store.countSpans(all) : await store.countLogs(all);
      } finally {
        await store.close();
      }
    },
    notes: () => {
      // "the OTLP/gRPC gateway exited: restarting it … code=134 signal=SIGABRT": the Deno HTTP/2
      // abort (issue 12), seen when a client closes its connection after its last answer.
      const exits = [
        ...argus.log().matchAll(
          /the OTLP\/gRPC gateway exited[^\n]*?code=(\S+)(?: signal=(\S+))?/g,
        ),
      ];
      return exits.length > 0
        ? [
          `the gRPC gateway exited ${exits.length} time(s) (${
            exits.map((m) => m[2] ?? `code ${m[1]}`).join(", ")
          }) and was restarted`,
        ]
        : [];
    },
  };
}

/** Ports nobody listens on now, on 127.0.0.1 (held together, so they differ, then released). */
async function sparePorts(count: number): Promise<number[]> {
  const listeners = Array.from(
    { length: count },
    () => Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  );
  const ports = listeners.map((l) => (l.addr as Deno.NetAddr).port);
  for (const listener of listeners) listener.close();
  await Promise.resolve();
  return ports;
}

/** Jaeger's example configuration, reduced to what the benchmark uses, on 127.0.0.1. */
export function jaegerConfig(
  storage: "badger" | "memory",
  dir: string,
  ports: { otlp: number; queryHttp: number; queryGrpc: number; metrics: number },
  maxTraces: number,
): string {
  const backend = storage === "badger"
    ? `        badger:
          directories:
            keys: "${dir}/badger/keys"
            values: "${dir}/badger/values"
          ephemeral: false
          ttl:
            spans: 48h`
    : `        memory:
          max_traces: ${maxTraces}`;
  return `# Written by bench/peers.ts after Jaeger's cmd/jaeger/config-badger.yaml and
# internal/all-in-one.yaml: one OTLP/gRPC receiver, the query API, metrics; all on 127.0.0.1.
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    resource:
      service.name: jaeger
    metrics:
      level: normal
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: ${ports.metrics}
    logs:
      level: info

extensions:
  jaeger_query:
    enable_tracing: false
    storage:
      traces: bench_store
    http:
      endpoint: 127.0.0.1:${ports.queryHttp}
    grpc:
      endpoint: 127.0.0.1:${ports.queryGrpc}

  jaeger_storage:
    backends:
      bench_store:
${backend}

receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${ports.otlp}

processors:
  batch:

exporters:
  jaeger_storage_exporter:
    trace_storage: bench_store
`;
}

/** Jaeger v2 (`binary`) with Badger in `dir` or memory storage. */
export async function startJaeger(
  binary: string,
  storage: "badger" | "memory",
  dir: string,
  maxTraces: number,
): Promise<RunningSystem> {
  const [otlp, queryHttp, queryGrpc, metricsPort] = await sparePorts(4) as [
    number,
    number,
    number,
    number,
  ];
  const config = `${dir}/jaeger.yaml`;
  await Deno.writeTextFile(
    config,
    jaegerConfig(storage, dir, { otlp, queryHttp, queryGrpc, metrics: metricsPort }, maxTraces),
  );
  const child = new Deno.Command(binary, {
    args: ["--config", config],
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Keep the last 64 KiB of its output, for errors.
  let tail = "";
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) tail = (tail + decoder.decode(chunk)).slice(-65_536);
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const query = `http://127.0.0.1:${queryHttp}`;
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const deadline = performance.now() + 60_000;
  for (;;) {
    try {
      await text(`${query}/api/services`);
      await text(metricsUrl);
      break;
    } catch (error) {
      if (exited || performance.now() > deadline) {
        if (!exited) child.kill("SIGKILL");
        await status;
        await drained;
        throw new Error(`Jaeger did not start (${String(error)}):\n${tail.slice(-4000)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const metrics = () => text(metricsUrl);
  const sent = async () =>
    metricSum(await metrics(), "otelcol_exporter_sent_spans", /jaeger_storage_exporter/);
  const accepted = async () => metricSum(await metrics(), "otelcol_receiver_accepted_spans");
  const name: SystemName = storage === "badger" ? "jaeger-badger" : "jaeger-memory";
  return {
    name,
    otlpGrpc: `127.0.0.1:${otlp}`,
    rootPid: child.pid,
    role: (pid, args) => pid === child.pid ? "jaeger" : program(args),
    accepted: (signal) => signal === "traces" ? accepted() : Promise.resolve(0),
    async settle(_signal, timeoutMs = 30_000) {
      const until = performance.now() + timeoutMs;
      while (performance.now() < until && await sent() < await accepted()) {
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    search: (service, count, budgetMs) =>
      timeSearches(
        () => {
          // The query API takes start and end in microseconds (Jaeger's UI sends lookback too).
          const end = Date.now() * 1000;
          return `${query}/api/traces?service=${encodeURIComponent(service)}&start=${
            end - 15 * 60 * 1_000_000
          }&end=${end}&lookback=15m&limit=50`;
        },
        count,
        budgetMs,
        (body) => (body as { data: unknown[] }).data.length,
      ),
    async stop(signal) {
      // Jaeger counts what its storage exporter wrote without error: read before it stops.
      const stored = signal === "traces" ? await sent() : 0;
      const kill = (signal: Deno.Signal) => {
        try {
          child.kill(signal);
        } catch {
          // it has ended already
        }
      };
      kill("SIGTERM");
      const timer = setTimeout(() => kill("SIGKILL"), 30_000);
      await status;
      clearTimeout(timer);
      await drained;
      return stored;
    },
    notes: () => [],
  };
}
