// deno-lint-ignore-file no-console -- a benchmark prints its figures
/**
 * The replicas benchmark (`deno task bench:replicas`, issue 17): 1, 2 and 3 Argus replicas on one
 * PostgreSQL database (a fresh one per run, on the machine's server), loaded over OTLP/gRPC by the
 * ingest benchmark's client (bench/ingest_load_client.mjs: 500 spans a request, fresh ids), its
 * clients spread over the replicas (one client process per replica). Prints spans/s committed
 * (acknowledged, then counted in the database) for each replica count, and the ratio to one.
 *
 * All of it shares this machine's cores: Argus's replicas, their gRPC gateways, PostgreSQL and the
 * load clients. The figures say what a second replica adds on the same machine, not on a cluster.
 *
 * Settings: ARGUS_BENCH_SECONDS (per run, default 20), ARGUS_BENCH_CLIENTS (in all, default 6),
 * ARGUS_BENCH_IN_FLIGHT (per client, default 2), ARGUS_BENCH_REPLICAS (default "1,2,3"),
 * ARGUS_BENCH_SIGNAL (traces or logs, default traces).
 *
 * @module
 */
import pg from "pg";
import { startArgus } from "../tests/argus_process.ts";
import { freshDatabase } from "../tests/databases.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const CLIENT = new URL("./ingest_load_client.mjs", import.meta.url).pathname;
const SECONDS = Number(Deno.env.get("ARGUS_BENCH_SECONDS") ?? 20);
const CLIENTS = Number(Deno.env.get("ARGUS_BENCH_CLIENTS") ?? 6);
const IN_FLIGHT = Number(Deno.env.get("ARGUS_BENCH_IN_FLIGHT") ?? 2);
const COUNTS = (Deno.env.get("ARGUS_BENCH_REPLICAS") ?? "1,2,3").split(",").map(Number);
const SIGNAL = Deno.env.get("ARGUS_BENCH_SIGNAL") ?? "traces";
const ITEMS = SIGNAL === "logs" ? "log records" : "spans";

interface LoadResult {
  items: number;
  requests: number;
  failed: number;
  seconds: number;
  latencies_ms: { p50: number; p99: number; max: number };
}

async function load(address: string, clients: number): Promise<LoadResult> {
  const output = await new Deno.Command("node", {
    args: [CLIENT, address, SIGNAL, String(SECONDS), String(clients), String(IN_FLIGHT)],
    cwd: ROOT,
    stderr: "inherit",
  }).output();
  if (output.code !== 0) throw new Error(`the load client failed with code ${output.code}`);
  return JSON.parse(new TextDecoder().decode(output.stdout).trim().split("\n").at(-1)!);
}

async function run(replicas: number) {
  const database = await freshDatabase("postgres");
  const dirs: string[] = [];
  const argus = [];
  try {
    for (let i = 0; i < replicas; i++) {
      const cwd = await Deno.makeTempDir({ prefix: `argus-bench-replica-${i + 1}-` });
      dirs.push(cwd);
      argus.push(
        await startArgus({ DB_DRIVER: "postgres", DB_DSN: database.config.dsn }, cwd, 60_000),
      );
    }
    const share = (i: number) => Math.floor(CLIENTS / replicas) + (i < CLIENTS % replicas ? 1 : 0);
    const results = await Promise.all(argus.map((a, i) => load(a.grpcAddress, share(i))));
    const client = new pg.Client({ connectionString: database.config.dsn });
    await client.connect();
    const table = SIGNAL === "logs" ? "logs" : "spans";
    const { rows } = await client.query(`select count(*)::int as n from ${table}`);
    await client.end();
    const acknowledged = results.reduce((sum, r) => sum + r.items, 0);
    const seconds = Math.max(...results.map((r) => r.seconds));
    return {
      replicas,
      acknowledged,
      stored: rows[0].n as number,
      perSecond: acknowledged / seconds,
      failed: results.reduce((sum, r) => sum + r.failed, 0),
      p50: Math.max(...results.map((r) => r.latencies_ms.p50)),
      p99: Math.max(...results.map((r) => r.latencies_ms.p99)),
    };
  } finally {
    await Promise.all(argus.map((a) => a.stop()));
    await database.drop();
    for (const dir of dirs) await Deno.remove(dir, { recursive: true });
  }
}

console.log(
  `# Replicas benchmark: ${SIGNAL}, ${SECONDS} s per run, ${CLIENTS} gRPC clients in all x ` +
    `${IN_FLIGHT} requests in flight, spread over the replicas; one PostgreSQL; ` +
    `Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores\n`,
);
console.log(
  `| replicas | acknowledged | stored | ${ITEMS}/s committed | vs 1 replica | worst p50 / p99 ms | failed requests |`,
);
console.log("| --: | --: | --: | --: | --: | --: | --: |");
let one: number | undefined;
for (const count of COUNTS) {
  const r = await run(count);
  one ??= r.perSecond;
  console.log(
    `| ${r.replicas} | ${r.acknowledged} | ${r.stored} | ${Math.round(r.perSecond)} | ${
      (r.perSecond / one).toFixed(2)
    }× | ${r.p50} / ${r.p99} | ${r.failed} |`,
  );
}
