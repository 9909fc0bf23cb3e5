/**
 * `deno task build`: builds the UI's assets once, as Argus does in memory at start-up, and writes
 * them to `dist/assets/` with a `manifest.json` (files, content types, ETags, client entry, and a
 * hash of every source they were made from). Argus then serves them without running esbuild, a
 * compiled binary embeds them (`deno task compile`), and the container image carries them.
 * Argus ignores them, and builds in memory, once a source has changed since.
 *
 * @module
 */
import { relative } from "node:path";
import { PREBUILT_DIR, writePrebuiltAssets } from "../routes/_assets.ts";

const started = performance.now();
const manifest = await writePrebuiltAssets();
const files = Object.entries(manifest.files);
const bytes = files.reduce((sum, [, file]) => sum + file.bytes, 0);
const dir = relative(Deno.cwd(), PREBUILT_DIR) || ".";
const lines = [
  `UI assets written to ${dir}/ in ${Math.round(performance.now() - started)} ms: ` +
  `${files.length} files, ${(bytes / 1024).toFixed(0)} KiB, ` +
  `${manifest.islands.length} islands, ${Object.keys(manifest.sources).length} sources hashed`,
  `  client entry  /static/${manifest.clientEntry}`,
];
await Deno.stdout.write(new TextEncoder().encode(lines.join("\n") + "\n"));
