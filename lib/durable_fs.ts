/**
 * File-system steps that survive a power loss: a folder's entries made durable, and folders
 * created durably. Used wherever a file must still be there after a crash once Argus has relied
 * on it (the dead-letter queue, the instance lock's folders).
 *
 * @module
 */
import { dirname, resolve } from "node:path";

/**
 * Makes the folder's entries (a rename, a new or deleted file) durable. Linux and macOS fsync an
 * open directory; Windows cannot open one as a file, and NTFS journals metadata itself, so only
 * there the failure to open is ignored.
 */
export async function syncDir(dir: string): Promise<void> {
  let handle: Deno.FsFile;
  try {
    handle = await Deno.open(dir, { read: true });
  } catch (error) {
    if (Deno.build.os === "windows" && error instanceof Deno.errors.PermissionDenied) return;
    throw error;
  }
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}

/**
 * `mkdir -p` whose new folders survive a crash: the folder entry of each one is fsync'd in its
 * parent (files fsync'd inside a folder whose own entry is lost are lost with it).
 */
export async function makeDirsDurably(dir: string): Promise<void> {
  const created: string[] = [];
  for (let path = resolve(dir); !(await exists(path)); path = dirname(path)) {
    created.unshift(path);
    if (dirname(path) === path) break;
  }
  if (created.length === 0) return;
  await Deno.mkdir(dir, { recursive: true });
  for (const path of created) await syncDir(dirname(path));
}

export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
