/**
 * The module boundaries of ARCHITECTURE.md, checked over the source: a broken boundary fails here
 * rather than in a review.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { VARIABLES } from "../lib/config.ts";

const ROOT = new URL("..", import.meta.url).pathname;

async function* sourceFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(join(ROOT, dir))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* sourceFiles(path);
    else if (/\.(ts|tsx)$/.test(entry.name)) yield path;
  }
}

/** Specifiers a module imports at run time (`import type` brings in nothing). */
async function importsOf(path: string): Promise<string[]> {
  const text = await Deno.readTextFile(join(ROOT, path));
  return [
    ...text.matchAll(/(?:import|export)[^'"]*?from\s+["']([^"']+)["']|import\(["']([^"']+)["']\)/g),
  ]
    .filter((m) => !/^(import|export) type\b/.test(m[0]))
    .map((m) => (m[1] ?? m[2])!);
}

/** Top-level folder a relative import of `from` lands in, or undefined for packages. */
function targetFolder(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const target = relative(ROOT, join(ROOT, from, "..", specifier));
  return target.split("/")[0];
}

const FORBIDDEN: Record<string, string[]> = {
  store: ["ingest", "routes", "islands", "components", "chaos", "tests", "bench"],
  lib: ["store", "ingest", "routes", "islands", "components", "chaos"],
  ingest: ["routes", "islands", "components", "chaos"],
  routes: ["ingest", "chaos"],
  live: ["store", "ingest", "routes", "islands", "components", "chaos"],
  // Islands run in the browser: nothing of the server, except types (checked below).
  islands: ["store", "ingest", "routes", "live", "lib", "chaos"],
  components: ["store", "ingest", "routes", "live", "lib", "chaos"],
  // Pure logic both the server and the browser import: nothing of either side (not even types:
  // checked below).
  utils: ["store", "ingest", "routes", "live", "lib", "islands", "components", "chaos"],
  // The demo services are users of Argus, not part of it.
  chaos: ["store", "ingest", "routes", "live", "lib", "islands", "components"],
};

Deno.test("modules import only across the boundaries ARCHITECTURE.md allows", async () => {
  const violations: string[] = [];
  for (const [folder, forbidden] of Object.entries(FORBIDDEN)) {
    try {
      for await (const file of sourceFiles(folder)) {
        if (file.endsWith("_test.ts")) continue;
        for (const specifier of await importsOf(file)) {
          const target = targetFolder(file, specifier);
          if (target && forbidden.includes(target)) violations.push(`${file} imports ${specifier}`);
        }
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  assert.deepEqual(violations, []);
});

Deno.test("islands, components and utils use no Deno API: they run in the browser", async () => {
  const offenders: string[] = [];
  for (const folder of ["islands", "components", "utils"]) {
    try {
      for await (const file of sourceFiles(folder)) {
        if (file.endsWith("_test.ts")) continue;
        const text = await Deno.readTextFile(join(ROOT, file));
        if (/\bDeno\.|from "node:/.test(text)) offenders.push(file);
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  assert.deepEqual(offenders, []);
});

Deno.test("the API's wire shapes (utils/wire.ts) import nothing: both sides import them", async () => {
  assert.deepEqual(await importsOf("utils/wire.ts"), []);
  const text = await Deno.readTextFile(join(ROOT, "utils/wire.ts"));
  assert.doesNotMatch(text, /^import /m);
});

Deno.test("utils/ imports nothing of the server, not even types: the API's shapes are in utils/wire.ts", async () => {
  const offenders: string[] = [];
  for await (const file of sourceFiles("utils")) {
    if (file.endsWith("_test.ts")) continue;
    const text = await Deno.readTextFile(join(ROOT, file));
    for (const [, specifier] of text.matchAll(/from\s+["']([^"']+)["']/g)) {
      const target = targetFolder(file, specifier!);
      if (target !== undefined && target !== "utils") {
        offenders.push(`${file} imports ${specifier}`);
      }
    }
  }
  assert.deepEqual(offenders, []);
});

Deno.test("islands/ holds only islands (Fresh registers every file there as one)", async () => {
  const others: string[] = [];
  for await (const file of sourceFiles("islands")) {
    if (!/^islands\/[A-Z][A-Za-z]*\.tsx$/.test(file)) others.push(file);
  }
  assert.deepEqual(others, []);
});

Deno.test("no module imports from jsr: or deno.land, which this machine cannot reach", async () => {
  const offenders: string[] = [];
  for (
    const folder of [
      "lib",
      "store",
      "ingest",
      "routes",
      "live",
      "islands",
      "components",
      "utils",
      "chaos",
      "tests",
      "bench",
      "scripts",
    ]
  ) {
    try {
      for await (const file of sourceFiles(folder)) {
        for (const specifier of await importsOf(file)) {
          if (/^jsr:|^https?:\/\/deno\.land/.test(specifier)) {
            offenders.push(`${file}: ${specifier}`);
          }
        }
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  assert.deepEqual(offenders, []);
});

Deno.test("the README's configuration table lists every variable with its default", async () => {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const section = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("### Databases"));
  const rows = new Map(
    [...section.matchAll(/^\| `([A-Z_]+)` *\| ([^|]*?) *\|/gm)].map((m) => [m[1]!, m[2]!]),
  );
  for (const variable of VARIABLES) {
    assert.ok(rows.has(variable.name), `README.md has no row for ${variable.name}`);
    const cell = variable.default === "" ? "(none)" : `\`${variable.default}\``;
    assert.equal(rows.get(variable.name), cell, `default of ${variable.name}`);
  }
});
