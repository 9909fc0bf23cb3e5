/**
 * Installs the npm packages pinned in package-lock.json, but only when node_modules is missing
 * or was installed from another lock file, so `deno task start` stays fast on every later run.
 *
 * Why npm and not Deno: Mantine needs Preact's compat package installed under the names `react`
 * and `react-dom`, which only an npm alias in package.json achieves (a deno.json import map does
 * not reach inside npm packages). deno.json therefore sets `"nodeModulesDir": "manual"`.
 *
 * @module
 */
import { createHash } from "node:crypto";

const LOCK = "package-lock.json";
const STAMP = "node_modules/.argus-lock-sha256";

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

async function readOrEmpty(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "";
    throw error;
  }
}

const wanted = sha256(await Deno.readTextFile(LOCK));
if ((await readOrEmpty(STAMP)).trim() !== wanted) {
  const { code } = await new Deno.Command("npm", {
    args: ["ci", "--no-audit", "--no-fund", "--loglevel=error"],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    throw new Error(`npm ci failed with exit code ${code}: see its output above`);
  }
  // Written with the permissions of the task (read/write of the project folder).
  await Deno.writeTextFile(STAMP, wanted + "\n");
}
