// deno-lint-ignore-file no-console -- a benchmark prints its figures
/**
 * What the official `openai` npm package would cost Argus, beside its own client: processes that
 * import nothing, Argus's chat-completions client (lib/chat_completions.ts, with
 * eventsource-parser), or the `openai` package, interleaved, each process timed whole (start to
 * exit), with its import's milliseconds and its RSS and heap after a full GC
 * (bench/_openai_probe.ts). The package is installed with npm into bench/.cache/openai once
 * (`--version V`, default 7.60.0), never into Argus's package.json: it is measured, not used
 * (ARCHITECTURE.md, "AI insight"). Also prints its size on disk and its module count.
 *
 *   deno task bench:openai [--rounds 15] [--version 7.60.0]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { CACHE_DIR } from "./_peers_tools.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "15" },
    version: { type: "string", default: "7.60.0" },
  },
});
const rounds = Number(values.rounds);
const version = values.version!;
const dir = `${CACHE_DIR}openai-${version}`;
const entry = `${dir}/node_modules/openai/index.mjs`;

async function installed(): Promise<void> {
  try {
    await Deno.stat(entry);
    return;
  } catch {
    // installed below
  }
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/package.json`, JSON.stringify({ private: true }));
  const { code, stderr } = await new Deno.Command("npm", {
    args: ["install", "--no-audit", "--no-fund", `openai@${version}`],
    cwd: dir,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`npm install openai@${version}: ${new TextDecoder().decode(stderr)}`);
  }
}

async function sizeOf(path: string): Promise<{ bytes: number; files: number; modules: number }> {
  let bytes = 0, files = 0, modules = 0;
  for await (const entry of Deno.readDir(path)) {
    const full = `${path}/${entry.name}`;
    if (entry.isDirectory) {
      const inner = await sizeOf(full);
      bytes += inner.bytes;
      files += inner.files;
      modules += inner.modules;
    } else if (entry.isFile) {
      bytes += (await Deno.stat(full)).size;
      files++;
      if (entry.name.endsWith(".mjs")) modules++;
    }
  }
  return { bytes, files, modules };
}

interface Run {
  wallMs: number;
  importMs: number;
  rss: number;
  heapUsed: number;
}

async function probe(what: string): Promise<Run> {
  const started = performance.now();
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--v8-flags=--expose-gc", "bench/_openai_probe.ts", what],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const wallMs = performance.now() - started;
  if (code !== 0) throw new Error(`probe ${what}: ${new TextDecoder().decode(stderr)}`);
  return { wallMs, ...JSON.parse(new TextDecoder().decode(stdout)) };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

await installed();
const subjects = [
  { name: "nothing", what: "none" },
  { name: "Argus's client", what: "ours" },
  { name: `openai ${version}`, what: entry },
];
// Warm-up: the disk cache and Deno's code cache, as any start after the first.
for (const subject of subjects) for (let i = 0; i < 2; i++) await probe(subject.what);
const runs = new Map(subjects.map((s) => [s.name, [] as Run[]]));
for (let round = 0; round < rounds; round++) {
  for (const subject of subjects) runs.get(subject.name)!.push(await probe(subject.what));
}

const base = runs.get("nothing")!;
const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
console.log(
  `${rounds} interleaved rounds; medians; "+" is the same-run difference from importing nothing\n`,
);
console.log("| imports          | process ms | + ms | import ms | RSS MB | + MB | heap MB |");
console.log("| ---------------- | ---------: | ---: | --------: | -----: | ---: | ------: |");
for (const subject of subjects) {
  const r = runs.get(subject.name)!;
  const wall = median(r.map((x) => x.wallMs));
  const rss = median(r.map((x) => x.rss));
  console.log(
    `| ${subject.name.padEnd(16)} | ${wall.toFixed(1)} | ${
      (wall - median(base.map((x) => x.wallMs))).toFixed(1)
    } | ${median(r.map((x) => x.importMs)).toFixed(1)} | ${mb(rss)} | ${
      mb(rss - median(base.map((x) => x.rss)))
    } | ${mb(median(r.map((x) => x.heapUsed)))} |`,
  );
}
const size = await sizeOf(`${dir}/node_modules/openai`);
console.log(
  `\nopenai ${version} on disk: ${
    mb(size.bytes)
  } MB in ${size.files} files (${size.modules} .mjs modules)`,
);
