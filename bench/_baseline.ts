/**
 * A commit to measure beside the working tree, in the same run (`--baseline=<git ref>` of the
 * benchmarks that take it): the commit is checked out in a temporary git worktree that shares this
 * checkout's node_modules, and started by its own `tests/argus_process.ts`, so that it runs as
 * that commit ran. The worktree is removed afterwards.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import type { startArgus } from "../tests/argus_process.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");

async function git(...args: string[]): Promise<string> {
  const output = await new Deno.Command("git", { args, cwd: ROOT, stderr: "inherit" }).output();
  if (!output.success) throw new Error(`git ${args.join(" ")} failed`);
  return new TextDecoder().decode(output.stdout).trim();
}

/** A commit checked out to measure: its short hash and how to start its Argus. */
export interface Baseline {
  commit: string;
  startArgus: typeof startArgus;
}

/** Runs `measure` with the commit `ref` checked out, then removes the checkout. */
export async function withBaseline<T>(
  ref: string,
  measure: (baseline: Baseline) => Promise<T>,
): Promise<T> {
  const commit = await git("rev-parse", "--short", ref);
  const tree = await Deno.makeTempDir({ prefix: `argus-baseline-${commit}-` });
  await git("worktree", "add", "--detach", "--force", tree, ref);
  try {
    await Deno.symlink(`${ROOT}/node_modules`, `${tree}/node_modules`);
    const module = await import(`${tree}/tests/argus_process.ts`) as {
      startArgus: typeof startArgus;
    };
    return await measure({ commit, startArgus: module.startArgus });
  } finally {
    await git("worktree", "remove", "--force", tree);
  }
}
