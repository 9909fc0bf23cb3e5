/**
 * Browser tests' Deno side: runs a scenario of `tests/browser/scenarios/` in headless Chromium
 * (Debian's `chromium`, driven by playwright-core under Node; see tests/browser/run.mjs) against a
 * running Argus, and returns what it answered and the problems the page showed.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

const RUNNER = fileURLToPath(new URL("./browser/run.mjs", import.meta.url));
const ROOT = fileURLToPath(new URL("..", import.meta.url));

export interface ScenarioResult<T> {
  answer: T;
  /** Console errors, uncaught page errors, failed requests and HTTP errors, in order. */
  problems: string[];
}

export async function runScenario<T = unknown>(
  name: string,
  baseUrl: string,
  options: Record<string, unknown> = {},
): Promise<ScenarioResult<T>> {
  const output = await new Deno.Command("node", {
    args: [RUNNER, name, baseUrl, JSON.stringify(options)],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (line === undefined) {
    throw new Error(
      `Browser scenario ${name} gave no result (exit ${output.code}):\n${stdout}\n${stderr}`,
    );
  }
  const result = JSON.parse(line.slice("RESULT ".length));
  if (result.failure) {
    throw new Error(
      `Browser scenario ${name} failed: ${result.failure}\nproblems: ${result.problems.join("\n")}`,
    );
  }
  return { answer: result.answer, problems: result.problems };
}
