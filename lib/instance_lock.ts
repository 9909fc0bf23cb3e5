/**
 * One Argus per dead-letter folder and per SQLite file. Two processes replaying one DLQ folder
 * would delete each other's temp files (taken for leftovers of a crash) and count each other's
 * files; two on one SQLite file would take turns at its single writer and pair service-map edges
 * from half the spans each. So each takes an exclusive advisory lock (`flock`) at start, and a
 * second one refuses to start, naming what is taken. The kernel drops the locks when the process
 * ends, however it ends, so a crash leaves nothing to clean up.
 *
 * @module
 */
import { dirname } from "node:path";
import { makeDirsDurably } from "./durable_fs.ts";
import { errorMessage } from "../utils/errors.ts";

/** What to lock: a folder (created if missing, and locked itself), or a file (created if missing). */
export interface LockTarget {
  path: string;
  /** The setting that names it, for the message. */
  setting: string;
  /** `folder` locks the folder itself; `file` a lock file (created if missing). */
  kind: "folder" | "file";
}

/** Another process holds a lock this one needs. */
export class InstanceLockedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InstanceLockedError";
  }
}

/** A lock's folder or file cannot be created or opened (not a folder, no permission…). */
export class LockTargetError extends Error {
  constructor(readonly target: LockTarget, cause: unknown) {
    super(
      `Cannot use ${target.path} (${target.setting}): ${errorMessage(cause)}`,
      { cause },
    );
    this.name = "LockTargetError";
  }
}

export interface InstanceLock {
  release(): void;
}

/** Takes every lock or none: throws `InstanceLockedError` naming the first one that is taken. */
export async function lockInstance(targets: readonly LockTarget[]): Promise<InstanceLock> {
  const held: Deno.FsFile[] = [];
  const release = () => {
    for (const file of held.splice(0)) {
      try {
        file.close(); // closing drops the flock
      } catch {
        // closed already
      }
    }
  };
  try {
    for (const target of targets) {
      let file: Deno.FsFile;
      try {
        await makeDirsDurably(target.kind === "folder" ? target.path : dirname(target.path));
        file = target.kind === "folder"
          ? await Deno.open(target.path, { read: true })
          : await Deno.open(target.path, { read: true, write: true, create: true });
      } catch (error) {
        throw new LockTargetError(target, error);
      }
      held.push(file);
      if (!(await file.tryLock(true))) {
        throw new InstanceLockedError(
          `Cannot start as another Argus process is using ${target.path} (${target.setting}): ` +
            `stop it, or give this one its own ${target.setting}`,
        );
      }
    }
  } catch (error) {
    release();
    throw error;
  }
  return { release };
}
