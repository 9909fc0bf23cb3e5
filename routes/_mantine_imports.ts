/**
 * An esbuild plugin for the islands' bundle: `import { Button, Select } from "@mantine/core"` in
 * Argus's own modules becomes one import per name, from the module of `@mantine/core` that
 * defines it. Through the package's index (one module that re-exports all 300 names), every
 * island reaches every component any island uses, so esbuild's code splitting put them all in one
 * shared chunk and each page loaded all of them; imported one by one, each component is in the
 * chunks of the islands that use it. Measured with `deno task bench:ui-js`: Settings' and a
 * trace's pages load about a third of what they did, the others 4 to 7 KB gzip less
 * (docs/benchmarks.md).
 *
 * Only the names the index re-exports from its own modules are rewritten; any other name (a type
 * imported without `type`, which TypeScript drops anyway) keeps an import from the index.
 *
 * @module
 */
import { dirname, join } from "node:path";
import type { Plugin } from "esbuild";

const MANTINE_IMPORT = /import\s*\{([^}]*)\}\s*from\s*["']@mantine\/core["'];?/g;

/** Exported name → the module that defines it and its name there, read from the package's index. */
async function definitions(root: string): Promise<Map<string, { file: string; name: string }>> {
  const index = join(root, "node_modules/@mantine/core/esm/index.mjs");
  const map = new Map<string, { file: string; name: string }>();
  const text = await Deno.readTextFile(index);
  for (const [, names, from] of text.matchAll(/export\s*\{([^}]+)\}\s*from\s*'([^']+)'/g)) {
    if (!from!.startsWith(".")) continue;
    const file = join(dirname(index), from!);
    for (const spec of names!.split(",")) {
      const [name, alias = name] = spec.trim().split(/\s+as\s+/);
      map.set(alias!, { file, name: name! });
    }
  }
  return map;
}

/** The import statements that replace one `import { … } from "@mantine/core"`. */
export function splitImport(
  specifiers: string,
  defined: ReadonlyMap<string, { file: string; name: string }>,
): string {
  const rest: string[] = [];
  const statements: string[] = [];
  for (const raw of specifiers.split(",")) {
    const spec = raw.trim();
    if (spec === "" || spec.startsWith("type ")) continue;
    const [name, alias = name] = spec.split(/\s+as\s+/);
    const definition = defined.get(name!);
    if (definition === undefined) rest.push(spec);
    else {
      statements.push(
        `import { ${definition.name} as ${alias} } from ${JSON.stringify(definition.file)};`,
      );
    }
  }
  if (rest.length > 0) statements.push(`import { ${rest.join(", ")} } from "@mantine/core";`);
  // One line, so that esbuild's messages keep their line numbers.
  return statements.join(" ");
}

/** The plugin; `root` is the project folder (its node_modules holds `@mantine/core`). */
export function mantineImports(root: string): Plugin {
  return {
    name: "argus-mantine-imports",
    setup(build) {
      const defined = definitions(root);
      build.onLoad({ filter: /\.tsx?$/ }, async (args) => {
        if (args.path.split("/").includes("node_modules")) return undefined;
        const source = await Deno.readTextFile(args.path);
        if (!source.includes("@mantine/core")) return undefined;
        const map = await defined;
        return {
          contents: source.replace(MANTINE_IMPORT, (_, specifiers) => splitImport(specifiers, map)),
          loader: args.path.endsWith(".tsx") ? "tsx" : "ts",
        };
      });
    },
  };
}
