/**
 * The peer benchmark's Go programs: telemetrygen (the OpenTelemetry load generator) and Jaeger v2,
 * found in bench/.cache/ (gitignored), on PATH, or built there with Go from the module proxy.
 * Nothing of theirs is kept in the repository: Jaeger's module is downloaded and built at bench
 * time only.
 *
 * @module
 */

export const TELEMETRYGEN_VERSION = "v0.149.0";
export const JAEGER_VERSION = "v1.75.0";
const TELEMETRYGEN_MODULE =
  "github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen";
const JAEGER_MODULE = "github.com/jaegertracing/jaeger";

export const CACHE_DIR = new URL("./.cache/", import.meta.url).pathname;

/** Where a tool came from, or why it is missing. */
export type Tool =
  | { path: string; how: string }
  | { path: null; how: string };

async function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const output = await new Deno.Command(command, {
    args,
    ...options,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (output.code !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} failed with code ${output.code}: ${
        decoder.decode(output.stderr).trim().split("\n").slice(-20).join("\n")
      }`,
    );
  }
  return decoder.decode(output.stdout);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** The absolute path of `name` on PATH, or null. */
async function onPath(name: string): Promise<string | null> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir && await isFile(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return null;
}

/** `go version`, or null when Go is not installed. */
export async function goVersion(): Promise<string | null> {
  try {
    return (await run("go", ["version"])).trim();
  } catch {
    return null;
  }
}

/**
 * telemetrygen: the cached binary, else `go install` into the cache, else one on PATH. `rebuild`
 * removes the cached binary first.
 */
export async function telemetrygen(rebuild: boolean, log: (line: string) => void): Promise<Tool> {
  const dir = `${CACHE_DIR}telemetrygen-${TELEMETRYGEN_VERSION}`;
  const path = `${dir}/telemetrygen`;
  if (rebuild) await Deno.remove(dir, { recursive: true }).catch(() => {});
  if (await isFile(path)) return { path, how: `cached (${path})` };
  if (await goVersion() !== null) {
    log(`Installing telemetrygen ${TELEMETRYGEN_VERSION} with go install (about a minute)…`);
    const started = performance.now();
    await Deno.mkdir(dir, { recursive: true });
    await run("go", ["install", `${TELEMETRYGEN_MODULE}@${TELEMETRYGEN_VERSION}`], {
      env: { GOBIN: dir },
    });
    const seconds = Math.round((performance.now() - started) / 1000);
    return { path, how: `installed with go install in ${seconds} s (${path})` };
  }
  const found = await onPath("telemetrygen");
  if (found) return { path: found, how: `found on PATH (${found}; version not checked)` };
  return { path: null, how: "Go is not installed (no `go` on PATH) and no telemetrygen is cached" };
}

/**
 * Jaeger v2: the cached binary, else built with Go. `go install` refuses Jaeger's module for its
 * replace directives, so the module is downloaded (`go mod download`), copied to the cache (the
 * module cache is read-only) and built there with `go build ./cmd/jaeger`: a few minutes on two
 * cores, once.
 */
export async function jaeger(rebuild: boolean, log: (line: string) => void): Promise<Tool> {
  const dir = `${CACHE_DIR}jaeger-${JAEGER_VERSION}`;
  const path = `${dir}/jaeger`;
  if (rebuild) await Deno.remove(dir, { recursive: true }).catch(() => {});
  if (await isFile(path)) return { path, how: `cached (${path})` };
  if (await goVersion() === null) {
    const found = await onPath("jaeger");
    if (found) return { path: found, how: `found on PATH (${found}; version not checked)` };
    return { path: null, how: "Go is not installed (no `go` on PATH) and no Jaeger is cached" };
  }
  log(`Building Jaeger ${JAEGER_VERSION} with go build (a few minutes on two cores, once)…`);
  const started = performance.now();
  const module = JSON.parse(
    await run("go", ["mod", "download", "-json", `${JAEGER_MODULE}@${JAEGER_VERSION}`]),
  ) as { Dir?: string; Error?: string };
  if (!module.Dir) throw new Error(`go mod download found no ${JAEGER_MODULE}: ${module.Error}`);
  const source = `${dir}/src`;
  await Deno.remove(source, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  await run("cp", ["-R", module.Dir, source]);
  await run("chmod", ["-R", "u+w", source]);
  await run("go", ["build", "-o", path, "./cmd/jaeger"], { cwd: source });
  const seconds = Math.round((performance.now() - started) / 1000);
  return { path, how: `built with go build in ${seconds} s (${path})` };
}
