/**
 * The browser's assets: every `islands/*.tsx` bundled by esbuild (ESM, code splitting, so that
 * islands share one Preact and one Mantine) behind a small client entry that hydrates each island
 * found in the page; Mantine's stylesheet, Argus's own and the icon.
 *
 * Two ways to get them, one entry point (`loadAssets()`):
 * - prebuilt: `deno task build` (scripts/build_assets.ts) writes them with a manifest to
 *   `dist/assets/`, which `deno compile --include` embeds in the binary and the container image
 *   carries. Read from files beside this module (`import.meta.url`), so the same code finds them in
 *   the project folder and in a compiled binary's embedded file system. esbuild spawns a native
 *   program, which a compiled binary cannot carry: prebuilt assets are how the binary has a UI.
 * - in memory: without a manifest, or when a source changed since it was written, esbuild builds
 *   them at start-up (about a second), as in development.
 *
 * Fresh's architecture without Fresh (which is on JSR, unreachable here): the server renders
 * pages with preact-render-to-string (routes/pages/), islands mark themselves in the HTML with
 * their props (components/Island.tsx), and this client entry hydrates them.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { basename, dirname, join, relative } from "node:path";

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

/** What `dist/assets/manifest.json` holds. Each served path is also the file's path in the folder. */
export interface AssetManifest {
  format: number;
  builtAt: string;
  clientEntry: string;
  islands: string[];
  files: Record<string, { contentType: string; etag: string; bytes: number }>;
  /**
   * Project-relative path → SHA-256 (hex) of every file the assets were made from: the bundles'
   * inputs outside node_modules (islands, components, whatever they import), `static/`,
   * `package-lock.json` (the packages bundled, Mantine's stylesheet) and this module (the build).
   */
  sources: Record<string, string>;
}

/** Assets and where they came from, for the start-up log. */
export interface LoadedAssets {
  assets: Assets;
  from: "prebuilt" | "memory";
  /** Why prebuilt assets were present but not used, e.g. "islands/LogStream.tsx changed". */
  outdated?: string;
}

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ISLANDS_DIR = join(ROOT, "islands");
const STATIC_DIR = join(ROOT, "static");
/** Where `deno task build` writes, `deno compile --include` embeds from and `loadAssets()` reads. */
export const PREBUILT_DIR = join(ROOT, "dist", "assets");
const MANIFEST = "manifest.json";
const MANIFEST_FORMAT = 1;
/** Sources that shape every asset beside the bundles' own inputs. */
const BUILD_SOURCES = ["package-lock.json", "routes/_assets.ts", "routes/_mantine_imports.ts"];

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

async function sha256(body: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", body as BufferSource));
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function etagOf(body: Uint8Array): Promise<string> {
  return `"${hex((await sha256(body)).slice(0, 12))}"`;
}

/** Island modules: `islands/*.tsx` with a PascalCase name (helpers start with `_` or lower case). */
async function islandFiles(): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(ISLANDS_DIR)) {
    if (entry.isFile && /^[A-Z]\w*\.tsx$/.test(entry.name)) names.push(entry.name);
  }
  return names.sort();
}

/** Files served from `static/` as they are (`static/` itself; not its folders). */
async function staticFiles(): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(STATIC_DIR)) {
    if (entry.isFile) names.push(entry.name);
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
import { carryWindow } from ${JSON.stringify(join(ROOT, "utils/time_window.ts"))};
import { followColorScheme } from ${
    JSON.stringify(join(ROOT, "components/color_scheme_toggle.ts"))
  };
import { cookieValue, preferenceCookie } from ${JSON.stringify(join(ROOT, "utils/cookies.ts"))};
import { BROWSER_ZONE_COOKIE, setDisplayZone } from ${
    JSON.stringify(join(ROOT, "utils/time_zone.ts"))
  };
// Times are shown in the zone the server rendered them in (utils/time_zone.ts), so that hydration
// changes none; the browser's zone is told to the server for the pages that follow.
setDisplayZone(document.documentElement.dataset.timeZone);
const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
if (browserZone && cookieValue(document.cookie, BROWSER_ZONE_COOKIE) !== browserZone) {
  document.cookie = preferenceCookie(BROWSER_ZONE_COOKIE, browserZone);
}
// The header's colour scheme toggle, and "auto" following the browser's preference.
followColorScheme();
// Links marked data-keep-window (the navigation) carry the page's time window as it is now: the
// page changes its URL without reloading, so the server's hrefs are brought up to date before a
// link is followed, copied or opened in a new tab.
const keepWindow = (event) => {
  const link = event.target instanceof Element ? event.target.closest("a[data-keep-window]") : null;
  if (link) link.href = carryWindow(link.dataset.keepWindow, location.search);
};
for (const type of ["mouseover", "focusin", "mousedown", "touchstart"]) {
  addEventListener(type, keepWindow, { capture: true, passive: true });
}
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

/** The build, with the project files it read (relative to the project folder). */
async function build(minify: boolean): Promise<{ assets: Assets; inputs: string[] }> {
  // Loaded here, not at the top: prebuilt assets (and so a compiled binary) never start esbuild,
  // and routes/_assets.ts alone serves them.
  const esbuild = await import("esbuild");
  const { mantineImports } = await import("./_mantine_imports.ts");
  const islands = await islandFiles();
  // esbuild runs as a service process (~175 MB); it is stopped as soon as the build is done, so
  // that it does not stay beside Argus for its whole life.
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
    metafile: true,
    minify,
    jsx: "automatic",
    jsxImportSource: "preact",
    define: { "process.env.NODE_ENV": '"production"' },
    absWorkingDir: ROOT,
    nodePaths: [join(ROOT, "node_modules")],
    logLevel: "silent",
    plugins: [mantineImports(ROOT), {
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
  }).finally(() => esbuild.stop());
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
  for (const name of await staticFiles()) await add(name, join(STATIC_DIR, name));
  // Inputs are relative to absWorkingDir; "argus:client" is the generated entry, packages are
  // pinned by package-lock.json.
  const inputs = Object.keys(result.metafile.inputs)
    .filter((path) => !path.includes(":") && !path.split("/").includes("node_modules"));
  return {
    assets: { files, clientEntry: entry, islands: islands.map((f) => basename(f, ".tsx")) },
    inputs,
  };
}

/** Builds every asset in memory; throws with esbuild's messages when an island does not compile. */
export async function buildAssets(options: { minify?: boolean } = {}): Promise<Assets> {
  return (await build(options.minify ?? true)).assets;
}

/** SHA-256 of each source, by project-relative path. */
async function hashSources(paths: string[]): Promise<Record<string, string>> {
  const sources: Record<string, string> = {};
  for (const path of [...new Set(paths)].sort()) {
    sources[path] = hex(await sha256(await Deno.readFile(join(ROOT, path))));
  }
  return sources;
}

/**
 * Builds every asset and writes it to `dir` (emptied first) with `manifest.json`: what
 * `deno task build` does. Returns the manifest.
 */
export async function writePrebuiltAssets(dir: string = PREBUILT_DIR): Promise<AssetManifest> {
  const { assets, inputs } = await build(true);
  const statics = (await staticFiles()).map((name) => relative(ROOT, join(STATIC_DIR, name)));
  const manifest: AssetManifest = {
    format: MANIFEST_FORMAT,
    builtAt: new Date().toISOString(),
    clientEntry: assets.clientEntry,
    islands: assets.islands,
    files: {},
    sources: await hashSources([...inputs, ...statics, ...BUILD_SOURCES]),
  };
  await Deno.remove(dir, { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  for (const [path, asset] of assets.files) {
    const file = join(dir, path);
    await Deno.mkdir(dirname(file), { recursive: true });
    await Deno.writeFile(file, asset.body);
    manifest.files[path] = {
      contentType: asset.contentType,
      etag: asset.etag,
      bytes: asset.body.byteLength,
    };
  }
  // Written last: a folder without a manifest is an unfinished build, and is not used.
  await Deno.writeTextFile(join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
  return manifest;
}

async function readManifest(dir: string): Promise<AssetManifest | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(join(dir, MANIFEST));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  return JSON.parse(text) as AssetManifest;
}

/** Why the manifest no longer describes the sources, or undefined when it still does. */
async function outdatedBy(manifest: AssetManifest): Promise<string | undefined> {
  if (manifest.format !== MANIFEST_FORMAT) {
    return `its format is ${JSON.stringify(manifest.format)}, this Argus reads ${MANIFEST_FORMAT}`;
  }
  const islands = (await islandFiles()).map((f) => basename(f, ".tsx"));
  if (islands.join() !== manifest.islands.join()) {
    return `the islands are now ${islands.join(", ")} (built: ${manifest.islands.join(", ")})`;
  }
  for (const [path, hash] of Object.entries(manifest.sources)) {
    let current: string;
    try {
      current = hex(await sha256(await Deno.readFile(join(ROOT, path))));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return `${path} was removed`;
      throw error;
    }
    if (current !== hash) return `${path} changed`;
  }
  const statics = (await staticFiles()).map((name) => `static/${name}`);
  const added = statics.find((path) => !(path in manifest.sources));
  return added === undefined ? undefined : `${added} was added`;
}

/** Reads the files a manifest lists, checking each against its recorded hash. */
async function readPrebuilt(dir: string, manifest: AssetManifest): Promise<Assets> {
  const files = new Map<string, Asset>();
  for (const [path, entry] of Object.entries(manifest.files)) {
    const body = await Deno.readFile(join(dir, path));
    const etag = await etagOf(body);
    if (etag !== entry.etag) {
      throw new Error(
        `The prebuilt asset ${join(dir, path)} does not match its manifest (ETag ${etag}, ` +
          `manifest ${entry.etag}): run deno task build again`,
      );
    }
    files.set(path, { body, contentType: entry.contentType, etag });
  }
  return { files, clientEntry: manifest.clientEntry, islands: manifest.islands };
}

export interface LoadAssetsOptions {
  /** The prebuilt folder; default `dist/assets` of the project (or of the compiled binary). */
  dir?: string;
  /**
   * True inside a binary built by `deno compile` (the default there): prebuilt assets are the only
   * ones, and are trusted, since `deno task compile` builds them just before it embeds them and the
   * binary carries neither the sources to compare them with nor esbuild.
   */
  standalone?: boolean;
}

/**
 * The UI's assets: the prebuilt ones when `dir` has a manifest that still matches the sources,
 * otherwise built in memory. In a compiled binary, the prebuilt ones or an error saying how to
 * build the binary with them.
 */
export async function loadAssets(options: LoadAssetsOptions = {}): Promise<LoadedAssets> {
  const dir = options.dir ?? PREBUILT_DIR;
  const standalone = options.standalone ?? Deno.build.standalone;
  const manifest = await readManifest(dir);
  if (manifest === undefined) {
    if (standalone) {
      throw new Error(
        `This binary has no UI assets (${join(dir, MANIFEST)} is missing): build it with ` +
          "deno task compile, which runs deno task build and embeds dist/assets",
      );
    }
    return { assets: await buildAssets(), from: "memory" };
  }
  const outdated = standalone ? undefined : await outdatedBy(manifest);
  if (outdated !== undefined) return { assets: await buildAssets(), from: "memory", outdated };
  return { assets: await readPrebuilt(dir, manifest), from: "prebuilt" };
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
  // A gzip-compressed answer carried the weak form of the ETag (Hono's compress middleware, routes/mod.ts).
  const ifNoneMatch = request.headers.get("if-none-match")?.replace(/^W\//, "");
  if (ifNoneMatch === asset.etag) {
    return new Response(null, {
      status: 304,
      headers: { etag: asset.etag, "cache-control": cache },
    });
  }
  return new Response(asset.body as BodyInit, {
    headers: { "content-type": asset.contentType, etag: asset.etag, "cache-control": cache },
  });
}
