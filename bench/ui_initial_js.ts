/**
 * `deno task bench:ui-js [-- --baseline=<git ref>]`: the JavaScript each page loads before it is
 * interactive, in headless Chromium against a fresh Argus, raw and gzip-compressed; ECharts chunks
 * (loaded lazily by the chart islands) apart. Goal: under 100 KB gzip per page before lazy chart
 * code (issue 14; issues 5 and 13 aimed at 90 KB, before the time picker, dark mode, log paging
 * and the charts' clicks came).
 *
 * With `--baseline`, the same pages of that commit are measured first, in the same run
 * (bench/_baseline.ts), browsed by this checkout's scenario; the table then shows both and the
 * difference.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { startArgus as startThis } from "../tests/argus_process.ts";
import { runScenario } from "../tests/browser.ts";
import { withBaseline } from "./_baseline.ts";

interface PageFigures {
  path: string;
  files: number;
  raw: number;
  gzip: number;
  chartFiles: number;
  chartGzip: number;
}

type Start = typeof startThis;

const GOAL_KB = 100;
const { values } = parseArgs({ args: Deno.args, options: { baseline: { type: "string" } } });

/** The pages' figures as served by the Argus `start` starts. */
async function measure(start: Start): Promise<PageFigures[]> {
  const cwd = await Deno.makeTempDir({ prefix: "argus-bench-js-" });
  const argus = await start({}, cwd, 60_000);
  try {
    const { answer, problems } = await runScenario<PageFigures[]>("initial_js", argus.baseUrl);
    if (problems.length > 0) {
      // deno-lint-ignore no-console -- the benchmark's report
      console.log(`page problems: ${problems.join("; ")}`);
    }
    return answer;
  } finally {
    await argus.stop();
    await Deno.remove(cwd, { recursive: true });
  }
}

const kb = (n: number) => (n / 1024).toFixed(1);
const verdict = (gzip: number) => gzip < GOAL_KB * 1024 ? "met" : "**missed**";
const chart = (p: PageFigures) => p.chartFiles === 0 ? "–" : kb(p.chartGzip);

const baseline = values.baseline === undefined
  ? null
  : await withBaseline(values.baseline, async ({ commit, startArgus }) => ({
    commit,
    pages: await measure(startArgus),
  }));
const pages = await measure(startThis);
const lines = baseline === null
  ? [
    `| page | scripts | initial JS raw KB | initial JS gzip KB | goal (< ${GOAL_KB} KB) | lazy chart chunks gzip KB |`,
    "|---|--:|--:|--:|---|--:|",
    ...pages.map((p) =>
      `| ${p.path} | ${p.files} | ${kb(p.raw)} | ${kb(p.gzip)} | ${verdict(p.gzip)} | ${chart(p)} |`
    ),
  ]
  : [
    `| page | gzip KB at ${baseline.commit} | gzip KB now | change KB | raw KB now | scripts now | goal (< ${GOAL_KB} KB) |`,
    "|---|--:|--:|--:|--:|--:|---|",
    ...pages.map((p) => {
      const before = baseline.pages.find((b) => b.path === p.path);
      const change = before ? (p.gzip - before.gzip) / 1024 : NaN;
      return `| ${p.path} | ${before ? kb(before.gzip) : "–"} | ${kb(p.gzip)} | ${
        Number.isNaN(change) ? "–" : `${change >= 0 ? "+" : ""}${change.toFixed(1)}`
      } | ${kb(p.raw)} | ${p.files} | ${verdict(p.gzip)} |`;
    }),
  ];
// deno-lint-ignore no-console -- the benchmark's report
console.log(lines.join("\n"));
