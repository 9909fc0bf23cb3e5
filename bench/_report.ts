/**
 * What a benchmark measured, and the Markdown table the results are printed as (so that a run can
 * be pasted into docs/benchmarks.md as it is).
 *
 * @module
 */

export interface Measurement {
  database: string;
  path: string;
  /** What was written, e.g. "spans" or "spans, duplicates". */
  signal: string;
  rows: number;
  seconds: number;
}

/** A measurement that did not happen: `note` is "skipped: <reason>" or "failed: <reason>". */
export interface Missing {
  database: string;
  path: string;
  note: string;
}

export type Result = Measurement | Missing;

export function rowsPerSecond(m: Measurement): number {
  return m.rows / m.seconds;
}

/** Seconds `fn` took, from a monotonic clock. */
export async function seconds(fn: () => Promise<void> | void): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

/** The median run of a measurement repeated in several rounds, and the spread of all runs. */
export interface Summary extends Measurement {
  runs: number;
  /** Lowest and highest rows/s of the runs. */
  min: number;
  max: number;
}

/** Groups repeated runs of the same database, path and signal, keeping each group's median run. */
export function summarize(results: readonly Result[]): (Summary | Missing)[] {
  const groups = new Map<string, Measurement[]>();
  const out: (Summary | Missing | Measurement[])[] = [];
  for (const result of results) {
    if ("note" in result) {
      out.push(result);
      continue;
    }
    const key = JSON.stringify([result.database, result.path, result.signal]);
    const group = groups.get(key);
    if (group) group.push(result);
    else {
      groups.set(key, [result]);
      out.push(groups.get(key)!);
    }
  }
  return out.map((entry) => {
    if (!Array.isArray(entry)) return entry;
    const rates = entry.map(rowsPerSecond);
    const sorted = [...entry].sort((a, b) => rowsPerSecond(a) - rowsPerSecond(b));
    return {
      ...sorted[Math.floor((sorted.length - 1) / 2)]!,
      runs: entry.length,
      min: Math.min(...rates),
      max: Math.max(...rates),
    };
  });
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** One row of the table; `baseline` is the raw figure for the same signal. */
export function cells(result: Summary | Missing, baseline: Summary | undefined): string[] {
  if ("note" in result) return [result.database, result.path, result.note, "", "", "", "", ""];
  const rate = rowsPerSecond(result);
  return [
    result.database,
    result.path,
    result.signal,
    integer.format(result.rows),
    result.seconds.toFixed(2),
    integer.format(rate),
    result.runs > 1 ? `${integer.format(result.min)}–${integer.format(result.max)}` : "",
    baseline ? `${Math.round((100 * rate) / rowsPerSecond(baseline))}%` : "",
  ];
}

const HEADER = ["database", "path", "signal", "rows", "seconds", "rows/s", "range", "% of raw"];
/** Columns holding numbers, aligned right. */
const NUMERIC = new Set([3, 4, 5, 6, 7]);
/** A Markdown table with padded columns, readable in a terminal too. */
export function markdownTable(rows: readonly string[][]): string {
  const all = [HEADER, ...rows];
  const widths = HEADER.map((_, i) => Math.max(3, ...all.map((row) => (row[i] ?? "").length)));
  const line = (row: readonly string[]) =>
    `| ${
      widths.map((w, i) => NUMERIC.has(i) ? (row[i] ?? "").padStart(w) : (row[i] ?? "").padEnd(w))
        .join(" | ")
    } |`;
  const rule = `|${
    widths.map((w, i) => NUMERIC.has(i) ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2)).join("|")
  }|`;
  return [line(HEADER), rule, ...rows.map(line)].join("\n");
}
