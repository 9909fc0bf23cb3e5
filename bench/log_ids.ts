// deno-lint-ignore-file no-console -- a benchmark prints its figures
/**
 * Log ids and SQLite's writes (issue 12): inserts the same log rows into the logs table's shape
 * (its primary key and three indexes, Argus's pragmas) with random 128-bit ids and with ids led by
 * the record's time in milliseconds (store/ids.ts `bindLogIdsToRequest`), interleaved, and prints
 * rows/s and the bytes the process wrote to disk per row (`/proc/self/io`: WAL and checkpoints).
 *
 *   deno run -A bench/log_ids.ts [rows, default 600000]
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { randomBytes } from "node:crypto";
import { PRAGMAS } from "../store/node_sqlite.ts";

const ROWS = Number(Deno.args[0] ?? 600_000);
const PER_COMMIT = 1_000;
const hex = (bytes: number) => randomBytes(bytes).toString("hex");
const written = () =>
  Number(Deno.readTextFileSync("/proc/self/io").match(/^write_bytes: (\d+)/m)![1]);

const dir = await Deno.makeTempDir({ prefix: "argus-bench-log-ids-" });
try {
  console.log(`# ${ROWS} log rows, ${PER_COMMIT} per commit; Deno ${Deno.version.deno}\n`);
  console.log("| ids | rows/s | KiB written per row |");
  console.log("| --- | --: | --: |");
  for (const ids of ["random", "time-led", "random", "time-led"] as const) {
    const db = new DatabaseSync(`${dir}/${ids}-${crypto.randomUUID()}.db`);
    for (const pragma of PRAGMAS) db.exec(`pragma ${pragma}`);
    db.exec(
      "create table logs (id text primary key, time_unix_nano integer not null, " +
        "service_name text not null, trace_id text not null, body text not null, " +
        "attributes text not null)",
    );
    db.exec("create index logs_time on logs(time_unix_nano)");
    db.exec("create index logs_service_time on logs(service_name, time_unix_nano)");
    db.exec("create index logs_trace_id on logs(trace_id)");
    const insert = db.prepare("insert into logs values (?, ?, ?, ?, ?, ?)");
    let time = BigInt(Date.now()) * 1_000_000n;
    const before = written();
    const started = performance.now();
    for (let done = 0; done < ROWS; done += PER_COMMIT) {
      db.exec("begin");
      for (let i = 0; i < PER_COMMIT; i++) {
        time += 20_000n; // 50,000 records a second
        const id = ids === "random"
          ? hex(16)
          : (time / 1_000_000n).toString(16).padStart(12, "0") + hex(10);
        insert.run(
          id,
          time,
          ["order-service", "payment-service", "inventory-service"][i % 3]!,
          hex(16),
          `order ${i} accepted for customer ${i % 97}`,
          '{"http.route":"/orders","order.items":3}',
        );
      }
      db.exec("commit");
    }
    const seconds = (performance.now() - started) / 1000;
    const kib = (written() - before) / ROWS / 1024;
    db.close();
    console.log(`| ${ids} | ${Math.round(ROWS / seconds)} | ${kib.toFixed(1)} |`);
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
