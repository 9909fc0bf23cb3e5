/**
 * `deno task audit`: the dependency vulnerability audit, as .github/workflows/audit.yml runs it.
 *
 * - npm packages (every dependency of Argus is one, pinned by package-lock.json): `npm audit`
 *   against the registry's advisories, once for the packages Argus runs with (`--omit=dev`:
 *   fails on a high or critical advisory) and once for all, test tools included (fails on a
 *   critical one; the rest is reported).
 * - Deno packages: there are none. Deno resolves nothing but npm packages here (no `jsr:`, no
 *   `https:` imports, no import map), so `deno audit` would check the same npm packages; this
 *   fails if a JSR or URL import appears, which would need an audit of its own.
 *
 * Exit code: 0 clean, 1 advisories at the failing level or a JSR/URL import, 2 the audit could
 * not run (the registry's advisory service unreachable).
 *
 * @module
 */
import { join, relative } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
/** Not sources: installed packages, build output, data (hidden files and folders neither). */
const SKIP = new Set(["node_modules", "dist", "data"]);
const SEVERITIES = ["info", "low", "moderate", "high", "critical"] as const;
type Severity = typeof SEVERITIES[number];

const lines: string[] = [];
const say = (line = "") => lines.push(line);

/** Import specifiers from JSR or a URL in any source file of the project. */
async function denoRegistryImports(dir = ROOT): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.name.startsWith(".") || SKIP.has(entry.name)) continue;
    if (entry.isDirectory) {
      found.push(...await denoRegistryImports(path));
    } else if (entry.isFile && /\.(ts|tsx|js|mjs|jsx)$/.test(entry.name)) {
      const text = await Deno.readTextFile(path);
      for (
        const match of text.matchAll(
          /(?:from|import)\s*\(?\s*["']((?:jsr:|https?:\/\/)[^"']+)["']/g,
        )
      ) {
        found.push(`${relative(ROOT, path)}: ${match[1]}`);
      }
    }
  }
  return found;
}

/** deno.json import map entries that point at JSR or a URL. */
async function importMapEntries(): Promise<string[]> {
  const denoJson = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  return Object.entries(denoJson.imports ?? {})
    .filter(([, target]) => /^(jsr:|https?:\/\/)/.test(String(target)))
    .map(([name, target]) => `deno.json imports ${name}: ${target}`);
}

interface AuditReport {
  vulnerabilities?: Record<string, {
    severity: Severity;
    range: string;
    via: Array<string | { title: string; url: string }>;
    fixAvailable: boolean | { name: string; version: string; isSemVerMajor: boolean };
  }>;
  metadata?: { vulnerabilities: Record<Severity | "total", number> };
  message?: string;
  error?: { summary: string; detail: string };
}

/** Runs `npm audit --json`; undefined (with the reason said) when the audit could not run. */
async function npmAudit(omitDev: boolean): Promise<AuditReport | undefined> {
  const args = ["audit", "--json", ...(omitDev ? ["--omit=dev"] : [])];
  const output = await new Deno.Command("npm", {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder().decode(output.stdout);
  let report: AuditReport;
  try {
    report = JSON.parse(text);
  } catch {
    report = {};
  }
  if (report.metadata === undefined) {
    const reason = report.message ?? report.error?.summary ??
      new TextDecoder().decode(output.stderr).trim().split("\n").at(-1) ??
      `exit code ${output.code}`;
    say(`  npm audit could not run: ${reason}`);
    return undefined;
  }
  return report;
}

function describe(report: AuditReport): void {
  const counts = report.metadata!.vulnerabilities;
  say(`  ${SEVERITIES.map((s) => `${counts[s]} ${s}`).join(", ")}`);
  for (const [name, vulnerability] of Object.entries(report.vulnerabilities ?? {})) {
    const advisories = vulnerability.via
      .map((via) => typeof via === "string" ? `through ${via}` : `${via.title} (${via.url})`);
    const fix = vulnerability.fixAvailable === false
      ? "no fix available"
      : vulnerability.fixAvailable === true
      ? "fix: npm audit fix"
      : `fix: ${vulnerability.fixAvailable.name}@${vulnerability.fixAvailable.version}${
        vulnerability.fixAvailable.isSemVerMajor ? " (major)" : ""
      }`;
    say(`  - ${name} ${vulnerability.range}: ${vulnerability.severity}; ${fix}`);
    for (const advisory of advisories) say(`      ${advisory}`);
  }
}

function atOrAbove(report: AuditReport, level: Severity): number {
  const counts = report.metadata!.vulnerabilities;
  return SEVERITIES.slice(SEVERITIES.indexOf(level)).reduce((sum, s) => sum + counts[s], 0);
}

let failed = false;
let couldNotRun = false;

say("Deno packages (JSR, URL imports, import map)");
const foreign = [...await denoRegistryImports(), ...await importMapEntries()];
if (foreign.length === 0) say("  none: every dependency is an npm package, audited below");
else {
  failed = true;
  say("  found, which npm audit does not cover: audit them (deno audit) or replace them");
  for (const line of foreign) say(`  - ${line}`);
}

for (
  const [title, omitDev, level] of [
    ["npm packages Argus runs with (npm audit --omit=dev; fails on high)", true, "high"],
    ["all npm packages, test tools included (npm audit; fails on critical)", false, "critical"],
  ] as const
) {
  say();
  say(title);
  const report = await npmAudit(omitDev);
  if (report === undefined) {
    couldNotRun = true;
    continue;
  }
  describe(report);
  if (atOrAbove(report, level) > 0) failed = true;
}

say();
if (failed) say("Audit failed: see above");
else if (couldNotRun) {
  say(
    "Audit incomplete: npm's advisory service (POST /-/npm/v1/security/advisories/bulk on the " +
      "registry) did not answer; run it where the registry is reachable, as the audit workflow does",
  );
} else say("Audit passed");
await Deno.stdout.write(new TextEncoder().encode(lines.join("\n") + "\n"));
Deno.exit(failed ? 1 : couldNotRun ? 2 : 0);
