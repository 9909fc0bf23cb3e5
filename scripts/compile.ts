/**
 * `deno task compile` (after `deno task build`): builds `dist/argus`, a standalone binary of
 * Argus, with `deno compile`:
 * - entry scripts/binary_main.ts: Argus, or its OTLP/gRPC gateway when the binary starts itself;
 * - `--include dist/assets`: the prebuilt UI (a binary cannot run esbuild);
 * - `--include store/sqlite_writer_worker.ts`: the SQLite writer thread, a Worker loaded by URL,
 *   which `deno compile` does not follow by itself;
 * - the permission flags of `deno task start`, read from deno.json.
 * Arguments are passed on to `deno compile` (e.g. `--target aarch64-unknown-linux-gnu`).
 *
 * `deno compile` builds on `denort`, a runtime it downloads from dl.deno.land on first use; where
 * that cannot be reached, this says so and exits with code 1 instead of leaving a bare network
 * error.
 *
 * @module
 */
import { basename, join } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
const OUTPUT = "dist/argus";
const ASSETS = "dist/assets";
const ENTRY = "scripts/binary_main.ts";
const WORKERS = ["store/sqlite_writer_worker.ts", "store/sqlite_reader_worker.js"];

function fail(lines: string[]): never {
  // deno-lint-ignore no-console -- a command-line tool's own messages
  console.error(lines.join("\n"));
  Deno.exit(1);
}

/**
 * The `--allow-*` and `--v8-flags=` flags of `deno task start`: the binary gets no more than
 * `deno task start`, and the same heap ceiling.
 */
async function startPermissions(): Promise<string[]> {
  const denoJson = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const command: string = denoJson.tasks.start.command;
  // Its permissions and its V8 flags (the heap's ceiling), which the binary keeps.
  const flags = command.split(/\s+/).filter((word) =>
    word.startsWith("--allow-") || word.startsWith("--v8-flags=")
  );
  if (!flags.some((flag) => flag.startsWith("--allow-")) || /\s(-A|--allow-all)\b/.test(command)) {
    fail([`deno.json's start task must list explicit --allow-* flags: ${command}`]);
  }
  return flags;
}

try {
  await Deno.stat(join(ROOT, ASSETS, "manifest.json"));
} catch {
  fail([`${ASSETS}/manifest.json is missing: run deno task build first (deno task compile does)`]);
}

// A binary built on the full `deno` only starts the REPL: refuse it rather than ship that.
const denort = Deno.env.get("DENORT_BIN");
if (denort !== undefined && denort !== "") {
  const sameAsDeno = await Promise.all([Deno.realPath(denort), Deno.realPath(Deno.execPath())])
    .then(([a, b]) => a === b, () => false);
  if (sameAsDeno || basename(denort) === "deno") {
    fail([
      `DENORT_BIN must name a denort binary, the runtime deno compile builds on: current value ` +
      `is ${JSON.stringify(denort)}, which is deno itself (a binary built on it starts the REPL)`,
    ]);
  }
}

const args = [
  "compile",
  "--output",
  OUTPUT,
  "--include",
  ASSETS,
  ...WORKERS.flatMap((worker) => ["--include", worker]),
  ...await startPermissions(),
  ...Deno.args,
  ENTRY,
];
// deno-lint-ignore no-console -- a command-line tool's own messages
console.error(`deno ${args.join(" ")}`);
const child = new Deno.Command(Deno.execPath(), {
  args,
  cwd: ROOT,
  stdout: "inherit",
  stderr: "piped",
}).spawn();
// Shown as it comes, and kept to recognise the download failure.
let stderr = "";
const decoder = new TextDecoder();
for await (const chunk of child.stderr) {
  stderr += decoder.decode(chunk, { stream: true });
  await Deno.stderr.write(chunk);
}
const { code } = await child.status;
if (code !== 0 && /denort|dl\.deno\.land/.test(stderr)) {
  const version = Deno.version.deno;
  fail([
    "",
    `deno compile could not get denort ${version}, the runtime a binary is built on: it is ` +
    `downloaded from dl.deno.land on first use (then cached in DENO_DIR), and that failed above.`,
    "The UI assets are ready in dist/assets. To build the binary, either:",
    "  - run deno task compile on a machine that reaches dl.deno.land (once: it is cached), or",
    `  - set DENORT_BIN to a denort ${version} binary for this platform (not deno itself), or`,
    "    place denort next to the deno executable.",
  ]);
}
Deno.exit(code);
