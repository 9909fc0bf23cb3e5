/**
 * `deno task bench:ui-js`: the JavaScript each page loads before it is interactive, in headless
 * Chromium against a fresh Argus, raw and gzip-compressed; ECharts chunks (loaded lazily by the
 * chart islands) apart. Goal (issue 5): under 100 KB gzip per page before lazy chart code.
 *
 * @module
 */
import { startArgus } from "../tests/argus_process.ts";
import { runScenario } from "../tests/browser.ts";

interface PageFigures {
  path: string;
  files: number;
  raw: number;
  gzip: number;
  chartFiles: number;
  chartGzip: number;
}

const GOAL_KB = 100;
const cwd = await Deno.makeTempDir({ prefix: "argus-bench-js-" });
const argus = await startArgus({}, cwd);
try {
  const { answer, problems } = await runScenario<PageFigures[]>("initial_js", argus.baseUrl);
  const kb = (n: number) => (n / 1024).toFixed(1);
  const lines = [
    "| page | scripts | initial JS raw KB | initial JS gzip KB | goal | lazy chart chunks gzip KB |",
    "|---|--:|--:|--:|---|--:|",
    ...answer.map((p) =>
      `| ${p.path} | ${p.files} | ${kb(p.raw)} | ${kb(p.gzip)} | ${
        p.gzip < GOAL_KB * 1024 ? "met" : "**missed**"
      } (< ${GOAL_KB} KB) | ${p.chartFiles === 0 ? "–" : kb(p.chartGzip)} |`
    ),
  ];
  // deno-lint-ignore no-console -- the benchmark's report
  console.log(lines.join("\n"));
  if (problems.length > 0) {
    // deno-lint-ignore no-console -- the benchmark's report
    console.log(`\npage problems: ${problems.join("; ")}`);
  }
} finally {
  await argus.stop();
  await Deno.remove(cwd, { recursive: true });
}
