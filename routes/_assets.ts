/**
 * The browser's assets, built at start-up and served from memory: every `islands/*.tsx` bundled
 * by esbuild (ESM, code splitting, so that islands share one Preact and one Mantine) behind a
 * small client entry that hydrates each island found in the page; Mantine's stylesheet, Argus's
 * own and the icon.
 *
 * Fresh's architecture without Fresh (which is on JSR, unreachable here): the server renders
 * pages with preact-render-to-string (routes/pages/), islands mark themselves in the HTML with
 * their props (components/Island.tsx), and this client entry hydrates them.
 *
 * @module
 */
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";
import { basename, join } from "node:path";

/** One file served under `/static/`. */
export interface Asset {
  body: Uint8Array;
  contentType: string;
  /** Content hash, for the ETag. */
  etag: string;
}

export interface Assets {
  /** Path under `/static/` → asset. */
  files: Map<string, Asset>;
  /** The client entry's path under `/static/`, e.g. `build/client-XXXX.js`. */
  clientEntry: string;
  /** Names of the islands found, e.g. `LogStream`. */
  islands: string[];
}

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ISLANDS_DIR = join(ROOT, "islands");
const STATIC_DIR = join(ROOT, "static");

const CONTENT_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".map": "application/json",
};

function contentType(path: string): string {
  const ext = path.slice(path.lastIndexOf("."));
  return CONTENT_TYPES[ext] ?? "application/octet-stream";
}

async function etagOf(body: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body as BufferSource));
  return `"${Array.from(digest.slice(0, 12), (b) => b.toString(16).padStart(2, "0")).join("")}"`;
}

/** Island modules: `islands/*.tsx` with a PascalCase name (helpers start with `_` or lower case). */
async function islandFiles(): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(ISLANDS_DIR)) {
    if (entry.isFile && /^[A-Z]\w*\.tsx$/.test(entry.name)) names.push(entry.name);
  }
  return names.sort();
}

/**
 * The client entry: hydrates every `<argus-island>` of the page with its module and props, then
 * marks it `data-ready` (browser tests wait for that). Islands load in parallel.
 */
function clientEntry(islands: string[]): string {
  const loaders = islands.map((file) =>
    `  ${JSON.stringify(basename(file, ".tsx"))}: () => import(${
      JSON.stringify(join(ISLANDS_DIR, file))
    }),`
  ).join("\n");
  return `import { h, hydrate } from "preact";
const islands = {
${loaders}
};
async function start(element) {
  const load = islands[element.dataset.island];
  if (!load) throw new Error("Unknown island " + element.dataset.island);
  const module = await load();
  const props = JSON.parse(element.querySelector(":scope > script[type='application/json']")?.textContent ?? "{}");
  hydrate(h(module.default, props), element.querySelector(":scope > argus-island-root"));
  element.dataset.ready = "true";
}
await Promise.all([...document.querySelectorAll("argus-island")].map((element) =>
  start(element).catch((error) => {
    element.dataset.ready = "error";
    console.error("island failed to start", element.dataset.island, error);
  })
));
document.documentElement.dataset.ready = "true";
`;
}

/** Builds every asset; throws with esbuild's messages when an island does not compile. */
export async function buildAssets(options: { minify?: boolean } = {}): Promise<Assets> {
  const islands = await islandFiles();
  const result = await esbuild.build({
    entryPoints: { client: "argus:client" },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "browser",
    target: ["es2022"],
    outdir: "/build",
    entryNames: "[name]-[hash]",
    chunkNames: "chunk-[hash]",
    write: false,
    minify: options.minify ?? true,
    jsx: "automatic",
    jsxImportSource: "preact",
    define: { "process.env.NODE_ENV": '"production"' },
    absWorkingDir: ROOT,
    nodePaths: [join(ROOT, "node_modules")],
    logLevel: "silent",
    plugins: [{
      name: "argus-client",
      setup(build) {
        build.onResolve({ filter: /^argus:client$/ }, () => ({
          path: "client",
          namespace: "argus",
        }));
        build.onLoad({ filter: /.*/, namespace: "argus" }, () => ({
          contents: clientEntry(islands),
          loader: "js",
          resolveDir: ROOT,
        }));
      },
    }],
  });
  const files = new Map<string, Asset>();
  let entry = "";
  for (const file of result.outputFiles) {
    const path = `build/${basename(file.path)}`;
    if (basename(file.path).startsWith("client-")) entry = path;
    files.set(path, {
      body: file.contents,
      contentType: contentType(path),
      etag: await etagOf(file.contents),
    });
  }
  const add = async (path: string, from: string) => {
    const body = await Deno.readFile(from);
    files.set(path, { body, contentType: contentType(path), etag: await etagOf(body) });
  };
  await add("mantine.css", join(ROOT, "node_modules/@mantine/core/styles.css"));
  for await (const entry of Deno.readDir(STATIC_DIR)) {
    if (entry.isFile) await add(entry.name, join(STATIC_DIR, entry.name));
  }
  return { files, clientEntry: entry, islands: islands.map((f) => basename(f, ".tsx")) };
}

/** Serves `/static/<path>` from the built assets: 404 for anything else. */
export function serveAsset(assets: Assets, path: string, request: Request): Response {
  const asset = assets.files.get(path);
  if (asset === undefined) {
    return new Response(JSON.stringify({ error: `No asset /static/${path}` }), {
      status: 404,
      headers: { "content-type": "application/json; charset=utf-8" },
    });
  }
  // Bundles are named by content hash; the rest may change with a new version of Argus.
  const cache = path.startsWith("build/")
    ? "public, max-age=31536000, immutable"
    : "public, max-age=300";
  if (request.headers.get("if-none-match") === asset.etag) {
    return new Response(null, {
      status: 304,
      headers: { etag: asset.etag, "cache-control": cache },
    });
  }
  return new Response(asset.body as BodyInit, {
    headers: { "content-type": asset.contentType, etag: asset.etag, "cache-control": cache },
  });
}
